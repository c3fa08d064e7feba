"""The benchmark workloads: data, initial weights and hyper-parameters, shared by all
three implementations (tinygrad_lab in ``framework.py``, hand-written NumPy in
``numpy_reference.py``, PyTorch in ``torch_reference.py``).

Everything here is plain NumPy, made from fixed seeds, so that the three implementations
start from *identical* weights and data and can be checked for the same result before
they are timed. Parameter names follow PyTorch's ``state_dict`` of an ``nn.Sequential``
("0.weight", "0.bias", ...), so the same dict loads into the framework and into PyTorch.

Every implementation module exposes ``make_<workload>(setup) -> Runner`` where a runner has

* ``step()``: one unit of timed work (an epoch, or one forward+backward), and
* ``result() -> dict[str, np.ndarray]``: what is compared across implementations
  (loss, accuracy, parameters or gradients), computed outside the timed region.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

SEED = 0


class Runner(Protocol):
    def step(self) -> Any: ...

    def result(self) -> dict[str, np.ndarray]: ...


def _uniform(rng: np.random.Generator, bound: float, shape: tuple[int, ...], dtype: Any):
    return rng.uniform(-bound, bound, size=shape).astype(dtype)


def linear_init(
    rng: np.random.Generator, fan_in: int, fan_out: int, dtype: Any
) -> tuple[np.ndarray, np.ndarray]:
    """PyTorch's default ``nn.Linear`` init: weight and bias ~ U(-1/sqrt(fan_in), +...)."""
    bound = 1.0 / np.sqrt(fan_in)
    return (
        _uniform(rng, bound, (fan_out, fan_in), dtype),
        _uniform(rng, bound, (fan_out,), dtype),
    )


def sequential_params(sizes: list[int], seed: int, dtype: Any) -> dict[str, np.ndarray]:
    """Weights of ``Sequential(Linear, act, Linear, act, ..., Linear[, act])`` by name."""
    rng = np.random.default_rng(seed)
    params = {}
    for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        w, b = linear_init(rng, fan_in, fan_out, dtype)
        params[f"{2 * i}.weight"] = w
        params[f"{2 * i}.bias"] = b
    return params


# ---------------------------------------------------------------------------------- lab


@dataclass
class LabSetup:
    """The lab's 2-4-4-1 sigmoid network, MSE loss, full-batch SGD, float64."""

    dataset: str
    X: np.ndarray  # (n, 2) float64
    y: np.ndarray  # (n, 1) float64 in {0, 1}
    params: dict[str, np.ndarray]
    lr: float = 0.5
    sizes: tuple[int, ...] = (2, 4, 4, 1)


def lab_setup(dataset: str, seed: int = SEED) -> LabSetup:
    """Data from ``tinygrad_lab.data`` (the lab's generators) and fixed initial weights."""
    from tinygrad_lab import data

    if dataset == "linear":
        X, y = data.generate_linear(100, seed=seed)
    elif dataset == "xor":
        X, y = data.generate_xor_easy()
    else:
        raise ValueError(f"lab_setup: unknown dataset {dataset!r} (expected 'linear' or 'xor')")
    X = np.ascontiguousarray(np.asarray(X, dtype=np.float64))
    y = np.ascontiguousarray(np.asarray(y, dtype=np.float64).reshape(len(X), 1))
    return LabSetup(dataset, X, y, sequential_params([2, 4, 4, 1], seed, np.float64))


# ---------------------------------------------------------------------------------- mlp


@dataclass
class MLPSetup:
    """scikit-learn's digits, 64-256-256-10 ReLU MLP, softmax cross-entropy, Adam, float32.

    The data are shuffled once (fixed seed) and cut into contiguous batches of 64 (the last
    one smaller); every epoch visits the same batches in the same order in all three
    implementations, so their trajectories can be compared.
    """

    X: np.ndarray  # (1797, 64) float32 in [0, 1]
    y: np.ndarray  # (1797,) int64
    params: dict[str, np.ndarray]
    batch_size: int = 64
    lr: float = 1e-3
    betas: tuple[float, float] = (0.9, 0.999)
    eps: float = 1e-8
    sizes: tuple[int, ...] = (64, 256, 256, 10)
    batches: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list)


def mlp_setup(n_batches: int | None = None, seed: int = SEED) -> MLPSetup:
    """The digits workload; ``n_batches`` keeps only the first batches (for quick runs)."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    order = np.random.default_rng(seed).permutation(len(digits.target))
    X = np.ascontiguousarray(digits.data[order] / 16.0, dtype=np.float32)
    y = np.ascontiguousarray(digits.target[order], dtype=np.int64)
    setup = MLPSetup(X, y, sequential_params([64, 256, 256, 10], seed, np.float32))
    bs = setup.batch_size
    setup.batches = [(X[i : i + bs], y[i : i + bs]) for i in range(0, len(X), bs)]
    if n_batches is not None:
        del setup.batches[n_batches:]
    return setup


# ------------------------------------------------------------------------------- conv1d


@dataclass
class ConvSetup:
    """Conv1d(16->32, kernel 5, padding 2) -> ReLU -> MaxPool1d(2), float32.

    One step is the forward and the backward of ``(block(x) * grad_out).sum()`` (so the
    output gradient is a dense random array, as deep inside a network), with gradients
    for the weight, the bias and the input ``x``.
    """

    x: np.ndarray  # (64, 16, 256)
    grad_out: np.ndarray  # (64, 32, 128)
    params: dict[str, np.ndarray]  # "0.weight" (32, 16, 5), "0.bias" (32,)
    in_channels: int = 16
    out_channels: int = 32
    kernel_size: int = 5
    padding: int = 2
    pool: int = 2


def conv_setup(batch: int = 64, length: int = 256, seed: int = SEED) -> ConvSetup:
    rng = np.random.default_rng(seed)
    c_in, c_out, k = 16, 32, 5
    bound = 1.0 / np.sqrt(c_in * k)  # PyTorch's default Conv1d init
    params = {
        "0.weight": _uniform(rng, bound, (c_out, c_in, k), np.float32),
        "0.bias": _uniform(rng, bound, (c_out,), np.float32),
    }
    x = rng.standard_normal((batch, c_in, length)).astype(np.float32)
    grad_out = rng.standard_normal((batch, c_out, length // 2)).astype(np.float32)
    return ConvSetup(x, grad_out, params)


# ----------------------------------------------------------------------------- overhead


@dataclass
class OverheadSetup:
    """``sigmoid(x @ W + b).sum()``, forward and backward for W and b, float32."""

    size: str
    x: np.ndarray
    W: np.ndarray
    b: np.ndarray


def overhead_setup(size: str, seed: int = SEED) -> OverheadSetup:
    rng = np.random.default_rng(seed)
    n, k, m = {"tiny": (1, 2, 4), "large": (256, 256, 256)}[size]
    x = rng.standard_normal((n, k)).astype(np.float32)
    W = (rng.standard_normal((k, m)) / np.sqrt(k)).astype(np.float32)
    b = (rng.standard_normal(m) * 0.1).astype(np.float32)
    return OverheadSetup(size, x, W, b)


# --------------------------------------------------------------------------------- deep


@dataclass
class DeepSetup:
    """A chain of ``n_ops`` ops on a 4-vector: ``y = y * 0.9999; y = y + 0.0001``, repeated,
    then ``.sum()``; float64. Its gradient is ``0.9999 ** (n_ops // 2)`` everywhere."""

    n_ops: int
    x: np.ndarray
    scale: float = 0.9999
    shift: float = 0.0001


def deep_setup(n_ops: int = 100_000) -> DeepSetup:
    if n_ops % 2:
        raise ValueError(f"deep_setup: n_ops must be even, got {n_ops}")
    return DeepSetup(n_ops, np.linspace(0.5, 2.0, 4))


# ---------------------------------------------------------------------------- tolerances

# Comparison tolerances (rtol, atol) per workload: float64 workloads agree to rounding,
# float32 ones to what different BLAS kernels and summation orders allow. ``rtol`` is
# relative to the largest magnitude in the reference array, not elementwise: a gradient
# summed over 16,000 float32 terms has an absolute rounding error set by its largest
# entries, which an entry that happens to be near 0 shares.
TOLERANCES: dict[str, tuple[float, float]] = {
    "lab": (1e-8, 1e-10),
    "mlp": (2e-3, 2e-3),
    "conv1d": (1e-4, 1e-4),
    "overhead": (1e-4, 1e-5),
    "deep": (1e-9, 1e-12),
}


def compare_results(
    reference: dict[str, np.ndarray], other: dict[str, np.ndarray], workload: str
) -> list[str]:
    """Return a description of every entry of ``other`` that differs from ``reference``."""
    rtol, atol = TOLERANCES[workload]
    problems = []
    if set(reference) != set(other):
        problems.append(f"keys differ: {sorted(reference)} vs {sorted(other)}")
    for key in sorted(set(reference) & set(other)):
        a, b = np.asarray(reference[key], dtype=np.float64), np.asarray(other[key], np.float64)
        if a.shape != b.shape:
            problems.append(f"{key}: shape {a.shape} vs {b.shape}")
        elif a.size:
            err = np.max(np.abs(a - b))
            scale = np.max(np.abs(a))
            if not err <= atol + rtol * scale:  # also catches NaN
                problems.append(f"{key}: max abs difference {err:.3g} with max |value| "
                                f"{scale:.3g} (rtol {rtol}, atol {atol})")
    return problems
