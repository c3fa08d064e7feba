"""The lab's two datasets and its DataLoader (a case of ``tinygrad_lab.utils.data``).

Both generators return ``X`` of shape ``(n, 2)`` and labels ``y`` of shape ``(n, 1)``,
float64, exactly as the lab's own code builds them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from .random import Generator
from .tensor import Tensor
from .utils.data import DataLoader as _DataLoader
from .utils.data import TensorDataset, _check_positive_int, _is_int, _share

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
    """The samples as a numeric ndarray: Tensors and arrays as they are, lists via Tensor."""
    if isinstance(value, Tensor):
        return value.numpy()
    if not isinstance(value, np.ndarray):
        try:
            return Tensor(value).numpy()  # lists follow the Tensor dtype rules
        except TypeError as err:
            raise TypeError(f"DataLoader: {name} must be an array or Tensor: {err}") from None
    if value.dtype.kind not in "biuf":
        raise TypeError(
            f"DataLoader: {name} must hold numbers (bool, int or float), got an array of "
            f"dtype {value.dtype}"
        )
    return value


class DataLoader(_DataLoader):
    """Iterate over ``(X, y)`` in mini-batches of Tensors.

    The lab's loader: :class:`tinygrad_lab.utils.data.DataLoader` over
    ``TensorDataset(X, y)``, with a ``seed`` instead of a ``generator`` and batches as
    ``(X_batch, y_batch)`` tuples.

    Parameters
    ----------
    X, y : array_like or Tensor
        Samples along axis 0; both must have the same length. Arrays keep their dtype
        (and are not copied: the loader reads them as they are when a batch is made);
        lists follow the Tensor rules (floats become the default dtype).
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
        batch_size = _check_positive_int("DataLoader", "batch_size", batch_size)
        if seed is not None and not (_is_int(seed) and seed >= 0):
            raise ValueError(
                f"DataLoader: seed must be a non-negative integer or None, got {seed!r}"
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
        generator = None if seed is None else Generator().manual_seed(seed)
        dataset = TensorDataset(_share(X), _share(y))
        super().__init__(dataset, batch_size=batch_size, shuffle=shuffle,
                         drop_last=drop_last, generator=generator)
        self.X = X
        self.y = y
        self.shuffle = bool(shuffle)
        self.seed = seed

    @property
    def n_samples(self) -> int:
        return len(self.X)

    def __iter__(self) -> Iterator[tuple[Tensor, ...]]:
        # Each batch is fresh (rows are gathered), so changing it never changes X or y.
        for batch in super().__iter__():
            yield tuple(batch)

    def __repr__(self) -> str:
        return (
            f"DataLoader(n_samples={self.n_samples}, batch_size={self.batch_size}, "
            f"shuffle={self.shuffle}, drop_last={self.drop_last})"
        )
