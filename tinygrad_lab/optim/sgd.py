"""Stochastic gradient descent, with PyTorch's momentum, dampening and Nesterov variants."""

from __future__ import annotations

from typing import Any

import numpy as np

from .optimizer import Optimizer, ParamsT, _check_nonnegative, as_constants

__all__ = ["SGD", "sgd", "sgd_arrays", "sgd_numbers"]


def sgd(
    params: list[np.ndarray],
    grads: list[np.ndarray],
    states: list[dict[str, Any]],
    *,
    lr: float,
    momentum: float,
    dampening: float,
    weight_decay: float,
    nesterov: bool,
    maximize: bool,
) -> None:
    """SGD's update of parameter arrays of one dtype, in place: PyTorch's single-tensor
    ``sgd``.

    ``states[i]`` is the state dict of ``params[i]`` (its ``"momentum_buffer"``, created
    here at the first step with momentum). ``grads`` are only read. It runs in two parts
    (see :func:`sgd_numbers`): the Python numbers, then the array arithmetic.
    """
    if params:
        sgd_arrays(params, grads, states, sgd_numbers(  # (positional: a faster call)
            params, states, lr, momentum, dampening, weight_decay, nesterov, maximize))


def sgd_numbers(
    params: list[np.ndarray],
    states: list[dict[str, Any]],
    lr: float,
    momentum: float,
    dampening: float,
    weight_decay: float,
    nesterov: bool,
    maximize: bool,
) -> tuple[Any, ...]:
    """The Python part of SGD's update: the options it uses as 0-d arrays of the
    parameters' dtype (see as_constants), None for those it skips, and its flags.

    ``tl.compile`` records the array part and reruns this part at each replay, so that a
    new learning rate needs no new trace; which entries are None (the branches taken)
    depends only on the options.
    """
    dtype = params[0].dtype
    (lr_c,) = as_constants(dtype, lr)  # _c: a 0-d array
    momentum_c = undamped = weight_decay_c = None
    if momentum != 0:
        momentum_c, undamped = as_constants(dtype, momentum, 1 - dampening)
        if dampening == 0:
            undamped = None  # (1 - 0) * grad is grad exactly: skip the multiplication
    if weight_decay != 0:
        (weight_decay_c,) = as_constants(dtype, weight_decay)
    return lr_c, momentum_c, undamped, weight_decay_c, nesterov, maximize


def sgd_arrays(
    params: list[np.ndarray],
    grads: list[np.ndarray],
    states: list[dict[str, Any]],
    numbers: tuple[Any, ...],
) -> None:
    """The array part of SGD's update, with the numbers of :func:`sgd_numbers`."""
    lr, momentum, undamped, weight_decay, nesterov, maximize = numbers
    for param, grad, state in zip(params, grads, states, strict=True):
        if maximize:
            grad = -grad
        if weight_decay is not None:
            grad = grad + weight_decay * param
        if momentum is not None:
            buf = state.get("momentum_buffer")
            if buf is None:
                # A copy: grad may be p.grad's own array, which the buffer must not share.
                buf = state["momentum_buffer"] = grad.copy()
            else:
                buf *= momentum
                buf += grad if undamped is None else undamped * grad
            grad = grad + momentum * buf if nesterov else buf
        param -= lr * grad


class SGD(Optimizer):
    r"""Stochastic gradient descent (optionally with momentum), as ``torch.optim.SGD``.

    For each parameter :math:`\theta` with gradient :math:`g`, at step :math:`t`:

    .. code-block:: text

        g = -g                       if maximize
        g = g + weight_decay * θ     if weight_decay != 0
        if momentum != 0:
            b = g                                     at the first step
            b = momentum * b + (1 - dampening) * g    afterwards
            g = g + momentum * b     if nesterov, else g = b
        θ = θ - lr * g

    Note PyTorch's form of momentum: the buffer holds a running sum of gradients, not of
    ``lr * gradient``, and it starts at the first gradient (dampening applies from the
    second step on).

    Parameters
    ----------
    params : iterable of Tensor or dict
        Parameters or parameter groups (see :class:`Optimizer`).
    lr : float, optional
        Learning rate (default 1e-3).
    momentum : float, optional
        Momentum factor (default 0).
    dampening : float, optional
        Dampening for momentum (default 0).
    weight_decay : float, optional
        L2 penalty added to the gradient (default 0).
    nesterov : bool, optional
        Nesterov momentum; needs ``momentum > 0`` and ``dampening == 0``.
    maximize : bool, optional
        Maximize the objective instead of minimizing it.

    Examples
    --------
    >>> opt = SGD(model.parameters(), lr=0.1, momentum=0.9)
    >>> opt.zero_grad(); loss_fn(model(x), y).backward(); opt.step()
    """

    _required_state = ()
    _optional_state = ("momentum_buffer",)

    # tl.compile records the array part of this step and reruns its Python part at each
    # replay (see tinygrad_lab.compile): new options need no new trace.
    _compile_parts = (sgd_numbers, sgd_arrays)
    # SGD's numbers depend on its options alone (no step count): a replay computes them
    # again only when the options change.
    _compile_options_only = True

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-3,
        momentum: float = 0,
        dampening: float = 0,
        weight_decay: float = 0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "dampening": dampening,
            "weight_decay": weight_decay,
            "nesterov": nesterov,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def _check_options(self, options: dict[str, Any]) -> None:
        _check_nonnegative("SGD", "learning rate", options["lr"])
        _check_nonnegative("SGD", "momentum value", options["momentum"])
        _check_nonnegative("SGD", "weight_decay value", options["weight_decay"])
        if options["nesterov"] and (options["momentum"] <= 0 or options["dampening"] != 0):
            raise ValueError(
                "SGD: Nesterov momentum requires a momentum and zero dampening, got "
                f"momentum={options['momentum']}, dampening={options['dampening']}"
            )

    update_function = staticmethod(sgd)  # the formula (above)
