"""pgdbapi: a PostgreSQL DB-API 2.0 driver speaking the wire protocol itself.

``pgdbapi.implementation`` says which codec is active: ``"c"`` (the Cython extension) or
``"python"`` (the pure-Python twin); ``PGDBAPI_IMPL`` chooses (see :mod:`pgdbapi.codec`).
"""

from __future__ import annotations

from .codec import implementation
from .connection import Connection, Notify, connect
from .cursor import Cursor, NamedCursor
from .dbapi import (
    BINARY,
    DATETIME,
    NUMBER,
    ROWID,
    STRING,
    Binary,
    Column,
    Date,
    DateFromTicks,
    Time,
    TimeFromTicks,
    Timestamp,
    TimestampFromTicks,
)
from .exceptions import (
    DatabaseError,
    DataError,
    Error,
    IntegrityError,
    InterfaceError,
    InternalError,
    NotSupportedError,
    OperationalError,
    ProgrammingError,
    Warning,
)
from .tpc import Xid

apilevel = "2.0"
threadsafety = 2
paramstyle = "pyformat"
__version__ = "0.1.0"

__all__ = [
    "apilevel",
    "threadsafety",
    "paramstyle",
    "connect",
    "implementation",
    "Connection",
    "Cursor",
    "NamedCursor",
    "Notify",
    "Xid",
    "Column",
    "Warning",
    "Error",
    "InterfaceError",
    "DatabaseError",
    "DataError",
    "OperationalError",
    "IntegrityError",
    "InternalError",
    "ProgrammingError",
    "NotSupportedError",
    "STRING",
    "BINARY",
    "NUMBER",
    "DATETIME",
    "ROWID",
    "Date",
    "Time",
    "Timestamp",
    "DateFromTicks",
    "TimeFromTicks",
    "TimestampFromTicks",
    "Binary",
]
