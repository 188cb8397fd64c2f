"""The psycopg2 adaptation API against a real server: typecasters (new_type, register_type,
new_array_type) in text and binary (prepared) results, adapters (register_adapter, AsIs,
QuotedString, Binary, adapt), enums and domains."""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal
from typing import Any, Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pgdbapi
import pgdbapi.extensions as ext
from pgdbapi import adapters, literals
from pgdbapi.exceptions import DataError, ProgrammingError


@pytest.fixture(autouse=True)
def clean_registries() -> Iterator[None]:
    """Global registrations made by a test do not leak into the others."""
    casters = dict(adapters.string_types)
    adapts = dict(adapters.adapters)
    lits = dict(literals._LITERALS)
    yield
    adapters.string_types.clear()
    adapters.string_types.update(casters)
    adapters.adapters.clear()
    adapters.adapters.update(adapts)
    literals._LITERALS.clear()
    literals._LITERALS.update(lits)
    adapters.route.clear()


def three_ways(conn: Any, expr: str) -> list[Any]:
    """[simple query (text), extended (text), prepared (binary results)]"""
    cur = conn.cursor()
    cur.execute(f"select {expr}")
    out = [cur.fetchone()[0]]
    for _ in range(3):
        cur.execute(f"select {expr} where %s", (True,))
        out.append(cur.fetchone()[0])
    return [out[0], out[1], out[3]]


def identity(value: Any, cur: Any) -> Any:
    return value


# --- typecasters -------------------------------------------------------------------------


def test_dec2float_snippet_global(prep_conn: Any) -> None:
    dec2float = ext.new_type(
        ext.DECIMAL.values,
        "DEC2FLOAT",
        lambda value, curs: float(value) if value is not None else None,
    )
    ext.register_type(dec2float)
    for value in three_ways(prep_conn, "1.25::numeric"):
        assert value == 1.25 and type(value) is float
    assert three_ways(prep_conn, "null::numeric") == [None, None, None]


def test_per_connection_caster_leaves_other_connections_alone(prep_conn: Any, dsn: str) -> None:
    ext.register_type(ext.new_type((23,), "INT_AS_STR", lambda v, c: f"<{v}>"), prep_conn)
    assert three_ways(prep_conn, "42") == ["<42>", "<42>", "<42>"]
    with pgdbapi.connect(dsn) as other:
        cur = other.cursor()
        cur.execute("select 42")
        assert cur.fetchone()[0] == 42


def test_cursor_scope_registers_on_its_connection(prep_conn: Any) -> None:
    cur = prep_conn.cursor()
    ext.register_type(ext.new_type((25,), "UPPER", lambda v, c: v.upper()), cur)
    cur.execute("select 'abc'::text")
    assert cur.fetchone()[0] == "ABC"


def test_connection_caster_wins_over_global(prep_conn: Any) -> None:
    ext.register_type(ext.new_type((23,), "G", lambda v, c: "global"))
    ext.register_type(ext.new_type((23,), "C", lambda v, c: "conn"), prep_conn)
    assert three_ways(prep_conn, "1") == ["conn"] * 3


def test_global_registration_reaches_statements_already_prepared(prep_conn: Any) -> None:
    assert three_ways(prep_conn, "7") == [7, 7, 7]
    assert len(prep_conn.prepared_statements) == 1
    ext.register_type(ext.new_type((23,), "BANG", lambda v, c: v + "!"))
    assert three_ways(prep_conn, "7") == ["7!"] * 3
    assert len(prep_conn.prepared_statements) == 1  # rebuilt decoders, not re-prepared


def test_editing_string_types_directly_reaches_prepared_statements(prep_conn: Any) -> None:
    caster = ext.new_type((23,), "BANG", lambda v, c: v + "!")
    ext.string_types[23] = caster  # psycopg2 code does this too
    assert three_ways(prep_conn, "7") == ["7!"] * 3
    del ext.string_types[23]
    assert three_ways(prep_conn, "7") == [7, 7, 7]
    ext.string_types.update({23: caster})
    assert three_ways(prep_conn, "7") == ["7!"] * 3
    ext.string_types.pop(23)
    assert three_ways(prep_conn, "7") == [7, 7, 7]


def test_caster_for_unknown_oid_type(prep_conn: Any) -> None:
    prep_conn.cursor().execute("select 1")  # warm up
    oid = _scalar(prep_conn, "select 'point'::regtype::oid")
    ext.register_type(ext.new_type((oid,), "POINT", _cast_point), prep_conn)
    assert three_ways(prep_conn, "point(1.5, -2)") == [(1.5, -2.0)] * 3


def _cast_point(value: str | None, cur: Any) -> Any:
    if value is None:
        return None
    x, y = value.strip("()").split(",")
    return (float(x), float(y))


def _scalar(conn: Any, sql: str) -> Any:
    cur = conn.cursor()
    cur.execute(sql)
    return cur.fetchone()[0]


def test_new_array_type(prep_conn: Any) -> None:
    point_oid, array_oid = prep_conn.cursor(), None
    cur = prep_conn.cursor()
    cur.execute("select oid, typarray from pg_type where typname = 'point'")
    point_oid, array_oid = cur.fetchone()
    point = ext.new_type((point_oid,), "POINT", _cast_point)
    ext.register_type(point, prep_conn)
    ext.register_type(ext.new_array_type((array_oid,), "POINT[]", point), prep_conn)
    got = three_ways(prep_conn, "array[point(1,2), null, point(3,4)]")
    assert got == [[(1.0, 2.0), None, (3.0, 4.0)]] * 3


def test_array_caster_over_builtin_binary_array(prep_conn: Any) -> None:
    int_caster = ext.new_type((23,), "I", lambda v, c: int(v) * 10)
    ext.register_type(ext.new_array_type((1007,), "I[]", int_caster), prep_conn)
    assert three_ways(prep_conn, "'{{1,2},{NULL,4}}'::int4[]") == [[[10, 20], [None, 40]]] * 3


def test_castfunc_error_is_data_error(prep_conn: Any) -> None:
    ext.register_type(ext.new_type((25,), "BAD", lambda v, c: 1 / 0), prep_conn)
    cur = prep_conn.cursor()
    with pytest.raises(DataError):
        cur.execute("select 'x'::text")
    cur.execute("select 1")  # the connection is still in sync
    assert cur.fetchone()[0] == 1


def test_register_type_rejects_non_caster() -> None:
    with pytest.raises(TypeError):
        ext.register_type(lambda v, c: v)  # type: ignore[arg-type]


# Binary results reach a caster as the text the server would have sent.
TEXT_SAME_EXPRS = [
    "true",
    "false",
    "(-32768)::int2",
    "2147483647::int4",
    "(-9223372036854775808)::int8",
    "4294967295::oid",
    "1.5::float4",
    "'NaN'::float8",
    "'-Infinity'::float8",
    "0.1::float8",
    "123.0::float8",
    "1e15::float8",
    "(-1.5e15)::float8",
    "1e16::float8",
    "0.0001::float8",
    "0.00001234::float8",
    "1e300::float8",
    "'-0'::float8",
    "1e6::float4",
    "123456::float4",
    "1.5e-7::float4",
    "(-3.4e38)::float4",
    "1.000::numeric",
    "(-0.00000000000000000001)::numeric",
    "123456789012345678901234567890.5::numeric",
    "'NaN'::numeric",
    "'héllo \"w\"'::text",
    "'ab  '::char(4)",
    "'x'::\"char\"",
    "'\\x00ff10'::bytea",
    "'2024-02-29'::date",
    "'infinity'::date",
    "'-infinity'::timestamp",
    "'0099-01-01'::date",
    "'12:34:56.5'::time",
    "'00:00:00'::time",
    "'12:34:56.000001+05:30'::timetz",
    "'12:34:56-08'::timetz",
    "'2024-01-02 03:04:05.25'::timestamp",
    "'2024-01-02 03:04:05+00'::timestamptz",
    "'1 year 2 mons 3 days 04:05:06.7'::interval",
    "'-1 years -2 mons +3 days -04:05:06'::interval",
    "'1 mon -1 days +00:00:00.000001'::interval",
    "'0'::interval",
    "'-3 days'::interval",
    "'10 days 25:00:00'::interval",
    "'7e4b0a2c-3e6c-4d1e-9f5e-0a1b2c3d4e5f'::uuid",
    "'{\"a\": [1, 2]}'::json",
    '\'{"b": 1, "a": [1, 2]}\'::jsonb',
    "array[1,null,3]::int4[]",
    '\'{{"a b","NULL"},{"",NULL}}\'::text[]',
    '\'{"x\\\\\\\\y","q\\""}\'::text[]',
    "'[0:1]={1.5,2.5}'::numeric[]",
    "'{}'::int4[]",
    "array['2024-01-02 03:04:05+00'::timestamptz]",
    "'[1,5)'::int4range",
    "'empty'::int8range",
    "'(,3]'::int4range",
    "'(1.5,2.5]'::numrange",
    "'[2024-01-01,infinity)'::daterange",
    "'[\"2024-01-01 00:00:00+00\",)'::tstzrange",
    '\'["2024-01-01 00:00:00","2024-01-02 00:00:00"]\'::tsrange',
    "'{[1,3),[5,7)}'::int4multirange",
    "'{}'::nummultirange",
    "'{\"[1,2)\",empty}'::int4range[]",
    "'192.168.1.5/24'::inet",
    "'10.0.0.0/8'::cidr",
    "'08:00:2b:01:02:03'::macaddr",
    "B'1011'::varbit",
    "'1/ABCD'::pg_lsn",
    "'(3,4)'::tid",
    "pg_sleep(0)",
    "pg_current_snapshot()",
    "txid_current_snapshot()",
    "'08:00:2b:01:02:03:04:05'::macaddr8",
    "B'101'::bit(3)",
    "'<a/>'::xml",
    "'$.a'::jsonpath",
    "'::1'::inet",
]


@pytest.mark.parametrize("expr", TEXT_SAME_EXPRS)
def test_binary_results_reach_casters_as_server_text(prep_conn: Any, expr: str) -> None:
    cur = prep_conn.cursor()
    cur.execute("set timezone to 'Asia/Kolkata'")
    cur.execute(f"select pg_typeof({expr})::regtype::oid")
    oid = cur.fetchone()[0]
    ext.register_type(ext.new_type((oid,), "IDENTITY", identity), prep_conn)
    simple, extended, prepared = three_ways(prep_conn, expr)
    assert isinstance(simple, str)
    assert simple == extended == prepared


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    value=st.one_of(
        st.floats(allow_nan=False).map(lambda f: (f, "float8")),
        st.floats(width=32, allow_nan=False).map(lambda f: (f, "float4")),
        st.decimals(allow_nan=False, allow_infinity=False, places=None).map(
            lambda d: (d, "numeric")
        ),
        st.integers(-(2**63), 2**63 - 1).map(lambda i: (i, "int8")),
        st.datetimes().map(lambda t: (t, "timestamp")),
        st.timedeltas(
            min_value=dt.timedelta(days=-(10**6)), max_value=dt.timedelta(days=10**6)
        ).map(lambda t: (t, "interval")),
        st.text(st.characters(exclude_characters="\x00"), max_size=20).map(
            lambda t: ([t, None], "text[]")
        ),
    )
)
def test_binary_text_matches_server_text_property(prep_conn: Any, value: Any) -> None:
    """Whatever the value, a caster sees the same text from a binary result."""
    v, typname = value
    oid = _scalar(prep_conn, f"select '{typname}'::regtype::oid")
    ext.register_type(ext.new_type((oid,), "IDENTITY", identity), prep_conn)
    cur = prep_conn.cursor()
    got = []
    for _ in range(3):
        cur.execute(f"select %s::{typname}", (v,))
        got.append(cur.fetchone()[0])
    text, from_binary = got[0], got[2]  # first extended run (text), prepared (binary)
    if typname.startswith("float"):
        # the shortest round-trip digits; rarely not the server's (6.9748497004118944e+16
        # is 6.974849700411894e+16 in Python): the same float either way
        assert float(text) == float(from_binary)
    else:
        assert text == from_binary


def test_binary_to_text_rejects_garbage(prep_conn: Any) -> None:
    with pytest.raises(DataError):
        adapters.binary_to_text(1186, b"\x00\x01", prep_conn._proto.ctx)


def test_builtin_casters_decode_like_pgdbapi() -> None:
    assert ext.DECIMAL("1.50", None) == Decimal("1.50")
    assert ext.BOOLEAN("t", None) is True
    assert ext.INTEGER(None, None) is None
    assert 1700 in ext.DECIMAL.values
    assert ext.DATE == 1082 and 1082 == ext.DATE and ext.DATE != 1083
    assert ext.INTEGER == 21 and ext.INTEGER != ext.LONGINTEGER


# --- adapters ----------------------------------------------------------------------------


class Point:
    def __init__(self, x: float, y: float) -> None:
        self.x, self.y = x, y


class PointAdapter:
    def __init__(self, point: Point) -> None:
        self.point = point

    def getquoted(self) -> bytes:
        x = ext.adapt(self.point.x).getquoted()
        y = ext.adapt(self.point.y).getquoted()
        return b"point(%s, %s)" % (x, y)


def test_register_adapter_snippet_goes_client_side(conn: Any) -> None:
    ext.register_adapter(Point, PointAdapter)
    cur = conn.cursor()
    cur.execute("select %s::text, %s", (Point(1.5, -2), 7))
    assert cur.fetchone() == ("(1.5,-2)", 7)
    assert cur.mogrify("select %s", (Point(1, 2),)) == b"select point(1, 2)"


class PreparedPointAdapter(PointAdapter):
    """Records the connection psycopg2's protocol hands to ``prepare`` before getquoted."""

    seen: list[Any] = []

    def prepare(self, conn: Any) -> None:
        self.seen.append(conn)
        self.conn = conn

    def getquoted(self) -> bytes:
        assert self.conn is not None  # prepare came first
        return super().getquoted()


def test_adapter_prepare_gets_the_connection_before_getquoted(conn: Any) -> None:
    PreparedPointAdapter.seen = []
    ext.register_adapter(Point, PreparedPointAdapter)
    cur = conn.cursor()
    cur.execute("select %s::text", (Point(1, 2),))
    assert cur.fetchone()[0] == "(1,2)"
    assert cur.mogrify("select %s", (Point(3, 4),)) == b"select point(3, 4)"
    cur.execute("select %s::text", ((Point(0, 0), Point(5, 5)),))  # a tuple of adapted values
    assert cur.fetchone()[0] == '("(0,0)","(5,5)")'
    assert PreparedPointAdapter.seen == [conn] * 4


def test_adapter_for_a_subclass_through_the_mro(conn: Any) -> None:
    class SubPoint(Point):
        pass

    ext.register_adapter(Point, PointAdapter)
    cur = conn.cursor()
    cur.execute("select %s::text", (SubPoint(3, 4),))
    assert cur.fetchone()[0] == "(3,4)"


def test_executemany_with_a_client_side_adapter(conn: Any) -> None:
    ext.register_adapter(Point, PointAdapter)
    cur = conn.cursor()
    cur.execute("create temp table pts (p point)")
    cur.executemany("insert into pts values (%s)", [(Point(1, 1),), (Point(2, 2),)])
    cur.execute("select count(*) from pts")
    assert cur.fetchone()[0] == 2


def test_server_binding_refuses_a_literal_only_adapter(dsn: str) -> None:
    ext.register_adapter(Point, PointAdapter)
    with pgdbapi.connect(dsn, binding="server") as conn:
        with pytest.raises(ProgrammingError, match="no server-side parameter form"):
            conn.cursor().execute("select %s", (Point(1, 1),))


def test_asis_quotedstring_binary(conn: Any) -> None:
    cur = conn.cursor()
    cur.execute(
        "select %s, %s, %s, %s",
        (ext.AsIs("1 + 1"), ext.QuotedString("it's"), ext.Binary(b"\x00\x01"), ext.AsIs(None)),
    )
    assert cur.fetchone() == (2, "it's", b"\x00\x01", None)
    assert ext.QuotedString("it's").getquoted() == b"'it''s'"
    assert ext.AsIs(42).getquoted() == b"42"


def test_quotedstring_and_binary_stay_server_side(prep_conn: Any) -> None:
    cur = prep_conn.cursor()
    for _ in range(3):  # prepared after the first: a bound parameter, not inlined
        cur.execute("select %s || 'x', length(%s)", (ext.QuotedString("a"), ext.Binary(b"abc")))
        assert cur.fetchone() == ("ax", 3)
    assert len(prep_conn.prepared_statements) == 1


def test_adapt_builtins_and_unknown() -> None:
    assert ext.adapt(42).getquoted() == b"42"
    assert ext.adapt("O'Reilly").getquoted() == b"'O''Reilly'"
    assert ext.adapt(None).getquoted() == b"NULL"
    with pytest.raises(ProgrammingError, match="can't adapt"):
        ext.adapt(object())


def test_conform_protocol(conn: Any) -> None:
    class Answer:
        def __conform__(self, proto: Any) -> Any:
            if proto is ext.ISQLQuote:
                return ext.AsIs(42)
            return None

    cur = conn.cursor()
    cur.execute("select %s", (Answer(),))
    assert cur.fetchone()[0] == 42
    assert cur.mogrify("select %s", (Answer(),)) == b"select 42"


def test_adapter_overrides_a_builtin_type(conn: Any) -> None:
    ext.register_adapter(float, lambda f: ext.AsIs(repr(f) + "::numeric"))
    cur = conn.cursor()
    cur.execute("select %s", (0.1,))
    assert cur.fetchone()[0] == Decimal("0.1")


def test_adapters_registry_is_psycopg2_shaped() -> None:
    ext.register_adapter(Point, PointAdapter)
    assert ext.adapters[(Point, ext.ISQLQuote)] is PointAdapter


# --- enums and domains -------------------------------------------------------------------


@pytest.fixture
def mood_conn(prep_conn: Any) -> Any:
    cur = prep_conn.cursor()
    cur.execute("drop type if exists mood cascade")
    cur.execute("create type mood as enum ('sad', 'ok', 'happy')")
    yield prep_conn
    cur.execute("drop type if exists mood cascade")


class Mood(enum.Enum):
    sad = 1
    ok = 2
    happy = 3


def test_enum_is_str_by_default(mood_conn: Any) -> None:
    assert three_ways(mood_conn, "'ok'::mood") == ["ok"] * 3
    assert three_ways(mood_conn, "array['ok', 'sad']::mood[]") == ["{ok,sad}"] * 3


def test_register_enum_both_ways(mood_conn: Any) -> None:
    adapters.register_enum("mood", mood_conn, Mood)
    assert three_ways(mood_conn, "'happy'::mood") == [Mood.happy] * 3
    assert three_ways(mood_conn, "array['ok', null]::mood[]") == [[Mood.ok, None]] * 3
    cur = mood_conn.cursor()
    for _ in range(3):
        cur.execute("select %s, %s = 'sad'::mood", (Mood.happy, Mood.sad))
        assert cur.fetchone() == (Mood.happy, True)
    assert cur.mogrify("select %s", (Mood.ok,)) == b"select 'ok'"


def test_register_enum_builds_a_class(mood_conn: Any) -> None:
    caster = adapters.register_enum("mood", mood_conn)
    value = three_ways(mood_conn, "'sad'::mood")[0]
    assert isinstance(value, enum.Enum) and value.name == "sad"
    assert caster.values == (_scalar(mood_conn, "select 'mood'::regtype::oid"),)


def test_register_enum_checks_members_and_kind(mood_conn: Any) -> None:
    class Partial(enum.Enum):
        sad = 1

    with pytest.raises(ProgrammingError, match="no member"):
        adapters.register_enum("mood", mood_conn, Partial)
    with pytest.raises(ProgrammingError, match="not an enum"):
        adapters.register_enum("int4", mood_conn, Mood)
    with pytest.raises(ProgrammingError, match="not found"):
        adapters.register_enum("no_such_type", mood_conn, Mood)


def test_type_lookup_cached_per_connection_and_refreshed(mood_conn: Any) -> None:
    info = adapters.fetch_type_info(mood_conn, "mood")
    assert adapters.fetch_type_info(mood_conn, "mood") is info  # no second query
    cur = mood_conn.cursor()
    cur.execute("drop type mood")
    cur.execute("create type mood as enum ('sad', 'ok', 'happy')")
    cur.execute("discard all")  # what a pooler does between clients
    fresh = adapters.fetch_type_info(mood_conn, "mood", refresh=True)
    assert fresh.oid != info.oid
    assert adapters.fetch_type_info(mood_conn, "mood") is fresh


def test_type_lookup_leaves_no_transaction_open(dsn: str) -> None:
    with pgdbapi.connect(dsn) as conn:
        adapters.fetch_type_info(conn, "int4")
        assert conn.get_transaction_status() == ext.TRANSACTION_STATUS_IDLE


def test_domain_decodes_as_its_base_type(prep_conn: Any) -> None:
    cur = prep_conn.cursor()
    cur.execute("drop domain if exists posint cascade")
    cur.execute("create domain posint as int4 check (value > 0)")
    try:
        cur.execute("select 5::posint")
        assert cur.description[0].type_code == 23  # RowDescription reports the base type
        assert three_ways(prep_conn, "5::posint") == [5, 5, 5]
    finally:
        cur.execute("drop domain posint")


def test_refresh_types_after_an_enum_is_recreated(mood_conn: Any) -> None:
    adapters.register_enum("mood", mood_conn, Mood)
    cur = mood_conn.cursor()
    cur.execute("drop type mood; create type mood as enum ('sad', 'ok', 'happy')")
    assert three_ways(mood_conn, "'ok'::mood") == ["ok"] * 3
    assert adapters.refresh_types(mood_conn) == ["mood"]
    assert three_ways(mood_conn, "'ok'::mood") == [Mood.ok] * 3
    for _ in range(3):
        cur.execute("select %s::text", (Mood.sad,))  # the adapter sends the new OID
        assert cur.fetchone()[0] == "sad"


def test_connection_registration_reaches_statements_already_prepared(prep_conn: Any) -> None:
    assert three_ways(prep_conn, "7") == [7, 7, 7]
    assert len(prep_conn.prepared_statements) == 1
    ext.register_type(ext.new_type((23,), "SEVEN", lambda v, c: v + "!"), prep_conn)
    assert three_ways(prep_conn, "7") == ["7!"] * 3
    assert len(prep_conn.prepared_statements) == 1  # rebuilt decoders, not re-prepared
