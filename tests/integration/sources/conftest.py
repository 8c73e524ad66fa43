"""Fixtures for source-client tests: loopback servers that are stopped when the test ends."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest

from openconnector.sources.auth import OAuth2Authenticator
from tests.servers.certs import Pki, make_pki
from tests.servers.loopback import App, LoopbackServer, Serve


@pytest.fixture
def serve() -> Iterator[Serve]:
    """Start ``app`` on a loopback port (HTTPS with ``ssl_context=``); every server stops after the test."""
    servers: list[LoopbackServer] = []

    def start(app: App, *, ssl_context: ssl.SSLContext | None = None) -> LoopbackServer:
        server = LoopbackServer(app, ssl_context=ssl_context).start()
        servers.append(server)
        if hasattr(app, "base"):
            app.base = server.url  # type: ignore[attr-defined]
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    """A CA with server and client certificates, made once per test session."""
    folder: Path = tmp_path_factory.mktemp("pki")
    return make_pki(folder)


@pytest.fixture(autouse=True)
def _fresh_token_cache() -> Iterator[None]:
    # Tokens are cached per process on purpose; tests must not see each other's.
    OAuth2Authenticator.cache.clear()
    yield
    OAuth2Authenticator.cache.clear()
