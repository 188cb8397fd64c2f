"""The less common built-in types through a real server: network, bit strings, LSNs,
snapshots, text-search types, tids, void, records, ranges and multiranges, and their
arrays, in text (simple and extended query) and binary (prepared) format."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from ipaddress import ip_address, ip_interface, ip_network
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pgdbapi
from pgdbapi.codec import impl
from pgdbapi.types import Range

UTC = dt.timezone.utc


@pytest.fixture
def prep_conn(dsn: str) -> Any:
    conn = pgdbapi.connect(dsn, prepare_threshold=0)
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute("set lc_monetary to 'C'")
    yield conn
    conn.close()


def fetch_three_ways(conn: Any, expr: str, params: tuple[Any, ...] = ()) -> list[Any]:
    """[simple query (text), extended first run (text), prepared (binary if has_binary)]"""
    cur = conn.cursor()
    cur.execute(f"select {expr}", params or None)
    out = [cur.fetchone()[0]]
    for _ in range(3):
        cur.execute(f"select {expr} where %s", (*params, True))
        out.append(cur.fetchone()[0])
    return [out[0], out[1], out[3]]


CASES: list[tuple[str, Any]] = [
    ("'192.168.1.5/24'::inet", ip_interface("192.168.1.5/24")),
    ("'192.168.1.5'::inet", ip_address("192.168.1.5")),
    ("'::1'::inet", ip_address("::1")),
    ("'2001:db8::1/64'::inet", ip_interface("2001:db8::1/64")),
    ("'192.168.1.0/24'::cidr", ip_network("192.168.1.0/24")),
    ("'10.0.0.1/32'::cidr", ip_network("10.0.0.1/32")),
    ("'2001:db8::/32'::cidr", ip_network("2001:db8::/32")),
    ("'08:00:2b:01:02:03'::macaddr", "08:00:2b:01:02:03"),
    ("'08:00:2b:01:02:03:04:05'::macaddr8", "08:00:2b:01:02:03:04:05"),
    ("B'101'", "101"),
    ("B'1111111111'::varbit", "1111111111"),
    ("B''::varbit", ""),
    ("B'00000000'::bit(8)", "00000000"),
    ("'16/B374D848'::pg_lsn", "16/B374D848"),
    ("'0/0'::pg_lsn", "0/0"),
    ("1.5::money", "$1.50"),
    ("'10:20:10,14,15'::txid_snapshot", "10:20:10,14,15"),
    ("'10:20:'::pg_snapshot", "10:20:"),
    ("'a fat cat'::tsvector", "'a' 'cat' 'fat'"),
    ("'fat & (rat | cat)'::tsquery", "'fat' & ( 'rat' | 'cat' )"),
    ("'<a>é</a>'::xml", "<a>é</a>"),
    ("'$.a[*] ? (@ > 1)'::jsonpath", '$."a"[*]?(@ > 1)'),
    ("pg_sleep(0)", None),
    ("'(0,2)'::tid", (0, 2)),
    ("'(4294967295,65535)'::tid", (4294967295, 65535)),
    ("'int4'::regtype", "integer"),
    ("'pg_class'::regclass", "pg_class"),
    ("'pg_catalog'::regnamespace", "pg_catalog"),
    ("'english'::regconfig", "english"),
    ("'18446744073709551615'::xid8", 18446744073709551615),
    ("'42'::xid", 42),
    ("'(1,2)'::point", "(1,2)"),
    ("'[(0,0),(1,1)]'::lseg", "[(0,0),(1,1)]"),
    ("'(1,1),(0,0)'::box", "(1,1),(0,0)"),
    ("'{1,2,3}'::line", "{1,2,3}"),
    ("'<(1,2),3>'::circle", "<(1,2),3>"),
    ("'((0,0),(1,1),(1,0))'::polygon", "((0,0),(1,1),(1,0))"),
    ("'[(0,0),(1,1)]'::path", "[(0,0),(1,1)]"),
    ("row(1,'a b',null,'')", ("1", "a b", None, "")),
    ("row('a\"b', row(2, 'x y'))", ('a"b', '(2,"x y")')),
    # arrays
    ("array['10.0.0.1'::inet, null, '10.0.0.0/8']",
     [ip_address("10.0.0.1"), None, ip_interface("10.0.0.0/8")]),
    ("array['10.0.0.0/8'::cidr]", [ip_network("10.0.0.0/8")]),
    ("array['08:00:2b:01:02:03'::macaddr]", ["08:00:2b:01:02:03"]),
    ("array[B'10', B'111']::varbit[]", ["10", "111"]),
    ("array['1/2'::pg_lsn, null]", ["1/2", None]),
    ("array[1.5::money]", ["$1.50"]),
    ("array['a b'::tsvector]", ["'a' 'b'"]),
    ("array['(1,2)'::tid]", [(1, 2)]),
    ("array['(1,2)'::point, '(3,4)']", ["(1,2)", "(3,4)"]),
    ("array[row(1,'a')]", [("1", "a")]),
    ("array['5'::xid8]", [5]),
    ("'{}'::inet[]", []),
    # ranges
    ("'[1,10)'::int4range", Range(1, 10, "[)")),
    ("'(1,10]'::int4range", Range(2, 11, "[)")),
    ("'empty'::int4range", Range(empty=True)),
    ("'(,5)'::int4range", Range(None, 5, "()")),
    ("'(,)'::int8range", Range(None, None, "()")),
    ("'[9223372036854775806,)'::int8range", Range(9223372036854775806, None, "[)")),
    ("'[1.5,)'::numrange", Range(Decimal("1.5"), None, "[)")),
    ("'(0.000,100.10]'::numrange", Range(Decimal("0.000"), Decimal("100.10"), "(]")),
    ("'[2024-01-01,2024-02-01)'::daterange", Range(dt.date(2024, 1, 1), dt.date(2024, 2, 1))),
    ("'[2024-01-01,infinity)'::daterange", Range(dt.date(2024, 1, 1), dt.date.max)),
    ("'[\"2024-01-01 00:00\",\"2024-01-02 00:00\"]'::tsrange",
     Range(dt.datetime(2024, 1, 1), dt.datetime(2024, 1, 2), "[]")),
    ("'[\"2024-01-01 00:00+00\",)'::tstzrange",
     Range(dt.datetime(2024, 1, 1, tzinfo=UTC), None, "[)")),
    ("'{[1,3),[5,7)}'::int4multirange", [Range(1, 3), Range(5, 7)]),
    ("'{}'::int4multirange", []),
    ("'{[1.5,2]}'::nummultirange", [Range(Decimal("1.5"), Decimal("2"), "[]")]),
    ("'{[2024-01-01,2024-01-05)}'::datemultirange",
     [Range(dt.date(2024, 1, 1), dt.date(2024, 1, 5))]),
    ("'{[\"2024-01-01 00:00\",)}'::tsmultirange", [Range(dt.datetime(2024, 1, 1), None)]),
    ("'{(,\"2024-01-01 00:00+00\")}'::tstzmultirange",
     [Range(None, dt.datetime(2024, 1, 1, tzinfo=UTC), "()")]),
    ("'{[1,2)}'::int8multirange", [Range(1, 2)]),
    ("array['[1,2)'::int4range, 'empty', null]", [Range(1, 2), Range(empty=True), None]),
    ("array['{[1,2)}'::int4multirange]", [[Range(1, 2)]]),
    ("null::int4range", None),
    ("null::inet", None),
]


@pytest.mark.parametrize(("expr", "expected"), CASES, ids=[c[0] for c in CASES])
def test_decode_three_ways(prep_conn: Any, expr: str, expected: Any) -> None:
    got = fetch_three_ways(prep_conn, expr)
    assert got == [expected] * 3
    assert [type(v) for v in got] == [type(expected)] * 3


def test_binary_is_used_for_the_binary_types(prep_conn: Any) -> None:
    assert impl.has_binary(869) and impl.has_binary(3904) and impl.has_binary(4451)
    assert impl.has_binary(1041) and impl.has_binary(3905)
    assert not impl.has_binary(790) and not impl.has_binary(3614) and not impl.has_binary(2249)
    assert not impl.has_binary(600) and not impl.has_binary(4089)


PARAMS: list[tuple[Any, str]] = [
    (ip_address("192.168.1.5"), "inet"),
    (ip_address("::1"), "inet"),
    (ip_interface("192.168.1.5/24"), "inet"),
    (ip_interface("2001:db8::1/64"), "inet"),
    (ip_network("192.168.1.0/24"), "cidr"),
    (ip_network("2001:db8::/32"), "cidr"),
    ([ip_address("10.0.0.1"), None], "inet[]"),
    ([ip_network("10.0.0.0/8")], "cidr[]"),
    (Range(1, 10), "int4range"),
    (Range(None, 5, "()"), "int4range"),
    (Range(empty=True), "int4range"),
    (Range(1, 2**40), "int8range"),
    (Range(Decimal("1.5"), Decimal("2.25"), "[]"), "numrange"),
    (Range(1, Decimal("2.5")), "numrange"),
    (Range(dt.date(2024, 1, 1), dt.date(2024, 3, 1)), "daterange"),
    (Range(dt.datetime(2024, 1, 1, 1, 2, 3), None), "tsrange"),
    (Range(dt.datetime(2024, 1, 1, tzinfo=UTC), dt.datetime(2024, 1, 2, tzinfo=UTC)),
     "tstzrange"),
    ([Range(1, 2), Range(3, 4), None], "int4range[]"),
]


@pytest.mark.parametrize(("value", "sqltype"), PARAMS, ids=[p[1] for p in PARAMS])
def test_parameter_round_trip(prep_conn: Any, value: Any, sqltype: str) -> None:
    # untyped placeholder: the inferred oid is sent (binary); typed: text, server casts
    if impl.infer_oid(value):
        assert fetch_three_ways(prep_conn, "%s", (value,)) == [value] * 3
    else:  # an empty range has no bound type: oid 0, text, the server sees an unknown
        assert fetch_three_ways(prep_conn, "%s", (value,)) == ["empty"] * 3
    assert fetch_three_ways(prep_conn, f"%s::{sqltype}", (value,)) == [value] * 3


def test_range_with_server_inferred_type(prep_conn: Any) -> None:
    """A range of floats or strs goes as text with oid 0: the server's context types it."""
    got = fetch_three_ways(prep_conn, "%s::numrange", (Range(1.5, 2.5),))
    assert got == [Range(Decimal("1.5"), Decimal("2.5"))] * 3
    cur = prep_conn.cursor()
    cur.execute("select %s::text", (Range("a b", 'c"d'),))
    assert cur.fetchone()[0] == '["a b","c""d")'


def test_range_operators_on_server(prep_conn: Any) -> None:
    cur = prep_conn.cursor()
    cur.execute("select %s::int4range @> 5, %s::int4range @> 5", (Range(1, 10), Range(6, 10)))
    assert cur.fetchone() == (True, False)


def test_non_ascii_and_escapes_in_text_bounds(prep_conn: Any) -> None:
    cur = prep_conn.cursor()
    cur.execute("select row('é,\"x\"', '\\')")
    assert cur.fetchone()[0] == ('é,"x"', "\\")


INFINITE = [
    ("'infinity'::date", dt.date.max, "infinity"),
    ("'-infinity'::date", dt.date.min, "-infinity"),
    ("'infinity'::timestamp", dt.datetime.max, "infinity"),
    ("'-infinity'::timestamptz", dt.datetime.min.replace(tzinfo=UTC), "-infinity"),
    ("array['infinity'::date, '2020-01-01']", [dt.date.max, dt.date(2020, 1, 1)], "infinity"),
    ("'[2020-01-01,infinity)'::daterange", Range(dt.date(2020, 1, 1), dt.date.max), "infinity"),
]


@pytest.mark.parametrize(("expr", "clamped", "text"), INFINITE, ids=[c[0] for c in INFINITE])
def test_infinity_modes(prep_conn: Any, expr: str, clamped: Any, text: str) -> None:
    from pgdbapi.types import INFINITY, MINUS_INFINITY

    ctx = prep_conn._proto.ctx
    assert fetch_three_ways(prep_conn, expr) == [clamped] * 3
    ctx.infinity = "error"
    cur = prep_conn.cursor()
    with pytest.raises(pgdbapi.DataError):
        cur.execute(f"select {expr}")
    for _ in range(3):  # extended query: text twice, then prepared: binary
        with pytest.raises(pgdbapi.DataError):
            cur.execute(f"select {expr}, 'x' where %s", (True,))
            cur.fetchone()
    cur.execute("select 1")  # the connection survives
    assert cur.fetchone() == (1,)
    ctx.infinity = "sentinel"
    sentinel = INFINITY if text == "infinity" else MINUS_INFINITY

    def swap(v: Any) -> Any:
        if isinstance(v, list):
            return [swap(x) for x in v]
        if isinstance(v, Range):
            return Range(swap(v.lower), swap(v.upper), v.bounds)
        return sentinel if v in (dt.date.max, dt.date.min, dt.datetime.max, dt.datetime.min,
                                 dt.datetime.min.replace(tzinfo=UTC)) else v

    assert fetch_three_ways(prep_conn, f"{expr}, 'y'") == [swap(clamped)] * 3


def test_infinity_sentinel_as_parameter(prep_conn: Any) -> None:
    from pgdbapi.types import INFINITY, MINUS_INFINITY

    prep_conn._proto.ctx.infinity = "sentinel"
    assert fetch_three_ways(prep_conn, "%s::date", (INFINITY,)) == [INFINITY] * 3
    assert fetch_three_ways(prep_conn, "%s::timestamptz", (MINUS_INFINITY,)) == [MINUS_INFINITY] * 3
    got = fetch_three_ways(prep_conn, "%s::daterange", (Range(dt.date(2020, 1, 1), INFINITY),))
    assert got == [Range(dt.date(2020, 1, 1), INFINITY)] * 3


NULL_TYPES = ["inet", "cidr", "macaddr", "macaddr8", "bit", "varbit", "pg_lsn", "money",
              "txid_snapshot", "pg_snapshot", "tsvector", "tsquery", "xml", "jsonpath", "tid",
              "xid8", "regclass", "point", "int4range", "int8range", "numrange", "daterange",
              "tsrange", "tstzrange", "int4multirange", "tstzmultirange", "inet[]", "int4range[]",
              "datemultirange[]"]


@pytest.mark.parametrize("sqltype", NULL_TYPES)
def test_nulls_and_arrays_with_nulls(prep_conn: Any, sqltype: str) -> None:
    assert fetch_three_ways(prep_conn, f"null::{sqltype}") == [None] * 3
    if not sqltype.endswith("[]"):  # array[null::x[]] is an empty array, not {NULL}
        assert fetch_three_ways(prep_conn, f"array[null::{sqltype}]") == [[None]] * 3


MORE_EDGES: list[tuple[str, Any]] = [
    ("'héllo wörld ü'::tsvector", "'héllo' 'wörld' 'ü'"),
    ("'[-99999999999999999999.000001,)'::numrange",
     Range(Decimal("-99999999999999999999.000001"), None)),
    ("'[-2147483648,2147483647)'::int4range", Range(-2147483648, 2147483647)),
    ("'[\"2024-05-06 07:08:09.123456\",\"2024-05-06 07:08:09.123457\")'::tsrange",
     Range(dt.datetime(2024, 5, 6, 7, 8, 9, 123456), dt.datetime(2024, 5, 6, 7, 8, 9, 123457))),
    ("array[array['1.2.3.4'::inet], array['::ffff:1.2.3.4'::inet]]",
     [[ip_address("1.2.3.4")], [ip_address("::ffff:1.2.3.4")]]),
    ("'[0:1]={0/1,FFFFFFFF/FFFFFFFF}'::pg_lsn[]", ["0/1", "FFFFFFFF/FFFFFFFF"]),
    ("array[B'1'::bit(1), B'0']", ["1", "0"]),
    ("repeat('1', 1000)::varbit", "1" * 1000),
    ("row(1, '[1,2)'::int4range, 'é')", ("1", "[1,2)", "é")),
]


@pytest.mark.parametrize(("expr", "expected"), MORE_EDGES, ids=[c[0][:40] for c in MORE_EDGES])
def test_more_edges(prep_conn: Any, expr: str, expected: Any) -> None:
    assert fetch_three_ways(prep_conn, expr) == [expected] * 3


SERVER_EXAMPLES = settings(max_examples=25, deadline=None,
                           suppress_health_check=list(HealthCheck))
int4 = st.integers(-(2**31), 2**31 - 2)
server_ranges = st.one_of(
    st.tuples(int4, int4).map(lambda t: Range(min(t), max(t) + 1)),
    st.tuples(st.decimals(allow_nan=False, allow_infinity=False, places=4),
              st.decimals(allow_nan=False, allow_infinity=False, places=4))
    .map(lambda t: Range(min(t), max(t), "[]")),
    st.tuples(st.datetimes(), st.datetimes()).map(lambda t: Range(min(t), max(t), "[]")),
    st.dates().map(lambda d: Range(d, None)),
)
server_addresses = st.one_of(
    st.integers(0, 2**32 - 1).map(ip_address),
    st.integers(0, 2**128 - 1).map(ip_address),
    st.tuples(st.integers(0, 2**32 - 1), st.integers(0, 31))
    .map(lambda t: ip_interface((t[0], t[1]))),
)


@SERVER_EXAMPLES
@given(value=st.one_of(server_ranges, server_addresses))
def test_values_through_the_server_are_identity(prep_conn: Any, value: Any) -> None:
    assert fetch_three_ways(prep_conn, "%s", (value,)) == [value] * 3
