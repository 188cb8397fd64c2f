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
from typing import Any

from .exceptions import ProgrammingError

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
