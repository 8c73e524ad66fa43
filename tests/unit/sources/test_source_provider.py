"""The provider description Airflow reads, and the layering: the source client imports no Airflow."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib import resources

import jsonschema
import pytest

from openconnector.provider import get_provider_info
from openconnector.sources.fields import CONN_FIELDS


def test_provider_info_is_valid_for_airflow() -> None:
    schema = json.loads(resources.files("airflow").joinpath("provider_info.schema.json").read_text())
    info = get_provider_info()
    jsonschema.validate(info, schema)
    assert info["package-name"] == "openconnector-airflow"
    (conn_type,) = info["connection-types"]
    assert conn_type["connection-type"] == "openconnector_source"
    assert conn_type["hook-class-name"] == "openconnector.hooks.source.SourceHook"


def test_connection_form_fields_are_what_airflow_renders() -> None:
    from airflow.providers_manager import ProvidersManager

    manager = ProvidersManager()
    manager._add_widgets(
        "openconnector-airflow", "openconnector.hooks.source.SourceHook", "openconnector_source", CONN_FIELDS
    )
    widgets = {
        k: v for k, v in manager._connection_form_widgets.items() if k.startswith("extra__openconnector_source__")
    }
    assert len(widgets) == len(CONN_FIELDS)
    sensitive = {w.field_name for w in widgets.values() if w.is_sensitive}
    assert sensitive == {"client_secret", "client_key", "client_key_password"}


def test_the_hook_class_named_by_the_provider_imports() -> None:
    from openconnector.hooks.source import SourceHook

    assert SourceHook.conn_type == "openconnector_source"
    assert SourceHook.default_conn_name == "openconnector_source_default"


@pytest.mark.parametrize("module", ["openconnector.sources", "openconnector.core.conditions", "openconnector.provider"])
def test_module_imports_no_airflow(module: str) -> None:
    code = f"import sys, {module}; print(sorted({{m.split('.')[0] for m in sys.modules}} & {{'airflow'}}))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=os.environ, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
