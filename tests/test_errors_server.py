"""Server errors: class mapping, every diag field, connection usable afterwards."""

from __future__ import annotations

from typing import Any

import pytest

import pgdbapi
from pgdbapi import errors


def test_unique_violation_fields(conn: Any) -> None:
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute("create temp table tu (id int primary key, v text not null)")
    cur.execute("insert into tu values (%s, %s)", (1, "a"))
    with pytest.raises(pgdbapi.IntegrityError) as info:
        cur.execute("insert into tu values (%s, %s)", (1, "b"))
    e = info.value
    assert isinstance(e, errors.UniqueViolation)
    assert e.pgcode == "23505"
    assert e.diag.sqlstate == "23505"
    assert e.diag.severity == "ERROR" and e.diag.severity_nonlocalized == "ERROR"
    assert "duplicate key" in e.diag.message_primary
    assert e.diag.message_detail == "Key (id)=(1) already exists."
    assert e.diag.table_name == "tu"
    assert e.diag.constraint_name == "tu_pkey"
    assert e.diag.schema_name.startswith("pg_temp")
    assert e.diag.source_file and e.diag.source_line and e.diag.source_function
    assert "duplicate key" in e.pgerror and "DETAIL" in e.pgerror
    assert e.cursor is cur
    with pytest.raises(errors.NotNullViolation) as info2:
        cur.execute("insert into tu values (2, null)")
    assert info2.value.diag.column_name == "v"
    cur.execute("select count(*) from tu")  # connection still usable
    assert cur.fetchone() == (1,)


def test_syntax_error_position_and_hint(conn: Any) -> None:
    cur = conn.cursor()
    with pytest.raises(errors.SyntaxError) as info:
        cur.execute("select 1 frm x")
    assert info.value.diag.statement_position is not None
    conn.rollback()
    with pytest.raises(errors.UndefinedFunction) as info2:
        cur.execute("select no_such_fn(%s)", (1,))
    assert info2.value.diag.message_hint
    assert isinstance(info2.value, pgdbapi.ProgrammingError)
    conn.rollback()


def test_plpgsql_context_and_internal_query(conn: Any) -> None:
    cur = conn.cursor()
    cur.execute(
        "create function pg_temp.boom() returns int language plpgsql as "
        "$$ begin perform 1/0; return 1; end $$"
    )
    with pytest.raises(errors.DivisionByZero) as info:
        cur.execute("select pg_temp.boom()")
    assert isinstance(info.value, pgdbapi.DataError)
    assert "PL/pgSQL" in info.value.diag.context
    conn.rollback()
    cur.execute(
        "create function pg_temp.bad() returns void language plpgsql as "
        "$$ begin execute 'select * from nosuch'; end $$"
    )
    with pytest.raises(errors.UndefinedTable) as info2:
        cur.execute("select pg_temp.bad()")
    assert info2.value.diag.internal_query == "select * from nosuch"
    assert info2.value.diag.internal_position == "15"
    conn.rollback()


def test_raise_exception_custom_fields(conn: Any) -> None:
    cur = conn.cursor()
    with pytest.raises(errors.RaiseException) as info:
        cur.execute(
            "do $$ begin raise exception 'custom' using detail = 'dd', hint = 'hh', "
            "datatype = 'dt', column = 'cc'; end $$"
        )
    d = info.value.diag
    assert (d.message_primary, d.message_detail, d.message_hint) == ("custom", "dd", "hh")
    assert (d.datatype_name, d.column_name) == ("dt", "cc")
    assert isinstance(info.value, pgdbapi.InternalError)
    conn.rollback()


@pytest.mark.parametrize(
    "sql,cls,base",
    [
        ("select 1/0", errors.DivisionByZero, pgdbapi.DataError),
        ("select * from nope", errors.UndefinedTable, pgdbapi.ProgrammingError),
        ("select 'x'::int", errors.InvalidTextRepresentation, pgdbapi.DataError),
        ("rollback to savepoint nope", errors.InvalidSavepointSpecification, pgdbapi.InternalError),
        (
            "set statement_timeout = 1; select pg_sleep(1)",
            errors.QueryCanceled,
            pgdbapi.OperationalError,
        ),
    ],
)
def test_sqlstate_classes(conn: Any, sql: str, cls: type, base: type) -> None:
    with pytest.raises(cls) as info:
        conn.cursor().execute(sql)
    assert isinstance(info.value, base)
    conn.rollback()
    conn.cursor().execute("select 1")


def test_error_mid_result_keeps_connection(conn: Any) -> None:
    cur = conn.cursor()
    with pytest.raises(errors.DivisionByZero):
        cur.execute("select 1/(5 - i) from generate_series(1, 10) i")
    conn.rollback()
    cur.execute("select 2")
    assert cur.fetchone() == (2,)


def test_notices_collected(conn: Any) -> None:
    cur = conn.cursor()
    cur.execute("do $$ begin raise notice 'hello %', 42; end $$")
    assert conn.notices and "hello 42" in conn.notices[-1]
    assert conn.notices[-1].startswith("NOTICE:")
