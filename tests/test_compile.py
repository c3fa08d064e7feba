"""tl.compile: a traced and replayed step gives eager mode's results bit for bit, replays
only while its guards hold, and refuses what it cannot replay."""

import threading
import tracemalloc

import numpy as np
import pytest

import tinygrad_lab as tl
from tinygrad_lab import Tensor, optim
from tinygrad_lab.compile import TracingError, compile

# ------------------------------------------------------------------ hand-made ops
# The lab network written with Tensor.from_op, as a student writes their own ops: a
# compiled step must replay user ops as well as the framework's.


def linear(x, w, b):
    out = x.numpy() @ w.numpy().T + b.numpy()
    return Tensor.from_op(
        out, (x, w, b), lambda g, out, x, w, b: (g @ w, g.T @ x, g.sum(axis=0)), "linear"
    )


def sigmoid(z):
    out = 1.0 / (1.0 + np.exp(-z.numpy()))
    return Tensor.from_op(out, (z,), lambda g, out, z: (g * out * (1.0 - out),), "sigmoid")


def mse(a, y):
    d = a.numpy() - y.numpy()
    return Tensor.from_op(
        np.mean(d * d), (a, y), lambda g, out, a, y: (g * 2.0 * (a - y) / a.size, None), "mse"
    )


def checked_labels(y):
    """An op with eager's kind of data-dependent check (like cross_entropy's labels)."""
    if (y.numpy() < 0).any():
        raise ValueError("checked_labels: labels must be >= 0")
    return y


SIZES = [(2, 4), (4, 4), (4, 1)]


def lab_params(seed=0):
    rng = np.random.default_rng(seed)
    params = []
    for fan_in, fan_out in SIZES:
        bound = 1 / np.sqrt(fan_in)
        params.append(Tensor(rng.uniform(-bound, bound, (fan_out, fan_in)), requires_grad=True))
        params.append(Tensor(rng.uniform(-bound, bound, fan_out), requires_grad=True))
    return params


def lab_forward(params, x):
    h = x
    for i in range(0, len(params), 2):
        h = sigmoid(linear(h, params[i], params[i + 1]))
    return h


def lab_data(n=20, seed=1):
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 1, (n, 2))
    y = (x[:, :1] > x[:, 1:]).astype(np.float64)
    return Tensor(x), Tensor(y)


def make_step(params, opt):
    def step(x, y):
        opt.zero_grad()
        loss = mse(lab_forward(params, x), checked_labels(y))
        loss.backward()
        opt.step()
        return loss

    return step


def twins(make_opt, seed=0):
    """Two identical models and optimizers: one eager step function, one compiled."""
    p1, p2 = lab_params(seed), lab_params(seed)
    o1, o2 = make_opt(p1), make_opt(p2)
    return (p1, o1, make_step(p1, o1)), (p2, o2, compile(make_step(p2, o2)))


def assert_same(eager, compiled):
    (p1, o1, _), (p2, o2, _) = eager, compiled
    for a, b in zip(p1, p2, strict=True):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
        np.testing.assert_array_equal(a.grad.numpy(), b.grad.numpy())
    s1, s2 = o1.state_dict(), o2.state_dict()
    assert s1["param_groups"] == s2["param_groups"]
    for index, entries in s1["state"].items():
        for key, value in entries.items():
            np.testing.assert_array_equal(value, s2["state"][index][key])


OPTIMIZERS = [
    lambda p: optim.SGD(p, lr=0.5),
    lambda p: optim.SGD(p, lr=0.1, momentum=0.9),
    lambda p: optim.SGD(p, lr=0.1, momentum=0.9, dampening=0.3, weight_decay=0.01),
    lambda p: optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True, maximize=True),
    lambda p: optim.Adam(p, lr=0.05),
    lambda p: optim.Adam(p, lr=0.05, amsgrad=True, weight_decay=0.1),
    lambda p: optim.AdamW(p, lr=0.05),
    lambda p: optim.RMSprop(p, lr=0.01, momentum=0.5, centered=True),
    lambda p: optim.Adagrad(p, lr=0.1, lr_decay=0.01),
]


# -------------------------------------------------------------------- equal to eager


@pytest.mark.parametrize("make_opt", OPTIMIZERS)
def test_lab_network_compiled_equals_eager_bit_for_bit(make_opt):
    eager, compiled = twins(make_opt)
    x, y = lab_data()
    for _ in range(6):
        l1, l2 = eager[2](x, y), compiled[2](x, y)
        np.testing.assert_array_equal(l1.numpy(), l2.numpy())
        assert_same(eager, compiled)
    assert compiled[2].stats == {"eager": 1, "traced": 1, "replayed": 4}


def test_new_data_each_call_is_copied_in():
    eager, compiled = twins(lambda p: optim.SGD(p, lr=0.5))
    for seed in range(5):
        x, y = lab_data(seed=seed)
        np.testing.assert_array_equal(eager[2](x, y).numpy(), compiled[2](x, y).numpy())
    assert_same(eager, compiled)
    assert compiled[2].stats["replayed"] == 3


def test_scheduler_and_step_counters_follow_eager():
    def make(params):
        opt = optim.Adam(params, lr=0.1)
        sched = optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)

        def step(x, y):
            opt.zero_grad()
            loss = mse(lab_forward(params, x), y)
            loss.backward()
            opt.step()
            sched.step()  # inside the step: replayed eagerly too
            return loss

        return opt, step

    p1, p2 = lab_params(), lab_params()
    (o1, eager), (o2, step) = make(p1), make(p2)
    compiled = compile(step)
    x, y = lab_data()
    for _ in range(7):
        np.testing.assert_array_equal(eager(x, y).numpy(), compiled(x, y).numpy())
        assert o1.param_groups[0]["lr"] == o2.param_groups[0]["lr"]
    assert o2.param_groups[0]["lr"] == 0.1 * 0.5**3
    assert o2.state_dict()["state"][0]["step"] == 7
    assert_same((p1, o1, None), (p2, o2, None))


@pytest.mark.parametrize("make_opt", [
    lambda p: optim.SGD(p, lr=0.5, momentum=0.5),  # the replay reads the new lr
    lambda p: optim.Adam(p, lr=0.5),
])
def test_lr_changed_between_calls_is_used(make_opt):
    eager, compiled = twins(make_opt)
    x, y = lab_data()
    for lr in (0.5, 0.5, 0.5, 0.1, 0.1, 0.1, 0.3, 0.0):
        for _, opt, _ in (eager, compiled):
            opt.param_groups[0]["lr"] = lr
        np.testing.assert_array_equal(eager[2](x, y).numpy(), compiled[2](x, y).numpy())
    assert_same(eager, compiled)
    assert compiled[2].stats == {"eager": 1, "traced": 1, "replayed": 6}  # no new trace


@pytest.mark.parametrize("make_opt", [
    lambda p: optim.SGD(p, lr=0.1, momentum=0.9), lambda p: optim.Adam(p, lr=0.1),
])
def test_a_parameter_replaced_inside_the_group_list_is_followed(make_opt):
    eager, compiled = twins(make_opt)
    x, y = lab_data()
    for _ in range(3):
        eager[2](x, y), compiled[2](x, y)
    for params, opt, _ in (eager, compiled):  # the same list object, one tensor swapped
        opt.param_groups[0]["params"][0] = Tensor(params[0].numpy().copy(), requires_grad=True)
    for _ in range(3):
        np.testing.assert_array_equal(eager[2](x, y).numpy(), compiled[2](x, y).numpy())
    for a, b in zip(eager[0], compiled[0], strict=True):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_an_update_function_set_on_the_instance_is_used_and_kept():
    def halved_lr(params, grads, states, **options):
        optim.sgd.sgd(params, grads, states, **{**options, "lr": options["lr"] / 2})

    def make_opt(params):
        opt = optim.SGD(params, lr=0.1, momentum=0.9)
        opt.update_function = halved_lr
        return opt

    eager, compiled = twins(make_opt)
    x, y = lab_data()
    for _ in range(5):
        np.testing.assert_array_equal(eager[2](x, y).numpy(), compiled[2](x, y).numpy())
    assert_same(eager, compiled)
    assert vars(compiled[1])["update_function"] is halved_lr


def test_sgd_and_adam_steps_are_traced():
    x, y = lab_data()
    for make_opt in (lambda p: optim.SGD(p, lr=0.1, momentum=0.9), optim.Adam):
        _, compiled = twins(make_opt)
        for _ in range(3):
            compiled[2](x, y)
        text = str(compiled[2])
        assert "# eager" not in text and "subtract(p0, " in text
        assert "N0()  # step counts, options" in text and "N0.holds()" in text


# ---------------------------------------------- optimizer options and step counters


def lab_twins(make_opt, dtype, make_sched=None):
    """``twins`` in ``dtype``, with a scheduler stepped inside the step if given."""
    def make(params):
        params = [Tensor(p.numpy().astype(dtype), requires_grad=True) for p in params]
        opt = make_opt(params)
        sched = make_sched(opt) if make_sched else None

        def step(x, y):
            opt.zero_grad()
            loss = mse(lab_forward(params, x), y)
            loss.backward()
            opt.step()
            if sched is not None:
                sched.step()
            return loss

        return params, opt, step

    (p1, o1, eager), (p2, o2, step) = make(lab_params()), make(lab_params())
    x, y = lab_data()
    return (p1, o1, eager), (p2, o2, compile(step)), (Tensor(x.numpy().astype(dtype)),
                                                       Tensor(y.numpy().astype(dtype)))


def run_twins(eager, compiled, data, steps):
    for _ in range(steps):
        np.testing.assert_array_equal(eager[2](*data).numpy(), compiled[2](*data).numpy())
    assert_same(eager, compiled)


SCHEDULERS = [
    lambda opt: optim.lr_scheduler.StepLR(opt, step_size=3, gamma=0.5),
    lambda opt: optim.lr_scheduler.ExponentialLR(opt, gamma=0.9),
    lambda opt: optim.lr_scheduler.CosineAnnealingLR(opt, T_max=7),
]
SGDS = [
    lambda p: optim.SGD(p, lr=0.5),
    lambda p: optim.SGD(p, lr=0.1, momentum=0.9, dampening=0.3, weight_decay=0.01),
    lambda p: optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True, maximize=True),
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("make_sched", SCHEDULERS)
@pytest.mark.parametrize("make_opt", SGDS)
def test_sgd_with_a_scheduler_replays_one_trace(make_opt, make_sched, dtype):
    eager, compiled, data = lab_twins(make_opt, dtype, make_sched)
    run_twins(eager, compiled, data, 20)
    assert compiled[2].stats == {"eager": 1, "traced": 1, "replayed": 18}
    assert eager[1].param_groups[0]["lr"] == compiled[1].param_groups[0]["lr"]


ADAMS = [  # and the other optimizers that count steps
    lambda p: optim.Adam(p, lr=0.05),
    lambda p: optim.Adam(p, lr=0.05, amsgrad=True, weight_decay=0.1),
    lambda p: optim.Adam(p, lr=0.05, betas=(0.3, 0.99), maximize=True, weight_decay=0.1),
    lambda p: optim.AdamW(p, lr=0.05),
    lambda p: optim.AdamW(p, lr=0.05, amsgrad=True, maximize=True),
    lambda p: optim.RMSprop(p, lr=0.01),
    lambda p: optim.RMSprop(p, lr=0.01, alpha=0.3, momentum=0.5, centered=True,
                            weight_decay=0.1, maximize=True),
    lambda p: optim.Adagrad(p, lr=0.1),
    lambda p: optim.Adagrad(p, lr=0.1, lr_decay=0.01, weight_decay=0.1, maximize=True),
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("make_opt", ADAMS)
def test_step_counts_and_bias_corrections_follow_eager(make_opt, dtype):
    eager, compiled, data = lab_twins(make_opt, dtype,
                                      lambda opt: optim.lr_scheduler.ExponentialLR(opt, 0.95))
    run_twins(eager, compiled, data, 50)
    assert compiled[2].stats == {"eager": 1, "traced": 1, "replayed": 48}
    assert compiled[1].state_dict()["state"][0]["step"] == 50


@pytest.mark.parametrize(("make_opt", "key", "values"), [
    (SGDS[1], "momentum", (0, 0.5)),
    (SGDS[1], "nesterov", (True, False)),
    (ADAMS[1], "amsgrad", (False, True)),
    (ADAMS[5], "momentum", (0.5, 0)),
    (ADAMS[5], "centered", (True, False)),
])
def test_structural_option_changes_trace_again(make_opt, key, values):
    eager, compiled, data = lab_twins(make_opt, np.float64)
    run_twins(eager, compiled, data, 4)
    for value in values:
        for _, opt, _ in (eager, compiled):
            opt.param_groups[0][key] = value
        run_twins(eager, compiled, data, 4)
    assert compiled[2].stats["traced"] == 3  # each branch is a new trace


def test_a_scheduler_stepped_before_the_optimizer_is_followed():
    eager, compiled = [], []
    for side in (eager, compiled):
        params = [Tensor(p.numpy(), requires_grad=True) for p in lab_params()]
        opt = optim.SGD(params, lr=0.1, momentum=0.9)
        sched = optim.lr_scheduler.ExponentialLR(opt, 0.5)

        def step(x, y, params=params, opt=opt, sched=sched):
            opt.zero_grad()
            loss = mse(lab_forward(params, x), y)
            loss.backward()
            sched.step()  # before opt.step(): the step must use the new learning rate
            opt.step()
            return loss

        side += [params, opt, step]
    compiled[2] = compile(compiled[2])
    with pytest.warns(UserWarning):
        run_twins(eager, compiled, lab_data(), 6)
    assert compiled[2].stats["replayed"] >= 2


@pytest.mark.parametrize("make_opt", [SGDS[1], ADAMS[1]])
def test_loaded_optimizer_state_is_used(make_opt):
    eager, compiled, data = lab_twins(make_opt, np.float64)
    run_twins(eager, compiled, data, 3)
    saved = [opt.state_dict() for _, opt, _ in (eager, compiled)]
    run_twins(eager, compiled, data, 3)
    for (_, opt, _), state in zip((eager, compiled), saved, strict=True):
        opt.load_state_dict(state)
    run_twins(eager, compiled, data, 4)
    assert compiled[2].stats["traced"] == 2


def test_adam_parameters_with_their_own_step_counts():
    eager, compiled, data = lab_twins(ADAMS[0], np.float64)
    run_twins(eager, compiled, data, 3)
    for params, opt, _ in (eager, compiled):  # an eager step of one parameter only
        for p in params[1:]:
            p.grad = None
        opt.step()
    run_twins(eager, compiled, data, 4)
    steps = [entry["step"] for entry in compiled[1].state_dict()["state"].values()]
    assert steps == [8, 7, 7, 7, 7, 7]
    assert compiled[2].stats["replayed"] == 4


@pytest.mark.parametrize("set_to_none", [True, False])
def test_zero_grad_and_accumulation_follow_eager(set_to_none):
    def make(params):
        opt = optim.SGD(params, lr=0.1)

        def step(x, y, update):
            if update:
                opt.step()
                opt.zero_grad(set_to_none=set_to_none)
            mse(lab_forward(params, x), y).backward()  # accumulates between updates

        return step

    p1, p2 = lab_params(), lab_params()
    eager, compiled = make(p1), compile(make(p2))
    x, y = lab_data()
    eager(x, y, False), compiled(x, y, False)
    for update in (False, True, False, False, True, True, False, True):
        eager(x, y, update), compiled(x, y, update)
        for a, b in zip(p1, p2, strict=True):
            np.testing.assert_array_equal(a.numpy(), b.numpy())
            np.testing.assert_array_equal(a.grad.numpy(), b.grad.numpy())
    assert compiled.stats["replayed"] > 0


def picked(scores, labels):
    """``-sum(scores[i, labels[i]])``: its gradient is scattered into a fresh np.zeros,
    as cross-entropy's one-hot is, so each replay must start from zeros again."""
    rows, lab = np.arange(len(labels.numpy())), labels.numpy()

    def backward(g, out, x):
        grad = np.zeros(x.shape)
        grad[rows, lab] = -1.0
        return (g * grad,)

    return Tensor.from_op(-scores.numpy()[rows, lab].sum(), (scores,), backward, "picked")


def test_arrays_made_while_tracing_start_from_their_values_at_each_replay():
    params = lab_params()
    rng = np.random.default_rng(0)
    x = Tensor(rng.uniform(size=(6, 2)))

    def step(x, labels):
        for p in params:
            p.grad = None
        scores = linear(x, params[0], params[1])
        picked(scores, labels).backward()
        return scores

    compiled = compile(step)
    for _ in range(5):
        labels = Tensor(rng.integers(0, 4, 6))
        compiled(x, labels)
        expected = np.zeros((6, 4))
        expected[np.arange(6), labels.numpy()] = -1.0
        np.testing.assert_array_equal(params[1].grad.numpy(), expected.sum(axis=0))
    assert compiled.stats["replayed"] == 3


def test_kept_losses_are_not_overwritten():
    _, compiled = twins(lambda p: optim.SGD(p, lr=0.5))
    x, y = lab_data()
    losses = [compiled[2](x, y) for _ in range(6)]
    values = [loss.item() for loss in losses]
    assert len(set(values)) == 6  # each call kept its own value
    assert [loss.item() for loss in losses] == values
    assert not losses[-1].requires_grad


def test_returned_tensors_from_outside_are_the_same_objects():
    params = lab_params()

    @compile
    def step(x):
        return lab_forward(params, x), params[0], 3, "text"

    x, _ = lab_data()
    for _ in range(3):
        out, w, three, text = step(x)
    assert w is params[0] and three == 3 and text == "text"
    np.testing.assert_array_equal(out.numpy(), lab_forward(params, x).numpy())


def test_print_lists_the_numpy_calls():
    _, compiled = twins(lambda p: optim.SGD(p, lr=0.5))
    assert "not traced yet" in str(compiled[2])
    x, y = lab_data()
    for _ in range(2):
        compiled[2](x, y)
    text = str(compiled[2])
    assert text.startswith("def replay(a0, a1):")
    assert "dot(" in text and "exp(" in text and "T0.grad = G0" in text
    assert "# x0: input (20, 2) float64" in text


# ------------------------------------------------------------------------- guards


def test_other_shapes_dtypes_and_requires_grad_retrace():
    _, compiled = twins(lambda p: optim.SGD(p, lr=0.5))
    step = compiled[2]
    x, y = lab_data(20)
    x2, y2 = lab_data(30)
    for _ in range(3):
        step(x, y)
    assert step.stats == {"eager": 1, "traced": 1, "replayed": 1}
    for _ in range(3):
        step(x2, y2)  # a new signature: warm-up, trace, replay
    assert step.stats == {"eager": 2, "traced": 2, "replayed": 2}
    step(x, y)  # the first trace is kept
    assert step.stats["replayed"] == 3
    x32 = Tensor(x.numpy().astype(np.float32))
    step(x32, y), step(x32, y)
    assert step.stats["traced"] == 3
    xg = Tensor(x.numpy(), requires_grad=True)
    step(xg, y), step(xg, y)
    assert step.stats["traced"] == 4


def test_grad_mode_is_part_of_the_signature():
    params = lab_params()

    @compile
    def forward(x):
        return lab_forward(params, x)

    x, _ = lab_data()
    for _ in range(3):
        forward(x)
    with tl.no_grad():
        for _ in range(3):
            forward(x)
    assert forward.stats == {"eager": 2, "traced": 2, "replayed": 2}


def test_python_values_of_arguments_are_guarded():
    params = lab_params()

    @compile
    def scaled(x, factor):
        return lab_forward(params, x) * factor

    x, _ = lab_data()
    for factor in (2.0, 2.0, 2.0, 3.0, 3.0, 3.0):
        np.testing.assert_array_equal(
            scaled(x, factor).numpy(), lab_forward(params, x).numpy() * factor
        )
    assert scaled.stats["traced"] == 2


def test_objects_nested_and_keyword_arguments_select_their_own_trace():
    first, second = lab_params(0), lab_params(1)

    @compile
    def forward(params, x, pair=(None, None), *, shift=None):
        out = lab_forward(params, x) + pair[0] * pair[1]
        return out if shift is None else out + shift

    def expected(params, x, pair, shift=None):
        out = lab_forward(params, x).numpy() + pair[0].numpy() * pair[1].numpy()
        return out if shift is None else out + shift.numpy()

    x, y = lab_data()
    calls = [(first, (x, y), None), (second, (y, x), None), (first, (x, x), y)] * 3
    for params, pair, shift in calls:
        kwargs = {} if shift is None else {"shift": shift}
        np.testing.assert_array_equal(forward(params, x, pair, **kwargs).numpy(),
                                      expected(params, x, pair, shift))
    assert forward.stats == {"eager": 3, "traced": 3, "replayed": 3}


def test_an_object_argument_selects_its_own_trace():
    apply = compile(lambda fn, x: fn(x) * 2.0)
    x, _ = lab_data()
    for fn in [tl.sigmoid, tl.tanh] * 4:
        np.testing.assert_array_equal(apply(fn, x).numpy(), fn(x).numpy() * 2.0)
    assert apply.stats == {"eager": 2, "traced": 2, "replayed": 4}


def test_rebinding_a_global_or_closure_variable_retraces():
    params = lab_params()
    scale = [Tensor(np.array(2.0))]

    def make():
        factor = scale[0]

        def step(x):
            return lab_forward(params, x) * factor

        return step

    step = compile(make())
    x, _ = lab_data()
    step(x), step(x), step(x)
    assert step.stats["replayed"] == 1
    scale[0].numpy()[...] = 5.0  # changed in place: read at replay
    np.testing.assert_array_equal(step(x).numpy(), lab_forward(params, x).numpy() * 5.0)
    assert step.stats["replayed"] == 2


def test_a_replaced_parameter_array_retraces():
    eager, compiled = twins(lambda p: optim.SGD(p, lr=0.5))
    x, y = lab_data()
    for _ in range(3):
        eager[2](x, y), compiled[2](x, y)
    for params in (eager[0], compiled[0]):
        params[0].data = Tensor(np.full((4, 2), 0.25))  # a new array, not in place
    for _ in range(3):
        np.testing.assert_array_equal(eager[2](x, y).numpy(), compiled[2](x, y).numpy())
    assert_same(eager, compiled)
    assert compiled[2].stats["traced"] == 2


def test_train_and_eval_flags_are_guarded():
    class Scale(tl.nn.Module):
        def forward(self, x):
            return x * 2.0 if self.training else x * 3.0

    module = Scale()
    step = compile(module)
    x = Tensor(np.ones(3))
    for _ in range(3):
        np.testing.assert_array_equal(step(x).numpy(), 2.0)
    module.eval()
    for _ in range(3):
        np.testing.assert_array_equal(step(x).numpy(), 3.0)
    assert step.stats["traced"] == 2


def test_data_dependent_check_still_raises_at_replay():
    eager, compiled = twins(lambda p: optim.SGD(p, lr=0.5))
    x, y = lab_data()
    for _ in range(3):
        compiled[2](x, y)
    bad = Tensor(-y.numpy())
    with pytest.raises(ValueError, match="labels must be >= 0"):
        compiled[2](x, bad)
    with pytest.raises(ValueError, match="labels must be >= 0"):
        eager[2](x, bad)
    for _ in range(3):
        eager[2](x, y)
    for _ in range(3):  # good data replays again, still equal to eager
        compiled[2](x, y), eager[2](x, y)
    assert_same(eager, compiled)
    # the bad call ran eagerly, and so did the next (its .grad were None, as left by
    # the failed call), then replays resumed
    assert compiled[2].stats == {"eager": 3, "traced": 1, "replayed": 3}


def test_data_dependent_branch_runs_eagerly_when_it_changes():
    params = lab_params()

    @compile
    def step(x):
        out = lab_forward(params, x)
        if (x.numpy() > 10).any():
            return out * 2.0
        return out

    x, _ = lab_data()
    for _ in range(3):
        step(x)
    big = Tensor(np.full((20, 2), 50.0))
    np.testing.assert_array_equal(step(big).numpy(), lab_forward(params, big).numpy() * 2.0)
    np.testing.assert_array_equal(step(x).numpy(), lab_forward(params, x).numpy())
    assert step.stats == {"eager": 2, "traced": 1, "replayed": 2}


# ------------------------------------------------------------------ memory, threads


@pytest.mark.parametrize("make_opt", [lambda p: optim.SGD(p, lr=0.01, momentum=0.9),
                                      lambda p: optim.Adam(p, lr=0.01)])
def test_memory_is_flat_over_many_replays(make_opt):
    _, compiled = twins(make_opt)
    x, y = lab_data()
    tracemalloc.start()
    try:
        # First the caches fill (the optimizer's recent constants, Python's free lists of
        # tuples), then nothing may grow: no graph, no buffer, no record per call.
        for _ in range(2000):
            compiled[2](x, y)
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(1000):
            compiled[2](x, y)
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert after - before < 2_000, after - before


def test_other_threads_run_eagerly_while_a_trace_runs():
    params = lab_params()
    tracing, done = threading.Event(), threading.Event()
    results = []
    calls = []

    def other():
        tracing.wait(5)
        with tl.no_grad():  # NumPy and the framework, plain, while the other thread traces
            results.append(lab_forward(lab_params(1), lab_data()[0]).numpy())
            results.append(np.zeros(3))
        done.set()

    @compile
    def step(x):
        calls.append(1)
        if len(calls) == 2:  # the traced call: let the other thread work meanwhile
            tracing.set()
            done.wait(5)
        return lab_forward(params, x)

    thread = threading.Thread(target=other)
    thread.start()
    x, _ = lab_data()
    step(x), step(x)
    thread.join()
    assert [type(r) for r in results] == [np.ndarray, np.ndarray]
    with tl.no_grad():
        np.testing.assert_array_equal(results[0], lab_forward(lab_params(1), x).numpy())
    assert step.stats["traced"] == 1 and "dot(" in str(step)


# ------------------------------------------------------- NumPy and ops inside a trace


@pytest.mark.parametrize("dtype", [np.int64, np.float64])
def test_in_place_ufunc_on_a_0d_array_is_replayed(dtype):
    def step(x):
        count = np.zeros((), dtype=dtype)  # a 0-d array changed in place (a counter)
        count += 3
        count *= 2
        return x * Tensor(count)

    compiled = compile(step)
    x, _ = lab_data()
    for _ in range(4):
        np.testing.assert_array_equal(compiled(x).numpy(), step(x).numpy())
    assert compiled.stats == {"eager": 1, "traced": 1, "replayed": 2}


def test_pad_forward_and_backward_are_replayed():
    def step(x):
        padded = x.pad(((1, 0), (0, 2)), value=2.0)
        loss = (padded * padded).sum()
        loss.backward()
        return loss

    compiled = compile(step)
    for seed in range(4):
        x, _ = lab_data(seed=seed)
        x1, x2 = (Tensor(x.numpy(), requires_grad=True) for _ in range(2))
        np.testing.assert_array_equal(compiled(x2).numpy(), step(x1).numpy())
        np.testing.assert_array_equal(x2.grad.numpy(), x1.grad.numpy())
    assert compiled.stats == {"eager": 1, "traced": 1, "replayed": 2}


def test_matmul_of_matrices_and_vectors_becomes_dot_and_other_matmuls_stay():
    rng = np.random.default_rng(0)
    w = Tensor(rng.standard_normal((5, 5)), requires_grad=True)
    ones = Tensor(np.ones(4))

    def step(x, batch):
        loss = (x @ w).sum() + (x @ x.T).sum() + (batch @ w).sum()  # x @ x.T: shared
        loss = loss + (ones @ (x @ w)).sum() + ((x @ w) @ ones[:1].expand(5)).sum()
        loss.backward()
        return loss

    compiled = compile(step)
    x, batch = Tensor(rng.standard_normal((4, 5))), Tensor(rng.standard_normal((2, 4, 5)))
    for _ in range(4):
        w.grad = None
        expected, expected_grad = step(x, batch).numpy(), w.grad.numpy().copy()
        w.grad = None
        np.testing.assert_array_equal(compiled(x, batch).numpy(), expected)
        np.testing.assert_array_equal(w.grad.numpy(), expected_grad)
    text = str(compiled)
    assert compiled.stats["replayed"] == 2
    assert "dot(x0, p0, " in text and "dot(p1, " in text  # x @ w, ones @ (x @ w)
    assert "dot(x0, v0, " in text  # x @ x.T: eager's own np.dot (2-D), replayed as it is
    assert "matmul(x1, p0, " in text  # batch @ w stays


def test_a_numpy_scalar_result_is_set_into_its_buffer():
    def step(x):
        d = x.numpy()
        return Tensor(np.vdot(d, d) + np.float64(1.0))  # NumPy scalars, no out=

    compiled = compile(step)
    for seed in range(4):
        x, _ = lab_data(seed=seed)
        np.testing.assert_array_equal(compiled(x).numpy(), step(x).numpy())
    assert compiled.stats["replayed"] == 2 and "[()] = vdot(" in str(compiled)


# ------------------------------------------------------------------- untraceable


def _second_call_raises(fn, *args, match):
    compiled = compile(fn)
    compiled(*args)  # warm-up: eager, works
    with pytest.raises(TracingError, match=match):
        compiled(*args)


def test_item_inside_the_step_raises():
    params = lab_params()
    x, y = lab_data()
    _second_call_raises(lambda x, y: mse(lab_forward(params, x), y).item(), x, y,
                        match=r"\.item\(\)")
    _second_call_raises(lambda x, y: float(mse(lab_forward(params, x), y)), x, y,
                        match=r"\.item\(\)")  # float() of a tensor reads .item()
    _second_call_raises(lambda x, y: float(mse(lab_forward(params, x), y).numpy()), x, y,
                        match=r"float\(\)")


def test_data_dependent_shapes_raise():
    x, _ = lab_data()
    _second_call_raises(lambda x: Tensor(np.nonzero(x.numpy() > 0.5)[0]), x, match="nonzero")
    _second_call_raises(lambda x: Tensor(x.numpy()[x.numpy() > 0.5]), x, match="boolean mask")


def test_random_draws_are_replayed_like_eager():
    x, _ = lab_data()
    step = compile(lambda x: x * tl.rand(20, 2) + tl.randn(20, 2, dtype=tl.float64))
    tl.manual_seed(0)
    compiled = [step(x).numpy() for _ in range(4)]
    tl.manual_seed(0)
    eager = [(x * tl.rand(20, 2) + tl.randn(20, 2, dtype=tl.float64)).numpy() for _ in range(4)]
    for a, b in zip(compiled, eager, strict=True):
        np.testing.assert_array_equal(a, b)
    assert step.stats["replayed"] == 2


def test_other_random_draws_raise():
    x, _ = lab_data()
    _second_call_raises(lambda x: x + tl.randint(0, 3, (20, 2)), x, match="Generator.integers")


def test_changing_an_input_in_place_raises():
    x, _ = lab_data()

    def step(x):
        with tl.no_grad():
            x.add_(1.0)
        return x

    _second_call_raises(step, x, match="input of the step in place")


def test_optimizer_closure_raises():
    params = lab_params()
    opt = optim.SGD(params, lr=0.1)
    x, y = lab_data()

    def step(x, y):
        def closure():
            opt.zero_grad()
            loss = mse(lab_forward(params, x), y)
            loss.backward()
            return loss

        return opt.step(closure)

    _second_call_raises(step, x, y, match="closure")


def test_entry_points_are_restored_after_a_failed_trace():
    x, _ = lab_data()
    step = compile(lambda x: mse(x, x).item())
    step(x)
    with pytest.raises(TracingError):
        step(x)
    assert type(np.zeros(3)) is np.ndarray
    assert "_array" in Tensor.__dict__ and not isinstance(Tensor.__dict__["_array"], property)
    assert type(tl.random.get_rng()) is np.random.Generator
    assert type(x.numpy()) is np.ndarray


def test_anomaly_mode_runs_eagerly():
    params = lab_params()
    step = compile(lambda x: lab_forward(params, x))
    x, _ = lab_data()
    with tl.detect_anomaly():
        for _ in range(3):
            step(x)
    assert step.stats == {"eager": 0, "traced": 0, "replayed": 0}


# --------------------------------------------------- the framework's models and losses


def twin_models(make_model, make_opt, seed=0):
    """Two models with the same weights and optimizers, the second one's step compiled."""
    tl.manual_seed(seed)
    first = make_model()
    second = make_model()
    second.load_state_dict(first.state_dict())
    return [(model, make_opt(list(model.parameters()))) for model in (first, second)]


def train_both(twins_, loss_fn, batches, epochs):
    def make(model, opt):
        def step(x, y):
            opt.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            opt.step()
            return loss

        return step

    (m1, o1), (m2, o2) = twins_
    eager, compiled = make(m1, o1), compile(make(m2, o2))
    for _ in range(epochs):
        for x, y in batches:
            np.testing.assert_array_equal(eager(x, y).numpy(), compiled(x, y).numpy())
    assert_same((list(m1.parameters()), o1, None), (list(m2.parameters()), o2, None))
    return compiled


def lab_model():
    nn = tl.nn
    return nn.Sequential(nn.Linear(2, 4), nn.Sigmoid(), nn.Linear(4, 4), nn.Sigmoid(),
                         nn.Linear(4, 1), nn.Sigmoid())


@pytest.mark.parametrize("loss_fn", [tl.nn.functional.mse_loss,
                                     tl.nn.functional.binary_cross_entropy])
@pytest.mark.parametrize("make_opt", OPTIMIZERS)
def test_framework_lab_network_equals_eager(loss_fn, make_opt):
    tl.set_default_dtype(np.float64)
    x, y = lab_data(100)
    compiled = train_both(twin_models(lab_model, make_opt), loss_fn, [(x, y)], epochs=5)
    assert compiled.stats == {"eager": 1, "traced": 1, "replayed": 3}


def digits_batches(n=160, batch=64):
    from sklearn.datasets import load_digits

    digits = load_digits()
    X = (digits.data[:n] / 16.0).astype(np.float32)
    y = digits.target[:n].astype(np.int64)
    return [(Tensor(X[i:i + batch]), Tensor(y[i:i + batch])) for i in range(0, n, batch)]


def test_digits_mlp_with_adam_equals_eager():
    nn = tl.nn
    batches = digits_batches()  # 64, 64 and 32 samples: two signatures

    def model():
        return nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(),
                             nn.Linear(32, 10))

    compiled = train_both(twin_models(model, lambda p: optim.Adam(p, lr=1e-2)),
                          tl.nn.functional.cross_entropy, batches, epochs=4)
    assert compiled.stats == {"eager": 2, "traced": 2, "replayed": 8}


def test_cross_entropy_label_check_still_raises():
    nn = tl.nn
    batches = digits_batches(n=64)
    (m1, o1), (m2, o2) = twin_models(lambda: nn.Linear(64, 10), lambda p: optim.SGD(p, 0.1))

    @compile
    def step(x, y):
        o2.zero_grad()
        loss = tl.nn.functional.cross_entropy(m2(x), y)
        loss.backward()
        o2.step()
        return loss

    x, y = batches[0]
    for _ in range(3):
        step(x, y)
    bad = Tensor(np.where(y.numpy() == 3, 10, y.numpy()))
    with pytest.raises(Exception) as compiled_error:
        step(x, bad)
    with pytest.raises(Exception) as eager_error:
        tl.nn.functional.cross_entropy(m1(x), bad)
    assert type(compiled_error.value) is type(eager_error.value)
    assert str(compiled_error.value) == str(eager_error.value)


class SignalNet(tl.nn.Module):
    """The conv1d example's network (examples/conv1d_signals.py)."""

    def __init__(self):
        super().__init__()
        nn = tl.nn
        self.features = nn.Sequential(
            nn.Conv1d(1, 8, kernel_size=5, padding=2), nn.ReLU(), nn.MaxPool1d(2),
            nn.Conv1d(8, 16, kernel_size=5, padding=2), nn.ReLU(), nn.MaxPool1d(2),
            nn.Conv1d(16, 16, kernel_size=3, padding=1), nn.ReLU(),
        )
        self.classifier = nn.Linear(16, 3)

    def forward(self, x):
        return self.classifier(self.features(x).mean(axis=2))


def test_conv1d_example_network_equals_eager():
    rng = np.random.default_rng(0)
    x = Tensor(rng.standard_normal((16, 1, 32)).astype(np.float32))
    y = Tensor(rng.integers(0, 3, 16))
    compiled = train_both(twin_models(SignalNet, lambda p: optim.Adam(p, lr=1e-2)),
                          tl.nn.functional.cross_entropy, [(x, y)], epochs=4)
    assert compiled.stats["replayed"] == 2


def test_dropout_draws_at_each_replay_as_eager_and_eval_retraces():
    tl.set_default_dtype(np.float64)
    nn = tl.nn

    def model():
        return nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Dropout(0.5), nn.Linear(8, 1))

    (m1, o1), (m2, o2) = twin_models(model, lambda p: optim.SGD(p, lr=0.1))
    x, y = lab_data()

    def make(model, opt):
        def step(x, y):
            opt.zero_grad()
            loss = tl.nn.functional.mse_loss(model(x), y)
            loss.backward()
            opt.step()
            return loss

        return step

    eager, compiled = make(m1, o1), compile(make(m2, o2))
    tl.manual_seed(1)
    expected = [eager(x, y).item() for _ in range(6)]
    tl.manual_seed(1)
    assert [compiled(x, y).item() for _ in range(6)] == expected
    assert len(set(expected)) == 6 and compiled.stats["replayed"] == 4
    assert_same((list(m1.parameters()), o1, None), (list(m2.parameters()), o2, None))
    m1.eval(), m2.eval()
    for _ in range(3):
        np.testing.assert_array_equal(eager(x, y).numpy(), compiled(x, y).numpy())
    assert compiled.stats["traced"] == 2


def test_a_numpy_array_copied_in_the_step_is_read_at_each_replay():
    params = lab_params()
    offset = np.zeros((20, 1))

    @compile
    def step(x):
        return lab_forward(params, x) + Tensor(offset)  # Tensor(...) copies the array

    x, _ = lab_data()
    for value in range(5):
        offset[...] = value  # changed in place between calls
        np.testing.assert_array_equal(step(x).numpy(), lab_forward(params, x).numpy() + value)
    assert step.stats["replayed"] == 3


def test_a_subclass_with_its_own_step_runs_eagerly():
    class CountingSGD(optim.SGD):
        def step(self, closure=None):
            self.calls = getattr(self, "calls", 0) + 1  # Python state a trace cannot replay
            return super().step(closure)

    eager, compiled = twins(lambda p: CountingSGD(p, lr=0.5))
    x, y = lab_data()
    for _ in range(5):
        eager[2](x, y), compiled[2](x, y)
    assert compiled[1].calls == eager[1].calls == 5
    assert_same(eager, compiled)
    assert "opt0.step()  # eager" in str(compiled[2])


def test_a_compiled_function_called_inside_a_traced_step_is_inlined():
    params = lab_params()
    inner = compile(lambda x: lab_forward(params, x))

    @compile
    def outer(x):
        return inner(x) * 2.0

    x, _ = lab_data()
    for _ in range(4):
        np.testing.assert_array_equal(outer(x).numpy(), lab_forward(params, x).numpy() * 2)
    assert outer.stats["replayed"] == 2 and inner.stats["traced"] == 0


def test_inputs_that_require_grad_get_their_gradient_as_in_eager():
    params = lab_params()

    def step(x, y):
        loss = mse(lab_forward(params, x), y)
        loss.backward()
        return loss

    compiled = compile(step)
    _, y = lab_data()
    for seed in range(4):
        x, _ = lab_data(seed=seed)
        x1, x2 = (Tensor(x.numpy(), requires_grad=True) for _ in range(2))
        for p in params:
            p.grad = None
        step(x1, y)
        for p in params:
            p.grad = None
        compiled(x2, y)
        np.testing.assert_array_equal(x1.grad.numpy(), x2.grad.numpy())
    assert compiled.stats["replayed"] == 2


def conv_block_step(block):
    """The benchmarks' conv1d step: it resets the gradients, its input's included."""

    def step(x, g):
        block.zero_grad()
        x.grad = None
        loss = (block(x) * g).sum()
        loss.backward()
        return loss

    return step


def test_a_step_that_resets_its_inputs_grad_is_replayed_bit_for_bit():
    nn = tl.nn
    (b1, _), (b2, _) = twin_models(
        lambda: nn.Sequential(nn.Conv1d(4, 6, 5, padding=2), nn.ReLU(), nn.MaxPool1d(2)),
        lambda p: optim.SGD(p, lr=0.1))
    eager, compiled = conv_block_step(b1), compile(conv_block_step(b2))
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 4, 16)).astype(np.float32)
    g = Tensor(rng.standard_normal((3, 6, 8)).astype(np.float32))
    x1, x2 = Tensor(x, requires_grad=True), Tensor(x, requires_grad=True)
    for _ in range(5):  # x keeps the gradient of the previous call: the step resets it
        np.testing.assert_array_equal(eager(x1, g).numpy(), compiled(x2, g).numpy())
        np.testing.assert_array_equal(x1.grad.numpy(), x2.grad.numpy())
        for p1, p2 in zip(b1.parameters(), b2.parameters(), strict=True):
            np.testing.assert_array_equal(p1.grad.numpy(), p2.grad.numpy())
    assert compiled.stats == {"eager": 1, "traced": 1, "replayed": 3}


def test_an_input_gradient_the_step_reads_is_never_replayed_stale():
    step = compile(lambda x: x.grad * 2.0)
    for value in range(4):
        x = Tensor([1.0, 2.0], requires_grad=True)
        x.grad = Tensor([float(value), 1.0])
        np.testing.assert_array_equal(step(x).numpy(), [2.0 * value, 2.0])
    assert step.stats["replayed"] == 0


def test_an_input_gradient_set_to_none_by_the_step_is_none_after_a_replay():
    def step(x):
        x.grad = None
        return x * 2.0

    compiled = compile(step)
    for _ in range(4):
        x = Tensor([1.0, 2.0])
        x.grad = Tensor([5.0, 5.0])
        compiled(x)
        assert x.grad is None
    assert compiled.stats["replayed"] == 2


def test_torch_compile_settings_are_accepted():
    params = lab_params()

    def forward(x):
        return lab_forward(params, x)

    assert compile(forward, disable=True) is forward
    step = compile(mode="reduce-overhead", fullgraph=True, dynamic=False)(forward)
    x, _ = lab_data()
    for _ in range(3):
        np.testing.assert_array_equal(step(x).numpy(), forward(x).numpy())
    assert step.stats["replayed"] == 1
    with pytest.raises(TypeError):
        compile(forward, unknown=1)
    with pytest.raises(TypeError, match="expected a function"):
        compile(3)


def test_prod_forward_and_backward_are_replayed():
    def step(x):
        loss = (x.prod(dim=1) ** 2).sum()
        loss.backward()
        return loss

    compiled = compile(step)
    for seed in range(4):
        x, _ = lab_data(seed=seed)
        x = Tensor(x.numpy()[:10].reshape(4, 5))
        x1, x2 = (Tensor(x.numpy(), requires_grad=True) for _ in range(2))
        np.testing.assert_array_equal(compiled(x2).numpy(), step(x1).numpy())
        np.testing.assert_array_equal(x2.grad.numpy(), x1.grad.numpy())
    assert compiled.stats == {"eager": 1, "traced": 1, "replayed": 2}
