"""Drives the sans-I/O protocol over a blocking transport: step, read when it needs bytes."""

from __future__ import annotations

from typing import Callable

from .exceptions import OperationalError
from .protocol import NEED_DATA, Protocol
from .transport import Transport

_CLOSED = (
    "server closed the connection unexpectedly\n"
    "\tThis probably means the server terminated abnormally\n"
    "\tbefore or while processing the request."
)

Reader = Callable[[memoryview], int]


def pump(proto: Protocol, transport: Transport, recv_into: Reader | None = None) -> int:
    """Step ``proto`` until it returns an event other than NEED_DATA.

    ``recv_into`` reads from ``transport`` (default: ``transport.recv_into``; a
    :class:`WaitingReader` makes interrupts safe to recover from).
    End of stream raises the error the server sent before closing (as an
    OperationalError: the connection is gone), or a generic "closed" error.
    """
    rbuf = proto.rbuf
    if recv_into is None:
        recv_into = transport.recv_into
    # nothing buffered (the usual case right after a request): read before stepping
    ev = NEED_DATA if not len(rbuf) else proto.step()
    while True:
        if ev != NEED_DATA:
            return ev
        if rbuf.fill(recv_into) == 0:
            err = proto.error
            if err is None:
                raise OperationalError(_CLOSED)
            proto.error = None
            if isinstance(err, OperationalError):
                raise err
            raise OperationalError(str(err), fields=err.diag.fields)
        ev = proto.step()


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
