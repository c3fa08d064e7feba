"""Reductions: sum, mean, max, min, logsumexp — values against NumPy, gradients against
finite differences over random shapes and axes, PyTorch's tie rules for max/min, stability,
empty axes and error messages."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinygrad_lab import Tensor
from tinygrad_lab.ops import reduce
from tinygrad_lab.testing import gradcheck
from tinygrad_lab.testing import strategies as tst

OPS = ["sum", "mean", "max", "min", "logsumexp"]


def leaf(values, dtype=np.float64):
    return Tensor(np.array(values, dtype=dtype), requires_grad=True)


def examples(n):
    """``n`` examples under the default profile, scaled up by HYPOTHESIS_PROFILE=thorough."""
    return max(1, n * settings.default.max_examples // 100)


def numpy_logsumexp(a, axis=None, keepdims=False):
    m = np.max(a, axis=axis, keepdims=True)
    out = np.log(np.sum(np.exp(a - m), axis=axis, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis=axis)


NUMPY = {
    "sum": np.sum,
    "mean": np.mean,
    "max": np.max,
    "min": np.min,
    "logsumexp": numpy_logsumexp,
}


@st.composite
def axes_for(draw, shape):
    """None, an int, or a tuple of distinct axes, each possibly negative."""
    ndim = len(shape)
    kind = draw(st.sampled_from(["none", "int", "tuple"]))
    if kind == "none" or (kind == "int" and ndim == 0):
        return None
    if kind == "int":
        return draw(st.integers(-ndim, ndim - 1))
    chosen = draw(st.lists(st.integers(0, max(ndim - 1, 0)), unique=True, max_size=ndim))
    return tuple(a - ndim if draw(st.booleans()) else a for a in chosen if ndim)


@st.composite
def reduce_case(draw, distinct=False):
    shape = draw(tst.shapes(min_dims=0, max_dims=3, max_side=3))
    if distinct:  # values at least 0.01 apart: no tie, so max/min are differentiable
        elements = st.integers(-300, 300).map(lambda v: v / 100)
        x = draw(tst.arrays(shape=shape, elements=elements, unique=True))
    else:
        x = draw(tst.arrays(shape=shape))
    return x, draw(axes_for(shape)), draw(st.booleans())


# ------------------------------------------------------------------ values and gradients


@pytest.mark.parametrize("op", OPS)
@settings(max_examples=examples(30))
@given(case=reduce_case(distinct=True))
def test_forward_matches_numpy(op, case):
    x, axis, keepdims = case
    out = getattr(Tensor(x), op)(axis=axis, keepdims=keepdims)
    expected = NUMPY[op](x, axis=axis, keepdims=keepdims)
    assert out.shape == np.shape(expected)
    np.testing.assert_allclose(out.data, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("op", OPS)
@settings(max_examples=examples(30))
@given(case=reduce_case(distinct=True))
def test_gradcheck(op, case):
    x, axis, keepdims = case
    assert gradcheck(lambda t: getattr(reduce, op)(t, axis, keepdims), [leaf(x)])


@settings(max_examples=examples(25))
@given(case=reduce_case())
def test_sum_and_mean_gradients_are_uniform(case):
    x, axis, keepdims = case
    t = leaf(x)
    t.sum(axis=axis, keepdims=keepdims).sum().backward()
    np.testing.assert_array_equal(t.grad.data, np.ones_like(x))
    t.grad = None
    t.mean(axis=axis, keepdims=keepdims).sum().backward()
    n = x.size // max(np.mean(x, axis=axis, keepdims=keepdims).size, 1)
    np.testing.assert_allclose(t.grad.data, np.full_like(x, 1 / n))


def test_keepdims_shapes():
    x = Tensor(np.zeros((2, 3, 4)))
    assert x.sum(axis=(0, -1), keepdims=True).shape == (1, 3, 1)
    assert x.max(axis=1, keepdims=True).shape == (2, 1, 4)
    assert x.mean().shape == ()
    assert x.logsumexp(axis=[2, 0]).shape == (3,)
    assert x.sum(axis=()).shape == (2, 3, 4)


def test_zero_d_tensor_reduces_to_itself():
    x = leaf(2.5)
    for op in OPS:
        x.grad = None
        y = getattr(x, op)()
        assert y.shape == () and y.item() == pytest.approx(2.5)
        y.backward()
        assert x.grad.item() == pytest.approx(1.0)


def test_float32_and_int_dtypes():
    x = leaf(np.arange(6.0).reshape(2, 3), dtype=np.float32)
    for op in OPS:
        x.grad = None
        y = getattr(x, op)(axis=1)
        assert y.dtype == np.float32
        y.sum().backward()
        assert x.grad.dtype == np.float32
    assert Tensor([1, 2, 3]).sum().item() == 6
    assert Tensor([1, 2, 3]).sum().dtype == np.int64
    assert Tensor([1, 2, 4]).max().item() == 4


# --------------------------------------------------------------------- max/min ties


def test_full_max_splits_gradient_evenly_among_ties():
    x = leaf([1.0, 3.0, 3.0, 0.0])
    x.max().backward()
    np.testing.assert_array_equal(x.grad.data, [0.0, 0.5, 0.5, 0.0])
    x.grad = None
    y = leaf([[2.0, -1.0], [-1.0, 5.0]])
    y.min().backward()
    np.testing.assert_array_equal(y.grad.data, [[0.0, 0.5], [0.5, 0.0]])


def test_max_along_an_axis_routes_gradient_to_one_element():
    x = leaf([[1.0, 3.0, 3.0], [4.0, 4.0, 0.0]])
    x.max(axis=1).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [[0, 1, 0], [1, 0, 0]])
    x.grad = None
    x.min(axis=0, keepdims=True).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [[1, 1, 0], [0, 0, 1]])


def test_max_over_a_tuple_of_axes_splits_ties_like_amax():
    x = leaf([[[1.0, 2.0], [2.0, 0.0]]])
    x.max(axis=(1, 2)).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [[[0, 0.5], [0.5, 0]]])


def test_max_min_against_torch_with_ties():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    x = rng.integers(0, 3, size=(3, 4, 5)).astype(np.float64)  # many ties
    g = rng.standard_normal((3, 4, 5))
    cases = [
        (lambda t: t.max(), lambda u: u.max()),
        (lambda t: t.min(), lambda u: u.min()),
        (lambda t: t.max(axis=1), lambda u: u.max(dim=1).values),
        (lambda t: t.min(axis=-1, keepdims=True), lambda u: u.min(dim=-1, keepdim=True).values),
        (lambda t: t.max(axis=(0, 2)), lambda u: u.amax(dim=(0, 2))),
        (lambda t: t.min(axis=(1,)), lambda u: u.amin(dim=(1,))),
    ]
    for ours, theirs in cases:
        t = leaf(x)
        u = torch.tensor(x, requires_grad=True)
        a, b = ours(t), theirs(u)
        np.testing.assert_allclose(a.data, b.detach().numpy())
        weights = g.reshape(-1)[: a.size].reshape(a.shape)
        a.backward(weights)
        b.backward(torch.tensor(weights))
        # torch.max(x, dim) documents that it returns the first maximal index, as here.
        np.testing.assert_allclose(t.grad.data, u.grad.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("axis", [None, 0, -1, (0, 2), (1,)])
def test_values_and_gradients_against_torch(axis):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    x = rng.standard_normal((3, 4, 5))
    g = rng.standard_normal(np.sum(x, axis=axis).shape)
    dim = tuple(range(3)) if axis is None else axis
    torch_ops = {
        "sum": lambda u: u.sum(dim=dim),
        "mean": lambda u: u.mean(dim=dim),
        "logsumexp": lambda u: torch.logsumexp(u, dim=dim),
        "max": lambda u: u.amax(dim=dim) if not isinstance(axis, int) else u.max(dim).values,
        "min": lambda u: u.amin(dim=dim) if not isinstance(axis, int) else u.min(dim).values,
    }
    for op in OPS:
        t = leaf(x)
        u = torch.tensor(x, requires_grad=True)
        a, b = getattr(t, op)(axis=axis), torch_ops[op](u)
        np.testing.assert_allclose(a.data, b.detach().numpy(), rtol=1e-12, atol=1e-12)
        a.backward(g)
        b.backward(torch.tensor(g))
        np.testing.assert_allclose(t.grad.data, u.grad.numpy(), rtol=1e-12, atol=1e-12)


# ---------------------------------------------------------------------------- stability


def test_logsumexp_is_stable_at_large_magnitudes():
    x = leaf([[1000.0, 1000.0, -1000.0], [-1000.0, -1000.0, -1000.0]])
    with np.errstate(all="raise"), warnings.catch_warnings():
        warnings.simplefilter("error")
        out = x.logsumexp(axis=1)
        out.sum().backward()
    np.testing.assert_allclose(out.data, [1000 + np.log(2), -1000 + np.log(3)])
    np.testing.assert_allclose(x.grad.data, [[0.5, 0.5, 0.0], [1 / 3, 1 / 3, 1 / 3]])


def test_logsumexp_of_minus_infinity_and_of_nothing_is_minus_infinity():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert Tensor(np.array([-np.inf, -np.inf])).logsumexp().item() == -np.inf
        empty = Tensor(np.zeros((2, 0))).logsumexp(axis=1)
    np.testing.assert_array_equal(empty.data, [-np.inf, -np.inf])
    assert Tensor(np.array([np.inf, 1.0])).logsumexp().item() == np.inf


# ------------------------------------------------------------------------ empty axes


def test_empty_reductions_follow_numpy():
    x = leaf(np.zeros((3, 0)))
    np.testing.assert_array_equal(x.sum(axis=1).data, np.zeros(3))
    assert x.sum(axis=0).shape == (0,)
    assert x.max(axis=0).shape == (0,)  # three empty columns: nothing to reduce
    with pytest.warns(RuntimeWarning):
        assert np.isnan(x.mean().item())
    x.sum().backward()
    assert x.grad.shape == (3, 0)


@pytest.mark.parametrize("op", ["max", "min"])
def test_max_of_an_empty_axis_is_a_clear_error(op):
    with pytest.raises(ValueError, match=rf"{op}: cannot reduce over an empty axis.*\(3, 0\)"):
        getattr(Tensor(np.zeros((3, 0))), op)(axis=1)
    with pytest.raises(ValueError, match=rf"{op}: cannot reduce over an empty axis"):
        getattr(Tensor(np.zeros(0)), op)()


# ---------------------------------------------------------------------------- errors


@pytest.mark.parametrize("op", OPS)
def test_bad_axis_errors_name_op_axis_and_shape(op):
    x = Tensor(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=rf"{op}: axis 2 is out of range .*shape \(2, 3\)"):
        getattr(x, op)(axis=2)
    with pytest.raises(ValueError, match=rf"{op}: axis -3 is out of range"):
        getattr(x, op)(axis=(0, -3))
    with pytest.raises(ValueError, match=rf"{op}: axis \(1, -1\) repeats an axis"):
        getattr(x, op)(axis=(1, -1))
    with pytest.raises(TypeError, match=rf"{op}: axis must be an int, got float 1.5"):
        getattr(x, op)(axis=1.5)


# ------------------------------------------------------------------ no mutation


def readonly_seed(out):
    """A tensor whose backward hands ``out``'s closure a read-only gradient, so that an
    in-place write to ``g`` raises."""
    g = np.random.default_rng(0).standard_normal(out.shape)
    g.flags.writeable = False
    return Tensor.from_op(out.data.copy(), (out,), lambda _: (g,), "readonly_seed")


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("axis", [None, 1, (0, 2)])
def test_ops_modify_neither_inputs_nor_gradients(op, axis):
    x = leaf(np.random.default_rng(2).standard_normal((2, 3, 4)))
    before = x.data.copy()
    x.data.flags.writeable = False
    readonly_seed(getattr(x, op)(axis=axis)).sum().backward()
    np.testing.assert_array_equal(x.data, before)
    assert x.grad.shape == x.shape
