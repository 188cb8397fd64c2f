"""Answers the server's Authentication requests: cleartext, MD5 and SCRAM-SHA-256(-PLUS).

Sans-I/O, like the protocol core: the connection hands each ``R`` message (subtype and the rest
of its body) to :meth:`Authenticator.respond` and sends back whatever body it returns as a ``p``
message; on AuthenticationOk it calls :meth:`Authenticator.finish`. The policy knobs mirror
libpq's ``channel_binding`` and ``require_auth`` (protocol reference: auth.md).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import stringprep
import struct
import unicodedata
from typing import Callable, NoReturn

from pgdbapi import gss
from pgdbapi.exceptions import OperationalError
from pgdbapi.gss import GssClient

__all__ = [
    "Authenticator",
    "ScramClient",
    "SASLprepError",
    "saslprep",
    "scram_password",
    "md5_password_response",
    "tls_server_end_point",
    "certificate_signature_digest",
    "make_client_nonce",
]

# Authentication request subtypes (auth.md §2).
AUTH_OK = 0
AUTH_KERBEROS_V4 = 1
AUTH_KERBEROS_V5 = 2
AUTH_CLEARTEXT_PASSWORD = 3
AUTH_CRYPT = 4
AUTH_MD5_PASSWORD = 5
AUTH_SCM_CREDENTIALS = 6
AUTH_GSS = 7
AUTH_GSS_CONTINUE = 8
AUTH_SSPI = 9
AUTH_SASL = 10
AUTH_SASL_CONTINUE = 11
AUTH_SASL_FINAL = 12

SCRAM_SHA_256 = "SCRAM-SHA-256"
SCRAM_SHA_256_PLUS = "SCRAM-SHA-256-PLUS"

CHANNEL_BINDING_MODES = ("disable", "prefer", "require")
REQUIRE_AUTH_METHODS = ("password", "md5", "gss", "sspi", "scram-sha-256", "oauth", "none")

# Requests this driver refuses outright, and why (auth.md §2.1).
_REFUSED: dict[int, str] = {
    AUTH_KERBEROS_V4: "server requested Kerberos V4 authentication, which is not supported",
    AUTH_KERBEROS_V5: "server requested Kerberos V5 authentication, which is not supported",
    AUTH_CRYPT: "server requested crypt authentication, which is not supported",
    AUTH_SCM_CREDENTIALS: (
        "server requested SCM credentials authentication, which is not supported any more"
    ),
    AUTH_SSPI: "SSPI authentication is not supported yet",
}
_GSS_CODES = (AUTH_GSS, AUTH_GSS_CONTINUE)
_GSS_REFUSED = "GSSAPI authentication is not supported yet"

# For require_auth: which methods allow a request, and how libpq words the refusal.
_SASL_METHODS = frozenset({"scram-sha-256", "oauth"})
_REQUEST_KINDS: dict[int, tuple[frozenset[str], str]] = {
    AUTH_CLEARTEXT_PASSWORD: (frozenset({"password"}), "a cleartext password"),
    AUTH_MD5_PASSWORD: (frozenset({"md5"}), "a hashed password"),
    AUTH_GSS: (frozenset({"gss"}), "GSSAPI authentication"),
    AUTH_GSS_CONTINUE: (frozenset({"gss", "sspi"}), "GSSAPI authentication"),
    AUTH_SSPI: (frozenset({"sspi"}), "SSPI authentication"),
    AUTH_SASL: (_SASL_METHODS, "SASL authentication"),
    AUTH_SASL_CONTINUE: (_SASL_METHODS, "SASL authentication"),
    AUTH_SASL_FINAL: (_SASL_METHODS, "SASL authentication"),
}
_SASL_CODES = (AUTH_SASL, AUTH_SASL_CONTINUE, AUTH_SASL_FINAL)


def _fail(message: str) -> NoReturn:
    raise OperationalError(message)


def _utf8(text: str, what: str) -> bytes:
    """UTF-8 bytes of ``text``; surrogate escapes give back the original (non-UTF-8) bytes."""
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        _fail(f"the {what} cannot be encoded in UTF-8")


# --- SASLprep (RFC 4013), as PostgreSQL's pg_saslprep() applies it ---------------------------


class SASLprepError(ValueError):
    """The string cannot be prepared; SCRAM then uses its raw UTF-8 bytes, as PostgreSQL does."""


_PROHIBITED_TABLES: tuple[tuple[str, Callable[[str], bool]], ...] = (
    ("C.1.2", stringprep.in_table_c12),
    ("C.2.1", stringprep.in_table_c21),
    ("C.2.2", stringprep.in_table_c22),
    ("C.3", stringprep.in_table_c3),
    ("C.4", stringprep.in_table_c4),
    ("C.5", stringprep.in_table_c5),
    ("C.6", stringprep.in_table_c6),
    ("C.7", stringprep.in_table_c7),
    ("C.8", stringprep.in_table_c8),
    ("C.9", stringprep.in_table_c9),
    ("A.1 (unassigned)", stringprep.in_table_a1),
)


def saslprep(text: str) -> str:
    """``text`` prepared with SASLprep, or :class:`SASLprepError`.

    Follows PostgreSQL rather than the letter of RFC 3454 where they differ, because the server
    stored its SCRAM verifier with its own function: an empty result of the mapping step is
    refused, and the prohibited, unassigned and bidi checks look at the mapped string before
    NFKC normalization.
    """
    mapped = "".join(
        " " if stringprep.in_table_c12(ch) else "" if stringprep.in_table_b1(ch) else ch
        for ch in text
    )
    if not mapped:
        raise SASLprepError("the string is empty after mapping")
    for ch in mapped:
        for table, contains in _PROHIBITED_TABLES:
            if contains(ch):
                raise SASLprepError(f"U+{ord(ch):04X} is prohibited (RFC 3454 table {table})")
    if any(stringprep.in_table_d1(ch) for ch in mapped):
        if any(stringprep.in_table_d2(ch) for ch in mapped):
            raise SASLprepError("mixes right-to-left and left-to-right characters")
        if not (stringprep.in_table_d1(mapped[0]) and stringprep.in_table_d1(mapped[-1])):
            raise SASLprepError("right-to-left text must start and end with such a character")
    return unicodedata.normalize("NFKC", mapped)


def scram_password(password: str) -> bytes:
    """The password bytes SCRAM hashes: SASLprep'd if possible, else the raw UTF-8 bytes."""
    try:
        return saslprep(password).encode("utf-8")
    except (SASLprepError, UnicodeEncodeError):
        return _utf8(password, "password")


# --- MD5 (auth.md §4) -------------------------------------------------------------------------


def md5_password_response(user: bytes, password: bytes, salt: bytes) -> bytes:
    """``"md5" + md5_hex(md5_hex(password + user) + salt)``, without the terminating NUL."""
    inner = hashlib.md5(password + user, usedforsecurity=False).hexdigest().encode("ascii")
    outer = hashlib.md5(inner + salt, usedforsecurity=False).hexdigest()
    return b"md5" + outer.encode("ascii")


# --- tls-server-end-point channel binding (RFC 5929, auth.md §6.5) ----------------------------

_DER_SEQUENCE = 0x30
_DER_OID = 0x06
_DER_CONTEXT_0 = 0xA0
_RSASSA_PSS = "1.2.840.113549.1.1.10"
# Certificate signature algorithm OID -> hashlib name of its digest.
_SIGNATURE_DIGESTS: dict[str, str] = {
    "1.2.840.113549.1.1.4": "md5",  # md5WithRSAEncryption
    "1.2.840.113549.1.1.5": "sha1",  # sha1WithRSAEncryption
    "1.2.840.113549.1.1.14": "sha224",
    "1.2.840.113549.1.1.11": "sha256",
    "1.2.840.113549.1.1.12": "sha384",
    "1.2.840.113549.1.1.13": "sha512",
    "1.2.840.10045.4.1": "sha1",  # ecdsa-with-SHA1
    "1.2.840.10045.4.3.1": "sha224",
    "1.2.840.10045.4.3.2": "sha256",
    "1.2.840.10045.4.3.3": "sha384",
    "1.2.840.10045.4.3.4": "sha512",
    "1.2.840.10040.4.3": "sha1",  # dsa-with-sha1
    "2.16.840.1.101.3.4.3.1": "sha224",  # dsa-with-sha224
    "2.16.840.1.101.3.4.3.2": "sha256",
    "2.16.840.1.101.3.4.3.3": "sha384",
    "2.16.840.1.101.3.4.3.4": "sha512",
}
# Digest algorithm OID (inside RSASSA-PSS parameters) -> hashlib name.
_DIGESTS: dict[str, str] = {
    "1.3.14.3.2.26": "sha1",
    "2.16.840.1.101.3.4.2.4": "sha224",
    "2.16.840.1.101.3.4.2.1": "sha256",
    "2.16.840.1.101.3.4.2.2": "sha384",
    "2.16.840.1.101.3.4.2.3": "sha512",
}


def _der_content(der: bytes, pos: int, tag: int, limit: int) -> tuple[int, int]:
    """Start and end of the content of the DER element at ``pos``, which must carry ``tag``."""
    if pos + 2 > limit or der[pos] != tag:
        raise ValueError("not a DER X.509 certificate")
    length = der[pos + 1]
    pos += 2
    if length & 0x80:
        size = length & 0x7F
        if not 1 <= size <= 4 or pos + size > limit:
            raise ValueError("not a DER X.509 certificate")
        length = int.from_bytes(der[pos : pos + size], "big")
        pos += size
    if pos + length > limit:
        raise ValueError("truncated DER X.509 certificate")
    return pos, pos + length


def _oid_text(der: bytes, pos: int, limit: int) -> tuple[str, int]:
    """The dotted OID at ``pos`` and where the element after it starts."""
    start, end = _der_content(der, pos, _DER_OID, limit)
    arcs: list[int] = []
    value = 0
    for byte in der[start:end]:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            arcs.append(value)
            value = 0
    if not arcs or der[end - 1] & 0x80:
        raise ValueError("malformed OID in certificate")
    first = min(arcs[0] // 40, 2)
    return ".".join(map(str, [first, arcs[0] - 40 * first, *arcs[1:]])), end


def _pss_digest(der: bytes, pos: int, limit: int) -> str:
    """The hashAlgorithm of RSASSA-PSS parameters (RFC 4055), SHA-1 when absent."""
    if pos >= limit:
        return "sha1"
    start, end = _der_content(der, pos, _DER_SEQUENCE, limit)
    if start == end or der[start] != _DER_CONTEXT_0:
        return "sha1"
    start, end = _der_content(der, start, _DER_CONTEXT_0, end)
    start, end = _der_content(der, start, _DER_SEQUENCE, end)
    oid, _ = _oid_text(der, start, end)
    if oid not in _DIGESTS:
        raise ValueError(f"unknown RSASSA-PSS digest algorithm {oid}")
    return _DIGESTS[oid]


def certificate_signature_digest(der: bytes) -> str:
    """hashlib name of the digest in the certificate's signature algorithm (``ValueError`` if
    there is none, as for Ed25519: libpq refuses those too)."""
    start, end = _der_content(der, 0, _DER_SEQUENCE, len(der))  # Certificate
    _, tbs_end = _der_content(der, start, _DER_SEQUENCE, end)  # tbsCertificate
    start, end = _der_content(der, tbs_end, _DER_SEQUENCE, end)  # signatureAlgorithm
    oid, params = _oid_text(der, start, end)
    if oid == _RSASSA_PSS:
        return _pss_digest(der, params, end)
    if oid not in _SIGNATURE_DIGESTS:
        raise ValueError(f"no digest known for the certificate's signature algorithm {oid}")
    return _SIGNATURE_DIGESTS[oid]


def tls_server_end_point(server_cert_der: bytes) -> bytes:
    """Channel-binding data: the certificate hashed with its signature's digest (MD5 and SHA-1
    are replaced by SHA-256, RFC 5929 §4.1)."""
    digest = certificate_signature_digest(server_cert_der)
    if digest in ("md5", "sha1"):
        digest = "sha256"
    return hashlib.new(digest, server_cert_der).digest()


# --- SCRAM-SHA-256 (RFC 5802 / RFC 7677, auth.md §6) ------------------------------------------

_INT32_MAX = 2**31 - 1


def make_client_nonce() -> str:
    """24 printable characters from 18 CSPRNG bytes, like libpq (base64 has no ``,``)."""
    return base64.b64encode(secrets.token_bytes(18)).decode("ascii")


def _b64decode(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raise ValueError(f"{what} is not valid base64") from None


def _hmac(key: bytes, message: bytes) -> bytes:
    return hmac.new(key, message, hashlib.sha256).digest()


class ScramClient:
    """The client side of one SCRAM-SHA-256 or SCRAM-SHA-256-PLUS exchange.

    Raises :class:`OperationalError` naming the mechanism for anything the server gets wrong.
    ``username`` goes into ``n=`` (PostgreSQL ignores it; libpq and :class:`Authenticator`
    send it empty); ``cbind_data`` is the channel-binding data when ``gs2_header`` is ``p=...``.
    """

    def __init__(
        self,
        password: bytes,
        *,
        mechanism: str = SCRAM_SHA_256,
        gs2_header: str = "n,,",
        cbind_data: bytes = b"",
        nonce: str | None = None,
        username: str = "",
    ) -> None:
        self.mechanism = mechanism
        self._password = password
        self._nonce = make_client_nonce() if nonce is None else nonce
        if not self._nonce or any(not "!" <= ch <= "~" or ch == "," for ch in self._nonce):
            raise ValueError("a SCRAM nonce is printable ASCII without ','")
        self._gs2_header = gs2_header
        self._cbind_data = cbind_data
        escaped = username.replace("=", "=3D").replace(",", "=2C")
        self._client_first_bare = f"n={escaped},r={self._nonce}"
        self._server_signature: bytes | None = None
        #: True once the server proved it knows the password (a valid ``v=``).
        self.verified = False

    @property
    def final_sent(self) -> bool:
        return self._server_signature is not None

    def _fail(self, cause: str) -> NoReturn:
        _fail(f"{self.mechanism} authentication failed: {cause}")

    def client_first(self) -> bytes:
        return (self._gs2_header + self._client_first_bare).encode("utf-8")

    def client_final(self, server_first: bytes) -> bytes:
        """The client-final-message answering ``server_first`` (SASLContinue data)."""
        if self.final_sent:
            self._fail("server sent a second SASLContinue message")
        try:
            text = server_first.decode("ascii")
            nonce, salt, iterations = self._parse_server_first(text)
        except (UnicodeDecodeError, ValueError) as exc:
            self._fail(f"malformed server-first-message: {exc}")

        salted = hashlib.pbkdf2_hmac("sha256", self._password, salt, iterations)
        client_key = _hmac(salted, b"Client Key")
        stored_key = hashlib.sha256(client_key).digest()
        channel = base64.b64encode(self._gs2_header.encode("ascii") + self._cbind_data)
        without_proof = f"c={channel.decode('ascii')},r={nonce}"
        auth_message = f"{self._client_first_bare},{text},{without_proof}".encode()
        signature = _hmac(stored_key, auth_message)
        proof = bytes(a ^ b for a, b in zip(client_key, signature))
        self._server_signature = _hmac(_hmac(salted, b"Server Key"), auth_message)
        return f"{without_proof},p={base64.b64encode(proof).decode('ascii')}".encode("ascii")

    def _parse_server_first(self, text: str) -> tuple[str, bytes, int]:
        if text.startswith("e="):
            raise ValueError(f"server error {text[2:]!r}")
        parts = text.split(",")
        if len(parts) != 3 or [p[:2] for p in parts] != ["r=", "s=", "i="]:
            raise ValueError("expected exactly r=...,s=...,i=...")
        nonce, salt_b64, iterations_text = (p[2:] for p in parts)
        if not nonce.startswith(self._nonce):
            raise ValueError("the server nonce does not start with the client nonce")
        salt = _b64decode(salt_b64, "the salt")
        if not (iterations_text.isascii() and iterations_text.isdigit()):
            raise ValueError(f"iteration count {iterations_text!r} is not a positive integer")
        iterations = int(iterations_text)
        if not 1 <= iterations <= _INT32_MAX:
            raise ValueError(f"iteration count {iterations} is out of range")
        return nonce, salt, iterations

    def verify_server_final(self, server_final: bytes) -> None:
        """Check the server-final-message (SASLFinal data); sets :attr:`verified`."""
        if self._server_signature is None:
            self._fail(
                "AuthenticationSASLFinal received from server, "
                "but SASL authentication was not completed"
            )
        try:
            text = server_final.decode("ascii")
        except UnicodeDecodeError:
            self._fail("malformed server-final-message: not ASCII")
        if text.startswith("e="):
            self._fail(f"server reported error {text[2:]!r}")
        if not text.startswith("v=") or "," in text:
            self._fail("malformed server-final-message: expected only v=...")
        try:
            signature = _b64decode(text[2:], "the server signature")
        except ValueError as exc:
            self._fail(f"malformed server-final-message: {exc}")
        if not hmac.compare_digest(signature, self._server_signature):
            self._fail("incorrect server signature")
        self.verified = True


# --- The exchange -----------------------------------------------------------------------------


def _parse_require_auth(value: str) -> frozenset[str]:
    """The methods libpq's ``require_auth`` list allows (``!method`` negates every item)."""
    seen: list[str] = []
    negated: bool | None = None
    for item in (part.strip() for part in value.split(",")):
        is_negated = item.startswith("!")
        method = item[1:] if is_negated else item
        if method not in REQUIRE_AUTH_METHODS:
            _fail(f'invalid require_auth method: "{method}"')
        if negated is not None and negated != is_negated:
            _fail(
                f'negative require_auth method "{method}" cannot be mixed with non-negative methods'
                if is_negated
                else f'require_auth method "{method}" cannot be mixed with negative methods'
            )
        negated = is_negated
        if method in seen:
            _fail(f'require_auth method "{method}" is specified more than once')
        seen.append(method)
    if negated:
        return frozenset(REQUIRE_AUTH_METHODS) - frozenset(seen)
    return frozenset(seen)


class Authenticator:
    """Answers one connection's Authentication requests.

    ``tls_peer_cert`` is the DER of the server certificate and must be given exactly when the
    connection uses TLS: it decides the SCRAM gs2 header and feeds SCRAM-SHA-256-PLUS channel
    binding. ``channel_binding`` (disable/prefer/require) and ``require_auth`` behave as in
    libpq. An empty password counts as none, as in libpq. ``client_nonce`` is for tests.
    """

    def __init__(
        self,
        user: str,
        password: str | None,
        *,
        tls_peer_cert: bytes | None = None,
        channel_binding: str = "prefer",
        require_auth: str | None = None,
        client_nonce: str | None = None,
        gss_target: tuple[str, str] | None = None,
        gss_encrypted: bool = False,
    ) -> None:
        if channel_binding not in CHANNEL_BINDING_MODES:
            _fail(f'invalid channel_binding value: "{channel_binding}"')
        self._user = user
        self._password = password or None
        self._tls_peer_cert = tls_peer_cert
        self._channel_binding = channel_binding
        self._require_auth = require_auth.strip() if require_auth else ""
        self._allowed = _parse_require_auth(self._require_auth) if self._require_auth else None
        self._client_nonce = client_nonce
        self._scram: ScramClient | None = None
        self._gss_target = gss_target
        self._gss: GssClient | None = None
        # Whether the client finished its side of an exchange (libpq's client_finished_auth);
        # GSSAPI encryption already proved the user's identity to the server.
        self._client_finished = gss_encrypted and (self._allowed is None or "gss" in self._allowed)

    @property
    def mechanism(self) -> str | None:
        """The SASL mechanism in use, once the server asked for SASL."""
        return self._scram.mechanism if self._scram else None

    @property
    def channel_bound(self) -> bool:
        """True when a SCRAM-SHA-256-PLUS exchange completed with a valid server signature."""
        return bool(
            self._scram and self._scram.mechanism == SCRAM_SHA_256_PLUS and self._scram.verified
        )

    def respond(self, code: int, data: bytes) -> bytes | None:
        """The body of the ``p`` message answering Authentication request ``code`` (None: send
        nothing). ``data`` is the request body after its Int32 subtype."""
        if code == AUTH_OK:
            self.finish()
            return None
        self._check_policy(code)
        if code == AUTH_CLEARTEXT_PASSWORD:
            password = self._require_password("a cleartext password")
            self._client_finished = True
            return password + b"\0"
        if code == AUTH_MD5_PASSWORD:
            password = self._require_password("an MD5 password")
            if len(data) != 4:
                _fail(f"malformed AuthenticationMD5Password: salt of {len(data)} bytes, not 4")
            self._client_finished = True
            return md5_password_response(_utf8(self._user, "user name"), password, data) + b"\0"
        if code in _GSS_CODES:
            return self._gss_step(code, data)
        if code == AUTH_SASL:
            return self._start_sasl(data)
        if code == AUTH_SASL_CONTINUE:
            if self._scram is None:
                _fail("server sent AuthenticationSASLContinue without starting SASL authentication")
            return self._scram.client_final(data)
        if code == AUTH_SASL_FINAL:
            if self._scram is None:
                _fail("server sent AuthenticationSASLFinal without starting SASL authentication")
            self._scram.verify_server_final(data)
            self._client_finished = True
            return None
        _fail(
            _REFUSED.get(
                code, f"server requested authentication method {code}, which is not supported"
            )
        )

    def finish(self) -> None:
        """Accept AuthenticationOk, unless the server skipped something it had to prove."""
        if self._scram is not None and not self._scram.verified:
            _fail(
                f"{self._scram.mechanism} authentication failed: server sent AuthenticationOk "
                "before proving it knows the password (no valid server signature)"
            )
        if self._channel_binding == "require" and not self.channel_bound:
            _fail(
                "channel binding required, but server authenticated client without channel binding"
            )
        if self._allowed is not None and not self._client_finished and "none" not in self._allowed:
            _fail(
                f'authentication method requirement "{self._require_auth}" failed: '
                "server did not complete authentication"
            )

    def _check_policy(self, code: int) -> None:
        if self._channel_binding == "require" and code not in _SASL_CODES:
            _fail("channel binding required but not supported by server's authentication request")
        kind = _REQUEST_KINDS.get(code)
        if self._allowed is not None and kind is not None and not kind[0] & self._allowed:
            _fail(
                f'authentication method requirement "{self._require_auth}" failed: '
                f"server requested {kind[1]}"
            )

    def _gss_step(self, code: int, data: bytes) -> bytes | None:
        """AuthenticationGSS starts the context for ``<krbsrvname>@<host>`` (``gss_target``);
        GSSContinue feeds it the server's token. Without a target host (a Unix socket) or
        without the gssapi package, both are refused."""
        if self._gss_target is None or not self._gss_target[1]:
            _fail(f"{_GSS_REFUSED} without a TCP host name to name the service")
        if not gss.available():
            _fail(f"{_GSS_REFUSED}: {gss.MISSING}")
        if code == AUTH_GSS_CONTINUE:
            if self._gss is None:
                _fail(
                    "server sent AuthenticationGSSContinue without starting GSSAPI authentication"
                )
            token: bytes | None = data
        else:
            if self._gss is not None:
                _fail("server sent a second AuthenticationGSS request")
            service, host = self._gss_target
            self._gss = GssClient(service, host)
            token = None
        out = self._gss.step(token)
        if self._gss.complete:
            self._client_finished = True
        return out or None

    def _require_password(self, what: str) -> bytes:
        if self._password is None:
            _fail(f"server requested {what}, but no password was supplied")
        return _utf8(self._password, "password")

    def _start_sasl(self, data: bytes) -> bytes:
        if self._scram is not None:
            _fail("server sent a second AuthenticationSASL request")
        mechanism = self._choose_mechanism(_parse_mechanisms(data))
        if self._allowed is not None and "scram-sha-256" not in self._allowed:
            _fail(
                f'authentication method requirement "{self._require_auth}" failed: '
                f"server requested {mechanism} authentication"
            )
        if self._password is None:
            _fail(f"server requested {mechanism} authentication, but no password was supplied")
        cbind_data = b""
        if mechanism == SCRAM_SHA_256_PLUS:
            gs2_header = "p=tls-server-end-point,,"
            assert self._tls_peer_cert is not None  # _choose_mechanism saw to it
            try:
                cbind_data = tls_server_end_point(self._tls_peer_cert)
            except ValueError as exc:
                _fail(f"{mechanism} authentication failed: no channel binding data: {exc}")
        elif self._tls_peer_cert is not None and self._channel_binding != "disable":
            gs2_header = "y,,"
        else:
            gs2_header = "n,,"
        self._scram = ScramClient(
            scram_password(self._password),
            mechanism=mechanism,
            gs2_header=gs2_header,
            cbind_data=cbind_data,
            nonce=self._client_nonce,
        )
        first = self._scram.client_first()
        return mechanism.encode("ascii") + b"\0" + struct.pack("!i", len(first)) + first

    def _choose_mechanism(self, offered: list[str]) -> str:
        """libpq's choice (auth.md §6.6): -PLUS over TLS unless disabled, refuse a downgrade."""
        tls = self._tls_peer_cert is not None
        if self._channel_binding == "require" and not tls:
            _fail("channel binding required, but TLS is not in use")
        chosen = None
        for name in offered:
            if name == SCRAM_SHA_256_PLUS:
                if not tls:
                    _fail(
                        "server offered SCRAM-SHA-256-PLUS authentication over a connection "
                        "without TLS (TLS may have been stripped: refusing a downgrade)"
                    )
                if self._channel_binding != "disable":
                    chosen = SCRAM_SHA_256_PLUS
            elif name == SCRAM_SHA_256 and chosen is None:
                chosen = SCRAM_SHA_256
        if chosen is None:
            _fail(
                "none of the server's SASL authentication mechanisms are supported: "
                + (", ".join(offered) or "(empty list)")
            )
        if self._channel_binding == "require" and chosen != SCRAM_SHA_256_PLUS:
            _fail(
                "channel binding is required, but server did not offer an authentication "
                "method that supports channel binding"
            )
        return chosen


def _parse_mechanisms(data: bytes) -> list[str]:
    """The names in an AuthenticationSASL body: NUL-terminated strings, then an empty one."""
    names: list[str] = []
    pos = 0
    while True:
        end = data.find(b"\0", pos)
        if end < 0:
            _fail("malformed AuthenticationSASL message: unterminated mechanism list")
        if end == pos:
            break
        try:
            names.append(data[pos:end].decode("ascii"))
        except UnicodeDecodeError:
            _fail("malformed AuthenticationSASL message: mechanism name is not ASCII")
        pos = end + 1
    if end + 1 != len(data):
        _fail("malformed AuthenticationSASL message: data after the mechanism list")
    return names
