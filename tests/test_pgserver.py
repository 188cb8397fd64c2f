"""The test server harness, checked with libpq's psql (not pgdbapi).

If these fail, every auth test of the driver is meaningless: they prove each role meets the
pg_hba method it is meant to, over TCP and the Unix socket.
"""

from __future__ import annotations

import hashlib
import os
import re
import signal
import socket
import subprocess
import sys
import time

import pytest
from pgserver import PgServer, make_conninfo, quote_conninfo_value

PASSWORD_ROLES = [role for role, (_m, pw) in PgServer.ROLES.items() if pw is not None]
TRUST_ROLES = [role for role, (method, _pw) in PgServer.ROLES.items() if method == "trust"]


def transports(server: PgServer) -> dict[str, str]:
    """host= values to reach the server by: IPv4, IPv6 when available, Unix socket."""
    hosts = {"tcp4": "127.0.0.1", "unix": str(server.socket_dir)}
    if server.ipv6:
        hosts["tcp6"] = "::1"
    return hosts


def connect_psql(
    server: PgServer, role: str, host: str, password: str | None
) -> subprocess.CompletedProcess[str]:
    """psql as ``role``, the password (if any) in $PGPASSWORD as a user would give it."""
    env = {"PGPASSWORD": password} if password is not None else {}
    dsn = server.dsn(user=role, host=host)
    return server.psql_run("SELECT current_user, inet_server_addr();", dsn, env=env)


def log_since(server: PgServer, offset: int) -> str:
    with open(server.log_file, encoding="utf-8", errors="replace") as f:
        f.seek(offset)
        return f.read()


def log_size(server: PgServer) -> int:
    return os.path.getsize(server.log_file)


@pytest.mark.parametrize("role", PASSWORD_ROLES)
def test_password_role_authenticates_with_its_method(managed_server: PgServer, role: str) -> None:
    method, password = managed_server.ROLES[role]
    for name, host in transports(managed_server).items():
        before = log_size(managed_server)
        result = connect_psql(managed_server, role, host, password)
        assert result.returncode == 0, (name, result.stderr)
        assert result.stdout.split("|")[0] == role
        # PostgreSQL logs the method and the pg_hba line it matched (log_connections=on).
        assert re.search(
            rf'connection authenticated: identity="{role}" method={method} ',
            log_since(managed_server, before),
        ), name


@pytest.mark.parametrize("role", PASSWORD_ROLES)
def test_wrong_or_missing_password_fails(managed_server: PgServer, role: str) -> None:
    for name, host in transports(managed_server).items():
        wrong = connect_psql(managed_server, role, host, "not the password")
        assert wrong.returncode != 0, name
        assert f'password authentication failed for user "{role}"' in wrong.stderr, name
        missing = connect_psql(managed_server, role, host, None)
        assert missing.returncode != 0, name
        assert "no password supplied" in missing.stderr, name


@pytest.mark.parametrize("role", TRUST_ROLES)
def test_trust_role_needs_no_password(managed_server: PgServer, role: str) -> None:
    for name, host in transports(managed_server).items():
        result = connect_psql(managed_server, role, host, None)
        assert result.returncode == 0, (name, result.stderr)
        assert result.stdout.split("|")[0] == role


def test_reject_user_is_rejected(managed_server: PgServer) -> None:
    for name, host in transports(managed_server).items():
        result = connect_psql(managed_server, "reject_user", host, None)
        assert result.returncode != 0, name
        assert "pg_hba.conf rejects connection" in result.stderr, (name, result.stderr)


def test_tcp_really_uses_tcp_and_socket_the_socket(managed_server: PgServer) -> None:
    hosts = transports(managed_server)
    tcp = connect_psql(managed_server, "trust_user", hosts["tcp4"], None)
    assert tcp.stdout.strip().split("|")[1] == "127.0.0.1"
    unix = connect_psql(managed_server, "trust_user", hosts["unix"], None)
    assert unix.stdout.strip().split("|")[1] == ""  # inet_server_addr() is NULL on a socket
    assert os.path.exists(os.path.join(hosts["unix"], f".s.PGSQL.{managed_server.port}"))
    if "tcp6" in hosts:
        tcp6 = connect_psql(managed_server, "trust_user", hosts["tcp6"], None)
        assert tcp6.stdout.strip().split("|")[1] == "::1"


def test_stored_password_hashes(managed_server: PgServer) -> None:
    rows = managed_server.psql(
        "SELECT rolname, rolpassword FROM pg_authid WHERE rolpassword IS NOT NULL"
    )
    stored = dict(line.split("|", 1) for line in rows.splitlines())
    password = managed_server.ROLES["md5_user"][1]
    assert password is not None
    assert stored["md5_user"] == "md5" + hashlib.md5((password + "md5_user").encode()).hexdigest()
    for role in ("scram_user", "scram_nonascii", "pw_user"):
        assert stored[role].startswith("SCRAM-SHA-256$"), role
    assert set(stored) == set(PASSWORD_ROLES)


def test_nonascii_password_is_saslprepped(managed_server: PgServer) -> None:
    """U+00A0 maps to a space, so the ASCII-space spelling is the same password."""
    password = managed_server.ROLES["scram_nonascii"][1]
    assert password is not None and "\u00a0" in password
    spaced = password.replace("\u00a0", " ")
    result = connect_psql(managed_server, "scram_nonascii", "127.0.0.1", spaced)
    assert result.returncode == 0, result.stderr


def test_catch_all_rule_is_scram(managed_server: PgServer) -> None:
    password = "it's a \\ quoted 'secret'"
    managed_server.psql(
        "DROP ROLE IF EXISTS harness_other;"
        f"CREATE ROLE harness_other LOGIN PASSWORD '{password.replace(chr(39), chr(39) * 2)}';"
    )
    try:
        before = log_size(managed_server)
        # The password travels inside the DSN: this checks the quoting against libpq too.
        dsn = managed_server.dsn(user="harness_other", password=password)
        ok = managed_server.psql_run("SELECT current_user;", dsn)
        assert ok.returncode == 0, ok.stderr
        assert ok.stdout.strip() == "harness_other"
        assert 'identity="harness_other" method=scram-sha-256 ' in log_since(managed_server, before)
        bad = connect_psql(managed_server, "harness_other", "127.0.0.1", "wrong")
        assert "password authentication failed" in bad.stderr
    finally:
        managed_server.psql("DROP ROLE harness_other")


@pytest.mark.parametrize(
    "role", [r for r, (method, _pw) in PgServer.ROLES.items() if method != "reject"]
)
def test_roles_can_create_in_public(managed_server: PgServer, role: str) -> None:
    table = f"harness_{role}"
    out = managed_server.psql(
        f"CREATE TABLE public.{table} (i int); INSERT INTO {table} VALUES (1);"
        f"SELECT count(*) FROM {table}; DROP TABLE {table};",
        user=role,
    )
    assert out == "1"


def test_server_settings(managed_server: PgServer) -> None:
    names = [
        "fsync",
        "synchronous_commit",
        "full_page_writes",
        "max_connections",
        "max_prepared_transactions",
        "wal_level",
        "max_wal_senders",
        "max_replication_slots",
        "server_encoding",
        "lc_collate",
        "port",
    ]
    query = "SELECT " + ", ".join(f"current_setting('{n}')" for n in names)
    values = dict(zip(names, managed_server.psql(query).split("|")))
    assert values == {
        "fsync": "off",
        "synchronous_commit": "off",
        "full_page_writes": "off",
        "max_connections": "100",
        "max_prepared_transactions": "10",
        "wal_level": "logical",
        "max_wal_senders": "10",
        "max_replication_slots": "10",
        "server_encoding": "UTF8",
        "lc_collate": "C",
        "port": str(managed_server.port),
    }
    assert managed_server.version == int(managed_server.psql("SHOW server_version_num"))
    assert managed_server.version >= 150000


def test_superuser_can_open_a_physical_replication_connection(managed_server: PgServer) -> None:
    dsn = managed_server.dsn(replication="true")
    result = subprocess.run(
        [*managed_server.psql_command(dsn), "-c", "IDENTIFY_SYSTEM"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("|") == 3  # systemid|timeline|xlogpos|dbname


@pytest.mark.parametrize(
    ("value", "quoted"),
    [
        ("plain", "plain"),
        ("", "''"),
        ("two words", "'two words'"),
        ("it's", r"'it\'s'"),
        ("back\\slash", r"'back\\slash'"),
        ("pässwörd", "pässwörd"),
        (5432, "5432"),
    ],
)
def test_quote_conninfo_value(value: object, quoted: str) -> None:
    assert quote_conninfo_value(value) == quoted


def test_make_conninfo_leaves_out_none() -> None:
    assert make_conninfo({"host": "h", "password": None, "port": 1}) == "host=h port=1"


def test_dsn_defaults(managed_server: PgServer) -> None:
    dsn = managed_server.dsn()
    assert dsn == f"host=127.0.0.1 port={managed_server.port} user=postgres dbname=pgdbapi_test"
    unix = managed_server.dsn(user="scram_user", password="a b", host=managed_server.socket_dir)
    assert f"host={managed_server.socket_dir} " in unix
    assert "password='a b'" in unix


def test_external_server_mode(managed_server: PgServer) -> None:
    """PgServer.external wraps any DSN; arguments to dsn() override its keys."""
    external = PgServer.external(managed_server.dsn(sslmode="disable"))
    assert not external.managed
    assert external.port == managed_server.port
    assert external.version == managed_server.version
    assert external.host == "127.0.0.1"
    assert external.psql("SELECT current_user, current_database()") == "postgres|pgdbapi_test"
    assert external.psql("SELECT current_user", user="trust_user") == "trust_user"
    external.stop()  # never stops someone else's server
    assert managed_server.psql("SELECT 1") == "1"


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.slow
def test_start_and_stop_clean_up(managed_server: PgServer) -> None:
    server = PgServer(managed_server.bindir)
    with server:
        tmpdir, port = server.tmpdir, server.port
        assert tmpdir is not None and os.path.isdir(tmpdir)
        assert _port_open(port)
        assert port != managed_server.port
    assert server.tmpdir is None
    assert not os.path.exists(tmpdir)
    assert not _port_open(port)
    server.stop()  # idempotent


@pytest.mark.slow
def test_server_of_a_killed_process_is_reaped(managed_server: PgServer) -> None:
    """A test process killed outright (no atexit) leaves a server the next start removes."""
    here = os.path.dirname(os.path.abspath(__file__))
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; sys.path.insert(0, sys.argv[1]);"
            "from pgserver import PgServer; s = PgServer(sys.argv[2]); s.start();"
            "print(s.tmpdir, s.port, flush=True); time.sleep(600)",
            here,
            managed_server.bindir,
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        tmpdir, port = child.stdout.readline().split()
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    assert os.path.isdir(tmpdir) and _port_open(int(port))
    with PgServer(managed_server.bindir):  # reaps orphans before starting
        assert not os.path.exists(tmpdir)
        deadline = time.monotonic() + 10
        while _port_open(int(port)) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _port_open(int(port))
