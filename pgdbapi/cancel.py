"""Cancelling a running statement: a CancelRequest on a fresh connection (protocol.md §8.8).

The server answers nothing; it closes the new connection, and if the key matched a running
statement the original connection receives ``ERROR 57014`` then ReadyForQuery.
"""

from __future__ import annotations

import struct
import time
from typing import Callable

from .conninfo import HostSpec
from .exceptions import InterfaceError, OperationalError
from .transport import Transport, open_socket

__all__ = ["CANCEL_REQUEST_CODE", "EncryptCancel", "cancel_packet", "send_cancel"]

CANCEL_REQUEST_CODE = 80877102  # 1234 << 16 | 5678
MAX_KEY_LENGTH = 256  # protocol 3.2 allows 4..256 bytes; 3.0 always sends 4

EncryptCancel = Callable[[Transport], None]
"""Negotiates encryption on the fresh, still plain transport before the CancelRequest goes out.

Supplied by the TLS (or GSSAPI) layer when the main connection is encrypted: it sends the
SSLRequest/GSSENCRequest, reads the one-byte answer (``Transport.recv_exactly_one_byte``)
and calls ``Transport.upgrade``. It raises OperationalError when encryption cannot be had.
"""


def cancel_packet(pid: int, key: bytes) -> bytes:
    """CancelRequest: length, code, PID, then the key exactly as BackendKeyData sent it."""
    if not 4 <= len(key) <= MAX_KEY_LENGTH:
        raise InterfaceError(f"invalid cancel key length {len(key)} (4 to 256 bytes)")
    return struct.pack("!iii", 12 + len(key), CANCEL_REQUEST_CODE, pid) + key


def send_cancel(
    host: HostSpec,
    pid: int,
    key: bytes,
    timeout: float | None,
    wrap: EncryptCancel | None = None,
) -> None:
    """Ask ``host`` to cancel what backend ``pid`` runs, and wait until the server hangs up.

    ``timeout`` bounds the whole exchange (connect, ``wrap``, send, wait for close). Whether
    anything was cancelled is never confirmed: a request that arrives late does nothing.
    """
    packet = cancel_packet(pid, key)
    deadline = None if timeout is None else time.monotonic() + timeout
    transport = Transport(open_socket(host, timeout), host)
    try:
        if deadline is not None:
            transport.settimeout(max(0.001, deadline - time.monotonic()))
        if wrap is not None:
            wrap(transport)
        transport.send(packet)
        _wait_for_close(transport)
    finally:
        transport.close()


def _wait_for_close(transport: Transport) -> None:
    """The server reads the request, then closes: waiting for that means it was delivered
    before we return (a reset or a timeout here changes nothing for the caller)."""
    scratch = memoryview(bytearray(64))
    try:
        while transport.recv_into(scratch):
            pass
    except OperationalError:
        pass
