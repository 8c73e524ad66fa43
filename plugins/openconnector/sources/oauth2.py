"""OAuth2 token requests (client credentials and password grant) and the per-process token cache.

OpenConnector fetches a new token for every single call; we cache each token until shortly before it
expires, share it between all clients of the same credentials in the process, and get a new one when
the API answers 401 (the caller retries that request once).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Final

import orjson

from openconnector.core.paths import MISSING, get_path
from openconnector.errors import SourceError, SourceUnavailable
from openconnector.sources.connection import OAuth2Auth
from openconnector.sources.masking import Masker, excerpt
from openconnector.sources.response import HttpResponse

#: POST a form to a URL, optionally with Basic credentials; retries like any request, never raises on status.
FormPoster = Callable[[str, dict[str, str], tuple[str, str] | None], HttpResponse]

#: Renew this many seconds (at most 10% of the lifetime) before a token expires, against clock skew.
_EXPIRY_MARGIN: Final = 30.0


class TokenCache:
    """Tokens by credential key, each until its expiry; one fetch at a time per key."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tokens: dict[str, tuple[str, float]] = {}
        self._key_locks: dict[str, threading.Lock] = {}

    def get_or_fetch(self, key: str, fetch: Callable[[], tuple[str, float]]) -> str:
        """Return the cached token for ``key``, or fetch, cache and return a new one.

        ``fetch`` returns ``(token, expires_in_seconds)``.
        """
        with self._lock:
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        with key_lock:
            cached = self._tokens.get(key)
            if cached is not None and time.monotonic() < cached[1]:
                return cached[0]
            token, expires_in = fetch()
            margin = min(_EXPIRY_MARGIN, expires_in / 10)
            self._tokens[key] = (token, time.monotonic() + expires_in - margin)
            return token

    def discard(self, key: str, token: str) -> None:
        """Forget ``token`` unless another thread already replaced it with a new one."""
        with self._lock:
            cached = self._tokens.get(key)
            if cached is not None and cached[0] == token:
                del self._tokens[key]

    def clear(self) -> None:
        """Forget every token (tests; a process that rotated credentials)."""
        with self._lock:
            self._tokens.clear()


def token_request(config: OAuth2Auth) -> tuple[dict[str, str], tuple[str, str] | None]:
    """Return the form fields and optional Basic credentials of a token request."""
    form: dict[str, str] = {"grant_type": config.grant_type}
    if config.scope:
        form["scope"] = config.scope
    if config.grant_type == "password":
        form["username"] = config.username
        form["password"] = config.password
    basic = None
    if config.client_auth == "basic":
        basic = (config.client_id, config.client_secret)
    else:
        form["client_id"] = config.client_id
        if config.client_secret:
            form["client_secret"] = config.client_secret
    form.update(config.extra_params)
    return form, basic


def fetch_token(config: OAuth2Auth, post: FormPoster, masker: Masker) -> tuple[str, float]:
    """Request a token; return it with its lifetime in seconds.

    :raises SourceError: the token server refused (4xx) or answered without a token.
    :raises SourceUnavailable: the token server could not be reached or kept failing.
    """
    form, basic = token_request(config)
    response = post(config.token_url, form, basic)
    where = f"OAuth2 token request POST {masker.url(config.token_url)}"
    if not response.ok:
        error = SourceUnavailable if response.status >= 500 or response.status == 429 else SourceError
        raise error(
            f"{where}: HTTP {response.status} {response.reason}; body starts: "
            f"{excerpt(response.content, masker)!r}. Check token_url, client_id, client_secret, scope "
            f"(and username/password for the password grant) of the source connection."
        )
    try:
        body = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        raise SourceError(
            f"{where}: HTTP {response.status} but the body is not JSON; starts: {excerpt(response.content, masker)!r}"
        ) from None
    token = get_path(body, config.token_path) if isinstance(body, dict) else MISSING
    if not isinstance(token, str) or not token:
        keys = ", ".join(repr(k) for k in body) if isinstance(body, dict) else type(body).__name__
        raise SourceError(
            f"{where}: no token at token_path {config.token_path!r}; the response has keys: {keys}. "
            "Set token_path on the source connection."
        )
    return token, _expires_in(body, config.default_expires_in)


def _expires_in(body: dict[str, object], default: float) -> float:
    value = body.get("expires_in")
    try:
        seconds = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return default
    return seconds if seconds > 0 else default
