"""Transactions: implicit BEGIN, commit/rollback, autocommit, set_session, with-block, TPC."""

from __future__ import annotations

from typing import Any

import pytest

import pgdbapi
from pgdbapi import errors, extensions


def status(conn: Any) -> int:
    return conn.get_transaction_status()


def test_implicit_begin_and_rollback(conn: Any, dsn: str) -> None:
    assert conn.autocommit is False
    cur = conn.cursor()
    assert status(conn) == extensions.TRANSACTION_STATUS_IDLE
    cur.execute("create table t_tx (x int)")
    assert status(conn) == extensions.TRANSACTION_STATUS_INTRANS
    conn.rollback()
    assert status(conn) == extensions.TRANSACTION_STATUS_IDLE
    with pytest.raises(errors.UndefinedTable):
        cur.execute("select * from t_tx")
    assert status(conn) == extensions.TRANSACTION_STATUS_INERROR
    with pytest.raises(errors.InFailedSqlTransaction):
        cur.execute("select 1")
    conn.rollback()
    cur.execute("select 1")
    assert cur.fetchone() == (1,)


def test_commit_is_visible_elsewhere(conn: Any, dsn: str) -> None:
    cur = conn.cursor()
    cur.execute("create table if not exists t_commit (x int)")
    cur.execute("insert into t_commit values (%s)", (1,))
    other = pgdbapi.connect(dsn)
    try:
        oc = other.cursor()
        oc.execute("select count(*) from pg_tables where tablename = 't_commit'")
        assert oc.fetchone() == (0,)
        other.rollback()
        conn.commit()
        oc.execute("select count(*) from t_commit")
        assert oc.fetchone() == (1,)
    finally:
        other.rollback()
        other.close()
        cur.execute("drop table t_commit")
        conn.commit()


def test_autocommit(conn: Any) -> None:
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute("select 1")
    assert status(conn) == extensions.TRANSACTION_STATUS_IDLE
    cur.execute("vacuum pg_class")  # cannot run in a transaction block
    conn.autocommit = False
    cur.execute("select 1")
    with pytest.raises(pgdbapi.ProgrammingError):
        conn.autocommit = True  # inside a transaction, as psycopg2
    conn.rollback()


def test_with_connection_commits_or_rolls_back(dsn: str) -> None:
    conn = pgdbapi.connect(dsn)
    try:
        with conn:
            conn.cursor().execute("create table t_with (x int)")
        assert not conn.closed
        assert status(conn) == extensions.TRANSACTION_STATUS_IDLE
        with pytest.raises(ZeroDivisionError):
            with conn:
                conn.cursor().execute("insert into t_with values (1)")
                raise ZeroDivisionError
        cur = conn.cursor()
        cur.execute("select count(*) from t_with")
        assert cur.fetchone() == (0,)
        cur.execute("drop table t_with")
        conn.commit()
    finally:
        conn.close()


@pytest.mark.parametrize(
    "level,name",
    [
        ("READ UNCOMMITTED", "read uncommitted"),
        (extensions.ISOLATION_LEVEL_READ_COMMITTED, "read committed"),
        ("repeatable read", "repeatable read"),
        (extensions.ISOLATION_LEVEL_SERIALIZABLE, "serializable"),
    ],
)
def test_set_session_isolation(conn: Any, level: Any, name: str) -> None:
    conn.set_session(isolation_level=level)
    cur = conn.cursor()
    cur.execute("show transaction_isolation")
    assert cur.fetchone() == (name,)
    conn.rollback()
    conn.autocommit = True
    cur.execute("show transaction_isolation")
    assert cur.fetchone() == (name,)  # autocommit: the session default (psycopg2)


def test_readonly_and_deferrable(conn: Any) -> None:
    conn.set_session(readonly=True, deferrable=True, isolation_level="SERIALIZABLE")
    assert conn.readonly is True and conn.deferrable is True
    cur = conn.cursor()
    cur.execute("show transaction_read_only")
    assert cur.fetchone() == ("on",)
    cur.execute("show transaction_deferrable")
    assert cur.fetchone() == ("on",)
    with pytest.raises(errors.ReadOnlySqlTransaction):
        cur.execute("create table t_ro (x int)")
    conn.rollback()
    conn.readonly = None
    cur.execute("show transaction_read_only")
    assert cur.fetchone() == ("off",)
    conn.rollback()


def test_set_isolation_level_autocommit(conn: Any) -> None:
    conn.set_isolation_level(extensions.ISOLATION_LEVEL_AUTOCOMMIT)
    assert conn.autocommit is True
    conn.set_isolation_level(extensions.ISOLATION_LEVEL_SERIALIZABLE)
    assert (
        conn.autocommit is False and conn.isolation_level == extensions.ISOLATION_LEVEL_SERIALIZABLE
    )


def test_connection_status(conn: Any) -> None:
    assert conn.status == extensions.STATUS_READY
    conn.cursor().execute("select 1")
    assert conn.status == extensions.STATUS_BEGIN
    conn.rollback()


def test_tpc_commit_after_prepare(dsn: str) -> None:
    conn = pgdbapi.connect(dsn)
    try:
        cur = conn.cursor()
        cur.execute("create table if not exists t_tpc (x int)")
        conn.commit()
        xid = conn.xid(42, "gtrid-1", "bqual-1")
        conn.tpc_begin(xid)
        cur.execute("insert into t_tpc values (1)")
        with pytest.raises(pgdbapi.ProgrammingError):
            conn.commit()
        conn.tpc_prepare()
        assert conn.status == extensions.STATUS_PREPARED
        recovered = [x for x in conn.tpc_recover() if x.format_id == 42]
        assert [tuple(x) for x in recovered] == [(42, "gtrid-1", "bqual-1")]
        assert recovered[0].database == "pgdbapi_test"
        conn.tpc_commit()
        assert conn.status == extensions.STATUS_READY
        cur.execute("select count(*) from t_tpc")
        assert cur.fetchone() == (1,)
        conn.rollback()
    finally:
        conn.cursor().execute("drop table if exists t_tpc")
        conn.commit()
        conn.close()


def test_tpc_rollback_recovered_from_another_connection(dsn: str) -> None:
    conn = pgdbapi.connect(dsn)
    xid = conn.xid(7, "recover-me", "b")
    conn.tpc_begin(xid)
    conn.cursor().execute("select 1")
    conn.tpc_prepare()
    conn.close()
    other = pgdbapi.connect(dsn)
    try:
        found = [x for x in other.tpc_recover() if x.gtrid == "recover-me"]
        assert len(found) == 1
        other.tpc_rollback(found[0])
        assert not [x for x in other.tpc_recover() if x.gtrid == "recover-me"]
    finally:
        other.close()


def test_tpc_one_phase_and_misuse(conn: Any) -> None:
    xid = conn.xid(1, "one-phase", "")
    conn.tpc_begin(xid)
    with pytest.raises(pgdbapi.ProgrammingError):
        conn.tpc_begin(xid)
    conn.cursor().execute("select 1")
    conn.tpc_commit()  # without prepare: a plain commit
    assert status(conn) == extensions.TRANSACTION_STATUS_IDLE
    conn.autocommit = True
    with pytest.raises(pgdbapi.ProgrammingError):
        conn.tpc_begin(conn.xid(1, "x", ""))
