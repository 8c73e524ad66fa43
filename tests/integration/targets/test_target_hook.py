"""The Airflow layer: a connection read by name becomes a target that writes, secrets kept out of sight."""

from __future__ import annotations

import json
from typing import Any

import pytest

from devkit.openregister_server import OpenRegisterServer
from openconnector.errors import TargetError
from openconnector.hooks.target import TargetHook
from openconnector.spec.target import OpenRegisterTarget as OpenRegisterTargetSpec
from openconnector.targets import PlannedWrite, is_batch_target
from tests.integration.targets.conftest import RUN_TIMESTAMP, company

SPEC = OpenRegisterTargetSpec.model_validate(
    {"type": "openregister", "connection": "or_conn", "register": "demo", "schema": "company"}
)


def _set_connection(monkeypatch: pytest.MonkeyPatch, conn_id: str, **fields: object) -> None:
    monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps({"conn_type": "openconnector_source", **fields}))


def test_hook_builds_a_target_that_writes_through_the_connection(
    include_dir: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    with OpenRegisterServer(auth=("sync-bot", "app-pa55-hook")) as server:
        _set_connection(
            monkeypatch,
            "or_conn",
            host=server.url,
            login="sync-bot",
            password="app-pa55-hook",
            extra={"max_attempts": "2", "backoff_factor": "0.01"},
        )
        target = TargetHook("or_conn").get_target(SPEC, synchronization_id="companies")
        assert is_batch_target(target)
        target.open(RUN_TIMESTAMP)
        try:
            outcome = target.write_batch(
                [PlannedWrite("a", "create", "0e8fa0d3-1111-4222-8333-444455556666", company(1))]
            )
        finally:
            target.close()
        assert outcome[0].status == "done"
        assert len(server.objects("demo", "company")) == 1


def test_a_broken_connection_is_a_target_error(monkeypatch: pytest.MonkeyPatch) -> None:
    _set_connection(monkeypatch, "or_conn", host="", login="x", password="y")
    with pytest.raises(TargetError, match="Host is empty"):
        TargetHook("or_conn").get_target(SPEC)
