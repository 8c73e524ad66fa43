"""Airflow connection fields become a SourceConnection; mistakes are reported without leaking secrets."""

from __future__ import annotations

from typing import Any

import pytest

from openconnector.errors import SourceError
from openconnector.sources import ApiKeyAuth, BasicAuth, BearerAuth, JwtAuth, NoAuth, OAuth2Auth
from openconnector.sources.fields import CONN_FIELDS, build_connection


def _build(extra: dict[str, Any] | None = None, **parts: Any) -> Any:
    parts.setdefault("host", "https://api.example.org/v1")
    return build_connection("crm", extra=extra or {}, **parts)


def test_base_url_from_host_scheme_and_port() -> None:
    assert _build().base_url == "https://api.example.org/v1"
    assert _build(host="api.example.org", schema="http", port=8080).base_url == "http://api.example.org:8080"
    assert _build(host="https://api.example.org:9443/v1/").base_url == "https://api.example.org:9443/v1"


def test_empty_host_is_an_error() -> None:
    with pytest.raises(SourceError, match="Airflow connection 'crm': Host is empty"):
        _build(host="")


@pytest.mark.parametrize(
    ("extra", "login", "password", "kind"),
    [
        ({}, None, None, NoAuth),
        ({}, "reader", "pw-123456", BasicAuth),
        ({"auth_type": "basic"}, "reader", "pw-123456", BasicAuth),
        ({"auth_type": "bearer"}, None, "tok-123456", BearerAuth),
        ({"auth_type": "api_key", "api_key_in": "query", "api_key_name": "key"}, None, "key-123456", ApiKeyAuth),
        ({"auth_type": "oauth2_client_credentials", "token_url": "https://idp/token"}, "app", "sec-123456", OAuth2Auth),
        (
            {"auth_type": "oauth2_password", "token_url": "https://idp/token", "client_id": "app"},
            "alice",
            "pw-123456",
            OAuth2Auth,
        ),
        (
            {"auth_type": "jwt", "jwt_algorithm": "HS256", "jwt_payload": '{"iss": "app"}'},
            None,
            "jwt-secret-1",
            JwtAuth,
        ),
    ],
)
def test_every_auth_type(extra: dict[str, Any], login: str | None, password: str | None, kind: type) -> None:
    connection = _build(extra, login=login, password=password)
    assert isinstance(connection.auth, kind)
    if password:
        assert password not in repr(connection)
        assert password not in str(connection.auth)


def test_oauth2_password_grant_keeps_user_and_client_apart() -> None:
    extra = {
        "auth_type": "oauth2_password",
        "token_url": "https://idp/token",
        "client_id": "app",
        "client_secret": "cs-1234",
    }
    auth = _build(extra, login="alice", password="alice-pw").auth
    assert (auth.grant_type, auth.client_id, auth.username, auth.password) == ("password", "app", "alice", "alice-pw")
    assert auth.client_secret == "cs-1234"


def test_token_header_and_scheme() -> None:
    auth = _build(
        {"auth_type": "bearer", "token_header": "X-Token", "token_scheme": "none"}, password="tok-123456"
    ).auth
    assert (auth.header, auth.scheme) == ("X-Token", "")


def test_jwt_payload_and_headers_are_json_objects() -> None:
    extra = {"auth_type": "jwt", "jwt_payload": '{"iss": "app", "user_id": "sync"}', "jwt_headers": {"kid": "k1"}}
    auth = _build(extra, password="jwt-secret").auth
    assert auth.payload == {"iss": "app", "user_id": "sync"}
    assert auth.headers == {"kid": "k1"}


def test_values_from_the_ui_arrive_as_strings_and_are_typed() -> None:
    extra = {"max_attempts": "3", "backoff_factor": "0.5", "verify_tls": "false", "rate_limit_requests": "10"}
    connection = _build(extra)
    assert connection.retry.max_attempts == 3
    assert connection.retry.backoff_factor == 0.5
    assert connection.tls.verify is False
    assert connection.budget is not None
    assert connection.budget.requests == 10


def test_prefixed_extra_names_of_older_forms_are_accepted() -> None:
    connection = _build({"extra__openconnector_source__auth_type": "bearer"}, password="tok-123456")
    assert isinstance(connection.auth, BearerAuth)


def test_unknown_extra_field_gets_a_suggestion() -> None:
    with pytest.raises(SourceError, match=r"extra field 'scopes': not a field .*did you mean 'scope'\?"):
        _build({"scopes": "read"})


def test_http_connections_send_unknown_extras_as_headers() -> None:
    connection = _build({"X-Tenant": "t1"}, conn_type="http")
    assert connection.headers == {"X-Tenant": "t1"}


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"auth_type": "oauth"}, "extra field 'auth_type': 'oauth' is not one of none, api_key"),
        ({"auth_type": "bearer"}, "auth_type 'bearer' needs Password; it is empty"),
        ({"auth_type": "oauth2_client_credentials"}, "auth_type 'oauth2_client_credentials' needs token_url"),
        ({"headers": "{not json"}, "extra field 'headers': not valid JSON"),
        ({"headers": "[1]"}, "extra field 'headers': must be a JSON object"),
        ({"max_attempts": "many"}, "extra field 'max_attempts': 'many' is not a number"),
        ({"max_attempts": "0"}, "extra field 'max_attempts': '0' is below the minimum 1"),
        ({"verify_tls": "maybe"}, "extra field 'verify_tls': 'maybe' is not a boolean"),
    ],
)
def test_mistakes_name_the_connection_and_field(extra: dict[str, Any], message: str) -> None:
    with pytest.raises(SourceError) as caught:
        _build(extra)
    assert str(caught.value).startswith("Airflow connection 'crm'")
    assert message in str(caught.value)


def test_every_form_field_is_accepted() -> None:
    # The UI shows CONN_FIELDS; each one must be a field the parser accepts, never an "unknown field".
    sample = {"string": "x", "integer": 1, "number": 1.5, "boolean": True}
    for name, definition in CONN_FIELDS.items():
        kind = definition["schema"]["type"][0]
        value: Any = definition["schema"].get("default", definition["schema"].get("enum", [sample[kind]])[0])
        if name in {"headers", "query", "token_params", "jwt_payload", "jwt_headers"}:
            value = "{}"
        if name in {"ca_cert", "client_cert", "client_key", "client_key_password"}:
            continue  # checked when the client starts (they must be PEM)
        _build({name: value})
