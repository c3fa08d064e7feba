"""RMSprop, following PyTorch's single-tensor implementation step by step."""

from __future__ import annotations

from typing import Any

import numpy as np

from .adam import Lerp
from .optimizer import Optimizer, ParamsT, _check_nonnegative, as_constants

__all__ = ["RMSprop", "rmsprop"]


def _buffer(state: dict[str, Any], key: str, param: np.ndarray) -> np.ndarray:
    """``state[key]``, created as zeros when missing (an option switched on later)."""
    buf = state.get(key)
    if buf is None:
        buf = state[key] = np.zeros(param.shape, param.dtype)
    return buf


def rmsprop(
    params: list[np.ndarray],
    grads: list[np.ndarray],
    states: list[dict[str, Any]],
    *,
    lr: float,
    momentum: float,
    alpha: float,
    eps: float,
    centered: bool,
    weight_decay: float,
    maximize: bool,
) -> None:
    """RMSprop's update of parameter arrays of one dtype, in place: PyTorch's
    single-tensor ``rmsprop``.

    ``states[i]`` is the state dict of ``params[i]`` (``step``, ``square_avg`` and, as the
    options ask, ``momentum_buffer`` and ``grad_avg``; created here at its first step).
    ``grads`` are only read.
    """
    if not params:
        return
    dtype = params[0].dtype
    use_momentum, decay = momentum > 0, weight_decay != 0
    # The options as 0-d arrays of the parameters' dtype (see as_constants), those used.
    lr, alpha_c, mix, eps = as_constants(dtype, lr, alpha, 1 - alpha, eps)  # _c: 0-d array
    if use_momentum:
        (momentum,) = as_constants(dtype, momentum)
    if decay:
        (weight_decay,) = as_constants(dtype, weight_decay)
    lerp_ = Lerp(1 - alpha, dtype)
    for param, grad, state in zip(params, grads, states, strict=True):
        if not state:
            state.update(step=0, square_avg=np.zeros(param.shape, dtype))
            if use_momentum:
                state["momentum_buffer"] = np.zeros(param.shape, dtype)
            if centered:
                state["grad_avg"] = np.zeros(param.shape, dtype)
        square_avg = state["square_avg"]

        if maximize:
            grad = -grad
        state["step"] += 1
        if decay:
            grad = grad + weight_decay * param

        square_avg *= alpha_c
        square_avg += mix * grad * grad
        if centered:
            grad_avg = _buffer(state, "grad_avg", param)
            lerp_(grad_avg, grad)
            avg = square_avg - grad_avg * grad_avg
            np.sqrt(avg, out=avg)
        else:
            avg = np.sqrt(square_avg)
        avg += eps

        if use_momentum:
            buf = _buffer(state, "momentum_buffer", param)
            buf *= momentum
            buf += grad / avg
            param -= lr * buf
        else:
            update = lr * grad  # PyTorch's addcdiv order: (value * t1) / t2
            update /= avg
            param -= update


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

    _required_state = ("step", "square_avg")
    _optional_state = ("momentum_buffer", "grad_avg")

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

    update_function = staticmethod(rmsprop)  # the formula (above)
