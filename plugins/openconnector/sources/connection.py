"""What a source connection holds: base URL, authentication, static request parts, TLS and limits.

These values are built by the Airflow hook from an Airflow connection (see :mod:`.fields`) and are
the only place where credentials live. Their ``repr`` never shows a secret, so they can be logged or
appear in a traceback safely.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar, Literal

from openconnector.sources.masking import MASK, is_sensitive_name


class _Masked:
    """Give a frozen dataclass a ``repr`` that shows ``***`` for the fields named in ``_secret_fields``."""

    _secret_fields: ClassVar[frozenset[str]] = frozenset()

    def __repr__(self) -> str:
        shown = []
        for item in fields(self):  # type: ignore[arg-type]
            value = getattr(self, item.name)
            if item.name in self._secret_fields and value:
                value = MASK
            elif isinstance(value, Mapping):
                value = {k: MASK if is_sensitive_name(k) else v for k, v in value.items()}
            shown.append(f"{item.name}={value!r}")
        return f"{type(self).__name__}({', '.join(shown)})"

    __str__ = __repr__

    def secrets(self) -> list[str]:
        """Return the secret values this part holds, for the masker."""
        return [getattr(self, name) for name in self._secret_fields if getattr(self, name)]


@dataclass(frozen=True, repr=False)
class NoAuth(_Masked):
    """Send no credentials."""

    type: ClassVar[str] = "none"


@dataclass(frozen=True, repr=False)
class ApiKeyAuth(_Masked):
    """Send a static API key in a header (``X-Api-Key: …``) or a query parameter (``?api_key=…``)."""

    type: ClassVar[str] = "api_key"
    _secret_fields: ClassVar[frozenset[str]] = frozenset({"key"})
    key: str
    name: str = "X-Api-Key"
    location: Literal["header", "query"] = "header"


@dataclass(frozen=True, repr=False)
class BasicAuth(_Masked):
    """HTTP Basic authentication."""

    type: ClassVar[str] = "basic"
    _secret_fields: ClassVar[frozenset[str]] = frozenset({"password"})
    username: str
    password: str


@dataclass(frozen=True, repr=False)
class BearerAuth(_Masked):
    """A static token sent as ``Authorization: Bearer …`` (header name and scheme configurable)."""

    type: ClassVar[str] = "bearer"
    _secret_fields: ClassVar[frozenset[str]] = frozenset({"token"})
    token: str
    header: str = "Authorization"
    scheme: str = "Bearer"


@dataclass(frozen=True, repr=False)
class OAuth2Auth(_Masked):
    """OAuth2 client credentials or password grant; the token is cached per process until it expires.

    ``client_auth`` says where the client id and secret go: the form ``body`` or a ``basic`` header.
    ``token_path`` is the dot path of the token in the token response.
    """

    type: ClassVar[str] = "oauth2"
    _secret_fields: ClassVar[frozenset[str]] = frozenset({"client_secret", "password"})
    token_url: str
    client_id: str
    client_secret: str = ""
    grant_type: Literal["client_credentials", "password"] = "client_credentials"
    username: str = ""
    password: str = ""
    scope: str = ""
    client_auth: Literal["body", "basic"] = "body"
    token_path: str = "access_token"
    extra_params: Mapping[str, str] = field(default_factory=dict)
    header: str = "Authorization"
    scheme: str = "Bearer"
    default_expires_in: float = 3600.0


@dataclass(frozen=True, repr=False)
class JwtAuth(_Masked):
    """A JWT the client signs itself (ZGW style): HS* with a shared secret, RS*/PS*/ES* with a private key.

    ``payload`` holds the custom claims; string values may use ``{{ now }}``, ``{{ now + 60 }}`` and
    ``{{ uuid }}``. ``iat`` and (when ``lifetime`` > 0) ``exp`` are added unless the payload sets them.
    ``key`` is the secret, or a PEM private key (plain or base64-encoded, as OpenConnector stores it).
    """

    type: ClassVar[str] = "jwt"
    _secret_fields: ClassVar[frozenset[str]] = frozenset({"key"})
    algorithm: str
    key: str
    payload: Mapping[str, Any] = field(default_factory=dict)
    lifetime: int = 300
    headers: Mapping[str, Any] = field(default_factory=dict)
    header: str = "Authorization"
    scheme: str = "Bearer"


AuthConfig = NoAuth | ApiKeyAuth | BasicAuth | BearerAuth | OAuth2Auth | JwtAuth


@dataclass(frozen=True, repr=False)
class TlsConfig(_Masked):
    """Server verification and client certificate; each PEM value is the PEM text or a file path."""

    _secret_fields: ClassVar[frozenset[str]] = frozenset({"client_key", "client_key_password"})
    verify: bool = True
    ca_cert: str | None = None
    client_cert: str | None = None
    client_key: str | None = None
    client_key_password: str | None = None


@dataclass(frozen=True)
class RetryPolicy:
    """How one request is retried: attempts, exponential backoff with jitter, and a wait budget.

    ``max_total_wait`` bounds the seconds one request may spend waiting (backoff and Retry-After
    together); a server asking for a longer wait makes the request fail at once as unavailable.
    """

    max_attempts: int = 5
    backoff_factor: float = 1.0
    max_backoff: float = 60.0
    max_total_wait: float = 300.0


@dataclass(frozen=True)
class RequestBudget:
    """A client-side limit: at most ``requests`` requests per ``period`` seconds, per source, per process."""

    requests: int
    period: float = 60.0


@dataclass(frozen=True, repr=False)
class SourceConnection(_Masked):
    """Everything needed to talk to one source API, built from an Airflow connection.

    :param name: the Airflow connection id, used in messages and to share rate limits and tokens.
    :param base_url: prefix of every endpoint, e.g. ``https://api.example.org/v1``.
    :param headers: static headers sent with every request (extra to authentication).
    :param query: static query parameters sent with every request.
    """

    base_url: str
    name: str = ""
    auth: AuthConfig = field(default_factory=NoAuth)
    headers: Mapping[str, str] = field(default_factory=dict)
    query: Mapping[str, str] = field(default_factory=dict)
    tls: TlsConfig = field(default_factory=TlsConfig)
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    budget: RequestBudget | None = None

    def secrets(self) -> list[str]:
        """Return every secret this connection holds: credentials, keys and secret-looking static values."""
        values = [*self.auth.secrets(), *self.tls.secrets()]
        for mapping in (self.headers, self.query):
            values.extend(v for k, v in mapping.items() if is_sensitive_name(k) and v)
        return values

    @property
    def label(self) -> str:
        """Return how messages name this connection."""
        return f"Airflow connection {self.name!r}" if self.name else "the source connection"
