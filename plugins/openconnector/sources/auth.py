"""Put credentials on requests: one small class per authentication type, behind a name→class map.

An authenticator adds headers or query parameters to each request and, for the token types (OAuth2,
JWT), knows how to get a fresh token when the server answers 401 (the transport retries such a
request once). Every secret an authenticator sees or obtains is handed to the source's masker.
"""

from __future__ import annotations

import base64
import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from openconnector.errors import SourceError
from openconnector.sources.connection import (
    ApiKeyAuth,
    AuthConfig,
    BasicAuth,
    BearerAuth,
    JwtAuth,
    NoAuth,
    OAuth2Auth,
)
from openconnector.sources.jwt_signing import JwtSigner
from openconnector.sources.masking import Masker
from openconnector.sources.oauth2 import FormPoster, TokenCache, fetch_token

Params = list[tuple[str, str]]


class Authenticator:
    """Add no credentials; the base of every authenticator."""

    #: Whether a 401 may be cured by getting a new token (and so deserves one retry).
    refreshable: bool = False

    def apply(self, headers: dict[str, str], params: Params) -> str | None:
        """Add credentials to a request being built; return the token used, if any."""
        return None

    def invalidate(self, used: str | None) -> None:
        """Forget the token ``used`` because the server refused it."""


class ApiKeyAuthenticator(Authenticator):
    """Send a static key in a header or a query parameter."""

    def __init__(self, config: ApiKeyAuth, masker: Masker) -> None:
        self._config = config
        masker.add(config.key)

    def apply(self, headers: dict[str, str], params: Params) -> str | None:
        """Add the key where the connection says."""
        if self._config.location == "query":
            params.append((self._config.name, self._config.key))
        else:
            headers[self._config.name] = self._config.key
        return None


class BasicAuthenticator(Authenticator):
    """Send ``Authorization: Basic``."""

    def __init__(self, config: BasicAuth, masker: Masker) -> None:
        self._value = "Basic " + base64.b64encode(f"{config.username}:{config.password}".encode()).decode()
        masker.add_basic(config.username, config.password)

    def apply(self, headers: dict[str, str], params: Params) -> str | None:
        """Add the Basic header."""
        headers["Authorization"] = self._value
        return None


class BearerAuthenticator(Authenticator):
    """Send a static token."""

    def __init__(self, config: BearerAuth, masker: Masker) -> None:
        self._header = config.header
        self._value = f"{config.scheme} {config.token}".strip()
        masker.add(config.token)

    def apply(self, headers: dict[str, str], params: Params) -> str | None:
        """Add the token header."""
        headers[self._header] = self._value
        return None


class OAuth2Authenticator(Authenticator):
    """Get a token from the token URL (client credentials or password grant), cache it, refresh on 401."""

    refreshable = True
    cache: Final = TokenCache()

    def __init__(self, config: OAuth2Auth, masker: Masker, post: FormPoster, on_fetch: Callable[[], None]) -> None:
        self._config = config
        self._masker = masker
        self._post = post
        self._on_fetch = on_fetch
        masker.add(config.client_secret, config.password)
        if config.client_auth == "basic":
            masker.add_basic(config.client_id, config.client_secret)
        self._key = _cache_key(config)

    def apply(self, headers: dict[str, str], params: Params) -> str | None:
        """Add a valid cached token, fetching one when there is none."""
        token = self.cache.get_or_fetch(self._key, self._fetch)
        headers[self._config.header] = f"{self._config.scheme} {token}".strip()
        return token

    def invalidate(self, used: str | None) -> None:
        """Drop the cached token if it is still the one the server refused."""
        if used is not None:
            self.cache.discard(self._key, used)

    def _fetch(self) -> tuple[str, float]:
        self._on_fetch()
        token, expires_in = fetch_token(self._config, self._post, self._masker)
        self._masker.add(token)
        return token, expires_in


class JwtAuthenticator(Authenticator):
    """Sign a JWT with the connection's key and send it as a bearer token; re-sign when half its life is used."""

    refreshable = True

    def __init__(self, config: JwtAuth, masker: Masker) -> None:
        self._config = config
        self._masker = masker
        self._signer = JwtSigner(config)
        self._lock = threading.Lock()
        self._token: str | None = None
        self._renew_at = 0.0
        masker.add(config.key)

    def apply(self, headers: dict[str, str], params: Params) -> str | None:
        """Add the current signed token."""
        with self._lock:
            now = time.time()
            if self._token is None or now >= self._renew_at or not self._signer.reusable:
                self._token = self._signer.sign(now)
                self._masker.add(self._token)
                self._renew_at = now + max(1.0, (self._config.lifetime or 60) / 2)
            token = self._token
        headers[self._config.header] = f"{self._config.scheme} {token}".strip()
        return token

    def invalidate(self, used: str | None) -> None:
        """Make the next request sign a new token."""
        with self._lock:
            if used == self._token:
                self._token = None


@dataclass(frozen=True)
class AuthContext:
    """What authenticators may need from the client: the masker, a token poster, a stats hook."""

    masker: Masker
    post: FormPoster
    on_token_fetch: Callable[[], None]


def build_authenticator(config: AuthConfig, context: AuthContext) -> Authenticator:
    """Return the authenticator for an auth config."""
    if isinstance(config, NoAuth):
        return Authenticator()
    if isinstance(config, ApiKeyAuth):
        return ApiKeyAuthenticator(config, context.masker)
    if isinstance(config, BasicAuth):
        return BasicAuthenticator(config, context.masker)
    if isinstance(config, BearerAuth):
        return BearerAuthenticator(config, context.masker)
    if isinstance(config, OAuth2Auth):
        return OAuth2Authenticator(config, context.masker, context.post, context.on_token_fetch)
    if isinstance(config, JwtAuth):
        return JwtAuthenticator(config, context.masker)
    raise SourceError(f"unknown authentication config {type(config).__name__}")


def _cache_key(config: OAuth2Auth) -> str:
    # The secrets are part of the key (hashed), so changed credentials never reuse an old token.
    parts: list[Any] = [
        config.token_url,
        config.grant_type,
        config.client_id,
        config.client_secret,
        config.username,
        config.password,
        config.scope,
        sorted(config.extra_params.items()),
    ]
    return hashlib.sha256(repr(parts).encode()).hexdigest()
