"""Authentication exchanges (auth.md): byte-exact vectors, a fake SCRAM server, policy refusals."""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import struct
from typing import Any, Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pgdbapi.auth import (
    Authenticator,
    SASLprepError,
    ScramClient,
    certificate_signature_digest,
    make_client_nonce,
    md5_password_response,
    saslprep,
    scram_password,
    tls_server_end_point,
)
from pgdbapi.exceptions import OperationalError

NONCE = "rOprNGfwEbeRWgbNEkqO"
SCRAM_LIST = b"SCRAM-SHA-256\0\0"
PLUS_LIST = b"SCRAM-SHA-256-PLUS\0SCRAM-SHA-256\0\0"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def hmac256(key: bytes, message: bytes) -> bytes:
    return hmac.new(key, message, hashlib.sha256).digest()


# --- MD5 and cleartext ------------------------------------------------------------------------


def test_md5_vector_from_auth_md() -> None:
    reply = md5_password_response(b"md5user", b"pencil", b"\x01\x02\x03\x04")
    assert reply == b"md5d8952cad425cbeb4f00aba7f8e35ff33"
    inner = hashlib.md5(b"pencil" + b"md5user").hexdigest()
    assert inner == "0098e7fab7b4d8d091067152a80b3f12"


def test_md5_request_gets_nul_terminated_hash() -> None:
    auth = Authenticator("md5user", "pencil")
    assert auth.respond(5, b"\x01\x02\x03\x04") == b"md5d8952cad425cbeb4f00aba7f8e35ff33\0"
    auth.finish()


@pytest.mark.parametrize("salt", [b"", b"\x01\x02\x03", b"\x01\x02\x03\x04\x05"])
def test_md5_request_with_bad_salt(salt: bytes) -> None:
    with pytest.raises(OperationalError, match="salt"):
        Authenticator("u", "p").respond(5, salt)


def test_cleartext_request_sends_utf8_password() -> None:
    auth = Authenticator("u", "pässword")
    assert auth.respond(3, b"") == "pässword".encode() + b"\0"
    auth.finish()


def test_surrogate_escaped_password_goes_out_as_its_original_bytes() -> None:
    password = b"caf\xe9".decode("utf-8", "surrogateescape")  # a Latin-1 password from a file
    assert Authenticator("u", password).respond(3, b"") == b"caf\xe9\0"
    assert scram_password(password) == b"caf\xe9"
    with pytest.raises(OperationalError, match="UTF-8"):
        Authenticator("u", "\ud800").respond(3, b"")


@pytest.mark.parametrize(
    "code,data,method",
    [
        (3, b"", "a cleartext password"),
        (5, b"salt", "an MD5 password"),
        (10, SCRAM_LIST, "SCRAM-SHA-256 authentication"),
    ],
)
@pytest.mark.parametrize("password", [None, ""])
def test_missing_password_names_the_method(
    code: int, data: bytes, method: str, password: str | None
) -> None:
    with pytest.raises(OperationalError) as info:
        Authenticator("u", password).respond(code, data)
    assert str(info.value) == f"server requested {method}, but no password was supplied"


# --- Refused methods --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "code,words",
    [
        (1, "Kerberos V4"),
        (2, "Kerberos V5"),
        (4, "crypt"),
        (6, "SCM credentials"),
        (7, "GSSAPI authentication is not supported yet"),
        (8, "GSSAPI authentication is not supported yet"),
        (9, "SSPI authentication is not supported yet"),
        (13, "authentication method 13"),
        (-1, "authentication method -1"),
    ],
)
def test_refused_methods_are_named(code: int, words: str) -> None:
    with pytest.raises(OperationalError, match=words):
        Authenticator("u", "p").respond(code, b"")


def test_ok_through_respond_is_finish() -> None:
    assert Authenticator("u", None).respond(0, b"") is None  # trust
    with pytest.raises(OperationalError, match="server did not complete"):
        Authenticator("u", None, require_auth="md5").respond(0, b"")


# --- SCRAM-SHA-256: RFC 7677 vector byte for byte ---------------------------------------------

RFC_SERVER_FIRST = (
    b"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"
)
RFC_CLIENT_FINAL = (
    b"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
    b"p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
)
RFC_SERVER_FINAL = b"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="


def rfc_client() -> ScramClient:
    return ScramClient(b"pencil", nonce=NONCE, username="user")


def test_rfc7677_vector() -> None:
    client = rfc_client()
    assert client.client_first() == b"n,,n=user,r=rOprNGfwEbeRWgbNEkqO"
    assert client.client_final(RFC_SERVER_FIRST) == RFC_CLIENT_FINAL
    assert not client.verified
    client.verify_server_final(RFC_SERVER_FINAL)
    assert client.verified


def test_rfc7677_intermediate_keys() -> None:
    salted = hashlib.pbkdf2_hmac(
        "sha256", b"pencil", base64.b64decode("W22ZaJ0SNY7soEsUEjb6gQ=="), 4096
    )
    assert salted.hex() == "c4a49510323ab4f952cac1fa99441939e78ea74d6be81ddf7096e87513dc615d"
    client_key = hmac256(salted, b"Client Key")
    assert client_key.hex() == "a60fc923d67e8644a92d16b96eda5ef4656b0c725c484374be25535576996e8b"
    assert (
        hashlib.sha256(client_key).hexdigest()
        == "586e5df283e6dceb5c3e791d8b8528ec191e664045ce971792e2e6b5bb13e2a6"
    )


def test_wrong_server_signature_is_refused() -> None:
    client = rfc_client()
    client.client_final(RFC_SERVER_FIRST)
    forged = b"v=" + base64.b64encode(b"\0" * 32)
    with pytest.raises(OperationalError, match="SCRAM-SHA-256.*incorrect server signature"):
        client.verify_server_final(forged)
    assert not client.verified


@pytest.mark.parametrize(
    "server_first,cause",
    [
        (b"r=someoneElsesNonce123,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096", "nonce"),
        (b"r=rOprNGfwEbeRWgbNEkqOxyz,s=W22ZaJ0SNY7soEsUEjb6gQ=,i=4096", "base64"),
        (b"r=rOprNGfwEbeRWgbNEkqOxyz,s=not*base64!,i=4096", "base64"),
        (b"r=rOprNGfwEbeRWgbNEkqOxyz,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=0", "out of range"),
        (b"r=rOprNGfwEbeRWgbNEkqOxyz,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=-1", "positive integer"),
        (b"r=rOprNGfwEbeRWgbNEkqOxyz,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096x", "positive integer"),
        (b"r=rOprNGfwEbeRWgbNEkqOxyz,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=", "positive integer"),
        (b"r=rOprNGfwEbeRWgbNEkqOxyz,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=\xd9\xa1", "ASCII|ascii"),
        (b"r=rOprNGfwEbeRWgbNEkqOxyz,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=9999999999", "out of range"),
        (b"r=rOprNGfwEbeRWgbNEkqOxyz,s=W22ZaJ0SNY7soEsUEjb6gQ==", "r=...,s=...,i="),
        (b"r=rOprNGfwEbeRWgbNEkqOxyz,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096,x=1", "r=...,s=...,i="),
        (b"s=W22ZaJ0SNY7soEsUEjb6gQ==,r=rOprNGfwEbeRWgbNEkqOxyz,i=4096", "r=...,s=...,i="),
        (b"m=ext,r=rOprNGfwEbeRWgbNEkqOxyz,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096", "r=...,s=...,i="),
        (b"e=other-error", "server error 'other-error'"),
        (b"", "r=...,s=...,i="),
    ],
)
def test_malformed_server_first_message(server_first: bytes, cause: str) -> None:
    with pytest.raises(OperationalError) as info:
        rfc_client().client_final(server_first)
    message = str(info.value)
    assert message.startswith("SCRAM-SHA-256 authentication failed: malformed server-first")
    assert any(word in message for word in cause.split("|")), message


@pytest.mark.parametrize(
    "server_final,cause",
    [
        (b"e=invalid-proof", "server reported error 'invalid-proof'"),
        (b"v=not base64", "not valid base64"),
        (b"v=" + base64.b64encode(b"short"), "incorrect server signature"),
        (RFC_SERVER_FINAL + b",x=extension", "expected only v="),
        (b"w=abc", "expected only v="),
        (b"v=\xff", "not ASCII"),
    ],
)
def test_malformed_server_final_message(server_final: bytes, cause: str) -> None:
    client = rfc_client()
    client.client_final(RFC_SERVER_FIRST)
    with pytest.raises(OperationalError, match="SCRAM-SHA-256 authentication failed") as info:
        client.verify_server_final(server_final)
    assert cause in str(info.value)


def test_client_nonce_is_libpq_shaped_and_random() -> None:
    nonces = {make_client_nonce() for _ in range(50)}
    assert len(nonces) == 50
    for nonce in nonces:
        assert len(nonce) == 24 and "," not in nonce and len(base64.b64decode(nonce)) == 18


@pytest.mark.parametrize("nonce", ["", "has,comma", "has space", "caf\u00e9"])
def test_unusable_injected_nonce_is_refused(nonce: str) -> None:
    with pytest.raises(ValueError):
        ScramClient(b"pw", nonce=nonce)


def test_username_is_escaped_in_client_first() -> None:
    client = ScramClient(b"pw", nonce="abc", username="a=b,c")
    assert client.client_first() == b"n,,n=a=3Db=2Cc,r=abc"


# --- A fake server: checks the client proof the way PostgreSQL does ---------------------------


class FakeScramServer:
    """Server side of SCRAM-SHA-256 from a stored verifier (StoredKey/ServerKey only)."""

    def __init__(
        self,
        password: str,
        *,
        salt: bytes = b"0123456789abcdef",
        iterations: int = 4096,
        cbind_data: bytes = b"",
    ) -> None:
        salted = hashlib.pbkdf2_hmac("sha256", scram_password(password), salt, iterations)
        self.stored_key = hashlib.sha256(hmac256(salted, b"Client Key")).digest()
        self.server_key = hmac256(salted, b"Server Key")
        self.salt = salt
        self.iterations = iterations
        self.cbind_data = cbind_data

    def first(self, initial_response: bytes) -> bytes:
        mechanism, _, rest = initial_response.partition(b"\0")
        self.mechanism = mechanism.decode()
        (length,) = struct.unpack("!i", rest[:4])
        client_first = rest[4:]
        assert len(client_first) == length
        header_end = client_first.index(b",", client_first.index(b",") + 1) + 1
        self.gs2_header = client_first[:header_end]
        self.client_first_bare = client_first[header_end:].decode()
        user, nonce = self.client_first_bare.split(",")
        assert user == "n=" and nonce.startswith("r=")
        self.nonce = nonce[2:] + "+server/nonce"
        self.server_first = f"r={self.nonce},s={b64(self.salt)},i={self.iterations}"
        return self.server_first.encode()

    def final(self, client_final: bytes) -> bytes:
        without_proof, _, proof = client_final.decode().rpartition(",p=")
        channel, nonce = without_proof.split(",")
        assert channel == "c=" + b64(self.gs2_header + self.cbind_data)
        assert nonce == "r=" + self.nonce
        auth_message = f"{self.client_first_bare},{self.server_first},{without_proof}".encode()
        signature = hmac256(self.stored_key, auth_message)
        client_key = bytes(a ^ b for a, b in zip(base64.b64decode(proof), signature))
        if hashlib.sha256(client_key).digest() != self.stored_key:
            raise AssertionError("password authentication failed")
        return b"v=" + base64.b64encode(hmac256(self.server_key, auth_message))


def run_scram(auth: Authenticator, server: FakeScramServer, mechanisms: bytes) -> None:
    initial = auth.respond(10, mechanisms)
    assert initial is not None
    client_final = auth.respond(11, server.first(initial))
    assert client_final is not None
    assert auth.respond(12, server.final(client_final)) is None
    auth.finish()


def test_sasl_initial_response_framing() -> None:
    body = Authenticator("ignored", "pencil", client_nonce=NONCE).respond(10, SCRAM_LIST)
    first = b"n,,n=,r=" + NONCE.encode()
    assert body == b"SCRAM-SHA-256\0" + struct.pack("!i", len(first)) + first


def test_full_scram_exchange_against_fake_server() -> None:
    auth = Authenticator("alice", "scram secret")
    run_scram(auth, FakeScramServer("scram secret"), SCRAM_LIST)
    assert auth.mechanism == "SCRAM-SHA-256"
    assert not auth.channel_bound


def test_wrong_password_fails_the_fake_server() -> None:
    auth = Authenticator("alice", "wrong")
    server = FakeScramServer("right")
    initial = auth.respond(10, SCRAM_LIST)
    assert initial is not None
    client_final = auth.respond(11, server.first(initial))
    assert client_final is not None
    with pytest.raises(AssertionError, match="password authentication failed"):
        server.final(client_final)


@settings(max_examples=40, deadline=None)
@given(
    # Anything sendable in a NUL-terminated UTF-8 message.
    password=st.text(
        st.characters(blacklist_categories=("Cs",), blacklist_characters="\0"),
        min_size=1,
        max_size=20,
    ),
    iterations=st.integers(1, 8),
)
def test_any_password_round_trips(password: str, iterations: int) -> None:
    auth = Authenticator("u", password)
    run_scram(auth, FakeScramServer(password, iterations=iterations), SCRAM_LIST)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=80))
def test_garbage_server_messages_raise_operational_error(data: bytes) -> None:
    auth = Authenticator("u", "p", client_nonce="n")
    auth.respond(10, SCRAM_LIST)
    try:
        auth.respond(11, b"r=n" + data)
    except OperationalError:
        return
    with pytest.raises(OperationalError):
        auth.respond(12, data)


# --- Sequencing -------------------------------------------------------------------------------


def test_sasl_continue_or_final_without_start() -> None:
    with pytest.raises(OperationalError, match="SASLContinue without starting SASL"):
        Authenticator("u", "p").respond(11, RFC_SERVER_FIRST)
    with pytest.raises(OperationalError, match="SASLFinal without starting SASL"):
        Authenticator("u", "p").respond(12, RFC_SERVER_FINAL)


def test_sasl_final_before_continue() -> None:
    auth = Authenticator("u", "p")
    auth.respond(10, SCRAM_LIST)
    with pytest.raises(OperationalError, match="SASL authentication was not completed"):
        auth.respond(12, RFC_SERVER_FINAL)


def test_second_sasl_continue_and_second_sasl_start() -> None:
    auth = Authenticator("u", "pencil", client_nonce=NONCE)
    auth.respond(10, SCRAM_LIST)
    auth.respond(11, RFC_SERVER_FIRST)
    with pytest.raises(OperationalError, match="second SASLContinue"):
        auth.respond(11, RFC_SERVER_FIRST)
    with pytest.raises(OperationalError, match="second AuthenticationSASL"):
        auth.respond(10, SCRAM_LIST)


@pytest.mark.parametrize("rounds", [1, 2])
def test_ok_before_scram_completes_is_refused(rounds: int) -> None:
    auth = Authenticator("u", "pencil", client_nonce=NONCE)
    auth.respond(10, SCRAM_LIST)
    if rounds == 2:
        auth.respond(11, RFC_SERVER_FIRST)
    with pytest.raises(OperationalError, match="SCRAM-SHA-256.*no valid server signature"):
        auth.finish()


# --- Mechanism choice and channel binding -----------------------------------------------------


@pytest.mark.parametrize(
    "mechanisms,match",
    [
        (b"OAUTHBEARER\0\0", "none of the server's SASL .* OAUTHBEARER"),
        (b"\0", r"none of the server's SASL .*\(empty list\)"),
        (b"SCRAM-SHA-256", "unterminated"),
        (b"SCRAM-SHA-256\0", "unterminated"),
        (b"SCRAM-SHA-256\0\0junk", "after the mechanism list"),
        (b"SCRAM-SHA-\xff\0\0", "not ASCII"),
    ],
)
def test_unusable_mechanism_lists(mechanisms: bytes, match: str) -> None:
    with pytest.raises(OperationalError, match=match):
        Authenticator("u", "p").respond(10, mechanisms)


def test_plus_offered_without_tls_is_a_downgrade() -> None:
    with pytest.raises(OperationalError, match="SCRAM-SHA-256-PLUS.*without TLS"):
        Authenticator("u", "p").respond(10, PLUS_LIST)


def client_first_of(body: bytes | None) -> bytes:
    assert body is not None
    return body[body.index(b"\0") + 5 :]


def test_gs2_header_without_tls_is_n() -> None:
    body = Authenticator("u", "p", client_nonce="x").respond(10, SCRAM_LIST)
    assert client_first_of(body) == b"n,,n=,r=x"


def test_gs2_header_tls_but_server_without_plus_is_y(rsa_sha256_cert: bytes) -> None:
    auth = Authenticator("u", "pw", tls_peer_cert=rsa_sha256_cert, client_nonce="x")
    body = auth.respond(10, SCRAM_LIST)
    assert body is not None and body.startswith(b"SCRAM-SHA-256\0")
    assert client_first_of(body) == b"y,,n=,r=x"
    server = FakeScramServer("pw")
    client_final = auth.respond(11, server.first(body))
    assert client_final is not None and client_final.startswith(b"c=eSws,")  # base64("y,,")
    auth.respond(12, server.final(client_final))
    auth.finish()


def test_channel_binding_disable_over_tls_uses_plain_scram(rsa_sha256_cert: bytes) -> None:
    auth = Authenticator("u", "pw", tls_peer_cert=rsa_sha256_cert, channel_binding="disable")
    server = FakeScramServer("pw")
    run_scram(auth, server, PLUS_LIST)
    assert server.mechanism == "SCRAM-SHA-256" and server.gs2_header == b"n,,"
    assert not auth.channel_bound


@pytest.mark.parametrize("channel_binding", ["prefer", "require"])
def test_scram_plus_binds_to_the_certificate(rsa_sha256_cert: bytes, channel_binding: str) -> None:
    auth = Authenticator("u", "pw", tls_peer_cert=rsa_sha256_cert, channel_binding=channel_binding)
    cbind = hashlib.sha256(rsa_sha256_cert).digest()
    server = FakeScramServer("pw", cbind_data=cbind)
    run_scram(auth, server, PLUS_LIST)
    assert server.mechanism == "SCRAM-SHA-256-PLUS"
    assert server.gs2_header == b"p=tls-server-end-point,,"
    assert auth.mechanism == "SCRAM-SHA-256-PLUS" and auth.channel_bound


def test_scram_plus_against_a_different_certificate_fails(rsa_sha256_cert: bytes) -> None:
    auth = Authenticator("u", "pw", tls_peer_cert=rsa_sha256_cert)
    server = FakeScramServer("pw", cbind_data=hashlib.sha256(b"another certificate").digest())
    initial = auth.respond(10, PLUS_LIST)
    assert initial is not None
    client_final = auth.respond(11, server.first(initial))
    assert client_final is not None
    with pytest.raises(AssertionError):
        server.final(client_final)


def test_scram_plus_with_unhashable_certificate_fails(ed25519_cert: bytes) -> None:
    auth = Authenticator("u", "pw", tls_peer_cert=ed25519_cert)
    with pytest.raises(OperationalError, match="SCRAM-SHA-256-PLUS.*channel binding.*1.3.101.112"):
        auth.respond(10, PLUS_LIST)


def test_channel_binding_require_refusals(rsa_sha256_cert: bytes) -> None:
    with pytest.raises(OperationalError, match="channel binding required, but TLS is not in use"):
        Authenticator("u", "p", channel_binding="require").respond(10, SCRAM_LIST)
    with pytest.raises(OperationalError, match="did not offer .* channel binding"):
        Authenticator("u", "p", tls_peer_cert=rsa_sha256_cert, channel_binding="require").respond(
            10, SCRAM_LIST
        )
    for code in (3, 5, 7, 9):
        with pytest.raises(OperationalError, match="channel binding required but not supported"):
            Authenticator("u", "p", channel_binding="require").respond(code, b"salt")
    with pytest.raises(OperationalError, match="authenticated client without channel binding"):
        Authenticator("u", "p", channel_binding="require").finish()


def test_channel_binding_require_refuses_ok_before_scram_plus_completes(
    rsa_sha256_cert: bytes,
) -> None:
    auth = Authenticator("u", "pw", tls_peer_cert=rsa_sha256_cert, channel_binding="require")
    auth.respond(10, PLUS_LIST)
    with pytest.raises(OperationalError, match="no valid server signature"):
        auth.finish()
    assert not auth.channel_bound


def test_invalid_channel_binding_value() -> None:
    with pytest.raises(OperationalError, match='invalid channel_binding value: "maybe"'):
        Authenticator("u", "p", channel_binding="maybe")


# --- require_auth -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "require_auth,match",
    [
        ("kerberos", 'invalid require_auth method: "kerberos"'),
        ("md5,", 'invalid require_auth method: ""'),
        ("md5,!password", 'negative require_auth method "password" cannot be mixed'),
        ("!md5,password", 'require_auth method "password" cannot be mixed with negative'),
        ("md5,md5", 'require_auth method "md5" is specified more than once'),
    ],
)
def test_invalid_require_auth(require_auth: str, match: str) -> None:
    with pytest.raises(OperationalError, match=match):
        Authenticator("u", "p", require_auth=require_auth)


@pytest.mark.parametrize(
    "require_auth,code,data,refused_as",
    [
        ("md5", 3, b"", "a cleartext password"),
        ("password", 5, b"salt", "a hashed password"),
        ("password,md5", 10, SCRAM_LIST, "SASL authentication"),
        ("scram-sha-256", 3, b"", "a cleartext password"),
        ("scram-sha-256", 7, b"", "GSSAPI authentication"),
        ("md5", 9, b"", "SSPI authentication"),
        ("!password", 3, b"", "a cleartext password"),
        ("!scram-sha-256", 10, SCRAM_LIST, "SCRAM-SHA-256 authentication"),  # oauth is SASL too
        ("oauth", 10, SCRAM_LIST, "SCRAM-SHA-256 authentication"),
    ],
)
def test_require_auth_refuses_other_methods(
    require_auth: str, code: int, data: bytes, refused_as: str
) -> None:
    with pytest.raises(OperationalError) as info:
        Authenticator("u", "p", require_auth=require_auth).respond(code, data)
    assert str(info.value) == (
        f'authentication method requirement "{require_auth}" failed: server requested {refused_as}'
    )


@pytest.mark.parametrize("require_auth", ["password", "!md5", "md5, password", "!none"])
def test_require_auth_allows_listed_methods(require_auth: str) -> None:
    auth = Authenticator("u", "p", require_auth=require_auth)
    assert auth.respond(3, b"") == b"p\0"
    auth.finish()


def test_require_auth_allows_scram() -> None:
    auth = Authenticator("u", "pw", require_auth="scram-sha-256")
    run_scram(auth, FakeScramServer("pw"), SCRAM_LIST)


@pytest.mark.parametrize("require_auth", ["md5", "scram-sha-256", "!none", "password,md5"])
def test_require_auth_refuses_ok_without_exchange(require_auth: str) -> None:
    with pytest.raises(OperationalError, match="server did not complete authentication"):
        Authenticator("u", "p", require_auth=require_auth).finish()


@pytest.mark.parametrize("require_auth", [None, "", "none", "md5,none", "!md5", "!password"])
def test_trust_is_accepted_unless_required_otherwise(require_auth: str | None) -> None:
    Authenticator("u", None, require_auth=require_auth).finish()


# --- SASLprep ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text,prepared",
    [
        ("I\u00adX", "IX"),  # B.1 soft hyphen mapped to nothing
        ("\u00aa", "a"),  # NFKC
        ("\u2168", "IX"),  # ROMAN NUMERAL NINE, NFKC
        ("user", "user"),
        ("a\u00a0b", "a b"),  # C.1.2 space -> U+0020
        ("x\u3000y", "x y"),
        ("\ufb01", "fi"),
        ("\u05d0\u05d1", "\u05d0\u05d1"),  # right-to-left only: fine
        ("\u0627\u0031\u0628", "\u0627\u0031\u0628"),  # RandALCat at both ends, digit between
    ],
)
def test_saslprep(text: str, prepared: str) -> None:
    assert saslprep(text) == prepared
    assert scram_password(text) == prepared.encode()


@pytest.mark.parametrize(
    "text,why",
    [
        ("\u0007", "C.2.1"),  # ASCII control
        ("a\u0340", "C.8"),  # prohibited before NFKC, as PostgreSQL checks (RFC: after)
        ("\u0221", "A.1"),  # unassigned in Unicode 3.2
        ("\ue000", "C.3"),  # private use
        ("a\ufffeb", "C.4"),
        ("\u05d0a", "mixes"),  # bidi: RandALCat with LCat
        ("\u05d01", "start and end"),  # bidi: ends with a digit
        ("\u00ad", "empty"),  # PostgreSQL refuses an empty mapped password
        ("", "empty"),
    ],
)
def test_saslprep_failures_fall_back_to_raw_bytes(text: str, why: str) -> None:
    with pytest.raises(SASLprepError, match=why):
        saslprep(text)
    assert scram_password(text) == text.encode("utf-8")


# SCRAM verifiers PostgreSQL 15.18 stored for these passwords (CREATE ROLE ... PASSWORD).
PG_VERIFIERS = [
    ("I\u00adX", "4096:f0pcD9ez6/Pd0IJfJL5Dqw==$/WHOcHFoHqJCNshvSlkZ2rlTuhbpzK+sstp1Qe6rD90=:SUV761+wJfxmsI9S8DWDTGmDNFui3rwdlcuL2H+bC9U="),
    ("\u2168", "4096:GSQCVXYV3uszkKe2fexqqg==$5xBcWY0pAX1kFesc+7iYvVfVX/gG3zL1vn0/x+YB+9w=:6UhHJfCV7At6q2I+mzJDKn/P/IX/4naaW+mS6gtnWeQ="),
    ("a\u0340", "4096:mOMStRR3BW/rXUzbgSVQfQ==$xlpYQz0CfyYgSyh5744L/RUhjKPqRYmEl+/YO8WHKCQ=:U8kPBB3N8IWiUijLgtnjqF7NwcScAQVdhxZ1ygyJYzg="),
    ("\u05d0a", "4096:2b6/Rw8vHbvfSUrYLpUNeQ==$hs88oN5NeE1nn2XHkoqcZ4dhhuT6hw91QbPERWB4Z3E=:jopkxF2d8lWe0THqKMVfprdBE+fl90VGX9GIFuaF1wA="),
    ("\u00ad", "4096:B3q22IS2SRbfJJ5dvfDMGw==$WJ2k7a2DoPxT4QK9Ez/79McLb6BpsSPgKR9kA6v5lFI=:RfFVFEwWTPMUNsaIV4aCFC462VQ/JTt31LKD1YTh2Tg="),
    ("\u0221", "4096:DVn/57cLHgfrPEd/iTNh2Q==$uXYioqJ2iGhIWHllstDiDTC6co53WBfqL7i4N6zfyH8=:vXNXRcYHaG/HBI5Ppv9r+/CAR104m+z00xfu+0IXX3A="),
    ("x\u3000y", "4096:Ce4QmhyzipebjcQTzXRGDQ==$9VhBytW4Ja+uOsDBK9GrJJCBuodff22AAbKjVVG7LRM=:UEw13jLFKp1o8BLF79qbe4AczTfoNdYn33d7v2tXfKA="),
    ("\u0627\u0031\u0628", "4096:1TRcrPHFNslOL3OuJzct5A==$ncEdhKrwMV1c2XRjibRw/9930k9I9yDdOy3TtWfm/c0=:0L8Q+HW71kCRBXUDAVbnT1CVFHHLNfC3Yyha6jB/FuQ="),
]  # fmt: skip


@pytest.mark.parametrize("password,verifier", PG_VERIFIERS)
def test_scram_password_matches_postgresql_verifiers(password: str, verifier: str) -> None:
    iterations_salt, keys = verifier.split("$")
    iterations, salt = iterations_salt.split(":")
    stored_key, server_key = keys.split(":")
    salted = hashlib.pbkdf2_hmac(
        "sha256", scram_password(password), base64.b64decode(salt), int(iterations)
    )
    assert b64(hashlib.sha256(hmac256(salted, b"Client Key")).digest()) == stored_key
    assert b64(hmac256(salted, b"Server Key")) == server_key


@settings(max_examples=300)
@given(st.text(max_size=12))
def test_saslprep_only_ever_raises_saslprep_error(text: str) -> None:
    try:
        prepared = saslprep(text)
    except SASLprepError:
        return
    assert prepared == saslprep(prepared)  # idempotent on what it accepts
    if text.isascii():
        assert prepared == text


# --- tls-server-end-point: the certificate's signature digest ---------------------------------


def make_cert(key_kind: str, hash_name: str | None, *, pss: bool = False) -> bytes:
    x509 = pytest.importorskip("cryptography.x509")
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed25519, padding, rsa
    from cryptography.x509.oid import NameOID

    key: Any
    if key_kind == "rsa":
        key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    elif key_kind == "ec":
        key = ec.generate_private_key(ec.SECP256R1())
    elif key_kind == "dsa":
        key = dsa.generate_private_key(key_size=1024)
    else:
        key = ed25519.Ed25519PrivateKey.generate()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    start = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(start)
        .not_valid_after(start + datetime.timedelta(days=1))
    )
    algorithm = getattr(hashes, hash_name.upper())() if hash_name else None
    extra: dict[str, Any] = {}
    if pss:
        extra["rsa_padding"] = padding.PSS(padding.MGF1(algorithm), 32)
    cert = builder.sign(key, algorithm, **extra)
    der: bytes = cert.public_bytes(serialization.Encoding.DER)
    return der


@pytest.fixture(scope="module")
def rsa_sha256_cert() -> bytes:
    return make_cert("rsa", "sha256")


@pytest.fixture(scope="module")
def ed25519_cert() -> bytes:
    return make_cert("ed25519", None)


@pytest.mark.parametrize(
    "key_kind,hash_name,pss",
    [
        ("rsa", "sha224", False),
        ("rsa", "sha256", False),
        ("rsa", "sha384", False),
        ("rsa", "sha512", False),
        ("rsa", "sha256", True),
        ("rsa", "sha512", True),
        ("ec", "sha224", False),
        ("ec", "sha256", False),
        ("ec", "sha384", False),
        ("ec", "sha512", False),
        ("dsa", "sha256", False),
    ],
)
def test_signature_digest_matches_cryptography(key_kind: str, hash_name: str, pss: bool) -> None:
    x509 = pytest.importorskip("cryptography.x509")
    der = make_cert(key_kind, hash_name, pss=pss)
    assert x509.load_der_x509_certificate(der).signature_hash_algorithm.name == hash_name
    assert certificate_signature_digest(der) == hash_name
    assert tls_server_end_point(der) == hashlib.new(hash_name, der).digest()


SHA256_WITH_RSA_OID = bytes.fromhex("06092a864886f70d01010b")


@pytest.mark.parametrize("last_arc,name", [(0x05, "sha1"), (0x04, "md5")])
def test_md5_and_sha1_signed_certificates_bind_with_sha256(
    rsa_sha256_cert: bytes, last_arc: int, name: str
) -> None:
    # cryptography will not sign with SHA-1/MD5 any more: relabel the algorithm instead.
    der = rsa_sha256_cert.replace(SHA256_WITH_RSA_OID, SHA256_WITH_RSA_OID[:-1] + bytes([last_arc]))
    assert certificate_signature_digest(der) == name
    assert tls_server_end_point(der) == hashlib.sha256(der).digest()


def test_ed25519_certificate_has_no_digest(ed25519_cert: bytes) -> None:
    with pytest.raises(ValueError, match="1.3.101.112"):
        tls_server_end_point(ed25519_cert)


@pytest.mark.parametrize(
    "mangle",
    [
        lambda der: b"",
        lambda der: der[:-40],
        lambda der: b"\x31" + der[1:],
        lambda der: der[:1] + b"\x85" + der[2:],
        lambda der: b"\x30\x03\x02\x01\x00",
    ],
)
def test_malformed_certificates_raise_value_error(
    rsa_sha256_cert: bytes, mangle: Callable[[bytes], bytes]
) -> None:
    with pytest.raises(ValueError):
        certificate_signature_digest(mangle(rsa_sha256_cert))


@settings(max_examples=300)
@given(st.binary(max_size=64))
def test_certificate_parser_never_crashes(data: bytes) -> None:
    try:
        certificate_signature_digest(data)
    except ValueError:
        pass
