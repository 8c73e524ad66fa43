"""Sign the JWTs that self-signed bearer auth sends (ZGW APIs such as OpenZaak use HS256 this way).

The payload is a template: string values may contain ``{{ now }}``, ``{{ now + N }}``,
``{{ now - N }}`` (unix seconds) and ``{{ uuid }}``; a value that is only a ``now`` placeholder
becomes a number. ``iat`` and ``exp`` (``iat + lifetime``) are added unless the payload sets them.
The key is checked when the signer is built, so a bad key fails before any request is sent.
"""

from __future__ import annotations

import base64
import binascii
import re
import uuid
from collections.abc import Mapping
from typing import Any, Final

import jwt
from cryptography.hazmat.primitives import serialization

from openconnector.errors import SourceError
from openconnector.sources.connection import JwtAuth

HMAC_ALGORITHMS: Final = ("HS256", "HS384", "HS512")
KEY_ALGORITHMS: Final = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512")
ALGORITHMS: Final = HMAC_ALGORITHMS + KEY_ALGORITHMS
_PLACEHOLDER: Final = re.compile(r"\{\{\s*(.*?)\s*\}\}")
_NOW: Final = re.compile(r"now(?:\s*([+-])\s*(\d+))?")


class JwtSigner:
    """Build signed tokens from a :class:`JwtAuth` config."""

    def __init__(self, config: JwtAuth) -> None:
        if config.algorithm not in ALGORITHMS:
            raise SourceError(
                f"jwt_algorithm {config.algorithm!r} is not supported; use one of {', '.join(ALGORITHMS)}"
            )
        self._config = config
        self._key = _signing_key(config.algorithm, config.key)
        self._headers = dict(config.headers)
        self.reusable = "uuid" not in repr(config.payload)
        render_payload(config.payload, 0.0)  # fail now on an unknown placeholder

    def sign(self, now: float) -> str:
        """Return a token issued at ``now``."""
        claims = render_payload(self._config.payload, now)
        claims.setdefault("iat", int(now))
        if self._config.lifetime > 0:
            claims.setdefault("exp", int(now) + self._config.lifetime)
        return jwt.encode(claims, self._key, algorithm=self._config.algorithm, headers=self._headers or None)


def render_payload(payload: Mapping[str, Any], now: float) -> dict[str, Any]:
    """Return the claims of ``payload`` with its placeholders filled in."""
    return {key: _render(value, now) for key, value in payload.items()}


def _render(value: Any, now: float) -> Any:
    if isinstance(value, Mapping):
        return {key: _render(item, now) for key, item in value.items()}
    if isinstance(value, list):
        return [_render(item, now) for item in value]
    if not isinstance(value, str) or "{{" not in value:
        return value
    whole = _PLACEHOLDER.fullmatch(value.strip())
    if whole and _NOW.fullmatch(whole.group(1)):
        return _placeholder(whole.group(1), now)
    return _PLACEHOLDER.sub(lambda match: str(_placeholder(match.group(1), now)), value)


def _placeholder(name: str, now: float) -> int | str:
    if name == "uuid":
        return str(uuid.uuid4())
    match = _NOW.fullmatch(name)
    if match is None:
        raise SourceError(
            f"jwt_payload: unknown placeholder '{{{{ {name} }}}}'; use {{{{ now }}}}, {{{{ now + N }}}}, "
            "{{ now - N }} or {{ uuid }}"
        )
    sign, amount = match.groups()
    offset = int(amount or 0) * (-1 if sign == "-" else 1)
    return int(now) + offset


def _signing_key(algorithm: str, key: str) -> Any:
    if not key:
        raise SourceError("jwt auth needs a key: put the secret or private key in the connection's password")
    if algorithm in HMAC_ALGORITHMS:
        return key.encode()
    pem = _pem_text(key)
    try:
        return serialization.load_pem_private_key(pem.encode(), password=None)
    except (ValueError, TypeError) as exc:
        # The message of cryptography never contains the key; ours must not either.
        raise SourceError(
            f"jwt auth with {algorithm} needs a PEM private key (unencrypted, PEM text or base64 of it) "
            f"in the connection's password; it could not be loaded: {exc.__class__.__name__}"
        ) from None


def _pem_text(key: str) -> str:
    text = key.strip().replace("\\n", "\n")
    if "-----BEGIN" in text:
        return text
    try:
        # OpenConnector stores the key as base64 of the PEM text.
        return base64.b64decode(text, validate=False).decode()
    except (binascii.Error, UnicodeDecodeError):
        return text
