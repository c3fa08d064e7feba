"""Activations: sigmoid, relu, leaky_relu, tanh, elu, gelu, softmax, log_softmax — values
against NumPy formulas and PyTorch, gradients against finite differences, stability at
|x| = 1000 with every floating-point error raised, PyTorch's gradients at kinks."""

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinygrad_lab import Tensor
from tinygrad_lab.ops import activation as A
from tinygrad_lab.testing import gradcheck
from tinygrad_lab.testing import strategies as tst


def leaf(values, dtype=np.float64):
    return Tensor(np.array(values, dtype=dtype), requires_grad=True)


def examples(n):
    """``n`` examples under the default profile, scaled up by HYPOTHESIS_PROFILE=thorough."""
    return max(1, n * settings.default.max_examples // 100)


def erf(x):
    return np.vectorize(math.erf)(x)


POINTWISE = {
    "sigmoid": (A.sigmoid, lambda x: 1 / (1 + np.exp(-x))),
    "tanh": (A.tanh, np.tanh),
    "relu": (A.relu, lambda x: np.maximum(x, 0)),
    "leaky_relu": (A.leaky_relu, lambda x: np.where(x > 0, x, 0.01 * x)),
    "leaky_relu_0.2": (lambda t: A.leaky_relu(t, 0.2), lambda x: np.where(x > 0, x, 0.2 * x)),
    "elu": (A.elu, lambda x: np.where(x > 0, x, np.exp(x) - 1)),
    "elu_0.5": (lambda t: A.elu(t, alpha=0.5), lambda x: np.where(x > 0, x, 0.5 * np.expm1(x))),
    "gelu": (A.gelu, lambda x: 0.5 * x * (1 + erf(x / np.sqrt(2)))),
    "gelu_tanh": (
        lambda t: A.gelu(t, approximate="tanh"),
        lambda x: 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3))),
    ),
}

# Values kept |x| >= 0.1 so that finite differences never straddle a kink at 0.
off_kink = tst.arrays(shape=tst.shapes(min_dims=0, max_dims=3, max_side=3), min_magnitude=0.1)


@pytest.mark.parametrize("name", list(POINTWISE))
@settings(max_examples=examples(30))
@given(x=off_kink)
def test_pointwise_values_and_gradients(name, x):
    op, reference = POINTWISE[name]
    out = op(Tensor(x))
    assert out.shape == x.shape
    np.testing.assert_allclose(out.data, reference(x), rtol=1e-12, atol=1e-14)
    assert gradcheck(op, [leaf(x)])


@st.composite
def with_axis(draw):
    x = draw(tst.arrays(shape=tst.shapes(min_dims=0, max_dims=3, max_side=3)))
    n = max(x.ndim, 1)
    return x, draw(st.integers(-n, n - 1))


def numpy_softmax(x, axis):
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@settings(max_examples=examples(30))
@given(case=with_axis())
def test_softmax_values_and_gradients(name, case):
    x, axis = case
    op = getattr(A, name)
    out = op(Tensor(x), axis)
    ref = np.reshape(x, (1,)) if x.ndim == 0 else x
    expected = numpy_softmax(ref, axis).reshape(x.shape)
    if name == "log_softmax":
        expected = np.log(expected)
    np.testing.assert_allclose(out.data, expected, rtol=1e-12, atol=1e-12)
    assert gradcheck(lambda t: op(t, axis), [leaf(x)])


def test_softmax_rows_sum_to_one_and_method_defaults_to_last_axis():
    x = Tensor(np.random.default_rng(0).standard_normal((3, 4)))
    np.testing.assert_allclose(x.softmax().data.sum(axis=-1), np.ones(3))
    np.testing.assert_allclose(x.softmax(0).data.sum(axis=0), np.ones(4))
    np.testing.assert_allclose(np.exp(x.log_softmax().data).sum(axis=1), np.ones(3))


# --------------------------------------------------------------------------- kinks


def test_gradients_at_zero_follow_pytorch():
    x = leaf([-1.0, 0.0, 2.0])
    A.relu(x).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [0.0, 0.0, 1.0])
    x.grad = None
    A.leaky_relu(x, 0.1).sum().backward()
    np.testing.assert_allclose(x.grad.data, [0.1, 0.1, 1.0])
    x.grad = None
    A.elu(x, alpha=0.5).sum().backward()
    np.testing.assert_allclose(x.grad.data, [0.5 * np.exp(-1), 0.5, 1.0])


# ------------------------------------------------------------------------- stability


BIG = np.array([[-1000.0, -1.0, 0.0, 1.0, 1000.0], [1000.0, 1000.0, -1000.0, 0.5, -0.5]])

STABLE = {
    "sigmoid": A.sigmoid,
    "tanh": A.tanh,
    "elu": A.elu,
    "gelu": A.gelu,
    "gelu_tanh": lambda t: A.gelu(t, approximate="tanh"),
    "softmax": A.softmax,
    "softmax_axis0": lambda t: A.softmax(t, axis=0),
    "log_softmax": A.log_softmax,
    "log_softmax_axis0": lambda t: A.log_softmax(t, axis=0),
}


@pytest.mark.parametrize("name", list(STABLE))
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_stable_at_large_magnitudes(name, dtype):
    x = leaf(BIG, dtype=dtype)
    with np.errstate(all="raise"), warnings.catch_warnings():
        warnings.simplefilter("error")
        out = STABLE[name](x)
        out.backward(np.ones(out.shape, dtype=dtype))
    assert out.dtype == dtype and x.grad.dtype == dtype
    assert np.isfinite(out.data).all() and np.isfinite(x.grad.data).all()


def test_large_magnitude_values_are_exact():
    x = Tensor(BIG)
    np.testing.assert_array_equal(A.sigmoid(x).data[[0, 0, 1, 1], [0, 4, 0, 2]],
                                  [0.0, 1.0, 1.0, 0.0])
    np.testing.assert_array_equal(A.gelu(x).data[0, [0, 4]], [0.0, 1000.0])
    np.testing.assert_array_equal(A.elu(x).data[0, [0, 4]], [-1.0, 1000.0])
    s = A.softmax(x).data
    np.testing.assert_allclose(s[1, :2], [0.5, 0.5])
    assert s[0, 4] == 1.0
    ls = A.log_softmax(x).data
    assert ls[0, 0] == -2000.0  # exact where log(softmax) would give log(0) = -inf
    np.testing.assert_allclose(ls[1, :2], [-np.log(2), -np.log(2)])


# ------------------------------------------------------------------ erfc and errors


def test_erfc_matches_math_erfc_to_double_precision():
    x = np.concatenate([np.linspace(-8, 8, 4001), [0.46875, 4.0, 26.9, 27.0, -27.0, 1e300]])
    expected = np.array([math.erfc(v) for v in x])
    with np.errstate(under="ignore"):
        np.testing.assert_allclose(A.erfc(x), expected, rtol=4e-15, atol=1e-300)
    np.testing.assert_array_equal(A.erfc(np.array([np.inf, -np.inf])), [0.0, 2.0])
    assert np.isnan(A.erfc(np.array([np.nan]))[0])


def test_errors():
    x = Tensor(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"softmax: axis 2 is out of range .*\(2, 3\)"):
        x.softmax(2)
    with pytest.raises(ValueError, match=r"log_softmax: axis -3 is out of range"):
        x.log_softmax(-3)
    with pytest.raises(ValueError, match=r"gelu: approximate must be 'none' or 'tanh', "
                                         r"got 'erf'"):
        A.gelu(x, approximate="erf")


def test_integer_inputs_compute_in_float():
    x = Tensor([-2, 0, 3])
    assert A.sigmoid(x).dtype == np.float64
    assert A.relu(x).data.tolist() == [0, 0, 3]
    np.testing.assert_allclose(A.softmax(x).data.sum(), 1.0)


def test_softmax_over_an_empty_axis_is_empty():
    out = A.softmax(Tensor(np.zeros((2, 0))), axis=1)
    assert out.shape == (2, 0)


# ------------------------------------------------------------------------- no mutation


def readonly_seed(out):
    """A tensor whose backward hands ``out``'s closure a read-only gradient."""
    g = np.random.default_rng(0).standard_normal(out.shape)
    g.flags.writeable = False
    return Tensor.from_op(out.data.copy(), (out,), lambda _: (g,), "readonly_seed")


@pytest.mark.parametrize("name", list(POINTWISE) + ["softmax", "log_softmax"])
def test_ops_modify_neither_inputs_nor_gradients(name):
    op = POINTWISE[name][0] if name in POINTWISE else getattr(A, name)
    x = leaf(np.random.default_rng(5).standard_normal((3, 4)))
    before = x.data.copy()
    x.data.flags.writeable = False
    readonly_seed(op(x)).sum().backward()
    np.testing.assert_array_equal(x.data, before)
    assert x.grad.shape == x.shape


# ----------------------------------------------------------------------------- PyTorch


@pytest.mark.parametrize("name", list(POINTWISE) + ["softmax", "log_softmax"])
def test_against_torch(name):
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    theirs = {
        "sigmoid": torch.sigmoid,
        "tanh": torch.tanh,
        "relu": torch.relu,
        "leaky_relu": F.leaky_relu,
        "leaky_relu_0.2": lambda u: F.leaky_relu(u, 0.2),
        "elu": F.elu,
        "elu_0.5": lambda u: F.elu(u, alpha=0.5),
        "gelu": F.gelu,
        "gelu_tanh": lambda u: F.gelu(u, approximate="tanh"),
        "softmax": lambda u: F.softmax(u, dim=-1),
        "log_softmax": lambda u: F.log_softmax(u, dim=-1),
    }[name]
    ours = POINTWISE[name][0] if name in POINTWISE else getattr(A, name)
    rng = np.random.default_rng(6)
    x = np.concatenate([rng.standard_normal((4, 6)) * 3, [[0.0, 1000.0, -1000.0] * 2]])
    t, u = leaf(x), torch.tensor(x, requires_grad=True)
    a, b = ours(t), theirs(u)
    np.testing.assert_allclose(a.data, b.detach().numpy(), rtol=1e-12, atol=1e-14)
    g = rng.standard_normal(x.shape)
    a.backward(g)
    b.backward(torch.tensor(g))
    np.testing.assert_allclose(t.grad.data, u.grad.numpy(), rtol=1e-12, atol=1e-14)
