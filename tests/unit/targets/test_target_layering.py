"""Targets and the local OpenRegister import no Airflow: the map stage and tests use them without it."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

AIRFLOW_FREE = [
    "openconnector.targets",
    "openconnector.targets.openregister",
    "openconnector.targets.api",
    "openconnector.spec.target",
    "devkit.openregister_server",
]


@pytest.mark.parametrize("module", AIRFLOW_FREE)
def test_module_imports_no_airflow(module: str) -> None:
    code = f"import sys, {module}; print(sorted({{m.split('.')[0] for m in sys.modules}} & {{'airflow'}}))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=os.environ, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
