"""Bytes in, bytes out over one socket to one server.

:func:`open_socket` finds and connects the socket (TCP or Unix-domain) with libpq's error
texts; :class:`Transport` owns it afterwards. Encryption is layered by swapping the object
that carries the bytes (see :meth:`Transport.upgrade`), so the code above reads and writes
the same way whether the link is plain, TLS or GSSAPI-wrapped.
"""

from __future__ import annotations

import errno
import select
import socket
import ssl
import time
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Protocol

from .conninfo import HostSpec
from .exceptions import InterfaceError, OperationalError

__all__ = ["ByteStream", "TcpOptions", "Transport", "open_socket"]

_SERVER_CLOSED = (
    "server closed the connection unexpectedly\n"
    "\tThis probably means the server terminated abnormally\n"
    "\tbefore or while processing the request."
)
_HINT_UNIX = "\tIs the server running locally and accepting connections on that socket?"
_HINT_TCP = "\tIs the server running on that host and accepting TCP/IP connections?"
# connect() failures that mean "nobody is listening there", which get libpq's hint line.
_NO_SERVER_ERRNOS = frozenset(
    {errno.ECONNREFUSED, errno.ENOENT, errno.EHOSTUNREACH, errno.ENETUNREACH}
)


class ByteStream(Protocol):
    """What carries the bytes: a socket, an ``ssl.SSLSocket``, or a GSSAPI wrapper."""

    def sendall(self, data: bytes | bytearray | memoryview, /) -> Any: ...

    def recv_into(self, buffer: memoryview, nbytes: int = ..., /) -> int: ...

    def settimeout(self, value: float | None, /) -> None: ...

    def fileno(self) -> int: ...

    def close(self) -> None: ...


# --------------------------------------------------------------------------------------
# Connecting
# --------------------------------------------------------------------------------------


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc) or type(exc).__name__


def _failure(prefix: str, exc: OSError, is_unix: bool) -> str:
    text = f"{prefix}{_reason(exc)}"
    if exc.errno in _NO_SERVER_ERRNOS:
        text += "\n" + (_HINT_UNIX if is_unix else _HINT_TCP)
    return text


def _remaining(deadline: float | None) -> float | None:
    if deadline is None:
        return None
    return deadline - time.monotonic()


def open_socket(host: HostSpec, timeout: float | None) -> socket.socket:
    """A connected, blocking socket to ``host``; ``timeout`` bounds the whole attempt.

    TCP tries every address ``host`` resolves to, in order (``hostaddr`` skips DNS).
    Failures raise :class:`OperationalError` with libpq's wording, one line per address.
    """
    deadline = None if timeout is None else time.monotonic() + timeout
    if host.is_unix:
        return _open_unix(host, deadline)
    return _open_tcp(host, deadline)


def _open_unix(host: HostSpec, deadline: float | None) -> socket.socket:
    path = host.socket_path
    prefix = f'connection to server on socket "{path}" failed: '
    if not hasattr(socket, "AF_UNIX"):
        raise OperationalError(prefix + "Unix-domain sockets are not supported here")
    address = "\0" + path[1:] if path.startswith("@") else path
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        _connect(sock, address, deadline)
    except socket.timeout:
        sock.close()
        raise OperationalError(prefix + "timeout expired")
    except OSError as exc:
        sock.close()
        raise OperationalError(_failure(prefix, exc, is_unix=True))
    return sock


def _open_tcp(host: HostSpec, deadline: float | None) -> socket.socket:
    name = host.hostaddr or host.host or "localhost"
    flags = socket.AI_NUMERICHOST if host.hostaddr else 0
    try:
        infos = socket.getaddrinfo(name, host.port, type=socket.SOCK_STREAM, flags=flags)
    except (socket.gaierror, UnicodeError) as exc:
        if host.hostaddr:
            raise OperationalError(f'could not parse network address "{name}": {exc}')
        raise OperationalError(f'could not translate host name "{name}" to address: {exc}')

    failures: list[str] = []
    for family, socktype, proto, _canon, sockaddr in infos:
        ip = str(sockaddr[0])
        if host.hostaddr or ip == name:
            prefix = f'connection to server at "{name}", port {host.port} failed: '
        else:
            prefix = f'connection to server at "{name}" ({ip}), port {host.port} failed: '
        sock = socket.socket(family, socktype, proto)
        try:
            _connect(sock, sockaddr, deadline)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        except socket.timeout:
            sock.close()
            failures.append(prefix + "timeout expired")
            break  # the budget covers every address: nothing is left for the others
        except OSError as exc:
            sock.close()
            failures.append(_failure(prefix, exc, is_unix=False))
            continue
        return sock
    raise OperationalError("\n".join(failures))


def _connect(sock: socket.socket, address: Any, deadline: float | None) -> None:
    """connect() within the deadline, then back to plain blocking mode."""
    remaining = _remaining(deadline)
    if remaining is not None and remaining <= 0:
        raise socket.timeout("timed out")
    sock.settimeout(remaining)
    sock.connect(address)
    sock.settimeout(None)


# --------------------------------------------------------------------------------------
# TCP keepalives
# --------------------------------------------------------------------------------------


def _int_param(params: Mapping[str, str], key: str) -> int | None:
    text = params.get(key)
    return int(text.strip()) if text and text.strip() else None


@dataclass(frozen=True)
class TcpOptions:
    """libpq's keepalives, keepalives_idle/_interval/_count (seconds, count) and
    tcp_user_timeout (milliseconds); ``None`` leaves the system default.

    Keepalives are on unless ``keepalives=0``. A non-positive idle, interval or count also
    keeps the system default (Linux refuses 0). tcp_user_timeout applies whether or not
    keepalives are on.
    """

    keepalives: bool = True
    idle: int | None = None
    interval: int | None = None
    count: int | None = None
    user_timeout: int | None = None

    @classmethod
    def from_params(cls, params: Mapping[str, str]) -> TcpOptions:
        """From connection parameters already validated as integers by conninfo."""
        keepalives = _int_param(params, "keepalives")
        return cls(
            keepalives=keepalives is None or keepalives != 0,
            idle=_int_param(params, "keepalives_idle"),
            interval=_int_param(params, "keepalives_interval"),
            count=_int_param(params, "keepalives_count"),
            user_timeout=_int_param(params, "tcp_user_timeout"),
        )

    def apply(self, transport: Transport) -> None:
        """setsockopt on a TCP connection (Unix-domain sockets have no keepalives: skipped)."""
        stream = transport.stream
        # TLS detaches the plain socket object: the SSLSocket then owns the descriptor
        sock = stream if isinstance(stream, socket.socket) else transport.raw_socket
        if sock.family not in (socket.AF_INET, socket.AF_INET6):
            return
        options: list[tuple[int, int, int, str]] = [
            (socket.SOL_SOCKET, socket.SO_KEEPALIVE, int(self.keepalives), "SO_KEEPALIVE")
        ]
        if self.keepalives:
            for value, name in (
                (self.idle, "TCP_KEEPIDLE"),
                (self.interval, "TCP_KEEPINTVL"),
                (self.count, "TCP_KEEPCNT"),
            ):
                if value is not None and value > 0 and hasattr(socket, name):
                    options.append((socket.IPPROTO_TCP, getattr(socket, name), value, name))
        if self.user_timeout is not None and hasattr(socket, "TCP_USER_TIMEOUT"):
            value = max(self.user_timeout, 0)
            options.append((socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT, value, "TCP_USER_TIMEOUT"))
        for level, option, value, name in options:
            try:
                sock.setsockopt(level, option, value)
            except OSError as exc:
                raise OperationalError(f"setsockopt({name}) failed: {_reason(exc)}")


# --------------------------------------------------------------------------------------
# The connected transport
# --------------------------------------------------------------------------------------


class Transport:
    """One connected socket, possibly wrapped in encryption; closing it is idempotent.

    Reads and writes go to :attr:`stream`, which starts as the plain socket. TLS replaces
    it with an ``ssl.SSLSocket`` via :meth:`upgrade`; GSSAPI encryption (protocol.md
    §8.1 d) plugs in the same way, with ``upgrade`` given a factory that returns an
    object implementing :class:`ByteStream` (framing ``gss_wrap`` packets itself).
    """

    def __init__(self, sock: socket.socket, host: HostSpec) -> None:
        self._raw = sock
        self._stream: ByteStream = sock
        self._closed = False
        self._timeout = sock.gettimeout()
        self._poll: select.poll | None = None
        self.host = host
        self.upgraded = False

    @classmethod
    def connect(cls, host: HostSpec, timeout: float | None = None) -> Transport:
        return cls(open_socket(host, timeout), host)

    @property
    def stream(self) -> ByteStream:
        """The object the bytes go through (e.g. the ``SSLSocket``, for channel binding)."""
        return self._stream

    @property
    def raw_socket(self) -> socket.socket:
        return self._raw

    @property
    def is_unix(self) -> bool:
        return self.host.is_unix

    @property
    def closed(self) -> bool:
        return self._closed

    def fileno(self) -> int:
        return self._stream.fileno()

    def upgrade(self, wrap: Callable[[Any], ByteStream]) -> None:
        """Replaces the stream by ``wrap(stream)``: ``ssl_context.wrap_socket`` or a GSS layer.

        Errors raised by ``wrap`` (a failed handshake) propagate unchanged so the caller
        can tell them apart and fall back as sslmode allows.
        """
        self._check_open()
        self._stream = wrap(self._stream)
        self.upgraded = True

    def settimeout(self, timeout: float | None) -> None:
        """Bounds each following send/recv; ``None`` blocks for as long as it takes."""
        self._check_open()
        self._stream.settimeout(timeout)
        self._timeout = timeout

    def wait_readable(self) -> None:
        """Block until a read would find bytes (or end of stream), consuming none, so an
        exception raised meanwhile (KeyboardInterrupt) leaves the stream where it was.

        A timeout set with :meth:`settimeout` ends the wait; the read that follows then
        reports it.
        """
        if self.upgraded and self.pending():  # TLS holds decrypted bytes poll cannot see
            return
        poll = self._poll
        if poll is None:
            self._check_open()
            poll = self._poll = select.poll()
            poll.register(self._stream.fileno(), select.POLLIN)
        timeout = self._timeout
        poll.poll(None if timeout is None else int(timeout * 1000) + 1)

    def pending(self) -> int:
        """Bytes already decrypted and buffered above the socket (poll would not see them)."""
        pending = getattr(self._stream, "pending", None)
        return int(pending()) if pending is not None else 0

    def send(self, data: bytes | bytearray | memoryview) -> None:
        if self._closed:  # inline: this is on every round trip
            self._check_open()
        try:
            self._stream.sendall(data)
        except socket.timeout:
            raise OperationalError("timeout expired while sending data to the server")
        except OSError as exc:
            raise self._io_error("could not send data to server", exc)

    @property
    def socket_recv_into(self) -> Callable[[memoryview], int] | None:
        """The plain socket's own (C) ``recv_into`` when no encryption layer sits above it,
        else None; its OSErrors are for :meth:`read_error` to map."""
        stream = self._stream
        return stream.recv_into if type(stream) is socket.socket else None

    def read_error(self, exc: OSError) -> OperationalError:
        """The OperationalError for an OSError raised by a read, as :meth:`recv_into` maps it."""
        if isinstance(exc, socket.timeout):
            return OperationalError("timeout expired while waiting for the server")
        return self._io_error("could not receive data from server", exc)

    def recv_into(self, view: memoryview) -> int:
        """Bytes read into ``view``; 0 means the server closed the connection."""
        if self._closed:
            self._check_open()
        try:
            return self._stream.recv_into(view)
        except socket.timeout:
            raise OperationalError("timeout expired while waiting for the server")
        except OSError as exc:
            raise self._io_error("could not receive data from server", exc)

    def recv_exactly_one_byte(self) -> bytes:
        """The single-byte answer to SSLRequest/GSSENCRequest, with nothing after it.

        Bytes already waiting behind that answer would be unencrypted data an attacker
        injected before the handshake (CVE-2021-23222), so they fail the connection.
        """
        self._check_open()
        if self.upgraded:
            raise InterfaceError("the encryption answer is read before any upgrade")
        buf = bytearray(1)
        if not self.recv_into(memoryview(buf)):
            raise OperationalError(_SERVER_CLOSED)
        if self._has_unread_bytes():
            raise OperationalError("received unencrypted data after the encryption answer")
        return bytes(buf)

    def _has_unread_bytes(self) -> bool:
        sock = self._raw
        dontwait = getattr(socket, "MSG_DONTWAIT", 0)
        saved = sock.gettimeout()
        # one system call, the socket's mode untouched; only in blocking mode (with a
        # timeout set, Python waits for readability before the recv, flag or not)
        if dontwait and saved is None:
            try:
                return bool(sock.recv(1, socket.MSG_PEEK | dontwait))
            except (BlockingIOError, InterruptedError):
                return False
            except OSError as exc:
                raise self._io_error("could not receive data from server", exc)
        sock.setblocking(False)
        try:
            return bool(sock.recv(1, socket.MSG_PEEK))
        except (BlockingIOError, InterruptedError):
            return False
        except OSError as exc:
            raise self._io_error("could not receive data from server", exc)
        finally:
            sock.settimeout(saved)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        for stream in (self._stream, self._raw):
            try:
                stream.close()
            except OSError:
                pass

    def __enter__(self) -> Transport:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        return f"<Transport {self.host!r} {state}>"

    def _check_open(self) -> None:
        if self._closed:
            raise InterfaceError("connection already closed")

    def _io_error(self, what: str, exc: OSError) -> OperationalError:
        if isinstance(exc, ssl.SSLEOFError):
            return OperationalError(_SERVER_CLOSED)
        if isinstance(exc, ssl.SSLError):
            return OperationalError(f"SSL error: {exc.reason or exc}")
        if exc.errno in (errno.ECONNRESET, errno.EPIPE):
            return OperationalError(_SERVER_CLOSED)
        return OperationalError(f"{what}: {_reason(exc)}")
