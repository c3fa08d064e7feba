"""Parameter initialisation, with PyTorch's names, gains and fan rules.

Every function fills the tensor in place (keeping its dtype and its array, and bumping
its version counter, as PyTorch's in-place fills do), returns the tensor, and draws from
the framework generator (reseeded by ``tl.manual_seed``) unless ``generator=`` gives a
``tl.Generator`` or a NumPy ``np.random.Generator``. An ndarray is filled too.

Fans follow PyTorch: for a weight of shape ``(out, in, *kernel)``,
``fan_in = in * prod(kernel)`` and ``fan_out = out * prod(kernel)``; so a Linear weight
``(out_features, in_features)`` has ``fan_in = in_features``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..engine import mark_changed
from ..random import Generator, get_rng
from ..tensor import Tensor

__all__ = [
    "calculate_gain",
    "constant_",
    "kaiming_normal_",
    "kaiming_uniform_",
    "normal_",
    "ones_",
    "uniform_",
    "xavier_normal_",
    "xavier_uniform_",
    "zeros_",
]


def _array(tensor: Any, fn: str) -> np.ndarray:
    if isinstance(tensor, Tensor):
        return tensor._array
    if isinstance(tensor, np.ndarray):
        return tensor
    raise TypeError(f"{fn}: expected a Tensor or ndarray to fill, got {type(tensor).__name__}")


def _fill(tensor: Any, values: Any, fn: str) -> Any:
    array = _array(tensor, fn)
    if array.dtype.kind != "f":
        raise TypeError(f"{fn}: can only fill float tensors, got dtype {array.dtype}")
    array[...] = values
    if isinstance(tensor, Tensor):
        mark_changed(tensor)
    return tensor


_GeneratorLike = Generator | np.random.Generator | None


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """Return the recommended gain for a nonlinearity (PyTorch's table).

    ===================  ====================================
    nonlinearity         gain
    ===================  ====================================
    linear, conv*,       1
    sigmoid
    tanh                 5/3
    relu                 sqrt(2)
    leaky_relu           sqrt(2 / (1 + negative_slope**2))
    selu                 3/4
    ===================  ====================================

    Parameters
    ----------
    nonlinearity : str
    param : float, optional
        The negative slope for ``'leaky_relu'`` (0.01 when omitted).
    """
    linear_fns = ["linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d",
                  "conv_transpose2d", "conv_transpose3d"]
    if nonlinearity in linear_fns or nonlinearity == "sigmoid":
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif isinstance(param, (int, float)) and not isinstance(param, bool):
            slope = param
        else:
            raise ValueError(f"calculate_gain: negative_slope {param!r} is not a valid number")
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"calculate_gain: unsupported nonlinearity {nonlinearity!r}")


def _calculate_fan_in_and_fan_out(tensor: Any) -> tuple[int, int]:
    """Return ``(fan_in, fan_out)`` of a weight shaped ``(out, in, *kernel)``."""
    shape = _array(tensor, "_calculate_fan_in_and_fan_out").shape
    if len(shape) < 2:
        raise ValueError(
            f"fan in and fan out can not be computed for a tensor with fewer than 2 "
            f"dimensions (shape {shape})"
        )
    receptive_field = math.prod(shape[2:])
    return shape[1] * receptive_field, shape[0] * receptive_field


def _calculate_correct_fan(tensor: Any, mode: str) -> int:
    mode = mode.lower()
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"mode {mode!r} not supported, please use one of 'fan_in', 'fan_out'")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def zeros_(tensor: Any) -> Any:
    """Fill with 0."""
    return _fill(tensor, 0, "zeros_")


def ones_(tensor: Any) -> Any:
    """Fill with 1."""
    return _fill(tensor, 1, "ones_")


def constant_(tensor: Any, val: float) -> Any:
    """Fill with ``val``."""
    return _fill(tensor, val, "constant_")


def uniform_(
    tensor: Any, a: float = 0.0, b: float = 1.0, generator: _GeneratorLike = None
) -> Any:
    """Fill with draws from U(a, b)."""
    if not a <= b:
        raise ValueError(f"uniform_: expects a <= b, got a={a}, b={b}")
    shape = _array(tensor, "uniform_").shape
    return _fill(tensor, get_rng(generator).uniform(a, b, shape), "uniform_")


def normal_(
    tensor: Any, mean: float = 0.0, std: float = 1.0,
    generator: _GeneratorLike = None,
) -> Any:
    """Fill with draws from N(mean, std²)."""
    if std < 0:
        raise ValueError(f"normal_: expects std >= 0, got {std}")
    shape = _array(tensor, "normal_").shape
    return _fill(tensor, get_rng(generator).normal(mean, std, shape), "normal_")


def xavier_uniform_(
    tensor: Any, gain: float = 1.0, generator: _GeneratorLike = None
) -> Any:
    """Glorot uniform: U(-a, a) with ``a = gain * sqrt(6 / (fan_in + fan_out))``."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound, generator)


def xavier_normal_(
    tensor: Any, gain: float = 1.0, generator: _GeneratorLike = None
) -> Any:
    """Glorot normal: N(0, std²) with ``std = gain * sqrt(2 / (fan_in + fan_out))``."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return normal_(tensor, 0.0, std, generator)


def _kaiming_std(tensor: Any, a: float, mode: str, nonlinearity: str) -> float | None:
    if 0 in _array(tensor, "kaiming").shape:
        return None  # nothing to fill (PyTorch warns and returns)
    fan = _calculate_correct_fan(tensor, mode)
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform_(
    tensor: Any, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu",
    generator: _GeneratorLike = None,
) -> Any:
    """He uniform: U(-b, b) with ``b = gain * sqrt(3 / fan)``.

    ``a`` is the negative slope of the leaky ReLU that follows. PyTorch's Linear and
    Conv layers use ``a=sqrt(5)``, which gives ``b = 1 / sqrt(fan_in)``.
    """
    std = _kaiming_std(tensor, a, mode, nonlinearity)
    if std is None:
        return tensor
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(
    tensor: Any, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu",
    generator: _GeneratorLike = None,
) -> Any:
    """He normal: N(0, std²) with ``std = gain / sqrt(fan)``."""
    std = _kaiming_std(tensor, a, mode, nonlinearity)
    if std is None:
        return tensor
    return normal_(tensor, 0.0, std, generator)
