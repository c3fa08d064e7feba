"""Reductions: sum, mean, max, min, logsumexp over ``axis=None|int|tuple`` with ``keepdims``.

Every backward has the same shape problem: ``g`` lacks the reduced axes (unless
``keepdims``), so it is first reshaped to the keepdims shape, where it broadcasts against
the input. The helpers for reading ``axis`` live here and are shared by the other op files.
"""

from __future__ import annotations

import operator
from typing import Any

import numpy as np

from ..tensor import Tensor

# ------------------------------------------------------------------------- axis helpers


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
        raise ValueError(
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


def _keep_shape(shape: tuple[int, ...], axes: tuple[int, ...]) -> tuple[int, ...]:
    """The output shape with ``keepdims=True``: reduced axes become 1."""
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def _spread(g: np.ndarray, keep: tuple[int, ...], shape: tuple[int, ...]) -> np.ndarray:
    """``g`` (shaped like the output) copied over the reduced axes of ``shape``.

    A fresh array rather than ``np.broadcast_to``'s read-only view: it is several times
    cheaper to build for small tensors, and the engine would copy a view anyway.
    """
    out = np.empty(shape, dtype=g.dtype)
    out[...] = g.reshape(keep)
    return out


def _count(shape: tuple[int, ...], axes: tuple[int, ...]) -> int:
    """How many input elements each output element summarises."""
    n = 1
    for a in axes:
        n *= shape[a]
    return n


# --------------------------------------------------------------------------- reductions


def sum(x: Tensor, axis: Any = None, keepdims: bool = False) -> Tensor:  # noqa: A001
    """Sum over ``axis`` (None: all axes; int or tuple, negative allowed).

    Parameters
    ----------
    x : Tensor
    axis : None, int or tuple of int
    keepdims : bool
        Keep the reduced axes with size 1.

    Returns
    -------
    Tensor
    """
    axes = normalize_axes("sum", axis, x.shape)
    out = x.data.sum(axis=axes, keepdims=keepdims)
    keep = _keep_shape(x.shape, axes)

    # Every input element adds into its output element once: its gradient is that
    # element's gradient, i.e. g copied back over the reduced axes.
    return Tensor.from_op(out, (x,), lambda g: (_spread(g, keep, x.shape),), "sum")


def mean(x: Tensor, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Mean over ``axis`` (None: all axes; int or tuple, negative allowed).

    The mean over an empty axis is NaN, as in NumPy (which also warns).
    """
    axes = normalize_axes("mean", axis, x.shape)
    out = x.data.mean(axis=axes, keepdims=keepdims)
    keep = _keep_shape(x.shape, axes)
    n = _count(x.shape, axes)

    def backward(g: np.ndarray) -> tuple[np.ndarray]:
        if n == 0:  # no element contributed, so none gets a gradient
            return (np.zeros(x.shape, dtype=g.dtype),)
        return (_spread(g / n, keep, x.shape),)

    return Tensor.from_op(out, (x,), backward, "mean")


def _extremum(op: str, fn: Any, x: Tensor, axis: Any, keepdims: bool) -> Tensor:
    """max/min. The gradient follows PyTorch:

    * ``axis=None`` or a tuple (``torch.max(x)``, ``torch.amax(x, dim=tuple)``): split
      evenly among the elements that tie for the extremum;
    * an int ``axis`` (``torch.max(x, dim)``): all of it goes to one element, the first
      arg-max (arg-min) along that axis, as ``np.argmax`` picks it.
    """
    axes = normalize_axes(op, axis, x.shape)
    try:
        out = fn(x.data, axis=axes, keepdims=keepdims)
    except ValueError:  # NumPy: "zero-size array to reduction operation ..."
        raise ValueError(
            f"{op}: cannot reduce over an empty axis (axis={axis!r}, shape {x.shape}): "
            f"the {op} of no elements is undefined"
        ) from None
    keep = _keep_shape(x.shape, axes)

    if isinstance(axis, (tuple, list)) or axis is None:

        def backward(g: np.ndarray) -> tuple[np.ndarray]:
            hit = x.data == out.reshape(keep)
            ties = np.sum(hit, axis=axes, keepdims=True, dtype=g.dtype)
            return (g.reshape(keep) * hit / ties,)

    else:
        (ax,) = axes
        arg = np.argmax if fn is np.max else np.argmin

        def backward(g: np.ndarray) -> tuple[np.ndarray]:
            grad = np.zeros(x.shape, dtype=g.dtype)
            index = arg(x.data, axis=ax, keepdims=True)
            np.put_along_axis(grad, index, g.reshape(keep), axis=ax)
            return (grad,)

    return Tensor.from_op(out, (x,), backward, op)


def max(x: Tensor, axis: Any = None, keepdims: bool = False) -> Tensor:  # noqa: A001
    """Largest value over ``axis``.

    Gradient: for ``axis=None`` or a tuple of axes it is split evenly among tied maxima
    (as ``torch.max(x)`` / ``torch.amax``); for an int ``axis`` it goes to one element,
    the first maximum along the axis (as ``torch.max(x, dim)``).

    Raises
    ------
    ValueError
        When a reduced axis is empty (the max of nothing is undefined, as in NumPy).
    """
    return _extremum("max", np.max, x, axis, keepdims)


def min(x: Tensor, axis: Any = None, keepdims: bool = False) -> Tensor:  # noqa: A001
    """Smallest value over ``axis``; gradient routed as in :func:`max`."""
    return _extremum("min", np.min, x, axis, keepdims)


def logsumexp(x: Tensor, axis: Any = None, keepdims: bool = False) -> Tensor:
    """``log(sum(exp(x)))`` over ``axis``, without overflow.

    Shifting by the maximum ``m`` keeps every ``exp`` argument ``<= 0``:
    ``logsumexp(x) = m + log(sum(exp(x - m)))``. Over an empty axis the result is
    ``-inf`` (the log of an empty sum), as in PyTorch.
    """
    axes = normalize_axes("logsumexp", axis, x.shape)
    data = x.data if x.dtype.kind == "f" else x.data.astype(np.float64)
    m = np.max(data, axis=axes, keepdims=True, initial=-np.inf)
    # A slice of all -inf (or an empty one) has m = -inf; shifting by it would give
    # -inf - -inf = nan, and shifting by 0 is as good there.
    m = np.where(np.isfinite(m), m, 0).astype(data.dtype, copy=False)
    # exp of a very negative number underflows to 0 and log(0) is -inf: both are the
    # right answers here, so neither may warn.
    with np.errstate(under="ignore", divide="ignore"):
        out_keep = np.log(np.sum(np.exp(data - m), axis=axes, keepdims=True)) + m
    out = out_keep if keepdims else np.squeeze(out_keep, axis=axes)

    def backward(g: np.ndarray) -> tuple[np.ndarray]:
        # d/dx_i log(sum exp x) = exp(x_i) / sum exp x = exp(x_i - out): the softmax.
        with np.errstate(under="ignore"):
            return (g.reshape(out_keep.shape) * np.exp(data - out_keep),)

    return Tensor.from_op(out, (x,), backward, "logsumexp")
