"""Shape ops: they move, copy or select elements without doing arithmetic, so every
gradient moves ``g`` back the same way (reshape it back, permute it back, sum the copies
of an expand, slice out a padding). Each gradient is again one of these ops, so gradients
of any order work. Ops that NumPy computes as views (reshape, permute, expand, slicing)
share their input's storage and version counter, as PyTorch's views do.

Names follow PyTorch: ``transpose(x, dim0, dim1)`` swaps two axes; NumPy's reverse-all
transpose is ``x.T`` (or ``np.transpose(x)``), any other order is ``permute``.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..tensor import FUNCTION_OPS, Tensor, as_tensor, register_methods
from ._axes import ShapeError, as_shape, normalize_axes, normalize_axis, pick, unary
from .indexing import as_view, getitem

# ---------------------------------------------------------------------------- reshaping


def _reshape(op: str, x: Tensor, shape: tuple[int, ...]) -> Tensor:
    try:
        out = x._array.reshape(shape)
    except ValueError:
        raise ShapeError(
            f"{op}: cannot reshape a tensor of shape {x.shape} ({x._array.size} elements) "
            f"into shape {shape}"
        ) from None
    before = x.shape
    return as_view(Tensor.from_op(out, (x,), lambda g, out, x: (g.reshape(before),), op), x)


def reshape(input: Any, *shape: Any) -> Tensor:  # noqa: A002
    """The same elements in a new shape; one size may be -1 (inferred).

    ``reshape(x, (2, 3))``, ``x.reshape(2, 3)`` and ``x.reshape((2, 3))`` all work. The
    result is a view of ``x`` where NumPy can make one, else a copy.
    """
    return _reshape("reshape", unary(input), as_shape("reshape", shape))


def view(input: Any, *shape: Any) -> Tensor:  # noqa: A002
    """``reshape`` under PyTorch's other name. Unlike PyTorch it never refuses a
    non-contiguous tensor (it copies then); reinterpreting the dtype is not supported."""
    if len(shape) == 1 and not isinstance(shape[0], (int, np.integer, tuple, list)):
        raise TypeError(
            f"view: expected a shape, got {shape[0]!r}; view(dtype) (reinterpreting the "
            "bytes) is not supported, use .to(dtype) to convert"
        )
    return _reshape("view", unary(input), as_shape("view", shape))


def view_as(input: Any, other: Tensor) -> Tensor:  # noqa: A002
    return view(input, other.shape)


def reshape_as(input: Any, other: Tensor) -> Tensor:  # noqa: A002
    return reshape(input, other.shape)


def flatten(input: Any, start_dim: int = 0, end_dim: int = -1) -> Tensor:  # noqa: A002
    """Merge dims ``start_dim..end_dim`` (inclusive) into one, as ``torch.flatten``.

    A 0-d tensor becomes shape ``(1,)``.
    """
    x = unary(input)
    shape = x.shape if x.ndim else (1,)
    start = normalize_axis("flatten", start_dim, shape)
    end = normalize_axis("flatten", end_dim, shape)
    if start > end:
        raise ValueError(
            f"flatten: start_dim {start_dim} comes after end_dim {end_dim} (shape {x.shape})"
        )
    merged = int(np.prod(shape[start : end + 1]))
    return _reshape("flatten", x, shape[:start] + (merged,) + shape[end + 1 :])


def unflatten(input: Any, dim: int, sizes: Sequence[int]) -> Tensor:  # noqa: A002
    """Split dim ``dim`` into ``sizes`` (one may be -1), as ``torch.unflatten``."""
    x = unary(input)
    ax = normalize_axis("unflatten", dim, x.shape)
    sizes = as_shape("unflatten", (sizes,))
    inner = np.empty(x.shape[ax], dtype=np.int8)
    try:
        sizes = inner.reshape(sizes).shape
    except ValueError:
        raise ShapeError(
            f"unflatten: sizes {sizes} don't multiply to the size {x.shape[ax]} of dim {ax}"
            f" (shape {x.shape})"
        ) from None
    return _reshape("unflatten", x, x.shape[:ax] + sizes + x.shape[ax + 1 :])


def squeeze(input: Any, dim: Any = None, *, axis: Any = None) -> Tensor:  # noqa: A002
    """Remove dims of size 1: all of them (``dim=None``) or those named (int or tuple).

    As in PyTorch (and unlike NumPy), a named dim whose size is not 1 is left alone
    rather than being an error.
    """
    x = unary(input)
    dim = pick("squeeze", "dim", dim, "axis", axis)
    if dim is None:
        shape = tuple(n for n in x.shape if n != 1)
    else:
        dims = dim if isinstance(dim, (tuple, list)) else (dim,)
        # PyTorch accepts dim 0 / -1 of a 0-d tensor (and squeezes nothing).
        reference = x.shape if x.ndim else (1,)
        drop = {normalize_axis("squeeze", d, reference) for d in dims}
        shape = tuple(n for i, n in enumerate(x.shape) if not (i in drop and n == 1))
    return _reshape("squeeze", x, shape)


def unsqueeze(input: Any, dim: int) -> Tensor:  # noqa: A002
    """Insert a dim of size 1 at position ``dim`` (``-1`` appends)."""
    x = unary(input)
    ax = normalize_axis("unsqueeze", dim, x.shape, extra=1)
    return _reshape("unsqueeze", x, x.shape[:ax] + (1,) + x.shape[ax:])


# --------------------------------------------------------------------------- reordering


def _permute(op: str, x: Tensor, perm: tuple[int, ...]) -> Tensor:
    # Output axis i came from input axis perm[i]: the gradient goes back through the
    # inverse permutation.
    inverse = tuple(int(i) for i in np.argsort(perm))
    out = Tensor.from_op(
        x._array.transpose(perm), (x,), lambda g, out, x: (np.transpose(g, inverse),), op
    )
    return as_view(out, x)


def _permutation(op: str, axes: Any, shape: tuple[int, ...]) -> tuple[int, ...]:
    """``axes`` as a full permutation of the axes of ``shape`` (negative axes allowed)."""
    axes = tuple(axes)
    if len(axes) != len(shape):
        raise ValueError(
            f"{op}: dims {axes} must list each of the {len(shape)} dims of shape {shape} "
            "once (a full permutation)"
        )
    perm = tuple(normalize_axis(op, a, shape) for a in axes)
    if len(set(perm)) != len(perm):
        raise ValueError(f"{op}: dims {axes} repeat a dim (shape {shape})")
    return perm


def permute(input: Any, *dims: Any) -> Tensor:  # noqa: A002
    """Reorder the dims: output dim ``i`` is input dim ``dims[i]``.

    ``permute(x, (2, 0, 1))``, ``x.permute(2, 0, 1)`` and ``x.permute((2, 0, 1))`` work.
    """
    x = unary(input)
    return _permute("permute", x, _permutation("permute", as_shape("permute", dims), x.shape))


def transpose(input: Any, *dims: Any) -> Tensor:  # noqa: A002
    """Swap dims ``dim0`` and ``dim1`` (``torch.transpose(x, dim0, dim1)``).

    This is PyTorch's meaning, for the function and the method alike. To reverse every
    axis (NumPy's ``transpose()``) use ``x.T`` or ``np.transpose(x)``; for any other
    order, ``permute``.
    """
    x = unary(input)
    if len(dims) != 2:
        raise TypeError(
            f"transpose: expected two dims to swap (PyTorch's transpose(dim0, dim1)), got "
            f"{dims}; to reverse all dims use .T or np.transpose(t), for another order "
            "use permute(*dims)"
        )
    return _swap("transpose", x, *dims)


def _swap(op: str, x: Tensor, dim0: Any, dim1: Any) -> Tensor:
    reference = x.shape if x.ndim else (1,)  # PyTorch: dims 0 / -1 of a 0-d tensor
    a = normalize_axis(op, dim0, reference)
    b = normalize_axis(op, dim1, reference)
    if not x.ndim:
        return _permute(op, x, ())
    perm = list(range(x.ndim))
    perm[a], perm[b] = b, a
    return _permute(op, x, tuple(perm))


def swapaxes(input: Any, axis0: int, axis1: int) -> Tensor:  # noqa: A002
    """Swap two axes (the same as :func:`transpose`; NumPy's and PyTorch's other name)."""
    return _swap("swapaxes", unary(input), axis0, axis1)


def t(input: Any) -> Tensor:  # noqa: A002
    """The transpose of a matrix; a 0-d or 1-D tensor is returned as it is (PyTorch)."""
    x = unary(input)
    if x.ndim > 2:
        raise ValueError(
            f"t() expects a tensor with <= 2 dimensions, but it has shape {x.shape}; use "
            "transpose(dim0, dim1) or .mT"
        )
    return _permute("t", x, tuple(range(x.ndim))[::-1])


def _reverse_axes(x: Tensor) -> Tensor:
    """``x.T``: every axis reversed (NumPy's ``ndarray.T``; PyTorch's ``T`` too)."""
    return _permute("T", x, tuple(range(x.ndim))[::-1])


def _matrix_transpose(x: Tensor) -> Tensor:
    """``x.mT``: the last two axes swapped (a stack of matrices, each transposed)."""
    if x.ndim < 2:
        raise ValueError(f"mT: the tensor needs at least 2 dims, it has shape {x.shape}")
    return _swap("mT", x, -2, -1)


def movedim(input: Any, source: Any, destination: Any) -> Tensor:  # noqa: A002
    """Move dim(s) ``source`` to position(s) ``destination``; the others keep their
    order (``torch.movedim``, ``np.moveaxis``)."""
    x = unary(input)
    src = source if isinstance(source, (tuple, list)) else (source,)
    dst = destination if isinstance(destination, (tuple, list)) else (destination,)
    if len(src) != len(dst):
        raise ValueError(
            f"movedim: source {source} and destination {destination} must name as many dims"
        )
    src = [normalize_axis("movedim", a, x.shape) for a in src]
    dst = [normalize_axis("movedim", a, x.shape) for a in dst]
    if len(set(src)) != len(src) or len(set(dst)) != len(dst):
        raise ValueError(f"movedim: repeated dim in {source} or {destination}")
    rest = iter(a for a in range(x.ndim) if a not in src)
    placed = dict(zip(dst, src, strict=True))
    perm = tuple(placed[i] if i in placed else next(rest) for i in range(x.ndim))
    return _permute("movedim", x, perm)


# ------------------------------------------------------------------- expand and repeat


def expand(input: Any, *sizes: Any) -> Tensor:  # noqa: A002
    """Broadcast to ``sizes`` (``torch.expand``, ``np.broadcast_to``); -1 keeps a size.

    New dims may be added in front; existing dims must have size 1 or the target size.
    The result is a read-only view: no data is copied. Its gradient sums the copies.
    """
    x = unary(input)
    shape = as_shape("expand", sizes)
    lead = len(shape) - x.ndim
    if lead < 0:
        raise ShapeError(
            f"expand: target shape {shape} has fewer dims than the tensor's shape {x.shape}"
        )
    target = []
    for i, n in enumerate(shape):
        size = x.shape[i - lead] if i >= lead else None
        if n == -1 and size is not None:
            n = size
        if n < 0:
            raise ShapeError(
                f"expand: size {shape[i]} at dim {i} of {shape} is invalid "
                "(-1, keeping a size, is only allowed for existing dims)"
            )
        if size is not None and size != 1 and size != n:
            raise ShapeError(
                f"expand: cannot expand shape {x.shape} to {shape}: dim {i} has size "
                f"{size}, which is neither 1 nor {n}"
            )
        target.append(n)
    target = tuple(target)
    # Each input element is copied to several outputs; the engine sums their gradients
    # back down to x's shape (the same bookkeeping as broadcasting in add).
    out = Tensor.from_op(np.broadcast_to(x._array, target), (x,), lambda g, out, x: (g,),
                         "expand")
    return as_view(out, x)


def expand_as(input: Any, other: Tensor) -> Tensor:  # noqa: A002
    return expand(input, other.shape)


def broadcast_to(input: Any, *shape: Any) -> Tensor:  # noqa: A002
    """``expand`` under NumPy's name (``torch.broadcast_to(x, shape)``)."""
    return expand(input, *shape)


def repeat(input: Any, *sizes: Any) -> Tensor:  # noqa: A002
    """Tile the tensor ``sizes[i]`` times along dim ``i`` (``torch.Tensor.repeat``, like
    ``np.tile``); extra leading sizes add dims.

    Built from reshape and expand, so its gradient (the sum over the copies) is
    differentiable again.
    """
    x = unary(input)
    sizes = as_shape("repeat", sizes)
    if len(sizes) < x.ndim:
        raise ValueError(
            f"repeat: got {len(sizes)} repeat sizes {sizes} for a tensor with {x.ndim} dims "
            f"(shape {x.shape}); give at least one per dim"
        )
    if any(r < 0 for r in sizes):
        raise ValueError(f"repeat: sizes must be non-negative, got {sizes}")
    shape = (1,) * (len(sizes) - x.ndim) + x.shape
    # (s0, s1) repeated (r0, r1): view as (1, s0, 1, s1), expand to (r0, s0, r1, s1).
    spread = x.reshape(tuple(v for n in shape for v in (1, n)))
    spread = spread.expand(tuple(v for r, n in zip(sizes, shape, strict=True) for v in (r, n)))
    return spread.reshape(tuple(r * n for r, n in zip(sizes, shape, strict=True)))


def tile(input: Any, dims: Any) -> Tensor:  # noqa: A002
    """``torch.tile``: :func:`repeat` where missing leading sizes count as 1."""
    x = unary(input)
    dims = as_shape("tile", (dims,))
    return repeat(x, (1,) * (x.ndim - len(dims)) + dims)


def repeat_interleave(input: Any, repeats: Any, dim: int | None = None) -> Tensor:  # noqa: A002
    """Repeat each element (or slice along ``dim``) ``repeats`` times in place
    (``torch.repeat_interleave``; ``dim=None`` flattens first)."""
    x = unary(input)
    if dim is None:
        x, dim = x.reshape(-1), 0
    ax = normalize_axis("repeat_interleave", dim, x.shape)
    counts = repeats._array if isinstance(repeats, Tensor) else np.asarray(repeats)
    try:
        index = np.repeat(np.arange(x.shape[ax]), counts)
    except ValueError as err:
        raise ValueError(
            f"repeat_interleave: repeats {_short(counts)} do not fit dim {ax} of size "
            f"{x.shape[ax]}: {err}"
        ) from None
    return x.index_select(ax, index)


def _short(array: np.ndarray) -> str:
    text = repr(array.tolist())
    return text if len(text) <= 40 else text[:37] + "..."


# ------------------------------------------------------------------ flip, roll, pad


def flip(input: Any, *dims: Any) -> Tensor:  # noqa: A002
    """Reverse the order of elements along ``dims`` (a copy, as in PyTorch)."""
    x = unary(input)
    if not dims:
        raise TypeError("flip: give the dims to reverse, e.g. flip(0) or flip((0, 1))")
    axes = normalize_axes("flip", as_shape("flip", dims), x.shape)
    out = np.flip(x._array, axes).copy()
    return Tensor.from_op(out, (x,), lambda g, out, x: (np.flip(g, axes),), "flip")


def roll(input: Any, shifts: Any, dims: Any = None) -> Tensor:  # noqa: A002
    """Shift elements cyclically by ``shifts`` along ``dims`` (``dims=None``: over the
    flattened tensor, then reshaped back), as ``torch.roll``."""
    x = unary(input)
    if dims is None:
        return roll(x.reshape(-1), shifts, 0).reshape(x.shape)
    dims = dims if isinstance(dims, (tuple, list)) else (dims,)
    shifts = shifts if isinstance(shifts, (tuple, list)) else (shifts,)
    if len(dims) != len(shifts):
        raise ValueError(f"roll: shifts {shifts} and dims {dims} must have the same length")
    axes = tuple(normalize_axis("roll", d, x.shape) for d in dims)
    back = tuple(-int(s) for s in shifts)
    out = np.roll(x._array, shifts, axes)
    return Tensor.from_op(out, (x,), lambda g, out, x: (np.roll(g, back, axes),), "roll")


def pad(input: Any, pad_width: Any, value: float = 0.0) -> Tensor:  # noqa: A002
    """Pad with a constant, NumPy's ``pad_width`` convention (``mode="constant"``).

    (``torch.nn.functional.pad`` takes PyTorch's flat, last-dim-first form and lives in
    ``nn.functional``.)

    Parameters
    ----------
    input : Tensor
    pad_width : int, (before, after), or one (before, after) pair per axis
        Non-negative numbers of elements to add at each end of each axis.
    value : float
        The fill value.
    """
    x = unary(input)
    try:
        widths = _pad_widths(pad_width, x.ndim)
    except (TypeError, ValueError):
        raise ValueError(
            f"pad: pad_width {pad_width!r} does not fit a tensor of shape {x.shape}; give "
            "a non-negative int, a (before, after) pair, or one pair per axis"
        ) from None
    out = np.full(
        tuple(n + b + a for n, (b, a) in zip(x.shape, widths, strict=True)), value, dtype=x.dtype
    )
    inner = tuple(slice(b, b + n) for n, (b, _) in zip(x.shape, widths, strict=True))
    out[inner] = x._array
    # The padding is constant, so only the inner block passes a gradient back.
    return Tensor.from_op(out, (x,), lambda g, out, x: (g[inner],), "pad")


def _pad_widths(pad_width: Any, ndim: int) -> list[tuple[int, int]]:
    """One (before, after) pair of Python ints per axis, broadcast as ``np.pad`` does.

    Read in plain Python rather than with ``np.asarray``: inside ``tl.compile`` an array
    made here would be a traced value, and its numbers could not be read. Raises
    TypeError or ValueError for anything else (the caller names the op).
    """
    def ints(v: Any) -> Any:  # nested lists of non-negative Python ints
        if isinstance(v, np.ndarray):
            v = v.tolist()
        if isinstance(v, (tuple, list)):
            return [ints(e) for e in v]
        if isinstance(v, (bool, np.bool_)) or operator.index(v) < 0:
            raise ValueError
        return operator.index(v)

    rows = ints(pad_width)
    if not isinstance(rows, list):  # one int: the same before and after, every axis
        rows = [[rows]]
    elif all(not isinstance(r, list) for r in rows):  # one pair for every axis
        rows = [rows]
    if ndim == 0 and all(r == [] for r in rows):  # () for a 0-d tensor: no axes
        return []
    lengths = {len(r) if isinstance(r, list) else -1 for r in rows}
    if len(lengths) != 1 or not lengths <= {1, 2} or len(rows) not in (1, ndim):
        raise ValueError
    if any(isinstance(n, list) for r in rows for n in r):
        raise ValueError
    return [(r[0], r[-1]) for r in rows] * (ndim if len(rows) == 1 else 1)


def tril(input: Any, diagonal: int = 0) -> Tensor:  # noqa: A002
    """The lower triangle of the last two dims (elements above ``diagonal`` zeroed)."""
    x = unary(input)
    _need_matrix("tril", x)
    return Tensor.from_op(np.tril(x._array, diagonal), (x,),
                          lambda g, out, x: (np.tril(g, diagonal),), "tril")


def triu(input: Any, diagonal: int = 0) -> Tensor:  # noqa: A002
    """The upper triangle of the last two dims (elements below ``diagonal`` zeroed)."""
    x = unary(input)
    _need_matrix("triu", x)
    return Tensor.from_op(np.triu(x._array, diagonal), (x,),
                          lambda g, out, x: (np.triu(g, diagonal),), "triu")


def _need_matrix(op: str, x: Tensor) -> None:
    if x.ndim < 2:
        raise ValueError(f"{op}: input needs at least 2 dims, got shape {x.shape}")


# -------------------------------------------------------------------------- joining


def _tensors(op: str, tensors: Any) -> list[Tensor]:
    if isinstance(tensors, (Tensor, np.ndarray)) or not isinstance(tensors, Sequence):
        raise TypeError(
            f"{op}: expected a sequence (list or tuple) of tensors, got "
            f"{type(tensors).__name__}"
        )
    if len(tensors) == 0:
        raise ValueError(f"{op}: expected a non-empty sequence of tensors")
    first = next((t for t in tensors if isinstance(t, Tensor)), None)
    return [as_tensor(t, like=first) for t in tensors]


def cat(tensors: Sequence[Any], dim: int = 0, *, axis: int | None = None) -> Tensor:
    """Join tensors along an existing dim (``torch.cat``, ``np.concatenate``).

    All shapes must match except along ``dim``; dtypes promote as in NumPy. Each input's
    gradient is its block of ``g``.
    """
    tensors = _tensors("cat", tensors)
    dim = pick("cat", "dim", dim, "axis", axis, default=0)
    first = tensors[0]
    if first.ndim == 0:
        raise ValueError("cat: 0-d tensors cannot be concatenated (no dim); use stack")
    ax = normalize_axis("cat", dim, first.shape)
    for i, t in enumerate(tensors[1:], 1):
        if t.ndim != first.ndim or any(
            t.shape[d] != first.shape[d] for d in range(first.ndim) if d != ax
        ):
            raise ShapeError(
                f"cat: tensor {i} has shape {t.shape} but tensor 0 has shape {first.shape}; "
                f"all sizes must match except along dim {ax}"
            )
    out = np.concatenate([t._array for t in tensors], axis=ax)
    ends = np.cumsum([t.shape[ax] for t in tensors]).tolist()
    blocks = [
        (slice(None),) * ax + (slice(end - t.shape[ax], end),) if t.requires_grad else None
        for t, end in zip(tensors, ends, strict=True)
    ]
    return Tensor.from_op(
        out, tensors, lambda g, out, *xs: tuple(None if b is None else g[b] for b in blocks),
        "cat",
    )


def stack(tensors: Sequence[Any], dim: int = 0, *, axis: int | None = None) -> Tensor:
    """Join equally shaped tensors along a new dim (``torch.stack``, ``np.stack``)."""
    tensors = _tensors("stack", tensors)
    dim = pick("stack", "dim", dim, "axis", axis, default=0)
    first = tensors[0]
    for i, t in enumerate(tensors[1:], 1):
        if t.shape != first.shape:
            raise ShapeError(
                f"stack: tensor {i} has shape {t.shape} but tensor 0 has shape "
                f"{first.shape}; stack needs equal shapes"
            )
    ax = normalize_axis("stack", dim, first.shape, extra=1)
    out = np.stack([t._array for t in tensors], axis=ax)
    # Input i is the slice i of the new dim.
    picks = [(slice(None),) * ax + (i,) if t.requires_grad else None
             for i, t in enumerate(tensors)]
    return Tensor.from_op(
        out, tensors, lambda g, out, *xs: tuple(None if p is None else g[p] for p in picks),
        "stack",
    )


concat = concatenate = cat  # PyTorch's and NumPy's other names


# -------------------------------------------------------------------------- splitting


def narrow(input: Any, dim: int, start: int, length: int) -> Tensor:  # noqa: A002
    """Elements ``start .. start + length - 1`` along ``dim`` (a view)."""
    x = unary(input)
    ax = normalize_axis("narrow", dim, x.shape)
    n = x.shape[ax]
    begin = start + n if start < 0 else start
    if not 0 <= begin <= n or length < 0 or begin + length > n:
        raise IndexError(
            f"narrow: start {start} and length {length} do not fit dim {ax} of size {n} "
            f"(shape {x.shape})"
        )
    return getitem(x, (slice(None),) * ax + (slice(begin, begin + length),))


def select(input: Any, dim: int, index: int) -> Tensor:  # noqa: A002
    """The slice at ``index`` along ``dim``, that dim removed (a view)."""
    x = unary(input)
    ax = normalize_axis("select", dim, x.shape)
    return getitem(x, (slice(None),) * ax + (index,))


def split(tensor: Any, split_size_or_sections: Any, dim: int = 0) -> tuple[Tensor, ...]:
    """Split into pieces along ``dim`` (views): pieces of ``split_size`` elements (the
    last may be smaller), or of the sizes in a list, which must add up to the dim's
    size (``torch.split``)."""
    x = unary(tensor)
    ax = normalize_axis("split", dim, x.shape)
    n = x.shape[ax]
    if isinstance(split_size_or_sections, (list, tuple)):
        sizes = [int(s) for s in split_size_or_sections]
        if sum(sizes) != n or any(s < 0 for s in sizes):
            raise ValueError(
                f"split: sizes {sizes} must be non-negative and add up to {n}, the size of "
                f"dim {ax} (shape {x.shape})"
            )
    else:
        size = int(split_size_or_sections)
        if size <= 0 and n:
            raise ValueError(f"split: split_size must be positive, got {size}")
        sizes = [min(size, n - s) for s in range(0, n, size)] if n else [0]
    starts = np.cumsum([0] + sizes[:-1]).tolist()
    return tuple(narrow(x, ax, s, k) for s, k in zip(starts, sizes, strict=True))


def chunk(input: Any, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:  # noqa: A002
    """Split into ``chunks`` pieces of ``ceil(size / chunks)`` elements along ``dim`` (the
    last smaller; fewer pieces when the size runs out), as ``torch.chunk``."""
    x = unary(input)
    if int(chunks) <= 0:
        raise ValueError(f"chunk: chunks must be positive, got {chunks}")
    n = x.shape[normalize_axis("chunk", dim, x.shape)]
    return split(x, max(-(-n // int(chunks)), 1), dim)


def unbind(input: Any, dim: int = 0) -> tuple[Tensor, ...]:  # noqa: A002
    """The slices along ``dim``, that dim removed (``torch.unbind``)."""
    x = unary(input)
    ax = normalize_axis("unbind", dim, x.shape)
    return tuple(select(x, ax, i) for i in range(x.shape[ax]))


# ------------------------------------------------- NumPy functions on tensors


def _numpy_reshape(a: Any, shape: Any = None, order: str = "C", *, newshape: Any = None,
                   copy: Any = None) -> Tensor:
    if order != "C":
        raise TypeError("np.reshape of a tensor: only order='C' is supported")
    return reshape(a, shape if newshape is None else newshape)


def _numpy_transpose(a: Any, axes: Any = None) -> Tensor:
    """``np.transpose``: NumPy's meaning (reverse all axes, or a full permutation)."""
    x = unary(a)
    if axes is None:
        return _reverse_axes(x)
    return _permute("transpose", x, _permutation("transpose", axes, x.shape))


def _numpy_expand_dims(a: Any, axis: Any) -> Tensor:
    x = unary(a)
    axes = axis if isinstance(axis, (tuple, list)) else (axis,)
    ndim = x.ndim + len(axes)
    new = {normalize_axis("expand_dims", ax, (1,) * ndim) for ax in axes}
    if len(new) != len(axes):
        raise ValueError(f"expand_dims: repeated axis in {axis}")
    sizes = iter(x.shape)
    return _reshape("expand_dims", x, tuple(1 if i in new else next(sizes) for i in range(ndim)))


def _numpy_concatenate(arrays: Any, axis: Any = 0, out: Any = None, **kwargs: Any) -> Tensor:
    _numpy_only("concatenate", out=out, **kwargs)
    if axis is None:  # NumPy: flatten everything first
        return cat([reshape(unary(a), -1) for a in arrays], 0)
    return cat(arrays, axis)


def _numpy_stack(arrays: Any, axis: int = 0, out: Any = None, **kwargs: Any) -> Tensor:
    _numpy_only("stack", out=out, **kwargs)
    return stack(arrays, axis)


def _numpy_pad(array: Any, pad_width: Any, mode: str = "constant",
               constant_values: Any = 0) -> Tensor:
    if mode != "constant":
        raise TypeError(f"np.pad of a tensor: only mode='constant' is supported, got {mode!r}")
    if np.ndim(constant_values) != 0:
        raise TypeError("np.pad of a tensor: constant_values must be one number")
    return pad(array, pad_width, value=float(constant_values))


def _numpy_flip(m: Any, axis: Any = None) -> Tensor:
    x = unary(m)
    return flip(x, tuple(range(x.ndim)) if axis is None else axis)


def _numpy_only(name: str, **kwargs: Any) -> None:
    given = sorted(k for k, v in kwargs.items() if v is not None)
    if given:
        raise TypeError(
            f"np.{name} of a tensor: the arguments {given} are not supported (use the "
            "tinygrad_lab op)"
        )


_tensor_T = property(_reverse_axes, doc="The tensor with its axes reversed (``ndarray.T``).")
_tensor_mT = property(_matrix_transpose, doc="The last two axes swapped (``torch``'s ``mT``).")

register_methods(
    {
        "reshape": reshape, "view": view, "view_as": view_as, "reshape_as": reshape_as,
        "flatten": flatten, "unflatten": unflatten, "squeeze": squeeze,
        "unsqueeze": unsqueeze, "permute": permute, "transpose": transpose,
        "swapaxes": swapaxes, "swapdims": swapaxes, "t": t, "T": _tensor_T,
        "mT": _tensor_mT, "H": _tensor_T, "mH": _tensor_mT, "movedim": movedim,
        "moveaxis": movedim, "expand": expand, "expand_as": expand_as,
        "broadcast_to": broadcast_to, "repeat": repeat, "tile": tile,
        "repeat_interleave": repeat_interleave, "flip": flip, "roll": roll, "pad": pad,
        "tril": tril, "triu": triu, "narrow": narrow, "select": select, "split": split,
        "chunk": chunk, "unbind": unbind,
    }
)

FUNCTION_OPS.update(
    {
        np.reshape: _numpy_reshape, np.transpose: _numpy_transpose,
        np.swapaxes: swapaxes, np.moveaxis: movedim,
        np.broadcast_to: lambda array, shape, subok=False: expand(array, shape),
        np.expand_dims: _numpy_expand_dims,
        np.squeeze: lambda a, axis=None: squeeze(a, axis),
        np.concatenate: _numpy_concatenate, np.stack: _numpy_stack, np.pad: _numpy_pad,
        np.flip: _numpy_flip, np.roll: lambda a, shift, axis=None: roll(a, shift, axis),
        np.tril: lambda m, k=0: tril(m, k), np.triu: lambda m, k=0: triu(m, k),
        np.shape: lambda a: unary(a).shape, np.ndim: lambda a: unary(a).ndim,
        np.size: lambda a, axis=None: (unary(a)._array.size if axis is None
                                       else unary(a).shape[axis]),
    }
)

moveaxis, swapdims = movedim, swapaxes

# The names PyTorch has at its top level (expand, repeat, view and pad are methods or
# live in nn.functional there).
__all__ = [
    "broadcast_to", "cat", "chunk", "concat", "concatenate", "flatten", "flip",
    "moveaxis", "movedim", "narrow", "permute", "repeat_interleave", "reshape", "roll",
    "select", "split", "squeeze", "stack", "swapaxes", "swapdims", "t", "tile",
    "transpose", "tril", "triu", "unbind", "unflatten", "unsqueeze",
]
