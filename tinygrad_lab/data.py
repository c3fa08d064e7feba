"""The lab's two datasets and a small DataLoader.

Both generators return ``X`` of shape ``(n, 2)`` and labels ``y`` of shape ``(n, 1)``,
float64, exactly as the lab's own code builds them.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import numpy as np

from .random import get_rng
from .tensor import Tensor

__all__ = ["DataLoader", "generate_linear", "generate_xor_easy"]


def generate_linear(n: int = 100, seed: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Points uniform in the unit square, labelled by the diagonal.

    Label 0 when ``x0 > x1`` (below the diagonal), else 1.

    Parameters
    ----------
    n : int
        Number of points.
    seed : int, optional
        Seed of ``np.random.default_rng``; None draws fresh randomness.

    Returns
    -------
    X : ndarray, shape (n, 2), float64
    y : ndarray, shape (n, 1), float64

    Examples
    --------
    >>> X, y = generate_linear(5, seed=0)
    >>> bool(((X[:, 0] > X[:, 1]) == (y[:, 0] == 0)).all())
    True
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"generate_linear: n must be a non-negative integer, got {n!r}")
    pts = np.random.default_rng(seed).uniform(0, 1, (int(n), 2))
    labels = np.where(pts[:, 0] > pts[:, 1], 0.0, 1.0)
    return pts, labels.reshape(-1, 1)


def generate_xor_easy() -> tuple[np.ndarray, np.ndarray]:
    """The lab's 21 XOR points: the diagonal (label 0) and the anti-diagonal (label 1).

    For ``i`` in 0..10 the point ``(0.1 i, 0.1 i)`` gets label 0 and, unless ``i == 5``
    (where both diagonals meet), ``(0.1 i, 1 - 0.1 i)`` gets label 1; points are listed
    in that order.

    Returns
    -------
    X : ndarray, shape (21, 2), float64
    y : ndarray, shape (21, 1), float64
    """
    inputs: list[list[float]] = []
    labels: list[int] = []
    for i in range(11):
        inputs.append([0.1 * i, 0.1 * i])
        labels.append(0)
        if i == 5:  # the two diagonals cross at (0.5, 0.5): one point, label 0
            continue
        inputs.append([0.1 * i, 1 - 0.1 * i])
        labels.append(1)
    return np.array(inputs, dtype=np.float64), np.array(labels, dtype=np.float64).reshape(-1, 1)


def _as_array(value: Any, name: str) -> np.ndarray:
    if isinstance(value, Tensor):
        return value.data
    if isinstance(value, np.ndarray):
        return value
    try:
        return Tensor(value).data  # lists follow the Tensor dtype rules
    except TypeError as err:
        raise TypeError(f"DataLoader: {name} must be an array or Tensor: {err}") from None


class DataLoader:
    """Iterate over ``(X, y)`` in mini-batches of Tensors.

    Parameters
    ----------
    X, y : array_like or Tensor
        Samples along axis 0; both must have the same length. Arrays keep their dtype.
    batch_size : int
    shuffle : bool
        Draw a new order at the start of every epoch (every ``iter``).
    seed : int, optional
        Seed of the loader's own generator, for a reproducible order; without it the
        framework generator is used (see :func:`tinygrad_lab.random.manual_seed`).
    drop_last : bool
        Skip the last batch when it is smaller than ``batch_size``.

    Examples
    --------
    >>> X, y = generate_linear(100, seed=0)
    >>> loader = DataLoader(X, y, batch_size=32, shuffle=True, seed=0)
    >>> len(loader)
    4
    >>> for xb, yb in loader:
    ...     pass
    """

    def __init__(
        self, X: Any, y: Any, batch_size: int = 1, shuffle: bool = False,
        seed: int | None = None, drop_last: bool = False,
    ) -> None:
        is_int = isinstance(batch_size, (int, np.integer)) and not isinstance(batch_size, bool)
        if not is_int or batch_size < 1:
            raise ValueError(
                f"DataLoader: batch_size must be a positive integer, got {batch_size!r}"
            )
        X = _as_array(X, "X")
        y = _as_array(y, "y")
        if X.ndim == 0 or y.ndim == 0:
            raise ValueError(
                f"DataLoader: X and y need a sample axis 0, got shapes {X.shape} and {y.shape}"
            )
        if len(X) != len(y):
            raise ValueError(
                f"DataLoader: X has {len(X)} samples (shape {X.shape}) but y has {len(y)} "
                f"(shape {y.shape}); they must have the same length"
            )
        self.X = X
        self.y = y
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.seed = seed
        self._rng = None if seed is None else np.random.default_rng(seed)

    @property
    def n_samples(self) -> int:
        return len(self.X)

    def __len__(self) -> int:
        """Number of batches per epoch."""
        if self.drop_last:
            return self.n_samples // self.batch_size
        return math.ceil(self.n_samples / self.batch_size)

    def __iter__(self) -> Iterator[tuple[Tensor, Tensor]]:
        n, size = self.n_samples, self.batch_size
        order = None
        if self.shuffle:
            rng = self._rng if self._rng is not None else get_rng()
            order = rng.permutation(n)
        stop = n - n % size if self.drop_last else n
        for start in range(0, stop, size):
            if order is None:
                # Copies, so changing a batch in place never changes the dataset.
                xb = self.X[start:start + size].copy()
                yb = self.y[start:start + size].copy()
            else:
                index = order[start:start + size]
                xb, yb = self.X[index], self.y[index]
            yield Tensor._wrap(xb), Tensor._wrap(yb)

    def __repr__(self) -> str:
        return (
            f"DataLoader(n_samples={self.n_samples}, batch_size={self.batch_size}, "
            f"shuffle={self.shuffle}, drop_last={self.drop_last})"
        )
