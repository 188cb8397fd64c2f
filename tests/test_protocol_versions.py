"""Protocol 3.0 and 3.2 against PostgreSQL 15 and 18 (min/max_protocol_version,
NegotiateProtocolVersion, long cancel keys), and direct TLS against PostgreSQL 18."""

from __future__ import annotations

import ssl
import struct
from collections.abc import Iterator
from contextlib import closing
from typing import Any

import pytest
from certs import PKI
from fakeserver import one_shot_server
from pgserver import PgServer

import pgdbapi
from pgdbapi import startup
from pgdbapi.conninfo import resolve
from pgdbapi.protocol import PROTOCOL_3_0, PROTOCOL_3_2, Protocol
from pgdbapi.transport import Transport

SCRAM = ("scram_user", "scram secret")


def _establish(dsn: str, **kwargs: Any) -> tuple[Transport, Protocol]:
    info = resolve(dsn)
    return startup.establish(info, info.hosts[0], max_message_size=1 << 20, **kwargs)


@pytest.fixture
def sends(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    seen: list[bytes] = []
    original = Transport.send

    def spy(self: Any, data: Any) -> None:
        seen.append(bytes(data))
        original(self, data)

    monkeypatch.setattr(Transport, "send", spy)
    return seen


# --- against real servers ----------------------------------------------------------------------


@pytest.fixture(params=["pg15", "pg18"])
def server(request: pytest.FixtureRequest) -> PgServer:
    if request.param == "pg15":
        return request.getfixturevalue("managed_server")  # type: ignore[no-any-return]
    return request.getfixturevalue("pg18_server")  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    "params,requested",
    [
        ({}, PROTOCOL_3_0),
        ({"max_protocol_version": "3.2"}, PROTOCOL_3_2),
        ({"max_protocol_version": "latest"}, PROTOCOL_3_2),
        ({"min_protocol_version": "3.2"}, PROTOCOL_3_2),
    ],
)
def test_negotiated_version_and_cancel_key(
    server: PgServer, sends: list[bytes], params: dict[str, str], requested: int
) -> None:
    supported = PROTOCOL_3_2 if server.version >= 180000 else PROTOCOL_3_0
    dsn = server.dsn(sslmode="disable", **params)
    if params.get("min_protocol_version") and requested > supported:
        with pytest.raises(
            pgdbapi.OperationalError, match="server only supports protocol version 3.0"
        ):
            _establish(dsn)
    else:
        transport, proto = _establish(dsn)
        with closing(transport):
            assert proto.protocol_version == min(requested, supported)
            assert len(proto.backend_key) == (32 if proto.protocol_version == PROTOCOL_3_2 else 4)
            assert proto.backend_pid > 0
    assert struct.unpack("!i", sends[0][4:8])[0] == requested  # the StartupMessage's version


def test_min_protocol_version_above_the_server_fails(managed_server: PgServer) -> None:
    with pytest.raises(
        pgdbapi.OperationalError,
        match="server only supports protocol version 3.0, but min_protocol_version was set to 3.2",
    ):
        pgdbapi.connect(managed_server.dsn(min_protocol_version="3.2"))


def test_connection_over_protocol_3_2_works(pg18_server: PgServer) -> None:
    conn = pgdbapi.connect(pg18_server.dsn(max_protocol_version="latest"))
    with closing(conn):
        assert conn.protocol_version == 3
        assert conn.negotiated_protocol_version == (3, 2)
        assert len(conn.backend_key) == 32
        cur = conn.cursor()
        cur.execute("select %s::int + 1", (41,))
        assert cur.fetchone() == (42,)


# --- scripted servers: NegotiateProtocolVersion and BackendKeyData the driver must refuse -------


def _msg(kind: bytes, body: bytes) -> bytes:
    return kind + struct.pack("!i", len(body) + 4) + body


def _negotiate(version: int) -> bytes:
    return _msg(b"v", struct.pack("!ii", version, 0))


@pytest.fixture
def scripted(request: pytest.FixtureRequest) -> Iterator[tuple[int, list[bytes]]]:
    """A fake server answering the StartupMessage with ``request.param``."""
    with one_shot_server(request.param) as server:
        yield server


_CLEARTEXT = _msg(b"R", struct.pack("!i", 3))


@pytest.mark.parametrize(
    "scripted,params,message",
    [
        (_negotiate(PROTOCOL_3_0) + _CLEARTEXT, {"min_protocol_version": "3.2"},
         "server only supports protocol version 3.0"),
        (_negotiate(0x30003) + _CLEARTEXT, {"max_protocol_version": "3.2"},
         "downgrade to a higher-numbered version"),
        (_negotiate(0x20000) + _CLEARTEXT, {"max_protocol_version": "3.2"},
         "downgrade to pre-3.0 protocol version"),
    ],
    indirect=["scripted"],
)  # fmt: skip
def test_bad_negotiation_fails_before_the_password(
    scripted: tuple[int, list[bytes]], params: dict[str, str], message: str
) -> None:
    port, received = scripted
    with pytest.raises(pgdbapi.OperationalError, match=message):
        pgdbapi.connect(host="127.0.0.1", port=port, user="u", dbname="d", password="secret",
                        sslmode="disable", connect_timeout=5, **params)  # fmt: skip
    assert not any(b"secret" in chunk for chunk in received)


@pytest.mark.parametrize(
    "scripted",
    [_msg(b"R", struct.pack("!i", 0)) + _msg(b"K", struct.pack("!i", 7) + bytes(257))
     + _msg(b"Z", b"I")],
    indirect=True,
)  # fmt: skip
def test_oversized_cancel_key_is_refused(scripted: tuple[int, list[bytes]]) -> None:
    port, _ = scripted
    with pytest.raises(pgdbapi.OperationalError, match="257-byte cancel key"):
        pgdbapi.connect(host="127.0.0.1", port=port, user="u", dbname="d", sslmode="disable",
                        max_protocol_version="3.2", connect_timeout=5)  # fmt: skip


# --- TLS on PostgreSQL 18: ALPN and direct TLS --------------------------------------------------


@pytest.fixture
def roots(pki: PKI, tmp_path: Any) -> str:
    return pki.write(str(tmp_path))["roots.crt"]


@pytest.mark.parametrize("negotiation", ["postgres", "direct"])
def test_tls_on_pg18_selects_alpn(pg18_server: PgServer, roots: str, negotiation: str) -> None:
    dsn = pg18_server.dsn(host="localhost", sslmode="verify-full", sslrootcert=roots,
                          sslnegotiation=negotiation)  # fmt: skip
    transport, _proto = _establish(dsn)
    with closing(transport):
        stream = transport.stream
        assert isinstance(stream, ssl.SSLSocket)
        assert stream.selected_alpn_protocol() == "postgresql"


def test_direct_tls_with_channel_binding(pg18_server: PgServer) -> None:
    user, password = SCRAM
    conn = pgdbapi.connect(
        pg18_server.dsn(
            user=user,
            password=password,
            sslmode="require",
            sslnegotiation="direct",
            channel_binding="require",
            max_protocol_version="3.2",
        )  # fmt: skip
    )
    with closing(conn):
        cur = conn.cursor()
        cur.execute("select ssl from pg_stat_ssl where pid = pg_backend_pid()")
        assert cur.fetchone() == (True,)


def test_direct_tls_needs_alpn(pg18_server: PgServer) -> None:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # a caller's context without ALPN
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    dsn = pg18_server.dsn(sslmode="require", sslnegotiation="direct")
    with pytest.raises(pgdbapi.OperationalError, match="without ALPN"):
        _establish(dsn, ssl_context=context)


def test_direct_tls_against_pg15_fails(pg_tls_server: PgServer) -> None:
    with pytest.raises(pgdbapi.OperationalError):
        pgdbapi.connect(pg_tls_server.dsn(sslmode="require", sslnegotiation="direct",
                                          connect_timeout=10))  # fmt: skip


def test_direct_tls_refuses_weak_sslmode(pg18_server: PgServer) -> None:
    with pytest.raises(pgdbapi.ProgrammingError, match="weak sslmode"):
        pgdbapi.connect(pg18_server.dsn(sslmode="prefer", sslnegotiation="direct"))
