"""Tests of tinygrad_lab.optim: hand-computed steps for every optimizer and option, the
Optimizer machinery (groups, zero_grad, closures, state_dict), bad input, and (where torch
is installed) 50-step trajectories of a small MLP against torch.optim in float64."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tinygrad_lab import Tensor, optim
from tinygrad_lab.testing import strategies as tst

OPTIMIZERS = {
    "SGD": optim.SGD,
    "Adam": optim.Adam,
    "AdamW": optim.AdamW,
    "RMSprop": optim.RMSprop,
    "Adagrad": optim.Adagrad,
}

# Every optimizer with every option, used for the torch comparison and the resume test.
CONFIGS = [
    ("SGD", {"lr": 0.5}),
    ("SGD", {"lr": 0.5, "momentum": 0.9}),
    ("SGD", {"lr": 0.5, "momentum": 0.9, "dampening": 0.5}),
    ("SGD", {"lr": 0.5, "momentum": 0.9, "nesterov": True}),
    ("SGD", {"lr": 0.5, "weight_decay": 0.01}),
    ("SGD", {"lr": 0.5, "momentum": 0.5, "weight_decay": 0.01, "maximize": True}),
    ("Adam", {"lr": 0.05}),
    ("Adam", {"lr": 0.05, "betas": (0.8, 0.9), "eps": 1e-6}),
    ("Adam", {"lr": 0.05, "weight_decay": 0.1}),
    ("Adam", {"lr": 0.05, "amsgrad": True}),
    ("Adam", {"lr": 0.05, "maximize": True}),
    ("Adam", {"lr": 0.05, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("AdamW", {"lr": 0.05}),
    ("AdamW", {"lr": 0.05, "weight_decay": 0.3, "amsgrad": True}),
    ("AdamW", {"lr": 0.05, "maximize": True}),
    ("RMSprop", {"lr": 0.01}),
    ("RMSprop", {"lr": 0.01, "alpha": 0.9, "eps": 1e-6}),
    ("RMSprop", {"lr": 0.01, "weight_decay": 0.1}),
    ("RMSprop", {"lr": 0.01, "momentum": 0.9}),
    ("RMSprop", {"lr": 0.01, "centered": True}),
    ("RMSprop", {"lr": 0.01, "centered": True, "momentum": 0.5}),
    ("RMSprop", {"lr": 0.01, "maximize": True}),
    ("Adagrad", {"lr": 0.1}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.01}),
    ("Adagrad", {"lr": 0.1, "weight_decay": 0.1}),
    ("Adagrad", {"lr": 0.1, "initial_accumulator_value": 0.1, "eps": 1e-6}),
    ("Adagrad", {"lr": 0.1, "maximize": True}),
]


def _config_id(config: tuple[str, dict]) -> str:
    name, kwargs = config
    return name + "(" + ",".join(f"{k}={v}" for k, v in kwargs.items()) + ")"


def run_fixed_grads(cls, p0, grads, dtype=np.float64, **kwargs):
    """Run an optimizer on one parameter (float64 by default) fed the given gradients;
    return the parameter after each step and the optimizer."""
    p = Tensor(np.array(p0, dtype=dtype), requires_grad=True)
    opt = cls([p], **kwargs)
    trajectory = []
    for g in grads:
        p.grad = Tensor(np.array(g, dtype=dtype))
        opt.step()
        trajectory.append(p.numpy().copy())
    return trajectory, opt


P0 = [1.0, -2.0]
G1 = [1.0, 2.0]
G2 = [0.5, -1.0]


# ------------------------------------------------------------------------------- SGD


@pytest.mark.parametrize(
    "kwargs, expected",
    [
        ({"lr": 0.1}, [[0.9, -2.2], [0.85, -2.1]]),
        # buf1 = g1; buf2 = 0.9 [1, 2] + [0.5, -1] = [1.4, 0.8]
        ({"lr": 0.1, "momentum": 0.9}, [[0.9, -2.2], [0.76, -2.28]]),
        # dampening applies from step 2: buf2 = 0.9 [1, 2] + 0.5 [0.5, -1] = [1.15, 1.3]
        ({"lr": 0.1, "momentum": 0.9, "dampening": 0.5}, [[0.9, -2.2], [0.785, -2.33]]),
        # step 1: g + 0.9 g = [1.9, 3.8]; step 2: g2 + 0.9 [1.4, 0.8] = [1.76, -0.28]
        ({"lr": 0.1, "momentum": 0.9, "nesterov": True}, [[0.81, -2.38], [0.634, -2.352]]),
        # g1 + 0.1 p0 = [1.1, 1.8]; g2 + 0.1 p1 = [0.589, -1.218]
        ({"lr": 0.1, "weight_decay": 0.1}, [[0.89, -2.18], [0.8311, -2.0582]]),
        ({"lr": 0.1, "maximize": True}, [[1.1, -1.8], [1.15, -1.9]]),
        # maximize negates the gradient before weight decay: -g1 + 0.1 p0 = [-0.9, -2.2]
        ({"lr": 0.1, "weight_decay": 0.1, "maximize": True}, [[1.09, -1.78], [1.1291, -1.8622]]),
    ],
)
def test_sgd_hand_computed(kwargs, expected):
    trajectory, _ = run_fixed_grads(optim.SGD, P0, [G1, G2], **kwargs)
    np.testing.assert_allclose(trajectory, expected, rtol=0, atol=1e-14)


def test_sgd_defaults_and_momentum_buffer_state():
    trajectory, opt = run_fixed_grads(optim.SGD, P0, [G1])
    np.testing.assert_allclose(trajectory[0], [0.999, -2.002], atol=1e-15)  # lr=1e-3
    assert opt.defaults == {
        "lr": 1e-3, "momentum": 0, "dampening": 0, "weight_decay": 0,
        "nesterov": False, "maximize": False,
    }
    assert opt.state_dict()["state"] == {}  # no momentum, no state
    _, opt = run_fixed_grads(optim.SGD, P0, [G1, G2], lr=0.1, momentum=0.9)
    (state,) = opt.state.values()
    np.testing.assert_allclose(state["momentum_buffer"], [1.4, 0.8], atol=1e-15)


# ------------------------------------------------------------------------------ Adam


def test_adam_constant_gradient_moves_lr_per_step():
    # With a constant gradient the bias-corrected moments are g and g², so every step
    # moves each coordinate by lr * g / (|g| + eps), i.e. almost exactly lr.
    g = np.array([0.5, -4.0])
    trajectory, opt = run_fixed_grads(optim.Adam, P0, [g] * 3, lr=0.1)
    for t, p in enumerate(trajectory, start=1):
        np.testing.assert_allclose(p, P0 - t * 0.1 * g / (np.abs(g) + 1e-8), rtol=1e-13)
    (state,) = opt.state.values()
    assert state["step"] == 3
    np.testing.assert_allclose(state["exp_avg"], (1 - 0.9**3) * g, rtol=1e-13)
    np.testing.assert_allclose(state["exp_avg_sq"], (1 - 0.999**3) * g**2, rtol=1e-13)


def adam_paper(p0, grads, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
               amsgrad=False, maximize=False, decoupled=False):
    """Algorithm 1 of Kingma & Ba (plus AMSGrad, AdamW), one Python float at a time."""
    b1, b2 = betas
    out = []
    p = list(p0)
    m = [0.0] * len(p)
    v = [0.0] * len(p)
    v_max = [0.0] * len(p)
    for t, grad in enumerate(grads, start=1):
        for i in range(len(p)):
            g = -grad[i] if maximize else grad[i]
            if decoupled:
                p[i] -= lr * weight_decay * p[i]
            else:
                g += weight_decay * p[i]
            m[i] = b1 * m[i] + (1 - b1) * g
            v[i] = b2 * v[i] + (1 - b2) * g * g
            v_max[i] = max(v_max[i], v[i])
            m_hat = m[i] / (1 - b1**t)
            v_hat = (v_max[i] if amsgrad else v[i]) / (1 - b2**t)
            p[i] -= lr * m_hat / (v_hat**0.5 + eps)
        out.append(list(p))
    return out


# The second gradient is much smaller, so v shrinks and AMSGrad's max(v) differs from v.
ADAM_GRADS = [[3.0, -2.0], [0.1, 0.2], [-0.3, 0.05]]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"lr": 0.1},
        {"lr": 0.1, "betas": (0.5, 0.7), "eps": 1e-3},
        {"lr": 0.1, "weight_decay": 0.2},
        {"lr": 0.1, "amsgrad": True, "betas": (0.5, 0.7)},
        {"lr": 0.1, "maximize": True, "weight_decay": 0.2},
    ],
)
def test_adam_matches_paper_algorithm(kwargs):
    trajectory, _ = run_fixed_grads(optim.Adam, P0, ADAM_GRADS, **kwargs)
    np.testing.assert_allclose(trajectory, adam_paper(P0, ADAM_GRADS, **kwargs), rtol=1e-13)


def test_adam_amsgrad_keeps_the_largest_second_moment():
    _, opt = run_fixed_grads(optim.Adam, P0, ADAM_GRADS[:2], betas=(0.5, 0.7), amsgrad=True)
    (state,) = opt.state.values()
    # v1 = 0.3 g1² = [2.7, 1.2]; v2 = 0.7 v1 + 0.3 g2² = [1.893, 0.852] < v1, so max(v) = v1.
    v1 = 0.3 * np.array([9.0, 4.0])
    v2 = 0.7 * v1 + 0.3 * np.array([0.01, 0.04])
    np.testing.assert_allclose(state["exp_avg_sq"], v2, rtol=1e-14)
    np.testing.assert_allclose(state["max_exp_avg_sq"], v1, rtol=1e-14)


@pytest.mark.parametrize("amsgrad", [False, True])
def test_adamw_decays_weights_outside_the_moments(amsgrad):
    g = np.array([0.5, -4.0])
    trajectory, opt = run_fixed_grads(
        optim.AdamW, P0, [g, g], lr=0.1, weight_decay=0.5, amsgrad=amsgrad
    )
    p1 = np.array(P0) * (1 - 0.05) - 0.1 * g / (np.abs(g) + 1e-8)
    p2 = p1 * (1 - 0.05) - 0.1 * g / (np.abs(g) + 1e-8)
    np.testing.assert_allclose(trajectory, [p1, p2], rtol=1e-13)
    expected = adam_paper(P0, [g, g], lr=0.1, weight_decay=0.5, amsgrad=amsgrad, decoupled=True)
    np.testing.assert_allclose(trajectory, expected, rtol=1e-13)
    assert opt.defaults["weight_decay"] == 0.5
    assert optim.AdamW([Tensor([1.0])]).defaults["weight_decay"] == 1e-2
    assert opt.param_groups[0]["decoupled_weight_decay"] is True


def test_adam_defaults():
    opt = optim.Adam([Tensor([1.0])])
    assert opt.defaults == {
        "lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0,
        "amsgrad": False, "maximize": False, "decoupled_weight_decay": False,
    }


# --------------------------------------------------------------------------- RMSprop


def test_rmsprop_hand_computed():
    g = np.array([0.5, -4.0])
    p0 = np.array(P0)
    lr, eps = 0.01, 1e-8
    # v1 = 0.01 g², so sqrt(v1) = 0.1 |g|: the first step is about lr / 0.1 = 0.1 per coordinate.
    (p1,), _ = run_fixed_grads(optim.RMSprop, P0, [g])
    np.testing.assert_allclose(p1, p0 - lr * g / (0.1 * np.abs(g) + eps), rtol=1e-14)
    # weight decay joins the gradient before it is squared
    (p1,), _ = run_fixed_grads(optim.RMSprop, P0, [g], weight_decay=0.5)
    gw = g + 0.5 * p0
    np.testing.assert_allclose(p1, p0 - lr * gw / (0.1 * np.abs(gw) + eps), rtol=1e-14)
    # centered: v1 - ḡ1² = 0.01 g² - (0.01 g)² = 0.0099 g²
    (p1,), _ = run_fixed_grads(optim.RMSprop, P0, [g], centered=True)
    np.testing.assert_allclose(p1, p0 - lr * g / (0.0099**0.5 * np.abs(g) + eps), rtol=1e-14)
    # momentum: b1 = g / d1, b2 = 0.9 b1 + g / d2 with v2 = 0.99 * 0.01 g² + 0.01 g² = 0.0199 g²
    (p1, p2), opt = run_fixed_grads(optim.RMSprop, P0, [g, g], momentum=0.9)
    b1 = g / (0.1 * np.abs(g) + eps)
    b2 = 0.9 * b1 + g / (0.0199**0.5 * np.abs(g) + eps)
    np.testing.assert_allclose(p1, p0 - lr * b1, rtol=1e-14)
    np.testing.assert_allclose(p2, p0 - lr * b1 - lr * b2, rtol=1e-14)
    (state,) = opt.state.values()
    assert state["step"] == 2
    np.testing.assert_allclose(state["square_avg"], 0.0199 * g**2, rtol=1e-14)
    np.testing.assert_allclose(state["momentum_buffer"], b2, rtol=1e-14)


def test_rmsprop_centered_momentum_second_step():
    g1, g2 = np.array([1.0, -2.0]), np.array([3.0, 0.5])
    alpha, lr, eps, mom = 0.9, 0.1, 1e-6, 0.5
    p0 = np.array(P0)
    (p1, p2), opt = run_fixed_grads(
        optim.RMSprop, P0, [g1, g2], lr=lr, alpha=alpha, eps=eps, momentum=mom, centered=True
    )
    v1, m1 = 0.1 * g1**2, 0.1 * g1
    v2, m2 = 0.9 * v1 + 0.1 * g2**2, 0.9 * m1 + 0.1 * g2
    b1 = g1 / (np.sqrt(v1 - m1**2) + eps)
    b2 = mom * b1 + g2 / (np.sqrt(v2 - m2**2) + eps)
    np.testing.assert_allclose(p1, p0 - lr * b1, rtol=1e-13)
    np.testing.assert_allclose(p2, p0 - lr * b1 - lr * b2, rtol=1e-13)
    (state,) = opt.state.values()
    np.testing.assert_allclose(state["grad_avg"], m2, rtol=1e-14)
    assert sorted(state) == ["grad_avg", "momentum_buffer", "square_avg", "step"]


# --------------------------------------------------------------------------- Adagrad


def test_adagrad_hand_computed():
    g = np.array([0.5, -4.0])
    p0 = np.array(P0)
    # s1 = g², so the first step is lr * g / (|g| + eps) ≈ lr * sign(g)
    (p1, p2), opt = run_fixed_grads(optim.Adagrad, P0, [g, g], lr=0.1)
    np.testing.assert_allclose(p1, p0 - 0.1 * g / (np.abs(g) + 1e-10), rtol=1e-14)
    np.testing.assert_allclose(p2, p1 - 0.1 * g / (2**0.5 * np.abs(g) + 1e-10), rtol=1e-14)
    (state,) = opt.state.values()
    assert state["step"] == 2
    np.testing.assert_allclose(state["sum"], 2 * g**2, rtol=1e-15)
    # lr_decay: the t-th step uses lr / (1 + (t - 1) lr_decay)
    (p1, p2), _ = run_fixed_grads(optim.Adagrad, P0, [g, g], lr=0.1, lr_decay=0.5)
    np.testing.assert_allclose(p2, p1 - 0.1 / 1.5 * g / (2**0.5 * np.abs(g) + 1e-10), rtol=1e-14)
    # initial_accumulator_value starts the sum; weight decay joins the gradient
    (p1,), _ = run_fixed_grads(
        optim.Adagrad, P0, [g], lr=0.1, initial_accumulator_value=1.0, weight_decay=0.5
    )
    gw = g + 0.5 * p0
    np.testing.assert_allclose(p1, p0 - 0.1 * gw / (np.sqrt(1.0 + gw**2) + 1e-10), rtol=1e-14)


def test_adagrad_creates_state_eagerly_like_torch():
    p, q = Tensor([1.0, 2.0]), Tensor([3.0])
    opt = optim.Adagrad([p, q], initial_accumulator_value=0.5)
    assert opt.state[p]["step"] == 0
    np.testing.assert_array_equal(opt.state[q]["sum"], [0.5])
    assert opt.state[q]["sum"].dtype == np.float32
    # a group added later gets its state (from its own option) at its first step
    r = Tensor(np.array([1.0]), requires_grad=True)
    opt.add_param_group({"params": [r], "initial_accumulator_value": 3.0})
    assert r not in opt.state
    r.grad = Tensor(np.array([1.0]))
    opt.step()
    np.testing.assert_array_equal(opt.state[r]["sum"], [4.0])


# ---------------------------------------------------------- properties of every optimizer


@pytest.mark.parametrize("config", CONFIGS, ids=_config_id)
def test_maximize_is_minimizing_the_negated_gradient(config):
    name, kwargs = config
    rng = np.random.default_rng(1)
    grads = [rng.normal(size=3) for _ in range(4)]
    flipped = dict(kwargs, maximize=not kwargs.get("maximize", False))
    a, _ = run_fixed_grads(OPTIMIZERS[name], [0.5, -1.0, 2.0], grads, **kwargs)
    b, _ = run_fixed_grads(OPTIMIZERS[name], [0.5, -1.0, 2.0], [-g for g in grads], **flipped)
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("config", CONFIGS, ids=_config_id)
def test_step_updates_in_place_without_graph_and_leaves_grad_alone(config):
    name, kwargs = config
    p = Tensor(np.array([[0.5, -1.0], [2.0, 0.25]]), requires_grad=True)
    skipped = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    opt = OPTIMIZERS[name]([p, skipped], **kwargs)
    array = p.numpy()
    for g in ([[1.0, -2.0], [0.5, 3.0]], [[0.1, 0.2], [-0.3, 0.4]]):
        p.grad = Tensor(np.array(g))
        grad_array = p.grad.numpy()
        opt.step()
        np.testing.assert_array_equal(grad_array, g)  # the gradient is never written to
    assert p.numpy() is array and p.is_leaf and p.op is None and p.requires_grad
    assert not np.array_equal(p.numpy(), [[0.5, -1.0], [2.0, 0.25]])
    # a parameter without a gradient is skipped: not moved, not decayed
    np.testing.assert_array_equal(skipped.numpy(), [1.0, 2.0])
    for key, value in opt.state[p].items():
        if isinstance(value, np.ndarray):
            assert not np.shares_memory(value, p.grad.numpy()), key
    if name != "Adagrad":  # Adagrad's constructor creates all state, as in PyTorch
        assert skipped not in opt.state


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_float32_parameters_stay_float32(name):
    p = Tensor(np.array([1.0, -2.0], dtype=np.float32), requires_grad=True)
    opt = OPTIMIZERS[name]([p], lr=0.1, weight_decay=0.1)
    for _ in range(2):
        p.grad = Tensor(np.array([0.5, 1.0], dtype=np.float32))
        opt.step()
    assert p.dtype == np.float32
    for value in opt.state[p].values():
        if isinstance(value, np.ndarray):
            assert value.dtype == np.float32


@given(
    p0=tst.arrays(shape=(3,), min_magnitude=1e-6),  # no tiny values: they underflow
    grads=st.lists(tst.arrays(shape=(3,), min_magnitude=1e-6), min_size=1, max_size=4),
    lr=st.one_of(st.just(0.0), st.floats(1e-4, 1.0)),
)
def test_sgd_without_options_is_p_minus_lr_g(p0, grads, lr):
    trajectory, _ = run_fixed_grads(optim.SGD, p0, grads, lr=lr)
    expected = np.array(p0, dtype=np.float64)
    for g, p in zip(grads, trajectory, strict=True):
        expected = expected - lr * g
        np.testing.assert_allclose(p, expected, rtol=1e-12, atol=1e-12)


# ------------------------------------------------------------------- param groups


def test_param_groups_have_their_own_options():
    a = Tensor(np.array([1.0]), requires_grad=True)
    b = Tensor(np.array([1.0]), requires_grad=True)
    opt = optim.SGD([{"params": [a]}, {"params": b, "lr": 0.5, "momentum": 0.9}], lr=0.1)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.5]
    assert opt.param_groups[0]["momentum"] == 0 and opt.param_groups[1]["momentum"] == 0.9
    assert opt.param_groups[1]["params"][0] is b  # a lone tensor becomes a list
    for _ in range(2):
        a.grad, b.grad = Tensor(np.array([1.0])), Tensor(np.array([1.0]))
        opt.step()
    np.testing.assert_allclose(a.numpy(), [0.8])
    np.testing.assert_allclose(b.numpy(), [1.0 - 0.5 - 0.5 * 1.9])
    # changing a group's lr takes effect at the next step (what schedulers do)
    opt.param_groups[0]["lr"] = 1.0
    a.grad = Tensor(np.array([1.0]))
    b.grad = None
    opt.step()
    np.testing.assert_allclose(a.numpy(), [-0.2])


def test_options_changed_between_steps_take_effect():
    # The step keeps the converted options while the group holds the same objects: a
    # new value, or a list changed in place, must be seen at the next step.
    def run(change):
        p = Tensor(np.array([1.0, -1.0]), requires_grad=True)
        opt = optim.Adam([p], lr=0.1, betas=[0.9, 0.999])
        for i in range(3):
            p.grad = Tensor(np.array([0.5, 2.0]))
            opt.step()
            change(opt.param_groups[0], i)
        return p.numpy()

    def replace(group, i):
        group["betas"] = [0.5, 0.999] if i == 0 else group["betas"]
        group["lr"] = np.float64(0.05) if i == 1 else group["lr"]

    def mutate(group, i):
        if i == 0:
            group["betas"][0] = 0.5
        if i == 1:
            group["lr"] = 0.05

    np.testing.assert_array_equal(run(replace), run(mutate))
    assert not np.array_equal(run(replace), run(lambda group, i: None))


def test_add_param_group():
    a = Tensor(np.array([1.0]), requires_grad=True)
    b = Tensor(np.array([2.0]), requires_grad=True)
    opt = optim.Adam([a], lr=0.1)
    group = {"params": [b], "betas": (0.5, 0.6)}
    opt.add_param_group(group)
    assert sorted(group) == ["betas", "params"]  # the caller's dict isn't changed
    assert len(opt.param_groups) == 2
    assert opt.param_groups[1]["lr"] == 0.1 and opt.param_groups[1]["betas"] == (0.5, 0.6)
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [a]})
    with pytest.raises(ValueError, match=r"Adam: Invalid beta parameter at index 1: 1\.5"):
        opt.add_param_group({"params": [Tensor([1.0])], "betas": (0.5, 1.5)})
    with pytest.raises(ValueError, match="Invalid learning rate: -1"):
        opt.add_param_group({"params": [Tensor([1.0])], "lr": -1})
    with pytest.raises(TypeError, match="must be a dict"):
        opt.add_param_group([Tensor([1.0])])
    with pytest.raises(ValueError, match="no 'params'"):
        opt.add_param_group({"lr": 0.1})
    assert len(opt.param_groups) == 2


def test_named_parameters_keep_their_names():
    w, b = Tensor(np.ones((2, 2)), requires_grad=True), Tensor(np.zeros(2), requires_grad=True)
    opt = optim.SGD([("fc.weight", w), ("fc.bias", b)], lr=0.1)
    params = opt.param_groups[0]["params"]
    assert len(params) == 2 and params[0] is w and params[1] is b
    assert opt.param_groups[0]["param_names"] == ["fc.weight", "fc.bias"]
    assert opt.state_dict()["param_groups"][0]["param_names"] == ["fc.weight", "fc.bias"]
    with pytest.raises(ValueError, match="with or without names"):
        optim.SGD([("w", w), b])


def test_bad_params():
    t = Tensor(np.array([1.0]), requires_grad=True)
    with pytest.raises(TypeError, match="iterable of Tensors or dicts, but got a Tensor"):
        optim.SGD(t)
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.Adam([])
    with pytest.raises(TypeError, match=r"params\[1\] is ndarray"):
        optim.SGD([t, np.ones(2)])
    with pytest.raises(ValueError, match="non-leaf Tensor.*op 'mul'"):
        optim.SGD([t * 2])
    with pytest.raises(ValueError, match="same tensor more than once"):
        optim.SGD([t, t])
    with pytest.raises(TypeError, match="ordered collections"):
        optim.SGD({t})
    with pytest.raises(TypeError, match="single dict"):
        optim.SGD({"params": [t]})


def test_gradient_shape_mismatch_is_reported():
    p = Tensor(np.zeros((2, 3)), requires_grad=True)
    opt = optim.SGD([p])
    p.grad = Tensor(np.zeros((3, 2)))
    with pytest.raises(ValueError, match=r"shape \(2, 3\) has a gradient of shape \(3, 2\)"):
        opt.step()


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_gradient_shapes_are_checked_before_any_parameter_moves(name):
    p, q, r = (Tensor(np.ones((2, 3)), requires_grad=True) for _ in range(3))
    opt = OPTIMIZERS[name]([{"params": [p, q]}, {"params": [r]}], lr=0.1)
    p.grad, q.grad = Tensor(np.ones((2, 3))), Tensor(np.ones((2, 3)))
    r.grad = Tensor(np.ones(3))  # would broadcast silently in the update
    with pytest.raises(ValueError, match=rf"^{name}.step: a parameter of shape \(2, 3\) has "
                                         r"a gradient of shape \(3,\)"):
        opt.step()
    for t in (p, q, r):
        np.testing.assert_array_equal(t.numpy(), 1.0)
    assert opt.state_dict()["state"] == {} or name == "Adagrad"


BAD_GRADIENTS = {
    "shape": (lambda: Tensor(np.ones(3)), ValueError,
              r"a parameter of shape \(2, 3\) has a gradient of shape \(3,\) "
              r"\(param_groups\[1\]\['params'\]\[0\]"),
    "dtype": (lambda: Tensor(np.ones((2, 3), dtype=np.float32)), ValueError,
              r"param_groups\[1\]\['params'\]\[0\]: parameter dtype float64, gradient "
              r"dtype float32\); a gradient must have its parameter's shape and dtype"),
    "ndarray": (lambda: np.ones((2, 3)), TypeError,
                r"the gradient of param_groups\[1\]\['params'\]\[0\] is a ndarray, not a "
                "Tensor"),
}


@pytest.mark.parametrize("name", OPTIMIZERS)
@pytest.mark.parametrize("bad", BAD_GRADIENTS)
def test_every_gradient_is_checked_before_any_parameter_moves(name, bad):
    make_grad, error, message = BAD_GRADIENTS[bad]
    p, q, r = (Tensor(np.ones((2, 3)), requires_grad=True) for _ in range(3))
    opt = OPTIMIZERS[name]([{"params": [p, q]}, {"params": [r]}], lr=0.1)
    p.grad, q.grad = Tensor(np.ones((2, 3))), Tensor(np.ones((2, 3)))
    r.grad = make_grad()
    before = opt.state_dict()
    versions = [t._version for t in (p, q, r)]
    with pytest.raises(error, match=rf"^{name}.step: .*{message}"):
        opt.step()
    for t in (p, q, r):
        np.testing.assert_array_equal(t.numpy(), 1.0)
    assert [t._version for t in (p, q, r)] == versions
    assert_state_dicts_equal(opt.state_dict(), before)


def test_a_read_only_parameter_is_refused_before_any_parameter_moves():
    p = Tensor(np.ones(2), requires_grad=True)
    frozen = np.ones(2)
    frozen.flags.writeable = False
    q = Tensor._wrap(frozen)
    opt = optim.SGD([p, q], lr=0.1)
    p.grad, q.grad = Tensor(np.ones(2)), Tensor(np.ones(2))
    with pytest.raises(ValueError, match=r"param_groups\[0\]\['params'\]\[1\] \(shape "
                                         r"\(2,\)\) is a read-only array"):
        opt.step()
    np.testing.assert_array_equal(p.numpy(), 1.0)


@pytest.mark.parametrize("config", CONFIGS, ids=_config_id)
def test_a_group_mixing_dtypes_updates_each_in_its_own_dtype(config):
    # The constants of the formulas are made per dtype: the same as separate optimizers.
    name, kwargs = config
    rng = np.random.default_rng(7)
    starts = [rng.normal(size=3).astype(np.float32), rng.normal(size=(2, 2))]
    grads = [[rng.normal(size=s.shape).astype(s.dtype) for s in starts] for _ in range(3)]
    together = [Tensor(s, requires_grad=True) for s in starts]
    apart = [Tensor(s, requires_grad=True) for s in starts]
    opt = OPTIMIZERS[name](together, **kwargs)
    opts = [OPTIMIZERS[name]([p], **kwargs) for p in apart]
    for step_grads in grads:
        for p, q, g in zip(together, apart, step_grads, strict=True):
            p.grad, q.grad = Tensor(g), Tensor(g)
        opt.step()
        for o in opts:
            o.step()
    for p, q, s in zip(together, apart, starts, strict=True):
        assert p.dtype == s.dtype
        np.testing.assert_array_equal(p.numpy(), q.numpy())


def sgd_reference(p, grads, lr, momentum=0.0, dampening=0.0, weight_decay=0.0,
                  nesterov=False):
    """PyTorch's SGD written out with Python-float options (NumPy rounds each to the
    array's dtype), one array at a time."""
    p, buf, out = p.copy(), None, []
    for g in grads:
        if weight_decay != 0:
            g = g + weight_decay * p
        if momentum != 0:
            if buf is None:
                buf = g.copy()
            else:
                buf = buf * momentum
                buf = buf + (1 - dampening) * g
            g = g + momentum * buf if nesterov else buf
        p = p - lr * g
        out.append(p)
    return out


def adam_reference(p, grads, lr, betas, eps, weight_decay=0.0):
    """PyTorch's Adam written out with Python-float options, one array at a time."""
    (b1, b2), out = betas, []
    m, v = np.zeros_like(p), np.zeros_like(p)
    for t, g in enumerate(grads, start=1):
        g = g + weight_decay * p if weight_decay else g
        w = 1 - b1
        m = m + w * (g - m) if w < 0.5 else g - (g - m) * (1 - w)  # torch.lerp's two forms
        v = v * b2
        v = v + (1 - b2) * g * g
        denom = np.sqrt(v) / (1 - b2**t) ** 0.5 + eps
        p = p - (lr / (1 - b1**t)) * m / denom
        out.append(p)
    return out


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_float_options_round_as_python_floats_would(dtype):
    # The formulas turn options into 0-d arrays of the parameter's dtype (faster than
    # Python floats): the results must be bitwise those of Python-float arithmetic.
    rng = np.random.default_rng(11)
    p0 = rng.normal(size=(3, 4)).astype(dtype)
    grads = [rng.normal(size=(3, 4)).astype(dtype) for _ in range(4)]
    sgd = {"lr": 0.1, "momentum": 0.9, "dampening": 0.3, "weight_decay": 0.01}
    for cls, kwargs, reference in [
        (optim.SGD, sgd, sgd_reference),
        (optim.SGD, dict(sgd, dampening=0.0, nesterov=True), sgd_reference),
        (optim.Adam, {"lr": 0.1, "betas": (0.9, 0.999), "eps": 1e-8}, adam_reference),
        (optim.Adam, {"lr": 0.1, "betas": (0.3, 0.7), "eps": 1e-3, "weight_decay": 0.1},
         adam_reference),
    ]:
        trajectory, _ = run_fixed_grads(cls, p0, grads, dtype=dtype, **kwargs)
        for ours, expected in zip(trajectory, reference(p0, grads, **kwargs), strict=True):
            assert ours.dtype == dtype
            np.testing.assert_array_equal(ours, expected, err_msg=f"{cls.__name__} {kwargs}")


def test_constants_keep_the_sign_of_zero():
    from tinygrad_lab.optim.optimizer import as_constants

    (zero,) = as_constants(np.dtype(np.float64), 0.0)
    (negative_zero,) = as_constants(np.dtype(np.float64), -0.0)
    assert np.signbit(negative_zero) and not np.signbit(zero)
    (one,) = as_constants(np.dtype(np.float32), 1.0)
    assert one.dtype == np.float32 and one.shape == () and not one.flags.writeable


def _as_numpy_scalars(kwargs):
    return {k: tuple(map(np.float64, v)) if k == "betas" else
            np.float64(v) if isinstance(v, float) else v for k, v in kwargs.items()}


@pytest.mark.parametrize("config", CONFIGS, ids=_config_id)
def test_numpy_float64_options_keep_float32_arithmetic(config):
    # Options like lr = np.logspace(...)[i] are NumPy float64 scalars, which would turn
    # float32 in-place arithmetic into float64 and round differently.
    name, kwargs = config
    rng = np.random.default_rng(3)
    grads = [rng.normal(size=3).astype(np.float32) for _ in range(3)]
    trajectories = []
    for options in (kwargs, _as_numpy_scalars(kwargs)):
        p = Tensor(np.array([0.5, -1.0, 2.0], dtype=np.float32), requires_grad=True)
        opt = OPTIMIZERS[name]([p], **options)
        steps = []
        for g in grads:
            p.grad = Tensor(g)
            opt.step()
            steps.append(p.numpy().copy())
        trajectories.append(steps)
        assert all(v.dtype == np.float32 for v in opt.state[p].values()
                   if isinstance(v, np.ndarray))
    np.testing.assert_array_equal(*trajectories)


# ------------------------------------------------------------------ validation


@pytest.mark.parametrize(
    "cls, kwargs, message",
    [
        (optim.SGD, {"lr": -1}, "SGD: Invalid learning rate: -1"),
        (optim.SGD, {"lr": float("nan")}, "Invalid learning rate: nan"),
        (optim.SGD, {"momentum": -0.5}, "Invalid momentum value: -0.5"),
        (optim.SGD, {"weight_decay": -1e-3}, "Invalid weight_decay value: -0.001"),
        (optim.SGD, {"nesterov": True}, "Nesterov momentum requires a momentum and zero"),
        (optim.SGD, {"nesterov": True, "momentum": 0.9, "dampening": 0.1}, "zero dampening"),
        (optim.Adam, {"lr": -1}, "Adam: Invalid learning rate: -1"),
        (optim.Adam, {"eps": -1e-8}, "Invalid epsilon value: -1e-08"),
        (optim.Adam, {"betas": (1.0, 0.999)}, "Invalid beta parameter at index 0: 1.0"),
        (optim.Adam, {"betas": (0.9, -0.1)}, "Invalid beta parameter at index 1: -0.1"),
        (optim.Adam, {"betas": 0.9}, "betas must be a pair"),
        (optim.Adam, {"weight_decay": -1}, "Invalid weight_decay value: -1"),
        (optim.AdamW, {"lr": -0.1}, "AdamW: Invalid learning rate: -0.1"),
        (optim.AdamW, {"betas": (0.9, 1.0)}, "Invalid beta parameter at index 1: 1.0"),
        (optim.RMSprop, {"lr": -1}, "RMSprop: Invalid learning rate: -1"),
        (optim.RMSprop, {"alpha": -0.5}, "Invalid alpha value: -0.5"),
        (optim.RMSprop, {"eps": -1}, "Invalid epsilon value: -1"),
        (optim.RMSprop, {"momentum": -1}, "Invalid momentum value: -1"),
        (optim.RMSprop, {"weight_decay": -1}, "Invalid weight_decay value: -1"),
        (optim.Adagrad, {"lr": -1}, "Adagrad: Invalid learning rate: -1"),
        (optim.Adagrad, {"lr_decay": -1}, "Invalid lr_decay value: -1"),
        (optim.Adagrad, {"initial_accumulator_value": -1}, "Invalid initial_accumulator_value"),
        (optim.Adagrad, {"eps": -1}, "Invalid epsilon value: -1"),
        (optim.Adagrad, {"weight_decay": -1}, "Invalid weight_decay value: -1"),
    ],
)
def test_invalid_hyperparameters(cls, kwargs, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        cls([Tensor(np.array([1.0]), requires_grad=True)], **kwargs)


def test_non_numeric_hyperparameter():
    with pytest.raises(TypeError, match="Invalid learning rate: '0.1'"):
        optim.SGD([Tensor([1.0])], lr="0.1")


# ------------------------------------------------------------- zero_grad, closure


def test_zero_grad():
    a = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    b = Tensor(np.array([3.0]), requires_grad=True)
    opt = optim.SGD([a, b], lr=0.1)
    (a * a).backward(np.ones(2))  # the gradient of (a * a).sum()
    opt.zero_grad()
    assert a.grad is None and b.grad is None  # set_to_none=True is the default
    (a * a).backward(np.ones(2))
    grad = a.grad
    opt.zero_grad(set_to_none=False)
    assert a.grad is grad  # same tensor, zeroed in place
    np.testing.assert_array_equal(a.grad.numpy(), [0.0, 0.0])
    assert b.grad is None
    opt.step()  # a zero gradient is a step like any other: SGD doesn't move
    np.testing.assert_array_equal(a.numpy(), [1.0, 2.0])


def test_step_with_closure_returns_its_loss():
    x = Tensor(np.array([3.0]), requires_grad=True)
    opt = optim.SGD([x], lr=0.25)
    calls = []

    def closure():
        opt.zero_grad()
        loss = x * x  # one element: backward() needs no gradient argument
        loss.backward()
        calls.append(loss.item())
        return loss

    loss = opt.step(closure)
    assert calls == [9.0] and loss.item() == 9.0
    np.testing.assert_allclose(x.numpy(), [3.0 - 0.25 * 6.0])
    assert opt.step() is None


def test_training_with_autograd_minimizes_a_quadratic():
    # A real loop: loss.backward() fills .grad, step() moves the parameters.
    target = np.array([1.0, -2.0, 0.5])
    for cls, kwargs in [(optim.SGD, {"lr": 0.1, "momentum": 0.9}), (optim.Adam, {"lr": 0.1}),
                        (optim.RMSprop, {"lr": 0.01}), (optim.Adagrad, {"lr": 0.5})]:
        x = Tensor(np.zeros(3), requires_grad=True)
        opt = cls([x], **kwargs)
        for _ in range(300):
            opt.zero_grad()
            ((x - target) ** 2).backward(np.ones(3))  # the gradient of the sum
            opt.step()
        np.testing.assert_allclose(x.numpy(), target, atol=1e-2, err_msg=cls.__name__)


def test_repr():
    text = repr(optim.SGD([Tensor([1.0])], lr=0.5, momentum=0.9))
    assert text.startswith("SGD (\nParameter Group 0\n") and "    lr: 0.5\n" in text


# ------------------------------------------------------------------ state dict


def rosenbrock_grad(x: np.ndarray) -> np.ndarray:
    """Gradient of sum(100 (x[i+1] - x[i]²)² + (1 - x[i])²), an objective of our own."""
    g = np.zeros_like(x)
    g[:-1] += -400 * x[:-1] * (x[1:] - x[:-1] ** 2) - 2 * (1 - x[:-1])
    g[1:] += 200 * (x[1:] - x[:-1] ** 2)
    return g


def make_rosenbrock_problem(name, kwargs):
    """Two parameter groups over a 4-d and a 2-d Rosenbrock valley, and a step function."""
    a = Tensor(np.array([-1.2, 1.0, -0.5, 0.3]), requires_grad=True)
    b = Tensor(np.array([[0.8], [1.3]]), requires_grad=True)
    frozen = Tensor(np.array([5.0]), requires_grad=True)  # never gets a gradient
    scale = 1e-3 if name == "SGD" else 1.0  # keep plain SGD from diverging
    if kwargs.get("maximize"):
        scale = -scale  # maximize -rosenbrock (maximizing rosenbrock itself diverges)
    opt = OPTIMIZERS[name]([{"params": [a, frozen]}, {"params": [b], "lr": kwargs["lr"] / 2}],
                           **kwargs)

    def step():
        opt.zero_grad()
        a.grad = Tensor(scale * rosenbrock_grad(a.numpy()))
        b.grad = Tensor(scale * rosenbrock_grad(b.numpy().ravel()).reshape(2, 1))
        opt.step()

    return (a, b, frozen), opt, step


@pytest.mark.parametrize("config", CONFIGS, ids=_config_id)
def test_state_dict_round_trip_and_resume_gives_identical_trajectory(config):
    name, kwargs = config
    params, opt, step = make_rosenbrock_problem(name, kwargs)
    for _ in range(5):
        step()
    saved = opt.state_dict()
    saved_params = [p.numpy().copy() for p in params]

    for _ in range(7):  # the original run goes on
        step()
    # a fresh optimizer (with other defaults, to be overwritten) resumes from the checkpoint
    params2, opt2, step2 = make_rosenbrock_problem(name, dict(kwargs, lr=kwargs["lr"] * 3))
    for p, data in zip(params2, saved_params, strict=True):
        p.numpy()[...] = data
    opt2.load_state_dict(saved)
    assert_state_dicts_equal(opt2.state_dict(), saved)
    for _ in range(7):
        step2()
    for p, q in zip(params, params2, strict=True):
        np.testing.assert_array_equal(p.numpy(), q.numpy())
    assert_state_dicts_equal(opt.state_dict(), opt2.state_dict())


def assert_state_dicts_equal(a, b):
    assert a["param_groups"] == b["param_groups"]
    assert a["state"].keys() == b["state"].keys()
    for index in a["state"]:
        sa, sb = a["state"][index], b["state"][index]
        assert sa.keys() == sb.keys()
        for key in sa:
            np.testing.assert_array_equal(sa[key], sb[key])
            assert type(sa[key]) is type(sb[key])


def test_checkpoint_through_tl_save_and_load(tmp_path):
    import tinygrad_lab as tl

    (a, b, frozen), opt, step = make_rosenbrock_problem("Adam", {"lr": 0.05, "amsgrad": True})
    scheduler = optim.lr_scheduler.MultiStepLR(opt, milestones=[3, 6, 6], gamma=0.5)
    for _ in range(4):
        step()
        scheduler.step()
    path = tmp_path / "checkpoint.npz"
    tl.save({"params": [p.numpy() for p in (a, b, frozen)], "optimizer": opt.state_dict(),
             "scheduler": scheduler.state_dict()}, path)
    for _ in range(5):
        step()
        scheduler.step()

    checkpoint = tl.load(path)
    (a2, b2, frozen2), opt2, step2 = make_rosenbrock_problem("Adam", {"lr": 1.0})
    scheduler2 = optim.lr_scheduler.MultiStepLR(opt2, milestones=[1])
    for p, data in zip((a2, b2, frozen2), checkpoint["params"], strict=True):
        p.numpy()[...] = data
    opt2.load_state_dict(checkpoint["optimizer"])
    scheduler2.load_state_dict(checkpoint["scheduler"])
    for _ in range(5):
        step2()
        scheduler2.step()
    for p, q in zip((a, b, frozen), (a2, b2, frozen2), strict=True):
        np.testing.assert_array_equal(p.numpy(), q.numpy())
    assert scheduler2.get_last_lr() == scheduler.get_last_lr()


def test_a_custom_optimizer_implements_update():
    class SignSGD(optim.Optimizer):
        def __init__(self, params, lr=0.01):
            super().__init__(params, {"lr": lr})

        def _update(self, param, grad, state, group):
            param -= group["lr"] * np.sign(grad)

    p = Tensor(np.array([1.0, 1.0]), requires_grad=True)
    opt = SignSGD([p], lr=0.5)
    p.grad = Tensor(np.array([3.0, -0.1]))
    opt.step()
    np.testing.assert_array_equal(p.numpy(), [0.5, 1.5])


def test_state_dict_layout_and_copies():
    (a, b, frozen), opt, step = make_rosenbrock_problem("Adam", {"lr": 0.1, "amsgrad": True})
    step()
    sd = opt.state_dict()
    assert set(sd) == {"state", "param_groups"}
    assert [g["params"] for g in sd["param_groups"]] == [[0, 1], [2]]
    assert sd["param_groups"][1]["lr"] == 0.05 and sd["param_groups"][0]["betas"] == (0.9, 0.999)
    assert set(sd["state"]) == {0, 2}  # the frozen parameter (index 1) has no state
    assert sorted(sd["state"][0]) == ["exp_avg", "exp_avg_sq", "max_exp_avg_sq", "step"]
    assert sd["state"][0]["step"] == 1 and isinstance(sd["state"][0]["step"], int)
    # arrays are copies: changing the dict or the optimizer later doesn't touch the other
    assert not np.shares_memory(sd["state"][0]["exp_avg"], opt.state[a]["exp_avg"])
    before = sd["state"][0]["exp_avg"].copy()
    step()
    np.testing.assert_array_equal(sd["state"][0]["exp_avg"], before)
    sd["param_groups"][0]["lr"] = 123.0
    assert opt.param_groups[0]["lr"] == 0.1
    opt.load_state_dict(sd)
    sd["state"][0]["exp_avg"][...] = 7.0
    assert not np.any(opt.state[a]["exp_avg"] == 7.0)
    assert opt.param_groups[0]["lr"] == 123.0 and opt.param_groups[0]["params"][0] is a


def test_load_state_dict_casts_to_parameter_dtype_and_accepts_array_step():
    p = Tensor(np.array([1.0, 2.0], dtype=np.float32), requires_grad=True)
    opt = optim.Adam([p])
    sd = {
        "state": {0: {"step": np.array(3.0), "exp_avg": np.array([0.1, 0.2]),
                      "exp_avg_sq": np.array([0.01, 0.04])}},
        "param_groups": [dict(opt.state_dict()["param_groups"][0])],
    }
    opt.load_state_dict(sd)
    assert opt.state[p]["step"] == 3 and isinstance(opt.state[p]["step"], int)
    assert opt.state[p]["exp_avg"].dtype == np.float32


def _checkpoint():
    (a, b, _), opt, step = make_rosenbrock_problem("SGD", {"lr": 0.1, "momentum": 0.9})
    step()
    return opt, opt.state_dict()


@pytest.mark.parametrize(
    "corrupt, message",
    [
        (lambda sd: sd["param_groups"].pop(), "has 1 parameter group.*the optimizer has 2"),
        (lambda sd: sd["param_groups"][0]["params"].pop(), "group 0 has 1 parameters.* has 2"),
        (lambda sd: sd["state"][2].update(momentum_buffer=np.zeros(3)),
         r"parameter 2 \(group 1, position 0\), key 'momentum_buffer' has shape \(3,\), but "
         r"the parameter has shape \(2, 1\)"),
        (lambda sd: sd["state"].update({7: {}}), "index 7, which no group lists"),
        (lambda sd: sd["param_groups"][1].pop("momentum"), r"lacks the options \['momentum'\]"),
        (lambda sd: sd["param_groups"][1].update(lr=-1.0), "Invalid learning rate: -1.0"),
        (lambda sd: sd["param_groups"][1].update(params=[0]), "index 0 appears twice"),
        (lambda sd: sd.pop("state"), "expected a dict with 'state' and 'param_groups'"),
    ],
)
def test_bad_state_dict_is_rejected_and_changes_nothing(corrupt, message):
    opt, sd = _checkpoint()
    before = opt.state_dict()
    corrupt(sd)
    with pytest.raises(ValueError, match=message):
        opt.load_state_dict(sd)
    assert_state_dicts_equal(opt.state_dict(), before)


def test_state_dict_from_another_optimizer_is_rejected():
    (a, b, frozen), opt, step = make_rosenbrock_problem("Adam", {"lr": 0.1})
    sgd = optim.SGD([{"params": [a, frozen]}, {"params": [b]}], momentum=0.9)
    with pytest.raises(ValueError, match=r"lacks the options \['amsgrad', 'betas'"):
        opt.load_state_dict(sgd.state_dict())


def test_bad_step_in_state_dict():
    p = Tensor(np.array([1.0]), requires_grad=True)
    opt = optim.Adam([p])
    p.grad = Tensor(np.array([1.0]))
    opt.step()
    sd = opt.state_dict()
    sd["state"][0]["step"] = 1.5
    with pytest.raises(ValueError, match=r"parameter 0 \(group 0, position 0\): 'step' must be "
                                         "a whole number >= 0, got 1.5"):
        opt.load_state_dict(sd)
    assert opt.state[p]["step"] == 1



def _adam_checkpoint():
    (a, b, _), opt, step = make_rosenbrock_problem("Adam", {"lr": 0.1, "amsgrad": True})
    step()
    return opt, opt.state_dict()


BAD_STATE = [
    # (optimizer, corruption of parameter 2's state, message)
    ("SGD", lambda st: st.update(momentum_buffer=[[0.1], [0.2]]),
     r"parameter 2 \(group 1, position 0\), key 'momentum_buffer': expected a float array of "
     r"shape \(2, 1\), got a list"),
    ("SGD", lambda st: st.update(momentum_buffer=np.float64(0.5)),
     r"key 'momentum_buffer': expected a float array of shape \(2, 1\), got a NumPy scalar "
     r"\(float64\)"),
    ("SGD", lambda st: st.update(momentum_buffer=np.ones((2, 1), dtype=np.int64)),
     r"key 'momentum_buffer': expected a float array of shape \(2, 1\), got dtype int64"),
    ("SGD", lambda st: st.update(momentum_buffer=np.ones((2, 1), dtype=complex)),
     "got dtype complex128"),
    ("SGD", lambda st: st.update(velocity=np.ones((2, 1))),
     r"unknown state key\(s\) \['velocity'\] for SGD \(it keeps \['momentum_buffer'\]\)"),
    ("SGD", lambda st: st.update(momentum_buffer=Tensor(np.ones(2))),
     r"key 'momentum_buffer' has shape \(2,\), but the parameter has shape \(2, 1\)"),
    ("Adam", lambda st: st.pop("exp_avg_sq"), r"the state lacks the key\(s\) \['exp_avg_sq'\]"),
    ("Adam", lambda st: st.update(exp_avg=None), "key 'exp_avg': expected a float array"),
    ("Adam", lambda st: st.update(step=-1), "'step' must be a whole number >= 0, got -1"),
    ("Adam", lambda st: st.update(step=True), "'step' must be a whole number >= 0, got True"),
    ("Adam", lambda st: st.update(step=[1]), r"'step' must be a whole number >= 0, got \[1\]"),
    ("Adam", lambda st: st.update(step=float("inf")), "'step' must be a whole number"),
    ("Adam", lambda st: st.update(max_exp_avg_sq="zeros"), "got a str"),
]


@pytest.mark.parametrize("name, corrupt, message", BAD_STATE)
def test_bad_state_entries_are_refused_and_change_nothing(name, corrupt, message):
    opt, sd = _checkpoint() if name == "SGD" else _adam_checkpoint()
    before = opt.state_dict()
    corrupt(sd["state"][2])
    with pytest.raises(ValueError, match=rf"^{name}.load_state_dict: .*{message}"):
        opt.load_state_dict(sd)
    assert_state_dicts_equal(opt.state_dict(), before)


def test_state_entries_that_are_not_dicts_are_refused():
    opt, sd = _checkpoint()
    sd["state"][2] = [np.zeros((2, 1))]
    with pytest.raises(ValueError, match=r"parameter 2 \(group 1, position 0\): the state must "
                                         "be a dict, got list"):
        opt.load_state_dict(sd)
    sd["state"] = [{}]
    with pytest.raises(ValueError, match="'state' must be a dict"):
        opt.load_state_dict(sd)


def test_buffers_load_from_tensors_and_steps_from_floats_and_0d_arrays():
    p = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    opt = optim.Adam([p])
    group = dict(opt.state_dict()["param_groups"][0])
    exp_avg = Tensor(np.array([0.1, 0.2]))
    for step in (3, 3.0, np.int64(3), np.array(3.0, dtype=np.float32), Tensor(3.0)):
        opt.load_state_dict({"state": {0: {"step": step, "exp_avg": exp_avg,
                                           "exp_avg_sq": np.array([0.01, 0.04])}},
                             "param_groups": [group]})
        state = opt.state[p]
        assert state["step"] == 3 and type(state["step"]) is int
        assert isinstance(state["exp_avg"], np.ndarray)
        assert not np.shares_memory(state["exp_avg"], exp_avg.numpy())
        np.testing.assert_array_equal(state["exp_avg"], [0.1, 0.2])


def test_a_missing_momentum_buffer_written_as_none_loads_as_absent():
    # Older PyTorch versions stored momentum_buffer=None for SGD without momentum.
    p = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    opt = optim.SGD([p], lr=0.1, momentum=0.9)
    sd = opt.state_dict()
    sd["state"] = {0: {"momentum_buffer": None}}
    opt.load_state_dict(sd)
    assert opt.state[p] == {}
    p.grad = Tensor(np.array([1.0, 1.0]))
    opt.step()  # the buffer starts from the gradient, as on a first step
    np.testing.assert_array_equal(opt.state[p]["momentum_buffer"], [1.0, 1.0])


def test_a_custom_optimizer_may_keep_state_of_its_own():
    class Counting(optim.Optimizer):
        def __init__(self, params):
            super().__init__(params, {"lr": 0.1})

        def _update(self, param, grad, state, options):
            state["history"] = [*state.get("history", []), float(grad.sum())]
            param -= options["lr"] * grad

    p = Tensor(np.array([1.0]), requires_grad=True)
    opt = Counting([p])
    p.grad = Tensor(np.array([2.0]))
    opt.step()
    sd = opt.state_dict()
    assert sd["state"] == {0: {"history": [2.0]}}
    opt.load_state_dict(sd)
    assert opt.state[p]["history"] == [2.0]


# ------------------------------------------------- in-place updates, graphs, threads


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_a_backward_through_a_graph_recorded_before_the_step_raises(name):
    # loss = model(x); opt.step(); loss.backward() would use the old weights silently.
    w = Tensor(np.array([1.0, -2.0]), requires_grad=True)
    unused = Tensor(np.array([5.0]), requires_grad=True)  # no gradient: not updated
    x = Tensor(np.array([3.0, 4.0]))
    opt = OPTIMIZERS[name]([w, unused], lr=0.1)
    w.grad = Tensor(np.array([1.0, 1.0]))
    loss = w * x
    other = unused * 2.0
    versions = w._version, unused._version
    opt.step()
    assert (w._version, unused._version) == (versions[0] + 1, versions[1])
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        loss.backward(np.ones(2))
    other.backward(np.ones(1))  # its parameter did not move: fine
    np.testing.assert_array_equal(unused.grad.numpy(), [2.0])
    w.grad = None
    (w * x).backward(np.ones(2))  # a graph recorded after the step is fine
    np.testing.assert_array_equal(w.grad.numpy(), [3.0, 4.0])


def test_the_data_alias_sees_the_step():
    w = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    alias = w.data
    opt = optim.SGD([w], lr=0.5)
    w.grad = Tensor(np.array([2.0, 2.0]))
    version = alias._version
    opt.step()
    np.testing.assert_array_equal(alias.numpy(), [0.0, 1.0])
    assert alias._version == version + 1  # one storage, one version counter


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_a_gradient_with_a_graph_is_used_by_value(name):
    # After backward(create_graph=True), .grad is a tensor with a graph of its own.
    w = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    (w * w * w).backward(np.ones(2), create_graph=True)
    assert w.grad.requires_grad
    grad, grad_values = w.grad, w.grad.numpy().copy()
    expected, _ = run_fixed_grads(OPTIMIZERS[name], [1.0, 2.0], [grad_values], lr=0.1)
    opt = OPTIMIZERS[name]([w], lr=0.1)
    opt.step()
    np.testing.assert_array_equal(w.numpy(), expected[0])
    assert w.is_leaf and w.grad_fn is None and w.requires_grad
    assert w.grad is grad and grad.requires_grad  # the gradient is left as it was
    np.testing.assert_array_equal(grad.numpy(), grad_values)


def test_step_records_no_graph_and_restores_grad_mode():
    import tinygrad_lab as tl

    seen = []

    class Probe(optim.Optimizer):
        def __init__(self, params, fail=False):
            super().__init__(params, {"lr": 0.1})
            self.fail = fail

        def _update(self, param, grad, state, options):
            seen.append(tl.is_grad_enabled())
            if self.fail:
                raise ArithmeticError("boom")

    p = Tensor(np.array([1.0]), requires_grad=True)
    p.grad = Tensor(np.array([1.0]))
    Probe([p]).step()
    assert seen == [False] and tl.is_grad_enabled()
    version = p._version
    with pytest.raises(ArithmeticError):
        Probe([p], fail=True).step()
    assert tl.is_grad_enabled()
    assert p._version == version + 1  # it may have moved: a saved graph must not use it
    with tl.no_grad():
        Probe([p]).step()
        assert not tl.is_grad_enabled()


def test_zero_grad_follows_the_tensor_rule():
    # set_to_none=False zeroes in place and cuts a gradient's own graph, like
    # Tensor.zero_grad (one rule for tensors, modules and optimizers).
    w = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    (w * w).backward(np.ones(2), create_graph=True)
    grad = w.grad
    assert grad.requires_grad
    optim.SGD([w]).zero_grad(set_to_none=False)
    assert w.grad is grad and not grad.requires_grad and grad.grad_fn is None
    np.testing.assert_array_equal(grad.numpy(), [0.0, 0.0])


def test_a_pytorch_style_optimizer_overriding_step_works():
    import tinygrad_lab as tl

    class PlainSGD(optim.Optimizer):
        def __init__(self, params, lr):
            super().__init__(params, {"lr": lr})

        @tl.no_grad()
        def step(self, closure=None):
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is not None:
                        p -= group["lr"] * p.grad

    w = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    opt = PlainSGD([w], lr=0.5)
    scheduler = optim.lr_scheduler.StepLR(opt, step_size=1)
    w.grad = Tensor(np.array([2.0, 2.0]))
    opt.step()
    np.testing.assert_array_equal(w.numpy(), [0.0, 1.0])
    assert opt._opt_called  # so the scheduler does not warn about the order
    scheduler.step()


def test_reading_the_state_while_another_thread_steps():
    # Not a thread-safe step (as in PyTorch), but a reader (state_dict, parameters) must
    # never break the stepping thread or see a broken state.
    import threading

    rng = np.random.default_rng(3)
    grads = [[rng.normal(size=s) for s in MLP_SHAPES] for _ in range(200)]
    weights = [rng.normal(size=s) for s in MLP_SHAPES]

    def run(reader):
        params = [Tensor(w, requires_grad=True) for w in weights]
        opt = optim.Adam(params, lr=0.01, amsgrad=True)
        errors, stop = [], threading.Event()

        def read():
            while not stop.is_set():
                try:
                    sd = opt.state_dict()
                    for entries in sd["state"].values():
                        assert entries["exp_avg"].shape == entries["exp_avg_sq"].shape
                    [p.numpy().sum() for p in params]
                except Exception as err:  # noqa: BLE001  (reported below)
                    errors.append(err)
                    return

        thread = threading.Thread(target=read) if reader else None
        if thread:
            thread.start()
        try:
            for step_grads in grads:
                opt.zero_grad()
                for p, g in zip(params, step_grads, strict=True):
                    p.grad = Tensor(g)
                opt.step()
        finally:
            stop.set()
            if thread:
                thread.join()
        assert errors == []
        return [p.numpy() for p in params]

    for alone, with_reader in zip(run(False), run(True), strict=True):
        np.testing.assert_array_equal(alone, with_reader)


# ----------------------------------------------------------------- against torch

MLP_SHAPES = [(2, 4), (4,), (4, 4), (4,), (4, 1), (1,)]


@pytest.fixture
def torch():
    """torch, when installed (the tests using it are skipped otherwise), on one thread:
    on tensors this small, threads only add synchronisation cost."""
    torch = pytest.importorskip("torch")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield torch
    torch.set_num_threads(threads)


def mlp_problem():
    """A 2-4-4-1 sigmoid MLP's initial float64 weights and an XOR-like data set."""
    rng = np.random.default_rng(2024)
    X = rng.uniform(-1, 1, size=(21, 2))
    y = (X[:, :1] * X[:, 1:] > 0).astype(np.float64)
    weights = [rng.normal(scale=0.8, size=shape) for shape in MLP_SHAPES]
    return X, y, weights


def torch_loss(torch, params, X, y):
    W1, b1, W2, b2, W3, b3 = params
    h = torch.sigmoid(X @ W1 + b1)
    h = torch.sigmoid(h @ W2 + b2)
    return (torch.sigmoid(h @ W3 + b3) - y).pow(2).mean()


def torch_gradients(torch, X, y):
    """A function giving the MLP's loss and gradients at given float64 weights, computed
    by torch. Our optimizers are fed these gradients and torch's compute the same ones
    (same ops on the same values), so the trajectories can differ only through the
    optimizers' arithmetic. They agree to a few units in the last place, not to the bit:
    torch's CPU kernels for ``add(alpha=)``, ``addcmul`` and ``lerp`` round once for
    ``a + b * c`` (a fused multiply-add), which NumPy cannot do."""
    X, y = torch.tensor(X), torch.tensor(y)

    def gradients(weights):
        params = [torch.tensor(w, requires_grad=True) for w in weights]
        loss = torch_loss(torch, params, X, y)
        loss.backward()
        return loss.item(), [p.grad.numpy() for p in params]

    return gradients


def train_ours(name, kwargs, groups, weights, gradients, steps, opt=None, params=None):
    """``steps`` steps of our optimizer with gradients from ``gradients``."""
    if params is None:
        params = [Tensor(w, requires_grad=True) for w in weights]  # copies
    if opt is None:
        opt = OPTIMIZERS[name](groups(params), **kwargs)
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        loss, grads = gradients([p.numpy() for p in params])
        for p, g in zip(params, grads, strict=True):
            p.grad = Tensor._wrap(g)
        opt.step()
        losses.append(loss)
    return [p.numpy() for p in params], losses, opt


def train_torch(torch, name, kwargs, groups, X, y, weights, steps, opt=None, params=None):
    """``steps`` steps of torch's optimizer (single-tensor implementation) on the MLP."""
    if params is None:
        params = [torch.tensor(w, dtype=torch.float64, requires_grad=True) for w in weights]
    X, y = torch.tensor(X), torch.tensor(y)
    if opt is None:
        # foreach=False: the single-tensor ("for-loop") implementation we replicate
        opt = getattr(torch.optim, name)(groups(params), foreach=False, **kwargs)
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        loss = torch_loss(torch, params, X, y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return [p.detach().numpy() for p in params], losses, opt


def one_group(params):
    return params


def two_groups(params):
    """First layer in its own group with a different lr."""
    return [{"params": params[:2], "lr": 0.02}, {"params": params[2:]}]


# Weights of magnitude up to ~4 after 50 steps; a few float64 ulps of that. (Measured:
# at most 4.4e-15; exactly 0 for SGD without weight decay or Nesterov.)
TORCH_ATOL = 1e-14


def max_difference(ours, theirs):
    return max(float(np.max(np.abs(a - b))) for a, b in zip(ours, theirs, strict=True))


@pytest.mark.parametrize("config", CONFIGS, ids=_config_id)
def test_fifty_steps_match_torch(config, record_property, torch):
    name, kwargs = config
    X, y, weights = mlp_problem()
    gradients = torch_gradients(torch, X, y)
    ours, our_losses, _ = train_ours(name, kwargs, one_group, weights, gradients, 50)
    theirs, their_losses, _ = train_torch(torch, name, kwargs, one_group, X, y, weights, 50)
    diff = max_difference(ours, theirs)
    moved = max(float(np.max(np.abs(a - w))) for a, w in zip(ours, weights, strict=True))
    record_property("max_abs_param_diff", diff)
    print(f"{_config_id(config)}: max |param - torch param| after 50 steps = {diff:.3e}")
    assert moved > 1e-2  # the comparison means something: the weights did move
    assert diff <= TORCH_ATOL
    np.testing.assert_allclose(our_losses, their_losses, rtol=1e-14)


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_param_groups_match_torch(name, record_property, torch):
    kwargs = {"lr": 0.1}
    X, y, weights = mlp_problem()
    gradients = torch_gradients(torch, X, y)
    ours, _, opt = train_ours(name, kwargs, two_groups, weights, gradients, 50)
    theirs, _, topt = train_torch(torch, name, kwargs, two_groups, X, y, weights, 50)
    diff = max_difference(ours, theirs)
    record_property("max_abs_param_diff", diff)
    print(f"{name} with two param groups: max |param - torch param| = {diff:.3e}")
    assert diff <= TORCH_ATOL
    # the state dicts hold the same entries (torch's 'step' is a tensor, ours an int)
    sd, tsd = opt.state_dict(), topt.state_dict()
    assert sd["state"].keys() == {k for k, v in tsd["state"].items() if v}
    for index, entries in sd["state"].items():
        assert entries.keys() == tsd["state"][index].keys()
        for key, value in entries.items():
            np.testing.assert_allclose(value, np.asarray(tsd["state"][index][key]),
                                       rtol=0, atol=TORCH_ATOL)
    torch_only = {"foreach", "differentiable", "fused", "capturable"}
    for group, tgroup in zip(sd["param_groups"], tsd["param_groups"], strict=True):
        assert group == {k: v for k, v in tgroup.items() if k not in torch_only}


TAKEOVER_CONFIGS = [
    ("SGD", {"lr": 0.5, "momentum": 0.9, "nesterov": True}),
    ("Adam", {"lr": 0.05, "amsgrad": True}),
    ("AdamW", {"lr": 0.05, "weight_decay": 0.3}),
    ("RMSprop", {"lr": 0.01, "centered": True, "momentum": 0.5}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.01}),
]


@pytest.mark.parametrize("config", TAKEOVER_CONFIGS, ids=_config_id)
def test_a_torch_state_dict_loads_and_training_goes_on_identically(config, torch):
    # torch's format as it is: tensors for buffers, a float32 0-d tensor for 'step', and
    # torch-only options (foreach, fused, ...) in the groups.
    import copy

    name, kwargs = config
    X, y, weights = mlp_problem()
    _, _, topt = train_torch(torch, name, kwargs, two_groups, X, y, weights, 5)
    params_t = [p for group in topt.param_groups for p in group["params"]]
    checkpoint_weights = [p.detach().numpy().copy() for p in params_t]
    checkpoint = copy.deepcopy(topt.state_dict())
    theirs, _, _ = train_torch(torch, name, kwargs, two_groups, X, y, weights, 5,
                               opt=topt, params=params_t)

    params = [Tensor(w, requires_grad=True) for w in checkpoint_weights]
    opt = OPTIMIZERS[name](two_groups(params), lr=1.0)  # options come from the checkpoint
    opt.load_state_dict(checkpoint)
    assert opt.param_groups[1]["lr"] == kwargs["lr"]
    assert opt.state[params[0]].get("step", 5) == 5  # SGD keeps no step count
    ours, _, _ = train_ours(name, kwargs, two_groups, None, torch_gradients(torch, X, y), 5,
                            opt=opt, params=params)
    assert max_difference(ours, theirs) <= TORCH_ATOL


@pytest.mark.parametrize("name, kwargs", [("SGD", {"lr": 0.5, "momentum": 0.9}),
                                          ("Adam", {"lr": 0.05})])
def test_training_with_our_autograd_matches_torch(name, kwargs, torch):
    # The whole loop with our own forward and backward (matmul, sigmoid, pow, mean): the
    # gradients then differ from torch's by rounding only.
    X, y, weights = mlp_problem()
    params = [Tensor(w, requires_grad=True) for w in weights]
    opt = OPTIMIZERS[name](params, **kwargs)
    Xt, yt = Tensor(X), Tensor(y)
    for _ in range(50):
        opt.zero_grad()
        W1, b1, W2, b2, W3, b3 = params
        h = (Xt @ W1 + b1).sigmoid()
        h = (h @ W2 + b2).sigmoid()
        loss = ((h @ W3 + b3).sigmoid() - yt).pow(2).mean()
        loss.backward()
        opt.step()
    theirs, _, _ = train_torch(torch, name, kwargs, one_group, X, y, weights, 50)
    assert max_difference([p.numpy() for p in params], theirs) < 1e-8


@pytest.mark.parametrize("make", [
    lambda o, p: o.RMSprop(p, lr=0.01, centered=True, momentum=0.5),
    lambda o, p: o.Adam(p, lr=0.1, amsgrad=True), lambda o, p: o.Adagrad(p, lr=0.1, lr_decay=0.1),
    lambda o, p: o.SGD(p, lr=0.1, momentum=0.9, nesterov=True),
])
def test_a_0d_parameter_follows_torch(torch, make):
    p = Tensor(np.array(1.5), requires_grad=True)
    tp = torch.tensor(1.5, requires_grad=True, dtype=torch.float64)
    opt, topt = make(optim, [p]), make(torch.optim, [tp])
    for _ in range(5):
        opt.zero_grad()
        (p * p * p).backward()
        opt.step()
        topt.zero_grad()
        (tp * tp * tp).backward()
        topt.step()
    np.testing.assert_allclose(p.numpy(), tp.detach().numpy(), rtol=1e-14)



def test_options_changed_in_place_are_read_again(torch):
    p = Tensor(np.array([1.0]), requires_grad=True)
    lr = Tensor(np.array(0.1))
    tp = torch.tensor([1.0], requires_grad=True, dtype=torch.float64)
    tlr = torch.tensor(0.1, dtype=torch.float64)
    opt, topt = optim.SGD([p], lr=lr), torch.optim.SGD([tp], lr=tlr)
    for value in (0.1, 0.5):  # a tensor learning rate filled in place
        lr.numpy()[()] = tlr.numpy()[()] = value
        p.grad, tp.grad = Tensor(np.array([1.0])), torch.tensor([1.0], dtype=torch.float64)
        opt.step()
        topt.step()
    np.testing.assert_array_equal(p.numpy(), tp.detach().numpy())

    params = [Tensor(np.array([1.0]), requires_grad=True) for _ in range(2)]
    edited = optim.Adam([params[0]], lr=0.1, betas=[0.9, 0.999])
    replaced = optim.Adam([params[1]], lr=0.1, betas=(0.9, 0.999))
    for step in range(3):
        if step == 1:
            edited.param_groups[0]["betas"][1] = 0.5  # the same list, changed in place
            replaced.param_groups[0]["betas"] = (0.9, 0.5)
        for opt, t in ((edited, params[0]), (replaced, params[1])):
            t.grad = Tensor(np.array([2.0 + step]))
            opt.step()
    np.testing.assert_array_equal(params[0].numpy(), params[1].numpy())
