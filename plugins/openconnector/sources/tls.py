"""Turn a connection's TLS settings into what ``requests`` takes: a CA bundle path and a client cert pair.

Connections usually hold PEM *text* (that is what fits in an Airflow connection, and what OpenConnector
stores), while ``requests`` wants files. PEM text is written to a private temporary folder (mode 0700,
files 0600) for the lifetime of the client and removed on close. An encrypted client key is decrypted
in memory first, because ``requests`` cannot pass a key password.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from pathlib import Path

from cryptography.hazmat.primitives import serialization

from openconnector.errors import SourceError
from openconnector.sources.connection import TlsConfig

log = logging.getLogger(__name__)


class TlsFiles:
    """Materialise TLS settings; :attr:`verify` and :attr:`cert` are ready for a ``requests.Session``."""

    def __init__(self, config: TlsConfig, label: str) -> None:
        self._label = label
        self._dir: Path | None = None
        self.verify: bool | str = config.verify
        self.cert: tuple[str, str] | str | None = None
        if not config.verify:
            log.warning("TLS certificate verification is off for %s", label)
        elif config.ca_cert:
            self.verify = self._file(config.ca_cert, "ca_cert.pem", "ca_cert")
        if config.client_cert:
            self.cert = self._client_pair(config)
        elif config.client_key:
            raise SourceError(f"{label}: client_key is set but client_cert is not; set both for mTLS")

    def close(self) -> None:
        """Remove the temporary files."""
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None

    def _client_pair(self, config: TlsConfig) -> tuple[str, str] | str:
        cert = self._file(config.client_cert or "", "client_cert.pem", "client_cert")
        if not config.client_key:
            return cert  # the key is in the same PEM
        if config.client_key_password:
            return cert, self._write("client_key.pem", _decrypt_key(config, self._label))
        return cert, self._file(config.client_key, "client_key.pem", "client_key")

    def _file(self, value: str, name: str, field: str) -> str:
        if "-----BEGIN" in value:
            return self._write(name, value.replace("\\n", "\n").strip() + "\n")
        if Path(value).is_file():
            return value
        raise SourceError(
            f"{self._label}: {field} is neither PEM text (-----BEGIN ...) nor an existing file path; "
            "paste the PEM text into the connection field"
        )

    def _write(self, name: str, text: str) -> str:
        if self._dir is None:
            self._dir = Path(tempfile.mkdtemp(prefix="openconnector-tls-"))
        path = self._dir / name
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
        return str(path)


def _decrypt_key(config: TlsConfig, label: str) -> str:
    source = config.client_key or ""
    data = source.replace("\\n", "\n").encode() if "-----BEGIN" in source else Path(source).read_bytes()
    try:
        key = serialization.load_pem_private_key(data, password=(config.client_key_password or "").encode())
    except (ValueError, TypeError) as exc:
        raise SourceError(
            f"{label}: client_key could not be decrypted with client_key_password ({exc.__class__.__name__})"
        ) from None
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
