"""transport: connecting (TCP, Unix, abstract), byte I/O, errors, timeouts, upgrades.

Every peer is a loopback socket the test creates itself; no PostgreSQL is involved.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import socket
import ssl
import struct
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pgdbapi.conninfo import HostSpec
from pgdbapi.exceptions import InterfaceError, OperationalError
from pgdbapi.transport import Transport, open_socket

IS_LINUX = sys.platform.startswith("linux")


def _listen(family: int, address: Any) -> socket.socket:
    server = socket.socket(family, socket.SOCK_STREAM)
    server.bind(address)
    server.listen(4)
    server.settimeout(5)
    return server


def _accept(server: socket.socket) -> socket.socket:
    peer, _ = server.accept()
    peer.settimeout(5)
    return peer


def _free_tcp_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def tcp_server() -> Iterator[socket.socket]:
    server = _listen(socket.AF_INET, ("127.0.0.1", 0))
    yield server
    server.close()


@pytest.fixture
def pair(tcp_server: socket.socket) -> Iterator[tuple[Transport, socket.socket]]:
    """A connected transport and the server-side socket it talks to."""
    port = tcp_server.getsockname()[1]
    transport = Transport.connect(HostSpec(None, "127.0.0.1", port), timeout=5)
    peer = _accept(tcp_server)
    yield transport, peer
    transport.close()
    peer.close()


def _read(transport: Transport, size: int) -> bytes:
    buf = bytearray(size)
    view = memoryview(buf)
    got = 0
    while got < size:
        n = transport.recv_into(view[got:])
        assert n, "unexpected EOF"
        got += n
    return bytes(buf)


# ----------------------------------------------------------------------------------------
# Connecting
# ----------------------------------------------------------------------------------------


def test_tcp_by_hostaddr(tcp_server: socket.socket) -> None:
    port = tcp_server.getsockname()[1]
    sock = open_socket(HostSpec("ignored.invalid", "127.0.0.1", port), timeout=5)
    try:
        assert sock.getpeername() == ("127.0.0.1", port)
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
        assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE) != 0
        assert sock.gettimeout() is None  # back to plain blocking mode
    finally:
        sock.close()


def test_tcp_by_name_tries_every_address(tcp_server: socket.socket) -> None:
    # "localhost" may resolve to ::1 first, where nobody listens: the next address must win.
    port = tcp_server.getsockname()[1]
    sock = open_socket(HostSpec("localhost", None, port), timeout=5)
    try:
        assert sock.getpeername()[:2] == ("127.0.0.1", port)
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
    finally:
        sock.close()


def _fake_resolver(
    monkeypatch: pytest.MonkeyPatch, addresses: list[tuple[str, int]]
) -> list[tuple[Any, ...]]:
    """Makes every name resolve to ``addresses`` (in order); returns the calls made."""
    calls: list[tuple[Any, ...]] = []

    def getaddrinfo(*args: Any, **kwargs: Any) -> list[tuple[Any, ...]]:
        calls.append(args)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", addr) for addr in addresses]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return calls


def test_next_address_after_a_failure(
    tcp_server: socket.socket, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = tcp_server.getsockname()[1]
    calls = _fake_resolver(monkeypatch, [("127.0.0.1", _free_tcp_port()), ("127.0.0.1", port)])
    sock = open_socket(HostSpec("db.example", None, port), timeout=5)
    with sock:
        assert sock.getpeername() == ("127.0.0.1", port)
    assert calls[0][:2] == ("db.example", port)


def test_every_failed_address_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_resolver(monkeypatch, [("127.0.0.1", _free_tcp_port()), ("127.0.0.1", _free_tcp_port())])
    with pytest.raises(OperationalError) as info:
        open_socket(HostSpec("db.example", None, 5432), timeout=5)
    lines = [line for line in str(info.value).splitlines() if not line.startswith("\t")]
    assert (
        lines
        == [
            'connection to server at "db.example" (127.0.0.1), port 5432 failed: Connection refused'
        ]
        * 2
    )


def test_unknown_host_name(monkeypatch: pytest.MonkeyPatch) -> None:
    def getaddrinfo(*args: Any, **kwargs: Any) -> Any:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    with pytest.raises(OperationalError) as info:
        open_socket(HostSpec("no.such.host", None, 5432), timeout=5)
    assert str(info.value).startswith('could not translate host name "no.such.host" to address: ')
    assert "Name or service not known" in str(info.value)


def test_tcp_ipv6() -> None:
    try:
        server = _listen(socket.AF_INET6, ("::1", 0))
    except OSError:
        pytest.skip("no IPv6 loopback")
    with server:
        port = server.getsockname()[1]
        with Transport.connect(HostSpec("::1", None, port), timeout=5) as transport:
            peer = _accept(server)
            with peer:
                transport.send(b"v6")
                assert peer.recv(2) == b"v6"
                assert transport.raw_socket.family == socket.AF_INET6


def test_unix_socket(tmp_path: Path) -> None:
    host = HostSpec(str(tmp_path), None, 6543)
    assert host.socket_path == f"{tmp_path}/.s.PGSQL.6543"
    with _listen(socket.AF_UNIX, host.socket_path) as server:
        with Transport.connect(host, timeout=5) as transport:
            assert transport.is_unix
            assert transport.raw_socket.family == socket.AF_UNIX
            with _accept(server) as peer:
                peer.sendall(b"hello")
                assert _read(transport, 5) == b"hello"


@pytest.mark.skipif(not IS_LINUX, reason="abstract socket namespace is Linux-only")
def test_abstract_socket() -> None:
    name = f"@pgdbapi-test-{os.getpid()}-{time.monotonic_ns()}"
    host = HostSpec(name, None, 5432)
    with _listen(socket.AF_UNIX, "\0" + host.socket_path[1:]) as server:
        with Transport.connect(host, timeout=5) as transport:
            with _accept(server) as peer:
                transport.send(b"abstract")
                assert peer.recv(8) == b"abstract"


def test_connection_refused_message() -> None:
    port = _free_tcp_port()
    with pytest.raises(OperationalError) as info:
        open_socket(HostSpec(None, "127.0.0.1", port), timeout=5)
    text = str(info.value)
    assert text.startswith(f'connection to server at "127.0.0.1", port {port} failed: ')
    assert "Connection refused" in text
    assert "Is the server running on that host and accepting TCP/IP connections?" in text


def test_refused_by_name_shows_the_address() -> None:
    port = _free_tcp_port()
    with pytest.raises(OperationalError) as info:
        open_socket(HostSpec("localhost", None, port), timeout=5)
    text = str(info.value)
    assert f'connection to server at "localhost" (127.0.0.1), port {port} failed: ' in text
    assert "Connection refused" in text


def test_missing_unix_socket_message(tmp_path: Path) -> None:
    with pytest.raises(OperationalError) as info:
        open_socket(HostSpec(str(tmp_path), None, 5432), timeout=5)
    text = str(info.value)
    assert text.startswith(
        f'connection to server on socket "{tmp_path}/.s.PGSQL.5432" failed: '
        "No such file or directory"
    )
    assert "Is the server running locally and accepting connections on that socket?" in text


def test_bad_hostaddr_is_not_looked_up() -> None:
    with pytest.raises(OperationalError, match='could not parse network address "db.example"'):
        open_socket(HostSpec(None, "db.example", 5432), timeout=5)


def test_exhausted_connect_budget(tcp_server: socket.socket, tmp_path: Path) -> None:
    port = tcp_server.getsockname()[1]
    with pytest.raises(OperationalError) as info:
        open_socket(HostSpec(None, "127.0.0.1", port), timeout=0)
    assert str(info.value) == (
        f'connection to server at "127.0.0.1", port {port} failed: timeout expired'
    )
    with pytest.raises(OperationalError, match='on socket ".*" failed: timeout expired'):
        open_socket(HostSpec(str(tmp_path), None, 5432), timeout=-1)


# ----------------------------------------------------------------------------------------
# Sending and receiving
# ----------------------------------------------------------------------------------------


def test_send_and_receive(pair: tuple[Transport, socket.socket]) -> None:
    transport, peer = pair
    transport.send(b"ping" * 1000)
    received = b""
    while len(received) < 4000:
        received += peer.recv(65536)
    assert received == b"ping" * 1000
    peer.sendall(b"pong")
    assert _read(transport, 4) == b"pong"
    transport.send(memoryview(b"view"))
    assert peer.recv(4) == b"view"


def test_eof_is_zero_not_an_error(pair: tuple[Transport, socket.socket]) -> None:
    transport, peer = pair
    peer.close()
    assert transport.recv_into(memoryview(bytearray(10))) == 0


def test_reset_by_server(pair: tuple[Transport, socket.socket]) -> None:
    transport, peer = pair
    peer.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    peer.close()  # abortive close: the client sees a reset
    transport.settimeout(5)
    with pytest.raises(OperationalError, match="server closed the connection unexpectedly"):
        transport.recv_into(memoryview(bytearray(10)))


def test_send_after_reset(pair: tuple[Transport, socket.socket]) -> None:
    transport, peer = pair
    peer.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    peer.close()
    time.sleep(0.05)
    with pytest.raises(OperationalError, match="server closed the connection unexpectedly"):
        for _ in range(100):
            transport.send(b"x" * 65536)


def test_recv_timeout(pair: tuple[Transport, socket.socket]) -> None:
    transport, _peer = pair
    transport.settimeout(0.2)
    started = time.monotonic()
    with pytest.raises(OperationalError, match="timeout"):
        transport.recv_into(memoryview(bytearray(10)))
    assert 0.15 <= time.monotonic() - started < 1.0
    transport.settimeout(None)
    assert transport.raw_socket.gettimeout() is None


def test_close_is_idempotent(pair: tuple[Transport, socket.socket]) -> None:
    transport, _peer = pair
    assert transport.fileno() == transport.raw_socket.fileno() >= 0
    assert not transport.closed
    transport.close()
    transport.close()
    assert transport.closed
    assert transport.raw_socket.fileno() == -1
    with pytest.raises(InterfaceError):
        transport.send(b"x")
    with pytest.raises(InterfaceError):
        transport.recv_into(memoryview(bytearray(1)))
    assert "closed" in repr(transport)


# ----------------------------------------------------------------------------------------
# The single-byte encryption answer (CVE-2021-23222)
# ----------------------------------------------------------------------------------------


def test_one_byte_answer(pair: tuple[Transport, socket.socket]) -> None:
    transport, peer = pair
    peer.sendall(b"N")
    assert transport.recv_exactly_one_byte() == b"N"
    assert transport.raw_socket.gettimeout() is None
    peer.sendall(b"later")
    assert _read(transport, 5) == b"later"


def test_one_byte_answer_keeps_the_timeout(pair: tuple[Transport, socket.socket]) -> None:
    transport, peer = pair
    transport.settimeout(3)
    peer.sendall(b"S")
    assert transport.recv_exactly_one_byte() == b"S"
    assert transport.raw_socket.gettimeout() == 3


def test_bytes_behind_the_answer_are_refused(pair: tuple[Transport, socket.socket]) -> None:
    transport, peer = pair
    peer.sendall(b"Sinjected")
    time.sleep(0.05)
    with pytest.raises(OperationalError, match="received unencrypted data"):
        transport.recv_exactly_one_byte()


def test_no_answer_at_all(pair: tuple[Transport, socket.socket]) -> None:
    transport, peer = pair
    peer.close()
    with pytest.raises(OperationalError, match="server closed the connection unexpectedly"):
        transport.recv_exactly_one_byte()


# ----------------------------------------------------------------------------------------
# Upgrades: any object with the socket's send/recv interface slots in
# ----------------------------------------------------------------------------------------


class XorStream:
    """A toy encryption layer, standing where a GSSAPI wrapper would."""

    def __init__(self, inner: Any, key: int) -> None:
        self.inner = inner
        self.key = key

    def sendall(self, data: Any) -> None:
        self.inner.sendall(bytes(b ^ self.key for b in bytes(data)))

    def recv_into(self, buffer: memoryview, nbytes: int = 0) -> int:
        n = self.inner.recv_into(buffer, nbytes)
        buffer[:n] = bytes(b ^ self.key for b in buffer[:n])
        return int(n)

    def settimeout(self, value: float | None) -> None:
        self.inner.settimeout(value)

    def fileno(self) -> int:
        return int(self.inner.fileno())

    def close(self) -> None:
        self.inner.close()


def test_upgrade_swaps_the_stream(pair: tuple[Transport, socket.socket]) -> None:
    transport, peer = pair
    raw_fd = transport.fileno()
    transport.upgrade(lambda inner: XorStream(inner, 0x55))
    assert transport.upgraded
    assert isinstance(transport.stream, XorStream)
    assert transport.fileno() == raw_fd
    transport.send(b"abc")
    assert peer.recv(3) == bytes(b ^ 0x55 for b in b"abc")
    peer.sendall(bytes(b ^ 0x55 for b in b"xyz"))
    assert _read(transport, 3) == b"xyz"
    assert transport.pending() == 0
    with pytest.raises(InterfaceError):
        transport.recv_exactly_one_byte()


def _self_signed(tmp_path: Path) -> tuple[str, str]:
    crypto = pytest.importorskip("cryptography")
    del crypto
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "server.crt", tmp_path / "server.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return str(cert_path), str(key_path)


def test_tls_upgrade_after_the_answer_byte(
    pair: tuple[Transport, socket.socket], tmp_path: Path
) -> None:
    transport, peer = pair
    cert, key = _self_signed(tmp_path)
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(cert, key)
    errors: list[BaseException] = []

    def serve() -> None:
        try:
            peer.sendall(b"S")
            with server_ctx.wrap_socket(peer, server_side=True) as tls:
                tls.sendall(tls.recv(4).upper())
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    assert transport.recv_exactly_one_byte() == b"S"
    client_ctx = ssl.create_default_context(cafile=cert)
    transport.settimeout(5)
    transport.upgrade(lambda sock: client_ctx.wrap_socket(sock, server_hostname="localhost"))
    assert isinstance(transport.stream, ssl.SSLSocket)
    transport.send(b"ping")
    assert _read(transport, 4) == b"PING"
    assert transport.pending() == 0
    thread.join(5)
    assert not errors
    transport.close()
    assert transport.closed
