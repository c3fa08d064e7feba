"""Activations, written so that no input overflows: sigmoid and softmax never call
``exp`` on a positive number, so ``|x| = 1000`` gives exact 0s and 1s, not NaN.

``exp`` of a very negative number underflows to 0, which is the right answer, so these
ops ignore underflow (as NumPy does by default) even when a caller asks NumPy to warn
or raise on it.
"""

from __future__ import annotations

import math

import numpy as np

from ..tensor import Tensor
from .reduce import normalize_axis


def _float(x: Tensor) -> np.ndarray:
    """The data as floats (integer tensors compute in float64, as NumPy's ufuncs do)."""
    return x.data if x.data.dtype.kind == "f" else x.data.astype(np.float64)


# ----------------------------------------------------------------------- pointwise


def sigmoid(x: Tensor) -> Tensor:
    """``1 / (1 + exp(-x))``, finite and warning-free for any ``x``.

    For ``x`` below about -709 (-88 in float32) ``exp(-x)`` overflows to ``inf`` and the
    quotient is exactly 0, the correctly rounded answer; elsewhere this form is as
    accurate as the two-branch "stable" one (``exp`` has small relative error everywhere)
    and costs half as many NumPy calls, which matters on small layers. So the overflow is
    expected, and silenced (as is underflow, which gives the right 1.0 for large ``x``).
    """
    with np.errstate(over="ignore", under="ignore"):
        out = 1 / (1 + np.exp(-_float(x)))
    # sigmoid' = sigmoid (1 - sigmoid)
    return Tensor.from_op(out, (x,), lambda g: (g * out * (1 - out),), "sigmoid")


def relu(x: Tensor) -> Tensor:
    """``max(x, 0)``; the gradient at 0 is 0, as in PyTorch."""
    out = np.maximum(x.data, 0)
    return Tensor.from_op(out, (x,), lambda g: (g * (out > 0),), "relu")


def leaky_relu(x: Tensor, negative_slope: float = 0.01) -> Tensor:
    """``x`` for ``x > 0``, else ``negative_slope * x``.

    Parameters
    ----------
    x : Tensor
    negative_slope : float
        Slope for ``x <= 0``; the gradient at 0 is this slope, as in PyTorch.
    """
    positive = x.data > 0
    out = np.where(positive, x.data, x.data * negative_slope)
    return Tensor.from_op(
        out, (x,), lambda g: (np.where(positive, g, g * negative_slope),), "leaky_relu"
    )


def tanh(x: Tensor) -> Tensor:
    """Hyperbolic tangent (NumPy's ``tanh`` saturates cleanly at ±1)."""
    out = np.tanh(x.data)
    return Tensor.from_op(out, (x,), lambda g: (g * (1 - out * out),), "tanh")


def elu(x: Tensor, alpha: float = 1.0) -> Tensor:
    """``x`` for ``x > 0``, else ``alpha * (exp(x) - 1)`` (PyTorch's ELU).

    Parameters
    ----------
    x : Tensor
    alpha : float
        The value approached as ``x -> -inf`` is ``-alpha``.
    """
    data = _float(x)
    positive = data > 0
    # expm1 only sees x <= 0: no overflow for large x, and accurate near 0.
    with np.errstate(under="ignore"):
        neg = alpha * np.expm1(np.minimum(data, 0))
    out = np.where(positive, data, neg)
    # For x <= 0 the derivative alpha exp(x) is the output plus alpha.
    return Tensor.from_op(
        out, (x,), lambda g: (np.where(positive, g, g * (neg + alpha)),), "elu"
    )


# Cody's rational Chebyshev approximations of erf/erfc (W. J. Cody, Math. Comp. 23,
# 1969; the CALERF routine), accurate to double precision. NumPy has no erf.
_ERF_A = (3.16112374387056560e00, 1.13864154151050156e02, 3.77485237685302021e02,
          3.20937758913846947e03, 1.85777706184603153e-1)
_ERF_B = (2.36012909523441209e01, 2.44024637934444173e02, 1.28261652607737228e03,
          2.84423683343917062e03)
_ERF_C = (5.64188496988670089e-1, 8.88314979438837594e00, 6.61191906371416295e01,
          2.98635138197400131e02, 8.81952221241769090e02, 1.71204761263407058e03,
          2.05107837782607147e03, 1.23033935479799725e03, 2.15311535474403846e-8)
_ERF_D = (1.57449261107098347e01, 1.17693950891312499e02, 5.37181101862009858e02,
          1.62138957456669019e03, 3.29079923573345963e03, 4.36261909014324716e03,
          3.43936767414372164e03, 1.23033935480374942e03)
_ERF_P = (3.05326634961232344e-1, 3.60344899949804439e-1, 1.25781726111229246e-1,
          1.60837851487422766e-2, 6.58749161529837803e-4, 1.63153871373020978e-2)
_ERF_Q = (2.56852019228982242e00, 1.87295284992346725e00, 5.27905102951428412e-1,
          6.05183413124413191e-2, 2.33520497626869185e-3)


def erfc(x: np.ndarray) -> np.ndarray:
    """The complementary error function ``1 - erf(x)`` of a float array, elementwise."""
    with np.errstate(under="ignore"):  # erfc(x) underflows towards 0 for large x
        return _erfc(x)


def _erfc(x: np.ndarray) -> np.ndarray:
    y = np.abs(x)
    out = np.empty_like(y)
    small = y < 0.46875
    middle = (y >= 0.46875) & (y <= 4.0)
    large = (y > 4.0) & (y < 27.0)  # erfc(27) < 1e-318: beyond it, 0 (and exp underflows)

    z = y[small] ** 2
    num, den = _ERF_A[4] * z, z
    for i in range(3):
        num, den = (num + _ERF_A[i]) * z, (den + _ERF_B[i]) * z
    out[small] = 1 - x[small] * (num + _ERF_A[3]) / (den + _ERF_B[3])

    t = y[middle]
    num, den = _ERF_C[8] * t, t
    for i in range(7):
        num, den = (num + _ERF_C[i]) * t, (den + _ERF_D[i]) * t
    out[middle] = _scaled_exp(t) * (num + _ERF_C[7]) / (den + _ERF_D[7])

    t = y[large]
    z = 1 / (t * t)
    num, den = _ERF_P[5] * z, z
    for i in range(4):
        num, den = (num + _ERF_P[i]) * z, (den + _ERF_Q[i]) * z
    r = z * (num + _ERF_P[4]) / (den + _ERF_Q[4])
    out[large] = _scaled_exp(t) * (1 / math.sqrt(math.pi) - r) / t

    out[y >= 27.0] = 0
    out[np.isnan(y)] = np.nan
    # Above, y = |x|; for x < 0 use erfc(-y) = 2 - erfc(y).
    tail = ~small & (x < 0)
    out[tail] = 2 - out[tail]
    return out


def _scaled_exp(t: np.ndarray) -> np.ndarray:
    """``exp(-t²)`` computed as Cody does, splitting ``t²`` to keep its rounding error
    from being magnified by the exponential."""
    head = np.trunc(t * 16) / 16
    return np.exp(-head * head) * np.exp(-(t - head) * (t + head))


_SQRT_2_OVER_PI = math.sqrt(2 / math.pi)


def gelu(x: Tensor, approximate: str = "none") -> Tensor:
    """Gaussian error linear unit, ``x * Φ(x)`` with ``Φ`` the standard normal CDF.

    Parameters
    ----------
    x : Tensor
    approximate : {"none", "tanh"}
        ``"none"``: the exact ``Φ(x) = erfc(-x/√2) / 2``; ``"tanh"``: PyTorch's
        ``0.5 x (1 + tanh(√(2/π) (x + 0.044715 x³)))``.
    """
    data = _float(x)
    if approximate == "none":
        with np.errstate(under="ignore"):
            cdf = 0.5 * erfc(-data / math.sqrt(2))
            out = data * cdf

        def backward(g: np.ndarray) -> tuple[np.ndarray]:
            # d/dx x Φ(x) = Φ(x) + x φ(x), φ the normal density.
            with np.errstate(under="ignore"):
                pdf = np.exp(-0.5 * data * data) / math.sqrt(2 * math.pi)
                return (g * (cdf + data * pdf),)

    elif approximate == "tanh":
        t = np.tanh(_SQRT_2_OVER_PI * (data + 0.044715 * data**3))
        out = 0.5 * data * (1 + t)

        def backward(g: np.ndarray) -> tuple[np.ndarray]:
            inner_grad = _SQRT_2_OVER_PI * (1 + 3 * 0.044715 * data * data)
            return (g * (0.5 * (1 + t) + 0.5 * data * (1 - t * t) * inner_grad),)

    else:
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return Tensor.from_op(out, (x,), backward, "gelu")


# ------------------------------------------------------------------- along an axis


def _shifted(op: str, x: Tensor, axis: int) -> tuple[np.ndarray, int]:
    """``x - max(x)`` along ``axis``, so that every ``exp`` argument is ``<= 0``, and
    the axis as a non-negative int. A 0-d tensor is one element along axis 0 / -1."""
    data = _float(x)
    if data.ndim == 0:
        normalize_axis(op, axis, (1,))
        return data - data, 0
    ax = normalize_axis(op, axis, data.shape)
    if data.shape[ax] == 0:  # nothing to normalise (and max of nothing is undefined)
        return data.copy(), ax
    return data - data.max(axis=ax, keepdims=True), ax


def softmax(x: Tensor, axis: int = -1) -> Tensor:
    """``exp(x) / sum(exp(x))`` along ``axis``, computed on ``x - max(x)`` (the same
    value, and no ``exp`` can overflow).

    Parameters
    ----------
    x : Tensor
    axis : int
        The axis whose entries sum to 1 (default the last; negative counts from the end).
    """
    z, ax = _shifted("softmax", x, axis)
    with np.errstate(under="ignore"):
        e = np.exp(z)
        out = e if z.ndim == 0 else e / np.sum(e, axis=ax, keepdims=True)

    def backward(g: np.ndarray) -> tuple[np.ndarray]:
        # Jacobian diag(s) - s sᵀ applied to g, without forming it: s (g - <g, s>).
        if out.ndim == 0:
            return (np.zeros_like(g),)
        return (out * (g - np.sum(g * out, axis=ax, keepdims=True)),)

    return Tensor.from_op(out, (x,), backward, "softmax")


def log_softmax(x: Tensor, axis: int = -1) -> Tensor:
    """``x - logsumexp(x)`` along ``axis``: exact even where ``softmax`` rounds to 0,
    which is why losses take it instead of ``log(softmax(x))``.

    Parameters
    ----------
    x : Tensor
    axis : int
        The axis to normalise over (default the last).
    """
    z, ax = _shifted("log_softmax", x, axis)
    if z.ndim == 0:
        out = z
    else:
        with np.errstate(under="ignore"):
            out = z - np.log(np.sum(np.exp(z), axis=ax, keepdims=True))

    def backward(g: np.ndarray) -> tuple[np.ndarray]:
        # d out_i / d x_j = δ_ij - softmax_j, so the gradient is g - softmax * sum(g).
        if out.ndim == 0:
            return (np.zeros_like(g),)
        with np.errstate(under="ignore"):
            return (g - np.exp(out) * np.sum(g, axis=ax, keepdims=True),)

    return Tensor.from_op(out, (x,), backward, "log_softmax")
