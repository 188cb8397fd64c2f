"""Opening a session: socket, start-up packet, authentication, ReadyForQuery; host by host."""

from __future__ import annotations

import time
from typing import Callable

from .auth import Authenticator
from .conninfo import ConnInfo, HostSpec
from .exceptions import Error, NotSupportedError, OperationalError
from .protocol import AUTH, PROTOCOL_3_0, READY, Protocol
from .pump import pump
from .transport import Transport, open_socket


def startup_params(info: ConnInfo) -> list[tuple[str, str]]:
    """The StartupMessage parameters; UTF8, ISO dates and postgres intervals are what the
    codec's text decoders read."""
    params = [("user", info.user), ("database", info.dbname)]
    if info.application_name:
        params.append(("application_name", info.application_name))
    if info.options:
        params.append(("options", info.options))
    encoding = info.client_encoding
    if encoding and encoding.upper().replace("-", "") not in ("UTF8", "UNICODE"):
        raise NotSupportedError("pgdbapi speaks UTF8 only; client_encoding must be UTF8")
    params.append(("client_encoding", "UTF8"))
    params.append(("DateStyle", "ISO"))
    params.append(("IntervalStyle", "postgres"))
    if info.replication:
        params.append(("replication", info.replication))
    params.extend(info.env_gucs.items())
    return params


def establish(
    info: ConnInfo,
    host: HostSpec,
    *,
    max_message_size: int,
    on_notice: Callable[[dict[str, str]], None] | None = None,
) -> tuple[Transport, Protocol]:
    """Connect to one host and run start-up to the first ReadyForQuery.

    ``connect_timeout`` bounds the whole attempt (socket, start-up, authentication).
    Every failure is an OperationalError carrying the server's fields when it sent some.
    """
    timeout = info.connect_timeout
    deadline = time.monotonic() + timeout if timeout else None
    transport = Transport(open_socket(host, timeout), host)
    proto = Protocol(max_message_size)
    proto.on_notice = on_notice
    try:
        if deadline is not None:
            transport.settimeout(max(0.001, deadline - time.monotonic()))
        auth = Authenticator(info.user, info.password_for(host))
        proto.wbuf.startup(PROTOCOL_3_0, startup_params(info))
        proto.expect(1)
        transport.send(proto.wbuf.take())
        while True:
            ev = pump(proto, transport)
            if ev == READY:
                break
            if ev != AUTH or proto.auth_request is None:
                raise OperationalError("unexpected message from the server during start-up")
            code, data = proto.auth_request
            proto.auth_request = None
            if code == 0:
                auth.finish()
                continue
            body = auth.respond(code, data)
            if body is not None:
                proto.wbuf.password(body)
                transport.send(proto.wbuf.take())
        if proto.error is not None:
            raise proto.error
        transport.settimeout(None)
    except Error as e:
        transport.close()
        if isinstance(e, OperationalError):
            raise
        raise OperationalError(str(e), fields=e.diag.fields) from None
    except BaseException:
        transport.close()
        raise
    return transport, proto
