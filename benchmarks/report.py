"""What ``run.py`` measured, as Markdown: the ratio table, the problems, the detail (medians
and spread of every implementation) and the machine."""

from __future__ import annotations

import contextlib
import datetime
import os
import platform
import statistics
from dataclasses import dataclass, field
from pathlib import Path

# (header, numerator, denominator): implementation names as run.py keys them.
COLUMNS = [("tinygrad_lab eager ÷ NumPy", "eager", "numpy"),
           ("compiled ÷ NumPy", "compiled", "numpy"),
           ("PyTorch 1 thread ÷ eager", "torch-1", "eager"),
           ("PyTorch 2 threads ÷ eager", "torch-2", "eager")]


@dataclass
class Row:
    """One workload: per implementation, its times, or why it has none."""

    label: str
    per: int = 1  # times are divided by this (the chain's ops)
    times: dict[str, list[float]] = field(default_factory=dict)  # seconds per call, by round
    calls: dict[str, int] = field(default_factory=dict)  # calls per round
    errors: dict[str, str] = field(default_factory=dict)
    cells: dict[str, str] = field(default_factory=dict)  # text instead of a ratio
    notes: dict[str, str] = field(default_factory=dict)  # said beside the name in the detail

    def median(self, name: str) -> float | None:
        times = self.times.get(name) if name not in self.errors else None
        return statistics.median(times) / self.per if times else None


def fmt(seconds: float | None) -> str:
    for scale, unit in ((1e-6, "µs"), (1e-3, "ms"), (1.0, "s")):
        if seconds is not None and (seconds < 1000 * scale or unit == "s"):
            return f"{seconds / scale:.3g} {unit}"
    return "—"


def ratio(row: Row, a: str, b: str) -> str:
    if a in row.errors or a in row.cells:
        return "error" if a in row.errors else row.cells[a]
    ta, tb = row.median(a), row.median(b)
    return f"{ta / tb:.2f}" if ta and tb else "—"


def table(header: list[str], lines: list[list[str]]) -> str:
    return "\n".join(["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
                     + ["| " + " | ".join(line) + " |" for line in lines])


def report(rows: list[Row], facts: list[str], quick: bool) -> str:
    main = table(["workload"] + [c[0] for c in COLUMNS],
                 [[r.label] + [ratio(r, a, b) for _, a, b in COLUMNS] for r in rows])
    detail = table(["workload", "implementation", "median", "spread (min – max)",
                    "rounds × calls"],
                   [[r.label, f"{n} ({r.notes[n]})" if n in r.notes else n, fmt(r.median(n)),
                     f"{fmt(min(t) / r.per)} – {fmt(max(t) / r.per)}", f"{len(t)} × {r.calls[n]}"]
                    for r in rows for n, t in r.times.items() if t and n not in r.errors])
    problems = [f"- {r.label} / {n}: {e}" for r in rows for n, e in r.errors.items()]
    return "\n".join(
        ["# Benchmark results", ""]
        + (["**`--quick`: a smoke test, the figures mean nothing.**", ""] if quick else [])
        + [main, "", NOTE, ""]
        + (["## Problems", "", *problems, ""] if problems else [])
        + ["## Detail", "", detail, "", "## Machine", "", *facts, ""])


NOTE = (
    "Ratios of medians over interleaved rounds (above 1: the numerator is slower); every "
    "implementation was first checked to give the reference's result from the same "
    "weights. NumPy and tinygrad_lab use one BLAS thread. The rows are described in "
    "`benchmarks/workloads.py`; `n/a (not built)` in the compiled column: the checkout "
    "has no `tl.compile`. Memory: growth between the two step counts of what tracemalloc "
    "sees still allocated after a full collection, and of the peak, which also holds "
    "garbage waiting for the cyclic collector (PyTorch's allocations are invisible to "
    "tracemalloc).")


def load() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def machine_facts(versions: str, blas: str) -> list[str]:
    cpu = platform.processor() or "unknown"
    with contextlib.suppress(OSError):
        cpu = next((line.split(":", 1)[1].strip() for line in
                    Path("/proc/cpuinfo").read_text().splitlines()
                    if line.startswith("model name")), cpu)
    env = [f"{v}={os.environ[v]}" for v in os.environ if v.startswith("OPENBLAS_")]
    return [f"- {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC; {cpu}, "
            f"{os.cpu_count()} logical cores; load average {load()} at start",
            f"- Python {platform.python_version()}, {versions}",
            f"- BLAS of NumPy and tinygrad_lab: {blas}; {', '.join(env) or 'no OPENBLAS_*'}"]
