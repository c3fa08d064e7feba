"""Benchmark tinygrad_lab, eager and ``tl.compile``d, against hand-written NumPy and PyTorch.

    python benchmarks/run.py [--quick] [--only lab,mlp] [--no-torch] [--write-results [PATH]]

``make bench`` runs it with ``--write-results`` and OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE
unset (some processors here set them for old OpenBLAS builds; they slow a current NumPy).
Every implementation first runs from identical weights and data, and its result is
compared with the reference (hand-written NumPy; PyTorch for the second-order rows): only
what agrees is timed. Rounds are interleaved (A B C A B C ...), so that load from other
processes hits every implementation alike, each about ``round_s`` seconds of calls; the
table divides medians, the detail table gives the spread. NumPy's BLAS runs one thread
(threadpoolctl, else OPENBLAS_NUM_THREADS before NumPy loads), like PyTorch's 1-thread
column: on a small shared machine, threads that wait for each other time the neighbours.
Exit status 1 when an implementation raised or disagreed.
"""
# ruff: noqa: E402  (the BLAS thread variable must be set before NumPy is imported)

from __future__ import annotations

import os
import sys

try:
    import threadpoolctl
except ImportError:
    threadpoolctl = None
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # read when NumPy loads OpenBLAS

import argparse
import contextlib
import gc
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script: `benchmarks` and `tinygrad_lab` importable

import numpy as np

import tinygrad_lab as tl
from benchmarks import models
from benchmarks import setups as S
from benchmarks import workloads as W
from benchmarks.report import Row, fmt, load, machine_facts, ratio, report

try:
    import torch
except ImportError:
    torch = None

NOT_BUILT = "n/a (not built)"
TORCH_THREADS = {"torch-1": 1, "torch-2": 2}

def set_threads(name: str) -> None:
    if name in TORCH_THREADS and torch.get_num_threads() != TORCH_THREADS[name]:
        torch.set_num_threads(TORCH_THREADS[name])


def epoch(run: S.Run) -> Any:
    """The benchmarks' one loop: the step on every batch."""
    for batch in run.batches:
        out = run.step(*batch)
    return out


def compiled(run: S.Run) -> S.Run:
    return replace(run, step=tl.compile(run.step))


def implementations(w: W.Workload, setup: Any, row: Row, use_torch: bool) -> dict[str, S.Run]:
    runs = {"numpy": w.numpy(setup)} if w.numpy else {}
    runs["eager"] = w.model(tl, setup)
    if w.compile and hasattr(tl, "compile"):
        runs["compiled"] = compiled(w.model(tl, setup))
    elif w.compile:
        row.cells["compiled"] = NOT_BUILT
    if use_torch:  # one run for both thread counts: the same code, checked once
        runs["torch-1"] = runs["torch-2"] = w.model(torch, setup)
    return runs


def check(runs: dict[str, S.Run], kind: str, epochs: int, row: Row) -> None:
    """Run each implementation ``epochs`` epochs; compare its result with the reference."""
    results = {}
    for name, run in runs.items():
        if name == "torch-2":
            continue
        try:
            set_threads(name)
            for _ in range(epochs):
                last = epoch(run)
            results[name] = run.result(last)
        except Exception as err:
            row.errors[name] = f"{type(err).__name__}: {err}"[:300]
    reference = "numpy" if "numpy" in runs else "torch-1"
    for name, result in results.items():
        problems = S.compare_results(results.get(reference, {}), result, kind)
        if reference not in results:
            row.errors[name] = f"not checked: {reference} did not run"
        elif problems:
            row.errors[name] = f"differs from {reference}: " + "; ".join(problems)
    if "torch-1" in row.errors:
        row.errors["torch-2"] = row.errors["torch-1"]


def calibrate(fn: Callable[[], Any], round_s: float) -> int:
    """How many calls of ``fn`` make a round of about ``round_s`` seconds."""
    n = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        elapsed = time.perf_counter() - t0
        if elapsed >= round_s / 4:
            return max(1, round(n * round_s / elapsed))
        n *= 2


def time_interleaved(fns: dict[str, Callable[[], Any]], b: W.Budget, row: Row) -> None:
    """Rounds A B C A B C ...; an implementation whose single call outlasts many rounds
    (PyTorch's threads on a busy machine) stops after 3 rounds and 5× its share of time."""
    for name, fn in fns.items():
        set_threads(name)
        row.calls[name], row.times[name] = calibrate(fn, b.round_s), []
    for round_ in range(b.rounds):
        for name, fn in fns.items():
            if round_ >= 3 and sum(row.times[name]) * row.calls[name] > 5 * b.rounds * b.round_s:
                continue
            set_threads(name)
            gc.collect()  # the previous round's garbage is not this one's cost
            t0 = time.perf_counter()
            for _ in range(row.calls[name]):
                fn()
            row.times[name].append((time.perf_counter() - t0) / row.calls[name])


def workload_row(w: W.Workload, b: W.Budget, use_torch: bool) -> Row:
    row = Row(w.label)
    if not (w.numpy or use_torch):  # nothing to check tinygrad_lab against
        row.cells.update(dict.fromkeys(["eager", *TORCH_THREADS], "n/a (no PyTorch)"))
        return row
    runs = implementations(w, w.setup(b), row, use_torch)
    check(runs, w.kind, max(3, round(w.check_epochs * b.check_scale)), row)
    time_interleaved({name: (lambda run=run: epoch(run)) for name, run in runs.items()
                      if name not in row.errors}, b, row)
    if "compiled" in runs and "compiled" not in row.errors:  # did it replay, or run eagerly?
        stats = runs["compiled"].step.stats
        row.notes["compiled"] = f"{stats['replayed']:,} of {sum(stats.values()):,} calls replayed"
        if stats["replayed"] < sum(stats.values()) / 2:
            row.cells["compiled"] = f"{ratio(row, 'compiled', 'numpy')} (mostly not replayed)"
    return row


def chain_rows(b: W.Budget, use_torch: bool) -> list[Row]:
    """A fresh graph per implementation and round; the first round's result is checked."""
    n = b.chain_ops
    rows = [Row(f"graph of {n:,} chained ops: {what}, per op", per=n)
            for what in ("build", "backward")]
    *_, expected = W.chain(None, n)
    frameworks = {"numpy": None, "eager": tl, **dict.fromkeys(TORCH_THREADS, torch)}
    for round_ in range(b.chain_rounds):
        for name, fw in frameworks.items():
            if rows[0].errors.get(name) or (name in TORCH_THREADS and not use_torch):
                continue
            set_threads(name)
            gc.collect()
            try:
                *seconds, got = W.chain(fw, n)
                problems = S.compare_results(expected, got, "chain") if round_ == 0 else []
                if problems:
                    raise ValueError("differs from numpy: " + "; ".join(problems))
            except Exception as err:
                for row in rows:
                    row.errors[name] = f"{type(err).__name__}: {err}"[:300]
                continue
            for row, s in zip(rows, seconds, strict=True):
                row.times.setdefault(name, []).append(s)
                row.calls[name] = 1
    for row in rows:
        row.cells["eager"] = f"{ratio(row, 'eager', 'numpy')} ({fmt(row.median('eager'))}/op)"
    return rows


def memory_row(b: W.Budget) -> Row:
    """Growth of tracemalloc's current and peak memory between two step counts."""
    first, last = b.memory_steps
    row = Row(f"memory, lab network, steps {first:,} → {last:,} (tracemalloc)")
    row.cells.update(dict.fromkeys(["numpy", *TORCH_THREADS], "—"))
    for name in ("eager", "compiled"):
        if name == "compiled" and not hasattr(tl, "compile"):
            row.cells[name] = NOT_BUILT
            continue
        try:
            run = models.lab(tl, S.lab_setup("linear"))
            run = compiled(run) if name == "compiled" else run
            kept, peak = W.memory_growth(lambda run=run: epoch(run), first, last)
        except Exception as err:
            row.errors[name] = f"{type(err).__name__}: {err}"[:300]
            continue
        verdict = "flat" if kept <= 8 * 1024 else "GROWS"  # slack: allocator caches settle
        row.cells[name] = f"{verdict} ({kept / 1024:+.1f} KiB; peak {peak / 1024:+.1f} KiB)"
    return row


def main(argv: list[str] | None = None, budget: W.Budget | None = None) -> tuple[int, str]:
    parser = argparse.ArgumentParser(prog="benchmarks/run.py", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a smoke test (about a minute)")
    parser.add_argument("--only", default=",".join(W.KINDS), help=f"some of {','.join(W.KINDS)}")
    parser.add_argument("--no-torch", action="store_true", help="leave PyTorch out")
    parser.add_argument("--write-results", nargs="?", metavar="PATH",
                        const=str(ROOT / "benchmarks" / "RESULTS.md"))
    args = parser.parse_args(argv)
    only = set(args.only.split(","))
    if only - set(W.KINDS):
        parser.error(f"--only: unknown {', '.join(sorted(only - set(W.KINDS)))}")
    b = budget or (W.QUICK if args.quick else W.FULL)
    use_torch = torch is not None and not args.no_torch
    start = time.perf_counter()
    with contextlib.ExitStack() as stack:
        blas = f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS')}"
        if threadpoolctl:
            stack.enter_context(threadpoolctl.threadpool_limits(1, user_api="blas"))
            blas = "1 thread (threadpoolctl)"
        facts = machine_facts(f"NumPy {np.__version__}, PyTorch "
                              f"{torch.__version__ if torch else 'not installed'}", blas)
        gc.collect()
        gc.freeze()  # the libraries' objects (PyTorch's are many) out of the collector's way
        stack.callback(gc.unfreeze)
        if torch:
            stack.callback(torch.set_num_threads, torch.get_num_threads())
        rows = [workload_row(w, b, use_torch) for w in W.WORKLOADS if w.kind in only]
        rows += chain_rows(b, use_torch) if "chain" in only else []
        rows += [memory_row(b)] if "memory" in only else []
    facts.append(f"- wall time {time.perf_counter() - start:.0f} s; load average {load()} "
                 "at the end")
    text = report(rows, facts, args.quick)
    print(text)
    if args.write_results:
        Path(args.write_results).write_text(text, encoding="utf-8")
    return int(any(r.errors for r in rows)), text


if __name__ == "__main__":
    sys.exit(main()[0])
