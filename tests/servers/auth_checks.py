"""Server-side authentication for the loopback test APIs: they really check what clients send.

* :class:`OAuthIssuer` is a token endpoint: it checks client (and user) credentials for the client
  credentials and password grants, in the body or as Basic auth, issues random expiring tokens, and
  can revoke them; :meth:`OAuthIssuer.check` accepts only live tokens it issued.
* :class:`JwtVerifier` verifies the signature of a bearer JWT (HS*, RS*, PS*) and its ``iat``/``exp``.
"""

from __future__ import annotations

import base64
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import jwt

from tests.servers.loopback import Reply, Request

Check = Callable[[Request], bool]


def header_is(name: str, value: str) -> Check:
    """Accept requests carrying header ``name`` with exactly ``value``."""
    return lambda request: request.header(name) == value


def query_is(name: str, value: str) -> Check:
    """Accept requests carrying query parameter ``name`` with exactly ``value``."""
    return lambda request: request.query.get(name) == value


def basic_is(username: str, password: str) -> Check:
    """Accept requests with these Basic credentials."""
    expected = "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()
    return lambda request: request.header("Authorization") == expected


def bearer_is(token: str) -> Check:
    """Accept requests with this static bearer token."""
    return lambda request: request.header("Authorization") == f"Bearer {token}"


def _basic_credentials(request: Request) -> tuple[str, str] | None:
    value = request.header("Authorization") or ""
    if not value.startswith("Basic "):
        return None
    user, _, password = base64.b64decode(value[6:]).decode().partition(":")
    return user, password


@dataclass
class OAuthIssuer:
    """A token endpoint (``POST /oauth/token``) and the matching check for API requests."""

    clients: Mapping[str, str]
    users: Mapping[str, str] = field(default_factory=dict)
    client_auth: str = "body"
    expires_in: int = 3600
    scope: str | None = None
    token_requests: int = 0
    forms: list[dict[str, str]] = field(default_factory=list)
    _tokens: dict[str, float] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, request: Request) -> Reply:
        form = dict(parse_qsl(request.body.decode(), keep_blank_values=True))
        with self._lock:
            self.token_requests += 1
            self.forms.append(form)
        problem = self._refusal(request, form)
        if problem:
            return Reply(401 if problem == "invalid_client" else 400, {"error": problem})
        token = secrets.token_urlsafe(24)
        with self._lock:
            self._tokens[token] = time.monotonic() + self.expires_in
        return Reply(200, {"access_token": token, "token_type": "Bearer", "expires_in": self.expires_in})

    def check(self, request: Request) -> bool:
        """Accept API requests with a live token issued here."""
        value = request.header("Authorization") or ""
        token = value.removeprefix("Bearer ")
        with self._lock:
            expiry = self._tokens.get(token)
        return expiry is not None and time.monotonic() < expiry

    def revoke_all(self) -> None:
        """Invalidate every issued token (the API will answer 401 until a new one is fetched)."""
        with self._lock:
            self._tokens.clear()

    def _refusal(self, request: Request, form: dict[str, str]) -> str | None:
        if self.client_auth == "basic":
            creds = _basic_credentials(request)
        else:
            creds = (form.get("client_id", ""), form.get("client_secret", ""))
        if creds is None or self.clients.get(creds[0]) != creds[1]:
            return "invalid_client"
        grant = form.get("grant_type")
        if grant == "password":
            if self.users.get(form.get("username", "")) != form.get("password"):
                return "invalid_grant"
        elif grant != "client_credentials":
            return "unsupported_grant_type"
        if self.scope is not None and form.get("scope") != self.scope:
            return "invalid_scope"
        return None


@dataclass
class JwtVerifier:
    """Accept requests whose bearer JWT verifies with ``key`` and carries ``claims``, ``iat`` and ``exp``."""

    key: Any
    algorithm: str
    claims: Mapping[str, Any] = field(default_factory=dict)
    verified: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, Any]] = field(default_factory=list)

    def __call__(self, request: Request) -> bool:
        value = request.header("Authorization") or ""
        if not value.startswith("Bearer "):
            return False
        token = value[7:]
        try:
            decoded = jwt.decode(
                token, self.key, algorithms=[self.algorithm], options={"require": ["iat", "exp"]}, leeway=5
            )
        except jwt.PyJWTError:
            return False
        if any(decoded.get(name) != expected for name, expected in self.claims.items()):
            return False
        self.verified.append(decoded)
        self.headers.append(jwt.get_unverified_header(token))
        return True
