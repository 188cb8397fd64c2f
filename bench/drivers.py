"""One adapter per driver: prepares a workload as an untimed setup plus a timed ``run``.

Driver packages are imported only inside ``load_driver``, which runs in the per-driver
worker subprocess; the parent process imports this module just for the names.
"""

from __future__ import annotations

import asyncio
import importlib.metadata
import json
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Dict

import dsn as dsn_util
import workloads as wl

# name -> environment the worker subprocess needs (the codec pick must not leak between runs)
DRIVERS: Dict[str, Dict[str, str]] = {
    "pgdbapi-c": {"PGDBAPI_IMPL": "c"},
    "pgdbapi-python": {"PGDBAPI_IMPL": "python"},
    "psycopg2": {},
    "psycopg": {},
    "asyncpg": {},
    "pg8000": {},
}
BASELINE = "pgdbapi-c"


def _nothing() -> None:
    return None


def _accept(result: Any) -> None:
    return None


@dataclass
class Trial:
    """One workload ready to time on one driver; only ``run`` is inside the timer."""

    run: Callable[[], Any]
    check: Callable[[Any], None] = _accept
    reset: Callable[[], None] = _nothing
    close: Callable[[], None] = _nothing


@dataclass
class DriverInfo:
    version: str
    details: Dict[str, str] = field(default_factory=dict)


class Driver:
    """Interface the worker uses; one subclass per API family."""

    name: str
    info: DriverInfo

    def trial(self, workload: str, n: int) -> Trial:
        raise NotImplementedError

    def server_version(self) -> str:
        raise NotImplementedError


class DbapiDriver(Driver):
    """A PEP 249 driver with ``%s`` placeholders (pgdbapi, psycopg2, psycopg, pg8000.dbapi)."""

    def __init__(self, name: str, connect: Callable[[], Any], info: DriverInfo) -> None:
        self.name = name
        self.info = info
        self.connect = connect

    def server_version(self) -> str:
        conn = self.connect()
        try:
            cur = conn.cursor()
            cur.execute("show server_version")
            return str(cur.fetchone()[0])
        finally:
            conn.close()

    def trial(self, workload: str, n: int) -> Trial:
        if workload == "connect":
            return Trial(run=lambda: self._connect_close(n))
        conn = self.connect()
        cur = conn.cursor()
        if workload == "select1":
            return Trial(
                run=lambda: self._select_loop(cur, n),
                check=lambda row: _check_select(row, n),
                close=conn.close,
            )
        if workload in wl.FETCH_SQL:
            if workload == "fetch_timestamp":
                cur.execute(wl.SESSION_UTC)
                conn.commit()
            sql = wl.FETCH_SQL[workload].format(n=n)
            return Trial(
                run=lambda: _execute_fetchall(cur, sql),
                check=lambda rows: wl.check_rows(workload, n, rows),
                close=conn.close,
            )
        if workload == "executemany":
            return self._executemany_trial(conn, cur, n)
        raise ValueError(f"unknown workload {workload!r}")

    def _connect_close(self, n: int) -> None:
        for _ in range(n):
            self.connect().close()

    @staticmethod
    def _select_loop(cur: Any, n: int) -> Any:
        sql = wl.SELECT_ONE.format(p="%s")
        row = None
        for i in range(n):
            cur.execute(sql, (i,))
            row = cur.fetchone()
        return row

    @staticmethod
    def _executemany_trial(conn: Any, cur: Any, n: int) -> Trial:
        cur.execute(wl.CREATE_INSERT_TABLE)
        conn.commit()
        rows = wl.insert_rows(n)
        sql = wl.INSERT_ROW.format(p1="%s", p2="%s", p3="%s", p4="%s")

        def reset() -> None:
            cur.execute(wl.TRUNCATE_INSERT_TABLE)
            conn.commit()

        def run() -> None:
            cur.executemany(sql, rows)
            conn.commit()

        def check(_: Any) -> None:
            cur.execute(wl.COUNT_INSERTED)
            _check_count(cur.fetchone()[0], n)
            conn.commit()

        return Trial(run=run, check=check, reset=reset, close=conn.close)


def _execute_fetchall(cur: Any, sql: str) -> Any:
    cur.execute(sql)
    return cur.fetchall()


def _check_select(row: Any, n: int) -> None:
    if row is None or tuple(row) != (n - 1,):
        raise wl.CheckFailed(f"select1: last row {row!r}, expected ({n - 1},)")


def _check_count(count: Any, n: int) -> None:
    if count != n:
        raise wl.CheckFailed(f"executemany: table has {count!r} rows, expected {n}")


class AsyncpgDriver(Driver):
    """asyncpg through its own API (fetch, executemany) on one event loop per worker."""

    def __init__(self, params: dsn_util.ConnParams) -> None:
        import asyncpg

        self.name = "asyncpg"
        self.info = DriverInfo(asyncpg.__version__)
        self._asyncpg = asyncpg
        self._kwargs: Dict[str, Any] = {
            "host": params["host"],
            "port": int(params["port"]),
            "user": params["user"],
            "database": params["dbname"],
            "password": params.get("password"),
        }
        if "sslmode" in params:
            self._kwargs["ssl"] = params["sslmode"]
        self._loop = asyncio.new_event_loop()

    def _sync(self, coro: Awaitable[Any]) -> Any:
        return self._loop.run_until_complete(coro)

    async def _connect(self) -> Any:
        return await self._asyncpg.connect(**self._kwargs)

    def server_version(self) -> str:
        async def fetch() -> str:
            conn = await self._connect()
            try:
                return str(await conn.fetchval("show server_version"))
            finally:
                await conn.close()

        return str(self._sync(fetch()))

    def trial(self, workload: str, n: int) -> Trial:
        if workload == "connect":
            return Trial(run=lambda: self._sync(self._connect_close(n)))
        conn = self._sync(self._connect())

        def close() -> None:
            self._sync(conn.close())

        if workload == "select1":
            return Trial(
                run=lambda: self._sync(self._select_loop(conn, n)),
                check=lambda row: _check_select(row, n),
                close=close,
            )
        if workload in wl.FETCH_SQL:
            if workload in ("fetch_wide", "fetch_jsonb"):
                # asyncpg hands jsonb back as str by default; decode it like everyone else does.
                self._sync(
                    conn.set_type_codec(
                        "jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog"
                    )
                )
            if workload == "fetch_timestamp":
                self._sync(conn.execute(wl.SESSION_UTC))
            sql = wl.FETCH_SQL[workload].format(n=n)
            return Trial(
                run=lambda: self._sync(conn.fetch(sql)),
                check=lambda rows: wl.check_rows(workload, n, rows),
                close=close,
            )
        if workload == "executemany":
            return self._executemany_trial(conn, n, close)
        raise ValueError(f"unknown workload {workload!r}")

    async def _connect_close(self, n: int) -> None:
        for _ in range(n):
            conn = await self._connect()
            await conn.close()

    @staticmethod
    async def _select_loop(conn: Any, n: int) -> Any:
        sql = wl.SELECT_ONE.format(p="$1")
        row = None
        for i in range(n):
            row = await conn.fetchrow(sql, i)
        return row

    def _executemany_trial(self, conn: Any, n: int, close: Callable[[], None]) -> Trial:
        self._sync(conn.execute(wl.CREATE_INSERT_TABLE))
        rows = wl.insert_rows(n)
        sql = wl.INSERT_ROW.format(p1="$1", p2="$2", p3="$3", p4="$4")

        async def run() -> None:
            async with conn.transaction():
                await conn.executemany(sql, rows)

        return Trial(
            run=lambda: self._sync(run()),
            check=lambda _: _check_count(self._sync(conn.fetchval(wl.COUNT_INSERTED)), n),
            reset=lambda: self._sync(conn.execute(wl.TRUNCATE_INSERT_TABLE)),
            close=close,
        )


def _dist_version(dist: str, module: Any) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return str(getattr(module, "__version__", "?"))


def load_driver(name: str, dsn: str) -> Driver:
    """Import one driver and wrap it; raises ImportError if it is not installed."""
    params = dsn_util.with_defaults(dsn_util.parse_dsn(dsn))
    if name in ("pgdbapi-c", "pgdbapi-python"):
        try:
            import pgdbapi
            from pgdbapi import codec
        except ImportError as exc:
            raise ImportError(f"{exc} (build and install it: pip install -e .)") from exc

        info = DriverInfo(_dist_version("pgdbapi", pgdbapi), {"codec": codec.implementation})
        return DbapiDriver(name, lambda: pgdbapi.connect(dsn), info)
    if name == "psycopg2":
        import psycopg2
        import psycopg2.extras

        psycopg2.extras.register_uuid()  # uuid.UUID like the others, not str
        info = DriverInfo(psycopg2.__version__.split()[0])
        return DbapiDriver(name, lambda: psycopg2.connect(dsn), info)
    if name == "psycopg":
        import psycopg

        info = DriverInfo(psycopg.__version__, {"impl": psycopg.pq.__impl__})
        return DbapiDriver(name, lambda: psycopg.connect(dsn), info)
    if name == "asyncpg":
        return AsyncpgDriver(params)
    if name == "pg8000":
        return _load_pg8000(params)
    raise ValueError(f"unknown driver {name!r}; known: {', '.join(DRIVERS)}")


def _load_pg8000(params: dsn_util.ConnParams) -> Driver:
    import pg8000.dbapi

    kwargs: Dict[str, Any] = {
        "user": params["user"],
        "database": params["dbname"],
        "password": params.get("password"),
    }
    host: str | None = params["host"]
    if host is not None and host.startswith("/"):
        kwargs["unix_sock"] = f"{host}/.s.PGSQL.{params['port']}"
    else:
        kwargs.update(host=host, port=int(params["port"]))
    sslmode = params.get("sslmode")
    if sslmode == "disable":
        kwargs["ssl_context"] = False
    elif sslmode in ("require", "verify-ca", "verify-full"):
        kwargs["ssl_context"] = True
    info = DriverInfo(_dist_version("pg8000", pg8000))
    return DbapiDriver("pg8000", lambda: pg8000.dbapi.connect(**kwargs), info)
