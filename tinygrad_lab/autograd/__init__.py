"""``tl.autograd``: gradients as values (``grad``), and the modes, under PyTorch's names.

``grad`` returns gradients instead of accumulating them into ``.grad``; with
``create_graph=True`` they are tensors with a graph of their own, to differentiate
again (see :mod:`tinygrad_lab.autograd.functional` for Jacobians and Hessians).
"""

from __future__ import annotations

from ..engine import (
    detect_anomaly,
    enable_grad,
    inference_mode,
    is_grad_enabled,
    no_grad,
    set_detect_anomaly,
    set_grad_enabled,
)
from . import functional  # tl.autograd.functional, as in PyTorch
from .gradients import backward, grad

__all__ = [
    "backward",
    "detect_anomaly",
    "enable_grad",
    "functional",
    "grad",
    "inference_mode",
    "is_grad_enabled",
    "no_grad",
    "set_detect_anomaly",
    "set_grad_enabled",
]
