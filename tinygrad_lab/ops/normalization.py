"""The ops behind the normalisation layers: ``layer_norm`` and ``batch_norm``
(``torch.nn.functional``'s).

Both are compositions of ``mean``, ``sub``, ``mul``, ``sqrt`` and ``div``: their
gradients, of every order, come from those ops. The variance is the biased one
(``correction=0``), as PyTorch normalises with it; batch_norm's running variance is
the unbiased one, as in PyTorch.
"""

from __future__ import annotations

import operator
from typing import Any

import numpy as np

from ..engine import mark_changed
from ..tensor import Tensor
from ._axes import unary
from .reduce import mean


def _normalize(x: Tensor, axes: tuple[int, ...], eps: float) -> tuple[Tensor, Tensor, Tensor]:
    """``(x - mean) / sqrt(var + eps)`` over ``axes``, with the batch mean and biased
    variance (kept-dims shape) it used."""
    mu = mean(x, axes, keepdim=True)
    centred = x - mu
    var = mean(centred * centred, axes, keepdim=True)
    return centred / (var + eps).sqrt(), mu, var


def _float_input(op: str, x: Tensor) -> None:
    if x.dtype.kind != "f":
        raise RuntimeError(f"{op}: expected a floating point input, got dtype {x.dtype}")


def layer_norm(input: Any, normalized_shape: Any, weight: Any = None, bias: Any = None,  # noqa: A002
               eps: float = 1e-5) -> Tensor:
    """Normalise over the last ``len(normalized_shape)`` dims: ``(x - mean) /
    sqrt(var + eps) * weight + bias``, the mean and (biased) variance taken per sample
    over those dims (``torch.nn.functional.layer_norm``).

    Parameters
    ----------
    input : Tensor, shape (*, *normalized_shape)
    normalized_shape : int or sequence of int
        The trailing shape to normalise over.
    weight, bias : Tensor of shape ``normalized_shape``, optional
    eps : float
        Added to the variance, for stability.
    """
    x = unary(input)
    shape = _shape(normalized_shape)
    _float_input("layer_norm", x)
    if not shape or len(shape) > x.ndim or x.shape[x.ndim - len(shape):] != shape:
        raise RuntimeError(
            f"layer_norm: given normalized_shape={list(shape)}, expected input with shape "
            f"[*, {', '.join(map(str, shape))}], but got input of size {list(x.shape)}"
        )
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != shape:
            raise RuntimeError(
                f"layer_norm: expected {name} to be of same shape as normalized_shape, but "
                f"got {name} of shape {list(t.shape)} and normalized_shape = {list(shape)}"
            )
    out, _, _ = _normalize(x, tuple(range(x.ndim - len(shape), x.ndim)), eps)
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out


def _shape(normalized_shape: Any) -> tuple[int, ...]:
    if isinstance(normalized_shape, (int, np.integer)):
        return (int(normalized_shape),)
    try:
        return tuple(operator.index(n) for n in normalized_shape)
    except TypeError:
        raise TypeError(
            f"layer_norm: normalized_shape must be an int or a sequence of ints, got "
            f"{normalized_shape!r}"
        ) from None


def batch_norm(input: Any, running_mean: Any, running_var: Any, weight: Any = None,  # noqa: A002
               bias: Any = None, training: bool = False, momentum: float = 0.1,
               eps: float = 1e-5) -> Tensor:
    """Normalise each channel (dim 1) of ``(N, C, *)`` over the batch and the other dims
    (``torch.nn.functional.batch_norm``).

    In training (``training=True``) the batch's mean and biased variance normalise,
    and the running statistics, when given, are updated in place (outside autograd):
    ``running = (1 - momentum) * running + momentum * batch``, with the *unbiased*
    batch variance for ``running_var``, as in PyTorch. Otherwise ``running_mean`` and
    ``running_var`` normalise (no gradient flows into them). ``weight`` and ``bias``
    (shape ``(C,)``) scale and shift each channel.
    """
    x = unary(input)
    _float_input("batch_norm", x)
    channels = x.shape[1] if x.ndim >= 2 else 0
    for name, t in (("running_mean", running_mean), ("running_var", running_var),
                    ("weight", weight), ("bias", bias)):
        if t is not None and t.numel() != channels:
            raise RuntimeError(
                f"batch_norm: {name} should contain {channels} elements not {t.numel()} "
                f"(input shape {x.shape}: channels are dim 1)"
            )
    axes = (0,) + tuple(range(2, x.ndim))
    per_channel = (1, channels) + (1,) * (x.ndim - 2)
    if training:
        n = x.numel() // max(channels, 1)
        if n <= 1:
            raise ValueError(
                "batch_norm: expected more than 1 value per channel when training, got "
                f"input size {x.shape}"
            )
        out, mu, var = _normalize(x, axes, eps)
        _update(running_mean, mu, momentum)
        _update(running_var, var, momentum, n / (n - 1))
    else:
        if running_mean is None or running_var is None:
            raise RuntimeError(
                "batch_norm: running_mean and running_var must be defined in evaluation "
                "mode (training=False)"
            )
        mu = running_mean.detach().reshape(per_channel)
        var = running_var.detach().reshape(per_channel)
        out = (x - mu) / (var + eps).sqrt()
    if weight is not None:
        out = out * weight.reshape(per_channel)
    if bias is not None:
        out = out + bias.reshape(per_channel)
    return out


def _update(running: Tensor | None, batch: Tensor, momentum: float,
            scale: float = 1.0) -> None:
    """``running = (1 - momentum) running + momentum scale batch``, in place in the
    running tensor's array (with its version bumped), outside autograd."""
    if running is None:
        return
    target = running._array
    value = batch._array.reshape(target.shape) * scale
    target *= 1 - momentum
    target += (momentum * value).astype(target.dtype, copy=False)
    mark_changed(running)


__all__ = ["batch_norm", "layer_norm"]
