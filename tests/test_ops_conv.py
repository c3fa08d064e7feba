"""conv1d, max_pool1d and avg_pool1d: forward against naive loop references written
here (so the suite means something without torch), gradients against finite differences,
PyTorch agreement in float64 where torch is installed, and the error messages."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tinygrad_lab import Tensor
from tinygrad_lab.ops.conv import avg_pool1d, conv1d, max_pool1d
from tinygrad_lab.testing import gradcheck
from tinygrad_lab.testing import strategies as tst

# ------------------------------------------------------------------ references


def _pads(padding, k, dilation):
    if padding == "valid":
        return 0, 0
    if padding == "same":
        total = dilation * (k - 1)
        return total // 2, total - total // 2
    return padding, padding


def naive_conv1d(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    """The definition, one output element at a time."""
    n, c_in, length = x.shape
    c_out, c_group, k = w.shape
    left, right = _pads(padding, k, dilation)
    xp = np.zeros((n, c_in, length + left + right))
    xp[:, :, left : left + length] = x
    n_out = (xp.shape[2] - dilation * (k - 1) - 1) // stride + 1
    per_group = c_out // groups
    out = np.zeros((n, c_out, n_out))
    for i in range(n):
        for o in range(c_out):
            g = o // per_group
            for pos in range(n_out):
                acc = 0.0 if b is None else b[o]
                for c in range(c_group):
                    for j in range(k):
                        acc += w[o, c, j] * xp[i, g * c_group + c, pos * stride + j * dilation]
                out[i, o, pos] = acc
    return out


def naive_conv1d_grads(x, w, g, stride=1, padding=0, dilation=1, groups=1):
    """d(sum(out * g))/dx and /dw by the chain rule, one product term at a time."""
    n, c_in, length = x.shape
    c_out, c_group, k = w.shape
    left, _ = _pads(padding, k, dilation)
    per_group = c_out // groups
    gx, gw = np.zeros(x.shape), np.zeros(w.shape)
    for i, o, pos in np.ndindex(*g.shape):
        grp = o // per_group
        for c in range(c_group):
            for j in range(k):
                src = pos * stride + j * dilation - left  # position in the unpadded input
                if 0 <= src < length:
                    gw[o, c, j] += g[i, o, pos] * x[i, grp * c_group + c, src]
                    gx[i, grp * c_group + c, src] += g[i, o, pos] * w[o, c, j]
    return gx, gw


def _pool_len(length, k, stride, padding, dilation, ceil_mode):
    span = dilation * (k - 1) + 1
    if ceil_mode:
        n_out = -(-(length + 2 * padding - span) // stride) + 1
        if (n_out - 1) * stride >= length + padding:
            n_out -= 1
        return n_out
    return (length + 2 * padding - span) // stride + 1


def naive_max_pool1d(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    """PyTorch's CPU kernel, literally: scan the taps inside the input, keep a strictly
    larger value or a NaN; start from -inf at the first tap inside."""
    k = kernel_size
    stride = stride or k
    *lead, length = x.shape
    n_out = _pool_len(length, k, stride, padding, dilation, ceil_mode)
    out = np.empty((*lead, n_out))
    idx = np.empty((*lead, n_out), dtype=np.int64)
    for ii in np.ndindex(*lead):
        for pos in range(n_out):
            start = pos * stride - padding
            end = min(start + dilation * (k - 1) + 1, length)
            while start < 0:
                start += dilation
            best, arg = -np.inf, start
            for p in range(start, end, dilation):
                v = x[ii + (p,)]
                if v > best or np.isnan(v):
                    best, arg = v, p
            out[ii + (pos,)] = best
            idx[ii + (pos,)] = arg
    return out, idx


def naive_avg_pool1d(x, kernel_size, stride=None, padding=0, ceil_mode=False,
                     count_include_pad=True):
    k = kernel_size
    stride = stride or k
    *lead, length = x.shape
    n_out = _pool_len(length, k, stride, padding, 1, ceil_mode)
    out = np.empty((*lead, n_out))
    for ii in np.ndindex(*lead):
        for pos in range(n_out):
            start = pos * stride - padding
            end = min(start + k, length + padding)
            size = end - start
            lo, hi = max(start, 0), min(end, length)
            total = sum(x[ii + (p,)] for p in range(lo, hi))
            out[ii + (pos,)] = total / (size if count_include_pad else hi - lo)
    return out


# Values rounded to 1e-6: no subnormals, so no underflow warnings in products.
VALUES = st.floats(-3, 3, allow_nan=False, allow_subnormal=False).map(lambda v: round(v, 6))


def values(shape):
    return tst.arrays(shape=shape, elements=VALUES)


def leaf(a):
    return Tensor(np.asarray(a, dtype=np.float64), requires_grad=True)


# ------------------------------------------------------------------- strategies


@st.composite
def conv_case(draw, max_length=10):
    args = draw(tst.conv1d_args(max_length=max_length))
    x = draw(values(args.pop("x_shape")))
    w = draw(values(args.pop("weight_shape")))
    bias_shape = args.pop("bias_shape")
    b = None if bias_shape is None else draw(values(bias_shape))
    return x, w, b, args


@st.composite
def pool_case(draw, dilation=True, gradcheckable=False):
    k = draw(st.integers(1, 4))
    stride = draw(st.one_of(st.none(), st.integers(1, 3)))
    d = draw(st.integers(1, 3)) if dilation else 1
    padding = draw(st.integers(0, k // 2))
    ceil_mode = draw(st.booleans())
    span = d * (k - 1) + 1
    # A window of only padding has a -inf maximum: fine to compare, not to differentiate.
    low = span if gradcheckable else max(1, span - 2 * padding)
    length = draw(st.integers(low, span + 6))
    shape = draw(st.sampled_from([(1, 2), (2, 1), (2, 3)])) + (length,)
    if gradcheckable:  # distinct values 0.1 apart: no near-ties inside a window
        elements = st.integers(-200, 200).map(lambda v: v / 10)
        x = draw(hnp.arrays(np.float64, shape, elements=elements, unique=True))
    else:
        x = draw(values(shape))
    return x, dict(kernel_size=k, stride=stride, padding=padding, ceil_mode=ceil_mode), d


# ------------------------------------------------------------------------ conv1d


@settings(max_examples=40)
@given(conv_case(), st.integers(0, 2**32 - 1))
def test_conv1d_matches_the_naive_loop(case, seed):
    x, w, b, args = case
    xt, wt = leaf(x), leaf(w)
    out = conv1d(xt, wt, None if b is None else leaf(b), **args)
    np.testing.assert_allclose(out.data, naive_conv1d(x, w, b, **args), rtol=1e-10, atol=1e-10)
    g = np.random.default_rng(seed).standard_normal(out.shape)
    out.backward(g)
    gx, gw = naive_conv1d_grads(x, w, g, **args)
    np.testing.assert_allclose(xt.grad.data, gx, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(wt.grad.data, gw, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("c_out, length", [(2, 12), (12, 3)])  # both dW strategies
def test_conv1d_weight_gradient_with_many_or_few_channels(c_out, length):
    rng = np.random.default_rng(c_out)
    x, w = rng.standard_normal((3, 4, length)), rng.standard_normal((c_out, 2, 2))
    wt = leaf(w)
    out = conv1d(Tensor(x), wt, groups=2, padding=1)
    g = rng.standard_normal(out.shape)
    out.backward(g)
    np.testing.assert_allclose(wt.grad.data, naive_conv1d_grads(x, w, g, 1, 1, 1, 2)[1],
                               rtol=1e-12, atol=1e-12)


@settings(max_examples=25)
@given(conv_case(max_length=8))
def test_conv1d_gradients(case):
    x, w, b, args = case
    inputs = [leaf(x), leaf(w)] + ([] if b is None else [leaf(b)])
    assert gradcheck(lambda *t: conv1d(*t, **args), inputs)


@settings(max_examples=25)
@given(conv_case(), st.integers(0, 2**32 - 1))
def test_conv1d_matches_torch(case, seed):
    torch = pytest.importorskip("torch")
    x, w, b, args = case
    ours = [leaf(x), leaf(w)] + ([] if b is None else [leaf(b)])
    theirs = [torch.tensor(a, requires_grad=True) for a in ([x, w] if b is None else [x, w, b])]
    out = conv1d(*ours, **args)
    ref = torch.nn.functional.conv1d(*theirs, **args)
    seed_grad = np.random.default_rng(seed).standard_normal(out.shape)
    out.backward(seed_grad)
    ref.backward(torch.tensor(seed_grad))
    np.testing.assert_allclose(out.data, ref.detach().numpy(), rtol=1e-10, atol=1e-10)
    for t, r in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(t.grad.data, r.grad.numpy(), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("k, dilation", [(1, 1), (2, 1), (3, 1), (4, 2), (5, 3)])
def test_conv1d_same_and_valid_padding(k, dilation):
    rng = np.random.default_rng(k)
    x, w = rng.standard_normal((2, 3, 14)), rng.standard_normal((4, 3, k))
    b = rng.standard_normal(4)
    same = conv1d(Tensor(x), Tensor(w), Tensor(b), padding="same", dilation=dilation)
    assert same.shape == (2, 4, 14)
    np.testing.assert_allclose(same.data, naive_conv1d(x, w, b, 1, "same", dilation))
    valid = conv1d(Tensor(x), Tensor(w), Tensor(b), padding="valid", dilation=dilation)
    np.testing.assert_allclose(valid.data, naive_conv1d(x, w, b, 1, 0, dilation))
    assert gradcheck(lambda *t: conv1d(*t, padding="same", dilation=dilation),
                     [leaf(x[:1, :, :6]), leaf(w), leaf(b)])


@pytest.mark.filterwarnings("ignore:Using padding='same'")
def test_conv1d_same_padding_matches_torch_for_an_even_kernel():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((2, 2, 7)), rng.standard_normal((3, 2, 4))
    ref = torch.nn.functional.conv1d(torch.tensor(x), torch.tensor(w), padding="same")
    np.testing.assert_allclose(conv1d(Tensor(x), Tensor(w), padding="same").data, ref.numpy())


def test_conv1d_accepts_unbatched_input_and_one_tuples():
    rng = np.random.default_rng(1)
    x, w, b = rng.standard_normal((3, 8)), rng.standard_normal((2, 3, 3)), rng.standard_normal(2)
    out = conv1d(Tensor(x), Tensor(w), Tensor(b), stride=(2,), padding=(1,), dilation=(1,))
    batched = conv1d(Tensor(x[None]), Tensor(w), Tensor(b), stride=2, padding=1)
    assert out.shape == (2, 4)
    np.testing.assert_allclose(out.data, batched.data[0])
    assert gradcheck(lambda *t: conv1d(*t, stride=2, padding=1), [leaf(x), leaf(w), leaf(b)])


def test_conv1d_computes_only_the_gradients_that_are_needed():
    rng = np.random.default_rng(2)
    x = Tensor(rng.standard_normal((2, 4, 10)))
    w = leaf(rng.standard_normal((6, 2, 3)))
    b = Tensor(rng.standard_normal(6))
    out = conv1d(x, w, b, groups=2, stride=2)
    out.backward(np.ones(out.shape))
    assert x.grad is None and b.grad is None
    expected = leaf(w.data)
    out2 = conv1d(leaf(x.data), expected, leaf(b.data), groups=2, stride=2)
    out2.backward(np.ones(out2.shape))
    np.testing.assert_allclose(w.grad.data, expected.grad.data)
    # Only the input needs a gradient: the weight's windows are not kept.
    xi = leaf(x.data)
    out3 = conv1d(xi, Tensor(w.data), stride=2, groups=2)
    out3.backward(np.ones(out3.shape))
    assert xi.grad.shape == xi.shape


def test_conv1d_keeps_float32():
    x = Tensor(np.ones((2, 3, 8), dtype=np.float32), requires_grad=True)
    w = Tensor(np.ones((4, 3, 3), dtype=np.float32), requires_grad=True)
    b = Tensor(np.zeros(4, dtype=np.float32), requires_grad=True)
    out = conv1d(x, w, b, padding=1)
    assert out.dtype == np.float32
    out.backward(np.ones(out.shape, dtype=np.float32))
    assert x.grad.dtype == w.grad.dtype == b.grad.dtype == np.float32
    np.testing.assert_allclose(out.data[0, 0], [6, 9, 9, 9, 9, 9, 9, 6])


def test_conv1d_stride_skips_trailing_inputs_in_the_gradient():
    # L=6, K=2, stride=3: windows [0,1] and [3,4]; positions 2 and 5 get no gradient.
    x, w = leaf(np.arange(6.0).reshape(1, 1, 6)), leaf([[[1.0, 1.0]]])
    out = conv1d(x, w, stride=3)
    np.testing.assert_allclose(out.data, [[[1.0, 7.0]]])
    out.backward(np.ones(out.shape))
    np.testing.assert_allclose(x.grad.data, [[[1, 1, 0, 1, 1, 0]]])


@pytest.mark.parametrize(
    "x_shape, w_shape, kwargs, error, match",
    [
        ((2, 3, 8), (4, 4, 3), {}, ValueError,
         r"input has 3 channels but weight expects 4 \(= C_in/groups 4 × groups 1\)"),
        ((2, 6, 8), (4, 2, 3), {"groups": 2}, ValueError,
         r"input has 6 channels but weight expects 4 \(= C_in/groups 2 × groups 2\)"),
        ((2, 3, 8), (4, 1, 3), {"groups": 2}, ValueError, r"C_in = 3 .* not divisible by groups"),
        ((2, 4, 8), (3, 2, 3), {"groups": 2}, ValueError, r"C_out = 3 .* not divisible by groups"),
        ((2, 3, 4), (4, 3, 6), {}, ValueError, r"kernel spans 6 positions .* only 4"),
        ((2, 3, 4), (4, 3, 3), {"dilation": 2}, ValueError, r"kernel spans 5 positions"),
        ((8,), (4, 3, 3), {}, ValueError, r"shape \(N, C, L\) or unbatched \(C, L\), got shape"),
        ((1, 2, 3, 8), (4, 3, 3), {}, ValueError, r"got shape \(1, 2, 3, 8\)"),
        ((2, 3, 8), (4, 3), {}, ValueError, r"weight must have shape \(C_out, C_in/groups, K\)"),
        ((2, 3, 8), (4, 3, 3), {"stride": 0}, ValueError, r"stride must be >= 1, got 0"),
        ((2, 3, 8), (4, 3, 3), {"dilation": 0}, ValueError, r"dilation must be >= 1, got 0"),
        ((2, 3, 8), (4, 3, 3), {"padding": -1}, ValueError, r"padding must be >= 0, got -1"),
        ((2, 3, 8), (4, 3, 3), {"groups": 0}, ValueError, r"groups must be >= 1, got 0"),
        ((2, 3, 8), (4, 3, 3), {"stride": 1.5}, TypeError, r"stride must be an int, got 1.5"),
        ((2, 3, 8), (4, 3, 3), {"padding": "full"}, ValueError, r"'valid' or 'same', got 'full'"),
        ((2, 3, 8), (4, 3, 3), {"padding": "same", "stride": 2}, ValueError,
         r"padding='same' needs stride 1"),
    ],
)
def test_conv1d_errors(x_shape, w_shape, kwargs, error, match):
    with pytest.raises(error, match=r"^conv1d: .*" + match):
        conv1d(Tensor(np.zeros(x_shape)), Tensor(np.zeros(w_shape)), **kwargs)


def test_conv1d_bias_and_dtype_errors():
    x, w = Tensor(np.zeros((2, 3, 8))), Tensor(np.zeros((4, 3, 3)))
    with pytest.raises(ValueError, match=r"conv1d: bias must have shape \(4,\)"):
        conv1d(x, w, Tensor(np.zeros(3)))
    with pytest.raises(TypeError, match=r"conv1d: input must be a float tensor, got dtype int64"):
        conv1d(Tensor(np.zeros((2, 3, 8), dtype=np.int64)), w)


# ------------------------------------------------------------------------ pooling


@settings(max_examples=60)
@given(pool_case())
def test_max_pool1d_matches_the_reference(case):
    x, kw, d = case
    out, idx = max_pool1d(Tensor(x), dilation=d, return_indices=True, **kw)
    ref, ref_idx = naive_max_pool1d(x, dilation=d, **kw)
    np.testing.assert_array_equal(out.data, ref)
    np.testing.assert_array_equal(idx.data, ref_idx)


@settings(max_examples=40)
@given(pool_case(gradcheckable=True))
def test_max_pool1d_gradients(case):
    x, kw, d = case
    assert gradcheck(lambda t: max_pool1d(t, dilation=d, **kw), [leaf(x)])


@settings(max_examples=40)
@given(pool_case(), st.integers(0, 2**32 - 1))
def test_max_pool1d_matches_torch_with_ties_inf_and_nan(case, seed):
    torch = pytest.importorskip("torch")
    x, kw, d = case
    rng = np.random.default_rng(seed)
    # Few distinct values: many ties; some -inf (like the padding) and NaN.
    x = rng.choice([-np.inf, np.nan, 0.0, 1.0, 2.0], size=x.shape, p=[0.2, 0.1, 0.3, 0.2, 0.2])
    ours = leaf(x)
    out, idx = max_pool1d(ours, dilation=d, return_indices=True, **kw)
    theirs = torch.tensor(x, requires_grad=True)
    ref, ref_idx = torch.nn.functional.max_pool1d(theirs, dilation=d, return_indices=True, **kw)
    g = rng.standard_normal(out.shape)
    out.backward(g)
    ref.backward(torch.tensor(g))
    np.testing.assert_array_equal(out.data, ref.detach().numpy())
    np.testing.assert_array_equal(idx.data, ref_idx.numpy())
    np.testing.assert_allclose(ours.grad.data, theirs.grad.numpy())


def test_max_pool1d_gradient_goes_to_the_first_of_tied_maxima():
    x = leaf([[[1.0, 1.0, 0.0, 3.0, 3.0, 3.0]]])
    out = max_pool1d(x, 3, stride=1)
    np.testing.assert_array_equal(out.data, [[[1.0, 3.0, 3.0, 3.0]]])
    out.backward(np.ones(out.shape))
    # windows [1,1,0] -> index 0; [1,0,3], [0,3,3], [3,3,3] -> index 3
    np.testing.assert_array_equal(x.grad.data, [[[1, 0, 0, 3, 0, 0]]])


def test_max_pool1d_defaults_padding_and_unbatched_input():
    x = leaf([[4.0, -1.0, 2.0, 5.0, -3.0]])  # (C, L) = (1, 5)
    out = max_pool1d(x, 2)  # stride defaults to kernel_size
    np.testing.assert_array_equal(out.data, [[4.0, 5.0]])
    padded = max_pool1d(Tensor(x.data), 2, padding=1)  # padding is -inf, never chosen
    np.testing.assert_array_equal(padded.data, [[4.0, 2.0, 5.0]])
    out.backward(np.ones(out.shape))
    np.testing.assert_array_equal(x.grad.data, [[1, 0, 0, 1, 0]])
    ceil = max_pool1d(Tensor(x.data), 2, ceil_mode=True)
    np.testing.assert_array_equal(ceil.data, [[4.0, 5.0, -3.0]])


@settings(max_examples=60)
@given(pool_case(dilation=False), st.booleans())
def test_avg_pool1d_matches_the_reference_and_gradcheck(case, count_include_pad):
    x, kw, _ = case
    out = avg_pool1d(Tensor(x), count_include_pad=count_include_pad, **kw)
    ref = naive_avg_pool1d(x, count_include_pad=count_include_pad, **kw)
    np.testing.assert_allclose(out.data, ref, rtol=1e-12, atol=1e-12)
    assert gradcheck(lambda t: avg_pool1d(t, count_include_pad=count_include_pad, **kw),
                     [leaf(x)])


@settings(max_examples=30)
@given(pool_case(dilation=False), st.booleans(), st.integers(0, 2**32 - 1))
def test_avg_pool1d_matches_torch(case, count_include_pad, seed):
    torch = pytest.importorskip("torch")
    x, kw, _ = case
    ours, theirs = leaf(x), torch.tensor(x, requires_grad=True)
    out = avg_pool1d(ours, count_include_pad=count_include_pad, **kw)
    ref = torch.nn.functional.avg_pool1d(theirs, count_include_pad=count_include_pad, **kw)
    g = np.random.default_rng(seed).standard_normal(out.shape)
    out.backward(g)
    ref.backward(torch.tensor(g))
    np.testing.assert_allclose(out.data, ref.detach().numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(ours.grad.data, theirs.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_avg_pool1d_count_include_pad():
    x = Tensor(np.array([[[1.0, 2.0, 3.0]]]))
    np.testing.assert_allclose(avg_pool1d(x, 2, padding=1).data, [[[0.5, 2.5]]])
    np.testing.assert_allclose(
        avg_pool1d(x, 2, padding=1, count_include_pad=False).data, [[[1.0, 2.5]]]
    )


def test_conv_relu_pool_chain_gradients():
    rng = np.random.default_rng(3)
    x, w, b = leaf(rng.standard_normal((2, 2, 9))), leaf(rng.standard_normal((3, 2, 3))), leaf(
        rng.standard_normal(3))

    def net(x, w, b):
        return max_pool1d(avg_pool1d(conv1d(x, w, b, padding=1), 2, stride=1), 2)

    assert gradcheck(net, [x, w, b])


@pytest.mark.parametrize(
    "fn, shape, args, error, match",
    [
        (max_pool1d, (1, 1, 6), (3, None, 2), ValueError,
         r"^max_pool1d: padding should be at most half of kernel_size, got padding=2"),
        (avg_pool1d, (1, 1, 6), (2, None, 2), ValueError,
         r"^avg_pool1d: padding should be at most half of kernel_size"),
        (max_pool1d, (1, 1, 2), (3,), ValueError,
         r"^max_pool1d: input length 2 .* too short for a window of 3 positions"),
        (avg_pool1d, (6,), (2,), ValueError, r"^avg_pool1d: expected input of shape \(N, C, L\)"),
        (max_pool1d, (1, 1, 6), (0,), ValueError, r"^max_pool1d: kernel_size must be >= 1, got 0"),
        (max_pool1d, (1, 1, 6), (2, 0), ValueError, r"^max_pool1d: stride must be >= 1, got 0"),
        (max_pool1d, (1, 1, 6), (2, 1, 0, 0), ValueError,
         r"^max_pool1d: dilation must be >= 1, got 0"),
    ],
)
def test_pool_errors(fn, shape, args, error, match):
    with pytest.raises(error, match=match):
        fn(Tensor(np.zeros(shape)), *args)
