"""Stochastic gradient descent, with PyTorch's momentum, dampening and Nesterov variants."""

from __future__ import annotations

from typing import Any

import numpy as np

from .optimizer import Optimizer, ParamsT, UpdateItem, _check_nonnegative

__all__ = ["SGD"]


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

    # tl.compile may record this step's NumPy calls instead of rerunning it eagerly: the
    # update depends only on the group options (guarded) and the state arrays, and keeps
    # no Python-level counter.
    _compile_traced = True

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

    def _update_group(self, group: dict[str, Any], items: list[UpdateItem]) -> None:
        # Python floats: a NumPy float64 option would turn float32 arithmetic into float64.
        lr, momentum = float(group["lr"]), float(group["momentum"])
        dampening, weight_decay = float(group["dampening"]), float(group["weight_decay"])
        nesterov, maximize = group["nesterov"], group["maximize"]
        for param, grad, state in items:
            if maximize:
                grad = -grad
            if weight_decay != 0:
                grad = grad + weight_decay * param
            if momentum != 0:
                buf = state.get("momentum_buffer")
                if buf is None:
                    # A copy: grad may be p.grad's own array, which the buffer must not share.
                    buf = state["momentum_buffer"] = np.array(grad, dtype=param.dtype)
                else:
                    buf *= momentum
                    buf += (1 - dampening) * grad
                grad = grad + momentum * buf if nesterov else buf
            param -= lr * grad
