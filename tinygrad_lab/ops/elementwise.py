"""Elementwise ops. Each returns its result and a closure mapping the output's gradient
``g`` to one gradient per input. Broadcasting is undone by the engine, so a backward may
return gradients in the broadcast (output) shape."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..tensor import Tensor, as_tensor


def _pair(a: Any, b: Any) -> tuple[Tensor, Tensor]:
    """Both operands as Tensors; a Python number takes the other operand's dtype."""
    if not isinstance(a, Tensor):
        a = as_tensor(a, like=b if isinstance(b, Tensor) else None)
    if not isinstance(b, Tensor):
        b = as_tensor(b, like=a)
    return a, b


def _broadcast_error(op: str, a: Tensor, b: Tensor) -> ValueError:
    return ValueError(
        f"{op}: shapes {a.shape} and {b.shape} cannot be broadcast together "
        "(NumPy rules: trailing axes must be equal or 1)"
    )


def _binary(op: str, fn: Any, a: Tensor, b: Tensor) -> np.ndarray:
    try:
        return fn(a.data, b.data)
    except ValueError:
        if a.ndim and b.ndim:
            raise _broadcast_error(op, a, b) from None
        raise


def add(a: Any, b: Any) -> Tensor:
    a, b = _pair(a, b)
    return Tensor.from_op(_binary("add", np.add, a, b), (a, b), lambda g: (g, g), "add")


def sub(a: Any, b: Any) -> Tensor:
    a, b = _pair(a, b)
    return Tensor.from_op(_binary("sub", np.subtract, a, b), (a, b), lambda g: (g, -g), "sub")


def mul(a: Any, b: Any) -> Tensor:
    a, b = _pair(a, b)
    return Tensor.from_op(
        _binary("mul", np.multiply, a, b), (a, b), lambda g: (g * b.data, g * a.data), "mul"
    )


def div(a: Any, b: Any) -> Tensor:
    a, b = _pair(a, b)
    out = _binary("div", np.true_divide, a, b)
    # d(a/b)/db = -a/b² = -out/b
    return Tensor.from_op(out, (a, b), lambda g: (g / b.data, -g * out / b.data), "div")


def neg(x: Tensor) -> Tensor:
    return Tensor.from_op(-x.data, (x,), lambda g: (-g,), "neg")


def pow(base: Any, exponent: Any) -> Tensor:  # noqa: A001
    """``base ** exponent``; either may be a tensor.

    The gradient with respect to the exponent is ``out * log(base)``, which only exists
    for a positive base; for a constant exponent it is never computed. At a zero base
    both gradients follow PyTorch: 0 for a zero exponent (``d 0**e / d base``) and 0 for a
    non-negative exponent (``d 0**e / d e``), instead of NaN.
    """
    base, exponent = _pair(base, exponent)
    out = _binary("pow", np.power, base, exponent)

    def backward(g: np.ndarray) -> tuple[Any, Any]:
        b, e = base.data, exponent.data
        grad_base = grad_exp = None
        with np.errstate(divide="ignore", invalid="ignore"):  # the 0 cases are masked below
            if base.requires_grad:
                grad_base = g * np.where(e == 0, 0.0, e * np.power(b, e - 1))
            if exponent.requires_grad:
                grad_exp = g * np.where((b == 0) & (e >= 0), 0.0, out * np.log(b))
        return grad_base, grad_exp

    return Tensor.from_op(out, (base, exponent), backward, "pow")


def exp(x: Tensor) -> Tensor:
    out = np.exp(x.data)
    return Tensor.from_op(out, (x,), lambda g: (g * out,), "exp")


def log(x: Tensor) -> Tensor:
    return Tensor.from_op(np.log(x.data), (x,), lambda g: (g / x.data,), "log")


def sqrt(x: Tensor) -> Tensor:
    out = np.sqrt(x.data)
    return Tensor.from_op(out, (x,), lambda g: (g / (2 * out),), "sqrt")


def abs(x: Tensor) -> Tensor:  # noqa: A001
    # The subgradient at 0 is 0, as in PyTorch.
    return Tensor.from_op(np.abs(x.data), (x,), lambda g: (g * np.sign(x.data),), "abs")


def clip(x: Tensor, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002
    """Limit values to ``[min, max]``; the gradient passes where ``x`` was inside (ends
    included, as in PyTorch's ``clamp``)."""
    if min is None and max is None:
        raise ValueError("clip: at least one of min and max must be given")
    lo = -np.inf if min is None else min
    hi = np.inf if max is None else max
    out = np.clip(x.data, lo, hi).astype(x.dtype, copy=False)
    inside = (x.data >= lo) & (x.data <= hi)
    return Tensor.from_op(out, (x,), lambda g: (g * inside,), "clip")


def maximum(a: Any, b: Any) -> Tensor:
    """Elementwise maximum; on ties the gradient is split equally, as in PyTorch."""
    a, b = _pair(a, b)
    out = _binary("maximum", np.maximum, a, b)
    a_wins = (a.data > b.data) + 0.5 * (a.data == b.data)
    return Tensor.from_op(out, (a, b), lambda g: (g * a_wins, g * (1 - a_wins)), "maximum")


def minimum(a: Any, b: Any) -> Tensor:
    """Elementwise minimum; on ties the gradient is split equally, as in PyTorch."""
    a, b = _pair(a, b)
    out = _binary("minimum", np.minimum, a, b)
    a_wins = (a.data < b.data) + 0.5 * (a.data == b.data)
    return Tensor.from_op(out, (a, b), lambda g: (g * a_wins, g * (1 - a_wins)), "minimum")


def where(condition: Any, a: Any, b: Any) -> Tensor:
    """``a`` where ``condition`` is true, else ``b`` (NumPy broadcasting)."""
    cond = condition.data if isinstance(condition, Tensor) else np.asarray(condition)
    a, b = _pair(a, b)
    try:
        out = np.where(cond, a.data, b.data)
    except ValueError:
        raise ValueError(
            f"where: shapes condition {cond.shape}, a {a.shape}, b {b.shape} cannot be "
            "broadcast together"
        ) from None
    cond = cond.astype(bool)
    return Tensor.from_op(
        out, (a, b), lambda g: (np.where(cond, g, 0), np.where(cond, 0, g)), "where"
    )
