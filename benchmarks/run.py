"""Benchmark tinygrad_lab against hand-written NumPy (the floor) and PyTorch CPU.

One command trains the same workloads three ways in one run, checks that they compute the
same result from identical initial weights, then times them and prints seconds per epoch
(or per iteration) with the ratios to hand-written NumPy::

    python benchmarks/run.py                    # everything (about a minute)
    python benchmarks/run.py --quick            # a tiny budget: a smoke test, not numbers
    python benchmarks/run.py --only lab,mlp     # some workloads
    python benchmarks/run.py --write-results    # also write benchmarks/RESULTS.md
    python benchmarks/run.py --profile lab      # cProfile of the framework on one workload

Workloads: lab (the lab's 2-4-4-1 sigmoid net on the linear and XOR data), mlp (digits,
64-256-256-10, Adam), conv1d (Conv1d -> ReLU -> MaxPool1d), overhead (sigmoid(x @ W + b)
at a tiny and a large size), deep (backward through a 100,000-op chain, and memory over
10,000 training steps of the lab network).

Timing: each measurement is several rounds of many calls (time.perf_counter around the
round), the implementations interleaved round by round so that a burst of load from
another process hits them all; the table reports the best round (the least disturbed)
and the detail table the median too. The garbage collector stays on (it is part of
what a user pays), with the objects of the imported libraries frozen out of its way.

OpenBLAS: on some processors this environment sets OPENBLAS_CORETYPE (and
OPENBLAS_L2_SIZE) for old OpenBLAS builds; they slow a current NumPy. Benchmark with
both unset, in the benchmark command alone::

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/run.py

The kernel OpenBLAS actually runs (threadpoolctl's "architecture") is printed with the
machine's facts. Never change these variables in tests.

Threads: PyTorch runs twice, with one thread (torch.set_num_threads(1)) and with its
default. NumPy and tinygrad_lab share NumPy's BLAS, which runs one thread by default
(--blas-threads 1): both columns use the same BLAS, so their ratio does not depend on it,
and on a small machine shared with other work a two-thread OpenBLAS spends its time
waiting for a descheduled partner thread (an epoch of the mlp measured 2-10x slower and
far noisier that way). --blas-threads 0 keeps the library default.

Exit status: 0 when every implementation ran and agreed with hand-written NumPy, 1 when
a check failed or an implementation raised (targets missed do not change it).
"""

from __future__ import annotations

import argparse
import cProfile
import datetime
import gc
import importlib
import io
import os
import platform
import pstats
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make `benchmarks` and `tinygrad_lab` importable
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from benchmarks import numpy_reference  # noqa: E402
from benchmarks import workloads as W  # noqa: E402

WORKLOADS = ("lab", "mlp", "conv1d", "overhead", "deep")
DEFAULT_RESULTS = ROOT / "benchmarks" / "RESULTS.md"
FRAMEWORK = "tinygrad_lab"
NUMPY = "numpy"


# ------------------------------------------------------------------------------ budgets


@dataclass(frozen=True)
class Budget:
    rounds: int  # timed rounds per implementation
    round_s: float  # target length of one round
    warmup: int  # untimed calls before calibrating
    lab_check_epochs: int
    mlp_check_epochs: int
    deep_ops: int
    deep_rounds: int
    memory_steps: tuple[int, int]  # memory is reported after these many training steps
    mlp_batches: int | None = None  # None: the whole epoch
    conv_shape: tuple[int, int] = (64, 256)  # (batch, length)


FULL = Budget(
    rounds=7, round_s=0.2, warmup=3, lab_check_epochs=300, mlp_check_epochs=2,
    deep_ops=100_000, deep_rounds=3, memory_steps=(1_000, 10_000),
)
QUICK = Budget(
    rounds=2, round_s=0.002, warmup=1, lab_check_epochs=20, mlp_check_epochs=1,
    deep_ops=2_000, deep_rounds=1, memory_steps=(20, 100), mlp_batches=3, conv_shape=(8, 64),
)


# ------------------------------------------------------------------------ implementations


@dataclass
class Impl:
    """One column of the table: a module with ``make_<workload>`` functions."""

    name: str
    module: ModuleType
    torch_threads: int | None = None  # set before every call of a torch implementation

    def activate(self) -> None:
        if self.torch_threads is not None:
            import torch

            if torch.get_num_threads() != self.torch_threads:
                torch.set_num_threads(self.torch_threads)


def limit_blas(threads: int) -> str:
    """Limit every loaded BLAS library to ``threads`` (0: leave the defaults); say what ran.

    Called again before each workload: a library loaded since (SciPy's OpenBLAS, pulled in
    by scikit-learn) gets the same limit. PyTorch's own threads are set separately.
    """
    try:
        from threadpoolctl import threadpool_info, threadpool_limits
    except ImportError:
        return "library default (threadpoolctl not installed)"
    if threads > 0:
        threadpool_limits(limits=threads, user_api="blas")
    counts = sorted({p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"})
    return ", ".join(map(str, counts)) + (" (library default)" if threads <= 0 else "")


def load_impls(use_torch: bool) -> tuple[list[Impl], dict[str, str]]:
    """The implementations that import, and why the others do not."""
    impls = [Impl(NUMPY, numpy_reference)]
    missing: dict[str, str] = {}
    try:
        impls.append(Impl(FRAMEWORK, importlib.import_module("benchmarks.framework")))
    except Exception as err:  # a framework piece is missing: report it, time the rest
        missing[FRAMEWORK] = f"{type(err).__name__}: {err}"
    if use_torch:
        try:
            import torch

            module = importlib.import_module("benchmarks.torch_reference")
        except ImportError as err:
            missing["torch"] = f"not installed ({err})"
        else:
            global _torch_default_threads
            default = _torch_default_threads = torch.get_num_threads()
            impls.append(Impl("torch-1t", module, 1))
            if default != 1:
                impls.append(Impl(f"torch-{default}t", module, default))
    return impls, missing


# ------------------------------------------------------------------------------- timing


def _error(err: BaseException) -> str:
    text = f"{type(err).__name__}: {err}"
    return text if len(text) < 300 else text[:297] + "..."


def calibrate(fn: Callable[[], Any], round_s: float) -> int:
    """How many calls of ``fn`` make a round of about ``round_s`` seconds."""
    n = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        elapsed = time.perf_counter() - t0
        if elapsed >= round_s / 4 or n >= 1 << 20:
            return max(1, round(n * round_s / max(elapsed, 1e-9)))
        n *= 2


def time_interleaved(
    fns: dict[str, tuple[Impl, Callable[[], Any]]], budget: Budget
) -> tuple[dict[str, list[float]], dict[str, int], dict[str, str]]:
    """Seconds per call of every function, round by round, interleaved."""
    numbers: dict[str, int] = {}
    errors: dict[str, str] = {}
    for name, (impl, fn) in fns.items():
        impl.activate()
        try:
            for _ in range(budget.warmup):
                fn()
            numbers[name] = calibrate(fn, budget.round_s)
        except Exception as err:
            errors[name] = _error(err)
    times: dict[str, list[float]] = {name: [] for name in numbers}
    for _ in range(budget.rounds):
        for name in numbers:
            impl, fn = fns[name]
            impl.activate()
            gc.collect()
            number = numbers[name]
            t0 = time.perf_counter()
            for _ in range(number):
                fn()
            elapsed = time.perf_counter() - t0
            times[name].append(elapsed / number)
            if elapsed > 4 * budget.round_s:  # it slowed down (load): keep rounds short
                numbers[name] = max(1, round(number * budget.round_s / elapsed))
    return times, numbers, errors


# --------------------------------------------------------------------------------- rows


@dataclass
class Row:
    """One line of the table: a workload timed in every implementation."""

    label: str
    key: str  # the workload family (for targets)
    unit: str
    times: dict[str, list[float]] = field(default_factory=dict)
    numbers: dict[str, int] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    checks: dict[str, str] = field(default_factory=dict)  # impl -> "ok" or the problem

    def best(self, impl: str) -> float | None:
        return min(self.times[impl]) if self.times.get(impl) else None

    def median(self, impl: str) -> float | None:
        return statistics.median(self.times[impl]) if self.times.get(impl) else None

    def ratio(self, impl: str, to: str = NUMPY) -> float | None:
        a, b = self.best(impl), self.best(to)
        return a / b if a is not None and b else None

    def torch_best(self) -> float | None:
        values = [self.best(n) for n in self.times if n.startswith("torch") and self.best(n)]
        return min(values) if values else None


def check_all(
    row: Row, impls: list[Impl], make: Callable[[Impl], Any], steps: int
) -> dict[str, Any]:
    """Run every implementation ``steps`` steps from the same start; compare with NumPy.

    Returns the runners that ran (to be timed next), keyed by implementation name.
    """
    runners: dict[str, Any] = {}
    results: dict[str, dict[str, np.ndarray]] = {}
    done: dict[str, str] = {}  # module name -> the implementation that ran it
    for impl in impls:
        first = done.get(impl.module.__name__)
        if first is not None:
            # PyTorch's second thread setting runs the same code: share its runner and
            # its check (training it again would only repeat the same arithmetic).
            if first in runners:
                runners[impl.name], results[impl.name] = runners[first], results[first]
            else:
                row.errors[impl.name] = row.errors[first]
            continue
        done[impl.module.__name__] = impl.name
        impl.activate()
        try:
            runner = make(impl)
            for _ in range(steps):
                runner.step()
            results[impl.name] = runner.result()
        except Exception as err:
            row.errors[impl.name] = _error(err)
            continue
        runners[impl.name] = runner
    reference = results.get(NUMPY)
    for name, result in results.items():
        if reference is None:
            row.checks[name] = "no NumPy reference to compare with"
        elif name != NUMPY:
            problems = W.compare_results(reference, result, row.key)
            row.checks[name] = "ok" if not problems else "; ".join(problems)
    if reference is not None:
        row.checks[NUMPY] = "ok"
    return runners


def runner_row(
    label: str, key: str, unit: str, setup: Any, impls: list[Impl], steps: int, budget: Budget
) -> Row:
    row = Row(label, key, unit)
    runners = check_all(row, impls, lambda impl: getattr(impl.module, f"make_{key}")(setup), steps)
    by_name = {impl.name: impl for impl in impls}
    fns = {name: (by_name[name], runner.step) for name, runner in runners.items()}
    row.times, row.numbers, errors = time_interleaved(fns, budget)
    row.errors.update(errors)
    return row


def deep_rows(impls: list[Impl], budget: Budget) -> list[Row]:
    """Build (forward) and backward of the long chain, timed separately, a fresh graph each
    round; the first round's result is checked against NumPy's."""
    setup = W.deep_setup(budget.deep_ops)
    n = f"{budget.deep_ops:,}"
    build = Row(f"deep: build a {n}-op chain", "deep", "chain")
    backward = Row(f"deep: backward through {n} ops", "deep", "chain")
    results: dict[str, dict[str, np.ndarray]] = {}
    for round_ in range(budget.deep_rounds):
        for impl in impls:
            if impl.name in build.errors:
                continue
            impl.activate()
            try:
                runner = impl.module.make_deep(setup)
                gc.collect()
                t0 = time.perf_counter()
                runner.build()
                t1 = time.perf_counter()
                runner.backward()
                t2 = time.perf_counter()
                if round_ == 0:
                    results[impl.name] = runner.result()
                del runner  # free the graph outside the timed region
            except Exception as err:
                build.errors[impl.name] = backward.errors[impl.name] = _error(err)
                continue
            build.times.setdefault(impl.name, []).append(t1 - t0)
            backward.times.setdefault(impl.name, []).append(t2 - t1)
            build.numbers[impl.name] = backward.numbers[impl.name] = 1
    reference = results.get(NUMPY)
    for name, result in results.items():
        problems = W.compare_results(reference, result, "deep") if reference else ["no reference"]
        build.checks[name] = backward.checks[name] = "ok" if not problems else "; ".join(problems)
    return [build, backward]


@dataclass
class MemoryRow:
    impl: str
    at: tuple[int, int]
    current: tuple[int, int] = (0, 0)
    peak: tuple[int, int] = (0, 0)
    error: str = ""

    @property
    def growth(self) -> int:
        return max(self.current[1] - self.current[0], self.peak[1] - self.peak[0])

    @property
    def flat(self) -> bool:
        # A few KiB of slack: allocator and interpreter caches settle at their own pace.
        return not self.error and self.growth <= max(8 * 1024, 0.02 * self.peak[0])


def memory_rows(impls: list[Impl], budget: Budget) -> list[MemoryRow]:
    """tracemalloc's current and peak traced memory after ``memory_steps`` training steps
    of the lab network (linear data). NumPy reports its array buffers to tracemalloc, so
    arrays kept alive by a leaking graph show; PyTorch's allocations do not, so it is left out.
    """
    setup = W.lab_setup("linear")
    first, last = budget.memory_steps
    rows = []
    for impl in impls:
        if impl.name not in (NUMPY, FRAMEWORK):
            continue
        row = MemoryRow(impl.name, (first, last))
        try:
            runner = impl.module.make_lab(setup)
            runner.step()  # state that exists after one step (optimizer buffers) is no leak
            gc.collect()
            tracemalloc.start()
            try:
                for i in range(1, last + 1):
                    runner.step()
                    if i == first:
                        mid = tracemalloc.get_traced_memory()
                end = tracemalloc.get_traced_memory()
            finally:
                tracemalloc.stop()
            row.current, row.peak = (mid[0], end[0]), (mid[1], end[1])
        except Exception as err:
            row.error = _error(err)
        rows.append(row)
    return rows


# ------------------------------------------------------------------------------ targets


@dataclass
class Target:
    text: str
    measured: str
    met: bool | None  # None: could not be measured


def targets(rows: list[Row], memory: list[MemoryRow], deep_ops: int) -> list[Target]:
    out = []

    def fmt(x: float | None, suffix: str = "x") -> str:
        return "n/a" if x is None else f"{x:.2f}{suffix}"

    for row in rows:
        lab_vs_numpy = row.ratio(FRAMEWORK)
        torch_best, lab = row.torch_best(), row.best(FRAMEWORK)
        speedup = torch_best / lab if torch_best and lab else None
        if row.key == "lab":
            out.append(Target(f"{row.label}: tinygrad_lab <= 2x NumPy per epoch",
                              fmt(lab_vs_numpy), None if lab_vs_numpy is None
                              else lab_vs_numpy <= 2.0))
            out.append(Target(f"{row.label}: tinygrad_lab >= 3x faster than PyTorch CPU "
                              "(its faster thread setting)", fmt(speedup),
                              None if speedup is None else speedup >= 3.0))
        elif row.key == "mlp":
            out.append(Target(f"{row.label}: tinygrad_lab <= 1.1x NumPy per epoch",
                              fmt(lab_vs_numpy), None if lab_vs_numpy is None
                              else lab_vs_numpy <= 1.1))
        elif row.key == "conv1d":
            ratio = lab / torch_best if torch_best and lab else None
            out.append(Target(f"{row.label}: tinygrad_lab <= 2x PyTorch CPU (its faster "
                              "thread setting)", fmt(ratio),
                              None if ratio is None else ratio <= 2.0))
        elif row.key == "deep" and "backward" in row.label and deep_ops >= 100_000:
            out.append(Target(f"{row.label}: well under a second (read as < 0.5 s)",
                              fmt(lab, " s"), None if lab is None else lab < 0.5))
    for mem in memory:
        if mem.impl == FRAMEWORK:
            out.append(Target(
                f"memory flat over {mem.at[1]:,} lab training steps (step {mem.at[0]:,} vs "
                f"{mem.at[1]:,})", "error" if mem.error else f"{mem.growth / 1024:+.1f} KiB",
                None if mem.error else mem.flat))
    return out


# ------------------------------------------------------------------------ machine facts


def machine_facts() -> dict[str, str]:
    facts: dict[str, str] = {}
    facts["date (UTC)"] = datetime.datetime.now(datetime.timezone.utc).strftime(
        "%Y-%m-%d %H:%M")
    model = platform.processor() or "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    facts["CPU"] = model
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else "?"
    facts["cores"] = f"{os.cpu_count()} logical, {usable} usable by this process"
    if hasattr(os, "getloadavg"):
        facts["load average (1, 5, 15 min) at start"] = ", ".join(
            f"{x:.2f}" for x in os.getloadavg())
    facts["OS"] = platform.platform()
    facts["Python"] = platform.python_version()
    facts["NumPy"] = np.__version__
    try:
        config = np.show_config(mode="dicts")
        blas = config["Build Dependencies"]["blas"]
        facts["NumPy BLAS (build)"] = f"{blas.get('name')} {blas.get('version', '')}".strip()
    except Exception:  # older NumPy has no mode="dicts"
        pass
    try:
        from threadpoolctl import threadpool_info

        pools = [
            f"{p.get('internal_api')} {p.get('version')} (kernel {p.get('architecture', '-')}, "
            f"{p.get('num_threads')} threads, {os.path.basename(p.get('filepath', ''))})"
            for p in threadpool_info()
        ]
        facts["thread pools (threadpoolctl)"] = "; ".join(pools)
    except ImportError:
        facts["thread pools (threadpoolctl)"] = "threadpoolctl not installed"
    if "torch" in sys.modules:
        torch = sys.modules["torch"]
        facts["PyTorch"] = f"{torch.__version__} (default threads {_torch_default_threads})"
    else:
        facts["PyTorch"] = "not used"
    for var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS",
                "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        facts[var] = os.environ.get(var, "(unset)")
    return facts


_torch_default_threads: int | str = "?"


# ------------------------------------------------------------------------------- output


def fmt_time(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds:.3f} s"


def fmt_ratio(x: float | None) -> str:
    return "—" if x is None else f"{x:.2f}"


def markdown_table(header: list[str], lines: list[list[str]]) -> str:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(line) + " |" for line in lines]
    return "\n".join(out)


def main_table(rows: list[Row], impl_names: list[str]) -> str:
    others = [n for n in impl_names if n != NUMPY]
    header = ["workload", "per", *[f"{n}" for n in impl_names]]
    header += [f"{n} ÷ numpy" for n in others] + ["check"]
    lines = []
    for row in rows:
        bad = {n: c for n, c in row.checks.items() if c != "ok"}
        check = "ok" if not bad and not row.errors else "FAIL"
        lines.append(
            [row.label, row.unit]
            + [fmt_time(row.best(n)) if n not in row.errors else "error" for n in impl_names]
            + [fmt_ratio(row.ratio(n)) for n in others]
            + [check]
        )
    return markdown_table(header, lines)


def detail_table(rows: list[Row], impl_names: list[str]) -> str:
    lines = []
    for row in rows:
        for n in impl_names:
            if row.times.get(n):
                lines.append([row.label, n, fmt_time(row.best(n)), fmt_time(row.median(n)),
                              f"{len(row.times[n])} × {row.numbers.get(n, 1)}"])
    return markdown_table(["workload", "implementation", "best", "median", "rounds × calls"],
                          lines)


def memory_table(memory: list[MemoryRow]) -> str:
    lines = []
    for m in memory:
        if m.error:
            lines.append([m.impl, "error", "", "", "", "", m.error])
            continue
        kib = [f"{v / 1024:.1f} KiB" for v in (*m.current, *m.peak)]
        lines.append([m.impl, *kib, f"{m.growth / 1024:+.1f} KiB", "yes" if m.flat else "NO"])
    first, last = memory[0].at if memory else (0, 0)
    return markdown_table(
        ["implementation", f"current @ {first:,}", f"current @ {last:,}", f"peak @ {first:,}",
         f"peak @ {last:,}", "growth", "flat"], lines)


def problems_text(rows: list[Row], missing: dict[str, str]) -> list[str]:
    lines = [f"- {name}: not run ({why})" for name, why in missing.items()]
    for row in rows:
        for name, err in row.errors.items():
            lines.append(f"- {row.label} / {name}: raised {err}")
        for name, check in row.checks.items():
            if check != "ok":
                lines.append(f"- {row.label} / {name}: result differs from NumPy: {check}")
    return lines


def report(
    rows: list[Row], memory: list[MemoryRow], impl_names: list[str], missing: dict[str, str],
    facts: dict[str, str], budget: Budget, quick: bool, command: str,
) -> str:
    parts = ["# Benchmark results", ""]
    if quick:
        parts += ["**Quick budget (`--quick`): a smoke test; these numbers mean nothing.**", ""]
    parts += [
        f"Command: `{command}`", "",
        "Times are the best of several interleaved rounds (see the detail table for the "
        "medians); ratios divide by hand-written NumPy in the same run. Every workload was "
        "first checked to give the same result as NumPy from identical initial weights.", "",
        "## Time per epoch / iteration", "", main_table(rows, impl_names), "",
    ]
    tgt = targets(rows, memory, budget.deep_ops)
    if tgt:
        lines = [[t.text, t.measured, {True: "yes", False: "**no**", None: "n/a"}[t.met]]
                 for t in tgt]
        parts += ["## Targets", "", markdown_table(["target", "measured", "met"], lines), ""]
    if memory:
        parts += ["## Memory (tracemalloc, lab network, linear data)", "", memory_table(memory),
                  ""]
    problems = problems_text(rows, missing) + [
        f"- memory / {m.impl}: raised {m.error}" for m in memory if m.error]
    if problems:
        parts += ["## Problems", "", *problems, ""]
    parts += ["## Detail", "", detail_table(rows, impl_names), ""]
    notes = [n.format(lab=budget.lab_check_epochs, mlp=budget.mlp_check_epochs) if "{lab}" in n
             else n for n in NOTES]
    parts += ["## How to read this", "", *notes, ""]
    parts += ["## Machine", ""] + [f"- {k}: {v}" for k, v in facts.items()] + [""]
    return "\n".join(parts)


NOTES = [
    "- **numpy** is the same maths written by hand (`benchmarks/numpy_reference.py`): the "
    "floor for a framework on NumPy. **tinygrad_lab** is the workload written as a user "
    "writes it (`benchmarks/framework.py`). **torch-1t** / **torch-Nt** are PyTorch CPU with "
    "`torch.set_num_threads(1)` and with its default thread count "
    "(`benchmarks/torch_reference.py`).",
    "- lab: the 2-4-4-1 sigmoid network, MSE, full-batch SGD (lr 0.5), float64; one epoch is "
    "one forward, backward and update on all points. mlp: digits (1,797 images), "
    "64-256-256-10 ReLU, cross-entropy, Adam (lr 1e-3), batches of 64, float32. conv1d: "
    "forward and backward of `(block(x) * G).sum()` for Conv1d(16→32, k5, pad 2) → ReLU → "
    "MaxPool1d(2), gradients for weight, bias and x. overhead: `sigmoid(x @ W + b).sum()` "
    "and its backward. deep: `y = y * 0.9999; y = y + 0.0001` repeated, then `.sum()`; "
    "build and backward timed apart on a fresh graph each round.",
    "- Check: before timing, every implementation trains from the same initial weights "
    "(lab: {lab} epochs, mlp: {mlp} epochs) and its loss, accuracy, parameters or gradients are "
    "compared with NumPy's (`benchmarks/workloads.py`, `TOLERANCES`).",
    "- NumPy and tinygrad_lab run NumPy's BLAS on one thread (`--blas-threads`), like "
    "torch-1t. On this small machine, shared with other work, any multi-threaded column "
    "(torch-Nt here) can be slowed many times over when another process takes a core: "
    "its threads wait for each other. See the load averages under Machine; torch-1t is the "
    "stable PyTorch reference.",
    "- OpenBLAS: when OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE are set (some processors in this "
    "environment), run `env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python "
    "benchmarks/run.py`; the kernel that ran is the thread-pool line's `kernel`.",
]


# --------------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="benchmarks/run.py",
        description="Benchmark tinygrad_lab against hand-written NumPy and PyTorch CPU.",
    )
    parser.add_argument("--quick", action="store_true",
                        help="tiny budget (a smoke test: seconds, numbers meaningless)")
    parser.add_argument("--only", default=",".join(WORKLOADS),
                        help=f"comma-separated workloads out of {','.join(WORKLOADS)}")
    parser.add_argument("--no-torch", action="store_true", help="leave PyTorch out")
    parser.add_argument("--write-results", nargs="?", const=str(DEFAULT_RESULTS), default=None,
                        metavar="PATH",
                        help="write the report (default path benchmarks/RESULTS.md)")
    parser.add_argument("--blas-threads", type=int, default=1, metavar="N",
                        help="threads of NumPy's BLAS (threadpoolctl) for NumPy and "
                        "tinygrad_lab; 0 keeps the library's default (default: 1; see the "
                        "module docstring)")
    parser.add_argument("--rounds", type=int, default=None, help="timed rounds per measurement")
    parser.add_argument("--profile", choices=WORKLOADS[:-1], default=None,
                        help="profile the framework on one workload with cProfile and exit")
    args = parser.parse_args(argv)
    only = [w.strip() for w in args.only.split(",") if w.strip()]
    unknown = sorted(set(only) - set(WORKLOADS))
    if unknown:
        parser.error(f"--only: unknown workload(s) {', '.join(unknown)}; "
                     f"choose from {', '.join(WORKLOADS)}")
    args.only = only
    return args


def profile(workload: str, seconds: float = 3.0, top: int = 30) -> str:
    """cProfile of the framework's ``step()`` on one workload, sorted by own time."""
    framework = importlib.import_module("benchmarks.framework")
    setups: dict[str, Callable[[], Any]] = {
        "lab": lambda: W.lab_setup("linear"),
        "mlp": W.mlp_setup,
        "conv1d": W.conv_setup,
        "overhead": lambda: W.overhead_setup("tiny"),
    }
    runner = getattr(framework, f"make_{workload}")(setups[workload]())
    number = calibrate(runner.step, seconds / 2)  # cProfile roughly doubles the cost
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(number):
        runner.step()
    profiler.disable()
    out = io.StringIO()
    out.write(f"{workload}: {number} steps under cProfile\n")
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(top)
    return out.getvalue()


def run(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.profile:
        print(profile(args.profile))
        return 0
    budget = QUICK if args.quick else FULL
    if args.rounds:
        budget = Budget(**{**budget.__dict__, "rounds": args.rounds})
    for var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        if var in os.environ:
            print(f"note: {var}={os.environ[var]} is set; for benchmark numbers run "
                  "`env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/run.py`",
                  file=sys.stderr)
    impls, missing = load_impls(not args.no_torch)
    blas_threads = limit_blas(args.blas_threads)
    facts = machine_facts()
    facts["BLAS threads for numpy and tinygrad_lab (--blas-threads)"] = blas_threads
    names = [impl.name for impl in impls]
    print(f"implementations: {', '.join(names)}"
          + "".join(f"; {n} not run: {why}" for n, why in missing.items()), flush=True)

    rows: list[Row] = []
    memory: list[MemoryRow] = []

    last = [time.perf_counter()]

    def add(row: Row) -> None:
        rows.append(row)
        cells = ", ".join(f"{n} {fmt_time(row.best(n))}" for n in names if row.best(n))
        now = time.perf_counter()
        print(f"  {row.label}: {cells}  [{now - last[0]:.1f} s]", flush=True)
        last[0] = now

    start = time.perf_counter()
    for workload in args.only:
        limit_blas(args.blas_threads)
        # Move everything alive now (PyTorch's and scikit-learn's modules are large) out of
        # the collector's reach: a collection inside a timed round then scans only what
        # the workloads themselves created, and the per-round gc.collect() is cheap.
        gc.collect()
        gc.freeze()
        try:
            if workload == "lab":
                for dataset in ("linear", "xor"):
                    add(runner_row(f"lab ({dataset})", "lab", "epoch", W.lab_setup(dataset),
                                   impls, budget.lab_check_epochs, budget))
            elif workload == "mlp":
                setup = W.mlp_setup(budget.mlp_batches)
                label = "mlp (digits, Adam)" if budget.mlp_batches is None else (
                    f"mlp (digits, Adam, {budget.mlp_batches} batches)")
                add(runner_row(label, "mlp", "epoch", setup, impls, budget.mlp_check_epochs,
                               budget))
            elif workload == "conv1d":
                batch, length = budget.conv_shape
                add(runner_row(f"conv1d ({batch}, 16, {length})", "conv1d", "fwd+bwd",
                               W.conv_setup(batch, length), impls, 1, budget))
            elif workload == "overhead":
                for size, label in (("tiny", "1×2 · 2×4"), ("large", "256×256 · 256×256")):
                    add(runner_row(f"overhead {size} ({label})", "overhead", "fwd+bwd",
                                   W.overhead_setup(size), impls, 1, budget))
            elif workload == "deep":
                for row in deep_rows(impls, budget):
                    add(row)
                memory = memory_rows(impls, budget)
        except Exception as err:  # a broken setup (e.g. tinygrad_lab.data missing)
            missing[f"workload {workload}"] = _error(err)
            print(f"  {workload}: setup failed: {_error(err)}", flush=True)
    elapsed = time.perf_counter() - start
    if hasattr(os, "getloadavg"):
        facts["load average (1, 5, 15 min) at end"] = ", ".join(
            f"{x:.2f}" for x in os.getloadavg())
    facts["benchmark wall time"] = f"{elapsed:.1f} s"

    command = "python benchmarks/run.py " + " ".join(argv if argv is not None else sys.argv[1:])
    text = report(rows, memory, names, missing, facts, budget, args.quick, command.strip())
    print()
    print(text)
    if args.write_results:
        path = Path(args.write_results)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
        print(f"wrote {path}")
    failed = (
        any(name != "torch" for name in missing)  # torch is optional, the rest is not
        or any(row.errors for row in rows)
        or any(c != "ok" for row in rows for c in row.checks.values())
        or any(m.error for m in memory)
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(run())
