"""The workloads' data, initial weights and hyper-parameters, made from fixed seeds in
plain NumPy, so that every implementation starts from *identical* weights and data and can
be checked for the same result before it is timed.

An implementation of a workload is a :class:`Run`: a ``step`` function and the batches it
is called with. The runner's one loop (``run.epoch``) calls ``step(*batch)`` for every
batch; ``result`` turns the last step's return value (and the trained state) into arrays
to compare. Hand-written NumPy builds its runs in ``numpy_reference.py``; tinygrad_lab and
PyTorch share one definition in ``models.py``. Parameter names follow PyTorch's
``state_dict`` of an ``nn.Sequential`` ("0.weight", "0.bias", ...).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn.datasets import load_digits

from tinygrad_lab import data

SEED = 0


@dataclass
class Run:
    """One implementation of a workload, ready to step."""

    step: Callable[..., Any]
    batches: list[tuple[Any, ...]]
    result: Callable[[Any], dict[str, Any]]  # the last step's return value -> arrays


def sequential_params(sizes: list[int], seed: int, dtype: Any) -> dict[str, np.ndarray]:
    """PyTorch's default ``nn.Linear`` init, U(±1/sqrt(fan_in)), for a stack of Linears
    at the even indices of an ``nn.Sequential`` (activations in between)."""
    rng = np.random.default_rng(seed)
    params = {}
    for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        bound = 1.0 / np.sqrt(fan_in)
        params[f"{2 * i}.weight"] = rng.uniform(-bound, bound, (fan_out, fan_in)).astype(dtype)
        params[f"{2 * i}.bias"] = rng.uniform(-bound, bound, (fan_out,)).astype(dtype)
    return params


@dataclass
class LabSetup:
    """The lab's 2-4-4-1 sigmoid network, MSE loss, full-batch SGD (lr 0.5), float64."""

    dataset: str
    X: np.ndarray  # (n, 2)
    y: np.ndarray  # (n, 1) in {0, 1}
    params: dict[str, np.ndarray]
    lr: float = 0.5


def lab_setup(dataset: str, seed: int = SEED) -> LabSetup:
    """The lab's data generators (100 linear points, 21 XOR points), fixed weights."""
    makers = {"linear": lambda: data.generate_linear(100, seed=seed),
              "xor": data.generate_xor_easy}
    if dataset not in makers:
        raise ValueError(f"lab_setup: unknown dataset {dataset!r} (expected 'linear' or 'xor')")
    X, y = makers[dataset]()
    X = np.ascontiguousarray(X, dtype=np.float64)
    y = np.ascontiguousarray(np.reshape(y, (len(X), 1)), dtype=np.float64)
    return LabSetup(dataset, X, y, sequential_params([2, 4, 4, 1], seed, np.float64))


@dataclass
class MLPSetup:
    """scikit-learn's digits, 64-256-256-10 ReLU, cross-entropy, Adam (lr 1e-3), float32.

    Shuffled once (fixed seed) and cut into batches of 64 (the last one smaller) that
    every epoch visits in the same order. ``v`` is a fixed direction for the HVP.
    """

    X: np.ndarray  # (1797, 64) in [0, 1]
    y: np.ndarray  # (1797,) int64
    params: dict[str, np.ndarray]
    batches: list[tuple[np.ndarray, np.ndarray]]
    v: dict[str, np.ndarray] = field(default_factory=dict)
    lr: float = 1e-3


def mlp_setup(n_batches: int | None = None, seed: int = SEED) -> MLPSetup:
    """The digits workload; ``n_batches`` keeps only the first batches (quick runs)."""
    digits = load_digits()
    order = np.random.default_rng(seed).permutation(len(digits.target))
    X = np.ascontiguousarray(digits.data[order] / 16.0, dtype=np.float32)
    y = np.ascontiguousarray(digits.target[order], dtype=np.int64)
    batches = [(X[i : i + 64], y[i : i + 64]) for i in range(0, len(X), 64)][:n_batches]
    sizes = [64, 256, 256, 10]
    v = sequential_params(sizes, seed + 1, np.float32)
    return MLPSetup(X, y, sequential_params(sizes, seed, np.float32), batches, v)


@dataclass
class ConvSetup:
    """Conv1d(16→32, kernel 5, padding 2) → ReLU → MaxPool1d(2), float32. A step is the
    forward and backward of ``(block(x) * g).sum()``: a dense output gradient ``g``, as
    deep inside a network, and gradients for the weight, the bias and ``x``."""

    x: np.ndarray  # (batch, 16, length)
    g: np.ndarray  # (batch, 32, length // 2)
    params: dict[str, np.ndarray]  # "0.weight" (32, 16, 5), "0.bias" (32,)


def conv_setup(batch: int = 64, length: int = 256, seed: int = SEED) -> ConvSetup:
    rng = np.random.default_rng(seed)
    bound = 1.0 / np.sqrt(16 * 5)  # PyTorch's default Conv1d init
    params = {"0.weight": rng.uniform(-bound, bound, (32, 16, 5)).astype(np.float32),
              "0.bias": rng.uniform(-bound, bound, (32,)).astype(np.float32)}
    x = rng.standard_normal((batch, 16, length)).astype(np.float32)
    g = rng.standard_normal((batch, 32, length // 2)).astype(np.float32)
    return ConvSetup(x, g, params)


# The chain of the "long graph" rows: y = y * SCALE; y = y + SHIFT, repeated, then sum.
CHAIN_X = np.linspace(0.5, 2.0, 4)
CHAIN_SCALE, CHAIN_SHIFT = 0.9999, 0.0001

# Comparison tolerances (rtol, atol) per workload kind: float64 agrees to rounding,
# float32 to what other BLAS kernels and summation orders allow. ``rtol`` is relative to
# the largest magnitude of the reference array, not elementwise: a gradient summed over
# thousands of float32 terms has an absolute error set by its largest entries.
TOLERANCES: dict[str, tuple[float, float]] = {
    "lab": (1e-8, 1e-10), "mlp": (2e-3, 2e-3), "conv1d": (1e-4, 1e-4),
    "hessian": (1e-9, 1e-12), "hvp": (1e-3, 1e-5), "chain": (1e-9, 1e-12),
}


def compare_results(reference: dict[str, Any], other: dict[str, Any], kind: str) -> list[str]:
    """A description of every entry of ``other`` that differs from ``reference``."""
    rtol, atol = TOLERANCES[kind]
    problems = []
    if set(reference) != set(other):
        problems.append(f"keys differ: {sorted(reference)} vs {sorted(other)}")
    for key in sorted(set(reference) & set(other)):
        a, b = np.asarray(reference[key], np.float64), np.asarray(other[key], np.float64)
        if a.shape != b.shape:
            problems.append(f"{key}: shape {a.shape} vs {b.shape}")
        elif a.size:
            err, scale = np.max(np.abs(a - b)), np.max(np.abs(a))
            if not err <= atol + rtol * scale:  # also catches NaN
                problems.append(f"{key}: max abs difference {err:.3g} with max |value| "
                                f"{scale:.3g} (rtol {rtol}, atol {atol})")
    return problems
