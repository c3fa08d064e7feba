"""conv1d/conv2d, max and avg pools, unfold/fold: forward against naive loop references
written here (so the suite means something without torch), first and second derivatives
against finite differences, PyTorch agreement in float64 where torch is installed, and
the error messages."""

import numpy as np
import pytest
from conftest import leaf
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tinygrad_lab import Tensor
from tinygrad_lab.autograd import grad
from tinygrad_lab.ops.conv import (
    avg_pool1d,
    avg_pool2d,
    conv1d,
    conv2d,
    conv_options,
    fold,
    max_pool1d,
    max_pool2d,
    unfold,
)
from tinygrad_lab.testing import gradcheck, gradgradcheck
from tinygrad_lab.testing import strategies as tst


@pytest.fixture(autouse=True, scope="module")
def _torch_on_one_thread():
    """The comparisons use tiny tensors: torch's thread pool only adds time (seconds on a
    busy machine), so torch runs on one thread here, and gets its setting back after."""
    try:
        import torch
    except ImportError:
        yield
        return
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)



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


def naive_conv2d(x, w, b, stride, padding, dilation, groups):
    """The definition, one output element at a time (int pairs for the options)."""
    n, c_in, h, wd = x.shape
    c_out, c_group, kh, kw = w.shape
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    xp = np.zeros((n, c_in, h + 2 * ph, wd + 2 * pw))
    xp[:, :, ph : ph + h, pw : pw + wd] = x
    oh = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    ow = (wd + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    out = np.zeros((n, c_out, oh, ow))
    for i, o, r, s in np.ndindex(n, c_out, oh, ow):
        grp = o // (c_out // groups)
        acc = 0.0 if b is None else b[o]
        for c, a, e in np.ndindex(c_group, kh, kw):
            acc += w[o, c, a, e] * xp[i, grp * c_group + c, r * sh + a * dh, s * sw + e * dw]
        out[i, o, r, s] = acc
    return out


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


# ------------------------------------------------------------- derivative checks



def assert_gradients(fn, arrays, seed=0):
    """First derivatives against central differences."""
    assert gradcheck(fn, [leaf(a) for a in arrays], seed=seed)


def assert_second_derivatives(fn, arrays, seed=0):
    """Second derivatives against central differences of the first: with respect to the
    inputs (gradgradcheck), and with respect to the output gradient ``g``, which
    gradgradcheck holds constant: the gradient is a linear function of ``g`` that must be
    differentiable too (for max_pool it is the only nonzero second derivative)."""
    inputs = [leaf(a) for a in arrays]
    assert gradgradcheck(fn, inputs, seed=seed)
    g = leaf(np.random.default_rng(seed).standard_normal(fn(*inputs).shape))
    for i in range(len(inputs)):
        assert gradcheck(lambda g, i=i: grad(fn(*inputs), inputs, g, create_graph=True)[i],
                         [g])


def second_derivatives(fn, arrays, g, us):
    """The gradient of ``<grad(<fn(inputs), g>, inputs), us>`` with respect to the
    inputs and ``g``, by differentiating the gradient itself (``create_graph=True``)."""
    inputs, g_leaf = [leaf(a) for a in arrays], leaf(g)
    first = grad(fn(*inputs), inputs, g_leaf, create_graph=True)
    second = grad(first, [*inputs, g_leaf], [Tensor(u) for u in us], allow_unused=True)
    return [np.zeros(np.shape(a)) if s is None else s.numpy()
            for a, s in zip([*arrays, g], second, strict=True)]


def _vjp(fn, arrays, g):
    """The gradients of ``<fn(arrays), g>`` with respect to every array."""
    inputs = [leaf(a) for a in arrays]
    return [t.numpy() for t in grad(fn(*inputs), inputs, Tensor(g))]


def assert_matches_torch(fn, torch_fn, arrays, seed=0):
    """Forward, first and second derivatives equal PyTorch's (float64)."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(seed)
    out = fn(*map(Tensor, arrays))
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    ref = torch_fn(*theirs)
    np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), rtol=1e-10, atol=1e-10)
    g = rng.standard_normal(out.shape)
    us = [rng.standard_normal(np.shape(a)) for a in arrays]
    g_torch = torch.tensor(g, requires_grad=True)
    first = torch.autograd.grad(ref, theirs, g_torch, create_graph=True)
    for ours, r in zip(_vjp(fn, arrays, g), first, strict=True):
        np.testing.assert_allclose(ours, r.detach().numpy(), rtol=1e-10, atol=1e-10)
    wanted = [(f, u) for f, u in zip(first, us, strict=True) if f.requires_grad]
    second = torch.autograd.grad([f for f, _ in wanted], [*theirs, g_torch],
                                 [torch.tensor(u) for _, u in wanted], allow_unused=True)
    for ours, r in zip(second_derivatives(fn, arrays, g, us), second, strict=True):
        expected = np.zeros(ours.shape) if r is None else r.numpy()
        np.testing.assert_allclose(ours, expected, rtol=1e-10, atol=1e-10)


# ------------------------------------------------------------------- strategies

# Values rounded to 1e-6: no subnormals, so no underflow warnings in products.
VALUES = st.floats(-3, 3, allow_nan=False, allow_subnormal=False).map(lambda v: round(v, 6))


def values(shape):
    return tst.arrays(shape=shape, elements=VALUES)


@st.composite
def conv_case(draw, max_length=10, max_batch=3, max_channels=4):
    """conv1d arguments (tinygrad_lab.testing.strategies), with the padding sometimes
    'same' or 'valid' instead of an int."""
    args = draw(tst.conv1d_args(max_length=max_length, max_batch=max_batch,
                                max_channels=max_channels))
    x = draw(values(args.pop("x_shape")))
    w = draw(values(args.pop("weight_shape")))
    bias_shape = args.pop("bias_shape")
    b = None if bias_shape is None else draw(values(bias_shape))
    span = args["dilation"] * (w.shape[2] - 1) + 1
    word = draw(st.sampled_from([None, "same", "valid"]))
    if word == "same":
        args.update(padding="same", stride=1)
    elif word == "valid" and x.shape[2] >= span:
        args["padding"] = "valid"
    return x, w, b, args


def conv_inputs(x, w, b):
    return [x, w] + ([] if b is None else [b])


@st.composite
def pool_case(draw, dilation=True, gradcheckable=False, max_extra=6):
    k = draw(st.integers(1, 4))
    stride = draw(st.one_of(st.none(), st.integers(1, 3)))
    d = draw(st.integers(1, 3)) if dilation else 1
    padding = draw(st.integers(0, k // 2))
    ceil_mode = draw(st.booleans())
    span = d * (k - 1) + 1
    # A window of only padding has a -inf maximum: fine to compare, not to differentiate.
    low = span if gradcheckable else max(1, span - 2 * padding)
    length = draw(st.integers(low, span + max_extra))
    shape = draw(st.sampled_from([(1, 2), (2, 1), (2, 3)])) + (length,)
    if gradcheckable:  # distinct values 0.1 apart: no near-ties inside a window
        x = draw(_distinct(shape))
    else:
        x = draw(values(shape))
    return x, dict(kernel_size=k, stride=stride, padding=padding, ceil_mode=ceil_mode), d


def _distinct(shape):
    elements = st.integers(-400, 400).map(lambda v: v / 10)
    return hnp.arrays(np.float64, shape, elements=elements, unique=True)


# ------------------------------------------------------------------------ conv1d


@settings(max_examples=40)
@given(conv_case(), st.integers(0, 2**32 - 1))
def test_conv1d_matches_the_naive_loop(case, seed):
    x, w, b, args = case
    xt, wt = leaf(x), leaf(w)
    out = conv1d(xt, wt, None if b is None else leaf(b), **args)
    np.testing.assert_allclose(out.numpy(), naive_conv1d(x, w, b, **args), rtol=1e-10,
                               atol=1e-10)
    g = np.random.default_rng(seed).standard_normal(out.shape)
    out.backward(g)
    gx, gw = naive_conv1d_grads(x, w, g, **args)
    np.testing.assert_allclose(xt.grad.numpy(), gx, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(wt.grad.numpy(), gw, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("c_out, length", [(2, 12), (12, 3)])  # both dW strategies
def test_conv1d_weight_gradient_with_many_or_few_channels(c_out, length):
    rng = np.random.default_rng(c_out)
    x, w = rng.standard_normal((3, 4, length)), rng.standard_normal((c_out, 2, 2))
    wt = leaf(w)
    out = conv1d(Tensor(x), wt, groups=2, padding=1)
    g = rng.standard_normal(out.shape)
    out.backward(g)
    np.testing.assert_allclose(wt.grad.numpy(), naive_conv1d_grads(x, w, g, 1, 1, 1, 2)[1],
                               rtol=1e-12, atol=1e-12)
    assert_second_derivatives(lambda w: conv1d(Tensor(x), w, groups=2, padding=1), [w])


@settings(max_examples=25)
@given(conv_case(max_length=8), st.integers(0, 2**32 - 1))
def test_conv1d_gradients(case, seed):
    x, w, b, args = case
    assert_gradients(lambda *t: conv1d(*t, **args), conv_inputs(x, w, b), seed)


@settings(max_examples=25)
@given(conv_case(max_length=7, max_batch=2, max_channels=3), st.integers(0, 2**32 - 1))
def test_conv1d_second_derivatives(case, seed):
    # With respect to x, weight, bias and the output gradient, for every option.
    x, w, b, args = case
    assert_second_derivatives(lambda *t: conv1d(*t, **args), conv_inputs(x, w, b), seed)


@settings(max_examples=25)
@given(conv_case(), st.integers(0, 2**32 - 1))
@pytest.mark.filterwarnings("ignore:Using padding='same'")
def test_conv1d_matches_torch_to_second_order(case, seed):
    torch = pytest.importorskip("torch")
    x, w, b, args = case
    assert_matches_torch(lambda *t: conv1d(*t, **args),
                         lambda *t: torch.nn.functional.conv1d(*t, **args),
                         conv_inputs(x, w, b), seed)


def test_conv1d_third_derivatives_match_torch():
    # Differentiable to any order: the conv's second derivative graph is made of the same
    # ops, so differentiating it once more works too (nonzero through the square).
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(4)
    x, w = rng.standard_normal((2, 2, 7)), rng.standard_normal((3, 2, 3))
    g, u, v = (rng.standard_normal(s) for s in [(2, 3, 7), (2, 2, 7), (3, 2, 3)])

    def third(conv, grad_fn, tensor, x, w):
        y = conv(x, w, padding=1)
        (gx,) = grad_fn(y * y, [x], tensor(g), create_graph=True)
        (gw,) = grad_fn(gx, [w], tensor(u), create_graph=True)
        return grad_fn(gw, [x, w], tensor(v))

    ours = third(conv1d, grad, Tensor, leaf(x), leaf(w))
    theirs = third(torch.nn.functional.conv1d, torch.autograd.grad, torch.tensor,
                   torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True))
    for a, r in zip(ours, theirs, strict=True):
        assert np.abs(r.numpy()).max() > 1e-3
        np.testing.assert_allclose(a.numpy(), r.numpy(), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("k, dilation", [(1, 1), (2, 1), (3, 1), (4, 2), (5, 3)])
def test_conv1d_same_and_valid_padding(k, dilation):
    rng = np.random.default_rng(k)
    x, w = rng.standard_normal((2, 3, 14)), rng.standard_normal((4, 3, k))
    b = rng.standard_normal(4)
    same = conv1d(Tensor(x), Tensor(w), Tensor(b), padding="same", dilation=dilation)
    assert same.shape == (2, 4, 14)
    np.testing.assert_allclose(same.numpy(), naive_conv1d(x, w, b, 1, "same", dilation))
    valid = conv1d(Tensor(x), Tensor(w), Tensor(b), padding="valid", dilation=dilation)
    np.testing.assert_allclose(valid.numpy(), naive_conv1d(x, w, b, 1, 0, dilation))
    assert_gradients(lambda *t: conv1d(*t, padding="same", dilation=dilation),
                     [x[:1, :, :6], w, b])


@pytest.mark.filterwarnings("ignore:Using padding='same'")
def test_conv1d_same_padding_matches_torch_for_an_even_kernel():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((2, 2, 7)), rng.standard_normal((3, 2, 4))
    ref = torch.nn.functional.conv1d(torch.tensor(x), torch.tensor(w), padding="same")
    np.testing.assert_allclose(conv1d(Tensor(x), Tensor(w), padding="same").numpy(),
                               ref.numpy())


def test_conv1d_accepts_unbatched_input_and_one_tuples():
    rng = np.random.default_rng(1)
    x, w, b = rng.standard_normal((3, 8)), rng.standard_normal((2, 3, 3)), rng.standard_normal(2)
    out = conv1d(Tensor(x), Tensor(w), Tensor(b), stride=(2,), padding=(1,), dilation=(1,))
    batched = conv1d(Tensor(x[None]), Tensor(w), Tensor(b), stride=2, padding=1)
    assert out.shape == (2, 4)
    np.testing.assert_allclose(out.numpy(), batched.numpy()[0])
    assert_gradients(lambda *t: conv1d(*t, stride=2, padding=1), [x, w, b])
    assert_second_derivatives(lambda *t: conv1d(*t, stride=2, padding=1), [x, w, b])


def test_conv1d_computes_only_the_gradients_that_are_needed():
    rng = np.random.default_rng(2)
    x = Tensor(rng.standard_normal((2, 4, 10)))
    w = leaf(rng.standard_normal((6, 2, 3)))
    b = Tensor(rng.standard_normal(6))
    out = conv1d(x, w, b, groups=2, stride=2)
    out.backward(np.ones(out.shape))
    assert x.grad is None and b.grad is None
    expected = leaf(w.numpy())
    out2 = conv1d(leaf(x.numpy()), expected, leaf(b.numpy()), groups=2, stride=2)
    out2.backward(np.ones(out2.shape))
    np.testing.assert_allclose(w.grad.numpy(), expected.grad.numpy())
    # Only the input needs a gradient.
    xi = leaf(x.numpy())
    out3 = conv1d(xi, Tensor(w.numpy()), stride=2, groups=2)
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
    np.testing.assert_allclose(out.numpy()[0, 0], [6, 9, 9, 9, 9, 9, 9, 6])
    again = conv1d(x, w, b, padding=1)
    (gx,) = grad(again, [x], Tensor(np.ones(out.shape, dtype=np.float32)), create_graph=True)
    assert gx.dtype == np.float32


def test_conv1d_stride_skips_trailing_inputs_in_the_gradient():
    # L=6, K=2, stride=3: windows [0,1] and [3,4]; positions 2 and 5 get no gradient.
    x, w = leaf(np.arange(6.0).reshape(1, 1, 6)), leaf([[[1.0, 1.0]]])
    out = conv1d(x, w, stride=3)
    np.testing.assert_allclose(out.numpy(), [[[1.0, 7.0]]])
    out.backward(np.ones(out.shape))
    np.testing.assert_allclose(x.grad.numpy(), [[[1, 1, 0, 1, 1, 0]]])


def test_conv1d_gradient_graph_names_its_ops():
    x, w = leaf(np.ones((1, 2, 5))), leaf(np.ones((3, 2, 2)))
    out = conv1d(x, w, padding=1)
    assert out.op == "conv1d" and out.parents[1].op == "unfold"
    gx, gw = grad(out, [x, w], leaf(np.ones(out.shape)), create_graph=True)
    assert gx.op == "fold" and gx.parents[0].op == "conv_transpose"
    assert gw.op == "conv_weight_grad"
    assert avg_pool1d(x, 2).op == "avg_pool1d" and max_pool2d(x, 1).op == "max_pool2d"


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
        ((2, 3, 8), (4, 3, 3), {"stride": (2, 1)}, ValueError,
         r"stride must be an int or a sequence of 1 ints, got \(2, 1\)"),
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


def test_conv_options_is_the_one_check_of_conv_arguments():
    assert conv_options("Conv1d", 1, 2, 3, (1,), 2) == ((2,), (3,), (1,), 2)
    assert conv_options("Conv2d", 2, (1, 2), "valid") == ((1, 2), "valid", (1, 1), 1)
    with pytest.raises(ValueError, match=r"^Conv2d: padding='same' needs stride 1"):
        conv_options("Conv2d", 2, (1, 2), "same")
    with pytest.raises(ValueError, match=r"^Conv1d: groups must be >= 1, got 0"):
        conv_options("Conv1d", 1, groups=0)


# ------------------------------------------------------------------------ conv2d


@st.composite
def conv2d_case(draw):
    groups = draw(st.integers(1, 2))
    c_in, c_out = groups * draw(st.integers(1, 2)), groups * draw(st.integers(1, 2))
    kernel = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    stride = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    padding = (draw(st.integers(0, 1)), draw(st.integers(0, 1)))
    spans = [d * (k - 1) + 1 for k, d in zip(kernel, dilation, strict=True)]
    size = [draw(st.integers(max(1, s - 2 * p), s + 3))
            for s, p in zip(spans, padding, strict=True)]
    x = draw(values((draw(st.integers(1, 2)), c_in, *size)))
    w = draw(values((c_out, c_in // groups, *kernel)))
    b = draw(st.none() | values((c_out,)))
    args = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
    return x, w, b, args


@settings(max_examples=25)
@given(conv2d_case())
def test_conv2d_matches_the_naive_loop(case):
    x, w, b, args = case
    out = conv2d(Tensor(x), Tensor(w), None if b is None else Tensor(b), **args)
    np.testing.assert_allclose(out.numpy(), naive_conv2d(x, w, b, **args), rtol=1e-10,
                               atol=1e-10)


@settings(max_examples=10)
@given(conv2d_case(), st.integers(0, 2**32 - 1))
def test_conv2d_first_and_second_derivatives(case, seed):
    x, w, b, args = case
    assert_gradients(lambda *t: conv2d(*t, **args), conv_inputs(x, w, b), seed)
    assert_second_derivatives(lambda *t: conv2d(*t, **args), conv_inputs(x, w, b), seed)


@settings(max_examples=20)
@given(conv2d_case(), st.booleans(), st.integers(0, 2**32 - 1))
@pytest.mark.filterwarnings("ignore:Using padding='same'")
def test_conv2d_matches_torch_to_second_order(case, same, seed):
    torch = pytest.importorskip("torch")
    x, w, b, args = case
    if same:
        args.update(padding="same", stride=1)
    assert_matches_torch(lambda *t: conv2d(*t, **args),
                         lambda *t: torch.nn.functional.conv2d(*t, **args),
                         conv_inputs(x, w, b), seed)


def test_conv2d_unbatched_and_errors():
    rng = np.random.default_rng(5)
    x, w = rng.standard_normal((2, 5, 6)), rng.standard_normal((3, 2, 2, 3))
    out = conv2d(Tensor(x), Tensor(w), padding=(1, 0))
    np.testing.assert_allclose(out.numpy(), naive_conv2d(x[None], w, None, (1, 1), (1, 0),
                                                         (1, 1), 1)[0], atol=1e-12)
    with pytest.raises(ValueError, match=r"^conv2d: expected input of shape \(N, C, H, W\)"):
        conv2d(Tensor(x[0]), Tensor(w))
    with pytest.raises(ValueError, match=r"^conv2d: weight must have shape "
                                         r"\(C_out, C_in/groups, KH, KW\)"):
        conv2d(Tensor(x), Tensor(w[0]))
    with pytest.raises(ValueError, match=r"^conv2d: the kernel spans 7 positions \(K 3, "
                                         r"dilation 3\) along W but the padded input"):
        conv2d(Tensor(x), Tensor(w), dilation=(1, 3))


# ------------------------------------------------------------------ unfold, fold


def test_unfold_and_fold_are_each_others_transpose():
    rng = np.random.default_rng(6)
    x = rng.standard_normal((2, 3, 5, 6))
    args = dict(kernel_size=(2, 3), dilation=(2, 1), padding=1, stride=(1, 2))
    cols = unfold(Tensor(x), **args)
    assert cols.shape == (2, 3 * 6, 5 * 3)
    y = rng.standard_normal(cols.shape)
    back = fold(Tensor(y), (5, 6), **args)
    np.testing.assert_allclose(np.sum(cols.numpy() * y), np.sum(x * back.numpy()))
    assert_second_derivatives(lambda t: unfold(t, **args), [x[:1, :1]])
    assert_second_derivatives(lambda t: fold(t, (5, 6), **args), [y[:1, :6]])


def test_unfold_and_fold_match_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(7)
    args = dict(kernel_size=(2, 2), dilation=1, padding=(0, 1), stride=2)
    x, y = rng.standard_normal((2, 2, 4, 5)), rng.standard_normal((2, 8, 6))
    assert_matches_torch(lambda t: unfold(t, **args),
                         lambda t: torch.nn.functional.unfold(t, **args), [x])
    assert_matches_torch(lambda t: fold(t, (4, 5), **args),
                         lambda t: torch.nn.functional.fold(t, (4, 5), **args), [y])


def test_fold_errors():
    with pytest.raises(ValueError, match=r"^fold: input has 5 blocks but output_size "
                                         r"\(4, 5\) .* gives 3 × 4 = 12"):
        fold(Tensor(np.zeros((1, 4, 5))), (4, 5), 2)
    with pytest.raises(ValueError, match=r"^fold: input has 6 rows, not a multiple"):
        fold(Tensor(np.zeros((1, 6, 12))), (4, 5), 2)


# ------------------------------------------------------------------------ pooling


@settings(max_examples=60)
@given(pool_case())
def test_max_pool1d_matches_the_reference(case):
    x, kw, d = case
    out, idx = max_pool1d(Tensor(x), dilation=d, return_indices=True, **kw)
    ref, ref_idx = naive_max_pool1d(x, dilation=d, **kw)
    np.testing.assert_array_equal(out.numpy(), ref)
    np.testing.assert_array_equal(idx.numpy(), ref_idx)


@settings(max_examples=40)
@given(pool_case(gradcheckable=True), st.integers(0, 2**32 - 1))
def test_max_pool1d_first_and_second_derivatives(case, seed):
    x, kw, d = case
    assert_gradients(lambda t: max_pool1d(t, dilation=d, **kw), [x], seed)
    # The gradient is linear in the output gradient, constant in x (piecewise).
    assert_second_derivatives(lambda t: max_pool1d(t, dilation=d, **kw), [x], seed)


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
    np.testing.assert_array_equal(out.numpy(), ref.detach().numpy())
    np.testing.assert_array_equal(idx.numpy(), ref_idx.numpy())
    if (ref_idx.numpy() < x.shape[-1]).all():
        np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy())
    else:
        # A dilated window can lie entirely in the padding; PyTorch then returns an index
        # past the row and its backward writes that window's gradient into the next row
        # (another channel). Here such a window sends no gradient anywhere.
        assert np.isfinite(ours.grad.numpy()).all() or np.isnan(x).any()


@settings(max_examples=25)
@given(pool_case(gradcheckable=True), st.integers(0, 2**32 - 1))
def test_max_pool1d_matches_torch_to_second_order(case, seed):
    torch = pytest.importorskip("torch")
    x, kw, d = case
    assert_matches_torch(lambda t: max_pool1d(t, dilation=d, **kw),
                         lambda t: torch.nn.functional.max_pool1d(t, dilation=d, **kw),
                         [x], seed)


def test_max_pool1d_gradient_goes_to_the_first_of_tied_maxima():
    x = leaf([[[1.0, 1.0, 0.0, 3.0, 3.0, 3.0]]])
    out = max_pool1d(x, 3, stride=1)
    np.testing.assert_array_equal(out.numpy(), [[[1.0, 3.0, 3.0, 3.0]]])
    out.backward(np.ones(out.shape))
    # windows [1,1,0] -> index 0; [1,0,3], [0,3,3], [3,3,3] -> index 3
    np.testing.assert_array_equal(x.grad.numpy(), [[[1, 0, 0, 3, 0, 0]]])


def test_max_pool1d_defaults_padding_and_unbatched_input():
    x = leaf([[4.0, -1.0, 2.0, 5.0, -3.0]])  # (C, L) = (1, 5)
    out = max_pool1d(x, 2)  # stride defaults to kernel_size
    np.testing.assert_array_equal(out.numpy(), [[4.0, 5.0]])
    padded = max_pool1d(Tensor(x.numpy()), 2, padding=1)  # padding is -inf, never chosen
    np.testing.assert_array_equal(padded.numpy(), [[4.0, 2.0, 5.0]])
    out.backward(np.ones(out.shape))
    np.testing.assert_array_equal(x.grad.numpy(), [[1, 0, 0, 1, 0]])
    ceil = max_pool1d(Tensor(x.numpy()), 2, ceil_mode=True)
    np.testing.assert_array_equal(ceil.numpy(), [[4.0, 5.0, -3.0]])


@settings(max_examples=60)
@given(pool_case(dilation=False), st.booleans(), st.integers(0, 2**32 - 1))
def test_avg_pool1d_matches_the_reference_and_its_derivatives(case, count_include_pad, seed):
    x, kw, _ = case
    out = avg_pool1d(Tensor(x), count_include_pad=count_include_pad, **kw)
    ref = naive_avg_pool1d(x, count_include_pad=count_include_pad, **kw)
    np.testing.assert_allclose(out.numpy(), ref, rtol=1e-12, atol=1e-12)
    assert_gradients(lambda t: avg_pool1d(t, count_include_pad=count_include_pad, **kw), [x],
                     seed)


@settings(max_examples=30)
@given(pool_case(dilation=False, max_extra=4), st.booleans(), st.integers(0, 2**32 - 1))
def test_avg_pool1d_second_derivatives(case, count_include_pad, seed):
    x, kw, _ = case
    assert_second_derivatives(
        lambda t: avg_pool1d(t, count_include_pad=count_include_pad, **kw), [x], seed)


@settings(max_examples=30)
@given(pool_case(dilation=False), st.booleans(), st.integers(0, 2**32 - 1))
def test_avg_pool1d_matches_torch_to_second_order(case, count_include_pad, seed):
    torch = pytest.importorskip("torch")
    x, kw, _ = case
    assert_matches_torch(
        lambda t: avg_pool1d(t, count_include_pad=count_include_pad, **kw),
        lambda t: torch.nn.functional.avg_pool1d(t, count_include_pad=count_include_pad, **kw),
        [x], seed)


def test_avg_pool1d_count_include_pad():
    x = Tensor(np.array([[[1.0, 2.0, 3.0]]]))
    np.testing.assert_allclose(avg_pool1d(x, 2, padding=1).numpy(), [[[0.5, 2.5]]])
    np.testing.assert_allclose(
        avg_pool1d(x, 2, padding=1, count_include_pad=False).numpy(), [[[1.0, 2.5]]]
    )


@st.composite
def pool2d_case(draw, gradcheckable=False):
    kernel = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    stride = draw(st.none() | st.tuples(st.integers(1, 2), st.integers(1, 2)))
    padding = tuple(draw(st.integers(0, k // 2)) for k in kernel)
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    spans = [d * (k - 1) + 1 for k, d in zip(kernel, dilation, strict=True)]
    size = tuple(draw(st.integers(s, s + 3)) for s in spans)
    shape = (draw(st.integers(1, 2)), 2, *size)
    x = draw(_distinct(shape) if gradcheckable else values(shape))
    return x, dict(kernel_size=kernel, stride=stride, padding=padding,
                   ceil_mode=draw(st.booleans())), dilation


@settings(max_examples=30)
@given(pool2d_case(gradcheckable=True), st.integers(0, 2**32 - 1))
def test_max_pool2d_matches_torch_to_second_order(case, seed):
    torch = pytest.importorskip("torch")
    x, kw, d = case
    out, idx = max_pool2d(Tensor(x), dilation=d, return_indices=True, **kw)
    _, ref_idx = torch.nn.functional.max_pool2d(torch.tensor(x), dilation=d,
                                                return_indices=True, **kw)
    np.testing.assert_array_equal(idx.numpy(), ref_idx.numpy())
    assert_matches_torch(lambda t: max_pool2d(t, dilation=d, **kw),
                         lambda t: torch.nn.functional.max_pool2d(t, dilation=d, **kw),
                         [x], seed)


@settings(max_examples=30)
@given(pool2d_case(), st.booleans(), st.sampled_from([None, 3]), st.integers(0, 2**32 - 1))
def test_avg_pool2d_matches_torch_to_second_order(case, count_include_pad, divisor, seed):
    torch = pytest.importorskip("torch")
    x, kw, _ = case
    extra = dict(count_include_pad=count_include_pad, divisor_override=divisor)
    assert_matches_torch(lambda t: avg_pool2d(t, **kw, **extra),
                         lambda t: torch.nn.functional.avg_pool2d(t, **kw, **extra), [x], seed)


def test_pool2d_derivatives_without_torch():
    rng = np.random.default_rng(8)
    x = rng.permutation(60).reshape(1, 3, 4, 5) / 10.0  # distinct: no ties
    for fn in (lambda t: max_pool2d(t, (2, 3), stride=1, padding=(1, 0), ceil_mode=True),
               lambda t: avg_pool2d(t, 2, stride=(1, 2), padding=1,
                                    count_include_pad=False)):
        assert_gradients(fn, [x])
        assert_second_derivatives(fn, [x[:, :1]])
    out = max_pool2d(Tensor(x), 2)
    np.testing.assert_array_equal(out.numpy(), x[..., :4].reshape(1, 3, 2, 2, 2, 2)
                                  .max(axis=(3, 5)))


def test_conv_relu_pool_chain_gradients():
    rng = np.random.default_rng(3)
    x, w, b = rng.standard_normal((2, 2, 9)), rng.standard_normal((3, 2, 3)), rng.standard_normal(3)

    def net(x, w, b):
        return max_pool1d(avg_pool1d(conv1d(x, w, b, padding=1), 2, stride=1), 2)

    assert_gradients(net, [x, w, b])
    assert_second_derivatives(net, [x, w, b])


@pytest.mark.parametrize(
    "fn, shape, args, error, match",
    [
        (max_pool1d, (1, 1, 6), (3, None, 2), ValueError,
         r"^max_pool1d: padding should be at most half of kernel_size, got padding=2 and "
         r"kernel_size=3"),
        (avg_pool1d, (1, 1, 6), (2, None, 2), ValueError,
         r"^avg_pool1d: padding should be at most half of kernel_size"),
        (max_pool1d, (1, 1, 2), (3,), ValueError,
         r"^max_pool1d: input length 2 .* too short for a window of 3 positions"),
        (avg_pool1d, (6,), (2,), ValueError, r"^avg_pool1d: expected input of shape \(N, C, L\)"),
        (max_pool1d, (1, 1, 6), (0,), ValueError, r"^max_pool1d: kernel_size must be >= 1, got 0"),
        (max_pool1d, (1, 1, 6), (2, 0), ValueError, r"^max_pool1d: stride must be >= 1, got 0"),
        (max_pool1d, (1, 1, 6), (2, 1, 0, 0), ValueError,
         r"^max_pool1d: dilation must be >= 1, got 0"),
        (max_pool2d, (1, 1, 6, 6), ((3, 2), None, (1, 2)), ValueError,
         r"^max_pool2d: padding should be at most half of kernel_size, got padding=\(1, 2\)"),
        (avg_pool2d, (1, 6, 6), ((3, 2, 1),), ValueError,
         r"^avg_pool2d: kernel_size must be an int or a sequence of 2 ints"),
        (max_pool2d, (6, 6), (2,), ValueError,
         r"^max_pool2d: expected input of shape \(N, C, H, W\) or unbatched \(C, H, W\)"),
    ],
)
def test_pool_errors(fn, shape, args, error, match):
    with pytest.raises(error, match=match):
        fn(Tensor(np.zeros(shape)), *args)
