"""Drives the sans-I/O protocol over a blocking transport: step, read when it needs bytes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Union

from .exceptions import OperationalError
from .protocol import NEED_DATA, Protocol
from .transport import Transport

if TYPE_CHECKING:
    from ._codec_contract import ReadBufferProto

_CLOSED = (
    "server closed the connection unexpectedly\n"
    "\tThis probably means the server terminated abnormally\n"
    "\tbefore or while processing the request."
)

Reader = Callable[[memoryview], int]


def pump(
    proto: Protocol,
    transport: Transport,
    reader: Union["AtomicReader", "WaitingReader", None] = None,
) -> int:
    """Step ``proto`` until it returns an event other than NEED_DATA.

    ``reader`` reads from ``transport`` (default: ``transport.recv_into``); an
    :class:`AtomicReader` or a :class:`WaitingReader` tells afterwards whether an interrupt
    came while no byte of the stream had been consumed.
    End of stream raises the error the server sent before closing (as an
    OperationalError: the connection is gone), or a generic "closed" error.
    """
    rbuf = proto.rbuf
    # nothing buffered (the usual case right after a request): read before stepping
    ev = NEED_DATA if not len(rbuf) else proto.step()
    while True:
        if ev != NEED_DATA:
            return ev
        if fill(rbuf, transport, reader) == 0:
            err = proto.error
            if err is None:
                raise OperationalError(_CLOSED)
            proto.error = None
            if isinstance(err, OperationalError):
                raise err
            raise OperationalError(str(err), fields=err.diag.fields)
        ev = proto.step()


def fill(
    rbuf: "ReadBufferProto",
    transport: Transport,
    reader: Union["AtomicReader", "WaitingReader", None] = None,
) -> int:
    """One read into ``rbuf`` through ``reader`` (or the transport)."""
    if reader is None:
        return rbuf.fill(transport.recv_into)
    if isinstance(reader, AtomicReader):
        # waiting stays True when an interrupt comes out of fill (nothing was consumed)
        reader.waiting = True
        try:
            got = rbuf.fill(reader.recv)
        except OSError as exc:  # the raw socket's errors, mapped as the transport maps them
            reader.waiting = False
            raise transport.read_error(exc) from None
        reader.waiting = False
        return got
    return rbuf.fill(reader.recv_into)


class AtomicReader:
    """For the compiled codec on a plain socket: its ``fill`` calls the socket's own C
    ``recv_into`` (:attr:`recv`) and keeps what it read without running Python code in
    between, so an exception (KeyboardInterrupt) that comes out of ``fill`` interrupted the
    system call and consumed nothing. ``waiting`` is True around those calls. No extra
    system call, unlike :class:`WaitingReader`, which is needed where ``fill`` or the
    socket's ``recv_into`` is Python code (the pure-Python codec, TLS).
    """

    __slots__ = ("recv", "waiting")

    def __init__(self, recv: Reader) -> None:
        self.recv = recv
        self.waiting = False


class WaitingReader:
    """Reads after waiting for the socket to be readable, and tells whether an exception
    (a KeyboardInterrupt) interrupted that wait, when no byte of the stream was consumed.

    An interrupt anywhere else (inside the read, while parsing) may have lost bytes, so
    only ``waiting`` makes it safe to keep using the connection.
    """

    __slots__ = ("_transport", "waiting")

    def __init__(self, transport: Transport) -> None:
        self._transport = transport
        self.waiting = False

    def recv_into(self, view: memoryview) -> int:
        self.waiting = True
        transport = self._transport
        transport.wait_readable()
        self.waiting = False
        return transport.recv_into(view)
