"""tinygrad_lab: a small, readable and fast autograd framework on NumPy.

>>> import tinygrad_lab as tl
>>> from tinygrad_lab import Tensor, nn, optim
>>> import tinygrad_lab.nn.functional as F
"""

from . import autograd, nn, optim
from .dtypes import (
    bool,
    double,
    float,
    float16,
    float32,
    float64,
    half,
    int,
    int8,
    int16,
    int32,
    int64,
    long,
    short,
    uint8,
)
from .engine import (
    detect_anomaly,
    enable_grad,
    inference_mode,
    is_grad_enabled,
    no_grad,
    set_detect_anomaly,
    set_grad_enabled,
)
from .ops.elementwise import *  # noqa: F403
from .ops.elementwise import __all__ as _elementwise_all
from .random import Generator, manual_seed
from .serialization import load, save
from .tensor import Tensor, device, get_default_dtype, set_default_dtype

__version__ = "0.1.0"
