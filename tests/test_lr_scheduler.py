"""Tests of tinygrad_lab.optim.lr_scheduler: hand-computed schedules, state dicts, bad input,
and (where torch is installed) lr sequences identical to torch.optim.lr_scheduler's."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from tinygrad_lab import Tensor, optim
from tinygrad_lab.optim import lr_scheduler as sched


def make_optimizer(*lrs: float) -> optim.SGD:
    """An SGD optimizer with one parameter group per lr."""
    groups = [{"params": [Tensor(np.zeros(2), requires_grad=True)], "lr": lr} for lr in lrs]
    return optim.SGD(groups, lr=1.0)


def lr_sequence(scheduler, epochs: int) -> list[list[float]]:
    """The lrs at epoch 0 (after construction) and after each of ``epochs`` steps."""
    out = [scheduler.get_last_lr()]
    for _ in range(epochs):
        scheduler.optimizer.step()
        scheduler.step()
        out.append(scheduler.get_last_lr())
    return out


# ---------------------------------------------------------------------- schedules


def test_step_lr():
    opt = make_optimizer(1.0, 0.1)
    s = sched.StepLR(opt, step_size=3, gamma=0.5)
    lrs = [lr for lr, _ in lr_sequence(s, 7)]
    assert lrs == [1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.25, 0.25]
    assert opt.param_groups[1]["lr"] == 0.1 * 0.5**2
    assert s.last_epoch == 7 and s.base_lrs == [1.0, 0.1]
    assert [g["initial_lr"] for g in opt.param_groups] == [1.0, 0.1]


def test_multi_step_lr_repeated_milestone():
    s = sched.MultiStepLR(make_optimizer(1.0), milestones=[2, 5, 5], gamma=0.1)
    lrs = [lr for (lr,) in lr_sequence(s, 6)]
    np.testing.assert_allclose(lrs, [1, 1, 0.1, 0.1, 0.1, 1e-3, 1e-3], rtol=1e-15)


def test_exponential_lr():
    s = sched.ExponentialLR(make_optimizer(1.0), gamma=0.5)
    assert [lr for (lr,) in lr_sequence(s, 4)] == [1.0, 0.5, 0.25, 0.125, 0.0625]


def test_cosine_annealing_follows_the_closed_form_and_climbs_back():
    s = sched.CosineAnnealingLR(make_optimizer(1.1, 0.5), T_max=4, eta_min=0.1)
    lrs = np.array(lr_sequence(s, 12))
    t = np.arange(13)
    for column, base in enumerate([1.1, 0.5]):
        closed = 0.1 + (base - 0.1) * (1 + np.cos(np.pi * t / 4)) / 2
        np.testing.assert_allclose(lrs[:, column], closed, rtol=1e-12, atol=1e-15)
    assert math.isclose(lrs[4, 0], 0.1) and math.isclose(lrs[8, 0], 1.1)


def test_scheduled_lr_is_used_by_the_next_step():
    p = Tensor(np.array([0.0]), requires_grad=True)
    opt = optim.SGD([p], lr=1.0)
    s = sched.StepLR(opt, step_size=1, gamma=0.5)
    for _ in range(3):
        p.grad = Tensor(np.array([-1.0]))
        opt.step()
        s.step()
    np.testing.assert_array_equal(p.numpy(), [1.0 + 0.5 + 0.25])


def test_custom_scheduler_subclass():
    class Warmup(sched.LRScheduler):
        def __init__(self, optimizer, warmup):
            self.warmup = warmup
            super().__init__(optimizer)

        def get_lr(self):
            scale = min(1.0, (self.last_epoch + 1) / self.warmup)
            return [base * scale for base in self.base_lrs]

    s = Warmup(make_optimizer(1.0), warmup=4)
    assert [lr for (lr,) in lr_sequence(s, 5)] == [0.25, 0.5, 0.75, 1.0, 1.0, 1.0]
    with pytest.raises(NotImplementedError, match="LRScheduler does not implement get_lr"):
        sched.LRScheduler(make_optimizer(1.0))


def test_stepping_the_scheduler_before_the_optimizer_warns_like_pytorch():
    opt = make_optimizer(1.0)
    s = sched.StepLR(opt, step_size=1, gamma=0.5)
    assert s._step_count == 1  # the constructor's step
    with pytest.warns(UserWarning, match=r"Detected call of `lr_scheduler.step\(\)` before "
                                         r"`optimizer.step\(\)`"):
        s.step()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s.step()  # only the first call is checked, as in PyTorch
    assert s._step_count == 3 and s.state_dict()["_step_count"] == 3

    opt = make_optimizer(1.0)
    s = sched.ExponentialLR(opt, gamma=0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        opt.step()  # the right order is silent
        s.step()


# -------------------------------------------------------------- ReduceLROnPlateau


def plateau_lrs(losses, *lrs, **kwargs):
    opt = make_optimizer(*lrs) if lrs else make_optimizer(1.0)
    s = sched.ReduceLROnPlateau(opt, **kwargs)
    out = []
    for loss in losses:
        s.step(loss)
        out.append(s.get_last_lr()[0])
    return out, s


def test_plateau_reduces_after_patience_bad_epochs():
    losses = [1.0, 0.9, 0.95, 0.95, 0.95, 0.8, 0.85, 0.85, 0.85]
    lrs, s = plateau_lrs(losses, patience=2, factor=0.5)
    # epochs 3, 4, 5 are bad; the third (> patience) halves the lr; 0.8 is a new best
    assert lrs == [1.0, 1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5, 0.25]
    assert s.best == 0.8 and s.last_epoch == 9 and s.num_bad_epochs == 0


def test_plateau_cooldown_threshold_modes_and_max_mode():
    # cooldown=2: the two epochs after a reduction don't count as bad
    lrs, _ = plateau_lrs([1.0, 2, 2, 2, 2, 2], patience=0, factor=0.5, cooldown=2)
    assert lrs == [1.0, 0.5, 1 / 2, 1 / 2, 0.25, 0.25]
    # rel threshold: 0.99995 isn't better than 1 * (1 - 1e-4); abs threshold 0.1 likewise 0.95
    assert plateau_lrs([1.0, 0.99995], patience=0)[0] == [1.0, 0.1]
    assert plateau_lrs([1.0, 0.99985], patience=0)[0] == [1.0, 1.0]
    assert plateau_lrs([1.0, 0.95], patience=0, threshold=0.1, threshold_mode="abs")[0][1] == 0.1
    assert plateau_lrs([1.0, 0.85], patience=0, threshold=0.1, threshold_mode="abs")[0][1] == 1.0
    # max mode: the metric should go up
    assert plateau_lrs([0.5, 0.6, 0.6], mode="max", patience=0)[0] == [1.0, 1.0, 0.1]
    assert plateau_lrs([0.5, 0.5], mode="max", patience=0, threshold=0.1,
                       threshold_mode="abs")[0] == [1.0, 0.1]


def test_plateau_min_lr_eps_and_tensor_metric():
    lrs, s = plateau_lrs([1.0, 2, 2, 2], patience=0, factor=0.1, min_lr=0.05)
    assert lrs == [1.0, 0.1, 0.05, 0.05]
    # per-group min_lr
    _, s = plateau_lrs([1.0, 2, 2], 1.0, 0.5, patience=0, min_lr=[0.5, 0.0])
    assert s.get_last_lr() == [0.5, 0.5 * 0.1 * 0.1]
    # a reduction smaller than eps is skipped
    lrs, _ = plateau_lrs([1.0, 2, 2], 1e-8, patience=0, eps=1e-8)
    assert lrs == [1e-8, 1e-8, 1e-8]
    # a one-element Tensor is a metric
    lrs, _ = plateau_lrs([Tensor(1.0), Tensor([2.0])], patience=0)
    assert lrs == [1.0, 0.1]


def test_plateau_state_dict_round_trip():
    opt = make_optimizer(1.0)
    s = sched.ReduceLROnPlateau(opt, patience=1, cooldown=1)
    for loss in [1.0, 1.0, 1.0]:
        s.step(loss)
    saved = s.state_dict()
    assert "optimizer" not in saved and saved["best"] == 1.0
    s2 = sched.ReduceLROnPlateau(make_optimizer(1.0))
    s2.load_state_dict(saved)
    assert s2.patience == 1 and s2.cooldown_counter == s.cooldown_counter
    for loss in [1.0, 1.0, 1.0, 1.0]:
        s.step(loss)
        s2.step(loss)
        assert s2.num_bad_epochs == s.num_bad_epochs and s2.last_epoch == s.last_epoch
    bad = dict(saved, mode="sideways")
    with pytest.raises(ValueError, match="mode 'sideways' is unknown"):
        s2.load_state_dict(bad)
    assert s2.mode == "min"


# --------------------------------------------------------------- state, resuming


@pytest.mark.parametrize(
    "make",
    [
        lambda opt: sched.StepLR(opt, step_size=3, gamma=0.7),
        lambda opt: sched.MultiStepLR(opt, milestones=[2, 4, 9], gamma=0.5),
        lambda opt: sched.ExponentialLR(opt, gamma=0.9),
        lambda opt: sched.CosineAnnealingLR(opt, T_max=6, eta_min=0.01),
    ],
    ids=["StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR"],
)
def test_checkpoint_resume_gives_the_same_sequence(make):
    opt = make_optimizer(0.5, 0.2)
    s = make(opt)
    lr_sequence(s, 5)
    opt_state, sched_state = opt.state_dict(), s.state_dict()
    assert "optimizer" not in sched_state and sched_state["last_epoch"] == 5
    expected = lr_sequence(s, 10)[1:]

    # PyTorch's order: build the scheduler, then load the optimizer's and its own state.
    opt2 = make_optimizer(9.0, 9.0)
    s2 = make(opt2)
    opt2.load_state_dict(opt_state)
    s2.load_state_dict(sched_state)
    assert lr_sequence(s2, 10)[1:] == expected
    # the state was copied, not shared
    assert sched_state["last_epoch"] == 5 and s2.base_lrs is not sched_state["base_lrs"]


def test_resume_with_last_epoch_needs_initial_lr():
    opt = make_optimizer(1.0)
    with pytest.raises(KeyError, match=r"'initial_lr' is not specified in param_groups\[0\]"):
        sched.StepLR(opt, step_size=2, last_epoch=4)
    opt.param_groups[0]["initial_lr"] = 2.0
    s = sched.ExponentialLR(opt, gamma=0.5, last_epoch=4)
    assert s.last_epoch == 5 and s.base_lrs == [2.0] and s.get_last_lr() == [1.0]


def test_existing_initial_lr_is_kept():
    opt = make_optimizer(1.0)
    opt.param_groups[0]["initial_lr"] = 3.0
    s = sched.StepLR(opt, step_size=1)
    assert s.base_lrs == [3.0] and opt.param_groups[0]["lr"] == 1.0


@pytest.mark.parametrize(
    "build, error, message",
    [
        (lambda opt: sched.StepLR("sgd", step_size=1), TypeError, "str is not an Optimizer"),
        (lambda opt: sched.StepLR(opt, step_size=0), ValueError, "step_size must be an int >= 1"),
        (lambda opt: sched.StepLR(opt, step_size=2.5), ValueError, "step_size must be an int"),
        (lambda opt: sched.MultiStepLR(opt, [1.5]), TypeError, "milestones must be ints"),
        (lambda opt: sched.CosineAnnealingLR(opt, T_max=0), ValueError, "T_max must be > 0"),
        (lambda opt: sched.ReduceLROnPlateau(opt, factor=1.0), ValueError,
         "Factor should be < 1.0"),
        (lambda opt: sched.ReduceLROnPlateau(opt, mode="down"), ValueError,
         "mode 'down' is unknown"),
        (lambda opt: sched.ReduceLROnPlateau(opt, threshold_mode="x"), ValueError,
         "threshold mode 'x' is unknown"),
        (lambda opt: sched.ReduceLROnPlateau(opt, min_lr=[0.1, 0.2, 0.3]), ValueError,
         "expected 2 min_lrs"),
        (lambda opt: sched.ReduceLROnPlateau([1.0]), TypeError, "list is not an Optimizer"),
    ],
)
def test_bad_arguments(build, error, message):
    opt = make_optimizer(1.0, 0.5)
    with pytest.raises(error, match=message):
        build(opt)
    assert "initial_lr" not in opt.param_groups[0]


def test_changed_number_of_groups_is_reported():
    opt = make_optimizer(1.0)
    s = sched.CosineAnnealingLR(opt, T_max=3)
    opt.add_param_group({"params": [Tensor(np.zeros(1))]})
    with pytest.raises(ValueError, match="optimizer has 2 parameter groups, but the scheduler"):
        s.step()
    p = sched.ReduceLROnPlateau(make_optimizer(1.0), min_lr=[0.0], patience=0)
    p.optimizer.add_param_group({"params": [Tensor(np.zeros(1))]})
    p.step(1.0)
    with pytest.raises(RuntimeError, match="has 2 parameter groups, but min_lr lists 1"):
        p.step(2.0)


def test_load_state_dict_rejects_foreign_state():
    s = sched.StepLR(make_optimizer(1.0), step_size=2)
    cosine = sched.CosineAnnealingLR(make_optimizer(1.0), T_max=3)
    with pytest.raises(ValueError, match=r"unexpected keys \['T_max', 'eta_min'\]"):
        s.load_state_dict(cosine.state_dict())
    two = sched.StepLR(make_optimizer(1.0, 2.0), step_size=2)
    with pytest.raises(ValueError, match="base lrs for 2 parameter groups, the optimizer has 1"):
        s.load_state_dict(two.state_dict())
    assert s.base_lrs == [1.0]


# ----------------------------------------------------------------- against torch


@pytest.fixture
def torch():
    return pytest.importorskip("torch")


def torch_lr_sequence(torch, make, lrs, epochs):
    params = [torch.zeros(2, requires_grad=True) for _ in lrs]
    opt = torch.optim.SGD([{"params": [p], "lr": lr} for p, lr in zip(params, lrs, strict=True)])
    s = make(torch.optim.lr_scheduler, opt)
    out = [s.get_last_lr()]
    for _ in range(epochs):
        opt.step()
        s.step()
        out.append(s.get_last_lr())
    return out


@pytest.mark.parametrize(
    "make",
    [
        lambda m, opt: m.StepLR(opt, step_size=4),
        lambda m, opt: m.StepLR(opt, step_size=3, gamma=0.7),
        lambda m, opt: m.MultiStepLR(opt, milestones=[3, 7, 7, 20], gamma=0.3),
        lambda m, opt: m.ExponentialLR(opt, gamma=0.93),
        lambda m, opt: m.CosineAnnealingLR(opt, T_max=10),
        lambda m, opt: m.CosineAnnealingLR(opt, T_max=7, eta_min=0.003),
    ],
    ids=["StepLR", "StepLR-gamma", "MultiStepLR", "ExponentialLR", "Cosine", "Cosine-eta_min"],
)
def test_lr_sequences_equal_torch(torch, make):
    lrs = (0.1, 0.037)
    ours = lr_sequence(make(sched, make_optimizer(*lrs)), 45)
    theirs = torch_lr_sequence(torch, make, lrs, 45)
    assert ours == theirs  # exactly, float for float


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"patience": 2, "factor": 0.5},
        {"patience": 1, "cooldown": 2, "factor": 0.3, "min_lr": 1e-3},
        {"patience": 0, "threshold": 0.05, "threshold_mode": "abs", "min_lr": [0.01, 0.0]},
        {"mode": "max", "patience": 1, "threshold": 0.01},
        {"mode": "max", "patience": 2, "threshold": 0.02, "threshold_mode": "abs", "eps": 1e-3},
    ],
    ids=lambda kwargs: ",".join(f"{k}={v}" for k, v in kwargs.items()) or "defaults",
)
def test_reduce_lr_on_plateau_equals_torch(torch, kwargs):
    # A scripted noisy, plateauing loss curve (and its negation for mode='max').
    rng = np.random.default_rng(7)
    losses = np.concatenate([np.linspace(1.0, 0.5, 10), np.full(40, 0.5)])
    losses = losses + rng.normal(scale=0.01, size=losses.size)
    if kwargs.get("mode") == "max":
        losses = -losses
    lrs = (0.1, 0.04)
    opt = make_optimizer(*lrs)
    ours = sched.ReduceLROnPlateau(opt, **kwargs)
    topt = torch.optim.SGD([{"params": [torch.zeros(1)], "lr": lr} for lr in lrs])
    theirs = torch.optim.lr_scheduler.ReduceLROnPlateau(topt, **kwargs)
    reductions = 0
    for loss in losses:
        before = ours.get_last_lr()
        ours.step(float(loss))
        theirs.step(float(loss))
        assert ours.get_last_lr() == theirs.get_last_lr()
        assert [g["lr"] for g in opt.param_groups] == [g["lr"] for g in topt.param_groups]
        assert ours.num_bad_epochs == theirs.num_bad_epochs and ours.best == theirs.best
        reductions += ours.get_last_lr() != before
    assert reductions > 0  # the script does exercise a reduction
