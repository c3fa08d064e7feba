"""The ops under PyTorch's functional names: ``import tinygrad_lab.nn.functional as F``.

Arguments are spelled as in ``torch.nn.functional`` (``dim=``, ``reduction=``,
``negative_slope=``...), so ported PyTorch code runs unchanged; Tensor methods keep NumPy's
``axis=``. Everything forwards to ``tinygrad_lab.ops`` except :func:`linear` and
:func:`dropout`, which are ops of their own written here.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..ops import activation as _act
from ..ops import conv as _conv
from ..ops import loss as _loss
from ..random import get_rng
from ..tensor import Tensor

__all__ = [
    "avg_pool1d",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "conv1d",
    "cross_entropy",
    "dropout",
    "elu",
    "gelu",
    "l1_loss",
    "leaky_relu",
    "linear",
    "log_softmax",
    "max_pool1d",
    "mse_loss",
    "nll_loss",
    "relu",
    "sigmoid",
    "softmax",
    "tanh",
]


def _tensor(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


# --------------------------------------------------------------------------- linear


def linear(input: Any, weight: Tensor, bias: Tensor | None = None) -> Tensor:  # noqa: A002
    """``input @ weight.T + bias``, as one op.

    One fused op instead of transpose, matmul and add: a third of the graph nodes and
    closures, and no transposed copy of the weight, in the hot path of every MLP.

    Parameters
    ----------
    input : Tensor, shape (..., in_features)
    weight : Tensor, shape (out_features, in_features)
    bias : Tensor, shape (out_features,), optional

    Returns
    -------
    Tensor, shape (..., out_features)
    """
    x = _tensor(input)
    xd, wd = x.data, weight.data
    if wd.ndim != 2:
        raise ValueError(
            f"linear: weight must be 2-D (out_features, in_features), got shape {wd.shape}"
        )
    out_features, in_features = wd.shape
    if xd.ndim == 0 or xd.shape[-1] != in_features:
        raise ValueError(
            f"linear: input of shape {xd.shape} does not fit weight of shape "
            f"{wd.shape}: the input's last axis must have in_features={in_features}"
        )
    if bias is not None and bias.data.shape != (out_features,):
        raise ValueError(
            f"linear: bias must have shape ({out_features},) to match weight "
            f"{wd.shape}, got {bias.data.shape}"
        )
    out = xd @ wd.T
    if bias is not None:
        out += bias.data  # ``out`` is fresh, so adding in place is safe

    def backward(g: np.ndarray) -> tuple[Any, ...]:
        # Leading (batch) axes, if more than one, fold into rows: Σ_n g_n x_nᵀ is then
        # one matmul.
        g2 = g if g.ndim == 2 else g.reshape(-1, out_features)
        x2 = xd if xd.ndim == 2 else xd.reshape(-1, in_features)
        gx = g @ wd if x.requires_grad else None  # d(x Wᵀ)/dx = W
        gw = g2.T @ x2 if weight.requires_grad else None
        gb = g2.sum(axis=0) if bias is not None and bias.requires_grad else None
        return (gx, gw) if bias is None else (gx, gw, gb)

    parents = (x, weight) if bias is None else (x, weight, bias)
    return Tensor.from_op(out, parents, backward, "linear")


# -------------------------------------------------------------------------- dropout


def dropout(input: Any, p: float = 0.5, training: bool = True) -> Tensor:  # noqa: A002
    """Inverted dropout: zero each element with probability ``p`` and scale the rest by
    ``1 / (1 - p)``, so the expected value is unchanged and evaluation needs no scaling.

    Does nothing (returns ``input``) when ``training`` is False or ``p`` is 0. The mask
    comes from the framework generator (see :func:`tinygrad_lab.random.manual_seed`).
    """
    if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout: probability has to be between 0 and 1, but got {p!r}")
    x = _tensor(input)
    if not training or p == 0.0:
        return x
    dtype = x.dtype if x.dtype.kind == "f" else np.dtype(np.float64)
    keep = get_rng().random(x.shape) >= p
    scale = 0.0 if p == 1.0 else 1.0 / (1.0 - p)
    mask = keep.astype(dtype) * dtype.type(scale)
    return Tensor.from_op(x.data * mask, (x,), lambda g: (g * mask,), "dropout")


# ---------------------------------------------------------------------- activations


def relu(input: Tensor) -> Tensor:  # noqa: A002
    """max(x, 0)."""
    return _act.relu(_tensor(input))


def leaky_relu(input: Tensor, negative_slope: float = 0.01) -> Tensor:  # noqa: A002
    """x where x > 0, else ``negative_slope * x``."""
    return _act.leaky_relu(_tensor(input), negative_slope)


def sigmoid(input: Tensor) -> Tensor:  # noqa: A002
    """1 / (1 + exp(-x))."""
    return _act.sigmoid(_tensor(input))


def tanh(input: Tensor) -> Tensor:  # noqa: A002
    """Hyperbolic tangent."""
    return _act.tanh(_tensor(input))


def softmax(input: Tensor, dim: int = -1) -> Tensor:  # noqa: A002
    """exp(x) / sum(exp(x)) along ``dim``."""
    return _act.softmax(_tensor(input), dim)


def log_softmax(input: Tensor, dim: int = -1) -> Tensor:  # noqa: A002
    """log(softmax(x)) along ``dim``, computed stably."""
    return _act.log_softmax(_tensor(input), dim)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:  # noqa: A002
    """Gaussian error linear unit, x Φ(x) (``approximate='tanh'`` for the tanh form)."""
    return _act.gelu(_tensor(input), approximate=approximate)


def elu(input: Tensor, alpha: float = 1.0) -> Tensor:  # noqa: A002
    """x where x > 0, else ``alpha * (exp(x) - 1)``."""
    return _act.elu(_tensor(input), alpha=alpha)


# ---------------------------------------------------------------------- conv, pools


def conv1d(
    input: Tensor, weight: Tensor, bias: Tensor | None = None,  # noqa: A002
    stride: int = 1, padding: int | str = 0, dilation: int = 1, groups: int = 1,
) -> Tensor:
    """1-D convolution (cross-correlation, as in PyTorch).

    x ``(N, C_in, L)``, weight ``(C_out, C_in / groups, K)``, bias ``(C_out,)``;
    ``padding`` is an int, ``'valid'`` or ``'same'``.
    """
    return _conv.conv1d(input, weight, bias, stride, padding, dilation, groups)


def max_pool1d(
    input: Tensor, kernel_size: int, stride: int | None = None,  # noqa: A002
    padding: int = 0, dilation: int = 1, ceil_mode: bool = False,
    return_indices: bool = False,
) -> Any:
    """Maximum over sliding windows of the last axis of ``(N, C, L)``."""
    return _conv.max_pool1d(
        input, kernel_size, stride, padding, dilation, ceil_mode, return_indices
    )


def avg_pool1d(
    input: Tensor, kernel_size: int, stride: int | None = None,  # noqa: A002
    padding: int = 0, ceil_mode: bool = False, count_include_pad: bool = True,
) -> Tensor:
    """Mean over sliding windows of the last axis of ``(N, C, L)``."""
    return _conv.avg_pool1d(input, kernel_size, stride, padding, ceil_mode, count_include_pad)


# --------------------------------------------------------------------------- losses


def mse_loss(input: Tensor, target: Any, reduction: str = "mean") -> Tensor:  # noqa: A002
    """Mean squared error."""
    return _loss.mse_loss(_tensor(input), target, reduction=reduction)


def l1_loss(input: Tensor, target: Any, reduction: str = "mean") -> Tensor:  # noqa: A002
    """Mean absolute error."""
    return _loss.l1_loss(_tensor(input), target, reduction=reduction)


def binary_cross_entropy(
    input: Tensor, target: Any, weight: Any = None, reduction: str = "mean"  # noqa: A002
) -> Tensor:
    """Binary cross entropy of probabilities ``input`` in [0, 1]."""
    return _loss.binary_cross_entropy(_tensor(input), target, weight=weight, reduction=reduction)


def binary_cross_entropy_with_logits(
    input: Tensor, target: Any, weight: Any = None, reduction: str = "mean",  # noqa: A002
    pos_weight: Any = None,
) -> Tensor:
    """Sigmoid + binary cross entropy in one numerically stable op."""
    return _loss.binary_cross_entropy_with_logits(
        _tensor(input), target, weight=weight, reduction=reduction, pos_weight=pos_weight
    )


def cross_entropy(
    input: Tensor, target: Any, weight: Any = None, ignore_index: int = -100,  # noqa: A002
    reduction: str = "mean", label_smoothing: float = 0.0,
) -> Tensor:
    """Log-softmax + negative log likelihood over the class axis 1 of ``(N, C, ...)``;
    ``target`` holds class indices or class probabilities."""
    return _loss.cross_entropy(
        _tensor(input), target, weight=weight, reduction=reduction,
        ignore_index=ignore_index, label_smoothing=label_smoothing,
    )


def nll_loss(
    input: Tensor, target: Any, weight: Any = None, ignore_index: int = -100,  # noqa: A002
    reduction: str = "mean",
) -> Tensor:
    """Negative log likelihood of log-probabilities ``input`` ``(N, C, ...)``."""
    return _loss.nll_loss(
        _tensor(input), target, weight=weight, reduction=reduction, ignore_index=ignore_index
    )
