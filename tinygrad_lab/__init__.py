"""tinygrad_lab: a small, readable and fast autograd framework on NumPy.

PyTorch's names, so that ``import tinygrad_lab as torch`` runs PyTorch CPU programs:

>>> import tinygrad_lab as tl
>>> from tinygrad_lab import Tensor, nn, optim
>>> import tinygrad_lab.nn.functional as F

Tools (``viz``, ``testing``, ``utils``, ``data``) are imported when first used, so that
``import tinygrad_lab`` needs only NumPy.
"""

import importlib as _importlib

from . import autograd, cuda, nn, optim
from .compile import compile  # noqa: A004  (torch.compile's name)
from .dtypes import *  # noqa: F403  (float32, float, long, ...: PyTorch's dtype names)
from .engine import (
    detect_anomaly,
    enable_grad,
    inference_mode,
    is_grad_enabled,
    no_grad,
    set_detect_anomaly,
    set_grad_enabled,
)
from .factories import *  # noqa: F403
from .ops.activation import *  # noqa: F403
from .ops.conv import avg_pool1d, conv1d, conv2d, max_pool1d, max_pool2d
from .ops.elementwise import *  # noqa: F403
from .ops.extra import *  # noqa: F403  (after elementwise: its div takes rounding_mode)
from .ops.indexing import *  # noqa: F403
from .ops.layers import dropout
from .ops.linalg import *  # noqa: F403
from .ops.reduce import *  # noqa: F403
from .ops.shape import *  # noqa: F403
from .random import Generator, default_generator, manual_seed
from .tensor import Tensor, device, get_default_dtype, set_default_dtype

__version__ = "0.1.0"

Size = tuple  # what `tensor.shape` and `tensor.size()` return

_TOOLS = {"viz", "testing", "utils", "data", "random", "serialization"}
_FROM_TOOLS = {"save": "serialization", "load": "serialization"}

# PyTorch features this framework leaves out, and why (asked for by name, they say so).
_NOT_PROVIDED = {
    "jit": "TorchScript compiles for PyTorch's C++ runtime",
    "fx": "graph transformations of Python code are not part of this framework",
    "distributed": "there is one process and one CPU here",
    "sparse": "sparse tensors are not supported",
    "complex64": "complex tensors are not supported",
    "complex128": "complex tensors are not supported",
    "bfloat16": "NumPy has no bfloat16",
    "quantization": "quantized tensors are not supported",
    "mps": "tinygrad_lab runs on the CPU only",
    "backends": "there are no backends to choose: NumPy on the CPU",
}


def __getattr__(name: str):  # noqa: ANN202  (PEP 562: tools load on first use)
    if name in _TOOLS:
        module = _importlib.import_module(f".{name}", __name__)
        globals()[name] = module
        return module
    if name in _FROM_TOOLS:
        return getattr(__getattr__(_FROM_TOOLS[name]), name)
    if name.startswith("__"):
        raise AttributeError(name)
    reason = _NOT_PROVIDED.get(name, "it is not implemented in tinygrad_lab")
    raise AttributeError(
        f"tinygrad_lab has no '{name}' (torch.{name}): {reason}. See the README's "
        "'Coming from PyTorch' section for what differs."
    )
