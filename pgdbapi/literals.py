"""Python values as SQL literal text, for statements whose values are inlined client-side.

The meaning follows psycopg2's adapters; the types follow the server-side path (see
``docs/codec.md``), so ``SELECT %s`` returns the same Python type whichever path ran:
finite floats carry ``::float8``, integral Decimals ``::numeric``, temporal values their
type name. Negative numbers get a leading space, as in psycopg2, so ``- %s`` never
becomes a ``--`` comment.
"""

from __future__ import annotations

import ipaddress
import math
import uuid
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, Callable

from ._codec_contract import Encoded
from ._pycodec_encode import array_text, timedelta_text
from ._pycodec_types import range_oid, range_text
from .exceptions import DataError, ProgrammingError
from .types import Interval, Range

__all__ = ["LiteralFunc", "quote", "quote_text", "register_literal"]

# func(value, standard_conforming_strings) -> SQL literal text
LiteralFunc = Callable[[Any, bool], str]

_LITERALS: dict[type, LiteralFunc] = {}

# Literal of objects following psycopg2's ``__conform__(ISQLQuote)`` protocol (set by
# pgdbapi.adapters, which defines that protocol).
conform_literal: LiteralFunc | None = None


def register_literal(cls: type, func: LiteralFunc) -> None:
    """Make ``quote`` render instances of ``cls`` (and its subclasses) with ``func``."""
    _LITERALS[cls] = func


def quote(value: object, *, standard_conforming_strings: bool = True) -> str:
    """The SQL literal for ``value``; ``standard_conforming_strings`` is the session's
    setting (off: ``\\`` escapes inside ``'...'``, so backslashes need ``E'...'``)."""
    func = _LITERALS.get(type(value)) or _find_literal(value)
    return func(value, standard_conforming_strings)


def _find_literal(value: object) -> LiteralFunc:
    """The most specific registered class through the MRO, then virtual (ABC) subclasses,
    most recently registered first."""
    for cls in type(value).__mro__[1:]:
        func = _LITERALS.get(cls)
        if func is not None:
            return func
    for cls, func in reversed(_LITERALS.items()):
        if isinstance(value, cls):
            return func
    if conform_literal is not None and hasattr(type(value), "__conform__"):
        return conform_literal
    raise ProgrammingError(f"can't adapt type '{type(value).__name__}'")


def quote_text(text: str, standard_conforming_strings: bool = True) -> str:
    """``text`` as a string literal (``'`` doubled; ``E'...'`` for backslashes when the
    session does not treat them literally). NUL cannot be stored in PostgreSQL text."""
    if "\0" in text:
        raise DataError("a string literal cannot contain NUL (0x00) characters")
    text = text.replace("'", "''")
    if not standard_conforming_strings and "\\" in text:
        return "E'" + text.replace("\\", "\\\\") + "'"
    return "'" + text + "'"


def _signed(text: str, negative: bool) -> str:
    return " " + text if negative else text


def _none(value: None, std: bool) -> str:
    return "NULL"


def _bool(value: bool, std: bool) -> str:
    return "true" if value else "false"


# -32768::int2 parses as -(32768::int2), which is out of range: these three are bracketed
_INT_MINIMUMS = frozenset((-(2**15), -(2**31), -(2**63)))


def _int(value: int, std: bool) -> str:
    text = int.__repr__(value)  # int.__repr__: IntEnum members too
    if value in _INT_MINIMUMS:
        return "(" + text + ")"
    return _signed(text, value < 0)


def _float(value: float, std: bool) -> str:
    if math.isnan(value):
        return "'NaN'::float8"
    if math.isinf(value):
        return "'Infinity'::float8" if value > 0 else "'-Infinity'::float8"
    text = float.__repr__(value)
    return _signed(text + "::float8", text.startswith("-"))


def _decimal(value: Decimal, std: bool) -> str:
    if value.is_snan():
        raise DataError("a signaling NaN Decimal cannot be sent to PostgreSQL")
    if value.is_nan():
        return "'NaN'::numeric"
    if value.is_infinite():
        return "'-Infinity'::numeric" if value.is_signed() else "'Infinity'::numeric"
    text = Decimal.__str__(value)
    if "." not in text and "E" not in text:
        text += "::numeric"  # a bare integer literal would be int4/int8
    return _signed(text, value.is_signed())


def _str(value: str, std: bool) -> str:
    return quote_text(str.__str__(value), std)


def _bytes(value: bytes | bytearray | memoryview, std: bool) -> str:
    return _cast("\\x" + value.hex(), "bytea", std)


def _cast(text: str, typname: str, std: bool) -> str:
    return quote_text(text, std) + "::" + typname


def _date(value: date, std: bool) -> str:
    return _cast(date.isoformat(value), "date", std)


def _datetime(value: datetime, std: bool) -> str:
    typname = "timestamp" if value.utcoffset() is None else "timestamptz"
    return _cast(datetime.isoformat(value, " "), typname, std)


def _time(value: time, std: bool) -> str:
    typname = "time" if value.utcoffset() is None else "timetz"
    return _cast(time.isoformat(value), typname, std)


def _interval(value: timedelta | Interval, std: bool) -> str:
    # the codec's text: it reads back the same under every IntervalStyle
    text = timedelta_text(value) if isinstance(value, timedelta) else Interval.__str__(value)
    return _cast(text, "interval", std)


_RANGE_TYPES = {3904: "int4range", 3926: "int8range", 3906: "numrange", 3912: "daterange",
                3908: "tsrange", 3910: "tstzrange"}


def _range(value: Range, std: bool) -> str:
    # the server-side path's text and type: bounds of no range type -> typed by the server
    text = quote_text(range_text(value), std)
    typname = _RANGE_TYPES.get(range_oid(value))
    return text + "::" + typname if typname else text


def _uuid(value: uuid.UUID, std: bool) -> str:
    return _cast(str(value), "uuid", std)


def _inet(value: Any, std: bool) -> str:
    return _cast(str(value), "inet", std)


def _cidr(value: Any, std: bool) -> str:
    return _cast(str(value), "cidr", std)


def _list(value: list[Any], std: bool) -> str:
    if not _has_value(value):  # ARRAY[] or ARRAY[NULL] has no element type to infer: the
        return "'" + array_text(value) + "'"  # untyped '{}', '{NULL}' of server-side binding
    return (
        "ARRAY[" + ",".join([quote(item, standard_conforming_strings=std) for item in value]) + "]"
    )


def _has_value(value: list[Any]) -> bool:
    return any(_has_value(item) if isinstance(item, list) else item is not None for item in value)


def _tuple(value: tuple[Any, ...], std: bool) -> str:
    # psycopg2's IN idiom: (1, 2, 3); () is passed on for the server to reject
    return "(" + ", ".join([quote(item, standard_conforming_strings=std) for item in value]) + ")"


def _encoded(value: Encoded, std: bool) -> str:
    if value.data is None:
        return "NULL"
    if value.fmt != 0:
        raise ProgrammingError(
            "a parameter encoded in binary format (Encoded fmt=1) cannot be inlined as SQL text"
        )
    try:
        text = value.data.decode()
    except UnicodeDecodeError as exc:
        raise DataError(f"a text-format parameter is not valid UTF-8: {exc}") from None
    return quote_text(text, std)


_LITERALS.update(
    {
        type(None): _none,
        bool: _bool,
        int: _int,
        float: _float,
        Decimal: _decimal,
        str: _str,
        bytes: _bytes,
        bytearray: _bytes,
        memoryview: _bytes,
        datetime: _datetime,
        date: _date,
        time: _time,
        timedelta: _interval,
        Interval: _interval,
        Range: _range,
        uuid.UUID: _uuid,
        ipaddress.IPv4Address: _inet,
        ipaddress.IPv6Address: _inet,
        ipaddress.IPv4Interface: _inet,
        ipaddress.IPv6Interface: _inet,
        ipaddress.IPv4Network: _cidr,
        ipaddress.IPv6Network: _cidr,
        list: _list,
        tuple: _tuple,
        Encoded: _encoded,
    }
)
