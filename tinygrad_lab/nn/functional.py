"""``torch.nn.functional``'s names: ``import tinygrad_lab.nn.functional as F``.

No maths lives here: each name is an op of ``tinygrad_lab.ops`` with PyTorch's own
arguments (``input``, ``target``, ``weight=None``, ``reduction='mean'``, ``dim=``...),
re-exported, or a wrapper adding what only the functional form has (``inplace=``,
softmax's implicit ``dim``).
"""

from __future__ import annotations

import warnings
from typing import Any

from ..ops import conv as _conv
from ..ops.activation import elu as _elu
from ..ops.activation import (
    elu_,
    gelu,
    hardtanh_,
    leaky_relu_,
    logsigmoid,
    relu_,
    sigmoid,
    silu_,
    softplus,
    tanh,
)
from ..ops.activation import hardtanh as _hardtanh
from ..ops.activation import leaky_relu as _leaky_relu
from ..ops.activation import log_softmax as _log_softmax
from ..ops.activation import relu as _relu
from ..ops.activation import silu as _silu
from ..ops.activation import softmax as _softmax
from ..ops.extra import pad
from ..ops.layers import dropout, linear, one_hot
from ..ops.loss import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    l1_loss,
    mse_loss,
    nll_loss,
)
from ..ops.normalization import batch_norm, layer_norm
from ..tensor import Tensor
from ..tensor import as_tensor as _tensor  # noqa: F401  (nn.layers' Flatten uses it)

__all__ = [
    "avg_pool1d", "batch_norm", "binary_cross_entropy", "binary_cross_entropy_with_logits",
    "conv1d", "cross_entropy", "dropout", "elu", "elu_", "gelu", "hardtanh", "hardtanh_",
    "l1_loss", "layer_norm", "leaky_relu", "leaky_relu_", "linear", "log_softmax",
    "logsigmoid", "max_pool1d", "mse_loss", "nll_loss", "one_hot", "pad", "relu", "relu6",
    "relu_", "sigmoid", "silu", "softmax", "softplus", "tanh",
]


# ------------------------------------------------------- activations with inplace=


def relu(input: Any, inplace: bool = False) -> Tensor:
    """``max(x, 0)``."""
    return relu_(input) if inplace else _relu(input)


def leaky_relu(input: Any, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """``x`` where ``x > 0``, else ``negative_slope * x``."""
    if inplace:
        return leaky_relu_(input, negative_slope)
    return _leaky_relu(input, negative_slope)


def elu(input: Any, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """``x`` where ``x > 0``, else ``alpha * (exp(x) - 1)``."""
    return elu_(input, alpha) if inplace else _elu(input, alpha)


def hardtanh(input: Any, min_val: float = -1.0, max_val: float = 1.0,
             inplace: bool = False) -> Tensor:
    """``x`` limited to ``[min_val, max_val]`` (zero gradient outside and at the ends)."""
    if inplace:
        return hardtanh_(input, min_val, max_val)
    return _hardtanh(input, min_val, max_val)


def relu6(input: Any, inplace: bool = False) -> Tensor:
    """``min(max(x, 0), 6)``."""
    return hardtanh(input, 0.0, 6.0, inplace)


def silu(input: Any, inplace: bool = False) -> Tensor:
    """``x * sigmoid(x)``."""
    return silu_(input) if inplace else _silu(input)


# ---------------------------------------------------------- softmax, implicit dim


def _implicit_dim(name: str, input: Any, stacklevel: int) -> int:
    """PyTorch's deprecated choice when ``dim`` is left out: 0 for 0-, 1- and 3-d inputs,
    else 1 (with PyTorch's warning)."""
    warnings.warn(
        f"Implicit dimension choice for {name} has been deprecated. Change the call to "
        "include dim=X as an argument.",
        stacklevel=stacklevel,
    )
    return 0 if _tensor(input).ndim in (0, 1, 3) else 1


def softmax(input: Any, dim: int | None = None, _stacklevel: int = 3,
            dtype: Any = None) -> Tensor:
    """``exp(x) / sum(exp(x))`` along ``dim``."""
    if dim is None:
        dim = _implicit_dim("softmax", input, _stacklevel)
    return _softmax(input, dim, dtype)


def log_softmax(input: Any, dim: int | None = None, _stacklevel: int = 3,
                dtype: Any = None) -> Tensor:
    """``log(softmax(x))`` along ``dim``, computed stably."""
    if dim is None:
        dim = _implicit_dim("log_softmax", input, _stacklevel)
    return _log_softmax(input, dim, dtype)


# ---------------------------------------------------------------------- conv, pools


def conv1d(
    input: Any, weight: Any, bias: Any = None, stride: int = 1, padding: Any = 0,
    dilation: int = 1, groups: int = 1,
) -> Tensor:
    """1-D convolution (cross-correlation, as in PyTorch).

    x ``(N, C_in, L)``, weight ``(C_out, C_in / groups, K)``, bias ``(C_out,)``;
    ``padding`` is an int, ``'valid'`` or ``'same'``.
    """
    return _conv.conv1d(input, weight, bias, stride, padding, dilation, groups)


def max_pool1d(
    input: Any, kernel_size: int, stride: int | None = None, padding: int = 0,
    dilation: int = 1, ceil_mode: bool = False, return_indices: bool = False,
) -> Any:
    """Maximum over sliding windows of the last axis of ``(N, C, L)``."""
    return _conv.max_pool1d(
        input, kernel_size, stride, padding, dilation, ceil_mode, return_indices
    )


def avg_pool1d(
    input: Any, kernel_size: int, stride: int | None = None, padding: int = 0,
    ceil_mode: bool = False, count_include_pad: bool = True,
) -> Tensor:
    """Mean over sliding windows of the last axis of ``(N, C, L)``."""
    return _conv.avg_pool1d(input, kernel_size, stride, padding, ceil_mode, count_include_pad)
