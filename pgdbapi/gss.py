"""GSSAPI (Kerberos) for PostgreSQL: the authentication token exchange (auth.md §8) and
session encryption after a GSSENCRequest (protocol.md §8.1 d), through the optional
``gssapi`` package (``pip install pgdbapi[gssapi]``).

Encryption frames every packet as an Int32 length (network order, not counting itself)
followed by ``gss_wrap`` output; the server takes and sends packets of at most 16 kB, so
writes are split at the wrap size limit and reads are reassembled here.
"""

from __future__ import annotations

import struct
from typing import Any

from .exceptions import OperationalError

try:  # an optional dependency: without it, GSSAPI is refused with a clear error
    import gssapi
    import gssapi.exceptions
except ImportError:  # pragma: no cover - depends on the environment
    gssapi = None  # type: ignore[assignment]

__all__ = ["GssClient", "GssStream", "available", "has_credentials", "negotiate_encryption"]

MISSING = "the Python package gssapi is not installed (pip install pgdbapi[gssapi])"

# The largest packet, length word included, each side accepts (PQ_GSS_MAX_PACKET_SIZE).
MAX_PACKET = 16384
_LENGTH = struct.Struct("!I")


def available() -> bool:
    """Whether the gssapi package could be imported."""
    return gssapi is not None


def has_credentials() -> bool:
    """Whether the user holds Kerberos credentials (libpq tries gssencmode=prefer only then)."""
    if gssapi is None:
        return False
    try:
        creds = gssapi.Credentials(usage="initiate")
        return bool(creds.lifetime is None or creds.lifetime > 0)
    except gssapi.exceptions.GSSError:
        return False


def _describe(exc: Exception) -> str:
    gen = getattr(exc, "gen_message", None)
    maj = getattr(exc, "maj_code", None)
    if callable(gen) and maj is not None:
        try:
            return str(gen()).strip()
        except Exception:  # noqa: BLE001 - a message for a message: fall back to str()
            pass
    return str(exc).strip() or type(exc).__name__


class GssClient:
    """The initiator side of one GSSAPI security context for ``<service>@<host>``."""

    def __init__(self, service: str, host: str, *, encrypt: bool = False) -> None:
        if gssapi is None:
            raise OperationalError(f"GSSAPI: {MISSING}")
        if not host:
            raise OperationalError("GSSAPI needs a host name (it does not work over Unix sockets)")
        flags: Any = gssapi.RequirementFlag.mutual_authentication
        if encrypt:
            flags |= (
                gssapi.RequirementFlag.replay_detection
                | gssapi.RequirementFlag.out_of_sequence_detection
                | gssapi.RequirementFlag.confidentiality
                | gssapi.RequirementFlag.integrity
            )
        self._encrypt = encrypt
        try:
            target = gssapi.Name(f"{service}@{host}", name_type=gssapi.NameType.hostbased_service)
            self.context: Any = gssapi.SecurityContext(name=target, usage="initiate", flags=flags)
        except gssapi.exceptions.GSSError as exc:
            raise OperationalError(f"GSSAPI error: {_describe(exc)}") from None

    @property
    def complete(self) -> bool:
        return bool(self.context.complete)

    def step(self, token: bytes | None) -> bytes:
        """The next token for the server (empty: nothing to send)."""
        what = "GSSAPI encryption" if self._encrypt else "GSSAPI authentication"
        try:
            out = self.context.step(token)
        except gssapi.exceptions.GSSError as exc:
            raise OperationalError(f"{what} failed: {_describe(exc)}") from None
        if self.complete and self._encrypt:
            if gssapi.RequirementFlag.confidentiality not in self.context.actual_flags:
                raise OperationalError(f"{what} failed: the context offers no confidentiality")
        return bytes(out or b"")


def _recv_exactly(sock: Any, count: int) -> bytes:
    buf = bytearray(count)
    view = memoryview(buf)
    got = 0
    while got < count:
        n = sock.recv_into(view[got:])
        if n == 0:
            raise OperationalError("server closed the connection during GSSAPI negotiation")
        got += n
    return bytes(buf)


def negotiate_encryption(sock: Any, service: str, host: str) -> GssStream:
    """After the server's ``G``: the framed token exchange, then the wrapped stream."""
    client = GssClient(service, host, encrypt=True)
    token: bytes | None = None
    while True:
        out = client.step(token)
        if out:
            if len(out) > MAX_PACKET - _LENGTH.size:
                raise OperationalError(f"client tried to send oversize GSSAPI packet ({len(out)})")
            sock.sendall(_LENGTH.pack(len(out)) + out)
        if client.complete:
            return GssStream(sock, client.context)
        first = _recv_exactly(sock, 1)
        if first == b"E":  # an ErrorResponse, not a token: its text is not trusted
            raise OperationalError("server sent an error response during GSSAPI encryption setup")
        (length,) = _LENGTH.unpack(first + _recv_exactly(sock, _LENGTH.size - 1))
        if length > MAX_PACKET - _LENGTH.size:
            raise OperationalError(f"oversize GSSAPI packet sent by the server ({length} bytes)")
        token = _recv_exactly(sock, length)


class GssStream:
    """A socket-like stream whose bytes travel ``gss_wrap``-ped (with confidentiality)."""

    def __init__(self, sock: Any, context: Any) -> None:
        self._sock = sock
        self._context = context
        self._plain = bytearray()  # decrypted bytes not yet read
        self._packet = bytearray()  # a wrapped packet being received, length word included
        limit = context.get_wrap_size_limit(MAX_PACKET - _LENGTH.size, encrypted=True)
        self.max_chunk = int(limit)
        if self.max_chunk <= 0:
            raise OperationalError("GSSAPI size check failed: no room for data in a packet")

    def sendall(self, data: bytes | bytearray | memoryview, /) -> None:
        view = memoryview(data).cast("B")
        out = bytearray()
        try:
            for start in range(0, len(view), self.max_chunk):
                wrapped = self._context.encrypt(bytes(view[start : start + self.max_chunk]))
                out += _LENGTH.pack(len(wrapped))
                out += wrapped
        except gssapi.exceptions.GSSError as exc:
            raise OperationalError(f"GSSAPI wrap error: {_describe(exc)}") from None
        self._sock.sendall(out)

    def pending(self) -> int:
        """Decrypted bytes waiting here, which poll() on the socket cannot see."""
        return len(self._plain)

    def recv_into(self, buffer: memoryview, nbytes: int = 0, /) -> int:
        want = len(buffer) if nbytes <= 0 else min(nbytes, len(buffer))
        while not self._plain:
            if not self._read_packet():
                return 0
        n = min(want, len(self._plain))
        buffer[:n] = self._plain[:n]
        del self._plain[:n]
        return n

    def _read_packet(self) -> bool:
        """One wrapped packet into the plaintext buffer; False at the end of the stream.
        A partial packet survives a timeout in ``self._packet``."""
        while True:
            have = len(self._packet)
            if have >= _LENGTH.size:
                (length,) = _LENGTH.unpack_from(self._packet)
                if length > MAX_PACKET - _LENGTH.size:
                    raise OperationalError(
                        f"oversize GSSAPI packet sent by the server ({length} bytes)"
                    )
                if have == _LENGTH.size + length:
                    break
                need = _LENGTH.size + length - have
            else:
                need = _LENGTH.size - have
            chunk = bytearray(need)
            n = self._sock.recv_into(memoryview(chunk))
            if n == 0:
                if have:
                    raise OperationalError("server closed the connection inside a GSSAPI packet")
                return False
            self._packet += chunk[:n]
        try:
            self._plain += self._context.decrypt(bytes(self._packet[_LENGTH.size :]))
        except gssapi.exceptions.GSSError as exc:
            raise OperationalError(f"GSSAPI unwrap error: {_describe(exc)}") from None
        self._packet.clear()
        return True

    def settimeout(self, value: float | None, /) -> None:
        self._sock.settimeout(value)

    def fileno(self) -> int:
        return int(self._sock.fileno())

    def close(self) -> None:
        self._sock.close()
