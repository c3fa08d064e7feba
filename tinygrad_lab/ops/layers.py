"""The ops behind ``nn`` layers: ``linear`` (one fused op), ``dropout`` and ``one_hot``.

``linear`` is one op rather than transpose, matmul and add: a third of the graph nodes
and no transposed copy of the weight, in the hot path of every MLP. Its products are
``np.dot`` calls (``matmul`` for batched inputs), which are ops on tensors too: the
gradient formula is differentiable again (``create_graph=True``).
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from ..random import get_rng
from ..tensor import Tensor, as_tensor, inplace, ones_constant


def linear(input: Any, weight: Any, bias: Any = None) -> Tensor:
    """``input @ weight.T + bias``, as ``torch.nn.functional.linear``.

    Parameters
    ----------
    input : Tensor, shape (..., in_features)
    weight : Tensor, shape (out_features, in_features)
    bias : Tensor, shape (out_features,), optional

    Returns
    -------
    Tensor, shape (..., out_features)
    """
    x = input if isinstance(input, Tensor) else as_tensor(input)
    w = weight if isinstance(weight, Tensor) else as_tensor(weight)
    xd, wd = x._array, w._array
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
    # np.dot is the same BLAS product as @ up to 2-D (the same bits, tested), with less
    # overhead per call: a third of a small layer's time. Batched inputs need matmul.
    product = np.dot if xd.ndim <= 2 else np.matmul
    out = product(xd, wd.T)
    if bias is None:
        parents: tuple[Tensor, ...] = (x, w)
    else:
        b = bias if isinstance(bias, Tensor) else as_tensor(bias)
        if b._array.shape != (out_features,):
            raise ValueError(
                f"linear: bias must have shape ({out_features},) to match weight "
                f"{wd.shape}, got {b._array.shape}"
            )
        out += b._array  # ``out`` is fresh, so adding in place is safe
        parents = (x, w, b)
    need_x = x.requires_grad  # the data of a first layer needs no gradient: skip it
    two_d = xd.ndim == 2

    def backward(g: Any, out: Any, x: Any, w: Any, b: Any = None) -> tuple[Any, ...]:
        # out = x Wᵀ + b: dx = g W, dW = gᵀ x, db = Σ_rows g. Leading (batch) axes, if
        # not exactly one, fold into rows, so that dW is one matmul.
        g2 = g if two_d else g.reshape((-1, out_features))
        x2 = x if two_d else x.reshape((-1, in_features))
        grads = (product(g, w) if need_x else None, np.dot(g2.T, x2))
        # Σ_rows g as a product with ones: one BLAS call, twice as fast as g2.sum(axis=0)
        # (whose strided reduction suits a C-ordered g badly); equal up to rounding.
        return grads if b is None else (*grads, np.dot(ones_constant((g2.shape[0],), g2.dtype), g2))

    return Tensor.from_op(out, parents, backward, "linear")


def check_probability(op: str, p: Any) -> float:
    """Dropout's ``p`` as a float, or ValueError (PyTorch's message) unless in [0, 1]."""
    if isinstance(p, (bool, np.bool_)) or not isinstance(p, numbers.Real) or not 0.0 <= p <= 1.0:
        raise ValueError(f"{op}: probability has to be between 0 and 1, but got {p!r}")
    return float(p)


def dropout(
    input: Any, p: float = 0.5, training: bool = True, inplace: bool = False, *,
    train: bool | None = None,
) -> Tensor:
    """Inverted dropout: zero each element with probability ``p`` and scale the rest by
    ``1 / (1 - p)``, so the expected value is unchanged and evaluation needs no scaling.

    Returns ``input`` itself when not training or when ``p`` is 0. The mask comes from
    the framework generator (see :func:`tinygrad_lab.manual_seed`) and is a constant of
    the gradient formula. ``train`` is ``torch.dropout``'s name for ``training``;
    ``inplace=True`` changes ``input`` (PyTorch's in-place rules apply).
    """
    p = check_probability("dropout", p)
    if train is not None:
        training = train
    x = as_tensor(input)
    if not training or p == 0.0:
        return x
    if inplace:
        return _dropout_(x, p)
    return _dropout(x, p)


def _dropout(x: Tensor, p: float) -> Tensor:
    dtype = x.dtype if x.dtype.kind == "f" else np.dtype(np.float64)
    keep = get_rng().random(x.shape) >= p
    scale = 0.0 if p == 1.0 else 1.0 / (1.0 - p)
    mask = keep.astype(dtype) * dtype.type(scale)
    return Tensor.from_op(x._array * mask, (x,), lambda g, out, x: (g * mask,), "dropout")


_dropout_ = inplace(_dropout, "dropout_")


def one_hot(tensor: Any, num_classes: int = -1) -> Tensor:
    """``(..., num_classes)`` int64 tensor with a 1 at each label, as
    ``torch.nn.functional.one_hot``; ``num_classes=-1`` takes the largest label + 1."""
    labels = tensor._array if isinstance(tensor, Tensor) else np.asarray(tensor)
    if labels.dtype.kind not in "iu":
        raise TypeError(
            f"one_hot: expected a tensor of integer class labels, got dtype {labels.dtype}"
        )
    if labels.size and labels.min() < 0:
        raise ValueError(f"one_hot: class values must be non-negative, got {labels.min()}")
    if num_classes < -1:
        raise ValueError(f"one_hot: num_classes must be -1 or non-negative, got {num_classes}")
    if num_classes == -1:
        if labels.size == 0:
            raise ValueError("one_hot: cannot infer the number of classes of an empty tensor")
        num_classes = int(labels.max()) + 1
    elif labels.size and labels.max() >= num_classes:
        raise ValueError(
            f"one_hot: class values must be smaller than num_classes={num_classes}, "
            f"got {labels.max()}"
        )
    return Tensor._wrap((labels[..., None] == np.arange(num_classes)).astype(np.int64))


__all__ = ["dropout"]
