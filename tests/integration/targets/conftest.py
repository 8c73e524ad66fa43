"""Fixtures for HTTP target tests: a local OpenRegister, a small CRM API, connections with fast retries."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from devkit.openregister_server import OpenRegisterServer
from openconnector.sources import BasicAuth, BearerAuth, RetryPolicy, SourceConnection
from openconnector.spec.target import ApiTarget as ApiTargetSpec
from openconnector.spec.target import OpenRegisterTarget as OpenRegisterTargetSpec
from openconnector.targets import make_target
from tests.integration.targets.crm_api import CrmApi

#: Retries that keep tests fast: a few attempts, millisecond backoff, a short wait budget.
FAST_RETRY = RetryPolicy(max_attempts=3, backoff_factor=0.01, max_backoff=0.02, max_total_wait=2.0)
USER, APP_PASSWORD = "sync-bot", "app-pa55word-1234"
RUN_TIMESTAMP = "2026-01-01T00:00:00+00:00"


@pytest.fixture
def openregister(include_dir: Any) -> Iterator[OpenRegisterServer]:
    """The local OpenRegister serving include/registers (the demo register), Basic auth required."""
    with OpenRegisterServer(auth=(USER, APP_PASSWORD)) as server:
        yield server


def or_connection(server: OpenRegisterServer, **fields: Any) -> SourceConnection:
    """Return a connection to the server as its Airflow connection would give it."""
    fields.setdefault("auth", BasicAuth(USER, APP_PASSWORD))
    fields.setdefault("retry", FAST_RETRY)
    return SourceConnection(base_url=server.url, name="or_conn", **fields)


OpenTarget = Callable[..., Any]


@pytest.fixture
def or_target(openregister: OpenRegisterServer) -> Iterator[OpenTarget]:
    """Build, open and (after the test) close an openregister target on the local server."""
    opened: list[Any] = []

    def build(connection: SourceConnection | None = None, *, open_it: bool = True, **fields: Any) -> Any:
        spec = OpenRegisterTargetSpec.model_validate(
            {"type": "openregister", "connection": "or_conn", "register": "demo", "schema": "company", **fields}
        )
        target = make_target(spec, connection=connection or or_connection(openregister))
        if open_it:
            target.open(RUN_TIMESTAMP)
            opened.append(target)
        return target

    yield build
    for target in opened:
        target.close()


@pytest.fixture
def crm() -> Iterator[CrmApi]:
    """The small CRM API, bearer token required."""
    api = CrmApi(token="crm-t0ken-5678").start()
    yield api
    api.stop()


@pytest.fixture
def api_target(crm: CrmApi) -> Iterator[OpenTarget]:
    """Build, open and (after the test) close an api target on the CRM API."""
    opened: list[Any] = []

    def build(*, auth: Any = None, **fields: Any) -> Any:
        spec = ApiTargetSpec.model_validate(
            {"type": "api", "connection": "crm", "create": {"endpoint": "/companies"}, **fields}
        )
        auth = auth or BearerAuth("crm-t0ken-5678")
        connection = SourceConnection(base_url=crm.url, name="crm", auth=auth, retry=FAST_RETRY)
        target = make_target(spec, connection=connection, synchronization_id="companies")
        target.open(RUN_TIMESTAMP)
        opened.append(target)
        return target

    yield build
    for target in opened:
        target.close()


def company(number: int, **overrides: Any) -> dict[str, Any]:
    """Return a valid demo-register company."""
    return {"registrationNumber": f"{10000000 + number}", "name": f"Company {number}", "status": "active", **overrides}
