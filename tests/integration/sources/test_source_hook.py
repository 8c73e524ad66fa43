"""The Airflow layer: a connection read by name becomes a working, secret-safe source client."""

from __future__ import annotations

import json

import pytest
from airflow.sdk._shared.secrets_masker import redact

from openconnector.errors import SourceError
from openconnector.hooks.source import SourceHook
from openconnector.sources import BasicAuth, OAuth2Auth
from tests.servers.auth_checks import OAuthIssuer, basic_is
from tests.servers.helpers import source_spec
from tests.servers.loopback import Serve
from tests.servers.small_api import TOKEN_PATH, SmallApi

SPEC = source_spec(connection="crm", resultsPosition="results", pagination={"type": "pageNumber"})


def _set_connection(monkeypatch: pytest.MonkeyPatch, conn_id: str, **fields: object) -> None:
    monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps({"conn_type": "openconnector_source", **fields}))


def test_hook_reads_the_connection_by_name_and_fetches(serve: Serve, monkeypatch: pytest.MonkeyPatch) -> None:
    server = serve(SmallApi(7, 3, auth=basic_is("reader", "hook-pa55")))
    _set_connection(
        monkeypatch,
        "crm",
        host=server.url,
        login="reader",
        password="hook-pa55",
        extra={"auth_type": "basic", "max_attempts": "2", "backoff_factor": "0.01", "headers": '{"X-Tenant": "t1"}'},
    )
    hook = SourceHook("crm")
    connection = hook.get_conn()
    assert isinstance(connection.auth, BasicAuth)
    assert "hook-pa55" not in repr(connection)
    with hook.get_client(SPEC) as client:
        objects = [obj for page in client.pages() for obj in page.objects]
    assert len(objects) == 7
    assert server.requests[0].header("X-Tenant") == "t1"


def test_hook_builds_oauth2_from_login_password_and_form_fields(serve: Serve, monkeypatch: pytest.MonkeyPatch) -> None:
    issuer = OAuthIssuer(clients={"sync-app": "hook-client-secret"}, scope="read")
    server = serve(SmallApi(7, 3, auth=issuer.check, token_endpoint=issuer))
    _set_connection(
        monkeypatch,
        "crm",
        host=server.url,
        login="sync-app",
        password="hook-client-secret",
        extra={"auth_type": "oauth2_client_credentials", "token_url": server.url + TOKEN_PATH, "scope": "read"},
    )
    hook = SourceHook("crm")
    assert isinstance(hook.get_conn().auth, OAuth2Auth)
    with hook.get_client(SPEC) as client:
        assert sum(len(page.objects) for page in client.pages()) == 7
    token = server.requests[-1].header("Authorization").removeprefix("Bearer ")
    # The token was obtained at run time; Airflow's log masker knows it all the same.
    assert redact(f"token={token}") == "token=***"


def test_test_connection_reports_success_and_failure(serve: Serve, monkeypatch: pytest.MonkeyPatch) -> None:
    server = serve(SmallApi(7, 3, auth=basic_is("reader", "hook-pa55")))
    _set_connection(monkeypatch, "good", host=server.url + "/api/companies", login="reader", password="hook-pa55")
    _set_connection(monkeypatch, "bad", host=server.url + "/api/companies", login="reader", password="wrong-pa55")
    assert SourceHook("good").test_connection() == (True, "GET /api/companies: HTTP 200 OK")
    ok, message = SourceHook("bad").test_connection()
    assert not ok
    assert "HTTP 401" in message
    assert "wrong-pa55" not in message


def test_a_typo_in_the_connection_extra_is_reported_with_a_suggestion(monkeypatch: pytest.MonkeyPatch) -> None:
    _set_connection(monkeypatch, "typo", host="https://api.example.org", extra={"auth_type": "bearer", "tokenurl": "x"})
    with pytest.raises(SourceError, match="extra field 'tokenurl': not a field .*did you mean 'token_url'"):
        SourceHook("typo").get_conn()
