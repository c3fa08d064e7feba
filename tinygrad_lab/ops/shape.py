"""Shape ops: they move, copy or select elements without doing arithmetic, so every
backward moves the gradient back the same way (reshape it back, transpose it back,
scatter it back into the selected positions)."""

from __future__ import annotations

import operator
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..tensor import Tensor, as_tensor
from .reduce import normalize_axis

# ---------------------------------------------------------------------------- helpers


def _as_shape(op: str, shape: Any) -> tuple[int, ...]:
    """``shape`` (an int or a sequence of ints) as a tuple of Python ints."""
    items = shape if isinstance(shape, (tuple, list)) else (shape,)
    try:
        return tuple(operator.index(n) for n in items)
    except TypeError:
        raise TypeError(f"{op}: shape must be ints, got {shape!r}") from None


def _permutation(op: str, axes: Any, shape: tuple[int, ...]) -> tuple[int, ...]:
    """``axes`` as a full permutation of the axes of ``shape`` (negative axes allowed)."""
    axes = tuple(axes)
    if len(axes) != len(shape):
        raise ValueError(
            f"{op}: axes {axes} must list each of the {len(shape)} axes of shape {shape} "
            "once (a full permutation, as in NumPy's transpose)"
        )
    perm = tuple(normalize_axis(op, a, shape) for a in axes)
    if len(set(perm)) != len(perm):
        raise ValueError(f"{op}: axes {axes} repeat an axis (shape {shape})")
    return perm


def _reshape(op: str, x: Tensor, shape: tuple[int, ...]) -> Tensor:
    try:
        out = x.data.reshape(shape)
    except ValueError:
        raise ValueError(
            f"{op}: cannot reshape a tensor of shape {x.shape} ({x.size} elements) "
            f"into shape {shape}"
        ) from None
    return Tensor.from_op(out, (x,), lambda g: (g.reshape(x.shape),), op)


def _tensors(op: str, tensors: Any) -> list[Tensor]:
    if isinstance(tensors, (Tensor, np.ndarray)) or not isinstance(tensors, Sequence):
        raise TypeError(
            f"{op}: expected a sequence (list or tuple) of tensors, got "
            f"{type(tensors).__name__}"
        )
    if len(tensors) == 0:
        raise ValueError(f"{op}: expected a non-empty sequence of tensors")
    return [as_tensor(t) for t in tensors]


def _take(g: np.ndarray, axis: int, index: Any) -> np.ndarray:
    """``g`` indexed by ``index`` along ``axis`` (a view)."""
    return g[(slice(None),) * axis + (index,)]


# ---------------------------------------------------------------------------- reshaping


def reshape(x: Tensor, shape: Any) -> Tensor:
    """The same elements in a new shape; one entry may be -1 (inferred).

    Parameters
    ----------
    x : Tensor
    shape : int or tuple of int

    Returns
    -------
    Tensor
        A view of ``x``'s data where NumPy can make one.
    """
    return _reshape("reshape", x, _as_shape("reshape", shape))


def flatten(x: Tensor, start_axis: int = 0, end_axis: int = -1) -> Tensor:
    """Merge axes ``start_axis..end_axis`` (inclusive) into one, as ``torch.flatten``.

    A 0-d tensor becomes shape ``(1,)``.
    """
    shape = x.shape if x.ndim else (1,)
    start = normalize_axis("flatten", start_axis, shape)
    end = normalize_axis("flatten", end_axis, shape)
    if start > end:
        raise ValueError(
            f"flatten: start_axis {start_axis} comes after end_axis {end_axis} "
            f"(shape {x.shape})"
        )
    merged = int(np.prod(shape[start : end + 1]))
    return _reshape("flatten", x, shape[:start] + (merged,) + shape[end + 1 :])


def squeeze(x: Tensor, axis: Any = None) -> Tensor:
    """Remove axes of size 1: all of them (``axis=None``) or those named.

    As in PyTorch (and unlike NumPy), a named axis whose size is not 1 is left alone
    rather than being an error.
    """
    if axis is None:
        shape = tuple(n for n in x.shape if n != 1)
    else:
        axes = axis if isinstance(axis, (tuple, list)) else (axis,)
        # PyTorch accepts axis 0 / -1 of a 0-d tensor (and squeezes nothing).
        reference = x.shape if x.ndim else (1,)
        drop = {normalize_axis("squeeze", a, reference) for a in axes}
        shape = tuple(n for i, n in enumerate(x.shape) if not (i in drop and n == 1))
    return _reshape("squeeze", x, shape)


def unsqueeze(x: Tensor, axis: int) -> Tensor:
    """Insert an axis of size 1 at position ``axis`` (``-1`` appends)."""
    ax = normalize_axis("unsqueeze", axis, x.shape, extra=1)
    return _reshape("unsqueeze", x, x.shape[:ax] + (1,) + x.shape[ax:])


# --------------------------------------------------------------------------- reordering


def transpose(x: Tensor, axes: Any = None) -> Tensor:
    """Permute the axes as NumPy's ``transpose``: ``axes=None`` reverses them.

    Note that ``axes`` is a full permutation (NumPy), not two axes to swap as in
    ``torch.transpose(x, dim0, dim1)``; for that use :func:`swapaxes`.
    """
    if axes is None:
        perm = tuple(range(x.ndim - 1, -1, -1))
    else:
        perm = _permutation("transpose", axes, x.shape)
    return _permute("transpose", x, perm)


def permute(x: Tensor, axes: Any) -> Tensor:
    """Reorder the axes: output axis ``i`` is input axis ``axes[i]``."""
    return _permute("permute", x, _permutation("permute", axes, x.shape))


def swapaxes(x: Tensor, axis1: int, axis2: int) -> Tensor:
    """Exchange two axes (``torch.transpose(x, dim0, dim1)``)."""
    a = normalize_axis("swapaxes", axis1, x.shape)
    b = normalize_axis("swapaxes", axis2, x.shape)
    perm = list(range(x.ndim))
    perm[a], perm[b] = b, a
    return _permute("swapaxes", x, tuple(perm))


def _permute(op: str, x: Tensor, perm: tuple[int, ...]) -> Tensor:
    # Output axis i came from input axis perm[i], so the gradient goes back through the
    # inverse permutation.
    inverse = tuple(int(i) for i in np.argsort(perm))
    return Tensor.from_op(
        x.data.transpose(perm), (x,), lambda g: (g.transpose(inverse),), op
    )


# ------------------------------------------------------------------- broadcast and pad


def expand(x: Tensor, shape: Any) -> Tensor:
    """Broadcast to ``shape`` (``torch.expand`` / ``np.broadcast_to``); -1 keeps a size.

    New axes may be added in front; existing axes must have size 1 or the target size.
    The result is a read-only view: no data is copied.
    """
    shape = _as_shape("expand", shape)
    lead = len(shape) - x.ndim
    if lead < 0:
        raise ValueError(
            f"expand: target shape {shape} has fewer axes than the tensor's shape {x.shape}"
        )
    target = []
    for i, n in enumerate(shape):
        size = x.shape[i - lead] if i >= lead else None
        if n == -1 and size is not None:
            n = size
        if n < 0:
            raise ValueError(
                f"expand: size {shape[i]} at axis {i} of {shape} is invalid "
                "(-1, keeping a size, is only allowed for existing axes)"
            )
        if size is not None and size != 1 and size != n:
            raise ValueError(
                f"expand: cannot expand shape {x.shape} to {shape}: axis {i} has size "
                f"{size}, which is neither 1 nor {n}"
            )
        target.append(n)
    # Each input element is copied to several outputs; the engine sums their gradients
    # back down to x's shape (the same bookkeeping as broadcasting in add).
    return Tensor.from_op(np.broadcast_to(x.data, tuple(target)), (x,), lambda g: (g,),
                          "expand")


def pad(x: Tensor, pad_width: Any, value: float = 0.0) -> Tensor:
    """Pad with a constant, NumPy's ``pad_width`` convention (``mode="constant"``).

    Parameters
    ----------
    x : Tensor
    pad_width : int, (before, after), or one (before, after) pair per axis
        Non-negative numbers of elements to add at each end of each axis.
    value : float
        The fill value.
    """
    try:
        widths = np.asarray(pad_width)
        if widths.size == 0 and x.ndim == 0:  # () for a 0-d tensor: no axes, no pairs
            widths = np.zeros((0, 2), dtype=np.intp)
        if widths.dtype.kind not in "iu" or widths.size and widths.min() < 0:
            raise TypeError
        widths = np.broadcast_to(widths, (x.ndim, 2))
    except (TypeError, ValueError):
        raise ValueError(
            f"pad: pad_width {pad_width!r} does not fit a tensor of shape {x.shape}; give "
            "a non-negative int, a (before, after) pair, or one pair per axis"
        ) from None
    widths = [(int(b), int(a)) for b, a in widths]
    out = np.full(
        tuple(n + b + a for n, (b, a) in zip(x.shape, widths, strict=True)), value, dtype=x.dtype
    )
    inner = tuple(slice(b, b + n) for n, (b, _) in zip(x.shape, widths, strict=True))
    out[inner] = x.data
    # The padding is constant, so only the inner block passes a gradient back.
    return Tensor.from_op(out, (x,), lambda g: (g[inner],), "pad")


# ---------------------------------------------------------------------------- indexing


def _prepare_index(index: Any) -> tuple[Any, bool]:
    """NumPy's form of ``index`` (Tensors and lists become arrays), and whether it holds
    an integer array (the only kind of index that can pick an element twice)."""
    items = index if isinstance(index, tuple) else (index,)
    converted = []
    integer_array = False
    for item in items:
        if isinstance(item, Tensor):
            item = item.data
        elif isinstance(item, list):
            item = np.asarray(item)
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


def getitem(x: Tensor, index: Any) -> Tensor:
    """``x[index]`` with NumPy's rules: ints, slices (negative steps too), ``None``,
    ``...``, boolean masks and integer arrays (Tensors or lists).

    The gradient scatters ``g`` back to the positions read. An integer array may read an
    element several times (``x[[0, 0, 1]]``); those gradients add up (``np.add.at``).
    Other indexes read each element at most once and take a plain assignment.
    """
    index, integer_array = _prepare_index(index)
    try:
        out = x.data[index]
    except IndexError as err:
        shown = repr(index)
        shown = shown if len(shown) <= 80 else shown[:77] + "..."
        raise IndexError(f"getitem: {err} (tensor shape {x.shape}, index {shown})") from None

    def backward(g: np.ndarray) -> tuple[np.ndarray]:
        grad = np.zeros(x.shape, dtype=g.dtype)
        if integer_array:
            np.add.at(grad, index, g)  # unbuffered: repeated positions accumulate
        else:
            grad[index] = g
        return (grad,)

    return Tensor.from_op(out, (x,), backward, "getitem")


# -------------------------------------------------------------------------- joining


def cat(tensors: Sequence[Any], axis: int = 0) -> Tensor:
    """Join tensors along an existing axis (``torch.cat``, ``np.concatenate``).

    All shapes must match except along ``axis``; dtypes promote as in NumPy.
    """
    tensors = _tensors("cat", tensors)
    first = tensors[0]
    if first.ndim == 0:
        raise ValueError("cat: 0-d tensors cannot be concatenated (no axis); use stack")
    ax = normalize_axis("cat", axis, first.shape)
    for i, t in enumerate(tensors[1:], 1):
        if t.ndim != first.ndim or any(
            t.shape[d] != first.shape[d] for d in range(first.ndim) if d != ax
        ):
            raise ValueError(
                f"cat: tensor {i} has shape {t.shape} but tensor 0 has shape {first.shape}; "
                f"all sizes must match except along axis {ax}"
            )
    out = np.concatenate([t.data for t in tensors], axis=ax)
    ends = np.cumsum([t.shape[ax] for t in tensors]).tolist()

    # Each input owns a contiguous block of the output along `axis`.
    def backward(g: np.ndarray) -> tuple[np.ndarray | None, ...]:
        return tuple(
            _take(g, ax, slice(end - t.shape[ax], end)) if t.requires_grad else None
            for t, end in zip(tensors, ends, strict=True)
        )

    return Tensor.from_op(out, tensors, backward, "cat")


def stack(tensors: Sequence[Any], axis: int = 0) -> Tensor:
    """Join equally shaped tensors along a new axis (``torch.stack``, ``np.stack``)."""
    tensors = _tensors("stack", tensors)
    first = tensors[0]
    for i, t in enumerate(tensors[1:], 1):
        if t.shape != first.shape:
            raise ValueError(
                f"stack: tensor {i} has shape {t.shape} but tensor 0 has shape "
                f"{first.shape}; stack needs equal shapes"
            )
    ax = normalize_axis("stack", axis, first.shape, extra=1)
    out = np.stack([t.data for t in tensors], axis=ax)

    # Input i is the slice i of the new axis.
    def backward(g: np.ndarray) -> tuple[np.ndarray | None, ...]:
        return tuple(
            _take(g, ax, i) if t.requires_grad else None for i, t in enumerate(tensors)
        )

    return Tensor.from_op(out, tensors, backward, "stack")
