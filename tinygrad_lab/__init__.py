"""tinygrad_lab: a small, readable and fast autograd framework on NumPy.

>>> import tinygrad_lab as tl
>>> from tinygrad_lab import Tensor, nn, optim
>>> import tinygrad_lab.nn.functional as F
"""

from . import data, nn, optim, testing, viz
from .autograd import detect_anomaly, enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .ops.elementwise import maximum, minimum, where
from .ops.shape import cat, stack
from .random import Generator, manual_seed
from .serialization import load, save
from .tensor import Tensor, get_default_dtype, set_default_dtype

__version__ = "0.1.0"

__all__ = [
    "Generator",
    "Tensor",
    "cat",
    "data",
    "detect_anomaly",
    "enable_grad",
    "get_default_dtype",
    "is_grad_enabled",
    "load",
    "manual_seed",
    "maximum",
    "minimum",
    "nn",
    "no_grad",
    "optim",
    "save",
    "set_default_dtype",
    "set_grad_enabled",
    "stack",
    "testing",
    "viz",
    "where",
]
