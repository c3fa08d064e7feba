"""Convolution and pooling over the last one or two axes, in PyTorch's layout: ``x`` is
``(N, C, *L)`` (or unbatched ``(C, *L)``) and a conv weight ``(C_out, C_in / groups, *K)``.

Every op here can be differentiated to any order, because each is built from two kinds
of pieces whose gradients are pieces of the same kinds:

* **Linear maps, in pairs that are each other's transpose** (:func:`_linear_pair`). A
  linear map's gradient is its transpose, and the transpose's gradient is the map again.
  ``unfold`` copies the sliding windows of the zero-padded input ("im2col"),
  ``(N, C, *L) -> (N, C, *K, *L_out)``; its transpose ``fold`` adds every window back to
  the positions it was copied from ("col2im"), one strided add per kernel tap. Pooling's
  gradients are such pairs too: max pooling sends the gradient to each window's arg-max
  (a constant index: a scatter, whose transpose is a gather), average pooling is linear.
* **One product**, ``Y = W X`` per group: the weight seen as ``(G, C_out/G, C_in/G * K)``
  times the windows seen as ``(N, G, C_in/G * K, L_out)``. Its gradients ``X̄ = Wᵀ Ȳ``
  and ``W̄ = Σ_n Ȳ Xᵀ`` are products of the same three arrays: the three are the partial
  derivatives of one trilinear form ``<Y, W X>``, so the gradient of each is given by
  the other two.

So ``conv(x) = product(weight, unfold(x)) + bias``. Each piece is one function that maps
arrays to an array (the fast path of ``backward``: plain NumPy) and Tensors to a Tensor
recorded in the graph (under ``create_graph=True``); the gradient formulas call the
pieces without knowing which they get.

The windows keep the output positions as their last axes, so that the copy into them and
the col2im adds run over long contiguous rows, and the product lands in the
``(N, C_out, *L_out)`` layout with no transpose.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from ..tensor import Tensor, as_tensor

__all__ = ["avg_pool1d", "avg_pool2d", "conv1d", "conv2d", "fold", "max_pool1d",
           "max_pool2d", "unfold"]

_AXES = {1: ("L",), 2: ("H", "W")}  # names of the spatial axes, for messages

# ------------------------------------------------------------------------- arguments
# The one home of the checks of conv and pool arguments (nn's layers call these too).


def int_tuple(op: str, name: str, value: Any, ndim: int, minimum: int) -> tuple[int, ...]:
    """An int, or a sequence of ``ndim`` ints (PyTorch accepts both), each ``>= minimum``,
    as a tuple of ``ndim`` ints."""
    if type(value) is int and value >= minimum:  # the common case, quickly
        return (value,) * ndim
    values = tuple(value) if isinstance(value, (tuple, list)) else (value,) * ndim
    if len(values) != ndim:
        raise ValueError(
            f"{op}: {name} must be an int or a sequence of {ndim} ints, got {value!r}"
        )
    for v in values:
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer)):
            raise TypeError(f"{op}: {name} must be an int, got {v!r}")
        if v < minimum:
            raise ValueError(f"{op}: {name} must be >= {minimum}, got {v}")
    return tuple(int(v) for v in values)


def conv_options(
    op: str, ndim: int, stride: Any = 1, padding: Any = 0, dilation: Any = 1,
    groups: Any = 1,
) -> tuple[tuple[int, ...], str | tuple[int, ...], tuple[int, ...], int]:
    """Check the options of an ``ndim``-dimensional conv and return them normalized.

    Returns
    -------
    (stride, padding, dilation, groups)
        Tuples of ``ndim`` ints, except ``padding``, which may stay ``'valid'`` or
        ``'same'``, and ``groups``, an int.

    Raises
    ------
    TypeError, ValueError
        Naming ``op`` and the bad value; ``padding='same'`` needs stride 1 (PyTorch).
    """
    stride = int_tuple(op, "stride", stride, ndim, 1)
    dilation = int_tuple(op, "dilation", dilation, ndim, 1)
    (groups,) = int_tuple(op, "groups", groups, 1, 1)
    if isinstance(padding, str):
        if padding not in ("valid", "same"):
            raise ValueError(f"{op}: padding must be an int, 'valid' or 'same', got {padding!r}")
        if padding == "same" and any(s != 1 for s in stride):
            raise ValueError(f"{op}: padding='same' needs stride 1, got stride {stride}")
    else:
        padding = int_tuple(op, "padding", padding, ndim, 0)
    return stride, padding, dilation, groups


def _float_tensor(op: str, name: str, value: Any) -> Tensor:
    t = as_tensor(value)
    if t.dtype.kind != "f":
        raise TypeError(
            f"{op}: {name} must be a float tensor, got dtype {t.dtype} (shape {t.shape}); "
            "convert it, e.g. Tensor(data, dtype=np.float32)"
        )
    return t


def _check_input(op: str, x: Tensor, ndim: int) -> None:
    axes = ", ".join(_AXES[ndim])
    if x.ndim not in (ndim + 1, ndim + 2):
        raise ValueError(
            f"{op}: expected input of shape (N, C, {axes}) or unbatched (C, {axes}), got "
            f"shape {x.shape}"
        )


# ---------------------------------------------------------------------- the windows


def _spans(kernel: tuple[int, ...], dilation: tuple[int, ...]) -> tuple[int, ...]:
    """The positions one dilated window covers along each axis."""
    return tuple(int(d * (k - 1) + 1) for k, d in zip(kernel, dilation, strict=True))


@dataclass(frozen=True)
class _Grid:
    """Where the sliding windows of a conv or a pool lie on the last ``len(kernel)`` axes
    of its input. ``right`` padding may exceed ``left`` ('same' with an even span; the
    last window of ceil mode)."""

    size: tuple[int, ...]  # input lengths
    kernel: tuple[int, ...]
    stride: tuple[int, ...]
    dilation: tuple[int, ...]
    left: tuple[int, ...]  # padding before
    right: tuple[int, ...]  # padding after
    out: tuple[int, ...]  # number of windows

    @property
    def padded(self) -> tuple[int, ...]:
        return tuple(n + a + b for n, a, b in zip(self.size, self.left, self.right, strict=True))

    def pad(self, x: np.ndarray, value: float = 0.0) -> np.ndarray:
        if not any(self.left) and not any(self.right):
            return x
        # A filled array and one copy: several times faster than np.pad for small inputs.
        out = np.full(x.shape[: x.ndim - len(self.size)] + self.padded, value, dtype=x.dtype)
        self.crop(out)[...] = x
        return out

    def crop(self, xp: np.ndarray) -> np.ndarray:
        """The input's part of a padded array (a view)."""
        return xp[(..., *(slice(a, a + n) for a, n in zip(self.left, self.size, strict=True)))]

    @cached_property
    def taps(self) -> list[tuple[tuple[int, ...], tuple[Any, ...]]]:
        """Each kernel tap's index ``(j_1, ..., j_d)``, in row-major order, with the
        strided slices of the padded input that this tap reads in every window:
        ``xp[slices][..., l] == xp[..., l * stride + j * dilation]``. Made once per grid:
        the forward pass and the gradient both walk them."""
        taps = []
        for tap in itertools.product(*map(range, self.kernel)):
            slices = (
                slice(j * d, j * d + (n - 1) * s + 1, s)
                for j, d, n, s in zip(tap, self.dilation, self.out, self.stride, strict=True)
            )
            taps.append((tap, (..., *slices)))
        return taps


def _unfold_array(x: np.ndarray, grid: _Grid) -> np.ndarray:
    """``(*lead, *L) -> (*lead, *K, *L_out)``: ``out[..., k, l] = xp[..., l*stride +
    k*dilation]`` for the zero-padded ``xp``: one strided copy per kernel tap."""
    d = len(grid.kernel)
    xp = grid.pad(x)
    out = np.empty(x.shape[: x.ndim - d] + grid.kernel + grid.out, dtype=x.dtype)
    for tap, where in grid.taps:
        out[(..., *tap, *(slice(None),) * d)] = xp[where]
    return out


def _fold_array(cols: np.ndarray, grid: _Grid) -> np.ndarray:
    """The transpose of :func:`_unfold_array`: every window tap added back to the
    position it was copied from (a loop over the kernel taps, never over positions)."""
    d = len(grid.kernel)
    out = np.zeros(cols.shape[: cols.ndim - 2 * d] + grid.padded, dtype=cols.dtype)
    for tap, where in grid.taps:
        out[where] += cols[(..., *tap, *(slice(None),) * d)]
    return grid.crop(out)


def _linear_pair(
    name: str, forward: Callable[..., np.ndarray], name_t: str,
    transpose: Callable[..., np.ndarray],
) -> tuple[Callable[..., Any], Callable[..., Any]]:
    """Two linear maps that are each other's transpose, as functions of an array (giving
    an array) or of a Tensor (giving a Tensor whose gradient formula is the other map).

    ``forward(x, *params)`` and ``transpose(g, *params)`` compute on arrays; ``params``
    (shapes, constant indices) are the same for both; ``op=`` renames an application of
    the map (``avg_pool2d``).
    """

    def apply(x: Any, *params: Any, op: str = name) -> Any:
        if not isinstance(x, Tensor):
            return forward(x, *params)
        return Tensor.from_op(forward(x._array, *params), (x,),
                              lambda g, out, x: (apply_t(g, *params),), op)

    def apply_t(g: Any, *params: Any) -> Any:
        if not isinstance(g, Tensor):
            return transpose(g, *params)
        return Tensor.from_op(transpose(g._array, *params), (g,),
                              lambda g2, out, g: (apply(g2, *params),), name_t)

    return apply, apply_t


_unfold, _fold = _linear_pair("unfold", _unfold_array, "fold", _fold_array)


# ---------------------------------------------------------------------- the product
# Three arrays: the weight W (C_out, C_in/G, *K), the windows X (N, C_in, *K, *L_out)
# and the output Y (N, C_out, *L_out) (N absent for unbatched input). In matrix form,
# per sample and group: Y = W X, X̄ = Wᵀ Y, W̄ = Σ_n Y Xᵀ.


def _weight_matrices(w: np.ndarray, groups: int) -> np.ndarray:
    """The weight as ``(G, C_out/G, C_in/G * K)``: one matrix per group."""
    return w.reshape(groups, w.shape[0] // groups, math.prod(w.shape[1:]))


def _window_matrices(x: np.ndarray, groups: int, lead: int, ndim: int) -> np.ndarray:
    """The windows as ``(N, G, C_in/G * K, L_out)`` (sizes spelled out, not -1: a batch
    may be empty)."""
    shape = x.shape
    rows = shape[lead] // groups * math.prod(shape[lead + 1 : lead + 1 + ndim])
    return x.reshape(math.prod(shape[:lead]), groups, rows, math.prod(shape[lead + 1 + ndim :]))


def _product_array(w: np.ndarray, x: np.ndarray, groups: int) -> np.ndarray:
    """``Y = W X``: ``y[n, o, *l] = Σ_{c, *k} w[o, c, *k] x[n, group(o)*C_in/G + c, *k, *l]``."""
    d = w.ndim - 2
    lead = x.ndim - 1 - 2 * d
    y = np.matmul(_weight_matrices(w, groups), _window_matrices(x, groups, lead, d))
    return y.reshape(*x.shape[:lead], w.shape[0], *x.shape[x.ndim - d :])


def _windows_grad_array(w: np.ndarray, y: np.ndarray, groups: int) -> np.ndarray:
    """``X̄ = Wᵀ Y``, shaped like the windows."""
    d = w.ndim - 2
    lead, positions = y.shape[: y.ndim - 1 - d], y.shape[y.ndim - d :]
    y4 = y.reshape(math.prod(lead), groups, w.shape[0] // groups, math.prod(positions))
    x = np.matmul(_weight_matrices(w, groups).transpose(0, 2, 1), y4)
    return x.reshape(*lead, groups * w.shape[1], *w.shape[2:], *positions)


def _weight_grad_array(y: np.ndarray, x: np.ndarray, groups: int) -> np.ndarray:
    """``W̄ = Σ_n Y Xᵀ``, shaped like the weight."""
    d = x.ndim - y.ndim
    lead = y.ndim - 1 - d
    c_out, c_in, kernel = y.shape[lead], x.shape[lead], x.shape[lead + 1 : lead + 1 + d]
    per_group, positions = c_out // groups, math.prod(y.shape[y.ndim - d :])
    y4 = y.reshape(math.prod(y.shape[:lead]), groups, per_group, positions)
    x4 = _window_matrices(x, groups, lead, d)
    if per_group <= positions:
        # One product per sample, then a sum: the (N, C_out, C_in/G * K) partial
        # products are no larger than the windows themselves.
        w = np.matmul(y4, x4.transpose(0, 1, 3, 2)).sum(axis=0)
    else:  # they would be larger: contract over (n, l) in one product per group
        w = np.stack([np.tensordot(y4[:, i], x4[:, i], axes=([0, 2], [0, 2]))
                      for i in range(groups)])
    return w.reshape(c_out, c_in // groups, *kernel)


def _channel_sum_array(g: np.ndarray, shape: tuple[int, ...], axis: int) -> np.ndarray:
    return g.sum(axis=tuple(i for i in range(g.ndim) if i != axis))


def _channel_spread_array(b: np.ndarray, shape: tuple[int, ...], axis: int) -> np.ndarray:
    column = b.reshape((-1,) + (1,) * (len(shape) - axis - 1))
    return np.broadcast_to(column, shape).copy()


# The bias's gradient sums the output gradient over all but the channel axis.
_channel_sum, _channel_spread = _linear_pair(
    "sum", _channel_sum_array, "expand", _channel_spread_array
)


def _is_array(*values: Any) -> bool:
    return not any(isinstance(v, Tensor) for v in values)


def _tensors(*values: Any) -> list[Tensor]:
    """Constants (arrays a formula got on the way) as tensors outside the graph."""
    return [v if isinstance(v, Tensor) else Tensor._wrap(np.asarray(v)) for v in values]


def _product(w: Any, x: Any, groups: int, bias: Tensor | None = None,
             name: str = "conv_product") -> Any:
    """``W X (+ bias)``; for Tensors an op whose gradients are :func:`_weight_grad` and
    :func:`_windows_grad` (and the bias's channel sum)."""
    if _is_array(w, x, bias):
        return _product_array(w, x, groups)
    w, x = _tensors(w, x)
    out = _product_array(w._array, x._array, groups)
    parents: tuple[Tensor, ...] = (w, x)
    if bias is not None:
        channel = out.ndim - (w.ndim - 2) - 1
        out += bias._array.reshape((-1,) + (1,) * (out.ndim - channel - 1))
        parents = (w, x, bias)
    # Gradients no input needs are never computed (x̄ of data that needs none is the
    # costly part); the flags are read now, as PyTorch records them with the op.
    needs = [p.requires_grad for p in parents]

    def backward(g: Any, out: Any, w: Any, x: Any, *bias: Any) -> tuple:
        grads = (_weight_grad(g, x, groups) if needs[0] else None,
                 _windows_grad(w, g, groups) if needs[1] else None)
        if bias:
            grads += (_channel_sum(g, out.shape, channel) if needs[2] else None,)
        return grads

    return Tensor.from_op(out, parents, backward, name)


def _windows_grad(w: Any, y: Any, groups: int) -> Any:
    """``Wᵀ Y``; its gradients: ``Σ_n Y Ḡᵀ`` for ``W``, ``W Ḡ`` for ``Y``."""
    if _is_array(w, y):
        return _windows_grad_array(w, y, groups)
    w, y = _tensors(w, y)
    needs = (w.requires_grad, y.requires_grad)

    def backward(g: Any, out: Any, w: Any, y: Any) -> tuple:
        return (_weight_grad(y, g, groups) if needs[0] else None,
                _product(w, g, groups) if needs[1] else None)

    return Tensor.from_op(_windows_grad_array(w._array, y._array, groups), (w, y), backward,
                          "conv_transpose")


def _weight_grad(y: Any, x: Any, groups: int) -> Any:
    """``Σ_n Y Xᵀ``; its gradients: ``Ḡ X`` for ``Y``, ``Ḡᵀ Y`` for ``X``."""
    if _is_array(y, x):
        return _weight_grad_array(y, x, groups)
    y, x = _tensors(y, x)
    needs = (y.requires_grad, x.requires_grad)

    def backward(g: Any, out: Any, y: Any, x: Any) -> tuple:
        return (_product(g, x, groups) if needs[0] else None,
                _windows_grad(g, y, groups) if needs[1] else None)

    return Tensor.from_op(_weight_grad_array(y._array, x._array, groups), (y, x), backward,
                          "conv_weight_grad")


# --------------------------------------------------------------------------- conv


def _conv_grid(
    op: str, size: tuple[int, ...], kernel: tuple[int, ...], stride: tuple[int, ...],
    padding: str | tuple[int, ...], dilation: tuple[int, ...],
) -> _Grid:
    ndim = len(kernel)
    spans = _spans(kernel, dilation)
    if padding == "valid":
        left = right = (0,) * ndim
    elif padding == "same":  # an odd total puts the extra zero on the right (PyTorch)
        left = tuple((s - 1) // 2 for s in spans)
        right = tuple(s - 1 - a for s, a in zip(spans, left, strict=True))
    else:
        left = right = padding
    out = []
    for i in range(ndim):
        padded = size[i] + left[i] + right[i]
        if spans[i] > padded:
            where = "" if ndim == 1 else f" along {_AXES[ndim][i]}"
            raise ValueError(
                f"{op}: the kernel spans {spans[i]} positions (K {kernel[i]}, dilation "
                f"{dilation[i]}){where} but the padded input has only {padded} "
                f"({_AXES[ndim][i]} {size[i]} + padding {left[i] + right[i]})"
            )
        out.append((padded - spans[i]) // stride[i] + 1)
    return _Grid(size, kernel, stride, dilation, left, right, tuple(out))


def _conv(op: str, ndim: int, x: Any, weight: Any, bias: Any, stride: Any, padding: Any,
          dilation: Any, groups: Any) -> Tensor:
    x = _float_tensor(op, "input", x)
    weight = _float_tensor(op, "weight", weight)
    bias = None if bias is None else _float_tensor(op, "bias", bias)
    _check_input(op, x, ndim)
    if weight.ndim != ndim + 2:
        kernel_axes = ", ".join("K" + a for a in _AXES[ndim]) if ndim > 1 else "K"
        raise ValueError(f"{op}: weight must have shape (C_out, C_in/groups, {kernel_axes}), "
                         f"got shape {weight.shape}")
    stride, padding, dilation, groups = conv_options(op, ndim, stride, padding, dilation,
                                                     groups)
    c_in = x.shape[-1 - ndim]
    c_out, c_group, *kernel = weight.shape
    if c_out % groups:
        raise ValueError(f"{op}: C_out = {c_out} (weight shape {weight.shape}) is not "
                         f"divisible by groups = {groups}")
    if c_in % groups:
        raise ValueError(f"{op}: C_in = {c_in} (input shape {x.shape}) is not divisible by "
                         f"groups = {groups}")
    if c_in != c_group * groups:
        raise ValueError(
            f"{op}: input has {c_in} channels but weight expects {c_group * groups} "
            f"(= C_in/groups {c_group} × groups {groups}); input shape {x.shape}, "
            f"weight shape {weight.shape}"
        )
    if bias is not None and bias.shape != (c_out,):
        raise ValueError(f"{op}: bias must have shape ({c_out},) = (C_out,), got {bias.shape}")
    grid = _conv_grid(op, x.shape[-ndim:], tuple(kernel), stride, padding, dilation)
    return _product(weight, _unfold(x, grid), groups, bias, name=op)


def conv1d(
    x: Any,
    weight: Any,
    bias: Any = None,
    stride: int = 1,
    padding: int | str = 0,
    dilation: int = 1,
    groups: int = 1,
) -> Tensor:
    """1-D cross-correlation, as ``torch.nn.functional.conv1d``.

    ``out[n, o, l] = bias[o] + sum_{c, k} weight[o, c, k] * x_pad[n, g*C_in/groups + c,
    l*stride + k*dilation]`` where ``g`` is the group of output channel ``o``.

    Parameters
    ----------
    x : Tensor
        ``(N, C_in, L)``, or unbatched ``(C_in, L)``.
    weight : Tensor
        ``(C_out, C_in / groups, K)``.
    bias : Tensor, optional
        ``(C_out,)``.
    stride, dilation : int
        Step between windows and between the taps of a window (>= 1).
    padding : int or {"valid", "same"}
        Zeros added at both ends; ``"valid"`` is 0, ``"same"`` keeps the length
        (stride 1 only; an odd total padding puts the extra zero on the right, as in
        PyTorch).
    groups : int
        Split the channels into ``groups`` independent convolutions; ``C_in`` and
        ``C_out`` must both be divisible by it.

    Returns
    -------
    Tensor
        ``(N, C_out, L_out)`` (``(C_out, L_out)`` for unbatched input), with
        ``L_out = floor((L + 2*padding - dilation*(K-1) - 1) / stride) + 1``. Inputs of
        different float dtypes give the wider one (PyTorch raises instead).

    Raises
    ------
    ValueError, TypeError
        On wrong ranks, mismatched channels, indivisible groups, a kernel longer than the
        padded input, or bad stride/padding/dilation values.
    """
    return _conv("conv1d", 1, x, weight, bias, stride, padding, dilation, groups)


def conv2d(
    x: Any,
    weight: Any,
    bias: Any = None,
    stride: int | tuple[int, int] = 1,
    padding: int | tuple[int, int] | str = 0,
    dilation: int | tuple[int, int] = 1,
    groups: int = 1,
) -> Tensor:
    """2-D cross-correlation, as ``torch.nn.functional.conv2d``.

    Parameters
    ----------
    x : Tensor
        ``(N, C_in, H, W)``, or unbatched ``(C_in, H, W)``.
    weight : Tensor
        ``(C_out, C_in / groups, KH, KW)``.
    bias : Tensor, optional
        ``(C_out,)``.
    stride, padding, dilation : int or (int, int)
        As in :func:`conv1d`, for each axis; ``padding`` may also be ``"valid"`` or
        ``"same"``.
    groups : int
        Split the channels into ``groups`` independent convolutions.

    Returns
    -------
    Tensor
        ``(N, C_out, H_out, W_out)``, each axis as ``L_out`` of :func:`conv1d`.
    """
    return _conv("conv2d", 2, x, weight, bias, stride, padding, dilation, groups)


# ---------------------------------------------------------------------- im2col, public


def _im2col_array(x: np.ndarray, grid: _Grid) -> np.ndarray:
    cols = _unfold_array(x, grid)  # (*lead, C, *K, *L_out), contiguous: reshapes are views
    lead = x.shape[: x.ndim - len(grid.kernel) - 1]
    return cols.reshape(*lead, math.prod(cols.shape[len(lead) : -len(grid.out)]),
                        math.prod(grid.out))


def _col2im_array(cols: np.ndarray, grid: _Grid) -> np.ndarray:
    lead = cols.shape[:-2]
    channels = cols.shape[-2] // math.prod(grid.kernel)
    return _fold_array(cols.reshape(*lead, channels, *grid.kernel, *grid.out), grid)


_im2col, _col2im = _linear_pair("unfold", _im2col_array, "fold", _col2im_array)


def unfold(x: Any, kernel_size: Any, dilation: Any = 1, padding: Any = 0,
           stride: Any = 1) -> Tensor:
    """The sliding blocks of an image as columns ("im2col"), as
    ``torch.nn.functional.unfold``.

    Parameters
    ----------
    x : Tensor
        ``(N, C, H, W)``, or unbatched ``(C, H, W)``.
    kernel_size, dilation, padding, stride : int or (int, int)
        The blocks, as for :func:`conv2d` (zero padding).

    Returns
    -------
    Tensor
        ``(N, C * KH * KW, L)`` with ``L = H_out * W_out`` blocks; a row is a channel and
        a kernel position (channel-major). ``conv2d(x, w)`` is ``w.reshape(C_out, -1) @
        unfold(x, K)`` reshaped. Its gradient is :func:`fold`.
    """
    op = "unfold"
    x = _float_tensor(op, "input", x)
    _check_input(op, x, 2)
    kernel = int_tuple(op, "kernel_size", kernel_size, 2, 1)
    stride, padding, dilation, _ = conv_options(op, 2, stride, padding, dilation)
    if isinstance(padding, str):
        raise ValueError(f"{op}: padding must be an int or a pair of ints, got {padding!r}")
    return _im2col(x, _conv_grid(op, x.shape[-2:], kernel, stride, padding, dilation))


def fold(x: Any, output_size: Any, kernel_size: Any, dilation: Any = 1, padding: Any = 0,
         stride: Any = 1) -> Tensor:
    """Sum columns of sliding blocks back into an image ("col2im"), as
    ``torch.nn.functional.fold``: the transpose of :func:`unfold`, which is its gradient.

    Parameters
    ----------
    x : Tensor
        ``(N, C * KH * KW, L)``, or unbatched ``(C * KH * KW, L)``.
    output_size : int or (int, int)
        ``(H, W)`` of the image.
    kernel_size, dilation, padding, stride : int or (int, int)
        As for :func:`unfold`.

    Returns
    -------
    Tensor
        ``(N, C, H, W)``: each block added at its place (overlaps sum up).
    """
    op = "fold"
    x = _float_tensor(op, "input", x)
    if x.ndim not in (2, 3):
        raise ValueError(f"{op}: expected input of shape (N, C*KH*KW, L) or unbatched "
                         f"(C*KH*KW, L), got shape {x.shape}")
    size = int_tuple(op, "output_size", output_size, 2, 1)
    kernel = int_tuple(op, "kernel_size", kernel_size, 2, 1)
    stride, padding, dilation, _ = conv_options(op, 2, stride, padding, dilation)
    if isinstance(padding, str):
        raise ValueError(f"{op}: padding must be an int or a pair of ints, got {padding!r}")
    grid = _conv_grid(op, size, kernel, stride, padding, dilation)
    rows, blocks = x.shape[-2:]
    if rows % math.prod(kernel):
        raise ValueError(f"{op}: input has {rows} rows, not a multiple of the kernel's "
                         f"{math.prod(kernel)} positions (kernel_size {kernel})")
    if blocks != math.prod(grid.out):
        raise ValueError(
            f"{op}: input has {blocks} blocks but output_size {size} with kernel_size "
            f"{kernel}, dilation {dilation}, padding {padding}, stride {stride} gives "
            f"{grid.out[0]} × {grid.out[1]} = {math.prod(grid.out)}"
        )
    return _col2im(x, grid)


# -------------------------------------------------------------------------- pooling


def _pool_grid(
    op: str, x: Tensor, ndim: int, kernel_size: Any, stride: Any, padding: Any,
    dilation: Any, ceil_mode: bool,
) -> _Grid:
    """The windows of a pool, with PyTorch's rules: ``stride`` defaults to the kernel,
    padding is at most half the kernel, and in ceil mode the last window must start
    inside the input or the left padding."""
    _check_input(op, x, ndim)
    kernel = int_tuple(op, "kernel_size", kernel_size, ndim, 1)
    if stride is None or (isinstance(stride, (tuple, list)) and len(stride) == 0):
        stride = kernel  # PyTorch's default (None or [])
    stride = int_tuple(op, "stride", stride, ndim, 1)
    padding = int_tuple(op, "padding", padding, ndim, 0)
    dilation = int_tuple(op, "dilation", dilation, ndim, 1)
    # PyTorch's limit (dilation not counted)
    if any(p > k // 2 for p, k in zip(padding, kernel, strict=True)):
        shown = (lambda t: t[0]) if ndim == 1 else (lambda t: t)
        raise ValueError(
            f"{op}: padding should be at most half of kernel_size, got "
            f"padding={shown(padding)} and kernel_size={shown(kernel)}"
        )
    size = x.shape[-ndim:]
    out, right = [], []
    for length, k, s, p, d in zip(size, kernel, stride, padding, dilation, strict=True):
        span = d * (k - 1) + 1
        n_out = (length + 2 * p - span + (s - 1 if ceil_mode else 0)) // s + 1
        if ceil_mode and (n_out - 1) * s >= length + p:
            n_out -= 1
        if n_out < 1:
            raise ValueError(
                f"{op}: input length {length} (+ padding {p} each side) is too short for "
                f"a window of {span} positions (kernel_size {k}, dilation {d}); the output "
                f"would have length {n_out}"
            )
        out.append(n_out)
        right.append(max((n_out - 1) * s + span - length - p, 0))  # ceil mode: more
    return _Grid(size, kernel, stride, dilation, padding, tuple(right), tuple(out))


def _tap_masks(arg: np.ndarray, grid: _Grid) -> Iterator[tuple[np.ndarray, Any]]:
    """For each kernel tap, where it is its window's arg-max, and its slices."""
    for j, (_, where) in enumerate(grid.taps):
        yield arg == j, where


def _unpool_array(g: np.ndarray, arg: np.ndarray, grid: _Grid) -> np.ndarray:
    """Each window's gradient sent to its arg-max tap, summed where windows overlap.

    Masks multiply (np.where is several times slower): a non-finite gradient would
    spread NaN over its window (inf * 0), as an infinite gradient has already diverged.
    """
    out = np.zeros(g.shape[: g.ndim - len(grid.kernel)] + grid.padded, dtype=g.dtype)
    for chosen, where in _tap_masks(arg, grid):
        out[where] += g * chosen
    return grid.crop(out)


def _take_max_array(x: np.ndarray, arg: np.ndarray, grid: _Grid) -> np.ndarray:
    """The transpose of :func:`_unpool_array`: each window's arg-max tap of ``x``."""
    xp = grid.pad(x)  # the arg-max is never in the padding: the value does not matter
    out = np.zeros(arg.shape, dtype=x.dtype)
    for chosen, where in _tap_masks(arg, grid):
        out += xp[where] * chosen
    return out


_unpool, _take_max = _linear_pair("max_unpool", _unpool_array, "take_max", _take_max_array)


def _first_tap_inside(grid: _Grid) -> np.ndarray:
    """The row-major index of each window's first tap inside the input (not padding)."""
    ndim = len(grid.kernel)
    first = np.zeros(grid.out, dtype=np.int64)
    for i, (n, s, d, p, k) in enumerate(
        zip(grid.out, grid.stride, grid.dilation, grid.left, grid.kernel, strict=True)
    ):
        starts = np.arange(n) * s - p
        along = np.maximum(-(starts // d), 0)  # ceil(-start / d)
        first = first * k + along.reshape([-1 if a == i else 1 for a in range(ndim)])
    return first


def _max_pool(op: str, ndim: int, x: Any, kernel_size: Any, stride: Any, padding: Any,
              dilation: Any, ceil_mode: bool, return_indices: bool) -> Any:
    x = _float_tensor(op, "input", x)
    grid = _pool_grid(op, x, ndim, kernel_size, stride, padding, dilation, ceil_mode)
    xp = grid.pad(x._array, -np.inf)
    taps = [xp[where] for _, where in grid.taps]
    # As in PyTorch's kernel: start from -inf at the first tap inside the input, and move
    # to a later tap when it is strictly larger (so ties keep the first, and the -inf
    # padding is never chosen), or when it is NaN (so the last NaN wins).
    # A loop over the taps (few) with arithmetic instead of masked assignment runs
    # several times faster than an argmax over a window axis.
    idx_dtype = np.min_scalar_type(len(taps))
    if any(grid.left):
        best = np.full(taps[0].shape, -np.inf, dtype=x.dtype)
        arg = np.broadcast_to(_first_tap_inside(grid).astype(idx_dtype), best.shape).copy()
        start = 0
    else:  # the first tap is always inside: starting from it gives the same result
        best, arg, start = taps[0].copy(), np.zeros(taps[0].shape, dtype=idx_dtype), 1
    for j in range(start, len(taps)):
        # take -> j, else keep arg: j exceeds every earlier tap's index.
        np.maximum(arg, (taps[j] > best) * idx_dtype.type(j), out=arg)
        np.maximum(best, taps[j], out=best)  # np.maximum propagates NaN
    if np.isnan(best).any():  # rare: point NaN windows at their last NaN
        for j, tap in enumerate(taps):
            arg = np.where(np.isnan(tap), idx_dtype.type(j), arg)

    # The gradient is linear in g with a constant arg-max: differentiable again.
    out = Tensor.from_op(best, (x,), lambda g, out, x: (_unpool(g, arg, grid),), op)
    if not return_indices:
        return out
    # The arg-max's flat position in the (unpadded) input plane, as PyTorch returns it.
    tap_index = np.unravel_index(arg, grid.kernel)
    flat = np.zeros(arg.shape, dtype=np.int64)
    for i, (n, s, d, p, size) in enumerate(
        zip(grid.out, grid.stride, grid.dilation, grid.left, grid.size, strict=True)
    ):
        starts = (np.arange(n) * s - p).reshape([-1 if a == i else 1 for a in range(ndim)])
        flat = flat * size + starts + tap_index[i].astype(np.int64) * d
    return out, Tensor._wrap(flat)


def max_pool1d(
    x: Any,
    kernel_size: int,
    stride: int | None = None,
    padding: int = 0,
    dilation: int = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Tensor | tuple[Tensor, Tensor]:
    """Maximum over sliding windows of the last axis, as ``torch.nn.functional.max_pool1d``.

    Parameters
    ----------
    x : Tensor
        ``(N, C, L)`` or unbatched ``(C, L)``.
    kernel_size : int
        Window length.
    stride : int, optional
        Step between windows; defaults to ``kernel_size``.
    padding : int
        Implicit ``-inf`` added at both ends (at most half the window).
    dilation : int
        Step between the elements of a window.
    ceil_mode : bool
        Round the output length up, letting the last window hang over the end.
    return_indices : bool
        Also return the position in ``x`` (last axis) of each maximum, as int64.

    Returns
    -------
    Tensor or (Tensor, Tensor)
        ``(N, C, L_out)``. The gradient flows to the arg-max of each window; on ties to
        the first one and a NaN always wins (the last NaN), exactly as in PyTorch.
    """
    return _max_pool("max_pool1d", 1, x, kernel_size, stride, padding, dilation, ceil_mode,
                     return_indices)


def max_pool2d(
    x: Any,
    kernel_size: int | tuple[int, int],
    stride: int | tuple[int, int] | None = None,
    padding: int | tuple[int, int] = 0,
    dilation: int | tuple[int, int] = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Tensor | tuple[Tensor, Tensor]:
    """Maximum over sliding windows of the last two axes, as
    ``torch.nn.functional.max_pool2d``.

    Parameters and ties as in :func:`max_pool1d`, per axis; ``x`` is ``(N, C, H, W)`` or
    ``(C, H, W)``. The indices are flat positions ``h * W + w`` in the input plane.
    """
    return _max_pool("max_pool2d", 2, x, kernel_size, stride, padding, dilation, ceil_mode,
                     return_indices)


def _window_sum_array(x: np.ndarray, grid: _Grid, scale: np.ndarray) -> np.ndarray:
    """``scale * (sum of each window of the zero-padded x)``: one strided add per tap."""
    xp, out = grid.pad(x), None
    for _, where in grid.taps:
        out = xp[where].copy() if out is None else np.add(out, xp[where], out=out)
    out *= scale
    return out


def _window_spread_array(g: np.ndarray, grid: _Grid, scale: np.ndarray) -> np.ndarray:
    """The transpose of :func:`_window_sum_array`: ``scale * g`` added to every tap."""
    gs = g * scale
    out = np.zeros(g.shape[: g.ndim - len(grid.kernel)] + grid.padded, dtype=g.dtype)
    for _, where in grid.taps:
        out[where] += gs
    return grid.crop(out)


_window_mean, _window_mean_t = _linear_pair(
    "avg_pool", _window_sum_array, "avg_pool_backward", _window_spread_array
)


def _window_sizes(grid: _Grid, count_include_pad: bool) -> Any:
    """How many positions each window averages: along each axis, the padding counts or
    not, but never beyond it (ceil mode's last window), as in PyTorch; the product over
    the axes. One number when every window has the same size (the common case)."""
    axes = zip(grid.out, grid.stride, grid.left, grid.kernel, grid.size, strict=True)
    if all((count_include_pad or p == 0) and (n - 1) * s - p + k <= size + p
           for n, s, p, k, size in axes):
        return math.prod(grid.kernel)
    sizes = None
    for n, s, p, k, size in zip(grid.out, grid.stride, grid.left, grid.kernel, grid.size,
                                strict=True):
        starts = np.arange(n) * s - p
        ends = np.minimum(starts + k, size + p)
        along = ends - starts if count_include_pad else (
            np.minimum(ends, size) - np.maximum(starts, 0))
        sizes = along if sizes is None else np.multiply.outer(sizes, along)
    return sizes


def _avg_pool(op: str, ndim: int, x: Any, kernel_size: Any, stride: Any, padding: Any,
              ceil_mode: bool, count_include_pad: bool, divisor_override: Any) -> Tensor:
    x = _float_tensor(op, "input", x)
    grid = _pool_grid(op, x, ndim, kernel_size, stride, padding, 1, ceil_mode)
    if divisor_override is not None:
        (divisor,) = int_tuple(op, "divisor_override", divisor_override, 1, 1)
        scale = np.asarray(1.0 / divisor, dtype=x.dtype)
    else:
        scale = np.asarray(1.0 / _window_sizes(grid, count_include_pad), dtype=x.dtype)
    return _window_mean(x, grid, scale, op=op)


def avg_pool1d(
    x: Any,
    kernel_size: int,
    stride: int | None = None,
    padding: int = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
) -> Tensor:
    """Mean over sliding windows of the last axis, as ``torch.nn.functional.avg_pool1d``.

    Parameters
    ----------
    x : Tensor
        ``(N, C, L)`` or unbatched ``(C, L)``.
    kernel_size : int
        Window length.
    stride : int, optional
        Step between windows; defaults to ``kernel_size``.
    padding : int
        Implicit zeros added at both ends (at most half the window).
    ceil_mode : bool
        Round the output length up, letting the last window hang over the end.
    count_include_pad : bool
        Divide by the window length including the zero padding (True), or by the number
        of input elements in the window (False). A window hanging past the padding in
        ceil mode never counts the positions beyond it, as in PyTorch.

    Returns
    -------
    Tensor
        ``(N, C, L_out)``.
    """
    return _avg_pool("avg_pool1d", 1, x, kernel_size, stride, padding, ceil_mode,
                     count_include_pad, None)


def avg_pool2d(
    x: Any,
    kernel_size: int | tuple[int, int],
    stride: int | tuple[int, int] | None = None,
    padding: int | tuple[int, int] = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
) -> Tensor:
    """Mean over sliding windows of the last two axes, as
    ``torch.nn.functional.avg_pool2d``.

    Parameters as in :func:`avg_pool1d`, per axis; ``x`` is ``(N, C, H, W)`` or
    ``(C, H, W)``. ``divisor_override``, when given, divides every window's sum by it
    instead of by the window's size.
    """
    return _avg_pool("avg_pool2d", 2, x, kernel_size, stride, padding, ceil_mode,
                     count_include_pad, divisor_override)
