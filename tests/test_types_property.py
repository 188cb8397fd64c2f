"""Random values of every core type through a real server: what goes in comes back.

For each type, hypothesis draws values; each one is sent and read back three ways: inlined
as a client-side literal (simple query, text result), bound as a parameter of a statement
run once (text result), and bound to a prepared statement (binary result). The rarer types
(network, ranges) have the same property in test_types_more.py; the codec twins' bit-for-bit
agreement on random input is in test_codec_twins.py.
"""

from __future__ import annotations

import datetime as dt
import math
import struct
import uuid
from decimal import Decimal
from typing import Any, Callable, Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pgdbapi
from pgdbapi.extras import Json

EXAMPLES = settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))


class Ways:
    """Three connections, one per way a value travels (see the module docstring)."""

    def __init__(self, dsn: str) -> None:
        self.literal = pgdbapi.connect(dsn, binding="client")
        self.once = pgdbapi.connect(dsn, prepare_threshold=None)
        self.prepared = pgdbapi.connect(dsn, prepare_threshold=0)
        for c in self.all():
            c.autocommit = True
            c.cursor().execute("set timezone to 'Asia/Kolkata'")  # an offset with minutes

    def all(self) -> list[Any]:
        return [self.literal, self.once, self.prepared]

    def round_trip(self, value: Any, sqltype: str) -> list[Any]:
        if sqltype in ("json", "jsonb"):
            value = Json(value)  # as psycopg2: dicts and lists are not JSON by themselves
        out = []
        for c in self.all():
            cur = c.cursor()
            cur.execute(f"select %s::{sqltype}", (value,))
            out.append(cur.fetchone()[0])
        return out


@pytest.fixture(scope="module")
def ways(pg_server: Any) -> Iterator[Ways]:
    w = Ways(pg_server.dsn())
    yield w
    for c in w.all():
        c.close()


def _same_float(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a):
        return math.isnan(b)
    return type(a) is type(b) and a == b and math.copysign(1, a) == math.copysign(1, b)


def _float4(x: float) -> float:
    """What a float4 column gives back for ``x`` (a float4 value): its shortest decimal
    form read as a float, as psycopg2 reads float4out's text (docs/codec.md)."""
    for digits in range(1, 10):
        text = f"{x:.{digits}g}"
        if _to_float4(float(text)) == x:
            return float(text)
    return x


def _to_float4(x: float) -> float:
    return struct.unpack("f", struct.pack("f", x))[0]  # type: ignore[no-any-return]


def _same_float4(a: Any, b: Any) -> bool:
    return _same_float(a if math.isnan(a) or math.isinf(a) else _float4(a), b)


def _same_decimal(a: Any, b: Any) -> bool:
    if a.is_nan():
        return isinstance(b, Decimal) and b.is_nan()
    return isinstance(b, Decimal) and a == b and (a.is_zero() or a.is_signed() == b.is_signed())


def _same_time(a: Any, b: Any) -> bool:
    return a == b and a.utcoffset() == b.utcoffset()


def _same_instant(a: Any, b: Any) -> bool:
    return isinstance(b, dt.datetime) and b.tzinfo is not None and a == b


def _equal(a: Any, b: Any) -> bool:
    return type(a) is type(b) and a == b


# text PostgreSQL accepts: no NUL, and (for the parameter path) any other code point
pg_text = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"))
json_scalar = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**53), 2**53), pg_text.filter(lambda s: "\\u0000" not in s)
)
json_values = st.recursive(
    json_scalar,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(pg_text, inner, max_size=4),
    max_leaves=12,
)
offsets = st.integers(-(15 * 3600 + 59 * 60), 15 * 3600 + 59 * 60).map(
    lambda s: dt.timezone(dt.timedelta(seconds=s))
)
numerics = st.one_of(
    st.tuples(st.integers(-(10**40), 10**40), st.integers(-30, 30)).map(
        lambda t: Decimal(t[0]).scaleb(t[1])
    ),
    st.sampled_from([Decimal("NaN"), Decimal("Infinity"), Decimal("-Infinity"), Decimal("-0")]),
)


# (sql type, strategy, how to compare what came back with what went in)
CASES: dict[str, tuple[st.SearchStrategy[Any], Callable[[Any, Any], bool]]] = {
    "bool": (st.booleans(), _equal),
    "int2": (st.integers(-(2**15), 2**15 - 1), _equal),
    "int4": (st.integers(-(2**31), 2**31 - 1), _equal),
    "int8": (st.integers(-(2**63), 2**63 - 1), _equal),
    "float8": (st.floats(), _same_float),
    "float4": (st.floats(width=32), _same_float4),
    "numeric": (numerics, _same_decimal),
    "text": (pg_text, _equal),
    "varchar": (pg_text, _equal),
    "bytea": (st.binary(max_size=64), _equal),
    "date": (st.dates(), _equal),
    "time": (st.times(), _equal),
    "timetz": (st.times(timezones=offsets), _same_time),
    "timestamp": (st.datetimes(), _equal),
    "timestamptz": (
        st.datetimes(
            min_value=dt.datetime(1, 1, 2), max_value=dt.datetime(9999, 12, 30), timezones=offsets
        ),
        _same_instant,
    ),
    "interval": (
        st.timedeltas(min_value=dt.timedelta(days=-(10**8)), max_value=dt.timedelta(days=10**8)),
        _equal,
    ),
    "uuid": (st.uuids(), _equal),
    "jsonb": (json_values, lambda a, b: a == b),
    "json": (json_values, lambda a, b: a == b),
    "int4[]": (st.lists(st.none() | st.integers(-(2**31), 2**31 - 1), max_size=6), _equal),
    "text[]": (
        st.lists(st.none() | pg_text.filter(lambda s: s.upper() != "NULL"), max_size=5), _equal
    ),
    "int8[][]": (
        st.integers(1, 3).flatmap(
            lambda width: st.lists(
                st.lists(st.integers(-(2**63), 2**63 - 1), min_size=width, max_size=width),
                min_size=1,
                max_size=3,
            )
        ),
        _equal,
    ),
    "date[]": (st.lists(st.dates(), max_size=4), _equal),
    "bytea[]": (st.lists(st.binary(max_size=8), max_size=4), _equal),
    "uuid[]": (st.lists(st.uuids(), max_size=3), _equal),
}


@pytest.mark.parametrize("sqltype", list(CASES))
def test_random_values_come_back_unchanged(ways: Ways, sqltype: str) -> None:
    strategy, same = CASES[sqltype]

    @EXAMPLES
    @given(value=strategy)
    def check(value: Any) -> None:
        got = ways.round_trip(value, sqltype)
        for way, back in zip(("literal", "parameter", "prepared"), got):
            assert same(value, back), (way, value, back)

    check()


def test_the_property_compares_strictly() -> None:
    """The comparisons above tell apart what a careless decoder would confuse."""
    assert not _same_float(0.0, -0.0) and not _same_float(1.0, 1)
    assert not _same_decimal(Decimal("1"), 1.0) and _same_decimal(Decimal("-0"), Decimal("0"))
    tz = dt.timezone(dt.timedelta(hours=1))
    assert not _same_time(dt.time(1, tzinfo=tz), dt.time(0, tzinfo=dt.timezone.utc))
    assert not _same_instant(dt.datetime(2000, 1, 1), dt.datetime(2000, 1, 1))
    assert not _equal(uuid.UUID(int=1), str(uuid.UUID(int=1)))
