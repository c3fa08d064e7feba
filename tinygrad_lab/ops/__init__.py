"""The ops, one file per family. Each op computes its result with NumPy and gives
``Tensor.from_op`` its gradient formula; importing a family registers its ops as Tensor
methods (``t.exp()``), operators (``a + b``) and NumPy overrides (``np.exp(t)``)."""

from . import (
    activation,
    conv,
    elementwise,
    extra,
    indexing,
    layers,
    linalg,
    loss,
    normalization,
    reduce,
    shape,
)

__all__ = [
    "activation", "conv", "elementwise", "extra", "indexing", "layers", "linalg", "loss",
    "normalization", "reduce", "shape",
]
