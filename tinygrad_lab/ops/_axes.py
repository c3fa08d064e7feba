"""Reading the axis and shape arguments of ops, in both spellings users bring: PyTorch's
``dim=``/``keepdim=`` and NumPy's ``axis=``/``keepdims=``. Shared by the op files."""

from __future__ import annotations

import operator
from typing import Any

import numpy as np

from ..tensor import Tensor, as_tensor

# NumPy's AxisError is both a ValueError and an IndexError (PyTorch raises IndexError for
# a dim out of range): either ``except`` catches it.
AxisError = np.exceptions.AxisError if hasattr(np, "exceptions") else np.AxisError


class ShapeError(ValueError, RuntimeError):
    """Shapes that do not fit an op: PyTorch raises RuntimeError there, NumPy ValueError,
    so this is both (either ``except`` catches it)."""


def unary(x: Any) -> Tensor:
    """``x`` as a Tensor (arrays are wrapped without copying)."""
    return x if isinstance(x, Tensor) else as_tensor(x)


def normalize_axis(op: str, axis: Any, shape: tuple[int, ...], extra: int = 0) -> int:
    """Return ``axis`` as a non-negative int for a tensor of ``shape``.

    ``extra`` widens the valid range for ops that add axes (``unsqueeze``, ``stack``
    accept ``ndim + 1`` positions).
    """
    try:
        ax = operator.index(axis)
    except TypeError:
        raise TypeError(
            f"{op}: axis must be an int, got {type(axis).__name__} {axis!r}"
        ) from None
    ndim = len(shape) + extra
    if not -ndim <= ax < ndim:
        raise AxisError(
            f"{op}: axis {ax} is out of range for a tensor of shape {shape} "
            f"(valid: {-ndim} to {ndim - 1})"
        )
    return ax + ndim if ax < 0 else ax


def normalize_axes(op: str, axis: Any, shape: tuple[int, ...]) -> tuple[int, ...]:
    """Return ``axis`` (None, int or sequence of ints) as a sorted tuple of distinct
    non-negative axes; None means every axis."""
    if axis is None:
        return tuple(range(len(shape)))
    if isinstance(axis, (tuple, list)):
        axes = tuple(normalize_axis(op, a, shape) for a in axis)
        if len(set(axes)) != len(axes):
            raise ValueError(f"{op}: axis {tuple(axis)} repeats an axis (shape {shape})")
        return tuple(sorted(axes))
    return (normalize_axis(op, axis, shape),)


def pick(op: str, torch_name: str, torch_value: Any, numpy_name: str, numpy_value: Any,
         default: Any = None) -> Any:
    """One argument given in either spelling (``dim``/``axis``, ``keepdim``/``keepdims``).

    ``default`` is the value of the PyTorch spelling when it was not given.
    """
    if numpy_value is None:
        return torch_value
    if torch_value is not default and torch_value is not None:
        raise TypeError(f"{op}: give {torch_name}= or {numpy_name}=, not both")
    return numpy_value


def reduction_axes(op: str, shape: tuple[int, ...], dim: Any, axis: Any) -> tuple[int, ...]:
    """The axes a reduction reduces, from ``dim`` (PyTorch) or ``axis`` (NumPy).

    The one difference between the spellings: an empty tuple means every axis for
    PyTorch's ``dim=()`` and no axis for NumPy's ``axis=()``. A 0-d tensor accepts dim
    0 or -1, as in PyTorch (it reduces nothing).
    """
    if not shape and _scalar_dims(dim if axis is None else axis):
        return ()
    if axis is not None:
        if dim is not None:
            raise TypeError(f"{op}: give dim= or axis=, not both")
        return normalize_axes(op, axis, shape)
    if dim is None or isinstance(dim, (tuple, list)) and len(dim) == 0:
        return tuple(range(len(shape)))
    return normalize_axes(op, dim, shape)


def _scalar_dims(dims: Any) -> bool:
    """True for 0, -1, or a sequence of them: the dims PyTorch accepts on a 0-d tensor."""
    values = dims if isinstance(dims, (tuple, list)) else (dims,)
    return bool(values) and all(
        not isinstance(v, bool) and isinstance(v, (int, np.integer)) and v in (0, -1)
        for v in values
    )


def keep_shape(shape: tuple[int, ...], axes: tuple[int, ...]) -> tuple[int, ...]:
    """The output shape with ``keepdim=True``: reduced axes become 1."""
    if len(axes) == len(shape):  # every axis (the common loss.sum() / .mean())
        return (1,) * len(shape)
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def count(shape: tuple[int, ...], axes: tuple[int, ...]) -> int:
    """How many input elements each output element of a reduction summarises."""
    n = 1
    for a in axes:
        n *= shape[a]
    return n


def as_shape(op: str, sizes: tuple[Any, ...]) -> tuple[int, ...]:
    """A shape given as ``f(2, 3)`` or ``f((2, 3))`` as a tuple of Python ints."""
    if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
        sizes = tuple(sizes[0])
    try:
        return tuple(operator.index(n) for n in sizes)
    except TypeError:
        raise TypeError(f"{op}: shape must be ints, got {sizes!r}") from None
