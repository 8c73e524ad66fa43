"""Every authentication type against a loopback server that really checks the credentials."""

from __future__ import annotations

import base64

import jwt
import pytest

from devkit.demo_source import DemoSource
from openconnector.errors import SourceError
from openconnector.sources import (
    ApiKeyAuth,
    BasicAuth,
    BearerAuth,
    JwtAuth,
    OAuth2Auth,
    SourceClient,
)
from tests.servers.auth_checks import JwtVerifier, OAuthIssuer, basic_is, bearer_is, query_is
from tests.servers.certs import make_rsa_key
from tests.servers.helpers import connection, fetch_all, source_spec
from tests.servers.loopback import Serve
from tests.servers.small_api import TOKEN_PATH, SmallApi

SPEC = source_spec(resultsPosition="results", pagination={"type": "pageNumber", "totalPagesPath": "total_pages"})


def _ids(objects: list[dict]) -> list[int]:
    return [obj["id"] for obj in objects]


def test_no_auth_reads_an_open_api(serve: Serve) -> None:
    server = serve(SmallApi(7, 3))
    objects, _ = fetch_all(SPEC, connection(server.url))
    assert _ids(objects) == list(range(1, 8))


def test_api_key_in_a_header_is_sent_with_every_page() -> None:
    with DemoSource(count=30, page_size=10, required_headers={"X-Api-Key": "k-123456"}) as demo:
        spec = source_spec(resultsPosition="data.items", pagination={"type": "nextLink", "nextPath": "links.next"})
        objects, stats = fetch_all(spec, connection(demo.url, auth=ApiKeyAuth(key="k-123456")))
    assert len(objects) == 30
    assert stats["pages"] == 3


def test_api_key_in_the_query_is_sent_with_every_page_and_masked_in_page_urls(serve: Serve) -> None:
    server = serve(SmallApi(7, 3, auth=query_is("api_key", "q-secret-key")))
    conn = connection(server.url, auth=ApiKeyAuth(key="q-secret-key", name="api_key", location="query"))
    with SourceClient(SPEC, conn) as client:
        pages = list(client.pages())
    assert sum(len(p.objects) for p in pages) == 7
    assert all(r.query.get("api_key") == "q-secret-key" for r in server.requests)
    assert all("q-secret-key" not in p.url for p in pages)


def test_basic_auth(serve: Serve) -> None:
    server = serve(SmallApi(7, 3, auth=basic_is("reader", "pa55word")))
    objects, _ = fetch_all(SPEC, connection(server.url, auth=BasicAuth("reader", "pa55word")))
    assert len(objects) == 7


def test_wrong_basic_password_fails_with_a_hint_and_no_secret(serve: Serve) -> None:
    server = serve(SmallApi(7, 3, auth=basic_is("reader", "pa55word")))
    with pytest.raises(SourceError) as caught:
        fetch_all(SPEC, connection(server.url, name="crm", auth=BasicAuth("reader", "wrong-pass")))
    message = str(caught.value)
    assert "GET /api/companies?page=1: HTTP 401" in message
    assert "Airflow connection 'crm'" in message
    assert "wrong-pass" not in message
    assert len(server.requests) == 1  # a 401 with static credentials is not retried


def test_static_bearer_token(serve: Serve) -> None:
    server = serve(SmallApi(7, 3, auth=bearer_is("static-token-1")))
    objects, _ = fetch_all(SPEC, connection(server.url, auth=BearerAuth("static-token-1")))
    assert len(objects) == 7


def _oauth_api(serve: Serve, issuer: OAuthIssuer) -> tuple[SmallApi, str]:
    api = SmallApi(7, 3, auth=issuer.check, token_endpoint=issuer)
    server = serve(api)
    return api, server.url


@pytest.mark.parametrize("client_auth", ["body", "basic"])
def test_oauth2_client_credentials(serve: Serve, client_auth: str) -> None:
    issuer = OAuthIssuer(clients={"sync-app": "app-secret"}, client_auth=client_auth, scope="read")
    _, url = _oauth_api(serve, issuer)
    auth = OAuth2Auth(
        token_url=url + TOKEN_PATH,
        client_id="sync-app",
        client_secret="app-secret",
        scope="read",
        client_auth=client_auth,
    )
    objects, stats = fetch_all(SPEC, connection(url, auth=auth))
    assert len(objects) == 7
    assert issuer.token_requests == 1  # one token for all three pages
    assert stats["token_requests"] == 1
    assert ("client_secret" in issuer.forms[0]) is (client_auth == "body")


def test_oauth2_password_grant(serve: Serve) -> None:
    issuer = OAuthIssuer(clients={"sync-app": "app-secret"}, users={"alice": "alice-pw"})
    _, url = _oauth_api(serve, issuer)
    auth = OAuth2Auth(
        token_url=url + TOKEN_PATH,
        client_id="sync-app",
        client_secret="app-secret",
        grant_type="password",
        username="alice",
        password="alice-pw",
    )
    objects, _ = fetch_all(SPEC, connection(url, auth=auth))
    assert len(objects) == 7
    assert issuer.forms[0]["grant_type"] == "password"


def test_oauth2_token_is_cached_per_process_across_clients(serve: Serve) -> None:
    issuer = OAuthIssuer(clients={"sync-app": "app-secret"})
    _, url = _oauth_api(serve, issuer)
    auth = OAuth2Auth(token_url=url + TOKEN_PATH, client_id="sync-app", client_secret="app-secret")
    fetch_all(SPEC, connection(url, auth=auth))
    fetch_all(SPEC, connection(url, auth=auth))
    assert issuer.token_requests == 1


def test_oauth2_expired_token_is_refreshed_once_on_401(serve: Serve) -> None:
    issuer = OAuthIssuer(clients={"sync-app": "app-secret"})
    _, url = _oauth_api(serve, issuer)
    auth = OAuth2Auth(token_url=url + TOKEN_PATH, client_id="sync-app", client_secret="app-secret")
    with SourceClient(SPEC, connection(url, auth=auth), prefetch=0) as client:
        pages = client.pages()
        first = next(pages)
        issuer.revoke_all()  # the server forgets the token mid-run, as an expiry would
        rest = list(pages)
    assert len(first.objects) + sum(len(p.objects) for p in rest) == 7
    assert issuer.token_requests == 2


def test_oauth2_refused_credentials_fail_with_the_token_servers_answer_masked(serve: Serve) -> None:
    issuer = OAuthIssuer(clients={"sync-app": "app-secret"})
    _, url = _oauth_api(serve, issuer)
    auth = OAuth2Auth(token_url=url + TOKEN_PATH, client_id="sync-app", client_secret="not-the-secret")
    with pytest.raises(SourceError) as caught:
        fetch_all(SPEC, connection(url, auth=auth))
    message = str(caught.value)
    assert "OAuth2 token request POST /oauth/token: HTTP 401" in message
    assert "invalid_client" in message
    assert "not-the-secret" not in message


def test_oauth2_token_refused_twice_fails_instead_of_looping(serve: Serve) -> None:
    issuer = OAuthIssuer(clients={"sync-app": "app-secret"})
    api = SmallApi(7, 3, auth=lambda request: False, token_endpoint=issuer)
    server = serve(api)
    auth = OAuth2Auth(token_url=server.url + TOKEN_PATH, client_id="sync-app", client_secret="app-secret")
    with pytest.raises(SourceError, match="HTTP 401"):
        fetch_all(SPEC, connection(server.url, auth=auth))
    assert issuer.token_requests == 2  # the first token, and one refresh; then the 401 stands


ZGW_CLAIMS = {"iss": "sync-app", "client_id": "sync-app", "user_id": "sync", "user_representation": "Sync"}


@pytest.mark.parametrize("algorithm", ["HS256", "HS512"])
def test_jwt_signed_with_a_shared_secret(serve: Serve, algorithm: str) -> None:
    secret = "a-shared-secret-of-at-least-64-bytes-for-hs512-" + "x" * 20
    verifier = JwtVerifier(secret, algorithm, claims=ZGW_CLAIMS)
    server = serve(SmallApi(7, 3, auth=verifier))
    auth = JwtAuth(algorithm=algorithm, key=secret, payload=ZGW_CLAIMS, lifetime=300)
    objects, _ = fetch_all(SPEC, connection(server.url, auth=auth))
    assert len(objects) == 7
    claims = verifier.verified[0]
    assert claims["exp"] - claims["iat"] == 300


@pytest.mark.parametrize("algorithm", ["RS256", "PS256"])
def test_jwt_signed_with_a_private_key(serve: Serve, algorithm: str) -> None:
    private_pem, public_key = make_rsa_key()
    verifier = JwtVerifier(public_key, algorithm, claims={"iss": "sync-app"})
    server = serve(SmallApi(7, 3, auth=verifier))
    # OpenConnector stores the key base64-encoded; both that and plain PEM are accepted.
    key = base64.b64encode(private_pem.encode()).decode() if algorithm == "PS256" else private_pem
    payload = {"iss": "sync-app", "jti": "{{ uuid }}", "nbf": "{{ now - 5 }}"}
    auth = JwtAuth(algorithm=algorithm, key=key, payload=payload, headers={"kid": "key-1"})
    objects, _ = fetch_all(SPEC, connection(server.url, auth=auth))
    assert len(objects) == 7
    assert verifier.headers[0]["kid"] == "key-1"
    assert len({claims["jti"] for claims in verifier.verified}) == len(verifier.verified)  # fresh jti per request


def test_jwt_with_the_wrong_secret_is_refused(serve: Serve) -> None:
    server = serve(SmallApi(7, 3, auth=JwtVerifier("the-right-secret-0123456789abcdef", "HS256")))
    auth = JwtAuth(algorithm="HS256", key="a-wrong-secret-0123456789abcdefgh")
    with pytest.raises(SourceError) as caught:
        fetch_all(SPEC, connection(server.url, auth=auth))
    assert "HTTP 401" in str(caught.value)
    assert "a-wrong-secret" not in str(caught.value)
    token = server.requests[0].header("Authorization").removeprefix("Bearer ")
    assert token not in str(caught.value)
    assert jwt.get_unverified_header(token)["alg"] == "HS256"


def test_extra_static_headers_and_query_go_with_every_request(serve: Serve) -> None:
    server = serve(SmallApi(7, 3))
    conn = connection(server.url, headers={"Accept-Crs": "EPSG:4326"}, query={"expand": "owner"})
    fetch_all(SPEC, conn)
    assert all(r.header("Accept-Crs") == "EPSG:4326" and r.query["expand"] == "owner" for r in server.requests)
