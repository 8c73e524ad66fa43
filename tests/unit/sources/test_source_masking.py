"""Secrets never reach a message: known values in any encoding, and secret-looking query parameters."""

from __future__ import annotations

from openconnector.sources import ApiKeyAuth, JwtAuth, OAuth2Auth, SourceConnection, TlsConfig
from openconnector.sources.masking import Masker, excerpt


def test_known_secrets_are_masked_plain_url_encoded_and_as_basic_auth() -> None:
    masker = Masker(["p@ss word/1"])
    masker.add_basic("reader", "p@ss word/1")
    text = "pw=p@ss word/1 q=p%40ss%20word%2F1 f=p%40ss+word%2F1 h=Basic cmVhZGVyOnBAc3Mgd29yZC8x"
    assert masker.text(text) == "pw=*** q=*** f=*** h=Basic ***"


def test_short_values_are_not_treated_as_secrets() -> None:
    assert Masker(["abc"]).text("abc abc") == "abc abc"


def test_urls_lose_scheme_and_host_and_secret_looking_parameters() -> None:
    masker = Masker(["k-secret-1"])
    url = "https://api.example.org/v1/items?page=2&api_key=unknown-to-masker&access_token=t&q=k-secret-1"
    assert masker.url(url) == "/v1/items?page=2&api_key=***&access_token=***&q=***"


def test_excerpt_is_one_masked_line() -> None:
    body = b'{"error": "bad token tok-SECRET-9",\n  "detail": "' + b"x" * 1000 + b'"}'
    text = excerpt(body, Masker(["tok-SECRET-9"]), limit=60)
    assert text.startswith('{"error": "bad token ***", "detail": "xxx')
    assert text.endswith("…")
    assert "\n" not in text


def test_connection_repr_never_shows_secrets() -> None:
    connection = SourceConnection(
        base_url="https://api.example.org",
        name="crm",
        auth=OAuth2Auth(token_url="https://idp/token", client_id="app", client_secret="cs-TOPSECRET"),
        headers={"X-Api-Key": "hk-TOPSECRET", "Accept": "application/json"},
        tls=TlsConfig(client_key="-----BEGIN PRIVATE KEY-----TOPSECRET"),
    )
    shown = repr(connection) + str(connection)
    assert "TOPSECRET" not in shown
    assert "application/json" in shown
    assert set(connection.secrets()) >= {"cs-TOPSECRET", "hk-TOPSECRET", "-----BEGIN PRIVATE KEY-----TOPSECRET"}
    assert "jwt-TOPSECRET" not in repr(JwtAuth(algorithm="HS256", key="jwt-TOPSECRET"))
    assert "ak-TOPSECRET" not in repr(ApiKeyAuth(key="ak-TOPSECRET"))


def test_every_secret_is_reported_to_the_listener() -> None:
    heard: list[str] = []
    masker = Masker(["initial-secret"], on_secret=heard.append)
    masker.add("token-obtained-later", None, "ab")
    assert heard == ["initial-secret", "token-obtained-later"]
