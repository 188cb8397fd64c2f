"""Parameters: server-side binding, psycopg2's typing results, client-side fallbacks."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from ipaddress import ip_address, ip_interface, ip_network
from typing import Any

import pytest

import pgdbapi


@pytest.fixture(params=["auto", "server", "client"])
def binding_conn(request: Any, dsn: str) -> Any:
    conn = pgdbapi.connect(dsn, binding=request.param)
    yield conn
    conn.close()


@pytest.fixture(params=["auto", "client"])
def fallback_conn(request: Any, dsn: str) -> Any:
    """Connections where the statements server-side binding cannot serve must still work."""
    conn = pgdbapi.connect(dsn, binding=request.param)
    yield conn
    conn.close()


def one(conn: Any, sql: str, params: Any = None) -> Any:
    cur = conn.cursor()
    cur.execute(sql, params)
    row = cur.fetchone()
    return row[0] if row is not None and len(row) == 1 else row


@pytest.mark.parametrize(
    "value,expected_type",
    [
        (42, int),
        (2**40, int),
        (10**30, Decimal),  # beyond int8: numeric, as psycopg2's literal
        (Decimal("1.5"), Decimal),
        (dt.date(2024, 2, 29), dt.date),
        (dt.datetime(2024, 5, 6, 7, 8, 9, 123456), dt.datetime),
        ("x", str),
        (True, bool),
        (1.5, float),
        (b"\x00\xff", bytes),
        (uuid.UUID(int=7), uuid.UUID),
        (dt.timedelta(days=1, seconds=5), dt.timedelta),
        (dt.time(1, 2, 3), dt.time),
    ],
)
def test_select_param_keeps_python_type(binding_conn: Any, value: Any, expected_type: type) -> None:
    got = one(binding_conn, "select %s", (value,))
    assert type(got) is expected_type
    if expected_type is Decimal and isinstance(value, int):
        assert got == Decimal(value)
    else:
        assert got == value


def test_select_none(binding_conn: Any) -> None:
    assert one(binding_conn, "select %s", (None,)) is None


def test_int_is_int_not_decimal_psycopg2_case(binding_conn: Any) -> None:
    assert one(binding_conn, "select %s", (42,)) == 42


def test_string_compares_with_typed_columns(binding_conn: Any) -> None:
    cur = binding_conn.cursor()
    cur.execute("create temp table tp (i int, ts timestamp)")
    cur.execute("insert into tp values (5, '2024-01-02 03:04:05'), (6, '2020-01-01')")
    cur.execute("select i from tp where i = %s", ("5",))
    assert cur.fetchall() == [(5,)]
    cur.execute("select i from tp where ts > %s", ("2023-01-01T00:00:00",))
    assert cur.fetchall() == [(5,)]
    binding_conn.rollback()


def test_named_and_escaped_percent(binding_conn: Any) -> None:
    assert one(binding_conn, "select %(a)s + %(b)s + %(a)s", {"a": 1, "b": 10}) == 12
    assert one(binding_conn, "select '100%%' || %s", ("!",)) == "100%!"


def test_no_params_leaves_percent_alone(conn: Any) -> None:
    assert one(conn, "select '100%'") == "100%"


def test_tuple_for_in(fallback_conn: Any) -> None:
    cur = fallback_conn.cursor()
    cur.execute("select x from generate_series(1, 10) x where x in %s order by x", ((2, 4, 6),))
    assert cur.fetchall() == [(2,), (4,), (6,)]


def test_is_null_param(fallback_conn: Any) -> None:
    assert one(fallback_conn, "select null::int is %s", (None,)) is True
    assert one(fallback_conn, "select 1 is not %s", (None,)) is True
    assert one(fallback_conn, "select true is %s", (True,)) is True


def test_params_in_set_and_show(fallback_conn: Any) -> None:
    cur = fallback_conn.cursor()
    cur.execute("set application_name = %s", ("from param",))
    cur.execute("show application_name")
    assert cur.fetchone() == ("from param",)
    cur.execute("set statement_timeout = %s", (2500,))
    cur.execute("show statement_timeout")
    assert cur.fetchone() == ("2500ms",)


def test_params_in_ddl(fallback_conn: Any) -> None:
    cur = fallback_conn.cursor()
    cur.execute("create temp table tddl (x int default %s, y text default %s)", (7, "it's"))
    cur.execute("insert into tddl default values")
    cur.execute("select x, y from tddl")
    assert cur.fetchone() == (7, "it's")
    fallback_conn.rollback()


def test_do_block_with_param(fallback_conn: Any) -> None:
    fallback_conn.autocommit = True
    cur = fallback_conn.cursor()
    cur.execute("create temp table tdo (v text)")
    cur.execute("do $$ begin insert into tdo values (%s); end $$", ("o'k",))
    cur.execute("select v from tdo")
    assert cur.fetchone() == ("o'k",)


def test_several_statements_with_params(fallback_conn: Any) -> None:
    cur = fallback_conn.cursor()
    cur.execute(
        "create temp table tmulti (x int); insert into tmulti values (%s), (%s); select sum(x) from tmulti",
        (1, 2),
    )
    assert cur.fetchone() == (3,)
    fallback_conn.rollback()


def test_quoting_is_safe(binding_conn: Any) -> None:
    evil = "'); drop table pg_class; --\\'\"\n\t\u00e9\u4e2d"
    assert one(binding_conn, "select %s", (evil,)) == evil
    assert one(binding_conn, "select %s::text = %s", (evil, evil)) is True


def test_backslash_with_standard_conforming_strings_off(dsn: str) -> None:
    conn = pgdbapi.connect(dsn, binding="client")
    try:
        conn.autocommit = True
        cur = conn.cursor()
        cur.execute("set standard_conforming_strings = off")
        value = "a\\b'c"
        cur.execute("select %s", (value,))
        assert cur.fetchone() == (value,)
        cur.execute("select %s", (b"\\\x00",))
        assert cur.fetchone() == (b"\\\x00",)
    finally:
        conn.close()


def test_list_becomes_array(binding_conn: Any) -> None:
    assert one(binding_conn, "select %s", ([1, 2, None],)) == [1, 2, None]
    assert one(binding_conn, "select %s::text[]", (["a", "b c", None],)) == ["a", "b c", None]
    assert one(binding_conn, "select 3 = any(%s)", ([1, 2, 3],)) is True
    floats = one(binding_conn, "select %s", ([1, 2.5],))
    assert floats == [1.0, 2.5] and type(floats[0]) is float
    assert one(binding_conn, "select %s", ([1, Decimal("1.5")],)) == [Decimal(1), Decimal("1.5")]
    assert one(binding_conn, "select %s", ([None],)) == "{NULL}"  # untyped, in every mode


def test_ipaddress_objects_in_every_binding(binding_conn: Any) -> None:
    for value in (ip_interface("10.1.2.3/16"), ip_address("::1"), ip_network("10.0.0.0/8")):
        assert one(binding_conn, "select %s", (value,)) == value


def test_wrong_param_count(conn: Any) -> None:
    cur = conn.cursor()
    with pytest.raises(pgdbapi.ProgrammingError):
        cur.execute("select %s, %s", (1,))
    with pytest.raises(pgdbapi.ProgrammingError):
        cur.execute("select %s", (1, 2))
    with pytest.raises(pgdbapi.ProgrammingError):
        cur.execute("select %(a)s", {"b": 1})
    assert one(conn, "select 1") == 1


def test_unadaptable_is_programming_error(conn: Any) -> None:
    cur = conn.cursor()
    with pytest.raises(pgdbapi.ProgrammingError, match="adapt"):
        cur.execute("select %s", ({"a": 1},))
    with pytest.raises(pgdbapi.ProgrammingError, match="adapt"):
        cur.execute("select %s", (object(),))
    assert one(conn, "select 1") == 1


def test_server_binding_sends_dollar_params(dsn: str) -> None:
    """The auto mode really binds server-side for plain DML (visible in pg_stat_activity)."""
    conn = pgdbapi.connect(dsn)
    try:
        cur = conn.cursor()
        cur.execute(
            "select query from pg_stat_activity where pid = pg_backend_pid() and %s", (True,)
        )
        assert "$1" in cur.fetchone()[0]
    finally:
        conn.close()


def test_forced_server_binding_reports_server_error(dsn: str) -> None:
    conn = pgdbapi.connect(dsn, binding="server")
    try:
        with pytest.raises(pgdbapi.ProgrammingError):
            conn.cursor().execute("select 1 is %s", (None,))
    finally:
        conn.close()
