"""Value decoders of the pure-Python codec: server bytes (text or binary) -> Python objects.

Every decoder has the signature ``f(buf, pos, n)`` and reads the ``n`` bytes of ``buf`` that
start at ``pos``, so DataRow values are decoded straight out of the receive buffer (fixed-size
binary values are unpacked in place; nothing is sliced that does not have to be). Decoders
may raise anything on bad input: callers turn non-pgdbapi exceptions into ``DataError``.

Where docs/codec.md does not fix the accepted text grammar, decoders accept exactly what the
server prints (DateStyle=ISO, IntervalStyle=postgres or iso_8601) and reject the rest.
"""

from __future__ import annotations

import json
import re
import struct
import sys
from binascii import a2b_hex
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from decimal import Decimal
from typing import Any, Callable, Union
from uuid import UUID, SafeUUID

from . import _pycodec_oids as oids
from . import _pycodec_styles as styles
from . import _pycodec_types as more
from .exceptions import DataError, ProgrammingError
from .types import Interval

Buf = Union[bytes, bytearray]
Decoder = Callable[[Any, int, int], Any]
Factory = Callable[["_Context"], Decoder]  # for decoders that read the session time zone


class _Context:  # the one attribute a decoder reads from a TypeContext
    timezone: tzinfo


_i16 = struct.Struct("!h").unpack_from
_i32 = struct.Struct("!i").unpack_from
_u32 = struct.Struct("!I").unpack_from
_i64 = struct.Struct("!q").unpack_from
_u64 = struct.Struct("!Q").unpack_from
_f32 = struct.Struct("!f").unpack_from
_f64 = struct.Struct("!d").unpack_from
_pack_f32 = struct.Struct("!f").pack
_numeric_head = struct.Struct("!HhHH").unpack_from
_timetz = struct.Struct("!qi").unpack_from
_interval = struct.Struct("!qii").unpack_from
_array_head = struct.Struct("!iiI").unpack_from
_array_dim = struct.Struct("!ii").unpack_from

INT32_MAX = 0x7FFFFFFF
INT32_MIN = -0x80000000
INT64_MAX = 0x7FFFFFFFFFFFFFFF
INT64_MIN = -0x8000000000000000
_USECS_PER_DAY = 86_400_000_000

_EPOCH = datetime(2000, 1, 1)
_EPOCH_UTC = datetime(2000, 1, 1, tzinfo=timezone.utc)
_EPOCH_ORDINAL = date(2000, 1, 1).toordinal()
_fromordinal = date.fromordinal
_date_fromiso = date.fromisoformat
_time_fromiso = time.fromisoformat
_datetime_fromiso = datetime.fromisoformat
_timedelta = timedelta
_datetime = datetime
_time = time
_date = date
_NAN = float("nan")
_INF = float("inf")


def _bad(what: str, buf: Buf, pos: int, n: int) -> DataError:
    return DataError(f"invalid {what} value: {bytes(buf[pos:pos + n])[:60]!r}")


def _bad_length(what: str, n: int, want: int) -> DataError:
    return DataError(f"invalid {what} value: {n} bytes instead of {want}")


# -- text-like -------------------------------------------------------------------------------


def text_str(buf: Buf, pos: int, n: int) -> str:
    return buf[pos:pos + n].decode()


def bin_bytes(buf: Buf, pos: int, n: int) -> bytes:
    return bytes(buf[pos:pos + n])


def _text_char(buf: Buf, pos: int, n: int) -> str:
    s = buf[pos:pos + n]
    if n == 4 and s[0] == 92 and 48 <= s[1] <= 55 and 48 <= s[2] <= 55 and 48 <= s[3] <= 55:
        return chr(int(s[1:], 8))
    return s.decode()


def _bin_char(buf: Buf, pos: int, n: int) -> str:
    if n != 1:
        raise _bad_length('"char"', n, 1)
    byte = buf[pos]
    return chr(byte) if byte else ""  # the empty "char" is one zero byte, '' in text


def _text_bytea(buf: Buf, pos: int, n: int) -> bytes:
    s = bytes(buf[pos:pos + n])
    if s[:2] == b"\\x":
        return a2b_hex(s[2:])
    if 92 not in s:
        return s
    # escape form (bytea_output=escape): \\ and \ooo with a first digit 0-3, as byteain reads it
    out = bytearray()
    i = 0
    while True:
        j = s.find(b"\\", i)
        if j < 0:
            out += s[i:]
            return bytes(out)
        out += s[i:j]
        if s[j + 1:j + 2] == b"\\":
            out.append(92)
            i = j + 2
            continue
        o = s[j + 1:j + 4]
        if len(o) == 3 and 48 <= o[0] <= 51 and 48 <= o[1] <= 55 and 48 <= o[2] <= 55:
            out.append(int(o, 8))
            i = j + 4
            continue
        raise _bad("bytea", buf, pos, n)


_json_decode = json.JSONDecoder().decode  # what json.loads(str) calls, minus its checks


def _text_json(buf: Buf, pos: int, n: int) -> Any:
    return _json_decode(buf[pos:pos + n].decode())


def _bin_jsonb(buf: Buf, pos: int, n: int) -> Any:
    if n < 1 or buf[pos] != 1:
        raise DataError("unsupported jsonb binary version")
    return _json_decode(buf[pos + 1:pos + n].decode())


# -- bool, integers, floats ------------------------------------------------------------------


def _text_bool(buf: Buf, pos: int, n: int) -> bool:
    if n == 1:
        c = buf[pos]
        if c == 116:  # t
            return True
        if c == 102:  # f
            return False
    raise _bad("boolean", buf, pos, n)


def _bin_bool(buf: Buf, pos: int, n: int) -> bool:
    if n != 1:
        raise _bad_length("boolean", n, 1)
    return buf[pos] != 0  # boolrecv: any non-zero byte is true


def text_int(buf: Buf, pos: int, n: int) -> int:
    """Text grammar ``-?[0-9]+`` (no range check: text is what the server printed)."""
    s = buf[pos:pos + n]
    if s.isdigit():
        return int(s)
    if s[:1] == b"-" and s[1:].isdigit():
        return int(s)
    raise _bad("integer", buf, pos, n)


def _fixed(fmt: str, what: str) -> Decoder:
    st = struct.Struct(fmt)
    size = st.size
    unpack = st.unpack_from

    def decode(buf: Buf, pos: int, n: int) -> Any:
        if n != size:
            raise _bad_length(what, n, size)
        return unpack(buf, pos)[0]

    return decode


bin_int2 = _fixed("!h", "smallint")
bin_int4 = _fixed("!i", "integer")
bin_int8 = _fixed("!q", "bigint")
bin_float8 = _fixed("!d", "double precision")
_bin_uint4 = _fixed("!I", "oid")
_bin_uint8 = _fixed("!Q", "xid8")

_FLOAT_LEAD = b"-.0123456789"
_FLOAT_CHARS = b"0123456789.eE+-"


def text_float(buf: Buf, pos: int, n: int) -> float:
    """``NaN``, ``Infinity``, ``-Infinity``, or characters of ``[0-9.eE+-]`` starting with a
    digit, ``-`` or ``.`` that float() reads whole to a finite value."""
    s = buf[pos:pos + n]
    if n and s[0] in _FLOAT_LEAD and not s.translate(None, _FLOAT_CHARS):
        v = float(s)
        if v - v == 0.0:  # not an overflow to inf
            return v
    elif s == b"NaN":
        return _NAN
    elif s == b"Infinity":
        return _INF
    elif s == b"-Infinity":
        return -_INF
    raise _bad("floating-point", buf, pos, n)


_G_FORMATS = tuple(f"%.{p}g" for p in range(1, 10))


def _bin_float4(buf: Buf, pos: int, n: int) -> float:
    if n != 4:
        raise _bad_length("real", n, 4)
    x = _f32(buf, pos)[0]
    if x != x:
        return _NAN
    if x - x != 0.0:
        return x
    packed = bytes(buf[pos:pos + 4])
    for fmt in _G_FORMATS:  # shortest decimal that packs back to the same float32
        y = float(fmt % x)
        try:
            if _pack_f32(y) == packed:
                return y
        except OverflowError:  # rounded past FLT_MAX
            continue
    return x  # not reached: 9 significant digits always round-trip


# -- numeric ---------------------------------------------------------------------------------

_NUMERIC_TEXT = re.compile(rb"-?[0-9]+(?:\.[0-9]+)?|NaN|-?Infinity")
_NUMERIC_SPECIAL = {
    0xC000: Decimal("NaN"), 0xD000: Decimal("Infinity"), 0xF000: Decimal("-Infinity")
}
_digit_structs: dict[int, Callable[..., tuple[int, ...]]] = {}


def _text_numeric(buf: Buf, pos: int, n: int) -> Decimal:
    s = buf[pos:pos + n]
    if _NUMERIC_TEXT.fullmatch(s) is None:
        raise _bad("numeric", buf, pos, n)
    return Decimal(s.decode())


def _bin_numeric(buf: Buf, pos: int, n: int) -> Decimal:
    if n < 8:
        raise _bad_length("numeric", n, 8)
    ndigits, weight, sign, dscale = _numeric_head(buf, pos)
    if n != 8 + 2 * ndigits:
        raise DataError(f"invalid numeric value: {n} bytes for {ndigits} digits")
    if sign != 0 and sign != 0x4000:
        special = _NUMERIC_SPECIAL.get(sign)
        if special is None:
            raise DataError(f"invalid numeric sign 0x{sign:04x}")
        return special
    if dscale > 0x3FFF:
        raise DataError(f"invalid numeric scale {dscale}")
    if ndigits == 0:
        digits = ""
    else:
        unpack = _digit_structs.get(ndigits)
        if unpack is None:
            unpack = _digit_structs[ndigits] = struct.Struct(f"!{ndigits}H").unpack_from
        groups = unpack(buf, pos + 8)
        if max(groups) > 9999:
            raise DataError("invalid numeric digit (above 9999)")
        digits = "%04d" * ndigits % groups
        # digits stand for int(digits) * 10**shift; show exactly dscale fractional digits
        # (zero-padded, or truncated as numeric_recv does)
        shift = 4 * (weight - ndigits + 1) + dscale
        if shift > 0:
            digits += "0" * shift
        elif shift < 0:
            digits = digits[:shift]
    return Decimal(f"{'-' if sign else ''}{digits or '0'}E-{dscale}")


# -- dates and times -------------------------------------------------------------------------

_SHAPE = bytes.maketrans(b"123456789", b"000000000")  # every digit -> '0'
_TIME_SHAPES = [b"00:00:00"] + [b"00:00:00." + b"0" * k for k in range(1, 7)]
_OFFSET_SHAPES = [s + t for s in (b"+", b"-") for t in (b"00", b"00:00", b"00:00:00")]
_FRAC_SCALE = (1, 100000, 10000, 1000, 100, 10, 1)
# shape -> length of the part before the zone offset
_TIME_FORMS = {t: len(t) for t in _TIME_SHAPES}
_TIMETZ_FORMS = {t + o: len(t) for t in _TIME_SHAPES for o in _OFFSET_SHAPES}
_TIMESTAMP_FORMS = {b"0000-00-00 " + t: 11 + len(t) for t in _TIME_SHAPES}
_TIMESTAMPTZ_FORMS = {
    b"0000-00-00 " + t + o: 11 + len(t) for t in _TIME_SHAPES for o in _OFFSET_SHAPES
}

_tz_cache: dict[int, timezone] = {}


def fixed_timezone(east: int) -> timezone:
    """A fixed-offset zone, cached (a result set repeats the same few offsets)."""
    tz = _tz_cache.get(east)
    if tz is None:
        tz = timezone(_timedelta(seconds=east))
        if len(_tz_cache) < 512:
            _tz_cache[east] = tz
    return tz


def _usecs(s: bytes, k: int, end: int) -> int:
    """Fractional seconds of a validated ``HH:MM:SS[.f]`` that starts at ``k``."""
    if end - k > 8:
        return int(s[k + 9:end]) * _FRAC_SCALE[end - k - 9]
    return 0


def _offset(s: bytes, k: int) -> tzinfo:
    """Zone of a validated ``±HH[:MM[:SS]]`` suffix that starts at ``k``."""
    m = len(s) - k
    east = int(s[k + 1:k + 3]) * 3600
    if m > 3:
        east += int(s[k + 4:k + 6]) * 60
        if m > 6:
            east += int(s[k + 7:k + 9])
    return fixed_timezone(-east if s[k] == 45 else east)


def _manual_date(s: bytes) -> date:
    return _date(int(s[0:4]), int(s[5:7]), int(s[8:10]))


def _manual_time(s: bytes, k: int) -> time:
    tz = _offset(s, k) if k < len(s) else None
    return _time(int(s[0:2]), int(s[3:5]), int(s[6:8]), _usecs(s, 0, k), tz)


def _manual_datetime(s: bytes, k: int) -> datetime:
    return _datetime(
        int(s[0:4]), int(s[5:7]), int(s[8:10]),
        int(s[11:13]), int(s[14:16]), int(s[17:19]), _usecs(s, 11, k),
        _offset(s, k) if k < len(s) else None,
    )


def _iso_date(s: bytes) -> date:
    return _date_fromiso(s.decode())


def _iso_time(s: bytes, k: int) -> time:
    return _time_fromiso(s.decode())


def _iso_datetime(s: bytes, k: int) -> datetime:
    return _datetime_fromiso(s.decode())


# Readers of a string whose shape is validated (``k``: where the zone offset starts, or the
# length). Since 3.11 fromisoformat (C, several times faster) reads every accepted shape with
# the same results and range checks; before, it only reads isoformat()'s own output.
if sys.version_info >= (3, 11):
    _read_date, _read_time, _read_datetime = _iso_date, _iso_time, _iso_datetime
else:
    _read_date, _read_time, _read_datetime = _manual_date, _manual_time, _manual_datetime


_DATE_HINT = styles.DATESTYLE_HINT


def _infinite(s: bytes, plus: Any, minus: Any, what: str) -> Any:
    """The text forms ``infinity`` / ``-infinity``; anything else here is malformed."""
    if s == b"infinity":
        return plus
    if s == b"-infinity":
        return minus
    raise DataError(f"invalid {what} value: {s[:60]!r}")


def _text_date(buf: Buf, pos: int, n: int) -> date:
    s = bytes(buf[pos:pos + n])
    if s.translate(_SHAPE) == b"0000-00-00":
        return _read_date(s)
    return _infinite(s, date.max, date.min, "date (BC, year above 9999 or not ISO)" + _DATE_HINT)


def _bin_date(buf: Buf, pos: int, n: int) -> date:
    if n != 4:
        raise _bad_length("date", n, 4)
    days = _i32(buf, pos)[0]
    if days == INT32_MAX:
        return date.max
    if days == INT32_MIN:
        return date.min
    return _fromordinal(days + _EPOCH_ORDINAL)


def _text_time(buf: Buf, pos: int, n: int) -> time:
    s = bytes(buf[pos:pos + n])
    if s.translate(_SHAPE) not in _TIME_FORMS:
        raise _bad("time", buf, pos, n)
    return _read_time(s, n)


def _time_from_usecs(v: int, tz: tzinfo | None = None) -> time:
    if not 0 <= v < _USECS_PER_DAY:
        raise DataError(f"time value out of range: {v} microseconds")
    sec, us = divmod(v, 1000000)
    mi, sec = divmod(sec, 60)
    h, mi = divmod(mi, 60)
    return _time(h, mi, sec, us, tz)


def _bin_time(buf: Buf, pos: int, n: int) -> time:
    if n != 8:
        raise _bad_length("time", n, 8)
    return _time_from_usecs(_i64(buf, pos)[0])


def _text_timetz(buf: Buf, pos: int, n: int) -> time:
    s = bytes(buf[pos:pos + n])
    k = _TIMETZ_FORMS.get(s.translate(_SHAPE))
    if k is None:
        raise _bad("time with time zone", buf, pos, n)
    return _read_time(s, k)


def _bin_timetz(buf: Buf, pos: int, n: int) -> time:
    if n != 12:
        raise _bad_length("time with time zone", n, 12)
    v, west = _timetz(buf, pos)
    return _time_from_usecs(v, fixed_timezone(-west))


def _text_timestamp(buf: Buf, pos: int, n: int) -> datetime:
    s = bytes(buf[pos:pos + n])
    if s.translate(_SHAPE) in _TIMESTAMP_FORMS:
        return _read_datetime(s, n)
    return _infinite(
        s, datetime.max, datetime.min, "timestamp (BC, year above 9999 or not ISO)" + _DATE_HINT
    )


def _bin_timestamp(buf: Buf, pos: int, n: int) -> datetime:
    if n != 8:
        raise _bad_length("timestamp", n, 8)
    v = _i64(buf, pos)[0]
    if v == INT64_MAX:
        return datetime.max
    if v == INT64_MIN:
        return datetime.min
    return _EPOCH + _timedelta(0, 0, v)


def _text_timestamptz(ctx: _Context) -> Decoder:
    def decode(buf: Buf, pos: int, n: int) -> datetime:
        s = bytes(buf[pos:pos + n])
        k = _TIMESTAMPTZ_FORMS.get(s.translate(_SHAPE))
        if k is not None:
            return _read_datetime(s, k).astimezone(ctx.timezone)
        return _infinite(
            s, _DATETIME_MAX_UTC, _DATETIME_MIN_UTC,
            "timestamptz (BC, year above 9999 or not ISO)" + _DATE_HINT,
        )

    return decode


# timestamptz ±infinity under infinity="clamp": at UTC whatever the session zone, as psycopg2
_DATETIME_MAX_UTC = datetime.max.replace(tzinfo=timezone.utc)
_DATETIME_MIN_UTC = datetime.min.replace(tzinfo=timezone.utc)


def _bin_timestamptz(ctx: _Context) -> Decoder:
    def decode(buf: Buf, pos: int, n: int) -> datetime:
        if n != 8:
            raise _bad_length("timestamptz", n, 8)
        v = _i64(buf, pos)[0]
        if v == INT64_MAX:
            return _DATETIME_MAX_UTC
        if v == INT64_MIN:
            return _DATETIME_MIN_UTC
        return (_EPOCH_UTC + _timedelta(0, 0, v)).astimezone(ctx.timezone)

    return decode


# -- interval --------------------------------------------------------------------------------


def _bin_interval_decoder(keep: bool) -> Decoder:
    def decode(buf: Buf, pos: int, n: int) -> timedelta | Interval:
        if n != 16:
            raise _bad_length("interval", n, 16)
        us, days, months = _interval(buf, pos)
        if us == INT64_MAX and days == INT32_MAX and months == INT32_MAX:
            return styles.infinite_interval(1, keep)
        if us == INT64_MIN and days == INT32_MIN and months == INT32_MIN:
            return styles.infinite_interval(-1, keep)
        return styles.interval_value(months, days, us, keep)

    return decode


def _text_interval_decoder(keep: bool) -> Decoder:
    """IntervalStyle postgres (``1 year 2 mons -3 days +04:05:06.7``: fields in that order,
    each at most once) or iso_8601 (``P1Y2M3DT4H5M6.7S``); other styles take
    ``styles.decode_text``."""

    fields, checked = styles.fast_interval_fields, styles.checked_interval

    def decode(buf: Buf, pos: int, n: int) -> timedelta | Interval:
        s = bytes(buf[pos:pos + n])
        try:
            months, days, us = fields(s)
        except ValueError:
            if s == b"infinity" or s == b"-infinity":
                return styles.infinite_interval(-1 if n == 9 else 1, keep)
            raise _bad("interval" + styles.INTERVALSTYLE_HINT, buf, pos, n) from None
        return checked(months, days, us, keep)

    return decode


_bin_interval = _bin_interval_decoder(False)
_text_interval = _text_interval_decoder(False)
_KEPT_INTERVALS = (_text_interval_decoder(True), _bin_interval_decoder(True))


# -- uuid ------------------------------------------------------------------------------------

_new_object = object.__new__
_set_attribute = object.__setattr__
_SAFE_UNKNOWN = SafeUUID.unknown


def _make_uuid(value: int) -> UUID:
    # UUID.__init__ re-validates what we already know; fill the two slots directly.
    u = _new_object(UUID)
    _set_attribute(u, "int", value)
    _set_attribute(u, "is_safe", _SAFE_UNKNOWN)
    return u


def _text_uuid(buf: Buf, pos: int, n: int) -> UUID:
    """Canonical ``8-4-4-4-12`` hex (either case), nothing else."""
    s = bytes(buf[pos:pos + n])
    if n == 36 and s[8] == 45 and s[13] == 45 and s[18] == 45 and s[23] == 45:
        digits = s.replace(b"-", b"")
        if len(digits) == 32:  # no other '-'
            return _make_uuid(int.from_bytes(a2b_hex(digits), "big"))
    raise _bad("uuid", buf, pos, n)


def _bin_uuid(buf: Buf, pos: int, n: int) -> UUID:
    if n != 16:
        raise _bad_length("uuid", n, 16)
    return _make_uuid(int.from_bytes(buf[pos:pos + 16], "big"))


# -- arrays ----------------------------------------------------------------------------------

_MAXDIM = 6
_WHITESPACE = b" \t\n\r\v\f"  # scanner_isspace
_DIM_DECORATION = re.compile(
    rb"(?:\[[+-]?[0-9]+(?::[+-]?[0-9]+)?\])+[ \t\n\r\v\f]*=[ \t\n\r\v\f]*"
)


def _reshape(items: list[Any], dims: list[int]) -> list[Any]:
    for d in reversed(dims[1:]):
        items = [items[i:i + d] for i in range(0, len(items), d)]
    return items


def _bin_array(elem_oid: int, elem: Decoder) -> Decoder:
    def decode(buf: Buf, pos: int, n: int) -> list[Any]:
        b = buf[pos:pos + n]
        if n < 12:
            raise DataError("invalid array value: truncated header")
        ndim, flags, oid = _array_head(b, 0)
        if not 0 <= ndim <= _MAXDIM:
            raise DataError(f"invalid array value: {ndim} dimensions")
        if flags != 0 and flags != 1:  # array_recv's check
            raise DataError(f"invalid array flags {flags}")
        if oid != elem_oid:
            raise DataError(f"array element type {oid} instead of expected {elem_oid}")
        if ndim == 0:
            if n != 12:
                raise DataError("invalid array value: trailing bytes")
            return []
        p = 12 + 8 * ndim
        if p > n:
            raise DataError("invalid array value: truncated dimensions")
        dims = []
        total = 1
        for k in range(12, p, 8):
            d = _array_dim(b, k)[0]
            if d < 0:
                raise DataError(f"invalid array dimension length {d}")
            dims.append(d)
            total *= d
        if total * 4 > n - p:
            raise DataError("invalid array value: truncated elements")
        items: list[Any] = []
        append = items.append
        for _ in range(total):
            if p + 4 > n:
                raise DataError("invalid array value: truncated elements")
            ln = _i32(b, p)[0]
            p += 4
            if ln == -1:
                append(None)
                continue
            if ln < 0 or p + ln > n:
                raise DataError(f"invalid array element length {ln}")
            append(elem(b, p, ln))
            p += ln
        if p != n:
            raise DataError("invalid array value: trailing bytes")
        if ndim > 1 and total:
            return _reshape(items, dims)
        return items

    return decode


def _text_array(elem: Decoder) -> Decoder:
    def decode(buf: Buf, pos: int, n: int) -> list[Any]:
        s = bytes(buf[pos:pos + n])
        if s[:1] == b"{" and s[-1:] == b"}":
            inner = s[1:-1]
            if b"{" not in inner and b"}" not in inner and b'"' not in inner and b"\\" not in inner:
                return _simple_text_array(inner, elem)
        return _parse_text_array(s, elem)

    return decode


def _simple_text_array(inner: bytes, elem: Decoder) -> list[Any]:
    """One dimension, nothing quoted or escaped: the common case, split at the commas."""
    if not inner.strip():
        return []
    out: list[Any] = []
    for item in inner.split(b","):
        item = item.strip()  # bytes.strip() strips exactly the array scanner's whitespace
        if not item:
            raise DataError("invalid array value: empty element")
        if len(item) == 4 and item.upper() == b"NULL":
            out.append(None)
        else:
            out.append(elem(item, 0, len(item)))
    return out


def _parse_text_array(s: bytes, elem: Decoder) -> list[Any]:
    """array_in's syntax: white space around elements and braces, an optional decoration
    ``[lo:hi]...=`` (bounds not kept), sub-arrays all of one shape."""
    n = len(s)
    i = 0
    while i < n and s[i] in _WHITESPACE:
        i += 1
    if s[i:i + 1] == b"[":
        m = _DIM_DECORATION.match(s, i)
        if m is None:
            raise DataError(f"invalid array dimension decoration: {s[:60]!r}")
        i = m.end()
    if s[i:i + 1] != b"{":
        raise DataError(f"invalid array value: {s[:60]!r}")
    items, shape, i = _parse_level(s, i + 1, elem, 1)
    while i < n and s[i] in _WHITESPACE:
        i += 1
    if i != n:
        raise DataError(f"invalid array value: junk after the closing brace: {s[:60]!r}")
    if 0 in shape:
        return []
    return items


def _parse_level(
    s: bytes, i: int, elem: Decoder, depth: int
) -> tuple[list[Any], tuple[int, ...], int]:
    """Parse the items after a ``{``; return them, the shape and the index past the ``}``."""
    if depth > _MAXDIM:
        raise DataError(f"array has more than {_MAXDIM} dimensions")
    n = len(s)
    items: list[Any] = []
    sub_shape: tuple[int, ...] | None = None  # () for scalars, else the sub-arrays' shape
    while i < n and s[i] in _WHITESPACE:
        i += 1
    if i < n and s[i] == 125:  # '}'
        return items, (0,), i + 1
    while True:
        while i < n and s[i] in _WHITESPACE:
            i += 1
        if i >= n:
            raise DataError("invalid array value: unexpected end")
        c = s[i]
        if c == 123:  # '{'
            value, shape, i = _parse_level(s, i + 1, elem, depth + 1)
            if sub_shape is None:
                sub_shape = shape
            elif sub_shape != shape:
                raise DataError("multidimensional arrays must have matching sub-arrays")
            items.append(value)
        else:
            if sub_shape is None:
                sub_shape = ()
            elif sub_shape != ():
                raise DataError("multidimensional arrays must have matching sub-arrays")
            if c == 34:  # '"'
                raw, i = _quoted_element(s, i + 1)
                items.append(elem(raw, 0, len(raw)))
            else:
                raw, escaped, i = _unquoted_element(s, i)
                if not escaped and len(raw) == 4 and raw.upper() == b"NULL":
                    items.append(None)
                else:
                    items.append(elem(raw, 0, len(raw)))
        while i < n and s[i] in _WHITESPACE:
            i += 1
        c = s[i] if i < n else -1
        if c == 44:  # ','
            i += 1
        elif c == 125:  # '}'
            return items, (len(items),) + sub_shape, i + 1
        else:
            raise DataError("invalid array value: expected ',' or '}'")


def _quoted_element(s: bytes, i: int) -> tuple[bytes, int]:
    out = bytearray()
    n = len(s)
    while True:
        q = s.find(b'"', i)
        b = s.find(b"\\", i, q if q >= 0 else n)
        if b >= 0:
            if b + 1 >= n:
                raise DataError("invalid array value: unterminated escape")
            out += s[i:b]
            out.append(s[b + 1])
            i = b + 2
            continue
        if q < 0:
            raise DataError("invalid array value: unterminated quoted element")
        out += s[i:q]
        return bytes(out), q + 1


def _unquoted_element(s: bytes, i: int) -> tuple[bytes, bool, int]:
    out = bytearray()
    keep = 0  # length up to the last character that is not unescaped trailing whitespace
    escaped = False
    n = len(s)
    while i < n:
        c = s[i]
        if c == 92:  # backslash escapes any character
            if i + 1 >= n:
                raise DataError("invalid array value: unterminated escape")
            out.append(s[i + 1])
            escaped = True
            keep = len(out)
            i += 2
            continue
        if c == 44 or c == 125:  # ',' '}'
            break
        if c == 123 or c == 34:  # '{' '"'
            raise DataError("invalid array value: unexpected '{' or '\"'")
        out.append(c)
        if c not in _WHITESPACE:
            keep = len(out)
        i += 1
    if keep == 0:
        raise DataError("invalid array value: empty element")
    return bytes(out[:keep]), escaped, i


# -- registry --------------------------------------------------------------------------------

TEXT_DECODERS: dict[int, Decoder] = {
    oids.BOOL: _text_bool,
    oids.BYTEA: _text_bytea,
    oids.CHAR: _text_char,
    oids.INT8: text_int,
    oids.INT2: text_int,
    oids.INT4: text_int,
    oids.OID: text_int,
    oids.XID: text_int,
    oids.CID: text_int,
    oids.XID8: text_int,
    oids.JSON: _text_json,
    oids.JSONB: _text_json,
    oids.FLOAT4: text_float,
    oids.FLOAT8: text_float,
    oids.NUMERIC: _text_numeric,
    oids.DATE: _text_date,
    oids.TIME: _text_time,
    oids.TIMETZ: _text_timetz,
    oids.TIMESTAMP: _text_timestamp,
    oids.INTERVAL: _text_interval,
    oids.UUID: _text_uuid,
}

BINARY_DECODERS: dict[int, Decoder] = {
    oids.BOOL: _bin_bool,
    oids.BYTEA: bin_bytes,
    oids.CHAR: _bin_char,
    oids.NAME: text_str,
    oids.TEXT: text_str,
    oids.VARCHAR: text_str,
    oids.BPCHAR: text_str,
    oids.UNKNOWN: text_str,
    oids.INT8: bin_int8,
    oids.INT2: bin_int2,
    oids.INT4: bin_int4,
    oids.OID: _bin_uint4,
    oids.XID: _bin_uint4,
    oids.CID: _bin_uint4,
    oids.REGPROC: _bin_uint4,
    oids.REGCLASS: _bin_uint4,
    oids.REGTYPE: _bin_uint4,
    oids.XID8: _bin_uint8,
    oids.JSON: _text_json,
    oids.JSONB: _bin_jsonb,
    oids.FLOAT4: _bin_float4,
    oids.FLOAT8: bin_float8,
    oids.NUMERIC: _bin_numeric,
    oids.DATE: _bin_date,
    oids.TIME: _bin_time,
    oids.TIMETZ: _bin_timetz,
    oids.TIMESTAMP: _bin_timestamp,
    oids.INTERVAL: _bin_interval,
    oids.UUID: _bin_uuid,
}

# Binary types whose value is one struct field (same results as their decoders above):
# RowDecoder reads a row made only of these with one precompiled struct.
FIXED_BINARY: dict[int, str] = {
    oids.BOOL: "?",  # any non-zero byte is true, as _bin_bool
    oids.INT2: "h",
    oids.INT4: "i",
    oids.INT8: "q",
    oids.OID: "I",
    oids.XID: "I",
    oids.CID: "I",
    oids.REGPROC: "I",
    oids.REGCLASS: "I",
    oids.REGTYPE: "I",
    oids.XID8: "Q",
    oids.FLOAT8: "d",
}

# Decoders that read the session time zone are built per TypeContext.
_TEXT_FACTORIES: dict[int, Factory] = {oids.TIMESTAMPTZ: _text_timestamptz}
_BINARY_FACTORIES: dict[int, Factory] = {oids.TIMESTAMPTZ: _bin_timestamptz}


def _with_lookup(make: Callable[[Any], Decoder], fmt: int) -> Factory:
    """A shared factory (ranges, records) fed this twin's decoders of the same format."""
    return lambda ctx: make(lambda oid: get_decoder(oid, fmt, ctx))


def _register_more() -> None:
    TEXT_DECODERS.update(more.TEXT_DECODERS)
    BINARY_DECODERS.update(more.BINARY_DECODERS)
    for oid, make in more.TEXT_FACTORIES.items():
        _TEXT_FACTORIES[oid] = _with_lookup(make, 0)
    for oid, make in more.BINARY_FACTORIES.items():
        _BINARY_FACTORIES[oid] = _with_lookup(make, 1)


def _array_factories(el: int) -> tuple[Factory, Factory]:
    def text(ctx: _Context) -> Decoder:
        return _text_array(get_decoder(el, 0, ctx))

    def binary(ctx: _Context) -> Decoder:
        return _bin_array(el, get_decoder(el, 1, ctx))

    return text, binary


def _register_arrays() -> None:
    for arr, el in oids.ARRAY_ELEMENT.items():
        if el in _TEXT_FACTORIES or el in _BINARY_FACTORIES:
            _TEXT_FACTORIES[arr], _BINARY_FACTORIES[arr] = _array_factories(el)
        else:
            TEXT_DECODERS[arr] = _text_array(TEXT_DECODERS.get(el, text_str))
            BINARY_DECODERS[arr] = _bin_array(el, BINARY_DECODERS.get(el, bin_bytes))


_register_more()
_register_arrays()


# the types whose decoding the TypeContext settings change, and their arrays (ranges and
# multiranges follow through their bounds' decoders)
_SETTINGS_SCALARS = frozenset({oids.DATE, oids.TIMESTAMP, oids.TIMESTAMPTZ, oids.INTERVAL})
_SETTINGS_ARRAYS = {
    1182: oids.DATE, 1115: oids.TIMESTAMP, 1185: oids.TIMESTAMPTZ, 1187: oids.INTERVAL
}


def get_decoder(oid: int, fmt: int, ctx: Any) -> Decoder:
    """The decoder of one column; oids without one decode to ``str`` (text) or ``bytes``.

    The settings of ``ctx`` (infinity, interval, DateStyle, IntervalStyle) are read here,
    once per decoder built (docs/codec.md)."""
    if oid in _SETTINGS_SCALARS or oid in _SETTINGS_ARRAYS:
        mode = styles.context_mode(ctx)
        if mode:
            return _decoder_under(oid, fmt, ctx, mode)
    return _base_decoder(oid, fmt, ctx)


def get_decoders(columns: list[tuple[int, int]], ctx: Any) -> list[Decoder]:
    """get_decoder for each ``(oid, format)``, the settings read at most once."""
    mode = -1
    out = []
    for oid, fmt in columns:
        if oid in _SETTINGS_SCALARS or oid in _SETTINGS_ARRAYS:
            if mode < 0:
                mode = styles.context_mode(ctx)
            if mode:
                out.append(_decoder_under(oid, fmt, ctx, mode))
                continue
        out.append(_base_decoder(oid, fmt, ctx))
    return out


def _decoder_under(oid: int, fmt: int, ctx: Any, mode: int) -> Decoder:
    """get_decoder for a date/time type (or its array) under non-default settings."""
    el = _SETTINGS_ARRAYS.get(oid)
    if fmt != 0 and fmt != 1:
        return _base_decoder(oid, fmt, ctx)  # which refuses it
    if el is not None:
        if fmt == 0:
            return _text_array(get_decoder(el, 0, ctx))
        return _bin_array(el, get_decoder(el, 1, ctx))
    styled = styles.STYLED_INTERVALS if oid == oids.INTERVAL else styles.STYLED_DATES
    if fmt == 0 and mode & styled:
        return styles.text_decoder(oid, mode, ctx)  # type: ignore[no-any-return]
    if oid == oids.INTERVAL:
        if mode & styles.KEEP_INTERVALS and fmt in (0, 1):
            return _KEPT_INTERVALS[fmt]
    elif mode & styles.INFINITY_BITS:
        dec = _base_decoder(oid, fmt, ctx)
        return more.infinity_guard(dec, oid, fmt, mode & styles.INFINITY_BITS)
    return _base_decoder(oid, fmt, ctx)


def _base_decoder(oid: int, fmt: int, ctx: Any) -> Decoder:
    if fmt == 0:
        dec = TEXT_DECODERS.get(oid)
        if dec is None:
            factory = _TEXT_FACTORIES.get(oid)
            dec = text_str if factory is None else factory(ctx)
        return dec
    if fmt == 1:
        dec = BINARY_DECODERS.get(oid)
        if dec is None:
            factory = _BINARY_FACTORIES.get(oid)
            dec = bin_bytes if factory is None else factory(ctx)
        return dec
    raise ProgrammingError(f"unsupported format code: {fmt}")
