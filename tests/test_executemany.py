"""executemany: pipelined Bind/Execute, batching, rowcount, errors, None typing."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

import pgdbapi
from pgdbapi import errors


@pytest.fixture
def table(conn: Any) -> Any:
    cur = conn.cursor()
    cur.execute("create temp table tm (id int primary key, name text, score float8, ts timestamp)")
    return cur


def test_executemany_inserts_and_counts(table: Any) -> None:
    rows = [
        (i, f"n{i}", i / 2, dt.datetime(2024, 1, 1) + dt.timedelta(seconds=i)) for i in range(2500)
    ]
    table.executemany("insert into tm values (%s, %s, %s, %s)", rows)
    assert table.rowcount == 2500
    table.execute("select count(*), sum(id), max(ts) from tm")
    assert table.fetchone() == (
        2500,
        sum(range(2500)),
        dt.datetime(2024, 1, 1) + dt.timedelta(seconds=2499),
    )


def test_executemany_named_and_generator(table: Any) -> None:
    gen = ({"i": i, "n": None if i % 2 else "x"} for i in range(10))
    table.executemany("insert into tm (id, name) values (%(i)s, %(n)s)", gen)
    assert table.rowcount == 10
    table.execute("select count(name) from tm")
    assert table.fetchone() == (5,)


def test_executemany_none_first_then_values(table: Any) -> None:
    table.executemany("insert into tm (id, score) values (%s, %s)", [(1, None), (2, 1.5), (3, 7)])
    table.execute("select score from tm order by id")
    assert table.fetchall() == [(None,), (1.5,), (7.0,)]


def test_executemany_update_rowcount(table: Any) -> None:
    table.executemany("insert into tm (id) values (%s)", [(i,) for i in range(10)])
    table.executemany("update tm set name = 'u' where id < %s", [(3,), (5,)])
    assert table.rowcount == 8


def test_executemany_rowcount_sums_every_statement_and_only_those(conn: Any) -> None:
    conn.autocommit = False  # the BEGIN sent with the first batch is not counted
    cur = conn.cursor()
    cur.execute("create temp table tr (id int)")
    conn.commit()
    cur.executemany("insert into tr select g from generate_series(1, %s) g", [(2,), (0,), (3,)])
    assert cur.rowcount == 5
    cur.executemany("update tr set id = id where id > %s", [(100,), (200,)])
    assert cur.rowcount == 0  # statements that touched nothing: 0, not -1
    cur.executemany("select id from tr where id <= %s", [(1,)] * 1500)  # two batches
    assert cur.rowcount == 1500 * 2
    assert cur.statusmessage == "SELECT 2"  # the last statement's, as psycopg2
    with pytest.raises(pgdbapi.ProgrammingError):
        cur.fetchone()  # executemany has no rows to fetch
    cur.executemany("update tr set id = id where id = %s", [(3,)])
    assert (cur.statusmessage, cur.rowcount) == ("UPDATE 1", 1)
    cur.executemany("update tr set id = id where id in %s", [((1, 3),)])  # client-side binding
    assert (cur.statusmessage, cur.rowcount) == ("UPDATE 3", 3)
    cur.executemany("update tr set id = id where id = %s", [])
    assert (cur.statusmessage, cur.rowcount) == (None, -1)
    conn.rollback()


def test_executemany_error_stops_cleanly(conn: Any) -> None:
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute("create temp table te (id int primary key)")
    with pytest.raises(errors.UniqueViolation):
        cur.executemany("insert into te values (%s)", [(1,), (2,), (1,), (3,)])
    cur.execute("select 1")
    assert cur.fetchone() == (1,)


def test_executemany_error_in_later_batch(conn: Any) -> None:
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute("create temp table te2 (id int primary key)")
    params = [(i,) for i in range(3000)] + [(5,)]
    with pytest.raises(pgdbapi.IntegrityError):
        cur.executemany("insert into te2 values (%s)", params)
    cur.execute("select count(*) from te2")
    assert cur.fetchone() == (3000,)  # batches before the failing one committed (autocommit)


def test_executemany_client_binding_fallback(table: Any) -> None:
    table.executemany(
        "insert into tm (id) select x from unnest(array[1,2,3]) x where x in %s",
        [((1, 2),), ((3,),)],
    )
    assert table.rowcount == 3


def test_executemany_empty(table: Any) -> None:
    table.executemany("insert into tm (id) values (%s)", [])
    assert table.rowcount == -1


@pytest.mark.parametrize("autocommit", [True, False])
def test_executemany_bad_value_in_a_later_batch_keeps_the_stream(conn: Any, autocommit: bool) -> None:
    """Batch 2 is encoded while batch 1 is in flight: its failure is raised only after
    batch 1's answer was read, and the connection stays in step with the server."""
    conn.autocommit = autocommit
    cur = conn.cursor()
    cur.execute("create temp table tlate (x int)")
    params = [(i,) for i in range(1500)]
    params[1200] = ({"not": "adaptable"},)
    with pytest.raises(pgdbapi.ProgrammingError, match="adapt"):
        cur.executemany("insert into tlate values (%s)", params)
    cur.execute("select count(*) from tlate")
    assert cur.fetchone() == (1000,)  # batch 1 ran, batch 2 was never sent
    cur.execute("select 1")
    assert cur.fetchone() == (1,)


def test_executemany_server_error_stops_before_next_batch(conn: Any) -> None:
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute("create temp table tstop (x int primary key)")
    params = [(i,) for i in range(3500)]
    params[500] = (0,)  # duplicate in batch 1
    with pytest.raises(errors.UniqueViolation):
        cur.executemany("insert into tstop values (%s)", params)
    cur.execute("select count(*) from tstop")
    assert cur.fetchone() == (0,)  # batch 1 rolled back as one implicit transaction, no later batch sent


def test_executemany_rows_of_every_shape_in_one_batch(conn: Any) -> None:
    """Plain tuples skip the per-row parameter checks; lists, named tuples, adapted values
    and a wrong row length in the same batch still get them."""
    from collections import namedtuple

    from pgdbapi.extras import Json

    conn.autocommit = True
    cur = conn.cursor()
    cur.execute("create temp table shapes (a int, b jsonb)")
    Row = namedtuple("Row", "a b")
    rows: list[Any] = [(1, None), [2, None], Row(3, None), (4, Json({"k": 4})), (5, None)]
    cur.executemany("insert into shapes values (%s, %s)", rows)
    cur.execute("select a, b from shapes order by a")
    assert cur.fetchall() == [(1, None), (2, None), (3, None), (4, {"k": 4}), (5, None)]
    with pytest.raises(pgdbapi.ProgrammingError):
        cur.executemany("insert into shapes values (%s, %s)", [(6, None), (7,)])
    cur.execute("select count(*) from shapes where a >= 6")
    assert cur.fetchone() == (0,)  # the failing batch was never sent
