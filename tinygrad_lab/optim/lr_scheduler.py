"""Learning-rate schedulers, as ``torch.optim.lr_scheduler``.

A scheduler rewrites ``group["lr"]`` of its optimizer's parameter groups each time its
``step()`` is called (once per epoch, after ``optimizer.step()``). The formulas are
PyTorch's *recursive* ("chainable") forms, which update the current lr rather than
recomputing it from the base lr, so the sequences match PyTorch's float for float.

Examples
--------
>>> opt = SGD(model.parameters(), lr=0.1)
>>> sched = StepLR(opt, step_size=30, gamma=0.1)
>>> for epoch in range(100):
...     train_one_epoch(model, opt)
...     sched.step()
"""

from __future__ import annotations

import copy
import math
import numbers
import warnings
from collections import Counter
from collections.abc import Iterable
from typing import Any, SupportsFloat

from .optimizer import Optimizer

__all__ = [
    "CosineAnnealingLR",
    "ExponentialLR",
    "LRScheduler",
    "MultiStepLR",
    "ReduceLROnPlateau",
    "StepLR",
]


def _check_optimizer(owner: str, optimizer: Any) -> None:
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"{owner}: {type(optimizer).__name__} is not an Optimizer")


class LRScheduler:
    """Base class of the epoch-based schedulers.

    Parameters
    ----------
    optimizer : Optimizer
        The optimizer whose learning rates are scheduled.
    last_epoch : int, optional
        Index of the last epoch seen. Leave it at -1 to start a schedule: each group's
        current ``lr`` is then recorded as ``group["initial_lr"]`` (the base lr). Another
        value resumes a schedule and needs ``"initial_lr"`` already in every group.

    Attributes
    ----------
    base_lrs : list of float
        The groups' ``initial_lr``.
    last_epoch : int
        The epoch counter, advanced by :meth:`step` (0 right after construction).

    Notes
    -----
    As in PyTorch, the first ``step()`` after construction warns (UserWarning) when the
    optimizer has not stepped yet: ``scheduler.step()`` belongs after ``optimizer.step()``.

    Subclasses implement :meth:`get_lr`, which returns the new lr of every group given
    ``self.last_epoch`` (already advanced) and the groups' current ``lr``.
    """

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        name = type(self).__name__
        _check_optimizer(name, optimizer)
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        else:
            for i, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise KeyError(
                        f"{name}: param 'initial_lr' is not specified in param_groups[{i}] "
                        f"when resuming a scheduler with last_epoch={last_epoch}; load the "
                        "optimizer's state dict first, or start with last_epoch=-1"
                    )
        self.base_lrs: list[float] = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        # Calls of step() so far (the constructor's included), as in PyTorch: the first
        # call made by the user (count 1) checks that optimizer.step() came before it.
        self._step_count = 0
        # The constructor takes one step (to epoch 0); schedules that multiply the lr
        # must not apply their factor then, which `_is_initial` tells them.
        self._is_initial = True
        try:
            self.step()
        finally:
            self._is_initial = False

    def get_lr(self) -> list[float]:
        """Return the new learning rate of every group for epoch ``self.last_epoch``."""
        raise NotImplementedError(f"{type(self).__name__} does not implement get_lr")

    def get_last_lr(self) -> list[float]:
        """Return the learning rates set by the latest :meth:`step` (one per group)."""
        return list(self._last_lr)

    def step(self) -> None:
        """Advance one epoch and set every group's ``lr``. Call it after ``optimizer.step()``."""
        groups = self.optimizer.param_groups
        if len(groups) != len(self.base_lrs):
            raise ValueError(
                f"{type(self).__name__}.step: the optimizer has {len(groups)} parameter "
                f"groups, but the scheduler was created for {len(self.base_lrs)}"
            )
        if self._step_count == 1 and not getattr(self.optimizer, "_opt_called", True):
            warnings.warn(
                "Detected call of `lr_scheduler.step()` before `optimizer.step()`: call "
                "`optimizer.step()` first, then `lr_scheduler.step()`; the other order "
                "skips the first value of the learning rate schedule.",
                UserWarning,
                stacklevel=2,
            )
        self._step_count += 1
        self.last_epoch += 1
        for group, lr in zip(groups, self.get_lr(), strict=True):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in groups]

    def state_dict(self) -> dict[str, Any]:
        """Return the scheduler's state: every attribute except the optimizer (copied)."""
        return {k: copy.deepcopy(v) for k, v in self.__dict__.items() if k != "optimizer"}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load a state saved by :meth:`state_dict` of the same kind of scheduler.

        Raises
        ------
        ValueError
            If it holds keys this scheduler doesn't have, or base lrs for a different
            number of parameter groups (nothing changes then).
        """
        name = f"{type(self).__name__}.load_state_dict"
        unknown = sorted(set(state_dict) - set(self.__dict__))
        if unknown:
            raise ValueError(
                f"{name}: unexpected keys {unknown}; was it saved from another scheduler?"
            )
        base_lrs = state_dict.get("base_lrs", self.base_lrs)
        if len(base_lrs) != len(self.optimizer.param_groups):
            raise ValueError(
                f"{name}: the state has base lrs for {len(base_lrs)} parameter groups, "
                f"the optimizer has {len(self.optimizer.param_groups)}"
            )
        self.__dict__.update(copy.deepcopy(state_dict))

    def _current_lrs(self) -> list[float]:
        return [group["lr"] for group in self.optimizer.param_groups]


class StepLR(LRScheduler):
    """Multiply the learning rate by ``gamma`` every ``step_size`` epochs.

    Parameters
    ----------
    optimizer : Optimizer
    step_size : int
        Period of the decay, in epochs (>= 1).
    gamma : float, optional
        Multiplicative factor (default 0.1).
    last_epoch : int, optional
        See :class:`LRScheduler`.

    Examples
    --------
    >>> # lr = 0.05 for epochs 0-29, 0.005 for 30-59, 0.0005 for 60-89, ...
    >>> sched = StepLR(opt, step_size=30, gamma=0.1)
    """

    def __init__(
        self, optimizer: Optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1
    ) -> None:
        integral = isinstance(step_size, numbers.Integral) and not isinstance(step_size, bool)
        if not integral or step_size < 1:
            raise ValueError(f"StepLR: step_size must be an int >= 1, got {step_size!r}")
        self.step_size = step_size
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return self._current_lrs()
        return [lr * self.gamma for lr in self._current_lrs()]


class MultiStepLR(LRScheduler):
    """Multiply the learning rate by ``gamma`` at each epoch listed in ``milestones``.

    Parameters
    ----------
    optimizer : Optimizer
    milestones : iterable of int
        Epoch indices; an epoch listed ``n`` times multiplies by ``gamma ** n``.
    gamma : float, optional
        Multiplicative factor (default 0.1).
    last_epoch : int, optional
        See :class:`LRScheduler`.

    Examples
    --------
    >>> # lr = 0.05 for epochs 0-29, 0.005 for 30-79, 0.0005 from 80 on
    >>> sched = MultiStepLR(opt, milestones=[30, 80], gamma=0.1)
    """

    def __init__(
        self,
        optimizer: Optimizer,
        milestones: Iterable[int],
        gamma: float = 0.1,
        last_epoch: int = -1,
    ) -> None:
        milestones = list(milestones)
        if not all(isinstance(m, numbers.Integral) and not isinstance(m, bool) for m in milestones):
            raise TypeError(f"MultiStepLR: milestones must be ints, got {milestones!r}")
        self.milestones = Counter(milestones)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self.last_epoch not in self.milestones:
            return self._current_lrs()
        factor = self.gamma ** self.milestones[self.last_epoch]
        return [lr * factor for lr in self._current_lrs()]


class ExponentialLR(LRScheduler):
    """Multiply the learning rate by ``gamma`` every epoch.

    Parameters
    ----------
    optimizer : Optimizer
    gamma : float
        Multiplicative factor.
    last_epoch : int, optional
        See :class:`LRScheduler`.
    """

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1) -> None:
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self._is_initial:
            return self._current_lrs()
        return [lr * self.gamma for lr in self._current_lrs()]


class CosineAnnealingLR(LRScheduler):
    r"""Anneal the learning rate along a cosine from the base lr down to ``eta_min``.

    The closed form is
    :math:`\eta_t = \eta_{min} + \tfrac12(\eta_{base} - \eta_{min})(1 + \cos(\pi t / T_{max}))`;
    like PyTorch, each step applies the recursive form

    .. math::
        \eta_{t} = \eta_{min} + (\eta_{t-1} - \eta_{min})
            \frac{1 + \cos(\pi t / T_{max})}{1 + \cos(\pi (t - 1) / T_{max})},

    which also follows lr changes made by someone else. Past ``T_max`` the lr climbs back
    up (the cosine continues; there are no warm restarts).

    Parameters
    ----------
    optimizer : Optimizer
    T_max : int
        Half period, in epochs (> 0).
    eta_min : float, optional
        Minimum learning rate (default 0).
    last_epoch : int, optional
        See :class:`LRScheduler`.
    """

    def __init__(
        self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0, last_epoch: int = -1
    ) -> None:
        if not T_max > 0:
            raise ValueError(f"CosineAnnealingLR: T_max must be > 0, got {T_max!r}")
        self.T_max = T_max
        self.eta_min = eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        t, t_max, eta_min = self.last_epoch, self.T_max, self.eta_min
        if self._is_initial:
            return self._current_lrs()
        if (t - 1 - t_max) % (2 * t_max) == 0:
            # At the bottom of the cosine the ratio below is 0/0; step up from eta_min.
            return [
                lr + (base_lr - eta_min) * (1 - math.cos(math.pi / t_max)) / 2
                for base_lr, lr in zip(self.base_lrs, self._current_lrs(), strict=True)
            ]
        ratio = (1 + math.cos(math.pi * t / t_max)) / (1 + math.cos(math.pi * (t - 1) / t_max))
        return [ratio * (lr - eta_min) + eta_min for lr in self._current_lrs()]


class ReduceLROnPlateau(LRScheduler):
    """Reduce the learning rate when a metric has stopped improving.

    Call ``step(metric)`` once per epoch (e.g. with the validation loss). When the metric
    hasn't improved for more than ``patience`` epochs, every group's lr is multiplied by
    ``factor`` (not below ``min_lr``), then the scheduler waits ``cooldown`` epochs.

    Parameters
    ----------
    optimizer : Optimizer
    mode : {'min', 'max'}, optional
        Whether the metric should go down (a loss) or up (an accuracy). Default 'min'.
    factor : float, optional
        ``new_lr = lr * factor`` (default 0.1, must be < 1).
    patience : int, optional
        Epochs without improvement tolerated before a reduction (default 10).
    threshold : float, optional
        How much better a value must be to count as an improvement (default 1e-4).
    threshold_mode : {'rel', 'abs'}, optional
        'rel': better than ``best * (1 - threshold)`` (min mode) or
        ``best * (1 + threshold)`` (max mode); 'abs': better than ``best -/+ threshold``.
    cooldown : int, optional
        Epochs to wait after a reduction before counting bad epochs again (default 0).
    min_lr : float or list of float, optional
        Lower bound on the lr, for all groups or per group (default 0).
    eps : float, optional
        A reduction smaller than this is skipped (default 1e-8).
    """

    def __init__(
        self,
        optimizer: Optimizer,
        mode: str = "min",
        factor: float = 0.1,
        patience: int = 10,
        threshold: float = 1e-4,
        threshold_mode: str = "rel",
        cooldown: int = 0,
        min_lr: float | list[float] = 0,
        eps: float = 1e-8,
    ) -> None:
        if factor >= 1.0:
            raise ValueError(f"ReduceLROnPlateau: Factor should be < 1.0, got {factor}")
        _check_optimizer("ReduceLROnPlateau", optimizer)
        self.factor = factor
        self.optimizer = optimizer
        if isinstance(min_lr, (list, tuple)):
            if len(min_lr) != len(optimizer.param_groups):
                raise ValueError(
                    f"ReduceLROnPlateau: expected {len(optimizer.param_groups)} min_lrs "
                    f"(one per parameter group), got {len(min_lr)}"
                )
            self.default_min_lr: float | None = None
            self.min_lrs = list(min_lr)
        else:
            self.default_min_lr = min_lr
            self.min_lrs = [min_lr] * len(optimizer.param_groups)
        self.patience = patience
        self.cooldown = cooldown
        self.eps = eps
        self.last_epoch = 0
        self._last_lr = self._current_lrs()
        self._init_is_better(mode, threshold, threshold_mode)
        self._reset()

    def _init_is_better(self, mode: str, threshold: float, threshold_mode: str) -> None:
        if mode not in ("min", "max"):
            raise ValueError(f"ReduceLROnPlateau: mode {mode!r} is unknown (use 'min' or 'max')")
        if threshold_mode not in ("rel", "abs"):
            raise ValueError(
                f"ReduceLROnPlateau: threshold mode {threshold_mode!r} is unknown "
                "(use 'rel' or 'abs')"
            )
        self.mode = mode
        self.threshold = threshold
        self.threshold_mode = threshold_mode
        self.mode_worse = math.inf if mode == "min" else -math.inf

    def _reset(self) -> None:
        self.best = self.mode_worse
        self.cooldown_counter = 0
        self.num_bad_epochs = 0

    @property
    def in_cooldown(self) -> bool:
        return self.cooldown_counter > 0

    def _is_better(self, a: float, best: float) -> bool:
        if self.mode == "min" and self.threshold_mode == "rel":
            return a < best * (1.0 - self.threshold)
        if self.mode == "min":
            return a < best - self.threshold
        if self.threshold_mode == "rel":
            return a > best * (self.threshold + 1.0)
        return a > best + self.threshold

    def step(self, metrics: SupportsFloat) -> None:  # type: ignore[override]
        """Record this epoch's metric and reduce the lr if it has plateaued.

        Parameters
        ----------
        metrics : float
            The monitored quantity (a number or a one-element Tensor).
        """
        current = float(metrics)
        self.last_epoch += 1
        if self._is_better(current, self.best):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.in_cooldown:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0  # bad epochs during cooldown don't count
        if self.num_bad_epochs > self.patience:
            self._reduce_lr()
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._last_lr = self._current_lrs()

    def _reduce_lr(self) -> None:
        groups = self.optimizer.param_groups
        if len(groups) != len(self.min_lrs):
            if self.default_min_lr is None:
                raise RuntimeError(
                    f"ReduceLROnPlateau: the optimizer has {len(groups)} parameter groups, "
                    f"but min_lr lists {len(self.min_lrs)} (a group was added?); set "
                    "`min_lrs` to one value per group"
                )
            self.min_lrs = [self.default_min_lr] * len(groups)
        for group, min_lr in zip(groups, self.min_lrs, strict=True):
            old_lr = float(group["lr"])
            new_lr = max(old_lr * self.factor, min_lr)
            if old_lr - new_lr > self.eps:
                group["lr"] = new_lr

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load a state saved by :meth:`state_dict` (modes are checked again)."""
        unknown = sorted(set(state_dict) - set(self.__dict__))
        if unknown:
            raise ValueError(
                f"ReduceLROnPlateau.load_state_dict: unexpected keys {unknown}; "
                "was it saved from another scheduler?"
            )
        state = {**self.state_dict(), **copy.deepcopy(state_dict)}
        self._init_is_better(state["mode"], state["threshold"], state["threshold_mode"])
        self.__dict__.update(state)
