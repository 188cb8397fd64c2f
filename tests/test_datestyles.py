"""DateStyle and IntervalStyle other than ISO / postgres: text results of date, timestamp,
timestamptz and interval (and their arrays and ranges) decode to what binary results give,
in every style and session time zone; parameters read back the same; a SET in the middle
of a connection applies to the next statement, prepared ones included."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_interval import TWINS

import pgdbapi
from pgdbapi import extras
from pgdbapi.exceptions import DataError
from pgdbapi.literals import quote
from pgdbapi.types import Interval, Range

UTC = dt.timezone.utc
NEW_YORK = ZoneInfo("America/New_York")

DATESTYLES = [
    "ISO, MDY", "ISO, DMY", "SQL, DMY", "SQL, MDY", "SQL, YMD", "Postgres, MDY",
    "Postgres, DMY", "Postgres, YMD", "German",
]
INTERVALSTYLES = ["postgres", "postgres_verbose", "sql_standard", "iso_8601"]
ZONES = [
    "UTC", "America/New_York", "Europe/Dublin", "Australia/Lord_Howe", "Asia/Kolkata",
    "UTC+3", "<-03>+03",
]

# (SQL expression, value) in the session zone America/New_York where it matters
DATE_CASES: list[tuple[str, Any]] = [
    ("'2024-05-06'::date", dt.date(2024, 5, 6)),
    ("'0001-01-01'::date", dt.date(1, 1, 1)),
    ("'9999-12-31'::date", dt.date(9999, 12, 31)),
    ("'infinity'::date", dt.date.max),
    ("'2024-05-06 07:08:09.5'::timestamp", dt.datetime(2024, 5, 6, 7, 8, 9, 500000)),
    ("'2024-12-25 23:59:59.999999'::timestamp", dt.datetime(2024, 12, 25, 23, 59, 59, 999999)),
    ("'-infinity'::timestamp", dt.datetime.min),
    ("'2024-05-06 07:08:09.123456+00'::timestamptz",
     dt.datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)),
    ("'1800-01-01 00:00+00'::timestamptz", dt.datetime(1800, 1, 1, tzinfo=UTC)),  # LMT
    # the repeated hour in New York: 01:30 EDT, then 01:30 EST
    ("'2024-11-03 05:30+00'::timestamptz", dt.datetime(2024, 11, 3, 5, 30, tzinfo=UTC)),
    ("'2024-11-03 06:30+00'::timestamptz", dt.datetime(2024, 11, 3, 6, 30, tzinfo=UTC)),
    ("'2024-01-06 07:08:09+00'::timestamptz", dt.datetime(2024, 1, 6, 7, 8, 9, tzinfo=UTC)),
    ("'13:14:15.5'::time", dt.time(13, 14, 15, 500000)),
    ("'13:14:15.5+05:30'::timetz",
     dt.time(13, 14, 15, 500000, tzinfo=dt.timezone(dt.timedelta(hours=5, minutes=30)))),
    ("array['2024-05-06'::date, null, '2024-12-31']",
     [dt.date(2024, 5, 6), None, dt.date(2024, 12, 31)]),
    ("array['2024-05-06 07:08:09+00'::timestamptz]",
     [dt.datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)]),
    ("daterange('2024-01-02', '2024-02-03')", Range(dt.date(2024, 1, 2), dt.date(2024, 2, 3))),
    ("tsrange('2024-01-02 03:04', null)", Range(dt.datetime(2024, 1, 2, 3, 4), None)),
    ("tstzrange('2024-01-02 03:04+00', '2024-07-02 03:04+00', '[]')",
     Range(dt.datetime(2024, 1, 2, 3, 4, tzinfo=UTC), dt.datetime(2024, 7, 2, 3, 4, tzinfo=UTC),
           "[]")),
    ("datemultirange(daterange('2024-01-02', '2024-02-03'))",
     [Range(dt.date(2024, 1, 2), dt.date(2024, 2, 3))]),
]
INTERVAL_CASES: list[tuple[str, Any]] = [
    ("'1 year 2 mons 3 days 04:05:06.7'", Interval(14, 3, 14_706_700_000)),
    ("'-1 days -02:00:00'", Interval(0, -1, -7_200_000_000)),
    ("'1 mon -1 days +00:00:00.000001'", Interval(1, -1, 1)),
    ("'-1 years -2 mons +3 days -04:05:06'", Interval(-14, 3, -14_706_000_000)),
    ("'10 days 25:00:00'", Interval(0, 10, 90_000_000_000)),
    ("'0'", Interval()),
    ("'-00:00:00.5'", Interval(0, 0, -500_000)),
    ("'1 year'", Interval(12)),
    ("'-1 years'", Interval(-12)),
    ("'3 days -01:00:00'", Interval(0, 3, -3_600_000_000)),
    ("'-3 days +01:00:00'", Interval(0, -3, 3_600_000_000)),
    ("'1 day -00:00:00.000001'", Interval(0, 1, -1)),
    ("'2147483647 days 2562047788:00:54.775807'", Interval(0, 2**31 - 1, 2**63 - 1)),
    ("'-178956970 years -8 mons'", Interval(-(2**31))),
]


def fetch_three_ways(conn: Any, sql: str) -> list[Any]:
    """[simple query (text), extended first run (text), prepared (binary)] of one row."""
    cur = conn.cursor()
    cur.execute(sql)
    out = [cur.fetchone()]
    for _ in range(3):
        cur.execute(sql + " where %s", (True,))
        out.append(cur.fetchone())
    return [out[0], out[1], out[3]]


def instant(value: Any) -> Any:
    """An aware datetime in UTC: PEP 495 makes a time in a repeated hour unequal to every
    datetime of another zone, so such values are compared as instants."""
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(UTC)
    if isinstance(value, list):
        return [instant(v) for v in value]
    return value


def same(a: Any, b: Any) -> bool:
    """Equal, with aware datetimes (also inside lists and ranges) at the same UTC offset."""
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(map(same, a, b))
    if isinstance(a, Range):
        return a == b and same(a.lower, b.lower) and same(a.upper, b.upper)
    if isinstance(a, dt.datetime) and a.tzinfo is not None:
        return instant(a) == instant(b) and a.utcoffset() == b.utcoffset()
    if isinstance(a, dt.time):
        return a == b and type(a) is type(b) and a.utcoffset() == b.utcoffset()
    return bool(a == b) and type(a) is type(b)


@pytest.fixture
def conn(dsn: str) -> Any:
    connection = pgdbapi.connect(dsn, prepare_threshold=0, interval="interval")
    connection.autocommit = True
    yield connection
    connection.close()


# -- through the server ----------------------------------------------------------------------


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize("style", DATESTYLES)
def test_dates_in_every_datestyle(conn: Any, style: str, zone: str) -> None:
    cur = conn.cursor()
    cur.execute(f"set DateStyle = '{style}'")
    cur.execute(f"set TimeZone = '{zone}'")
    assert conn._proto.ctx.datestyle == conn._proto.parameters["DateStyle"]
    text, extended, binary = fetch_three_ways(
        conn, "select " + ", ".join(expr for expr, _ in DATE_CASES)
    )
    for (expr, value), t, e, b in zip(DATE_CASES, text, extended, binary):
        assert same(t, b) and same(e, b), (style, zone, expr, t, b)
        assert instant(b) == instant(value), expr


def test_new_york_values_in_sql_style(conn: Any) -> None:
    """The zone abbreviation picks the side of the repeated hour (EDT, then EST)."""
    cur = conn.cursor()
    cur.execute("set DateStyle = 'SQL, DMY'; set TimeZone = 'America/New_York'")
    cur.execute("select '2024-11-03 05:30+00'::timestamptz::text, '2024-11-03 05:30+00'::timestamptz,"
                " '2024-11-03 06:30+00'::timestamptz")
    shown, first, second = cur.fetchone()
    assert shown == "03/11/2024 01:30:00 EDT"
    assert first.utcoffset() == dt.timedelta(hours=-4) and second.utcoffset() == dt.timedelta(hours=-5)
    assert first.tzinfo is second.tzinfo is conn._proto.ctx.timezone


@pytest.mark.parametrize("style", INTERVALSTYLES)
def test_intervals_in_every_intervalstyle(dsn: str, style: str) -> None:
    sql = "select " + ", ".join(f"{expr}::interval" for expr, _ in INTERVAL_CASES)
    sql += ", array['1 mon'::interval, null, '-1 days +00:00:01']"
    for mode in ("interval", "timedelta"):
        conn = pgdbapi.connect(dsn, prepare_threshold=0, interval=mode)
        try:
            conn.cursor().execute(f"set IntervalStyle = {style}")
            assert conn._proto.ctx.intervalstyle == style
            text, extended, binary = fetch_three_ways(conn, sql)
            assert same(text, binary) and same(extended, binary), (style, mode, text, binary)
            if mode == "interval":
                assert list(binary[:-1]) == [value for _, value in INTERVAL_CASES]
        finally:
            conn.close()


def test_set_mid_connection_and_prepared_statements(conn: Any) -> None:
    """Statements prepared before a SET (binary results) and after it (text, then binary)
    decode right; a SET in the same query string as a SELECT only applies after it, and the
    error says so."""
    cur = conn.cursor()
    sql = ("select '2024-05-06'::date, '2024-05-06 07:08:09+00'::timestamptz,"
           " '-1 days -02:00:00'::interval, array['2024-05-06 01:02:03'::timestamp]")
    want = (dt.date(2024, 5, 6), dt.datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC),
            Interval(0, -1, -7_200_000_000), [dt.datetime(2024, 5, 6, 1, 2, 3)])
    for _ in range(3):
        cur.execute(sql + " where %s", (True,))  # prepared by the third run
        assert cur.fetchone() == want
    cur.execute("set DateStyle = 'Postgres, DMY'")
    cur.execute("set IntervalStyle = 'sql_standard'")
    ctx = conn._proto.ctx
    assert (ctx.datestyle, ctx.intervalstyle) == ("Postgres, DMY", "sql_standard")
    cur.execute(sql + " where %s", (True,))  # prepared before the SET: binary results
    assert cur.fetchone() == want
    cur.execute(sql)  # simple query: text in the new styles
    assert cur.fetchone() == want
    for _ in range(3):  # a new statement: text, then prepared
        cur.execute(sql + " where %s and %s", (True, True))
        assert cur.fetchone() == want
    cur.execute("select '2024-05-06'::date::text")
    assert cur.fetchone() == ("06-05-2024",)  # the server really prints the new style
    # styles changed in the query string of a SELECT apply only after it: the styled
    # decoders also read ISO / postgres text, the fast ones say what went wrong
    cur.execute("set DateStyle = 'ISO'; set IntervalStyle = postgres;"
                " select '2024-05-06'::date, '-1 day'::interval")
    assert cur.fetchone() == (dt.date(2024, 5, 6), Interval(0, -1))
    with pytest.raises(DataError, match="IntervalStyle.*next query string"):
        cur.execute("set IntervalStyle = sql_standard; select '1 day -1 hour'::interval")
    cur.execute("select '1 day -1 hour'::interval")
    assert cur.fetchone() == (Interval(0, 1, -3_600_000_000),)


def test_styles_in_options_at_connect(dsn: str) -> None:
    """The start-up packet's DateStyle=ISO / IntervalStyle=postgres win over ``options``
    (only the field order stays); whatever the server reports is what decoding follows."""
    conn = pgdbapi.connect(
        dsn, prepare_threshold=0,
        options="-c DateStyle=SQL,DMY -c IntervalStyle=sql_standard -c TimeZone=Asia/Kolkata",
    )
    try:
        cur = conn.cursor()
        cur.execute("show DateStyle")
        (datestyle,) = cur.fetchone()
        cur.execute("show IntervalStyle")
        (intervalstyle,) = cur.fetchone()
        ctx = conn._proto.ctx
        assert (ctx.datestyle, ctx.intervalstyle) == (datestyle, intervalstyle)
        assert datestyle == "ISO, DMY"
        text, extended, binary = fetch_three_ways(
            conn, "select '2024-05-06 07:08:09+00'::timestamptz, '1 day -1 hour'::interval"
        )
        assert same(text, binary) and same(extended, binary)
        assert binary[0].utcoffset() == dt.timedelta(hours=5, minutes=30)
    finally:
        conn.close()


PARAMS: list[Any] = [
    dt.date(2024, 5, 6),
    dt.date(2024, 12, 1),
    dt.datetime(2024, 5, 6, 7, 8, 9, 123456),
    dt.datetime(2024, 11, 3, 1, 30, tzinfo=NEW_YORK),
    dt.datetime(2024, 5, 6, 7, 8, 9, tzinfo=dt.timezone(dt.timedelta(hours=-3, minutes=-30))),
    dt.time(13, 14, 15, 5),
    dt.time(13, 14, 15, tzinfo=dt.timezone(dt.timedelta(hours=5, minutes=30))),
    dt.timedelta(days=-3, hours=5),
    Interval(-14, 3, -5),
    [dt.date(2024, 5, 6), None],
    Range(dt.date(2024, 1, 2), dt.date(2024, 5, 6)),
    Range(dt.datetime(2024, 1, 2, tzinfo=UTC), None),
]


@pytest.mark.parametrize("binding", ["server", "client"])
@pytest.mark.parametrize(
    "datestyle, intervalstyle",
    [("SQL, DMY", "sql_standard"), ("Postgres, MDY", "postgres_verbose"),
     ("German", "iso_8601"), ("ISO, DMY", "postgres")],
)
def test_parameters_round_trip(dsn: str, binding: str, datestyle: str, intervalstyle: str) -> None:
    """Bound (binary), as text (inside a list the server has to type), or inlined as
    literals: parameters read back the same whatever the session's styles."""
    conn = pgdbapi.connect(dsn, binding=binding, prepare_threshold=0, interval="interval")
    try:
        cur = conn.cursor()
        cur.execute(f"set DateStyle = '{datestyle}'; set IntervalStyle = {intervalstyle}")
        cur.execute("set TimeZone = 'America/New_York'")
        for value in PARAMS:
            want = Interval.from_timedelta(value) if isinstance(value, dt.timedelta) else value
            for _ in range(3):  # text results, preparing, binary results
                cur.execute("select %s", (value,))
                got = cur.fetchone()[0]
                assert instant(got) == instant(want), (value, got)
            if isinstance(value, (list, Range)):
                continue
            if isinstance(value, (dt.datetime, dt.time)):
                typname = "time" if isinstance(value, dt.time) else "timestamp"
                typname += "tz" if value.tzinfo else ""
            else:
                typname = "date" if isinstance(value, dt.date) else "interval"
            # a list of mixed kinds goes as an array literal: each value in its text form
            filler = "00:00" if typname.startswith("time") and typname != "timestamp" else "0"
            filler = "infinity" if typname.startswith(("date", "timestamp")) else filler
            cur.execute(f"select (%s::{typname}[])[1]", ([value, filler],))
            assert instant(cur.fetchone()[0]) == instant(want), (value, typname)
    finally:
        conn.close()


def test_range_literals() -> None:
    assert quote(Range(dt.date(2024, 1, 2), dt.date(2024, 5, 6))) == (
        "'[2024-01-02,2024-05-06)'::daterange"
    )
    assert quote(Range(1, None, "[]")) == "'[1,)'::int4range"
    assert quote(Range(empty=True)) == "'empty'"  # typed by the server, as when bound
    assert quote(Range(1.5, 2.5)) == "'[1.5,2.5)'"
    assert quote(Range(dt.datetime(2024, 1, 2, tzinfo=UTC), None)) == (
        "'[\"2024-01-02 00:00:00+00:00\",)'::tstzrange"
    )


def test_composite_fields_follow_the_style(conn: Any) -> None:
    cur = conn.cursor()
    cur.execute("create temporary table stamped (d date, t timestamptz, i interval)")
    extras.register_composite("stamped", conn)
    cur.execute("set DateStyle = 'German'; set IntervalStyle = postgres_verbose")
    cur.execute("select row('2024-05-06', '2024-05-06 07:08:09+00', '1 day -1 hour')::stamped")
    (value,) = cur.fetchone()
    assert value.d == dt.date(2024, 5, 6) and value.i == Interval(0, 1, -3_600_000_000)
    assert value.t == dt.datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)


def test_unreadable_zone_is_a_clear_error(conn: Any) -> None:
    """TimeZone 'XST-4XDT' (POSIX rules with daylight time) is unknown to Python's zoneinfo:
    the SQL-style text, 'XST'/'XDT' abbreviations, cannot be placed in time, so it is
    refused, saying what to do."""
    cur = conn.cursor()
    sql = "select '2024-05-06 07:08:09+00'::timestamptz where %s"
    for _ in range(3):  # prepared: binary results
        cur.execute(sql, (True,))
    cur.execute("set TimeZone = 'XST-4XDT'; set DateStyle = 'SQL, MDY'")
    with pytest.raises(DataError, match="abbreviation 'XDT'.*SET DateStyle = 'ISO'"):
        cur.execute("select '2024-05-06 07:08:09+00'::timestamptz")
    with pytest.raises(DataError):  # prepared again (TimeZone changed): text the first time
        cur.execute(sql, (True,))
    cur.execute("set DateStyle = 'ISO'")  # what the message says
    for _ in range(3):
        cur.execute(sql, (True,))
        assert cur.fetchone()[0] == dt.datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)


@pytest.mark.parametrize("style", ["SQL, DMY", "German", "Postgres, MDY"])
def test_bc_and_far_future_stay_data_errors(conn: Any, style: str) -> None:
    cur = conn.cursor()
    cur.execute(f"set DateStyle = '{style}'")
    for expr in ("'0044-03-15 BC'::date", "'12345-01-02'::date",
                 "'0044-03-15 12:00 BC'::timestamptz", "'12345-01-02 03:04'::timestamp"):
        with pytest.raises(DataError, match="Python's range"):
            cur.execute(f"select {expr}")


def test_infinity_modes_under_styles(dsn: str) -> None:
    conn = pgdbapi.connect(dsn, infinity="sentinel")
    try:
        cur = conn.cursor()
        cur.execute("set DateStyle = 'SQL, DMY'")
        cur.execute("select 'infinity'::date, array['-infinity'::timestamptz]")
        assert cur.fetchone() == (pgdbapi.types.INFINITY, [pgdbapi.types.MINUS_INFINITY])
    finally:
        conn.close()


# -- both codecs, without a server -----------------------------------------------------------


@pytest.mark.parametrize("mod", TWINS)
def test_twins_decode_styled_text(mod: Any) -> None:
    ctx = mod.TypeContext()
    ctx.timezone = NEW_YORK
    ctx.datestyle = "SQL, DMY"
    ctx.intervalstyle = "postgres_verbose"
    assert mod.decode_value(1082, 0, b"06/05/2024", ctx) == dt.date(2024, 5, 6)
    assert mod.decode_value(1182, 0, b"{06/05/2024,NULL}", ctx) == [dt.date(2024, 5, 6), None]
    got = mod.decode_value(1184, 0, b"03/11/2024 01:30:00 EST", ctx)
    assert instant(got) == dt.datetime(2024, 11, 3, 6, 30, tzinfo=UTC) and got.tzinfo is NEW_YORK
    assert mod.decode_value(3912, 0, b'["06/05/2024","07/05/2024")', ctx) == Range(
        dt.date(2024, 5, 6), dt.date(2024, 5, 7)
    )
    assert mod.decode_value(1186, 0, b"@ 1 day 2 hours ago", ctx) == dt.timedelta(hours=-26)
    assert mod.decode_value(1186, 1, bytes(16), ctx) == dt.timedelta(0)  # binary: any style
    with pytest.raises(DataError, match="DateStyle"):
        mod.decode_value(1082, 0, b"2024/05/06", ctx)
    ctx.datestyle = "Postgres, MDY"
    assert mod.decode_value(1082, 0, b"05-06-2024", ctx) == dt.date(2024, 5, 6)
    ctx.datestyle = "ISO, DMY"  # ISO output whatever the order: the fast decoder
    with pytest.raises(DataError, match="expected DateStyle ISO"):
        mod.decode_value(1082, 0, b"06/05/2024", ctx)


@pytest.mark.parametrize("mod", TWINS)
def test_row_decoder_fixes_the_style_when_built(mod: Any) -> None:
    ctx = mod.TypeContext()
    ctx.datestyle = "German, DMY"
    decoder = mod.RowDecoder([(1082, 0)], ctx)
    ctx.datestyle = "ISO, MDY"  # later changes apply to decoders built later
    body = b"\x00\x01\x00\x00\x00\x0a06.05.2024"
    assert decoder.decode_row(body) == (dt.date(2024, 5, 6),)
    with pytest.raises(DataError):
        mod.RowDecoder([(1082, 0)], ctx).decode_row(body)


STYLE_ZONES = ["America/New_York", "Europe/Dublin", "Australia/Lord_Howe", "Asia/Kolkata",
               "Europe/Moscow", "America/Sao_Paulo", "Pacific/Chatham", "UTC"]


@pytest.fixture(scope="module")
def text_conn(pg_server: Any) -> Any:
    """Client-side binding: text results through the simple query protocol."""
    conn = pgdbapi.connect(pg_server.dsn(), binding="client", interval="interval")
    conn.autocommit = True
    yield conn
    conn.close()


@given(
    moment=st.datetimes(dt.datetime(1850, 1, 1), dt.datetime(2100, 12, 31), timezones=st.just(UTC)),
    iv=st.builds(Interval, st.integers(-(2**31), 2**31 - 1), st.integers(-(2**31), 2**31 - 1),
                 st.integers(-(2**63) + 1, 2**63 - 1)).filter(lambda v: v != Interval.INFINITY),
    datestyle=st.sampled_from(DATESTYLES),
    intervalstyle=st.sampled_from(INTERVALSTYLES),
    zone=st.sampled_from(STYLE_ZONES),
)
@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
def test_random_values_in_random_styles(
    text_conn: Any, moment: dt.datetime, iv: Interval, datestyle: str, intervalstyle: str,
    zone: str,
) -> None:
    cur = text_conn.cursor()
    cur.execute(f"set DateStyle = '{datestyle}'; set IntervalStyle = {intervalstyle};"
                f" set TimeZone = '{zone}'")
    local = moment.astimezone(ZoneInfo(zone)).replace(tzinfo=None)
    cur.execute("select %s::timestamptz, %s::timestamp, %s::date, %s::interval, %s::text",
                (moment, local, local.date(), iv, moment))
    got = cur.fetchone()
    assert instant(got[0]) == moment and got[0].utcoffset() == moment.astimezone(
        ZoneInfo(zone)).utcoffset(), got[4]
    assert got[1:4] == (local, local.date(), iv)


@pytest.mark.parametrize(
    ("zone", "hours"),
    [("'+05:30'", -5.5), ("'-03'", -3), ("INTERVAL '+02:00' HOUR TO MINUTE", 2), ("'UTC+3'", -3),
     ("'XYZ-4'", 4), ("'EST5EDT'", -5)],
)
def test_posix_style_time_zones_keep_the_servers_offset(conn: Any, zone: str, hours: float) -> None:
    """SET TIME ZONE with a POSIX-style offset (positive = west of Greenwich, as the server
    reads it): timestamptz values come at the offset the server prints, not at UTC."""
    conn.cursor().execute(f"set time zone {zone}")
    for got in fetch_three_ways(conn, "select '2024-01-01 12:00:00+00'::timestamptz"):
        value = got[0]
        assert value == dt.datetime(2024, 1, 1, 12, tzinfo=UTC)
        assert value.utcoffset() == dt.timedelta(hours=hours)
