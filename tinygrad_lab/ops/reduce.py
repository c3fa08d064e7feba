"""Reductions: sum, mean, prod, max, min, amax, amin, logsumexp, std, var over ``dim``
(None, an int or a tuple) with ``keepdim``; also cumsum, argmax, argmin, all, any.

Both spellings work: PyTorch's ``dim=``/``keepdim=`` and NumPy's ``axis=``/``keepdims=``.
Every gradient has the same shape problem: ``g`` lacks the reduced axes (unless
``keepdim``), so it is first reshaped to the keepdim shape, where it broadcasts against
the input. ``std``, ``var`` and ``prod`` are compositions of other ops, so their
gradients of every order come for free.
"""

from __future__ import annotations

import builtins
import warnings
from collections import namedtuple
from types import SimpleNamespace
from typing import Any

import numpy as np

from ..tensor import FUNCTION_OPS, Tensor, register_methods
from ._axes import count, keep_shape, pick, reduction_axes, unary
from ._axes import normalize_axes as normalize_axes  # also used by the other op files
from ._axes import normalize_axis as normalize_axis
from .elementwise import maximum, minimum, sqrt, to_dtype
from .shape import expand, pad, permute

# The (values, indices) pairs of max(x, dim) and min(x, dim), as torch.return_types.
return_types = SimpleNamespace(
    max=namedtuple("max", ["values", "indices"]),
    min=namedtuple("min", ["values", "indices"]),
)


def _spread(g: Any, keep: tuple[int, ...], shape: tuple[int, ...]) -> Any:
    """``g`` (shaped like a reduction's output) copied over the reduced axes of ``shape``.

    On the fast path a fresh array: cheaper to build than a broadcast view for small
    tensors, and contiguous for the BLAS call that usually follows. On tensors the
    ``expand`` op, so the gradient can be differentiated again.
    """
    if isinstance(g, Tensor):
        return expand(g.reshape(keep), shape)
    out = np.empty(shape, dtype=g.dtype)
    out[...] = g.reshape(keep)
    return out


def _keepdim(op: str, keepdim: bool, keepdims: bool | None) -> bool:
    return bool(pick(op, "keepdim", keepdim, "keepdims", keepdims, default=False))


def _empty_error(op: str, axes: tuple[int, ...], shape: tuple[int, ...]) -> ValueError:
    # NumPy's message ("zero-size array to reduction operation ...") names neither.
    return ValueError(
        f"{op}: cannot reduce over an empty axis (axes {axes}, shape {shape}): the {op} of "
        "no elements is undefined"
    )


# ------------------------------------------------------------------- sum, mean, prod


def sum(input: Any, dim: Any = None, keepdim: bool = False, *, dtype: Any = None,  # noqa: A001, A002
        axis: Any = None, keepdims: bool | None = None) -> Tensor:
    """Sum over ``dim`` (None: every dim; an int or a tuple, negative allowed).

    Parameters
    ----------
    input : Tensor
    dim : None, int or tuple of int
        PyTorch's name (``dim=()`` means every dim, as in PyTorch); NumPy's ``axis=``
        works too (``axis=()`` reduces nothing, as in NumPy).
    keepdim : bool
        Keep the reduced dims with size 1 (or ``keepdims=``).
    dtype : dtype, optional
        Cast the input first.

    Returns
    -------
    Tensor
    """
    x = unary(input) if dtype is None else to_dtype(unary(input), dtype)
    axes = reduction_axes("sum", x.shape, dim, axis)
    keepdim = keepdim if keepdims is None else _keepdim("sum", keepdim, keepdims)
    array = x._array
    # np.add.reduce skips ndarray.sum's Python wrapper; bools and ints need its promotion.
    if array.dtype.kind == "f":
        out = np.add.reduce(array, axis=axes, keepdims=keepdim)
    else:
        out = array.sum(axis=axes, keepdims=keepdim)
    keep, shape = keep_shape(x.shape, axes), x.shape
    # Every input element adds into its output element once: its gradient is that
    # element's gradient, i.e. g copied back over the reduced axes.
    return Tensor.from_op(out, (x,), lambda g, out, x: (_spread(g, keep, shape),), "sum")


def mean(input: Any, dim: Any = None, keepdim: bool = False, *, dtype: Any = None,  # noqa: A002
         axis: Any = None, keepdims: bool | None = None) -> Tensor:
    """Mean over ``dim`` (arguments as in :func:`sum`).

    The mean over an empty dim is NaN, as in NumPy and PyTorch (NumPy also warns).
    """
    x = unary(input) if dtype is None else to_dtype(unary(input), dtype)
    axes = reduction_axes("mean", x.shape, dim, axis)
    keepdim = _keepdim("mean", keepdim, keepdims)
    out = x._array.mean(axis=axes, keepdims=keepdim)
    keep, shape, n = keep_shape(x.shape, axes), x.shape, count(x.shape, axes)

    def backward(g: Any, out: Any, x: Any) -> tuple[Any]:
        if n == 0:  # no element contributed, so none gets a gradient
            return (np.zeros(shape, dtype=g.dtype),)
        return (_spread(g / n, keep, shape),)

    return Tensor.from_op(out, (x,), backward, "mean")


def prod(input: Any, dim: Any = None, keepdim: bool = False, *, dtype: Any = None,  # noqa: A002
         axis: Any = None, keepdims: bool | None = None) -> Tensor:
    """Product over ``dim`` (arguments as in :func:`sum`; bools count as int64).

    Computed by multiplying neighbours pairwise (log2(n) rounds of ``mul``), so the
    gradient is exact where elements are zero (``out / x`` would divide by zero), and
    is differentiable again to any order.
    """
    x = unary(input)
    if dtype is not None or x.dtype == np.bool_:
        x = to_dtype(x, np.int64 if dtype is None else dtype)
    axes = reduction_axes("prod", x.shape, dim, axis)
    keepdim = _keepdim("prod", keepdim, keepdims)
    rest = tuple(a for a in range(x.ndim) if a not in axes)
    n = count(x.shape, axes)
    y = x if rest + axes == tuple(range(x.ndim)) else permute(x, rest + axes)
    y = y.reshape(tuple(x.shape[a] for a in rest) + (n,))  # the reduced axes as one
    if n == 0:
        out = y.sum(axis=-1) * 0 + 1  # the empty product (with an empty gradient)
    else:
        while y.shape[-1] > 1:
            if y.shape[-1] % 2:
                y = pad(y, ((0, 0),) * (y.ndim - 1) + ((0, 1),), value=1)
            y = y[..., 0::2] * y[..., 1::2]
        out = y[..., 0]
    return out.reshape(keep_shape(x.shape, axes)) if keepdim else out


def cumsum(input: Any, dim: Any = None, *, dtype: Any = None, axis: Any = None) -> Tensor:  # noqa: A002
    """Running sum along ``dim`` (``dim=None``: over the flattened tensor, as NumPy).

    The gradient is the running sum of ``g`` from the other end.
    """
    x = unary(input) if dtype is None else to_dtype(unary(input), dtype)
    dim = pick("cumsum", "dim", dim, "axis", axis)
    if dim is None:
        x, dim = x.reshape(-1), 0
    if x.ndim == 0:
        normalize_axis("cumsum", dim, (1,))
        return cumsum(x.reshape(1), 0).reshape(())
    ax = normalize_axis("cumsum", dim, x.shape)
    return Tensor.from_op(
        np.cumsum(x._array, axis=ax), (x,),
        lambda g, out, x: (np.flip(np.cumsum(np.flip(g, ax), ax), ax),), "cumsum",
    )


# --------------------------------------------------------------------- max and min


def _extreme_values(op: str, fn: Any, x: Tensor, axes: tuple[int, ...],
                    keepdim: bool) -> Tensor:
    """max/min values over ``axes``; the gradient is split evenly among the elements
    that tie for the extremum (PyTorch's rule for ``max(x)`` and ``amax``)."""
    try:
        out = fn(x._array, axis=axes, keepdims=keepdim)
    except ValueError:
        raise _empty_error(op, axes, x.shape) from None
    keep = keep_shape(x.shape, axes)

    def backward(g: Any, out: Any, x: Any) -> tuple[Any]:
        # The mask of winners comes from the values: a constant, as the derivative of
        # a max is (where it exists) a selection.
        hit = np.asarray(x) == np.asarray(out).reshape(keep)
        share = hit / np.sum(hit, axis=axes, keepdims=True, dtype=g.dtype)
        return (g.reshape(keep) * share,)

    return Tensor.from_op(out, (x,), backward, op)


def _extreme_along(op: str, arg: Any, x: Tensor, dim: Any,
                   keepdim: bool) -> tuple[Tensor, Tensor]:
    """(values, indices) of the max/min along one dim; the gradient goes to the element
    at the index, the first extremum (PyTorch's rule for ``max(x, dim)``)."""
    if x.ndim == 0:  # PyTorch accepts dim 0 / -1 of a 0-d tensor
        normalize_axis(op, dim, (1,))
        values, indices = _extreme_along(op, arg, x.reshape(1), 0, False)
        return values, indices
    ax = normalize_axis(op, dim, x.shape)
    try:
        index = arg(x._array, axis=ax, keepdims=True)
    except ValueError:
        raise _empty_error(op, (ax,), x.shape) from None
    values = np.take_along_axis(x._array, index, axis=ax)
    shape, keep = x.shape, keep_shape(x.shape, (ax,))
    positions = np.arange(shape[ax]).reshape((-1,) + (1,) * (x.ndim - ax - 1))
    if not keepdim:
        values, index = values.squeeze(ax), index.squeeze(ax)
    out = Tensor.from_op(
        values, (x,), lambda g, out, x: (g.reshape(keep) * (positions == index.reshape(keep)),),
        op,
    )
    return out, Tensor._wrap(index.astype(np.int64, copy=False))


def _max_or_min(op: str, input: Any, dim: Any, keepdim: bool, axis: Any,  # noqa: A002
                keepdims: bool | None) -> Any:
    fn, arg, pair = (np.max, np.argmax, maximum) if op == "max" else (np.min, np.argmin, minimum)
    if isinstance(dim, (Tensor, np.ndarray)):
        return pair(input, dim)
    x = unary(input)
    keep = _keepdim(op, keepdim, keepdims)
    if axis is not None:  # NumPy's keyword: the values only, as NumPy returns them
        axes = reduction_axes(op, x.shape, dim, axis)
        if isinstance(axis, (int, np.integer)) and not isinstance(axis, bool):
            return _extreme_along(op, arg, x, axis, keep)[0]
        return _extreme_values(op, fn, x, axes, keep)
    if dim is None:
        return _extreme_values(op, fn, x, tuple(range(x.ndim)), keep)
    if isinstance(dim, (tuple, list)):
        raise TypeError(
            f"{op}: dim must be one int to get (values, indices), got {dim}; for several "
            f"dims use a{op}(x, dims) (or NumPy's axis=)"
        )
    values, indices = _extreme_along(op, arg, x, dim, keep)
    return getattr(return_types, op)(values, indices)


def max(input: Any, dim: Any = None, keepdim: bool = False, *, axis: Any = None,  # noqa: A001, A002
        keepdims: bool | None = None) -> Any:
    """The largest value, in PyTorch's three forms (and NumPy's):

    * ``max(x)``: the largest element, a 0-d tensor; tied maxima share the gradient
      equally (as in PyTorch).
    * ``max(x, dim, keepdim=False)``: a named tuple ``(values, indices)`` like
      ``torch.return_types.max``; the gradient goes to the element at the index (the
      first maximum along ``dim``).
    * ``max(x, other)`` (a tensor): the elementwise maximum, as :func:`maximum`.

    With NumPy's keyword ``axis=`` it returns the values only, as NumPy does (the form
    NumPy code and gradient formulas such as ``x.max(axis=-1, keepdims=True)`` use; a
    deliberate difference from PyTorch, which reads ``axis=`` as ``dim=``): for an int
    ``axis`` the gradient goes to the first maximum, for None or a tuple it is shared
    among ties (as ``amax``). ``keepdims=`` is only a spelling of ``keepdim=``.

    Raises
    ------
    ValueError
        When a reduced dim is empty (the max of nothing is undefined).
    """
    return _max_or_min("max", input, dim, keepdim, axis, keepdims)


def min(input: Any, dim: Any = None, keepdim: bool = False, *, axis: Any = None,  # noqa: A001, A002
        keepdims: bool | None = None) -> Any:
    """The smallest value; the same forms and gradient rules as :func:`max`."""
    return _max_or_min("min", input, dim, keepdim, axis, keepdims)


def amax(input: Any, dim: Any = None, keepdim: bool = False, *, axis: Any = None,  # noqa: A002
         keepdims: bool | None = None) -> Tensor:
    """The largest values over ``dim`` (an int or a tuple; None or ``()`` for all), values only;
    tied maxima share the gradient equally (``torch.amax``)."""
    x = unary(input)
    return _extreme_values("amax", np.max, x, reduction_axes("amax", x.shape, dim, axis),
                           _keepdim("amax", keepdim, keepdims))


def amin(input: Any, dim: Any = None, keepdim: bool = False, *, axis: Any = None,  # noqa: A002
         keepdims: bool | None = None) -> Tensor:
    """The smallest values over ``dim``; as :func:`amax`."""
    x = unary(input)
    return _extreme_values("amin", np.min, x, reduction_axes("amin", x.shape, dim, axis),
                           _keepdim("amin", keepdim, keepdims))


def _arg_extreme(op: str, fn: Any, input: Any, dim: Any, keepdim: bool, axis: Any,  # noqa: A002
                 keepdims: bool | None) -> Tensor:
    x = unary(input)
    dim = pick(op, "dim", dim, "axis", axis)
    keepdim = _keepdim(op, keepdim, keepdims)
    if dim is not None:
        normalize_axis(op, dim, x.shape if x.ndim else (1,))
        if x.ndim == 0:
            return Tensor._wrap(np.zeros((), dtype=np.int64))
    try:
        out = fn(x._array, axis=dim, keepdims=keepdim)
    except ValueError:
        raise _empty_error(op, normalize_axes(op, dim, x.shape), x.shape) from None
    return Tensor._wrap(np.asarray(out, dtype=np.int64))


def argmax(input: Any, dim: Any = None, keepdim: bool = False, *, axis: Any = None,  # noqa: A002
           keepdims: bool | None = None) -> Tensor:
    """Index of the largest value along ``dim`` (None: into the flattened tensor), int64,
    the first one on ties; no gradient."""
    return _arg_extreme("argmax", np.argmax, input, dim, keepdim, axis, keepdims)


def argmin(input: Any, dim: Any = None, keepdim: bool = False, *, axis: Any = None,  # noqa: A002
           keepdims: bool | None = None) -> Tensor:
    """Index of the smallest value along ``dim``; as :func:`argmax`."""
    return _arg_extreme("argmin", np.argmin, input, dim, keepdim, axis, keepdims)


# --------------------------------------------------------------------- logsumexp


def logsumexp(input: Any, dim: Any = None, keepdim: bool = False, *, axis: Any = None,  # noqa: A002
              keepdims: bool | None = None) -> Tensor:
    """``log(sum(exp(x)))`` over ``dim``, without overflow.

    Shifting by the maximum ``m`` keeps every ``exp`` argument ``<= 0``:
    ``logsumexp(x) = m + log(sum(exp(x - m)))``. Over an empty dim the result is
    ``-inf`` (the log of an empty sum), as in PyTorch. ``dim=None`` reduces every dim.
    """
    x = unary(input)
    axes = reduction_axes("logsumexp", x.shape, dim, axis)
    keepdim = _keepdim("logsumexp", keepdim, keepdims)
    data = x._array if x.dtype.kind == "f" else x._array.astype(np.float64)
    m = np.max(data, axis=axes, keepdims=True, initial=-np.inf)
    # A slice of all -inf (or an empty one) has m = -inf; shifting by it would give
    # -inf - -inf = nan, and shifting by 0 is as good there.
    m = np.where(np.isfinite(m), m, 0).astype(data.dtype, copy=False)
    # exp of a very negative number underflows to 0 and log(0) is -inf: both are the
    # right answers here, so neither may warn.
    with np.errstate(under="ignore", divide="ignore"):
        out_keep = np.log(np.sum(np.exp(data - m), axis=axes, keepdims=True)) + m
    out = out_keep if keepdim else np.squeeze(out_keep, axis=axes)
    keep = out_keep.shape

    def backward(g: Any, out: Any, x: Any) -> tuple[Any]:
        # d/dx_i log(sum exp x) = exp(x_i) / sum exp x = exp(x_i - out): the softmax.
        with np.errstate(under="ignore"):
            return (g.reshape(keep) * np.exp(x - out.reshape(keep)),)

    return Tensor.from_op(out, (x,), backward, "logsumexp")


# ------------------------------------------------------------------------ std, var


def var(input: Any, dim: Any = None, unbiased: bool | None = None, keepdim: bool = False,  # noqa: A002
        *, correction: Any = None, axis: Any = None, keepdims: bool | None = None,
        ddof: Any = None) -> Tensor:
    """Variance over ``dim``: ``sum((x - mean)²) / (N - correction)``.

    The default is PyTorch's: ``correction=1`` (Bessel's correction, the unbiased
    estimate), also for NumPy's spelling ``x.var(axis=0)``; ``unbiased=False`` or
    ``correction=0`` (NumPy's ``ddof=0``, and the default of ``np.var(t)``) gives the
    population variance. Where ``N - correction <= 0`` the result is NaN or inf with a
    RuntimeWarning, as in PyTorch. A composition of ops, so differentiable to any order.
    """
    x = unary(input)
    if isinstance(dim, bool):  # PyTorch's x.var(False): the old unbiased argument
        unbiased, dim = dim, None
    c = _correction("var", unbiased, correction, ddof)
    axes = reduction_axes("var", x.shape, dim, axis)
    keepdim = _keepdim("var", keepdim, keepdims)
    if x.dtype.kind != "f":
        x = to_dtype(x, np.float64)
    centred = x - mean(x, axis=axes, keepdims=True)
    squares = sum(centred * centred, axis=axes, keepdims=keepdim)
    divisor = builtins.max(0, count(x.shape, axes) - c)
    if divisor <= 0:
        warnings.warn(
            f"var(): degrees of freedom is <= 0 (correction {c} for {count(x.shape, axes)} "
            f"elements per result); the result is NaN or inf", RuntimeWarning, stacklevel=3
        )
    with np.errstate(divide="ignore", invalid="ignore"):
        return squares / divisor


def std(input: Any, dim: Any = None, unbiased: bool | None = None, keepdim: bool = False,  # noqa: A002
        *, correction: Any = None, axis: Any = None, keepdims: bool | None = None,
        ddof: Any = None) -> Tensor:
    """Standard deviation, ``sqrt(var(...))``: the arguments and the default correction
    (1, Bessel's) as in :func:`var`."""
    return sqrt(var(input, dim, unbiased, keepdim, correction=correction, axis=axis,
                    keepdims=keepdims, ddof=ddof))


def _correction(op: str, unbiased: Any, correction: Any, ddof: Any) -> Any:
    given = [v for v in (unbiased, correction, ddof) if v is not None]
    if len(given) > 1:
        raise TypeError(f"{op}: give only one of unbiased=, correction= and ddof=")
    if unbiased is not None:
        return 1 if unbiased else 0
    value = correction if correction is not None else ddof
    return 1 if value is None else value


# ------------------------------------------------------------------------ all, any


def all(input: Any, dim: Any = None, keepdim: bool = False, *, axis: Any = None,  # noqa: A001, A002
        keepdims: bool | None = None) -> Tensor:
    """True where every element over ``dim`` is non-zero (a bool tensor, no gradient)."""
    x = unary(input)
    axes = reduction_axes("all", x.shape, dim, axis)
    keep = _keepdim("all", keepdim, keepdims)
    return Tensor._wrap(np.asarray(np.all(x._array, axis=axes, keepdims=keep)))


def any(input: Any, dim: Any = None, keepdim: bool = False, *, axis: Any = None,  # noqa: A001, A002
        keepdims: bool | None = None) -> Tensor:
    """True where any element over ``dim`` is non-zero (a bool tensor, no gradient)."""
    x = unary(input)
    axes = reduction_axes("any", x.shape, dim, axis)
    keep = _keepdim("any", keepdim, keepdims)
    return Tensor._wrap(np.asarray(np.any(x._array, axis=axes, keepdims=keep)))


# ------------------------------------------------- NumPy functions on tensors


def _numpy_only(name: str, **kwargs: Any) -> None:
    given = sorted(k for k, v in kwargs.items() if v is not None)
    if given:
        raise TypeError(
            f"np.{name} of a tensor: the arguments {given} are not supported (use the "
            "tinygrad_lab op)"
        )


def _numpy_reduction(name: str, op: Any, has_dtype: bool) -> Any:
    """``np.sum(t, ...)`` and friends: NumPy's signature (``axis``, ``keepdims``; for
    some ``dtype``) running the op."""

    if has_dtype:

        def adapter(a: Any, axis: Any = None, dtype: Any = None, out: Any = None,
                    keepdims: bool = False, **rest: Any) -> Tensor:
            _numpy_only(name, out=out, **rest)
            if dtype is not None:
                a = to_dtype(unary(a), dtype)
            return op(a, axis=axis, keepdims=keepdims)

    else:

        def adapter(a: Any, axis: Any = None, out: Any = None, keepdims: bool = False,
                    **rest: Any) -> Tensor:
            _numpy_only(name, out=out, **rest)
            return op(a, axis=axis, keepdims=keepdims)

    adapter.__name__ = f"numpy_{name}"
    return adapter


def _numpy_variance(name: str, op: Any) -> Any:
    """``np.var``/``np.std`` of a tensor: NumPy's default ``ddof=0``."""

    def adapter(a: Any, axis: Any = None, dtype: Any = None, out: Any = None, ddof: Any = 0,
                keepdims: bool = False, **rest: Any) -> Tensor:
        _numpy_only(name, dtype=dtype, out=out, **rest)
        return op(a, axis=axis, keepdims=keepdims, ddof=ddof)

    return adapter


def _numpy_arg(name: str, op: Any) -> Any:
    def adapter(a: Any, axis: Any = None, out: Any = None, *, keepdims: bool = False) -> Tensor:
        _numpy_only(name, out=out)
        return op(a, axis=axis, keepdims=keepdims)

    return adapter


def _numpy_cumsum(a: Any, axis: Any = None, dtype: Any = None, out: Any = None) -> Tensor:
    _numpy_only("cumsum", out=out)
    return cumsum(a, axis=axis, dtype=dtype)


register_methods(
    {
        "sum": sum, "mean": mean, "prod": prod, "cumsum": cumsum, "max": max, "min": min,
        "amax": amax, "amin": amin, "argmax": argmax, "argmin": argmin,
        "logsumexp": logsumexp, "var": var, "std": std, "all": all, "any": any,
    }
)

FUNCTION_OPS.update(
    {
        np.sum: _numpy_reduction("sum", sum, True),
        np.mean: _numpy_reduction("mean", mean, True),
        np.prod: _numpy_reduction("prod", prod, True),
        np.max: _numpy_reduction("max", max, False),
        np.amax: _numpy_reduction("amax", max, False),
        np.min: _numpy_reduction("min", min, False),
        np.amin: _numpy_reduction("amin", min, False),
        np.all: _numpy_reduction("all", all, False),
        np.any: _numpy_reduction("any", any, False),
        np.var: _numpy_variance("var", var), np.std: _numpy_variance("std", std),
        np.argmax: _numpy_arg("argmax", argmax), np.argmin: _numpy_arg("argmin", argmin),
        np.cumsum: _numpy_cumsum,
    }
)

__all__ = [
    "all", "amax", "amin", "any", "argmax", "argmin", "cumsum", "logsumexp", "max",
    "mean", "min", "prod", "return_types", "std", "sum", "var",
]
