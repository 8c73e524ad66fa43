"""TLS: a custom CA, a client certificate the server requires (mTLS), and what happens without them."""

from __future__ import annotations

import pytest

from openconnector.errors import SourceError
from openconnector.sources import TlsConfig
from tests.servers.certs import Pki
from tests.servers.helpers import connection, fetch_all, source_spec
from tests.servers.loopback import Serve
from tests.servers.small_api import SmallApi

SPEC = source_spec(resultsPosition="results", pagination={"type": "pageNumber", "totalPagesPath": "total_pages"})


def test_mtls_with_client_certificate_and_custom_ca(serve: Serve, pki: Pki) -> None:
    server = serve(SmallApi(7, 3), ssl_context=pki.server_context(require_client_cert=True))
    tls = TlsConfig(ca_cert=pki.ca_cert, client_cert=pki.client_cert, client_key=pki.client_key)
    objects, _ = fetch_all(SPEC, connection(server.url, tls=tls))
    assert len(objects) == 7
    assert server.requests[0].peer_cert is not None
    subject = dict(pair[0] for pair in server.requests[0].peer_cert["subject"])
    assert subject["commonName"] == "sync-client"


def test_mtls_with_an_encrypted_client_key_and_its_password(serve: Serve, pki: Pki) -> None:
    server = serve(SmallApi(7, 3), ssl_context=pki.server_context(require_client_cert=True))
    tls = TlsConfig(
        ca_cert=pki.ca_cert,
        client_cert=pki.client_cert,
        client_key=pki.client_key_encrypted,
        client_key_password=pki.client_key_password,
    )
    objects, _ = fetch_all(SPEC, connection(server.url, tls=tls))
    assert len(objects) == 7


def test_server_requiring_a_client_certificate_refuses_a_client_without_one(serve: Serve, pki: Pki) -> None:
    server = serve(SmallApi(7, 3), ssl_context=pki.server_context(require_client_cert=True))
    with pytest.raises(SourceError) as caught:
        fetch_all(SPEC, connection(server.url, name="zgw", tls=TlsConfig(ca_cert=pki.ca_cert)))
    message = str(caught.value)
    assert "GET /api/companies" in message
    assert "client_cert" in message
    assert server.requests == []


def test_server_certificate_from_an_unknown_ca_is_refused_without_ca_cert(serve: Serve, pki: Pki) -> None:
    server = serve(SmallApi(7, 3), ssl_context=pki.server_context(require_client_cert=False))
    with pytest.raises(SourceError) as caught:
        fetch_all(SPEC, connection(server.url))
    assert "TLS handshake failed" in str(caught.value)
    assert "ca_cert" in str(caught.value)


def test_custom_ca_alone_is_enough_for_a_server_without_mtls(serve: Serve, pki: Pki) -> None:
    server = serve(SmallApi(7, 3), ssl_context=pki.server_context(require_client_cert=False))
    objects, _ = fetch_all(SPEC, connection(server.url, tls=TlsConfig(ca_cert=pki.ca_cert)))
    assert len(objects) == 7
