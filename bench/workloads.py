"""What each workload does, shared by every driver so all of them run the same SQL and data.

Queries are written with ``{p}`` where the one parameter goes, filled with the driver's own
placeholder (``%s`` or ``$1``).
"""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Callable, Dict, List, Sequence, Tuple


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
        Workload("fetch_array", "fetch int4[] and text[] arrays", 100_000, 5_000, False, "row"),
        Workload("fetch_numeric", "fetch numeric of varied scale", 200_000, 10_000, False, "row"),
        Workload(
            "fetch_timestamp", "fetch timestamp, date, interval", 200_000, 10_000, False, "row"
        ),
        Workload("fetch_jsonb", "fetch nested jsonb documents", 50_000, 2_500, False, "row"),
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

FETCH_ARRAY = """\
select i::int4,
       array(select generate_series(i, i + 9))::int4[],
       array['item ' || i, 'b', 'with "quotes", commas', '', 'z' || (i % 7)]::text[]
from generate_series(1, {n}) i"""

FETCH_NUMERIC = """\
select i::int4,
       (i * 1.25)::numeric(14, 2),
       -i::numeric * 1000000000000000000000 + 0.5,
       i::numeric * 0.0000000001,
       i::numeric * 12345678901234567890123456789,
       (i - 7)::numeric(10, 0)
from generate_series(1, {n}) i"""

# Run with the session time zone set to UTC (SESSION_UTC) so every driver sees the same offset.
FETCH_TIMESTAMP = """\
select i::int4,
       timestamp '2000-01-01 00:00:00.25' + i * interval '1 second',
       timestamptz '2000-01-01 00:00:00+00' + i * interval '1 minute',
       date '2000-01-01' + i,
       i * interval '1 day 00:00:01.5'
from generate_series(1, {n}) i"""

FETCH_JSONB = """\
select i::int4,
       jsonb_build_object(
           'id', i,
           'name', 'item ' || i,
           'tags', jsonb_build_array('a', 'b' || i, 'c'),
           'nested', jsonb_build_object(
               'even', i % 2 = 0,
               'list', jsonb_build_array(i, -i, jsonb_build_object('k', 'v' || i)),
               'none', null),
           'text', 'line\nwith "quotes" and \u00e9')
from generate_series(1, {n}) i"""

SESSION_UTC = "set time zone 'UTC'"

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


def expected_array_row(i: int) -> Tuple[Any, ...]:
    """Row i of FETCH_ARRAY as Python values."""
    return (
        i,
        list(range(i, i + 10)),
        [f"item {i}", "b", 'with "quotes", commas', "", f"z{i % 7}"],
    )


def expected_numeric_row(i: int) -> Tuple[Any, ...]:
    """Row i of FETCH_NUMERIC; Decimals with the server's scale (checked too)."""
    with decimal.localcontext() as ctx:
        ctx.prec = 100  # the big columns exceed the default 28 digits
        return (
            i,
            (Decimal(i) * Decimal("1.25")).quantize(Decimal("0.01")),
            -Decimal(i) * Decimal(10) ** 21 + Decimal("0.5"),
            Decimal(i) * Decimal("0.0000000001"),
            Decimal(i) * Decimal(12345678901234567890123456789),
            Decimal(i - 7),
        )


def expected_timestamp_row(i: int) -> Tuple[Any, ...]:
    """Row i of FETCH_TIMESTAMP as Python values (timestamptz in UTC)."""
    return (
        i,
        dt.datetime(2000, 1, 1, 0, 0, 0, 250_000) + dt.timedelta(seconds=i),
        dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(minutes=i),
        dt.date(2000, 1, 1) + dt.timedelta(days=i),
        dt.timedelta(days=i, milliseconds=1500 * i),
    )


def expected_jsonb_row(i: int) -> Tuple[Any, ...]:
    """Row i of FETCH_JSONB as Python values."""
    return (
        i,
        {
            "id": i,
            "name": f"item {i}",
            "tags": ["a", f"b{i}", "c"],
            "nested": {"even": i % 2 == 0, "list": [i, -i, {"k": f"v{i}"}], "none": None},
            "text": 'line\nwith "quotes" and \u00e9',
        },
    )


EXPECTED_ROW: Dict[str, Callable[[int], Tuple[Any, ...]]] = {
    "fetch_int": lambda i: (i, i + 1),
    "fetch_wide": expected_wide_row,
    "fetch_array": expected_array_row,
    "fetch_numeric": expected_numeric_row,
    "fetch_timestamp": expected_timestamp_row,
    "fetch_jsonb": expected_jsonb_row,
}

FETCH_SQL: Dict[str, str] = {
    "fetch_int": FETCH_INT,
    "fetch_wide": FETCH_WIDE,
    "fetch_array": FETCH_ARRAY,
    "fetch_numeric": FETCH_NUMERIC,
    "fetch_timestamp": FETCH_TIMESTAMP,
    "fetch_jsonb": FETCH_JSONB,
}


class CheckFailed(AssertionError):
    """A driver returned something other than what the workload asked for."""


def _scale(value: Decimal) -> int:
    """Digits after the point, as numeric's dscale (asyncpg gives 1.2E+32 for a scale-0 value)."""
    exponent = value.as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def _same(got: Any, want: Any) -> bool:
    """Equal and of the same type, all the way down; Decimals must also keep their scale,
    aware datetimes their UTC offset."""
    if not isinstance(got, type(want)):
        return False
    if type(got) is not type(want) and type(want) in (int, dt.date):
        return False  # a bool is no int, a datetime no date (asyncpg's UUID subclass is fine)
    if isinstance(want, Decimal):
        return bool(got == want and _scale(got) == _scale(want))
    if isinstance(want, dt.datetime):
        return bool(got == want and got.utcoffset() == want.utcoffset())
    if isinstance(want, list):
        return len(got) == len(want) and all(_same(g, w) for g, w in zip(got, want))
    if isinstance(want, dict):
        return got.keys() == want.keys() and all(_same(got[k], want[k]) for k in want)
    return bool(got == want)


def check_rows(workload: str, n: int, rows: Sequence[Sequence[Any]]) -> None:
    """Verify a fetch result (outside the timed region) so a wrong answer is not a fast one."""
    if len(rows) != n:
        raise CheckFailed(f"{workload}: got {len(rows)} rows, expected {n}")
    expected_row = EXPECTED_ROW[workload]
    for idx in sorted({1, n}):
        got = tuple(rows[idx - 1])
        want = expected_row(idx)
        if len(got) != len(want):
            raise CheckFailed(f"{workload} row {idx}: {len(got)} columns, expected {len(want)}")
        for col, (g, w) in enumerate(zip(got, want)):
            if not _same(g, w):
                raise CheckFailed(
                    f"{workload} row {idx} col {col}: {g!r} ({type(g).__name__}) != {w!r}"
                )
