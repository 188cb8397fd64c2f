"""Turns worker results into the Markdown table (ratios to the baseline) and the JSON file."""

from __future__ import annotations

import statistics
from typing import Any, Dict, List, Sequence

from workloads import WORKLOADS

Result = Dict[str, Any]
STATS = ("min", "median")
_PIN_TEXT = {
    "same": "server and driver pinned to one CPU",
    "split": "server and driver pinned to one CPU each",
    "client": "driver pinned to one CPU, server not pinned",
    "none": "no CPU pinning",
}


def seconds(result: Result, stat: str) -> float | None:
    """The figure a result is judged by: best-of or median seconds, None for an error cell."""
    times: List[float] = result.get("times") or []
    if result.get("error") or not times:
        return None
    return min(times) if stat == "min" else statistics.median(times)


def figure(result: Result, stat: str) -> float | None:
    """Seconds per operation for per-op workloads, seconds for the whole run otherwise."""
    value = seconds(result, stat)
    if value is None:
        return None
    return value / result["n"] if WORKLOADS[result["workload"]].per_op else value


def format_seconds(value: float) -> str:
    if value >= 1:
        return f"{value:.2f} s"
    if value >= 1e-3:
        return f"{value * 1e3:.1f} ms" if value >= 1e-2 else f"{value * 1e3:.2f} ms"
    return f"{value * 1e6:.1f} µs"


def format_ratio(ratio: float) -> str:
    return f"{ratio:.2f}×"


def _row_label(workload: str, n: int) -> str:
    spec = WORKLOADS[workload]
    if spec.per_op:
        return f"{spec.title} (per {spec.op}, n={n:,})"
    return f"{spec.title} (total, {n:,} {spec.op}s)"


def _versus(base: float, name: str, value: float) -> str:
    if value >= base:
        return f"{value / base:.2f}× faster than {name}"
    return f"{base / value:.2f}× slower than {name}"


def render_markdown(
    results: Sequence[Result],
    drivers: Sequence[str],
    workloads: Sequence[str],
    meta: Dict[str, Any],
    stat: str,
    baseline: str,
) -> str:
    """A table to paste in a note: one row per workload, one column per driver."""
    by_key = {(r["driver"], r["workload"]): r for r in results}
    has_base = baseline in drivers
    lines: List[str] = []
    notes: List[str] = []
    header = ["workload", *drivers, "fastest"]
    if has_base:
        header.append(f"{baseline} vs best other")
    lines.append("| " + " | ".join(header) + " |")
    aligns = ["---", *(["---:"] * len(drivers)), *(["---"] * (len(header) - 1 - len(drivers)))]
    lines.append("|" + "|".join(aligns) + "|")
    for workload in workloads:
        figures: Dict[str, float] = {}
        cells: List[str] = []
        n = 0
        for driver in drivers:
            result = by_key.get((driver, workload))
            if result is None:
                cells.append("—")
                continue
            n = result["n"]
            value = figure(result, stat)
            if value is None:
                notes.append(f"{driver} / {workload}: {result.get('error', 'no timings')}")
                cells.append(f"error [{len(notes)}]")
                continue
            figures[driver] = value
            cells.append(format_seconds(value))
        base = figures.get(baseline)
        if base is not None:
            cells = [
                f"{cell} ({format_ratio(figures[d] / base)})" if d in figures else cell
                for d, cell in zip(drivers, cells)
            ]
        row = [_row_label(workload, n), *cells]
        row.append(min(figures, key=figures.__getitem__) if figures else "—")
        if has_base:
            others = {d: v for d, v in figures.items() if d != baseline}
            if base is not None and others:
                best = min(others, key=others.__getitem__)
                row.append(_versus(base, best, others[best]))
            else:
                row.append("—")
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join([*_preamble(meta, stat, baseline, has_base), "", *lines, *_notes(notes)])


def _preamble(meta: Dict[str, Any], stat: str, baseline: str, has_base: bool) -> List[str]:
    how = "best of" if stat == "min" else "median of"
    out = [
        f"Benchmark {meta.get('date', '')}: {meta.get('machine', '')}, Python "
        f"{meta.get('python', '?')}, PostgreSQL {meta.get('server_version', '?')} "
        f"({meta.get('server', '?')}); {how} {_plural(meta.get('reps'), 'run')} after "
        f"{_plural(meta.get('warmup'), 'warm-up')}"
        f"{', --quick sizes' if meta.get('quick') else ''}; {_PIN_TEXT[meta.get('pin', 'none')]}.",
    ]
    versions = meta.get("drivers", {})
    if versions:
        out.append("Drivers: " + ", ".join(f"{d} {v}" for d, v in versions.items()) + ".")
    if has_base:
        out.append(
            f"Ratios are time ÷ {baseline}'s time: above 1.00× {baseline} is faster, "
            f"below it the other driver is."
        )
    return out


def _plural(count: object, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _notes(notes: List[str]) -> List[str]:
    if not notes:
        return []
    return ["", *(f"[{i}] {text}" for i, text in enumerate(notes, 1))]


def to_json(results: Sequence[Result], meta: Dict[str, Any]) -> Dict[str, Any]:
    """Everything measured, with the derived figures, for later comparison."""
    rows = []
    for result in results:
        row = {k: v for k, v in result.items() if k != "traceback"}
        for stat in STATS:
            row[f"{stat}_seconds"] = seconds(result, stat)
        rows.append(row)
    return {"meta": meta, "results": rows}
