"""Connecting for real: DSN forms, environment, .pgpass, sockets, auth methods, start-up."""

from __future__ import annotations

import os
import socket
import threading
import time
from typing import Any

import pytest

import pgdbapi
from pgdbapi import errors


def _one(conn: Any, sql: str, params: Any = None) -> Any:
    cur = conn.cursor()
    cur.execute(sql, params)
    return cur.fetchone()[0]


def test_connect_dsn_and_query(pg_server: Any) -> None:
    conn = pgdbapi.connect(pg_server.dsn())
    try:
        assert _one(conn, "select 1") == 1
        assert conn.closed == 0
    finally:
        conn.close()
    assert conn.closed == 1


def test_connect_uri_and_kwargs(managed_server: Any) -> None:
    s = managed_server
    uri = f"postgresql://scram_user:scram%20secret@{s.host}:{s.port}/pgdbapi_test?application_name=uri%20app"
    with pgdbapi.connect(uri) as conn:
        assert _one(conn, "select current_user") == "scram_user"
        assert _one(conn, "show application_name") == "uri app"
    conn.close()
    # keyword arguments override the DSN; None values are ignored (psycopg2)
    conn = pgdbapi.connect(
        f"host={s.host} port={s.port} dbname=postgres user=trust_user",
        dbname="pgdbapi_test",
        application_name="kw app",
        password=None,
    )
    try:
        assert _one(conn, "select current_database()") == "pgdbapi_test"
        assert _one(conn, "show application_name") == "kw app"
    finally:
        conn.close()


def test_connect_unix_socket(pg_server: Any) -> None:
    conn = pgdbapi.connect(pg_server.dsn(host=pg_server.socket_dir))
    try:
        assert _one(conn, "select 1") == 1
        assert _one(conn, "select inet_client_addr() is null") is True
    finally:
        conn.close()


def test_connect_ipv6(pg_server: Any) -> None:
    if not getattr(pg_server, "ipv6", False):
        pytest.skip("no IPv6 loopback")
    conn = pgdbapi.connect(f"postgresql://postgres@[::1]:{pg_server.port}/pgdbapi_test")
    try:
        assert _one(conn, "select family(inet_client_addr())") == 6
    finally:
        conn.close()


def test_environment_variables(managed_server: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    s = managed_server
    monkeypatch.setenv("PGHOST", s.host)
    monkeypatch.setenv("PGPORT", str(s.port))
    monkeypatch.setenv("PGUSER", "pw_user")
    monkeypatch.setenv("PGPASSWORD", "pw secret")
    monkeypatch.setenv("PGDATABASE", "pgdbapi_test")
    monkeypatch.setenv("PGAPPNAME", "env app")
    monkeypatch.setenv("PGOPTIONS", "-c search_path=pg_catalog")
    conn = pgdbapi.connect()
    try:
        assert _one(conn, "select current_user") == "pw_user"
        assert _one(conn, "show application_name") == "env app"
        assert _one(conn, "show search_path") == "pg_catalog"
    finally:
        conn.close()


def test_pgpass(managed_server: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    s = managed_server
    passfile = tmp_path / "pgpass"
    passfile.write_text(f"# comment\n{s.host}:{s.port}:*:md5_user:md5 secret\n")
    passfile.chmod(0o600)
    monkeypatch.setenv("PGPASSFILE", str(passfile))
    conn = pgdbapi.connect(host=s.host, port=s.port, user="md5_user", dbname="pgdbapi_test")
    try:
        assert _one(conn, "select current_user") == "md5_user"
    finally:
        conn.close()
    passfile.chmod(0o644)  # group/world readable: ignored, as libpq does
    with pytest.warns(UserWarning), pytest.raises(pgdbapi.OperationalError):
        pgdbapi.connect(host=s.host, port=s.port, user="md5_user", dbname="pgdbapi_test")


def test_unknown_parameter_is_programming_error(pg_server: Any) -> None:
    with pytest.raises(pgdbapi.ProgrammingError, match="frobnicate"):
        pgdbapi.connect(pg_server.dsn() + " frobnicate=1")
    with pytest.raises(pgdbapi.ProgrammingError, match="frobnicate"):
        pgdbapi.connect(pg_server.dsn(), frobnicate=1)


@pytest.mark.parametrize(
    "role",
    ["trust_user", "pw_user", "md5_user", "scram_user", "scram_nonascii"],
)
@pytest.mark.parametrize("via", ["tcp", "unix"])
def test_auth_methods(managed_server: Any, role: str, via: str) -> None:
    method, password = managed_server.ROLES[role]
    host = managed_server.host if via == "tcp" else managed_server.socket_dir
    conn = pgdbapi.connect(managed_server.dsn(user=role, password=password, host=host))
    try:
        assert _one(conn, "select current_user") == role
    finally:
        conn.close()


@pytest.mark.parametrize(
    "role,method_word",
    [("pw_user", "password"), ("md5_user", "password"), ("scram_user", "password")],
)
def test_wrong_password(managed_server: Any, role: str, method_word: str) -> None:
    with pytest.raises(pgdbapi.OperationalError) as info:
        pgdbapi.connect(managed_server.dsn(user=role, password="wrong"))
    assert info.value.pgcode == "28P01"
    assert method_word in str(info.value)


@pytest.mark.parametrize("role", ["pw_user", "md5_user", "scram_user"])
def test_missing_password_names_method(
    managed_server: Any, role: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PGPASSFILE", os.devnull)
    monkeypatch.delenv("PGPASSWORD", raising=False)
    with pytest.raises(pgdbapi.OperationalError, match="(?i)no password"):
        pgdbapi.connect(managed_server.dsn(user=role))


def test_pg_hba_reject(managed_server: Any) -> None:
    with pytest.raises(pgdbapi.OperationalError) as info:
        pgdbapi.connect(managed_server.dsn(user="reject_user"))
    assert info.value.pgcode == "28000"


def test_startup_error_carries_sqlstate(pg_server: Any) -> None:
    with pytest.raises(pgdbapi.OperationalError) as info:
        pgdbapi.connect(pg_server.dsn(dbname="no_such_db"))
    assert info.value.pgcode == "3D000"
    assert "no_such_db" in str(info.value)
    assert info.value.diag.severity == "FATAL"


def test_parameter_status_and_backend_key(conn: Any) -> None:
    assert conn.get_parameter_status("client_encoding") == "UTF8"
    assert conn.get_parameter_status("DateStyle").startswith("ISO")
    assert conn.server_version >= 100000
    assert conn.protocol_version == 3
    assert conn.get_backend_pid() == _one(conn, "select pg_backend_pid()")
    assert isinstance(conn.backend_key, bytes) and len(conn.backend_key) == 4
    conn.rollback()
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute("set application_name to 'changed'")
    assert conn.get_parameter_status("application_name") == "changed"
    assert conn.parameter_status["application_name"] == "changed"


def test_startup_parameters(pg_server: Any) -> None:
    conn = pgdbapi.connect(
        pg_server.dsn(), options="-c statement_timeout=1234", application_name="pgd"
    )
    try:
        assert _one(conn, "show statement_timeout") == "1234ms"
        assert (
            _one(conn, "select application_name from pg_stat_activity where pid = pg_backend_pid()")
            == "pgd"
        )
    finally:
        conn.close()


def test_replication_parameter_passed(pg_server: Any) -> None:
    conn = pgdbapi.connect(pg_server.dsn(), replication="database")
    try:
        conn.autocommit = True
        cur = conn.cursor()
        cur.execute("IDENTIFY_SYSTEM")
        row = cur.fetchone()
        assert row[3] == "pgdbapi_test"
    finally:
        conn.close()


def _silent_server() -> tuple[socket.socket, int]:
    lsock = socket.socket()
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(5)
    return lsock, lsock.getsockname()[1]


def test_connect_timeout_bounds_startup() -> None:
    lsock, port = _silent_server()
    accepted: list[socket.socket] = []
    t = threading.Thread(target=lambda: accepted.append(lsock.accept()[0]), daemon=True)
    t.start()
    try:
        start = time.monotonic()
        with pytest.raises(pgdbapi.OperationalError, match="(?i)timeout"):
            pgdbapi.connect(host="127.0.0.1", port=port, user="x", dbname="x", connect_timeout=2)
        assert time.monotonic() - start < 10
    finally:
        lsock.close()
        for s in accepted:
            s.close()


def test_connection_refused_names_host() -> None:
    lsock, port = _silent_server()
    lsock.close()
    with pytest.raises(pgdbapi.OperationalError, match=str(port)):
        pgdbapi.connect(host="127.0.0.1", port=port, user="x", dbname="x")


def test_closed_connection_is_interface_error(conn: Any) -> None:
    cur = conn.cursor()
    conn.close()
    conn.close()  # idempotent
    with pytest.raises(pgdbapi.InterfaceError):
        conn.cursor()
    with pytest.raises(pgdbapi.InterfaceError):
        cur.execute("select 1")
    with pytest.raises(pgdbapi.InterfaceError):
        conn.commit()


def test_server_killing_backend_is_operational_error(pg_server: Any) -> None:
    victim = pgdbapi.connect(pg_server.dsn())
    killer = pgdbapi.connect(pg_server.dsn())
    try:
        pid = victim.get_backend_pid()
        killer.autocommit = True
        kc = killer.cursor()
        kc.execute("select pg_terminate_backend(%s)", (pid,))
        time.sleep(0.2)
        with pytest.raises(pgdbapi.OperationalError) as info:
            victim.cursor().execute("select 1")
        assert victim.closed == 2
        assert isinstance(info.value, pgdbapi.OperationalError)
        with pytest.raises(pgdbapi.InterfaceError):
            victim.cursor()
    finally:
        victim.close()
        killer.close()


def test_exceptions_are_connection_attributes(conn: Any) -> None:
    assert conn.ProgrammingError is pgdbapi.ProgrammingError
    assert conn.Error is pgdbapi.Error
    assert conn.Warning is pgdbapi.Warning
    with pytest.raises(conn.ProgrammingError):
        conn.cursor().execute("select * from no_such_table")


def test_errors_module_lookup() -> None:
    assert errors.lookup("23505") is errors.UniqueViolation


@pytest.mark.parametrize(
    "code,name",
    [(2, "Kerberos"), (6, "SCM"), (7, "GSSAPI"), (9, "SSPI"), (4, "crypt"), (42, "42")],
)
def test_refused_auth_methods_are_named(code: int, name: str) -> None:
    lsock, port = _scripted_server([_msg(b"R", code.to_bytes(4, "big"))])
    try:
        with pytest.raises(pgdbapi.OperationalError, match=name):
            pgdbapi.connect(
                host="127.0.0.1",
                port=port,
                user="u",
                dbname="d",
                password="p",
                connect_timeout=5,
                sslmode="disable",
            )
    finally:
        lsock.close()


def _scripted_server(replies: list[bytes]) -> tuple[socket.socket, int]:
    """A one-shot server that reads the start-up packet and sends ``replies``."""
    lsock, port = _silent_server()

    def serve() -> None:
        try:
            s, _ = lsock.accept()
        except OSError:
            return
        with s:
            s.settimeout(5)
            try:
                s.recv(10000)
                s.sendall(b"".join(replies))
                while s.recv(100):
                    pass
            except OSError:
                pass

    threading.Thread(target=serve, daemon=True).start()
    return lsock, port


def _msg(kind: bytes, body: bytes) -> bytes:
    return kind + (len(body) + 4).to_bytes(4, "big") + body


def test_negotiate_protocol_version_is_handled() -> None:
    replies = [
        _msg(b"v", (0x00030000).to_bytes(4, "big") + (1).to_bytes(4, "big") + b"_pq_.nothing\0"),
        _msg(b"R", (0).to_bytes(4, "big")),
        _msg(b"S", b"server_version\x0015.4\0"),
        _msg(b"K", (1234).to_bytes(4, "big") + b"\x01\x02\x03\x04\x05\x06\x07\x08"),
        _msg(b"Z", b"I"),
    ]
    lsock, port = _scripted_server(replies)
    try:
        conn = pgdbapi.connect(
            host="127.0.0.1", port=port, user="u", dbname="d", connect_timeout=5, sslmode="disable"
        )
        assert conn.protocol_version == 3
        assert conn.negotiated_protocol_version == (3, 0)
        assert conn.server_version == 150004
        assert conn.get_backend_pid() == 1234
        assert conn.backend_key == b"\x01\x02\x03\x04\x05\x06\x07\x08"  # longer keys kept as bytes
        conn.close()
    finally:
        lsock.close()


@pytest.mark.parametrize(
    "reply",
    [b"\x00\x01\x02garbage that is no message", b"R" + (0x7FFFFFFF).to_bytes(4, "big")],
    ids=["garbage", "oversized-length"],
)
def test_bad_bytes_from_server_are_operational_error(reply: bytes) -> None:
    lsock, port = _scripted_server([reply])
    try:
        with pytest.raises(pgdbapi.OperationalError):
            pgdbapi.connect(
                host="127.0.0.1",
                port=port,
                user="u",
                dbname="d",
                connect_timeout=5,
                sslmode="disable",
            )
    finally:
        lsock.close()


@pytest.mark.parametrize(
    "extra",
    [
        {"sslcertmode": "require"},
        {"scram_client_key": "abc"},
        {"oauth_issuer": "https://issuer.example"},
    ],
)
def test_unsupported_demands_fail_instead_of_being_ignored(
    pg_server: Any, extra: dict[str, str]
) -> None:
    key = next(iter(extra))
    with pytest.raises(pgdbapi.OperationalError, match=key):
        pgdbapi.connect(pg_server.dsn(), **extra)


def test_gssencmode_prefer_falls_back_quietly(pg_server: Any) -> None:
    conn = pgdbapi.connect(pg_server.dsn(), gssencmode="prefer")
    conn.close()
