"""Shape ops: reshape, transpose/permute/swapaxes, flatten, squeeze, unsqueeze, expand,
pad, getitem (basic, boolean, integer arrays with repeats), cat, stack — values against
NumPy, gradients against finite differences, error messages, no mutation, PyTorch."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tinygrad_lab import Tensor
from tinygrad_lab.ops import shape as S
from tinygrad_lab.testing import gradcheck
from tinygrad_lab.testing import strategies as tst


def leaf(values, dtype=np.float64):
    return Tensor(np.array(values, dtype=dtype), requires_grad=True)


def examples(n):
    """``n`` examples under the default profile, scaled up by HYPOTHESIS_PROFILE=thorough."""
    return max(1, n * settings.default.max_examples // 100)


def check(fn, *arrays, expected=None):
    """gradcheck ``fn`` in float64 and, when given, compare its value with ``expected``."""
    tensors = [leaf(a) for a in arrays]
    if expected is not None:
        out = fn(*tensors)
        assert out.shape == np.shape(expected)
        np.testing.assert_array_equal(out.data, expected)
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
    with pytest.raises(ValueError, match=r"flatten: start_axis 2 comes after end_axis 1"):
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
    check(lambda t: S.transpose(t, axes), x, expected=np.transpose(x, axes))
    check(lambda t: t.transpose(), x, expected=x.T)
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
    with pytest.raises(ValueError, match=r"transpose: axes \(1, 2\) must list each of the 3 "
                                         r"axes of shape \(2, 3, 4\)"):
        S.transpose(x, (1, 2))
    with pytest.raises(TypeError, match=r"transpose: give no axes .* use permute"):
        x.transpose(2, 0, 1)
    with pytest.raises(ValueError, match=r"permute: axes \(0, 1, -2\) repeat an axis"):
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
    np.testing.assert_array_equal(x.grad.data, [[12.0], [12.0]])


def test_expand_errors():
    x = Tensor(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"expand: cannot expand shape \(2, 3\) to \(4, 3\): "
                                         r"axis 0 has size 2, which is neither 1 nor 4"):
        x.expand(4, 3)
    with pytest.raises(ValueError, match=r"expand: target shape \(3,\) has fewer axes"):
        x.expand(3)
    with pytest.raises(ValueError, match=r"expand: size -1 at axis 0 of \(-1, 2, 3\)"):
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
    np.testing.assert_array_equal(t.grad.data, expected_grad)


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
    np.testing.assert_array_equal(y.data, [10.0, 10.0, 20.0])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [2.0, 1.0, 0.0])

    x = leaf(np.arange(6.0).reshape(3, 2))
    x[Tensor(np.array([[2, 2], [0, 2]])), 1:].backward(np.ones((2, 2, 1)))
    np.testing.assert_array_equal(x.grad.data, [[0, 1], [0, 0], [0, 3]])


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
    grads = out._backward(np.ones(3))
    assert grads[1] is None
    out.backward(np.array([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(a.grad.data, [1.0, 2.0])
    assert b.grad is None
    s = S.stack([a, [5.0, 6.0]], axis=1)
    assert s.shape == (2, 2) and s._backward(np.ones((2, 2)))[1] is None


def test_cat_and_stack_errors_name_the_mismatch():
    a, b = Tensor(np.zeros((2, 3))), Tensor(np.zeros((2, 4)))
    with pytest.raises(ValueError, match=r"cat: tensor 1 has shape \(2, 4\) but tensor 0 has "
                                         r"shape \(2, 3\); all sizes must match except "
                                         r"along axis 0"):
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
    return Tensor.from_op(out.data.copy(), (out,), lambda _: (g,), "readonly_seed")


@pytest.mark.parametrize("fn", [
    lambda t: t.reshape(-1),
    lambda t: t.transpose(),
    lambda t: t.permute(2, 0, 1),
    lambda t: t.flatten(1),
    lambda t: t[:, None].squeeze(1),
    lambda t: t.unsqueeze(-1),
    lambda t: t[None].expand(3, -1, -1, -1),
    lambda t: t.pad(((1, 0), (0, 2), (1, 1)), value=2.0),
    lambda t: t[::-1, [0, 0, 2]],
    lambda t: t[t.data > 0],
    lambda t: S.cat([t, t], axis=1),
    lambda t: S.stack([t, t], axis=-1),
    lambda t: S.swapaxes(t, 0, 2),
])
def test_ops_modify_neither_inputs_nor_gradients(fn):
    x = leaf(np.random.default_rng(3).standard_normal((2, 3, 4)))
    before = x.data.copy()
    x.data.flags.writeable = False
    readonly_seed(fn(x)).sum().backward()
    np.testing.assert_array_equal(x.data, before)
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
        (lambda t, s: t[t.data > 0.3], lambda u, v: u[u > 0.3]),
        (lambda t, s: S.cat([t, s, t], axis=1), lambda u, v: torch.cat([u, v, u], dim=1)),
        (lambda t, s: S.stack([t, t * 2], axis=-1), lambda u, v: torch.stack([u, u * 2], -1)),
    ]
    for ours, theirs in cases:
        t, s = leaf(x), leaf(y)
        u = torch.tensor(x, requires_grad=True)
        v = torch.tensor(y, requires_grad=True)
        a, b = ours(t, s), theirs(u, v)
        np.testing.assert_array_equal(a.data, b.detach().numpy())
        g = rng.standard_normal(a.shape)
        a.backward(g)
        b.backward(torch.tensor(g))
        np.testing.assert_allclose(t.grad.data, u.grad.numpy(), rtol=1e-12, atol=1e-12)
        if s.grad is not None or v.grad is not None:
            np.testing.assert_allclose(s.grad.data, v.grad.numpy(), rtol=1e-12, atol=1e-12)

