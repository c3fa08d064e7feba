"""Elementwise ops (tinygrad_lab/ops/elementwise.py): gradients against finite differences
with broadcasting, values against NumPy and PyTorch, PyTorch's rules at ties and bounds,
errors, no mutation."""

import numpy as np
import pytest
from conftest import examples, leaf
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tinygrad_lab import Tensor
from tinygrad_lab.ops import elementwise as E
from tinygrad_lab.testing import gradcheck, gradgradcheck
from tinygrad_lab.testing import strategies as tst


def on_grid(offset=0.0, low=-300, high=300):
    """Values k/100 + offset: two grids with different offsets never tie, and stay at
    least 0.005 apart (far beyond the finite-difference step)."""
    return st.integers(low, high).map(lambda k: k / 100 + offset)


# (op, NumPy reference, strategy for a, strategy for b)
BINARY = {
    "add": (E.add, np.add, None, None),
    "sub": (E.sub, np.subtract, None, None),
    "mul": (E.mul, np.multiply, None, None),
    "div": (E.div, np.divide, None, on_grid(0.0, 50, 300)),
    "pow": (E.pow, np.power, on_grid(0.0, 50, 250), on_grid(0.0, -200, 200)),
    "maximum": (E.maximum, np.maximum, on_grid(0.0), on_grid(0.005)),
    "minimum": (E.minimum, np.minimum, on_grid(0.0), on_grid(0.005)),
}


@pytest.mark.parametrize("name", list(BINARY))
@settings(max_examples=examples(30))
@given(data=st.data())
def test_binary_with_broadcasting(name, data):
    op, reference, elements_a, elements_b = BINARY[name]
    shape_a, shape_b = data.draw(tst.broadcastable_shapes(max_dims=3, max_side=3))
    a = data.draw(tst.arrays(shape=shape_a, elements=elements_a))
    b = data.draw(tst.arrays(shape=shape_b, elements=elements_b))
    out = op(Tensor(a), Tensor(b))
    expected = reference(a, b)
    assert out.shape == np.shape(expected)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-14, atol=0)
    assert gradcheck(op, [leaf(a), leaf(b)])
    assert gradcheck(lambda x: op(x, Tensor(b)), [leaf(a)])
    assert gradcheck(lambda y: op(Tensor(a), y), [leaf(b)])
    assert gradgradcheck(op, [leaf(a), leaf(b)])  # second derivatives, all pairs


UNARY = {
    "neg": (E.neg, np.negative, None),
    "exp": (E.exp, np.exp, None),
    "log": (E.log, np.log, on_grid(0.0, 10, 300)),
    "sqrt": (E.sqrt, np.sqrt, on_grid(0.0, 10, 300)),
    "abs": (E.abs, np.abs, on_grid(0.005)),
    "clip": (lambda t: E.clip(t, -1.0, 1.5), lambda x: np.clip(x, -1.0, 1.5), on_grid(0.005)),
    "clip_min": (lambda t: t.clip(min=0.5), lambda x: np.maximum(x, 0.5), on_grid(0.005)),
    "clip_max": (lambda t: t.clamp(max=0.5), lambda x: np.minimum(x, 0.5), on_grid(0.005)),
    "pow_scalar": (lambda t: t**3, lambda x: x**3, None),
    "rpow": (lambda t: 2.0**t, lambda x: 2.0**x, None),
    "scalar_mix": (lambda t: (2.0 - t) * 3 / (t * t + 1.0) + 1,
                   lambda x: (2.0 - x) * 3 / (x * x + 1.0) + 1, None),
    "sin": (E.sin, np.sin, None),
    "cos": (E.cos, np.cos, None),
    "tan": (E.tan, np.tan, on_grid(0.0, -140, 140)),
    "sinh": (E.sinh, np.sinh, None),
    "cosh": (E.cosh, np.cosh, None),
    "asin": (E.asin, np.arcsin, on_grid(0.0, -90, 90)),
    "acos": (E.acos, np.arccos, on_grid(0.0, -90, 90)),
    "atan": (E.atan, np.arctan, None),
    "log2": (E.log2, np.log2, on_grid(0.0, 10, 300)),
    "log10": (E.log10, np.log10, on_grid(0.0, 10, 300)),
    "log1p": (E.log1p, np.log1p, on_grid(0.0, -90, 300)),
    "expm1": (E.expm1, np.expm1, None),
    "square": (E.square, np.square, None),
    "reciprocal": (E.reciprocal, np.reciprocal, on_grid(0.0, 10, 300)),
    "rsqrt": (E.rsqrt, lambda x: 1 / np.sqrt(x), on_grid(0.0, 10, 300)),
    "sign_times_x": (lambda t: E.sign(t) * t * t, lambda x: np.sign(x) * x * x, on_grid(0.005)),
}


@pytest.mark.parametrize("name", list(UNARY))
@settings(max_examples=examples(30))
@given(data=st.data())
def test_unary(name, data):
    op, reference, elements = UNARY[name]
    shape = data.draw(tst.shapes(min_dims=0, max_dims=3, max_side=3))
    x = data.draw(tst.arrays(shape=shape, elements=elements))
    out = op(Tensor(x))
    assert out.shape == x.shape
    np.testing.assert_allclose(out.numpy(), reference(x), rtol=1e-14, atol=0)
    assert gradcheck(op, [leaf(x)])
    assert gradgradcheck(op, [leaf(x)])


@settings(max_examples=examples(30))
@given(data=st.data())
def test_where_with_broadcasting(data):
    shapes = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=3, max_dims=3, max_side=3))
    cond_shape, shape_a, shape_b = shapes.input_shapes
    cond = data.draw(hnp.arrays(np.bool_, cond_shape))
    a = data.draw(tst.arrays(shape=shape_a))
    b = data.draw(tst.arrays(shape=shape_b))
    out = E.where(cond, Tensor(a), Tensor(b))
    np.testing.assert_array_equal(out.numpy(), np.where(cond, a, b))
    assert gradcheck(lambda x, y: E.where(cond, x, y), [leaf(a), leaf(b)])
    assert gradcheck(lambda x, y: E.where(Tensor(cond), x, y), [leaf(a), leaf(b)])
    assert gradcheck(lambda x: E.where(cond, x, 0.5), [leaf(a)])
    assert gradgradcheck(lambda x, y: E.where(cond, x * x, y * x), [leaf(a), leaf(b)])


# ------------------------------------------------------------- ties, bounds, zeros


def test_ties_kinks_and_bounds_follow_pytorch():
    a, b = leaf([1.0, 2.0, 3.0]), leaf([1.0, 5.0, 0.0])
    E.maximum(a, b).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [0.5, 0.0, 1.0])
    np.testing.assert_array_equal(b.grad.numpy(), [0.5, 1.0, 0.0])
    a.grad = b.grad = None
    E.minimum(a, b).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [0.5, 1.0, 0.0])

    x = leaf([-2.0, -1.0, 0.0, 1.0, 2.0])
    x.clip(-1.0, 1.0).sum().backward()  # bounds included, as torch.clamp
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 1.0, 1.0, 1.0, 0.0])
    x.grad = None
    abs(x).sum().backward()  # subgradient 0 at 0
    np.testing.assert_array_equal(x.grad.numpy(), [-1.0, -1.0, 0.0, 1.0, 1.0])


def test_against_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(7)
    a = rng.uniform(0.5, 2.0, (3, 1, 4))
    b = rng.uniform(-2.0, 2.0, (2, 4))
    cond = rng.random((2, 1)) > 0.5
    cases = [
        (lambda x, y: x + y * 2.0 - 1.0, lambda u, v: u + v * 2.0 - 1.0),
        (lambda x, y: x * y / (y * y + 1.0), lambda u, v: u * v / (v * v + 1.0)),
        (lambda x, y: x**y, lambda u, v: u**v),
        (lambda x, y: (-x).exp() + x.log() + x.sqrt(),
         lambda u, v: (-u).exp() + u.log() + u.sqrt()),
        (lambda x, y: abs(y) + y.clip(-1.0, 1.0), lambda u, v: v.abs() + v.clamp(-1.0, 1.0)),
        (lambda x, y: E.maximum(x, y) - E.minimum(x, y),
         lambda u, v: torch.maximum(u, v) - torch.minimum(u, v)),
        (lambda x, y: E.where(cond, x, y), lambda u, v: torch.where(torch.tensor(cond), u, v)),
    ]
    for ours, theirs in cases:
        x, y = leaf(a), leaf(b)
        u, v = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
        out, ref = ours(x, y), theirs(u, v)
        np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), rtol=1e-13)
        g = rng.standard_normal(out.shape)
        out.backward(g)
        ref.backward(torch.tensor(g))
        for t, w in [(x, u), (y, v)]:
            if w.grad is None:
                assert t.grad is None
            else:
                np.testing.assert_allclose(t.grad.numpy(), w.grad.numpy(), rtol=1e-12, atol=1e-14)


# ----------------------------------------------------------------------------- errors


def test_errors_name_the_op_and_shapes():
    a, b = Tensor(np.zeros((2, 3))), Tensor(np.zeros(4))
    for op in ["add", "sub", "mul", "div", "pow", "maximum", "minimum"]:
        with pytest.raises(ValueError, match=rf"{op}: shapes \(2, 3\) and \(4,\) cannot be "
                                             r"broadcast together"):
            getattr(E, op)(a, b)
    with pytest.raises(ValueError, match=r"where: shapes condition \(3,\), a \(2, 3\), "
                                         r"b \(4,\) cannot be broadcast"):
        E.where(np.ones(3, dtype=bool), a, b)
    with pytest.raises(ValueError, match=r"clip: at least one of min and max must be given"):
        a.clip()


# ------------------------------------------------------------------------ no mutation


def readonly_seed(out):
    """A tensor whose backward hands ``out``'s closure a read-only gradient."""
    g = np.random.default_rng(0).standard_normal(out.shape)
    g.flags.writeable = False
    return Tensor.from_op(out.numpy().copy(), (out,), lambda _g, _out, _x: (g,), "readonly_seed")


@pytest.mark.parametrize("op", [
    E.add, E.sub, E.mul, E.div, E.pow, E.maximum, E.minimum,
    lambda x, y: E.where(x.numpy() > 1, x, y),
    lambda x, y: E.neg(x) + E.exp(y) + E.log(x) + E.sqrt(x) + E.abs(y) + E.clip(y, 0.5, 1.5),
])
def test_ops_modify_neither_inputs_nor_gradients(op):
    rng = np.random.default_rng(8)
    x, y = leaf(rng.uniform(0.5, 2.0, (2, 3))), leaf(rng.uniform(0.5, 2.0, (3,)))
    saved = x.numpy().copy(), y.numpy().copy()
    x.numpy().flags.writeable = y.numpy().flags.writeable = False
    readonly_seed(op(x, y)).sum().backward()
    np.testing.assert_array_equal(x.numpy(), saved[0])
    np.testing.assert_array_equal(y.numpy(), saved[1])
    assert x.grad.shape == x.shape and y.grad.shape == y.shape


def test_python_numbers_on_both_sides():
    import tinygrad_lab as tl

    np.testing.assert_array_equal(tl.where(np.array([True, False]), 1.0, 0.0).numpy(), [1, 0])
    assert tl.ops.elementwise.add(1.0, 2.0).item() == 3.0


def test_pow_at_zero_base_has_pytorch_gradients():
    base = Tensor(np.array([0.0, 2.0, 0.0]), requires_grad=True)
    exponent = Tensor(np.array([2.0, 2.0, 0.0]), requires_grad=True)
    with np.errstate(all="raise"):
        (base**exponent).sum().backward()
    np.testing.assert_array_equal(exponent.grad.numpy(), [0.0, 4 * np.log(2.0), 0.0])
    np.testing.assert_array_equal(base.grad.numpy(), [0.0, 4.0, 0.0])
