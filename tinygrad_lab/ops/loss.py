"""Loss functions with PyTorch's semantics (``torch.nn.functional``'s names and arguments).

The elementwise losses (``mse_loss``, ``l1_loss``, the two binary cross-entropies) are
one op each: the forward pass uses the stable form (clamped logs, softplus), and the
gradient formula is written from the input and the target alone, so that it can be
differentiated again. The classification losses are compositions: ``cross_entropy`` is
``log_softmax`` (an op of ``activation.py``) followed by the negative log-likelihood,
an op that is linear in the log-probabilities with constant coefficients (the one-hot
targets, class weights and label smoothing).

Every loss takes ``reduction``: ``"mean"`` (the default), ``"sum"`` or ``"none"`` (the
per-element or per-sample losses); PyTorch's deprecated ``size_average``/``reduce``
arguments are accepted too. Targets may be Tensors or arrays; they receive a gradient
only when they are float Tensors with ``requires_grad=True``. The ``weight`` and
``pos_weight`` arguments are constants: no gradient flows to them.

Unlike PyTorch, which warns and broadcasts when ``input`` and ``target`` shapes differ in
the elementwise losses, these raise: the broadcast is almost always a bug (``(N, 1)``
against ``(N,)`` silently makes an ``(N, N)`` loss).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from ..tensor import Tensor, as_tensor
from .activation import log_softmax, softplus_of

REDUCTIONS = ("mean", "sum", "none")


# ---------------------------------------------------------------------- reductions


def check_reduction(op: str, reduction: Any) -> None:
    """Raise ValueError unless ``reduction`` is ``'mean'``, ``'sum'`` or ``'none'`` (the
    one check, for the functions here and the loss modules of ``nn``)."""
    if reduction not in REDUCTIONS:
        raise ValueError(
            f"{op}: reduction must be one of 'mean', 'sum' or 'none', got {reduction!r}"
        )


def legacy_reduction(op: str, size_average: Any, reduce: Any, reduction: str) -> str:
    """The reduction, checked; PyTorch's deprecated ``size_average`` and ``reduce``
    arguments decide it when either is given (with PyTorch's warning)."""
    if size_average is None and reduce is None:
        if reduction not in REDUCTIONS:
            check_reduction(op, reduction)  # raises
        return reduction
    if reduce is False:
        reduction = "none"
    else:
        reduction = "sum" if size_average is False else "mean"
    warnings.warn(
        f"{op}: size_average and reduce args will be deprecated, please use "
        f"reduction='{reduction}' instead.",
        UserWarning,
        stacklevel=3,
    )
    return reduction


def _reduce(loss: np.ndarray | np.generic, reduction: str, total: Any = None) -> np.ndarray:
    """Sum, or divide the sum by ``total`` (default: the number of elements; the mean of
    nothing is NaN, as in PyTorch, without a warning). A 0-d ``loss`` is a sum
    already (with ``total`` given)."""
    if reduction == "none":
        return loss
    summed = loss if loss.ndim == 0 else loss.sum()
    if reduction == "sum":
        return np.asarray(summed)
    total = loss.size if total is None else total
    if total == 0:
        return np.full((), np.nan, dtype=loss.dtype)
    # sum / n is ndarray.mean's own arithmetic, without its Python-level overhead.
    return np.asarray(summed / total, dtype=loss.dtype)


def _upstream(g: Any, reduction: str, total: Any, factor: float = 1) -> Any:
    """d(reduced loss)/d(each element's loss), times the incoming gradient ``g`` and a
    constant ``factor`` of the derivative (one scalar product instead of an array one)."""
    if reduction != "mean":
        return g if factor == 1 else g * factor
    return g * (factor / total) if total else g * math.nan  # 0/0: NaN, as PyTorch's


# -------------------------------------------------------------------------- checks


def _input(op: str, x: Any) -> Tensor:
    if not isinstance(x, Tensor):
        x = as_tensor(x)
    if x._array.dtype.kind != "f":
        raise TypeError(
            f"{op}: input must be a float tensor, got dtype {x.dtype} (shape {x.shape})"
        )
    return x


def _target(op: str, x: Tensor, target: Any) -> Tensor:
    """The target as the op's second parent, after checking its shape: a tensor that
    requires grad as it is; anything else as a constant in the input's dtype."""
    t = target if isinstance(target, Tensor) else Tensor._wrap(np.asarray(target))
    if t.shape != x.shape:
        raise ValueError(
            f"{op}: input shape {x.shape} and target shape {t.shape} differ; they must be "
            "equal (PyTorch would broadcast with a warning, which is almost always a bug)"
        )
    if t.dtype != x.dtype and not t.requires_grad:
        if t.dtype.kind not in "biuf":
            raise TypeError(f"{op}: target must be numeric, got dtype {t.dtype}")
        t = Tensor._wrap(t._array.astype(x.dtype))
    return t


def _constant(op: str, name: str, value: Any, x: Tensor, shape: tuple | None = None) -> Any:
    """A weight argument as an array of the input's dtype (no gradient flows to it),
    checked to broadcast to the input's shape, or to equal ``shape`` when given."""
    if value is None:
        return None
    w = np.asarray(value._array if isinstance(value, Tensor) else value).astype(x.dtype)
    if shape is not None:
        if w.shape != shape:
            raise ValueError(f"{op}: {name} must have shape {shape}, got {w.shape}")
        return w
    try:
        ok = np.broadcast_shapes(w.shape, x.shape) == x.shape
    except ValueError:
        ok = False
    if not ok:
        raise ValueError(
            f"{op}: {name} of shape {w.shape} does not broadcast to the input shape {x.shape}"
        )
    return w


# ------------------------------------------------------------- elementwise losses

Derivative = Callable[[Any, Any], Any]


def _elementwise_loss(
    op: str, x: Tensor, t: Tensor, loss: np.ndarray, reduction: str,
    d_input: Derivative, d_target: Derivative, weight: Any = None, total: Any = None,
    factor: float = 1,
) -> Tensor:
    """Reduce a per-element loss and record its gradient: ``factor * weight *
    d_input(x, t)`` and ``... d_target(x, t)`` are d loss / d input (target) elementwise,
    written with their arguments (so differentiable again) and computed only for a
    parent that needs it. ``loss`` may be summed already (see ``_reduce``)."""
    total = loss.size if total is None else total
    need_x, need_t = x.requires_grad, t.requires_grad

    def backward(g: Any, out: Any, x: Any, t: Any) -> tuple[Any, Any]:
        s = _upstream(g, reduction, total, factor)
        if weight is not None:
            s = s * weight
        return (d_input(x, t) * s if need_x else None,
                d_target(x, t) * s if need_t else None)

    return Tensor.from_op(_reduce(loss, reduction, total), (x, t), backward, op)


def _loss_weight(op: str, weight: Any, x: Tensor) -> Any:
    """``mse_loss``/``l1_loss``'s ``weight``: one per element (PyTorch: same size)."""
    w = _constant(op, "weight", weight, x)
    if w.shape != x.shape:
        raise ValueError(f"{op}: weight of shape {w.shape} and input of shape {x.shape} "
                         "must have the same size")
    return w


def _difference(x: Any, t: Any) -> Any:
    return x - t


def _negated_difference(x: Any, t: Any) -> Any:
    return t - x


def mse_loss(
    input: Any, target: Any, size_average: Any = None, reduce: Any = None,
    reduction: str = "mean", weight: Any = None,
) -> Tensor:
    """Mean squared error ``(input - target)²``, as ``torch.nn.functional.mse_loss``.

    Parameters
    ----------
    input : Tensor
        Predictions, any shape.
    target : Tensor or array_like
        Same shape as ``input`` (a mismatch raises; PyTorch would broadcast and warn).
    reduction : {"mean", "sum", "none"}
    weight : array_like, optional
        One weight per element; the mean then divides by the summed weights (PyTorch).

    Returns
    -------
    Tensor
        A scalar, or the per-element losses for ``reduction="none"``.
    """
    op = "mse_loss"
    reduction = legacy_reduction(op, size_average, reduce, reduction)
    x = _input(op, input)
    t = _target(op, x, target)
    w = None if weight is None else _loss_weight(op, weight, x)
    diff = x._array - t._array
    if w is not None:
        loss, total = diff * diff * w, w.sum()
    elif reduction == "none":
        loss, total = diff * diff, None
    else:  # Σ diff² as one BLAS dot: no array of squares (equal up to rounding)
        loss, total = np.vdot(diff, diff), diff.size
    # d (x - t)² / dx = 2 (x - t), and -2 (x - t) for the target.
    return _elementwise_loss(op, x, t, loss, reduction, _difference, _negated_difference,
                             w, total, factor=2)


def l1_loss(
    input: Any, target: Any, size_average: Any = None, reduce: Any = None,
    reduction: str = "mean", weight: Any = None,
) -> Tensor:
    """Mean absolute error ``|input - target|``, as ``torch.nn.functional.l1_loss``.

    The gradient at ``input == target`` is 0, as in PyTorch. Parameters as
    :func:`mse_loss`.
    """
    op = "l1_loss"
    reduction = legacy_reduction(op, size_average, reduce, reduction)
    x = _input(op, input)
    t = _target(op, x, target)
    w = None if weight is None else _loss_weight(op, weight, x)
    loss = np.abs(x._array - t._array)
    return _elementwise_loss(
        op, x, t, loss if w is None else loss * w, reduction,
        lambda x, t: np.sign(x - t), lambda x, t: np.sign(t - x),
        w, None if w is None else w.sum(),
    )


def binary_cross_entropy(
    input: Any, target: Any, weight: Any = None, size_average: Any = None,
    reduce: Any = None, reduction: str = "mean",
) -> Tensor:
    """Binary cross-entropy on probabilities, as ``torch.nn.functional.binary_cross_entropy``.

    ``loss = -weight * (target * log(input) + (1 - target) * log(1 - input))``, with each
    log clamped to ``>= -100`` as in PyTorch, so an input of exactly 0 or 1 gives a
    finite loss. The gradient with respect to a target that requires grad is that of
    this clamped loss, ``weight * (log(1 - input) - log(input))``, so finite where
    PyTorch's is infinite (input exactly 0 or 1).

    Parameters
    ----------
    input : Tensor
        Probabilities in ``[0, 1]`` (e.g. after a sigmoid); anything else raises.
        For raw scores use :func:`binary_cross_entropy_with_logits`, which is stabler.
    target : Tensor or array_like
        Same shape as ``input``, usually 0/1.
    weight : array_like, optional
        Rescales each element's loss; must broadcast to ``input``'s shape.
    reduction : {"mean", "sum", "none"}
    """
    op = "binary_cross_entropy"
    reduction = legacy_reduction(op, size_average, reduce, reduction)
    x = _input(op, input)
    t = _target(op, x, target)
    w = _constant(op, "weight", weight, x)
    p = x._array
    inside = (p >= 0) & (p <= 1)
    if not inside.all():
        bad = p[~inside].flat[0]
        raise ValueError(
            f"{op}: all elements of input must be in [0, 1], found {bad} (input shape "
            f"{x.shape}); apply a sigmoid first, or use binary_cross_entropy_with_logits"
        )
    log_p, log_1mp = _clamped_logs(p)
    td = t._array
    loss = -(td * log_p + (1 - td) * log_1mp)
    return _elementwise_loss(
        op, x, t, loss if w is None else loss * w, reduction, _bce_d_input, _bce_d_target, w
    )


def _clamped_logs(p: Any) -> tuple[Any, Any]:
    """``log(p)`` and ``log(1 - p)``, each at least -100 (PyTorch's clamp)."""
    with np.errstate(divide="ignore"):  # log(0) = -inf, clamped just below
        return np.maximum(np.log(p), -100), np.maximum(np.log1p(-p), -100)


def _bce_d_input(p: Any, t: Any) -> Any:
    # (p - t) / (p (1 - p)), with PyTorch's floor of 1e-12 on the denominator.
    return (p - t) / np.maximum(p * (1 - p), 1e-12)


def _bce_d_target(p: Any, t: Any) -> Any:
    log_p, log_1mp = _clamped_logs(p)
    return log_1mp - log_p


def binary_cross_entropy_with_logits(
    input: Any, target: Any, weight: Any = None, size_average: Any = None,
    reduce: Any = None, reduction: str = "mean", pos_weight: Any = None,
) -> Tensor:
    """Sigmoid followed by binary cross-entropy, in one numerically stable op, as
    ``torch.nn.functional.binary_cross_entropy_with_logits``.

    With ``sp(z) = log(1 + exp(z))`` computed stably (no overflow at ``|z| = 1000``),
    ``loss = weight * ((1 - target) * input + (1 + (pos_weight - 1) * target) * sp(-input))``,
    which equals ``-weight * (pos_weight * t * log σ(x) + (1 - t) * log(1 - σ(x)))``.

    Parameters
    ----------
    input : Tensor
        Raw scores (logits), any shape.
    target : Tensor or array_like
        Same shape as ``input``, values in ``[0, 1]``.
    weight : array_like, optional
        Rescales each element's loss; must broadcast to ``input``'s shape.
    reduction : {"mean", "sum", "none"}
    pos_weight : array_like, optional
        Weight of the positive term, broadcast along the last axis (one per class);
        > 1 raises recall, < 1 precision.
    """
    op = "binary_cross_entropy_with_logits"
    reduction = legacy_reduction(op, size_average, reduce, reduction)
    x = _input(op, input)
    t = _target(op, x, target)
    w = _constant(op, "weight", weight, x)
    pw = _constant(op, "pos_weight", pos_weight, x)
    z, td = x._array, t._array
    sp_neg = np.logaddexp(0, -z)  # softplus(-z) = -log σ(z), stable for any z
    positive_weight = 1 if pw is None else 1 + (pw - 1) * td
    loss = (1 - td) * z + positive_weight * sp_neg

    def d_input(z: Any, t: Any) -> Any:
        # d/dz = σ(z) - t, or (1 + (pw - 1) t) σ(z) - pw t with pos_weight; σ(z) =
        # exp(-softplus(-z)) never overflows and keeps its precision where it is tiny.
        sig = np.exp(-softplus_of(-z))
        return sig - t if pw is None else (1 + (pw - 1) * t) * sig - pw * t

    def d_target(z: Any, t: Any) -> Any:
        return -z if pw is None else (pw - 1) * softplus_of(-z) - z

    return _elementwise_loss(
        op, x, t, loss if w is None else loss * w, reduction, d_input, d_target, w
    )


# ----------------------------------------------------------- classification losses


def _class_axis(op: str, x: Tensor) -> int:
    """The class axis: 1 for ``(N, C, d...)``, 0 for an unbatched ``(C,)`` input."""
    if x.ndim == 0:
        raise ValueError(f"{op}: input must have a class axis: (C,), (N, C) or (N, C, d...)")
    return 0 if x.ndim == 1 else 1


def _labels(op: str, x: Tensor, t: Any) -> np.ndarray:
    """Check that ``t`` holds integer class labels shaped like the input without its class
    axis; return them."""
    labels = t._array if isinstance(t, Tensor) else np.asarray(t)
    expected = x.shape[:1] + x.shape[2:] if x.ndim > 1 else ()
    if labels.dtype.kind not in "iu":
        hint = ""
        if labels.dtype.kind in "fb" and labels.shape == expected:
            hint = "; convert the labels, e.g. target.astype(np.int64)"
        if op == "cross_entropy":
            hint += f" (or pass class probabilities: a float target of shape {x.shape})"
        raise TypeError(
            f"{op}: target must hold integer class labels of shape {expected} for input "
            f"shape {x.shape}, got dtype {labels.dtype} and shape {labels.shape}{hint}"
        )
    if labels.shape != expected:
        raise ValueError(
            f"{op}: input shape {x.shape} needs target shape {expected} (the input's shape "
            f"without the class axis), got {labels.shape}"
        )
    return labels


def _all_count(labels: np.ndarray, n_classes: int, ignore_index: int) -> bool:
    """Whether every label is a class in ``[0, C)`` and none is ``ignore_index``: the
    usual case, told with two reductions instead of the masks of :func:`_counted`."""
    if labels.size == 0 or labels.min() < 0 or labels.max() >= n_classes:
        return False
    return not (0 <= ignore_index < n_classes and (labels == ignore_index).any())


def _counted(
    op: str, labels: np.ndarray, n_classes: int, ignore_index: int
) -> tuple[np.ndarray, np.ndarray | None]:
    """Check the labels' range; return them with ignored ones replaced by 0 (so they can
    index), and the mask of labels that count (None when all do)."""
    if _all_count(labels, n_classes, ignore_index):
        return labels, None
    valid = labels != ignore_index
    out_of_range = valid & ((labels < 0) | (labels >= n_classes))
    if out_of_range.any():
        bad = labels[out_of_range].flat[0]
        raise IndexError(
            f"{op}: target label {bad} is out of range for {n_classes} classes (valid "
            f"labels are 0..{n_classes - 1}, or ignore_index={ignore_index})"
        )
    return np.where(valid, labels, 0), valid


def _pick(a: np.ndarray, labels: np.ndarray, axis: int) -> np.ndarray:
    """``a[n, labels[n], ...]``: each sample's entry at its label along the class axis."""
    if a.ndim == 2:
        return a[np.arange(len(labels)), labels]
    return np.take_along_axis(a, np.expand_dims(labels, axis), axis=axis).squeeze(axis)


def _at_labels(labels: np.ndarray, values: Any, shape: tuple, axis: int, dtype: Any) -> Any:
    """An array of ``shape`` holding ``values`` at the labels along the class axis."""
    out = np.zeros(shape, dtype)
    if len(shape) == 2:
        out[np.arange(len(labels)), labels] = values
    else:
        values = np.broadcast_to(np.asarray(values, dtype), labels.shape)
        np.put_along_axis(out, np.expand_dims(labels, axis),
                          np.expand_dims(values, axis), axis=axis)
    return out


def _sample_grad(g: Any, reduction: str, total: Any, axis: int) -> Any:
    """The gradient of each sample's loss, shaped to broadcast against the input (a
    class axis of length 1). When no label counts (``total`` 0) the mean is NaN and the
    gradient 0, as PyTorch's for ignored labels."""
    if reduction == "none":
        return g.reshape(g.shape[:1] + (1,) + g.shape[1:]) if axis == 1 else g
    if reduction == "sum":
        return g
    return g / total if total else g * 0


def _log_likelihood(
    op: str, logp: Tensor, per_sample: np.ndarray, coefficients: Callable[[], np.ndarray],
    reduction: str, total: Any, axis: int,
) -> Tensor:
    """The op ``-Σ_c a_c logp_c`` along the class axis, reduced: ``per_sample`` is its
    value (computed by the caller in the cheapest way), ``coefficients()`` the constant
    array ``a`` (built only when the gradient is wanted). Linear in ``logp``, so its
    gradient ``-a g`` is differentiable again."""
    out = _reduce(per_sample, reduction, total)
    return Tensor.from_op(
        out, (logp,),
        lambda g, out, logp: (-coefficients() * _sample_grad(g, reduction, total, axis),),
        op,
    )


def nll_loss(
    input: Any, target: Any, weight: Any = None, size_average: Any = None,
    ignore_index: int = -100, reduce: Any = None, reduction: str = "mean",
) -> Tensor:
    """Negative log-likelihood of class labels, as ``torch.nn.functional.nll_loss``.

    ``loss_n = -weight[y_n] * input[n, y_n]``; the mean divides by ``sum_n weight[y_n]``
    over the samples that are not ignored (PyTorch's weighted mean).

    Parameters
    ----------
    input : Tensor
        Log-probabilities ``(N, C)``, ``(N, C, d1, ...)`` or unbatched ``(C,)``
        (e.g. from ``log_softmax``).
    target : Tensor or array_like of int
        Class labels in ``[0, C)``, shape ``(N,)``, ``(N, d1, ...)`` or ``()``.
    weight : array_like, optional
        One weight per class, shape ``(C,)``.
    ignore_index : int
        Labels equal to it contribute nothing (and do not count in the mean).
    reduction : {"mean", "sum", "none"}
    """
    op = "nll_loss"
    reduction = legacy_reduction(op, size_average, reduce, reduction)
    x = _input(op, input)
    return _nll(op, x, target, weight, ignore_index, reduction, 0.0)


def _nll(
    op: str, logp: Tensor, target: Any, weight: Any, ignore_index: int, reduction: str,
    eps: float,
) -> Tensor:
    """nll_loss of ``logp``, with cross_entropy's label smoothing ``eps``: PyTorch's
    ``(1 - ε) nll + ε/C Σ_c -w_c logp_c`` over the counted samples, with the same
    normaliser (the summed weights of the counted labels)."""
    axis = _class_axis(op, logp)
    n_classes = logp.shape[axis]
    w = _constant(op, "weight", weight, logp, shape=(n_classes,))
    labels, valid = _counted(op, _labels(op, logp, target), n_classes, ignore_index)
    # Each sample's weight: weight[label], 0 where ignored.
    if w is None:
        hit = 1.0 if valid is None else valid.astype(logp.dtype)
    else:
        hit = w[labels] if valid is None else w[labels] * valid
    total = labels.size if w is None and valid is None else hit.sum()
    picked = _pick(logp._array, labels, axis)
    if not eps:
        return _log_likelihood(
            op, logp, -hit * picked,
            lambda: _at_labels(labels, hit, logp.shape, axis, logp.dtype),
            reduction, total, axis,
        )

    # Smoothing spreads ε/C · w_c over every class of each counted sample.
    class_shape = (n_classes,) + (1,) * (logp.ndim - axis - 1)
    spread = (eps / n_classes) * (1.0 if w is None else w.reshape(class_shape))
    spread = spread * (1.0 if valid is None else np.expand_dims(valid, axis))
    per_sample = -(1 - eps) * hit * picked - (spread * logp._array).sum(axis=axis)

    def coefficients() -> np.ndarray:
        return _at_labels(labels, (1 - eps) * hit, logp.shape, axis, logp.dtype) + spread

    return _log_likelihood(op, logp, per_sample, coefficients, reduction, total, axis)


def cross_entropy(
    input: Any, target: Any, weight: Any = None, size_average: Any = None,
    ignore_index: int = -100, reduce: Any = None, reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Tensor:
    """Softmax cross-entropy on raw scores, as ``torch.nn.functional.cross_entropy``:
    ``log_softmax`` over the class axis, then the negative log-likelihood.

    Parameters
    ----------
    input : Tensor
        Raw scores (logits) ``(N, C)``, ``(N, C, d1, ...)`` or unbatched ``(C,)``.
    target : Tensor or array_like
        Either integer class labels in ``[0, C)`` of the input's shape without the class
        axis, or class probabilities: a float array of the input's own shape (which may
        receive a gradient).
    weight : array_like, optional
        One weight per class, shape ``(C,)``.
    ignore_index : int
        Labels equal to it contribute nothing (labels only).
    reduction : {"mean", "sum", "none"}
        For labels, the mean divides by the summed weights of the non-ignored samples (as
        PyTorch); for probabilities, by the number of samples.
    label_smoothing : float
        In ``[0, 1]``: the target becomes ``(1 - ε) * one-hot + ε / C``.

    Returns
    -------
    Tensor
        A scalar, or the per-sample losses ``(N, d1, ...)`` for ``reduction="none"``.
    """
    op = "cross_entropy"
    reduction = legacy_reduction(op, size_average, reduce, reduction)
    x = _input(op, input)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"{op}: label_smoothing must be in [0, 1], got {label_smoothing}")
    axis = _class_axis(op, x)
    eps = float(label_smoothing)
    t = target if isinstance(target, Tensor) else Tensor._wrap(np.asarray(target))
    if t.dtype.kind != "f" or t.shape != x.shape:
        return _nll(op, log_softmax(x, axis), t, weight, ignore_index, reduction, eps)
    if ignore_index >= 0:
        raise ValueError(
            f"{op}: ignore_index={ignore_index} does not apply to a target of class "
            "probabilities"
        )
    w = _constant(op, "weight", weight, x, shape=(x.shape[axis],))
    return _soft_cross_entropy(op, log_softmax(x, axis), _target(op, x, t), w, eps,
                               reduction, axis)


def _soft_cross_entropy(
    op: str, logp: Tensor, p: Tensor, w: Any, eps: float, reduction: str, axis: int
) -> Tensor:
    """cross_entropy with class-probability targets ``p``: ``-Σ_c w_c q_c logp_c`` with
    ``q = (1 - ε) p + ε / C``; bilinear in ``(q, logp)``, and ``p`` may need a gradient."""
    n_classes = logp.shape[axis]
    class_shape = (n_classes,) + (1,) * (logp.ndim - axis - 1)
    w_c = 1 if w is None else w.reshape(class_shape)

    def weighted_q(p: Any) -> Any:
        return (p * (1 - eps) + eps / n_classes if eps else p) * w_c

    per_sample = -(weighted_q(p._array) * logp._array).sum(axis=axis)
    total = per_sample.size
    need_logp, need_p = logp.requires_grad, p.requires_grad

    def backward(g: Any, out: Any, logp: Any, p: Any) -> tuple[Any, Any]:
        s = _sample_grad(g, reduction, total, axis)
        return (-weighted_q(p) * s if need_logp else None,
                -(1 - eps) * w_c * logp * s if need_p else None)

    return Tensor.from_op(_reduce(per_sample, reduction), (logp, p), backward, op)


__all__ = [
    "binary_cross_entropy", "binary_cross_entropy_with_logits", "cross_entropy",
    "l1_loss", "mse_loss", "nll_loss",
]
