"""pgdbapi.pyformat: psycopg2's placeholders, the statement analysis, both binding paths."""

from __future__ import annotations

from collections import OrderedDict, UserList, namedtuple
from decimal import Decimal
from types import MappingProxyType

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pgdbapi._codec_contract import Encoded
from pgdbapi.exceptions import DataError, ProgrammingError
from pgdbapi.literals import quote
from pgdbapi.pyformat import (
    ParsedQuery,
    client_sql,
    needs_client_binding,
    parse_query,
    server_params,
)

# --- placeholders ------------------------------------------------------------------------


def test_positional_placeholders() -> None:
    pq = parse_query("SELECT %s, %s FROM t")
    assert pq.chunks == ("SELECT ", ", ", " FROM t")
    assert pq.names == (None, None)
    assert pq.server_sql == b"SELECT $1, $2 FROM t"
    assert pq.param_keys == (0, 1)
    assert pq.slots == (0, 1)
    assert not pq.named


def test_named_placeholders_reuse_one_parameter_per_name() -> None:
    pq = parse_query("SELECT %(a)s + %(b)s + %(a)s")
    assert pq.chunks == ("SELECT ", " + ", " + ", "")
    assert pq.names == ("a", "b", "a")
    assert pq.server_sql == b"SELECT $1 + $2 + $1"
    assert pq.param_keys == ("a", "b")
    assert pq.slots == (0, 1, 0)
    assert pq.named


@pytest.mark.parametrize(
    ("query", "chunks", "server_sql"),
    [
        ("SELECT 7 %% 3", ("SELECT 7 % 3",), b"SELECT 7 % 3"),
        ("SELECT '%%s'", ("SELECT '%s'",), b"SELECT '%s'"),
        ("SELECT 7 %%%s", ("SELECT 7 %", ""), b"SELECT 7 %$1"),
        ("SELECT %s%%", ("SELECT ", "%"), b"SELECT $1%"),
        ("x LIKE 'a%%' AND y = %s", ("x LIKE 'a%' AND y = ", ""), b"x LIKE 'a%' AND y = $1"),
        ("%%%%", ("%%",), b"%%"),
    ],
)
def test_double_percent_is_a_literal_percent(
    query: str, chunks: tuple[str, ...], server_sql: bytes
) -> None:
    pq = parse_query(query)
    assert pq.chunks == chunks
    assert pq.server_sql == server_sql


@pytest.mark.parametrize(
    ("name", "query"),
    [("a b-c", "SELECT %(a b-c)s"), ("", "SELECT %()s"), ("é", "SELECT %(é)s"), ("(x", "%((x)s")],
)
def test_any_name_up_to_the_closing_parenthesis(name: str, query: str) -> None:
    assert parse_query(query).param_keys == (name,)


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ("SELECT %d", "'%d'"),
        ("SELECT %i, %s", "'%i'"),
        ("SELECT %5s", "'%5'"),
        ("SELECT %-s", "'%-'"),
        ("SELECT % s", "'% '"),
        ("SELECT %S", "'%S'"),
        ("SELECT %(name)d", "'%(name)d'"),
        ("SELECT %(name)", "'%(name)'"),
        ("SELECT %(name)r", "'%(name)r'"),
        ("SELECT 'abc%'", '"%\'"'),
        ("SELECT 1 -- 100%\n", "'%\\n'"),
    ],
)
def test_unsupported_placeholder_is_named(query: str, named: str) -> None:
    with pytest.raises(ProgrammingError, match="unsupported placeholder") as info:
        parse_query(query)
    assert named in str(info.value)


@pytest.mark.parametrize("query", ["SELECT 1 %", "%", "SELECT %%%"])
def test_lone_trailing_percent(query: str) -> None:
    with pytest.raises(ProgrammingError, match="incomplete placeholder '%' at the end"):
        parse_query(query)


def test_unclosed_name() -> None:
    with pytest.raises(ProgrammingError, match=r"incomplete placeholder '%\(name, x' .*parenth"):
        parse_query("SELECT %(name, x")


@pytest.mark.parametrize("query", ["SELECT %s, %(a)s", "SELECT %(a)s, %s", "%(a)s /* %s */"])
def test_mixing_positional_and_named_is_refused(query: str) -> None:
    with pytest.raises(ProgrammingError, match="mixes positional"):
        parse_query(query)


def test_bytes_query_is_utf8() -> None:
    from_bytes = parse_query("SELECT 'é', %s".encode())
    from_str = parse_query("SELECT 'é', %s")
    assert from_bytes == from_str
    assert from_bytes.server_sql == "SELECT 'é', $1".encode()


def test_invalid_utf8_query() -> None:
    with pytest.raises(ProgrammingError, match="not valid UTF-8"):
        parse_query(b"SELECT '\xff', %s")


def test_unencodable_query() -> None:
    with pytest.raises(ProgrammingError, match="cannot be encoded as UTF-8"):
        parse_query("SELECT '\udc80', %s")


@pytest.mark.parametrize("query", [bytearray(b"SELECT 1"), None, 42])
def test_query_must_be_str_or_bytes(query: object) -> None:
    with pytest.raises(TypeError, match="must be str or bytes"):
        parse_query(query)  # type: ignore[arg-type]


def test_parses_are_cached() -> None:
    query = "SELECT %s /* cached */"
    assert parse_query(query) is parse_query(query)


def test_huge_queries_are_parsed_uncached_but_alike() -> None:
    query = "SELECT %s" + " " * (1 << 17)
    first, second = parse_query(query), parse_query(query)
    assert first == second
    assert first is not second


# --- placeholders are found everywhere, as psycopg2 finds them ---------------------------


@pytest.mark.parametrize(
    "query",
    [
        "SELECT '%s'",
        "SELECT 'it''s %s'",
        "SELECT E'%s'",
        "SELECT e'\\'%s'",
        'SELECT "%s"',
        'SELECT "a""%s"',
        "SELECT $$%s$$",
        "SELECT $tag$ $$ %s $tag$",
        "SELECT 1 -- %s",
        "SELECT 1 -- x\r%s",  # \r ends the comment: this one is outside
        "SELECT /* %s */ 1",
        "SELECT /* /* */ %s */ 1",
        "SELECT 'unterminated %s",
        "SELECT '%(a'b)s'",  # the name swallows the quote, as in psycopg2
    ],
)
def test_placeholder_inside_literal_or_comment(query: str) -> None:
    pq = parse_query(query)
    assert len(pq.names) == 1
    inside = query != "SELECT 1 -- x\r%s"
    assert pq.analysis.placeholder_in_literal is inside
    assert pq.server_bindable is not inside


def test_placeholder_in_literal_inlines_like_psycopg2() -> None:
    pq = parse_query("SELECT 'x%sy'")
    assert pq.chunks == ("SELECT 'x", "y'")
    assert client_sql(pq, ("a",)) == b"SELECT 'x'a'y'"


@pytest.mark.parametrize(
    "query",
    [
        "SELECT 'it''s', %s",
        "SELECT '\\', %s",  # standard_conforming_strings: the backslash is a character
        "SELECT E'\\'', %s",  # E-string: \' is a quote inside
        "SELECT E'\\\\', %s",
        "SELECT E'a''b\\'c', %s",  # '' inside an E-string: the backslash still escapes
        "SELECT U&'d\\0061t', %s",
        'SELECT "a""b", %s',
        "SELECT $$ ' $$, %s",
        "SELECT $a$ $b$ ' $b$ $a$, %s",
        "SELECT a$b$, %s",  # an identifier may contain $: no dollar quote here
        "SELECT /* /* nested */ ' */ %s",
        "SELECT -- '\n %s",
        "SELECT 1-%s",
        "SELECT 1/%s",
    ],
)
def test_placeholder_after_closed_literal_or_comment(query: str) -> None:
    analysis = parse_query(query).analysis
    assert not analysis.placeholder_in_literal
    assert not analysis.multiple_statements


# --- statement analysis ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "kind"),
    [
        ("SELECT 1", "SELECT"),
        ("select 1", "SELECT"),
        ("  \n\tInsert INTO t VALUES (%s)", "INSERT"),
        ("(SELECT 1) UNION (SELECT 2)", "SELECT"),
        ("((VALUES (1)))", "VALUES"),
        ("-- hello\n/* a /* b */ c */ update t SET a = 1", "UPDATE"),
        ("WITH x AS (SELECT 1) SELECT * FROM x", "WITH"),
        ("SET search_path = %s", "SET"),
        ("show all", "SHOW"),
        ("", ""),
        ("  -- only a comment", ""),
        (";", ""),
        ("%s", ""),
        ("'a'", ""),
        ('"SELECT"', ""),
    ],
)
def test_kind(query: str, kind: str) -> None:
    assert parse_query(query).analysis.kind == kind


@pytest.mark.parametrize(
    ("query", "multiple"),
    [
        ("SELECT 1", False),
        ("SELECT 1;", False),
        ("SELECT 1;;", False),
        ("SELECT 1; ; ;\n", False),
        ("SELECT 1; -- done", False),
        ("SELECT 1; /* x */ ; -- y\n", False),
        ("SELECT ';'", False),
        ('SELECT 1 AS ";"', False),
        ("SELECT $$;$$", False),
        ("SELECT 1 -- ; SELECT 2", False),
        ("SELECT 1 /* ; SELECT 2 */", False),
        ("SELECT 1; SELECT 2", True),
        ("SELECT 1;SELECT 2;", True),
        ("SELECT 1;; SELECT 2", True),
        ("SELECT 1; %s", True),
        ("SELECT 1; 'x'", True),
        ("; SELECT 1", True),
    ],
)
def test_multiple_statements(query: str, multiple: bool) -> None:
    analysis = parse_query(query).analysis
    assert analysis.multiple_statements is multiple
    assert analysis.server_bindable is not multiple


@pytest.mark.parametrize(
    "kind", ["SELECT", "INSERT", "UPDATE", "DELETE", "MERGE", "VALUES", "TABLE", "WITH"]
)
def test_server_bindable_kinds(kind: str) -> None:
    assert parse_query(f"{kind.lower()} x = %s").server_bindable


@pytest.mark.parametrize(
    "query",
    [
        "SET search_path = %s",
        "SHOW %s",
        "CREATE TABLE t (a int DEFAULT %s)",
        "ALTER ROLE r PASSWORD %s",
        "DO $$ BEGIN END $$",
        "CALL p(%s)",
        "COPY t FROM %s",
        "EXPLAIN SELECT %s",
        "NOTIFY chan, %s",
        "",
        "%s",
    ],
)
def test_not_server_bindable(query: str) -> None:
    assert not parse_query(query).server_bindable


@pytest.mark.parametrize(
    "query",
    [
        "SELECT x IS %s",
        "SELECT x is %s",
        "SELECT x IS NOT %s",
        "SELECT x is not %s",
        "SELECT x IS /* c */ %s",
        "SELECT x IS -- c\n NOT /* d /* e */ */ %s",
        "SELECT x IS\n\tNOT\n%s",
        "SELECT x IS %(v)s",
    ],
)
def test_placeholder_after_is(query: str) -> None:
    pq = parse_query(query)
    assert pq.analysis.is_placeholder_after_is
    assert not pq.server_bindable


@pytest.mark.parametrize(
    "query",
    [
        "SELECT x IS NULL AND y = %s",
        "SELECT x IS DISTINCT FROM %s",
        "SELECT x IS NOT DISTINCT FROM %s",
        "SELECT NOT %s",
        'SELECT "IS" = %s',
        "SELECT this %s",  # a word ending in IS is not IS
        "SELECT 'IS' || %s",
    ],
)
def test_not_placeholder_after_is(query: str) -> None:
    assert not parse_query(query).analysis.is_placeholder_after_is


@pytest.mark.parametrize(
    "query",
    [
        "SELECT date %s",
        "SELECT interval %s",
        "SELECT timestamp with time zone %s",
        "SELECT int4 %s",
        'SELECT "my type" %s',
        "SELECT a%s",
    ],
)
def test_typed_literal_syntax_is_client_bound(query: str) -> None:
    pq = parse_query(query)
    assert pq.analysis.placeholder_after_type_name
    assert not pq.server_bindable


@pytest.mark.parametrize(
    "query",
    [
        "SELECT %s",
        "SELECT %s, %s",
        "SELECT (%s)",
        "SELECT f(%s, %s)",
        "SELECT ARRAY[%s]",
        "SELECT %s::int",
        "SELECT * FROM t WHERE a = %s AND b <> %s OR NOT %s",
        "SELECT * FROM t WHERE a BETWEEN %s AND %s",
        "SELECT * FROM t WHERE a BETWEEN SYMMETRIC %s AND %s",
        "SELECT * FROM t WHERE a LIKE %s ESCAPE %s",
        "SELECT * FROM t WHERE a ILIKE %s",
        "SELECT * FROM t WHERE a SIMILAR TO %s",
        "SELECT * FROM t WHERE a IS DISTINCT FROM %s",
        "SELECT CASE %s WHEN %s THEN %s ELSE %s END",
        "SELECT DISTINCT %s",
        "SELECT ALL %s",
        "SELECT * FROM t ORDER BY %s LIMIT %s OFFSET %s",
        "SELECT * FROM t OFFSET %s ROWS FETCH FIRST %s ROWS ONLY",
        "SELECT * FROM t FETCH NEXT %s ROWS ONLY",
        "SELECT a FROM t GROUP BY a HAVING count(*) > %s",
        "SELECT * FROM a JOIN b ON %s",
        "SELECT substring(%s FROM %s FOR %s)",
        "SELECT overlay(%s PLACING %s FROM %s)",
        "SELECT trim(BOTH %s FROM %s), trim(LEADING %s), trim(TRAILING %s)",
        "SELECT f(VARIADIC %s)",
        "SELECT ts AT TIME ZONE %s",
        "SELECT sum(x) OVER (ROWS %s PRECEDING)",
        "INSERT INTO t (a, b) VALUES (%s, %s) RETURNING %s",
        "UPDATE t SET a = %s WHERE b = %s",
        "DELETE FROM t WHERE a = ANY(%s)",
    ],
)
def test_server_bindable_placeholders(query: str) -> None:
    assert parse_query(query).server_bindable


# --- server_sql keeps $n a separate token ------------------------------------------------


@pytest.mark.parametrize(
    ("query", "server_sql"),
    [
        ("SELECT%s", b"SELECT $1"),
        ("SELECT %s%s", b"SELECT $1 $2"),
        ("SELECT %s1", b"SELECT $1 1"),
        ("SELECT (%s)a", b"SELECT ($1)a"),
        ("SELECT %sa", b"SELECT $1 a"),
        ("SELECT a$%s", b"SELECT a$ $1"),
        ("SELECT é%s", "SELECT é $1".encode()),
        ("SELECT %s::int", b"SELECT $1::int"),
        ("SELECT -%s", b"SELECT -$1"),
        ("SELECT %(a)s%(a)s", b"SELECT $1 $1"),
    ],
)
def test_server_sql_spacing(query: str, server_sql: bytes) -> None:
    assert parse_query(query).server_sql == server_sql


# --- server_params -----------------------------------------------------------------------


def test_server_params_positional() -> None:
    pq = parse_query("SELECT %s, %s")
    assert server_params(pq, (1, "a")) == [1, "a"]
    assert server_params(pq, [1, "a"]) == [1, "a"]
    assert server_params(pq, UserList([1, "a"])) == [1, "a"]


def test_server_params_named() -> None:
    pq = parse_query("SELECT %(b)s, %(a)s, %(b)s")
    assert server_params(pq, {"a": 1, "b": 2, "unused": 3}) == [2, 1]
    assert server_params(pq, MappingProxyType({"a": 1, "b": 2})) == [2, 1]
    assert server_params(pq, OrderedDict(a=None, b=None)) == [None, None]


def test_server_params_without_placeholders() -> None:
    pq = parse_query("SELECT 1")
    assert server_params(pq, ()) == []
    assert server_params(pq, []) == []
    assert server_params(pq, {}) == []
    assert server_params(pq, {"unused": 1}) == []


@pytest.mark.parametrize(
    ("query", "params", "message"),
    [
        ("SELECT %s, %s", (1, 2, 3), "has 2 placeholders but 3 parameters were given"),
        ("SELECT %s, %s", (1,), "has 2 placeholders but 1 parameter was given"),
        ("SELECT %s", (), "has 1 placeholder but 0 parameters were given"),
        ("SELECT 1", (1,), "has 0 placeholders but 1 parameter was given"),
        ("SELECT %s", {"a": 1}, "positional placeholders .* must be a sequence"),
        ("SELECT %(a)s", (1,), r"named placeholders .* must be a mapping, not tuple"),
        ("SELECT %(a)s", [1], r"named placeholders .* must be a mapping, not list"),
        ("SELECT %(a)s, %(b)s", {"a": 1}, r"no value given for placeholder %\(b\)s"),
        ("SELECT %s", "a", "must be a sequence .* not str"),
        ("SELECT %s, %s", "ab", "must be a sequence .* not str"),
        ("SELECT %s", b"a", "must be a sequence .* not bytes"),
        ("SELECT %s", bytearray(b"a"), "must be a sequence .* not bytearray"),
        ("SELECT %s", iter([1]), "must be a sequence .* not list_iterator"),
        ("SELECT %s", {1}, "must be a sequence .* not set"),
        ("SELECT %s", 1, "must be a sequence .* not int"),
        ("SELECT 1", None, "must be a sequence .* not NoneType"),
    ],
)
def test_params_errors(query: str, params: object, message: str) -> None:
    pq = parse_query(query)
    for func in (server_params, client_sql, needs_client_binding):
        with pytest.raises(ProgrammingError, match=message):
            func(pq, params)  # type: ignore[arg-type]


# --- client_sql (mogrify) ----------------------------------------------------------------


def test_client_sql_inlines_literals() -> None:
    pq = parse_query("SELECT %s, %s, %s, %s FROM t WHERE x = %s")
    assert client_sql(pq, (1, "it's", None, True, Decimal("1.5"))) == (
        b"SELECT 1, 'it''s', NULL, true FROM t WHERE x = 1.5"
    )


def test_client_sql_named_and_reused() -> None:
    pq = parse_query("SELECT %(a)s + %(b)s, %(a)s")
    assert client_sql(pq, {"a": 1, "b": "x", "c": object()}) == b"SELECT 1 + 'x', 1"


def test_client_sql_in_tuple() -> None:
    pq = parse_query("SELECT * FROM t WHERE id IN %s AND s IN %s")
    assert (
        client_sql(pq, ((1, 2, 3), ("a",)))
        == b"SELECT * FROM t WHERE id IN (1, 2, 3) AND s IN ('a')"
    )


def test_client_sql_percent_and_utf8() -> None:
    pq = parse_query("SELECT 'é' || %s, 7 %% 3".encode())
    assert client_sql(pq, ("ü",)) == "SELECT 'é' || 'ü', 7 % 3".encode()
    assert client_sql(parse_query("SELECT 7 %% 3"), ()) == b"SELECT 7 % 3"


def test_client_sql_negative_number_never_forms_a_comment() -> None:
    pq = parse_query("SELECT 1 -%s, 2 -%s")
    sql = client_sql(pq, (-1, -2.5))
    assert sql == b"SELECT 1 - -1, 2 - -2.5::float8"
    assert b"--" not in sql


def test_client_sql_standard_conforming_strings_off() -> None:
    pq = parse_query("SELECT %s, %s")
    assert client_sql(pq, ("a\\b", "c"), standard_conforming_strings=False) == (
        b"SELECT E'a\\\\b', 'c'"
    )
    assert client_sql(pq, ("a\\b", "c")) == b"SELECT 'a\\b', 'c'"


def test_client_sql_value_errors() -> None:
    pq = parse_query("SELECT %s")
    with pytest.raises(DataError, match="cannot be encoded as UTF-8"):
        client_sql(pq, ("\udc80",))
    with pytest.raises(DataError, match="NUL"):
        client_sql(pq, ("a\0b",))
    with pytest.raises(ProgrammingError, match="can't adapt type 'dict'"):
        client_sql(pq, ({"a": 1},))


# --- needs_client_binding ----------------------------------------------------------------

Point = namedtuple("Point", "x y")


@pytest.mark.parametrize(
    ("query", "params", "client"),
    [
        ("SELECT %s, %s", (1, "a"), False),
        ("SELECT %s", ([1, 2],), False),
        ("SELECT %s", (Encoded(25, 0, b"x"),), False),
        ("SELECT %s", (Encoded(17, 1, b"x"),), False),
        ("SELECT * FROM t WHERE a IN %s", ((1, 2),), True),
        ("SELECT %s", ((),), True),
        ("SELECT %s", (Point(1, 2),), True),
        ("SELECT %(a)s", {"a": (1,)}, True),
        ("SELECT %(a)s", {"a": 1, "unused": (1,)}, False),
        ("SELECT 1", (), False),
        ("SET x = %s", (1,), True),
        ("SHOW all", (), True),
        ("SELECT x IS %s", (None,), True),
        ("SELECT 1; SELECT %s", (1,), True),
    ],
)
def test_needs_client_binding(query: str, params: object, client: bool) -> None:
    assert needs_client_binding(parse_query(query), params) is client  # type: ignore[arg-type]


# --- properties --------------------------------------------------------------------------


@given(st.text())
def test_any_text_parses_or_raises_programming_error(query: str) -> None:
    try:
        pq = parse_query(query)
    except ProgrammingError:
        return
    assert isinstance(pq, ParsedQuery)
    assert len(pq.chunks) == len(pq.names) + 1
    assert len(pq.slots) == len(pq.names)


# Query text from fragments with no '%' of their own, joined by %s and %%.
_fragment = st.sampled_from(
    ["SELECT ", "'", '"', "$$", "--", "\n", "/*", "*/", ";", "IS ", "a", " ", "é", "E'\\'", ","]
)
_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.decimals(allow_nan=False),
    st.text(alphabet=st.characters(codec="utf-8", blacklist_characters="\0")),
)


@given(st.lists(st.tuples(_fragment, st.sampled_from(["%s", "%%", ""]))), st.data())
def test_client_sql_equals_python_percent_formatting(parts: list, data: st.DataObject) -> None:
    """psycopg2 builds the query with Python's % operator: client_sql must agree."""
    query = "".join(fragment + sep for fragment, sep in parts)
    count = sum(sep == "%s" for _, sep in parts)
    values = data.draw(st.lists(_values, min_size=count, max_size=count))
    expected = query % tuple(quote(v) for v in values)
    assert client_sql(parse_query(query), values) == expected.encode()


@given(st.lists(st.tuples(_fragment, st.sampled_from(["a", "b", "c", ""]))), st.data())
def test_named_client_sql_equals_python_percent_formatting(
    parts: list, data: st.DataObject
) -> None:
    query = "".join(fragment + (f"%({name})s" if name else "") for fragment, name in parts)
    params = data.draw(st.fixed_dictionaries({"a": _values, "b": _values, "c": _values}))
    expected = query % {name: quote(value) for name, value in params.items()}
    pq = parse_query(query)
    assert client_sql(pq, params) == expected.encode()
    assert len(set(pq.param_keys)) == len(pq.param_keys) == len(set(pq.names))
