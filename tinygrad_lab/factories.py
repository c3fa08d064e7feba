"""Tensor factories with PyTorch's signatures: ``tensor``, ``zeros(2, 3)``, ``randn``, ...

Sizes are given as ``*size`` or one tuple; ``dtype=`` takes ``tl.float32`` and friends
(NumPy dtypes); floats default to :func:`get_default_dtype`, integers to int64; random
draws come from ``generator=`` or the default generator (:func:`tl.manual_seed`).
"""

from __future__ import annotations

import operator
from typing import Any

import numpy as np

from .dtypes import as_dtype
from .random import get_rng
from .tensor import Tensor, _check_device, get_default_dtype, inplace, register_methods

__all__ = [
    "BoolTensor", "DoubleTensor", "FloatTensor", "IntTensor", "LongTensor", "arange",
    "as_tensor", "bernoulli", "empty", "empty_like", "eye", "from_numpy",
    "full", "full_like", "is_tensor", "linspace", "logspace", "multinomial", "normal",
    "numel", "ones", "ones_like", "rand", "rand_like", "randint", "randint_like", "randn",
    "randn_like", "randperm", "tensor", "zeros", "zeros_like",
]


def _size(name: str, size: tuple[Any, ...]) -> tuple[int, ...]:
    """``*size`` as PyTorch reads it: ``f(2, 3)``, ``f((2, 3))`` or ``f([2, 3])``."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    try:
        dims = tuple(operator.index(n) for n in size)
    except TypeError:
        raise TypeError(f"{name}: size must be ints, got {size!r}") from None
    if any(n < 0 for n in dims):
        raise ValueError(f"{name}: negative dimension in size {dims}")
    return dims


def _make(array: np.ndarray, requires_grad: bool, device: Any) -> Tensor:
    if device is not None:
        _check_device(device)
    out = Tensor._wrap(array)
    if requires_grad:
        out.requires_grad_(True)
    return out


def _float_dtype(dtype: Any) -> np.dtype:
    return get_default_dtype() if dtype is None else as_dtype(dtype)


def _sequence_float_dtype(data: Any) -> np.dtype | None:
    """The float dtype ``torch.tensor`` gives a (nested) list or tuple: the widest float
    among its elements, where NumPy scalars, arrays and tensors count with their own
    dtype and Python floats as the default dtype (so ``[np.float64(0.5)]`` stays
    float64). None when no element is a float: ints and bools follow the usual rules."""
    floats: list[np.dtype] = []
    pending = [data]
    while pending:
        item = pending.pop()
        if isinstance(item, (list, tuple)):
            pending.extend(item)
        elif isinstance(item, Tensor):
            if item.dtype.kind == "f":
                floats.append(item.dtype)
        elif isinstance(item, (np.ndarray, np.generic)):
            if item.dtype.kind == "f":
                floats.append(item.dtype)
        elif isinstance(item, float):
            floats.append(get_default_dtype())
    return np.result_type(*floats) if floats else None


def tensor(data: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False
           ) -> Tensor:
    """A new tensor holding a copy of ``data`` (``torch.tensor``).

    The dtype, unless given, is ``data``'s own for arrays and tensors; for lists it is
    inferred as PyTorch does: Python floats give the default dtype, NumPy float scalars
    and tensors inside the list keep theirs (the widest float wins), Python ints give
    int64 and bools bool.
    """
    if device is not None:
        _check_device(device)
    if dtype is not None:
        dtype = as_dtype(dtype)
    elif isinstance(data, (list, tuple)):
        dtype = _sequence_float_dtype(data)
    return Tensor(data, requires_grad=requires_grad, dtype=dtype)


def as_tensor(data: Any, dtype: Any = None, device: Any = None) -> Tensor:
    """``data`` as a tensor, sharing memory with a NumPy array of the same dtype."""
    if isinstance(data, Tensor) and (dtype is None or as_dtype(dtype) == data.dtype):
        return data
    if isinstance(data, np.ndarray) and data.dtype.kind in "biuf" and (
        dtype is None or as_dtype(dtype) == data.dtype
    ):
        return _make(data, False, device)
    return tensor(data, dtype=dtype, device=device)


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing ``array``'s memory: changing one changes the other."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected np.ndarray, got {type(array).__name__}")
    if array.dtype.kind not in "biuf":
        raise TypeError(f"from_numpy: dtype {array.dtype} is not supported")
    return Tensor._wrap(array)


def is_tensor(obj: Any) -> bool:
    return isinstance(obj, Tensor)


def numel(t: Tensor) -> int:
    return t.numel()


def zeros(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False
          ) -> Tensor:
    return _make(np.zeros(_size("zeros", size), _float_dtype(dtype)), requires_grad, device)


def ones(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False
         ) -> Tensor:
    return _make(np.ones(_size("ones", size), _float_dtype(dtype)), requires_grad, device)


def empty(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False
          ) -> Tensor:
    """Like ``zeros`` (NumPy's uninitialised memory would make runs irreproducible)."""
    return _make(np.zeros(_size("empty", size), _float_dtype(dtype)), requires_grad, device)


def full(size: Any, fill_value: Any, dtype: Any = None, device: Any = None,
         requires_grad: bool = False) -> Tensor:
    """Filled with ``fill_value``; the dtype follows it (float, int64 or bool) as in
    PyTorch, unless given."""
    if dtype is None:
        kind = np.asarray(fill_value).dtype.kind
        dtype = get_default_dtype() if kind == "f" else (np.bool_ if kind == "b" else np.int64)
    return _make(np.full(_size("full", (size,)), fill_value, as_dtype(dtype)), requires_grad,
                 device)


def _like(name: str, t: Any, dtype: Any) -> tuple[tuple[int, ...], np.dtype]:
    array = t._array if isinstance(t, Tensor) else np.asarray(t)
    return array.shape, array.dtype if dtype is None else as_dtype(dtype)


def zeros_like(t: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False
               ) -> Tensor:
    return _make(np.zeros(*_like("zeros_like", t, dtype)), requires_grad, device)


def ones_like(t: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False
              ) -> Tensor:
    return _make(np.ones(*_like("ones_like", t, dtype)), requires_grad, device)


def empty_like(t: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False
               ) -> Tensor:
    return _make(np.zeros(*_like("empty_like", t, dtype)), requires_grad, device)


def full_like(t: Any, fill_value: Any, dtype: Any = None, device: Any = None,
              requires_grad: bool = False) -> Tensor:
    shape, dtype = _like("full_like", t, dtype)
    return _make(np.full(shape, fill_value, dtype), requires_grad, device)


def rand(*size: Any, generator: Any = None, dtype: Any = None, device: Any = None,
         requires_grad: bool = False) -> Tensor:
    """Uniform on [0, 1)."""
    dtype = _float_dtype(dtype)
    array = get_rng(generator).random(_size("rand", size)).astype(dtype, copy=False)
    return _make(array, requires_grad, device)


def randn(*size: Any, generator: Any = None, dtype: Any = None, device: Any = None,
          requires_grad: bool = False) -> Tensor:
    """Standard normal."""
    dtype = _float_dtype(dtype)
    array = get_rng(generator).standard_normal(_size("randn", size)).astype(dtype, copy=False)
    return _make(array, requires_grad, device)


def rand_like(t: Any, dtype: Any = None, generator: Any = None, requires_grad: bool = False
              ) -> Tensor:
    shape, dtype = _like("rand_like", t, dtype)
    return rand(shape, generator=generator, dtype=dtype, requires_grad=requires_grad)


def randn_like(t: Any, dtype: Any = None, generator: Any = None, requires_grad: bool = False
               ) -> Tensor:
    shape, dtype = _like("randn_like", t, dtype)
    return randn(shape, generator=generator, dtype=dtype, requires_grad=requires_grad)


def randint(*args: Any, size: Any = None, generator: Any = None, dtype: Any = None,
            device: Any = None, requires_grad: bool = False) -> Tensor:
    """``randint(high, size)`` or ``randint(low, high, size)``: integers in [low, high)."""
    if size is None and args and isinstance(args[-1], (tuple, list)):
        size, args = args[-1], args[:-1]
    if size is None or len(args) not in (1, 2):
        raise TypeError("randint: use randint(high, size) or randint(low, high, size)")
    low, high = (0, args[0]) if len(args) == 1 else args
    if high <= low:
        raise ValueError(f"randint: high ({high}) must be larger than low ({low})")
    array = get_rng(generator).integers(low, high, _size("randint", (size,)))
    return _make(array.astype(np.int64 if dtype is None else as_dtype(dtype)), requires_grad,
                 device)


def randint_like(t: Any, low: int = 0, high: int | None = None, dtype: Any = None,
                 generator: Any = None) -> Tensor:
    if high is None:
        low, high = 0, low
    shape, dtype = _like("randint_like", t, dtype)
    return randint(low, high, shape, generator=generator, dtype=dtype)


def randperm(n: int, generator: Any = None, dtype: Any = None, device: Any = None,
             requires_grad: bool = False) -> Tensor:
    """A random permutation of ``0 .. n-1`` (int64)."""
    array = get_rng(generator).permutation(operator.index(n))
    return _make(array.astype(np.int64 if dtype is None else as_dtype(dtype)), requires_grad,
                 device)


def arange(start: Any, end: Any = None, step: Any = 1, dtype: Any = None, device: Any = None,
           requires_grad: bool = False) -> Tensor:
    """``[start, end)`` by ``step``; int64 for integer arguments, else the default float."""
    if end is None:
        start, end = 0, start
    if step == 0:
        raise ValueError("arange: step must be nonzero")
    if dtype is None:
        is_int = all(isinstance(v, (int, np.integer)) and not isinstance(v, bool)
                     for v in (start, end, step))
        dtype = np.int64 if is_int else get_default_dtype()
    return _make(np.arange(start, end, step).astype(as_dtype(dtype)), requires_grad, device)


def linspace(start: float, end: float, steps: int, dtype: Any = None, device: Any = None,
             requires_grad: bool = False) -> Tensor:
    array = np.linspace(start, end, operator.index(steps)).astype(_float_dtype(dtype))
    return _make(array, requires_grad, device)


def logspace(start: float, end: float, steps: int, base: float = 10.0, dtype: Any = None,
             device: Any = None, requires_grad: bool = False) -> Tensor:
    array = np.logspace(start, end, operator.index(steps), base=base)
    return _make(array.astype(_float_dtype(dtype)), requires_grad, device)


def eye(n: int, m: int | None = None, dtype: Any = None, device: Any = None,
        requires_grad: bool = False) -> Tensor:
    return _make(np.eye(n, m, dtype=_float_dtype(dtype)), requires_grad, device)


def normal(mean: Any = 0.0, std: Any = 1.0, size: Any = None, generator: Any = None,
           dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Normal samples: ``normal(mean, std, size)`` for numbers, or elementwise means and
    standard deviations given as tensors (the result has their broadcast shape)."""
    m = mean._array if isinstance(mean, Tensor) else mean
    s = std._array if isinstance(std, Tensor) else std
    if np.any(np.asarray(s) < 0):
        raise ValueError("normal: std must be non-negative")
    if size is None:
        shape = np.broadcast_shapes(np.shape(m), np.shape(s))
    else:
        shape = _size("normal", (size,))
    if dtype is None:
        dtype = next((t.dtype for t in (mean, std) if isinstance(t, Tensor)),
                     get_default_dtype())
    array = get_rng(generator).normal(m, s, shape).astype(as_dtype(dtype))
    return _make(array, requires_grad, None)


def bernoulli(p: Any, generator: Any = None) -> Tensor:
    """1 with probability ``p`` (elementwise), else 0; the dtype of ``p``."""
    probs = p._array if isinstance(p, Tensor) else np.asarray(p, dtype=get_default_dtype())
    if np.any((probs < 0) | (probs > 1)):
        raise ValueError("bernoulli: probabilities must be in [0, 1]")
    return Tensor._wrap((get_rng(generator).random(probs.shape) < probs).astype(probs.dtype))


def multinomial(input: Any, num_samples: int, replacement: bool = False,  # noqa: A002
                generator: Any = None) -> Tensor:
    """Indices drawn with probabilities proportional to the (non-negative) weights in
    each row of ``input`` (1-D or 2-D), as ``torch.multinomial``."""
    weights = np.asarray(input._array if isinstance(input, Tensor) else input, np.float64)
    if weights.ndim not in (1, 2):
        raise ValueError(f"multinomial: input must be 1-D or 2-D, got shape {weights.shape}")
    if np.any(weights < 0) or not np.all(np.isfinite(weights)):
        raise ValueError("multinomial: weights must be finite and non-negative")
    rows = weights.reshape(-1, weights.shape[-1])
    sums = rows.sum(axis=1)
    if np.any(sums <= 0):
        raise ValueError("multinomial: each row of weights must have a positive sum")
    if not replacement and num_samples > rows.shape[1]:
        raise ValueError(
            f"multinomial: cannot draw {num_samples} samples without replacement from "
            f"{rows.shape[1]} categories"
        )
    if not replacement and np.any((rows > 0).sum(axis=1) < num_samples):
        raise ValueError("multinomial: fewer non-zero weights than samples (no replacement)")
    rng = get_rng(generator)
    out = np.stack([rng.choice(rows.shape[1], size=num_samples, replace=replacement,
                               p=row / total) for row, total in zip(rows, sums, strict=True)])
    return Tensor._wrap(out.reshape(weights.shape[:-1] + (num_samples,)).astype(np.int64))


# ------------------------------------------------ PyTorch's legacy constructors


def _legacy(name: str, dtype: np.dtype) -> Any:
    """``torch.FloatTensor([1, 2])`` copies data; ``torch.FloatTensor(2, 3)`` makes a
    tensor of that size (zeros here, where PyTorch leaves memory uninitialised)."""

    def constructor(*args: Any) -> Tensor:
        if len(args) == 1 and not isinstance(args[0], (int, np.integer)):
            return tensor(args[0], dtype=dtype)
        return _make(np.zeros(_size(name, args), dtype), False, None)

    constructor.__name__ = constructor.__qualname__ = name
    constructor.__doc__ = _legacy.__doc__
    constructor.legacy_dtype = dtype  # so that x.type(torch.FloatTensor) casts to it
    return constructor


FloatTensor = _legacy("FloatTensor", np.dtype(np.float32))
DoubleTensor = _legacy("DoubleTensor", np.dtype(np.float64))
LongTensor = _legacy("LongTensor", np.dtype(np.int64))
IntTensor = _legacy("IntTensor", np.dtype(np.int32))
BoolTensor = _legacy("BoolTensor", np.dtype(np.bool_))


# ------------------------------------------------------- random in-place methods


def _redraw(x: Tensor, draw: Any, name: str) -> Tensor:
    """A tensor like ``x`` with new values from ``draw(rng, shape)`` and no gradient."""
    values = np.asarray(draw(x.shape)).astype(x.dtype)
    return Tensor.from_op(values, (x,), lambda g, out, x: (None,), name)


def _normal_(x: Tensor, mean: float = 0.0, std: float = 1.0, *, generator: Any = None
             ) -> Tensor:
    return _redraw(x, lambda s: get_rng(generator).normal(mean, std, s), "normal_")


def _uniform_(x: Tensor, a: float = 0.0, b: float = 1.0, *, generator: Any = None) -> Tensor:
    return _redraw(x, lambda s: get_rng(generator).uniform(a, b, s), "uniform_")


def _bernoulli_(x: Tensor, p: float = 0.5, *, generator: Any = None) -> Tensor:
    return _redraw(x, lambda s: get_rng(generator).random(s) < p, "bernoulli_")


def _random_(x: Tensor, low: int = 0, high: int | None = None, *, generator: Any = None
             ) -> Tensor:
    if high is None:
        low, high = 0, low
    return _redraw(x, lambda s: get_rng(generator).integers(low, high, s), "random_")


register_methods(
    {
        "normal_": inplace(_normal_, "normal_"),
        "uniform_": inplace(_uniform_, "uniform_"),
        "bernoulli_": inplace(_bernoulli_, "bernoulli_"),
        "random_": inplace(_random_, "random_"),
        "new_zeros": lambda self, *size, dtype=None, requires_grad=False: zeros(
            *size, dtype=self.dtype if dtype is None else dtype, requires_grad=requires_grad),
        "new_ones": lambda self, *size, dtype=None, requires_grad=False: ones(
            *size, dtype=self.dtype if dtype is None else dtype, requires_grad=requires_grad),
        "new_full": lambda self, size, fill_value, dtype=None, requires_grad=False: full(
            size, fill_value, dtype=self.dtype if dtype is None else dtype,
            requires_grad=requires_grad),
        "new_tensor": lambda self, data, dtype=None, requires_grad=False: tensor(
            data, dtype=self.dtype if dtype is None else dtype, requires_grad=requires_grad),
    }
)
