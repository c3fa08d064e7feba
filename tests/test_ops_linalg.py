"""matmul: NumPy's ``@`` semantics (1-D, 2-D, batched with broadcasting), gradients
against finite differences and PyTorch, readable shape errors."""

import numpy as np
import pytest
from _higher_order import check_second_order, torch_second_order
from conftest import examples, leaf
from hypothesis import given, settings

from tinygrad_lab import Tensor
from tinygrad_lab.ops import linalg as L
from tinygrad_lab.ops.linalg import matmul
from tinygrad_lab.testing import gradcheck
from tinygrad_lab.testing import strategies as tst


@settings(max_examples=examples(40))
@given(shapes=tst.matmul_shapes(max_batch_dims=2, max_side=3))
def test_gradcheck_and_value(shapes):
    rng = np.random.default_rng(0)
    a, b = (rng.standard_normal(s) for s in shapes)
    out = leaf(a) @ leaf(b)
    expected = a @ b
    assert out.shape == np.shape(expected)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12, atol=1e-12)
    assert gradcheck(lambda x, y: x @ y, [leaf(a), leaf(b)])


SHAPES = [
    ((3,), (3,)),            # dot product -> 0-d
    ((3,), (3, 2)),          # vector @ matrix
    ((2, 3), (3,)),          # matrix @ vector
    ((4, 2, 3), (3,)),       # batch @ vector
    ((3,), (4, 3, 2)),       # vector @ batch
    ((2, 3), (3, 5)),
    ((4, 2, 3), (3, 5)),     # batch @ shared matrix (the folded gradient)
    ((2, 3), (4, 3, 5)),     # shared matrix @ batch
    ((2, 1, 2, 3), (4, 3, 2)),  # batch axes broadcast both ways
    ((1, 2, 3), (4, 3, 2)),
    ((5, 1, 3), (1, 3, 1)),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape_a, shape_b", SHAPES + [((40, 7), (7, 33)), ((1, 9), (9, 1))])
def test_values_have_the_bits_of_numpy_matmul(shape_a, shape_b, dtype):
    # Up to 2-D the op computes with np.dot (less overhead): the same BLAS product as @.
    rng = np.random.default_rng(2)
    a, b = rng.standard_normal(shape_a).astype(dtype), rng.standard_normal(shape_b).astype(dtype)
    out = leaf(a, dtype) @ leaf(b, dtype)
    assert out.dtype == dtype and np.array_equal(out.numpy(), a @ b)


@pytest.mark.parametrize("shape_a, shape_b", SHAPES)
def test_named_cases(shape_a, shape_b):
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal(shape_a), rng.standard_normal(shape_b)
    np.testing.assert_allclose((leaf(a) @ leaf(b)).numpy(), a @ b, rtol=1e-12)
    assert gradcheck(lambda x, y: x @ y, [leaf(a), leaf(b)])


@pytest.mark.parametrize("shape_a, shape_b", SHAPES)
def test_against_torch(shape_a, shape_b):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    a, b = rng.standard_normal(shape_a), rng.standard_normal(shape_b)
    x, y = leaf(a), leaf(b)
    u, v = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    out, ref = x @ y, u @ v
    np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), rtol=1e-12, atol=1e-12)
    g = rng.standard_normal(out.shape)
    out.backward(g)
    ref.backward(torch.tensor(g))
    np.testing.assert_allclose(x.grad.numpy(), u.grad.numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(y.grad.numpy(), v.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_backward_skips_inputs_that_need_no_gradient():
    rng = np.random.default_rng(3)
    for requires in [(True, False), (False, True)]:
        a = Tensor(rng.standard_normal((4, 2, 3)), requires_grad=requires[0])
        b = Tensor(rng.standard_normal((3, 5)), requires_grad=requires[1])
        out = a @ b
        grads = out._backward(np.ones(out.shape), out.numpy(), a.numpy(), b.numpy())
        assert [g is not None for g in grads] == list(requires)


def test_operands_that_are_not_tensors():
    w = leaf([[1.0], [2.0]])
    out = np.array([[1.0, 1.0]]) @ w  # ndarray @ Tensor defers to Tensor.__rmatmul__
    assert isinstance(out, Tensor) and out.item() == 3.0
    out.backward()
    np.testing.assert_array_equal(w.grad.numpy(), [[1.0], [1.0]])
    assert (Tensor(np.eye(2)) @ [[1.0], [2.0]]).shape == (2, 1)
    assert matmul([1.0, 2.0], Tensor(np.ones(2))).item() == 3.0


def test_dtypes():
    a = leaf(np.ones((2, 3)), dtype=np.float32)
    b = leaf(np.ones((3, 2)), dtype=np.float32)
    out = a @ b
    assert out.dtype == np.float32
    out.sum().backward()
    assert a.grad.dtype == np.float32 and b.grad.dtype == np.float32
    assert (Tensor([[1, 2]]) @ Tensor([[3], [4]])).item() == 11


def test_shape_errors_are_readable():
    with pytest.raises(ValueError, match=r"^matmul: shapes \(8, 3\) @ \(2, 1\) do not match: "
                                         r"3 != 2 \(inner dimensions\)$"):
        Tensor(np.zeros((8, 3))) @ Tensor(np.zeros((2, 1)))
    with pytest.raises(ValueError, match=r"matmul: shapes \(3,\) @ \(4,\) do not match: 3 != 4"):
        Tensor(np.zeros(3)) @ Tensor(np.zeros(4))
    with pytest.raises(ValueError, match=r"matmul: shapes \(2, 3\) @ \(2,\) do not match"):
        Tensor(np.zeros((2, 3))) @ Tensor(np.zeros(2))
    with pytest.raises(ValueError, match=r"matmul: shapes \(2, 2, 3\) @ \(3, 3, 1\): batch "
                                         r"dimensions \(2,\) and \(3,\) cannot be broadcast"):
        Tensor(np.zeros((2, 2, 3))) @ Tensor(np.zeros((3, 3, 1)))
    with pytest.raises(ValueError, match=r"matmul: shapes \(\) @ \(2,\): both operands need"):
        Tensor(np.array(2.0)) @ Tensor(np.zeros(2))


def readonly_seed(out):
    """A tensor whose backward hands ``out``'s closure a read-only gradient."""
    g = np.random.default_rng(0).standard_normal(out.shape)
    g.flags.writeable = False
    return Tensor.from_op(out.numpy().copy(), (out,), lambda _g, _o, _x: (g,), "readonly_seed")


@pytest.mark.parametrize("shape_a, shape_b", SHAPES)
def test_matmul_modifies_neither_inputs_nor_gradient(shape_a, shape_b):
    rng = np.random.default_rng(4)
    a, b = leaf(rng.standard_normal(shape_a)), leaf(rng.standard_normal(shape_b))
    saved = a.numpy().copy(), b.numpy().copy()
    a.numpy().flags.writeable = b.numpy().flags.writeable = False
    readonly_seed(a @ b).sum().backward()
    np.testing.assert_array_equal(a.numpy(), saved[0])
    np.testing.assert_array_equal(b.numpy(), saved[1])
    assert a.grad.shape == shape_a and b.grad.shape == shape_b


# ------------------------------------------------------------ PyTorch's surface


def test_strict_products_against_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    cases = [
        ("mm", (2, 3), (3, 4)), ("bmm", (5, 2, 3), (5, 3, 4)), ("mv", (2, 3), (3,)),
        ("dot", (3,), (3,)), ("outer", (3,), (4,)), ("matmul", (5, 2, 3), (3,)),
    ]
    for name, shape_a, shape_b in cases:
        a, b = rng.standard_normal(shape_a), rng.standard_normal(shape_b)
        x, y = leaf(a), leaf(b)
        u, v = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
        out, ref = getattr(L, name)(x, y), getattr(torch, name)(u, v)
        np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), rtol=1e-12)
        method = getattr(x, name)(y)
        np.testing.assert_array_equal(method.numpy(), out.numpy())
        g = rng.standard_normal(out.shape)
        out.backward(g)
        ref.backward(torch.tensor(g))
        np.testing.assert_allclose(x.grad.numpy(), u.grad.numpy(), rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(y.grad.numpy(), v.grad.numpy(), rtol=1e-12, atol=1e-12)
    c, a, b = (rng.standard_normal(s) for s in [(2, 4), (2, 3), (3, 4)])
    np.testing.assert_allclose(
        L.addmm(Tensor(c), Tensor(a), Tensor(b), beta=0.5, alpha=2).numpy(),
        torch.addmm(torch.tensor(c), torch.tensor(a), torch.tensor(b), beta=0.5,
                    alpha=2).numpy(), rtol=1e-12)


def test_strict_products_refuse_other_shapes():
    with pytest.raises(ValueError, match=r"mm: expected 2-D and 2-D tensors, got shapes "
                                         r"\(2, 2, 3\) and \(3, 4\); matmul broadcasts"):
        L.mm(Tensor(np.zeros((2, 2, 3))), Tensor(np.zeros((3, 4))))
    with pytest.raises(RuntimeError, match=r"bmm: batch sizes differ"):  # also a RuntimeError
        L.bmm(Tensor(np.zeros((2, 2, 3))), Tensor(np.zeros((3, 3, 4))))
    with pytest.raises(ValueError, match=r"dot: expected 1-D and 1-D"):
        L.dot(Tensor(np.zeros((2, 2))), Tensor(np.zeros(2)))


def test_numpy_functions_on_tensors():
    a = leaf(np.arange(6.0).reshape(2, 3))
    b = leaf(np.ones((3, 2)))
    for out in [np.matmul(a, b), np.dot(a, b), a.numpy() @ b, np.outer(a, b)]:
        assert isinstance(out, Tensor) and out.requires_grad
    np.testing.assert_array_equal(np.dot(a, b).numpy(), a.numpy() @ b.numpy())
    assert np.outer(a, b).shape == (6, 6)
    assert np.dot(a, 2.0).shape == (2, 3)
    with pytest.raises(TypeError, match=r"np.dot of tensors with more than 2 dims"):
        np.dot(Tensor(np.zeros((2, 2, 2))), b)


# ------------------------------------------------------------- second derivatives


@settings(max_examples=examples(30))
@given(shapes=tst.matmul_shapes(max_batch_dims=2, max_side=3))
def test_second_derivatives(shapes):
    rng = np.random.default_rng(0)
    a, b = (rng.standard_normal(s) for s in shapes)
    # matmul is bilinear: its second derivatives are the cross terms d²/da db
    check_second_order(lambda x, y: x @ y, a, b)
    check_second_order(lambda x, y: (x @ y) ** 2, a, b)


@pytest.mark.parametrize("shape_a, shape_b", SHAPES)
def test_second_derivatives_named_cases(shape_a, shape_b):
    rng = np.random.default_rng(6)
    a, b = rng.standard_normal(shape_a), rng.standard_normal(shape_b)
    check_second_order(lambda x, y: (x @ y).sin(), a, b)
    check_second_order(lambda x: (x @ Tensor(b)) ** 2, a)  # only one input needs grad


@pytest.mark.parametrize("shape_a, shape_b", SHAPES)
def test_second_derivatives_against_torch(shape_a, shape_b):
    pytest.importorskip("torch")
    rng = np.random.default_rng(7)
    a, b = rng.standard_normal(shape_a), rng.standard_normal(shape_b)
    (g1, g2), (h1, h2) = torch_second_order(lambda x, y: (x @ y) ** 2,
                                            lambda u, v: (u @ v) ** 2, [a, b])
    for ours, theirs in zip(g1 + h1, g2 + h2, strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)
