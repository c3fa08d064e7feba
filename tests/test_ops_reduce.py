"""Reductions: sum, mean, max, min, logsumexp — values against NumPy, gradients against
finite differences over random shapes and axes, PyTorch's tie rules for max/min, stability,
empty axes and error messages."""

import warnings

import numpy as np
import pytest
from _higher_order import check_second_order, torch_second_order
from conftest import examples, leaf
from hypothesis import given, settings
from hypothesis import strategies as st

from tinygrad_lab import Tensor
from tinygrad_lab.ops import reduce
from tinygrad_lab.testing import gradcheck
from tinygrad_lab.testing import strategies as tst

OPS = ["sum", "mean", "max", "min", "logsumexp"]




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
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("op", OPS)
@settings(max_examples=examples(30))
@given(case=reduce_case(distinct=True))
def test_gradcheck(op, case):
    x, axis, keepdims = case
    assert gradcheck(lambda t: getattr(reduce, op)(t, axis=axis, keepdims=keepdims), [leaf(x)])


@settings(max_examples=examples(25))
@given(case=reduce_case())
def test_sum_and_mean_gradients_are_uniform(case):
    x, axis, keepdims = case
    t = leaf(x)
    t.sum(axis=axis, keepdims=keepdims).sum().backward()
    np.testing.assert_array_equal(t.grad.numpy(), np.ones_like(x))
    t.grad = None
    t.mean(axis=axis, keepdims=keepdims).sum().backward()
    n = x.size // max(np.mean(x, axis=axis, keepdims=keepdims).size, 1)
    np.testing.assert_allclose(t.grad.numpy(), np.full_like(x, 1 / n))


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
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.5, 0.5, 0.0])
    x.grad = None
    y = leaf([[2.0, -1.0], [-1.0, 5.0]])
    y.min().backward()
    np.testing.assert_array_equal(y.grad.numpy(), [[0.0, 0.5], [0.5, 0.0]])


def test_max_along_an_axis_routes_gradient_to_one_element():
    x = leaf([[1.0, 3.0, 3.0], [4.0, 4.0, 0.0]])
    x.max(axis=1).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 1, 0], [1, 0, 0]])
    x.grad = None
    x.min(axis=0, keepdims=True).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[1, 1, 0], [0, 0, 1]])


def test_max_over_a_tuple_of_axes_splits_ties_like_amax():
    x = leaf([[[1.0, 2.0], [2.0, 0.0]]])
    x.max(axis=(1, 2)).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[[0, 0.5], [0.5, 0]]])


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
        np.testing.assert_allclose(a.numpy(), b.detach().numpy())
        weights = g.reshape(-1)[: a.numel()].reshape(a.shape)
        a.backward(weights)
        b.backward(torch.tensor(weights))
        # torch.max(x, dim) documents that it returns the first maximal index, as here.
        np.testing.assert_allclose(t.grad.numpy(), u.grad.numpy(), rtol=1e-12, atol=1e-12)


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
        np.testing.assert_allclose(a.numpy(), b.detach().numpy(), rtol=1e-12, atol=1e-12)
        a.backward(g)
        b.backward(torch.tensor(g))
        np.testing.assert_allclose(t.grad.numpy(), u.grad.numpy(), rtol=1e-12, atol=1e-12)


# ---------------------------------------------------------------------------- stability


def test_logsumexp_is_stable_at_large_magnitudes():
    x = leaf([[1000.0, 1000.0, -1000.0], [-1000.0, -1000.0, -1000.0]])
    with np.errstate(all="raise"), warnings.catch_warnings():
        warnings.simplefilter("error")
        out = x.logsumexp(axis=1)
        out.sum().backward()
    np.testing.assert_allclose(out.numpy(), [1000 + np.log(2), -1000 + np.log(3)])
    np.testing.assert_allclose(x.grad.numpy(), [[0.5, 0.5, 0.0], [1 / 3, 1 / 3, 1 / 3]])


def test_logsumexp_of_minus_infinity_and_of_nothing_is_minus_infinity():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert Tensor(np.array([-np.inf, -np.inf])).logsumexp().item() == -np.inf
        empty = Tensor(np.zeros((2, 0))).logsumexp(axis=1)
    np.testing.assert_array_equal(empty.numpy(), [-np.inf, -np.inf])
    assert Tensor(np.array([np.inf, 1.0])).logsumexp().item() == np.inf


# ------------------------------------------------------------------------ empty axes


def test_empty_reductions_follow_numpy():
    x = leaf(np.zeros((3, 0)))
    np.testing.assert_array_equal(x.sum(axis=1).numpy(), np.zeros(3))
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
    return Tensor.from_op(out.numpy().copy(), (out,), lambda _g, _out, _x: (g,), "readonly_seed")


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("axis", [None, 1, (0, 2)])
def test_ops_modify_neither_inputs_nor_gradients(op, axis):
    x = leaf(np.random.default_rng(2).standard_normal((2, 3, 4)))
    before = x.numpy().copy()
    x.numpy().flags.writeable = False
    readonly_seed(getattr(x, op)(axis=axis)).sum().backward()
    np.testing.assert_array_equal(x.numpy(), before)
    assert x.grad.shape == x.shape


# ------------------------------------------------------------ PyTorch's spellings


def test_dim_and_keepdim_spellings_agree_with_axis_and_keepdims():
    x = Tensor(np.arange(24.0).reshape(2, 3, 4))
    for op in ["sum", "mean", "logsumexp", "amax", "amin", "std", "var", "prod"]:
        by_dim = getattr(x, op)(dim=(0, 2), keepdim=True)
        by_axis = getattr(x, op)(axis=(0, 2), keepdims=True)
        positional = getattr(x, op)((0, 2), keepdim=True)
        np.testing.assert_array_equal(by_dim.numpy(), by_axis.numpy())
        np.testing.assert_array_equal(positional.numpy(), by_axis.numpy())
        assert by_dim.shape == (1, 3, 1)
    assert x.sum(1, True).shape == (2, 1, 4)
    assert x.mean(0, keepdim=True).shape == (1, 3, 4)
    with pytest.raises(TypeError, match=r"sum: give dim= or axis=, not both"):
        x.sum(dim=0, axis=1)
    with pytest.raises(TypeError, match=r"mean: give keepdim= or keepdims=, not both"):
        x.mean(0, keepdim=True, keepdims=True)


def test_empty_dim_tuple_means_all_for_pytorch_and_none_for_numpy():
    x = Tensor(np.ones((2, 3)))
    assert x.sum(dim=()).shape == ()  # PyTorch: dim=() reduces every dim
    assert x.sum(axis=()).shape == (2, 3)  # NumPy: axis=() reduces nothing
    assert x.amax().shape == ()


def test_function_forms_match_methods():
    x = Tensor(np.arange(6.0).reshape(2, 3))
    assert reduce.sum(x, 1).tolist() == [3.0, 12.0]
    assert reduce.mean(x, dim=0).tolist() == [1.5, 2.5, 3.5]
    assert reduce.argmax(x, 1).tolist() == [2, 2]
    values, indices = reduce.max(x, 1)
    assert values.tolist() == [2.0, 5.0] and indices.tolist() == [2, 2]
    assert reduce.max(x, Tensor([[5.0, 0, 0], [0, 0, 9]])).tolist() == [[5, 1, 2], [3, 4, 9]]


def test_max_and_min_forms_against_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    a = rng.integers(0, 4, size=(3, 4)).astype(np.float64)  # ties
    b = rng.standard_normal((3, 4))
    for op in ["max", "min"]:
        t, u = leaf(a), torch.tensor(a, requires_grad=True)
        ours, theirs = getattr(t, op)(1), getattr(u, op)(1)
        assert type(ours).__name__ == op and ours._fields == ("values", "indices")
        np.testing.assert_array_equal(ours.values.numpy(), theirs.values.detach().numpy())
        np.testing.assert_array_equal(ours.indices.numpy(), theirs.indices.numpy())
        assert ours.indices.dtype == np.int64 and not ours.indices.requires_grad
        values, indices = getattr(t, op)(dim=0, keepdim=True)  # unpacks like a tuple
        ref = getattr(u, op)(dim=0, keepdim=True)
        assert values.shape == tuple(ref.values.shape) == (1, 4)
        np.testing.assert_array_equal(indices.numpy(), ref.indices.numpy())
        (ours.values.sum() + values.sum() * 2).backward()
        (theirs.values.sum() + ref.values.sum() * 2).backward()
        np.testing.assert_array_equal(t.grad.numpy(), u.grad.numpy())
        # the whole tensor: a 0-d tensor, ties share the gradient
        t, u = leaf(a), torch.tensor(a, requires_grad=True)
        getattr(t, op)().backward()
        getattr(u, op)().backward()
        np.testing.assert_allclose(t.grad.numpy(), u.grad.numpy())
        # another tensor: the elementwise maximum / minimum
        t, u = leaf(a), torch.tensor(a, requires_grad=True)
        np.testing.assert_array_equal(getattr(t, op)(Tensor(b)).numpy(),
                                      getattr(u, op)(torch.tensor(b)).detach().numpy())


def test_numpy_keywords_give_values_only():
    x = Tensor(np.array([[1.0, 5.0], [7.0, 2.0]]))
    out = x.max(axis=1)
    assert isinstance(out, Tensor) and out.tolist() == [5.0, 7.0]
    assert x.min(axis=0, keepdims=True).tolist() == [[1.0, 2.0]]
    assert isinstance(np.max(x, axis=1), Tensor)
    values, indices = x.max(1, keepdims=True)  # PyTorch code spells keepdim so too
    assert values.tolist() == [[5.0], [7.0]] and indices.tolist() == [[1], [0]]
    assert x.max(keepdims=True).tolist() == [[7.0]]
    with pytest.raises(TypeError, match=r"max: dim must be one int .* use amax"):
        x.max(dim=(0, 1))


def test_max_of_a_zero_d_tensor_along_dim_zero():
    values, indices = Tensor(3.0).max(0)
    assert values.item() == 3.0 and indices.item() == 0 and values.shape == ()


@pytest.mark.parametrize("op", ["argmax", "argmin"])
def test_argmax_argmin_against_torch(op):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(6).integers(0, 3, size=(3, 4, 2)).astype(np.float64)
    t, u = Tensor(x), torch.tensor(x)
    cases = [{}, {"dim": 1}, {"dim": -1, "keepdim": True}, {"dim": None, "keepdim": True}]
    for kwargs in cases:
        ours, theirs = getattr(t, op)(**kwargs), getattr(u, op)(**kwargs)
        assert ours.dtype == np.int64 and not ours.requires_grad
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    assert getattr(t, op)(axis=0, keepdims=True).shape == (1, 4, 2)
    with pytest.raises(ValueError, match=rf"{op}: cannot reduce over an empty axis"):
        getattr(Tensor(np.zeros((2, 0))), op)(1)


STD_CASES = [
    ({}, {}),
    ({"dim": 1}, {"dim": 1}),
    ({"dim": (0, 2), "keepdim": True}, {"dim": (0, 2), "keepdim": True}),
    ({"dim": 0, "unbiased": False}, {"dim": 0, "unbiased": False}),
    ({"dim": -1, "correction": 0}, {"dim": -1, "correction": 0}),
    ({"axis": 1, "ddof": 2}, {"dim": 1, "correction": 2}),
    ({"axis": 1}, {"dim": 1}),  # PyTorch's correction, whichever spelling
]


@pytest.mark.parametrize("op", ["std", "var"])
@pytest.mark.parametrize("ours_kwargs, torch_kwargs", STD_CASES)
def test_std_var_against_torch(op, ours_kwargs, torch_kwargs):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(7)
    x = rng.standard_normal((3, 4, 5))
    t, u = leaf(x), torch.tensor(x, requires_grad=True)
    a, b = getattr(t, op)(**ours_kwargs), getattr(u, op)(**torch_kwargs)
    np.testing.assert_allclose(a.numpy(), b.detach().numpy(), rtol=1e-12)
    g = rng.standard_normal(a.shape)
    a.backward(g)
    b.backward(torch.tensor(g))
    np.testing.assert_allclose(t.grad.numpy(), u.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_std_var_defaults_and_numpy_functions():
    x = Tensor(np.array([1.0, 2.0, 4.0]))
    assert x.var().item() == pytest.approx(np.var([1, 2, 4], ddof=1))  # Bessel, as torch
    assert x.var(False).item() == pytest.approx(np.var([1, 2, 4]))  # torch's x.var(False)
    assert np.var(x).item() == pytest.approx(np.var([1, 2, 4]))  # np.var: NumPy's ddof=0
    assert np.std(x, ddof=1).item() == pytest.approx(np.std([1, 2, 4], ddof=1))
    with pytest.warns(RuntimeWarning, match=r"degrees of freedom is <= 0"):
        assert np.isnan(Tensor([3.0]).std().item())
    with pytest.raises(TypeError, match=r"var: give only one of unbiased=, correction="):
        x.var(unbiased=True, correction=1)


def test_prod_against_torch_with_zeros():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(8)
    x = rng.standard_normal((3, 5))
    x[0, 1] = 0.0  # one zero in row 0
    x[1, 2] = x[1, 4] = 0.0  # two zeros in row 1
    for kwargs in [{}, {"dim": 1}, {"dim": 0, "keepdim": True}]:
        t, u = leaf(x), torch.tensor(x, requires_grad=True)
        a, b = t.prod(**kwargs), u.prod(**kwargs)
        np.testing.assert_allclose(a.numpy(), b.detach().numpy(), rtol=1e-12, atol=1e-300)
        g = rng.standard_normal(a.shape)
        a.backward(g)
        b.backward(torch.tensor(g))
        np.testing.assert_allclose(t.grad.numpy(), u.grad.numpy(), rtol=1e-12, atol=1e-15)
    assert Tensor([True, True]).prod().dtype == np.int64
    assert Tensor(np.zeros((2, 0))).prod(1).tolist() == [1.0, 1.0]


def test_cumsum_against_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(9)
    x = rng.standard_normal((3, 4))
    for dim in [0, 1, -1]:
        t, u = leaf(x), torch.tensor(x, requires_grad=True)
        a, b = t.cumsum(dim), u.cumsum(dim)
        np.testing.assert_allclose(a.numpy(), b.detach().numpy(), rtol=1e-12)
        g = rng.standard_normal(a.shape)
        a.backward(g)
        b.backward(torch.tensor(g))
        np.testing.assert_allclose(t.grad.numpy(), u.grad.numpy(), rtol=1e-12)
    assert np.cumsum(Tensor(x)).shape == (12,)  # NumPy: axis=None flattens
    assert Tensor(2.0).cumsum(0).item() == 2.0


def test_amax_all_any():
    x = Tensor(np.array([[1.0, 3.0], [3.0, 0.0]]), requires_grad=True)
    x.amax().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 0.5], [0.5, 0]])
    assert x.amin(dim=1).tolist() == [1.0, 0.0]
    assert Tensor([[True, False], [True, True]]).all(1).tolist() == [False, True]
    assert Tensor([0, 0, 2]).any().item() is True
    assert np.all(Tensor([1, 1])).item() is True


def test_numpy_functions_on_tensors_are_ops():
    x = leaf(np.arange(6.0).reshape(2, 3))
    out = np.sum(x, axis=0) + np.mean(x, 1, keepdims=True) + np.max(x) + np.prod(x, axis=1,
                                                                                   keepdims=True)
    assert isinstance(out, Tensor) and out.requires_grad
    out.sum().backward()
    assert x.grad.shape == (2, 3)
    assert np.argmax(x, axis=1).tolist() == [2, 2]
    with pytest.raises(TypeError, match=r"np.sum of a tensor: the arguments \['where'\]"):
        np.sum(x, where=np.ones((2, 3), bool))


# ------------------------------------------------------------- second derivatives


def _distinct(shape_strategy=None):
    if shape_strategy is None:
        shape_strategy = tst.shapes(min_dims=0, max_dims=3, max_side=3)
    elements = st.integers(-300, 300).map(lambda v: v / 100)
    return tst.arrays(shape=shape_strategy, elements=elements, unique=True)


SECOND_ORDER = {
    # op: (function of (tensor, axis, keepdims), linear in x?)
    "sum": (lambda t, a, k: t.sum(axis=a, keepdims=k), True),
    "mean": (lambda t, a, k: t.mean(axis=a, keepdims=k), True),
    "max": (lambda t, a, k: t.max(axis=a, keepdims=k), True),  # locally linear
    "min": (lambda t, a, k: t.min(axis=a, keepdims=k), True),
    "amax": (lambda t, a, k: t.amax(dim=() if a is None else a, keepdim=k), True),
    "logsumexp": (lambda t, a, k: t.logsumexp(axis=a, keepdims=k), False),
    "std": (lambda t, a, k: t.std(axis=a, keepdims=k, correction=0), False),
    "var": (lambda t, a, k: t.var(axis=a, keepdims=k), False),
    "prod": (lambda t, a, k: t.prod(axis=a, keepdims=k), False),
}


@pytest.mark.parametrize("op", list(SECOND_ORDER))
@settings(max_examples=examples(15))
@given(data=st.data())
def test_second_derivatives(op, data):
    fn, linear = SECOND_ORDER[op]
    x = data.draw(_distinct())
    axis = data.draw(axes_for(x.shape))
    keepdims = data.draw(st.booleans())
    if op in ("std", "var") and x.size // max(np.sum(x, axis=axis).size, 1) < 2:
        x = np.stack([x, x + 0.5], axis=0)  # at least two elements per result
        axis = 0
    check_second_order(lambda t: fn(t, axis, keepdims), x, linear=linear)


@settings(max_examples=examples(15))
@given(x=_distinct(tst.shapes(min_dims=1, max_dims=3, max_side=3)), data=st.data())
def test_second_derivatives_of_max_with_dim_and_cumsum(x, data):
    dim = data.draw(st.integers(-x.ndim, x.ndim - 1))
    check_second_order(lambda t: t.max(dim).values, x, linear=True)
    check_second_order(lambda t: t.min(dim, keepdim=True).values, x, linear=True)
    check_second_order(lambda t: t.cumsum(dim), x, linear=True)


def test_second_derivatives_of_prod_at_zeros():
    # The pairwise product is exact at zeros to every order (out / x would divide by 0).
    x = np.array([[0.0, 2.0, -1.5], [0.0, 0.0, 3.0], [1.0, 0.5, 2.0]])
    check_second_order(lambda t: t.prod(1), x)
    check_second_order(lambda t: t.prod(), x)


@pytest.mark.parametrize("name", ["sum", "mean", "max", "max_dim", "logsumexp", "std", "var",
                                  "prod"])
def test_second_derivatives_against_torch(name):
    pytest.importorskip("torch")
    ops = {
        "sum": (lambda t: t.sum(1) ** 2, lambda u: u.sum(1) ** 2),
        "mean": (lambda t: t.mean((0, 2)).exp(), lambda u: u.mean((0, 2)).exp()),
        "max": (lambda t: t.max() ** 3, lambda u: u.max() ** 3),
        "max_dim": (lambda t: t.max(1).values ** 2, lambda u: u.max(1).values ** 2),
        "logsumexp": (lambda t: t.logsumexp(-1), lambda u: u.logsumexp(-1)),
        "std": (lambda t: t.std(1), lambda u: u.std(1)),
        "var": (lambda t: t.var((0, 1), keepdim=True), lambda u: u.var((0, 1), keepdim=True)),
        "prod": (lambda t: t.prod(2), lambda u: u.prod(2)),
    }
    x = np.random.default_rng(10).standard_normal((2, 3, 4))
    (g1, g2), (h1, h2) = torch_second_order(*ops[name], [x])
    np.testing.assert_allclose(g1[0], g2[0], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(h1[0], h2[0], rtol=1e-10, atol=1e-12)
