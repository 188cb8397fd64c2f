"""Cursor surface: description, counts, fetch methods, iteration, scroll, nextset, misc."""

from __future__ import annotations

from typing import Any

import pytest

import pgdbapi


@pytest.fixture
def cur(conn: Any) -> Any:
    c = conn.cursor()
    yield c
    c.close()


def test_description(cur: Any) -> None:
    assert cur.description is None
    cur.execute(
        "select 1::int4 as a, 'x'::text as b, 1.5::numeric(10,2) as c, 'ab'::varchar(5) as d"
    )
    desc = cur.description
    assert [d[0] for d in desc] == ["a", "b", "c", "d"]
    assert all(len(d) == 7 for d in desc)
    assert desc[0][1] == 23 and desc[0][1] == pgdbapi.NUMBER
    assert desc[1][1] == pgdbapi.STRING
    assert desc[0].internal_size == 4
    assert (desc[2].precision, desc[2].scale) == (10, 2)
    assert desc[3].internal_size == 5
    assert [d.internal_size for d in desc[1:3]] == [-1, 10]  # psycopg2's: -1 variable, numeric p
    cur.execute("select 1.5::numeric, '{x}'::varchar(4)[], '{1.5}'::numeric(4,1)[], now()")
    assert [d.internal_size for d in cur.description] == [-1, 4, 262145, 8]  # as psycopg2
    assert (cur.description[0].precision, cur.description[0].scale) == (None, None)
    cur.execute("create temp table t_desc (x int)")
    assert cur.description is None


def test_description_table_columns(cur: Any) -> None:
    cur.execute("create temp table t_cols (id int, name text)")
    cur.execute("select name, id from t_cols")
    assert cur.description[0].table_column == 2
    assert cur.description[0].table_oid is not None


def test_rowcount_and_statusmessage(cur: Any) -> None:
    assert cur.rowcount == -1
    cur.execute("create temp table t_rc (x int)")
    assert cur.rowcount == -1
    assert cur.statusmessage == "CREATE TABLE"
    cur.execute("insert into t_rc select generate_series(1, 5)")
    assert cur.rowcount == 5
    assert cur.statusmessage == "INSERT 0 5"
    cur.execute("update t_rc set x = x + 1 where x > %s", (2,))
    assert cur.rowcount == 3
    cur.execute("select * from t_rc")
    assert cur.rowcount == 5
    cur.execute("delete from t_rc")
    assert cur.rowcount == 5


def test_fetch_methods(cur: Any) -> None:
    cur.execute("select generate_series(1, 10)")
    assert cur.rownumber == 0
    assert cur.fetchone() == (1,)
    assert cur.rownumber == 1
    assert cur.fetchmany() == [(2,)]
    cur.arraysize = 3
    assert cur.fetchmany() == [(3,), (4,), (5,)]
    assert cur.fetchmany(2) == [(6,), (7,)]
    assert cur.fetchall() == [(8,), (9,), (10,)]
    assert cur.fetchone() is None
    assert cur.fetchmany() == []
    assert cur.fetchall() == []


def test_iteration(cur: Any) -> None:
    cur.execute("select generate_series(1, 4)")
    assert cur.fetchone() == (1,)
    assert [r[0] for r in cur] == [2, 3, 4]


def test_fetch_without_result_is_programming_error(cur: Any) -> None:
    with pytest.raises(pgdbapi.ProgrammingError):
        cur.fetchone()
    cur.execute("create temp table t_nf (x int)")
    with pytest.raises(pgdbapi.ProgrammingError):
        cur.fetchall()


def test_scroll(cur: Any) -> None:
    cur.execute("select generate_series(0, 9)")
    cur.scroll(5)
    assert cur.fetchone() == (5,)
    cur.scroll(-2)
    assert cur.fetchone() == (4,)
    cur.scroll(0, "absolute")
    assert cur.fetchone() == (0,)
    with pytest.raises(pgdbapi.ProgrammingError):
        cur.scroll(100)
    with pytest.raises(IndexError):
        cur.scroll(-100)
    assert cur.fetchone() == (1,)  # position unchanged by a failed scroll


def test_close(conn: Any) -> None:
    cur = conn.cursor()
    cur.execute("select 1")
    cur.close()
    assert cur.closed
    with pytest.raises(pgdbapi.InterfaceError):
        cur.execute("select 1")
    with pytest.raises(pgdbapi.InterfaceError):
        cur.fetchone()


def test_context_manager(conn: Any) -> None:
    with conn.cursor() as cur:
        cur.execute("select 1")
        assert cur.fetchone() == (1,)
    assert cur.closed


def test_setsizes_are_noops(cur: Any) -> None:
    cur.setinputsizes([10])
    cur.setoutputsize(10)
    cur.setoutputsize(10, 0)


def test_callproc(cur: Any) -> None:
    cur.execute(
        "create function pg_temp.add3(a int, b int, c int default 0) returns int "
        "language sql as 'select a + b + c'"
    )
    assert cur.callproc("pg_temp.add3", (1, 2, 3)) == (1, 2, 3)
    assert cur.fetchone() == (6,)
    cur.callproc("pg_temp.add3", {"a": 10, "b": 5})
    assert cur.fetchone() == (15,)


def test_multiple_statements_last_result_like_psycopg2(cur: Any) -> None:
    cur.execute("select 1; select 2, 3; select 4")
    assert cur.fetchall() == [(4,)]
    assert cur.nextset() is None


def test_multiple_statements_walk_with_nextset(cur: Any) -> None:
    cur.multiresult = "first"
    cur.execute("select 1; create temp table t_ns (x int); select 2, 3")
    assert cur.fetchall() == [(1,)]
    assert cur.nextset() is True
    assert cur.description is None and cur.statusmessage == "CREATE TABLE"
    assert cur.nextset() is True
    assert cur.fetchall() == [(2, 3)]
    assert cur.nextset() is None


def test_query_and_mogrify(cur: Any) -> None:
    assert cur.mogrify("select %s, %s", (1, "a'b")) == b"select 1, 'a''b'"
    assert cur.mogrify("select %(x)s", {"x": None}) == b"select NULL"
    cur.execute("select %s::int", (42,))
    assert cur.query == b"select 42::int"
    cur.execute("select 1")
    assert cur.query == b"select 1"


def test_connection_attribute(conn: Any) -> None:
    assert conn.cursor().connection is conn


@pytest.mark.parametrize("query", ["", "  ", "-- only a comment", ";"])
def test_empty_query_is_a_programming_error(cur: Any, query: str) -> None:
    """psycopg2's behaviour: the server answers EmptyQueryResponse to nothing to run."""
    with pytest.raises(pgdbapi.ProgrammingError, match="empty query"):
        cur.execute(query)
    assert cur.description is None
    cur.execute("select 1")  # the connection goes on
    assert cur.fetchone() == (1,)


def test_large_result(cur: Any) -> None:
    cur.execute("select i, i * 2 from generate_series(1, 200000) i")
    rows = cur.fetchall()
    assert len(rows) == 200000
    assert rows[-1] == (200000, 400000)
    assert cur.rowcount == 200000


def test_named_cursor(conn: Any) -> None:
    cur = conn.cursor("my cursor")
    cur.itersize = 7
    cur.execute("select generate_series(1, 20) where %s", (True,))
    assert cur.description[0][1] == 23
    assert cur.fetchone() == (1,)
    assert cur.fetchmany(3) == [(2,), (3,), (4,)]
    assert [r[0] for r in cur] == list(range(5, 21))
    cur.close()
    conn.rollback()


def test_threads_share_connection(conn: Any) -> None:
    import threading

    conn.autocommit = True
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            c = conn.cursor()
            for i in range(50):
                c.execute("select %s::int + %s", (n, i))
                assert c.fetchone() == (n + i,)
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(k * 1000,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors


@pytest.mark.parametrize("binding", ["auto", "server"])
def test_copy_through_execute_is_refused_cleanly(dsn: str, binding: str) -> None:
    conn = pgdbapi.connect(dsn, binding=binding)
    try:
        conn.autocommit = True
        cur = conn.cursor()
        cur.execute("create temp table tcopy (x int)")
        with pytest.raises(pgdbapi.ProgrammingError, match="COPY"):
            cur.execute("copy tcopy from stdin")  # simple protocol
        with pytest.raises(pgdbapi.ProgrammingError, match="COPY"):
            cur.execute("copy tcopy from stdin", ())  # extended protocol when binding=server
        with pytest.raises(pgdbapi.ProgrammingError, match="COPY"):
            cur.execute("copy (select 1) to stdout")
        with pytest.raises(pgdbapi.ProgrammingError, match="COPY"):
            cur.execute("copy (select 1) to stdout", ())
        with pytest.raises(pgdbapi.ProgrammingError, match="COPY"):
            cur.execute("copy (select 1 where false) to stdout")  # no data, still refused
        cur.execute("select 1")
        assert cur.fetchone() == (1,)
    finally:
        conn.close()
