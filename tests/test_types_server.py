"""Values through a real server in text (simple and extended) and binary (prepared) format."""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import math
import uuid
from decimal import Decimal
from typing import Any

import pytest

import pgdbapi

UTC = dt.timezone.utc


def fetch_three_ways(conn: Any, expr: str) -> list[Any]:
    """[simple query (text), extended first run (text), prepared (binary)]"""
    cur = conn.cursor()
    cur.execute(f"select {expr}")
    simple = cur.fetchone()[0]
    out = [simple]
    for _ in range(3):
        cur.execute(f"select {expr} where %s", (True,))
        out.append(cur.fetchone()[0])
    return [out[0], out[1], out[3]]


CASES = [
    ("true", True),
    ("false", False),
    ("32767::int2", 32767),
    ("(-2147483648)::int4", -2147483648),
    ("9223372036854775807::int8", 9223372036854775807),
    ("4294967295::oid", 4294967295),
    ("1.5::float4", 1.5),
    ("1.1::float4", 1.1),
    ("0.1::float8", 0.1),
    ("'Infinity'::float8", math.inf),
    ("'-Infinity'::float4", -math.inf),
    ("1.000::numeric", Decimal("1.000")),
    ("(-12345.678)::numeric", Decimal("-12345.678")),
    ("0.00012::numeric", Decimal("0.00012")),
    ("100000000::numeric", Decimal("100000000")),
    ("1e-20::numeric", Decimal("1E-20")),
    (
        "123456789012345678901234567890.123456789::numeric",
        Decimal("123456789012345678901234567890.123456789"),
    ),
    ("'NaN'::numeric", "nan"),
    ("'text é 中'::text", "text é 中"),
    ("'ab'::varchar(5)", "ab"),
    ("'ab'::char(4)", "ab  "),
    ("'nm'::name", "nm"),
    ("'x'::\"char\"", "x"),
    ("'\\x00ff41'::bytea", b"\x00\xffA"),
    ("''::bytea", b""),
    ("'2024-02-29'::date", dt.date(2024, 2, 29)),
    ("'infinity'::date", dt.date.max),
    ("'-infinity'::date", dt.date.min),
    ("'13:14:15.5'::time", dt.time(13, 14, 15, 500000)),
    (
        "'13:14:15.5+05:30'::timetz",
        dt.time(13, 14, 15, 500000, tzinfo=dt.timezone(dt.timedelta(hours=5, minutes=30))),
    ),
    ("'13:14:15-08'::timetz", dt.time(13, 14, 15, tzinfo=dt.timezone(dt.timedelta(hours=-8)))),
    ("'2024-05-06 07:08:09.123456'::timestamp", dt.datetime(2024, 5, 6, 7, 8, 9, 123456)),
    ("'infinity'::timestamp", dt.datetime.max),
    (
        "'2024-05-06 07:08:09.5+02'::timestamptz",
        dt.datetime(2024, 5, 6, 5, 8, 9, 500000, tzinfo=UTC),
    ),
    (
        "'1 year 2 mons 3 days 04:05:06.7'::interval",
        dt.timedelta(days=365 + 60 + 3, hours=4, minutes=5, seconds=6.7),
    ),
    ("'-1 days -02:00:00'::interval", dt.timedelta(days=-1, hours=-2)),
    (
        "'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid",
        uuid.UUID("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"),
    ),
    ('\'{"b": [1, 2], "a": null}\'::json', {"b": [1, 2], "a": None}),
    ('\'{"b": [1, 2], "a": "é"}\'::jsonb', {"a": "é", "b": [1, 2]}),
    ("'{1,NULL,3}'::int4[]", [1, None, 3]),
    ("'{}'::int4[]", []),
    ("'{{1,2},{3,4}}'::int2[]", [[1, 2], [3, 4]]),
    ("'[0:2]={1,2,3}'::int8[]", [1, 2, 3]),
    (
        "array[' x ','','a{b}','a,b','null',NULL,'q\"q','b\\\\s']::text[]",
        [" x ", "", "a{b}", "a,b", "null", None, 'q"q', "b\\\\s"],
    ),
    ("array[true, false, null]", [True, False, None]),
    ("array[1.5, null, 'NaN']::numeric[]", [Decimal("1.5"), None, "nan"]),
    ("array['2024-01-01'::date, 'infinity']", [dt.date(2024, 1, 1), dt.date.max]),
    ("array['\\x01'::bytea, '\\x']", [b"\x01", b""]),
    (
        "array['a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid]",
        [uuid.UUID("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11")],
    ),
    ("array['{\"a\": 1}'::jsonb, null]", [{"a": 1}, None]),
    ("array[1.5::float8, 'Infinity']", [1.5, math.inf]),
    ("array['1 day'::interval]", [dt.timedelta(days=1)]),
    ("array['12:00'::time]", [dt.time(12)]),
    ("array['2024-01-01 00:00:00'::timestamp]", [dt.datetime(2024, 1, 1)]),
    ("array['ab'::varchar, 'c d']", ["ab", "c d"]),
    ("null::int4", None),
    ("null::text", None),
    ("'(1,2)'::point", "(1,2)"),
    ("'192.168.1.5/24'::inet", ipaddress.ip_interface("192.168.1.5/24")),
    ("'<a/>'::xml", "<a/>"),
]


def _same(a: Any, b: Any) -> bool:
    if b == "nan":
        if isinstance(a, list):
            return False
        return isinstance(a, Decimal) and a.is_nan()
    if isinstance(b, list) and isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


@pytest.mark.parametrize("expr,expected", CASES, ids=[c[0][:40] for c in CASES])
def test_value_in_every_format(prep_conn: Any, expr: str, expected: Any) -> None:
    values = fetch_three_ways(prep_conn, expr)
    for got in values:
        assert _same(got, expected), (expr, values)


def test_timestamptz_in_session_timezone(prep_conn: Any) -> None:
    cur = prep_conn.cursor()
    cur.execute("set timezone to 'America/New_York'")
    for got in fetch_three_ways(prep_conn, "'2024-05-06 05:08:09.5+00'::timestamptz"):
        assert got == dt.datetime(2024, 5, 6, 5, 8, 9, 500000, tzinfo=UTC)
        assert got.utcoffset() == dt.timedelta(hours=-4)
    cur.execute("set timezone to 'Asia/Kolkata'")
    for got in fetch_three_ways(prep_conn, "'2024-05-06 05:08:09+00'::timestamptz"):
        assert got.utcoffset() == dt.timedelta(hours=5, minutes=30)


def test_unknown_type_is_str(prep_conn: Any) -> None:
    for got in fetch_three_ways(prep_conn, "'1 2'::tsvector"):
        assert got == "'1' '2'"
    cur = prep_conn.cursor()
    cur.execute("create type pg_temp.mood as enum ('happy', 'sad')")
    for got in fetch_three_ways(prep_conn, "'sad'::pg_temp.mood"):
        assert got == "sad"


def test_bc_date_is_data_error(prep_conn: Any) -> None:
    with pytest.raises(pgdbapi.DataError):
        prep_conn.cursor().execute("select '0044-03-15 BC'::date")
    prep_conn.cursor().execute("select 1")


@pytest.mark.parametrize(
    "value",
    [
        0,
        -1,
        2**31 - 1,
        2**31,
        -(2**63),
        2**63 - 1,
        2**64,
        1.5,
        -0.0,
        1e300,
        math.inf,
        Decimal("0"),
        Decimal("-1.000"),
        Decimal("1E+30"),
        Decimal("1E-30"),
        Decimal("NaN"),
        Decimal("-Infinity"),
        "",
        "plain",
        "quote ' and \\ backslash",
        "ünï©ødé 中文 😀",
        b"",
        b"\x00\x01\xff" * 10,
        dt.date(1, 1, 1),
        dt.date(9999, 12, 31),
        dt.date(2000, 1, 1),
        dt.time(0, 0),
        dt.time(23, 59, 59, 999999),
        dt.time(1, 2, 3, tzinfo=dt.timezone(dt.timedelta(hours=-3))),
        dt.datetime(1999, 12, 31, 23, 59, 59, 999999),
        dt.datetime(2024, 1, 1, tzinfo=UTC),
        dt.timedelta(0),
        dt.timedelta(days=-3, microseconds=5),
        dt.timedelta(days=1000),
        uuid.uuid4(),
        True,
        False,
        None,
        [1, 2, 3],
        [[1, 2], [3, 4]],
        ["a", None, "b,c"],
        [1.5, 2.5],
        [],
        [None],
    ],
)
def test_parameter_round_trip(prep_conn: Any, value: Any) -> None:
    cur = prep_conn.cursor()
    for _ in range(3):  # text results, preparation round, binary results
        cur.execute("select %s", (value,))
        got = cur.fetchone()[0]
        if isinstance(value, float) and not math.isinf(value):
            assert got == value and math.copysign(1, got) == math.copysign(1, value)
        elif isinstance(value, Decimal) and value.is_nan():
            assert got.is_nan()
        elif isinstance(value, dt.datetime) and value.tzinfo is not None:
            assert got == value
        elif value == [] or value == [None]:
            assert got in ([], [None], "{}", "{NULL}")
        elif isinstance(value, int) and not isinstance(value, bool) and not -(2**63) <= value < 2**63:
            assert got == value and type(got) is Decimal  # numeric, as the literal would be
        else:
            assert got == value and type(got) is type(value)


def test_json_param_as_text(prep_conn: Any) -> None:
    cur = prep_conn.cursor()
    cur.execute("select %s::jsonb", (json.dumps({"k": [1, "v"]}),))
    assert cur.fetchone()[0] == {"k": [1, "v"]}


@pytest.mark.parametrize("mode,expected", [("clamp", dt.date.max), ("error", pgdbapi.DataError)])
def test_infinity_connection_option(dsn: str, mode: str, expected: Any) -> None:
    conn = pgdbapi.connect(dsn, infinity=mode)
    try:
        cur = conn.cursor()
        if isinstance(expected, type) and issubclass(expected, Exception):
            with pytest.raises(expected):
                cur.execute("select 'infinity'::date")
        else:
            cur.execute("select 'infinity'::date")
            assert cur.fetchone() == (expected,)
    finally:
        conn.close()


def test_infinity_sentinel_and_bad_mode(dsn: str) -> None:
    from pgdbapi import types

    conn = pgdbapi.connect(dsn, infinity="sentinel")
    try:
        cur = conn.cursor()
        cur.execute("select 'infinity'::timestamp, '-infinity'::date")
        assert cur.fetchone() == (types.INFINITY, types.MINUS_INFINITY)
    finally:
        conn.close()
    with pytest.raises(pgdbapi.ProgrammingError):
        pgdbapi.connect(dsn, infinity="bogus")
