"""Losses: forward against straightforward NumPy references written here, first and
second derivatives (input, and target where it is a float tensor) against finite
differences for every reduction and weighting, PyTorch agreement in float64 (values,
first and second derivatives) where torch is installed, stability at |x| = 1000 with
warnings as errors, PyTorch's deprecated arguments, and the error messages."""

import warnings

import numpy as np
import pytest
from conftest import leaf
from hypothesis import given, settings
from hypothesis import strategies as st

from tinygrad_lab import Tensor
from tinygrad_lab.autograd import grad
from tinygrad_lab.ops import loss as loss_module
from tinygrad_lab.ops.loss import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    l1_loss,
    mse_loss,
    nll_loss,
)
from tinygrad_lab.testing import gradcheck, gradgradcheck
from tinygrad_lab.testing import strategies as tst

REDUCTIONS = ["mean", "sum", "none"]
# Values rounded to 1e-6: no subnormals, so no underflow warnings in products.
VALUES = st.floats(-3, 3, allow_nan=False, allow_subnormal=False).map(lambda v: round(v, 6))



def reduce(loss, reduction):
    return {"mean": np.mean, "sum": np.sum, "none": lambda a: a}[reduction](loss)


# ------------------------------------------------------------------ references


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def ref_bce(p, t, w=None):
    loss = -(t * np.maximum(np.log(p), -100) + (1 - t) * np.maximum(np.log(1 - p), -100))
    return loss if w is None else loss * w


def ref_bce_logits(z, t, w=None, pw=None):
    """The textbook formula (fine for moderate |z|)."""
    pw = 1 if pw is None else pw
    loss = -(pw * t * np.log(sigmoid(z)) + (1 - t) * np.log(1 - sigmoid(z)))
    return loss if w is None else loss * w


def ref_nll(logp, labels, w, reduction, ignore_index=-100):
    """One sample at a time, class axis 1 (or 0 when unbatched)."""
    if logp.ndim == 1:
        logp, labels = logp[None], np.asarray(labels)[None]
        return ref_nll(logp, labels, w, reduction, ignore_index)[()] if reduction != "none" \
            else ref_nll(logp, labels, w, reduction, ignore_index)[0]
    lp = np.moveaxis(logp, 1, -1).reshape(-1, logp.shape[1])
    flat = labels.reshape(-1)
    w = np.ones(logp.shape[1]) if w is None else w
    losses, weights = np.zeros(len(flat)), np.zeros(len(flat))
    for i, y in enumerate(flat):
        if y != ignore_index:
            losses[i], weights[i] = -w[y] * lp[i, y], w[y]
    if reduction == "none":
        return losses.reshape(labels.shape)
    if reduction == "sum":
        return losses.sum()
    with np.errstate(invalid="ignore"):  # all ignored: 0 / 0 = nan, as PyTorch
        return losses.sum() / weights.sum()


def ref_log_softmax(z, axis):
    shifted = z - z.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def ref_cross_entropy(z, labels, w, reduction, ignore_index=-100, eps=0.0):
    """PyTorch's definition: (1 - ε) nll + ε/C * (smoothing term, same normaliser)."""
    axis = 0 if z.ndim == 1 else 1
    n_classes = z.shape[axis]
    logp = ref_log_softmax(z, axis)
    nll = ref_nll(logp, labels, w, reduction, ignore_index)
    wc = np.ones(n_classes) if w is None else w
    shape = [1] * z.ndim
    shape[axis] = n_classes
    smooth = -(logp * wc.reshape(shape)).sum(axis=axis) * (np.asarray(labels) != ignore_index)
    if reduction == "mean":
        counted = np.asarray(labels)[np.asarray(labels) != ignore_index]
        with np.errstate(invalid="ignore"):
            smooth = smooth.sum() / wc[counted].sum()
    elif reduction == "sum":
        smooth = smooth.sum()
    return (1 - eps) * nll + eps / n_classes * smooth


# ------------------------------------------------------------------- strategies


@st.composite
def pair(draw, shape=None):
    """Input and target of one shape."""
    shape = draw(tst.shapes(min_dims=0, max_dims=3)) if shape is None else shape
    return (draw(tst.arrays(shape=shape, elements=VALUES)),
            draw(tst.arrays(shape=shape, elements=VALUES)))


@st.composite
def probabilities(draw, shape):
    return draw(tst.arrays(shape=shape, elements=st.integers(5, 95).map(lambda v: v / 100)))


@st.composite
def classification(draw):
    """Logits (N, C), (N, C, d...) or (C,), matching integer labels (some ignored), and
    optional class weights."""
    n_classes = draw(st.integers(1, 5))
    layout = draw(st.sampled_from(["unbatched", "batched", "spatial"]))
    if layout == "unbatched":
        shape, label_shape = (n_classes,), ()
    else:
        n = draw(st.integers(1, 4))
        extra = () if layout == "batched" else tuple(
            draw(st.lists(st.integers(1, 3), min_size=1, max_size=2)))
        shape, label_shape = (n, n_classes, *extra), (n, *extra)
    z = draw(tst.arrays(shape=shape, elements=VALUES))
    labels = np.asarray(draw(st.lists(st.integers(0, n_classes - 1), min_size=int(
        np.prod(label_shape)), max_size=int(np.prod(label_shape))))).reshape(label_shape)
    ignore = draw(st.lists(st.booleans(), min_size=labels.size, max_size=labels.size))
    labels = np.where(np.reshape(ignore, label_shape) & draw(st.booleans()), -100, labels)
    weight = draw(st.none() | tst.arrays(shape=(n_classes,), elements=st.integers(
        1, 30).map(lambda v: v / 10)))
    return z, labels.astype(np.int64), weight


# ------------------------------------------------------------- regression losses


@pytest.mark.parametrize("reduction", REDUCTIONS)
@settings(max_examples=15)
@given(data=pair())
def test_mse_loss_values_and_gradients(reduction, data):
    x, t = data
    out = mse_loss(Tensor(x), t, reduction=reduction)
    np.testing.assert_allclose(out.numpy(), reduce((x - t) ** 2, reduction), rtol=1e-12)
    fn = lambda a, b: mse_loss(a, b, reduction=reduction)  # noqa: E731
    assert gradcheck(fn, [leaf(x), leaf(t)]) and gradgradcheck(fn, [leaf(x), leaf(t)])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@settings(max_examples=15)
@given(data=pair(), offset=st.floats(0.01, 1) | st.floats(-1, -0.01))
def test_l1_loss_values_and_gradients(reduction, data, offset):
    t, _ = data
    x = t + offset * np.sign(np.cos(np.arange(t.size))).reshape(t.shape)  # away from the kink
    out = l1_loss(Tensor(x), Tensor(t), reduction=reduction)
    np.testing.assert_allclose(out.numpy(), reduce(np.abs(x - t), reduction), rtol=1e-12)
    fn = lambda a, b: l1_loss(a, b, reduction=reduction)  # noqa: E731
    assert gradcheck(fn, [leaf(x), leaf(t)]) and gradgradcheck(fn, [leaf(x), leaf(t)])


def test_l1_loss_gradient_is_zero_where_input_equals_target():
    x = leaf([1.0, 2.0, 3.0])
    l1_loss(x, [1.0, 0.0, 5.0], reduction="sum").backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 1.0, -1.0])


# ---------------------------------------------------------- binary cross-entropy


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@settings(max_examples=10)
@given(shape=tst.shapes(min_dims=1, max_dims=3), data=st.data())
def test_binary_cross_entropy_values_and_gradients(reduction, weighted, shape, data):
    p = data.draw(probabilities(shape))
    t = data.draw(probabilities(shape))
    w = data.draw(probabilities(shape[-1:])) * 2 if weighted else None
    out = binary_cross_entropy(Tensor(p), t, w, reduction=reduction)
    np.testing.assert_allclose(out.numpy(), reduce(ref_bce(p, t, w), reduction), rtol=1e-12)
    fn = lambda a, b: binary_cross_entropy(a, b, w, reduction=reduction)  # noqa: E731
    assert gradcheck(fn, [leaf(p), leaf(t)]) and gradgradcheck(fn, [leaf(p), leaf(t)])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("with_pos_weight", [False, True])
@settings(max_examples=10)
@given(shape=tst.shapes(min_dims=1, max_dims=3), data=st.data())
def test_bce_with_logits_values_and_gradients(reduction, weighted, with_pos_weight, shape, data):
    z = data.draw(tst.arrays(shape=shape, elements=VALUES)) * 3
    t = data.draw(probabilities(shape))
    w = data.draw(probabilities(shape)) * 2 if weighted else None
    pw = data.draw(probabilities(shape[-1:])) * 4 if with_pos_weight else None
    out = binary_cross_entropy_with_logits(Tensor(z), t, w, reduction=reduction, pos_weight=pw)
    ref = reduce(ref_bce_logits(z, t, w, pw), reduction)
    np.testing.assert_allclose(out.numpy(), ref, rtol=1e-10, atol=1e-12)
    fn = lambda a, b: binary_cross_entropy_with_logits(  # noqa: E731
        a, b, w, reduction=reduction, pos_weight=pw)
    assert gradcheck(fn, [leaf(z), leaf(t)]) and gradgradcheck(fn, [leaf(z), leaf(t)])


def test_binary_cross_entropy_clamps_the_log_at_minus_100():
    p = leaf([0.0, 1.0, 0.0, 1.0])
    out = binary_cross_entropy(p, [0.0, 1.0, 1.0, 0.0], reduction="none")
    np.testing.assert_array_equal(out.numpy(), [0.0, 0.0, 100.0, 100.0])
    out.backward(np.ones(4))
    assert np.isfinite(p.grad.numpy()).all()
    np.testing.assert_allclose(p.grad.numpy()[2:], [-1e12, 1e12])  # PyTorch's 1e-12 floor


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bce_with_logits_is_stable_at_1000(dtype):
    z = Tensor(np.array([1000.0, -1000.0, 1000.0, -1000.0, 0.0], dtype=dtype), requires_grad=True)
    t = np.array([0.0, 1.0, 1.0, 0.0, 1.0])
    pw = np.full(5, 2.0)
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
        warnings.simplefilter("error")
        out = binary_cross_entropy_with_logits(z, t, reduction="none")
        out.backward(np.ones(5, dtype=dtype))
        weighted = binary_cross_entropy_with_logits(Tensor(z.numpy()), t, None,
                                                    reduction="none", pos_weight=pw)
    assert out.dtype == dtype and z.grad.dtype == dtype
    np.testing.assert_allclose(out.numpy(), [1000.0, 1000.0, 0.0, 0.0, np.log(2)], rtol=1e-6)
    np.testing.assert_allclose(z.grad.numpy(), [1.0, -1.0, 0.0, 0.0, -0.5], rtol=1e-6)
    np.testing.assert_allclose(weighted.numpy(), [1000.0, 2000.0, 0.0, 0.0, 2 * np.log(2)],
                               rtol=1e-6)


def test_bce_with_logits_keeps_precision_for_tiny_probabilities():
    # d/dz = σ(z) - t = σ(-30) ≈ 9.36e-14 for t = 0: no cancellation against 1.
    z = leaf([-30.0])
    binary_cross_entropy_with_logits(z, [0.0], reduction="sum").backward()
    np.testing.assert_allclose(z.grad.numpy(), [sigmoid(-30.0)], rtol=1e-12)


# ----------------------------------------------------------- classification losses


@pytest.mark.parametrize("reduction", REDUCTIONS)
@settings(max_examples=15)
@given(case=classification())
def test_nll_loss_values_and_gradients(reduction, case):
    z, labels, w = case
    logp = ref_log_softmax(z, 0 if z.ndim == 1 else 1)
    out = nll_loss(Tensor(logp), labels, w, reduction=reduction)
    np.testing.assert_allclose(out.numpy(), ref_nll(logp, labels, w, reduction), rtol=1e-12)
    if np.isfinite(out.numpy()).all():
        fn = lambda a: nll_loss(a, labels, w, reduction=reduction)  # noqa: E731
        assert gradcheck(fn, [leaf(logp)]) and gradgradcheck(fn, [leaf(logp)])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("eps", [0.0, 0.25])
@settings(max_examples=15)
@given(case=classification())
def test_cross_entropy_values_and_gradients(reduction, eps, case):
    z, labels, w = case
    out = cross_entropy(Tensor(z), labels, w, reduction=reduction, label_smoothing=eps)
    ref = ref_cross_entropy(z, labels, w, reduction, eps=eps)
    np.testing.assert_allclose(out.numpy(), ref, rtol=1e-10, atol=1e-12)
    if np.isfinite(out.numpy()).all():
        fn = lambda a: cross_entropy(a, Tensor(labels), w, reduction=reduction,  # noqa: E731
                                     label_smoothing=eps)
        assert gradcheck(fn, [leaf(z)]) and gradgradcheck(fn, [leaf(z)])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("eps", [0.0, 0.25])
@pytest.mark.parametrize("weighted", [False, True])
@settings(max_examples=10)
@given(case=classification())
def test_cross_entropy_with_class_probabilities(reduction, eps, weighted, case):
    z, _, _ = case
    axis = 0 if z.ndim == 1 else 1
    rng = np.random.default_rng(z.size)
    p = rng.dirichlet(np.ones(z.shape[axis]), size=z.size // z.shape[axis])  # (M, C)
    p = np.moveaxis(p.reshape(np.moveaxis(z, axis, -1).shape), -1, axis)
    w = np.linspace(0.5, 2.0, z.shape[axis]) if weighted else None
    out = cross_entropy(Tensor(z), Tensor(p), w, reduction=reduction, label_smoothing=eps)
    ps = p * (1 - eps) + eps / z.shape[axis]
    shape = [1] * z.ndim
    shape[axis] = -1
    per = -(ps * ref_log_softmax(z, axis) * (1 if w is None else w.reshape(shape))).sum(axis)
    np.testing.assert_allclose(out.numpy(), reduce(per, reduction), rtol=1e-10, atol=1e-12)
    fn = lambda a, b: cross_entropy(a, b, w, reduction=reduction,  # noqa: E731
                                    label_smoothing=eps)
    assert gradcheck(fn, [leaf(z), leaf(p)]) and gradgradcheck(fn, [leaf(z), leaf(p)])


@st.composite
def counted_labels(draw):
    """(N, C) logits of either float dtype with labels that all count (the fast path's
    case), of any integer dtype, and an ignore_index that no label equals."""
    n, n_classes = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    z = draw(tst.arrays(dtype=dtype, shape=(n, n_classes), elements=VALUES))
    labels = np.array(draw(st.lists(st.integers(0, n_classes - 1), min_size=n, max_size=n)),
                      dtype=draw(st.sampled_from([np.int64, np.int32, np.uint8])))
    unused = sorted(set(range(n_classes)) - set(labels.tolist()))
    ignore_index = draw(st.sampled_from([-100, n_classes, *unused]))
    return z, labels, ignore_index


@pytest.mark.parametrize("reduction", REDUCTIONS)
@settings(max_examples=20)
@given(case=counted_labels(), seed=st.integers(0, 2**32 - 1))
def test_labels_that_all_count_skip_the_masks_with_the_same_result(reduction, case, seed):
    z, labels, ignore_index = case
    assert loss_module._all_count(labels, z.shape[1], ignore_index)
    g = np.random.default_rng(seed).uniform(-2, 2, labels.shape if reduction == "none" else ())
    g = g.astype(z.dtype)
    g_before = g.copy()

    def run():
        x = Tensor(z, requires_grad=True)
        out = cross_entropy(x, labels, reduction=reduction, ignore_index=ignore_index)
        out.backward(g)
        return out.numpy(), x.grad.numpy()

    out, grad_ = run()
    with pytest.MonkeyPatch.context() as mp:  # the general path, with masks
        mp.setattr(loss_module, "_all_count", lambda *args: False)
        ref_out, ref_grad = run()
    np.testing.assert_array_equal(g, g_before)  # the upstream gradient is left alone
    assert out.dtype == grad_.dtype == z.dtype and out.shape == ref_out.shape
    np.testing.assert_array_equal(out, ref_out)
    np.testing.assert_array_equal(grad_, ref_grad)
    if z.dtype == np.float64:
        fn = lambda a: cross_entropy(a, labels, reduction=reduction,  # noqa: E731
                                     ignore_index=ignore_index)
        assert gradcheck(fn, [leaf(z)]) and gradgradcheck(fn, [leaf(z)])


def test_masks_are_built_only_when_some_label_does_not_count(monkeypatch):
    seen = []
    all_count = loss_module._all_count
    monkeypatch.setattr(loss_module, "_all_count",
                        lambda *args: seen.append(all_count(*args)) or seen[-1])
    z = np.array([[1.0, 2.0, 3.0], [1.0, 0.0, -1.0], [0.5, 0.5, 0.0]])
    cross_entropy(Tensor(z), np.array([0, 2, 2]))
    cross_entropy(Tensor(z), np.array([0, 2, 2]), ignore_index=1)  # no label is 1
    cross_entropy(Tensor(z), np.array([0, 2, 2]), weight=np.ones(3))
    cross_entropy(Tensor(z), np.array([0, 2, 2]), label_smoothing=0.1)
    cross_entropy(Tensor(z[..., None]), np.array([[0], [2], [2]]))
    cross_entropy(Tensor(z[0]), np.int64(2))
    assert seen == [True] * 6
    # Masks: an ignored label (in or out of the class range), an empty batch.
    ref = ref_cross_entropy(z, np.array([1, 2, 1]), None, "mean", ignore_index=1)
    np.testing.assert_allclose(
        cross_entropy(Tensor(z), np.array([1, 2, 1]), ignore_index=1).numpy(), ref, rtol=1e-12)
    cross_entropy(Tensor(z), np.array([0, -100, 2]))
    assert np.isnan(cross_entropy(Tensor(np.zeros((0, 3))), np.zeros(0, dtype=np.int64)).item())
    assert seen[6:] == [False] * 3
    # Labels out of range fail the check and raise in the general path.
    with pytest.raises(IndexError, match=r"target label 3 is out of range for 3 classes"):
        cross_entropy(Tensor(z), np.array([0, 3, 1]), ignore_index=3 + 1)


def test_cross_entropy_is_stable_at_1000():
    z = Tensor(np.array([[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 999.0]]), requires_grad=True)
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
        warnings.simplefilter("error")
        out = cross_entropy(z, np.array([1, 1]), reduction="none", label_smoothing=0.1)
        out.backward(np.ones(2))
    # Row 0: log p = (0, -2000, -1000), so 0.9 * 2000 + 0.1/3 * 3000.
    np.testing.assert_allclose(out.numpy()[0], 1900.0, rtol=1e-12)
    expected = ref_cross_entropy(z.numpy(), np.array([1, 1]), None, "none", eps=0.1)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12)
    assert np.isfinite(z.grad.numpy()).all()
    np.testing.assert_allclose(z.grad.numpy().sum(axis=1), 0, atol=1e-12)


def test_ignored_labels_and_all_ignored():
    z = leaf(np.array([[1.0, 2.0, 3.0], [1.0, 0.0, -1.0]]))
    out = cross_entropy(z, [2, -100])  # a list of labels is fine too
    np.testing.assert_allclose(out.numpy(), -ref_log_softmax(z.numpy(), 1)[0, 2])
    out.backward()
    np.testing.assert_array_equal(z.grad.numpy()[1], 0)
    z.grad = None
    out = cross_entropy(z, np.array([-100, -100]))
    assert np.isnan(out.item())  # 0 / 0, as in PyTorch
    out.backward()
    np.testing.assert_array_equal(z.grad.numpy(), 0)
    custom = nll_loss(Tensor(z.numpy()), np.array([0, 7]), ignore_index=7, reduction="none")
    np.testing.assert_allclose(custom.numpy(), [-1.0, 0.0])


def test_losses_keep_float32_and_targets_get_no_gradient_unless_asked():
    x = Tensor(np.array([[0.5, -1.0], [2.0, 0.0]], dtype=np.float32), requires_grad=True)
    labels = Tensor(np.array([1, 0]))
    target = Tensor(np.array([[1.0, 0.0], [0.0, 1.0]], dtype=np.float32))
    for loss in (
        cross_entropy(x, labels),
        nll_loss(x, labels),
        mse_loss(x, target),
        l1_loss(x, target.numpy()),
        binary_cross_entropy_with_logits(x, target),
        binary_cross_entropy(Tensor(np.full((2, 2), 0.25, dtype=np.float32)), target),
    ):
        assert loss.dtype == np.float32 and loss.shape == ()
        if loss.requires_grad:
            loss.backward()
    assert x.grad.dtype == np.float32
    assert labels.grad is None and target.grad is None


# --------------------------------------------------------------------- PyTorch


@pytest.mark.parametrize("reduction", REDUCTIONS)
@settings(max_examples=10)
@given(case=classification(), eps=st.sampled_from([0.0, 0.3]), seed=st.integers(0, 2**32 - 1))
def test_classification_losses_match_torch(reduction, case, eps, seed):
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    z, labels, w = case
    wt = None if w is None else torch.tensor(w)
    g = np.random.default_rng(seed).standard_normal(labels.shape if reduction == "none" else ())
    for ours_fn, theirs_fn in (
        (lambda a: cross_entropy(a, labels, w, reduction=reduction, label_smoothing=eps),
         lambda a: F.cross_entropy(a, torch.tensor(labels), wt, reduction=reduction,
                                   label_smoothing=eps)),
        (lambda a: nll_loss(a, labels, w, reduction=reduction),
         lambda a: F.nll_loss(a, torch.tensor(labels), wt, reduction=reduction)),
    ):
        ours, theirs = leaf(z), torch.tensor(z, requires_grad=True)
        out, ref = ours_fn(ours), theirs_fn(theirs)
        np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), rtol=1e-10, atol=1e-12)
        out.backward(g)
        ref.backward(torch.tensor(g))
        np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_elementwise_losses_match_torch(reduction):
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    rng = np.random.default_rng(0)
    z, t = rng.standard_normal((4, 3)) * 4, rng.uniform(0, 1, (4, 3))
    p, w, pw = rng.uniform(0.02, 0.98, (4, 3)), rng.uniform(0.5, 2, (3,)), rng.uniform(0.5, 3, 3)
    cases = [
        (lambda a, b: mse_loss(a, b, reduction=reduction),
         lambda a, b: F.mse_loss(a, b, reduction=reduction), z),
        (lambda a, b: l1_loss(a, b, reduction=reduction),
         lambda a, b: F.l1_loss(a, b, reduction=reduction), z),
        (lambda a, b: binary_cross_entropy(a, b, w, reduction=reduction),
         lambda a, b: F.binary_cross_entropy(a, b, torch.tensor(w), reduction=reduction), p),
        (lambda a, b: binary_cross_entropy_with_logits(a, b, w, reduction=reduction,
                                                          pos_weight=pw),
         lambda a, b: F.binary_cross_entropy_with_logits(
             a, b, torch.tensor(w), reduction=reduction, pos_weight=torch.tensor(pw)), z),
    ]
    for ours_fn, theirs_fn, x in cases:
        a, b = leaf(x), leaf(t)
        ta, tb = torch.tensor(x, requires_grad=True), torch.tensor(t, requires_grad=True)
        out, ref = ours_fn(a, b), theirs_fn(ta, tb)
        g = rng.standard_normal(out.shape)
        out.backward(g)
        ref.backward(torch.tensor(g))
        np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), rtol=1e-10)
        np.testing.assert_allclose(a.grad.numpy(), ta.grad.numpy(), rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(b.grad.numpy(), tb.grad.numpy(), rtol=1e-9, atol=1e-12)


def test_cross_entropy_with_probabilities_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    z, p, w = rng.standard_normal((3, 4, 2)), rng.dirichlet(np.ones(4), (3, 2)), rng.uniform(
        0.5, 2, 4)
    p = np.moveaxis(p, -1, 1)
    for reduction in REDUCTIONS:
        a, b = leaf(z), leaf(p)
        ta, tb = torch.tensor(z, requires_grad=True), torch.tensor(p, requires_grad=True)
        out = cross_entropy(a, b, w, reduction=reduction, label_smoothing=0.2)
        ref = torch.nn.functional.cross_entropy(ta, tb, torch.tensor(w), reduction=reduction,
                                                label_smoothing=0.2)
        g = rng.standard_normal(out.shape)
        out.backward(g)
        ref.backward(torch.tensor(g))
        np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), rtol=1e-10)
        np.testing.assert_allclose(a.grad.numpy(), ta.grad.numpy(), rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(b.grad.numpy(), tb.grad.numpy(), rtol=1e-9, atol=1e-12)


def torch_second_order_cases(torch, reduction, rng):
    """(ours, theirs, inputs) for every loss: inputs are float64 arrays, all differentiated
    (targets too, where PyTorch differentiates them)."""
    F = torch.nn.functional
    z, t = rng.standard_normal((4, 3)) * 2, rng.uniform(0, 1, (4, 3))
    p, w, pw = rng.uniform(0.05, 0.95, (4, 3)), rng.uniform(0.5, 2, 3), rng.uniform(0.5, 3, 3)
    labels = np.array([0, 2, 1, 2])
    spatial, spatial_labels = rng.standard_normal((2, 3, 2)), np.array([[0, 2], [1, -100]])
    probs = rng.dirichlet(np.ones(3), 4)
    tw, tpw = torch.tensor(w), torch.tensor(pw)
    r = {"reduction": reduction}
    return [
        ("mse", lambda a, b: mse_loss(a, b, **r), lambda a, b: F.mse_loss(a, b, **r), (z, t)),
        ("mse_weighted", lambda a, b: mse_loss(a, b, weight=p, **r),
         lambda a, b: F.mse_loss(a, b, weight=torch.tensor(p), **r), (z, t)),
        ("bce", lambda a, b: binary_cross_entropy(a, b, w, **r),
         lambda a, b: F.binary_cross_entropy(a, b, tw, **r), (p, t)),
        ("bce_logits", lambda a, b: binary_cross_entropy_with_logits(a, b, w, pos_weight=pw, **r),
         lambda a, b: F.binary_cross_entropy_with_logits(a, b, tw, pos_weight=tpw, **r), (z, t)),
        ("cross_entropy", lambda a: cross_entropy(a, labels, w, label_smoothing=0.2, **r),
         lambda a: F.cross_entropy(a, torch.tensor(labels), tw, label_smoothing=0.2, **r), (z,)),
        ("cross_entropy_spatial", lambda a: cross_entropy(a, spatial_labels, **r),
         lambda a: F.cross_entropy(a, torch.tensor(spatial_labels), **r), (spatial,)),
        ("cross_entropy_probs", lambda a, b: cross_entropy(a, b, w, label_smoothing=0.1, **r),
         lambda a, b: F.cross_entropy(a, b, tw, label_smoothing=0.1, **r), (z, probs)),
        ("nll", lambda a: nll_loss(a, labels, w, **r),
         lambda a: F.nll_loss(a, torch.tensor(labels), tw, **r), (z,)),
    ]


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_second_derivatives_match_torch(reduction):
    """Hessian-vector products d <u, d <v, loss>/dx> / dx, input and target, in float64."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    for name, ours_fn, theirs_fn, arrays in torch_second_order_cases(torch, reduction, rng):
        ours = [leaf(a) for a in arrays]
        theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
        out, ref = ours_fn(*ours), theirs_fn(*theirs)
        np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), rtol=1e-12, err_msg=name)
        v = rng.standard_normal(out.shape)
        first = grad(out, ours, grad_outputs=v, create_graph=True)
        first_ref = torch.autograd.grad(ref, theirs, torch.tensor(v), create_graph=True)
        us = [rng.standard_normal(a.shape) for a in arrays]
        for g, gr in zip(first, first_ref, strict=True):
            np.testing.assert_allclose(g.numpy(), gr.detach().numpy(), rtol=1e-10, atol=1e-13,
                                       err_msg=name)
        ours_total = sum((g * u).sum() for g, u in zip(first, us, strict=True) if g.requires_grad)
        theirs_total = sum((g * torch.tensor(u)).sum() for g, u in zip(first_ref, us, strict=True)
                           if g.requires_grad)
        second_ref = torch.autograd.grad(theirs_total, theirs, allow_unused=True,
                                         materialize_grads=True)
        if isinstance(ours_total, int):  # linear in the inputs (nll): a constant gradient
            second = [Tensor(np.zeros(a.shape)) for a in arrays]
        else:
            second = grad(ours_total, ours, allow_unused=True, materialize_grads=True)
        for h, hr in zip(second, second_ref, strict=True):  # sums with cancellation: a looser rtol
            np.testing.assert_allclose(h.numpy(), hr.numpy(), rtol=1e-9, atol=1e-12,
                                       err_msg=name)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@settings(max_examples=10)
@given(data=pair(), seed=st.integers(0, 2**16))
def test_weighted_mse_and_l1(reduction, data, seed):
    x, t = data
    w = np.random.default_rng(seed).uniform(0.1, 2, x.shape)
    for fn, per in ((mse_loss, (x - t) ** 2), (l1_loss, np.abs(x - t))):
        out = fn(Tensor(x), t, reduction=reduction, weight=w)
        expected = {"none": per * w, "sum": (per * w).sum(),
                    "mean": (per * w).sum() / w.sum()}[reduction]
        np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12)
    mse = lambda a, b: mse_loss(a, b, reduction=reduction, weight=w)  # noqa: E731
    assert gradcheck(mse, [leaf(x), leaf(t)]) and gradgradcheck(mse, [leaf(x), leaf(t)])


def test_deprecated_size_average_and_reduce_follow_pytorch():
    x, t = Tensor(np.array([1.0, 2.0, 4.0])), np.zeros(3)
    cases = [((None, None), 7.0), ((True, None), 7.0), ((False, None), 21.0),
             ((None, False), [1.0, 4.0, 16.0]), ((False, True), 21.0)]
    for (size_average, reduce_), expected in cases:
        if size_average is None and reduce_ is None:
            out = mse_loss(x, t)
        else:
            with pytest.warns(UserWarning, match="size_average and reduce args will be "
                                                 "deprecated, please use reduction="):
                out = mse_loss(x, t, size_average, reduce_)
        np.testing.assert_allclose(out.numpy(), expected)
    with pytest.warns(UserWarning):
        out = cross_entropy(Tensor(np.zeros((2, 3))), np.array([0, 1]), reduce=False)
    assert out.shape == (2,)


# ---------------------------------------------------------------------- errors

ALL_LOSSES = [mse_loss, l1_loss, binary_cross_entropy, binary_cross_entropy_with_logits,
              cross_entropy, nll_loss]


@pytest.mark.parametrize("fn", ALL_LOSSES)
def test_bad_reduction(fn):
    with pytest.raises(ValueError, match=rf"^{fn.__name__}: reduction must be one of 'mean', "
                                         r"'sum' or 'none', got 'avg'"):
        fn(Tensor(np.full((2, 3), 0.5)), np.zeros(2, dtype=np.int64), reduction="avg")


@pytest.mark.parametrize("fn", [mse_loss, l1_loss, binary_cross_entropy,
                                binary_cross_entropy_with_logits])
def test_shape_mismatch_names_both_shapes(fn):
    with pytest.raises(ValueError, match=rf"^{fn.__name__}: input shape \(4, 1\) and target "
                                         r"shape \(4,\) differ"):
        fn(Tensor(np.full((4, 1), 0.5)), np.zeros(4))


def test_binary_cross_entropy_rejects_inputs_outside_0_1():
    with pytest.raises(ValueError, match=r"^binary_cross_entropy: all elements of input must "
                                         r"be in \[0, 1\], found 1.5 .*with_logits"):
        binary_cross_entropy(Tensor(np.array([0.5, 1.5])), np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match=r"found nan"):
        binary_cross_entropy(Tensor(np.array([np.nan])), np.array([0.0]))


@pytest.mark.parametrize("fn", [cross_entropy, nll_loss])
def test_classification_errors(fn):
    name = fn.__name__
    z = Tensor(np.zeros((3, 4)))
    with pytest.raises(IndexError, match=rf"^{name}: target label 4 is out of range for 4 "
                                         r"classes \(valid labels are 0..3, or ignore_index"):
        fn(z, np.array([0, 4, 1]))
    with pytest.raises(IndexError, match=r"target label -1 is out of range for 4 classes"):
        fn(z, np.array([0, -1, 1]))
    with pytest.raises(TypeError, match=rf"^{name}: target must hold integer class labels of "
                                        r"shape \(3,\) .*dtype float64.*astype\(np.int64\)"):
        fn(z, np.array([0.0, 1.0, 2.0]))
    with pytest.raises(ValueError, match=rf"^{name}: input shape \(3, 4\) needs target shape "
                                         r"\(3,\) .*got \(2,\)"):
        fn(z, np.array([0, 1]))
    with pytest.raises(ValueError, match=rf"^{name}: weight must have shape \(4,\), got \(3,\)"):
        fn(z, np.array([0, 1, 2]), weight=np.ones(3))
    with pytest.raises(ValueError, match=rf"^{name}: input must have a class axis"):
        fn(Tensor(np.float64(1.0)), np.int64(0))


def test_cross_entropy_specific_errors():
    z = Tensor(np.zeros((3, 4)))
    with pytest.raises(ValueError, match=r"^cross_entropy: label_smoothing must be in \[0, 1\]"):
        cross_entropy(z, np.array([0, 1, 2]), label_smoothing=1.5)
    with pytest.raises(ValueError, match=r"ignore_index=0 does not apply .*probabilities"):
        cross_entropy(z, np.full((3, 4), 0.25), ignore_index=0)
    with pytest.raises(TypeError, match=r"or pass class probabilities: a float target of shape"):
        cross_entropy(z, np.zeros((3, 5)))


def test_weight_and_input_errors():
    with pytest.raises(ValueError, match=r"^binary_cross_entropy: weight of shape \(3,\) does not "
                                         r"broadcast to the input shape \(2, 2\)"):
        binary_cross_entropy(Tensor(np.full((2, 2), 0.5)), np.zeros((2, 2)), weight=np.ones(3))
    with pytest.raises(ValueError, match=r"pos_weight of shape \(3,\) does not broadcast"):
        binary_cross_entropy_with_logits(Tensor(np.zeros((2, 2))), np.zeros((2, 2)),
                                         pos_weight=np.ones(3))
    with pytest.raises(TypeError, match=r"^mse_loss: input must be a float tensor, got dtype "
                                        r"int64"):
        mse_loss(Tensor(np.array([1, 2])), np.array([1.0, 2.0]))
    with pytest.raises(ValueError, match=r"^l1_loss: weight of shape \(3,\) and input of shape "
                                         r"\(2, 3\) must have the same size"):
        l1_loss(Tensor(np.zeros((2, 3))), np.zeros((2, 3)), weight=np.ones(3))
    with pytest.raises(TypeError, match=r"^mse_loss: target must be numeric"):
        mse_loss(Tensor(np.zeros(2)), np.array(["a", "b"]))
