"""Numerical gradient checking: compare gradients with central differences.

:func:`gradcheck` checks first derivatives, :func:`gradgradcheck` second ones (the
derivative of the gradient, so a backward that is right but not correctly
differentiable is caught). Both use :func:`tinygrad_lab.autograd.grad`, so they leave
every ``.grad`` as it was, and they restore every perturbed input, also when ``fn``
raises.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..autograd import grad
from ..tensor import Tensor


class GradcheckError(AssertionError):
    """Raised by :func:`gradcheck` when analytic and numeric gradients disagree."""


Outputs = Callable[[Sequence[Tensor]], list[Any]]


def _call(fn: Callable[..., Any], inputs: Sequence[Tensor]) -> Tensor:
    out = fn(*inputs)
    if not isinstance(out, Tensor):
        raise TypeError(f"gradcheck: fn must return a Tensor, got {type(out).__name__}")
    return out


def _values(outputs: Outputs, inputs: Sequence[Tensor], k: int) -> np.ndarray:
    out = outputs(inputs)[k]
    array = out.numpy() if isinstance(out, Tensor) else np.asarray(out)
    return np.array(array, dtype=np.float64).reshape(-1)


def _numeric(outputs: Outputs, inputs: Sequence[Tensor], k: int, j: int, eps: float
             ) -> np.ndarray:
    """Central differences of output ``k`` with respect to input ``j``, one column per
    input element. The input's array is perturbed in place and restored exactly."""
    array = inputs[j]._array
    columns = []
    for index in np.ndindex(array.shape):
        saved = array[index]
        try:
            array[index] = saved + eps
            plus = _values(outputs, inputs, k)
            array[index] = saved - eps
            minus = _values(outputs, inputs, k)
        finally:
            array[index] = saved  # exactly restored, also when the function raised
        columns.append((plus - minus) / (2 * eps))
    n_out = _values(outputs, inputs, k).size
    return np.stack(columns, axis=1) if columns else np.zeros((n_out, 0))


def _analytic(outputs: Outputs, inputs: Sequence[Tensor], k: int, j: int) -> np.ndarray:
    """d output ``k`` / d input ``j`` by ``autograd.grad``, one output element per row."""
    out = outputs(inputs)[k]
    x = inputs[j]
    size = int(np.prod(out.shape)) if isinstance(out, Tensor) else np.asarray(out).size
    if not isinstance(out, Tensor) or not out.requires_grad:
        return np.zeros((size, x._array.size))  # a constant: derivative zero
    rows = []
    for r in range(size):
        seed = np.zeros(size)
        seed[r] = 1.0
        (g,) = grad(out, x, grad_outputs=seed.reshape(out.shape), retain_graph=True,
                    allow_unused=True)
        rows.append(np.zeros(x._array.size) if g is None else g.numpy().reshape(-1))
    return np.stack(rows) if rows else np.zeros((0, x._array.size))


def _check(outputs: Outputs, inputs: Sequence[Tensor], checked: list[int], eps: float,
           atol: float, rtol: float, fast_mode: bool, seed: int | None, what: str) -> None:
    rng = np.random.default_rng(seed)
    n_outputs = len(outputs(inputs))
    for j in checked:
        for k in range(n_outputs):
            if fast_mode:
                _fast(outputs, inputs, k, j, eps, atol, rtol, rng, what)
                continue
            analytic = _analytic(outputs, inputs, k, j)
            numeric = _numeric(outputs, inputs, k, j, eps)
            bad = ~(np.abs(analytic - numeric) <= atol + rtol * np.abs(numeric))
            if bad.any():
                out_k, in_k = np.unravel_index(int(np.argmax(bad)), bad.shape)
                out_shape = np.shape(outputs(inputs)[k])
                of = f"gradient {k}" if what == "gradgradcheck" else "output"
                raise GradcheckError(
                    f"{what}: input {j} (shape {inputs[j].shape}), element "
                    f"{_index(in_k, inputs[j].shape)}, {of} element "
                    f"{_index(out_k, out_shape)}: analytic {analytic[out_k, in_k]:.10g}, "
                    f"numeric {numeric[out_k, in_k]:.10g} "
                    f"({int(bad.sum())} of {bad.size} Jacobian entries differ)"
                )


def _fast(outputs: Outputs, inputs: Sequence[Tensor], k: int, j: int, eps: float,
          atol: float, rtol: float, rng: np.random.Generator, what: str) -> None:
    """Compare only ``vᵀ J u`` for random ``u`` and ``v``: one backward, two forwards."""
    x = inputs[j]
    out = outputs(inputs)[k]
    v = rng.standard_normal(np.shape(out))
    u = rng.standard_normal(x.shape)
    analytic = 0.0
    if isinstance(out, Tensor) and out.requires_grad:
        (g,) = grad(out, x, grad_outputs=v, allow_unused=True)
        analytic = 0.0 if g is None else float(np.sum(g.numpy() * u))
    saved = x._array.copy()
    try:
        x._array[...] = saved + eps * u
        plus = float(np.dot(v.reshape(-1), _values(outputs, inputs, k)))
        x._array[...] = saved - eps * u
        minus = float(np.dot(v.reshape(-1), _values(outputs, inputs, k)))
    finally:
        x._array[...] = saved
    numeric = (plus - minus) / (2 * eps)
    if not abs(analytic - numeric) <= atol + rtol * abs(numeric):
        raise GradcheckError(
            f"{what} (fast_mode): input {j} (shape {x.shape}), output {k}: "
            f"vᵀJu analytic {analytic:.10g}, numeric {numeric:.10g}"
        )


def _prepare(inputs: Sequence[Any], what: str) -> tuple[list[Tensor], list[int]]:
    tensors = [x if isinstance(x, Tensor) else Tensor(np.asarray(x, dtype=np.float64))
               for x in inputs]
    checked = [i for i, t in enumerate(tensors) if t.requires_grad]
    if not checked:
        raise ValueError(f"{what}: no input has requires_grad=True")
    for i in checked:
        if tensors[i].dtype != np.float64:
            raise TypeError(
                f"{what}: input {i} has dtype {tensors[i].dtype}; use float64 "
                "(finite differences are too coarse in float32)"
            )
    return tensors, checked


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
    passes per input element. No ``.grad`` is touched, and inputs are restored exactly
    (also when ``fn`` raises).

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
    tensors, checked = _prepare(inputs, "gradcheck")
    if not _call(fn, tensors).requires_grad:
        raise GradcheckError("gradcheck: the output does not depend on any checked input")
    _check(lambda xs: [_call(fn, xs)], tensors, checked, eps, atol, rtol, fast_mode, seed,
           "gradcheck")
    return True


def gradgradcheck(
    fn: Callable[..., Any],
    inputs: Sequence[Any],
    grad_outputs: Any = None,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    fast_mode: bool = False,
    seed: int | None = 0,
) -> bool:
    """Check second derivatives of ``fn``: the gradient ``vᵀ J`` (computed with
    ``create_graph=True``) is differentiated again and compared with central finite
    differences of that gradient.

    Catches an op whose first derivative is right but whose backward is not correctly
    differentiable (e.g. a formula that captured a forward value as a constant), also
    with respect to ``v`` (e.g. a formula that detached its incoming gradient). Input
    index ``len(inputs)`` in a report means ``v``.

    Parameters
    ----------
    fn, inputs, eps, atol, rtol, fast_mode, seed
        As in :func:`gradcheck`.
    grad_outputs : array_like, optional
        The ``v`` of ``vᵀ J``, shaped like ``fn``'s output (random normal, from ``seed``,
        when left out).

    Returns
    -------
    bool
        True when every second derivative agrees.

    Examples
    --------
    >>> x = Tensor(np.random.rand(3), dtype=np.float64, requires_grad=True)
    >>> gradgradcheck(lambda t: t.exp(), [x])
    True
    """
    tensors, checked = _prepare(inputs, "gradgradcheck")
    out = _call(fn, tensors)
    if grad_outputs is None:
        grad_outputs = np.random.default_rng(seed).standard_normal(out.shape)
    v = np.asarray(grad_outputs.numpy() if isinstance(grad_outputs, Tensor) else grad_outputs,
                   dtype=np.float64)
    if v.shape != out.shape:
        raise ValueError(
            f"gradgradcheck: grad_outputs has shape {v.shape}, the output {out.shape}"
        )

    # Like PyTorch's, the check also differentiates with respect to v: a backward that
    # is not differentiable in its incoming gradient (e.g. one that detaches it) fails.
    cotangent = Tensor(v, requires_grad=True)
    everything = [*tensors, cotangent]
    wrt_index = [*checked, len(tensors)]

    def first_gradients(xs: Sequence[Tensor]) -> list[Any]:
        wrt = [xs[i] for i in checked]
        grads = grad(_call(fn, xs[:-1]), wrt, grad_outputs=xs[-1], create_graph=True,
                     allow_unused=True)
        return [np.zeros(w.shape) if g is None else g for g, w in zip(grads, wrt, strict=True)]

    _check(first_gradients, everything, wrt_index, eps, atol, rtol, fast_mode, seed,
           "gradgradcheck")
    return True


def numeric_jacobian(
    fn: Callable[..., Any], inputs: Sequence[Tensor], index: int, eps: float = 1e-6
) -> np.ndarray:
    """Central-difference Jacobian ``d fn(inputs).ravel() / d inputs[index].ravel()``."""
    return _numeric(lambda xs: [_call(fn, xs)], inputs, 0, index, eps)


def analytic_jacobian(
    fn: Callable[..., Any], inputs: Sequence[Tensor], index: int
) -> np.ndarray:
    """Jacobian of ``fn`` with respect to ``inputs[index]`` from the gradient formulas,
    one output element per row (no ``.grad`` is touched)."""
    return _analytic(lambda xs: [_call(fn, xs)], inputs, 0, index)


def _index(flat: Any, shape: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(int(i) for i in np.unravel_index(int(flat), shape)) if shape else ()
