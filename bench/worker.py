"""Runs one workload on one driver in a fresh process and prints one result line.

Run by run.py as ``python bench/worker.py`` with a JSON job on stdin; a fresh process per
(driver, workload) keeps imports and the codec pick from leaking, and lets the parent kill
a hung driver without losing the rest of the run.
"""

from __future__ import annotations

import gc
import json
import os
import sys
import time
import traceback
from typing import Any, Dict, List

from drivers import Trial, load_driver

RESULT_MARKER = "BENCH-RESULT "


def measure(trial: Trial, warmup: int, reps: int) -> List[float]:
    """Seconds per timed repetition, after `warmup` untimed ones; every result is checked."""
    times: List[float] = []
    try:
        for rep in range(warmup + reps):
            trial.reset()
            gc.collect()
            start = time.perf_counter()
            result = trial.run()
            elapsed = time.perf_counter() - start
            trial.check(result)
            del result
            if rep >= warmup:
                times.append(elapsed)
    finally:
        trial.close()
    return times


def run_job(job: Dict[str, Any]) -> Dict[str, Any]:
    out: Dict[str, Any] = {"driver": job["driver"], "workload": job["workload"], "n": job["n"]}
    try:
        driver = load_driver(job["driver"], job["dsn"])
        out["version"] = driver.info.version
        out["details"] = driver.info.details
        if job.get("server_version"):
            out["server_version"] = driver.server_version()
        trial = driver.trial(job["workload"], job["n"])
        out["times"] = measure(trial, job["warmup"], job["reps"])
    except Exception as exc:  # any failure becomes an error cell, the run goes on
        out["error"] = f"{type(exc).__name__}: {exc}".strip()
        out["traceback"] = traceback.format_exc()
    return out


def main() -> int:
    job = json.load(sys.stdin)
    if job.get("cpus"):
        os.sched_setaffinity(0, job["cpus"])
    result = run_job(job)
    sys.stdout.write(RESULT_MARKER + json.dumps(result) + "\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
