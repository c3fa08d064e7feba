"""Convolution and pooling along one axis, in PyTorch's layout: ``x`` is ``(N, C, L)``
(or unbatched ``(C, L)``) and a conv weight is ``(C_out, C_in / groups, K)``.

conv1d is one batched matrix product ("im2col"): the K taps of every window are copied into
``cols``, of shape ``(N, groups, C_in/groups * K, L_out)``, and the weight, seen as
``(groups, C_out/groups, C_in/groups * K)``, multiplies it. The backward pass is the same
product transposed: ``dW = sum_n dY_n @ cols_nᵀ`` and ``dcols = Wᵀ @ dY``; ``dcols`` goes
back to the input positions it was copied from ("col2im"), one strided add per kernel tap.

The output positions are the last axis of ``cols`` so that the copy into it and the
col2im adds run over long contiguous rows (not rows of K elements), and so that the
product lands directly in the ``(N, C_out, L_out)`` layout with no transpose.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ..tensor import Tensor, as_tensor

# ------------------------------------------------------------------------- arguments


def _int_arg(op: str, name: str, value: Any, minimum: int) -> int:
    """An int argument (PyTorch also accepts a 1-tuple) that must be ``>= minimum``."""
    if isinstance(value, (tuple, list)) and len(value) == 1:
        value = value[0]
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{op}: {name} must be an int, got {value!r}")
    if value < minimum:
        raise ValueError(f"{op}: {name} must be >= {minimum}, got {value}")
    return int(value)


def _float_tensor(op: str, name: str, value: Any) -> Tensor:
    t = as_tensor(value)
    if t.dtype.kind != "f":
        raise TypeError(
            f"{op}: {name} must be a float tensor, got dtype {t.dtype} (shape {t.shape}); "
            "convert it, e.g. Tensor(data, dtype=np.float32)"
        )
    return t


def _input_3d(op: str, x: Tensor) -> tuple[np.ndarray, bool]:
    """The input as ``(N, C, L)`` and whether it came unbatched as ``(C, L)``."""
    if x.ndim not in (2, 3):
        raise ValueError(
            f"{op}: expected input of shape (N, C, L) or unbatched (C, L), got shape {x.shape}"
        )
    return (x.data[None], True) if x.ndim == 2 else (x.data, False)


def _windows(xp: np.ndarray, k: int, stride: int, dilation: int, n_out: int) -> list:
    """The ``k`` taps of ``n_out`` windows over the last axis of ``xp``, as strided views:
    ``taps[j][..., l] == xp[..., l * stride + j * dilation]``."""
    last = (n_out - 1) * stride + 1
    return [xp[..., j * dilation : j * dilation + last : stride] for j in range(k)]


# --------------------------------------------------------------------------- conv1d


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
        ``L_out = floor((L + 2*padding - dilation*(K-1) - 1) / stride) + 1``.

    Raises
    ------
    ValueError, TypeError
        On wrong ranks, mismatched channels, indivisible groups, a kernel longer than the
        padded input, or bad stride/padding/dilation values.
    """
    op = "conv1d"
    x = _float_tensor(op, "input", x)
    weight = _float_tensor(op, "weight", weight)
    bias = None if bias is None else _float_tensor(op, "bias", bias)
    xd, unbatched = _input_3d(op, x)
    if weight.ndim != 3:
        raise ValueError(
            f"{op}: weight must have shape (C_out, C_in/groups, K), got shape {weight.shape}"
        )
    stride = _int_arg(op, "stride", stride, 1)
    dilation = _int_arg(op, "dilation", dilation, 1)
    groups = _int_arg(op, "groups", groups, 1)
    n, c_in, length = xd.shape
    c_out, c_group, k = weight.shape
    if c_out % groups:
        raise ValueError(
            f"{op}: C_out = {c_out} (weight shape {weight.shape}) is not divisible by "
            f"groups = {groups}"
        )
    if c_in % groups:
        raise ValueError(
            f"{op}: C_in = {c_in} (input shape {x.shape}) is not divisible by groups = {groups}"
        )
    if c_in != c_group * groups:
        raise ValueError(
            f"{op}: input has {c_in} channels but weight expects {c_group * groups} "
            f"(= C_in/groups {c_group} × groups {groups}); input shape {x.shape}, "
            f"weight shape {weight.shape}"
        )
    if bias is not None and bias.shape != (c_out,):
        raise ValueError(f"{op}: bias must have shape ({c_out},) = (C_out,), got {bias.shape}")
    span = dilation * (k - 1) + 1  # length covered by one dilated window
    if isinstance(padding, str):
        if padding == "valid":
            left = right = 0
        elif padding == "same":
            if stride != 1:
                raise ValueError(f"{op}: padding='same' needs stride 1, got stride {stride}")
            left = (span - 1) // 2
            right = span - 1 - left
        else:
            raise ValueError(
                f"{op}: padding must be an int, 'valid' or 'same', got {padding!r}"
            )
    else:
        left = right = _int_arg(op, "padding", padding, 0)
    padded = length + left + right
    if span > padded:
        raise ValueError(
            f"{op}: the kernel spans {span} positions (K {k}, dilation {dilation}) but the "
            f"padded input has only {padded} (L {length} + padding {left + right})"
        )
    n_out = (padded - span) // stride + 1

    dtype = np.result_type(xd, weight.data, *(() if bias is None else (bias.data,)))
    xp = np.pad(xd, ((0, 0), (0, 0), (left, right))) if left or right else xd
    # cols[n, g, (c, k), l] = xp[n, g*C_in/groups + c, l*stride + k*dilation]
    win = sliding_window_view(xp, span, axis=2)[:, :, ::stride, ::dilation]
    cols = win.reshape(n, groups, c_group, n_out, k).transpose(0, 1, 2, 4, 3)
    cols = np.ascontiguousarray(cols, dtype=dtype).reshape(n, groups, c_group * k, n_out)
    w = weight.data.astype(dtype, copy=False).reshape(groups, c_out // groups, c_group * k)
    # One (C_out/groups, C_in/groups*K) @ (C_in/groups*K, L_out) product per sample and
    # group, written straight into the (N, C_out, L_out) layout.
    out = np.matmul(w, cols).reshape(n, c_out, n_out)
    if bias is not None:
        out += bias.data[:, None]
    if not weight.requires_grad:
        cols = None  # only dW needs the windows; free them now

    def backward(g: np.ndarray) -> tuple:
        gm = g.reshape(n, groups, c_out // groups, n_out)
        gx = gw = gb = None
        if bias is not None and bias.requires_grad:
            gb = gm.sum(axis=(0, 3)).reshape(c_out)
        if weight.requires_grad and cols is not None:
            if c_out // groups <= n_out:
                # One product per sample, then a sum: the (N, C_out, C_in/groups*K)
                # partial products are no larger than cols itself.
                gw = np.matmul(gm, cols.transpose(0, 1, 3, 2)).sum(axis=0)
            else:  # they would be larger: contract over (n, l) in one product per group
                gw = np.stack([np.tensordot(gm[:, i], cols[:, i], axes=([0, 2], [0, 2]))
                               for i in range(groups)])
            gw = gw.reshape(weight.shape)
        if x.requires_grad:
            gcols = np.matmul(w.transpose(0, 2, 1), gm).reshape(n, c_in, k, n_out)
            # col2im: each tap's gradient goes back to the positions it was copied from.
            gxp = np.zeros((n, c_in, padded), dtype=dtype)
            for j, tap in enumerate(_windows(gxp, k, stride, dilation, n_out)):
                tap += gcols[:, :, j]
            gx = gxp[..., left : left + length] if left or right else gxp
            if unbatched:
                gx = gx[0]
        return (gx, gw) if bias is None else (gx, gw, gb)

    parents = (x, weight) if bias is None else (x, weight, bias)
    return Tensor.from_op(out[0] if unbatched else out, parents, backward, op)


# -------------------------------------------------------------------------- pooling


def _pool_length(
    op: str, length: int, k: int, stride: int, padding: int, dilation: int, ceil_mode: bool
) -> int:
    """Number of windows, with PyTorch's rule that in ceil mode the last window must
    start inside the input or the left padding."""
    span = dilation * (k - 1) + 1
    numerator = length + 2 * padding - span + (stride - 1 if ceil_mode else 0)
    n_out = numerator // stride + 1
    if ceil_mode and (n_out - 1) * stride >= length + padding:
        n_out -= 1
    if n_out < 1:
        raise ValueError(
            f"{op}: input length {length} (+ padding {padding} each side) is too short for "
            f"a window of {span} positions (kernel_size {k}, dilation {dilation}); the "
            f"output would have length {n_out}"
        )
    return n_out


def _pool_args(
    op: str, x: Any, kernel_size: Any, stride: Any, padding: Any, dilation: Any,
    ceil_mode: bool,
) -> tuple[Tensor, np.ndarray, bool, int, int, int, int, int, int]:
    x = _float_tensor(op, "input", x)
    xd, unbatched = _input_3d(op, x)
    k = _int_arg(op, "kernel_size", kernel_size, 1)
    if stride is None or (isinstance(stride, (tuple, list)) and len(stride) == 0):
        stride = k  # PyTorch's default (None or [])
    stride = _int_arg(op, "stride", stride, 1)
    padding = _int_arg(op, "padding", padding, 0)
    dilation = _int_arg(op, "dilation", dilation, 1)
    if padding > k // 2:  # PyTorch's limit (dilation not counted)
        raise ValueError(
            f"{op}: padding should be at most half of kernel_size, got padding={padding} "
            f"and kernel_size={k}"
        )
    length = xd.shape[-1]
    n_out = _pool_length(op, length, k, stride, padding, dilation, ceil_mode)
    # Right padding: what the last window needs (more than `padding` in ceil mode).
    span = dilation * (k - 1) + 1
    right = max((n_out - 1) * stride + span - length - padding, 0)
    return x, xd, unbatched, k, stride, padding, dilation, n_out, right


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
        Implicit ``-inf`` added at both ends (at most half the dilated window).
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
    op = "max_pool1d"
    x, xd, unbatched, k, stride, padding, dilation, n_out, right = _pool_args(
        op, x, kernel_size, stride, padding, dilation, ceil_mode
    )
    xp = xd
    if padding or right:
        xp = np.pad(xd, ((0, 0), (0, 0), (padding, right)), constant_values=-np.inf)
    taps = _windows(xp, k, stride, dilation, n_out)
    # As in PyTorch's kernel: start from -inf at the first tap inside the input, and move
    # to a later tap when it is strictly larger (so ties keep the first, and the -inf
    # padding is never chosen), or when it is NaN (so the last NaN wins).
    # A loop over the k taps (k is small) with arithmetic instead of masked assignment
    # runs several times faster than argmax over a window axis.
    starts = np.arange(n_out) * stride - padding
    idx_dtype = np.min_scalar_type(k)
    if padding:
        first = np.maximum(-(starts // dilation), 0).astype(idx_dtype)  # ceil(-start/d)
        best = np.full(taps[0].shape, -np.inf, dtype=xd.dtype)
        arg = np.broadcast_to(first, best.shape).copy()
    else:  # the first tap is always inside: starting from it gives the same result
        best = taps[0].copy()
        arg = np.zeros(best.shape, dtype=idx_dtype)
    for j in range(0 if padding else 1, k):
        # take -> j, else keep arg: j exceeds every earlier real tap's index.
        np.maximum(arg, (taps[j] > best) * idx_dtype.type(j), out=arg)
        np.maximum(best, taps[j], out=best)  # np.maximum propagates NaN
    if np.isnan(best).any():  # rare: point NaN windows at their last NaN
        for j, tap in enumerate(taps):
            arg = np.where(np.isnan(tap), idx_dtype.type(j), arg)

    def backward(g: np.ndarray) -> tuple[np.ndarray]:
        g3 = g[None] if unbatched else g
        gxp = np.zeros(xp.shape, dtype=xd.dtype)
        for j, tap in enumerate(_windows(gxp, k, stride, dilation, n_out)):
            tap += g3 * (arg == j)
        gx = gxp[..., padding : padding + xd.shape[-1]]
        return (gx[0] if unbatched else gx,)

    out = Tensor.from_op(best[0] if unbatched else best, (x,), backward, op)
    if not return_indices:
        return out
    positions = starts + arg.astype(np.int64) * dilation
    return out, Tensor._wrap(positions[0] if unbatched else positions)


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
    op = "avg_pool1d"
    x, xd, unbatched, k, stride, padding, _, n_out, right = _pool_args(
        op, x, kernel_size, stride, padding, 1, ceil_mode
    )
    length = xd.shape[-1]
    xp = np.pad(xd, ((0, 0), (0, 0), (padding, right))) if padding or right else xd
    starts = np.arange(n_out) * stride - padding
    if count_include_pad:
        count = np.minimum(starts + k, length + padding) - starts
    else:
        count = np.minimum(starts + k, length) - np.maximum(starts, 0)
    scale = (1.0 / count).astype(xd.dtype)
    taps = _windows(xp, k, stride, 1, n_out)
    out = taps[0].copy()  # summing tap by tap, like the conv: k small strided adds
    for tap in taps[1:]:
        out += tap
    out *= scale

    def backward(g: np.ndarray) -> tuple[np.ndarray]:
        gs = (g[None] if unbatched else g) * scale
        gxp = np.zeros(xp.shape, dtype=xd.dtype)
        for tap in _windows(gxp, k, stride, 1, n_out):
            tap += gs
        gx = gxp[..., padding : padding + length]
        return (gx[0] if unbatched else gx,)

    return Tensor.from_op(out[0] if unbatched else out, (x,), backward, op)
