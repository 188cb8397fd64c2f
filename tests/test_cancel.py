"""Cancelling a running statement: conn.cancel() from another thread, and Ctrl-C."""

from __future__ import annotations

import signal
import socket
import struct
import threading
import time
from collections.abc import Iterator
from contextlib import closing
from typing import Any

import pytest

import pgdbapi
from pgdbapi import errors
from pgdbapi.cancel import CANCEL_REQUEST_CODE, cancel_packet, send_cancel
from pgdbapi.conninfo import HostSpec

SLEEP = "select pg_sleep(10)"
BOUND = 5.0  # seconds a cancelled pg_sleep(10) may take at most


@pytest.fixture
def watcher(dsn: str) -> Iterator[Any]:
    """A second connection, to look at the first one's backend."""
    with closing(pgdbapi.connect(dsn)) as c:
        c.autocommit = True  # pg_stat_activity is a snapshot for a whole transaction
        yield c


def _one(conn: Any, sql: str) -> Any:
    cur = conn.cursor()
    cur.execute(sql)
    return cur.fetchone()[0]


def _wait_until_running(conn: Any, watcher: Any, sql: str) -> None:
    """Until the server shows ``sql`` active in ``conn``'s backend (cancel must hit it)."""
    pid = conn.get_backend_pid()
    deadline = time.monotonic() + BOUND
    while time.monotonic() < deadline:
        state = _one(watcher, f"select query from pg_stat_activity where pid = {pid}")
        if state == sql:
            return
        time.sleep(0.02)
    raise AssertionError(f"{sql!r} never started")


def test_cancel_packet_layout() -> None:
    assert cancel_packet(1234, b"\x00\x01\x02\x03") == (
        struct.pack("!iii", 16, CANCEL_REQUEST_CODE, 1234) + b"\x00\x01\x02\x03"
    )
    long_key = bytes(range(32))  # protocol 3.2 keys are sent as received
    assert cancel_packet(7, long_key)[:4] == struct.pack("!i", 12 + 32)
    assert cancel_packet(7, long_key)[12:] == long_key
    with pytest.raises(pgdbapi.InterfaceError):
        cancel_packet(7, b"abc")
    with pytest.raises(pgdbapi.InterfaceError):
        cancel_packet(7, bytes(257))


@pytest.mark.parametrize("autocommit", [True, False], ids=["autocommit", "transaction"])
def test_cancel_from_another_thread(conn: Any, watcher: Any, autocommit: bool) -> None:
    conn.autocommit = autocommit
    cur = conn.cursor()
    if not autocommit:
        cur.execute("select 1")
    canceller = threading.Thread(
        target=lambda: (_wait_until_running(conn, watcher, SLEEP), conn.cancel()), daemon=True
    )
    started = time.monotonic()
    canceller.start()
    with pytest.raises(errors.QueryCanceled) as info:
        cur.execute(SLEEP)
    assert time.monotonic() - started < BOUND
    canceller.join(BOUND)
    assert info.value.pgcode == "57014"
    assert conn.closed == 0
    if autocommit:
        assert _one(conn, "select 42") == 42
    else:
        assert conn.get_transaction_status() == 3  # in a failed transaction
        conn.rollback()
        assert _one(conn, "select 42") == 42


@pytest.mark.parametrize(
    ("server", "extra", "key_length"),
    [
        ("pg18_server", {"max_protocol_version": "3.2", "sslmode": "disable"}, 32),
        ("pg18_server", {"max_protocol_version": "3.0", "sslmode": "require"}, 4),
        ("pg_tls_server", {"sslmode": "require"}, 4),
    ],
    ids=["pg18-protocol-3.2", "pg18-tls", "pg15-tls"],
)
def test_cancel_long_keys_and_tls_connections(
    request: pytest.FixtureRequest, server: str, extra: dict[str, str], key_length: int
) -> None:
    """A 3.2 key goes back as received; a TLS session is cancelled too (the request itself
    travels unencrypted, as libpq's PQcancel sends it)."""
    pg = request.getfixturevalue(server)
    with closing(pgdbapi.connect(pg.dsn(**extra))) as c:
        assert len(c.backend_key) == key_length
        c.autocommit = True
        with closing(pgdbapi.connect(pg.dsn(sslmode="disable"))) as w:
            w.autocommit = True
            canceller = threading.Thread(
                target=lambda: (_wait_until_running(c, w, SLEEP), c.cancel()), daemon=True
            )
            started = time.monotonic()
            canceller.start()
            with pytest.raises(errors.QueryCanceled):
                c.cursor().execute(SLEEP)
            assert time.monotonic() - started < BOUND
            canceller.join(BOUND)
        assert _one(c, "select 42") == 42


def test_cancel_while_idle_is_harmless(conn: Any) -> None:
    conn.cancel()
    assert _one(conn, "select 1") == 1


def test_cancel_closed_connection_raises(dsn: str) -> None:
    c = pgdbapi.connect(dsn)
    c.close()
    with pytest.raises(pgdbapi.InterfaceError):
        c.cancel()


def test_send_cancel_waits_for_the_server_to_close(pg_server: Any, conn: Any) -> None:
    """send_cancel delivers the request itself; a bogus key cancels nothing."""
    host = HostSpec(pg_server.host, None, pg_server.port)
    send_cancel(host, conn.get_backend_pid(), b"\xff\xff\xff\xff", timeout=5)
    assert _one(conn, "select 1") == 1


def test_send_cancel_wrap_runs_before_the_request(pg_server: Any, conn: Any) -> None:
    """The encryption hook gets the fresh transport first; its failure aborts the cancel."""
    host = HostSpec(pg_server.host, None, pg_server.port)
    seen: list[Any] = []

    def refuse(transport: Any) -> None:
        seen.append(transport)
        raise pgdbapi.OperationalError("no encryption here")

    with pytest.raises(pgdbapi.OperationalError, match="no encryption"):
        send_cancel(host, conn.get_backend_pid(), conn.backend_key, timeout=5, wrap=refuse)
    assert len(seen) == 1 and seen[0].closed


def test_send_cancel_unreachable_host_fails() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(pgdbapi.OperationalError, match="Connection refused"):
        send_cancel(HostSpec("127.0.0.1", None, port), 1, b"\0\0\0\0", timeout=5)


# ----- KeyboardInterrupt -----------------------------------------------------------------


def _interrupt_main(delay: float, times: int = 1, gap: float = 0.3) -> threading.Thread:
    main = threading.main_thread().ident
    assert main is not None

    def send() -> None:
        for i in range(times):
            time.sleep(delay if i == 0 else gap)
            signal.pthread_kill(main, signal.SIGINT)

    thread = threading.Thread(target=send, daemon=True)
    thread.start()
    return thread


@pytest.fixture
def main_thread_only() -> None:
    if threading.current_thread() is not threading.main_thread():
        pytest.skip("SIGINT is handled in the main thread only")
    if signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        pytest.skip("SIGINT is not Python's KeyboardInterrupt here")


@pytest.mark.parametrize("autocommit", [True, False], ids=["autocommit", "transaction"])
def test_keyboard_interrupt_cancels_and_keeps_connection(
    main_thread_only: None, conn: Any, autocommit: bool
) -> None:
    conn.autocommit = autocommit
    cur = conn.cursor()
    started = time.monotonic()
    sender = _interrupt_main(0.5)
    with pytest.raises(KeyboardInterrupt):
        cur.execute(SLEEP)
    elapsed = time.monotonic() - started
    sender.join(BOUND)
    assert elapsed < 3.0
    assert conn.closed == 0
    if not autocommit:
        assert conn.get_transaction_status() == 3
        conn.rollback()
    assert _one(conn, "select 42") == 42


def test_keyboard_interrupt_with_parameters(main_thread_only: None, conn: Any) -> None:
    conn.autocommit = True
    cur = conn.cursor()
    sender = _interrupt_main(0.5)
    with pytest.raises(KeyboardInterrupt):
        cur.execute("select pg_sleep(%s)", (10,))
    sender.join(BOUND)
    assert conn.closed == 0
    assert _one(conn, "select 42") == 42


def test_second_interrupt_while_draining_closes(
    main_thread_only: None, conn: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If the cancel does not take effect, a second Ctrl-C gives up on the connection."""
    monkeypatch.setattr(type(conn), "cancel", lambda self: None)  # a cancel that is lost
    cur = conn.cursor()
    started = time.monotonic()
    sender = _interrupt_main(0.5, times=2, gap=0.5)
    with pytest.raises(KeyboardInterrupt):
        cur.execute(SLEEP)
    assert time.monotonic() - started < 3.0
    sender.join(BOUND)
    assert conn.closed == 2


def test_interrupt_while_parsing_closes(conn: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """An interrupt after bytes were consumed leaves the stream position unknown."""

    def interrupted() -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(conn._proto, "step", interrupted)
    with pytest.raises(KeyboardInterrupt):
        conn.cursor().execute("select 1")
    assert conn.closed == 2


def test_wait_readable_consumes_nothing_and_honours_the_timeout() -> None:
    """The wait an interrupt may safely land in: it reads no byte, and a timeout ends it."""
    from pgdbapi.transport import Transport

    ours, theirs = socket.socketpair()
    with closing(theirs), Transport(ours, HostSpec("/tmp", None, 5432)) as transport:
        transport.settimeout(0.2)
        started = time.monotonic()
        transport.wait_readable()
        assert 0.15 < time.monotonic() - started < 2
        theirs.sendall(b"Z")
        transport.wait_readable()
        transport.wait_readable()
        buf = bytearray(4)
        assert transport.recv_into(memoryview(buf)) == 1 and buf[:1] == b"Z"


def test_keyboard_interrupt_over_tls(main_thread_only: None, pg_tls_server: Any) -> None:
    """The wait an interrupt lands in also covers bytes TLS already decrypted."""
    with closing(pgdbapi.connect(pg_tls_server.dsn(sslmode="require"))) as c:
        c.autocommit = True
        cur = c.cursor()
        cur.execute("select repeat('x', 100000)")  # several TLS records, read through
        assert len(cur.fetchone()[0]) == 100000
        sender = _interrupt_main(0.5)
        started = time.monotonic()
        with pytest.raises(KeyboardInterrupt):
            cur.execute(SLEEP)
        assert time.monotonic() - started < 3.0
        sender.join(BOUND)
        assert c.closed == 0
        assert _one(c, "select 42") == 42
