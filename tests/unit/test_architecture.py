"""The layering the design relies on: the core and the pipeline import no Airflow."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

AIRFLOW_FREE = [
    "openconnector.core.hashing",
    "openconnector.core.paths",
    "openconnector.core.report",
    "openconnector.core.conditions",
    "openconnector.core.validation",
    "openconnector.core.mapping",
    "openconnector.sources",
    "openconnector.targets",
    "openconnector.provider",
    "openconnector.spec.loader",
    "openconnector.db.store",
    "openconnector.pipeline.fetch",
    "openconnector.pipeline.map",
    "openconnector.pipeline.diff",
    "openconnector.pipeline.write",
]


@pytest.mark.parametrize("module", AIRFLOW_FREE)
def test_module_imports_no_airflow(module: str) -> None:
    code = f"import sys, {module}; print(sorted({{m.split('.')[0] for m in sys.modules}} & {{'airflow'}}))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=os.environ, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
