"""TLS against real servers: every sslmode, certificate checks, channel binding, require_auth,
client certificates, and the one-byte SSLRequest answer (CVE-2021-23222) with fake servers."""

from __future__ import annotations

import os
import shutil
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import closing
from typing import Any

import pytest
from certs import CLIENT_KEY_PASSWORD, PKI
from conftest import CERT_ROLE, CLIENTCERT_PASSWORD, CLIENTCERT_ROLE, NOSSL_ONLY_ROLE, SSL_ONLY_ROLE
from fakeserver import one_shot_server
from pgserver import PgServer

import pgdbapi
from pgdbapi import auth, startup, tls
from pgdbapi.conninfo import HostSpec, resolve

SSLMODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")
SCRAM = ("scram_user", "scram secret")


@pytest.fixture
def files(pki: PKI, tmp_path: Any) -> dict[str, str]:
    return pki.write(str(tmp_path))


@pytest.fixture(autouse=True)
def empty_home(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> str:
    """No ~/.postgresql of the machine's user: libpq's default files are tested on purpose."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    return str(home)


@pytest.fixture
def authenticators(monkeypatch: pytest.MonkeyPatch) -> list[auth.Authenticator]:
    """Every Authenticator start-up makes (to see the mechanism and channel binding used)."""
    made: list[auth.Authenticator] = []

    class Recording(auth.Authenticator):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            made.append(self)

    monkeypatch.setattr(startup, "Authenticator", Recording)
    return made


def _connect(server: PgServer, **params: Any) -> Any:
    params.setdefault("connect_timeout", 10)
    return pgdbapi.connect(server.dsn(**params))


def _ssl_in_use(conn: Any) -> tuple[bool, str | None]:
    with closing(conn):
        cur = conn.cursor()
        cur.execute("select ssl, version from pg_stat_ssl where pid = pg_backend_pid()")
        ssl_on, version = cur.fetchone()
        return ssl_on, version


# --- sslmode ------------------------------------------------------------------------------------

EXPECT_TLS_SERVER = {
    "disable": False,
    "allow": False,  # plaintext first, and the server accepts it
    "prefer": True,
    "require": True,
    "verify-ca": True,
    "verify-full": True,
}


@pytest.mark.parametrize("sslmode", SSLMODES)
def test_sslmode_against_tls_server(
    pg_tls_server: PgServer, files: dict[str, str], sslmode: str
) -> None:
    conn = _connect(
        pg_tls_server, sslmode=sslmode, sslrootcert=files["roots.crt"], host="localhost"
    )
    ssl_on, version = _ssl_in_use(conn)
    assert ssl_on is EXPECT_TLS_SERVER[sslmode]
    if ssl_on:
        assert version == "TLSv1.3"


@pytest.mark.parametrize("sslmode", SSLMODES)
def test_sslmode_against_server_without_tls(
    managed_server: PgServer, files: dict[str, str], sslmode: str
) -> None:
    if sslmode in ("require", "verify-ca", "verify-full"):
        with pytest.raises(pgdbapi.OperationalError, match="server does not support SSL"):
            _connect(managed_server, sslmode=sslmode, sslrootcert=files["roots.crt"])
    else:
        assert _ssl_in_use(_connect(managed_server, sslmode=sslmode)) == (False, None)


@pytest.mark.parametrize("sslmode", SSLMODES)
def test_sslmode_against_hostssl_only_rule(pg_tls_server: PgServer, sslmode: str) -> None:
    if sslmode == "disable":
        with pytest.raises(pgdbapi.OperationalError, match="no encryption") as info:
            _connect(pg_tls_server, user=SSL_ONLY_ROLE, sslmode=sslmode)
        assert info.value.pgcode == "28000"
        return
    params: dict[str, Any] = {"sslmode": sslmode}
    if sslmode.startswith("verify"):
        params["sslrootcert"] = os.path.join(pg_tls_server.data_dir, "ca.crt")
    # allow retries over TLS after the server refused the unencrypted attempt
    assert _ssl_in_use(_connect(pg_tls_server, user=SSL_ONLY_ROLE, **params))[0] is True


@pytest.mark.parametrize("sslmode", SSLMODES)
def test_sslmode_against_hostnossl_only_rule(
    pg_tls_server: PgServer, files: dict[str, str], sslmode: str
) -> None:
    params = {"user": NOSSL_ONLY_ROLE, "sslmode": sslmode, "sslrootcert": files["roots.crt"]}
    if sslmode in ("require", "verify-ca", "verify-full"):
        with pytest.raises(pgdbapi.OperationalError, match="SSL encryption") as info:
            _connect(pg_tls_server, **params)
        assert info.value.pgcode == "28000"
    else:
        # prefer retries unencrypted after the server refused the TLS attempt
        assert _ssl_in_use(_connect(pg_tls_server, **params)) == (False, None)


def test_requirepeer_on_unix_sockets(pg_tls_server: PgServer) -> None:
    import pwd

    owner = pwd.getpwuid(os.stat(pg_tls_server.data_dir).st_uid).pw_name  # the server's user
    host = pg_tls_server.socket_dir
    assert _ssl_in_use(_connect(pg_tls_server, host=host, requirepeer=owner)) == (False, None)
    with pytest.raises(pgdbapi.OperationalError, match=f'actual peer user name is "{owner}"'):
        _connect(pg_tls_server, host=host, requirepeer="no_such_user")


def test_sslcertmode(pg_tls_server: PgServer, files: dict[str, str]) -> None:
    params = {"user": CERT_ROLE, "sslmode": "require", "sslcert": files["client.crt"],
              "sslkey": files["client.key"]}  # fmt: skip
    with pytest.raises(pgdbapi.OperationalError) as info:
        _connect(pg_tls_server, sslcertmode="disable", **params)  # no certificate sent
    assert info.value.pgcode == "28000"
    with pytest.raises(pgdbapi.OperationalError, match="sslcertmode=require is not supported"):
        _connect(pg_tls_server, sslcertmode="require", **params)


def test_sslmode_is_ignored_on_unix_sockets(pg_tls_server: PgServer) -> None:
    conn = _connect(pg_tls_server, host=pg_tls_server.socket_dir, sslmode="require")
    assert _ssl_in_use(conn) == (False, None)


# --- certificate checks -------------------------------------------------------------------------


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "::1"])
def test_verify_full_accepts_names_in_the_certificate(
    pg_tls_server: PgServer, files: dict[str, str], host: str
) -> None:
    if host == "::1" and not pg_tls_server.ipv6:
        pytest.skip("no IPv6 loopback here")
    conn = _connect(pg_tls_server, host=host, sslmode="verify-full", sslrootcert=files["ca.crt"])
    assert _ssl_in_use(conn)[0] is True


def test_verify_full_refuses_a_wrong_host_name(
    pg_tls_server: PgServer, files: dict[str, str]
) -> None:
    params = {"host": "db.wrong.test", "hostaddr": "127.0.0.1", "sslrootcert": files["ca.crt"]}
    with pytest.raises(pgdbapi.OperationalError, match='does not match host name "db.wrong.test"'):
        _connect(pg_tls_server, sslmode="verify-full", **params)
    # verify-ca checks the chain only
    assert _ssl_in_use(_connect(pg_tls_server, sslmode="verify-ca", **params))[0] is True


@pytest.mark.parametrize("sslmode", ["verify-ca", "verify-full"])
def test_wrong_ca_is_refused(pg_tls_server: PgServer, files: dict[str, str], sslmode: str) -> None:
    with pytest.raises(pgdbapi.OperationalError, match="certificate verify failed"):
        _connect(pg_tls_server, sslmode=sslmode, sslrootcert=files["wrong_ca.crt"])


def test_prefer_falls_back_to_plaintext_when_the_handshake_fails(
    pg_tls_server: PgServer, files: dict[str, str]
) -> None:
    # a root certificate makes libpq verify even under prefer; a failure retries unencrypted
    conn = _connect(pg_tls_server, sslmode="prefer", sslrootcert=files["wrong_ca.crt"])
    assert _ssl_in_use(conn) == (False, None)


def test_verify_ca_without_root_certificate(pg_tls_server: PgServer, empty_home: str) -> None:
    with pytest.raises(pgdbapi.OperationalError, match="root certificate file .* does not exist"):
        _connect(pg_tls_server, sslmode="verify-ca")
    # require without any root certificate does not verify
    assert _ssl_in_use(_connect(pg_tls_server, sslmode="require"))[0] is True


def test_default_files_under_dot_postgresql(
    pg_tls_server: PgServer, pki: PKI, empty_home: str
) -> None:
    """~/.postgresql/root.crt makes require verify (as verify-ca); postgresql.crt/.key are the
    default client certificate."""
    directory = os.path.join(empty_home, ".postgresql")
    os.mkdir(directory)
    written = pki.write(directory)
    shutil.copy(written["client.crt"], os.path.join(directory, "postgresql.crt"))
    shutil.copy(written["client.key"], os.path.join(directory, "postgresql.key"))
    os.chmod(os.path.join(directory, "postgresql.key"), 0o600)
    shutil.copy(written["wrong_ca.crt"], os.path.join(directory, "root.crt"))
    with pytest.raises(pgdbapi.OperationalError, match="certificate verify failed"):
        _connect(pg_tls_server, sslmode="require")
    shutil.copy(written["ca.crt"], os.path.join(directory, "root.crt"))
    conn = _connect(pg_tls_server, user=CERT_ROLE, sslmode="verify-full")
    assert _ssl_in_use(conn)[0] is True


def test_certificate_revocation_lists(
    pg_tls_server: PgServer, pki: PKI, files: dict[str, str], empty_home: str
) -> None:
    from certs import make_crl

    revoking = os.path.join(empty_home, "revoking.crl")
    with open(revoking, "wb") as f:
        f.write(make_crl(pki.ca, (pki.server.certificate,)))
    clean = os.path.join(empty_home, "clean.crl")
    with open(clean, "wb") as f:
        f.write(make_crl(pki.ca))
    params = {"sslmode": "verify-ca", "sslrootcert": files["ca.crt"]}
    with pytest.raises(pgdbapi.OperationalError, match="certificate revoked"):
        _connect(pg_tls_server, sslcrl=revoking, **params)
    assert _ssl_in_use(_connect(pg_tls_server, sslcrl=clean, **params))[0] is True
    os.mkdir(os.path.join(empty_home, ".postgresql"))
    shutil.copy(revoking, os.path.join(empty_home, ".postgresql", "root.crl"))  # the default
    with pytest.raises(pgdbapi.OperationalError, match="certificate revoked"):
        _connect(pg_tls_server, **params)


def test_sslrootcert_system_uses_the_default_store(
    pg_tls_server: PgServer, files: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    params = {"host": "localhost", "sslmode": "verify-full", "sslrootcert": "system"}
    monkeypatch.setenv("SSL_CERT_FILE", files["wrong_ca.crt"])  # OpenSSL's default store
    with pytest.raises(pgdbapi.OperationalError, match="certificate verify failed"):
        _connect(pg_tls_server, **params)
    monkeypatch.setenv("SSL_CERT_FILE", files["ca.crt"])
    assert _ssl_in_use(_connect(pg_tls_server, **params))[0] is True


def test_sslkeylogfile(pg_tls_server: PgServer, empty_home: str) -> None:
    path = os.path.join(empty_home, "keys.log")
    _ssl_in_use(_connect(pg_tls_server, sslmode="require", sslkeylogfile=path))
    with open(path) as f:
        assert "CLIENT_TRAFFIC_SECRET_0" in f.read()


def test_tls_protocol_range(pg_tls_server: PgServer) -> None:
    conn = _connect(pg_tls_server, sslmode="require", ssl_max_protocol_version="TLSv1.2")
    assert _ssl_in_use(conn) == (True, "TLSv1.2")


# --- channel binding and require_auth ----------------------------------------------------------


def test_scram_plus_is_chosen_over_tls(
    pg_tls_server: PgServer, authenticators: list[auth.Authenticator]
) -> None:
    user, password = SCRAM
    _ssl_in_use(_connect(pg_tls_server, user=user, password=password, sslmode="require"))
    assert authenticators[-1].mechanism == "SCRAM-SHA-256-PLUS"
    assert authenticators[-1].channel_bound


def test_channel_binding_disable_uses_plain_scram(
    pg_tls_server: PgServer, authenticators: list[auth.Authenticator]
) -> None:
    user, password = SCRAM
    params = {"sslmode": "require", "channel_binding": "disable"}
    assert _ssl_in_use(_connect(pg_tls_server, user=user, password=password, **params))[0]
    assert authenticators[-1].mechanism == "SCRAM-SHA-256"
    assert not authenticators[-1].channel_bound


@pytest.mark.parametrize("cert", ["server_sha384", "server_sha512"])
def test_channel_binding_hash_follows_the_signature(
    pg_tls_server: PgServer, pki: PKI, files: dict[str, str], cert: str
) -> None:
    """tls-server-end-point hashes with the certificate's signature digest: the server checks
    it, so a wrong hash would fail the login."""
    issued = getattr(pki, cert)
    _use_server_certificate(pg_tls_server, cert, issued.certificate)
    try:
        user, password = SCRAM
        conn = _connect(
            pg_tls_server,
            user=user,
            password=password,
            sslmode="verify-full",
            sslrootcert=files["roots.crt"],
            channel_binding="require",
        )
        assert _ssl_in_use(conn)[0] is True
    finally:
        _use_server_certificate(pg_tls_server, "server", pki.server.certificate)


def _use_server_certificate(server: PgServer, name: str, certificate: Any) -> None:
    """Switch the server's certificate by a configuration reload; wait until it is served."""
    from cryptography.hazmat.primitives.serialization import Encoding

    server.psql(
        f"ALTER SYSTEM SET ssl_cert_file = '{name}.crt';\n"
        f"ALTER SYSTEM SET ssl_key_file = '{name}.key';\n"
        "SELECT pg_reload_conf();\n"
    )
    wanted = certificate.public_bytes(Encoding.DER)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with closing(socket.create_connection((server.host, server.port), timeout=5)) as sock:
            sock.sendall(b"\x00\x00\x00\x08\x04\xd2\x16\x2f")
            assert sock.recv(1) == b"S"
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            with context.wrap_socket(sock) as tls_sock:
                if tls_sock.getpeercert(binary_form=True) == wanted:
                    return
        time.sleep(0.05)
    raise AssertionError(f"the server never switched to {name}.crt")


def test_channel_binding_require_without_tls(managed_server: PgServer) -> None:
    user, password = SCRAM
    with pytest.raises(pgdbapi.OperationalError, match="channel binding required"):
        _connect(managed_server, user=user, password=password, channel_binding="require")


@pytest.mark.parametrize("role", ["pw_user", "md5_user"])
def test_channel_binding_require_never_sends_a_password(
    pg_tls_server: PgServer, monkeypatch: pytest.MonkeyPatch, role: str
) -> None:
    sent: list[bytes] = []
    original = startup.Transport.send

    def spy(self: Any, data: Any) -> None:
        sent.append(bytes(data))
        original(self, data)

    monkeypatch.setattr(startup.Transport, "send", spy)
    password = PgServer.ROLES[role][1]
    with pytest.raises(
        pgdbapi.OperationalError, match="channel binding required but not supported"
    ):
        _connect(pg_tls_server, user=role, password=password, sslmode="require",
                 channel_binding="require")  # fmt: skip
    assert sent and not any(chunk.startswith(b"p") for chunk in sent)
    assert not any(password.encode() in chunk for chunk in sent)


@pytest.mark.parametrize(
    "role,require_auth,requested",
    [
        ("scram_user", "md5", "SASL authentication"),
        ("pw_user", "scram-sha-256", "a cleartext password"),
        ("md5_user", "!md5", "a hashed password"),
        ("trust_user", "password", "server did not complete authentication"),
    ],
)
def test_require_auth_refuses_the_servers_method(
    pg_tls_server: PgServer, role: str, require_auth: str, requested: str
) -> None:
    password = PgServer.ROLES[role][1]
    with pytest.raises(pgdbapi.OperationalError, match="authentication method requirement") as info:
        _connect(pg_tls_server, user=role, password=password, require_auth=require_auth)
    assert requested in str(info.value)


def test_require_auth_allows_the_servers_method(pg_tls_server: PgServer) -> None:
    user, password = SCRAM
    conn = _connect(pg_tls_server, user=user, password=password, require_auth="scram-sha-256")
    assert _ssl_in_use(conn)[0] is True
    assert _ssl_in_use(_connect(pg_tls_server, user="trust_user", require_auth="none"))[0]


# --- client certificates ------------------------------------------------------------------------


def test_client_certificate_login(pg_tls_server: PgServer, files: dict[str, str]) -> None:
    params = {"user": CERT_ROLE, "sslmode": "verify-full", "sslrootcert": files["ca.crt"]}
    conn = _connect(
        pg_tls_server, sslcert=files["client.crt"], sslkey=files["client.key"], **params
    )
    with closing(conn):
        cur = conn.cursor()
        cur.execute("select client_dn from pg_stat_ssl where pid = pg_backend_pid()")
        assert cur.fetchone()[0] == f"/CN={CERT_ROLE}"
    with pytest.raises(pgdbapi.OperationalError) as info:
        _connect(pg_tls_server, **params)
    assert info.value.pgcode == "28000"


def test_clientcert_verify_full_needs_certificate_and_password(
    pg_tls_server: PgServer, pki: PKI, files: dict[str, str]
) -> None:
    # the certificate's CN must be the role: issue one for this role
    from certs import _issue

    issued = _issue(CLIENTCERT_ROLE, pki.ca, client=True)
    crt, key = files["client.crt"] + ".cc", files["client.key"] + ".cc"
    for path, data in ((crt, issued.cert), (key, issued.key)):
        with open(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600), "wb") as f:
            f.write(data)
    params = {"user": CLIENTCERT_ROLE, "password": CLIENTCERT_PASSWORD, "sslmode": "require"}
    assert _ssl_in_use(_connect(pg_tls_server, sslcert=crt, sslkey=key, **params))[0]
    with pytest.raises(pgdbapi.OperationalError) as info:
        _connect(pg_tls_server, **params)
    assert info.value.pgcode == "28000"
    with pytest.raises(pgdbapi.OperationalError) as info:
        _connect(pg_tls_server, sslcert=crt, sslkey=key, **{**params, "password": "wrong"})
    assert info.value.pgcode == "28P01"


def test_encrypted_client_key(pg_tls_server: PgServer, files: dict[str, str]) -> None:
    params = {
        "user": CERT_ROLE,
        "sslmode": "require",
        "sslcert": files["client.crt"],
        "sslkey": files["client_encrypted.key"],
    }
    assert _ssl_in_use(_connect(pg_tls_server, sslpassword=CLIENT_KEY_PASSWORD, **params))[0]
    with pytest.raises(pgdbapi.OperationalError, match="could not load private key file"):
        _connect(pg_tls_server, sslpassword="wrong", **params)
    with pytest.raises(pgdbapi.OperationalError, match="could not load private key file"):
        _connect(pg_tls_server, **params)


def test_client_key_readable_by_others_is_refused(
    pg_tls_server: PgServer, files: dict[str, str]
) -> None:
    os.chmod(files["client.key"], 0o644)
    with pytest.raises(pgdbapi.OperationalError, match="has group or world access"):
        _connect(pg_tls_server, user=CERT_ROLE, sslmode="require", sslcert=files["client.crt"],
                 sslkey=files["client.key"])  # fmt: skip


# --- a caller's SSLContext ----------------------------------------------------------------------


def test_caller_supplied_ssl_context(pg_tls_server: PgServer, files: dict[str, str]) -> None:
    host = HostSpec("localhost", None, pg_tls_server.port)
    good = ssl.create_default_context(cafile=files["ca.crt"])  # verifies chain and host name
    info = resolve(pg_tls_server.dsn(host="localhost", sslmode="require"))
    transport, proto = startup.establish(info, host, max_message_size=1 << 20, ssl_context=good)
    try:
        assert isinstance(transport.stream, ssl.SSLSocket)
        assert proto.backend_pid > 0
    finally:
        transport.close()
    by_address = resolve(pg_tls_server.dsn(host="127.0.0.1", sslmode="require"))
    transport, _proto = startup.establish(
        by_address, by_address.hosts[0], max_message_size=1 << 20, ssl_context=good
    )  # Python checks the IP address SAN
    transport.close()
    bad = ssl.create_default_context(cafile=files["wrong_ca.crt"])
    with pytest.raises(pgdbapi.OperationalError, match="certificate verify failed"):
        startup.establish(info, host, max_message_size=1 << 20, ssl_context=bad)


def test_connect_accepts_an_ssl_context(pg_tls_server: PgServer, files: dict[str, str]) -> None:
    good = ssl.create_default_context(cafile=files["ca.crt"])
    conn = pgdbapi.connect(pg_tls_server.dsn(host="localhost", sslmode="require"), sslcontext=good)
    assert _ssl_in_use(conn)[0] is True
    bad = ssl.create_default_context(cafile=files["wrong_ca.crt"])
    with pytest.raises(pgdbapi.OperationalError, match="certificate verify failed"):
        pgdbapi.connect(pg_tls_server.dsn(sslmode="require"), sslcontext=bad)


# --- host-name rule (no server needed) ----------------------------------------------------------


def test_host_name_rule(pki: PKI) -> None:
    from certs import _issue
    from cryptography.hazmat.primitives.serialization import Encoding

    server = pki.server.certificate.public_bytes(Encoding.DER)
    for host in ("localhost", "LOCALHOST", "127.0.0.1", "::1", "0:0::1"):
        tls.check_host_name(server, host)
    with pytest.raises(pgdbapi.OperationalError, match=r'"localhost" and 2 other names'):
        tls.check_host_name(server, "127.0.0.2")
    cn_only = pki.server_cn_only.certificate.public_bytes(Encoding.DER)
    tls.check_host_name(cn_only, "db.example.test")  # no SAN: the CN counts
    with pytest.raises(pgdbapi.OperationalError):
        tls.check_host_name(cn_only, "other.example.test")
    wildcard = _issue("ignored.test", pki.ca, names=("*.example.test",)).certificate
    der = wildcard.public_bytes(Encoding.DER)
    tls.check_host_name(der, "db.example.test")
    for wrong in ("a.b.example.test", "example.test", "ignored.test"):
        with pytest.raises(pgdbapi.OperationalError, match="does not match"):
            tls.check_host_name(der, wrong)  # one label only; SAN present: CN ignored


# --- the SSLRequest answer, from fake servers ---------------------------------------------------


@pytest.fixture
def fake_server(request: pytest.FixtureRequest) -> Iterator[int]:
    """A fake server answering the SSLRequest with ``request.param``."""
    with one_shot_server(request.param) as (port, _received):
        yield port


@pytest.mark.parametrize(
    "fake_server,message",
    [
        (b"S" + b"\x16\x03\x01 injected plaintext", "unencrypted data after the encryption answer"),
        (b"E", "error response during SSL exchange"),
        (b"X", "invalid response to SSL negotiation"),
    ],
    indirect=["fake_server"],
)
@pytest.mark.parametrize("sslmode", ["prefer", "require"])
def test_bad_sslrequest_answers(fake_server: int, message: str, sslmode: str) -> None:
    with pytest.raises(pgdbapi.OperationalError, match=message) as info:
        pgdbapi.connect(host="127.0.0.1", port=fake_server, user="u", dbname="d", sslmode=sslmode,
                        connect_timeout=5)  # fmt: skip
    assert "injected" not in str(info.value)


# --- cancel over TLS ----------------------------------------------------------------------------


def _cancel_once_active(watcher: Any, pid: int, cancel: Any) -> threading.Thread:
    """A thread that waits until backend ``pid`` runs a statement, then calls ``cancel``."""

    def run() -> None:
        cur = watcher.cursor()
        for _ in range(250):
            cur.execute("select state from pg_stat_activity where pid = %s", (pid,))
            if cur.fetchone() == ("active",):
                break
            time.sleep(0.02)
        cancel()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_cancel_request_over_tls(pg_tls_server: PgServer, files: dict[str, str]) -> None:
    from pgdbapi import errors
    from pgdbapi.cancel import send_cancel

    params = {"host": "localhost", "sslmode": "verify-full", "sslrootcert": files["ca.crt"]}
    conn = _connect(pg_tls_server, **params)
    watcher = _connect(pg_tls_server)
    watcher.autocommit = True
    encrypted: list[bool] = []
    encrypt = startup.cancel_encryption(conn.info, conn.host)

    def wrap(transport: Any) -> None:
        encrypt(transport)
        encrypted.append(isinstance(transport.stream, ssl.SSLSocket))

    pid = conn.get_backend_pid()
    with closing(conn), closing(watcher):
        thread = _cancel_once_active(
            watcher, pid, lambda: send_cancel(conn.host, pid, conn.backend_key, 5.0, wrap=wrap)
        )
        with pytest.raises(errors.QueryCanceled):
            conn.cursor().execute("select pg_sleep(10)")
        thread.join(5)
        assert encrypted == [True]


# --- Server Name Indication ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "host,sslsni,expected",
    [("localhost", "1", "localhost"), ("localhost", "0", None), ("127.0.0.1", "1", None)],
)
def test_sni(files: dict[str, str], host: str, sslsni: str, expected: str | None) -> None:
    """A fake TLS server records the name the client sent (never an IP address, as libpq)."""
    names: list[str | None] = []
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(files["server.crt"], files["server.key"])
    context.sni_callback = lambda _sock, name, _ctx: names.append(name)
    lsock = socket.socket()
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(1)

    def serve() -> None:
        conn, _ = lsock.accept()
        conn.settimeout(5)
        try:
            conn.recv(8)
            conn.sendall(b"S")
            with context.wrap_socket(conn, server_side=True):
                pass
        except OSError:
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    with closing(lsock), pytest.raises(pgdbapi.OperationalError):
        pgdbapi.connect(host=host, hostaddr="127.0.0.1", port=lsock.getsockname()[1], user="u",
                        dbname="d", sslmode="require", sslsni=sslsni, connect_timeout=5)  # fmt: skip
    thread.join(5)
    assert names == [expected]


@pytest.mark.parametrize("sslmode", ["verify-full", "disable"])
def test_connection_cancel_encrypts_like_the_session(
    pg_tls_server: PgServer, files: dict[str, str], monkeypatch: pytest.MonkeyPatch, sslmode: str
) -> None:
    from pgdbapi import connection as connection_module
    from pgdbapi import errors

    seen: list[bool] = []
    real_send_cancel = connection_module.send_cancel

    def spy(host: Any, pid: int, key: bytes, timeout: float, wrap: Any = None) -> None:
        seen.append(wrap is not None)
        real_send_cancel(host, pid, key, timeout, wrap=wrap)

    monkeypatch.setattr(connection_module, "send_cancel", spy)
    conn = _connect(pg_tls_server, host="localhost", sslmode=sslmode, sslrootcert=files["ca.crt"])
    watcher = _connect(pg_tls_server)
    watcher.autocommit = True
    pid = conn.get_backend_pid()
    with closing(conn), closing(watcher):
        thread = _cancel_once_active(watcher, pid, conn.cancel)
        with pytest.raises(errors.QueryCanceled):
            conn.cursor().execute("select pg_sleep(10)")
        thread.join(5)
    assert seen == [sslmode != "disable"]
