"""Indexing ops (tinygrad_lab/ops/indexing.py): gather, scatter, scatter_add, index_select,
index_add, index_put, take, masked_fill, masked_select, nonzero and ``t[index] = value`` —
values and gradients against PyTorch, PyTorch's in-place rules for setitem, errors, and
second derivatives (getitem's gradient is a scatter whose gradient is getitem again)."""

import numpy as np
import pytest
from _higher_order import check_second_order, leaf, torch_second_order
from conftest import examples
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_lab as tl
from tinygrad_lab import Tensor
from tinygrad_lab.ops import indexing as I
from tinygrad_lab.testing import gradcheck
from tinygrad_lab.testing import strategies as tst

RNG = np.random.default_rng(0)
X = RNG.standard_normal((3, 4))
IDX = np.array([[0, 0, 3], [2, 1, 1], [3, 3, 3]])  # repeats: gradients must add up
MASK = X > 0.2
UNIQUE = np.array([[0, 2], [2, 1], [3, 0]])


def torch_cases(torch):
    """(ours, theirs) pairs taking the input tensor."""
    idx, tidx = Tensor(IDX), torch.tensor(IDX)
    return [
        (lambda t: t.gather(1, idx), lambda u: u.gather(1, tidx)),
        (lambda t: t.gather(0, idx[:2, :2]), lambda u: u.gather(0, tidx[:2, :2])),
        (lambda t: t.index_select(1, Tensor([3, 0, 3])),
         lambda u: u.index_select(1, torch.tensor([3, 0, 3]))),
        (lambda t: t.take(Tensor([[0, 11], [5, 5]])),
         lambda u: u.take(torch.tensor([[0, 11], [5, 5]]))),
        (lambda t: t.masked_fill(Tensor(MASK), -1.5),
         lambda u: u.masked_fill(torch.tensor(MASK), -1.5)),
        (lambda t: t.masked_fill(Tensor(MASK[0]), 2.0),
         lambda u: u.masked_fill(torch.tensor(MASK[0]), 2.0)),
        (lambda t: t.masked_select(Tensor(MASK)), lambda u: u.masked_select(torch.tensor(MASK))),
        # (no repeated position: PyTorch leaves scatter with repeats undefined)
        (lambda t: t.scatter(1, Tensor(UNIQUE), t[:, 1:3] * 2),
         lambda u: u.scatter(1, torch.tensor(UNIQUE), u[:, 1:3] * 2)),
        (lambda t: t.scatter(0, idx[:2, :1], value=7.0),
         lambda u: u.scatter(0, tidx[:2, :1], value=7.0)),
        (lambda t: t.scatter_add(1, idx, t[:, :3] ** 2),
         lambda u: u.scatter_add(1, tidx, u[:, :3] ** 2)),
        (lambda t: t.index_add(0, Tensor([2, 0, 2]), t[:3] * 3),
         lambda u: u.index_add(0, torch.tensor([2, 0, 2]), u[:3] * 3)),
        (lambda t: t.index_add(1, Tensor([1, 1]), t[:, :2], alpha=-2),
         lambda u: u.index_add(1, torch.tensor([1, 1]), u[:, :2], alpha=-2)),
        (lambda t: t.index_put((Tensor([0, 0, 2]), Tensor([1, 1, 3])), t[1, :3].exp(),
                               accumulate=True),
         lambda u: u.index_put((torch.tensor([0, 0, 2]), torch.tensor([1, 1, 3])),
                               u[1, :3].exp(), accumulate=True)),
        (lambda t: t.index_put((Tensor([0, 2]),), t[1] * 5),
         lambda u: u.index_put((torch.tensor([0, 2]),), u[1] * 5)),
        (lambda t: t[Tensor(IDX[1]), Tensor(IDX[0])], lambda u: u[tidx[1], tidx[0]]),
        (lambda t: t[Tensor(MASK)], lambda u: u[torch.tensor(MASK)]),
        (lambda t: t[[2, 0], None, 1:], lambda u: u[[2, 0], None, 1:]),
        (lambda t: t[..., Tensor(2)], lambda u: u[..., torch.tensor(2)]),
    ]


def test_values_and_gradients_against_torch():
    torch = pytest.importorskip("torch")
    for ours, theirs in torch_cases(torch):
        t, u = leaf(X), torch.tensor(X, requires_grad=True)
        a, b = ours(t), theirs(u)
        np.testing.assert_allclose(a.numpy(), b.detach().numpy(), rtol=1e-12)
        g = RNG.standard_normal(a.shape)
        a.backward(g)
        b.backward(torch.tensor(g))
        np.testing.assert_allclose(t.grad.numpy(), u.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_second_derivatives_of_every_case():
    torch = pytest.importorskip("torch")  # the cases are written against torch
    for ours, _ in torch_cases(torch):
        check_second_order(ours, X, linear=True)
        check_second_order(lambda t, ours=ours: ours(t * t), X)


def test_second_derivatives_of_every_case_against_torch():
    torch = pytest.importorskip("torch")
    for ours, theirs in torch_cases(torch):
        (g1, g2), (h1, h2) = torch_second_order(lambda t, o=ours: o(t).sin(),
                                                lambda u, th=theirs: th(u).sin(), [X])
        np.testing.assert_allclose(g1[0], g2[0], rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(h1[0], h2[0], rtol=1e-10, atol=1e-12)


def test_repeated_writes_give_the_gradient_to_the_write_that_was_kept():
    # x[[0, 0]] = v keeps v[1] (NumPy's rule, and PyTorch's on the CPU); v[0] changed
    # nothing, so it gets no gradient (PyTorch leaves this case undefined).
    x, v = leaf([0.0, 0.0]), leaf([1.0, 2.0])
    out = x.index_put((Tensor([0, 0]),), v)
    assert out.tolist() == [2.0, 0.0]
    out.backward(np.array([5.0, 7.0]))
    assert v.grad.tolist() == [0.0, 5.0] and x.grad.tolist() == [0.0, 7.0]
    assert gradcheck(lambda a, b: a.scatter(1, Tensor(IDX), b), [leaf(X), leaf(X[:, :3])])


def test_gather_the_tutorial_idiom():
    logits = leaf([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    picked = logits.gather(1, Tensor([[2], [0]]))
    assert picked.tolist() == [[3.0], [4.0]]
    picked.sum().backward()
    np.testing.assert_array_equal(logits.grad.numpy(), [[0, 0, 1], [1, 0, 0]])
    assert I.gather(logits, 1, Tensor([[0, 0]])).tolist() == [[1.0, 1.0]]  # function form


def test_gather_and_scatter_errors():
    x = Tensor(np.zeros((2, 3)))
    with pytest.raises(IndexError, match=r"gather: index 3 is out of bounds for dim 1 with "
                                         r"size 3 \(tensor shape \(2, 3\)\)"):
        x.gather(1, Tensor([[3]]))
    with pytest.raises(IndexError, match=r"gather: index -1 is out of bounds"):
        x.gather(1, Tensor([[-1]]))
    with pytest.raises(ValueError, match=r"gather: index has 1 dims but the tensor has 2"):
        x.gather(1, Tensor([0]))
    with pytest.raises(ValueError, match=r"gather: index shape \(3, 1\) is larger than the "
                                         r"tensor's shape \(2, 3\) at dim 0"):
        x.gather(1, Tensor([[0], [0], [0]]))
    with pytest.raises(TypeError, match=r"gather: index must hold integers .*float"):
        x.gather(1, Tensor([[0.0]]))
    with pytest.raises(TypeError, match=r"scatter: give exactly one of src"):
        x.scatter(1, Tensor([[0]]))
    with pytest.raises(ValueError, match=r"scatter: src of shape \(1, 1\) must be at least"):
        x.scatter(1, Tensor([[0, 1]]), Tensor([[1.0]]))
    with pytest.raises(ValueError, match=r"scatter: reduce='multiply' is not supported"):
        x.scatter(1, Tensor([[0]]), value=1.0, reduce="multiply")


def test_masked_fill_rules():
    x = leaf([[1.0, 2.0], [3.0, 4.0]])
    value = leaf(5.0)
    out = x.masked_fill(Tensor([True, False]), value)  # the mask broadcasts over rows
    assert out.tolist() == [[5.0, 2.0], [5.0, 4.0]]
    out.sum().backward()
    assert value.grad.item() == 2.0
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 1], [0, 1]])
    ints = Tensor([1, 2, 3]).masked_fill(Tensor([True, False, True]), 1.5)
    assert ints.dtype == np.int64 and ints.tolist() == [1, 2, 1]  # PyTorch keeps the dtype
    with pytest.raises(TypeError, match=r"masked_fill: mask must be a bool tensor, got dtype "
                                        r"int64"):
        x.masked_fill(Tensor([1, 0]), 0.0)
    with pytest.raises(ValueError, match=r"masked_fill: mask of shape \(3,\) does not "
                                         r"broadcast to the tensor's shape \(2, 2\)"):
        x.masked_fill(Tensor([True, False, True]), 0.0)
    y = Tensor(np.zeros(3))
    y.masked_fill_(Tensor([True, False, True]), 1.0)
    assert y.tolist() == [1.0, 0.0, 1.0] and y._version == 1


def test_nonzero_against_torch():
    torch = pytest.importorskip("torch")
    x = np.array([[0.0, 1.0, 0.0], [2.0, 0.0, 3.0]])
    np.testing.assert_array_equal(Tensor(x).nonzero().numpy(), torch.tensor(x).nonzero().numpy())
    for ours, theirs in zip(Tensor(x).nonzero(as_tuple=True),
                            torch.tensor(x).nonzero(as_tuple=True), strict=True):
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    assert Tensor(x).nonzero().dtype == np.int64


# ------------------------------------------------------------------- t[index] = value


def test_setitem_writes_in_place_outside_autograd():
    x = Tensor(np.zeros((3, 4)))
    x[0] = 1.0
    x[1, Tensor([1, 3])] = Tensor([2.0, 3.0])
    x[Tensor(np.array([False, False, True]))] = np.arange(4.0)
    x[..., 0] += 10  # getitem, then += on the view, then setitem: all in place
    assert x.tolist() == [[11, 1, 1, 1], [10, 2, 0, 3], [10, 1, 2, 3]]
    assert x._version == 5
    w = leaf([1.0, 2.0])
    with tl.no_grad():
        w[0] = 5.0  # a leaf that requires grad may change under no_grad
    assert w.tolist() == [5.0, 2.0] and w.grad is None and w.is_leaf


def test_setitem_records_the_change_for_autograd():
    torch = pytest.importorskip("torch")
    a = RNG.standard_normal((3, 4))
    v = RNG.standard_normal(4)
    t, u = leaf(a), torch.tensor(a, requires_grad=True)
    s, r = leaf(v), torch.tensor(v, requires_grad=True)
    y, z = t * 2, u * 2
    y[1] = s * s  # overwrites row 1: no gradient to t there, 2 s to s
    z[1] = r * r
    y[Tensor([0, 2]), Tensor([3, 3])] = s[0]
    z[torch.tensor([0, 2]), torch.tensor([3, 3])] = r[0]
    assert y._version == 2 and y.grad_fn is not None
    np.testing.assert_allclose(y.numpy(), z.detach().numpy(), rtol=1e-12)
    g = RNG.standard_normal((3, 4))
    y.backward(g)
    z.backward(torch.tensor(g))
    np.testing.assert_allclose(t.grad.numpy(), u.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(s.grad.numpy(), r.grad.numpy(), rtol=1e-12)


def test_setitem_of_a_tensor_requiring_grad_into_a_plain_one():
    buffer = Tensor(np.zeros((2, 3)))  # like torch.zeros(...)
    w = leaf([1.0, 2.0, 3.0])
    buffer[0] = w * 3
    assert buffer.requires_grad and not buffer.is_leaf
    buffer.sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [3.0, 3.0, 3.0])


def test_setitem_refuses_what_pytorch_refuses():
    w = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match=r"t\[index\] = value: a leaf Variable that requires "
                                           r"grad is being used in an in-place operation"):
        w[0] = 5.0
    assert w.tolist() == [1.0, 2.0]  # nothing half-happened
    x = Tensor(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"t\[index\] = value: cannot write a value of shape "
                                         r"\(2,\) at index 0 of a tensor of shape \(2, 3\)"):
        x[0] = np.ones(2)
    with pytest.raises(IndexError, match=r"t\[index\] = value: index 5 is out of bounds"):
        x[5] = 1.0
    with pytest.raises(RuntimeError, match=r"t\[index\] = value: cannot write .*read-only"):
        x[0].expand(4, 3)[0] = 1.0
    y = leaf(np.zeros(3)) * 1
    with pytest.raises(ValueError, match=r"t\[index\] = value: cannot write values of shape "
                                         r"\(2,\) into the positions"):
        y[0:3] = Tensor([1.0, 2.0])
    assert x._version == 0 and y._version == 0


def test_setitem_invalidates_an_op_that_needed_the_old_value():
    w = leaf([1.0, 2.0, 3.0])
    h = w * 1
    y = (h * h).sum()
    h[0] = 0.0
    with pytest.raises(RuntimeError, match=r"modified by an inplace operation"):
        y.backward()


@settings(max_examples=examples(40))
@given(data=st.data())
def test_setitem_second_derivatives(data):
    x = data.draw(tst.arrays(shape=tst.shapes(min_dims=1, max_dims=3, max_side=3)))
    index = data.draw(st.one_of(
        hnp.basic_indices(x.shape, allow_ellipsis=True),
        hnp.integer_array_indices(x.shape),
    ))

    def fn(t):
        y = t * 1
        y[index] = (t[index] ** 2).sin()  # the written value depends on t too
        return y

    check_second_order(fn, x)
    assert gradcheck(fn, [leaf(x)])


@settings(max_examples=examples(40))
@given(data=st.data())
def test_gather_second_derivatives(data):
    x = data.draw(tst.arrays(shape=tst.shapes(min_dims=1, max_dims=3, max_side=3)))
    dim = data.draw(st.integers(-x.ndim, x.ndim - 1))
    shape = tuple(data.draw(st.integers(1, n)) for n in x.shape)
    shape = shape[:dim % x.ndim] + (data.draw(st.integers(1, 4)),) + shape[dim % x.ndim + 1:]
    index = data.draw(hnp.arrays(np.int64, shape, elements=st.integers(0, x.shape[dim] - 1)))
    check_second_order(lambda t: t.gather(dim, Tensor(index)), x, linear=True)
    check_second_order(lambda t: Tensor(np.zeros(x.shape)).scatter_add(
        dim, Tensor(index), t.gather(dim, Tensor(index)) ** 2), x)
