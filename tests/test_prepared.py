"""Prepared statement cache: threshold, LRU eviction with Close, recovery, binary results."""

from __future__ import annotations

from typing import Any

import pytest

import pgdbapi


def prepared_names(conn: Any) -> list[str]:
    cur = conn.cursor()
    cur.execute("select name from pg_prepared_statements order by name")
    return [r[0] for r in cur.fetchall()]


def test_prepared_after_threshold(dsn: str) -> None:
    conn = pgdbapi.connect(dsn, prepare_threshold=3)
    try:
        cur = conn.cursor()
        for i in range(2):
            cur.execute("select %s::int * 2", (i,))
            assert cur.fetchone() == (i * 2,)
        assert prepared_names(conn) == []
        for i in range(2, 6):
            cur.execute("select %s::int * 2", (i,))
            assert cur.fetchone() == (i * 2,)
            assert cur.description[0][1] == 23
        names = prepared_names(conn)
        assert len(names) == 1 and names[0].startswith("_pgdbapi_")
    finally:
        conn.close()


def test_threshold_none_disables(dsn: str) -> None:
    conn = pgdbapi.connect(dsn, prepare_threshold=None)
    try:
        cur = conn.cursor()
        for i in range(10):
            cur.execute("select %s::int", (i,))
        assert prepared_names(conn) == []
    finally:
        conn.close()


def test_lru_eviction_closes_statements(dsn: str) -> None:
    conn = pgdbapi.connect(dsn, prepare_threshold=0, prepared_statement_cache_size=3)
    try:
        cur = conn.cursor()
        for i in range(6):
            cur.execute(f"select %s::int + {i}", (1,))
            assert cur.fetchone() == (1 + i,)
        cur.execute("select %s::int + 100", (1,))
        assert len(prepared_names(conn)) <= 3
    finally:
        conn.close()


def test_binary_results_match_text(dsn: str) -> None:
    conn = pgdbapi.connect(dsn, prepare_threshold=1)
    try:
        cur = conn.cursor()
        q = (
            "select %s::int4, 1.25::numeric(10,3), 'x'::text, now()::date, "
            "'2024-05-06 07:08:09.5+02'::timestamptz, '{1,NULL,3}'::int4[], 1.1::float4, "
            "'1 year 2 mons 3 days 04:05:06.7'::interval, 'abc'::bytea, '{\"a\": 1}'::jsonb"
        )
        rows = []
        for _ in range(3):  # text, preparation round (text), binary
            cur.execute(q, (5,))
            rows.append(cur.fetchone())
        assert rows[0] == rows[1] == rows[2]
        assert [type(v) for v in rows[0]] == [type(v) for v in rows[2]]
    finally:
        conn.close()


def test_result_type_change_recovers_in_autocommit(dsn: str) -> None:
    conn = pgdbapi.connect(dsn, prepare_threshold=0)
    try:
        conn.autocommit = True
        cur = conn.cursor()
        cur.execute("create temp table tchg (x int)")
        cur.execute("insert into tchg values (1)")
        for _ in range(3):
            cur.execute("select * from tchg where %s", (True,))
        cur.execute("alter table tchg alter column x type text")
        cur.execute("select * from tchg where %s", (True,))
        assert cur.fetchall() == [("1",)]
    finally:
        conn.close()


def test_result_type_change_first_in_transaction(dsn: str) -> None:
    conn = pgdbapi.connect(dsn, prepare_threshold=0)
    try:
        cur = conn.cursor()
        cur.execute("create table tchg2 (x int)")
        cur.execute("insert into tchg2 values (1)")
        conn.commit()
        for _ in range(3):
            cur.execute("select * from tchg2 where %s", (True,))
        conn.commit()
        cur.execute("alter table tchg2 alter column x type text")
        conn.commit()
        cur.execute("select * from tchg2 where %s", (True,))  # first statement: retried
        assert cur.fetchall() == [("1",)]
        conn.rollback()
    finally:
        conn.cursor().execute("drop table if exists tchg2")
        conn.commit()
        conn.close()


def test_discard_all_forgets_cache(dsn: str) -> None:
    conn = pgdbapi.connect(dsn, prepare_threshold=0)
    try:
        conn.autocommit = True
        cur = conn.cursor()
        for _ in range(3):
            cur.execute("select %s::int", (1,))
        cur.execute("discard all")
        cur.execute("select %s::int", (2,))
        assert cur.fetchone() == (2,)
    finally:
        conn.close()


def test_deallocated_behind_our_back_recovers(dsn: str) -> None:
    conn = pgdbapi.connect(dsn, prepare_threshold=0)
    try:
        conn.autocommit = True
        cur = conn.cursor()
        for _ in range(3):
            cur.execute("select %s::int", (1,))
        cur.execute("select 1; deallocate all")  # as a pooler resetting the session would
        cur.execute("select %s::int", (3,))
        assert cur.fetchone() == (3,)
    finally:
        conn.close()


@pytest.mark.parametrize("threshold", [0, 2])
def test_errors_in_prepared_statements(dsn: str, threshold: int) -> None:
    conn = pgdbapi.connect(dsn, prepare_threshold=threshold)
    try:
        conn.autocommit = True
        cur = conn.cursor()
        for v in (1, 2, 0, 4, 0, 5):
            if v == 0:
                with pytest.raises(pgdbapi.DataError):
                    cur.execute("select 10 / %s::int", (v,))
            else:
                cur.execute("select 10 / %s::int", (v,))
                assert cur.fetchone() == (10 // v,)
    finally:
        conn.close()


def test_statements_prepared_before_a_datestyle_or_timezone_change_are_dropped(dsn: str) -> None:
    """The server parses literals at Parse time and does not re-plan a prepared statement
    when DateStyle or TimeZone change: the connection must prepare it again."""
    conn = pgdbapi.connect(dsn, prepare_threshold=0)
    conn.autocommit = True
    cur = conn.cursor()
    date_sql = "select '05/06/2024'::date, %s::int"
    zone_sql = "select extract(hour from '2024-01-01 12:00'::timestamptz at time zone 'UTC'), %s"
    for _ in range(2):
        cur.execute(date_sql, (1,))
        assert str(cur.fetchone()[0]) == "2024-05-06"
        cur.execute(zone_sql, (1,))
        assert int(cur.fetchone()[0]) == 12
    assert len(prepared_names(conn)) == 2
    cur.execute("set datestyle = 'ISO, DMY'")
    cur.execute(date_sql, (1,))
    assert str(cur.fetchone()[0]) == "2024-06-05"
    cur.execute("set time zone 'Asia/Kathmandu'")  # +05:45
    cur.execute(zone_sql, (1,))
    assert float(cur.fetchone()[0]) == 6  # 12:00+05:45 is 06:15 UTC
    assert len(prepared_names(conn)) <= 2  # the old ones were closed, not leaked
    cur.execute("set application_name = 'other'")  # a setting literals do not depend on
    before = prepared_names(conn)
    cur.execute(zone_sql, (1,))
    assert prepared_names(conn) == before
    conn.close()
