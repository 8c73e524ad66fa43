"""The per-process OAuth2 token cache: one fetch per credentials, renewal before expiry, safe invalidation."""

from __future__ import annotations

from collections.abc import Callable

from openconnector.sources import OAuth2Auth
from openconnector.sources.oauth2 import TokenCache, token_request


def _fetcher(tokens: list[tuple[str, float]]) -> tuple[Callable[[], tuple[str, float]], list[int]]:
    calls: list[int] = []

    def fetch() -> tuple[str, float]:
        calls.append(1)
        return tokens[len(calls) - 1]

    return fetch, calls


def test_a_live_token_is_reused() -> None:
    cache = TokenCache()
    fetch, calls = _fetcher([("t1", 3600.0)])
    assert cache.get_or_fetch("k", fetch) == "t1"
    assert cache.get_or_fetch("k", fetch) == "t1"
    assert len(calls) == 1


def test_an_expired_token_is_replaced() -> None:
    cache = TokenCache()
    fetch, calls = _fetcher([("t1", 0.0), ("t2", 3600.0)])
    assert cache.get_or_fetch("k", fetch) == "t1"
    assert cache.get_or_fetch("k", fetch) == "t2"
    assert len(calls) == 2


def test_discard_only_drops_the_token_that_was_refused() -> None:
    cache = TokenCache()
    fetch, calls = _fetcher([("t1", 3600.0), ("t2", 3600.0)])
    cache.get_or_fetch("k", fetch)
    cache.discard("k", "stale-token-from-another-thread")
    assert cache.get_or_fetch("k", fetch) == "t1"
    cache.discard("k", "t1")
    assert cache.get_or_fetch("k", fetch) == "t2"


def test_token_request_forms() -> None:
    body_auth = OAuth2Auth(
        token_url="u", client_id="app", client_secret="s", scope="read", extra_params={"audience": "api"}
    )
    assert token_request(body_auth) == (
        {
            "grant_type": "client_credentials",
            "scope": "read",
            "client_id": "app",
            "client_secret": "s",
            "audience": "api",
        },
        None,
    )
    basic = OAuth2Auth(
        token_url="u",
        client_id="app",
        client_secret="s",
        grant_type="password",
        username="al",
        password="pw",
        client_auth="basic",
    )
    assert token_request(basic) == ({"grant_type": "password", "username": "al", "password": "pw"}, ("app", "s"))
