"""psycopg2.extras look-alike against a real server: Json/Jsonb, JSON casters, composites,
hstore and the dict / named-tuple cursors."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from decimal import Decimal
from typing import Any, Iterator

import pytest

# registrations made by a test are undone after it
from test_adapters import clean_registries  # noqa: F401

import pgdbapi
import pgdbapi.extensions as ext
import pgdbapi.extras as extras
from pgdbapi.exceptions import DataError, ProgrammingError


@pytest.fixture
def pconn(dsn: str) -> Iterator[Any]:
    """Autocommit; a statement is prepared (binary results) from its second run."""
    conn = pgdbapi.connect(dsn, prepare_threshold=1)
    conn.autocommit = True
    yield conn
    conn.close()


def runs(conn: Any, sql: str, params: Any = None, times: int = 3) -> list[tuple[Any, ...]]:
    """The first row of ``sql`` on each of ``times`` runs (text first, then prepared)."""
    cur = conn.cursor()
    out = []
    for _ in range(times):
        cur.execute(sql, params)
        out.append(cur.fetchone())
    return out


# --- JSON --------------------------------------------------------------------------------


def test_json_wrapper_server_and_client_side(pconn: Any) -> None:
    value = {"a": [1, 2.5, None], "é": "x'y"}
    for row in runs(pconn, "select %s::jsonb, %s::json", (extras.Json(value), extras.Json(value))):
        assert row == (value, value)
    cur = pconn.cursor()
    cur.execute("select %s::jsonb where 1 in %s", (extras.Json(value), (1, 2)))  # inlined
    assert cur.fetchone()[0] == value
    assert cur.mogrify("select %s", (extras.Json([1]),)) == b"select '[1]'"


def test_json_into_json_and_jsonb_columns_and_operators(pconn: Any) -> None:
    cur = pconn.cursor()
    cur.execute("create temp table docs (j json, b jsonb)")
    cur.execute("insert into docs values (%s, %s)", (extras.Json({"k": 1}), extras.Json({"k": 2})))
    cur.execute("select j->>'k', b->>'k' from docs where b @> %s", (extras.Json({"k": 2}),))
    assert cur.fetchone() == ("1", "2")


def test_jsonb_wrapper_is_typed(pconn: Any) -> None:
    for row in runs(pconn, "select %s, pg_typeof(%s)::text", (extras.Jsonb([1]), extras.Jsonb(2))):
        assert row == ([1], "jsonb")
    assert pconn.cursor().mogrify("select %s", (extras.Jsonb({}),)) == b"select '{}'::jsonb"


def test_json_custom_dumps_argument_and_subclass(pconn: Any) -> None:
    def dumps(obj: Any) -> str:
        return json.dumps(obj, default=str)

    class DecimalJson(extras.Json):
        def dumps(self, obj: Any) -> str:
            return json.dumps(obj, default=lambda d: float(d))

    rows = runs(
        pconn,
        "select %s::jsonb, %s::jsonb",
        (extras.Json({"d": Decimal("1.5")}, dumps=dumps), DecimalJson([Decimal("2.5")])),
    )
    assert rows[-1] == ({"d": "1.5"}, [2.5])


def test_register_adapter_dict_json_snippet(pconn: Any) -> None:
    ext.register_adapter(dict, extras.Json)
    for row in runs(pconn, "select %s::jsonb", ({"x": 1},)):
        assert row == ({"x": 1},)


def test_register_default_jsonb_custom_loads_per_connection(pconn: Any, dsn: str) -> None:
    extras.register_default_jsonb(pconn, loads=lambda s: ("loaded", json.loads(s)))
    for row in runs(pconn, """select '{"a":1}'::jsonb, array['[1]'::jsonb]"""):
        assert row == (("loaded", {"a": 1}), [("loaded", [1])])
    assert runs(pconn, "select '[1]'::json")[-1] == ([1],)  # json untouched
    with pgdbapi.connect(dsn) as other:
        assert runs(other, "select '[1]'::jsonb", times=1) == [([1],)]


def test_register_default_json_globally(pconn: Any) -> None:
    extras.register_default_json(loads=lambda s: s)  # no connection: global, as psycopg2
    for row in runs(pconn, """select '{"a": 1}'::json"""):
        assert row == ('{"a": 1}',)


def test_register_json_by_name(pconn: Any) -> None:
    caster, array_caster = extras.register_json(pconn, name="jsonb", loads=lambda s: len(s))
    assert caster.values == (3802,) and array_caster.values == (3807,)
    assert runs(pconn, "select '[1, 2]'::jsonb")[-1] == (6,)


# --- composites --------------------------------------------------------------------------


@pytest.fixture
def card_conn(pconn: Any) -> Iterator[Any]:
    cur = pconn.cursor()
    cur.execute("drop type if exists hand cascade; drop type if exists card cascade")
    cur.execute("create type card as (value int4, suit text, note text)")
    cur.execute("create type hand as (owner text, cards card[], best card)")
    yield pconn
    cur.execute("drop type if exists hand cascade; drop type if exists card cascade")


def test_register_composite_named_tuple(card_conn: Any) -> None:
    caster = extras.register_composite("card", card_conn)
    assert caster.attnames == ["value", "suit", "note"]
    assert caster.atttypes == [23, 25, 25]
    for (card,) in runs(card_conn, """select (8, 'he"a,rts', null)::card"""):
        assert card == (8, 'he"a,rts', None)
        assert card.value == 8 and card.suit == 'he"a,rts' and card.note is None
        assert type(card) is caster.type


def test_composite_empty_string_versus_null(card_conn: Any) -> None:
    extras.register_composite("card", card_conn)
    assert runs(card_conn, "select (1, '', null)::card")[-1][0] == (1, "", None)
    assert runs(card_conn, "select null::card")[-1] == (None,)


def test_composite_arrays_and_nesting(card_conn: Any) -> None:
    card = extras.register_composite("card", card_conn).type
    extras.register_composite("hand", card_conn)
    sql = """select array[(1,'a','x y')::card, null, (2,'b\\c',null)::card],
                    ('me', array[(3,'c',null)::card], (4,'d','(z)')::card)::hand"""
    for cards, hand in runs(card_conn, sql):
        assert cards == [card(1, "a", "x y"), None, card(2, "b\\c", None)]
        assert hand.owner == "me"
        assert hand.cards == [card(3, "c", None)]
        assert hand.best == card(4, "d", "(z)")


def test_composite_factory_class_and_caster_subclass(card_conn: Any) -> None:
    @dataclasses.dataclass
    class Card:
        value: int
        suit: str
        note: str | None

    extras.register_composite("card", card_conn, factory=Card)
    assert runs(card_conn, "select (9, 's', 'n')::card")[-1] == (Card(9, "s", "n"),)

    class DictComposite(extras.CompositeCaster):
        def make(self, values: list[Any]) -> Any:
            return dict(zip(self.attnames, values))

    extras.register_composite("card", card_conn, factory=DictComposite)
    assert runs(card_conn, "select (9, 's', 'n')::card")[-1] == (
        {"value": 9, "suit": "s", "note": "n"},
    )


def test_register_composite_globally(card_conn: Any, dsn: str) -> None:
    extras.register_composite("card", card_conn, globally=True)
    with pgdbapi.connect(dsn) as other:
        assert runs(other, "select (1, 'a', 'b')::card", times=1)[0][0].suit == "a"


def test_composite_attributes_of_domain_types_and_schema_names(pconn: Any) -> None:
    cur = pconn.cursor()
    cur.execute("drop schema if exists shop cascade; create schema shop")
    cur.execute("create domain shop.price as numeric(10, 2) check (value >= 0)")
    cur.execute("create type shop.item as (label text, price shop.price, at date)")
    try:
        caster = extras.register_composite("shop.item", pconn)
        assert caster.name == "item" and caster.schema == "shop"
        row = runs(pconn, "select ('pen', 1.5, '2024-01-02')::shop.item")[-1][0]
        assert row == ("pen", Decimal("1.50"), dt.date(2024, 1, 2))
        assert type(row).__name__ == "item"
    finally:
        cur.execute("drop schema shop cascade")


def test_register_composite_refuses_non_composites(card_conn: Any) -> None:
    with pytest.raises(ProgrammingError, match="not a composite"):
        extras.register_composite("int4", card_conn)
    with pytest.raises(ProgrammingError, match="not found"):
        extras.register_composite("nope", card_conn)


def test_composite_insert_with_a_tuple_then_read_back(card_conn: Any) -> None:
    extras.register_composite("card", card_conn)
    cur = card_conn.cursor()
    cur.execute("create temp table deck (c card)")
    cur.execute("insert into deck values (%s)", ((5, "spades", None),))  # psycopg2: ROW-like
    cur.execute("select c from deck")
    assert cur.fetchone()[0] == (5, "spades", None)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("()", [None]),
        ("(,)", [None, None]),
        ('("")', [""]),
        ('("a""b",c)', ['a"b', "c"]),
        ('("x\\\\y",)', ["x\\y", None]),
        ('(" ",1)', [" ", "1"]),
    ],
)
def test_parse_record(text: str, expected: list[Any]) -> None:
    assert extras.parse_record(text) == expected


def test_parse_record_rejects_garbage() -> None:
    with pytest.raises(DataError):
        extras.parse_record("no parens")


# --- hstore ------------------------------------------------------------------------------


@pytest.fixture
def hstore_conn(pconn: Any) -> Any:
    cur = pconn.cursor()
    try:
        cur.execute("create extension if not exists hstore")
    except pgdbapi.Error as exc:
        pytest.skip(f"the hstore extension cannot be created here: {exc}")
    return pconn


def test_hstore_both_ways(hstore_conn: Any) -> None:
    extras.register_hstore(hstore_conn)
    value = {"a": "1", "b c": 'q"u\\ote', "n": None, "é": ""}
    for got, echoed in runs(hstore_conn, "select %s::hstore, %s", (value, value)):
        assert got == value and echoed == value
    assert runs(hstore_conn, "select array['a=>1'::hstore, null]")[-1] == ([{"a": "1"}, None],)
    cur = hstore_conn.cursor()
    assert cur.mogrify("select %s", ({"k": "v"},)) == b"""select '"k"=>"v"'::hstore"""


def test_hstore_refuses_non_str(hstore_conn: Any) -> None:
    extras.register_hstore(hstore_conn)
    with pytest.raises(DataError):
        hstore_conn.cursor().execute("select %s", ({"k": 1},))


def test_register_hstore_without_the_extension(pconn: Any) -> None:
    pconn.cursor().execute("set search_path to pg_catalog")  # hides it if installed
    with pytest.raises(ProgrammingError, match="CREATE EXTENSION hstore"):
        extras.register_hstore(pconn)


def test_parse_hstore() -> None:
    assert extras.parse_hstore('"a"=>"1", "b"=>NULL') == {"a": "1", "b": None}
    assert extras.parse_hstore("") == {}
    with pytest.raises(DataError):
        extras.parse_hstore('"a"=')


# --- cursors -----------------------------------------------------------------------------


def test_dict_cursor(pconn: Any) -> None:
    cur = pconn.cursor(cursor_factory=extras.DictCursor)
    cur.execute("select 1 as a, 'x' as b union all select 2, 'y'")
    row = cur.fetchone()
    assert row["a"] == 1 and row[1] == "x" and row == [1, "x"]
    assert list(row.keys()) == ["a", "b"] and dict(row.items()) == {"a": 1, "b": "x"}
    assert row.get("nope", 5) == 5 and "a" in row
    assert [r["b"] for r in cur.fetchall()] == ["y"]


def test_real_dict_cursor_via_connection_factory(dsn: str) -> None:
    with pgdbapi.connect(dsn, cursor_factory=extras.RealDictCursor) as conn:
        cur = conn.cursor()
        cur.execute("select 1 as a, 2 as b")
        assert cur.fetchall() == [{"a": 1, "b": 2}]
        cur.execute("select 3 as c")
        row = next(iter(cur))
        assert isinstance(row, extras.RealDictRow) and row == {"c": 3}


def test_named_tuple_cursor(pconn: Any) -> None:
    cur = pconn.cursor(cursor_factory=extras.NamedTupleCursor)
    cur.execute('select 1 as a, 2 as "not valid", 3 as a2')
    row = cur.fetchone()
    assert row.a == 1 and row.a2 == 3 and row == (1, 2, 3)
    cur.execute("select 5 as z from generate_series(1, 3)")
    assert [r.z for r in cur.fetchmany(2)] == [5, 5]
    assert cur.fetchone().z == 5 and cur.fetchone() is None


@pytest.mark.parametrize(
    "factory, first",
    [
        (extras.DictCursor, lambda r: r["n"]),
        (extras.RealDictCursor, lambda r: r["n"]),
        (extras.NamedTupleCursor, lambda r: r.n),
    ],
)
def test_row_factories_on_named_cursors(dsn: str, factory: Any, first: Any) -> None:
    with pgdbapi.connect(dsn) as conn:
        cur = conn.cursor("srv", cursor_factory=factory)
        assert isinstance(cur, factory) and isinstance(cur, pgdbapi.NamedCursor)
        cur.itersize = 2
        cur.execute("select n from generate_series(1, 5) n")
        assert first(cur.fetchone()) == 1
        assert [first(r) for r in cur.fetchmany(2)] == [2, 3]
        assert [first(r) for r in cur] == [4, 5]
        cur.close()


# --- psycopg2 code runs unchanged --------------------------------------------------------


def psycopg2_snippet(psycopg2: Any, extensions: Any, extras_mod: Any, dsn: str) -> list[Any]:
    """Code written for psycopg2, run with psycopg2 itself and with pgdbapi in its place."""

    class Pt:
        def __init__(self, x: int, y: int) -> None:
            self.x, self.y = x, y

    conn = psycopg2.connect(dsn)
    conn.autocommit = True
    out: list[Any] = []
    try:
        cur = conn.cursor()
        cur.execute("drop type if exists compat_pair cascade")
        cur.execute("create type compat_pair as (a int4, b text)")
        dec2float = extensions.new_type(
            extensions.DECIMAL.values, "DEC2FLOAT", lambda v, c: float(v) if v is not None else None
        )
        extensions.register_type(dec2float, conn)
        extras_mod.register_composite("compat_pair", conn)
        extras_mod.register_default_jsonb(conn, loads=lambda s: {"raw": s})
        extensions.register_adapter(Pt, lambda p: extensions.AsIs(f"point({p.x}, {p.y})"))
        cur.execute(
            "select 1.5::numeric, (1, 'x y')::compat_pair, %s::json, %s::text, %s, %s, %s",
            (extras_mod.Json({"a": [1]}), Pt(1, 2), extensions.AsIs("2 + 2"), None, "q'"),
        )
        row = cur.fetchone()
        out += [row[0], tuple(row[1]), row[1].b, *row[2:]]
        cur.execute("select '[1]'::jsonb, array[(2, null)::compat_pair]")
        out.append(cur.fetchone())
        for factory in (extras_mod.DictCursor, extras_mod.RealDictCursor):
            dcur = conn.cursor(cursor_factory=factory)
            dcur.execute("select 1 as x, 'y' as z")
            drow = dcur.fetchone()
            out += [drow["x"], drow["z"], dict(drow)]
        ncur = conn.cursor(cursor_factory=extras_mod.NamedTupleCursor)
        ncur.execute("select 1 as x, 'y' as z")
        out.append(ncur.fetchone()._asdict())
        out.append(extensions.adapt("O'Reilly").getquoted())
        out.append(extensions.QuotedString("it's").getquoted())
        out.append(extensions.AsIs(None).getquoted())
        cur.execute("drop type compat_pair")
    finally:
        conn.close()
    return out


def test_psycopg2_snippet_gives_the_same_results(dsn: str) -> None:
    pytest.importorskip("psycopg2")
    import psycopg2
    import psycopg2.extensions
    import psycopg2.extras

    expected = psycopg2_snippet(psycopg2, psycopg2.extensions, psycopg2.extras, dsn)
    got = psycopg2_snippet(pgdbapi, ext, extras, dsn)
    assert got == expected


def test_pooler_discard_all_and_recreated_types(card_conn: Any) -> None:
    card = extras.register_composite("card", card_conn).type
    cur = card_conn.cursor()
    for _ in range(3):  # prepared, then the server forgets it: the caster stays ours
        cur.execute("select %s::card", ("(1,a,b)",))
        assert cur.fetchone()[0] == card(1, "a", "b")
        cur.execute("discard all")
    cur.execute("drop type hand; drop type card; create type card as (value int4, suit text)")
    cur.execute("select (2, 's')::card")
    assert cur.fetchone()[0] == "(2,s)"  # a new OID: unknown, so str until refreshed
    assert extras.refresh_types(card_conn) == ["card"]
    cur.execute("select (2, 's')::card")
    assert cur.fetchone()[0] == (2, "s") and cur.fetchone() is None


# --- batch helpers -----------------------------------------------------------------------


def test_execute_values_pages_and_fetch(pconn: Any) -> None:
    cur = pconn.cursor()
    cur.execute("create temp table ev (id int4, name text, pct text)")
    rows = [(i, f"n'{i}", None) for i in range(7)]
    got = extras.execute_values(
        cur,
        "insert into ev values %s returning id, '100%%'",
        rows,
        page_size=3,
        fetch=True,
    )
    assert got == [(i, "100%") for i in range(7)]
    cur.execute("select * from ev order by id")
    assert cur.fetchall() == rows
    extras.execute_values(cur, "insert into ev (id) values %s", [(10,), (11,)], template="(%s + 1)")
    cur.execute("select count(*) from ev where id in (11, 12)")
    assert cur.fetchone()[0] == 2
    with pytest.raises(ProgrammingError, match="more than one"):
        extras.execute_values(cur, "select %s, %s", [(1,)])
    with pytest.raises(ProgrammingError, match="doesn't contain"):
        extras.execute_values(cur, "select 1", [(1,)])


def test_execute_batch(pconn: Any) -> None:
    cur = pconn.cursor()
    cur.execute("create temp table eb (id int4, j jsonb)")
    extras.execute_batch(
        cur,
        "insert into eb values (%s, %s)",
        [(i, extras.Json([i])) for i in range(5)],
        page_size=2,
    )
    cur.execute("select id, j from eb order by id")
    assert cur.fetchall() == [(i, [i]) for i in range(5)]


def test_register_uuid_is_harmless(pconn: Any) -> None:
    import uuid

    assert extras.register_uuid().values == (2950,)
    u = uuid.uuid4()
    assert runs(pconn, "select %s", (u,))[-1] == (u,)


def test_executemany_and_named_cursors_with_adapted_values(pconn: Any) -> None:
    cur = pconn.cursor()
    cur.execute("create temp table em (j jsonb, b bytea)")
    cur.executemany(
        "insert into em values (%s, %s)",
        [(extras.Json({"i": i}), ext.Binary(bytes([i]))) for i in range(3)],
    )
    assert cur.rowcount == 3
    pconn.autocommit = False
    named = pconn.cursor("em_cur")
    named.execute("select j, b from em where j @> %s order by b", (extras.Jsonb({"i": 1}),))
    assert named.fetchall() == [({"i": 1}, b"\x01")]
    named.close()
    pconn.rollback()
