"""Normalisation layers: ``LayerNorm``, ``BatchNorm1d`` and ``BatchNorm2d``, with
PyTorch's arguments, parameters, buffers (``running_mean``, ``running_var``,
``num_batches_tracked``), state_dict keys and reprs."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from ..engine import mark_changed
from ..tensor import Tensor
from ..tensor import device as _device
from . import functional as F
from .layers import _float_dtype, _positive_int
from .module import Module, Parameter

__all__ = ["BatchNorm1d", "BatchNorm2d", "LayerNorm"]


class LayerNorm(Module):
    """Normalise each sample over its last dims ``normalized_shape``:
    ``(x - mean) / sqrt(var + eps) * weight + bias`` (biased variance).

    Parameters
    ----------
    normalized_shape : int or sequence of int
        The trailing shape of the inputs to normalise over.
    eps : float
        Added to the variance, for stability.
    elementwise_affine : bool
        Learn ``weight`` (ones at first) and ``bias`` (zeros), both of shape
        ``normalized_shape``.
    bias : bool
        Learn the bias (with ``elementwise_affine``).
    dtype : float dtype, optional
    """

    def __init__(self, normalized_shape: Any, eps: float = 1e-5,
                 elementwise_affine: bool = True, bias: bool = True, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        if device is not None:
            _device(device)  # raises for anything but the CPU
        if isinstance(normalized_shape, numbers.Integral):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(int(n) for n in normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        dtype = _float_dtype("LayerNorm", dtype)
        if elementwise_affine:
            self.weight = Parameter(np.empty(self.normalized_shape, dtype=dtype))
            if bias:
                self.bias = Parameter(np.empty(self.normalized_shape, dtype=dtype))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """weight = 1, bias = 0."""
        if self.weight is not None:
            self.weight._array[...] = 1
        if self.bias is not None:
            self.bias._array[...] = 0

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (
            f"{self.normalized_shape}, eps={self.eps}, "
            f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}"
        )


class _BatchNorm(Module):
    """Batch normalisation over dim 1 (channels), shared by BatchNorm1d and 2d.

    In training mode each channel is normalised with the batch's mean and biased
    variance, and (with ``track_running_stats``) the running statistics are updated
    outside autograd: ``running = (1 - momentum) running + momentum batch`` (the
    unbiased variance for ``running_var``; ``momentum=None`` takes the cumulative
    average, ``1 / num_batches_tracked``). In eval mode the running statistics
    normalise (the batch's, without ``track_running_stats``).
    """

    _input_dims: tuple[int, ...] = ()

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True, device: Any = None,
                 dtype: Any = None, *, bias: bool = True) -> None:
        super().__init__()
        if device is not None:
            _device(device)  # raises for anything but the CPU
        name = type(self).__name__
        self.num_features = _positive_int(name, "num_features", num_features)
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        dtype = _float_dtype(name, dtype)
        if affine:
            self.weight = Parameter(np.empty(self.num_features, dtype=dtype))
            if bias:
                self.bias = Parameter(np.empty(self.num_features, dtype=dtype))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", Tensor(np.zeros(self.num_features, dtype)))
            self.register_buffer("running_var", Tensor(np.ones(self.num_features, dtype)))
            self.register_buffer("num_batches_tracked", Tensor(np.zeros((), np.int64)))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)
        self.reset_parameters()

    def reset_running_stats(self) -> None:
        """running_mean = 0, running_var = 1, num_batches_tracked = 0 (in place)."""
        if self.track_running_stats:
            for buffer, value in ((self.running_mean, 0), (self.running_var, 1),
                                  (self.num_batches_tracked, 0)):
                buffer._array[...] = value
                mark_changed(buffer)

    def reset_parameters(self) -> None:
        """Reset the running statistics; weight = 1, bias = 0."""
        self.reset_running_stats()
        if self.weight is not None:
            self.weight._array[...] = 1
        if self.bias is not None:
            self.bias._array[...] = 0

    def _check_input_dim(self, input: Tensor) -> None:  # noqa: A002
        ndim = np.ndim(input._array) if isinstance(input, Tensor) else np.ndim(input)
        if ndim not in self._input_dims:
            wanted = " or ".join(f"{d}D" for d in self._input_dims)
            raise ValueError(f"{type(self).__name__}: expected {wanted} input (got {ndim}D input)")

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        self._check_input_dim(input)
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats and self.num_batches_tracked is not None:
            self.num_batches_tracked.add_(1)  # a buffer: in place, outside autograd
            if self.momentum is None:  # the cumulative moving average
                factor = 1.0 / float(self.num_batches_tracked._array)
        use_batch = self.training or (self.running_mean is None and self.running_var is None)
        track = not self.training or self.track_running_stats
        return F.batch_norm(
            input, self.running_mean if track else None, self.running_var if track else None,
            self.weight, self.bias, use_batch, factor, self.eps,
        )

    def extra_repr(self) -> str:
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
            f"affine={self.affine}, bias={self.bias is not None}, "
            f"track_running_stats={self.track_running_stats}"
        )


class BatchNorm1d(_BatchNorm):
    """Batch normalisation of ``(N, C)`` or ``(N, C, L)`` inputs over the batch (and
    length), per channel ``C`` (see :class:`_BatchNorm` for training and eval modes).

    Parameters
    ----------
    num_features : int
        ``C``.
    eps : float
    momentum : float or None
        The weight of each batch in the running statistics (None: equal weights).
    affine : bool
        Learn ``weight`` (ones at first) and ``bias`` (zeros), shape ``(C,)``.
    track_running_stats : bool
        Keep ``running_mean``, ``running_var`` and ``num_batches_tracked`` buffers.
    bias : bool
        Learn the bias (with ``affine``).
    """

    _input_dims = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch normalisation of ``(N, C, H, W)`` inputs per channel; as
    :class:`BatchNorm1d`."""

    _input_dims = (4,)
