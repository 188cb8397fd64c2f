"""Tests for the benchmark harness: ``pytest bench`` (the real-server test needs PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import json
import socket
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any, Dict, List, Tuple

import dsn as dsn_util
import pytest
import run
import workloads as wl
from drivers import Trial
from report import figure, format_seconds, render_markdown
from worker import measure

META: Dict[str, Any] = {"reps": 2, "warmup": 1, "pin": "same", "drivers": {}}


def test_parse_keyword_dsn_with_quotes_and_escapes() -> None:
    text = "host=127.0.0.1 port = 5433 user=bob password='it\\'s a secret' dbname=x"
    assert dsn_util.parse_dsn(text) == {
        "host": "127.0.0.1",
        "port": "5433",
        "user": "bob",
        "password": "it's a secret",
        "dbname": "x",
    }


def test_parse_url_dsn_decodes_percent_escapes_and_query() -> None:
    params = dsn_util.parse_dsn("postgresql://bo%40b:p%20w@db.local:6543/my%20db?sslmode=disable")
    assert params == {
        "user": "bo@b",
        "password": "p w",
        "host": "db.local",
        "port": "6543",
        "dbname": "my db",
        "sslmode": "disable",
    }


def test_parse_dsn_rejects_garbage() -> None:
    with pytest.raises(ValueError):
        dsn_util.parse_dsn("host=x junk")
    with pytest.raises(ValueError):
        dsn_util.parse_dsn("password='open")


def test_defaults_fill_only_missing_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("PGHOST", "PGPORT", "PGUSER", "PGDATABASE", "PGPASSWORD"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("PGUSER", "carol")
    full = dsn_util.with_defaults({"port": "7000"})
    assert full == {"host": "localhost", "port": "7000", "user": "carol", "dbname": "carol"}


def _result(driver: str, workload: str, n: int, times: List[float]) -> Dict[str, Any]:
    return {"driver": driver, "workload": workload, "n": n, "times": times}


def test_figure_is_per_op_for_latency_workloads_and_total_otherwise() -> None:
    latency = _result("a", "select1", 1000, [0.2, 0.1, 0.3])
    assert figure(latency, "min") == pytest.approx(0.1 / 1000)
    assert figure(latency, "median") == pytest.approx(0.2 / 1000)
    assert figure(_result("a", "fetch_int", 10, [2.0, 1.5]), "min") == 1.5
    assert figure({**latency, "error": "boom"}, "min") is None


def test_format_seconds_picks_a_readable_unit() -> None:
    assert format_seconds(2.5) == "2.50 s"
    assert format_seconds(0.0123) == "12.3 ms"
    assert format_seconds(0.00123) == "1.23 ms"
    assert format_seconds(12.3e-6) == "12.3 µs"


def test_table_shows_ratios_to_baseline_winner_and_error_notes() -> None:
    results = [
        _result("base", "fetch_int", 100, [1.0]),
        _result("slow", "fetch_int", 100, [2.0]),
        _result("fast", "fetch_int", 100, [0.5]),
        _result("base", "select1", 100, [0.01]),
        {"driver": "slow", "workload": "select1", "n": 100, "error": "OperationalError: nope"},
        _result("fast", "select1", 100, [0.04]),
    ]
    table = render_markdown(
        results, ["base", "slow", "fast"], ["fetch_int", "select1"], META, "min", "base"
    )
    rows = {line.split(" | ")[0]: line for line in table.splitlines() if line.startswith("| ")}
    fetch = rows["| fetch rows of 2 × int4 (total, 100 rows)"]
    assert "1.00 s (1.00×)" in fetch and "2.00 s (2.00×)" in fetch and "500.0 ms (0.50×)" in fetch
    assert fetch.endswith("| fast | 2.00× slower than fast |")
    select = rows["| SELECT $1 round trip (per round trip, n=100)"]
    assert "error [1]" in select and "400.0 µs (4.00×)" in select
    assert select.endswith("| base | 4.00× faster than fast |")
    assert "[1] slow / select1: OperationalError: nope" in table


def test_table_without_baseline_has_no_ratios() -> None:
    results = [_result("x", "connect", 10, [0.01]), _result("y", "connect", 10, [0.02])]
    table = render_markdown(results, ["x", "y"], ["connect"], META, "min", "pgdbapi-c")
    assert "×" not in table.split("\n\n", 1)[1]
    assert table.rstrip().endswith("| 1.00 ms | 2.00 ms | x |")


def test_measure_times_only_the_runs_after_warmup_and_always_closes() -> None:
    calls: List[str] = []

    def run_once() -> int:
        calls.append("run")
        return len(calls)

    trial = Trial(
        run=run_once,
        check=lambda result: calls.append(f"check {result}"),
        reset=lambda: calls.append("reset"),
        close=lambda: calls.append("close"),
    )
    assert len(measure(trial, warmup=2, reps=3)) == 3
    assert calls.count("run") == 5 and calls.count("reset") == 5 and calls[-1] == "close"

    def failing_check(result: object) -> None:
        raise wl.CheckFailed("wrong")

    closed: List[bool] = []
    bad = Trial(run=lambda: None, check=failing_check, close=lambda: closed.append(True))
    with pytest.raises(wl.CheckFailed):
        measure(bad, warmup=0, reps=1)
    assert closed == [True]


def test_wide_row_check_wants_decoded_types() -> None:
    good = [wl.expected_wide_row(1), wl.expected_wide_row(2)]
    wl.check_rows("fetch_wide", 2, good)
    as_text = [(*row[:9], str(row[9]), row[10]) for row in good]  # uuid left as str
    with pytest.raises(wl.CheckFailed, match="col 9"):
        wl.check_rows("fetch_wide", 2, as_text)
    with pytest.raises(wl.CheckFailed, match="got 1 rows"):
        wl.check_rows("fetch_wide", 2, good[:1])
    assert isinstance(good[0][9], uuid.UUID)
    assert good[0][8] == dt.datetime(2000, 1, 1, 0, 1, tzinfo=dt.timezone.utc)


@pytest.mark.parametrize("workload", sorted(wl.FETCH_SQL))
def test_every_fetch_workload_accepts_its_own_expected_rows(workload: str) -> None:
    rows = [wl.EXPECTED_ROW[workload](i) for i in (1, 2, 3)]
    wl.check_rows(workload, 3, rows)
    with pytest.raises(wl.CheckFailed, match="columns"):
        wl.check_rows(workload, 3, [*rows[:2], rows[2][:-1]])


def _replace(row: Tuple[Any, ...], col: int, value: Any) -> Tuple[Any, ...]:
    return (*row[:col], value, *row[col + 1 :])


def test_numeric_check_wants_the_servers_scale() -> None:
    good = wl.expected_numeric_row(1)
    assert str(good[2]) == "-999999999999999999999.5" and str(good[3]) == "1E-10"
    wl.check_rows("fetch_numeric", 1, [good])
    rescaled = _replace(good, 1, good[1].quantize(Decimal("0.001")))  # 1.250 == 1.25 but scale 3
    with pytest.raises(wl.CheckFailed, match="col 1"):
        wl.check_rows("fetch_numeric", 1, [rescaled])
    as_float = _replace(good, 1, float(good[1]))
    with pytest.raises(wl.CheckFailed, match="col 1"):
        wl.check_rows("fetch_numeric", 1, [as_float])
    # asyncpg builds scale-0 values with a positive exponent: same value, same scale, accepted
    wl.check_rows(
        "fetch_numeric", 1, [_replace(good, 4, Decimal("1.2345678901234567890123456789E+28"))]
    )


def test_timestamp_check_wants_utc_offset_and_exact_types() -> None:
    good = wl.expected_timestamp_row(1)
    wl.check_rows("fetch_timestamp", 1, [good])
    plus_one = dt.timezone(dt.timedelta(hours=1))
    same_instant_other_zone = _replace(good, 2, good[2].astimezone(plus_one))
    with pytest.raises(wl.CheckFailed, match="col 2"):
        wl.check_rows("fetch_timestamp", 1, [same_instant_other_zone])
    date_as_datetime = _replace(good, 3, dt.datetime.combine(good[3], dt.time()))
    with pytest.raises(wl.CheckFailed, match="col 3"):
        wl.check_rows("fetch_timestamp", 1, [date_as_datetime])
    assert good[4] == dt.timedelta(days=1, seconds=1, microseconds=500_000)


def test_array_and_jsonb_checks_look_inside_the_values() -> None:
    array_row = wl.expected_array_row(1)
    with pytest.raises(wl.CheckFailed, match="col 1"):
        wl.check_rows("fetch_array", 1, [_replace(array_row, 1, [str(v) for v in array_row[1]])])
    with pytest.raises(wl.CheckFailed, match="col 2"):
        wl.check_rows("fetch_array", 1, [_replace(array_row, 2, "{item 1,b}")])
    doc = wl.expected_jsonb_row(1)[1]
    wl.check_rows("fetch_jsonb", 1, [(1, doc)])
    wrong_bool = json.loads(json.dumps(doc).replace("false", "0"))
    assert wrong_bool == doc  # 0 == False: only the type check tells them apart
    with pytest.raises(wl.CheckFailed, match="col 1"):
        wl.check_rows("fetch_jsonb", 1, [(1, wrong_bool)])
    with pytest.raises(wl.CheckFailed, match="col 1"):
        wl.check_rows("fetch_jsonb", 1, [(1, json.dumps(doc))])


def test_failing_and_hanging_drivers_become_error_cells(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as silent:  # accepts connections, never answers: a hung server
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        code = run.main(
            ["--dsn", f"host=127.0.0.1 port={port} user=u dbname=d", "--quick", "--timeout", "2"]
            + ["--drivers", "psycopg2,pg8000"]
            + ["--workloads", "select1", "--reps", "1"]
        )
    out = capsys.readouterr().out
    assert code == 1  # nothing measured
    assert "error [1]" in out and "error [2]" in out
    assert "[1] psycopg2 / select1: timed out after 2 s" in out


def test_refused_connection_is_an_error_cell_with_the_driver_exception(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again below: connections are refused
    dsn = f"host=127.0.0.1 port={port} user=u dbname=d"
    code = run.main(["--dsn", dsn, "--drivers", "psycopg2", "--workloads", "connect,fetch_int"])
    out = capsys.readouterr().out
    assert code == 1
    assert "[1] psycopg2 / connect: OperationalError:" in out
    assert "[2] psycopg2 / fetch_int: OperationalError:" in out


def _pgserver_available() -> bool:
    try:
        import sys

        sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
        from pgserver import find_bindir

        find_bindir()
    except (ImportError, RuntimeError):
        return False
    return True


@pytest.mark.skipif(not _pgserver_available(), reason="needs tests/pgserver.py and PostgreSQL")
def test_real_run_against_a_throwaway_server(tmp_path: Path) -> None:
    out = tmp_path / "out.json"
    drivers = [d for d in ("psycopg2", "asyncpg") if _importable(d)]
    if not drivers:
        pytest.skip("no peer driver installed")
    argv = ["--quick", "--reps", "1", "--warmup", "0", "--json", str(out)]
    assert run.main([*argv, "--drivers", ",".join(drivers)]) == 0
    saved = json.loads(out.read_text())
    assert saved["meta"]["server_version"].startswith(("15", "16", "17", "18"))
    cells = {(r["driver"], r["workload"]): r for r in saved["results"]}
    assert len(cells) == len(drivers) * len(wl.WORKLOADS)
    for cell in cells.values():
        assert "error" not in cell, cell
        assert len(cell["times"]) == 1 and cell["min_seconds"] > 0


def _importable(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


@pytest.mark.skipif(not _pgserver_available(), reason="needs tests/pgserver.py and PostgreSQL")
def test_codec_alone_replays_captured_rows_with_each_codec(
    capfd: pytest.CaptureFixture[str],
) -> None:
    import importlib.util

    import codec_alone  # puts this checkout on sys.path

    impls = "c,python" if importlib.util.find_spec("pgdbapi._codec") else "python"
    argv = ["--quick", "--reps", "1", "--impls", impls, "--workloads", "fetch_array,fetch_jsonb"]
    assert codec_alone.main(argv) == 0
    lines = [line for line in capfd.readouterr().out.splitlines() if "decode min" in line]
    expected = {
        (workload, impl, fmt)
        for workload in ("fetch_array", "fetch_jsonb")
        for impl in impls.split(",")
        for fmt in ("text", "binary")
    }
    assert {tuple(line.split()[:3]) for line in lines} == expected
