"""A one-connection fake PostgreSQL server, to inject what a real one never sends."""

from __future__ import annotations

import socket
import struct
import threading
from collections.abc import Iterator
from contextlib import closing, contextmanager


@contextmanager
def one_shot_server(reply: bytes) -> Iterator[tuple[int, list[bytes]]]:
    """(port, received): accepts one connection, reads its first packet (SSLRequest or
    StartupMessage: both length-prefixed), sends ``reply`` in one write, then records what the
    client sends until it hangs up."""
    received: list[bytes] = []
    lsock = socket.socket()
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(1)

    def serve() -> None:
        try:
            conn, _ = lsock.accept()
        except OSError:
            return
        with conn:
            conn.settimeout(5)
            try:
                (length,) = struct.unpack("!i", conn.recv(4))
                conn.recv(length - 4)
                conn.sendall(reply)
                while chunk := conn.recv(100):
                    received.append(chunk)
            except OSError:
                pass

    threading.Thread(target=serve, daemon=True).start()
    with closing(lsock):
        yield lsock.getsockname()[1], received
