"""Shape ops: reshape, transpose/permute/swapaxes, flatten, squeeze, unsqueeze, expand,
pad, getitem (basic, boolean, integer arrays with repeats), cat, stack — values against
NumPy, gradients against finite differences, error messages, no mutation, PyTorch."""

import numpy as np
import pytest
from _higher_order import check_second_order, torch_second_order
from conftest import examples, leaf
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tinygrad_lab import Tensor
from tinygrad_lab.ops import shape as S
from tinygrad_lab.testing import gradcheck
from tinygrad_lab.testing import strategies as tst


def check(fn, *arrays, expected=None):
    """gradcheck ``fn`` in float64 and, when given, compare its value with ``expected``."""
    tensors = [leaf(a) for a in arrays]
    if expected is not None:
        out = fn(*tensors)
        assert out.shape == np.shape(expected)
        np.testing.assert_array_equal(out.numpy(), expected)
    assert gradcheck(fn, tensors)


small_shapes = tst.shapes(min_dims=0, max_dims=3, max_side=3)


# ---------------------------------------------------------------------------- reshaping


@settings(max_examples=examples(30))
@given(data=st.data())
def test_reshape(data):
    x = data.draw(tst.arrays(shape=small_shapes))
    target = data.draw(st.sampled_from([
        (x.size,), (-1,), (1, x.size), (x.size, 1, -1), x.shape[::-1], (1,) + x.shape,
    ]))
    check(lambda t: t.reshape(target), x, expected=x.reshape(target))
    check(lambda t: t.reshape(*target), x, expected=x.reshape(target))


@settings(max_examples=examples(30))
@given(data=st.data())
def test_flatten(data):
    x = data.draw(tst.arrays(shape=small_shapes))
    n = max(x.ndim, 1)
    start = data.draw(st.integers(-n, n - 1))
    end = data.draw(st.integers(start % n, n - 1)) - data.draw(st.sampled_from([0, n]))
    ref = np.reshape(x, (1,)) if x.ndim == 0 else x
    s, e = start % n, end % n
    expected = ref.reshape(ref.shape[:s] + (-1,) + ref.shape[e + 1 :])
    check(lambda t: t.flatten(start, end), x, expected=expected)


def test_flatten_defaults_and_errors():
    x = Tensor(np.zeros((2, 3, 4)))
    assert x.flatten().shape == (24,)
    assert x.flatten(1).shape == (2, 12)
    assert Tensor(1.0).flatten().shape == (1,)
    with pytest.raises(ValueError, match=r"flatten: start_dim 2 comes after end_dim 1"):
        x.flatten(2, 1)


@settings(max_examples=examples(30))
@given(data=st.data())
def test_squeeze(data):
    x = data.draw(tst.arrays(shape=tst.shapes(min_dims=0, max_dims=4, max_side=2)))
    ndim = max(x.ndim, 1)
    axis = data.draw(st.one_of(
        st.none(),
        st.integers(-ndim, ndim - 1),
        st.lists(st.integers(-ndim, ndim - 1), max_size=ndim,
                 unique_by=lambda a: a % ndim).map(tuple),
    ))
    if axis is None:
        expected = np.squeeze(x)
    else:  # PyTorch: named axes of size 1 go, others stay
        axes = axis if isinstance(axis, tuple) else (axis,)
        drop = tuple(a % ndim for a in axes if x.ndim and x.shape[a] == 1)
        expected = np.squeeze(x, axis=drop)
    check(lambda t: t.squeeze(axis), x, expected=expected)


@settings(max_examples=examples(30))
@given(data=st.data())
def test_unsqueeze(data):
    x = data.draw(tst.arrays(shape=small_shapes))
    axis = data.draw(st.integers(-x.ndim - 1, x.ndim))
    check(lambda t: t.unsqueeze(axis), x, expected=np.expand_dims(x, axis))


def test_squeeze_leaves_other_axes_alone_like_pytorch():
    x = Tensor(np.zeros((2, 1, 3)))
    assert x.squeeze(0).shape == (2, 1, 3)
    assert x.squeeze((0, 1)).shape == (2, 3)
    assert x.squeeze().shape == (2, 3)
    assert Tensor(1.0).squeeze(0).shape == ()
    with pytest.raises(ValueError, match=r"squeeze: axis 3 is out of range .*\(2, 1, 3\)"):
        x.squeeze(3)


# --------------------------------------------------------------------------- reordering


@settings(max_examples=examples(30))
@given(data=st.data())
def test_transpose_and_permute(data):
    x = data.draw(tst.arrays(shape=small_shapes))
    perm = data.draw(st.permutations(range(x.ndim)))
    axes = tuple(a - x.ndim if data.draw(st.booleans()) else a for a in perm)
    check(lambda t: t.permute(axes), x, expected=np.transpose(x, axes))
    check(lambda t: t.permute(*axes), x, expected=np.transpose(x, axes))
    check(lambda t: np.transpose(t, axes), x, expected=np.transpose(x, axes))
    check(lambda t: np.transpose(t), x, expected=x.T)
    check(lambda t: t.T, x, expected=x.T)


@settings(max_examples=examples(25))
@given(data=st.data())
def test_swapaxes(data):
    x = data.draw(tst.arrays(shape=tst.shapes(min_dims=1, max_dims=3, max_side=3)))
    a, b = (data.draw(st.integers(-x.ndim, x.ndim - 1)) for _ in range(2))
    check(lambda t: S.swapaxes(t, a, b), x, expected=np.swapaxes(x, a, b))
    # Tensor.transpose with two axes swaps them, as torch.transpose does.
    check(lambda t: t.transpose(a, b), x, expected=np.swapaxes(x, a, b))


def test_permutation_errors():
    x = Tensor(np.zeros((2, 3, 4)))
    with pytest.raises(ValueError, match=r"transpose: dims \(1, 2\) must list each of the 3 "
                                         r"dims of shape \(2, 3, 4\)"):
        np.transpose(x, (1, 2))
    with pytest.raises(TypeError, match=r"transpose: expected two dims to swap .* \.T .*"
                                        r"permute"):
        x.transpose(2, 0, 1)
    with pytest.raises(TypeError, match=r"transpose: expected two dims to swap"):
        x.transpose()
    with pytest.raises(ValueError, match=r"permute: dims \(0, 1, -2\) repeat a dim"):
        x.permute(0, 1, -2)
    with pytest.raises(ValueError, match=r"permute: axis 3 is out of range"):
        x.permute(0, 1, 3)


# ------------------------------------------------------------------- expand and pad


@st.composite
def expand_case(draw):
    shape = draw(tst.shapes(min_dims=0, max_dims=3, max_side=3))
    target = [draw(st.integers(1, 3)) if n == 1 else draw(st.sampled_from([n, -1]))
              for n in shape]
    lead = draw(st.lists(st.integers(1, 3), max_size=2))
    return draw(tst.arrays(shape=shape)), tuple(lead + target)


@settings(max_examples=examples(30))
@given(case=expand_case())
def test_expand(case):
    x, target = case
    resolved = tuple(n if n != -1 else x.shape[i - (len(target) - x.ndim)]
                     for i, n in enumerate(target))
    check(lambda t: t.expand(target), x, expected=np.broadcast_to(x, resolved))
    check(lambda t: t.broadcast_to(*target), x, expected=np.broadcast_to(x, resolved))


def test_expand_gradient_sums_the_copies():
    x = leaf([[1.0], [2.0]])
    x.expand(3, 2, 4).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[12.0], [12.0]])


def test_expand_errors():
    x = Tensor(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"expand: cannot expand shape \(2, 3\) to \(4, 3\): "
                                         r"dim 0 has size 2, which is neither 1 nor 4"):
        x.expand(4, 3)
    with pytest.raises(ValueError, match=r"expand: target shape \(3,\) has fewer dims"):
        x.expand(3)
    with pytest.raises(ValueError, match=r"expand: size -1 at dim 0 of \(-1, 2, 3\)"):
        x.expand(-1, 2, 3)


@st.composite
def pad_case(draw):
    x = draw(tst.arrays(shape=small_shapes))
    form = draw(st.sampled_from(["int", "pair", "per-axis"]))
    width = st.integers(0, 2)
    if form == "int":
        pad_width = draw(width)
    elif form == "pair":
        pad_width = (draw(width), draw(width))
    else:
        pad_width = tuple((draw(width), draw(width)) for _ in range(x.ndim))
    return x, pad_width, draw(st.sampled_from([0.0, -1.5]))


@settings(max_examples=examples(30))
@given(case=pad_case())
def test_pad(case):
    x, pad_width, value = case
    if pad_width == ():  # a 0-d tensor, one pair per axis: nothing (np.pad rejects it)
        expected = x
    else:
        expected = np.pad(x, pad_width, mode="constant", constant_values=value)
    check(lambda t: t.pad(pad_width, value), x, expected=expected)


def test_pad_errors():
    x = Tensor(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"pad: pad_width -1 does not fit .*\(2, 3\)"):
        x.pad(-1)
    with pytest.raises(ValueError, match=r"pad: pad_width \(\(1, 1\), \(1, 1\), \(1, 1\)\)"):
        x.pad(((1, 1), (1, 1), (1, 1)))
    with pytest.raises(ValueError, match=r"pad: pad_width 1.5"):
        x.pad(1.5)


# ---------------------------------------------------------------------------- indexing


@settings(max_examples=examples(40))
@given(data=st.data())
def test_getitem_basic_indices(data):
    x = data.draw(tst.arrays(shape=tst.shapes(min_dims=0, max_dims=3, max_side=4)))
    index = data.draw(hnp.basic_indices(x.shape, allow_newaxis=True, allow_ellipsis=True))
    check(lambda t: t[index], x, expected=x[index])


@settings(max_examples=examples(40))
@given(data=st.data())
def test_getitem_integer_arrays_with_repeats(data):
    x = data.draw(tst.arrays(shape=tst.shapes(min_dims=1, max_dims=3, max_side=3)))
    index = data.draw(hnp.integer_array_indices(
        x.shape, result_shape=hnp.array_shapes(min_dims=1, max_dims=2, max_side=4)))
    check(lambda t: t[index], x, expected=x[index])
    expected_grad = np.zeros_like(x)
    np.add.at(expected_grad, index, 1.0)
    t = leaf(x)
    t[index].sum().backward()
    np.testing.assert_array_equal(t.grad.numpy(), expected_grad)


@settings(max_examples=examples(30))
@given(data=st.data())
def test_getitem_boolean_mask(data):
    x = data.draw(tst.arrays(shape=tst.shapes(min_dims=1, max_dims=3, max_side=3)))
    mask = data.draw(hnp.arrays(np.bool_, x.shape))
    check(lambda t: t[mask], x, expected=x[mask])
    check(lambda t: t[Tensor(mask)], x, expected=x[mask])
    row_mask = mask.reshape(-1)[: x.shape[0]]  # a mask over the first axis only
    check(lambda t: t[row_mask], x, expected=x[row_mask])


def test_repeated_index_gradient_adds_up():
    x = leaf([10.0, 20.0, 30.0])
    y = x[[0, 0, 1]]
    np.testing.assert_array_equal(y.numpy(), [10.0, 10.0, 20.0])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 1.0, 0.0])

    x = leaf(np.arange(6.0).reshape(3, 2))
    x[Tensor(np.array([[2, 2], [0, 2]])), 1:].backward(np.ones((2, 2, 1)))
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 1], [0, 0], [0, 3]])


def test_getitem_mixed_and_negative_steps():
    x = np.arange(24.0).reshape(2, 3, 4)
    for index in [
        (slice(None, None, -1),),
        (Ellipsis, slice(None, None, -2)),
        (1, slice(2, None, -1), None, [3, 0, 3]),
        ([1, 0], slice(None), [0, 3]),
        (slice(None), [2, 2], slice(1, 3)),
        (np.array([True, False]), 0),
        (),
        np.int64(-1),
        [],
    ]:
        check(lambda t, index=index: t[index], x, expected=x[index])


def test_getitem_errors():
    x = Tensor(np.zeros((2, 3)))
    with pytest.raises(IndexError, match=r"getitem: index 5 is out of bounds.*shape \(2, 3\)"):
        x[5]
    with pytest.raises(IndexError, match=r"getitem: .*too many indices.*shape \(2, 3\)"):
        x[0, 0, 0]
    with pytest.raises(IndexError, match=r"getitem: index arrays must hold integers or "
                                         r"booleans, got dtype float64"):
        x[np.array([0.0])]


# ------------------------------------------------------------------------------ joining


@st.composite
def cat_case(draw):
    shape = draw(tst.shapes(min_dims=1, max_dims=3, max_side=3))
    axis = draw(st.integers(-len(shape), len(shape) - 1))
    count = draw(st.integers(1, 3))
    arrays = []
    for _ in range(count):
        s = list(shape)
        s[axis] = draw(st.integers(0, 3))
        arrays.append(draw(tst.arrays(shape=tuple(s))))
    return arrays, axis


@settings(max_examples=examples(30))
@given(case=cat_case())
def test_cat(case):
    arrays, axis = case
    check(lambda *ts: S.cat(ts, axis), *arrays, expected=np.concatenate(arrays, axis))


@settings(max_examples=examples(30))
@given(data=st.data())
def test_stack(data):
    shape = data.draw(small_shapes)
    arrays = [data.draw(tst.arrays(shape=shape)) for _ in range(data.draw(st.integers(1, 3)))]
    axis = data.draw(st.integers(-len(shape) - 1, len(shape)))
    check(lambda *ts: S.stack(ts, axis), *arrays, expected=np.stack(arrays, axis))


def test_cat_and_stack_skip_inputs_without_grad():
    a, b = leaf([1.0, 2.0]), Tensor(np.array([3.0]))
    out = S.cat([a, b])
    grads = out._backward(np.ones(3), out.numpy(), a.numpy(), b.numpy())
    assert grads[1] is None
    out.backward(np.array([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(a.grad.numpy(), [1.0, 2.0])
    assert b.grad is None
    s = S.stack([a, [5.0, 6.0]], axis=1)
    assert s.shape == (2, 2)
    assert s._backward(np.ones((2, 2)), s.numpy(), a.numpy(), np.array([5.0, 6.0]))[1] is None


def test_cat_and_stack_errors_name_the_mismatch():
    a, b = Tensor(np.zeros((2, 3))), Tensor(np.zeros((2, 4)))
    with pytest.raises(ValueError, match=r"cat: tensor 1 has shape \(2, 4\) but tensor 0 has "
                                         r"shape \(2, 3\); all sizes must match except "
                                         r"along dim 0"):
        S.cat([a, b])
    assert S.cat([a, b], axis=1).shape == (2, 7)
    with pytest.raises(ValueError, match=r"cat: tensor 1 has shape \(3,\)"):
        S.cat([a, Tensor(np.zeros(3))], axis=1)
    with pytest.raises(ValueError, match=r"stack: tensor 1 has shape \(2, 4\) but tensor 0 "
                                         r"has shape \(2, 3\); stack needs equal shapes"):
        S.stack([a, b])
    with pytest.raises(ValueError, match=r"cat: expected a non-empty sequence"):
        S.cat([])
    with pytest.raises(TypeError, match=r"stack: expected a sequence.*got Tensor"):
        S.stack(a)
    with pytest.raises(ValueError, match=r"cat: 0-d tensors cannot be concatenated"):
        S.cat([Tensor(1.0), Tensor(2.0)])
    with pytest.raises(ValueError, match=r"stack: axis 3 is out of range .*\(2, 3\)"):
        S.stack([a, a], axis=3)


def test_cat_promotes_dtypes_and_gradients_keep_each_inputs_dtype():
    a = leaf([1.0], dtype=np.float32)
    b = leaf([2.0, 3.0])
    out = S.cat([a, b])
    assert out.dtype == np.float64
    out.sum().backward()
    assert a.grad.dtype == np.float32 and b.grad.dtype == np.float64


# --------------------------------------------------------------------- reshape errors


def test_reshape_errors():
    x = Tensor(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"reshape: cannot reshape a tensor of shape \(2, 3\) "
                                         r"\(6 elements\) into shape \(4, 2\)"):
        x.reshape(4, 2)
    with pytest.raises(TypeError, match=r"reshape: shape must be ints"):
        x.reshape(2.0, 3)
    with pytest.raises(ValueError, match=r"unsqueeze: axis 3 is out of range .*valid: -3 to 2"):
        x.unsqueeze(3)


# ------------------------------------------------------------------- no mutation


def readonly_seed(out):
    """A tensor whose backward hands ``out``'s closure a read-only gradient."""
    g = np.random.default_rng(0).standard_normal(out.shape)
    g.flags.writeable = False
    return Tensor.from_op(out.numpy().copy(), (out,), lambda _g, _o, _x: (g,), "readonly_seed")


@pytest.mark.parametrize("fn", [
    lambda t: t.reshape(-1),
    lambda t: t.T,
    lambda t: t.permute(2, 0, 1),
    lambda t: t.flatten(1),
    lambda t: t[:, None].squeeze(1),
    lambda t: t.unsqueeze(-1),
    lambda t: t[None].expand(3, -1, -1, -1),
    lambda t: t.pad(((1, 0), (0, 2), (1, 1)), value=2.0),
    lambda t: t[::-1, [0, 0, 2]],
    lambda t: t[t.numpy() > 0],
    lambda t: S.cat([t, t], axis=1),
    lambda t: S.stack([t, t], axis=-1),
    lambda t: S.swapaxes(t, 0, 2),
])
def test_ops_modify_neither_inputs_nor_gradients(fn):
    x = leaf(np.random.default_rng(3).standard_normal((2, 3, 4)))
    before = x.numpy().copy()
    x.numpy().flags.writeable = False
    readonly_seed(fn(x)).sum().backward()
    np.testing.assert_array_equal(x.numpy(), before)
    assert x.grad.shape == x.shape


def test_float32_stays_float32():
    x = leaf(np.ones((2, 3)), dtype=np.float32)
    for out in [x.reshape(3, 2), x.T, x[[0, 0]], x.pad(1), x.expand(2, 2, 3),
                S.cat([x, x]), S.stack([x, x])]:
        assert out.dtype == np.float32


# ------------------------------------------------------------------------ PyTorch


def test_against_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 3, 4))
    y = rng.standard_normal((2, 5, 4))
    cases = [
        (lambda t, s: t.reshape(4, -1), lambda u, v: u.reshape(4, -1)),
        (lambda t, s: t.permute(2, 0, 1), lambda u, v: u.permute(2, 0, 1)),
        (lambda t, s: S.swapaxes(t, 0, 2), lambda u, v: u.transpose(0, 2)),
        (lambda t, s: t.flatten(1, 2), lambda u, v: u.flatten(1, 2)),
        (lambda t, s: t[:, None, :1].squeeze(), lambda u, v: u[:, None, :1].squeeze()),
        (lambda t, s: t.unsqueeze(-2), lambda u, v: u.unsqueeze(-2)),
        (lambda t, s: t[:, :1].expand(5, -1, 4, -1), lambda u, v: u[:, :1].expand(5, -1, 4, -1)),
        (lambda t, s: t.pad(((0, 0), (1, 2), (3, 0)), value=0.5),
         lambda u, v: torch.nn.functional.pad(u, (3, 0, 1, 2), value=0.5)),
        (lambda t, s: t[[1, 1, 0], ::2, [3, 3, 1]],
         lambda u, v: u[[1, 1, 0], ::2, [3, 3, 1]]),
        (lambda t, s: t[t.numpy() > 0.3], lambda u, v: u[u > 0.3]),
        (lambda t, s: S.cat([t, s, t], axis=1), lambda u, v: torch.cat([u, v, u], dim=1)),
        (lambda t, s: S.stack([t, t * 2], axis=-1), lambda u, v: torch.stack([u, u * 2], -1)),
    ]
    for ours, theirs in cases:
        t, s = leaf(x), leaf(y)
        u = torch.tensor(x, requires_grad=True)
        v = torch.tensor(y, requires_grad=True)
        a, b = ours(t, s), theirs(u, v)
        np.testing.assert_array_equal(a.numpy(), b.detach().numpy())
        g = rng.standard_normal(a.shape)
        a.backward(g)
        b.backward(torch.tensor(g))
        np.testing.assert_allclose(t.grad.numpy(), u.grad.numpy(), rtol=1e-12, atol=1e-12)
        if s.grad is not None or v.grad is not None:
            np.testing.assert_allclose(s.grad.numpy(), v.grad.numpy(), rtol=1e-12, atol=1e-12)



# ------------------------------------------------------------ PyTorch's surface


def test_pytorch_surface_against_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 3, 4))
    m = rng.standard_normal((3, 4))
    cases = [
        (lambda t: t.view(4, -1), lambda u: u.view(4, -1)),
        (lambda t: t.view((-1,)), lambda u: u.view((-1,))),
        (lambda t: t.reshape(-1, 2, 2), lambda u: u.reshape(-1, 2, 2)),
        (lambda t: t.view_as(Tensor(np.zeros((6, 4)))), lambda u: u.view_as(torch.zeros(6, 4))),
        (lambda t: S.transpose(t, 0, 2), lambda u: torch.transpose(u, 0, 2)),
        (lambda t: t.transpose(-1, 1), lambda u: u.transpose(-1, 1)),
        (lambda t: t.swapdims(0, 1), lambda u: u.swapdims(0, 1)),
        (lambda t: t.mT, lambda u: u.mT),
        (lambda t: t.movedim(0, -1), lambda u: u.movedim(0, -1)),
        (lambda t: t.movedim((0, 1), (2, 0)), lambda u: u.movedim((0, 1), (2, 0))),
        (lambda t: t[:, :1].expand(-1, 5, -1), lambda u: u[:, :1].expand(-1, 5, -1)),
        (lambda t: t[:1].expand_as(Tensor(x)), lambda u: u[:1].expand_as(torch.tensor(x))),
        (lambda t: t.repeat(2, 1, 3), lambda u: u.repeat(2, 1, 3)),
        (lambda t: t.repeat(2, 1, 1, 2), lambda u: u.repeat(2, 1, 1, 2)),
        (lambda t: t.tile((2,)), lambda u: u.tile((2,))),
        (lambda t: t.repeat_interleave(2, dim=1), lambda u: u.repeat_interleave(2, dim=1)),
        (lambda t: t.repeat_interleave(Tensor([1, 0, 2]), dim=1),
         lambda u: u.repeat_interleave(torch.tensor([1, 0, 2]), dim=1)),
        (lambda t: t.repeat_interleave(2), lambda u: u.repeat_interleave(2)),
        (lambda t: t.flip(0, 2), lambda u: u.flip(0, 2)),
        (lambda t: t.flip((1,)), lambda u: u.flip((1,))),
        (lambda t: t.roll(1, 2), lambda u: u.roll(1, 2)),
        (lambda t: t.roll((1, -2), (0, 2)), lambda u: u.roll((1, -2), (0, 2))),
        (lambda t: t.roll(5), lambda u: u.roll(5)),
        (lambda t: t.tril(), lambda u: u.tril()),
        (lambda t: t.triu(1), lambda u: u.triu(1)),
        (lambda t: t.unflatten(2, (2, -1)), lambda u: u.unflatten(2, (2, -1))),
        (lambda t: t.flatten(0, 1), lambda u: u.flatten(0, 1)),
        (lambda t: t.narrow(2, 1, 2), lambda u: u.narrow(2, 1, 2)),
        (lambda t: t.narrow(1, -2, 2), lambda u: u.narrow(1, -2, 2)),
        (lambda t: t.select(1, -1), lambda u: u.select(1, -1)),
        (lambda t: S.cat([t, t * 2], dim=2), lambda u: torch.cat([u, u * 2], dim=2)),
        (lambda t: S.concat([t, t], 1), lambda u: torch.concat([u, u], 1)),
        (lambda t: S.stack([t, t * 2], dim=1), lambda u: torch.stack([u, u * 2], dim=1)),
        (lambda t: S.cat(t.split(3, dim=2)[::-1], 2),
         lambda u: torch.cat(u.split(3, dim=2)[::-1], 2)),
        (lambda t: S.cat(t.split([1, 0, 3], 2)[::-1], 2),
         lambda u: torch.cat(u.split([1, 0, 3], 2)[::-1], 2)),
        (lambda t: S.stack(t.chunk(2, 2), 0), lambda u: torch.stack(u.chunk(2, 2), 0)),
        (lambda t: S.stack(t.unbind(1)[::-1], -1), lambda u: torch.stack(u.unbind(1)[::-1], -1)),
    ]
    for ours, theirs in cases:
        t, u = leaf(x), torch.tensor(x, requires_grad=True)
        a, b = ours(t), theirs(u)
        np.testing.assert_array_equal(a.numpy(), b.detach().numpy())
        g = rng.standard_normal(a.shape)
        a.backward(g)
        b.backward(torch.tensor(g))
        np.testing.assert_allclose(t.grad.numpy(), u.grad.numpy(), rtol=1e-12, atol=1e-12)
    for ours, theirs in [(lambda t: t.t(), lambda u: u.t()), (lambda t: t.T, lambda u: u.T),
                         (lambda t: t.mH, lambda u: u.mH)]:
        np.testing.assert_array_equal(ours(Tensor(m)).numpy(), theirs(torch.tensor(m)).numpy())
    assert Tensor([1.0, 2.0]).t().shape == (2,) and Tensor(1.0).t().shape == ()
    assert [p.shape for p in Tensor(np.zeros(5)).chunk(3)] == [(2,), (2,), (1,)]
    assert [p.shape for p in Tensor(np.zeros(6)).chunk(4)] == [(2,), (2,), (2,)]


def test_pytorch_surface_errors():
    x = Tensor(np.zeros((2, 3, 4)))
    with pytest.raises(ValueError, match=r"t\(\) expects a tensor with <= 2 dimensions"):
        x.t()
    with pytest.raises(ValueError, match=r"mT: the tensor needs at least 2 dims"):
        _ = Tensor(np.zeros(3)).mT
    with pytest.raises(TypeError, match=r"view: expected a shape, got .*float32"):
        x.view(np.float32)
    with pytest.raises(RuntimeError, match=r"view: cannot reshape a tensor of shape "
                                           r"\(2, 3, 4\) \(24 elements\) into shape \(5, -1\)"):
        x.view(5, -1)
    with pytest.raises(ValueError, match=r"repeat: got 2 repeat sizes \(2, 2\) for a tensor "
                                         r"with 3 dims"):
        x.repeat(2, 2)
    with pytest.raises(ValueError, match=r"split: sizes \[1, 1\] must be non-negative and "
                                         r"add up to 3"):
        x.split([1, 1], dim=1)
    with pytest.raises(IndexError, match=r"narrow: start 2 and length 2 do not fit dim 1 of "
                                         r"size 3"):
        x.narrow(1, 2, 2)
    with pytest.raises(TypeError, match=r"cat: give dim= or axis=, not both"):
        S.cat([x, x], dim=1, axis=2)
    with pytest.raises(IndexError, match=r"unsqueeze: axis 4 is out of range"):
        x.unsqueeze(4)  # an IndexError, as in PyTorch, and a ValueError, as in NumPy


def test_flip_is_a_copy_and_views_share_storage():
    x = Tensor(np.arange(4.0))
    f = x.flip(0)
    f.add_(1)
    assert x.tolist() == [0, 1, 2, 3]  # PyTorch's flip copies
    v = x.view(2, 2)
    v[0, 0] = 10.0  # writes through the view, and bumps the shared version counter
    assert x.tolist() == [10, 1, 2, 3] and x._version == v._version == 1
    row = x[1:3]
    row.mul_(2)
    assert x.tolist() == [10, 2, 4, 3] and x._version == 2
    x[3].sub_(3)  # one element is a 0-d view too
    assert x.tolist() == [10, 2, 4, 0] and x._version == 3


def test_inplace_change_through_a_view_is_caught_by_backward():
    w = leaf([1.0, 2.0, 3.0])
    h = w * 1  # a non-leaf
    y = (h * h).sum()  # mul recorded h's values
    h.view(3)[0] = 5.0  # changes h through a view
    with pytest.raises(RuntimeError, match=r"modified by an inplace operation"):
        y.backward()


def test_numpy_functions_on_tensors():
    x = leaf(np.arange(6.0).reshape(2, 3))
    outs = [
        np.reshape(x, (3, 2)), np.transpose(x), np.swapaxes(x, 0, 1), np.moveaxis(x, 0, 1),
        np.broadcast_to(x, (4, 2, 3)), np.expand_dims(x, (0, 2)), np.squeeze(x[None]),
        np.concatenate([x, x]), np.concatenate([x, x], axis=None), np.stack([x, x], 1),
        np.pad(x, 1, constant_values=2.0), np.flip(x), np.roll(x, 1), np.tril(x, 1),
    ]
    for out, expected in zip(outs, [
        np.reshape(x.numpy(), (3, 2)), x.numpy().T, x.numpy().T, x.numpy().T,
        np.broadcast_to(x.numpy(), (4, 2, 3)), x.numpy()[None, :, None],
        x.numpy(), np.concatenate([x.numpy()] * 2), np.arange(12.0) % 6,
        np.stack([x.numpy()] * 2, 1), np.pad(x.numpy(), 1, constant_values=2.0),
        np.flip(x.numpy()), np.roll(x.numpy(), 1), np.tril(x.numpy(), 1),
    ], strict=True):
        assert isinstance(out, Tensor) and out.requires_grad
        np.testing.assert_array_equal(out.numpy(), expected)
    assert np.shape(x) == (2, 3) and np.ndim(x) == 2 and np.size(x) == 6


# ------------------------------------------------------------- second derivatives


@st.composite
def second_order_case(draw):
    """A shape op applied to a random small array (0-d and size-1 axes included)."""
    x = draw(tst.arrays(shape=tst.shapes(min_dims=0, max_dims=3, max_side=3)))
    nd = x.ndim
    kind = draw(st.sampled_from([
        "reshape", "permute", "T", "flatten", "squeeze", "unsqueeze", "expand", "pad",
        "getitem", "getitem_int", "flip", "roll", "repeat", "cat", "stack", "split",
        "transpose", "tril",
    ]))
    if kind == "reshape":
        fn = lambda t: t.reshape(-1, 1)  # noqa: E731
    elif kind == "permute":
        perm = draw(st.permutations(range(nd)))
        fn = lambda t: t.permute(*perm)  # noqa: E731
    elif kind == "T":
        fn = lambda t: t.T  # noqa: E731
    elif kind == "flatten":
        fn = lambda t: t.flatten()  # noqa: E731
    elif kind == "squeeze":
        fn = lambda t: t[None].squeeze()  # noqa: E731
    elif kind == "unsqueeze":
        dim = draw(st.integers(-nd - 1, nd))
        fn = lambda t: t.unsqueeze(dim)  # noqa: E731
    elif kind == "expand":
        fn = lambda t: t[None].expand(2, *t.shape)  # noqa: E731
    elif kind == "pad":
        fn = lambda t: t.pad(1, value=0.5)  # noqa: E731
    elif kind == "getitem":
        index = draw(hnp.basic_indices(x.shape, allow_newaxis=True, allow_ellipsis=True))
        fn = lambda t: t[index]  # noqa: E731
    elif kind == "getitem_int" and nd:
        index = draw(hnp.integer_array_indices(
            x.shape, result_shape=hnp.array_shapes(min_dims=1, max_dims=2, max_side=3)))
        fn = lambda t: t[index]  # noqa: E731
    elif kind == "flip":
        fn = lambda t: np.flip(t)  # noqa: E731
    elif kind == "roll" and nd:
        fn = lambda t: t.roll(1, 0)  # noqa: E731
    elif kind == "repeat":
        fn = lambda t: t.repeat(*((2,) + (1,) * t.ndim))  # noqa: E731
    elif kind == "cat" and nd:
        fn = lambda t: S.cat([t, t * t, t], -1)  # noqa: E731
    elif kind == "stack":
        fn = lambda t: S.stack([t, t * t], 0)  # noqa: E731
    elif kind == "split" and nd:
        fn = lambda t: S.cat(t.split(2, 0)[::-1], 0)  # noqa: E731
    elif kind == "transpose" and nd:
        fn = lambda t: t.transpose(0, -1)  # noqa: E731
    elif kind == "tril" and nd >= 2:
        fn = lambda t: t.tril(-1) + t.triu(1)  # noqa: E731
    else:
        fn = lambda t: t.reshape(t.shape)  # noqa: E731
    return x, fn


@settings(max_examples=examples(60))
@given(case=second_order_case())
def test_second_derivatives(case):
    x, fn = case
    check_second_order(fn, x, linear=True)


def test_second_derivatives_against_torch():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(11).standard_normal((3, 4))
    cases = [
        (lambda t: t[[0, 0, 2], 1:].sin(), lambda u: u[[0, 0, 2], 1:].sin()),
        (lambda t: (t.T.reshape(2, 6) ** 3), lambda u: (u.T.reshape(2, 6) ** 3)),
        (lambda t: S.cat([t, t[:, :1].expand(3, 2)], 1).exp(),
         lambda u: torch.cat([u, u[:, :1].expand(3, 2)], 1).exp()),
    ]
    for ours, theirs in cases:
        (g1, g2), (h1, h2) = torch_second_order(ours, theirs, [x])
        np.testing.assert_allclose(g1[0], g2[0], rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(h1[0], h2[0], rtol=1e-10, atol=1e-12)
