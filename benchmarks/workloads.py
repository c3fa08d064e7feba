"""The rows of ``make bench``: which workloads, at what size, checked for how long.

- **lab**: the lab's 2-4-4-1 sigmoid network, MSE, full-batch SGD (lr 0.5), float64, on
  the 100 linear points and the 21 XOR points; one epoch is one forward, backward and
  update on all points.
- **mlp**: scikit-learn's digits (1,797 images), 64-256-256-10 ReLU, cross-entropy, Adam
  (lr 1e-3), batches of 64, float32; one epoch is every batch once.
- **conv1d**: forward and backward of ``(block(x) * g).sum()`` for Conv1d(16→32, k5,
  pad 2) → ReLU → MaxPool1d(2) on (64, 16, 256), gradients for weight, bias and ``x``.
- **hessian**: ``autograd.functional.hessian`` of the lab network's loss (linear data) in
  its 37 parameters; **hvp**: ``autograd.functional.hvp`` of the digits MLP's loss on one
  batch of 64 in its 85,002 parameters. No hand-written NumPy: PyTorch is the reference.
  (PyTorch's ``hvp`` takes two vector-Jacobian products, as its documentation says;
  tinygrad_lab's differentiates ``g · v`` once, as ``vhp`` does: H is symmetric.)
- **chain**: ``y = y * 0.9999; y = y + 0.0001`` repeated on a 4-vector, then ``sum``;
  building the graph and its backward are timed apart, per op, on a fresh graph.
- **memory**: tracemalloc's current and peak memory of the lab network's training between
  two step counts (NumPy reports its buffers to tracemalloc, so a leaked graph shows).
"""

from __future__ import annotations

import gc
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import models
from . import numpy_reference as ref
from . import setups as S


@dataclass(frozen=True)
class Budget:
    rounds: int  # timed rounds per implementation
    round_s: float  # length of one round
    check_scale: float  # fraction of each workload's check epochs (at least 3 are run)
    chain_ops: int
    chain_rounds: int
    memory_steps: tuple[int, int]  # memory is compared after these many steps
    mlp_batches: int | None  # None: the whole epoch
    conv_shape: tuple[int, int]  # (batch, length)


FULL = Budget(9, 0.2, 1.0, 1_000_000, 3, (1_000, 10_000), None, (64, 256))
QUICK = Budget(3, 0.02, 0.1, 10_000, 2, (200, 2_000), 3, (8, 64))


@dataclass(frozen=True)
class Workload:
    label: str
    kind: str  # key of setups.TOLERANCES, and the name --only takes
    setup: Callable[[Budget], Any]
    numpy: Callable[[Any], S.Run] | None  # the hand-written reference, if there is one
    model: Callable[[Any, Any], S.Run]  # models.<fn>(fw, setup), fw: tinygrad_lab or torch
    check_epochs: int  # epochs run (and compared) before timing
    compile: bool  # a step that tl.compile can take


WORKLOADS = [
    Workload("lab 2-4-4-1, linear (100 points), epoch", "lab",
             lambda b: S.lab_setup("linear"), ref.lab, models.lab, 300, True),
    Workload("lab 2-4-4-1, XOR (21 points), epoch", "lab",
             lambda b: S.lab_setup("xor"), ref.lab, models.lab, 300, True),
    Workload("digits MLP 64-256-256-10, Adam, batch 64, epoch", "mlp",
             lambda b: S.mlp_setup(b.mlp_batches), ref.mlp, models.mlp, 2, True),
    Workload("Conv1d(16→32, k5) → ReLU → MaxPool1d, fwd+bwd", "conv1d",
             lambda b: S.conv_setup(*b.conv_shape), ref.conv1d, models.conv1d, 1, True),
    Workload("second order: lab network's full Hessian (37×37)", "hessian",
             lambda b: S.lab_setup("linear"), None, models.lab_hessian, 1, False),
    Workload("second order: HVP of the digits MLP (batch 64)", "hvp",
             lambda b: S.mlp_setup(1), None, models.mlp_hvp, 1, False),
]
KINDS = sorted({w.kind for w in WORKLOADS} | {"chain", "memory"})


def chain(fw: Any, n: int) -> tuple[float, float, dict[str, Any]]:
    """The chain once: seconds to build, seconds of backward, result (``fw`` None: by hand
    in NumPy). Returning frees the graph, outside the timed region."""
    t0 = time.perf_counter()
    x, loss = (None, ref.chain_build(n)) if fw is None else models.chain_build(fw, n)
    t1 = time.perf_counter()
    if fw is None:
        grad = ref.chain_backward(n)
    else:
        loss.backward()
        grad = x.grad
    t2 = time.perf_counter()
    return t1 - t0, t2 - t1, {"loss": loss.item(), "grad_x": np.asarray(grad)}


def memory_growth(step: Callable[[], Any], first: int, last: int) -> tuple[int, int]:
    """Bytes by which memory grew from call ``first`` to call ``last`` of ``step`` (after 3
    calls: optimizer state and traces are no leak), as tracemalloc sees it: what is still
    allocated after a full collection (a leak), and the peak (which also holds garbage
    that waits for the cyclic collector)."""
    for _ in range(3):
        step()
    gc.collect()
    tracemalloc.start()
    try:
        memory = []
        for calls in (first, last - first):
            tracemalloc.reset_peak()
            for _ in range(calls):
                step()
            peak = tracemalloc.get_traced_memory()[1]
            gc.collect()
            memory.append((tracemalloc.get_traced_memory()[0], peak))
    finally:
        tracemalloc.stop()
    (kept, peak), (kept_2, peak_2) = memory
    return kept_2 - kept, peak_2 - peak
