"""The two codec implementations agree bit for bit (docs/codec.md).

``pgdbapi._codec`` (Cython) and ``pgdbapi._pycodec`` (pure Python) are imported directly and
fed the same inputs: Python values to encode, server-style text and random bytes to decode,
DataRow bodies, message streams split at random points, frontend message sequences.  Each
property compares the two outcomes (value, or exception class) and, where docs/codec.md
makes it an identity, the round trip.  Known byte vectors from shared/reference/types.md pin
both twins to the wire format, so the compiled codec is tested on its own too.

Without the compiled codec this module fails under ``PGDBAPI_IMPL=c`` and skips otherwise.
"""

from __future__ import annotations

import json
import math
import os
import struct
import uuid
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from ipaddress import ip_address, ip_interface, ip_network
from typing import Any, Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pgdbapi import _pycodec as P
from pgdbapi._codec_contract import Encoded
from pgdbapi.exceptions import (
    DataError,
    Error,
    InterfaceError,
    OperationalError,
    ProgrammingError,
)
from pgdbapi.oids import MULTIRANGE_RANGE
from pgdbapi.types import Range

try:
    from pgdbapi import _codec as C  # type: ignore[attr-defined]
except ImportError:
    if os.environ.get("PGDBAPI_IMPL", "").strip().lower() == "c":
        raise
    pytest.skip("the compiled codec (pgdbapi._codec) is not built", allow_module_level=True)

try:
    from zoneinfo import ZoneInfo

    _NEW_YORK: Any = ZoneInfo("America/New_York")
except Exception:  # no tz database on this machine
    _NEW_YORK = timezone(timedelta(hours=-5))

IMPLS = [pytest.param(C, id="c"), pytest.param(P, id="python")]
BOTH = (C, P)

# A few thousand examples in all: the suite runs twice in CI.  Scale up for a deeper hunt
# with PGDBAPI_TWIN_EXAMPLES=<factor>.
_SCALE = int(os.environ.get("PGDBAPI_TWIN_EXAMPLES", "1"))
FAST = settings(max_examples=150 * _SCALE, deadline=None, suppress_health_check=list(HealthCheck))
MEDIUM = settings(max_examples=300 * _SCALE, deadline=None, suppress_health_check=list(HealthCheck))

TZ_CHOICES = [
    timezone.utc,
    timezone(timedelta(hours=5, minutes=30)),
    timezone(timedelta(hours=-8)),
    _NEW_YORK,
]

SCALAR_OIDS = [
    16,
    17,
    18,
    19,
    20,
    21,
    23,
    24,
    25,
    26,
    28,
    29,
    114,
    700,
    701,
    705,
    1042,
    1043,
    1082,
    1083,
    1114,
    1184,
    1186,
    1266,
    1700,
    2205,
    2206,
    2950,
    3802,
    5069,
]
ARRAY_OIDS = [
    1000,
    1005,
    1007,
    1016,
    1028,
    1021,
    1022,
    1231,
    1009,
    1015,
    1014,
    1003,
    1002,
    1001,
    1182,
    1183,
    1270,
    1115,
    1185,
    1187,
    2951,
    199,
    3807,
]
# the types of _pycodec_types (network, bits, lsn, snapshots, ranges, records, ...)
MORE_SCALAR_OIDS = [869, 650, 829, 774, 1560, 1562, 3220, 790, 2970, 5038, 3614, 3615, 142,
                    4072, 2278, 27, 2202, 4089, 600, 603, 2249]
RANGE_OIDS = [3904, 3926, 3906, 3912, 3908, 3910]
MULTIRANGE_OIDS = [4451, 4536, 4532, 4535, 4533, 4534]
MORE_ARRAY_OIDS = [1041, 651, 1040, 1561, 3221, 2949, 1010, 3905, 3907, 3913, 3911, 6150,
                   6153, 2287, 1017]
MORE_OIDS = MORE_SCALAR_OIDS + RANGE_OIDS + MULTIRANGE_OIDS + MORE_ARRAY_OIDS
ALL_OIDS = SCALAR_OIDS + ARRAY_OIDS + MORE_OIDS + [0, 99999, -1, 2**40]


# --- comparing outcomes --------------------------------------------------------------------


def canon(x: Any) -> Any:
    """A structure equal for two values exactly when they are the same value of the same
    type (NaN equals NaN, -0.0 differs from 0.0, Decimal('1.0') from Decimal('1.00'))."""
    if isinstance(x, float):
        return ("float", "nan" if x != x else x.hex())
    if isinstance(x, (list, tuple)):
        return (type(x).__name__, [canon(v) for v in x])
    if isinstance(x, dict):
        return ("dict", sorted((k, canon(v)) for k, v in x.items()))
    if isinstance(x, (datetime, time)):
        return (type(x).__name__, repr(x), x.utcoffset())
    return (type(x).__name__, repr(x))


def outcome(f: Callable[..., Any], *args: Any) -> Any:
    """('ok', canonical result) or ('error', exception class); only pgdbapi errors allowed."""
    try:
        return ("ok", canon(f(*args)))
    except Error as exc:
        return ("error", type(exc))


def both(name: str, *args: Any) -> Any:
    """Call module-level ``name`` in both twins; assert equal outcomes; return it."""
    got_c = outcome(getattr(C, name), *args)
    got_p = outcome(getattr(P, name), *args)
    assert got_c == got_p, f"{name}{args!r}: c={got_c!r} python={got_p!r}"
    return got_c


def ctx_of(mod: Any, tz: Any = timezone.utc) -> Any:
    ctx = mod.TypeContext()
    ctx.timezone = tz
    return ctx


def decode_both(oid: int, fmt: int, data: bytes, tz: Any = timezone.utc) -> Any:
    got_c = outcome(C.decode_value, oid, fmt, data, ctx_of(C, tz))
    got_p = outcome(P.decode_value, oid, fmt, data, ctx_of(P, tz))
    assert got_c == got_p, f"decode_value({oid}, {fmt}, {data!r}): c={got_c!r} python={got_p!r}"
    if got_c[0] == "error":
        assert got_c[1] is DataError, f"decode_value({oid}, {fmt}, {data!r}) raised {got_c[1]}"
    return got_c


# --- strategies: Python values -------------------------------------------------------------

INT_EDGES = [
    0,
    1,
    -1,
    2**31 - 1,
    -(2**31),
    2**31,
    -(2**31) - 1,
    2**63 - 1,
    -(2**63),
    2**63,
    -(2**63) - 1,
    10**40,
    -(10**40),
]
ints = st.one_of(
    st.sampled_from(INT_EDGES),
    st.integers(-(2**31), 2**31 - 1),
    st.integers(-(2**63), 2**63 - 1),
    st.integers(-(10**50), 10**50),
)
floats = st.floats(allow_nan=True, allow_infinity=True)


@st.composite
def decimals(draw: Any) -> Decimal:
    kind = draw(st.integers(0, 9))
    if kind == 0:
        return Decimal(
            draw(
                st.sampled_from(
                    [
                        "NaN",
                        "-NaN",
                        "Infinity",
                        "-Infinity",
                        "sNaN",
                        "0",
                        "-0",
                        "0.000",
                        "-0E+3",
                        "1E+5",
                        "1E-20",
                    ]
                )
            )
        )
    sign = draw(st.integers(0, 1))
    digits = draw(st.lists(st.integers(0, 9), min_size=1, max_size=40))
    if kind == 1:  # huge or tiny exponents, inside and outside numeric's binary range
        exp = draw(st.sampled_from([-16383, -16384, -20000, 131071, 131072, 200000]))
        digits = digits[:3]
    else:
        exp = draw(st.integers(-30, 30))
    return Decimal((sign, tuple(digits), exp))


offsets = st.one_of(
    st.integers(-23 * 60 - 59, 23 * 60 + 59).map(lambda m: timezone(timedelta(minutes=m))),
    st.sampled_from([timezone.utc, timezone(timedelta(seconds=-17762))]),
)
texts = st.one_of(
    st.text(),
    st.text(alphabet="{}\",\\ \t\nNULLnul'xé€", max_size=12),
    st.sampled_from(["", "NULL", "null", "a b", '"', "\\", "{}", "é", "\U0001f600"]),
)


class MyStr(str):
    pass


class MyInt(int):
    pass


class MyDecimal(Decimal):
    pass


class MyDatetime(datetime):
    pass


subclassed = st.one_of(
    texts.map(MyStr),
    ints.map(MyInt),
    decimals().map(MyDecimal),
    st.datetimes(timezones=st.one_of(st.none(), offsets)).map(
        lambda d: MyDatetime.combine(d.date(), d.timetz())
    ),
)
scalars = st.one_of(
    st.booleans(),
    ints,
    floats,
    decimals(),
    texts,
    st.binary(max_size=24),
    st.binary(max_size=8).map(bytearray),
    st.dates(),
    st.times(),
    st.times(timezones=offsets),
    st.datetimes(),
    st.datetimes(timezones=offsets),
    st.timedeltas(),
    st.uuids(),
    subclassed,
)


@st.composite
def rectangular_lists(draw: Any) -> list[Any]:
    """Nested rectangular lists of one kind of element, with None."""
    leaf = draw(
        st.sampled_from(
            [
                st.booleans(),
                ints,
                floats,
                decimals(),
                texts,
                st.binary(max_size=6),
                st.dates(),
                st.times(),
                st.datetimes(),
                st.datetimes(timezones=offsets),
                st.timedeltas(),
                st.uuids(),
                scalars,
            ]
        )
    )
    leaves = st.one_of(st.none(), leaf) if draw(st.booleans()) else leaf
    shape = draw(st.lists(st.integers(0, 3), min_size=1, max_size=3))

    def build(level: int) -> Any:
        if level == len(shape):
            return draw(leaves)
        return [build(level + 1) for _ in range(shape[level])]

    return build(0)


ragged_lists = st.recursive(
    st.one_of(st.none(), st.integers(-5, 5), st.text(max_size=2)),
    lambda inner: st.lists(inner, max_size=3),
    max_leaves=8,
)
params = st.one_of(
    st.none(),
    scalars,
    rectangular_lists(),
    ragged_lists,
    st.builds(
        Encoded,
        st.sampled_from([0, 23, 25]),
        st.sampled_from([0, 1]),
        st.one_of(st.none(), st.binary(max_size=6)),
    ),
    st.sampled_from([{}, (1, 2), {1}, object()]),
)


# --- encoding ------------------------------------------------------------------------------


def _leaves(value: Any) -> list[Any]:
    return [y for x in value for y in _leaves(x)] if isinstance(value, list) else [value]


def same_value(original: Any, decoded: Any, among_floats: bool = False) -> bool:
    """Round-trip identity as docs/codec.md defines it (ints beyond int8 come back as
    numeric, ints in a list of floats as floats, aware datetimes in the session zone,
    bytes-likes as bytes)."""
    if isinstance(original, list):
        if not among_floats:
            among_floats = any(isinstance(x, float) for x in _leaves(original))
        return (
            isinstance(decoded, list)
            and len(original) == len(decoded)
            and all(same_value(a, b, among_floats) for a, b in zip(original, decoded))
        )
    if original is None:
        return decoded is None
    if isinstance(original, float):
        return canon(original) == canon(decoded)
    if isinstance(original, Decimal):
        if not original.is_finite():
            return canon(decoded) == canon(Decimal("NaN" if original.is_nan() else original))
        ok = decoded == original and isinstance(decoded, Decimal)
        exp = original.as_tuple().exponent
        assert isinstance(exp, int)
        return ok and (exp > 0 or decoded.as_tuple().exponent == exp)
    if isinstance(original, (bytearray, memoryview)):
        return decoded == bytes(original) and type(decoded) is bytes
    if isinstance(original, datetime) and original.utcoffset() is not None:
        return decoded == original and decoded.tzinfo is timezone.utc
    if isinstance(original, int) and not isinstance(original, bool):
        if among_floats:  # an int among the floats of a list: sent as a float
            return type(decoded) is float and decoded == float(original)
        return decoded == original and type(decoded) in (int, Decimal)
    return decoded == original and isinstance(original, type(decoded))  # subclasses: base


@MEDIUM
@given(value=params, other_oid=st.sampled_from([0, 16, 20, 23, 25, 701, 1700, 1007, 1009, 17]))
def test_infer_and_encode_agree(value: Any, other_oid: int) -> None:
    inferred = both("infer_oid", value)
    oids = [other_oid]
    if inferred[0] == "ok":
        oids.append(int(inferred[1][1]))
    for oid in oids:
        got_c = outcome(C.encode_param, value, oid, ctx_of(C))
        got_p = outcome(P.encode_param, value, oid, ctx_of(P))
        assert got_c == got_p, f"encode_param({value!r}, {oid})"
        assert got_c[0] == "ok" or got_c[1] in (DataError, ProgrammingError)


@MEDIUM
@given(value=st.one_of(scalars, rectangular_lists()))
def test_binary_round_trip(value: Any) -> None:
    inferred = both("infer_oid", value)
    if inferred[0] == "error":
        return
    oid = int(inferred[1][1])
    fmt_c = outcome(C.encode_param, value, oid, ctx_of(C))
    assert fmt_c == outcome(P.encode_param, value, oid, ctx_of(P))
    if fmt_c[0] == "error" or oid == 0:
        return
    fmt, data = C.encode_param(value, oid, ctx_of(C))
    assert fmt == 1
    got = decode_both(oid, 1, data)
    assert got[0] == "ok", f"{value!r} encoded as {data!r} does not decode"
    decoded = C.decode_value(oid, 1, data, ctx_of(C))
    assert same_value(value, decoded), f"{value!r} -> {data!r} -> {decoded!r}"


@FAST
@given(value=st.one_of(scalars, rectangular_lists()))
def test_text_encoding_round_trips_where_the_server_would_print_it(value: Any) -> None:
    """Text encodings that are also server output (ints, bools, uuids, dates, bytea, simple
    arrays) decode back to the value in both twins."""
    inferred = C.infer_oid(value) if not isinstance(value, (str, Decimal)) else 0
    if inferred not in (16, 17, 20, 23, 1082, 1083, 2950, 1000, 1001, 1007, 1016, 1182):
        return
    fmt, data = C.encode_param(value, 0, ctx_of(C))
    assert fmt == 0 and data is not None
    got = decode_both(inferred, 0, data)
    assert got[0] == "ok"
    assert same_value(value, C.decode_value(inferred, 0, data, ctx_of(C)))


# --- decoding server-style text ------------------------------------------------------------


def pg_time_text(us: int) -> str:
    s, frac = divmod(us, 1_000_000)
    text = f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}"
    if frac:
        text += f".{frac:06d}".rstrip("0")
    return text


def pg_offset_text(east: int) -> str:
    sign = "-" if east < 0 else "+"
    h, rest = divmod(abs(east), 3600)
    m, s = divmod(rest, 60)
    text = f"{sign}{h:02d}"
    if m or s:
        text += f":{m:02d}"
    if s:
        text += f":{s:02d}"
    return text


def pg_interval_text(months: int, days: int, us: int) -> str:
    """IntervalStyle postgres output, as EncodeInterval writes it."""
    year = int(months / 12) if months >= 0 else -(-months // 12)
    mon = months - 12 * year
    out: list[str] = []
    is_before = False
    for value, unit in ((year, "year"), (mon, "mon"), (days, "day")):
        if value:
            plus = "+" if is_before and value > 0 else ""
            out.append(f"{plus}{value} {unit}{'s' if value != 1 else ''}")
            is_before = value < 0
    if not out or us:
        sign = "-" if us < 0 else ("+" if is_before else "")
        out.append(
            sign
            + pg_time_text(abs(us) % 86_400_000_000).replace(
                f"{abs(us) % 86_400_000_000 // 3_600_000_000:02d}:",
                f"{abs(us) // 3_600_000_000:02d}:",
                1,
            )
        )
    return " ".join(out)


def pg_interval_iso(months: int, days: int, us: int) -> str:
    year = int(months / 12) if months >= 0 else -(-months // 12)
    mon = months - 12 * year
    text = "P"
    for value, unit in ((year, "Y"), (mon, "M"), (days, "D")):
        if value:
            text += f"{value}{unit}"
    if us or text == "P":
        sign = -1 if us < 0 else 1
        h, rest = divmod(abs(us), 3_600_000_000)
        m, rest = divmod(rest, 60_000_000)
        s, frac = divmod(rest, 1_000_000)
        text += "T"
        if h:
            text += f"{sign * h}H"
        if m:
            text += f"{sign * m}M"
        if s or frac or text.endswith("T"):
            sec = f"{s}" + (f".{frac:06d}".rstrip("0") if frac else "")
            text += f"{'-' if sign < 0 and (s or frac) else ''}{sec}S"
    return text


def interval_oracle(months: int, days: int, us: int) -> timedelta:
    y, m = divmod(abs(months), 12)
    d = (y * 365 + m * 30) * (1 if months >= 0 else -1) + days
    return timedelta(days=d, microseconds=us)


def float4_text(x: float) -> str:
    if x != x:
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    packed = struct.pack("!f", x)
    for p in range(1, 10):
        s = f"%.{p}g" % x
        try:
            if struct.pack("!f", float(s)) == packed:
                return s
        except OverflowError:
            continue
    raise AssertionError(x)


def quote_element(s: str) -> str:
    if s == "" or s.upper() == "NULL" or any(c in s for c in '{}",\\ \t\n\r\v\f'):
        return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return s


json_values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.text(max_size=5),
        st.floats(allow_nan=False, allow_infinity=False),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=3), inner, max_size=3)
    ),
    max_leaves=6,
)


@st.composite
def server_text(draw: Any, oid: int) -> tuple[str, Any]:
    """(text the server could print for a value of type oid, expected value or ...)."""
    if oid == 16:
        b = draw(st.booleans())
        return ("t" if b else "f"), b
    if oid in (20, 21, 23, 26, 28, 29, 5069):
        i = draw(ints)
        return str(i), i
    if oid == 700:
        x = struct.unpack("!f", struct.pack("!f", draw(st.floats(width=32))))[0]
        text = float4_text(x)
        return text, float(text) if text not in ("NaN",) else ...
    if oid == 701:
        x = draw(floats)
        text = (
            "NaN"
            if x != x
            else ("Infinity" if x == math.inf else "-Infinity" if x == -math.inf else repr(x))
        )
        return text, (... if x != x else x)
    if oid == 1700:
        d = draw(decimals())
        if d.is_nan():
            return "NaN", ...
        if d.is_infinite():
            return str(d), d
        exp = d.as_tuple().exponent
        assert isinstance(exp, int)
        if abs(exp) > 100:
            return "1.5", Decimal("1.5")
        text = format(d, "f")  # plain digits, as numeric_out prints
        return text, Decimal(text)
    if oid in (25, 1043, 1042, 19, 705, 24, 2205, 2206):
        s = draw(texts)
        return s, s
    if oid == 18:
        b = draw(st.integers(1, 255))
        return (chr(b) if b < 128 else f"\\{b:03o}"), chr(b)
    if oid == 17:
        b = draw(st.binary(max_size=16))
        if draw(st.booleans()):
            return "\\x" + b.hex(), b
        esc = "".join("\\\\" if c == 92 else chr(c) if 32 <= c < 127 else f"\\{c:03o}" for c in b)
        return esc, b
    if oid == 1082:
        d = draw(st.dates())
        special = draw(
            st.sampled_from([None] * 6 + ["infinity", "-infinity", "0044-03-15 BC", "10000-01-01"])
        )
        return (special, ...) if special else (d.isoformat(), d)
    if oid == 1083:
        t = draw(st.times())
        us = ((t.hour * 60 + t.minute) * 60 + t.second) * 1_000_000 + t.microsecond
        return pg_time_text(us), t
    if oid == 1266:
        t = draw(st.times())
        east = draw(st.integers(-15 * 3600, 15 * 3600))
        us = ((t.hour * 60 + t.minute) * 60 + t.second) * 1_000_000 + t.microsecond
        return pg_time_text(us) + pg_offset_text(east), t.replace(
            tzinfo=timezone(timedelta(seconds=east))
        )
    if oid in (1114, 1184):
        dt = draw(st.datetimes())
        us = ((dt.hour * 60 + dt.minute) * 60 + dt.second) * 1_000_000 + dt.microsecond
        text = f"{dt.date().isoformat()} {pg_time_text(us)}"
        if oid == 1114:
            return text, dt
        east = draw(st.sampled_from([0, 3600, -4 * 3600, 19800, -17762]))
        return text + pg_offset_text(east), ...
    if oid == 1186:
        months = draw(st.integers(-(2**31), 2**31 - 1))
        days = draw(st.integers(-(2**31), 2**31 - 1))
        us = draw(st.integers(-(2**63) + 1, 2**63 - 1))
        if draw(st.booleans()):
            months, days = months % 30 - 15, days % 60 - 30
            us = us % (200 * 86_400_000_000) - 100 * 86_400_000_000
        fmt = pg_interval_iso if draw(st.booleans()) else pg_interval_text
        try:
            expected: Any = interval_oracle(months, days, us)
        except OverflowError:
            expected = ...
        return fmt(months, days, us), expected
    if oid == 2950:
        u = draw(st.uuids())
        return str(u), u
    if oid in (114, 3802):
        v = draw(json_values)
        return json.dumps(v), v
    raise AssertionError(oid)


TEXT_ELEMENT = {
    1000: 16,
    1005: 21,
    1007: 23,
    1016: 20,
    1028: 26,
    1021: 700,
    1022: 701,
    1231: 1700,
    1009: 25,
    1015: 1043,
    1014: 1042,
    1003: 19,
    1002: 18,
    1001: 17,
    1182: 1082,
    1183: 1083,
    1270: 1266,
    1115: 1114,
    1185: 1184,
    1187: 1186,
    2951: 2950,
    199: 114,
    3807: 3802,
}
TEXT_OIDS = [
    16,
    20,
    21,
    23,
    26,
    28,
    29,
    5069,
    700,
    701,
    1700,
    25,
    1043,
    18,
    17,
    1082,
    1083,
    1266,
    1114,
    1184,
    1186,
    2950,
    114,
    3802,
    24,
    2205,
]


@MEDIUM
@given(data=st.data(), oid=st.sampled_from(TEXT_OIDS), tz=st.sampled_from(TZ_CHOICES))
def test_server_text_decodes_alike(data: Any, oid: int, tz: Any) -> None:
    text, expected = data.draw(server_text(oid))
    got = decode_both(oid, 0, text.encode(), tz)
    if expected is not ...:
        assert got[0] == "ok", f"{oid}: {text!r} does not decode"
        value = C.decode_value(oid, 0, text.encode(), ctx_of(C, tz))
        assert value == expected
        if isinstance(expected, float):
            assert canon(value) == canon(expected)


@FAST
@given(
    data=st.data(), array_oid=st.sampled_from(list(TEXT_ELEMENT)), tz=st.sampled_from(TZ_CHOICES)
)
def test_server_text_arrays_decode_alike(data: Any, array_oid: int, tz: Any) -> None:
    elem = TEXT_ELEMENT[array_oid]
    shape = data.draw(st.lists(st.integers(1, 3), min_size=1, max_size=3))

    known = True

    def build(level: int) -> tuple[str, Any]:
        nonlocal known
        if level == len(shape):
            if data.draw(st.integers(0, 5)) == 0:
                return "NULL", None
            text, value = data.draw(server_text(elem))
            known = known and value is not ...
            return quote_element(text), value
        parts = [build(level + 1) for _ in range(shape[level])]
        return "{" + ",".join(p[0] for p in parts) + "}", [p[1] for p in parts]

    text, expected = build(0)
    if data.draw(st.booleans()):
        text = (
            "".join(
                f"[{lo}:{lo + n - 1}]"
                for lo, n in zip(
                    data.draw(
                        st.lists(st.integers(-3, 3), min_size=len(shape), max_size=len(shape))
                    ),
                    shape,
                )
            )
            + "="
            + text
        )
    got = decode_both(array_oid, 0, text.encode(), tz)
    if known:
        assert got[0] == "ok", f"{text!r}: {got}"
        value = C.decode_value(array_oid, 0, text.encode(), ctx_of(C, tz))
        assert value == expected or canon(value) == canon(expected)


# --- decoding random and mutated bytes -----------------------------------------------------


@MEDIUM
@given(
    oid=st.sampled_from(ALL_OIDS),
    fmt=st.sampled_from([0, 1]),
    data=st.binary(max_size=40),
    tz=st.sampled_from(TZ_CHOICES),
)
def test_random_bytes_decode_alike(oid: int, fmt: int, data: bytes, tz: Any) -> None:
    decode_both(oid, fmt, data, tz)


@st.composite
def mutated_encodings(draw: Any) -> tuple[int, bytes]:
    """A valid binary encoding of a value, then truncated / extended / bytes flipped."""
    value = draw(st.one_of(scalars, rectangular_lists()))
    try:
        oid = C.infer_oid(value)
        fmt, data = C.encode_param(value, oid, ctx_of(C))
    except Error:
        return 23, b"\x00"
    if not data or fmt != 1:
        return 25, data or b""
    buf = bytearray(data)
    for _ in range(draw(st.integers(1, 3))):
        op = draw(st.integers(0, 3))
        if op == 0 and buf:
            buf[draw(st.integers(0, len(buf) - 1))] = draw(st.integers(0, 255))
        elif op == 1:
            del buf[draw(st.integers(0, len(buf))) :]
        elif op == 2:
            buf += draw(st.binary(min_size=1, max_size=4))
        elif buf:
            i = draw(st.integers(0, max(0, len(buf) - 4)))
            buf[i : i + 4] = draw(
                st.sampled_from(
                    [
                        b"\xff\xff\xff\xff",
                        b"\x7f\xff\xff\xff",
                        b"\x00\x00\x00\x00",
                        b"\x80\x00\x00\x00",
                    ]
                )
            )
    return draw(st.sampled_from([oid, oid, 1700, 1007, 1009, 1186, 1184])), bytes(buf)


@MEDIUM
@given(case=mutated_encodings(), tz=st.sampled_from(TZ_CHOICES))
def test_mutated_binary_decodes_alike(case: tuple[int, bytes], tz: Any) -> None:
    oid, data = case
    decode_both(oid, 1, data, tz)


@FAST
@given(
    oid=st.sampled_from(ARRAY_OIDS + [1186, 1184, 1266, 1700, 701, 17]),
    text=st.text(alphabet='{}[]:=,"\\ NUL0123456789.-+:PYMDTHS\tnaIfity', max_size=30),
)
def test_array_and_interval_like_text_decodes_alike(oid: int, text: str) -> None:
    decode_both(oid, 0, text.encode())


# --- DataRow decoding ----------------------------------------------------------------------


def _loader(data: bytes) -> Any:
    if data[:1] == b"!":
        raise ValueError("loader refuses")
    return data[::-1]


@st.composite
def row_cases(draw: Any) -> tuple[list[tuple[int, int]], list[Any] | None, bytes]:
    ncols = draw(st.integers(0, 5))
    cols = [(draw(st.sampled_from(ALL_OIDS)), draw(st.sampled_from([0, 1]))) for _ in range(ncols)]
    loaders = None
    if draw(st.integers(0, 3)) == 0:
        loaders = [draw(st.sampled_from([None, _loader])) for _ in range(ncols)]
    body = bytearray(struct.pack("!H", (ncols + draw(st.sampled_from([0] * 8 + [1, -1]))) % 65536))
    for _oid, fmt in cols:
        kind = draw(st.integers(0, 4))
        if kind == 0:
            body += b"\xff\xff\xff\xff"
            continue
        value = draw(scalars)
        try:
            data = C.encode_param(value, C.infer_oid(value) if fmt else 0, ctx_of(C))[1]
        except Error:
            data = b"x"
        if data is None or kind == 1:
            data = draw(st.binary(max_size=10))
        body += struct.pack("!i", len(data)) + data
    tail = draw(st.integers(0, 9))
    if tail == 0:
        body += draw(st.binary(min_size=1, max_size=3))
    elif tail == 1 and body:
        del body[draw(st.integers(0, len(body) - 1)) :]
    elif tail == 2 and len(body) > 6:
        body[2:6] = draw(st.sampled_from([b"\xff\xff\xff\xfe", b"\x7f\x00\x00\x00"]))
    return cols, loaders, bytes(body)


@MEDIUM
@given(case=row_cases(), tz=st.sampled_from(TZ_CHOICES))
def test_row_decoder_agrees(case: Any, tz: Any) -> None:
    cols, loaders, body = case
    dec_c = C.RowDecoder(cols, ctx_of(C, tz), loaders)
    dec_p = P.RowDecoder(cols, ctx_of(P, tz), loaders)
    assert dec_c.ncols == dec_p.ncols == len(cols)
    got_c = outcome(dec_c.decode_row, body)
    got_p = outcome(dec_p.decode_row, body)
    assert got_c == got_p, f"{cols} {body!r}: c={got_c} python={got_p}"
    assert got_c[0] == "ok" or got_c[1] in (DataError, OperationalError)


@FAST
@given(
    body=st.one_of(
        st.binary(max_size=60),
        st.lists(
            st.tuples(st.text(max_size=4), st.binary(min_size=18, max_size=18)), max_size=3
        ).map(
            lambda fs: (
                struct.pack("!H", len(fs)) + b"".join(n.encode() + b"\0" + rest for n, rest in fs)
            )
        ),
    )
)
def test_parse_row_description_agrees(body: bytes) -> None:
    got = both("parse_row_description", body)
    assert got[0] == "ok" or got[1] is OperationalError


# --- ReadBuffer over message streams -------------------------------------------------------


@st.composite
def streams(draw: Any) -> tuple[list[tuple[int, int]], list[bytes], list[int]]:
    """Column spec, a byte stream of messages cut into chunks, and the ops to run."""
    cols = [
        (draw(st.sampled_from([23, 25, 20, 701, 1700, 1184, 16])), draw(st.sampled_from([0, 1])))
        for _ in range(draw(st.integers(0, 3)))
    ]
    stream = bytearray()
    for _ in range(draw(st.integers(0, 8))):
        kind = draw(st.integers(0, 9))
        if kind <= 4:  # a DataRow for cols, values valid or not
            body = bytearray(struct.pack("!H", len(cols)))
            for oid, fmt in cols:
                if draw(st.integers(0, 4)) == 0:
                    body += b"\xff\xff\xff\xff"
                    continue
                value = draw(st.one_of(ints, floats, texts, st.booleans()))
                try:
                    _, data = C.encode_param(value, oid if fmt else 0, ctx_of(C))
                except Error:
                    data = b"?"
                if data is None or draw(st.integers(0, 5)) == 0:
                    data = draw(st.binary(max_size=6))
                body += struct.pack("!i", len(data)) + data
            if draw(st.integers(0, 9)) == 0:
                body += b"\x00"
            stream += b"D" + struct.pack("!i", len(body) + 4) + body
        elif kind <= 7:
            body = draw(st.binary(max_size=12))
            stream += draw(st.sampled_from(b"CZTEN12s")).to_bytes(1, "big")
            stream += struct.pack("!i", len(body) + 4) + body
        elif kind == 8:
            stream += draw(st.sampled_from([b"D", b"Z"])) + struct.pack(
                "!i", draw(st.sampled_from([0, 3, -1, 5000]))
            )
        else:
            stream += draw(st.binary(max_size=8))
    cuts = sorted(draw(st.lists(st.integers(0, len(stream)), max_size=5)))
    chunks = [bytes(stream[a:b]) for a, b in zip([0] + cuts, cuts + [len(stream)])]
    ops = draw(st.lists(st.integers(0, 5), min_size=1, max_size=6))
    return cols, chunks, ops


def run_stream(
    mod: Any, cols: list[tuple[int, int]], chunks: list[bytes], ops: list[int]
) -> list[Any]:
    rb = mod.ReadBuffer(max_message_size=1000)
    decoder = mod.RowDecoder(cols, ctx_of(mod))
    events: list[Any] = []
    for i, chunk in enumerate(chunks):
        if i % 2:
            rb.feed(chunk)
        else:

            def recv_into(view: memoryview, chunk: bytes = chunk) -> int:
                assert len(view) >= len(chunk)
                view[: len(chunk)] = chunk
                return len(chunk)

            events.append(("fill", rb.fill(recv_into, max(1, len(chunk)))))
        for step in range(40):
            op = ops[step % len(ops)]
            rows: list[Any] = []
            try:
                if op <= 2:
                    res: Any = rb.read_rows(decoder, rows, [-1, 1, 2][op])
                elif op == 3:
                    res = rb.next_message()
                elif op == 4:
                    res = rb.peek_type()
                else:
                    res = len(rb)
            except Error as exc:
                events.append(("error", type(exc), canon(rows)))
                if isinstance(exc, OperationalError):
                    return events
                continue
            events.append((op, canon(res), canon(rows)))
            if res is None or res == -1 or (op <= 2 and res == 0):
                break
        events.append(("len", len(rb)))
    return events


@MEDIUM
@given(case=streams())
def test_read_buffers_agree(case: Any) -> None:
    cols, chunks, ops = case
    assert run_stream(C, cols, chunks, ops) == run_stream(P, cols, chunks, ops)


# --- WriteBuffer ---------------------------------------------------------------------------

names = st.one_of(st.binary(max_size=6), st.just(b"a\0b"))
write_ops = st.one_of(
    st.tuples(
        st.just("startup"),
        st.sampled_from([196608, 196610]),
        st.lists(st.tuples(st.text(max_size=5), st.text(max_size=5)), max_size=3),
    ),
    st.tuples(st.just("query"), names),
    st.tuples(
        st.just("parse"),
        names,
        names,
        st.lists(st.sampled_from([0, 23, 25, 2**32 - 1, -1, 2**32]), max_size=3),
    ),
    st.tuples(
        st.just("bind"),
        names,
        names,
        st.lists(params, max_size=4),
        st.sampled_from([0, 16, 20, 23, 701, 1700, 17, 1114, 1184, 1007, 1009, 2950]),
        st.lists(st.sampled_from([0, 1, 2, -1, 70000]), max_size=3),
        st.booleans(),
    ),
    st.tuples(st.sampled_from(["describe", "close"]), st.sampled_from([ord("S"), ord("P")]), names),
    st.tuples(st.just("execute"), names, st.sampled_from([0, 1, 100, -1, 2**32, 2**31])),
    st.tuples(st.sampled_from(["sync", "flush", "terminate", "copy_done", "take", "len", "end"])),
    st.tuples(
        st.sampled_from(["password", "copy_data", "copy_fail", "write_bytes", "write_cstr"]), names
    ),
    st.tuples(st.just("start"), st.sampled_from([ord("p"), ord("F")])),
    st.tuples(
        st.sampled_from(["write_int16", "write_int32"]),
        st.sampled_from([0, 1, -1, 65535, 65536, -32769, 2**31, 2**32 - 1, 2**32]),
    ),
)


def safe_infer(value: Any) -> int:
    try:
        return int(P.infer_oid(value))
    except Error:
        return 0


def run_writes(mod: Any, ops: list[Any]) -> list[Any]:
    wb = mod.WriteBuffer()
    ctx = ctx_of(mod)
    events: list[Any] = []
    for op in ops:
        name, args = op[0], op[1:]
        try:
            if name == "bind":
                portal, stmt, values, oid, formats, same_oids = args
                oids = [oid] * len(values) if same_oids else [safe_infer(v) for v in values]
                res = wb.bind(portal, stmt, values, oids, formats, ctx)
            elif name == "len":
                res = len(wb)
            else:
                res = getattr(wb, name)(*args)
        except Error as exc:
            events.append((name, "error", type(exc)))
            continue
        events.append((name, canon(res)))
    try:
        events.append(("final", wb.take()))
    except InterfaceError:
        wb.end()
        events.append(("final-after-end", wb.take()))
    return events


@MEDIUM
@given(ops=st.lists(write_ops, max_size=6))
def test_write_buffers_agree(ops: list[Any]) -> None:
    assert run_writes(C, ops) == run_writes(P, ops)


# --- known byte vectors (shared/reference/types.md, protocol.md) ---------------------------

h = bytes.fromhex
UTC = timezone.utc
KNOWN_BINARY = [
    (1700, "0000000000000000", Decimal("0")),
    (1700, "00010000000000000001", Decimal("1")),
    (1700, "0003000140000003000109291a7c", Decimal("-12345.678")),
    (1700, "0002ffff000000050001 07d0", Decimal("0.00012")),
    (1700, "00010000000000030001", Decimal("1.000")),
    (1700, "00010002000000000001", Decimal("100000000")),
    (1700, "0001ffff0000000303e8", Decimal("0.100")),
    (1700, "0001fffb000000140001", Decimal("1E-20")),
    (1700, "00000000c0000000", Decimal("NaN")),
    (1700, "00000000d0000020", Decimal("Infinity")),
    (1700, "00000000f0000020", Decimal("-Infinity")),
    (700, "3fc00000", 1.5),
    (700, "3f8ccccd", 1.1),
    (700, "7f7fffff", 3.4028235e38),
    (701, "3fb999999999999a", 0.1),
    (701, "fff0000000000000", -math.inf),
    (16, "01", True),
    (21, "ffff", -1),
    (26, "ffffffff", 4294967295),
    (20, "8000000000000000", -(2**63)),
    (1082, "00000000", date(2000, 1, 1)),
    (1082, "ffffffff", date(1999, 12, 31)),
    (1082, "00002279", date(2024, 2, 29)),
    (1082, "7fffffff", date.max),
    (1082, "80000000", date.min),
    (1083, "0000000b187d38e0", time(13, 14, 15, 500000)),
    (
        1266,
        "0000000b187d38e0ffffb2a8",
        time(13, 14, 15, 500000, tzinfo=timezone(timedelta(hours=5, minutes=30))),
    ),
    (1266, "0000000b187597c000007080", time(13, 14, 15, tzinfo=timezone(timedelta(hours=-8)))),
    (1114, "0002bac2801b6a80", datetime(2024, 5, 6, 7, 8, 9, 123456)),
    (1114, "7fffffffffffffff", datetime.max),
    (1184, "0002bac2801b6a80", datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)),
    (1184, "8000000000000000", datetime.min.replace(tzinfo=UTC)),
    (
        1186,
        "000000036c966ee0000000030000000e",
        timedelta(days=365 + 60 + 3, seconds=4 * 3600 + 5 * 60 + 6, microseconds=700000),
    ),
    (1186, "0000000000000001ffffffff00000001", timedelta(days=29, microseconds=1)),
    (1186, "7fffffffffffffff7fffffff7fffffff", timedelta.max),
    (2950, "a0eebc999c0b4ef8bb6d6bb9bd380a11", uuid.UUID("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11")),
    (3802, "017b2261223a20317d", {"a": 1}),
    (114, "5b315d", [1]),
    (18, "e9", "\xe9"),
    (25, "c3a9", "é"),
    (17, "00ff", b"\x00\xff"),
    (
        1007,
        "0000000100000000000000170000000300000001000000040000000100000004000000020000000400000003",
        [1, 2, 3],
    ),
    (
        1007,
        "00000001000000010000001700000003000000010000000400000001ffffffff0000000400000003",
        [1, None, 3],
    ),
    (1007, "000000000000000000000017", []),
    (1007, "00000002000000000000001700000002000000010000000000000001", []),
    (1005, "00000001000000000000001700000001000000010000000400000001", ...),
    (1007, "000000070000000000000017", ...),
    (1700, "0001000000000000270f", Decimal("9999")),
    (1700, "00010000000000002710", ...),
    (1700, "00000000a0000000", ...),
]


@pytest.mark.parametrize("mod", IMPLS)
@pytest.mark.parametrize("oid,hexdata,expected", KNOWN_BINARY)
def test_known_binary_values(mod: Any, oid: int, hexdata: str, expected: Any) -> None:
    data = h(hexdata.replace(" ", ""))
    if expected is ...:
        with pytest.raises(DataError):
            mod.decode_value(oid, 1, data, ctx_of(mod))
        return
    got = mod.decode_value(oid, 1, data, ctx_of(mod))
    assert canon(got) == canon(expected)


KNOWN_TEXT = [
    (
        1186,
        "1 year 2 mons 3 days 04:05:06.7",
        timedelta(days=365 + 60 + 3, seconds=4 * 3600 + 5 * 60 + 6, microseconds=700000),
    ),
    (
        1186,
        "-1 years -2 mons +3 days -04:05:06",
        timedelta(days=-(365 + 60) + 3, seconds=-(4 * 3600 + 5 * 60 + 6)),
    ),
    (1186, "10 days 25:00:00", timedelta(days=10, hours=25)),
    (1186, "00:00:00.000001", timedelta(microseconds=1)),
    (1186, "1 mon -1 days +00:00:00.000001", timedelta(days=29, microseconds=1)),
    (
        1186,
        "P1Y2M3DT4H5M6.7S",
        timedelta(days=365 + 60 + 3, seconds=4 * 3600 + 5 * 60 + 6, microseconds=700000),
    ),
    (1186, "infinity", timedelta.max),
    (1186, "1 day 2 days", ...),
    (1186, "", ...),
    (1184, "2024-05-06 01:08:09.5-04", datetime(2024, 5, 6, 5, 8, 9, 500000, tzinfo=UTC)),
    (1184, "1799-12-31 19:03:58-04:56:02", datetime(1800, 1, 1, tzinfo=UTC)),
    (1184, "2024-05-06 12:38:09+05:30", datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)),
    (1184, "-infinity", datetime.min.replace(tzinfo=UTC)),
    (1114, "2024-05-06 07:08:09.123456", datetime(2024, 5, 6, 7, 8, 9, 123456)),
    (1114, "0044-03-15 12:00:00 BC", ...),
    (1082, "5874897-12-31", ...),
    (1082, "2024-02-30", ...),
    (1083, "24:00:00", ...),
    (1266, "13:14:15.5+05:30", time(13, 14, 15, 500000, tzinfo=timezone(timedelta(minutes=330)))),
    (
        1009,
        '{"a b","c,d","e\\"f","g\\\\h",NULL,"NULL","",x}',
        ["a b", "c,d", 'e"f', "g\\h", None, "NULL", "", "x"],
    ),
    (
        1009,
        '{" x ","","a{b}","a,b","null","tab\there"}',
        [" x ", "", "a{b}", "a,b", "null", "tab\there"],
    ),
    (1007, "[0:2]={1,2,3}", [1, 2, 3]),
    (1005, "{{1,2},{3,4}}", [[1, 2], [3, 4]]),
    (1005, "{{1,2},{3}}", ...),
    (1007, "{}", []),
    (1001, '{"\\\\x0102"}', [b"\x01\x02"]),
    (3807, '{"{\\"a\\": 1}"}', [{"a": 1}]),
    (1700, "-12345.678", Decimal("-12345.678")),
    (1700, "1e5", ...),
    (700, "1.1", 1.1),
    (701, "1e+100", 1e100),
    (701, "-Infinity", -math.inf),
    (701, "inf", ...),
    (23, "-2147483648", -2147483648),
    (20, "123456789012345678901234", 123456789012345678901234),
    (23, "+1", ...),
    (16, "t", True),
    (16, "true", ...),
    (17, "\\x00ff41", b"\x00\xffA"),
    (17, "\\000\\377A'\\\\", b"\x00\xffA'\\"),
    (17, "\\x0", ...),
    (18, "\\351", "\xe9"),
    (18, "", ""),
    (2205, "pg_class", "pg_class"),
    (
        2950,
        "A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11",
        uuid.UUID("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"),
    ),
    (25, "\xff", ...),
]


@pytest.mark.parametrize("mod", IMPLS)
@pytest.mark.parametrize("oid,text,expected", KNOWN_TEXT)
def test_known_text_values(mod: Any, oid: int, text: str, expected: Any) -> None:
    data = text.encode("latin-1") if text == "\xff" else text.encode()
    if expected is ...:
        with pytest.raises(DataError):
            mod.decode_value(oid, 0, data, ctx_of(mod))
        return
    assert canon(mod.decode_value(oid, 0, data, ctx_of(mod))) == canon(expected)


@pytest.mark.parametrize("mod", IMPLS)
def test_timestamptz_lands_in_the_session_zone(mod: Any) -> None:
    ny = mod.decode_value(1184, 1, h("0002bac0d2f42280"), ctx_of(mod, _NEW_YORK))
    assert ny.tzinfo is _NEW_YORK and ny == datetime(2024, 5, 6, 5, 8, 9, 123456, tzinfo=UTC)
    inf = mod.decode_value(1184, 0, b"infinity", ctx_of(mod, _NEW_YORK))
    assert inf == datetime.max.replace(tzinfo=UTC) and inf.tzinfo is UTC  # psycopg2's clamp


@FAST
@given(
    parts=st.lists(
        st.one_of(
            st.just(b"2\x00\x00\x00\x04"),
            st.sampled_from([b"INSERT 0 1", b"UPDATE 12", b"BEGIN", b"SELECT x", b"COPY 99",
                             b"MERGE 00", b"FETCH", b" 5", b"DELETE 1 ", b""])
            .map(lambda t: b"C" + struct.pack("!i", len(t) + 5) + t + b"\0"),
            st.just(b"Z\x00\x00\x00\x05I"),
            st.binary(max_size=6),
        ),
        max_size=6,
    ),
    total=st.sampled_from([-1, 0, 5]),
)
def test_tally_commands_alike(parts: list[bytes], total: int) -> None:
    stream = b"".join(parts)
    outcomes = []
    for mod in BOTH:
        buf = mod.ReadBuffer()
        buf.feed(stream)
        outcomes.append((outcome(buf.tally_commands, total), len(buf)))
    assert outcomes[0] == outcomes[1]


@pytest.mark.parametrize("mod", IMPLS)
def test_known_messages(mod: Any) -> None:
    wb = mod.WriteBuffer()
    ctx = ctx_of(mod)
    wb.bind(b"", b"s1", [42], [23], [1], ctx)
    assert wb.take() == h("420000001a00733100000100010001000000040000002a00010001")
    wb.parse(b"s1", b"select $1", [23])
    assert wb.take() == h("500000001773310073656c65637420243100000100000017")
    wb.startup(196608, [("user", "alice"), ("database", "db")])
    assert wb.take() == h("00000020000300007573657200616c6963650064617461626173650064620000")
    wb.query(b"select 1")
    wb.sync()
    wb.flush()
    wb.terminate()
    assert wb.take() == h("510000000d73656c656374203100530000000448000000045800000004")
    assert len(wb) == 0
    with pytest.raises(ProgrammingError):
        wb.bind(b"", b"", [1] * 65536, [0] * 65536, [], ctx)
    with pytest.raises(ProgrammingError):
        wb.bind(b"", b"", [1], [], [], ctx)
    with pytest.raises(ProgrammingError):
        wb.bind(b"", b"", [{}], [0], [], ctx)
    assert wb.take() == b""


@pytest.mark.parametrize("mod", IMPLS)
def test_encoding_rules(mod: Any) -> None:
    ctx = ctx_of(mod)
    assert mod.infer_oid(True) == 16 and mod.infer_oid(2**31) == 20
    assert mod.infer_oid(2**63) == 1700 and mod.infer_oid("x") == 0
    assert mod.infer_oid([1, 2**40, None]) == 1016
    assert mod.infer_oid([[1], [None]]) == 1007
    assert mod.infer_oid([1, "a"]) == 0 and mod.infer_oid([None]) == 0 and mod.infer_oid([]) == 0
    assert mod.infer_oid(["a"]) == 1009
    assert mod.infer_oid(Encoded(1234, 1, b"x")) == 1234
    with pytest.raises(DataError):
        mod.infer_oid([[1], 2])
    with pytest.raises(ProgrammingError, match="can't adapt type 'dict'"):
        mod.infer_oid({})
    assert mod.encode_param(None, 23, ctx) == (0, None)
    assert mod.encode_param(1, 20, ctx) == (0, b"1")
    assert mod.encode_param(1, 23, ctx) == (1, b"\x00\x00\x00\x01")
    assert mod.encode_param(float("-inf"), 0, ctx) == (0, b"-Infinity")
    assert mod.encode_param(Decimal("-NaN"), 0, ctx) == (0, b"NaN")
    assert mod.encode_param(Decimal("NaN"), 1700, ctx) == (1, h("00000000c0000000"))
    assert mod.encode_param(Decimal("-12345.678"), 1700, ctx) == (
        1,
        h("0003000140000003000109291a7c"),
    )
    assert mod.encode_param(Decimal("1E+5"), 1700, ctx) == (1, h("0001000100000000000a"))
    with pytest.raises(DataError):
        mod.encode_param(Decimal("sNaN"), 1700, ctx)
    assert mod.encode_param(b"\x01\xab", 0, ctx) == (0, b"\\x01ab")
    assert mod.encode_param(timedelta(days=-1, microseconds=5), 0, ctx) == (
        0,
        b"-1 days +0 seconds +5 microseconds",  # signed: IntervalStyle sql_standard
    )
    assert mod.encode_param(datetime(2024, 1, 2, 3, 4, 5), 0, ctx) == (0, b"2024-01-02 03:04:05")
    assert mod.encode_param(["a b", None, "NULL", "", 'q"\\'], 0, ctx) == (
        0,
        b'{"a b",NULL,"NULL","","q\\"\\\\"}',
    )
    assert mod.encode_param([[], []], 0, ctx) == (0, b"{{},{}}")
    assert mod.encode_param(Encoded(25, 0, b"raw"), 23, ctx) == (0, b"raw")


def _datarow(*values: bytes | None) -> bytes:
    body = struct.pack("!H", len(values)) + b"".join(
        b"\xff\xff\xff\xff" if v is None else struct.pack("!i", len(v)) + v for v in values
    )
    return b"D" + struct.pack("!i", len(body) + 4) + body


@pytest.mark.parametrize("mod", IMPLS)
def test_read_rows_consumes_the_row_that_fails(mod: Any) -> None:
    rb = mod.ReadBuffer()
    dec = mod.RowDecoder([(23, 1), (25, 0)], ctx_of(mod))
    rb.feed(_datarow(b"\x00\x00\x01", b"x") + _datarow(b"\x00\x00\x00\x07", None) + b"Z")
    rows: list[Any] = []
    with pytest.raises(DataError):
        rb.read_rows(dec, rows)
    assert rows == []
    assert rb.read_rows(dec, rows) == 1 and rows == [(7, None)]
    assert rb.read_rows(dec, rows) == 0 and rb.next_message() is None and len(rb) == 1
    rb.feed(b"\x00\x00\x00\x05I" + _datarow(b"1"))
    assert rb.peek_type() == ord("Z") and rb.next_message() == (ord("Z"), b"I")
    with pytest.raises(OperationalError):  # one column where two are described
        rb.read_rows(dec, rows)
    assert len(rb) == 0


@pytest.mark.parametrize("mod", IMPLS)
def test_framing_errors_and_limits(mod: Any) -> None:
    rb = mod.ReadBuffer(max_message_size=100)
    rb.feed(b"T\x00\x00\x00")
    assert rb.next_message() is None and rb.peek_type() == -1
    rb.feed(b"\x65")
    with pytest.raises(OperationalError, match="101"):
        rb.next_message()
    with pytest.raises(OperationalError):
        rb.peek_type()
    with pytest.raises(OperationalError):
        rb.read_rows(mod.RowDecoder([], ctx_of(mod)), [])


@pytest.mark.parametrize("mod", IMPLS)
def test_fill_grows_and_releases_the_view(mod: Any) -> None:
    rb = mod.ReadBuffer()
    kept: list[memoryview] = []
    payload = _datarow(b"a" * 200_000)

    def recv_into(view: memoryview) -> int:
        kept.append(view)
        view[: len(payload)] = payload
        return len(payload)

    assert rb.fill(recv_into, len(payload)) == len(payload)
    with pytest.raises(ValueError):  # released: the buffer may be resized later
        kept[0][0]
    assert rb.fill(lambda view: 0) == 0
    rows: list[Any] = []
    assert rb.read_rows(mod.RowDecoder([(25, 0)], ctx_of(mod)), rows) == 1
    assert rows == [("a" * 200_000,)] and len(rb) == 0


@pytest.mark.parametrize("mod", IMPLS)
def test_loaders_override_and_errors_become_data_errors(mod: Any) -> None:
    dec = mod.RowDecoder([(23, 0), (23, 0)], ctx_of(mod), [None, _loader])
    body = _datarow(b"12", b"34")[5:]
    assert dec.decode_row(body) == (12, b"43")
    with pytest.raises(DataError):
        dec.decode_row(_datarow(b"12", b"!x")[5:])
    with pytest.raises(ProgrammingError):
        mod.RowDecoder([(23, 0)], ctx_of(mod), [None, None])


def test_compiled_rows_stay_tracked_when_they_can_hold_a_cycle() -> None:
    """The C codec untracks rows of atomic values early; never a row holding a container."""
    import gc

    dec = C.RowDecoder([(23, 0), (3802, 1), (2950, 1)], ctx_of(C))
    atomic = dec.decode_row(_datarow(b"1", None, uuid.UUID(int=5).bytes)[5:])
    with_json = dec.decode_row(_datarow(b"1", b'\x01{"a": []}', None)[5:])
    assert not gc.is_tracked(atomic) and not gc.is_tracked(atomic[2])
    assert gc.is_tracked(with_json)


# --- the types of _pycodec_types: network, bits, lsn, snapshots, ranges, records ------------



ipv4 = st.integers(0, 2**32 - 1).map(ip_address)
ipv6 = st.integers(0, 2**128 - 1).map(ip_address)
addresses = st.one_of(ipv4, ipv6)


@st.composite
def network_values(draw: Any) -> Any:
    addr = draw(addresses)
    bits = draw(st.integers(0, addr.max_prefixlen))
    kind = draw(st.sampled_from(["address", "interface", "network"]))
    if kind == "address":
        return addr
    if kind == "interface":
        return ip_interface((addr, bits))
    return ip_network((addr, bits), strict=False)


range_bounds = st.one_of(
    st.tuples(st.just(23), st.integers(-(2**31), 2**31 - 1)),
    st.tuples(st.just(20), st.integers(-(2**63), 2**63 - 1)),
    st.tuples(st.just(1700), st.decimals(allow_nan=False, allow_infinity=False, places=3)),
    st.tuples(st.just(1082), st.dates()),
    st.tuples(st.just(1114), st.datetimes()),
    st.tuples(st.just(1184), st.datetimes(timezones=st.just(timezone.utc))),
)


@st.composite
def ranges(draw: Any) -> Range:
    if draw(st.integers(0, 9)) == 0:
        return Range(empty=True)
    kind = draw(st.sampled_from([23, 20, 1700, 1082, 1114, 1184]))
    strategy = range_bounds.filter(lambda b: b[0] == kind).map(lambda b: b[1])
    lo = draw(st.none() | strategy)
    hi = draw(st.none() | strategy)
    if lo is not None and hi is not None and lo > hi:
        lo, hi = hi, lo
    return Range(lo, hi, draw(st.sampled_from(["[)", "(]", "()", "[]"])))


more_values = st.one_of(network_values(), ranges())


@FAST
@given(value=st.one_of(more_values, st.lists(st.one_of(st.none(), network_values()),
                                               max_size=3)),
       other_oid=st.sampled_from([0, 25, 869, 650, 3904, 3926, 3906, 1041, 3905]))
def test_more_values_encode_alike(value: Any, other_oid: int) -> None:
    oid = both("infer_oid", value)
    assert oid[0] == "ok"
    for declared in (0, other_oid):
        got_c = outcome(C.encode_param, value, declared, ctx_of(C))
        got_p = outcome(P.encode_param, value, declared, ctx_of(P))
        assert got_c == got_p
    inferred = P.infer_oid(value)
    got_c = outcome(C.encode_param, value, inferred, ctx_of(C))
    assert got_c == outcome(P.encode_param, value, inferred, ctx_of(P))


@FAST
@given(value=more_values)
def test_more_values_round_trip(value: Any) -> None:
    """encode (binary when the oid is known, text) -> decode gives the value back."""
    oid = P.infer_oid(value)
    if oid == 0:  # empty range or no bounds: only the text form is defined
        fmt, data = P.encode_param(value, 0, ctx_of(P))
        assert fmt == 0 and data is not None
        assert data.decode() in ("empty", "(,)")
        return
    for fmt_wanted in (1, 0):
        fmt, data = P.encode_param(value, oid if fmt_wanted else 0, ctx_of(P))
        assert fmt == fmt_wanted and data is not None
        expected = value
        if hasattr(value, "network") and value.network.prefixlen == value.max_prefixlen:
            expected = value.ip  # a full-length inet is an address (docs/codec.md)
        for mod in BOTH:
            got = mod.decode_value(oid, fmt, data, ctx_of(mod))
            assert got == expected, (mod.IMPLEMENTATION, fmt, data)
            assert type(got) is type(expected)


def _quote_range_bound(text: str, style: int) -> str:
    """A bound as range_out may print it (style 0: bare if it can be), or quoted with the
    quotes doubled (1) or backslash-escaped (2), as a reader must accept."""
    if style == 0 and text and not any(c in text for c in '()[],"\\ '):
        return text
    esc = '""' if style == 1 else '\\"'
    return '"' + text.replace("\\", "\\\\").replace('"', esc) + '"'


@FAST
@given(
    lo=st.none() | st.text(alphabet='ab1 ,()[]"\\', max_size=6),
    hi=st.none() | st.text(alphabet='ab1 ,()[]"\\', max_size=6),
    styles=st.tuples(st.integers(0, 2), st.integers(0, 2)),
    bounds=st.sampled_from(["[)", "(]", "()", "[]"]),
)
def test_range_text_parser_fast_and_slow_paths_agree(
    lo: str | None, hi: str | None, styles: tuple[int, int], bounds: str
) -> None:
    """Plain bounds take a regular expression, escaped ones a character loop: the same
    bounds come out of both (what a range of any subtype would give to its element decoder)."""
    from pgdbapi import _pycodec_types as T

    parts = ["" if b is None else _quote_range_bound(b, st_) for b, st_ in zip((lo, hi), styles)]
    text = (bounds[0] + parts[0] + "," + parts[1] + bounds[1]).encode()
    got, end = T._parse_range(text, 0, lambda b, pos, n: bytes(b[pos:pos + n]).decode())
    assert end == len(text)
    assert (got.lower, got.upper) == (lo, hi)
    assert got.bounds == ("(" if lo is None else bounds[0]) + (")" if hi is None else bounds[1])


@FAST
@given(
    oid=st.sampled_from(RANGE_OIDS + MULTIRANGE_OIDS),
    text=st.text(alphabet='{}[](),"\\ emptyEMPTY0123456789.-+:', max_size=30),
    tz=st.sampled_from(TZ_CHOICES),
)
def test_range_like_text_decodes_alike(oid: int, text: str, tz: Any) -> None:
    """The Cython codec's own range parser and the shared Python one, on near-ranges."""
    decode_both(oid, 0, text.encode(), tz)


@st.composite
def mutated_ranges(draw: Any) -> tuple[int, int, bytes]:
    """A range or multirange in either format, then bytes flipped, cut or added."""
    rs = draw(st.lists(ranges(), min_size=1, max_size=3))
    oid = P.infer_oid(rs[0])
    if oid == 0:
        return 3904, 0, b"empty"
    rs = [r for r in rs if P.infer_oid(r) in (oid, 0)]
    fmt = draw(st.sampled_from([0, 1]))
    data = P.encode_param(rs[0], oid if fmt else 0, ctx_of(P))[1] or b""
    multi = draw(st.booleans())
    if multi:
        parts = [P.encode_param(r, oid if fmt else 0, ctx_of(P))[1] or b"" for r in rs]
        if fmt:
            data = struct.pack("!i", len(parts)) + b"".join(
                struct.pack("!i", len(x)) + x for x in parts)
        else:
            data = b"{" + b",".join(parts) + b"}"
        oid = {rng: mr for mr, rng in MULTIRANGE_RANGE.items()}[oid]
    buf = bytearray(data)
    for _ in range(draw(st.integers(0, 2))):
        op = draw(st.integers(0, 2))
        if op == 0 and buf:
            buf[draw(st.integers(0, len(buf) - 1))] = draw(st.integers(0, 255))
        elif op == 1:
            del buf[draw(st.integers(0, len(buf))):]
        else:
            buf[draw(st.integers(0, len(buf))):0] = draw(st.binary(min_size=1, max_size=4))
    return oid, fmt, bytes(buf)


@FAST
@given(case=mutated_ranges(), tz=st.sampled_from(TZ_CHOICES))
def test_mutated_ranges_decode_alike(case: tuple[int, int, bytes], tz: Any) -> None:
    oid, fmt, data = case
    got = decode_both(oid, fmt, data, tz)
    assert got[0] in ("ok", "error")


@FAST
@given(value=network_values(), flips=st.lists(st.tuples(st.integers(0, 19), st.integers(0, 255)),
                                              max_size=2),
       cut=st.integers(0, 20), oid=st.sampled_from([869, 650]))
def test_mutated_inet_binary_decodes_alike(
    value: Any, flips: list[tuple[int, int]], cut: int, oid: int
) -> None:
    """The Cython codec's own binary inet/cidr decoder and the shared one, on near-values."""
    data = bytearray(P.encode_param(value, P.infer_oid(value), ctx_of(P))[1] or b"")
    for at, byte in flips:
        if at < len(data):
            data[at] = byte
    decode_both(oid, 1, bytes(data[:cut] if cut < 4 else data), timezone.utc)


def _server_multirange(rs: list[Range]) -> bytes:
    return ("{" + ",".join(P.encode_param(r, 0, ctx_of(P))[1].decode()  # type: ignore[union-attr]
                           for r in rs) + "}").encode()


@FAST
@given(rs=st.lists(ranges(), max_size=4), tz=st.sampled_from(TZ_CHOICES))
def test_multirange_text_and_binary_decode_alike(rs: list[Range], tz: Any) -> None:
    kinds = {P.infer_oid(r) for r in rs} - {0}
    if len(kinds) != 1:
        return
    rng = kinds.pop()
    multirange = {3904: 4451, 3926: 4536, 3906: 4532, 3912: 4535, 3908: 4533, 3910: 4534}[rng]
    text = _server_multirange(rs)
    got = decode_both(multirange, 0, text, tz)
    assert got[0] == "ok"
    binary_parts = [
        b"\x01" if r.isempty else b"\x18" if P.infer_oid(r) == 0
        else P.encode_param(r, rng, ctx_of(P))[1] or b""
        for r in rs
    ]
    body = struct.pack("!i", len(rs)) + b"".join(struct.pack("!i", len(b)) + b for b in binary_parts)
    assert decode_both(multirange, 1, body, tz)[0] == "ok"


RECORD_FIELD = st.one_of(st.none(), st.text(max_size=6))


def _record_text(fields: list[str | None]) -> bytes:
    parts = []
    for f in fields:
        if f is None:
            parts.append("")
        elif f == "" or any(c in f for c in '(),"\\ \t\n'):
            parts.append('"' + f.replace('"', '""').replace("\\", "\\\\") + '"')
        else:
            parts.append(f)
    return ("(" + ",".join(parts) + ")").encode()


@FAST
@given(fields=st.lists(RECORD_FIELD, min_size=1, max_size=4))
def test_text_records_decode_alike(fields: list[str | None]) -> None:
    got = decode_both(2249, 0, _record_text(fields))
    if fields != [None] and "\x00" not in "".join(f or "" for f in fields):
        assert got == ("ok", canon(tuple(fields)))


MORE_KNOWN_BINARY = [
    (869, "02180004c0a80105", ip_interface("192.168.1.5/24")),
    (869, "03800010" + "00" * 15 + "01", ip_address("::1")),
    (650, "02180104c0a80100", ip_network("192.168.1.0/24")),
    (829, "08002b010203", "08:00:2b:01:02:03"),
    (1560, "00000003a0", "101"),
    (1562, "0000000affc0", "1111111111"),
    (3220, "00000016b374d848", "16/B374D848"),
    (27, "000000000002", (0, 2)),
    (2278, "", None),
    (4072, "0124", "$"),
    (2970, "00000002" + "000000000000000a" + "0000000000000014" + "000000000000000a"
     + "000000000000000e", "10:20:10,14"),
    (3904, "02" + "0000000400000001" + "000000040000000a", Range(1, 10)),
    (3904, "01", Range(empty=True)),
    (3904, "08" + "0000000400000005", Range(None, 5, "()")),
    (3906, "12" + "0000000c" + "0002000000000001" + "0001" + "1388", Range(Decimal("1.5"), None)),
    (4451, "00000002" + "00000011" + "02" + "0000000400000001" + "0000000400000003"
     + "00000011" + "02" + "0000000400000005" + "0000000400000007", [Range(1, 3), Range(5, 7)]),
    (2249, "00000003" + "000000170000000400000001" + "000002c10000000161" + "000002c1ffffffff",
     (1, "a", None)),
]


@pytest.mark.parametrize("mod", IMPLS)
@pytest.mark.parametrize(("oid", "hexdata", "expected"), MORE_KNOWN_BINARY)
def test_more_known_binary_values(mod: Any, oid: int, hexdata: str, expected: Any) -> None:
    got = mod.decode_value(oid, 1, bytes.fromhex(hexdata), ctx_of(mod))
    assert got == expected and type(got) is type(expected)


@pytest.mark.parametrize("mod", IMPLS)
@pytest.mark.parametrize("oid, hexdata", [
    (869, "02210004c0a80105"),   # 33 bits
    (869, "04180004c0a80105"),   # family
    (869, "02180004c0a801"),     # short
    (650, "02180104c0a80105"),   # host bits
    (829, "08002b0102"),
    (1560, "00000009ff"),        # 9 bits in one byte
    (1560, "ffffffff"),
    (3904, "0100"),              # empty with trailing bytes
    (3904, "02000000040000000100000004000000"),
    (4451, "00000001"),
    (2249, "00000001000000170000000400"),
    (4072, "0224"),
    (27, "0000000000"),
])
def test_more_malformed_binary_is_data_error(mod: Any, oid: int, hexdata: str) -> None:
    with pytest.raises(DataError):
        mod.decode_value(oid, 1, bytes.fromhex(hexdata), ctx_of(mod))


@pytest.mark.parametrize("mod", IMPLS)
def test_range_containment_and_flags(mod: Any) -> None:
    r = mod.decode_value(3904, 0, b"[2,5)", ctx_of(mod))
    assert 2 in r and 4 in r and 5 not in r and 1 not in r
    assert r.lower_inc and not r.upper_inc and not r.lower_inf and not r.upper_inf
    u = mod.decode_value(3904, 0, b"(,5]", ctx_of(mod))
    assert u.lower_inf and u.upper_inc and -(10**9) in u and 6 not in u
    e = mod.decode_value(3904, 0, b"empty", ctx_of(mod))
    assert e.isempty and 1 not in e and not e and e.bounds == ""
    assert hash(Range(1, 2)) == hash(Range(1, 2)) and Range(1, 2) != Range(1, 2, "[]")
    assert Range(None, 5, "[]").bounds == "(]"
    with pytest.raises(ValueError):
        Range(1, 2, "<>")


# --- TypeContext.infinity --------------------------------------------------------------------

INFINITY_CASES = [
    (1082, 0, b"infinity"), (1082, 0, b"-infinity"), (1082, 1, b"\x7f\xff\xff\xff"),
    (1082, 1, b"\x80\x00\x00\x00"), (1114, 0, b"infinity"), (1114, 1, b"\x7f" + b"\xff" * 7),
    (1184, 0, b"-infinity"), (1184, 1, b"\x80" + b"\x00" * 7), (1182, 0, b"{infinity,NULL}"),
    (1185, 0, b"{-infinity}"), (3912, 0, b"[2020-01-01,infinity)"),
    (3908, 0, b'["2020-01-01 00:00:00",infinity)'), (4535, 0, b"{[2020-01-01,infinity)}"),
    (3913, 0, b'{"[2020-01-01,infinity)"}'),
]


@pytest.mark.parametrize("mode", ["clamp", "error", "sentinel"])
@pytest.mark.parametrize(("oid", "fmt", "data"), INFINITY_CASES)
def test_infinity_modes_alike(mode: str, oid: int, fmt: int, data: bytes) -> None:
    got = []
    for mod in BOTH:
        ctx = ctx_of(mod)
        ctx.infinity = mode
        got.append(outcome(mod.decode_value, oid, fmt, data, ctx))
    assert got[0] == got[1]
    if mode == "error":
        assert got[0] == ("error", DataError)
    else:
        assert got[0][0] == "ok"
        flat = repr(got[0])
        assert ("INFINITY" in flat) == (mode == "sentinel")


@pytest.mark.parametrize("mod", IMPLS)
def test_infinity_sentinels_and_finite_values(mod: Any) -> None:
    from pgdbapi.types import INFINITY, MINUS_INFINITY

    ctx = ctx_of(mod)
    ctx.infinity = "sentinel"
    assert mod.decode_value(1082, 0, b"infinity", ctx) is INFINITY
    assert mod.decode_value(1114, 1, b"\x80" + b"\x00" * 7, ctx) is MINUS_INFINITY
    assert mod.decode_value(1082, 0, b"9999-12-31", ctx) == date.max  # a real date stays one
    assert mod.decode_value(1182, 1, bytes.fromhex(
        "00000001000000000000043a0000000200000001000000047fffffff0000000400000000"), ctx) == [
        INFINITY, date(2000, 1, 1)]
    ctx.infinity = "error"
    assert mod.decode_value(1114, 0, b"2020-01-01 00:00:00", ctx) == datetime(2020, 1, 1)
    with pytest.raises(DataError):
        mod.RowDecoder([(1082, 0)], ctx).decode_row(b"\x00\x01\x00\x00\x00\x08infinity")
    ctx.infinity = "sentinel"
    assert mod.RowDecoder([(1082, 0), (1184, 1)], ctx).decode_row(
        b"\x00\x02\x00\x00\x00\x08infinity\x00\x00\x00\x08\x7f" + b"\xff" * 7
    ) == (INFINITY, INFINITY)
    ctx.infinity = "bogus"
    with pytest.raises(ProgrammingError):
        mod.decode_value(1082, 0, b"infinity", ctx)
    assert mod.infer_oid(INFINITY) == 0
    assert mod.encode_param(MINUS_INFINITY, 1082, ctx) == (0, b"-infinity")
    assert mod.encode_param([INFINITY, date(2020, 1, 2)], 0, ctx) == (0, b"{infinity,2020-01-02}")
