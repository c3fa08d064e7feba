"""RMSprop, following PyTorch's single-tensor implementation step by step."""

from __future__ import annotations

from typing import Any

import numpy as np

from .adam import _lerp_
from .optimizer import Optimizer, ParamsT, UpdateItem, _check_nonnegative

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    r"""RMSprop, as ``torch.optim.RMSprop``.

    For each parameter :math:`\theta` with gradient :math:`g`:

    .. code-block:: text

        g = -g                                  if maximize
        g = g + weight_decay * θ                if weight_decay != 0
        v = α v + (1 - α) g²                    (running mean of squared gradients)
        if centered:
            ḡ = α ḡ + (1 - α) g                 (running mean of gradients)
            d = sqrt(v - ḡ²) + eps
        else:
            d = sqrt(v) + eps
        if momentum > 0:  b = momentum * b + g / d;  θ = θ - lr * b
        else:             θ = θ - lr * g / d

    Parameters
    ----------
    params : iterable of Tensor or dict
        Parameters or parameter groups (see :class:`Optimizer`).
    lr : float, optional
        Learning rate (default 1e-2).
    alpha : float, optional
        Smoothing constant (default 0.99).
    eps : float, optional
        Added to the denominator for stability (default 1e-8).
    weight_decay : float, optional
        L2 penalty (default 0).
    momentum : float, optional
        Momentum factor (default 0).
    centered : bool, optional
        Normalize by an estimate of the gradient's variance instead of its second moment.
    maximize : bool, optional
        Maximize the objective instead of minimizing it.
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum: float = 0,
        centered: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "alpha": alpha,
            "eps": eps,
            "centered": centered,
            "weight_decay": weight_decay,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def _check_options(self, options: dict[str, Any]) -> None:
        _check_nonnegative("RMSprop", "learning rate", options["lr"])
        _check_nonnegative("RMSprop", "epsilon value", options["eps"])
        _check_nonnegative("RMSprop", "momentum value", options["momentum"])
        _check_nonnegative("RMSprop", "weight_decay value", options["weight_decay"])
        _check_nonnegative("RMSprop", "alpha value", options["alpha"])

    def _update_group(self, group: dict[str, Any], items: list[UpdateItem]) -> None:
        # Python floats: a NumPy float64 option would turn float32 arithmetic into float64.
        lr, alpha, eps = float(group["lr"]), float(group["alpha"]), float(group["eps"])
        momentum, weight_decay = float(group["momentum"]), float(group["weight_decay"])
        centered, maximize = group["centered"], group["maximize"]
        for param, grad, state in items:
            if not state:
                state["step"] = 0
                state["square_avg"] = np.zeros_like(param)
                if momentum > 0:
                    state["momentum_buffer"] = np.zeros_like(param)
                if centered:
                    state["grad_avg"] = np.zeros_like(param)
            square_avg = state["square_avg"]

            if maximize:
                grad = -grad
            state["step"] += 1
            if weight_decay != 0:
                grad = grad + weight_decay * param

            square_avg *= alpha
            square_avg += (1 - alpha) * grad * grad
            if centered:
                grad_avg = state.setdefault("grad_avg", np.zeros_like(param))
                _lerp_(grad_avg, grad, 1 - alpha)
                avg = square_avg - grad_avg * grad_avg
                np.sqrt(avg, out=avg)
            else:
                avg = np.sqrt(square_avg)
            avg += eps

            if momentum > 0:
                buf = state.setdefault("momentum_buffer", np.zeros_like(param))
                buf *= momentum
                buf += grad / avg
                param -= lr * buf
            else:
                update = lr * grad  # PyTorch's addcdiv order: (value * t1) / t2
                update /= avg
                param -= update
