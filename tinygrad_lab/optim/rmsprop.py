"""RMSprop, following PyTorch's single-tensor implementation step by step."""

from __future__ import annotations

from typing import Any

import numpy as np

from .adam import lerp_
from .optimizer import Optimizer, ParamsT, _check_nonnegative, as_constants

__all__ = ["RMSprop", "rmsprop", "rmsprop_arrays", "rmsprop_numbers"]


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
    ``grads`` are only read. It runs in two parts (see :func:`rmsprop_numbers`): the
    Python numbers, then the array arithmetic.
    """
    if params:
        rmsprop_arrays(params, grads, states, rmsprop_numbers(  # (positional: faster)
            params, states, lr, momentum, alpha, eps, centered, weight_decay, maximize))


def rmsprop_numbers(
    params: list[np.ndarray],
    states: list[dict[str, Any]],
    lr: float,
    momentum: float,
    alpha: float,
    eps: float,
    centered: bool,
    weight_decay: float,
    maximize: bool,
) -> tuple[Any, ...]:
    """The Python part of RMSprop's update: creates missing state, counts the step, and
    returns the options it uses as 0-d arrays of the parameters' dtype (see
    as_constants; None where unused) and its flags. ``tl.compile`` records the array
    part and reruns this part at each replay; which entries are None (the branches
    taken) depends only on the options."""
    dtype = params[0].dtype
    # grad_avg's lerp, in PyTorch's two-sided form (see lerp_); 1 - (1 - alpha) rounds as
    # PyTorch's does.
    small = abs(1 - alpha) < 0.5
    lr_c, alpha_c, mix, eps_c, lerp_factor = as_constants(  # _c: a 0-d array
        dtype, lr, alpha, 1 - alpha, eps, 1 - alpha if small else 1 - (1 - alpha))
    momentum_c = weight_decay_c = None
    if momentum > 0:
        (momentum_c,) = as_constants(dtype, momentum)
    if weight_decay != 0:
        (weight_decay_c,) = as_constants(dtype, weight_decay)
    for param, state in zip(params, states, strict=True):
        if not state:
            state.update(step=0, square_avg=np.zeros(param.shape, dtype))
        # Created at the first step, or when an option is switched on later.
        if momentum_c is not None and state.get("momentum_buffer") is None:
            state["momentum_buffer"] = np.zeros(param.shape, dtype)
        if centered and state.get("grad_avg") is None:
            state["grad_avg"] = np.zeros(param.shape, dtype)
        state["step"] += 1
    return (lr_c, alpha_c, mix, eps_c, momentum_c, weight_decay_c, centered, maximize, small,
            lerp_factor)


def rmsprop_arrays(
    params: list[np.ndarray],
    grads: list[np.ndarray],
    states: list[dict[str, Any]],
    numbers: tuple[Any, ...],
) -> None:
    """The array part of RMSprop's update, with the numbers of :func:`rmsprop_numbers`."""
    (lr, alpha, mix, eps, momentum, weight_decay, centered, maximize, small,
     lerp_factor) = numbers
    for param, grad, state in zip(params, grads, states, strict=True):
        square_avg = state["square_avg"]
        if maximize:
            grad = -grad
        if weight_decay is not None:
            grad = grad + weight_decay * param

        square_avg *= alpha
        square_avg += mix * grad * grad
        if centered:
            grad_avg = state["grad_avg"]
            lerp_(grad_avg, grad, small, lerp_factor)
            avg = np.sqrt(square_avg - grad_avg * grad_avg)  # (a 0-d one is a NumPy scalar)
        else:
            avg = np.sqrt(square_avg)
        avg += eps

        if momentum is not None:
            buf = state["momentum_buffer"]
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
    # tl.compile records the array part of this step and reruns its Python part at each
    # replay (see tinygrad_lab.compile).
    _compile_parts = (rmsprop_numbers, rmsprop_arrays)
