"""The extra fields of the ``openconnector_source`` connection type, as Airflow's ``conn-fields`` declare them.

Each entry is a JSON-schema field the Airflow UI renders; ``format: password`` makes it a masked,
sensitive field. :mod:`openconnector.sources.fields` reads exactly these names.
"""

from __future__ import annotations

from typing import Any, Final

CONN_TYPE: Final = "openconnector_source"

AUTH_TYPES: Final = ("none", "api_key", "basic", "bearer", "oauth2_client_credentials", "oauth2_password", "jwt")
JWT_ALGORITHMS: Final = (
    "HS256",
    "HS384",
    "HS512",
    "RS256",
    "RS384",
    "RS512",
    "PS256",
    "PS384",
    "PS512",
    "ES256",
    "ES384",
    "ES512",
)


def _field(label: str, kind: str, description: str, **schema: Any) -> dict[str, Any]:
    return {"label": label, "description": description, "schema": {"type": [kind, "null"], **schema}}


CONN_FIELDS: Final[dict[str, dict[str, Any]]] = {
    "auth_type": _field(
        "Authentication",
        "string",
        "none, api_key (key in Password), basic (Login/Password), bearer (token in Password), "
        "oauth2_client_credentials, oauth2_password, jwt (secret or private key in Password); "
        "when empty: basic if Login is set, else none",
        enum=list(AUTH_TYPES),
    ),
    "api_key_name": _field("API key name", "string", "Header or query parameter carrying the key", default="X-Api-Key"),
    "api_key_in": _field("API key in", "string", "Where the API key goes", enum=["header", "query"], default="header"),
    "token_url": _field("OAuth2 token URL", "string", "Token endpoint of the OAuth2 server"),
    "scope": _field("OAuth2 scope", "string", "Space-separated scopes to request"),
    "client_id": _field("OAuth2 client id", "string", "For client credentials, Login is used when this is empty"),
    "client_secret": _field(
        "OAuth2 client secret", "string", "For client credentials, Password is used when empty", format="password"
    ),
    "client_auth": _field(
        "OAuth2 client authentication",
        "string",
        "Send the client id and secret in the form body or as Basic auth",
        enum=["body", "basic"],
        default="body",
    ),
    "token_path": _field(
        "OAuth2 token path", "string", "Dot path of the token in the token response", default="access_token"
    ),
    "token_params": _field(
        "OAuth2 extra parameters", "string", 'JSON object of extra form fields, e.g. {"audience": "x"}'
    ),
    "jwt_algorithm": _field("JWT algorithm", "string", "Signing algorithm", enum=list(JWT_ALGORITHMS), default="HS256"),
    "jwt_payload": _field(
        "JWT payload",
        "string",
        'JSON object of claims, e.g. {"iss": "my-app", "client_id": "my-app", "user_id": "sync"}; '
        "values may use {{ now }}, {{ now + 60 }}, {{ uuid }}; iat and exp are added",
    ),
    "jwt_lifetime": _field("JWT lifetime (s)", "integer", "exp = iat + lifetime; 0 adds no exp", default=300),
    "jwt_headers": _field("JWT header fields", "string", 'JSON object added to the JWT header, e.g. {"kid": "key-1"}'),
    "token_header": _field(
        "Token header", "string", "Header carrying bearer/OAuth2/JWT tokens", default="Authorization"
    ),
    "token_scheme": _field("Token scheme", "string", "Prefix before the token; 'none' for no prefix", default="Bearer"),
    "headers": _field(
        "Extra headers", "string", 'JSON object of headers sent with every request, e.g. {"Accept-Crs": "EPSG:4326"}'
    ),
    "query": _field("Extra query parameters", "string", "JSON object of query parameters sent with every request"),
    "verify_tls": _field("Verify TLS certificate", "boolean", "Turn off only for testing", default=True),
    "ca_cert": _field(
        "CA certificate", "string", "PEM text (or file path) of the CA that signed the server certificate"
    ),
    "client_cert": _field("Client certificate (mTLS)", "string", "PEM text or file path of the client certificate"),
    "client_key": _field(
        "Client key (mTLS)", "string", "PEM text or file path of the client private key", format="password"
    ),
    "client_key_password": _field(
        "Client key password", "string", "Only for an encrypted client key", format="password"
    ),
    "max_attempts": _field(
        "Max attempts", "integer", "Tries per request for 429, 5xx, timeouts and connection errors", default=5
    ),
    "backoff_factor": _field(
        "Backoff factor (s)", "number", "Wait before retry n is about factor * 2^(n-1) s", default=1.0
    ),
    "max_retry_wait": _field(
        "Max retry wait (s)",
        "number",
        "Seconds one request may spend waiting for retries, Retry-After included",
        default=300,
    ),
    "rate_limit_requests": _field(
        "Rate limit: requests",
        "integer",
        "Send at most this many requests per period (per worker process); empty for none",
    ),
    "rate_limit_period": _field("Rate limit: period (s)", "number", "Length of the rate limit window", default=60),
}

#: How the standard fields are labelled and which are hidden on the form.
UI_FIELD_BEHAVIOUR: Final[dict[str, Any]] = {
    "hidden-fields": [],
    "relabeling": {
        "host": "Base URL",
        "schema": "Scheme (when Base URL has none)",
        "login": "Login (username or OAuth2 client id)",
        "password": "Password / API key / token / client secret / JWT key",
    },
    "placeholders": {
        "host": "https://api.example.org/v1",
        "schema": "https",
        "login": "username or client id",
    },
}
