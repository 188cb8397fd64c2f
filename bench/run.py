"""Benchmark pgdbapi against psycopg2, psycopg 3, asyncpg and pg8000: ``python bench/run.py -h``.

Each (driver, workload) runs in its own worker subprocess; a driver that fails or hangs gets
an error cell and the run goes on. The Markdown table goes to stdout, progress to stderr.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List, Sequence, Tuple

from drivers import BASELINE, DRIVERS
from report import STATS, figure, format_seconds, render_markdown, to_json
from server import Server, server_for
from worker import RESULT_MARKER
from workloads import WORKLOADS

WORKER = Path(__file__).resolve().parent / "worker.py"
PIN_MODES = ("same", "split", "none")


def _names(kind: str, known: Sequence[str]) -> Any:
    def parse(text: str) -> List[str]:
        names = [name.strip() for name in text.split(",") if name.strip()]
        unknown = [name for name in names if name not in known]
        if unknown or not names:
            raise argparse.ArgumentTypeError(
                f"unknown {kind} {', '.join(unknown) or '(none given)'}; known: {', '.join(known)}"
            )
        return names

    return parse


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Benchmark pgdbapi (C and Python codecs) against other PostgreSQL drivers."
    )
    parser.add_argument("--dsn", help="use this server (libpq string or URL); default: start one")
    parser.add_argument("--quick", action="store_true", help="small sizes for a smoke run")
    parser.add_argument(
        "--drivers",
        type=_names("driver", list(DRIVERS)),
        default=list(DRIVERS),
        help=f"comma-separated, default all: {','.join(DRIVERS)}",
    )
    parser.add_argument(
        "--workloads",
        type=_names("workload", list(WORKLOADS)),
        default=list(WORKLOADS),
        help=f"comma-separated, default all: {','.join(WORKLOADS)}",
    )
    parser.add_argument("--json", metavar="PATH", help="also save all timings as JSON here")
    parser.add_argument("--reps", type=int, help="timed repetitions (default 5, --quick 2)")
    parser.add_argument("--warmup", type=int, default=1, help="untimed runs first (default 1)")
    parser.add_argument(
        "--stat", choices=STATS, default="min", help="figure per cell: min (best-of) or median"
    )
    parser.add_argument(
        "--timeout", type=float, help="seconds per driver and workload (default 600, --quick 60)"
    )
    parser.add_argument(
        "--pin",
        choices=PIN_MODES,
        default="same",
        help="same: server and driver on one CPU (default, steadiest); split: one CPU each; "
        "none: leave it to the scheduler. A --dsn server is not pinned, only the driver",
    )
    parser.add_argument(
        "--baseline", default=BASELINE, help=f"ratios are relative to this (default {BASELINE})"
    )
    args = parser.parse_args(argv)
    if args.reps is None:
        args.reps = 2 if args.quick else 5
    if args.timeout is None:
        args.timeout = 60.0 if args.quick else 600.0
    if args.reps < 1 or args.warmup < 0:
        parser.error("--reps must be at least 1 and --warmup at least 0")
    if args.json and not Path(args.json).resolve().parent.is_dir():
        parser.error(f"--json: no directory for {args.json}")
    return args


def run_worker(job: Dict[str, Any], timeout: float) -> Dict[str, Any]:
    """One worker subprocess; whatever goes wrong comes back as the result's error."""
    env = {k: v for k, v in os.environ.items() if k != "PGDBAPI_IMPL"}
    env.update(DRIVERS[job["driver"]])
    base = {"driver": job["driver"], "workload": job["workload"], "n": job["n"]}
    try:
        proc = subprocess.run(
            [sys.executable, str(WORKER)],
            input=json.dumps(job),
            capture_output=True,
            text=True,
            env=env,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return {**base, "error": f"timed out after {timeout:g} s"}
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith(RESULT_MARKER):
            result: Dict[str, Any] = json.loads(line[len(RESULT_MARKER) :])
            return result
    last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
    return {**base, "error": f"worker exited with {proc.returncode}: {last}", "stderr": proc.stderr}


def _machine() -> str:
    model = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    return f"{model}, {os.cpu_count()} CPUs"


def _describe_driver(result: Dict[str, Any]) -> str:
    details = ", ".join(f"{k} {v}" for k, v in result.get("details", {}).items())
    return str(result["version"]) + (f" ({details})" if details else "")


def pin_cpus(mode: str, server: Server) -> List[int] | None:
    """Apply --pin to the server; return the CPUs the workers should pin themselves to.

    On small VMs a round trip between processes on different CPUs costs several times one on
    the same CPU, and where the scheduler puts them changes from run to run.
    """
    if mode == "none" or not hasattr(os, "sched_setaffinity"):
        return None
    cpus = sorted(os.sched_getaffinity(0))
    server_cpu = cpus[0]
    client_cpu = cpus[0] if mode == "same" or len(cpus) < 2 else cpus[1]
    if server.postmaster_pid is not None:
        # backends forked from now on inherit the postmaster's affinity
        os.sched_setaffinity(server.postmaster_pid, {server_cpu})
    return [client_cpu]


def run(args: argparse.Namespace) -> Tuple[List[Dict[str, Any]], Dict[str, Any]]:
    results: List[Dict[str, Any]] = []
    meta: Dict[str, Any] = {
        "date": dt.datetime.now().strftime("%Y-%m-%d %H:%M"),
        "machine": _machine(),
        "python": platform.python_version(),
        "quick": args.quick,
        "reps": args.reps,
        "warmup": args.warmup,
        "stat": args.stat,
        "drivers": {},
    }
    with server_for(args.dsn) as server:
        meta["server"] = server.description
        cpus = pin_cpus(args.pin, server)
        meta["pin"] = args.pin if cpus is not None else "none"
        if cpus is not None and server.postmaster_pid is None:
            meta["pin"] = "client"
        total = len(args.workloads) * len(args.drivers)
        for workload in args.workloads:
            spec = WORKLOADS[workload]
            n = spec.quick_n if args.quick else spec.full_n
            for driver in args.drivers:
                job = {
                    "driver": driver,
                    "workload": workload,
                    "n": n,
                    "dsn": server.dsn,
                    "cpus": cpus,
                    "reps": args.reps,
                    "warmup": args.warmup,
                    "server_version": "server_version" not in meta,
                }
                result = run_worker(job, args.timeout)
                results.append(result)
                if "version" in result:
                    meta["drivers"].setdefault(driver, _describe_driver(result))
                if result.get("server_version"):
                    meta["server_version"] = result["server_version"]
                value = figure(result, args.stat)
                shown = format_seconds(value) if value is not None else f"ERROR {result['error']}"
                print(f"[{len(results)}/{total}] {workload} {driver}: {shown}", file=sys.stderr)
    return results, meta


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    results, meta = run(args)
    print(render_markdown(results, args.drivers, args.workloads, meta, args.stat, args.baseline))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(to_json(results, meta), f, indent=2)
            f.write("\n")
        print(f"saved {args.json}", file=sys.stderr)
    return 0 if any(figure(r, args.stat) is not None for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
