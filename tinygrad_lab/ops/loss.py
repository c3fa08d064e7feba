"""Loss functions, each one op with its own fused backward, with PyTorch's semantics.

Fusing matters twice: the backward of a whole loss is one short formula (``sigmoid(x) - t``
for binary cross-entropy on logits, ``softmax - onehot`` for cross-entropy) that is both
cheaper and more accurate than chaining the backward of every small op, and the stable
forms (log-sum-exp, softplus) never build the huge or tiny intermediates that overflow.

Every loss takes ``reduction``: ``"mean"`` (the default), ``"sum"`` or ``"none"`` (the
per-element or per-sample losses). Targets may be Tensors or arrays; they receive a
gradient only when they are float Tensors with ``requires_grad=True``. The ``weight`` and
``pos_weight`` arguments are constants: no gradient flows to them.

Unlike PyTorch, which warns and broadcasts when ``input`` and ``target`` shapes differ in
the elementwise losses, these raise: the broadcast is almost always a bug (``(N, 1)``
against ``(N,)`` silently makes an ``(N, N)`` loss).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..tensor import Tensor, as_tensor

_REDUCTIONS = ("mean", "sum", "none")


# ------------------------------------------------------------------------- helpers


def _check_reduction(op: str, reduction: Any) -> None:
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{op}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def _input(op: str, x: Any) -> Tensor:
    x = as_tensor(x)
    if x.dtype.kind != "f":
        raise TypeError(
            f"{op}: input must be a float tensor, got dtype {x.dtype} (shape {x.shape})"
        )
    return x


def _target_tensor(target: Any) -> Tensor:
    """Targets keep their Tensor (so a float target can receive a gradient); arrays and
    lists are wrapped without copying."""
    return target if isinstance(target, Tensor) else Tensor._wrap(np.asarray(target))


def _same_shape_target(op: str, x: Tensor, target: Any) -> tuple[Tensor, np.ndarray]:
    """The target as a Tensor and its data in the input's dtype, after checking shapes."""
    t = _target_tensor(target)
    if t.shape != x.shape:
        raise ValueError(
            f"{op}: input shape {x.shape} and target shape {t.shape} differ; they must be "
            "equal (PyTorch would broadcast with a warning, which is almost always a bug)"
        )
    if t.dtype.kind not in "biuf":
        raise TypeError(f"{op}: target must be numeric, got dtype {t.dtype}")
    return t, t.data.astype(x.dtype, copy=False)


def _constant(op: str, name: str, value: Any, x: Tensor, shape: tuple | None = None) -> Any:
    """A weight argument as an array of the input's dtype (no gradient flows to it),
    checked to broadcast to the input's shape, or to equal ``shape`` when given."""
    if value is None:
        return None
    w = np.asarray(value.data if isinstance(value, Tensor) else value).astype(x.dtype)
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


def _reduce(loss: np.ndarray, reduction: str) -> np.ndarray:
    if reduction == "none":
        return loss
    if reduction == "sum":
        return np.asarray(loss.sum())
    if loss.size == 0:  # PyTorch: the mean of nothing is nan (without a warning)
        return np.full((), np.nan, dtype=loss.dtype)
    # sum / n is ndarray.mean's own arithmetic, without its Python-level overhead.
    return np.asarray(loss.sum() / loss.size, dtype=loss.dtype)


def _upstream(g: np.ndarray, reduction: str, n: int) -> np.ndarray:
    """d(reduced loss)/d(each element's loss), times the incoming gradient ``g``."""
    return g / n if reduction == "mean" else g


def _elementwise_loss(
    op: str,
    x: Tensor,
    t: Tensor,
    loss: np.ndarray,
    reduction: str,
    d_input: Callable[[], np.ndarray],
    d_target: Callable[[], np.ndarray],
) -> Tensor:
    """Reduce a per-element loss and record its backward. ``d_input`` / ``d_target``
    compute d loss / d input (target) elementwise, only when that gradient is needed."""
    out = _reduce(loss, reduction)
    n = loss.size

    def backward(g: np.ndarray) -> tuple[Any, Any]:
        s = _upstream(g, reduction, n)
        gx = s * d_input() if x.requires_grad else None
        gt = s * d_target() if t.requires_grad else None
        return gx, gt

    return Tensor.from_op(out, (x, t), backward, op)


# ------------------------------------------------------------- regression losses


def mse_loss(input: Any, target: Any, reduction: str = "mean") -> Tensor:  # noqa: A002
    """Mean squared error ``(input - target)²``, as ``torch.nn.functional.mse_loss``.

    Parameters
    ----------
    input : Tensor
        Predictions, any shape.
    target : Tensor or array_like
        Same shape as ``input`` (a mismatch raises; PyTorch would broadcast and warn).
    reduction : {"mean", "sum", "none"}

    Returns
    -------
    Tensor
        A scalar, or the per-element losses for ``reduction="none"``.
    """
    op = "mse_loss"
    _check_reduction(op, reduction)
    x = _input(op, input)
    t, td = _same_shape_target(op, x, target)
    diff = x.data - td
    return _elementwise_loss(
        op, x, t, diff * diff, reduction, lambda: 2 * diff, lambda: -2 * diff
    )


def l1_loss(input: Any, target: Any, reduction: str = "mean") -> Tensor:  # noqa: A002
    """Mean absolute error ``|input - target|``, as ``torch.nn.functional.l1_loss``.

    The gradient at ``input == target`` is 0, as in PyTorch. Parameters as
    :func:`mse_loss`.
    """
    op = "l1_loss"
    _check_reduction(op, reduction)
    x = _input(op, input)
    t, td = _same_shape_target(op, x, target)
    diff = x.data - td
    return _elementwise_loss(
        op, x, t, np.abs(diff), reduction, lambda: np.sign(diff), lambda: -np.sign(diff)
    )


# ---------------------------------------------------------- binary cross-entropy


def binary_cross_entropy(
    input: Any,  # noqa: A002
    target: Any,
    weight: Any = None,
    reduction: str = "mean",
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

    Returns
    -------
    Tensor
    """
    op = "binary_cross_entropy"
    _check_reduction(op, reduction)
    x = _input(op, input)
    t, td = _same_shape_target(op, x, target)
    w = _constant(op, "weight", weight, x)
    p = x.data
    inside = (p >= 0) & (p <= 1)
    if not inside.all():
        bad = p[~inside].flat[0]
        raise ValueError(
            f"{op}: all elements of input must be in [0, 1], found {bad} (input shape "
            f"{x.shape}); apply a sigmoid first, or use binary_cross_entropy_with_logits"
        )
    with np.errstate(divide="ignore"):  # log(0) = -inf, clamped just below
        log_p = np.maximum(np.log(p), -100)
        log_1mp = np.maximum(np.log1p(-p), -100)
    loss = -(td * log_p + (1 - td) * log_1mp)
    if w is not None:
        loss = loss * w

    def d_input() -> np.ndarray:
        # (p - t) / (p (1 - p)), with PyTorch's floor of 1e-12 on the denominator.
        d = (p - td) / np.maximum(p * (1 - p), 1e-12)
        return d if w is None else d * w

    def d_target() -> np.ndarray:
        d = log_1mp - log_p
        return d if w is None else d * w

    return _elementwise_loss(op, x, t, loss, reduction, d_input, d_target)


def binary_cross_entropy_with_logits(
    input: Any,  # noqa: A002
    target: Any,
    weight: Any = None,
    reduction: str = "mean",
    pos_weight: Any = None,
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

    Returns
    -------
    Tensor
    """
    op = "binary_cross_entropy_with_logits"
    _check_reduction(op, reduction)
    x = _input(op, input)
    t, td = _same_shape_target(op, x, target)
    w = _constant(op, "weight", weight, x)
    pw = _constant(op, "pos_weight", pos_weight, x)
    z = x.data
    sp_neg = np.logaddexp(0, -z)  # softplus(-z) = -log σ(z), stable for any z
    log_weight = None if pw is None else 1 + (pw - 1) * td
    loss = (1 - td) * z + (sp_neg if log_weight is None else log_weight * sp_neg)
    if w is not None:
        loss = loss * w

    def d_input() -> np.ndarray:
        # d/dz = σ(z) - t, or lw σ(z) - pw t with pos_weight; σ(z) = exp(-softplus(-z))
        # never overflows and keeps its relative precision where σ(z) is tiny.
        sig = np.exp(-sp_neg)
        d = sig - td if pw is None else log_weight * sig - pw * td
        return d if w is None else d * w

    def d_target() -> np.ndarray:
        d = -z if pw is None else (pw - 1) * sp_neg - z
        return d if w is None else d * w

    return _elementwise_loss(op, x, t, loss, reduction, d_input, d_target)


# ----------------------------------------------------------- classification losses


def _classes_last(op: str, x: Tensor) -> tuple[np.ndarray, int]:
    """The input with the class axis (1, or 0 for an unbatched ``(C,)`` input) moved last,
    and the number of classes."""
    if x.ndim == 0:
        raise ValueError(f"{op}: input must have a class axis: (C,), (N, C) or (N, C, d...)")
    if x.ndim == 1:
        return x.data, x.shape[0]
    return (x.data if x.ndim == 2 else np.moveaxis(x.data, 1, -1)), x.shape[1]


def _classes_back(grad: np.ndarray, ndim: int) -> np.ndarray:
    return np.moveaxis(grad, -1, 1) if ndim > 2 else grad


def _labels(op: str, x: Tensor, t: Tensor) -> np.ndarray:
    """Check that ``t`` holds integer class labels shaped like the input without its class
    axis; return them."""
    expected = x.shape[:1] + x.shape[2:] if x.ndim > 1 else ()
    if t.dtype.kind not in "iu":
        hint = ""
        if t.dtype.kind in "fb" and t.shape == expected:
            hint = "; convert the labels, e.g. target.astype(np.int64)"
        if op == "cross_entropy":
            hint += f" (or pass class probabilities: a float target of shape {x.shape})"
        raise TypeError(
            f"{op}: target must hold integer class labels of shape {expected} for input "
            f"shape {x.shape}, got dtype {t.dtype} and shape {t.shape}{hint}"
        )
    if t.shape != expected:
        raise ValueError(
            f"{op}: input shape {x.shape} needs target shape {expected} (the input's shape "
            f"without the class axis), got {t.shape}"
        )
    return t.data


def _all_counted(labels: np.ndarray, n_classes: int, ignore_index: int) -> bool:
    """Whether every label is a class in ``[0, C)`` and none is ``ignore_index``: the usual
    case, told with two reductions instead of the masks of :func:`_class_indices`."""
    if labels.size == 0 or labels.min() < 0 or labels.max() >= n_classes:
        return False
    return not (0 <= ignore_index < n_classes and (labels == ignore_index).any())


def _class_indices(
    op: str, labels: np.ndarray, n_classes: int, ignore_index: int
) -> tuple[np.ndarray, np.ndarray]:
    """Check the range of labels checked by :func:`_labels`; return them with ignored ones
    replaced by 0 (so they can index), and the mask of labels that count."""
    valid = labels != ignore_index
    out_of_range = valid & ((labels < 0) | (labels >= n_classes))
    if out_of_range.any():
        bad = labels[out_of_range].flat[0]
        raise IndexError(
            f"{op}: target label {bad} is out of range for {n_classes} classes (valid "
            f"labels are 0..{n_classes - 1}, or ignore_index={ignore_index})"
        )
    return np.where(valid, labels, 0), valid


def _log_softmax(z: np.ndarray) -> np.ndarray:
    # Subtracting the row max keeps exp() in (0, 1]: no overflow at any logit size.
    shifted = z - z.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def _reduce_samples(per_sample: np.ndarray, reduction: str, total_weight: Any) -> tuple:
    """Reduce per-sample losses of class labels; return the result and the factor that
    turns the incoming gradient into d(result)/d(each sample's loss)."""
    if reduction == "none":
        return per_sample, 1
    if reduction == "sum":
        return np.asarray(per_sample.sum()), 1
    if total_weight == 0:  # every label ignored: PyTorch's 0/0 = nan, and zero gradients
        return np.full((), np.nan, dtype=per_sample.dtype), 0
    scale = 1 / float(total_weight)  # a Python float keeps float32 gradients float32
    return np.asarray(per_sample.sum() * scale, dtype=per_sample.dtype), scale


def nll_loss(
    input: Any,  # noqa: A002
    target: Any,
    weight: Any = None,
    reduction: str = "mean",
    ignore_index: int = -100,
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
    reduction : {"mean", "sum", "none"}
    ignore_index : int
        Labels equal to it contribute nothing (and do not count in the mean).

    Returns
    -------
    Tensor
    """
    op = "nll_loss"
    _check_reduction(op, reduction)
    x = _input(op, input)
    logp, n_classes = _classes_last(op, x)
    t = _target_tensor(target)
    labels, valid = _class_indices(op, _labels(op, x, t), n_classes, ignore_index)
    w = _constant(op, "weight", weight, x, shape=(n_classes,))
    wy = (valid if w is None else w[labels] * valid).astype(x.dtype)
    picked = np.take_along_axis(logp, labels[..., None], axis=-1)[..., 0]
    per_sample = -wy * picked
    out, scale = _reduce_samples(per_sample, reduction, wy.sum())

    def backward(g: np.ndarray) -> tuple[np.ndarray, None]:
        grad = np.zeros_like(logp)
        np.put_along_axis(grad, labels[..., None], (-wy * (g * scale))[..., None], axis=-1)
        return _classes_back(grad, x.ndim), None

    return Tensor.from_op(out, (x, t), backward, op)


def cross_entropy(
    input: Any,  # noqa: A002
    target: Any,
    weight: Any = None,
    reduction: str = "mean",
    ignore_index: int = -100,
    label_smoothing: float = 0.0,
) -> Tensor:
    """Softmax cross-entropy on raw scores, as ``torch.nn.functional.cross_entropy``.

    ``log_softmax`` and the negative log-likelihood in one op: the forward uses the
    stable log-sum-exp and the gradient with respect to the scores is
    ``softmax - (smoothed) one-hot``, scaled by the weights.

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
    reduction : {"mean", "sum", "none"}
        For labels, the mean divides by the summed weights of the non-ignored samples (as
        PyTorch); for probabilities, by the number of samples.
    ignore_index : int
        Labels equal to it contribute nothing (labels only).
    label_smoothing : float
        In ``[0, 1]``: the target becomes ``(1 - ε) * one-hot + ε / C``.

    Returns
    -------
    Tensor
        A scalar, or the per-sample losses ``(N, d1, ...)`` for ``reduction="none"``.
    """
    op = "cross_entropy"
    _check_reduction(op, reduction)
    x = _input(op, input)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"{op}: label_smoothing must be in [0, 1], got {label_smoothing}")
    z, n_classes = _classes_last(op, x)
    t = _target_tensor(target)
    w = _constant(op, "weight", weight, x, shape=(n_classes,))
    eps = float(label_smoothing)
    logp = _log_softmax(z)
    if t.dtype.kind == "f" and t.shape == x.shape:
        if ignore_index >= 0:
            raise ValueError(
                f"{op}: ignore_index={ignore_index} does not apply to a target of class "
                "probabilities"
            )
        return _cross_entropy_probabilities(op, x, t, logp, w, eps, reduction)

    labels = _labels(op, x, t)
    if x.ndim == 2 and w is None and not eps and _all_counted(labels, n_classes, ignore_index):
        return _cross_entropy_all_counted(op, x, t, logp, labels, reduction)
    labels, valid = _class_indices(op, labels, n_classes, ignore_index)
    wy = (valid if w is None else w[labels] * valid).astype(x.dtype)
    picked = np.take_along_axis(logp, labels[..., None], axis=-1)[..., 0]
    per_sample = -(1 - eps) * wy * picked
    if eps:
        # PyTorch's smoothing term: -ε/C Σ_c w_c log p_c for every counted sample.
        smooth = -(logp.sum(axis=-1) if w is None else logp @ w)
        per_sample = per_sample + (eps / n_classes) * smooth * valid
    out, scale = _reduce_samples(per_sample, reduction, wy.sum())

    def backward(g: np.ndarray) -> tuple[np.ndarray, None]:
        # d loss / d log p = -(hit at the label) - spread * w_c, and through log_softmax
        # d z = d logp - softmax * Σ_c d logp_c.
        s = g * scale
        hit = (1 - eps) * wy * s
        spread = s * valid * (eps / n_classes)  # this order keeps float32 float32
        w_total = n_classes if w is None else w.sum()
        grad = np.exp(logp) * (hit + spread * w_total)[..., None]
        if eps:
            grad -= spread[..., None] * (1 if w is None else w)
        at_label = np.take_along_axis(grad, labels[..., None], axis=-1)
        np.put_along_axis(grad, labels[..., None], at_label - hit[..., None], axis=-1)
        return _classes_back(grad, x.ndim), None

    return Tensor.from_op(out, (x, t), backward, op)


def _cross_entropy_all_counted(
    op: str, x: Tensor, t: Tensor, logp: np.ndarray, labels: np.ndarray, reduction: str
) -> Tensor:
    """cross_entropy of ``(N, C)`` scores whose labels all count, without weights or label
    smoothing: the training loop's case. The general path's masks, weights and
    take/put_along_axis cost more than the maths itself at batch sizes like 64, so this
    one indexes the rows directly. Same forward values, same gradient up to rounding."""
    rows = np.arange(len(labels))
    out, scale = _reduce_samples(-logp[rows, labels], reduction, len(labels))

    def backward(g: np.ndarray) -> tuple[np.ndarray, None]:
        grad = np.exp(logp)  # softmax - one-hot, times the upstream gradient
        grad[rows, labels] -= 1
        s = g * scale
        grad *= s[:, None] if reduction == "none" else s
        return grad, None

    return Tensor.from_op(out, (x, t), backward, op)


def _cross_entropy_probabilities(
    op: str, x: Tensor, t: Tensor, logp: np.ndarray, w: Any, eps: float, reduction: str
) -> Tensor:
    """cross_entropy with class-probability targets: ``-Σ_c w_c p_c log softmax(z)_c``."""
    n_classes = logp.shape[-1]
    p, _ = _classes_last(op, t)
    p = p.astype(x.dtype, copy=False)
    if eps:
        p = p * (1 - eps) + eps / n_classes
    wp = p if w is None else p * w
    per_sample = -(wp * logp).sum(axis=-1)
    n = per_sample.size
    out = _reduce(per_sample, reduction)

    def backward(g: np.ndarray) -> tuple[Any, Any]:
        s = g[..., None] if reduction == "none" else _upstream(g, reduction, n)
        gz = gt = None
        if x.requires_grad:
            # d/dz of -Σ wp log softmax(z) = softmax * Σ wp - wp
            gz = _classes_back((np.exp(logp) * wp.sum(axis=-1, keepdims=True) - wp) * s,
                               x.ndim)
        if t.requires_grad:
            d = -logp * (1 - eps)
            gt = _classes_back((d if w is None else d * w) * s, x.ndim)
        return gz, gt

    return Tensor.from_op(out, (x, t), backward, op)
