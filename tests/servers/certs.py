"""A throw-away PKI for TLS tests: a CA, a server certificate for 127.0.0.1 and a client certificate."""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


@dataclass(frozen=True)
class Pki:
    """PEM texts of a CA, a server pair and a client pair, and files of the server side."""

    ca_cert: str
    server_cert_file: Path
    server_key_file: Path
    ca_file: Path
    client_cert: str
    client_key: str
    client_key_encrypted: str
    client_key_password: str

    def server_context(self, *, require_client_cert: bool) -> ssl.SSLContext:
        """Return the server's TLS context; with ``require_client_cert`` it demands a CA-signed client cert."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.server_cert_file, self.server_key_file)
        if require_client_cert:
            context.verify_mode = ssl.CERT_REQUIRED
            context.load_verify_locations(cafile=str(self.ca_file))
        return context


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _pem(key: ec.EllipticCurvePrivateKey, password: bytes | None = None) -> str:
    encryption = serialization.BestAvailableEncryption(password) if password else serialization.NoEncryption()
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption).decode()


def _cert(
    subject: str, key: ec.EllipticCurvePrivateKey, issuer: x509.Name, issuer_key: ec.EllipticCurvePrivateKey
) -> x509.CertificateBuilder:
    now = dt.datetime.now(dt.timezone.utc)
    return (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
    )


def _ca() -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        _cert("openconnector test CA", key, _name("openconnector test CA"), key)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return cert, key


def _leaf(
    subject: str, usage: x509.ObjectIdentifier, ca: x509.Certificate, ca_key: ec.EllipticCurvePrivateKey
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    builder = (
        _cert(subject, key, ca.subject, ca_key)
        .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
    )
    if usage == ExtendedKeyUsageOID.SERVER_AUTH:
        names = [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    return builder.sign(ca_key, hashes.SHA256()), key


def make_pki(folder: Path) -> Pki:
    """Create the CA, server and client certificates in ``folder``."""
    ca, ca_key = _ca()
    server, server_key = _leaf("127.0.0.1", ExtendedKeyUsageOID.SERVER_AUTH, ca, ca_key)
    client, client_key = _leaf("sync-client", ExtendedKeyUsageOID.CLIENT_AUTH, ca, ca_key)
    ca_pem = ca.public_bytes(serialization.Encoding.PEM).decode()
    (folder / "ca.pem").write_text(ca_pem)
    (folder / "server.pem").write_text(server.public_bytes(serialization.Encoding.PEM).decode())
    (folder / "server.key").write_text(_pem(server_key))
    return Pki(
        ca_cert=ca_pem,
        server_cert_file=folder / "server.pem",
        server_key_file=folder / "server.key",
        ca_file=folder / "ca.pem",
        client_cert=client.public_bytes(serialization.Encoding.PEM).decode(),
        client_key=_pem(client_key),
        client_key_encrypted=_pem(client_key, b"s3cret-pass"),
        client_key_password="s3cret-pass",
    )


def make_rsa_key() -> tuple[str, rsa.RSAPublicKey]:
    """Return a fresh RSA private key as PEM text, and its public key (for RS256/PS256 JWT tests)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return _pem(key), key.public_key()  # type: ignore[arg-type]
