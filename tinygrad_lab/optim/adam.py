"""Adam and AdamW, following PyTorch's single-tensor implementation step by step."""

from __future__ import annotations

from typing import Any

import numpy as np

from .optimizer import Optimizer, ParamsT, _check_nonnegative, as_constants

__all__ = ["Adam", "AdamW", "adam", "adam_arrays", "adam_numbers", "lerp_"]


def lerp_(start: np.ndarray, end: np.ndarray, small: bool, factor: np.ndarray) -> None:
    """``start += weight * (end - start)`` in place, in PyTorch's two-sided form.

    ``torch.lerp`` switches to ``end - (end - start) * (1 - weight)`` for weights >= 0.5,
    which rounds differently; following it keeps trajectories close to PyTorch's. The
    caller passes ``small = abs(weight) < 0.5`` and ``factor``, a 0-d array of
    ``weight`` if small, else of ``1 - weight`` (derived in Python floats).
    """
    diff = end - start
    diff *= factor
    if small:
        start += diff
    else:
        np.subtract(end, diff, out=start)


def adam(
    params: list[np.ndarray],
    grads: list[np.ndarray],
    states: list[dict[str, Any]],
    *,
    lr: float,
    betas: tuple[float, float],
    eps: float,
    weight_decay: float,
    amsgrad: bool,
    maximize: bool,
    decoupled_weight_decay: bool,
) -> None:
    """Adam's update of parameter arrays of one dtype, in place: PyTorch's single-tensor
    ``adam``.

    ``states[i]`` is the state dict of ``params[i]`` (``step``, ``exp_avg``,
    ``exp_avg_sq`` and, with AMSGrad, ``max_exp_avg_sq``; created here at its first step).
    ``grads`` are only read. It runs in two parts (see :func:`adam_numbers`): the Python
    numbers (step counters, bias corrections), then the array arithmetic.
    """
    if params:
        adam_arrays(params, grads, states, adam_numbers(  # (positional: a faster call)
            params, states, lr, betas, eps, weight_decay, amsgrad, maximize,
            decoupled_weight_decay))


def adam_numbers(
    params: list[np.ndarray],
    states: list[dict[str, Any]],
    lr: float,
    betas: tuple[float, float],
    eps: float,
    weight_decay: float,
    amsgrad: bool,
    maximize: bool,
    decoupled_weight_decay: bool,
) -> tuple[Any, ...]:
    """The Python part of Adam's update: creates missing state, counts the step, and
    returns the numbers as 0-d arrays of the parameters' dtype (None where unused), the
    flags, and lists of each parameter's step size and bias correction.

    Numbers are derived in Python floats, as PyTorch does, then converted (see
    as_constants). ``tl.compile`` records the array part and reruns this part at each
    replay; which entries are None (the branches taken) depends only on the options.
    """
    beta1, beta2 = betas
    dtype = params[0].dtype
    # The first moment's lerp, in PyTorch's two-sided form (see lerp_): its factor is
    # 1 - weight for a large weight, and 1 - (1 - beta1) rounds as PyTorch's does.
    small = abs(1 - beta1) < 0.5
    beta2_c, mix2, eps_c, lerp_factor = as_constants(  # _c: a 0-d array
        dtype, beta2, 1 - beta2, eps, 1 - beta1 if small else 1 - (1 - beta1))
    shrink = weight_decay_c = None
    if weight_decay != 0:
        shrink, weight_decay_c = as_constants(dtype, 1 - lr * weight_decay, weight_decay)
        if decoupled_weight_decay:
            weight_decay_c = None
        else:
            shrink = None
    step_sizes: list[np.ndarray] = []  # for each parameter
    corrections: list[np.ndarray] = []  # the square roots of the second bias corrections
    last_step = None
    for param, state in zip(params, states, strict=True):
        if not state:
            state.update(step=0, exp_avg=np.zeros(param.shape, dtype),
                         exp_avg_sq=np.zeros(param.shape, dtype))
        if amsgrad and "max_exp_avg_sq" not in state:  # also if switched on later
            state["max_exp_avg_sq"] = np.zeros(param.shape, dtype)
        step = state["step"] = state["step"] + 1
        if step != last_step:  # usually the same for every parameter
            last_step = step
            # New at each step: made directly, as_constants would only fill its cache.
            step_size = np.array(lr / (1 - beta1**step), dtype)
            correction = np.array((1 - beta2**step) ** 0.5, dtype)
        step_sizes.append(step_size)
        corrections.append(correction)
    return (beta2_c, mix2, eps_c, shrink, weight_decay_c, small, lerp_factor, amsgrad,
            maximize, step_sizes, corrections)


def adam_arrays(
    params: list[np.ndarray],
    grads: list[np.ndarray],
    states: list[dict[str, Any]],
    numbers: tuple[Any, ...],
) -> None:
    """The array part of Adam's update, with the numbers of :func:`adam_numbers`."""
    (beta2, mix2, eps, shrink, weight_decay, small, lerp_factor, amsgrad, maximize, step_sizes,
     corrections) = numbers
    for param, grad, state, step_size, correction in zip(
            params, grads, states, step_sizes, corrections, strict=True):
        exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
        if maximize:
            grad = -grad
        if shrink is not None:
            param *= shrink
        elif weight_decay is not None:
            grad = grad + weight_decay * param

        lerp_(exp_avg, grad, small, lerp_factor)  # exp_avg.lerp_(grad, 1 - beta1)
        exp_avg_sq *= beta2
        exp_avg_sq += mix2 * grad * grad

        if amsgrad:
            max_exp_avg_sq = state["max_exp_avg_sq"]
            np.maximum(max_exp_avg_sq, exp_avg_sq, out=max_exp_avg_sq)
            denom = np.sqrt(max_exp_avg_sq)
        else:
            denom = np.sqrt(exp_avg_sq)
        denom /= correction
        denom += eps
        update = step_size * exp_avg  # PyTorch's addcdiv order: (value * t1) / t2
        update /= denom
        param -= update


class Adam(Optimizer):
    r"""Adam, as ``torch.optim.Adam`` (with AMSGrad and decoupled weight decay options).

    For each parameter :math:`\theta` with gradient :math:`g`, at step :math:`t = 1, 2, ...`:

    .. code-block:: text

        g = -g                               if maximize
        θ = θ * (1 - lr * weight_decay)      if decoupled_weight_decay (AdamW)
        g = g + weight_decay * θ             otherwise, if weight_decay != 0
        m = β1 m + (1 - β1) g                (first moment)
        v = β2 v + (1 - β2) g²               (second moment)
        v_max = max(v_max, v)                if amsgrad (then v_max replaces v below)
        θ = θ - lr / (1 - β1^t) * m / (sqrt(v) / sqrt(1 - β2^t) + eps)

    Parameters
    ----------
    params : iterable of Tensor or dict
        Parameters or parameter groups (see :class:`Optimizer`).
    lr : float, optional
        Learning rate (default 1e-3).
    betas : (float, float), optional
        Decay rates of the two moment estimates (default (0.9, 0.999)), each in [0, 1).
    eps : float, optional
        Added to the denominator for stability (default 1e-8).
    weight_decay : float, optional
        L2 penalty (default 0).
    amsgrad : bool, optional
        Use the AMSGrad variant (the running maximum of the second moment).
    maximize : bool, optional
        Maximize the objective instead of minimizing it.
    decoupled_weight_decay : bool, optional
        Decay the weights directly instead of through the gradient; this is AdamW.

    Examples
    --------
    >>> opt = Adam(model.parameters(), lr=1e-2)
    """

    _required_state = ("step", "exp_avg", "exp_avg_sq")
    _optional_state = ("max_exp_avg_sq",)
    # tl.compile records the array part of this step and reruns its Python part (step
    # counters, bias corrections) at each replay (see tinygrad_lab.compile).
    _compile_parts = (adam_numbers, adam_arrays)

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        decoupled_weight_decay: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "betas": betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "amsgrad": amsgrad,
            "maximize": maximize,
            "decoupled_weight_decay": decoupled_weight_decay,
        }
        super().__init__(params, defaults)

    def _check_options(self, options: dict[str, Any]) -> None:
        name = type(self).__name__
        _check_nonnegative(name, "learning rate", options["lr"])
        _check_nonnegative(name, "epsilon value", options["eps"])
        betas = options["betas"]
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise ValueError(f"{name}: betas must be a pair (beta1, beta2), got {betas!r}")
        for i, beta in enumerate(betas):
            _check_nonnegative(name, f"beta parameter at index {i}", beta)
            if not beta < 1.0:
                raise ValueError(
                    f"{name}: Invalid beta parameter at index {i}: {beta} (must be < 1)"
                )
        _check_nonnegative(name, "weight_decay value", options["weight_decay"])

    update_function = staticmethod(adam)  # the formula (above)


class AdamW(Adam):
    r"""AdamW: Adam with decoupled weight decay, as ``torch.optim.AdamW``.

    The weights shrink by ``lr * weight_decay`` of themselves at each step, outside the
    moment estimates: ``θ = θ * (1 - lr * weight_decay)``, then the Adam update.

    Parameters
    ----------
    params : iterable of Tensor or dict
        Parameters or parameter groups (see :class:`Optimizer`).
    lr : float, optional
        Learning rate (default 1e-3).
    betas : (float, float), optional
        Decay rates of the two moment estimates (default (0.9, 0.999)).
    eps : float, optional
        Added to the denominator for stability (default 1e-8).
    weight_decay : float, optional
        Decoupled weight decay (default 1e-2).
    amsgrad : bool, optional
        Use the AMSGrad variant.
    maximize : bool, optional
        Maximize the objective instead of minimizing it.
    """

    _compile_parts = Adam._compile_parts  # (tl.compile reads it from the class itself)

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(
            params,
            lr,
            betas,
            eps,
            weight_decay,
            amsgrad,
            maximize=maximize,
            decoupled_weight_decay=True,
        )
