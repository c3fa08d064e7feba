"""Elementwise ops. Each computes its result with NumPy and gives ``Tensor.from_op`` its
gradient formula ``backward(g, out, *inputs)``, written once: the engine calls it with
arrays, or with tensors when the gradient itself must be differentiable (``np.exp`` and
``np.where`` of tensors are ops too, see the tables at the end). Broadcasting is undone by
the engine, so a formula may return gradients in the broadcast (output) shape.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..dtypes import as_dtype, legacy_name
from ..tensor import (
    FUNCTION_OPS,
    UFUNC_OPS,
    Tensor,
    as_tensor,
    device,
    get_default_dtype,
    inplace,
    reflected,
    register_methods,
)


def _pair(a: Any, b: Any) -> tuple[Tensor, Tensor]:
    """Both operands as Tensors; a Python number takes the other operand's dtype."""
    if not isinstance(a, Tensor):
        a = as_tensor(a, like=b if isinstance(b, Tensor) else None)
    if not isinstance(b, Tensor):
        b = as_tensor(b, like=a)
    return a, b


def _torch_dtype(out: np.ndarray, *inputs: np.ndarray) -> np.ndarray:
    """PyTorch's promotion where NumPy's differs: integers mixed with floats give the
    float operand's dtype (int64 + float32 is float32), and integers alone that make a
    float (``/``) give the default dtype."""
    dtype = out.dtype
    if dtype.kind != "f":
        return out
    for a in inputs:  # the common case, in a loop (a generator costs more than the op)
        if a.dtype is dtype:  # a float input's dtype: NumPy's result is PyTorch's too
            return out
    floats = [a.dtype for a in inputs if a.dtype.kind == "f"]
    want = np.result_type(*floats) if floats else get_default_dtype()
    return out if dtype == want else out.astype(want)


def _binary(op: str, fn: Any, a: Tensor, b: Tensor) -> np.ndarray:
    try:
        return _torch_dtype(fn(a._array, b._array), a._array, b._array)
    except ValueError:
        if a.ndim and b.ndim:
            raise ValueError(
                f"{op}: shapes {a.shape} and {b.shape} cannot be broadcast together "
                "(NumPy rules: trailing axes must be equal or 1)"
            ) from None
        raise


def _unary(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else as_tensor(x)


# ------------------------------------------------------------------------ arithmetic


def _number(value: Any) -> bool:
    """A Python number: an op takes it as a constant, not as a tensor input (cheaper, and
    it needs no gradient)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def add(a: Any, b: Any, *, alpha: Any = 1) -> Tensor:
    """``a + alpha * b``."""
    if alpha != 1:
        b = mul(b, alpha)
    if _number(b) and isinstance(a, Tensor):
        out = _torch_dtype(a._array + b, a._array)
        return Tensor.from_op(out, (a,), lambda g, out, a: (g,), "add")
    if _number(a) and isinstance(b, Tensor):
        out = _torch_dtype(a + b._array, b._array)
        return Tensor.from_op(out, (b,), lambda g, out, b: (g,), "add")
    a, b = _pair(a, b)
    return Tensor.from_op(_binary("add", np.add, a, b), (a, b), lambda g, out, a, b: (g, g), "add")


def sub(a: Any, b: Any, *, alpha: Any = 1) -> Tensor:
    """``a - alpha * b``."""
    if alpha != 1:
        b = mul(b, alpha)
    if _number(b) and isinstance(a, Tensor):
        out = _torch_dtype(a._array - b, a._array)
        return Tensor.from_op(out, (a,), lambda g, out, a: (g,), "sub")
    if _number(a) and isinstance(b, Tensor):
        out = _torch_dtype(a - b._array, b._array)
        return Tensor.from_op(out, (b,), lambda g, out, b: (-g,), "sub")
    a, b = _pair(a, b)
    return Tensor.from_op(
        _binary("sub", np.subtract, a, b), (a, b), lambda g, out, a, b: (g, -g), "sub"
    )


def mul(a: Any, b: Any) -> Tensor:
    if _number(b) and isinstance(a, Tensor):
        out = _torch_dtype(a._array * b, a._array)
        return Tensor.from_op(out, (a,), lambda g, out, a: (g * b,), "mul")
    if _number(a) and isinstance(b, Tensor):
        out = _torch_dtype(a * b._array, b._array)
        return Tensor.from_op(out, (b,), lambda g, out, b: (g * a,), "mul")
    a, b = _pair(a, b)
    return Tensor.from_op(
        _binary("mul", np.multiply, a, b), (a, b), lambda g, out, a, b: (g * b, g * a), "mul"
    )


def div(a: Any, b: Any) -> Tensor:
    if _number(b) and isinstance(a, Tensor):
        out = _torch_dtype(a._array / b, a._array)
        return Tensor.from_op(out, (a,), lambda g, out, a: (g / b,), "div")
    if _number(a) and isinstance(b, Tensor):
        # d(a/b)/db = -a/b² = -out/b
        out = _torch_dtype(a / b._array, b._array)
        return Tensor.from_op(out, (b,), lambda g, out, b: (-g * out / b,), "div")
    a, b = _pair(a, b)
    return Tensor.from_op(
        _binary("div", np.true_divide, a, b),
        (a, b),
        lambda g, out, a, b: (g / b, -g * out / b),
        "div",
    )


def neg(x: Any) -> Tensor:
    x = _unary(x)
    return Tensor.from_op(-x._array, (x,), lambda g, out, x: (-g,), "neg")


def pow(base: Any, exponent: Any) -> Tensor:  # noqa: A001
    """``base ** exponent``; either may be a tensor.

    A constant (Python number) exponent takes the short formula ``e * x ** (e - 1)``.
    Otherwise the gradient with respect to the exponent is ``out * log(base)``, which
    only exists for a positive base. At a zero base both gradients follow PyTorch: 0 for
    a zero exponent (``d 0**e / d base``) and 0 for a non-negative exponent
    (``d 0**e / d e``), instead of NaN. (Only the zero base is masked, so that the
    gradient stays differentiable in the exponent at ``e = 0``.)
    """
    if isinstance(exponent, (int, float)) and not isinstance(exponent, bool) and isinstance(
        base, Tensor
    ):
        e = exponent
        if e == 2:  # the common square: cheaper than a general power
            return Tensor.from_op(
                base._array * base._array, (base,), lambda g, out, x: (2 * g * x,), "pow"
            )
        with np.errstate(divide="ignore", invalid="ignore"):
            out = np.power(base._array, e)
        return Tensor.from_op(
            out, (base,), lambda g, out, x: (g * (e * x ** (e - 1) if e != 0 else 0 * x),),
            "pow",
        )
    base, exponent = _pair(base, exponent)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = _binary("pow", np.power, base, exponent)
    return Tensor.from_op(out, (base, exponent), _pow_backward, "pow")


def _pow_backward(g: Any, out: Any, b: Any, e: Any) -> tuple[Any, Any]:
    with np.errstate(divide="ignore", invalid="ignore"):  # the 0 cases are masked
        grad_base = g * np.where((e == 0) & (b == 0), 0.0, e * b ** (e - 1))
        grad_exp = g * np.where((b == 0) & (e >= 0), 0.0, out * np.log(b))
    return grad_base, grad_exp


# ------------------------------------------------------------------------ pointwise


def exp(x: Any) -> Tensor:
    x = _unary(x)
    return Tensor.from_op(np.exp(x._array), (x,), lambda g, out, x: (g * out,), "exp")


def log(x: Any) -> Tensor:
    x = _unary(x)
    return Tensor.from_op(np.log(x._array), (x,), lambda g, out, x: (g / x,), "log")


def sqrt(x: Any) -> Tensor:
    x = _unary(x)
    return Tensor.from_op(np.sqrt(x._array), (x,), lambda g, out, x: (g / (2 * out),), "sqrt")


def abs(x: Any) -> Tensor:  # noqa: A001
    # The subgradient at 0 is 0, as in PyTorch.
    x = _unary(x)
    return Tensor.from_op(np.abs(x._array), (x,), lambda g, out, x: (g * np.sign(x),), "abs")


def sin(x: Any) -> Tensor:
    x = _unary(x)
    return Tensor.from_op(np.sin(x._array), (x,), lambda g, out, x: (g * np.cos(x),), "sin")


def cos(x: Any) -> Tensor:
    x = _unary(x)
    return Tensor.from_op(np.cos(x._array), (x,), lambda g, out, x: (-g * np.sin(x),), "cos")


def tan(x: Any) -> Tensor:
    x = _unary(x)
    return Tensor.from_op(np.tan(x._array), (x,), lambda g, out, x: (g * (1 + out * out),),
                          "tan")


def sinh(x: Any) -> Tensor:
    x = _unary(x)
    return Tensor.from_op(np.sinh(x._array), (x,), lambda g, out, x: (g * np.cosh(x),), "sinh")


def cosh(x: Any) -> Tensor:
    x = _unary(x)
    return Tensor.from_op(np.cosh(x._array), (x,), lambda g, out, x: (g * np.sinh(x),), "cosh")


def asin(x: Any) -> Tensor:
    x = _unary(x)
    return Tensor.from_op(
        np.arcsin(x._array), (x,), lambda g, out, x: (g / np.sqrt(1 - x * x),), "asin"
    )


def acos(x: Any) -> Tensor:
    x = _unary(x)
    return Tensor.from_op(
        np.arccos(x._array), (x,), lambda g, out, x: (-g / np.sqrt(1 - x * x),), "acos"
    )


def atan(x: Any) -> Tensor:
    x = _unary(x)
    return Tensor.from_op(np.arctan(x._array), (x,), lambda g, out, x: (g / (1 + x * x),),
                          "atan")


def log2(x: Any) -> Tensor:
    x = _unary(x)
    return Tensor.from_op(
        np.log2(x._array), (x,), lambda g, out, x: (g / (x * np.log(2.0)),), "log2"
    )


def log10(x: Any) -> Tensor:
    x = _unary(x)
    return Tensor.from_op(
        np.log10(x._array), (x,), lambda g, out, x: (g / (x * np.log(10.0)),), "log10"
    )


def log1p(x: Any) -> Tensor:
    x = _unary(x)
    return Tensor.from_op(np.log1p(x._array), (x,), lambda g, out, x: (g / (1 + x),), "log1p")


def expm1(x: Any) -> Tensor:
    x = _unary(x)
    return Tensor.from_op(np.expm1(x._array), (x,), lambda g, out, x: (g * (out + 1),),
                          "expm1")


def square(x: Any) -> Tensor:
    return pow(_unary(x), 2)


def reciprocal(x: Any) -> Tensor:
    x = _unary(x)
    # d(1/x)/dx = -1/x² = -out²
    return Tensor.from_op(
        np.reciprocal(x._array.astype(np.result_type(x.dtype, np.float32))),
        (x,),
        lambda g, out, x: (-g * out * out,),
        "reciprocal",
    )


def rsqrt(x: Any) -> Tensor:
    x = _unary(x)
    # d(x^-1/2)/dx = -x^-3/2 / 2 = -out³ / 2
    return Tensor.from_op(
        1 / np.sqrt(x._array), (x,), lambda g, out, x: (-0.5 * g * out * out * out,), "rsqrt"
    )


def _constant_op(name: str, fn: Any) -> Any:
    """A piecewise-constant op: its gradient is zero wherever it exists (as in PyTorch)."""

    def op(x: Any) -> Tensor:
        x = _unary(x)
        return Tensor.from_op(fn(x._array), (x,), lambda g, out, x: (None,), name)

    op.__name__ = name
    op.__doc__ = f"``np.{fn.__name__}``, with zero gradient (piecewise constant)."
    return op


sign = _constant_op("sign", np.sign)
floor = _constant_op("floor", np.floor)
ceil = _constant_op("ceil", np.ceil)
trunc = _constant_op("trunc", np.trunc)
_round = _constant_op("round", np.round)


def round(x: Any, decimals: int = 0) -> Tensor:  # noqa: A001
    """Round half to even (as PyTorch and NumPy do); zero gradient."""
    if decimals == 0:
        return _round(x)
    x = _unary(x)
    return Tensor.from_op(
        np.round(x._array, decimals), (x,), lambda g, out, x: (None,), "round"
    )


def clip(x: Any, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002
    """Limit values to ``[min, max]``; the gradient passes where ``x`` was inside (ends
    included, as in PyTorch's ``clamp``). Bounds keep their value: an integer tensor
    clipped to 0.5 becomes float, as in PyTorch's type promotion."""
    x = _unary(x)
    if min is None and max is None:
        raise ValueError("clip: at least one of min and max must be given")
    lo = -np.inf if min is None else (min._array if isinstance(min, Tensor) else min)
    hi = np.inf if max is None else (max._array if isinstance(max, Tensor) else max)
    array = x._array
    if array.dtype.kind in "biu" and any(
        isinstance(v, float) or np.asarray(v).dtype.kind == "f"
        for v in (lo, hi)
        if v is not None and not (np.isscalar(v) and np.isinf(v))
    ):
        array = array.astype(get_default_dtype())  # as PyTorch promotes
    out = np.clip(array, lo, hi)
    if out.dtype != array.dtype and array.dtype.kind == "f":
        out = out.astype(array.dtype)
    inside = (array >= lo) & (array <= hi)
    return Tensor.from_op(out, (x,), lambda g, out, x: (g * inside,), "clip")


clamp = clip  # PyTorch's name


def maximum(a: Any, b: Any) -> Tensor:
    """Elementwise maximum; on ties the gradient is split equally, as in PyTorch."""
    a, b = _pair(a, b)
    out = _binary("maximum", np.maximum, a, b)
    a_wins = (a._array > b._array) + 0.5 * (a._array == b._array)
    return Tensor.from_op(
        out, (a, b), lambda g, out, a, b: (g * a_wins, g * (1 - a_wins)), "maximum"
    )


def minimum(a: Any, b: Any) -> Tensor:
    """Elementwise minimum; on ties the gradient is split equally, as in PyTorch."""
    a, b = _pair(a, b)
    out = _binary("minimum", np.minimum, a, b)
    a_wins = (a._array < b._array) + 0.5 * (a._array == b._array)
    return Tensor.from_op(
        out, (a, b), lambda g, out, a, b: (g * a_wins, g * (1 - a_wins)), "minimum"
    )


def where(condition: Any, a: Any, b: Any) -> Tensor:
    """``a`` where ``condition`` is true, else ``b`` (NumPy broadcasting)."""
    cond = condition._array if isinstance(condition, Tensor) else np.asarray(condition)
    a, b = _pair(a, b)
    try:
        out = np.where(cond, a._array, b._array)
    except ValueError:
        raise ValueError(
            f"where: shapes condition {cond.shape}, a {a.shape}, b {b.shape} cannot be "
            "broadcast together"
        ) from None
    cond = cond.astype(bool)
    return Tensor.from_op(
        out,
        (a, b),
        lambda g, out, a, b: (np.where(cond, g, 0.0), np.where(cond, 0.0, g)),
        "where",
    )


# ------------------------------------------------------------------ comparisons, logic


def _logical(name: str, fn: Any) -> Any:
    """A comparison or logical op: a bool tensor, outside the graph."""

    def op(a: Any, b: Any) -> Tensor:
        a_array = a._array if isinstance(a, Tensor) else a
        b_array = b._array if isinstance(b, Tensor) else b
        return Tensor._wrap(np.asarray(fn(a_array, b_array)))

    op.__name__ = name
    return op


eq = _logical("eq", np.equal)
ne = _logical("ne", np.not_equal)
lt = _logical("lt", np.less)
le = _logical("le", np.less_equal)
gt = _logical("gt", np.greater)
ge = _logical("ge", np.greater_equal)
logical_and = _logical("logical_and", np.logical_and)
logical_or = _logical("logical_or", np.logical_or)
logical_xor = _logical("logical_xor", np.logical_xor)
bitwise_and = _logical("bitwise_and", np.bitwise_and)
bitwise_or = _logical("bitwise_or", np.bitwise_or)
bitwise_xor = _logical("bitwise_xor", np.bitwise_xor)


def logical_not(x: Any) -> Tensor:
    return Tensor._wrap(np.logical_not(x._array if isinstance(x, Tensor) else x))


def bitwise_not(x: Any) -> Tensor:
    return Tensor._wrap(np.invert(x._array if isinstance(x, Tensor) else np.asarray(x)))


def isnan(x: Any) -> Tensor:
    return Tensor._wrap(np.isnan(_unary(x)._array))


def isinf(x: Any) -> Tensor:
    return Tensor._wrap(np.isinf(_unary(x)._array))


def isfinite(x: Any) -> Tensor:
    return Tensor._wrap(np.isfinite(_unary(x)._array))


def equal(a: Any, b: Any) -> bool:
    """True when both have the same shape and elements (``torch.equal``)."""
    a, b = _pair(a, b)
    return a.shape == b.shape and bool(np.array_equal(a._array, b._array))


def allclose(a: Any, b: Any, rtol: float = 1e-5, atol: float = 1e-8,
             equal_nan: bool = False) -> bool:
    a, b = _pair(a, b)
    return bool(np.allclose(a._array, b._array, rtol=rtol, atol=atol, equal_nan=equal_nan))


def isclose(a: Any, b: Any, rtol: float = 1e-5, atol: float = 1e-8,
            equal_nan: bool = False) -> Tensor:
    a, b = _pair(a, b)
    return Tensor._wrap(np.isclose(a._array, b._array, rtol=rtol, atol=atol,
                                   equal_nan=equal_nan))


# ----------------------------------------------------------------------------- casts


def to_dtype(x: Any, dtype: Any) -> Tensor:
    """``x`` as ``dtype``; the gradient is cast back (a float result keeps the graph)."""
    x = _unary(x)
    dtype = as_dtype(dtype)
    if dtype == x.dtype:
        return x
    out = x._array.astype(dtype)
    if dtype.kind != "f":
        return Tensor._wrap(out)  # integers carry no gradient (as in PyTorch)
    return Tensor.from_op(out, (x,), lambda g, out, x: (g,), "to")


def _to(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
    """``to(dtype)``, ``to(device)``, ``to(device, dtype)``, ``to(other)``: the device must
    be the CPU; returns ``self`` when nothing changes (``copy=True`` copies)."""
    dtype = kwargs.pop("dtype", None)
    where = kwargs.pop("device", None)
    copy = kwargs.pop("copy", False)
    kwargs.pop("non_blocking", None)
    kwargs.pop("memory_format", None)
    if kwargs:
        raise TypeError(f"to(): unexpected arguments {sorted(kwargs)}")
    for arg in args:
        if isinstance(arg, Tensor):
            dtype = arg.dtype
        elif isinstance(arg, (str, device)) and str(arg).split(":")[0] in (
            "cpu", "cuda", "mps", "xla", "meta", "xpu"
        ):
            where = arg
        else:
            dtype = arg
    if where is not None:
        device(where)  # raises for anything but the CPU
    out = self if dtype is None else to_dtype(self, dtype)
    if copy and out is self:
        out = clone(self)
    return out


def _type(self: Tensor, dtype: Any = None) -> Any:
    """``t.type()`` names the type (``torch.FloatTensor``); ``t.type(dtype)`` casts."""
    if dtype is None:
        return legacy_name(self.dtype)
    return to_dtype(self, dtype)


def clone(x: Tensor) -> Tensor:
    """A copy with its own storage; the gradient flows back to ``x``."""
    return Tensor.from_op(x._array.copy(), (x,), lambda g, out, x: (g,), "clone")


def fill(x: Tensor, value: Any) -> Tensor:
    """A tensor like ``x`` filled with ``value`` (the out-of-place form of ``fill_``)."""
    value = value._array if isinstance(value, Tensor) else value
    return Tensor.from_op(np.full_like(x._array, value), (x,), lambda g, out, x: (None,),
                          "fill")


def copy_from(x: Tensor, source: Any) -> Tensor:
    """``source`` broadcast to ``x``'s shape and dtype (the out-of-place ``copy_``)."""
    source = _unary(source)
    try:
        out = np.broadcast_to(source._array, x.shape).astype(x.dtype)
    except ValueError:
        raise RuntimeError(
            f"copy_: the source of shape {source.shape} cannot be broadcast to the "
            f"tensor's shape {x.shape}"
        ) from None
    return Tensor.from_op(out, (x, source), lambda g, out, x, s: (None, g), "copy")


# ------------------------------------------------- Tensor methods, operators, NumPy

register_methods(
    {
        "add": add, "sub": sub, "subtract": sub, "mul": mul, "multiply": mul,
        "div": div, "divide": div, "true_divide": div, "pow": pow, "neg": neg,
        "negative": neg, "exp": exp, "log": log, "sqrt": sqrt, "abs": abs,
        "absolute": abs, "sin": sin, "cos": cos, "tan": tan, "sinh": sinh, "cosh": cosh,
        "asin": asin, "arcsin": asin, "acos": acos, "arccos": acos, "atan": atan,
        "arctan": atan, "log2": log2, "log10": log10, "log1p": log1p, "expm1": expm1,
        "square": square, "reciprocal": reciprocal, "rsqrt": rsqrt, "sign": sign,
        "floor": floor, "ceil": ceil, "trunc": trunc, "round": round,
        "clip": clip, "clamp": clip, "maximum": maximum, "minimum": minimum,
        "eq": eq, "ne": ne, "lt": lt, "le": le, "gt": gt, "ge": ge,
        "logical_and": logical_and, "logical_or": logical_or,
        "logical_xor": logical_xor, "logical_not": logical_not,
        "isnan": isnan, "isinf": isinf, "isfinite": isfinite,
        "equal": equal, "allclose": allclose, "isclose": isclose,
        "to": _to, "type": _type, "astype": to_dtype, "clone": clone,
        "float": lambda self: to_dtype(self, np.float32),
        "double": lambda self: to_dtype(self, np.float64),
        "half": lambda self: to_dtype(self, np.float16),
        "long": lambda self: to_dtype(self, np.int64),
        "int": lambda self: to_dtype(self, np.int32),
        "bool": lambda self: to_dtype(self, np.bool_),
        "contiguous": lambda self: self,
        # operators
        "__add__": add, "__radd__": reflected(add), "__sub__": sub,
        "__rsub__": reflected(sub), "__mul__": mul, "__rmul__": reflected(mul),
        "__truediv__": div, "__rtruediv__": reflected(div), "__pow__": pow,
        "__rpow__": reflected(pow), "__neg__": neg, "__pos__": lambda self: self,
        "__abs__": abs,
        "__eq__": eq, "__ne__": ne, "__lt__": lt, "__le__": le, "__gt__": gt,
        "__ge__": ge,
        "__and__": bitwise_and, "__rand__": reflected(bitwise_and),
        "__or__": bitwise_or, "__ror__": reflected(bitwise_or),
        "__xor__": bitwise_xor, "__rxor__": reflected(bitwise_xor),
        "__invert__": bitwise_not,
        # in place
        "add_": inplace(add, "add_"), "sub_": inplace(sub, "sub_"),
        "mul_": inplace(mul, "mul_"), "div_": inplace(div, "div_"),
        "pow_": inplace(pow, "pow_"), "neg_": inplace(neg, "neg_"),
        "exp_": inplace(exp, "exp_"), "log_": inplace(log, "log_"),
        "sqrt_": inplace(sqrt, "sqrt_"), "abs_": inplace(abs, "abs_"),
        "clamp_": inplace(clip, "clamp_"), "clip_": inplace(clip, "clip_"),
        "fill_": inplace(fill, "fill_"), "copy_": inplace(copy_from, "copy_"),
        "zero_": inplace(lambda x: fill(x, 0), "zero_"),
        "__iadd__": inplace(add, "+="), "__isub__": inplace(sub, "-="),
        "__imul__": inplace(mul, "*="), "__itruediv__": inplace(div, "/="),
        "__ipow__": inplace(pow, "**="),
    }
)

UFUNC_OPS.update(
    {
        np.add: add, np.subtract: sub, np.multiply: mul, np.true_divide: div,
        np.negative: neg, np.power: pow, np.exp: exp, np.log: log, np.sqrt: sqrt,
        np.absolute: abs, np.sin: sin, np.cos: cos, np.tan: tan, np.sinh: sinh,
        np.cosh: cosh, np.arcsin: asin, np.arccos: acos, np.arctan: atan, np.log2: log2,
        np.log10: log10, np.log1p: log1p, np.expm1: expm1, np.square: square,
        np.reciprocal: reciprocal, np.sign: sign, np.floor: floor, np.ceil: ceil,
        np.trunc: trunc, np.maximum: maximum, np.minimum: minimum,
        np.equal: eq, np.not_equal: ne, np.less: lt, np.less_equal: le,
        np.greater: gt, np.greater_equal: ge, np.logical_and: logical_and,
        np.logical_or: logical_or, np.logical_xor: logical_xor,
        np.logical_not: logical_not, np.isnan: isnan, np.isinf: isinf,
        np.isfinite: isfinite, np.bitwise_and: bitwise_and, np.bitwise_or: bitwise_or,
        np.bitwise_xor: bitwise_xor, np.invert: bitwise_not,
    }
)
FUNCTION_OPS.update({np.where: where, np.clip: clip, np.round: round})

__all__ = [
    "abs", "acos", "add", "allclose", "clamp", "asin", "atan", "bitwise_and", "bitwise_not",
    "bitwise_or", "bitwise_xor", "ceil", "clip", "clone", "cos", "cosh", "div", "eq",
    "equal", "exp", "expm1", "floor", "ge", "gt", "isclose", "isfinite", "isinf", "isnan",
    "le", "log", "log10", "log1p", "log2", "logical_and", "logical_not", "logical_or",
    "logical_xor", "lt", "maximum", "minimum", "mul", "ne", "neg", "pow", "reciprocal",
    "round", "rsqrt", "sign", "sin", "sinh", "sqrt", "square", "sub", "tan", "to_dtype",
    "trunc", "where",
]
