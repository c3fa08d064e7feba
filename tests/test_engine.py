"""The Tensor and the backward engine: dtype rules, graph bookkeeping, gradient
accumulation without aliasing, deep graphs, memory, grad modes, anomaly mode, custom ops."""

import gc
import weakref

import numpy as np
import pytest
from conftest import leaf

import tinygrad_lab as tl
from tinygrad_lab import Tensor, engine
from tinygrad_lab.testing import GradcheckError, gradcheck

# ----------------------------------------------------------------------- dtype rules


def test_python_floats_take_the_default_dtype_and_arrays_keep_theirs():
    assert Tensor([[0.5], [-1.0]]).dtype == np.float32
    assert Tensor(np.zeros(3)).dtype == np.float64
    assert Tensor(np.zeros(3, dtype=np.float32)).dtype == np.float32
    assert Tensor([1, 2]).dtype == np.int64
    assert Tensor(1.5, dtype=np.float64).dtype == np.float64
    tl.set_default_dtype(np.float64)
    assert Tensor([1.0]).dtype == np.float64
    assert tl.get_default_dtype() == np.float64


def test_constructor_copies_the_callers_array():
    source = np.ones(3)
    t = Tensor(source)
    t._array[0] = 5.0
    assert source[0] == 1.0


def test_python_scalars_do_not_promote_float32():
    x = Tensor(np.ones(2, dtype=np.float32), requires_grad=True)
    y = 2.0 * x + 1 - x / 3.0
    assert y.dtype == np.float32
    y.sum().backward()
    assert x.grad.dtype == np.float32


def test_requires_grad_on_integer_data_is_a_clear_error():
    # RuntimeError, as PyTorch raises it
    with pytest.raises(RuntimeError, match=r"requires_grad=True needs float data.*int64"):
        Tensor([1, 2, 3], requires_grad=True)


@pytest.mark.parametrize("bad", ["abc", [1, "x"], {"a": 1}, [[1, 2], [3]]])
def test_non_numeric_data_is_a_clear_error(bad):
    with pytest.raises(TypeError, match="Tensor: "):
        Tensor(bad)


def test_set_default_dtype_rejects_non_floats():
    with pytest.raises(TypeError, match="float dtype"):
        tl.set_default_dtype(np.int32)


def test_item_and_numpy_and_repr():
    t = Tensor(np.array([[2.5]]))
    assert t.item() == 2.5
    assert t.numpy() is t._array
    assert "dtype=float64" in repr(t)
    with pytest.raises(ValueError, match=r"shape \(2,\)"):
        Tensor(np.ones(2)).item()


# ------------------------------------------------------------------------ backward


def test_backward_on_non_scalar_needs_gradient():
    x = leaf(np.ones((3, 2)))
    with pytest.raises(RuntimeError, match=r"scalar outputs; this tensor has shape \(3, 2\)"):
        (x * 2).backward()
    (x * 2).backward(np.ones((3, 2)))
    np.testing.assert_array_equal(x.grad._array, 2 * np.ones((3, 2)))


def test_backward_gradient_shape_must_match():
    x = leaf(np.ones(3))
    with pytest.raises(RuntimeError, match=r"gradient has shape \(2,\).*\(3,\)"):
        (x * 2).backward(np.ones(2))


def test_backward_without_graph_is_a_clear_error():
    with pytest.raises(RuntimeError, match="does not require grad"):
        Tensor(np.ones(1)).backward()


def test_grad_is_a_tensor_without_graph():
    x = leaf([1.0, 2.0])
    (x * x).sum().backward()
    assert isinstance(x.grad, Tensor)
    assert not x.grad.requires_grad and x.grad.is_leaf
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 4.0])


def test_backward_on_a_leaf_seeds_its_own_gradient():
    x = leaf([3.0])
    x.backward()
    np.testing.assert_array_equal(x.grad._array, [1.0])


def test_accumulation_over_two_passes_and_zero_grad():
    x = leaf([1.0, -2.0])
    (x * 3).sum().backward()
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad._array, [3 + 2, 3 - 4])
    x.zero_grad()
    assert x.grad is None


def test_diamond_graph_sums_both_paths():
    x = leaf([2.0])
    a = x * 3
    b = x * x
    y = (a * b + a).sum()  # 3x·x² + 3x = 3x³ + 3x  ->  9x² + 3
    y.backward()
    np.testing.assert_allclose(x.grad._array, [9 * 4 + 3])


def test_same_tensor_used_twice_in_one_op():
    x = leaf([3.0])
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad._array, [6.0])


def test_broadcast_inputs_get_gradients_summed_to_their_shape():
    x = leaf(np.ones((4, 3)))
    b = leaf(np.ones(3))
    s = leaf(2.0)
    (x * b + s).sum().backward()
    assert b.grad.shape == (3,) and s.grad.shape == ()
    np.testing.assert_allclose(b.grad._array, [4, 4, 4])
    np.testing.assert_allclose(s.grad._array, 12)


def test_second_backward_through_freed_graph_is_a_clear_error():
    x = leaf([1.0])
    y = (x.exp() * 2).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="a second time.*retain_graph=True"):
        y.backward()


def test_retain_graph_allows_a_second_backward():
    x = leaf([1.0])
    y = (x.exp() * 2).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad._array, [4 * np.e])


def test_retain_grad_keeps_an_intermediate_gradient():
    x = leaf([1.0, 2.0])
    h = (x * 3).retain_grad()
    (h * h).sum().backward()
    np.testing.assert_allclose(h.grad._array, [6.0, 12.0])


# ------------------------------------------------------------------------- aliasing


def test_no_gradient_aliases_another_or_the_upstream_gradient():
    a, b = leaf(np.ones(3)), leaf(np.ones(3))
    upstream = np.ones(3)
    (a + b).backward(upstream)  # add hands the same array to both parents
    assert not np.shares_memory(a.grad._array, b.grad._array)
    assert not np.shares_memory(a.grad._array, upstream)
    a.grad._array += 100.0  # mutating one gradient must not change the other
    np.testing.assert_array_equal(b.grad._array, np.ones(3))
    np.testing.assert_array_equal(upstream, np.ones(3))


def test_accumulation_does_not_corrupt_a_neighbour():
    a, b = leaf(np.ones(2)), leaf(np.ones(2))
    (a + b).sum().backward()
    b_first = b.grad
    (a * 5).sum().backward()
    np.testing.assert_array_equal(a.grad._array, [6.0, 6.0])
    np.testing.assert_array_equal(b.grad._array, [1.0, 1.0])
    np.testing.assert_array_equal(b_first._array, [1.0, 1.0])


def test_two_leaves_with_equal_values_get_separate_gradients():
    a, b = leaf([2.0]), leaf([2.0])
    (a * 3 + b * 5).sum().backward()
    np.testing.assert_array_equal(a.grad._array, [3.0])
    np.testing.assert_array_equal(b.grad._array, [5.0])


def test_views_returned_by_a_backward_are_copied_before_they_become_gradients():
    x = leaf(np.ones((2, 3)))
    y = leaf(np.ones(6))
    h = x.reshape(6) + y
    h.backward(np.arange(6.0))
    assert not np.shares_memory(x.grad._array, y.grad._array)


def test_ops_do_not_mutate_their_inputs():
    rng = np.random.default_rng(0)
    a_values, b_values = rng.random((3, 4)) + 0.5, rng.random(4) + 0.5
    a, b = leaf(a_values.copy()), leaf(b_values.copy())
    out = ((a * b + a / b - b) ** 2).exp().log().sqrt().abs().sum()
    out.backward()
    np.testing.assert_array_equal(a._array, a_values)
    np.testing.assert_array_equal(b._array, b_values)


# -------------------------------------------------------------- deep graphs, memory


def test_a_chain_100000_ops_deep_backpropagates_without_recursion():
    x = leaf([1.0])
    y = x
    for _ in range(100_000):
        y = y * 1.0 + 0.0  # 200,000 ops
    y.sum().backward()
    np.testing.assert_array_equal(x.grad._array, [1.0])
    del y  # freeing the chain must not overflow the C stack either


def _oldest_threshold() -> int:
    return gc.get_threshold()[2]


def test_full_collector_passes_pause_while_a_long_graph_grows_and_resume_after_backward():
    # CPython would walk the whole graph again and again while it grows (finding nothing:
    # a graph has no cycles); the engine holds those full passes back, then lets them go.
    before = _oldest_threshold()
    x = leaf([1.0])
    y = x
    for _ in range(engine.GROWTH_CHECK + 2):
        y = y * 1.0
    assert _oldest_threshold() == engine._NO_FULL_PASS
    y.sum().backward()
    assert _oldest_threshold() == before
    np.testing.assert_array_equal(x.grad._array, [1.0])


def test_a_graph_that_is_never_differentiated_holds_full_passes_back_only_for_a_span():
    before = _oldest_threshold()
    engine.graph_growing(10)
    assert _oldest_threshold() == engine._NO_FULL_PASS
    engine.graph_growing(10 + engine._FIRST_SPAN)  # a span later: released
    assert _oldest_threshold() == before
    engine.graph_freed()
    assert engine._hold.span == engine._FIRST_SPAN


def test_the_users_collector_settings_are_left_alone():
    saved = gc.get_threshold()
    try:
        gc.disable()
        engine.graph_growing(10)  # a disabled collector: nothing to hold
        assert gc.get_threshold() == saved
        gc.enable()
        engine.graph_growing(20)
        gc.set_threshold(500, 5, 5)  # the user's own change while held is kept
        engine.graph_freed()
        assert gc.get_threshold() == (500, 5, 5)
    finally:
        gc.enable()
        gc.set_threshold(*saved)
        engine.graph_freed()


def test_buffers_are_freed_after_backward():
    x = leaf(np.ones(4))
    hidden = x.exp()
    loss = (hidden * hidden).sum()
    closure_ref = weakref.ref(hidden._backward)
    hidden_ref = weakref.ref(hidden)
    del hidden
    loss.backward()
    gc.collect()
    assert closure_ref() is None  # closures (and what they captured) are released
    del loss
    assert hidden_ref() is None  # without reference cycles the rest goes with the root


def test_training_loop_holds_constant_memory():
    import tracemalloc

    w = leaf(np.ones((8, 8)))
    x = Tensor(np.ones((16, 8)))

    def step():
        loss = ((x * 2) * w.sum(axis=0)).exp().mean()
        loss.backward()
        w.grad = None

    for _ in range(50):
        step()
    tracemalloc.start()
    for _ in range(200):
        step()
    after_200 = tracemalloc.get_traced_memory()[0]
    for _ in range(800):
        step()
    after_1000 = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    # A kept graph would cost over 1 KB a step (1 MB here); what little grows is CPython's
    # free lists filling up, which tracemalloc counts as live.
    assert after_1000 - after_200 < 200_000


# ----------------------------------------------------------------------- grad modes


def test_no_grad_records_nothing():
    x = leaf([1.0])
    with tl.no_grad():
        y = x * 2
    assert not y.requires_grad and y.is_leaf and y.parents == ()
    assert (x * 2).requires_grad


def test_no_grad_as_decorator_and_enable_grad_inside():
    x = leaf([1.0])

    @tl.no_grad()
    def f():
        with tl.enable_grad():
            inner = x * 2
        return x * 2, inner

    outer, inner = f()
    assert not outer.requires_grad and inner.requires_grad
    assert tl.is_grad_enabled()


def test_set_grad_enabled_call_and_context():
    with tl.set_grad_enabled(False):
        assert not tl.is_grad_enabled()
    assert tl.is_grad_enabled()
    tl.set_grad_enabled(False)
    assert not tl.is_grad_enabled()
    tl.set_grad_enabled(True)


def test_detach_cuts_the_graph_and_shares_data():
    x = leaf([1.0, 2.0])
    d = (x * 2).detach()
    assert not d.requires_grad and d.is_leaf
    y = (d * x).sum()
    y.backward()
    np.testing.assert_allclose(x.grad._array, [2.0, 4.0])


def test_integer_tensors_mix_with_float_leaves():
    x = leaf([1.0, 2.0])
    y = (x * Tensor([3, 4])).sum()
    y.backward()
    np.testing.assert_allclose(x.grad._array, [3.0, 4.0])


# --------------------------------------------------------------------- anomaly mode


def test_detect_anomaly_names_the_forward_op():
    x = leaf([-1.0, 1.0])
    with tl.detect_anomaly(), np.errstate(invalid="ignore"):
        with pytest.raises(FloatingPointError, match="forward of op 'sqrt' produced NaN"):
            x.sqrt()


def test_detect_anomaly_names_the_backward_op():
    x = leaf([0.0, 1.0])
    y = x.sqrt()  # forward fine: sqrt(0) = 0, but d/dx = 1/(2·0) = inf
    with tl.detect_anomaly(), np.errstate(divide="ignore"):
        with pytest.raises(FloatingPointError, match="backward of op 'sqrt' produced Inf"):
            y.sum().backward()


# ----------------------------------------------------------------- users' own ops


def cube(x):
    return Tensor.from_op(x._array**3, (x,), lambda g, out, x: (3 * g * x**2,), "cube")


def cube_wrong(x):
    return Tensor.from_op(x._array**3, (x,), lambda g, out, x: (2 * g * x**2,), "cube")


def test_custom_op_through_from_op_passes_gradcheck():
    x = leaf(np.random.default_rng(1).standard_normal((3, 2)))
    assert gradcheck(cube, [x])
    y = cube(x)
    assert y.op == "cube" and y.parents == (x,)


def test_a_wrong_backward_fails_gradcheck_with_the_element():
    x = leaf(np.random.default_rng(1).standard_normal((3, 2)))
    with pytest.raises(GradcheckError, match=r"input 0 \(shape \(3, 2\)\), element \(0, 0\)"):
        gradcheck(cube_wrong, [x])
    with pytest.raises(GradcheckError, match="fast_mode"):
        gradcheck(cube_wrong, [x], fast_mode=True)


def test_gradcheck_refuses_float32():
    with pytest.raises(TypeError, match="float64"):
        gradcheck(cube, [leaf([1.0], dtype=np.float32)])


def test_backward_returning_the_wrong_number_of_gradients_is_named():
    x = leaf([1.0])
    y = Tensor.from_op(x._array * 2, (x,), lambda g, out, x: (g, g), "twice")
    with pytest.raises(RuntimeError, match="'twice' returned 2 gradients for 1 inputs"):
        y.sum().backward()


def test_backward_returning_a_wrong_shape_is_named():
    x = leaf(np.ones(3))
    y = Tensor.from_op(x._array * 2, (x,), lambda g, out, x: (np.ones(4),), "bad")
    with pytest.raises(RuntimeError, match=r"'bad' returned a gradient of shape \(4,\)"):
        y.backward(np.ones(3))


# ------------------------------------------------------------- the engine's call paths


@pytest.mark.parametrize("create_graph", [False, True])
@pytest.mark.parametrize("count", [1, 2, 3, 4, 5])
def test_a_formula_gets_the_result_and_every_input_in_order(count, create_graph):
    # The engine spells the call out for one to three inputs and uses *args beyond:
    # every path must pass the result and the inputs in order, and route each gradient
    # to its own input.
    xs = [leaf([float(i + 1)]) for i in range(count)]
    calls = []

    def formula(g, out, *inputs):
        calls.append((out, inputs))
        return tuple(g * (i + 1) for i in range(count))

    y = Tensor.from_op(sum(x._array for x in xs), xs, formula, f"sum{count}")
    y.backward(create_graph=create_graph)
    ((out, inputs),) = calls
    if create_graph:
        assert out is y and all(a is x for a, x in zip(inputs, xs, strict=True))
    else:
        assert out is y._array
        assert all(a is x._array for a, x in zip(inputs, xs, strict=True))
    assert [x.grad.tolist() for x in xs] == [[float(i + 1)] for i in range(count)]


def test_a_leaf_hook_changes_what_autograd_grad_returns():
    x = leaf([1.0, 2.0])
    x.register_hook(lambda g: g * 10)
    (gx,) = tl.autograd.grad((x * 3).sum(), x)  # PyTorch gives [30, 30] too
    assert gx.tolist() == [30.0, 30.0] and x.grad is None


def test_the_engine_refuses_a_seed_count_unlike_the_root_count():
    x = leaf([1.0])
    with pytest.raises(ValueError, match="2 seeds for 1 roots"):
        engine.backward([x * 2], [np.ones(1), np.ones(1)], wrap=Tensor._wrap)
