"""Losses: forward against straightforward NumPy references written here, gradients
(input, and target where it is a float tensor) against finite differences for every
reduction and weighting, PyTorch agreement in float64 where torch is installed, stability
at |x| = 1000 with warnings as errors, and the error messages."""

import contextlib
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinygrad_lab import Tensor
from tinygrad_lab.ops import loss as loss_module
from tinygrad_lab.ops.loss import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    l1_loss,
    mse_loss,
    nll_loss,
)
from tinygrad_lab.testing import gradcheck
from tinygrad_lab.testing import strategies as tst

REDUCTIONS = ["mean", "sum", "none"]
# Values rounded to 1e-6: no subnormals, so no underflow warnings in products.
VALUES = st.floats(-3, 3, allow_nan=False, allow_subnormal=False).map(lambda v: round(v, 6))


def leaf(a):
    return Tensor(np.asarray(a, dtype=np.float64), requires_grad=True)


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
    out = mse_loss(Tensor(x), t, reduction)
    np.testing.assert_allclose(out.data, reduce((x - t) ** 2, reduction), rtol=1e-12)
    assert gradcheck(lambda a, b: mse_loss(a, b, reduction), [leaf(x), leaf(t)])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@settings(max_examples=15)
@given(data=pair(), offset=st.floats(0.01, 1) | st.floats(-1, -0.01))
def test_l1_loss_values_and_gradients(reduction, data, offset):
    t, _ = data
    x = t + offset * np.sign(np.cos(np.arange(t.size))).reshape(t.shape)  # away from the kink
    out = l1_loss(Tensor(x), Tensor(t), reduction)
    np.testing.assert_allclose(out.data, reduce(np.abs(x - t), reduction), rtol=1e-12)
    assert gradcheck(lambda a, b: l1_loss(a, b, reduction), [leaf(x), leaf(t)])


def test_l1_loss_gradient_is_zero_where_input_equals_target():
    x = leaf([1.0, 2.0, 3.0])
    l1_loss(x, [1.0, 0.0, 5.0], "sum").backward()
    np.testing.assert_array_equal(x.grad.data, [0.0, 1.0, -1.0])


# ---------------------------------------------------------- binary cross-entropy


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@settings(max_examples=10)
@given(shape=tst.shapes(min_dims=1, max_dims=3), data=st.data())
def test_binary_cross_entropy_values_and_gradients(reduction, weighted, shape, data):
    p = data.draw(probabilities(shape))
    t = data.draw(probabilities(shape))
    w = data.draw(probabilities(shape[-1:])) * 2 if weighted else None
    out = binary_cross_entropy(Tensor(p), t, w, reduction)
    np.testing.assert_allclose(out.data, reduce(ref_bce(p, t, w), reduction), rtol=1e-12)
    assert gradcheck(lambda a, b: binary_cross_entropy(a, b, w, reduction), [leaf(p), leaf(t)])


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
    out = binary_cross_entropy_with_logits(Tensor(z), t, w, reduction, pw)
    ref = reduce(ref_bce_logits(z, t, w, pw), reduction)
    np.testing.assert_allclose(out.data, ref, rtol=1e-10, atol=1e-12)
    assert gradcheck(lambda a, b: binary_cross_entropy_with_logits(a, b, w, reduction, pw),
                     [leaf(z), leaf(t)])


def test_binary_cross_entropy_clamps_the_log_at_minus_100():
    p = leaf([0.0, 1.0, 0.0, 1.0])
    out = binary_cross_entropy(p, [0.0, 1.0, 1.0, 0.0], reduction="none")
    np.testing.assert_array_equal(out.data, [0.0, 0.0, 100.0, 100.0])
    out.backward(np.ones(4))
    assert np.isfinite(p.grad.data).all()
    np.testing.assert_allclose(p.grad.data[2:], [-1e12, 1e12])  # PyTorch's 1e-12 floor


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bce_with_logits_is_stable_at_1000(dtype):
    z = Tensor(np.array([1000.0, -1000.0, 1000.0, -1000.0, 0.0], dtype=dtype), requires_grad=True)
    t = np.array([0.0, 1.0, 1.0, 0.0, 1.0])
    pw = np.full(5, 2.0)
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
        warnings.simplefilter("error")
        out = binary_cross_entropy_with_logits(z, t, reduction="none")
        out.backward(np.ones(5, dtype=dtype))
        weighted = binary_cross_entropy_with_logits(Tensor(z.data), t, None, "none", pw)
    assert out.dtype == dtype and z.grad.dtype == dtype
    np.testing.assert_allclose(out.data, [1000.0, 1000.0, 0.0, 0.0, np.log(2)], rtol=1e-6)
    np.testing.assert_allclose(z.grad.data, [1.0, -1.0, 0.0, 0.0, -0.5], rtol=1e-6)
    np.testing.assert_allclose(weighted.data, [1000.0, 2000.0, 0.0, 0.0, 2 * np.log(2)],
                               rtol=1e-6)


def test_bce_with_logits_keeps_precision_for_tiny_probabilities():
    # d/dz = σ(z) - t = σ(-30) ≈ 9.36e-14 for t = 0: no cancellation against 1.
    z = leaf([-30.0])
    binary_cross_entropy_with_logits(z, [0.0], reduction="sum").backward()
    np.testing.assert_allclose(z.grad.data, [sigmoid(-30.0)], rtol=1e-12)


# ----------------------------------------------------------- classification losses


@pytest.mark.parametrize("reduction", REDUCTIONS)
@settings(max_examples=15)
@given(case=classification())
def test_nll_loss_values_and_gradients(reduction, case):
    z, labels, w = case
    logp = ref_log_softmax(z, 0 if z.ndim == 1 else 1)
    out = nll_loss(Tensor(logp), labels, w, reduction)
    np.testing.assert_allclose(out.data, ref_nll(logp, labels, w, reduction), rtol=1e-12)
    if np.isfinite(out.data).all():
        assert gradcheck(lambda a: nll_loss(a, labels, w, reduction), [leaf(logp)])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("eps", [0.0, 0.25])
@settings(max_examples=15)
@given(case=classification())
def test_cross_entropy_values_and_gradients(reduction, eps, case):
    z, labels, w = case
    out = cross_entropy(Tensor(z), labels, w, reduction, label_smoothing=eps)
    ref = ref_cross_entropy(z, labels, w, reduction, eps=eps)
    np.testing.assert_allclose(out.data, ref, rtol=1e-10, atol=1e-12)
    if np.isfinite(out.data).all():
        assert gradcheck(lambda a: cross_entropy(a, Tensor(labels), w, reduction,
                                                 label_smoothing=eps), [leaf(z)])


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
    out = cross_entropy(Tensor(z), Tensor(p), w, reduction, label_smoothing=eps)
    ps = p * (1 - eps) + eps / z.shape[axis]
    shape = [1] * z.ndim
    shape[axis] = -1
    per = -(ps * ref_log_softmax(z, axis) * (1 if w is None else w.reshape(shape))).sum(axis)
    np.testing.assert_allclose(out.data, reduce(per, reduction), rtol=1e-10, atol=1e-12)
    assert gradcheck(lambda a, b: cross_entropy(a, b, w, reduction, label_smoothing=eps),
                     [leaf(z), leaf(p)])


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


@contextlib.contextmanager
def general_path_only():
    """A context in which cross_entropy always takes its general (masked) path."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(loss_module, "_all_counted", lambda *args: False)
        yield


@pytest.mark.parametrize("reduction", REDUCTIONS)
@settings(max_examples=20)
@given(case=counted_labels(), seed=st.integers(0, 2**32 - 1))
def test_cross_entropy_fast_path_matches_the_general_path(reduction, case, seed):
    z, labels, ignore_index = case
    assert loss_module._all_counted(labels, z.shape[1], ignore_index)
    g = np.random.default_rng(seed).uniform(-2, 2, labels.shape if reduction == "none" else ())
    g = g.astype(z.dtype)
    g_before = g.copy()

    def run():
        x = Tensor(z, requires_grad=True)
        out = cross_entropy(x, labels, reduction=reduction, ignore_index=ignore_index)
        out.backward(g)
        return out, x.grad.data

    out, grad = run()
    with general_path_only():
        ref_out, ref_grad = run()
    np.testing.assert_array_equal(g, g_before)  # the upstream gradient is left alone
    assert out.dtype == grad.dtype == z.dtype and out.shape == ref_out.shape
    np.testing.assert_array_equal(out.data, ref_out.data)  # the same sums in the same order
    # The gradient at the label is (p - 1) * g here, p * g - g there: equal up to rounding.
    tol = 4 * np.finfo(z.dtype).eps
    np.testing.assert_allclose(grad, ref_grad, rtol=tol, atol=tol * float(np.abs(g).max()))
    if z.dtype == np.float64:
        assert gradcheck(lambda a: cross_entropy(a, labels, reduction=reduction,
                                                 ignore_index=ignore_index), [leaf(z)])


def test_cross_entropy_takes_the_fast_path_only_when_every_label_counts(monkeypatch):
    calls = []
    general = loss_module._class_indices
    monkeypatch.setattr(loss_module, "_class_indices",
                        lambda *args: calls.append(args) or general(*args))
    z = np.array([[1.0, 2.0, 3.0], [1.0, 0.0, -1.0], [0.5, 0.5, 0.0]])
    cross_entropy(Tensor(z), np.array([0, 2, 2]))
    cross_entropy(Tensor(z), np.array([0, 2, 2]), ignore_index=1)  # no label is 1
    assert calls == []
    # Not the fast path: an ignored label (in or out of the class range), weights,
    # smoothing, a spatial or unbatched input, an empty batch.
    ref = ref_cross_entropy(z, np.array([1, 2, 1]), None, "mean", ignore_index=1)
    np.testing.assert_allclose(
        cross_entropy(Tensor(z), np.array([1, 2, 1]), ignore_index=1).data, ref, rtol=1e-12)
    cross_entropy(Tensor(z), np.array([0, -100, 2]))
    cross_entropy(Tensor(z), np.array([0, 2, 2]), weight=np.ones(3))
    cross_entropy(Tensor(z), np.array([0, 2, 2]), label_smoothing=0.1)
    cross_entropy(Tensor(z[..., None]), np.array([[0], [2], [2]]))
    cross_entropy(Tensor(z[0]), np.int64(2))
    assert np.isnan(cross_entropy(Tensor(np.zeros((0, 3))), np.zeros(0, dtype=np.int64)).item())
    assert len(calls) == 7
    # Labels out of range fail the fast path's check and raise in the general path.
    with pytest.raises(IndexError, match=r"target label 3 is out of range for 3 classes"):
        cross_entropy(Tensor(z), np.array([0, 3, 1]), ignore_index=3 + 1)


def test_cross_entropy_is_stable_at_1000():
    z = Tensor(np.array([[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 999.0]]), requires_grad=True)
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
        warnings.simplefilter("error")
        out = cross_entropy(z, np.array([1, 1]), reduction="none", label_smoothing=0.1)
        out.backward(np.ones(2))
    # Row 0: log p = (0, -2000, -1000), so 0.9 * 2000 + 0.1/3 * 3000.
    np.testing.assert_allclose(out.data[0], 1900.0, rtol=1e-12)
    expected = ref_cross_entropy(z.data, np.array([1, 1]), None, "none", eps=0.1)
    np.testing.assert_allclose(out.data, expected, rtol=1e-12)
    assert np.isfinite(z.grad.data).all()
    np.testing.assert_allclose(z.grad.data.sum(axis=1), 0, atol=1e-12)


def test_ignored_labels_and_all_ignored():
    z = leaf(np.array([[1.0, 2.0, 3.0], [1.0, 0.0, -1.0]]))
    out = cross_entropy(z, [2, -100])  # a list of labels is fine too
    np.testing.assert_allclose(out.data, -ref_log_softmax(z.data, 1)[0, 2])
    out.backward()
    np.testing.assert_array_equal(z.grad.data[1], 0)
    z.grad = None
    out = cross_entropy(z, np.array([-100, -100]))
    assert np.isnan(out.item())  # 0 / 0, as in PyTorch
    out.backward()
    np.testing.assert_array_equal(z.grad.data, 0)
    custom = nll_loss(Tensor(z.data), np.array([0, 7]), ignore_index=7, reduction="none")
    np.testing.assert_allclose(custom.data, [-1.0, 0.0])


def test_losses_keep_float32_and_targets_get_no_gradient_unless_asked():
    x = Tensor(np.array([[0.5, -1.0], [2.0, 0.0]], dtype=np.float32), requires_grad=True)
    labels = Tensor(np.array([1, 0]))
    target = Tensor(np.array([[1.0, 0.0], [0.0, 1.0]], dtype=np.float32))
    for loss in (
        cross_entropy(x, labels),
        nll_loss(x, labels),
        mse_loss(x, target),
        l1_loss(x, target.data),
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
        (lambda a: cross_entropy(a, labels, w, reduction, label_smoothing=eps),
         lambda a: F.cross_entropy(a, torch.tensor(labels), wt, reduction=reduction,
                                   label_smoothing=eps)),
        (lambda a: nll_loss(a, labels, w, reduction),
         lambda a: F.nll_loss(a, torch.tensor(labels), wt, reduction=reduction)),
    ):
        ours, theirs = leaf(z), torch.tensor(z, requires_grad=True)
        out, ref = ours_fn(ours), theirs_fn(theirs)
        np.testing.assert_allclose(out.data, ref.detach().numpy(), rtol=1e-10, atol=1e-12)
        out.backward(g)
        ref.backward(torch.tensor(g))
        np.testing.assert_allclose(ours.grad.data, theirs.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_elementwise_losses_match_torch(reduction):
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    rng = np.random.default_rng(0)
    z, t = rng.standard_normal((4, 3)) * 4, rng.uniform(0, 1, (4, 3))
    p, w, pw = rng.uniform(0.02, 0.98, (4, 3)), rng.uniform(0.5, 2, (3,)), rng.uniform(0.5, 3, 3)
    cases = [
        (lambda a, b: mse_loss(a, b, reduction),
         lambda a, b: F.mse_loss(a, b, reduction=reduction), z),
        (lambda a, b: l1_loss(a, b, reduction),
         lambda a, b: F.l1_loss(a, b, reduction=reduction), z),
        (lambda a, b: binary_cross_entropy(a, b, w, reduction),
         lambda a, b: F.binary_cross_entropy(a, b, torch.tensor(w), reduction=reduction), p),
        (lambda a, b: binary_cross_entropy_with_logits(a, b, w, reduction, pw),
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
        np.testing.assert_allclose(out.data, ref.detach().numpy(), rtol=1e-10)
        np.testing.assert_allclose(a.grad.data, ta.grad.numpy(), rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(b.grad.data, tb.grad.numpy(), rtol=1e-9, atol=1e-12)


def test_cross_entropy_with_probabilities_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    z, p, w = rng.standard_normal((3, 4, 2)), rng.dirichlet(np.ones(4), (3, 2)), rng.uniform(
        0.5, 2, 4)
    p = np.moveaxis(p, -1, 1)
    for reduction in REDUCTIONS:
        a, b = leaf(z), leaf(p)
        ta, tb = torch.tensor(z, requires_grad=True), torch.tensor(p, requires_grad=True)
        out = cross_entropy(a, b, w, reduction, label_smoothing=0.2)
        ref = torch.nn.functional.cross_entropy(ta, tb, torch.tensor(w), reduction=reduction,
                                                label_smoothing=0.2)
        g = rng.standard_normal(out.shape)
        out.backward(g)
        ref.backward(torch.tensor(g))
        np.testing.assert_allclose(out.data, ref.detach().numpy(), rtol=1e-10)
        np.testing.assert_allclose(a.grad.data, ta.grad.numpy(), rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(b.grad.data, tb.grad.numpy(), rtol=1e-9, atol=1e-12)


# ---------------------------------------------------------------------- errors

ALL_LOSSES = [mse_loss, l1_loss, binary_cross_entropy, binary_cross_entropy_with_logits,
              cross_entropy, nll_loss]


@pytest.mark.parametrize("fn", ALL_LOSSES)
def test_bad_reduction(fn):
    with pytest.raises(ValueError, match=rf"^{fn.__name__}: reduction must be 'mean', 'sum' "
                                         r"or 'none', got 'avg'"):
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
