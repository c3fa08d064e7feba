"""Numerical gradient checking: compare an op's backward with central differences."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..autograd import no_grad
from ..tensor import Tensor


class GradcheckError(AssertionError):
    """Raised by :func:`gradcheck` when analytic and numeric gradients disagree."""


def _call(fn: Callable[..., Any], inputs: Sequence[Tensor]) -> Tensor:
    out = fn(*inputs)
    if not isinstance(out, Tensor):
        raise TypeError(f"gradcheck: fn must return a Tensor, got {type(out).__name__}")
    return out


def _forward_values(fn: Callable[..., Any], inputs: Sequence[Tensor]) -> np.ndarray:
    with no_grad():
        return np.array(_call(fn, inputs).data, dtype=np.float64).reshape(-1)


def numeric_jacobian(
    fn: Callable[..., Any], inputs: Sequence[Tensor], index: int, eps: float = 1e-6
) -> np.ndarray:
    """Central-difference Jacobian ``d fn(inputs).ravel() / d inputs[index].ravel()``.

    The input's array is perturbed in place and restored exactly afterwards.
    """
    flat = inputs[index].data.reshape(-1)  # a view: gradcheck makes inputs contiguous
    columns = []
    for i in range(flat.size):
        saved = flat[i]
        flat[i] = saved + eps
        plus = _forward_values(fn, inputs)
        flat[i] = saved - eps
        minus = _forward_values(fn, inputs)
        flat[i] = saved
        columns.append((plus - minus) / (2 * eps))
    n_out = _forward_values(fn, inputs).size
    return np.stack(columns, axis=1) if columns else np.zeros((n_out, 0))


def analytic_jacobian(
    fn: Callable[..., Any], inputs: Sequence[Tensor], index: int
) -> np.ndarray:
    """Jacobian of ``fn`` with respect to ``inputs[index]`` from ``backward()``, one
    output element (one-hot seed) per row."""
    out = _call(fn, inputs)
    rows = []
    for k in range(out.size):
        seed = np.zeros(out.size)
        seed[k] = 1.0
        for t in inputs:
            t.grad = None
        _call(fn, inputs).backward(seed.reshape(out.shape))
        grad = inputs[index].grad
        rows.append(np.zeros(inputs[index].size) if grad is None else grad.data.reshape(-1))
    for t in inputs:
        t.grad = None
    return np.stack(rows) if rows else np.zeros((0, inputs[index].size))


def _fast_check(
    fn: Callable[..., Any], inputs: Sequence[Tensor], index: int, eps: float,
    rng: np.random.Generator,
) -> tuple[float, float]:
    """Return (analytic, numeric) ``vᵀ J u`` for random unit-variance ``u`` and ``v``."""
    x = inputs[index]
    out = _call(fn, inputs)
    v = rng.standard_normal(out.shape)
    u = rng.standard_normal(x.shape)
    for t in inputs:
        t.grad = None
    out.backward(v)
    analytic = 0.0 if x.grad is None else float(np.sum(x.grad.data * u))
    for t in inputs:
        t.grad = None
    saved = x.data.copy()
    x.data[...] = saved + eps * u
    plus = float(np.dot(v.reshape(-1), _forward_values(fn, inputs)))
    x.data[...] = saved - eps * u
    minus = float(np.dot(v.reshape(-1), _forward_values(fn, inputs)))
    x.data[...] = saved
    return analytic, (plus - minus) / (2 * eps)


def gradcheck(
    fn: Callable[..., Any],
    inputs: Sequence[Any],
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    fast_mode: bool = False,
    seed: int | None = 0,
) -> bool:
    """Check the gradients of ``fn`` at ``inputs`` against central finite differences.

    Every input with ``requires_grad=True`` is checked, in float64. By default the full
    Jacobian is compared: one backward pass per output element against two forward
    passes per input element.

    Parameters
    ----------
    fn : callable
        Takes the inputs as Tensors and returns a Tensor of any shape.
    inputs : sequence of Tensor
        Inputs with ``requires_grad=True`` are checked and must be float64 (rounding
        error in float32 swamps finite differences).
    eps : float
        Step of the central difference.
    atol, rtol : float
        Tolerances: ``|analytic - numeric| <= atol + rtol * |numeric|``.
    fast_mode : bool
        Compare only the scalar ``vᵀ J u`` for random ``u`` and ``v``: one backward and
        two forward passes per input, so large inputs stay cheap.
    seed : int or None
        Seed of the random vectors of ``fast_mode``.

    Returns
    -------
    bool
        True when every gradient agrees.

    Raises
    ------
    GradcheckError
        Naming the input, the output and input elements, and the analytic and numeric
        values.

    Examples
    --------
    >>> x = Tensor(np.random.rand(3, 2), dtype=np.float64, requires_grad=True)
    >>> gradcheck(lambda t: t.sigmoid(), [x])
    True
    """
    tensors = [x if isinstance(x, Tensor) else Tensor(np.asarray(x, dtype=np.float64))
               for x in inputs]
    checked = [i for i, t in enumerate(tensors) if t.requires_grad]
    if not checked:
        raise ValueError("gradcheck: no input has requires_grad=True")
    for i in checked:
        if tensors[i].dtype != np.float64:
            raise TypeError(
                f"gradcheck: input {i} has dtype {tensors[i].dtype}; use float64 "
                "(finite differences are too coarse in float32)"
            )
        if not tensors[i].data.flags.c_contiguous:
            tensors[i].data = np.ascontiguousarray(tensors[i].data)
    if not _call(fn, tensors).requires_grad:
        raise GradcheckError("gradcheck: the output does not depend on any checked input")
    rng = np.random.default_rng(seed)
    for i in checked:
        if fast_mode:
            analytic, numeric = _fast_check(fn, tensors, i, eps, rng)
            if not abs(analytic - numeric) <= atol + rtol * abs(numeric):
                raise GradcheckError(
                    f"gradcheck (fast_mode): input {i} (shape {tensors[i].shape}): "
                    f"vᵀJu analytic {analytic:.10g}, numeric {numeric:.10g}"
                )
            continue
        analytic = analytic_jacobian(fn, tensors, i)
        numeric = numeric_jacobian(fn, tensors, i, eps)
        bad = ~(np.abs(analytic - numeric) <= atol + rtol * np.abs(numeric))
        if bad.any():
            out_k, in_k = np.unravel_index(int(np.argmax(bad)), bad.shape)
            out_shape = _forward_shape(fn, tensors)
            raise GradcheckError(
                f"gradcheck: input {i} (shape {tensors[i].shape}), element "
                f"{_index(in_k, tensors[i].shape)}, output element "
                f"{_index(out_k, out_shape)}: analytic {analytic[out_k, in_k]:.10g}, "
                f"numeric {numeric[out_k, in_k]:.10g} "
                f"({int(bad.sum())} of {bad.size} Jacobian entries differ)"
            )
    return True


def _forward_shape(fn: Callable[..., Any], inputs: Sequence[Tensor]) -> tuple[int, ...]:
    with no_grad():
        return _call(fn, inputs).shape


def _index(flat: Any, shape: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(int(i) for i in np.unravel_index(int(flat), shape)) if shape else ()
