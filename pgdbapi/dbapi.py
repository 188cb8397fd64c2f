"""PEP 249 module-level type objects, constructors and the cursor.description column."""

from __future__ import annotations

import datetime as _dt
import time as _time
from typing import Any

from . import oids as _oids

__all__ = [
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
    "Column",
    "DBAPITypeObject",
]


class DBAPITypeObject:
    """Compares equal to every type OID of its group, so ``description[i][1] == NUMBER`` works."""

    __slots__ = ("name", "values")

    def __init__(self, name: str, *values: int) -> None:
        self.name = name
        self.values = frozenset(values)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, int):
            return other in self.values
        if isinstance(other, DBAPITypeObject):
            return self.values == other.values
        return NotImplemented

    def __ne__(self, other: object) -> bool:
        eq = self.__eq__(other)
        return eq if eq is NotImplemented else not eq

    def __hash__(self) -> int:
        return hash(self.values)

    def __repr__(self) -> str:
        return f"<DBAPITypeObject {self.name}>"


STRING = DBAPITypeObject(
    "STRING",
    _oids.TEXT,
    _oids.VARCHAR,
    _oids.BPCHAR,
    _oids.NAME,
    _oids.CHAR,
    _oids.UNKNOWN,
    _oids.JSON,
    _oids.JSONB,
    _oids.XML,
)
BINARY = DBAPITypeObject("BINARY", _oids.BYTEA)
NUMBER = DBAPITypeObject(
    "NUMBER",
    _oids.INT2,
    _oids.INT4,
    _oids.INT8,
    _oids.FLOAT4,
    _oids.FLOAT8,
    _oids.NUMERIC,
    _oids.MONEY,
    _oids.OID,
)
DATETIME = DBAPITypeObject(
    "DATETIME",
    _oids.DATE,
    _oids.TIME,
    _oids.TIMETZ,
    _oids.TIMESTAMP,
    _oids.TIMESTAMPTZ,
    _oids.INTERVAL,
)
ROWID = DBAPITypeObject("ROWID", _oids.OID, _oids.TID)

Date = _dt.date
Time = _dt.time
Timestamp = _dt.datetime


def DateFromTicks(ticks: float) -> _dt.date:  # noqa: N802 - PEP 249 name
    return Date(*_time.localtime(ticks)[:3])


def TimeFromTicks(ticks: float) -> _dt.time:  # noqa: N802
    return Time(*_time.localtime(ticks)[3:6])


def TimestampFromTicks(ticks: float) -> _dt.datetime:  # noqa: N802
    return Timestamp(*_time.localtime(ticks)[:6])


def Binary(data: Any) -> bytes:  # noqa: N802
    return bytes(data)


class Column(tuple):  # type: ignore[type-arg]
    """One ``cursor.description`` entry: a 7-item sequence (PEP 249) with psycopg2's
    attribute names, plus ``table_oid``/``table_column`` as psycopg2 has them."""

    table_oid: int | None
    table_column: int | None

    def __new__(
        cls,
        name: str,
        type_code: int,
        display_size: int | None = None,
        internal_size: int | None = None,
        precision: int | None = None,
        scale: int | None = None,
        null_ok: bool | None = None,
        table_oid: int | None = None,
        table_column: int | None = None,
    ) -> "Column":
        self = tuple.__new__(
            cls, (name, type_code, display_size, internal_size, precision, scale, null_ok)
        )
        self.table_oid = table_oid
        self.table_column = table_column
        return self

    name = property(lambda self: self[0])
    type_code = property(lambda self: self[1])
    display_size = property(lambda self: self[2])
    internal_size = property(lambda self: self[3])
    precision = property(lambda self: self[4])
    scale = property(lambda self: self[5])
    null_ok = property(lambda self: self[6])

    @classmethod
    def from_field(cls, field: tuple[str, int, int, int, int, int, int]) -> "Column":
        """From a parsed RowDescription field (name, table, attnum, oid, typlen, typmod, fmt)."""
        name, table_oid, attnum, oid, typlen, typmod, _fmt = field
        precision = scale = None
        # psycopg2's internal_size: typlen, or for a variable-length type the typmod less its
        # 4-byte header (-1 without one; numeric: the precision; varchar(4)[] -> 4)
        mod = typmod - 4 if typmod > 0 else typmod
        internal = typlen if typlen != -1 else (mod >> 16 if oid == _oids.NUMERIC else mod)
        if oid == _oids.NUMERIC and typmod >= 4:  # unconstrained numeric: None (PEP 249)
            precision = (mod >> 16) & 0xFFFF
            scale = mod & 0xFFFF
        return cls(
            name, oid, None, internal, precision, scale, None, table_oid or None, attnum or None
        )

    def __repr__(self) -> str:
        return f"Column(name={self[0]!r}, type_code={self[1]!r})"
