"""What goes on the wire: one write per round trip, batches, multi-host fallback."""

from __future__ import annotations

import socket
from typing import Any

import pytest

import pgdbapi
from pgdbapi import transport


@pytest.fixture
def sends(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    seen: list[bytes] = []
    original = transport.Transport.send

    def spy(self: Any, data: Any) -> None:
        seen.append(bytes(data))
        original(self, data)

    monkeypatch.setattr(transport.Transport, "send", spy)
    return seen


def test_extended_query_is_one_write(conn: Any, sends: list[bytes]) -> None:
    conn.autocommit = True
    cur = conn.cursor()
    sends.clear()
    cur.execute("select %s::int + %s", (1, 2))
    assert cur.fetchone() == (3,)
    assert len(sends) == 1
    msg = sends[0]
    types = []
    pos = 0
    while pos < len(msg):
        types.append(chr(msg[pos]))
        pos += 1 + int.from_bytes(msg[pos + 1 : pos + 5], "big")
    assert types == ["P", "B", "D", "E", "S"]


def test_begin_goes_in_the_same_write(conn: Any, sends: list[bytes]) -> None:
    cur = conn.cursor()
    sends.clear()
    cur.execute("select %s", (1,))
    assert len(sends) == 1 and sends[0].startswith(b"Q") and b"BEGIN" in sends[0]
    conn.rollback()


def test_executemany_one_write_per_batch(conn: Any, sends: list[bytes]) -> None:
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute("create temp table tw (x int)")
    sends.clear()
    cur.executemany("insert into tw values (%s)", [(i,) for i in range(2500)])
    assert cur.rowcount == 2500
    assert len(sends) == 3  # 1000 + 1000 + 500
    assert sends[0].count(b"P\x00") >= 1 and sends[0].count(b"S\x00\x00\x00\x04") == 1


def test_multi_host_falls_through_to_working_one(pg_server: Any) -> None:
    dead = socket.socket()
    dead.bind(("127.0.0.1", 0))
    dead_port = dead.getsockname()[1]
    dead.close()
    conn = pgdbapi.connect(
        host=f"127.0.0.1,{pg_server.host}",
        port=f"{dead_port},{pg_server.port}",
        user="postgres",
        dbname="pgdbapi_test",
    )
    try:
        cur = conn.cursor()
        cur.execute("select 1")
        assert cur.fetchone() == (1,)
    finally:
        conn.close()


def test_all_hosts_failing_lists_each(pg_server: Any) -> None:
    ports = []
    for _ in range(2):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        ports.append(s.getsockname()[1])
        s.close()
    with pytest.raises(pgdbapi.OperationalError) as info:
        pgdbapi.connect(
            host="127.0.0.1,127.0.0.1", port=f"{ports[0]},{ports[1]}", user="x", dbname="x"
        )
    text = str(info.value)
    assert str(ports[0]) in text and str(ports[1]) in text
