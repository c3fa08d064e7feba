"""The engine's rules at the edges: in-place changes and version counters, ``.data``,
per-thread modes, graphs freed after backward, hooks, validation of backward's input,
thread-safe accumulation, and gradients of gradients (``autograd.grad``)."""

import gc
import threading
import tracemalloc
import weakref

import numpy as np
import pytest
from conftest import leaf

import tinygrad_lab as tl
from tinygrad_lab import Tensor
from tinygrad_lab.autograd import grad
from tinygrad_lab.testing import GradcheckError, gradcheck, gradgradcheck


def seed_like(t):
    return np.ones(t.shape)


# --------------------------------------------------------------------- in place


def test_update_under_no_grad_changes_the_parameter_in_place():
    w = tl.tensor([1.0, 2.0], requires_grad=True)
    same = w
    (w * w).backward(np.ones(2))
    with tl.no_grad():
        w -= 0.5 * w.grad
    w.grad.zero_()
    assert w is same and w.tolist() == [0.0, 0.0] and w.grad.tolist() == [0.0, 0.0]
    assert w.requires_grad and w.is_leaf


def test_in_place_on_a_leaf_that_requires_grad_raises_in_grad_mode():
    w = leaf([1.0, 2.0])
    for update in (lambda: w.add_(1.0), lambda: w.mul_(2.0), lambda: w.zero_()):
        with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
            update()
    with pytest.raises(RuntimeError, match="leaf"):
        w += 1
    assert w.tolist() == [1.0, 2.0]  # nothing changed


def test_changing_a_value_that_backward_needs_raises_naming_the_op():
    w = leaf([1.0, 2.0])
    out = w.exp() * w
    with tl.no_grad():
        w.sub_(1.0)
    with pytest.raises(RuntimeError, match=r"modified by an inplace operation.*'mul'"):
        out.backward(np.ones(2))


def test_optimizer_step_between_forward_and_backward_raises():
    w = leaf([1.0, 2.0])
    opt = tl.optim.SGD([w], lr=0.1)
    w.grad = Tensor(np.ones(2))
    loss = w * w
    opt.step()
    with pytest.raises(RuntimeError, match="inplace"):
        loss.backward(np.ones(2))


def test_data_updates_share_storage_and_bump_the_version():
    p = leaf([1.0, 2.0])
    p.data += -1 * Tensor([1.0, 1.0])
    assert p.tolist() == [0.0, 1.0] and p._version == 1
    p.data.copy_(Tensor([5.0, 6.0]))
    assert p.tolist() == [5.0, 6.0] and p._version == 2
    assert isinstance(p.data, Tensor) and not p.data.requires_grad
    p.data = Tensor([7.0, 8.0])
    assert p.tolist() == [7.0, 8.0] and p.requires_grad


def test_in_place_on_a_non_leaf_becomes_part_of_the_graph():
    x = leaf([1.0, 2.0])
    y = x * 2
    y += 1
    y.mul_(y)  # (2x + 1)²
    y.backward(np.ones(2))
    np.testing.assert_allclose(x.grad.numpy(), 4 * (2 * np.array([1.0, 2.0]) + 1))
    assert y.grad_fn.name() == "MulBackward"


def test_in_place_on_a_plain_buffer_with_a_graph_operand_records_it():
    w = leaf([1.0, 2.0])
    buf = tl.zeros(2, dtype=tl.float64)
    buf += w * 3
    assert buf.requires_grad and not buf.is_leaf
    buf.backward(np.ones(2))
    assert w.grad.tolist() == [3.0, 3.0]


def test_a_consumer_of_the_old_value_raises_after_an_in_place_change():
    x = leaf([1.0, 2.0])
    y = x * 1
    z = y * y
    y.add_(1)
    with pytest.raises(RuntimeError, match="inplace"):
        z.backward(np.ones(2))


def test_in_place_cannot_change_shape_or_dtype_kind():
    t = tl.zeros(3)
    with pytest.raises(RuntimeError, match="shape"):
        t += tl.ones(2, 3)
    i = tl.zeros(3, dtype=tl.long)
    with pytest.raises(RuntimeError, match="can't be cast"):
        i += 0.5


@pytest.mark.parametrize("name,args", [("add_", (2.0,)), ("sub_", (2.0,)), ("mul_", (3.0,)),
                                       ("div_", (4.0,)), ("clamp_", (0.0, 1.5)),
                                       ("fill_", (7.0,)), ("zero_", ())])
def test_in_place_methods_match_out_of_place_results(name, args):
    values = np.array([-1.0, 0.5, 2.0])
    t = Tensor(values.copy())
    expected = {"add_": values + 2, "sub_": values - 2, "mul_": values * 3,
                "div_": values / 4, "clamp_": np.clip(values, 0, 1.5),
                "fill_": np.full(3, 7.0), "zero_": np.zeros(3)}[name]
    storage = t.numpy()
    assert getattr(t, name)(*args) is t
    assert t.numpy() is storage and np.array_equal(storage, expected) and t._version == 1


# ------------------------------------------------------------------- NumPy views


def test_np_array_copies_and_np_asarray_shares():
    t = Tensor(np.arange(3.0))
    snapshot = np.array(t)
    shared = np.asarray(t)
    t.add_(1)
    assert snapshot.tolist() == [0.0, 1.0, 2.0]
    assert shared.tolist() == [1.0, 2.0, 3.0]


def test_numpy_functions_on_tensors_run_the_ops():
    x = leaf([0.5, 1.0])
    y = np.exp(x) * np.sin(x)
    assert isinstance(y, Tensor) and y.requires_grad
    y.backward(np.ones(2))
    v = np.array([0.5, 1.0])
    np.testing.assert_allclose(x.grad.numpy(), np.exp(v) * (np.sin(v) + np.cos(v)))


def test_a_numpy_function_without_gradient_refuses_a_tensor_that_requires_grad():
    with pytest.raises(TypeError, match="no gradient"):
        np.cumprod(leaf([1.0, 2.0]))
    assert np.cumprod(Tensor([2.0, 3.0])).tolist() == [2.0, 6.0]


def test_iteration_and_len():
    assert [t.item() for t in Tensor([1.0, 2.0])] == [1.0, 2.0]
    with pytest.raises(TypeError, match="0-d"):
        list(Tensor(3.0))


def test_integer_clip_keeps_fractional_bounds():
    out = Tensor(np.array([0, 1, 3])).clip(0.5, 2.5)
    assert out.tolist() == [0.5, 1.0, 2.5] and out.dtype == tl.get_default_dtype()


@pytest.mark.parametrize("reduce", ["sum", "mean", "max", "min", "logsumexp"])
def test_reductions_of_a_0d_tensor_accept_dim_0_and_minus_1(reduce):
    x = leaf(3.0)
    for dim in (0, -1):
        out = getattr(x, reduce)(dim)
        value = out.values if hasattr(out, "values") else out
        assert value.shape == () and value.item() == pytest.approx(3.0)
    x.sum(axis=0).backward()
    assert x.grad.item() == 1.0


def test_dropout_accepts_numpy_scalars():
    assert tl.nn.Dropout(np.float32(0.5)).p == 0.5


# ------------------------------------------------------------------ grad modes


def test_grad_mode_is_per_thread():
    inside = threading.Event()
    release = threading.Event()
    seen = {}

    def worker():
        with tl.no_grad():
            inside.set()
            release.wait(5)
            seen["worker"] = tl.is_grad_enabled()

    thread = threading.Thread(target=worker)
    thread.start()
    inside.wait(5)
    seen["main"] = tl.is_grad_enabled()
    assert (leaf([1.0]) * 2).requires_grad
    release.set()
    thread.join()
    assert seen == {"main": True, "worker": False} and tl.is_grad_enabled()


def test_interleaved_no_grad_blocks_in_threads_never_leave_it_off():
    def worker():
        for _ in range(200):
            with tl.no_grad():
                pass

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert tl.is_grad_enabled()


def test_anomaly_mode_is_per_thread():
    seen = []
    with tl.detect_anomaly():
        thread = threading.Thread(target=lambda: seen.append(tl.engine.modes.anomaly))
        thread.start()
        thread.join()
        assert tl.engine.modes.anomaly
    assert seen == [False] and not tl.engine.modes.anomaly


def test_set_grad_enabled_as_a_decorator_does_not_change_the_mode_when_defined():
    @tl.set_grad_enabled(False)
    def predict():
        return tl.is_grad_enabled()

    assert tl.is_grad_enabled()
    assert predict() is False and predict() is False
    assert tl.is_grad_enabled()


def test_set_grad_enabled_as_a_call_and_as_a_context():
    tl.set_grad_enabled(False)
    assert not tl.is_grad_enabled()
    with tl.set_grad_enabled(True):
        assert tl.is_grad_enabled()
    assert not tl.is_grad_enabled()
    tl.set_grad_enabled(True)


def test_no_grad_on_a_generator_function_covers_its_body_only():
    x = leaf([1.0])

    @tl.no_grad()
    def batches():
        yield x * 2
        yield tl.is_grad_enabled()

    gen = batches()
    first = next(gen)
    assert not first.requires_grad
    assert tl.is_grad_enabled()  # the caller's mode between items
    assert next(gen) is False


def test_no_grad_decorator_restores_the_mode_after_an_exception():
    @tl.no_grad()
    def boom():
        raise ValueError("x")

    with pytest.raises(ValueError):
        boom()
    assert tl.is_grad_enabled()


def test_two_threads_backward_into_one_leaf_lose_no_update():
    w = leaf(np.zeros(4))
    per_thread = 400

    def worker():
        for _ in range(per_thread):
            (w * 1.0).backward(np.ones(4))

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert w.grad.tolist() == [4.0 * per_thread] * 4


# ------------------------------------------------------------ backward's inputs


@pytest.mark.parametrize("bad", [np.ones(2, dtype=complex), np.array([None, None]),
                                 np.array(["a", "b"])])
def test_backward_refuses_non_real_gradients(bad):
    y = leaf([1.0, 2.0]) * 2
    with pytest.raises(TypeError, match="real floating point|not numeric"):
        y.backward(bad)


def test_backward_refuses_a_gradient_of_the_wrong_shape():
    y = leaf([1.0, 2.0]) * 2
    with pytest.raises(RuntimeError, match=r"shape \(3,\)"):
        y.backward(np.ones(3))


def test_a_stale_grad_of_the_wrong_shape_raises_instead_of_broadcasting():
    w = leaf([1.0, 2.0])
    w.grad = Tensor(np.ones((2, 1)))
    with pytest.raises(RuntimeError, match=r"existing \.grad has shape \(2, 1\)"):
        (w * 2).backward(np.ones(2))


# ------------------------------------------------------- graphs freed, memory


def test_keeping_the_loss_after_backward_keeps_no_intermediates():
    x = leaf(np.ones(1000))
    hidden = x.exp()
    loss = hidden * 2
    ref = weakref.ref(hidden)
    del hidden
    loss.backward(np.ones(1000))
    gc.collect()
    assert ref() is None and loss.graph_released and loss.grad_fn is not None


def test_a_released_graph_says_so_on_a_second_backward():
    loss = leaf([1.0]).exp()
    loss.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        loss.backward()


def test_a_training_loop_that_keeps_its_losses_has_flat_memory():
    w = leaf(np.ones(10_000))
    losses = []

    def step():
        h = (w * 2).exp() * 0.5
        loss = h * 1.0
        loss.backward(np.ones(10_000))
        losses.append(loss)
        w.grad = None

    for _ in range(5):
        step()
    tracemalloc.start()
    start = tracemalloc.get_traced_memory()[0]
    for _ in range(20):
        step()
    grown = tracemalloc.get_traced_memory()[0] - start
    tracemalloc.stop()
    # Each kept loss holds its own 80 kB result, but none of the intermediates (3 more).
    assert grown < 20 * 80_000 * 1.5


# -------------------------------------------------------------------------- hooks


def test_tensor_hooks_see_and_replace_the_gradient_and_can_be_removed():
    x = leaf([1.0, 2.0])
    seen = []
    h1 = x.register_hook(lambda g: seen.append(g.tolist()))
    h2 = x.register_hook(lambda g: g * 10)
    (x * x).backward(np.ones(2))
    assert seen == [[2.0, 4.0]] and x.grad.tolist() == [20.0, 40.0]
    h1.remove()
    h2.remove()
    x.grad = None
    (x * x).backward(np.ones(2))
    assert x.grad.tolist() == [2.0, 4.0] and len(seen) == 1


def test_a_hook_on_an_intermediate_changes_what_flows_on():
    x = leaf([1.0, 2.0])
    y = x * 3
    y.register_hook(lambda g: g * 0)
    (y * y).backward(np.ones(2))
    assert x.grad.tolist() == [0.0, 0.0]


def test_a_hook_returning_the_wrong_shape_is_named():
    x = leaf([1.0, 2.0])
    x.register_hook(lambda g: Tensor(np.ones(3)))
    with pytest.raises(RuntimeError, match="shape"):
        (x * 2).backward(np.ones(2))


# ------------------------------------------------------------ grad_fn, repr, misc


def test_grad_fn_names_the_op_and_is_none_for_leaves():
    x = leaf([1.0])
    assert x.grad_fn is None
    assert (x * 2).grad_fn.name() == "MulBackward"
    assert (x * 2).exp().grad_fn.next_functions[0][0].name() == "MulBackward"


def test_devices_are_honest():
    assert tl.cuda.is_available() is False
    assert Tensor([1.0]).to("cpu").device == tl.device("cpu")
    with pytest.raises(RuntimeError, match="CPU only"):
        Tensor([1.0]).to("cuda")
    with pytest.raises(RuntimeError, match="CPU only"):
        tl.device("mps")


def test_missing_pytorch_features_are_named():
    with pytest.raises(AttributeError, match="torch.jit"):
        tl.jit  # noqa: B018
    with pytest.raises(AttributeError, match="torch.no_such_thing"):
        tl.no_such_thing  # noqa: B018


# ------------------------------------------------------- gradients of gradients


def test_autograd_grad_returns_gradients_and_touches_no_grad():
    x = leaf([3.0])
    x.grad = Tensor(np.array([100.0]))
    (dy,) = grad(x * x * x, x, grad_outputs=np.ones(1), create_graph=True)
    assert dy.tolist() == [27.0] and dy.requires_grad
    (d2y,) = grad(dy, x, grad_outputs=np.ones(1))
    assert d2y.tolist() == [18.0] and not d2y.requires_grad
    assert x.grad.tolist() == [100.0]


def test_autograd_grad_needs_allow_unused_for_an_unused_input():
    x, unused = leaf([1.0]), leaf([2.0])
    with pytest.raises(RuntimeError, match="allow_unused=True"):
        grad(x * 2, [x, unused], grad_outputs=np.ones(1))
    gx, gu = grad(x * 2, [x, unused], grad_outputs=np.ones(1), allow_unused=True)
    assert gx.tolist() == [2.0] and gu is None
    gx, gu = grad(x * 2, [x, unused], grad_outputs=np.ones(1), materialize_grads=True)
    assert gu.tolist() == [0.0]


def test_autograd_grad_retain_graph_defaults_to_create_graph():
    x = leaf([2.0])
    y = x.exp()
    grad(y, x, grad_outputs=np.ones(1))
    with pytest.raises(RuntimeError, match="retain_graph"):
        grad(y, x, grad_outputs=np.ones(1))
    y = x.exp()
    grad(y, x, grad_outputs=np.ones(1), create_graph=True)
    grad(y, x, grad_outputs=np.ones(1))  # kept: create_graph retains


def test_autograd_grad_with_respect_to_an_intermediate():
    x = leaf([2.0])
    h = x * 3
    y = h * h
    (gh,) = grad(y, h, grad_outputs=np.ones(1))
    assert gh.tolist() == [12.0] and x.grad is None


def test_backward_create_graph_makes_grad_differentiable():
    x = leaf([2.0])
    (x * x * x).backward(np.ones(1), create_graph=True)
    g = x.grad
    assert g.requires_grad
    x.grad = None
    g.backward(np.ones(1))
    assert x.grad.tolist() == [12.0]


def test_no_grad_inside_the_differentiated_function_stops_the_second_derivative():
    x = leaf([2.0])

    def f(t):
        with tl.no_grad():
            c = t * 1
        return t * c  # c is a constant: d/dx = c, d2/dx2 = 0

    (g,) = grad(f(x), x, grad_outputs=np.ones(1), create_graph=True)
    assert g.tolist() == [2.0] and not g.requires_grad


@pytest.mark.parametrize("fn", [
    lambda a, b: a * b.exp(),
    lambda a, b: a / b,
    lambda a, b: a ** b,
    lambda a, b: (a * b).sin() + a.cos(),
    lambda a, b: tl.maximum(a, b) * a,
    lambda a, b: tl.where(a > 0.5, a * a, b * a),
    lambda a, b: a.sqrt() * b.log() + a.abs(),
])
def test_elementwise_second_derivatives(fn):
    rng = np.random.default_rng(0)
    a = leaf(rng.uniform(0.2, 1.5, (2, 3)))
    b = leaf(rng.uniform(0.2, 1.5, (3,)))
    assert gradcheck(fn, [a, b])
    assert gradgradcheck(fn, [a, b])


def test_gradgradcheck_catches_a_formula_that_captured_a_forward_value():
    def cube(t):
        values = t.numpy()
        return Tensor.from_op(values**3, (t,), lambda g, out, x: (3 * g * values**2,), "cube")

    x = leaf([0.5, 1.5])
    assert gradcheck(cube, [x])
    with pytest.raises(GradcheckError, match="gradgradcheck"):
        gradgradcheck(cube, [x])


def test_gradcheck_touches_no_grad_and_restores_inputs_when_fn_raises():
    x = leaf([0.5, 1.5])
    x.grad = Tensor(np.array([7.0, 7.0]))
    before = x.numpy().copy()
    assert gradcheck(lambda t: t.exp(), [x]) and gradcheck(lambda t: t.exp(), [x],
                                                             fast_mode=True)
    assert x.grad.tolist() == [7.0, 7.0]

    def fails_when_perturbed(t):
        if not np.array_equal(t.numpy(), before):
            raise ValueError("perturbed")
        return t.exp()

    with pytest.raises(ValueError):
        gradcheck(fails_when_perturbed, [x])
    assert np.array_equal(x.numpy(), before)


def test_gradgradcheck_catches_a_formula_that_detached_its_incoming_gradient():
    def double(t):
        def formula(g, out, x):
            g = g.detach() if isinstance(g, Tensor) else g
            return (2 * g,)

        return Tensor.from_op(t.numpy() * 2, (t,), formula, "double")

    x = leaf([0.5, 1.5])
    assert gradcheck(double, [x])
    with pytest.raises(GradcheckError, match="input 1"):  # input 1 is v, the cotangent
        gradgradcheck(double, [x])


def test_a_formula_with_the_old_signature_gets_a_clear_error():
    x = leaf([1.0, 2.0])
    y = Tensor.from_op(x.numpy() * 2, (x,), lambda g: (2 * g,), "old_style")
    with pytest.raises(TypeError, match=r"op 'old_style' must take \(g, out, \*inputs\)"):
        y.backward(np.ones(2))


def test_gradients_of_0d_tensors_are_0d_tensors():
    d = tl.tensor(0.5, requires_grad=True)
    (d * d).backward()
    assert isinstance(d.grad, Tensor) and isinstance(d.grad.numpy(), np.ndarray)
    c = Tensor(np.float64(2.0), requires_grad=True)
    (c * 3).backward()
    (c * 3).backward()
    assert isinstance(c.grad.numpy(), np.ndarray) and c.grad.item() == 6.0
    c.grad.zero_()
    assert c.grad.item() == 0.0


def test_pytorch_arguments_that_are_no_ops_here_are_accepted():
    x = leaf([1.0])
    (g,) = grad(x * 2, x, grad_outputs=np.ones(1), only_inputs=True)
    assert g.tolist() == [2.0]
    assert tl.clamp(Tensor([-1.0, 2.0]), min=0).tolist() == [0.0, 2.0]


def test_load_accepts_weights_only(tmp_path):
    tl.save({"w": np.ones(2)}, tmp_path / "c.npz")
    assert tl.load(tmp_path / "c.npz", weights_only=True)["w"].tolist() == [1.0, 1.0]
    with pytest.raises(RuntimeError, match="CPU only"):
        tl.load(tmp_path / "c.npz", map_location="cuda")


# ------------------------------------------------- who owns a gradient (found in review)


def test_a_tensor_filled_in_place_from_one_that_requires_grad_stays_a_leaf():
    w = tl.tensor(2.0, requires_grad=True)
    y = tl.tensor([0.5, 1.5, 2.5])
    y.fill_(w)
    assert y.is_leaf
    y.requires_grad_()
    (y * 2).sum().backward()
    np.testing.assert_array_equal(y.grad.numpy(), [2.0, 2.0, 2.0])


def test_leaves_given_one_gradient_tensor_under_create_graph_get_their_own():
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    ((a + b) * 2).sum().backward(create_graph=True)
    assert a.grad is not b.grad
    with tl.no_grad():
        a.grad.zero_()
    np.testing.assert_array_equal(b.grad.numpy(), [2.0, 2.0])


def test_a_tensor_returned_by_a_hook_is_copied_into_grad():
    x = leaf([1.0, 2.0])
    mine = tl.tensor([5.0, 6.0], dtype=tl.float64)
    x.register_hook(lambda g: mine)
    (x * 2).sum().backward()
    x.grad.zero_()
    np.testing.assert_array_equal(mine.numpy(), [5.0, 6.0])


def test_a_tensor_subclass_that_is_not_hashable_can_be_a_leaf():
    class Unhashable(Tensor):
        def __eq__(self, other):  # and so __hash__ = None, as Python does
            return NotImplemented

    t = Unhashable(np.ones(2))
    t.requires_grad_()
    (t * 3).sum().backward()
    np.testing.assert_array_equal(t.grad.numpy(), [3.0, 3.0])
