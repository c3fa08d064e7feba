"""Indexing: reading elements by position (``t[index]``, ``gather``, ``index_select``) and
writing them (``t[index] = v``, ``index_put``, ``scatter``, ``masked_fill``).

Reading and writing are each other's gradients. The gradient of ``x[index]`` puts ``g``
back at the positions read, into zeros (adding where an integer array read a position
twice); the gradient of that scatter reads ``h[index]`` again. Both are ops, so
gradients of any order work, and every reading op here is ``x[index]`` for some index.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import engine
from ..engine import mark_changed, modes
from ..tensor import Tensor, as_tensor, inplace, register_methods
from ._axes import normalize_axis, unary
from .elementwise import to_dtype, where

# ----------------------------------------------------------------------------- helpers


def as_view(out: Tensor, base: Tensor) -> Tensor:
    """Let ``out`` share ``base``'s version counter when NumPy made its array a view of
    ``base``'s, as PyTorch's views do: an in-place change through either one then makes
    a backward that recorded the old values raise, instead of using the new ones."""
    array = out._array
    if array.base is not None and np.may_share_memory(array, base._array):
        if base._storage is None:
            base._storage = engine.Storage()
        out._storage = base._storage
    return out


def _prepare_index(index: Any) -> tuple[Any, bool]:
    """NumPy's form of ``index`` (Tensors and lists become arrays), and whether it holds
    an integer array (the only kind of index that can pick an element twice)."""
    items = index if isinstance(index, tuple) else (index,)
    converted = []
    integer_array = False
    for item in items:
        if isinstance(item, Tensor):
            item = item._array
        elif isinstance(item, list):
            item = np.asarray([i._array if isinstance(i, Tensor) else i for i in item])
            if item.size == 0:  # np.asarray([]) is float; NumPy reads [] as no integers
                item = item.astype(np.intp)
        if isinstance(item, np.ndarray):
            if item.dtype.kind in "iu":
                integer_array = True
            elif item.dtype.kind != "b":
                raise IndexError(
                    f"getitem: index arrays must hold integers or booleans, got dtype "
                    f"{item.dtype}"
                )
        converted.append(item)
    return (tuple(converted) if isinstance(index, tuple) else converted[0]), integer_array


def _shown(index: Any) -> str:
    text = repr(index)
    return text if len(text) <= 80 else text[:77] + "..."


def _index_array(op: str, index: Any) -> np.ndarray:
    """An integer index argument (tensor, array or list) as an integer array."""
    array = index._array if isinstance(index, Tensor) else np.asarray(index)
    if array.dtype.kind not in "iu":
        raise TypeError(f"{op}: index must hold integers (int64), got dtype {array.dtype}")
    return array


# ------------------------------------------------------------------- read and scatter


def _select(op: str, x: Tensor, index: Any, repeats: bool) -> Tensor:
    """``x[index]`` for a prepared index, recorded as ``op``."""
    try:
        out = x._array[index]
    except IndexError as err:
        raise IndexError(f"{op}: {err} (tensor shape {x.shape}, index {_shown(index)})") from None
    if not isinstance(out, np.ndarray):  # one element: a 0-d view (as PyTorch's), not a scalar
        out = x._array[(index if isinstance(index, tuple) else (index,)) + (Ellipsis,)]
    shape = x.shape
    result = Tensor.from_op(
        out, (x,), lambda g, out, x: (_unindex(g, index, shape, repeats),), op
    )
    return as_view(result, x)


def _unindex(g: Any, index: Any, shape: tuple[int, ...], repeats: bool) -> Any:
    """Zeros of ``shape`` with ``g`` put at ``index`` (added up where ``repeats``: an
    integer array may name a position twice): the gradient of ``x[index]``.

    On an array (the fast path) this returns an array; on a tensor it is an op whose
    gradient is ``h[index]``, so the gradient of getitem is differentiable again.
    """
    array = g._array if isinstance(g, Tensor) else g
    out = np.zeros(shape, dtype=array.dtype)
    if repeats:
        np.add.at(out, index, array)  # unbuffered: repeated positions accumulate
    else:
        out[index] = array
    if not isinstance(g, Tensor):
        return out
    return Tensor.from_op(out, (g,), lambda h, out, g: (h[index],), "getitem_backward")


def getitem(x: Any, index: Any) -> Tensor:
    """``x[index]`` with NumPy's (and PyTorch's) rules: ints, slices (negative steps too),
    ``None``, ``...``, boolean masks and integer arrays (Tensors, arrays or lists).

    Basic indexes (ints, slices, None, ...) give a view sharing ``x``'s storage, as in
    PyTorch; masks and integer arrays give a copy. The gradient puts ``g`` back at the
    positions read; where an integer array reads an element several times
    (``x[[0, 0, 1]]``) those gradients add up.
    """
    x = unary(x)
    index, repeats = _prepare_index(index)
    return _select("getitem", x, index, repeats)


def _along(op: str, x: Tensor, dim: Any, index: Any) -> tuple[int, tuple[Any, ...]]:
    """``dim`` normalised, and the full NumPy index that picks, at each position of
    ``index``, the element ``index`` names along ``dim`` (gather's addressing)."""
    if x.ndim == 0:
        raise ValueError(f"{op}: a 0-d tensor has no dim to index along")
    idx = _index_array(op, index)
    ax = normalize_axis(op, dim, x.shape)
    if idx.ndim != x.ndim:
        raise ValueError(
            f"{op}: index has {idx.ndim} dims but the tensor has {x.ndim} (shape "
            f"{x.shape}); they must have the same number of dims"
        )
    for d, (n_index, n_x) in enumerate(zip(idx.shape, x.shape, strict=True)):
        if d != ax and n_index > n_x:
            raise ValueError(
                f"{op}: index shape {idx.shape} is larger than the tensor's shape "
                f"{x.shape} at dim {d} (only dim {ax} may differ)"
            )
    n = x.shape[ax]
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        bad = idx.min() if idx.min() < 0 else idx.max()
        raise IndexError(
            f"{op}: index {bad} is out of bounds for dim {ax} with size {n} "
            f"(tensor shape {x.shape})"
        )
    grid = np.indices(idx.shape, sparse=True)
    return ax, tuple(idx if d == ax else grid[d] for d in range(x.ndim))


def gather(input: Any, dim: int, index: Any) -> Tensor:  # noqa: A002
    """Pick values along ``dim``: ``out[i][j] = input[i][index[i][j]]`` for ``dim=1``
    (``torch.gather``). ``index`` has the tensor's number of dims and is no larger than it
    outside ``dim``; the result has ``index``'s shape.

    The gradient adds ``g`` into zeros at the picked positions (a position picked twice
    gets both).

    Examples
    --------
    >>> logits = Tensor([[0.1, 0.7, 0.2], [0.5, 0.3, 0.2]])
    >>> logits.gather(1, Tensor([[1], [0]])).tolist()
    [[0.699999988079071], [0.5]]
    """
    x = unary(input)
    _, full = _along("gather", x, dim, index)
    return _select("gather", x, full, True)


def index_select(input: Any, dim: int, index: Any) -> Tensor:  # noqa: A002
    """The slices ``index`` (a 1-D integer tensor) along ``dim``, in that order."""
    x = unary(input)
    idx = _index_array("index_select", index)
    if idx.ndim > 1:
        raise ValueError(f"index_select: index must be 1-D, got shape {idx.shape}")
    if x.ndim == 0:
        x = x.reshape(1)  # PyTorch reads a 0-d tensor as one element along dim 0
    ax = normalize_axis("index_select", dim, x.shape)
    return _select("index_select", x, (slice(None),) * ax + (idx.reshape(-1),), True)


def take(input: Any, index: Any) -> Tensor:  # noqa: A002
    """Elements of the flattened tensor at ``index``; the result has ``index``'s shape."""
    x = unary(input)
    return _select("take", x.reshape(-1), _index_array("take", index), True)


def masked_select(input: Any, mask: Any) -> Tensor:  # noqa: A002
    """The elements where ``mask`` (bool, broadcast against ``input``) is True, as 1-D."""
    x = unary(input)
    m = _bool_mask("masked_select", mask)
    try:
        shape = np.broadcast_shapes(x.shape, m.shape)
    except ValueError:
        raise ValueError(
            f"masked_select: mask of shape {m.shape} and tensor of shape {x.shape} cannot "
            "be broadcast together"
        ) from None
    if shape != x.shape:
        x = x.expand(shape)
    return _select("masked_select", x, np.broadcast_to(m, shape), False)


def nonzero(input: Any, *, as_tuple: bool = False) -> Any:  # noqa: A002
    """Indices of the non-zero elements: an ``(n, ndim)`` int64 tensor, or with
    ``as_tuple=True`` one 1-D tensor per dim (usable as an index)."""
    x = unary(input)
    if as_tuple:
        return tuple(Tensor._wrap(i.astype(np.int64)) for i in np.nonzero(x._array))
    return Tensor._wrap(np.argwhere(x._array).astype(np.int64))


# ----------------------------------------------------------------------------- writing


def _bool_mask(op: str, mask: Any) -> np.ndarray:
    array = mask._array if isinstance(mask, Tensor) else np.asarray(mask)
    if array.dtype != np.bool_:
        raise TypeError(f"{op}: mask must be a bool tensor, got dtype {array.dtype}")
    return array


def _index_put(op: str, x: Tensor, index: Any, values: Any, accumulate: bool) -> Tensor:
    """A copy of ``x`` with ``values`` written (or, with ``accumulate``, added) at the
    prepared NumPy ``index``.

    Gradient: ``g`` flows to ``x`` except at overwritten positions, and ``g[index]``
    to ``values`` (summed down to its shape by the engine where it was broadcast).
    Where an integer array names a position twice without ``accumulate``, only the
    write that NumPy kept (the last) gets the gradient: the others changed nothing.
    """
    values = as_tensor(values, like=x)
    out = x._array.copy()
    try:
        if accumulate:
            np.add.at(out, index, values._array)
        else:
            out[index] = values._array
    except IndexError as err:
        raise IndexError(f"{op}: {err} (tensor shape {x.shape}, index {_shown(index)})") from None
    except ValueError as err:
        raise ValueError(
            f"{op}: cannot write values of shape {values.shape} into the positions "
            f"selected by index {_shown(index)} of a tensor of shape {x.shape}: {err}"
        ) from None
    if out.dtype.kind != "f":
        return Tensor._wrap(out)  # integers carry no gradient
    if accumulate:
        return Tensor.from_op(out, (x, values), lambda g, out, x, v: (g, g[index]),
                              "index_put")
    untouched = np.ones(x.shape, dtype=bool)
    untouched[index] = False
    kept = _kept_writes(x.shape, index)
    return Tensor.from_op(
        out, (x, values),
        lambda g, out, x, v: (g * untouched, g[index] if kept is None else g[index] * kept),
        "index_put",
    )


def _kept_writes(shape: tuple[int, ...], index: Any) -> np.ndarray | None:
    """Which of the writes ``out[index] = values`` survive (None: all of them). Only an
    integer array can name a position twice; writing each write's number through the
    same index tells which one NumPy kept."""
    items = index if isinstance(index, tuple) else (index,)
    if not any(isinstance(i, np.ndarray) and i.dtype.kind in "iu" for i in items):
        return None
    selected = np.empty(shape, dtype=np.int8)[index].shape
    numbers = np.arange(int(np.prod(selected))).reshape(selected)
    writer = np.empty(shape, dtype=numbers.dtype)
    writer[index] = numbers
    return writer[index] == numbers


def index_put(input: Any, indices: Any, values: Any, accumulate: bool = False) -> Tensor:  # noqa: A002
    """Out of place ``input[indices] = values`` (``+=`` with ``accumulate``, where a
    position named twice gets both), ``indices`` being a tuple of index tensors."""
    if not isinstance(indices, (tuple, list)):
        raise TypeError(
            f"index_put: indices must be a tuple of index tensors, got "
            f"{type(indices).__name__}"
        )
    x = unary(input)
    index, _ = _prepare_index(tuple(indices))
    return _index_put("index_put", x, index, values, accumulate)


def setitem(self: Tensor, key: Any, value: Any) -> None:
    """``t[key] = value``, in place, with PyTorch's rules.

    Outside autograd (nothing requires grad, or under ``no_grad``) the values are
    written straight into the array. Otherwise the change is recorded like any
    in-place op (``index_put``): the overwritten positions get no gradient, ``value``
    gets the gradient of the positions it was written to, and a leaf that requires
    grad refuses (change it under ``no_grad``).
    """
    if modes.grad_enabled and (
        self.requires_grad or (isinstance(value, Tensor) and value.requires_grad)
    ):
        self._inplace(_setitem_op, "t[index] = value", key, value)
        return
    index, _ = _prepare_index(key)
    array = value._array if isinstance(value, Tensor) else value
    try:
        self._array[index] = array
    except IndexError as err:
        raise IndexError(
            f"t[index] = value: {err} (tensor shape {self.shape}, index {_shown(index)})"
        ) from None
    except ValueError as err:
        raise (RuntimeError if "read-only" in str(err) else ValueError)(
            f"t[index] = value: cannot write a value of shape {np.shape(array)} at index "
            f"{_shown(index)} of a tensor of shape {self.shape}: {err}"
        ) from None
    mark_changed(self)


def _setitem_op(x: Tensor, key: Any, value: Any) -> Tensor:
    index, _ = _prepare_index(key)
    return _index_put("t[index] = value", x, index, value, False)


def masked_fill(input: Any, mask: Any, value: Any) -> Tensor:  # noqa: A002
    """``input`` with ``value`` where ``mask`` (bool, broadcastable to ``input``) is True.

    ``value`` is a number or a 0-d tensor (which then receives the gradient of the
    filled positions).
    """
    x = unary(input)
    m = _bool_mask("masked_fill", mask)
    try:
        fits = np.broadcast_shapes(m.shape, x.shape) == x.shape
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(
            f"masked_fill: mask of shape {m.shape} does not broadcast to the tensor's "
            f"shape {x.shape}"
        )
    if isinstance(value, Tensor) and value.ndim != 0:
        raise ValueError(
            f"masked_fill: value must be a number or a 0-d tensor, got shape {value.shape}"
        )
    out = where(m, value if isinstance(value, Tensor) else as_tensor(value, like=x), x)
    return out if out.dtype == x.dtype else to_dtype(out, x.dtype)


def scatter(input: Any, dim: int, index: Any, src: Any = None, *, value: Any = None,  # noqa: A002
            reduce: str | None = None) -> Tensor:
    """Out of place ``torch.scatter``: ``out[i][index[i][j]] = src[i][j]`` for ``dim=1``.

    ``src`` is a tensor at least as large as ``index`` (its leading block is used), or
    give ``value=`` (a number). ``reduce="add"`` adds instead (as :func:`scatter_add`).
    Where ``index`` names a position twice without ``reduce``, one of the writes wins
    (unspecified which, as in PyTorch).
    """
    if reduce not in (None, "add"):
        raise ValueError(f"scatter: reduce={reduce!r} is not supported (None or 'add')")
    if (src is None) == (value is None):
        raise TypeError("scatter: give exactly one of src (a tensor) and value=")
    x = unary(input)
    _, full = _along("scatter", x, dim, index)
    values = value if src is None else src
    if isinstance(values, (Tensor, np.ndarray)):
        src, idx_shape = unary(values), _index_array("scatter", index).shape
        if src.ndim != len(idx_shape) or any(
            s < n for s, n in zip(src.shape, idx_shape, strict=True)
        ):
            raise ValueError(
                f"scatter: src of shape {src.shape} must be at least as large as index "
                f"{idx_shape} in every dim"
            )
        values = src[tuple(slice(0, n) for n in idx_shape)]
    return _index_put("scatter", x, full, values, reduce == "add")


def scatter_add(input: Any, dim: int, index: Any, src: Any) -> Tensor:  # noqa: A002
    """Out of place ``torch.scatter_add``: ``out[i][index[i][j]] += src[i][j]``; a
    position named twice gets both."""
    return scatter(input, dim, index, src, reduce="add")


def index_add(input: Any, dim: int, index: Any, source: Any, *,  # noqa: A002
              alpha: Any = 1) -> Tensor:
    """Out of place ``torch.index_add``: adds ``alpha * source`` into the slices
    ``index`` (1-D) along ``dim``; a slice named twice gets both."""
    x = unary(input)
    idx = _index_array("index_add", index)
    if idx.ndim > 1:
        raise ValueError(f"index_add: index must be 1-D, got shape {idx.shape}")
    ax = normalize_axis("index_add", dim, x.shape)
    source = source if alpha == 1 else unary(source) * alpha
    return _index_put("index_add", x, (slice(None),) * ax + (idx.reshape(-1),), source, True)


register_methods(
    {
        "__getitem__": getitem, "__setitem__": setitem, "gather": gather,
        "index_select": index_select, "take": take, "masked_select": masked_select,
        "nonzero": nonzero, "argwhere": lambda self: nonzero(self),
        "index_put": index_put, "masked_fill": masked_fill, "scatter": scatter,
        "scatter_add": scatter_add, "index_add": index_add,
        "index_put_": inplace(index_put, "index_put_"),
        "masked_fill_": inplace(masked_fill, "masked_fill_"),
        "scatter_": inplace(scatter, "scatter_"),
        "scatter_add_": inplace(scatter_add, "scatter_add_"),
        "index_add_": inplace(index_add, "index_add_"),
    }
)

# The names PyTorch has at its top level (t[index] is the method form of getitem/setitem).
__all__ = [
    "gather", "index_add", "index_put", "index_select", "masked_fill", "masked_select",
    "nonzero", "scatter", "scatter_add", "take",
]
