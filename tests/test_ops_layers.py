"""The ops behind nn layers: linear (values, first and second derivatives for 1-D, 2-D
and batched inputs, with and without bias, against finite differences and PyTorch),
dropout (mask, scaling, generator, in place, constant mask in the gradient) and one_hot."""

import numpy as np
import pytest
from conftest import leaf
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_lab as tl
from tinygrad_lab import Tensor
from tinygrad_lab.autograd import grad
from tinygrad_lab.ops.layers import dropout, linear, one_hot
from tinygrad_lab.testing import gradcheck, gradgradcheck
from tinygrad_lab.testing import strategies as tst


@st.composite
def linear_args(draw):
    """x (..., in), weight (out, in), bias (out,) or None: 1-D to 4-D inputs, size 1 too."""
    n_in, n_out = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    batch = draw(tst.shapes(min_dims=0, max_dims=3, max_side=3))
    x = draw(tst.arrays(shape=(*batch, n_in)))
    w = draw(tst.arrays(shape=(n_out, n_in)))
    b = draw(st.none() | tst.arrays(shape=(n_out,)))
    return x, w, b


@settings(max_examples=25)
@given(args=linear_args())
def test_linear_values_and_derivatives(args):
    x, w, b = args
    out = linear(Tensor(x), Tensor(w), None if b is None else Tensor(b))
    expected = x @ w.T + (0 if b is None else b)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12, atol=1e-12)
    assert out.shape == x.shape[:-1] + w.shape[:1]
    inputs = [leaf(a) for a in (x, w, b) if a is not None]
    assert gradcheck(linear, inputs) and gradgradcheck(linear, inputs)


def test_linear_skips_the_gradient_of_an_input_that_needs_none():
    x = Tensor(np.ones((3, 2)))
    w, b = leaf(np.ones((4, 2))), leaf(np.zeros(4))
    out = linear(x, w, b)
    g = np.ones((3, 4))
    grads = out._backward(g, out.numpy(), x.numpy(), w.numpy(), b.numpy())
    assert grads[0] is None
    np.testing.assert_array_equal(grads[1], np.full((4, 2), 3.0))
    np.testing.assert_array_equal(grads[2], np.full(4, 3.0))


def test_linear_keeps_float32():
    x = Tensor(np.ones((3, 2), np.float32), requires_grad=True)
    w = Tensor(np.ones((4, 2), np.float32), requires_grad=True)
    out = linear(x, w, Tensor(np.ones(4, np.float32), requires_grad=True))
    out.sum().backward()
    assert out.dtype == x.grad.dtype == w.grad.dtype == np.float32


@pytest.mark.parametrize("x_shape", [(3,), (5, 3), (2, 4, 3)])
@pytest.mark.parametrize("with_bias", [False, True])
def test_linear_second_derivatives_match_torch(x_shape, with_bias):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    arrays = [rng.standard_normal(x_shape), rng.standard_normal((2, 3))]
    if with_bias:
        arrays.append(rng.standard_normal(2))
    ours = [leaf(a) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    # A nonlinear function of the output, so that the second derivatives are not all 0.
    out = (linear(*ours) ** 3).sum()
    ref = (torch.nn.functional.linear(*theirs) ** 3).sum()
    np.testing.assert_allclose(out.item(), ref.item(), rtol=1e-12)
    first = grad(out, ours, create_graph=True)
    first_ref = torch.autograd.grad(ref, theirs, create_graph=True)
    us = [rng.standard_normal(a.shape) for a in arrays]
    second = grad(sum((g * u).sum() for g, u in zip(first, us, strict=True)), ours)
    second_ref = torch.autograd.grad(
        sum((g * torch.tensor(u)).sum() for g, u in zip(first_ref, us, strict=True)), theirs)
    for a, b in zip(first + second, first_ref + second_ref, strict=True):
        np.testing.assert_allclose(a.numpy(), b.detach().numpy(), rtol=1e-10, atol=1e-12)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 40), st.integers(1, 40), st.integers(1, 40), st.sampled_from([1, 2, 3]),
       st.sampled_from([np.float32, np.float64]))
def test_linear_gives_the_bits_of_matmul(rows, n_in, n_out, ndim, dtype):
    # linear computes with np.dot up to 2-D (less overhead): the same BLAS product as @.
    rng = np.random.default_rng(rows * 1000 + n_in * 10 + n_out)
    shape = {1: (n_in,), 2: (rows, n_in), 3: (2, rows, n_in)}[ndim]
    x = leaf(rng.standard_normal(shape), dtype)
    w = leaf(rng.standard_normal((n_out, n_in)), dtype)
    b = leaf(rng.standard_normal(n_out), dtype)
    out = linear(x, w, b)
    assert np.array_equal(out.numpy(), x.numpy() @ w.numpy().T + b.numpy())
    g = rng.standard_normal(out.shape).astype(dtype)
    out.backward(g)
    g2, x2 = g.reshape(-1, n_out), x.numpy().reshape(-1, n_in)
    assert np.array_equal(x.grad.numpy(), g @ w.numpy())
    assert np.array_equal(w.grad.numpy(), g2.T @ x2)


def test_linear_errors():
    x, w = Tensor(np.zeros((2, 3))), Tensor(np.zeros((4, 3)))
    with pytest.raises(ValueError, match=r"linear: weight must be 2-D .*got shape \(3,\)"):
        linear(x, Tensor(np.zeros(3)))
    with pytest.raises(ValueError, match=r"linear: input of shape \(2, 5\) does not fit weight "
                                         r"of shape \(4, 3\).*in_features=3"):
        linear(Tensor(np.zeros((2, 5))), w)
    with pytest.raises(ValueError, match=r"linear: input of shape \(\) does not fit"):
        linear(Tensor(1.0), w)
    with pytest.raises(ValueError, match=r"linear: bias must have shape \(4,\) to match weight "
                                         r"\(4, 3\), got \(3,\)"):
        linear(x, w, Tensor(np.zeros(3)))


# --------------------------------------------------------------------------- dropout


def test_dropout_zeroes_scales_and_its_gradient_is_the_same_mask():
    tl.manual_seed(0)
    x = leaf(np.ones((200, 50)))
    y = dropout(x, 0.3)
    kept = y.numpy() != 0
    assert abs(1 - kept.mean() - 0.3) < 0.02
    np.testing.assert_allclose(y.numpy()[kept], 1 / 0.7)
    (g,) = grad(y.sum(), x, create_graph=True)
    np.testing.assert_array_equal(g.numpy(), y.numpy())
    assert not g.requires_grad  # a constant mask: the second derivative is 0


def test_dropout_gradient_matches_finite_differences_for_a_fixed_mask():
    x = np.random.default_rng(0).standard_normal((3, 4))

    def fn(t):
        tl.manual_seed(7)  # the same mask at every call
        return dropout(t, 0.4) * t

    assert gradcheck(fn, [leaf(x)]) and gradgradcheck(fn, [leaf(x)])


def test_dropout_identity_cases_generator_and_dtypes():
    x = Tensor(np.ones(100))
    assert dropout(x, 0.5, training=False) is x
    assert dropout(x, 0.5, train=False) is x  # torch.dropout's name for training
    assert dropout(x, 0.0) is x
    assert not dropout(x, 1.0).numpy().any()
    tl.manual_seed(3)
    a = dropout(x, 0.5).numpy()
    tl.manual_seed(3)
    np.testing.assert_array_equal(a, dropout(x, 0.5).numpy())
    assert dropout(Tensor(np.ones(4, np.float32)), 0.5).dtype == np.float32
    assert dropout(Tensor(np.ones(4, np.int64)), 0.5).dtype == np.float64


def test_dropout_in_place():
    x = Tensor(np.ones((4, 5)))
    tl.manual_seed(1)
    assert dropout(x, 0.5, inplace=True) is x
    assert set(np.unique(x.numpy())) <= {0.0, 2.0}
    with pytest.raises(RuntimeError, match="dropout_: a leaf Variable that requires grad"):
        dropout(leaf(np.ones(3)), 0.5, inplace=True)
    y = leaf(np.ones(6))
    z = y * 3
    dropout(z, 0.5, inplace=True).sum().backward()
    np.testing.assert_array_equal(y.grad.numpy(), np.where(z.numpy() != 0, 6.0, 0.0))


@pytest.mark.parametrize("p", [-0.1, 1.5, True, "0.5", None])
def test_dropout_rejects_bad_probabilities(p):
    with pytest.raises(ValueError, match=r"dropout: probability has to be between 0 and 1, "
                                         r"but got"):
        dropout(Tensor(np.ones(3)), p)


# --------------------------------------------------------------------------- one_hot


def test_one_hot_matches_torch_semantics():
    out = one_hot(Tensor(np.array([[0, 2], [1, 1]])))
    assert out.dtype == np.int64 and out.shape == (2, 2, 3)
    np.testing.assert_array_equal(out.numpy()[0], [[1, 0, 0], [0, 0, 1]])
    assert one_hot(np.array([1, 0]), num_classes=4).shape == (2, 4)
    assert one_hot(Tensor(np.zeros(0, np.int64)), 3).shape == (0, 3)
    assert not one_hot(Tensor(np.array([1]))).requires_grad


def test_one_hot_errors():
    with pytest.raises(ValueError, match="one_hot: class values must be non-negative"):
        one_hot(np.array([1, -1]))
    with pytest.raises(ValueError, match="one_hot: class values must be smaller than "
                                         "num_classes=3, got 5"):
        one_hot(np.array([1, 5]), 3)
    with pytest.raises(TypeError, match="one_hot: expected a tensor of integer class labels, "
                                        "got dtype float64"):
        one_hot(np.array([1.0]), 3)
    with pytest.raises(ValueError, match="cannot infer the number of classes of an empty"):
        one_hot(np.zeros(0, np.int64))
    with pytest.raises(ValueError, match="num_classes must be -1 or non-negative"):
        one_hot(np.array([1]), -2)
