"""PyTorch's dtype names as NumPy dtypes (``tl.float32 is np.dtype("float32")``)."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = [
    "bool", "double", "float", "float16", "float32", "float64", "half", "int", "int8",
    "int16", "int32", "int64", "long", "short", "uint8",
]

float16 = half = np.dtype(np.float16)
float32 = float = np.dtype(np.float32)  # noqa: A001  (PyTorch's names)
float64 = double = np.dtype(np.float64)
int8 = np.dtype(np.int8)
uint8 = np.dtype(np.uint8)
int16 = short = np.dtype(np.int16)
int32 = int = np.dtype(np.int32)  # noqa: A001
int64 = long = np.dtype(np.int64)
bool = np.dtype(np.bool_)  # noqa: A001

# PyTorch's legacy type names, as `tensor.type()` reports them.
_LEGACY = {
    float16: "torch.HalfTensor",
    float32: "torch.FloatTensor",
    float64: "torch.DoubleTensor",
    int8: "torch.CharTensor",
    uint8: "torch.ByteTensor",
    int16: "torch.ShortTensor",
    int32: "torch.IntTensor",
    int64: "torch.LongTensor",
    bool: "torch.BoolTensor",
}
_BY_LEGACY = {name: dtype for dtype, name in _LEGACY.items()}


def as_dtype(value: Any) -> np.dtype:
    """A NumPy dtype from a dtype, a name (``"float32"``, ``"torch.LongTensor"``) or a
    Python type (``float`` is float64 and ``int`` int64, as PyTorch reads them), or a
    legacy constructor (``x.type(torch.FloatTensor)``)."""
    legacy = getattr(value, "legacy_dtype", None)
    if isinstance(legacy, np.dtype):
        return legacy
    if isinstance(value, str) and value in _BY_LEGACY:
        return _BY_LEGACY[value]
    if isinstance(value, str) and value.startswith("torch."):
        value = value[len("torch."):]
    try:
        dtype = np.dtype(value)
    except TypeError:
        raise TypeError(f"not a dtype: {value!r}") from None
    if dtype.kind not in "biuf":
        raise TypeError(f"dtype {dtype} is not supported (bool, int or float only)")
    return dtype


def legacy_name(dtype: np.dtype) -> str:
    """``tensor.type()``'s answer, e.g. ``torch.FloatTensor``."""
    return _LEGACY.get(np.dtype(dtype), f"torch.{np.dtype(dtype).name}")
