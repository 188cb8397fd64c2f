"""psycopg2.extensions look-alike: the constants, classes and adaptation functions psycopg2
code imports from there (the registries live in :mod:`pgdbapi.adapters`)."""

from __future__ import annotations

from typing import Any

from .adapters import (
    AsIs,
    Binary,
    ISQLQuote,
    QuotedString,
    TypeCaster,
    adapt,
    adapters,
    new_array_type,
    new_type,
    register_adapter,
    register_type,
    string_types,
)
from .codec import impl as _codec
from .connection import (
    STATUS_BEGIN,
    STATUS_PREPARED,
    STATUS_READY,
    TRANSACTION_STATUS_ACTIVE,
    TRANSACTION_STATUS_IDLE,
    TRANSACTION_STATUS_INERROR,
    TRANSACTION_STATUS_INTRANS,
    TRANSACTION_STATUS_UNKNOWN,
    Notify,
)
from .connection import (
    Connection as connection,
)
from .cursor import Cursor as cursor
from .exceptions import Diagnostics, QueryCanceledError, TransactionRollbackError
from .tpc import Xid
from .txoptions import (
    ISOLATION_LEVEL_AUTOCOMMIT,
    ISOLATION_LEVEL_DEFAULT,
    ISOLATION_LEVEL_READ_COMMITTED,
    ISOLATION_LEVEL_READ_UNCOMMITTED,
    ISOLATION_LEVEL_REPEATABLE_READ,
    ISOLATION_LEVEL_SERIALIZABLE,
)

STATUS_IN_TRANSACTION = STATUS_BEGIN


def _builtin(name: str, *oids: int) -> TypeCaster:
    """A typecaster doing what pgdbapi does for ``oids`` (base for ``new_type`` wrappers,
    e.g. ``new_type(DECIMAL.values, "DEC2FLOAT", ...)``)."""
    from .adapters import _UTC_CONTEXT

    def cast(value: str | None, cursor: Any) -> Any:
        if value is None:
            return None
        ctx = getattr(cursor, "ctx", _UTC_CONTEXT)
        return _codec.decode_value(oids[0], 0, value.encode(), ctx)

    return TypeCaster(oids, name, cast)


BOOLEAN = _builtin("BOOLEAN", 16)
INTEGER = _builtin("INTEGER", 23, 21)
LONGINTEGER = _builtin("LONGINTEGER", 20)
FLOAT = _builtin("FLOAT", 701, 700)
DECIMAL = _builtin("DECIMAL", 1700)
UNICODE = _builtin("UNICODE", 25, 1043, 1042, 19, 18)
STRING = UNICODE
BINARY = _builtin("BINARY", 17)
DATE = PYDATE = _builtin("DATE", 1082)
TIME = PYTIME = _builtin("TIME", 1083, 1266)
DATETIME = PYDATETIME = _builtin("DATETIME", 1114)
DATETIMETZ = PYDATETIMETZ = _builtin("DATETIMETZ", 1184)
INTERVAL = PYINTERVAL = _builtin("INTERVAL", 1186)
JSON = _builtin("JSON", 114)
JSONB = _builtin("JSONB", 3802)
UUID = _builtin("UUID", 2950)

__all__ = [
    "AsIs",
    "Binary",
    "ISQLQuote",
    "QuotedString",
    "adapt",
    "adapters",
    "new_array_type",
    "new_type",
    "register_adapter",
    "register_type",
    "string_types",
    "BOOLEAN",
    "INTEGER",
    "LONGINTEGER",
    "FLOAT",
    "DECIMAL",
    "UNICODE",
    "STRING",
    "BINARY",
    "DATE",
    "TIME",
    "DATETIME",
    "DATETIMETZ",
    "INTERVAL",
    "JSON",
    "JSONB",
    "UUID",
    "PYDATE",
    "PYTIME",
    "PYDATETIME",
    "PYDATETIMETZ",
    "PYINTERVAL",
    "ISOLATION_LEVEL_AUTOCOMMIT",
    "ISOLATION_LEVEL_DEFAULT",
    "ISOLATION_LEVEL_READ_COMMITTED",
    "ISOLATION_LEVEL_READ_UNCOMMITTED",
    "ISOLATION_LEVEL_REPEATABLE_READ",
    "ISOLATION_LEVEL_SERIALIZABLE",
    "STATUS_BEGIN",
    "STATUS_IN_TRANSACTION",
    "STATUS_PREPARED",
    "STATUS_READY",
    "TRANSACTION_STATUS_ACTIVE",
    "TRANSACTION_STATUS_IDLE",
    "TRANSACTION_STATUS_INERROR",
    "TRANSACTION_STATUS_INTRANS",
    "TRANSACTION_STATUS_UNKNOWN",
    "connection",
    "cursor",
    "Notify",
    "Xid",
    "Diagnostics",
    "QueryCanceledError",
    "TransactionRollbackError",
]
