"""Transaction ids for the PEP 249 two-phase commit extension, serialized as psycopg2 does.

psycopg2 names a prepared transaction ``"<format_id>_<b64 gtrid>_<b64 bqual>"`` so that
``tpc_recover()`` can rebuild the XA triple; gids not in that form (made outside the
driver) come back with ``format_id = None`` and the whole gid as ``gtrid``.
"""

from __future__ import annotations

import base64
import binascii
import datetime as _dt
import re
from typing import TYPE_CHECKING, Any

from .exceptions import ProgrammingError

if TYPE_CHECKING:
    import threading

    from .protocol import Protocol, Result

_XID_RE = re.compile(r"^(\d+)_([^_]*)_([^_]*)$")


class Xid(tuple):  # type: ignore[type-arg]
    """``(format_id, gtrid, bqual)`` plus the ``pg_prepared_xacts`` details after recovery."""

    prepared: _dt.datetime | None
    owner: str | None
    database: str | None

    def __new__(cls, format_id: int | None, gtrid: str, bqual: str | None = "") -> "Xid":
        if format_id is not None:
            if not 0 <= format_id < 2**31:
                raise ProgrammingError("format_id must be a non-negative 32-bit integer")
            if len(gtrid) > 64:
                raise ProgrammingError("gtrid must be a string no longer than 64 characters")
            if bqual is None or len(bqual) > 64:
                raise ProgrammingError("bqual must be a string no longer than 64 characters")
        self = tuple.__new__(cls, (format_id, gtrid, bqual))
        self.prepared = self.owner = self.database = None
        return self

    format_id = property(lambda self: self[0])
    gtrid = property(lambda self: self[1])
    bqual = property(lambda self: self[2])

    def as_tid(self) -> str:
        """The gid used in PREPARE TRANSACTION."""
        if self[0] is None:
            return str(self[1])
        g = base64.b64encode(self[1].encode()).decode()
        b = base64.b64encode((self[2] or "").encode()).decode()
        return f"{self[0]}_{g}_{b}"

    def __str__(self) -> str:
        return self.as_tid()

    def __repr__(self) -> str:
        return f"Xid({self[0]!r}, {self[1]!r}, {self[2]!r})"

    @classmethod
    def from_string(cls, gid: str) -> "Xid":
        m = _XID_RE.match(gid)
        if m:
            try:
                gtrid = base64.b64decode(m.group(2), validate=True).decode()
                bqual = base64.b64decode(m.group(3), validate=True).decode()
                return cls(int(m.group(1)), gtrid, bqual)
            except (binascii.Error, UnicodeDecodeError, ProgrammingError):
                pass
        return cls(None, gid, None)


def recovered(row: tuple[Any, ...]) -> Xid:
    """Xid from a ``pg_prepared_xacts`` row (gid, prepared, owner, database)."""
    xid = Xid.from_string(row[0])
    xid.prepared, xid.owner, xid.database = row[1], row[2], row[3]
    return xid


def _quote_gid(xid: Xid) -> bytes:
    return ("'" + xid.as_tid().replace("'", "''") + "'").encode()


class TwoPhaseCommit:
    """The PEP 249 two-phase commit methods, with psycopg2's semantics (mixed into Connection).

    ``tpc_begin`` only marks the transaction; the usual implicit BEGIN starts it;
    ``tpc_prepare`` issues PREPARE TRANSACTION; ``tpc_commit``/``tpc_rollback`` without
    an xid finish the current one (a plain COMMIT/ROLLBACK if it was never prepared), with
    an xid they finish a recovered one and must run outside a transaction.
    """

    _tpc_xid: Xid | None = None
    _tpc_prepared: bool = False

    if TYPE_CHECKING:  # provided by Connection
        _lock: threading.RLock
        _proto: Protocol
        _autocommit: bool

        def _check(self) -> None: ...
        def _simple_control(self, sql: bytes) -> None: ...
        def _begin_statement(self) -> bytes: ...
        def execute(self, query: str | bytes, params: Any = None) -> list[Result]: ...

    def xid(self, format_id: int, gtrid: str, bqual: str) -> Xid:
        return Xid(format_id, gtrid, bqual)

    def tpc_begin(self, xid: Xid | str) -> None:
        with self._lock:
            self._check()
            if self._proto.transaction_status != b"I" or self._tpc_xid is not None:
                raise ProgrammingError("tpc_begin must be called outside a transaction")
            if self._autocommit:
                raise ProgrammingError("tpc_begin can't be called in autocommit mode")
            self._tpc_xid = xid if isinstance(xid, Xid) else Xid.from_string(str(xid))
            self._tpc_prepared = False

    def tpc_prepare(self) -> None:
        with self._lock:
            self._check()
            if self._tpc_xid is None:
                raise ProgrammingError("tpc_prepare must be called in a two-phase transaction")
            if self._tpc_prepared:
                raise ProgrammingError("tpc_prepare called twice")
            if self._proto.transaction_status == b"I":
                self._simple_control(self._begin_statement())
            self._simple_control(b"PREPARE TRANSACTION " + _quote_gid(self._tpc_xid))
            self._tpc_prepared = True

    def tpc_commit(self, xid: Xid | str | None = None) -> None:
        self._tpc_finish(b"COMMIT", xid)

    def tpc_rollback(self, xid: Xid | str | None = None) -> None:
        self._tpc_finish(b"ROLLBACK", xid)

    def _tpc_finish(self, verb: bytes, xid: Xid | str | None) -> None:
        with self._lock:
            self._check()
            if xid is None:
                if self._tpc_xid is None:
                    raise ProgrammingError(
                        f"tpc_{verb.decode().lower()} must be called in a two-phase transaction"
                    )
                if self._tpc_prepared:
                    self._simple_control(verb + b" PREPARED " + _quote_gid(self._tpc_xid))
                elif self._proto.transaction_status != b"I":
                    self._simple_control(verb)
                self._tpc_xid = None
                self._tpc_prepared = False
                return
            if self._proto.transaction_status != b"I" or self._tpc_xid is not None:
                raise ProgrammingError(
                    "tpc_commit/tpc_rollback with an xid must be called outside a transaction"
                )
            target = xid if isinstance(xid, Xid) else Xid.from_string(str(xid))
            self._simple_control(verb + b" PREPARED " + _quote_gid(target))

    def tpc_recover(self) -> list[Xid]:
        """The prepared transactions; leaves the transaction state as it found it."""
        with self._lock:
            self._check()
            was_idle = self._proto.transaction_status == b"I"
            results = self.execute(
                "SELECT gid, prepared, owner, database"
                " FROM pg_catalog.pg_prepared_xacts ORDER BY gid"
            )
            if was_idle and self._proto.transaction_status != b"I":
                self._simple_control(b"ROLLBACK")
            return [recovered(row) for row in results[-1].rows]
