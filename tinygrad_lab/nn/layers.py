"""Layers: Linear, Conv1d, pools, Embedding, Flatten, Dropout, Identity, activations.

Constructor arguments, parameter shapes, default inits and reprs are PyTorch's, so a
model written for PyTorch ports line by line and its ``state_dict`` moves unchanged.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..ops.conv import conv_options
from ..ops.elementwise import where
from ..ops.layers import check_probability
from ..tensor import Tensor, get_default_dtype
from . import functional as F
from . import init
from .module import Module, Parameter

__all__ = [
    "ELU",
    "GELU",
    "AvgPool1d",
    "Conv1d",
    "Dropout",
    "Embedding",
    "Flatten",
    "Hardtanh",
    "Identity",
    "LeakyReLU",
    "Linear",
    "LogSigmoid",
    "LogSoftmax",
    "MaxPool1d",
    "ReLU",
    "ReLU6",
    "SiLU",
    "Sigmoid",
    "Softmax",
    "Softplus",
    "Tanh",
]


def _positive_int(layer: str, name: str, value: Any, minimum: int = 1) -> int:
    if isinstance(value, (tuple, list)) and len(value) == 1:
        value = value[0]  # PyTorch accepts (k,) for 1-D layers
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{layer}: {name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _float_dtype(layer: str, dtype: Any) -> np.dtype:
    dtype = get_default_dtype() if dtype is None else np.dtype(dtype)
    if dtype.kind != "f":
        raise TypeError(f"{layer}: dtype must be a float dtype, got {dtype}")
    return dtype


class Identity(Module):
    """Return the input unchanged (a placeholder, e.g. for a removed layer)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()  # arguments are accepted and ignored, as in PyTorch

    def forward(self, x: Any) -> Any:
        return x


class Linear(Module):
    """``y = x @ weight.T + bias``.

    Parameters
    ----------
    in_features, out_features : int
    bias : bool
        Learn an additive bias (``self.bias`` is None otherwise).
    dtype : float dtype, optional
        The parameters' dtype (default: :func:`tinygrad_lab.get_default_dtype`).

    Attributes
    ----------
    weight : Parameter, shape (out_features, in_features)
        Initialised like PyTorch: ``kaiming_uniform_(a=sqrt(5))``, i.e.
        U(-1/sqrt(in_features), 1/sqrt(in_features)).
    bias : Parameter, shape (out_features,)
        U(-1/sqrt(in_features), 1/sqrt(in_features)).
    """

    def __init__(
        self, in_features: int, out_features: int, bias: bool = True, dtype: Any = None
    ) -> None:
        super().__init__()
        self.in_features = _positive_int("Linear", "in_features", in_features, 0)
        self.out_features = _positive_int("Linear", "out_features", out_features, 0)
        dtype = _float_dtype("Linear", dtype)
        self.weight = Parameter(np.empty((self.out_features, self.in_features), dtype=dtype))
        if bias:
            self.bias = Parameter(np.empty(self.out_features, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw new initial values (PyTorch's defaults) from the framework generator."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in = self.in_features
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0.0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, x: Tensor) -> Tensor:
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None}"
        )


class Conv1d(Module):
    """1-D convolution over ``(N, C_in, L)`` inputs, PyTorch's ``nn.Conv1d``.

    Parameters
    ----------
    in_channels, out_channels : int
        Both divisible by ``groups``.
    kernel_size, stride, dilation : int
    padding : int or 'valid' or 'same'
        Zeros added at both ends; ``'same'`` keeps the length (stride 1 only; when the
        total padding is odd the extra zero goes on the right, as in PyTorch).
    groups : int
        Split the channels into ``groups`` independent convolutions.
    bias : bool
    dtype : float dtype, optional

    Attributes
    ----------
    weight : Parameter, shape (out_channels, in_channels // groups, kernel_size)
    bias : Parameter, shape (out_channels,)
        Both U(-1/sqrt(fan_in), 1/sqrt(fan_in)), ``fan_in = in_channels // groups *
        kernel_size``, as in PyTorch.
    """

    def __init__(
        self, in_channels: int, out_channels: int, kernel_size: int, stride: int = 1,
        padding: int | str = 0, dilation: int = 1, groups: int = 1, bias: bool = True,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        name = "Conv1d"
        self.in_channels = _positive_int(name, "in_channels", in_channels)
        self.out_channels = _positive_int(name, "out_channels", out_channels)
        k = _positive_int(name, "kernel_size", kernel_size)
        # The conv op's own check, at creation (as PyTorch checks its options here).
        self.stride, self.padding, self.dilation, self.groups = conv_options(
            name, 1, stride, padding, dilation, groups)
        if self.in_channels % self.groups or self.out_channels % self.groups:
            raise ValueError(
                f"Conv1d: in_channels ({self.in_channels}) and out_channels "
                f"({self.out_channels}) must both be divisible by groups ({self.groups})"
            )
        self.kernel_size = (k,)
        dtype = _float_dtype(name, dtype)
        shape = (self.out_channels, self.in_channels // self.groups, k)
        self.weight = Parameter(np.empty(shape, dtype=dtype))
        if bias:
            self.bias = Parameter(np.empty(self.out_channels, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw new initial values (PyTorch's defaults) from the framework generator."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0.0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, x: Tensor) -> Tensor:
        padding = self.padding if isinstance(self.padding, str) else self.padding[0]
        return F.conv1d(
            x, self.weight, self.bias, self.stride[0], padding, self.dilation[0], self.groups
        )

    def extra_repr(self) -> str:
        s = (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}"
        )
        if self.padding != (0,):
            s += f", padding={self.padding}"
        if self.dilation != (1,):
            s += f", dilation={self.dilation}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        return s


class MaxPool1d(Module):
    """Maximum over windows of ``kernel_size`` along the last axis of ``(N, C, L)``.

    ``stride`` defaults to ``kernel_size``; ``padding`` adds -inf at both ends. With
    ``return_indices`` it returns ``(values, positions of the maxima)``.
    """

    def __init__(
        self, kernel_size: int, stride: int | None = None, padding: int = 0,
        dilation: int = 1, return_indices: bool = False, ceil_mode: bool = False,
    ) -> None:
        super().__init__()
        self.return_indices = bool(return_indices)
        self.kernel_size = _positive_int("MaxPool1d", "kernel_size", kernel_size)
        self.stride = (
            self.kernel_size if stride is None else _positive_int("MaxPool1d", "stride", stride)
        )
        self.padding = _positive_int("MaxPool1d", "padding", padding, 0)
        self.dilation = _positive_int("MaxPool1d", "dilation", dilation)
        self.ceil_mode = bool(ceil_mode)

    def forward(self, x: Tensor) -> Any:
        return F.max_pool1d(
            x, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode,
            self.return_indices,
        )

    def extra_repr(self) -> str:
        return (
            f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
            f"dilation={self.dilation}, ceil_mode={self.ceil_mode}"
        )


class AvgPool1d(Module):
    """Mean over windows of ``kernel_size`` along the last axis of ``(N, C, L)``.

    ``stride`` defaults to ``kernel_size``; ``padding`` adds zeros at both ends, which
    count in the mean unless ``count_include_pad=False``.
    """

    def __init__(
        self, kernel_size: int, stride: int | None = None, padding: int = 0,
        ceil_mode: bool = False, count_include_pad: bool = True,
    ) -> None:
        super().__init__()
        k = _positive_int("AvgPool1d", "kernel_size", kernel_size)
        s = k if stride is None else _positive_int("AvgPool1d", "stride", stride)
        self.kernel_size = (k,)
        self.stride = (s,)
        self.padding = (_positive_int("AvgPool1d", "padding", padding, 0),)
        self.ceil_mode = bool(ceil_mode)
        self.count_include_pad = bool(count_include_pad)

    def forward(self, x: Tensor) -> Tensor:
        return F.avg_pool1d(
            x, self.kernel_size[0], self.stride[0], self.padding[0], self.ceil_mode,
            self.count_include_pad,
        )

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class Embedding(Module):
    """A lookup table: row ``i`` of ``weight`` is the vector of token ``i``.

    ``embedding(idx)`` is ``weight[idx]`` for an integer tensor (or array) ``idx`` of any
    shape, so the result has shape ``idx.shape + (embedding_dim,)``; the gradient of a
    row is the sum over every position that looked it up.

    Parameters
    ----------
    num_embeddings, embedding_dim : int
        The number of rows (the vocabulary size) and the length of each vector.
    padding_idx : int, optional
        A row that starts at zero and gets no gradient (e.g. the padding token);
        negative values count from the end, as in PyTorch.
    dtype : float dtype, optional

    Attributes
    ----------
    weight : Parameter, shape (num_embeddings, embedding_dim)
        Drawn from N(0, 1), as in PyTorch.
    """

    def __init__(
        self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        self.num_embeddings = _positive_int("Embedding", "num_embeddings", num_embeddings, 0)
        self.embedding_dim = _positive_int("Embedding", "embedding_dim", embedding_dim, 0)
        self.padding_idx = self._padding_row(padding_idx)
        shape = (self.num_embeddings, self.embedding_dim)
        self.weight = Parameter(np.empty(shape, dtype=_float_dtype("Embedding", dtype)))
        self.reset_parameters()

    def _padding_row(self, padding_idx: Any) -> int | None:
        if padding_idx is None:
            return None
        n = self.num_embeddings
        if isinstance(padding_idx, bool) or not isinstance(padding_idx, (int, np.integer)) or not (
            -n <= padding_idx < n
        ):
            raise ValueError(
                f"Embedding: padding_idx must be an int within num_embeddings ({n}), "
                f"got {padding_idx!r}"
            )
        return int(padding_idx) % n

    @classmethod
    def from_pretrained(
        cls, embeddings: Any, freeze: bool = True, padding_idx: int | None = None
    ) -> Embedding:
        """An Embedding whose weight is ``embeddings`` (a 2-D float Tensor, whose storage
        is shared as in PyTorch, or an array); ``freeze`` keeps it from learning."""
        weight = Parameter(embeddings, requires_grad=not freeze)
        if weight.ndim != 2:
            raise ValueError(
                f"Embedding.from_pretrained: embeddings must be 2-D, got shape {weight.shape}"
            )
        layer = cls(*weight.shape, padding_idx=padding_idx, dtype=weight.dtype)
        layer.weight = weight
        return layer

    def reset_parameters(self) -> None:
        """Draw new values from N(0, 1); the padding row, if any, becomes zero."""
        init.normal_(self.weight)
        if self.padding_idx is not None:
            self.weight._array[self.padding_idx] = 0

    def forward(self, input: Any) -> Tensor:  # noqa: A002  (PyTorch's name)
        idx = self._indices(input)
        rows = self.weight[idx]
        if self.padding_idx is None:
            return rows
        # The padding row's value is used as it is, but no gradient flows into it.
        keep = (idx != self.padding_idx)[..., None]
        return where(keep, rows, self.weight.detach()[idx])

    def _indices(self, input: Any) -> np.ndarray:
        idx = input._array if isinstance(input, Tensor) else np.asarray(input)
        if idx.dtype.kind not in "iu":
            raise RuntimeError(
                f"Embedding: indices must be an integer tensor, got dtype {idx.dtype}; "
                "convert with .long()"
            )
        if idx.size and (idx.min() < 0 or idx.max() >= self.num_embeddings):
            bad = idx[(idx < 0) | (idx >= self.num_embeddings)].flat[0]
            raise IndexError(
                f"Embedding: index {bad} is out of range for {self.num_embeddings} "
                f"embeddings (valid: 0 to {self.num_embeddings - 1})"
            )
        return idx

    def extra_repr(self) -> str:
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx}"
        return s


class Flatten(Module):
    """Flatten axes ``start_dim`` .. ``end_dim`` into one (the batch axis 0 is kept)."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, x: Tensor) -> Tensor:
        return F._tensor(x).flatten(self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Dropout(Module):
    """Inverted dropout: in training mode zero each element with probability ``p`` and
    scale the others by ``1 / (1 - p)``; in eval mode return the input unchanged.

    Parameters
    ----------
    p : float
        The probability of zeroing an element, in [0, 1] (NumPy scalars are fine).
    inplace : bool
        Write the result into the input (PyTorch's rules for in-place ops apply: not on a
        leaf that requires grad).
    """

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        self.p = check_probability("Dropout", p)  # the dropout op's own check, at creation
        self.inplace = bool(inplace)

    def forward(self, x: Tensor) -> Tensor:
        if self.inplace and self.training:
            return x._inplace(F.dropout, "dropout_", self.p, True)
        return F.dropout(x, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


# ------------------------------------------------------------------------ activations


class Sigmoid(Module):
    """1 / (1 + exp(-x))."""

    def forward(self, x: Tensor) -> Tensor:
        return F.sigmoid(x)


def _inplace_text(inplace: bool, first: bool = False) -> str:
    """The ``inplace`` part of an activation's repr, PyTorch's: shown only when True."""
    if not inplace:
        return ""
    return "inplace=True" if first else ", inplace=True"


class ReLU(Module):
    """max(x, 0); with ``inplace=True`` the input is overwritten (PyTorch's rules for
    in-place ops apply)."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, x: Tensor) -> Tensor:
        return F.relu(x, inplace=self.inplace)

    def extra_repr(self) -> str:
        return _inplace_text(self.inplace, first=True)


class LeakyReLU(Module):
    """x where x > 0, else ``negative_slope * x``."""

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False) -> None:
        super().__init__()
        self.negative_slope = negative_slope
        self.inplace = inplace

    def forward(self, x: Tensor) -> Tensor:
        return F.leaky_relu(x, self.negative_slope, self.inplace)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}{_inplace_text(self.inplace)}"


class Hardtanh(Module):
    """x limited to ``[min_val, max_val]`` (zero gradient outside and at the ends)."""

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        if min_val > max_val:
            raise ValueError(f"Hardtanh: min_val {min_val} must not exceed max_val {max_val}")
        self.min_val = min_val
        self.max_val = max_val
        self.inplace = inplace

    def forward(self, x: Tensor) -> Tensor:
        return F.hardtanh(x, self.min_val, self.max_val, self.inplace)

    def extra_repr(self) -> str:
        return (
            f"min_val={self.min_val}, max_val={self.max_val}{_inplace_text(self.inplace)}"
        )


class ReLU6(Hardtanh):
    """min(max(x, 0), 6): ``Hardtanh(0, 6)``."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__(0.0, 6.0, inplace)

    def extra_repr(self) -> str:
        return _inplace_text(self.inplace, first=True)


class SiLU(Module):
    """x * sigmoid(x) (also called swish)."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, x: Tensor) -> Tensor:
        return F.silu(x, inplace=self.inplace)

    def extra_repr(self) -> str:
        return _inplace_text(self.inplace, first=True)


class Softplus(Module):
    """log(1 + exp(beta x)) / beta, and x itself where ``beta x > threshold``."""

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        self.beta = beta
        self.threshold = threshold

    def forward(self, x: Tensor) -> Tensor:
        return F.softplus(x, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class LogSigmoid(Module):
    """log(sigmoid(x)), exact for large |x|."""

    def forward(self, x: Tensor) -> Tensor:
        return F.logsigmoid(x)


class Tanh(Module):
    """Hyperbolic tangent."""

    def forward(self, x: Tensor) -> Tensor:
        return F.tanh(x)


class Softmax(Module):
    """exp(x) / sum(exp(x)) along ``dim``."""

    def __init__(self, dim: int = -1) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, x: Tensor) -> Tensor:
        return F.softmax(x, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Module):
    """log(softmax(x)) along ``dim``, computed stably."""

    def __init__(self, dim: int = -1) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, x: Tensor) -> Tensor:
        return F.log_softmax(x, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class GELU(Module):
    """Gaussian error linear unit, x * Φ(x)."""

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        self.approximate = approximate

    def forward(self, x: Tensor) -> Tensor:
        return F.gelu(x, self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class ELU(Module):
    """x where x > 0, else ``alpha * (exp(x) - 1)``."""

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        self.alpha = alpha
        self.inplace = inplace

    def forward(self, x: Tensor) -> Tensor:
        return F.elu(x, self.alpha, self.inplace)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}{_inplace_text(self.inplace)}"
