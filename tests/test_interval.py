"""pgdbapi.types.Interval: the value type, what intervals decode to (timedelta by default,
Interval when a timedelta cannot hold the value or with ``interval="interval"``), Interval
parameters in binary, text, client-side literals and arrays, and calendar arithmetic held
to the server's."""

from __future__ import annotations

import datetime as dt
import os
import pickle
import struct
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pgdbapi
from pgdbapi import _pycodec as P
from pgdbapi.exceptions import DataError, ProgrammingError
from pgdbapi.types import Interval

try:
    from pgdbapi import _codec as C  # type: ignore[attr-defined]
except ImportError:
    if os.environ.get("PGDBAPI_IMPL", "").strip().lower() == "c":
        raise
    C = None

TWINS = [pytest.param(P, id="python")] + ([pytest.param(C, id="c")] if C else [])
I32 = 2**31
I64 = 2**63
NEW_YORK = ZoneInfo("America/New_York")
SERVER = settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))

# -- the value type --------------------------------------------------------------------------


def test_fields_equality_hash_repr() -> None:
    iv = Interval(14, 3, 14_706_700_000)
    assert (iv.months, iv.days, iv.microseconds) == (14, 3, 14_706_700_000)
    assert iv == Interval(months=14, days=3, microseconds=14_706_700_000)
    assert iv != Interval(14, 3, 14_706_700_001)
    assert Interval(1) != Interval(days=30)  # fields, not the server's 30-day months
    assert hash(iv) == hash(Interval(14, 3, 14_706_700_000))
    assert len({Interval(1), Interval(1), Interval(0, 1)}) == 2
    assert repr(iv) == "Interval(months=14, days=3, microseconds=14706700000)"
    assert eval(repr(iv)) == iv
    assert pickle.loads(pickle.dumps(iv)) == iv
    assert iv != dt.timedelta(days=428) and not Interval()
    with pytest.raises(AttributeError):
        iv.months = 2  # type: ignore[misc]
    with pytest.raises(AttributeError):
        iv.extra = 1  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "args", [(I32, 0, 0), (-I32 - 1, 0, 0), (0, I32, 0), (0, 0, I64), (0, 0, -I64 - 1)]
)
def test_fields_out_of_range(args: tuple[int, int, int]) -> None:
    with pytest.raises(OverflowError):
        Interval(*args)


def test_fields_must_be_integers() -> None:
    with pytest.raises(TypeError):
        Interval(1.5)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "iv, text",
    [  # the server's IntervalStyle postgres output (types.md and psql)
        (Interval(14, 3, 14_706_700_000), "1 year 2 mons 3 days 04:05:06.7"),
        (Interval(0, -1, -7_200_000_000), "-1 days -02:00:00"),
        (Interval(12), "1 year"),
        (Interval(18), "1 year 6 mons"),
        (Interval(0, 10, 90_000_000_000), "10 days 25:00:00"),
        (Interval(1, -1, 1), "1 mon -1 days +00:00:00.000001"),
        (Interval(-14, 3, -14_706_000_000), "-1 years -2 mons +3 days -04:05:06"),
        (Interval(), "00:00:00"),
        (Interval(0, 0, -500_000), "-00:00:00.5"),
        (Interval(-1), "-1 mons"),
        (Interval(0, 1), "1 day"),
        (Interval(-12, 1), "-1 years +1 day"),
        (Interval(0, I32 - 1, I64 - 1), "2147483647 days 2562047788:00:54.775807"),
        (Interval.INFINITY, "infinity"),
        (Interval.MINUS_INFINITY, "-infinity"),
    ],
)
def test_str_is_postgres_style(iv: Interval, text: str) -> None:
    assert str(iv) == text


def test_negation_and_addition() -> None:
    a, b = Interval(1, 2, 3), Interval(-5, 7, -11)
    assert -a == Interval(-1, -2, -3) and +a is a
    assert a + b == Interval(-4, 9, -8)
    assert a - b == Interval(6, -5, 14)
    assert a - a == Interval()
    assert -Interval.INFINITY == Interval.MINUS_INFINITY
    assert Interval.INFINITY + a == Interval.INFINITY
    assert a - Interval.INFINITY == Interval.MINUS_INFINITY
    with pytest.raises(OverflowError):
        Interval.INFINITY - Interval.INFINITY
    with pytest.raises(OverflowError):
        -Interval(-I32)
    with pytest.raises(OverflowError):
        Interval(I32 - 1) + Interval(1)
    with pytest.raises(TypeError):
        a + 1  # type: ignore[operator]


def test_to_and_from_timedelta() -> None:
    # psycopg2: |months| -> years * 365 + months * 30 days, then signed
    assert Interval(14, 3, 1).to_timedelta() == dt.timedelta(days=365 + 60 + 3, microseconds=1)
    assert Interval(-14).to_timedelta() == dt.timedelta(days=-(365 + 60))
    assert Interval(1, -1, 1).to_timedelta() == dt.timedelta(days=29, microseconds=1)
    assert Interval.INFINITY.to_timedelta() == dt.timedelta.max
    assert Interval.MINUS_INFINITY.to_timedelta() == dt.timedelta.min
    with pytest.raises(OverflowError):
        Interval(I32 - 1).to_timedelta()
    td = dt.timedelta(days=-2, hours=5, microseconds=7)
    assert Interval.from_timedelta(td) == Interval(0, -2, 5 * 3600 * 10**6 + 7)
    assert Interval.from_timedelta(td).to_timedelta() == td


def test_calendar_arithmetic() -> None:
    assert dt.date(2024, 1, 31) + Interval(1) == dt.date(2024, 2, 29)  # clamped
    assert dt.date(2023, 1, 31) + Interval(1) == dt.date(2023, 2, 28)
    assert dt.date(2024, 3, 31) - Interval(1) == dt.date(2024, 2, 29)
    assert Interval(1, 1) + dt.date(2024, 1, 31) == dt.date(2024, 3, 1)  # months, then days
    assert dt.date(2024, 1, 1) + Interval(0, 0, -1) == dt.date(2023, 12, 31)  # as timedelta
    assert dt.date(2024, 2, 29) + Interval(12) == dt.date(2025, 2, 28)
    assert dt.datetime(2024, 1, 31, 12) + Interval(1, 1, 1) == dt.datetime(
        2024, 3, 1, 12, 0, 0, 1
    )
    assert dt.datetime(2024, 5, 31, 23) - Interval(-1, 0, 3_600_000_000) == dt.datetime(
        2024, 6, 30, 22
    )
    # aware: days on the wall clock, microseconds in elapsed time (across the DST change)
    before = dt.datetime(2024, 3, 9, 12, tzinfo=NEW_YORK)
    assert before + Interval(0, 1) == dt.datetime(2024, 3, 10, 12, tzinfo=NEW_YORK)
    assert before + Interval(0, 0, 24 * 3_600_000_000) == dt.datetime(
        2024, 3, 10, 13, tzinfo=NEW_YORK
    )
    with pytest.raises(OverflowError):
        dt.date(9999, 12, 1) + Interval(1)
    with pytest.raises(OverflowError):
        dt.date(2024, 1, 1) + Interval.INFINITY


# -- both codecs, without a server -----------------------------------------------------------


@pytest.mark.parametrize("mod", TWINS)
def test_overflow_decodes_to_interval(mod: Any) -> None:
    ctx = mod.TypeContext()
    assert mod.decode_value(1186, 1, struct.pack("!qii", 0, 0, I32 - 1), ctx) == Interval(I32 - 1)
    assert mod.decode_value(1186, 0, b"-178956970 years -8 mons", ctx) == Interval(-I32)
    assert mod.decode_value(1186, 0, b"P178956970Y7M", ctx) == Interval(I32 - 1)
    small = mod.decode_value(1186, 0, b"1 year 2 mons", ctx)
    assert small == dt.timedelta(days=425) and type(small) is dt.timedelta
    with pytest.raises(DataError):  # beyond the server's own range: malformed
        mod.decode_value(1186, 0, b"2147483648 days", ctx)


@pytest.mark.parametrize("mod", TWINS)
def test_interval_mode(mod: Any) -> None:
    ctx = mod.TypeContext()
    ctx.interval = "interval"
    assert mod.decode_value(1186, 0, b"1 year 2 mons 3 days 25:00:00.5", ctx) == Interval(
        14, 3, 90_000_500_000
    )
    assert mod.decode_value(1186, 0, b"P-1Y-2M3DT-4H", ctx) == Interval(-14, 3, -14_400_000_000)
    assert mod.decode_value(1186, 1, struct.pack("!qii", 1, -1, 1), ctx) == Interval(1, -1, 1)
    assert mod.decode_value(1186, 0, b"infinity", ctx) is Interval.INFINITY
    assert mod.decode_value(1186, 1, struct.pack("!qii", -I64, -I32, -I32), ctx) is (
        Interval.MINUS_INFINITY
    )
    array = b'{"1 mon",NULL,"-1 days +00:00:01"}'
    assert mod.decode_value(1187, 0, array, ctx) == [Interval(1), None, Interval(0, -1, 10**6)]
    ctx.interval = "relativedelta"
    with pytest.raises(ProgrammingError):
        mod.decode_value(1186, 0, b"1 day", ctx)


@pytest.mark.parametrize("mod", TWINS)
def test_interval_parameters(mod: Any) -> None:
    ctx = mod.TypeContext()
    iv = Interval(14, -3, -5)
    assert mod.infer_oid(iv) == 1186
    assert mod.encode_param(iv, 1186, ctx) == (1, struct.pack("!qii", -5, -3, 14))
    assert mod.encode_param(iv, 0, ctx) == (0, b"1 year 2 mons -3 days -00:00:00.000005")
    assert mod.infer_oid([iv, None]) == 1187
    assert mod.infer_oid([iv, dt.timedelta(1)]) == 1187  # both are intervals
    assert mod.encode_param([[iv], [Interval()]], 0, ctx) == (
        0,
        b'{{"1 year 2 mons -3 days -00:00:00.000005"},{00:00:00}}',
    )
    assert mod.encode_param([iv], 1187, ctx) == (
        1,
        struct.pack("!iiIii", 1, 0, 1186, 1, 1) + struct.pack("!iqii", 16, -5, -3, 14),
    )


@given(
    st.integers(-I32, I32 - 1), st.integers(-I32, I32 - 1), st.integers(-I64, I64 - 1),
    st.booleans(),
)
@settings(max_examples=300, deadline=None)
def test_twins_agree(months: int, days: int, usecs: int, keep: bool) -> None:
    if C is None:
        pytest.skip("the compiled codec is not built")
    iv = Interval(months, days, usecs)
    results = []
    for mod in (C, P):
        ctx = mod.TypeContext()
        ctx.interval = "interval" if keep else "timedelta"
        got = []
        for fmt, data in ((1, struct.pack("!qii", usecs, days, months)), (0, str(iv).encode())):
            value = mod.decode_value(1186, fmt, data, ctx)
            got.append((type(value), value))
        assert got[0] == got[1]  # text and binary alike
        if keep or type(got[0][1]) is Interval:
            assert got[0][1] == iv
        results.append((got, mod.encode_param(iv, 1186, ctx), mod.encode_param(iv, 0, ctx)))
    assert results[0] == results[1]


# -- through the server ----------------------------------------------------------------------


@pytest.fixture
def interval_conn(dsn: str) -> Any:
    conn = pgdbapi.connect(dsn, prepare_threshold=0, interval="interval")
    conn.autocommit = True
    yield conn
    conn.close()


@pytest.fixture
def ny_conn(dsn: str) -> Any:
    conn = pgdbapi.connect(dsn, options="-c TimeZone=America/New_York")
    conn.autocommit = True
    yield conn
    conn.close()


def fetch_three_ways(conn: Any, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
    """[simple query (text), extended first run (text), prepared (binary)]"""
    cur = conn.cursor()
    cur.execute(sql, params or None)
    out = [cur.fetchone()[0]]
    for _ in range(3):
        cur.execute(sql + " where %s", (*params, True))
        out.append(cur.fetchone()[0])
    return [out[0], out[1], out[3]]


@pytest.mark.parametrize(
    "literal, value",
    [
        ("178956970 years 7 mons", Interval(I32 - 1)),
        ("-178956970 years -8 mons", Interval(-I32)),
        ("2147483647 days 2562047788:00:54.775807", Interval(0, I32 - 1, I64 - 1)),
        ("1 year 2 mons 3 days 04:05:06.7", dt.timedelta(days=428, seconds=14706.7)),
    ],
)
def test_server_timedelta_mode(prep_conn: Any, literal: str, value: Any) -> None:
    for got in fetch_three_ways(prep_conn, f"select '{literal}'::interval"):
        assert got == value and type(got) is type(value)


def test_server_interval_mode(interval_conn: Any) -> None:
    expr = "select '1 year 2 mons 3 days 25:00:00.5'::interval"
    assert fetch_three_ways(interval_conn, expr) == [Interval(14, 3, 90_000_500_000)] * 3
    expr = "select array['1 mon'::interval, null, '-1 days +00:00:01']"
    assert fetch_three_ways(interval_conn, expr) == [[Interval(1), None, Interval(0, -1, 10**6)]] * 3


def test_connect_rejects_bad_interval_mode(dsn: str) -> None:
    with pytest.raises(ProgrammingError):
        pgdbapi.connect(dsn, interval="months")


finite = st.builds(
    Interval,
    st.integers(-I32, I32 - 1),
    st.integers(-I32, I32 - 1),
    st.integers(-I64, I64 - 1),
).filter(
    # infinities are PostgreSQL 17+; µs = -2**63 the server prints but cannot read back
    lambda iv: iv not in (Interval.INFINITY, Interval.MINUS_INFINITY) and iv.microseconds > -I64
)


@given(iv=finite)
@SERVER
def test_server_round_trip_and_text(interval_conn: Any, dsn: str, iv: Interval) -> None:
    """Bound (binary), inlined (client-side literal) and in an array: the server reads the
    same interval, and prints it as str() does."""
    assert fetch_three_ways(interval_conn, "select %s", (iv,)) == [iv] * 3
    cur = interval_conn.cursor()
    cur.execute("select %s::text, pg_typeof(%s)::text, %s", (iv, [iv, None], [iv, None]))
    assert cur.fetchone() == (str(iv), "interval[]", [iv, None])
    client = pgdbapi.connect(dsn, binding="client", interval="interval")
    try:
        cur = client.cursor()
        cur.execute("select %s, %s", (iv, [iv]))
        assert cur.fetchone() == (iv, [iv])
    finally:
        client.close()


@pytest.mark.parametrize("style", ["postgres", "postgres_verbose", "sql_standard", "iso_8601"])
def test_parameters_under_every_interval_style(dsn: str, style: str) -> None:
    """A timedelta with negative days and Intervals with mixed signs read back the same
    whatever the session's IntervalStyle, bound in text or binary, or inlined."""
    values = [
        dt.timedelta(microseconds=-1),
        dt.timedelta(days=-3, hours=5),
        Interval(-14, 3, -5),
        Interval(1, -1, 1),
        Interval(0, -1, 3_600_000_000),
    ]
    for binding in ("server", "client"):
        conn = pgdbapi.connect(dsn, binding=binding)
        try:
            cur = conn.cursor()
            cur.execute(f"set IntervalStyle = {style}")
            for value in values:
                want = value if isinstance(value, Interval) else Interval.from_timedelta(value)
                # bound in binary; as text inside a mixed list (an array literal); inlined
                cur.execute(
                    "select %s = %s::interval, (%s::interval[])[1] = %s::interval",
                    (value, str(want), [value, "00:00:00"], str(want)),
                )
                assert cur.fetchone() == (True, True), (binding, value)
        finally:
            conn.close()


naive_stamps = st.datetimes(dt.datetime(1900, 1, 1), dt.datetime(2100, 12, 31))
small = st.builds(
    Interval,
    st.integers(-2400, 2400),
    st.integers(-10000, 10000),
    st.integers(-10**13, 10**13),
)


@given(value=naive_stamps, iv=small)
@SERVER
def test_calendar_arithmetic_matches_server(prep_conn: Any, value: dt.datetime, iv: Interval) -> None:
    cur = prep_conn.cursor()
    cur.execute(
        "select %s::timestamp + %s::interval, %s::timestamp - %s::interval,"
        " (%s::date + %s::interval)::date",
        (value, iv, value, iv, value.date(), Interval(iv.months, iv.days)),
    )
    plus, minus, day = cur.fetchone()
    assert value + iv == plus
    assert value - iv == minus
    assert value.date() + Interval(iv.months, iv.days) == day


@given(value=naive_stamps, iv=small)
@SERVER
def test_aware_arithmetic_matches_server(ny_conn: Any, value: dt.datetime, iv: Interval) -> None:
    """timestamptz + interval in the session zone == aware datetime + Interval in that zone,
    skipped and repeated local times included."""
    aware = value.replace(tzinfo=NEW_YORK)
    cur = ny_conn.cursor()
    cur.execute("select %s::timestamptz + %s::interval", (aware, iv))
    got = cur.fetchone()[0]
    want = aware + iv
    assert got == want and got.utcoffset() == want.utcoffset()


def test_aware_arithmetic_around_dst(ny_conn: Any) -> None:
    cur = ny_conn.cursor()
    for start, iv in [
        (dt.datetime(2024, 11, 2, 1, 30), Interval(0, 1)),  # lands in the repeated hour
        (dt.datetime(2024, 3, 9, 2, 30), Interval(0, 1)),  # lands in the skipped hour
        (dt.datetime(2024, 2, 10, 2, 30), Interval(1)),
        (dt.datetime(2024, 11, 3, 0, 30), Interval(0, 0, 3 * 3_600_000_000)),
    ]:
        aware = start.replace(tzinfo=NEW_YORK)
        cur.execute("select %s::timestamptz + %s::interval", (aware, iv))
        got = cur.fetchone()[0]
        want = aware + iv
        assert (got, got.utcoffset()) == (want, want.utcoffset()), (start, iv)


# -- infinite intervals (PostgreSQL 17+) ------------------------------------------------------


def test_infinite_intervals_pg18(pg18_server: Any) -> None:
    dsn = pg18_server.dsn(sslmode="disable")
    expr = "select 'infinity'::interval, '-infinity'::interval, array['infinity'::interval]"
    for mode, plus, minus in (
        ("timedelta", dt.timedelta.max, dt.timedelta.min),
        ("interval", Interval.INFINITY, Interval.MINUS_INFINITY),
    ):
        conn = pgdbapi.connect(dsn, prepare_threshold=0, interval=mode)
        try:
            cur = conn.cursor()
            for _ in range(3):  # text, text, binary (prepared)
                cur.execute(expr)
                assert cur.fetchone() == (plus, minus, [plus])
            # Interval's infinities go in as the server's infinities, bound and inlined
            cur.execute("select %s = 'infinity'::interval, %s::text", (Interval.INFINITY,) * 2)
            assert cur.fetchone() == (True, "infinity")
        finally:
            conn.close()
    conn = pgdbapi.connect(dsn, binding="client")
    try:
        cur = conn.cursor()
        cur.execute("select %s = '-infinity'::interval", (Interval.MINUS_INFINITY,))
        assert cur.fetchone() == (True,)
    finally:
        conn.close()
