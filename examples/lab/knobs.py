"""The lab's knobs by name: what each value of the classifier's flags builds.

``two_layer_classifier.py`` (from its flags) and :mod:`lab.runs` (from a
:class:`~lab.runs.Setting`) both take their activations, initial weights, loss and
optimizer from here, so the same knobs give the same network and the same training in
both: a report's setting can be checked with one command of the classifier.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

import tinygrad_lab as tl
from tinygrad_lab import Tensor, nn, optim

ACTIVATIONS = {"sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "relu": nn.ReLU,
               "leaky_relu": nn.LeakyReLU, "none": nn.Identity}
INITS = ("xavier", "randn", "uniform", "default")
LOSSES = ("mse", "half-mse", "bce")
OPTIMIZERS = {"sgd": optim.SGD, "adam": optim.Adam, "rmsprop": optim.RMSprop,
              "adagrad": optim.Adagrad}
DEFAULT_LR = {"sgd": 1.0, "adam": 0.05, "rmsprop": 0.01, "adagrad": 0.1}
WITH_MOMENTUM = ("sgd", "rmsprop")  # the optimizers that take a momentum


def init_weights(model: nn.Module, init: str, activation: str, seed: int) -> None:
    """Initialise the Linear and Conv1d layers of ``model`` in place (the last of them is
    the output layer, which feeds a sigmoid).

    Parameters
    ----------
    model : nn.Module
        The network, its layers as built (with PyTorch's default initialisation).
    init : str
        ``xavier``: Xavier-normal weights with ``activation``'s gain (1 for the output
        layer: a sigmoid's), drawn from the framework's generator, and zero biases.
        ``randn`` | ``uniform``: weights N(0, 1) or U(0, 1) drawn the hand-written way,
        ``np.random.default_rng(seed)``, an (in, out) matrix per layer in layer order, and
        zero biases (Linear layers only). ``default``: the layers are left as built.
    activation : str
        The hidden layers' activation, a key of :data:`ACTIVATIONS`.
    seed : int
        Seeds the NumPy draws of ``randn`` and ``uniform``.
    """
    if init not in INITS:
        raise ValueError(f"init_weights: init must be one of {INITS}, got {init!r}")
    if init == "default":
        return
    layers = [m for m in model.modules() if isinstance(m, (nn.Linear, nn.Conv1d))]
    rng = np.random.default_rng(seed)
    for layer in layers:
        if init == "xavier":
            gain = nn.init.calculate_gain("linear" if activation == "none" else activation)
            nn.init.xavier_normal_(layer.weight, gain=1.0 if layer is layers[-1] else gain)
        elif not isinstance(layer, nn.Linear):
            raise ValueError(f"init_weights: init {init!r} is for Linear layers only, "
                             f"got {type(layer).__name__}")
        else:
            shape = (layer.in_features, layer.out_features)  # as hand-written code has it
            w = rng.standard_normal(shape) if init == "randn" else rng.uniform(0, 1, shape)
            with tl.no_grad():
                layer.weight.copy_(Tensor(w.T))
        if layer.bias is not None:
            nn.init.zeros_(layer.bias)


def make_optimizer(name: str, params: Iterable[Any], lr: float,
                   momentum: float = 0.0) -> optim.Optimizer:
    """The optimizer ``name`` (a key of :data:`OPTIMIZERS`) over ``params`` (parameters or
    parameter groups); ``momentum`` only for those in :data:`WITH_MOMENTUM`."""
    if name not in OPTIMIZERS:
        raise ValueError(f"make_optimizer: name must be one of {tuple(OPTIMIZERS)}, "
                         f"got {name!r}")
    if momentum and name not in WITH_MOMENTUM:
        raise ValueError(f"make_optimizer: {name} takes no momentum, got {momentum}")
    extra = {"momentum": momentum} if name in WITH_MOMENTUM else {}
    return OPTIMIZERS[name](params, lr=lr, **extra)


def loss_function(name: str, reduction: str) -> Callable[[Tensor, Tensor], Tensor]:
    """``mse``, ``half-mse`` (½·mse, whose gradient is backprop's ŷ - y) or ``bce``,
    reduced over a batch by ``reduction`` (``mean`` or ``sum``)."""
    if name not in LOSSES:
        raise ValueError(f"loss_function: name must be one of {LOSSES}, got {name!r}")
    if name == "bce":
        return nn.BCELoss(reduction=reduction)
    mse = nn.MSELoss(reduction=reduction)
    return mse if name == "mse" else lambda p, y: 0.5 * mse(p, y)
