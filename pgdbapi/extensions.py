"""psycopg2.extensions look-alike: the constants and classes psycopg2 code imports from there."""

from __future__ import annotations

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

__all__ = [
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
