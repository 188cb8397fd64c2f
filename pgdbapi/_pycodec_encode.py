"""Parameter encoders of the pure-Python codec: Python objects -> (format, bytes).

``write_param`` appends one Bind value (Int32 length + bytes) to the message being built and
returns its format code, so ``WriteBuffer.bind`` encodes in a single pass; ``encode_param``
is the same thing returned as ``(fmt, data)``.
"""

from __future__ import annotations

import re
import struct
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any, Callable, NamedTuple
from uuid import UUID

from . import _pycodec_oids as oids
from ._codec_contract import Encoded
from .exceptions import DataError, ProgrammingError
from .types import Interval

_pack_len = struct.Struct("!i").pack
_pack_int4 = struct.Struct("!ii").pack  # length 4 + value
_pack_int8 = struct.Struct("!iq").pack
_pack_float8 = struct.Struct("!id").pack
_pack_i32 = struct.Struct("!i").pack
_pack_i64 = struct.Struct("!q").pack
_pack_f64 = struct.Struct("!d").pack
_pack_time = struct.Struct("!q").pack
_pack_timetz = struct.Struct("!qi").pack
_pack_interval = struct.Struct("!qii").pack
_pack_numeric_head = struct.Struct("!HhHH").pack
_pack_array_head = struct.Struct("!iiI").pack
_pack_array_dim = struct.Struct("!ii").pack

NULL = b"\xff\xff\xff\xff"
_INT4_MIN, _INT4_MAX = -(1 << 31), (1 << 31) - 1
_INT8_MIN, _INT8_MAX = -(1 << 63), (1 << 63) - 1
_EPOCH = datetime(2000, 1, 1)
_EPOCH_UTC = datetime(2000, 1, 1, tzinfo=timezone.utc)
_EPOCH_ORDINAL = _EPOCH.toordinal()
_ONE_USEC = timedelta(microseconds=1)
_MAXDIM = 6


def cant_adapt(value: Any) -> ProgrammingError:
    return ProgrammingError(f"can't adapt type '{type(value).__name__}'")


# -- numeric ---------------------------------------------------------------------------------

_NUMERIC_NAN = _pack_numeric_head(0, 0, 0xC000, 0)
_NUMERIC_PINF = _pack_numeric_head(0, 0, 0xD000, 0)
_NUMERIC_NINF = _pack_numeric_head(0, 0, 0xF000, 0)
_digit_packers: dict[int, Callable[..., bytes]] = {}


def _numeric(negative: bool, digits: str, exp: int) -> bytes:
    """numeric_send layout of ``±int(digits) * 10**exp``: dscale = max(0, -exp)."""
    if exp > 0:
        if len(digits) + exp > 4 * 0x8000:
            raise DataError("numeric value out of range")
        digits += "0" * exp
        exp = 0
    dscale = -exp
    if dscale > 0x3FFF:
        raise DataError(f"numeric scale {dscale} out of range (max 16383)")
    # align to base-10000 groups: pad the fraction on the right, the integer part on the left
    digits += "0" * (-dscale % 4)
    frac = dscale + (-dscale % 4)
    intlen = len(digits) - frac
    lead = -intlen if intlen < 0 else -intlen % 4
    digits = "0" * lead + digits
    weight = (intlen + lead) // 4 - 1
    groups = [int(digits[i:i + 4]) for i in range(0, len(digits), 4)]
    first = 0
    last = len(groups)
    while first < last and groups[first] == 0:
        first += 1
    while last > first and groups[last - 1] == 0:
        last -= 1
    ndigits = last - first
    if ndigits == 0:  # zero: weight 0 and positive, as the server sends it
        return _pack_numeric_head(0, 0, 0, dscale)
    weight -= first
    if not -0x8000 <= weight <= 0x7FFF:
        raise DataError("numeric value out of range")
    pack = _digit_packers.get(ndigits)
    if pack is None:
        pack = _digit_packers[ndigits] = struct.Struct(f"!{ndigits}H").pack
    head = _pack_numeric_head(ndigits, weight, 0x4000 if negative else 0, dscale)
    return head + pack(*groups[first:last])


def _decimal_binary(v: Decimal) -> bytes:
    if not v.is_finite():
        if v.is_snan():
            raise DataError("sNaN cannot be sent to PostgreSQL")
        if v.is_nan():
            return _NUMERIC_NAN
        return _NUMERIC_NINF if v.is_signed() else _NUMERIC_PINF
    sign, digits, exp = v.as_tuple()
    assert isinstance(exp, int)
    return _numeric(bool(sign), "".join(map(str, digits)), exp)


def _int_text(v: int) -> str:
    try:
        return str(v)
    except ValueError as e:  # beyond sys.get_int_max_str_digits()
        raise DataError(f"integer too large to convert: {e}") from None


def _int_numeric(v: int) -> bytes:
    return _numeric(v < 0, _int_text(abs(v)), 0)


def _decimal_text(v: Decimal) -> str:
    if v.is_nan():
        if v.is_snan():
            raise DataError("sNaN cannot be sent to PostgreSQL")
        return "NaN"  # also for -NaN, which numeric_in would reject
    return str(v)


# -- scalar adapters -------------------------------------------------------------------------


def _int_oid(v: int) -> int:
    if _INT4_MIN <= v <= _INT4_MAX:
        return oids.INT4
    if _INT8_MIN <= v <= _INT8_MAX:
        return oids.INT8
    return oids.NUMERIC


def _int_binary(v: int) -> bytes:
    if _INT4_MIN <= v <= _INT4_MAX:
        return _pack_i32(v)
    if _INT8_MIN <= v <= _INT8_MAX:
        return _pack_i64(v)
    return _int_numeric(v)


def _float_text(v: float) -> str:
    if v - v == 0.0:
        return repr(v)
    if v != v:
        return "NaN"
    return "Infinity" if v > 0 else "-Infinity"


def _datetime_oid(v: datetime) -> int:
    return oids.TIMESTAMP if v.utcoffset() is None else oids.TIMESTAMPTZ


def _datetime_binary(v: datetime) -> bytes:
    if v.utcoffset() is None:
        return _pack_i64((v - _EPOCH) // _ONE_USEC)
    return _pack_i64((v - _EPOCH_UTC) // _ONE_USEC)


def _time_oid(v: time) -> int:
    return oids.TIME if v.utcoffset() is None else oids.TIMETZ


def _time_usecs(v: time) -> int:
    return ((v.hour * 60 + v.minute) * 60 + v.second) * 1000000 + v.microsecond


def _time_binary(v: time) -> bytes:
    off = v.utcoffset()
    if off is None:
        return _pack_time(_time_usecs(v))
    # seconds WEST of UTC; a sub-second offset is floored to whole seconds
    return _pack_timetz(_time_usecs(v), -(off.days * 86400 + off.seconds))


def _interval_binary(v: timedelta | Interval) -> bytes:
    if isinstance(v, timedelta):
        return _pack_interval(v.seconds * 1000000 + v.microseconds, v.days, 0)
    return _pack_interval(v.microseconds, v.days, v.months)


def timedelta_text(v: timedelta) -> str:
    """interval input text of a timedelta. After negative days the other fields carry an
    explicit ``+``: under IntervalStyle sql_standard a leading minus would otherwise apply
    to all of them."""
    if v.days < 0:
        return f"{v.days} days +{v.seconds} seconds +{v.microseconds} microseconds"
    return f"{v.days} days {v.seconds} seconds {v.microseconds} microseconds"


def _interval_text(v: timedelta | Interval) -> str:
    if isinstance(v, timedelta):
        return timedelta_text(v)
    return str(v)


def _bytes_text(v: Any) -> str:
    return "\\x" + bytes(v).hex()


class Adapter(NamedTuple):
    """How one Python type is sent: its oid, binary bytes (None: text only) and text."""

    oid: Callable[[Any], int]
    binary: Callable[[Any], bytes] | None
    text: Callable[[Any], str]


def _const(oid: int) -> Callable[[Any], int]:
    return lambda v: oid


_BOOL = Adapter(_const(oids.BOOL), lambda v: b"\x01" if v else b"\x00", lambda v: "t" if v else "f")
_INT = Adapter(_int_oid, _int_binary, _int_text)
_FLOAT = Adapter(_const(oids.FLOAT8), _pack_f64, _float_text)
_DECIMAL = Adapter(_const(oids.NUMERIC), _decimal_binary, _decimal_text)
_STR = Adapter(_const(0), None, lambda v: v)
_BYTES = Adapter(_const(oids.BYTEA), bytes, _bytes_text)
_DATETIME = Adapter(_datetime_oid, _datetime_binary, lambda v: v.isoformat(" "))
_DATE = Adapter(
    _const(oids.DATE), lambda v: _pack_i32(v.toordinal() - _EPOCH_ORDINAL), lambda v: v.isoformat()
)
_TIME = Adapter(_time_oid, _time_binary, lambda v: v.isoformat())
_INTERVAL = Adapter(_const(oids.INTERVAL), _interval_binary, _interval_text)  # and timedelta
_UUID = Adapter(_const(oids.UUID), lambda v: v.bytes, str)

# exact type -> adapter; subclasses go through _SUBCLASS_ORDER (bool before int,
# datetime before date).
_SCALARS: dict[type, Adapter] = {
    bool: _BOOL,
    int: _INT,
    float: _FLOAT,
    Decimal: _DECIMAL,
    str: _STR,
    bytes: _BYTES,
    bytearray: _BYTES,
    memoryview: _BYTES,
    datetime: _DATETIME,
    date: _DATE,
    time: _TIME,
    timedelta: _INTERVAL,
    UUID: _UUID,
    Interval: _INTERVAL,
}
_SUBCLASS_ORDER: tuple[tuple[type, Adapter], ...] = (
    (bool, _BOOL),
    (int, _INT),
    (float, _FLOAT),
    (Decimal, _DECIMAL),
    (str, _STR),
    (bytes, _BYTES),
    (bytearray, _BYTES),
    (memoryview, _BYTES),
    (datetime, _DATETIME),
    (date, _DATE),
    (time, _TIME),
    (timedelta, _INTERVAL),
    (UUID, _UUID),
    (Interval, _INTERVAL),
)


def _scalar_adapter(value: Any) -> Adapter:
    adapter = _SCALARS.get(type(value))
    if adapter is not None:
        return adapter
    if not isinstance(value, (Encoded, list)):
        for cls, adapter in _SUBCLASS_ORDER:
            if isinstance(value, cls):
                return adapter
        from ._pycodec_types import extra_adapter  # ipaddress, Range (imports this module)

        extra = extra_adapter(value)
        if extra is not None:
            return extra
    raise cant_adapt(value)


# -- lists -> arrays -------------------------------------------------------------------------

_INT_WIDTH = {oids.INT4: 0, oids.INT8: 1, oids.NUMERIC: 2}
_NEEDS_QUOTES = re.compile(r'[{}"\\, \t\n\r\v\f]')


class ListInfo(NamedTuple):
    array_oid: int  # 0: send as text
    elem_oid: int
    dims: list[int]
    leaves: list[Any]  # row-major, None for NULL
    adapter: Adapter | None  # the leaves' common adapter


def analyze_list(value: list[Any]) -> ListInfo:
    """Shape and element type of a (nested) list; ragged or too deep -> DataError."""
    dims: list[int] = []
    level: list[Any] = [value]
    while True:
        size = len(level[0])
        for lst in level:
            if len(lst) != size:
                raise DataError("nested lists must be rectangular to be sent as an array")
        dims.append(size)
        if len(dims) > _MAXDIM:
            raise DataError(f"arrays have at most {_MAXDIM} dimensions")
        items = [x for lst in level for x in lst]
        nested = sum(1 for x in items if isinstance(x, list))
        if nested == 0:
            break
        if nested != len(items):
            raise DataError("nested lists must be rectangular to be sent as an array")
        level = items

    common: Adapter | None = None
    elem = 0
    mixed = False
    int_elem = 0  # the widest int type among int leaves (0: none)
    for x in items:
        if x is None:
            continue
        adapter = _scalar_adapter(x)
        oid = adapter.oid(x)
        if adapter is _INT:  # widen int4 -> int8 -> numeric
            if not int_elem or _INT_WIDTH[oid] > _INT_WIDTH[int_elem]:
                int_elem = oid
            continue
        if common is None:
            common, elem = adapter, oid
        elif adapter is not common or oid != elem:
            mixed = True
    if mixed:
        return ListInfo(0, 0, dims, items, None)
    if common is None:
        if not int_elem:
            return ListInfo(0, 0, dims, items, None)
        common, elem = _INT, int_elem
    elif int_elem:  # ints among floats / Decimals: float8[] / numeric[]
        if common is not _FLOAT and common is not _DECIMAL:
            return ListInfo(0, 0, dims, items, None)
        items = [_int_as(x, common) if type(x) is not bool and isinstance(x, int) else x
                 for x in items]
    if common is _STR:
        elem = oids.TEXT
    return ListInfo(oids.ELEMENT_ARRAY.get(elem, 0), elem, dims, items, common)


def _int_as(x: int, common: Adapter) -> Any:
    """An int among the floats (or Decimals) of a list, as one of them."""
    if common is _DECIMAL:
        return Decimal(int(x))
    try:
        return float(x)
    except OverflowError:
        raise DataError(f"an int in a list of floats is too large for float8: {x}") from None


def _element_binary(info: ListInfo) -> Callable[[Any], bytes]:
    if info.adapter is _INT:
        return {oids.INT4: _pack_i32, oids.INT8: _pack_i64}.get(info.elem_oid, _int_numeric)
    if info.adapter is _STR:
        return str.encode
    assert info.adapter is not None and info.adapter.binary is not None
    return info.adapter.binary


def array_binary(info: ListInfo) -> bytes:
    encode = _element_binary(info)
    leaves = info.leaves
    out = bytearray(_pack_array_head(len(info.dims), 1 if None in leaves else 0, info.elem_oid))
    for d in info.dims:
        out += _pack_array_dim(d, 1)
    for x in leaves:
        if x is None:
            out += NULL
        else:
            data = encode(x)
            out += _pack_len(len(data))
            out += data
    return bytes(out)


def _quote(s: str) -> str:
    if s == "" or (len(s) == 4 and s.isascii() and s.upper() == "NULL") or _NEEDS_QUOTES.search(s):
        return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return s


def array_text(value: list[Any]) -> str:
    """Array literal ``{...}`` with elements quoted as array_in reads them (types.md §4.2)."""
    parts = []
    for x in value:
        if x is None:
            parts.append("NULL")
        elif isinstance(x, list):
            parts.append(array_text(x))
        else:
            parts.append(_quote(_scalar_adapter(x).text(x)))
    return "{" + ",".join(parts) + "}"


# -- the public entry points -----------------------------------------------------------------


def infer_oid(value: Any) -> int:
    """The oid sent in Parse: 0 lets the server infer it (str, None, untyped lists)."""
    if value is None:
        return 0
    adapter = _SCALARS.get(type(value))
    if adapter is not None:
        return adapter.oid(value)
    if isinstance(value, Encoded):
        return value.oid
    if isinstance(value, list):
        return analyze_list(value).array_oid
    return _scalar_adapter(value).oid(value)


def _text_bytes(text: str) -> bytes:
    try:
        return text.encode()
    except UnicodeEncodeError as e:
        raise DataError(f"cannot encode parameter as UTF-8: {e}") from None


def encode_param(value: Any, oid: int) -> tuple[int, bytes | None]:
    """``(fmt, data)`` of one parameter: binary when ``infer_oid(value) == oid != 0``."""
    if value is None:
        return 0, None
    if isinstance(value, (Encoded, list)):
        if isinstance(value, Encoded):
            if value.fmt != 0 and value.fmt != 1:
                raise ProgrammingError(f"invalid format code {value.fmt!r} in Encoded")
            return value.fmt, value.data
        info = analyze_list(value)
        if oid != 0 and info.array_oid == oid:
            return 1, array_binary(info)
        return 0, _text_bytes(array_text(value))
    adapter = _scalar_adapter(value)
    if oid != 0 and adapter.binary is not None and adapter.oid(value) == oid:
        return 1, adapter.binary(value)
    return 0, _text_bytes(adapter.text(value))


def write_param(out: bytearray, value: Any, oid: int) -> int:
    """Append one Bind value (Int32 length + bytes) to ``out``; return its format code.

    The common types are special-cased; everything else goes through ``encode_param``.
    """
    t = type(value)
    if t is str:
        data = _text_bytes(value)
        out += _pack_len(len(data))
        out += data
        return 0
    if t is int:
        if oid == 23 and _INT4_MIN <= value <= _INT4_MAX:
            out += _pack_int4(4, value)
            return 1
        if oid == 20 and _INT8_MIN <= value <= _INT8_MAX and not _INT4_MIN <= value <= _INT4_MAX:
            out += _pack_int8(8, value)
            return 1
    elif t is float and oid == 701:
        out += _pack_float8(8, value)
        return 1
    elif value is None:
        out += NULL
        return 0
    elif t is datetime and oid == 1114 and value.tzinfo is None:
        out += _pack_int8(8, (value - _EPOCH) // _ONE_USEC)
        return 1
    elif t is bool and oid == 16:
        out += b"\0\0\0\x01\x01" if value else b"\0\0\0\x01\0"
        return 1
    fmt, encoded = encode_param(value, oid)
    if encoded is None:
        out += NULL
    else:
        out += _pack_len(len(encoded))
        out += encoded
    return fmt
