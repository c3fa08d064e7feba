"""Activations: values against NumPy formulas and PyTorch, first and second derivatives
against finite differences and PyTorch (float64), stability at |x| = 1000 with every
floating-point error raised, PyTorch's gradients at kinks, Tensor methods and NumPy
overrides, erf/erfc against the math module."""

import math
import warnings

import numpy as np
import pytest
from conftest import leaf
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_lab as tl
from tinygrad_lab import Tensor
from tinygrad_lab.autograd import grad
from tinygrad_lab.ops import _numerics
from tinygrad_lab.ops import activation as A
from tinygrad_lab.testing import gradcheck, gradgradcheck
from tinygrad_lab.testing import strategies as tst


def erf(x):
    return np.vectorize(math.erf)(x)


def np_sigmoid(x):
    return 1 / (1 + np.exp(-x))


POINTWISE = {
    "sigmoid": (A.sigmoid, np_sigmoid),
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
    "softplus": (A.softplus, lambda x: np.log1p(np.exp(x))),
    "softplus_beta2": (lambda t: A.softplus(t, beta=2.0, threshold=4.0),
                       lambda x: np.where(2 * x > 4, x, np.log1p(np.exp(2 * x)) / 2)),
    "silu": (A.silu, lambda x: x * np_sigmoid(x)),
    "logsigmoid": (A.logsigmoid, lambda x: np.log(np_sigmoid(x))),
    "hardtanh": (A.hardtanh, lambda x: np.clip(x, -1, 1)),
    "relu6": (A.relu6, lambda x: np.clip(x, 0, 6)),
    "erf": (A.erf, erf),
    "erfc": (A.erfc, lambda x: 1 - erf(x)),
}
PIECEWISE_LINEAR = {"relu", "leaky_relu", "leaky_relu_0.2", "hardtanh", "relu6"}

# Values kept off the kinks (0, ±1, 6, softplus's switch at 2) by at least 0.1 so that
# finite differences never straddle one.
KINKS = np.array([0.0, -1.0, 1.0, 6.0, 2.0])
off_kinks = tst.arrays(
    shape=tst.shapes(min_dims=0, max_dims=3, max_side=3),
    elements=st.floats(-7, 7).filter(lambda v: np.abs(v - KINKS).min() >= 0.1),
)


@pytest.mark.parametrize("name", list(POINTWISE))
@settings(max_examples=15)
@given(x=off_kinks)
def test_pointwise_values_and_first_derivatives(name, x):
    op, reference = POINTWISE[name]
    out = op(Tensor(x))
    assert out.shape == x.shape and out.dtype == np.float64
    np.testing.assert_allclose(out.numpy(), reference(x), rtol=1e-12, atol=1e-14)
    assert gradcheck(op, [leaf(x)])


@pytest.mark.parametrize("name", list(POINTWISE))
@settings(max_examples=10)
@given(x=off_kinks)
def test_pointwise_second_derivatives(name, x):
    assert gradgradcheck(POINTWISE[name][0], [leaf(x)])


@st.composite
def with_axis(draw):
    x = draw(tst.arrays(shape=tst.shapes(min_dims=0, max_dims=3, max_side=3)))
    n = max(x.ndim, 1)
    return x, draw(st.integers(-n, n - 1))


def numpy_softmax(x, axis):
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@settings(max_examples=20)
@given(case=with_axis())
def test_softmax_values_and_derivatives(name, case):
    x, axis = case
    op = getattr(A, name)
    out = op(Tensor(x), axis)
    ref = np.reshape(x, (1,)) if x.ndim == 0 else x
    expected = numpy_softmax(ref, axis).reshape(x.shape)
    if name == "log_softmax":
        expected = np.log(expected)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12, atol=1e-12)
    assert gradcheck(lambda t: op(t, axis), [leaf(x)])
    assert gradgradcheck(lambda t: op(t, axis), [leaf(x)])


def test_softmax_rows_sum_to_one_and_dim_spellings():
    x = Tensor(np.random.default_rng(0).standard_normal((3, 4)))
    np.testing.assert_allclose(x.softmax().numpy().sum(axis=-1), np.ones(3))
    np.testing.assert_allclose(x.softmax(0).numpy().sum(axis=0), np.ones(4))
    np.testing.assert_allclose(np.exp(x.log_softmax().numpy()).sum(axis=1), np.ones(3))
    for op in (A.softmax, A.log_softmax):
        np.testing.assert_array_equal(op(x, dim=0).numpy(), op(x, axis=0).numpy())
        np.testing.assert_array_equal(op(x, 0).numpy(), x.softmax(0).numpy()
                                      if op is A.softmax else x.log_softmax(0).numpy())
        assert op(x, 1, dtype=np.float32).dtype == np.float32
        with pytest.raises(TypeError, match="got dim=0 and axis=1"):
            op(x, dim=0, axis=1)


def test_zero_d_and_empty_inputs():
    x = leaf(3.0)
    for op, value in ((A.softmax, 1.0), (A.log_softmax, 0.0)):
        out = op(x)
        assert out.shape == () and out.item() == value
        (g,) = grad(out, x)
        assert g.item() == 0.0
    assert A.softmax(Tensor(np.zeros((2, 0))), axis=1).shape == (2, 0)
    assert A.log_softmax(Tensor(np.zeros((0, 3))), axis=0).shape == (0, 3)


# ------------------------------------------------------------------ methods, NumPy


def test_tensor_methods_in_place_forms_and_numpy_overrides():
    x = np.array([[-1.5, 0.0, 2.0]])
    t = Tensor(x)
    for name in ("sigmoid", "tanh", "relu", "erf", "erfc"):
        np.testing.assert_array_equal(getattr(t, name)().numpy(), getattr(A, name)(t).numpy())
        y = Tensor(x.copy())
        assert getattr(y, name + "_")() is y
        np.testing.assert_array_equal(y.numpy(), getattr(A, name)(t).numpy())
    np.testing.assert_array_equal(np.tanh(t).numpy(), np.tanh(x))
    assert isinstance(np.tanh(t), Tensor)
    for name in A.__all__:
        assert hasattr(tl.ops.activation, name)


def test_numpy_tanh_of_a_tensor_is_differentiable():
    x = leaf([0.5, -2.0])
    np.tanh(x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 1 - np.tanh([0.5, -2.0]) ** 2)


def test_in_place_activation_of_a_leaf_that_requires_grad_raises():
    with pytest.raises(RuntimeError, match="relu_: a leaf Variable that requires grad"):
        leaf([1.0]).relu_()


def test_in_place_activation_inside_the_graph_is_differentiable():
    x = leaf([0.5, -1.0])
    y = x * 2
    y.sigmoid_()
    y.sum().backward()
    s = np_sigmoid(np.array([1.0, -2.0]))
    np.testing.assert_allclose(x.grad.numpy(), 2 * s * (1 - s))


# --------------------------------------------------------------------------- kinks


def test_gradients_at_kinks_follow_pytorch():
    x = leaf([-1.0, 0.0, 1.0, 2.0, 6.0])
    cases = [
        (A.relu, [0.0, 0.0, 1.0, 1.0, 1.0]),
        (lambda t: A.leaky_relu(t, 0.1), [0.1, 0.1, 1.0, 1.0, 1.0]),
        (lambda t: A.elu(t, alpha=0.5), [0.5 * np.exp(-1), 0.5, 1.0, 1.0, 1.0]),
        (A.hardtanh, [0.0, 1.0, 0.0, 0.0, 0.0]),
        (A.relu6, [0.0, 0.0, 1.0, 1.0, 0.0]),
    ]
    for op, expected in cases:
        (g,) = grad(op(x).sum(), x)
        np.testing.assert_allclose(g.numpy(), expected)


# ------------------------------------------------------------------------- stability


BIG = np.array([[-1000.0, -1.0, 0.0, 1.0, 1000.0], [1000.0, 1000.0, -1000.0, 0.5, -0.5]])

STABLE = {
    **{name: op for name, (op, _) in POINTWISE.items()},
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
        (g,) = grad(out, x, grad_outputs=np.ones(out.shape, dtype=dtype), create_graph=True)
        if g.requires_grad:
            (h,) = grad(g.sum(), x, allow_unused=True, materialize_grads=True)
        else:  # a piecewise-linear op: its gradient is a constant mask
            h = Tensor(np.zeros_like(x.numpy()))
    assert out.dtype == dtype and g.dtype == dtype and h.dtype == dtype
    assert np.isfinite(out.numpy()).all() and np.isfinite(g.numpy()).all()
    assert np.isfinite(h.numpy()).all()


def test_large_magnitude_values_are_exact():
    x = Tensor(BIG)
    np.testing.assert_array_equal(A.sigmoid(x).numpy()[[0, 0, 1, 1], [0, 4, 0, 2]],
                                  [0.0, 1.0, 1.0, 0.0])
    np.testing.assert_array_equal(A.gelu(x).numpy()[0, [0, 4]], [0.0, 1000.0])
    np.testing.assert_array_equal(A.elu(x).numpy()[0, [0, 4]], [-1.0, 1000.0])
    np.testing.assert_array_equal(A.softplus(x).numpy()[0, [0, 4]], [0.0, 1000.0])
    np.testing.assert_array_equal(A.logsigmoid(x).numpy()[0, [0, 4]], [-1000.0, 0.0])
    s = A.softmax(x).numpy()
    np.testing.assert_allclose(s[1, :2], [0.5, 0.5])
    assert s[0, 4] == 1.0
    ls = A.log_softmax(x).numpy()
    assert ls[0, 0] == -2000.0  # exact where log(softmax) would give log(0) = -inf
    np.testing.assert_allclose(ls[1, :2], [-np.log(2), -np.log(2)])


def test_tiny_sigmoid_derivatives_keep_their_precision():
    # logsigmoid' = 1 - σ(x) and softplus' = σ(x) where they are ~1e-13.
    x = leaf([30.0, -30.0])
    (g,) = grad(A.logsigmoid(x).sum(), x)
    np.testing.assert_allclose(g.numpy()[0], np_sigmoid(-30.0), rtol=1e-12)
    (g,) = grad(A.softplus(x, threshold=100.0).sum(), x)
    np.testing.assert_allclose(g.numpy()[1], np_sigmoid(-30.0), rtol=1e-12)


# ------------------------------------------------------------------ erf and errors


def test_erf_and_erfc_match_the_math_module_to_double_precision():
    x = np.concatenate([np.linspace(-8, 8, 4001),
                        [0.46875, -0.46875, 4.0, 26.9, 27.0, -27.0, 1e300, 1e-300]])
    with np.errstate(all="raise"):
        ours_erfc, ours_erf = _numerics.erfc(x), _numerics.erf(x)
    np.testing.assert_allclose(ours_erfc, [math.erfc(v) for v in x], rtol=4e-15, atol=1e-300)
    np.testing.assert_allclose(ours_erf, [math.erf(v) for v in x], rtol=4e-15, atol=1e-300)
    np.testing.assert_array_equal(_numerics.erfc(np.array([np.inf, -np.inf])), [0.0, 2.0])
    np.testing.assert_array_equal(_numerics.erf(np.array([np.inf, -np.inf])), [1.0, -1.0])
    assert np.isnan(_numerics.erfc(np.array([np.nan]))[0])
    assert np.isnan(_numerics.erf(np.array([np.nan]))[0])
    assert _numerics.erf(np.float32([0.5])).dtype == np.float32


def test_errors():
    x = Tensor(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"softmax: axis 2 is out of range .*\(2, 3\)"):
        x.softmax(2)
    with pytest.raises(ValueError, match=r"log_softmax: axis -3 is out of range"):
        x.log_softmax(-3)
    with pytest.raises(ValueError, match=r"gelu: approximate must be 'none' or 'tanh', "
                                         r"got 'erf'"):
        A.gelu(x, approximate="erf")
    with pytest.raises(ValueError, match=r"hardtanh: min_val 1.0 must not exceed max_val"):
        A.hardtanh(x, 1.0, -1.0)


def test_integer_inputs_compute_in_float():
    x = Tensor([-2, 0, 3])
    assert A.sigmoid(x).dtype == np.float64
    assert A.relu(x).numpy().tolist() == [0, 0, 3]
    np.testing.assert_allclose(A.softmax(x).numpy().sum(), 1.0)
    assert A.gelu(x).dtype == A.erf(x).dtype == np.float64


# ------------------------------------------------------------------------- no mutation


@pytest.mark.parametrize("name", list(POINTWISE) + ["softmax", "log_softmax"])
def test_ops_modify_neither_inputs_nor_gradients(name):
    op = POINTWISE[name][0] if name in POINTWISE else getattr(A, name)
    x = leaf(np.random.default_rng(5).standard_normal((3, 4)))
    before = x.numpy().copy()
    x.numpy().flags.writeable = False
    g = np.random.default_rng(0).standard_normal((3, 4))
    g.flags.writeable = False
    out = op(x)
    out.backward(g)
    np.testing.assert_array_equal(x.numpy(), before)
    assert x.grad.shape == x.shape


# ----------------------------------------------------------------------------- PyTorch


def torch_functions(torch):
    F = torch.nn.functional
    return {
        "sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu,
        "leaky_relu": F.leaky_relu, "leaky_relu_0.2": lambda u: F.leaky_relu(u, 0.2),
        "elu": F.elu, "elu_0.5": lambda u: F.elu(u, alpha=0.5), "gelu": F.gelu,
        "gelu_tanh": lambda u: F.gelu(u, approximate="tanh"), "softplus": F.softplus,
        "softplus_beta2": lambda u: F.softplus(u, beta=2.0, threshold=4.0), "silu": F.silu,
        "logsigmoid": F.logsigmoid, "hardtanh": F.hardtanh, "relu6": F.relu6,
        "erf": torch.erf, "erfc": torch.erfc,
        "softmax": lambda u: F.softmax(u, dim=-1),
        "log_softmax": lambda u: F.log_softmax(u, dim=-1),
        "softmax_axis0": lambda u: F.softmax(u, dim=0),
        "log_softmax_axis0": lambda u: F.log_softmax(u, dim=0),
    }


@pytest.mark.parametrize("name", list(STABLE))
def test_values_and_first_derivatives_match_torch(name):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(6)
    x = np.concatenate([rng.standard_normal((4, 6)) * 3, [[0.0, 1000.0, -1000.0] * 2]])
    t, u = leaf(x), torch.tensor(x, requires_grad=True)
    a, b = STABLE[name](t), torch_functions(torch)[name](u)
    np.testing.assert_allclose(a.numpy(), b.detach().numpy(), rtol=1e-12, atol=1e-14)
    g = rng.standard_normal(x.shape)
    a.backward(g)
    b.backward(torch.tensor(g))
    np.testing.assert_allclose(t.grad.numpy(), u.grad.numpy(), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name", list(STABLE))
def test_second_derivatives_match_torch(name):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(7)
    # Off the kinks, where the second derivatives exist (and finite at ±50).
    x = rng.uniform(-4, 4, (3, 5))
    x[np.abs(x[..., None] - KINKS).min(axis=-1) < 0.1] += 0.3
    x[0, :2] = [50.0, -50.0]
    v, w = rng.standard_normal(x.shape), rng.standard_normal(x.shape)
    t, u = leaf(x), torch.tensor(x, requires_grad=True)
    (g,) = grad(STABLE[name](t), t, grad_outputs=v, create_graph=True)
    (gt,) = torch.autograd.grad(torch_functions(torch)[name](u), u, torch.tensor(v),
                                create_graph=True)
    np.testing.assert_allclose(g.numpy(), gt.detach().numpy(), rtol=1e-12, atol=1e-14)
    ours = (grad((g * w).sum(), t, allow_unused=True, materialize_grads=True)[0]
            if g.requires_grad else Tensor(np.zeros_like(x)))
    if gt.requires_grad:
        (theirs,) = torch.autograd.grad((gt * torch.tensor(w)).sum(), u, allow_unused=True,
                                        materialize_grads=True)
    else:
        theirs = torch.zeros_like(u)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-10, atol=1e-13)
