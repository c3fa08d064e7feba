"""Activations. Each op computes its result with NumPy and gives ``Tensor.from_op`` one
gradient formula ``backward(g, out, x)``, called with arrays on the fast path and with
tensors under ``create_graph=True`` (see ``ops/elementwise.py``). Most formulas are
written with the output, the cheapest form and differentiable again: ``sigmoid' = out
(1 - out)``, ``tanh' = 1 - out²``; masks (relu's ``out > 0``) are constants.

Stability: sigmoid and softmax never call ``exp`` on a large positive number, so
``|x| = 1000`` gives exact 0s and 1s, not NaN. ``exp`` of a very negative number
underflows to 0, which is the right answer, so these ops ignore underflow even when a
caller asks NumPy to warn or raise on it.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..tensor import UFUNC_OPS, Tensor, as_tensor, inplace, ones_constant, register_methods
from . import _numerics
from .elementwise import to_dtype
from .reduce import normalize_axis

# A decorator: thread-safe (a shared `with np.errstate` object is not), and cached.
_quiet = _numerics.ignoring(over="ignore", under="ignore")


def _unary(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else as_tensor(x)


def _float(x: Tensor) -> np.ndarray:
    """The data as floats (integer tensors compute in float64, as NumPy's ufuncs do)."""
    return x._array if x._array.dtype.kind == "f" else x._array.astype(np.float64)


# ----------------------------------------------------------------------- sigmoid, tanh


@_quiet
def _sigmoid(z: np.ndarray) -> np.ndarray:
    # Below about -709 (-88 in float32) exp(-z) overflows to inf and the quotient is
    # exactly 0, the correctly rounded answer; elsewhere this form is as accurate as the
    # two-branch "stable" one (exp has a small relative error everywhere) at half the
    # NumPy calls. So the overflow is expected, and silenced. The sum and the quotient
    # go into exp's fresh result, and 1 is a 0-d array of z's dtype (a Python number is
    # converted on every call): together a third faster, with the same bits.
    one = ones_constant((), z.dtype)
    denominator = np.exp(-z)
    if type(denominator) is not np.ndarray:  # a NumPy scalar, for a 0-d z
        return one / (one + denominator)
    denominator += one
    return np.divide(one, denominator, out=denominator)


def sigmoid(input: Any) -> Tensor:
    """``1 / (1 + exp(-x))``, finite and warning-free for any ``x``."""
    x = _unary(input)
    return Tensor.from_op(_sigmoid(_float(x)), (x,), _sigmoid_backward, "sigmoid")


def _sigmoid_backward(g: Any, out: Any, x: Any) -> tuple[Any]:
    return (g * out * (ones_constant((), out.dtype) - out),)


def tanh(input: Any) -> Tensor:
    """Hyperbolic tangent (NumPy's ``tanh`` saturates cleanly at ±1)."""
    x = _unary(input)
    return Tensor.from_op(np.tanh(x._array), (x,), _tanh_backward, "tanh")


def _tanh_backward(g: Any, out: Any, x: Any) -> tuple[Any]:
    return (g * (ones_constant((), out.dtype) - out * out),)


def logsigmoid(input: Any) -> Tensor:
    """``log(sigmoid(x)) = -softplus(-x)``, exact for large ``|x|``."""
    x = _unary(input)
    with np.errstate(under="ignore"):
        out = -np.logaddexp(0, -_float(x))
    return Tensor.from_op(out, (x,), _logsigmoid_backward, "logsigmoid")


@_quiet
def _logsigmoid_backward(g: Any, out: Any, x: Any) -> tuple[Any]:
    # d/dx log σ(x) = 1 - σ(x) = 1 - exp(out); expm1 keeps its precision where σ ≈ 1.
    return (-g * np.expm1(out),)


def softplus(input: Any, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """``log(1 + exp(beta x)) / beta``, and ``x`` itself where ``beta x > threshold``
    (PyTorch's ``softplus``, which switches to the identity there)."""
    x = _unary(input)
    data = _float(x)
    linear = data * beta > threshold
    with np.errstate(under="ignore"):
        out = np.where(linear, data, np.logaddexp(0, data * beta) / beta)
    return Tensor.from_op(
        out, (x,), lambda g, out, x: (_softplus_grad(g, out, beta, linear),), "softplus"
    )


@_quiet
def _softplus_grad(g: Any, out: Any, beta: float, linear: np.ndarray) -> Any:
    # The derivative σ(beta x) equals 1 - exp(-beta out): -expm1 keeps it exact in both
    # tails, and written with ``out`` it can be differentiated again.
    return np.where(linear, g, -g * np.expm1(-beta * out))


def softplus_of(v: Any) -> Any:
    """``log(1 + exp(v))`` for a gradient formula: of an array on the fast path, and as
    a recorded op of a tensor under ``create_graph`` (so it can be differentiated)."""
    if isinstance(v, Tensor):
        return softplus(v, threshold=math.inf)
    with np.errstate(under="ignore"):
        return np.logaddexp(0, v)


def silu(input: Any) -> Tensor:
    """``x * sigmoid(x)`` (also called swish), composed of the two ops."""
    x = _unary(input)
    return x * sigmoid(x)


# -------------------------------------------------------------------- piecewise linear


def relu(input: Any) -> Tensor:
    """``max(x, 0)``; the gradient at 0 is 0, as in PyTorch."""
    x = _unary(input)
    return Tensor.from_op(np.maximum(x._array, 0), (x,), _relu_backward, "relu")


def _relu_backward(g: Any, out: Any, x: Any) -> tuple[Any]:
    return (g * (out > 0),)


def leaky_relu(input: Any, negative_slope: float = 0.01) -> Tensor:
    """``x`` for ``x > 0``, else ``negative_slope * x``; the gradient at 0 is the slope,
    as in PyTorch."""
    x = _unary(input)
    positive = x._array > 0
    out = np.where(positive, x._array, x._array * negative_slope)
    return Tensor.from_op(
        out, (x,), lambda g, out, x: (np.where(positive, g, g * negative_slope),),
        "leaky_relu",
    )


def hardtanh(input: Any, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    """``x`` limited to ``[min_val, max_val]``. Unlike ``clamp``, the gradient is 0 at
    the two ends (as PyTorch's ``hardtanh``)."""
    x = _unary(input)
    if min_val > max_val:
        raise ValueError(f"hardtanh: min_val {min_val} must not exceed max_val {max_val}")
    inside = (x._array > min_val) & (x._array < max_val)
    out = np.clip(x._array, min_val, max_val)
    return Tensor.from_op(out, (x,), lambda g, out, x: (g * inside,), "hardtanh")


def relu6(input: Any) -> Tensor:
    """``min(max(x, 0), 6)``: ``hardtanh(x, 0, 6)``."""
    return hardtanh(input, 0.0, 6.0)


def elu(input: Any, alpha: float = 1.0) -> Tensor:
    """``x`` for ``x > 0``, else ``alpha * (exp(x) - 1)`` (PyTorch's ELU); ``-alpha`` is
    approached as ``x -> -inf``."""
    x = _unary(input)
    data = _float(x)
    positive = data > 0
    # expm1 only sees x <= 0: no overflow for large x, and accurate near 0.
    with np.errstate(under="ignore"):
        out = np.where(positive, data, alpha * np.expm1(np.minimum(data, 0)))
    # For x <= 0 the derivative alpha exp(x) is the output plus alpha.
    return Tensor.from_op(
        out, (x,), lambda g, out, x: (np.where(positive, g, g * (out + alpha)),), "elu"
    )


# ------------------------------------------------------------------------ erf and GELU

_TWO_OVER_SQRT_PI = 2 / math.sqrt(math.pi)


def erf(input: Any) -> Tensor:
    """The error function ``2/√π ∫₀ˣ exp(-t²) dt`` (exact to double precision)."""
    x = _unary(input)
    return Tensor.from_op(_numerics.erf(_float(x)), (x,), _erf_backward, "erf")


@_quiet
def _erf_backward(g: Any, out: Any, x: Any) -> tuple[Any]:
    return (g * _TWO_OVER_SQRT_PI * np.exp(-x * x),)


def erfc(input: Any) -> Tensor:
    """``1 - erf(x)``, accurate where ``erf`` rounds to 1."""
    x = _unary(input)
    return Tensor.from_op(_numerics.erfc(_float(x)), (x,), _erfc_backward, "erfc")


@_quiet
def _erfc_backward(g: Any, out: Any, x: Any) -> tuple[Any]:
    return (-g * _TWO_OVER_SQRT_PI * np.exp(-x * x),)


def _normal_cdf(x: Any) -> Any:
    """``Φ(x) = erfc(-x/√2) / 2`` of an array, or of a tensor as a recorded op (so that a
    gradient formula using it can be differentiated again)."""
    u = x * -math.sqrt(0.5)
    return 0.5 * (erfc(u) if isinstance(u, Tensor) else _numerics.erfc(u))


_SQRT_2_OVER_PI = math.sqrt(2 / math.pi)
_INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)


def gelu(input: Any, approximate: str = "none") -> Tensor:
    """Gaussian error linear unit, ``x Φ(x)`` with ``Φ`` the standard normal CDF.

    Parameters
    ----------
    input : Tensor
    approximate : {"none", "tanh"}
        ``"none"``: the exact ``Φ(x) = erfc(-x/√2) / 2``; ``"tanh"``: PyTorch's
        ``0.5 x (1 + tanh(√(2/π) (x + 0.044715 x³)))``.
    """
    x = _unary(input)
    data = _float(x)
    if approximate == "none":
        return Tensor.from_op(data * _normal_cdf(data), (x,), _gelu_backward, "gelu")
    if approximate == "tanh":
        out = 0.5 * data * (1 + np.tanh(_SQRT_2_OVER_PI * (data + 0.044715 * data**3)))
        return Tensor.from_op(out, (x,), _gelu_tanh_backward, "gelu")
    raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")


@_quiet
def _gelu_backward(g: Any, out: Any, x: Any) -> tuple[Any]:
    # d/dx x Φ(x) = Φ(x) + x φ(x), φ the normal density; Φ recomputed from x (not kept
    # from the forward pass) so that the formula can be differentiated again.
    return (g * (_normal_cdf(x) + x * np.exp(-0.5 * x * x) * _INV_SQRT_2PI),)


def _gelu_tanh_backward(g: Any, out: Any, x: Any) -> tuple[Any]:
    t = np.tanh(_SQRT_2_OVER_PI * (x + 0.044715 * x * x * x))
    inner_grad = _SQRT_2_OVER_PI * (1 + 3 * 0.044715 * x * x)
    return (g * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * inner_grad),)


# ----------------------------------------------------------------- along one axis


def _along(op: str, input: Any, dim: Any, axis: Any, dtype: Any) -> tuple[Tensor, int]:
    """The input (cast to ``dtype`` first, as PyTorch does) and its axis as a
    non-negative int; ``dim`` (PyTorch) and ``axis`` (NumPy) are the same argument, the
    last axis by default. A 0-d tensor is one element along axis 0 / -1."""
    if axis is not None:
        if dim is not None and dim != axis:
            raise TypeError(f"{op}: got dim={dim} and axis={axis}; give one of them")
        dim = axis
    x = _unary(input)
    if dtype is not None:
        x = to_dtype(x, dtype)
    if dim is None:
        dim = -1
    return x, normalize_axis(op, dim, x.shape or (1,))


def _shifted(x: Tensor, ax: int) -> np.ndarray:
    """``x - max(x)`` along ``ax``, so that every ``exp`` argument is ``<= 0``."""
    data = _float(x)
    if data.shape[ax] == 0:  # nothing to normalise (and max of nothing is undefined)
        return data.copy()
    return data - data.max(axis=ax, keepdims=True)


def softmax(input: Any, dim: int | None = None, dtype: Any = None, *,
            axis: int | None = None) -> Tensor:
    """``exp(x) / sum(exp(x))`` along ``dim``, computed on ``x - max(x)`` (the same
    value, and no ``exp`` can overflow).

    Parameters
    ----------
    input : Tensor
    dim : int, optional
        The axis whose entries sum to 1 (default the last; ``axis=`` is the same).
    dtype : dtype, optional
        Cast the input to it first.
    """
    x, ax = _along("softmax", input, dim, axis, dtype)
    if x.ndim == 0:
        return Tensor.from_op(np.ones_like(_float(x)), (x,), _zero_backward, "softmax")
    with np.errstate(under="ignore"):
        e = np.exp(_shifted(x, ax))
    out = e / e.sum(axis=ax, keepdims=True)

    # The Jacobian diag(s) - s sᵀ applied to g, without forming it: s (g - <g, s>).
    return Tensor.from_op(
        out, (x,),
        lambda g, out, x: (out * (g - (g * out).sum(axis=ax, keepdims=True)),),
        "softmax",
    )


def log_softmax(input: Any, dim: int | None = None, dtype: Any = None, *,
                axis: int | None = None) -> Tensor:
    """``x - logsumexp(x)`` along ``dim``: exact even where ``softmax`` rounds to 0,
    which is why losses take it instead of ``log(softmax(x))``. Arguments as
    :func:`softmax`."""
    x, ax = _along("log_softmax", input, dim, axis, dtype)
    if x.ndim == 0:
        return Tensor.from_op(np.zeros_like(_float(x)), (x,), _zero_backward, "log_softmax")
    z = _shifted(x, ax)
    with np.errstate(under="ignore", divide="ignore"):  # an empty axis: log(0) = -inf
        out = z - np.log(np.exp(z).sum(axis=ax, keepdims=True))
    return Tensor.from_op(
        out, (x,), lambda g, out, x: (_log_softmax_grad(g, out, ax),), "log_softmax"
    )


@_quiet
def _log_softmax_grad(g: Any, out: Any, ax: int) -> Any:
    # d out_i / d x_j = δ_ij - softmax_j, so the gradient is g - softmax * sum(g).
    return g - np.exp(out) * g.sum(axis=ax, keepdims=True)


def _zero_backward(g: Any, out: Any, x: Any) -> tuple[Any]:
    return (g * 0,)  # a constant result (softmax of one element)


# ------------------------------------------- in-place forms, Tensor methods, NumPy

sigmoid_ = inplace(sigmoid, "sigmoid_")
tanh_ = inplace(tanh, "tanh_")
relu_ = inplace(relu, "relu_")
leaky_relu_ = inplace(leaky_relu, "leaky_relu_")
hardtanh_ = inplace(hardtanh, "hardtanh_")
elu_ = inplace(elu, "elu_")
silu_ = inplace(silu, "silu_")
erf_ = inplace(erf, "erf_")
erfc_ = inplace(erfc, "erfc_")

register_methods(
    {
        "sigmoid": sigmoid, "sigmoid_": sigmoid_, "tanh": tanh, "tanh_": tanh_,
        "relu": relu, "relu_": relu_, "softmax": softmax, "log_softmax": log_softmax,
        "erf": erf, "erf_": erf_, "erfc": erfc, "erfc_": erfc_,
    }
)
UFUNC_OPS[np.tanh] = tanh

# The names ``torch`` itself has (``torch.sigmoid``, ...); nn.functional has the rest.
__all__ = [
    "erf", "erf_", "erfc", "erfc_", "log_softmax", "relu", "relu_", "sigmoid", "sigmoid_",
    "softmax", "tanh", "tanh_",
]
