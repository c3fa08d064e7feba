"""tinygrad_lab: a small, readable and fast autograd framework on NumPy."""

from .autograd import detect_anomaly, enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .tensor import Tensor, get_default_dtype, set_default_dtype

__version__ = "0.1.0"

__all__ = [
    "Tensor",
    "detect_anomaly",
    "enable_grad",
    "get_default_dtype",
    "is_grad_enabled",
    "no_grad",
    "set_default_dtype",
    "set_grad_enabled",
]
