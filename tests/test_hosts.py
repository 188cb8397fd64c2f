"""Several hosts: order, target_session_attrs against a real streaming standby,
load_balance_hosts, per-host connect_timeout, the combined error; TCP keepalive options."""

from __future__ import annotations

import os
import random
import socket
import time
from collections.abc import Iterator
from contextlib import closing
from typing import Any

import pytest

import pgdbapi
from pgdbapi.conninfo import HostSpec
from pgdbapi.hosts import balanced, session_mismatch


def _one(conn: Any, sql: str) -> Any:
    cur = conn.cursor()
    cur.execute(sql)
    return cur.fetchone()[0]


def _in_recovery(dsn: str) -> bool:
    with closing(pgdbapi.connect(dsn)) as c:
        return bool(_one(c, "select pg_is_in_recovery()"))


@pytest.fixture
def closed_port() -> int:
    """A loopback port nobody listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


@pytest.fixture(scope="module")
def standby(pg_server: Any) -> Iterator[Any]:
    if not pg_server.managed:
        pytest.skip("a standby needs the managed test server ($PGDBAPI_TEST_DSN is set)")
    from standby import Standby

    with Standby(pg_server) as server:
        yield server


@pytest.fixture
def pair(pg_server: Any, standby: Any) -> dict[str, str]:
    """host/port lists in both orders: primary first ("ps") and standby first ("sp")."""
    p = (pg_server.host, pg_server.port)
    s = (standby.host, standby.port)
    return {
        "ps": f"host={p[0]},{s[0]} port={p[1]},{s[1]}",
        "sp": f"host={s[0]},{p[0]} port={s[1]},{p[1]}",
    }


def _dsn(hosts: str, **extra: str) -> str:
    tail = " ".join(f"{k}={v}" for k, v in extra.items())
    return f"{hosts} user=postgres dbname=pgdbapi_test {tail}"


# ----- the list, without a standby -----------------------------------------------------


def test_hosts_tried_in_order(pg_server: Any, closed_port: int) -> None:
    dsn = _dsn(f"host=127.0.0.1,{pg_server.host} port={closed_port},{pg_server.port}")
    with closing(pgdbapi.connect(dsn)) as c:
        assert c.host.port == pg_server.port
        assert _one(c, "select 1") == 1


def test_hostaddr_list(pg_server: Any, closed_port: int) -> None:
    dsn = _dsn(
        f"host=first.invalid,second.invalid hostaddr=127.0.0.1,{pg_server.host} "
        f"port={closed_port},{pg_server.port}"
    )
    with closing(pgdbapi.connect(dsn)) as c:
        assert c.host == HostSpec("second.invalid", pg_server.host, pg_server.port)


def test_uri_with_several_hosts(pg_server: Any, closed_port: int) -> None:
    uri = (
        f"postgresql://postgres@127.0.0.1:{closed_port},{pg_server.host}:{pg_server.port}"
        "/pgdbapi_test?target_session_attrs=read-write"
    )
    with closing(pgdbapi.connect(uri)) as c:
        assert c.host.port == pg_server.port


def test_error_lists_every_host(pg_server: Any, closed_port: int) -> None:
    dsn = _dsn(
        f"host=127.0.0.1,{pg_server.host} port={closed_port},{pg_server.port}",
        options="'-c default_transaction_read_only=on'",
        target_session_attrs="read-write",
    )
    with pytest.raises(pgdbapi.OperationalError) as info:
        pgdbapi.connect(dsn)
    text = str(info.value)
    assert text.startswith("could not connect to any host:")
    assert f"port {closed_port} failed: Connection refused" in text
    assert f"port {pg_server.port} failed: session is read-only" in text


def test_read_only_session_on_a_primary(pg_server: Any) -> None:
    dsn = pg_server.dsn(
        options="-c default_transaction_read_only=on", target_session_attrs="read-only"
    )
    with closing(pgdbapi.connect(dsn)) as c:
        assert _one(c, "show transaction_read_only") == "on"
    with pytest.raises(pgdbapi.OperationalError, match="session is not read-only"):
        pgdbapi.connect(pg_server.dsn(target_session_attrs="read-only"))


def test_connect_timeout_is_per_host(pg_server: Any) -> None:
    """A host that accepts TCP but never answers costs connect_timeout, then the next is
    tried (libpq rounds 1 up to 2 seconds)."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(4)
        port = silent.getsockname()[1]
        dsn = _dsn(
            f"host=127.0.0.1,{pg_server.host} port={port},{pg_server.port}", connect_timeout="1"
        )
        started = time.monotonic()
        with closing(pgdbapi.connect(dsn)) as c:
            elapsed = time.monotonic() - started
            assert c.host.port == pg_server.port
    assert 1.8 < elapsed < 6


def test_balanced_shuffles_hosts_then_addresses() -> None:
    hosts = [HostSpec(f"10.0.0.{i}", f"10.0.0.{i}", 5432) for i in range(8)]
    orders = {tuple(balanced(hosts, random.Random(seed))) for seed in range(20)}
    assert len(orders) > 1
    assert all(sorted(o, key=str) == sorted(hosts, key=str) for o in orders)
    # a name becomes one entry per address, keeping the name; sockets and bad names stay
    unix = HostSpec("/tmp", None, 5432)
    bad = HostSpec("no-such-host.invalid", None, 5432)
    out = balanced([HostSpec("localhost", None, 5433), unix, bad], random.Random(1))
    assert unix in out and bad in out
    named = [h for h in out if h.host == "localhost"]
    assert named and all(h.hostaddr and h.port == 5433 for h in named)
    assert "127.0.0.1" in {h.hostaddr for h in named}


# ----- with a streaming standby ---------------------------------------------------------


def test_standby_is_a_hot_standby(standby: Any) -> None:
    assert _in_recovery(standby.dsn())


@pytest.mark.parametrize(
    ("order", "attrs", "wants_standby"),
    [
        ("sp", "any", True),
        ("ps", "any", False),
        ("sp", "primary", False),
        ("ps", "standby", True),
        ("sp", "read-write", False),
        ("ps", "read-only", True),
        ("ps", "prefer-standby", True),
        ("sp", "prefer-standby", True),
    ],
)
def test_target_session_attrs(
    pair: dict[str, str], order: str, attrs: str, wants_standby: bool
) -> None:
    with closing(pgdbapi.connect(_dsn(pair[order], target_session_attrs=attrs))) as c:
        assert _one(c, "select pg_is_in_recovery()") is wants_standby


def test_prefer_standby_falls_back_to_any(pg_server: Any) -> None:
    with closing(pgdbapi.connect(pg_server.dsn(target_session_attrs="prefer-standby"))) as c:
        assert _one(c, "select pg_is_in_recovery()") is False


def test_no_host_matches(pg_server: Any, standby: Any) -> None:
    with pytest.raises(pgdbapi.OperationalError, match="server is not in hot standby mode"):
        pgdbapi.connect(pg_server.dsn(target_session_attrs="standby"))
    with pytest.raises(pgdbapi.OperationalError, match="server is in hot standby mode"):
        pgdbapi.connect(standby.dsn(target_session_attrs="primary"))
    with pytest.raises(pgdbapi.OperationalError, match="session is read-only"):
        pgdbapi.connect(standby.dsn(target_session_attrs="read-write"))


def test_environment_variable(pair: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PGTARGETSESSIONATTRS", "standby")
    with closing(pgdbapi.connect(_dsn(pair["ps"]))) as c:
        assert _one(c, "select pg_is_in_recovery()") is True


@pytest.mark.parametrize("attrs", ["read-write", "read-only", "primary", "standby"])
def test_servers_without_reported_state_are_asked(pg_server: Any, standby: Any, attrs: str) -> None:
    """Before PostgreSQL 14 the server reports neither in_hot_standby nor
    default_transaction_read_only: the check then runs a query, with the same verdicts."""
    verdicts = []
    for server in (pg_server, standby):
        with closing(pgdbapi.connect(server.dsn())) as c:
            reported = session_mismatch(attrs, c._transport, c._proto)
            for name in ("in_hot_standby", "default_transaction_read_only"):
                del c._proto.parameters[name]
            asked = session_mismatch(attrs, c._transport, c._proto)
            assert asked == reported
            assert _one(c, "select 1") == 1  # the query left the session in step
            verdicts.append(asked is None)
    assert verdicts in ([True, False], [False, True])


def test_load_balance_random_uses_every_host(pair: dict[str, str]) -> None:
    seen = set()
    for _ in range(30):
        with closing(pgdbapi.connect(_dsn(pair["ps"], load_balance_hosts="random"))) as c:
            seen.add(_one(c, "select pg_is_in_recovery()"))
        if len(seen) == 2:
            break
    assert seen == {True, False}


def test_load_balance_keeps_target_session_attrs(pair: dict[str, str]) -> None:
    for _ in range(6):
        dsn = _dsn(pair["sp"], load_balance_hosts="random", target_session_attrs="primary")
        with closing(pgdbapi.connect(dsn)) as c:
            assert _one(c, "select pg_is_in_recovery()") is False


# ----- TCP keepalives -------------------------------------------------------------------


def _sockopts(conn: Any) -> dict[str, int]:
    with socket.socket(fileno=os.dup(conn.fileno())) as s:
        return {
            "keepalive": s.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE),
            "idle": s.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE),
            "interval": s.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL),
            "count": s.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT),
            "user_timeout": s.getsockopt(socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT),
        }


needs_linux_tcp = pytest.mark.skipif(
    not all(hasattr(socket, n) for n in ("TCP_KEEPIDLE", "TCP_KEEPCNT", "TCP_USER_TIMEOUT")),
    reason="Linux TCP socket options",
)


@needs_linux_tcp
def test_keepalive_options_are_set(pg_server: Any) -> None:
    dsn = pg_server.dsn(
        keepalives_idle=17, keepalives_interval=3, keepalives_count=4, tcp_user_timeout=9000
    )
    with closing(pgdbapi.connect(dsn)) as c:
        assert _sockopts(c) == {
            "keepalive": 1,
            "idle": 17,
            "interval": 3,
            "count": 4,
            "user_timeout": 9000,
        }


@needs_linux_tcp
def test_keepalives_off(pg_server: Any) -> None:
    with closing(pgdbapi.connect(pg_server.dsn())) as c:
        assert _sockopts(c)["keepalive"] == 1  # on by default, as libpq
    with closing(pgdbapi.connect(pg_server.dsn(keepalives=0, tcp_user_timeout=500))) as c:
        opts = _sockopts(c)
        assert opts["keepalive"] == 0
        assert opts["user_timeout"] == 500


def test_keepalives_ignored_on_unix_socket(pg_server: Any) -> None:
    dsn = pg_server.dsn(host=pg_server.socket_dir, keepalives_idle=5, tcp_user_timeout=100)
    with closing(pgdbapi.connect(dsn)) as c:
        assert _one(c, "select 1") == 1


def test_keepalive_value_rejected_by_conninfo(pg_server: Any) -> None:
    with pytest.raises(pgdbapi.ProgrammingError, match="keepalives_idle"):
        pgdbapi.connect(pg_server.dsn(keepalives_idle="soon"))


@needs_linux_tcp
def test_keepalives_after_the_stream_was_swapped(pg_server: Any) -> None:
    """TLS detaches the plain socket object (the SSLSocket takes its descriptor over): the
    options go through the stream then."""
    from pgdbapi.transport import TcpOptions, Transport, open_socket

    host = HostSpec(pg_server.host, None, pg_server.port)
    with Transport(open_socket(host, 5), host) as transport:
        transport.upgrade(lambda sock: socket.socket(fileno=sock.detach()))
        assert transport.raw_socket.fileno() == -1
        TcpOptions(idle=23).apply(transport)
        stream = transport.stream
        assert isinstance(stream, socket.socket)
        assert stream.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE) == 23
