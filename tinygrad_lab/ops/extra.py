"""PyTorch ops that the other families lack: integer-style division (``//``, ``%``,
``fmod``, ``div(..., rounding_mode=)``), vector norms, diagonals and traces, sorting
(``sort``, ``argsort``, ``topk``, ``unique``, ``bincount``) and dtype queries.

Most are compositions of other ops (``norm`` of ``abs``, ``sum``, ``where``; ``diagonal``
and the values of ``sort``/``topk`` of indexing with constant indices), so they are
differentiable to any order without gradient formulas of their own. The division ops
are single ops whose gradients follow PyTorch's: zero for the piecewise-constant
quotients, ``(g, -q g)`` for the remainders, ``q`` being the rounded quotient.
"""

from __future__ import annotations

import math
import operator
from collections import namedtuple
from types import SimpleNamespace
from typing import Any

import numpy as np

from ..tensor import (
    FUNCTION_OPS,
    UFUNC_OPS,
    Tensor,
    as_tensor,
    inplace,
    reflected,
    register_methods,
)
from . import elementwise
from ._axes import normalize_axis, reduction_axes, unary
from .elementwise import _torch_dtype, to_dtype, where
from .indexing import as_view, gather, getitem, index_select
from .reduce import amax, amin
from .reduce import sum as _sum

# The named tuples ``sort`` and ``topk`` return, as ``torch.return_types``.
return_types = SimpleNamespace(
    sort=namedtuple("sort", ["values", "indices"]),
    topk=namedtuple("topk", ["values", "indices"]),
)


class IntegerDivisionByZero(ZeroDivisionError, RuntimeError):
    """An integer tensor divided by zero: PyTorch raises a RuntimeError naming
    ZeroDivisionError, Python a ZeroDivisionError; this is both."""


# ------------------------------------------------------------------------ division


def _operands(a: Any, b: Any) -> tuple[Tensor, Tensor]:
    """Both as Tensors (a Python number takes the other operand's float dtype); bools
    count as int64, as PyTorch promotes them for arithmetic."""
    if not isinstance(a, Tensor):
        a = as_tensor(a, like=b if isinstance(b, Tensor) else None)
    if not isinstance(b, Tensor):
        b = as_tensor(b, like=a)
    a = to_dtype(a, np.int64) if a.dtype == np.bool_ else a
    b = to_dtype(b, np.int64) if b.dtype == np.bool_ else b
    return a, b


def _divide(op: str, fn: Any, a: Tensor, b: Tensor) -> np.ndarray:
    """``fn(a, b)`` on the arrays with PyTorch's result dtype; integer division by zero
    raises (NumPy would warn and return 0), float division by zero gives inf or NaN."""
    x, y = a._array, b._array
    integers = x.dtype.kind in "iu" and y.dtype.kind in "iu"
    if integers and not np.all(y):
        raise IntegerDivisionByZero(f"{op}: integer division by zero (ZeroDivisionError)")
    try:
        with np.errstate(divide="ignore", invalid="ignore"):
            out = fn(x, y)
    except ValueError:
        raise ValueError(
            f"{op}: shapes {a.shape} and {b.shape} cannot be broadcast together"
        ) from None
    return _torch_dtype(np.asarray(out), x, y)


def _zeros_like(g: Any) -> Any:
    """A zero gradient shaped like ``g`` (PyTorch gives zeros, not None, for the
    rounded quotients); a constant, also when ``g`` is a tensor."""
    if isinstance(g, Tensor):
        return Tensor._wrap(np.zeros_like(g._array))
    return np.zeros_like(g)


def _rounded_quotient(op: str, fn: Any, a: Any, b: Any) -> Tensor:
    a, b = _operands(a, b)
    out = _divide(op, fn, a, b)
    if out.dtype.kind != "f":
        return Tensor._wrap(out)
    return Tensor.from_op(
        out, (a, b), lambda g, out, a, b: (_zeros_like(g), _zeros_like(g)), op
    )


def _trunc_divide(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The quotient rounded toward zero; for integers exactly (``np.trunc(x / y)``
    would go through floats, which are inexact beyond 2**53)."""
    if x.dtype.kind in "iu" and y.dtype.kind in "iu":
        floor = np.floor_divide(x, y)
        inexact = np.remainder(x, y) != 0
        return floor + (inexact & ((x < 0) != (y < 0)))
    return np.trunc(x / y)


def floor_divide(input: Any, other: Any) -> Tensor:  # noqa: A002
    """``input // other``: the quotient rounded down (``torch.floor_divide``, Python's
    ``//``). Integers stay integers; integer division by zero raises.

    The gradient is zero (the quotient is piecewise constant). PyTorch raises on a
    backward through ``floor_divide``; ``div(..., rounding_mode='floor')``, the same
    function, has this zero gradient there too.
    """
    return _rounded_quotient("floor_divide", np.floor_divide, input, other)


def div(input: Any, other: Any, *, rounding_mode: str | None = None) -> Tensor:  # noqa: A002
    """``input / other``, rounded as ``rounding_mode`` says (``torch.div``).

    Parameters
    ----------
    input, other : Tensor or number
    rounding_mode : None, 'trunc' or 'floor'
        None: true division (integers give floats). ``'trunc'``: rounded toward zero
        (C's integer division). ``'floor'``: rounded down (Python's ``//``). Rounded
        results keep integer dtypes and have a zero gradient, as in PyTorch.
    """
    if rounding_mode is None:
        return elementwise.div(input, other)
    if rounding_mode == "trunc":
        return _rounded_quotient("div", _trunc_divide, input, other)
    if rounding_mode == "floor":
        return _rounded_quotient("div", np.floor_divide, input, other)
    raise ValueError(
        "div expected rounding_mode to be one of None, 'trunc', or 'floor' but found "
        f"{rounding_mode!r}"
    )


divide = div


def remainder(input: Any, other: Any) -> Tensor:  # noqa: A002
    """``input % other``: ``input - floor(input / other) * other``, which has the sign
    of ``other`` (Python's ``%``, ``torch.remainder``).

    Gradients (PyTorch's): ``g`` for ``input``, ``-floor(input / other) g`` for
    ``other``.
    """
    a, b = _operands(input, other)
    out = _divide("remainder", np.remainder, a, b)
    if out.dtype.kind != "f":
        return Tensor._wrap(out)
    return Tensor.from_op(out, (a, b), _remainder_backward, "remainder")


def _remainder_backward(g: Any, out: Any, a: Any, b: Any) -> tuple[Any, Any]:
    with np.errstate(divide="ignore", invalid="ignore"):
        return g, -g * np.floor(a / b)


def fmod(input: Any, other: Any) -> Tensor:  # noqa: A002
    """``input - trunc(input / other) * other``, which has the sign of ``input`` (C's
    ``fmod``, ``torch.fmod``). Gradients: ``g`` and ``-trunc(input / other) g``."""
    a, b = _operands(input, other)
    out = _divide("fmod", np.fmod, a, b)
    if out.dtype.kind != "f":
        return Tensor._wrap(out)
    return Tensor.from_op(out, (a, b), _fmod_backward, "fmod")


def _fmod_backward(g: Any, out: Any, a: Any, b: Any) -> tuple[Any, Any]:
    with np.errstate(divide="ignore", invalid="ignore"):
        return g, -g * np.trunc(a / b)


# --------------------------------------------------------------------------- norms


def norm(input: Any, p: Any = "fro", dim: Any = None, keepdim: bool = False,  # noqa: A002
         dtype: Any = None) -> Tensor:
    """The vector p-norm of ``input`` over ``dim`` (``torch.norm``).

    Parameters
    ----------
    input : Tensor
        A float tensor.
    p : {'fro', 2, 1, inf, -inf, 0} or float
        ``'fro'`` and 2: ``sqrt(sum(x²))``; 1: ``sum(|x|)``; ``inf``/``-inf``:
        ``max``/``min`` of ``|x|``; 0: the number of non-zero elements; other ``p``:
        ``sum(|x|**p) ** (1/p)``. ``'nuc'`` (the nuclear norm) is not provided.
    dim : None, int or tuple of int
        The dims to reduce (None: all of them, the tensor as one vector).
    keepdim : bool
        Keep the reduced dims with size 1.
    dtype : dtype, optional
        Cast the input first.

    Notes
    -----
    Composed of other ops, so differentiable to any order. Where the norm is 0 the
    gradient is 0 (PyTorch's subgradient), not NaN; an element that is 0 gets gradient
    0 for every ``p``, also where ``|x|**p`` has an infinite slope (``p < 1``), as in
    PyTorch. (Second derivatives at those points, which do not exist, are 0 here and
    NaN in PyTorch.) For ``inf``/``-inf`` tied elements share the gradient equally.
    """
    x = unary(input)
    if dtype is not None:
        x = to_dtype(x, dtype)
    if x.dtype.kind != "f":
        raise RuntimeError(
            f"norm: expected a floating point tensor as input, got dtype {x.dtype} "
            "(convert with .float() or .double())"
        )
    if isinstance(p, str):
        if p == "nuc":
            raise NotImplementedError(
                "norm: the nuclear norm (p='nuc') needs singular values, which "
                "tinygrad_lab does not provide"
            )
        if p != "fro":
            raise ValueError(f"norm: p must be a number, 'fro' or 'nuc', got {p!r}")
        if isinstance(dim, (tuple, list)) and len(dim) > 2:
            raise ValueError(
                f"norm: the Frobenius norm takes one or two dims, got dim={tuple(dim)}"
            )
        p = 2
    p = 2.0 if p is None else float(p)
    axes = reduction_axes("norm", x.shape, dim, None)
    return vector_norm(x, p, axes, keepdim)


def vector_norm(x: Tensor, p: float, axes: tuple[int, ...], keepdim: bool) -> Tensor:
    """The p-norm of float ``x`` over ``axes`` (normalised), see :func:`norm`."""
    if p == 2:
        return _root(_sum(x * x, axes, keepdim), 2.0)
    if p == 1:
        return _sum(x.abs(), axes, keepdim)
    if p == math.inf:
        return amax(x.abs(), axes, keepdim)
    if p == -math.inf:
        return amin(x.abs(), axes, keepdim)
    if p == 0:  # a count: no gradient (PyTorch's is None too)
        count = np.sum(x._array != 0, axis=axes, keepdims=keepdim).astype(x.dtype)
        return Tensor.from_op(count, (x,), lambda g, out, x: (None,), "norm")
    a = x.abs()
    zero = a == 0
    # |0|**p: 0 for p > 0 and inf for p < 0 (taken as constants), and where p < 1 the
    # slope of |x|**p at 0 is infinite: the masks keep it (and NaN) out of the gradient.
    powered = where(zero, 0.0 if p > 0 else math.inf, where(zero, 1.0, a) ** p)
    return _root(_sum(powered, axes, keepdim), p)


def _root(s: Tensor, p: float) -> Tensor:
    """``s ** (1/p)``, with gradient 0 (not inf * 0 = NaN) where ``s`` is 0 and ``p > 0``."""
    if p < 0:
        return s ** (1.0 / p)
    zero = s == 0
    safe = where(zero, 1.0, s)
    root = safe.sqrt() if p == 2 else safe ** (1.0 / p)
    return where(zero, 0.0, root)


# ----------------------------------------------------------------------- diagonals


def _diagonal_extent(n1: int, n2: int, offset: int) -> tuple[int, int, int]:
    """Where the ``offset`` diagonal of an ``n1 x n2`` matrix starts (row, column) and
    its length (Python ints: shapes, not data)."""
    if offset >= 0:
        return 0, offset, max(0, min(n1, n2 - offset))
    return -offset, 0, max(0, min(n1 + offset, n2))


def _diagonal_view(array: np.ndarray, offset: int, d1: int, d2: int) -> np.ndarray:
    """The ``offset`` diagonal of ``array`` in dims ``d1``, ``d2``, as the last dim of a
    view (``np.diagonal``'s), made writable like PyTorch's when ``array`` is a writable
    plain ndarray. (Other array types, such as tl.compile's traced arrays, keep NumPy's
    read-only view, which they can follow.)"""
    view = np.diagonal(array, offset, d1, d2)
    if type(view) is np.ndarray and array.flags.writeable:
        view.flags.writeable = True
    return view


def _embed_diagonal(values: np.ndarray, n1: int, n2: int, offset: int, d1: int,
                    d2: int) -> np.ndarray:
    """Zeros with ``values``' last dim on the ``offset`` diagonal of two new dims of sizes
    ``n1``, ``n2`` at ``d1``, ``d2`` (the other dims keep their order): written with an
    index, not through a view, so that tl.compile records the write."""
    row, col, length = _diagonal_extent(n1, n2, offset)
    out = np.zeros(values.shape[:-1] + (n1, n2), dtype=values.dtype)
    steps = np.arange(length)
    out[..., steps + row, steps + col] = values
    return np.moveaxis(out, (-2, -1), (d1, d2))


def _diagonal_dims(op: str, shape: tuple[int, ...], dim1: Any, dim2: Any) -> tuple[int, int]:
    d1 = normalize_axis(op, dim1, shape)
    d2 = normalize_axis(op, dim2, shape)
    if d1 == d2:
        raise RuntimeError(f"{op}: dim1 and dim2 must differ, got {dim1} and {dim2}")
    return d1, d2


def diagonal(input: Any, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:  # noqa: A002
    """The ``offset`` diagonal of the matrices in dims ``dim1``, ``dim2``, as the last
    dim of the result (``torch.diagonal``; ``offset > 0`` above the main diagonal).

    A view, as in PyTorch: ``x.diagonal().add_(1)`` changes ``x`` (and shares its
    version counter). The gradient puts ``g`` on the diagonal of zeros.
    """
    x = unary(input)
    if x.ndim < 2:
        raise RuntimeError(f"diagonal: the tensor needs at least 2 dims, got shape {x.shape}")
    k = int(offset)
    d1, d2 = _diagonal_dims("diagonal", x.shape, dim1, dim2)
    shape = x.shape
    out = Tensor.from_op(
        _diagonal_view(x._array, k, d1, d2), (x,),
        lambda g, out, x: (_put_on_diagonal(g, shape, k, d1, d2),), "diagonal",
    )
    return as_view(out, x)


def _put_on_diagonal(g: Any, shape: tuple[int, ...], offset: int, d1: int, d2: int) -> Any:
    """Zeros of ``shape`` with ``g`` on the ``offset`` diagonal of dims ``d1``, ``d2``:
    the gradient of :func:`diagonal`. On a tensor it is an op whose own gradient reads
    the diagonal again (``np.diagonal`` of a tensor is :func:`diagonal`), so gradients
    of any order work."""
    array = g._array if isinstance(g, Tensor) else g
    out = _embed_diagonal(array, shape[d1], shape[d2], offset, d1, d2)
    if not isinstance(g, Tensor):
        return out
    return Tensor.from_op(
        out, (g,), lambda h, out, g: (np.diagonal(h, offset, d1, d2),), "diagonal_backward"
    )


_diagonal = diagonal  # diag's argument is also called ``diagonal`` (PyTorch's name)


def diag(input: Any, diagonal: int = 0) -> Tensor:  # noqa: A002
    """``torch.diag``: a 1-D tensor becomes a square matrix with it on the ``diagonal``
    (offset) diagonal, zeros elsewhere; a matrix gives a copy of its ``diagonal``
    diagonal, 1-D (PyTorch's ``diag`` copies where ``diagonal`` is a view)."""
    x = unary(input)
    if x.ndim == 2:
        return elementwise.clone(_diagonal(x, diagonal))
    if x.ndim != 1:
        raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {x.ndim}D (shape {x.shape})")
    return diag_embed(x, diagonal)


def diag_embed(input: Any, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:  # noqa: A002
    """Matrices with the last dim of ``input`` on their ``offset`` diagonal, in the new
    dims ``dim1`` and ``dim2`` of the result (``torch.diag_embed``). The gradient reads
    that diagonal back."""
    x = unary(input)
    if x.ndim == 0:
        raise RuntimeError("diag_embed: the input needs at least 1 dim, got a 0-d tensor")
    k = int(offset)
    m = x.shape[-1] + abs(k)
    # (The result's dims, in some order, for the message of a dim out of range.)
    d1, d2 = _diagonal_dims("diag_embed", x.shape[:-1] + (m, m), dim1, dim2)
    out = _embed_diagonal(x._array, m, m, k, d1, d2)
    return Tensor.from_op(
        out, (x,), lambda g, out, x: (np.diagonal(g, k, d1, d2),), "diag_embed"
    )


def trace(input: Any) -> Tensor:  # noqa: A002
    """The sum of the main diagonal of a matrix (``torch.trace``; 2-D only)."""
    x = unary(input)
    if x.ndim != 2:
        raise RuntimeError(
            f"trace: expected a matrix, but got tensor with dim {x.ndim} (shape {x.shape})"
        )
    return _sum(diagonal(x))


# ------------------------------------------------------------------------- sorting


def _sort_axis(op: str, x: Tensor, dim: Any) -> int:
    return normalize_axis(op, dim, x.shape if x.ndim else (1,))


def _sorting_indices(array: np.ndarray, ax: int, descending: bool) -> np.ndarray:
    """Indices that sort ``array`` along ``ax``: stable (ties keep their order), NaN
    counting as the largest value, as in PyTorch."""
    if not descending:
        return np.argsort(array, axis=ax, kind="stable")
    # Sorting the reversed array ascending and reading the result backwards keeps tied
    # elements in their original order, and puts NaN (sorted last) first.
    n = array.shape[ax]
    backwards = np.flip(np.argsort(np.flip(array, ax), axis=ax, kind="stable"), ax)
    return n - 1 - backwards


def sort(input: Any, dim: int = -1, descending: bool = False, stable: bool = False) -> Any:  # noqa: A002
    """The values along ``dim`` in order, with their positions: a named tuple
    ``(values, indices)`` as ``torch.return_types.sort``.

    The sort is always stable (``stable`` is accepted for PyTorch's signature): tied
    values keep their order. NaN sorts as the largest value. ``values`` is
    ``input.gather(dim, indices)``, so its gradient (to any order) goes back to the
    positions the values came from; ``indices`` is int64 and has none.
    """
    x = unary(input)
    ax = _sort_axis("sort", x, dim)
    if x.ndim == 0:
        return return_types.sort(x.reshape(()), Tensor._wrap(np.zeros((), dtype=np.int64)))
    indices = _sorting_indices(x._array, ax, bool(descending)).astype(np.int64, copy=False)
    return return_types.sort(gather(x, ax, indices), Tensor._wrap(indices))


def argsort(input: Any, dim: int = -1, descending: bool = False, stable: bool = False) -> Tensor:  # noqa: A002
    """The int64 positions that sort ``input`` along ``dim`` (``sort(...).indices``)."""
    x = unary(input)
    ax = _sort_axis("argsort", x, dim)
    if x.ndim == 0:
        return Tensor._wrap(np.zeros((), dtype=np.int64))
    return Tensor._wrap(_sorting_indices(x._array, ax, bool(descending)).astype(np.int64))


def topk(input: Any, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> Any:  # noqa: A002
    """The ``k`` largest (or, with ``largest=False``, smallest) values along ``dim`` and
    their positions: a named tuple ``(values, indices)`` as ``torch.return_types.topk``.

    The values always come in order (largest first, or smallest first), which is also
    what PyTorch gives for ``sorted=True``; among ties the first positions win. The
    gradient of ``values`` goes back to the positions picked.
    """
    x = unary(input)
    ax = _sort_axis("topk", x, dim)
    n = x.shape[ax] if x.ndim else 1
    k = int(k)
    if not 0 <= k <= n:
        raise RuntimeError(
            f"topk: selected index k out of range: k={k} for dim {ax} of size {n} "
            f"(shape {x.shape})"
        )
    if x.ndim == 0:
        values, indices = sort(x)
        return return_types.topk(values, indices)
    order = _sorting_indices(x._array, ax, bool(largest))
    indices = np.take(order, np.arange(k), axis=ax).astype(np.int64, copy=False)
    return return_types.topk(gather(x, ax, indices), Tensor._wrap(indices))


def unique(input: Any, sorted: bool = True, return_inverse: bool = False,  # noqa: A002
           return_counts: bool = False, dim: int | None = None) -> Any:
    """The distinct elements (or, with ``dim``, the distinct slices along ``dim``) in
    ascending order (``torch.unique``).

    Returns the tensor of unique values, or a tuple adding ``inverse`` (for each
    element, the position of its value in the result; shaped like ``input``, or
    ``(size of dim,)``) and ``counts``, both int64. The results always come sorted
    (``sorted=False`` allows any order). NaNs are all distinct, as in PyTorch. No
    gradient flows through ``unique``.
    """
    x = unary(input)
    axis = None if dim is None else normalize_axis("unique", dim, x.shape)
    kwargs = {"equal_nan": False} if axis is None else {}
    values, inverse, counts = np.unique(
        x._array, return_inverse=True, return_counts=True, axis=axis, **kwargs
    )
    result = [Tensor._wrap(values)]
    if return_inverse:
        shape = x.shape if axis is None else (x.shape[axis],)
        result.append(Tensor._wrap(inverse.reshape(shape).astype(np.int64)))
    if return_counts:
        result.append(Tensor._wrap(counts.astype(np.int64)))
    return result[0] if len(result) == 1 else tuple(result)


def bincount(input: Any, weights: Any = None, minlength: int = 0) -> Tensor:  # noqa: A002
    """How often each value ``0 .. max(input)`` occurs in the 1-D non-negative integer
    tensor ``input`` (``torch.bincount``); at least ``minlength`` bins.

    With ``weights`` (shaped like ``input``) each occurrence adds its weight instead of
    1: the result has the weights' float dtype (float64 for integer weights), as in
    PyTorch. Without, it is int64. No gradient flows through ``bincount``.
    """
    x = unary(input)
    array = x._array
    if array.ndim != 1 or array.dtype.kind not in "iu" or (array.size and array.min() < 0):
        raise RuntimeError(
            "bincount only supports 1-d non-negative integral inputs; got shape "
            f"{x.shape}, dtype {x.dtype}"
        )
    if int(minlength) < 0:
        raise RuntimeError(f"bincount: minlength should be >= 0, got {minlength}")
    if weights is None:
        return Tensor._wrap(np.bincount(array, minlength=int(minlength)).astype(np.int64))
    w = unary(weights)._array
    if w.shape != array.shape:
        raise RuntimeError(
            f"bincount: weights of shape {w.shape} must have the input's shape {x.shape}"
        )
    counts = np.bincount(array, weights=w, minlength=int(minlength))
    return Tensor._wrap(counts.astype(w.dtype if w.dtype.kind == "f" else np.float64))


# ---------------------------------------------------------- nn.functional.pad


_PAD_MODES = ("constant", "reflect", "replicate", "circular")


def pad(input: Any, pad: Any, mode: str = "constant", value: float | None = None) -> Tensor:  # noqa: A002
    """``torch.nn.functional.pad``: pad (or, with negative sizes, crop) the last dims.

    Parameters
    ----------
    input : Tensor
    pad : sequence of int
        PyTorch's flat form, last dim first: ``(left, right)`` pads the last dim,
        ``(left, right, top, bottom)`` the last two, and so on. A negative size removes
        elements from that end.
    mode : {'constant', 'reflect', 'replicate', 'circular'}
        ``'constant'`` fills with ``value`` (0 by default; cast to the tensor's dtype)
        and pads any number of dims. The others, as in PyTorch, pad the last 1, 2 or 3
        dims of an input with one or two more dims (batch and channels): ``'reflect'``
        mirrors without repeating the edge (each size less than the dim's), ``'replicate'``
        repeats the edge, ``'circular'`` wraps around (at most once).
    value : float, optional
        The fill value of ``'constant'`` mode.

    Every mode moves or copies elements, so the gradient sums ``g`` back onto the
    positions each element came from, to any order.
    """
    x = unary(input)
    widths = _pad_sizes(pad)
    if len(widths) % 2:
        raise RuntimeError(f"pad: padding length must be divisible by 2, got pad={tuple(widths)}")
    dims = len(widths) // 2
    if dims > x.ndim:
        raise RuntimeError(
            f"pad: padding length should be less than or equal to two times the input "
            f"dimension but got padding length {len(widths)} and input of dimension {x.ndim}"
        )
    # (left, right) per padded dim, from the last dim backwards.
    pairs = {x.ndim - 1 - i: (widths[2 * i], widths[2 * i + 1]) for i in range(dims)}
    for d, (left, right) in pairs.items():
        if x.shape[d] + left + right < 0:
            raise RuntimeError(
                f"pad: padding ({left}, {right}) leaves dim {d} of size {x.shape[d]} with "
                f"a negative size (input shape {x.shape})"
            )
    if mode == "constant":
        return _pad_constant(x, pairs, 0.0 if value is None else value)
    if mode not in _PAD_MODES:
        raise NotImplementedError(
            f"pad: unrecognised padding mode {mode!r} (one of {', '.join(_PAD_MODES)})"
        )
    if value is not None and value != 0:
        raise RuntimeError(f'pad: padding mode "{mode}" doesn\'t take in value argument')
    if dims not in (1, 2, 3) or x.ndim not in (dims + 1, dims + 2):
        raise NotImplementedError(
            f"pad: padding size {len(widths)} is not supported for {x.ndim}D input tensor "
            f"in mode {mode!r}. Supported combinations for non-constant padding: 2D or 3D "
            "input with padding size 2 (pads the last dim), 3D or 4D with 4 (the last 2 "
            "dims), 4D or 5D with 6 (the last 3 dims)"
        )
    for d, (left, right) in pairs.items():
        x = _pad_by_index(x, d, left, right, mode)
    return x


def _pad_sizes(pad: Any) -> list[int]:
    try:
        return [int(operator.index(p)) for p in pad]
    except TypeError:
        raise TypeError(f"pad: pad must be a sequence of ints, got {pad!r}") from None


def _pad_constant(x: Tensor, pairs: dict[int, tuple[int, int]], value: Any) -> Tensor:
    """Crop the negative sizes (a slice), then pad the positive ones with ``value``."""
    crop = tuple(
        slice(max(0, -pairs[d][0]), x.shape[d] - max(0, -pairs[d][1])) if d in pairs
        else slice(None)
        for d in range(x.ndim)
    )
    if any(min(pairs[d]) < 0 for d in pairs):
        x = getitem(x, crop)
    widths = [(max(0, pairs[d][0]), max(0, pairs[d][1])) if d in pairs else (0, 0)
              for d in range(x.ndim)]
    if not any(b or a for b, a in widths):
        return elementwise.clone(x)  # a new tensor, never the input (or a view of it)
    if isinstance(value, Tensor):
        value = value.item()
    # (Not shape.pad: its pad_width goes through NumPy, which tl.compile would trace.)
    out = np.full(tuple(n + b + a for n, (b, a) in zip(x.shape, widths, strict=True)), value,
                  dtype=x.dtype)
    inner = tuple(slice(b, b + n) for n, (b, _) in zip(x.shape, widths, strict=True))
    out[inner] = x._array
    # The padding is constant: only the inner block passes a gradient back.
    return Tensor.from_op(out, (x,), lambda g, out, x: (g[inner],), "pad")


def _pad_by_index(x: Tensor, d: int, left: int, right: int, mode: str) -> Tensor:
    """Pad dim ``d`` in a copying mode: the result reads ``x`` at computed positions
    (``index_select``), so its gradient adds up the copies."""
    n = x.shape[d]
    if mode == "circular":
        if left > n or right > n:
            raise RuntimeError(
                f"pad: circular padding ({left}, {right}) of dim {d} (size {n}) would wrap "
                "around more than once"
            )
        # Negative sizes crop first; the wrap-around then reads the cropped dim (PyTorch).
        start, stop = max(0, -left), n - max(0, -right)
        if stop == start and max(left, right) > 0:
            raise RuntimeError(
                f"pad: circular padding ({left}, {right}) of dim {d} (size {n}) has nothing "
                "left to wrap around after cropping"
            )
        positions = np.arange(start, stop)[np.arange(-max(0, left), stop - start + max(0, right))
                                           % max(stop - start, 1)]
    else:
        positions = np.arange(-left, n + right)
        if mode == "replicate":
            positions = np.clip(positions, 0, n - 1)
        else:  # reflect: mirror at both ends, without repeating the edge element
            if left >= n or right >= n:
                raise RuntimeError(
                    f"pad: reflect padding ({left}, {right}) must be less than the size {n} "
                    f"of dim {d} (input shape {x.shape})"
                )
            positions = np.abs(positions)
            positions = np.where(positions >= n, 2 * (n - 1) - positions, positions)
    return index_select(x, d, positions)


# --------------------------------------------------------------------- dtype queries


def is_floating_point(input: Any) -> bool:  # noqa: A002
    """True for a float tensor (``torch.is_floating_point``)."""
    return unary(input).dtype.kind == "f"


# ------------------------------------------------- Tensor methods, operators, NumPy


def _numpy_sort(a: Any, axis: Any = -1, kind: Any = None, order: Any = None,
                **kwargs: Any) -> Tensor:
    """``np.sort`` of a tensor: the values, flattened first for ``axis=None``."""
    if order is not None:
        raise TypeError("np.sort of a tensor: order= is not supported")
    x = unary(a)
    return sort(x.reshape(-1) if axis is None else x, -1 if axis is None else axis).values


def _numpy_trace(a: Any, offset: int = 0, axis1: int = 0, axis2: int = 1, dtype: Any = None,
                 out: Any = None) -> Tensor:
    if dtype is not None or out is not None:
        raise TypeError("np.trace of a tensor: dtype= and out= are not supported")
    return _sum(diagonal(a, offset, axis1, axis2), -1)


register_methods(
    {
        "floor_divide": floor_divide, "remainder": remainder, "fmod": fmod,
        "div": div, "divide": div,
        "__floordiv__": floor_divide, "__rfloordiv__": reflected(floor_divide),
        "__mod__": remainder, "__rmod__": reflected(remainder),
        "floor_divide_": inplace(floor_divide, "floor_divide_"),
        "remainder_": inplace(remainder, "remainder_"), "fmod_": inplace(fmod, "fmod_"),
        "div_": inplace(div, "div_"), "divide_": inplace(div, "divide_"),
        "__ifloordiv__": inplace(floor_divide, "//="), "__imod__": inplace(remainder, "%="),
        "norm": norm, "diag": diag, "diagonal": diagonal, "diag_embed": diag_embed,
        "trace": trace, "sort": sort, "argsort": argsort, "topk": topk, "unique": unique,
        "bincount": bincount, "is_floating_point": is_floating_point,
    }
)
UFUNC_OPS.update({np.floor_divide: floor_divide, np.remainder: remainder, np.fmod: fmod})
FUNCTION_OPS.update(
    {
        np.diag: lambda v, k=0: diag(v, k),
        np.diagonal: lambda a, offset=0, axis1=0, axis2=1: diagonal(a, offset, axis1, axis2),
        np.trace: _numpy_trace, np.sort: _numpy_sort,
    }
)

__all__ = [
    "argsort", "bincount", "diag", "diag_embed", "diagonal", "div", "divide", "floor_divide",
    "fmod", "is_floating_point", "norm", "remainder", "sort", "topk", "trace", "unique",
]
