"""GSSAPI authentication and GSSAPI encryption against a real MIT KDC and a real server.

One KDC and one server per module: the server's keytab holds ``postgres/localhost``, pg_hba
sends the Kerberos user to ``gss`` both over ``hostgssenc`` (encrypted) and ``host``
(authentication only). Skips with the reason when krb5 or the gssapi package is missing.
"""

from __future__ import annotations

import os
import socket
import struct
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fakeserver import one_shot_server
from kdc import REALM, USER, Kdc, missing_tools
from pgserver import PgServer

_missing = missing_tools()
if _missing:
    pytest.skip(
        "GSSAPI tests need MIT krb5 (apt-get install krb5-kdc krb5-admin-server krb5-user); "
        f"missing: {', '.join(_missing)}",
        allow_module_level=True,
    )
pytest.importorskip("gssapi", reason="GSSAPI tests need the gssapi package (pgdbapi[gssapi])")

import pgdbapi  # noqa: E402
import pgdbapi.gss  # noqa: E402
from pgdbapi import errors  # noqa: E402

pytestmark = pytest.mark.skipif(
    bool(os.environ.get("PGDBAPI_TEST_DSN")), reason="starts its own Kerberized server"
)

GSS_RULE = "gss include_realm=0"
LOOPBACKS = ("127.0.0.1/32", "::1/128")
GSSENC_REQUEST = struct.pack("!ii", 8, 80877104)


@pytest.fixture(scope="module")
def kdc() -> Iterator[Kdc]:
    saved = {key: os.environ.get(key) for key in ("KRB5_CONFIG", "KRB5CCNAME")}
    with Kdc() as running:
        os.environ.update(running.client_env())
        try:
            yield running
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


@pytest.fixture(scope="module")
def gss_server(kdc: Kdc) -> Iterator[PgServer]:
    rules = [f"hostgssenc all {USER} {net} {GSS_RULE}" for net in LOOPBACKS]
    rules += [f"host all {USER} {net} {GSS_RULE}" for net in LOOPBACKS]
    server = PgServer(
        settings={"krb_server_keyfile": "'postgres.keytab'"},
        hba_rules=rules,
        extra_roles={USER: None},
        data_files={"postgres.keytab": kdc.keytab_bytes()},
    )
    with server:
        yield server


def _connect(server: PgServer, **params: Any) -> Any:
    params.setdefault("user", USER)
    params.setdefault("connect_timeout", 10)
    params.setdefault("sslmode", "disable")
    return pgdbapi.connect(server.dsn(host="localhost", **params))


def _gss_status(conn: Any) -> tuple[bool, str, bool]:
    cur = conn.cursor()
    cur.execute(
        "SELECT gss_authenticated, principal, encrypted FROM pg_stat_gssapi "
        "WHERE pid = pg_backend_pid()"
    )
    row = cur.fetchone()
    return row[0], row[1], row[2]


def test_gss_authentication_without_encryption(gss_server: PgServer) -> None:
    conn = _connect(gss_server, gssencmode="disable")
    try:
        assert _gss_status(conn) == (True, f"{USER}@{REALM}", False)
        cur = conn.cursor()
        cur.execute("SELECT current_user")
        assert cur.fetchone() == (USER,)
    finally:
        conn.close()


@pytest.mark.parametrize("mode", ["require", "prefer"])
def test_gss_encryption(gss_server: PgServer, mode: str) -> None:
    conn = _connect(gss_server, gssencmode=mode)
    try:
        assert _gss_status(conn) == (True, f"{USER}@{REALM}", True)
    finally:
        conn.close()


def test_gss_encryption_is_preferred_over_tls_by_default(gss_server: PgServer) -> None:
    # sslmode=prefer meets a server without TLS after the GSSAPI layer: nothing else is tried
    conn = _connect(gss_server, sslmode="prefer")
    try:
        assert _gss_status(conn)[2] is True
    finally:
        conn.close()


def test_more_than_16_kB_both_ways_through_the_encrypted_stream(gss_server: PgServer) -> None:
    conn = _connect(gss_server, gssencmode="require", krbsrvname="postgres", gsslib="gssapi")
    try:
        stream = conn._transport.stream if hasattr(conn, "_transport") else None
        if stream is not None:
            assert isinstance(stream, pgdbapi.gss.GssStream)
            assert 0 < stream.max_chunk < 16384
        big = "".join(chr(0x41 + i % 26) for i in range(100_000))
        cur = conn.cursor()
        cur.execute("SELECT %s::text, length(%s::text), repeat('xy', 150000)", (big, big))
        echoed, length, generated = cur.fetchone()
        assert echoed == big
        assert length == len(big)
        assert generated == "xy" * 150000
        cur.execute("SELECT 1")  # the stream stays in step after the big packets
        assert cur.fetchone() == (1,)
    finally:
        conn.close()


def test_wrong_krbsrvname_fails_with_gssencmode_require(gss_server: PgServer) -> None:
    with pytest.raises(pgdbapi.OperationalError, match="gssencmode=require.*GSSAPI"):
        _connect(gss_server, gssencmode="require", krbsrvname="nosuchservice")


def test_wrong_krbsrvname_falls_back_without_gss_when_preferred(gss_server: PgServer) -> None:
    # the superuser's own rule (trust) takes the unencrypted retry
    conn = _connect(gss_server, user="postgres", gssencmode="prefer", krbsrvname="nosuchservice")
    try:
        assert _gss_status(conn)[2] is False
    finally:
        conn.close()


def test_gss_authentication_with_wrong_krbsrvname_fails(gss_server: PgServer) -> None:
    with pytest.raises(pgdbapi.OperationalError, match="GSSAPI authentication failed"):
        _connect(gss_server, gssencmode="disable", krbsrvname="nosuchservice")


def test_gsslib_other_than_gssapi_is_refused(gss_server: PgServer) -> None:
    with pytest.raises(pgdbapi.OperationalError, match='gsslib parameter value: "sspi"'):
        _connect(gss_server, gsslib="sspi")


def test_without_the_gssapi_package(gss_server: PgServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pgdbapi.gss, "gssapi", None)
    with pytest.raises(pgdbapi.OperationalError, match="gssencmode=require.*gssapi"):
        _connect(gss_server, gssencmode="require")
    with pytest.raises(pgdbapi.OperationalError, match="GSSAPI authentication.*gssapi is not"):
        _connect(gss_server, gssencmode="prefer")


def test_without_credentials(gss_server: PgServer, kdc: Kdc) -> None:
    kdc.kdestroy()
    try:
        assert not pgdbapi.gss.has_credentials()
        with pytest.raises(pgdbapi.OperationalError, match="gssencmode=require.*GSSAPI"):
            _connect(gss_server, gssencmode="require")
        # prefer sends no GSSENCRequest: the host rule asks for GSSAPI authentication
        with pytest.raises(pgdbapi.OperationalError, match="GSSAPI authentication failed"):
            _connect(gss_server)
    finally:
        kdc.kinit()


def test_cancel_of_a_gss_encrypted_session(gss_server: PgServer) -> None:
    conn = _connect(gss_server, gssencmode="require")
    watcher = _connect(gss_server, user="postgres", gssencmode="disable")
    sql = "SELECT pg_sleep(20) -- gss cancel"

    def cancel_when_running() -> None:
        cur = watcher.cursor()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            cur.execute("SELECT count(*) FROM pg_stat_activity WHERE query = %s", (sql,))
            if cur.fetchone()[0]:
                break
            time.sleep(0.02)
        conn.cancel()

    try:
        watcher.autocommit = True
        thread = threading.Thread(target=cancel_when_running, daemon=True)
        thread.start()
        with pytest.raises(errors.QueryCanceled):
            conn.cursor().execute(sql)
        thread.join(10)
        conn.rollback()
        cur = conn.cursor()
        cur.execute("SELECT 1")
        assert cur.fetchone() == (1,)
    finally:
        conn.close()
        watcher.close()


@pytest.mark.parametrize(
    "reply,words",
    [
        (b"N", "server doesn't support GSSAPI encryption"),
        (b"E", "error response during GSSAPI encryption request"),
        (b"GX", "unencrypted data after the encryption answer"),
        (b"Q", "invalid response to GSSAPI negotiation"),
    ],
)
def test_gssencrequest_answers(reply: bytes, words: str) -> None:
    with one_shot_server(reply) as (port, received):
        with pytest.raises(pgdbapi.OperationalError, match=words):
            pgdbapi.connect(
                host="localhost",
                port=port,
                user=USER,
                dbname="d",
                gssencmode="require",
                connect_timeout=5,
            )
    assert not any(b"user" in chunk for chunk in received)  # no StartupMessage followed


def test_require_auth_gss_is_met_by_gss_encryption(gss_server: PgServer) -> None:
    # over hostgssenc the server sends AuthenticationOk at once: the encryption authenticated
    conn = _connect(gss_server, gssencmode="require", require_auth="gss")
    conn.close()
    with pytest.raises(pgdbapi.OperationalError, match="server did not complete authentication"):
        _connect(gss_server, gssencmode="require", require_auth="scram-sha-256")
    with pytest.raises(pgdbapi.OperationalError, match="server requested GSSAPI authentication"):
        _connect(gss_server, gssencmode="disable", require_auth="password")


class _ScriptedServer:
    """Per connection, per reply: reads the client's next 8 bytes (a request code, or a
    StartupMessage's start), then sends the reply; records what it read."""

    def __init__(self, script: list[list[bytes]]) -> None:
        self.lsock = socket.create_server(("127.0.0.1", 0))
        self.port = self.lsock.getsockname()[1]
        self.seen: list[bytes] = []
        self._thread = threading.Thread(target=self._serve, args=(script,), daemon=True)
        self._thread.start()

    def _serve(self, script: list[list[bytes]]) -> None:
        for replies in script:
            conn, _ = self.lsock.accept()
            with conn:
                conn.settimeout(5)
                for reply in replies:
                    self.seen.append(conn.recv(8))
                    conn.sendall(reply)

    def connect_fails(self, words: str, **params: Any) -> None:
        try:
            with pytest.raises(pgdbapi.OperationalError, match=words):
                pgdbapi.connect(
                    host="127.0.0.1",
                    port=self.port,
                    user=USER,
                    dbname="d",
                    connect_timeout=5,
                    **params,
                )
            self._thread.join(5)
        finally:
            self.lsock.close()


def test_prefer_goes_on_with_ssl_request_on_the_same_socket_after_n() -> None:
    """The server refuses GSSAPI (N): the next packet on that socket is the SSLRequest."""
    server = _ScriptedServer([[b"N", b"E"]])  # refuse TLS too; the client then gives up
    server.connect_fails(
        "error response during SSL exchange", gssencmode="prefer", sslmode="require"
    )
    assert server.seen == [GSSENC_REQUEST, struct.pack("!ii", 8, 80877103)]


def test_prefer_retries_without_gss_when_the_server_rejects_the_request() -> None:
    """A pre-12 server answers the GSSENCRequest with an error: prefer reconnects without it."""
    server = _ScriptedServer([[b"E"], [b""]])
    server.connect_fails("closed the connection", gssencmode="prefer", sslmode="disable")
    assert len(server.seen) == 2
    assert server.seen[0] == GSSENC_REQUEST
    assert server.seen[1][4:8] == struct.pack("!i", 196608)  # a StartupMessage (protocol 3.0)
