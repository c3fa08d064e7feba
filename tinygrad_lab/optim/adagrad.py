"""Adagrad, following PyTorch's single-tensor implementation step by step."""

from __future__ import annotations

from typing import Any

import numpy as np

from .optimizer import Optimizer, ParamsT, _check_nonnegative, as_constants

__all__ = ["Adagrad", "adagrad", "adagrad_arrays", "adagrad_numbers"]


def adagrad(
    params: list[np.ndarray],
    grads: list[np.ndarray],
    states: list[dict[str, Any]],
    *,
    lr: float,
    lr_decay: float,
    eps: float,
    weight_decay: float,
    initial_accumulator_value: float,
    maximize: bool,
) -> None:
    """Adagrad's update of parameter arrays of one dtype, in place: PyTorch's
    single-tensor ``adagrad``.

    ``states[i]`` is the state dict of ``params[i]`` (``step`` and ``sum``; created here
    for a parameter added after the constructor). ``grads`` are only read. It runs in
    two parts (see :func:`adagrad_numbers`): the Python numbers, then the array arithmetic.
    """
    if params:
        adagrad_arrays(params, grads, states, adagrad_numbers(  # (positional: faster)
            params, states, lr, lr_decay, eps, weight_decay, initial_accumulator_value,
            maximize))


def adagrad_numbers(
    params: list[np.ndarray],
    states: list[dict[str, Any]],
    lr: float,
    lr_decay: float,
    eps: float,
    weight_decay: float,
    initial_accumulator_value: float,
    maximize: bool,
) -> tuple[Any, ...]:
    """The Python part of Adagrad's update: creates missing state, counts the step, and
    returns the numbers as 0-d arrays of the parameters' dtype (see as_constants; None
    where unused), its flag and a list of each parameter's decayed learning rate.
    ``tl.compile`` records the array part and reruns this part at each replay; which
    entries are None (the branches taken) depends only on the options."""
    dtype = params[0].dtype
    (eps_c,) = as_constants(dtype, eps)  # _c: a 0-d array
    weight_decay_c = as_constants(dtype, weight_decay)[0] if weight_decay != 0 else None
    rates: list[np.ndarray] = []  # for each parameter
    last_step = None
    for param, state in zip(params, states, strict=True):
        if not state:
            _init_state(state, param, initial_accumulator_value)
        step = state["step"] = state["step"] + 1
        if step != last_step:  # usually the same for every parameter
            last_step = step
            # New at each step: made directly, as_constants would only fill its cache.
            rate = np.array(lr / (1 + (step - 1) * lr_decay), dtype)
        rates.append(rate)
    return eps_c, weight_decay_c, maximize, rates


def adagrad_arrays(
    params: list[np.ndarray],
    grads: list[np.ndarray],
    states: list[dict[str, Any]],
    numbers: tuple[Any, ...],
) -> None:
    """The array part of Adagrad's update, with the numbers of :func:`adagrad_numbers`."""
    eps, weight_decay, maximize, rates = numbers
    for param, grad, state, rate in zip(params, grads, states, rates, strict=True):
        if maximize:
            grad = -grad
        if weight_decay is not None:
            grad = grad + weight_decay * param
        state_sum = state["sum"]
        state_sum += grad * grad
        std = np.sqrt(state_sum)
        std += eps
        update = rate * grad  # PyTorch's addcdiv order: (value * t1) / t2
        update /= std
        param -= update


def _init_state(state: dict[str, Any], param: np.ndarray, initial_accumulator_value: float) -> None:
    state.update(step=0, sum=np.full(param.shape, initial_accumulator_value, param.dtype))


class Adagrad(Optimizer):
    r"""Adagrad, as ``torch.optim.Adagrad``.

    For each parameter :math:`\theta` with gradient :math:`g`, at step :math:`t = 1, 2, ...`:

    .. code-block:: text

        g = -g                                  if maximize
        g = g + weight_decay * θ                if weight_decay != 0
        clr = lr / (1 + (t - 1) * lr_decay)
        s = s + g²                              (s starts at initial_accumulator_value)
        θ = θ - clr * g / (sqrt(s) + eps)

    Parameters
    ----------
    params : iterable of Tensor or dict
        Parameters or parameter groups (see :class:`Optimizer`).
    lr : float, optional
        Learning rate (default 1e-2).
    lr_decay : float, optional
        Learning-rate decay (default 0).
    weight_decay : float, optional
        L2 penalty (default 0).
    initial_accumulator_value : float, optional
        Starting value of the sum of squared gradients (default 0).
    eps : float, optional
        Added to the denominator for stability (default 1e-10).
    maximize : bool, optional
        Maximize the objective instead of minimizing it.

    Notes
    -----
    As in PyTorch, the state (``step`` and ``sum``) of every parameter is created by the
    constructor; a parameter added later with ``add_param_group`` gets its state at its
    first step, from its group's ``initial_accumulator_value``.
    """

    _required_state = ("step", "sum")
    _optional_state = ()

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-2,
        lr_decay: float = 0,
        weight_decay: float = 0,
        initial_accumulator_value: float = 0,
        eps: float = 1e-10,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "lr_decay": lr_decay,
            "eps": eps,
            "weight_decay": weight_decay,
            "initial_accumulator_value": initial_accumulator_value,
            "maximize": maximize,
        }
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                _init_state(self.state[p], p._array, group["initial_accumulator_value"])

    def _check_options(self, options: dict[str, Any]) -> None:
        _check_nonnegative("Adagrad", "learning rate", options["lr"])
        _check_nonnegative("Adagrad", "lr_decay value", options["lr_decay"])
        _check_nonnegative("Adagrad", "weight_decay value", options["weight_decay"])
        _check_nonnegative(
            "Adagrad", "initial_accumulator_value value", options["initial_accumulator_value"]
        )
        _check_nonnegative("Adagrad", "epsilon value", options["eps"])

    update_function = staticmethod(adagrad)  # the formula (above)
    # tl.compile records the array part of this step and reruns its Python part at each
    # replay (see tinygrad_lab.compile).
    _compile_parts = (adagrad_numbers, adagrad_arrays)
