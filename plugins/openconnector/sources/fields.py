"""The fields of an OpenConnector source connection, and how they become a :class:`SourceConnection`.

One table (:data:`CONN_FIELDS`) drives both the Airflow connection form (``provider.py``) and the
parsing here, so a field shown in the UI is always a field that is read. The standard connection
fields keep their usual meaning:

* Host: the base URL (``https://api.example.org/v1``; Schema is the scheme when Host has none).
* Login: username (basic, OAuth2 password grant) or client id (OAuth2 client credentials).
* Password: the secret of the chosen type: password, API key, bearer token, client secret, or the
  JWT secret / PEM private key.

Without ``auth_type``, a Login means Basic auth. Plain ``http`` connections work too: their unknown
extras become headers, as Airflow's HttpHook does; for our own type an unknown extra is an error
(with a did-you-mean), because a misspelt field would otherwise be silently ignored.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable, Mapping
from typing import Any, Final

from openconnector.errors import SourceError
from openconnector.sources import connection as c
from openconnector.sources.fields_table import AUTH_TYPES, CONN_FIELDS, CONN_TYPE

__all__ = ["AUTH_TYPES", "CONN_FIELDS", "CONN_TYPE", "build_connection"]

_HTTP_TYPES: Final = ("http", "https")


def build_connection(
    name: str,
    *,
    host: str | None,
    extra: Mapping[str, Any],
    conn_type: str | None = CONN_TYPE,
    schema: str | None = None,
    port: int | None = None,
    login: str | None = None,
    password: str | None = None,
) -> c.SourceConnection:
    """Build a source connection from the parts of an Airflow connection.

    :raises SourceError: naming the connection, the field and what is accepted (never a secret value).
    """
    reader = _Extras(name, extra, lenient=conn_type in _HTTP_TYPES)
    reader.check_known()  # first: a misspelt field explains more than the error it causes later
    base_url = _base_url(name, host, schema, port)
    auth = _auth(reader, login or "", password or "")
    connection = c.SourceConnection(
        base_url=base_url,
        name=name,
        auth=auth,
        headers={**reader.json_object("headers"), **reader.unknown_as_headers()},
        query=reader.json_object("query"),
        tls=c.TlsConfig(
            verify=reader.boolean("verify_tls", True),
            ca_cert=reader.text("ca_cert") or None,
            client_cert=reader.text("client_cert") or None,
            client_key=reader.text("client_key") or None,
            client_key_password=reader.text("client_key_password") or None,
        ),
        retry=c.RetryPolicy(
            max_attempts=int(reader.number("max_attempts", 5, minimum=1)),
            backoff_factor=reader.number("backoff_factor", 1.0, minimum=0),
            max_total_wait=reader.number("max_retry_wait", 300.0, minimum=0),
        ),
        budget=_budget(reader),
    )
    return connection


def _base_url(name: str, host: str | None, schema: str | None, port: int | None) -> str:
    host = (host or "").strip()
    if not host:
        raise SourceError(
            f"Airflow connection {name!r}: Host is empty; set it to the source's base URL, e.g. https://api.example.org/v1"
        )
    if "://" not in host:
        host = f"{schema or 'https'}://{host}"
    if port:
        scheme, _, rest = host.partition("://")
        authority, slash, path = rest.partition("/")
        if ":" not in authority:
            host = f"{scheme}://{authority}:{port}{slash}{path}"
    return host.rstrip("/")


def _auth(reader: _Extras, login: str, password: str) -> c.AuthConfig:
    default = "basic" if login else "none"
    kind = reader.choice("auth_type", AUTH_TYPES, default)
    builders: dict[str, Callable[[], c.AuthConfig]] = {
        "none": c.NoAuth,
        "basic": lambda: c.BasicAuth(reader.need(login, "Login", "basic"), reader.need(password, "Password", "basic")),
        "bearer": lambda: c.BearerAuth(reader.need(password, "Password", "bearer"), **_token_header(reader)),
        "api_key": lambda: _api_key(reader, password),
        "oauth2_client_credentials": lambda: _oauth2(reader, login, password, "client_credentials"),
        "oauth2_password": lambda: _oauth2(reader, login, password, "password"),
        "jwt": lambda: _jwt(reader, password),
    }
    return builders[kind]()


def _api_key(reader: _Extras, password: str) -> c.ApiKeyAuth:
    return c.ApiKeyAuth(
        key=reader.need(password, "Password", "api_key"),
        name=reader.text("api_key_name") or "X-Api-Key",
        location=reader.choice("api_key_in", ("header", "query"), "header"),  # type: ignore[arg-type]
    )


def _oauth2(reader: _Extras, login: str, password: str, grant: str) -> c.OAuth2Auth:
    kind = f"oauth2_{grant}"
    if grant == "client_credentials":
        client_id = reader.text("client_id") or login
        client_secret = reader.text("client_secret") or password
        username = user_password = ""
    else:
        client_id, client_secret = reader.text("client_id"), reader.text("client_secret")
        username, user_password = reader.need(login, "Login", kind), reader.need(password, "Password", kind)
    return c.OAuth2Auth(
        token_url=reader.need(reader.text("token_url"), "token_url", kind),
        client_id=reader.need(
            client_id, "client_id (or Login)" if grant == "client_credentials" else "client_id", kind
        ),
        client_secret=client_secret,
        grant_type=grant,  # type: ignore[arg-type]
        username=username,
        password=user_password,
        scope=reader.text("scope"),
        client_auth=reader.choice("client_auth", ("body", "basic"), "body"),  # type: ignore[arg-type]
        token_path=reader.text("token_path") or "access_token",
        extra_params={k: str(v) for k, v in reader.json_object("token_params").items()},
        **_token_header(reader),
    )


def _jwt(reader: _Extras, password: str) -> c.JwtAuth:
    return c.JwtAuth(
        algorithm=reader.text("jwt_algorithm") or "HS256",
        key=reader.need(password, "Password", "jwt"),
        payload=reader.json_object("jwt_payload"),
        lifetime=int(reader.number("jwt_lifetime", 300, minimum=0)),
        headers=reader.json_object("jwt_headers"),
        **_token_header(reader),
    )


def _token_header(reader: _Extras) -> dict[str, Any]:
    scheme = reader.text("token_scheme", "Bearer")
    return {
        "header": reader.text("token_header") or "Authorization",
        "scheme": "" if scheme.lower() == "none" else scheme,
    }


def _budget(reader: _Extras) -> c.RequestBudget | None:
    requests = reader.number("rate_limit_requests", 0, minimum=0)
    if not requests:
        reader.number("rate_limit_period", 60.0, minimum=0.001)
        return None
    return c.RequestBudget(int(requests), reader.number("rate_limit_period", 60.0, minimum=0.001))


class _Extras:
    """Read typed values from a connection's extra, by name, remembering which names were read."""

    def __init__(self, name: str, extra: Mapping[str, Any], *, lenient: bool) -> None:
        self.name = name
        self.lenient = lenient
        prefix = f"extra__{CONN_TYPE}__"
        self._values = {
            (key[len(prefix) :] if key.startswith(prefix) else key): value
            for key, value in extra.items()
            if value is not None and value != ""
        }

    def raw(self, key: str) -> Any:
        return self._values.get(key)

    def text(self, key: str, default: str = "") -> str:
        value = self.raw(key)
        return default if value is None else str(value).strip()

    def choice(self, key: str, allowed: tuple[str, ...], default: str) -> str:
        value = self.text(key) or default
        if value not in allowed:
            raise self._error(key, f"{value!r} is not one of {', '.join(allowed)}")
        return value

    def boolean(self, key: str, default: bool) -> bool:
        value = self.raw(key)
        if value is None or isinstance(value, bool):
            return default if value is None else value
        text = str(value).strip().lower()
        if text not in {"true", "false", "1", "0", "yes", "no"}:
            raise self._error(key, f"{value!r} is not a boolean (true or false)")
        return text in {"true", "1", "yes"}

    def number(self, key: str, default: float, *, minimum: float) -> float:
        value = self.raw(key)
        try:
            number = default if value is None else float(value)
        except (TypeError, ValueError):
            raise self._error(key, f"{value!r} is not a number") from None
        if number < minimum:
            raise self._error(key, f"{value!r} is below the minimum {minimum:g}")
        return number

    def json_object(self, key: str) -> dict[str, Any]:
        value = self.raw(key)
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except json.JSONDecodeError as exc:
                raise self._error(key, f"not valid JSON ({exc.msg} at position {exc.pos})") from None
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise self._error(key, f'must be a JSON object such as {{"name": "value"}}, not a {type(value).__name__}')
        return value

    def need(self, value: str, field: str, auth_type: str) -> str:
        if not value:
            raise SourceError(f"Airflow connection {self.name!r}: auth_type {auth_type!r} needs {field}; it is empty")
        return value

    def unknown_as_headers(self) -> dict[str, str]:
        if not self.lenient:
            return {}
        return {k: str(v) for k, v in self._values.items() if k not in CONN_FIELDS}

    def check_known(self) -> None:
        if self.lenient:
            return  # http connections: unknown extras are headers
        unknown = sorted(set(self._values) - set(CONN_FIELDS))
        if unknown:
            key = unknown[0]
            close = difflib.get_close_matches(key, list(CONN_FIELDS), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else f"; known fields: {', '.join(CONN_FIELDS)}"
            raise self._error(key, f"not a field of an OpenConnector source connection{hint}")

    def _error(self, key: str, problem: str) -> SourceError:
        return SourceError(f"Airflow connection {self.name!r}: extra field {key!r}: {problem}")
