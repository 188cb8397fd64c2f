"""What each workload does, shared by every driver so all of them run the same SQL and data.

Queries are written with ``{p}`` where the one parameter goes, filled with the driver's own
placeholder (``%s`` or ``$1``).
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Dict, List, Sequence, Tuple


@dataclass(frozen=True)
class Workload:
    name: str
    title: str
    full_n: int
    quick_n: int
    per_op: bool  # report time per operation (µs) rather than seconds for the whole run
    op: str  # what one of the n operations is, for the table


WORKLOADS: Dict[str, Workload] = {
    w.name: w
    for w in (
        Workload("connect", "connect + close", 200, 20, True, "connection"),
        Workload("select1", "SELECT $1 round trip", 10_000, 1_000, True, "round trip"),
        Workload("fetch_int", "fetch rows of 2 × int4", 1_000_000, 50_000, False, "row"),
        Workload("fetch_wide", "fetch wide mixed rows", 100_000, 5_000, False, "row"),
        Workload("executemany", "executemany insert", 20_000, 1_000, False, "row"),
    )
}

SELECT_ONE = "select {p}::int4"

FETCH_INT = "select i, i + 1 from generate_series(1, {n}) i"

FETCH_WIDE = """\
select i::int4,
       i::int8 * 1000000007,
       'row ' || i,
       i * 0.5::float8,
       (i * 1.25)::numeric(14, 2),
       i % 2 = 0,
       date '2000-01-01' + i,
       timestamp '2000-01-01' + i * interval '1 second',
       timestamptz '2000-01-01 00:00:00+00' + i * interval '1 minute',
       md5(i::text)::uuid,
       jsonb_build_object('id', i, 'tag', 'x' || i)
from generate_series(1, {n}) i"""

CREATE_INSERT_TABLE = "create temp table bench_insert (a int4, b text, c float8, d timestamp)"
INSERT_ROW = "insert into bench_insert (a, b, c, d) values ({p1}, {p2}, {p3}, {p4})"
TRUNCATE_INSERT_TABLE = "truncate bench_insert"
COUNT_INSERTED = "select count(*) from bench_insert"


def insert_rows(n: int) -> List[Tuple[int, str, float, dt.datetime]]:
    start = dt.datetime(2024, 1, 1)
    return [(i, f"text value {i}", i * 0.25, start + dt.timedelta(seconds=i)) for i in range(n)]


def expected_wide_row(i: int) -> Tuple[Any, ...]:
    """The Python values every driver must return for row i of FETCH_WIDE (after setup)."""
    import hashlib

    return (
        i,
        i * 1000000007,
        f"row {i}",
        i * 0.5,
        (Decimal(i) * Decimal("1.25")).quantize(Decimal("0.01")),
        i % 2 == 0,
        dt.date(2000, 1, 1) + dt.timedelta(days=i),
        dt.datetime(2000, 1, 1) + dt.timedelta(seconds=i),
        dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(minutes=i),
        uuid.UUID(hashlib.md5(str(i).encode()).hexdigest()),
        {"id": i, "tag": f"x{i}"},
    )


class CheckFailed(AssertionError):
    """A driver returned something other than what the workload asked for."""


def check_rows(workload: str, n: int, rows: Sequence[Sequence[Any]]) -> None:
    """Verify a fetch result (outside the timed region) so a wrong answer is not a fast one."""
    if len(rows) != n:
        raise CheckFailed(f"{workload}: got {len(rows)} rows, expected {n}")
    if workload == "fetch_int":
        pairs = {1: (1, 2), n: (n, n + 1)}
        for idx, want in pairs.items():
            got = tuple(rows[idx - 1])
            if got != want:
                raise CheckFailed(f"fetch_int row {idx}: {got!r} != {want!r}")
    elif workload == "fetch_wide":
        for idx in {1, n}:
            got = tuple(rows[idx - 1])
            want = expected_wide_row(idx)
            for col, (g, w) in enumerate(zip(got, want)):
                if not isinstance(g, type(w)) or g != w:
                    raise CheckFailed(
                        f"fetch_wide row {idx} col {col}: {g!r} ({type(g).__name__}) != {w!r}"
                    )
            if len(got) != len(want):
                raise CheckFailed(f"fetch_wide: {len(got)} columns, expected {len(want)}")
