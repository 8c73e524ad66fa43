"""Self-signed JWTs: payload templates, iat/exp, keys in the forms users paste them, and safe errors."""

from __future__ import annotations

import base64

import jwt
import pytest

from openconnector.errors import SourceError
from openconnector.sources import JwtAuth
from openconnector.sources.jwt_signing import JwtSigner, render_payload
from tests.servers.certs import make_rsa_key

NOW = 1_800_000_000.0


def test_payload_placeholders() -> None:
    payload = {
        "iat": "{{ now }}",
        "nbf": "{{now - 30}}",
        "exp": "{{ now + 600 }}",
        "sub": "sync-{{ now }}",
        "jti": "{{ uuid }}",
    }
    claims = render_payload(payload, NOW)
    assert claims["iat"] == 1_800_000_000
    assert claims["nbf"] == 1_799_999_970
    assert claims["exp"] == 1_800_000_600
    assert claims["sub"] == "sync-1800000000"
    assert len(claims["jti"]) == 36


def test_unknown_placeholder_fails_when_the_signer_is_built() -> None:
    with pytest.raises(SourceError, match=r"jwt_payload: unknown placeholder '\{\{ user \}\}'"):
        JwtSigner(JwtAuth(algorithm="HS256", key="k" * 32, payload={"sub": "{{ user }}"}))


def test_iat_and_exp_are_added_unless_set() -> None:
    signer = JwtSigner(JwtAuth(algorithm="HS256", key="k" * 32, payload={"iss": "app"}, lifetime=120))
    claims = jwt.decode(
        signer.sign(NOW), "k" * 32, algorithms=["HS256"], options={"verify_exp": False, "verify_iat": False}
    )
    assert claims == {"iss": "app", "iat": 1_800_000_000, "exp": 1_800_000_120}
    fixed = JwtSigner(JwtAuth(algorithm="HS256", key="k" * 32, payload={"exp": 5}, lifetime=0))
    assert jwt.decode(fixed.sign(NOW), options={"verify_signature": False}) == {"exp": 5, "iat": 1_800_000_000}


@pytest.mark.parametrize("form", ["pem", "base64", "escaped-newlines"])
def test_private_key_forms(form: str) -> None:
    pem, public_key = make_rsa_key()
    key = {"pem": pem, "base64": base64.b64encode(pem.encode()).decode(), "escaped-newlines": pem.replace("\n", "\\n")}[
        form
    ]
    token = JwtSigner(JwtAuth(algorithm="RS256", key=key)).sign(NOW)
    assert jwt.decode(token, public_key, algorithms=["RS256"], options={"verify_exp": False, "verify_iat": False})


def test_a_bad_private_key_fails_without_echoing_it() -> None:
    with pytest.raises(SourceError) as caught:
        JwtSigner(JwtAuth(algorithm="RS256", key="not-a-key-TOPSECRET"))
    assert "needs a PEM private key" in str(caught.value)
    assert "TOPSECRET" not in str(caught.value)


def test_unsupported_algorithm() -> None:
    with pytest.raises(SourceError, match="jwt_algorithm 'none' is not supported"):
        JwtSigner(JwtAuth(algorithm="none", key="x"))
