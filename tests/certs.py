"""Test certificates made with ``cryptography``: a CA, server and client certificates, and the
odd ones the TLS tests need (a foreign CA, SHA-384 and SHA-512 signatures, a CN-only server
certificate, an encrypted client key).

Everything is PEM bytes in a :class:`PKI`; :meth:`PKI.write` puts it in a directory.
EC P-256 keys keep generation fast; one RSA CA gives the sha512WithRSAEncryption signature.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
from dataclasses import dataclass, field
from typing import Union

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CLIENT_KEY_PASSWORD = "key pass phrase"
SERVER_NAMES = ("localhost", "127.0.0.1", "::1")

_Key = Union[ec.EllipticCurvePrivateKey, rsa.RSAPrivateKey]


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _key_pem(key: _Key, password: str | None = None) -> bytes:
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(password.encode())
        if password
        else serialization.NoEncryption()
    )
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    )


def _cert_pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


@dataclass
class Issued:
    """A certificate and its key (PEM)."""

    cert: bytes
    key: bytes
    certificate: x509.Certificate = field(repr=False)
    private_key: _Key = field(repr=False)


def _issue(
    subject: str,
    issuer: Issued | None,
    *,
    key: _Key | None = None,
    names: tuple[str, ...] = (),
    is_ca: bool = False,
    client: bool = False,
    digest: hashes.HashAlgorithm | None = None,
) -> Issued:
    """A certificate for ``subject`` signed by ``issuer`` (self-signed when None)."""
    key = key or ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    signer = issuer.private_key if issuer else key
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(issuer.certificate.subject if issuer else _name(subject))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=is_ca, path_length=None), critical=True)
    )
    if is_ca:
        builder = builder.add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        ).add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
    else:
        usage = ExtendedKeyUsageOID.CLIENT_AUTH if client else ExtendedKeyUsageOID.SERVER_AUTH
        builder = builder.add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
    if names:
        general: list[x509.GeneralName] = []
        for name in names:
            try:
                general.append(x509.IPAddress(ipaddress.ip_address(name)))
            except ValueError:
                general.append(x509.DNSName(name))
        builder = builder.add_extension(x509.SubjectAlternativeName(general), critical=False)
    cert = builder.sign(signer, digest or hashes.SHA256())
    return Issued(_cert_pem(cert), _key_pem(key), cert, key)


@dataclass
class PKI:
    """Every certificate the TLS tests use."""

    ca: Issued
    rsa_ca: Issued
    wrong_ca: Issued
    server: Issued
    server_sha384: Issued
    server_sha512: Issued
    server_cn_only: Issued
    client: Issued
    client_encrypted_key: bytes

    @property
    def roots(self) -> bytes:
        """Both CAs the servers' certificates chain to, as one sslrootcert file."""
        return self.ca.cert + self.rsa_ca.cert

    def write(self, directory: str) -> dict[str, str]:
        """Writes the files (keys 0600); returns name -> path."""
        files = {
            "ca.crt": self.ca.cert,
            "roots.crt": self.roots,
            "wrong_ca.crt": self.wrong_ca.cert,
            "server.crt": self.server.cert,
            "server.key": self.server.key,
            "client.crt": self.client.cert,
            "client.key": self.client.key,
            "client_encrypted.key": self.client_encrypted_key,
        }
        paths = {}
        for name, data in files.items():
            path = os.path.join(directory, name)
            with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as f:
                f.write(data)
            paths[name] = path
        return paths


def make_pki(client_role: str) -> PKI:
    """A fresh PKI; the client certificate's CN is ``client_role`` (what pg_hba ``cert``
    checks)."""
    ca = _issue("pgdbapi test CA", None, is_ca=True)
    rsa_ca = _issue(
        "pgdbapi test RSA CA",
        None,
        key=rsa.generate_private_key(public_exponent=65537, key_size=2048),
        is_ca=True,
    )
    client_key = ec.generate_private_key(ec.SECP256R1())
    return PKI(
        ca=ca,
        rsa_ca=rsa_ca,
        wrong_ca=_issue("pgdbapi wrong CA", None, is_ca=True),
        server=_issue("localhost", ca, names=SERVER_NAMES),
        server_sha384=_issue("localhost", ca, names=SERVER_NAMES, digest=hashes.SHA384()),
        server_sha512=_issue("localhost", rsa_ca, names=SERVER_NAMES, digest=hashes.SHA512()),
        server_cn_only=_issue("db.example.test", ca),
        client=_issue(client_role, ca, key=client_key, client=True),
        client_encrypted_key=_key_pem(client_key, CLIENT_KEY_PASSWORD),
    )


def make_crl(issuer: Issued, revoked: tuple[x509.Certificate, ...] = ()) -> bytes:
    """A PEM CRL from ``issuer`` listing ``revoked``."""
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(issuer.certificate.subject)
        .last_update(now - datetime.timedelta(days=1))
        .next_update(now + datetime.timedelta(days=30))
    )
    for cert in revoked:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder()
            .serial_number(cert.serial_number)
            .revocation_date(now - datetime.timedelta(hours=1))
            .build()
        )
    crl = builder.sign(issuer.private_key, hashes.SHA256())
    return crl.public_bytes(serialization.Encoding.PEM)
