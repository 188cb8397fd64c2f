"""Drives the sans-I/O protocol over a blocking transport: step, read when it needs bytes."""

from __future__ import annotations

from .exceptions import OperationalError
from .protocol import NEED_DATA, Protocol
from .transport import Transport

_CLOSED = (
    "server closed the connection unexpectedly\n"
    "\tThis probably means the server terminated abnormally\n"
    "\tbefore or while processing the request."
)


def pump(proto: Protocol, transport: Transport) -> int:
    """Step ``proto`` until it returns an event other than NEED_DATA.

    End of stream raises the error the server sent before closing (as an
    OperationalError: the connection is gone), or a generic "closed" error.
    """
    rbuf = proto.rbuf
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
