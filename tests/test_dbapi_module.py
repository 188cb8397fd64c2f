"""PEP 249 module interface: globals, exception hierarchy, type objects, constructors."""

from __future__ import annotations

import datetime as dt
import os
import time

import pytest

import pgdbapi
from pgdbapi import errors, extensions


def test_globals() -> None:
    assert pgdbapi.apilevel == "2.0"
    assert pgdbapi.threadsafety == 2
    assert pgdbapi.paramstyle == "pyformat"


def test_implementation_matches_request() -> None:
    wanted = os.environ.get("PGDBAPI_IMPL", "").strip().lower()
    assert pgdbapi.implementation in ("c", "python")
    if wanted:
        assert pgdbapi.implementation == wanted


def test_exception_hierarchy() -> None:
    assert issubclass(pgdbapi.Warning, Exception)
    assert issubclass(pgdbapi.Error, Exception)
    assert not issubclass(pgdbapi.Warning, pgdbapi.Error)
    assert issubclass(pgdbapi.InterfaceError, pgdbapi.Error)
    assert issubclass(pgdbapi.DatabaseError, pgdbapi.Error)
    for cls in (
        pgdbapi.DataError,
        pgdbapi.OperationalError,
        pgdbapi.IntegrityError,
        pgdbapi.InternalError,
        pgdbapi.ProgrammingError,
        pgdbapi.NotSupportedError,
    ):
        assert issubclass(cls, pgdbapi.DatabaseError)
    assert issubclass(extensions.QueryCanceledError, pgdbapi.OperationalError)
    assert issubclass(extensions.TransactionRollbackError, pgdbapi.OperationalError)
    assert issubclass(errors.UniqueViolation, pgdbapi.IntegrityError)
    assert issubclass(errors.QueryCanceled, extensions.QueryCanceledError)
    assert issubclass(errors.SerializationFailure, extensions.TransactionRollbackError)


def test_type_objects_compare_with_oids() -> None:
    assert pgdbapi.NUMBER == 23 and 23 == pgdbapi.NUMBER
    assert pgdbapi.NUMBER == 1700
    assert pgdbapi.STRING == 25 and pgdbapi.STRING != 23
    assert pgdbapi.BINARY == 17
    assert pgdbapi.DATETIME == 1184 and pgdbapi.DATETIME == 1082
    assert pgdbapi.ROWID == 26


def test_constructors() -> None:
    assert pgdbapi.Date(2024, 1, 2) == dt.date(2024, 1, 2)
    assert pgdbapi.Time(1, 2, 3) == dt.time(1, 2, 3)
    assert pgdbapi.Timestamp(2024, 1, 2, 3, 4, 5) == dt.datetime(2024, 1, 2, 3, 4, 5)
    ticks = time.mktime((2024, 5, 6, 7, 8, 9, 0, 0, -1))
    assert pgdbapi.DateFromTicks(ticks) == dt.date(2024, 5, 6)
    assert pgdbapi.TimeFromTicks(ticks) == dt.time(7, 8, 9)
    assert pgdbapi.TimestampFromTicks(ticks) == dt.datetime(2024, 5, 6, 7, 8, 9)
    assert pgdbapi.Binary(bytearray(b"ab")) == b"ab"


def test_column_is_seven_item_sequence() -> None:
    col = pgdbapi.Column("a", 23, None, 4, None, None, None, 1234, 2)
    assert len(col) == 7
    name, type_code, *_ = col
    assert (name, type_code) == ("a", 23)
    assert col.name == "a" and col.type_code == 23 and col.internal_size == 4
    assert col.table_oid == 1234 and col.table_column == 2


def test_xid() -> None:
    x = pgdbapi.Xid(42, "gtrid", "bqual")
    assert (x.format_id, x.gtrid, x.bqual) == (42, "gtrid", "bqual")
    back = pgdbapi.Xid.from_string(x.as_tid())
    assert tuple(back) == (42, "gtrid", "bqual")
    foreign = pgdbapi.Xid.from_string("some-other-gid")
    assert foreign.format_id is None and foreign.gtrid == "some-other-gid"
    with pytest.raises(pgdbapi.ProgrammingError):
        pgdbapi.Xid(1, "x" * 65, "")
