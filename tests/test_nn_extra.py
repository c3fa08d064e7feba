"""nn additions: activation modules with ``inplace=`` (ReLU, LeakyReLU, ELU, Hardtanh,
ReLU6, SiLU) and Softplus/LogSigmoid, ``F.pad``, LayerNorm / BatchNorm1d / BatchNorm2d
with ``F.layer_norm`` / ``F.batch_norm``, and ``nn.utils.clip_grad_norm_`` /
``clip_grad_value_``.

Values, gradients, running statistics, state_dict keys and reprs against PyTorch in
float64 (where torch is installed); gradients and second derivatives against finite
differences.
"""

import math

import numpy as np
import pytest
from _higher_order import check_second_order
from conftest import leaf

import tinygrad_lab as tl
import tinygrad_lab.nn.functional as F
from tinygrad_lab import Tensor, nn
from tinygrad_lab.autograd import grad
from tinygrad_lab.testing import gradcheck, gradgradcheck

RNG = np.random.default_rng(0)


def _compare_with_torch(torch, ours_fn, torch_fn, *arrays, seed=1, rtol=1e-10):
    """Values and input gradients (for a random output gradient) of both frameworks."""
    xs = [leaf(a) for a in arrays]
    ts = [torch.tensor(np.array(a, dtype=np.float64), requires_grad=True) for a in arrays]
    out, ref = ours_fn(*xs), torch_fn(*ts)
    np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), rtol=rtol, atol=1e-12)
    v = np.random.default_rng(seed).standard_normal(tuple(ref.shape))
    ours = grad(out, xs, grad_outputs=v, allow_unused=True)
    theirs = torch.autograd.grad(ref, ts, grad_outputs=torch.tensor(v), allow_unused=True)
    for g, h in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(np.zeros(1) if g is None else g.numpy(),
                                   np.zeros(1) if h is None else h.numpy(),
                                   rtol=rtol, atol=1e-12)


# ----------------------------------------------------------------------- activations

ACTIVATIONS = {
    "ReLU()": lambda m: m.ReLU(),
    "ReLU(inplace=True)": lambda m: m.ReLU(inplace=True),
    "LeakyReLU(negative_slope=0.01)": lambda m: m.LeakyReLU(),
    "LeakyReLU(negative_slope=0.2, inplace=True)": lambda m: m.LeakyReLU(0.2, True),
    "ELU(alpha=1.0)": lambda m: m.ELU(),
    "ELU(alpha=0.5, inplace=True)": lambda m: m.ELU(0.5, True),
    "Hardtanh(min_val=-1.0, max_val=1.0)": lambda m: m.Hardtanh(),
    "Hardtanh(min_val=-2, max_val=2, inplace=True)": lambda m: m.Hardtanh(-2, 2, True),
    "ReLU6()": lambda m: m.ReLU6(),
    "ReLU6(inplace=True)": lambda m: m.ReLU6(True),
    "SiLU()": lambda m: m.SiLU(),
    "SiLU(inplace=True)": lambda m: m.SiLU(True),
    "Softplus(beta=1.0, threshold=20.0)": lambda m: m.Softplus(),
    "Softplus(beta=2, threshold=10)": lambda m: m.Softplus(2, 10),
    "LogSigmoid()": lambda m: m.LogSigmoid(),
}


@pytest.mark.parametrize("text", ACTIVATIONS)
def test_activation_reprs(text):
    assert repr(ACTIVATIONS[text](nn)) == text


def test_activation_reprs_match_torch():
    torch = pytest.importorskip("torch")
    for make in ACTIVATIONS.values():
        assert repr(make(nn)) == repr(make(torch.nn))


@pytest.mark.parametrize("text", ACTIVATIONS)
def test_activation_values_and_gradients_against_torch(text):
    torch = pytest.importorskip("torch")
    x = RNG.uniform(-8, 8, (3, 5))
    x[x == 0] = 0.5
    make = ACTIVATIONS[text]

    # In-place modules run on a non-leaf (x * 1), as they must under autograd.
    _compare_with_torch(torch, lambda t: make(nn)(t * 1), lambda t: make(torch.nn)(t * 1), x)


def test_inplace_activation_overwrites_its_input():
    x = Tensor([-1.0, 2.0, 7.0])
    for module, expected in ((nn.ReLU(inplace=True), [0.0, 2.0, 7.0]),
                             (nn.ReLU6(inplace=True), [0.0, 2.0, 6.0])):
        y = Tensor(np.array([-1.0, 2.0, 7.0]))
        out = module(y)
        assert out is y and y.tolist() == expected
    assert nn.ReLU()(x) is not x and x.tolist() == [-1.0, 2.0, 7.0]


def test_inplace_activation_on_a_leaf_that_requires_grad_raises():
    with pytest.raises(RuntimeError, match="leaf Variable"):
        nn.ReLU(inplace=True)(leaf([1.0, -1.0]))


def test_inplace_activations_keep_gradients_right():
    x = leaf([-1.5, 0.5, 2.0])
    for module in (nn.ReLU(True), nn.LeakyReLU(0.1, True), nn.ELU(1.0, True),
                   nn.Hardtanh(-1, 1, True), nn.SiLU(True)):
        assert gradcheck(lambda t, m=module: m(t * 1.0), (x,))


def test_new_activation_modules_second_order():
    x = RNG.uniform(-3, 3, 5)
    check_second_order(nn.Softplus(2.0), x)
    check_second_order(nn.LogSigmoid(), x)
    check_second_order(nn.SiLU(), x)


def test_hardtanh_checks_its_range():
    with pytest.raises(ValueError, match="min_val 2 must not exceed max_val 1"):
        nn.Hardtanh(2, 1)


# ----------------------------------------------------------------------------- pad


def test_pad_constant_follows_pytorch_order():
    x = Tensor(np.arange(6.0).reshape(1, 2, 3))
    out = F.pad(x, (1, 2))
    assert out.shape == (1, 2, 6)
    assert out.tolist()[0][0] == [0.0, 0.0, 1.0, 2.0, 0.0, 0.0]
    assert F.pad(x, (0, 0, 1, 0), value=7.0).tolist()[0][0] == [7.0, 7.0, 7.0]
    assert F.pad(x, (1, -1, 0, 1)).shape == (1, 3, 3)  # negative sizes crop
    assert F.pad(x, (-1, -1, 0, 0, 1, 0)).shape == (2, 2, 1)
    assert F.pad(Tensor([1, 2]), (1, 1), value=2.5).tolist() == [2, 1, 2, 2]  # cast
    for nothing_added in ((0, 0), (-1, 0)):  # a new tensor, as in PyTorch, not a view
        out = F.pad(x, nothing_added)
        out += 1.0
        assert x.numpy()[0, 0, 0] == 0.0


PAD_CASES = [
    ((2, 3, 4), (1, 2), "constant"),
    ((2, 3, 4), (1, -2, 2, 0, 1, 1), "constant"),
    ((2, 3, 4), (2, 3), "reflect"),
    ((2, 3, 4), (-1, 2), "reflect"),
    ((2, 3, 4), (1, 2, 2, 1), "reflect"),
    ((2, 3, 4), (2, 5), "replicate"),
    ((2, 3, 4), (-1, 2, 1, 0), "replicate"),
    ((2, 3, 4), (3, 4), "circular"),
    ((2, 3, 4), (-1, 2), "circular"),
    ((1, 2, 3, 4), (1, 1, 2, 3), "circular"),
    ((1, 2, 3, 3, 4), (1, 1, 2, 1, 0, 2), "replicate"),
]


@pytest.mark.parametrize(("shape", "pad", "mode"), PAD_CASES)
def test_pad_against_torch(shape, pad, mode):
    torch = pytest.importorskip("torch")
    x = RNG.standard_normal(shape)
    _compare_with_torch(torch, lambda t: F.pad(t, pad, mode),
                        lambda t: torch.nn.functional.pad(t, pad, mode), x)


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
def test_pad_second_order(mode):
    x = RNG.standard_normal((1, 2, 3))
    check_second_order(lambda t: F.pad(t, (2, 1), mode), x, linear=True)


def test_pad_errors():
    x = Tensor(np.ones((1, 2, 3)))
    with pytest.raises(RuntimeError, match="divisible by 2"):
        F.pad(x, (1,))
    with pytest.raises(RuntimeError, match="padding length 8 and input of dimension 3"):
        F.pad(x, (1,) * 8)
    with pytest.raises(NotImplementedError, match="unrecognised padding mode 'bogus'"):
        F.pad(x, (1, 1), "bogus")
    with pytest.raises(RuntimeError, match="must be less than the size 3"):
        F.pad(x, (3, 0), "reflect")
    with pytest.raises(RuntimeError, match="more than once"):
        F.pad(x, (4, 0), "circular")
    with pytest.raises(NotImplementedError, match="padding size 2 is not supported for 1D"):
        F.pad(Tensor([1.0, 2.0]), (1, 1), "replicate")
    with pytest.raises(RuntimeError, match="doesn't take in value"):
        F.pad(x, (1, 1), "reflect", value=1.0)
    with pytest.raises(RuntimeError, match="negative size"):
        F.pad(x, (-2, -2))
    with pytest.raises(TypeError, match="sequence of ints"):
        F.pad(x, (1.5, 1))


# ------------------------------------------------------------------------ LayerNorm


def test_layer_norm_values_and_gradients_against_torch():
    torch = pytest.importorskip("torch")
    x = RNG.standard_normal((2, 3, 4))
    w, b = RNG.standard_normal((3, 4)), RNG.standard_normal((3, 4))
    _compare_with_torch(torch, lambda t, w, b: F.layer_norm(t, (3, 4), w, b),
                        lambda t, w, b: torch.nn.functional.layer_norm(t, (3, 4), w, b),
                        x, w, b, rtol=1e-9)
    _compare_with_torch(torch, lambda t: F.layer_norm(t, 4, eps=1e-3),
                        lambda t: torch.nn.functional.layer_norm(t, (4,), eps=1e-3), x,
                        rtol=1e-9)


def test_layer_norm_second_order():
    x = RNG.standard_normal((2, 3))
    w, b = RNG.standard_normal(3), RNG.standard_normal(3)
    assert gradgradcheck(lambda t, w, b: F.layer_norm(t, (3,), w, b),
                         [leaf(x), leaf(w), leaf(b)])


def test_layer_norm_module_state_and_repr():
    layer = nn.LayerNorm(4)
    assert repr(layer) == "LayerNorm((4,), eps=1e-05, elementwise_affine=True, bias=True)"
    assert list(layer.state_dict()) == ["weight", "bias"]
    assert layer.weight.tolist() == [1.0] * 4 and layer.bias.tolist() == [0.0] * 4
    plain = nn.LayerNorm((3, 4), eps=1e-3, elementwise_affine=False)
    assert repr(plain) == (
        "LayerNorm((3, 4), eps=0.001, elementwise_affine=False, bias=False)"
    )
    assert list(plain.state_dict()) == [] and list(plain.parameters()) == []
    assert list(nn.LayerNorm(3, bias=False).state_dict()) == ["weight"]
    out = layer(Tensor(RNG.standard_normal((5, 4))))
    np.testing.assert_allclose(out.numpy().mean(-1), 0, atol=1e-6)


def test_layer_norm_module_against_torch():
    torch = pytest.importorskip("torch")
    ours, theirs = nn.LayerNorm((3,), dtype=np.float64), torch.nn.LayerNorm(3).double()
    assert repr(ours) == repr(theirs)
    w = RNG.standard_normal(3)
    ours.weight.numpy()[...] = w
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor(w))
    x = RNG.standard_normal((4, 3))
    np.testing.assert_allclose(ours(Tensor(x)).numpy(),
                               theirs(torch.tensor(x)).detach().numpy(), rtol=1e-10)


def test_layer_norm_errors():
    with pytest.raises(RuntimeError, match=r"normalized_shape=\[4\].*\[\*, 4\].*\[2, 3\]"):
        F.layer_norm(Tensor(np.ones((2, 3))), (4,))
    with pytest.raises(RuntimeError, match="weight to be of same shape"):
        F.layer_norm(Tensor(np.ones((2, 3))), (3,), weight=Tensor(np.ones(4)))
    with pytest.raises(RuntimeError, match="floating point"):
        F.layer_norm(Tensor([[1, 2]]), (2,))


# ------------------------------------------------------------------------ BatchNorm


def _torch_batchnorm(torch, ours, theirs):
    """Give ``theirs`` (torch) the parameters of ``ours``."""
    with torch.no_grad():
        for name, value in ours.state_dict().items():
            getattr(theirs, name).copy_(torch.tensor(value))


@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 5)])
@pytest.mark.parametrize("momentum", [0.1, None])
def test_batchnorm1d_training_and_eval_against_torch(shape, momentum):
    torch = pytest.importorskip("torch")
    ours = nn.BatchNorm1d(3, momentum=momentum, dtype=np.float64)
    theirs = torch.nn.BatchNorm1d(3, momentum=momentum).double()
    ours.weight.numpy()[...] = RNG.standard_normal(3)
    ours.bias.numpy()[...] = RNG.standard_normal(3)
    _torch_batchnorm(torch, ours, theirs)
    for step in range(3):
        x = RNG.standard_normal(shape) * (step + 1) + step
        v = RNG.standard_normal(shape)
        t, u = leaf(x), torch.tensor(x, requires_grad=True)
        out, ref = ours(t), theirs(u)
        np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), rtol=1e-10, atol=1e-12)
        out.backward(v)
        ref.backward(torch.tensor(v))
        np.testing.assert_allclose(t.grad.numpy(), u.grad.numpy(), rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(),
                                   rtol=1e-9)
        np.testing.assert_allclose(ours.bias.grad.numpy(), theirs.bias.grad.numpy(), rtol=1e-9)
    for key, value in theirs.state_dict().items():
        np.testing.assert_allclose(ours.state_dict()[key], value.numpy(), rtol=1e-12)
    assert int(ours.num_batches_tracked.item()) == 3
    ours.eval()
    theirs.eval()
    x = RNG.standard_normal(shape)
    np.testing.assert_allclose(ours(Tensor(x)).numpy(),
                               theirs(torch.tensor(x)).detach().numpy(), rtol=1e-10)


def test_batchnorm_without_running_stats_or_affine_against_torch():
    torch = pytest.importorskip("torch")
    ours = nn.BatchNorm1d(2, affine=False, track_running_stats=False, dtype=np.float64)
    theirs = torch.nn.BatchNorm1d(2, affine=False, track_running_stats=False).double()
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict()) == []
    x = RNG.standard_normal((5, 2))
    for mode in (True, False):  # eval mode, too, uses the batch statistics
        ours.train(mode)
        theirs.train(mode)
        np.testing.assert_allclose(ours(Tensor(x)).numpy(),
                                   theirs(torch.tensor(x)).numpy(), rtol=1e-10)


def test_batchnorm2d_against_torch():
    torch = pytest.importorskip("torch")
    ours, theirs = nn.BatchNorm2d(3, dtype=np.float64), torch.nn.BatchNorm2d(3).double()
    assert repr(ours) == repr(theirs)
    x = RNG.standard_normal((2, 3, 4, 5))
    _compare_with_torch(torch, ours, theirs, x, rtol=1e-9)
    np.testing.assert_allclose(ours.running_var.numpy(), theirs.running_var.numpy(),
                               rtol=1e-12)


def test_batchnorm_state_dict_and_repr():
    layer = nn.BatchNorm1d(4)
    assert repr(layer) == (
        "BatchNorm1d(4, eps=1e-05, momentum=0.1, affine=True, bias=True, "
        "track_running_stats=True)"
    )
    state = layer.state_dict()
    assert list(state) == ["weight", "bias", "running_mean", "running_var",
                           "num_batches_tracked"]
    assert state["num_batches_tracked"].dtype == np.int64 and state["num_batches_tracked"] == 0
    assert state["running_var"].tolist() == [1.0] * 4
    assert [name for name, _ in layer.named_parameters()] == ["weight", "bias"]
    layer.load_state_dict({**state, "running_mean": np.full(4, 2.0)})
    assert layer.running_mean.tolist() == [2.0] * 4
    assert list(nn.BatchNorm1d(2, affine=False).state_dict()) == [
        "running_mean", "running_var", "num_batches_tracked"]


def test_batchnorm_state_dict_loads_into_torch():
    torch = pytest.importorskip("torch")
    layer = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    layer(Tensor(RNG.standard_normal((8, 3)).astype(np.float32)))
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4))
    model.load_state_dict({k: torch.tensor(v) for k, v in layer.state_dict().items()})
    assert int(model[1].num_batches_tracked) == 1


def test_batchnorm_updates_running_stats_outside_autograd():
    layer = nn.BatchNorm1d(2, dtype=np.float64)
    version = layer.running_mean._version
    x = leaf(np.arange(8.0).reshape(4, 2))
    out = layer(x)
    assert layer.running_mean._version > version
    assert not layer.running_mean.requires_grad and layer.running_mean.grad_fn is None
    np.testing.assert_allclose(layer.running_mean.numpy(), [0.3, 0.4])
    np.testing.assert_allclose(layer.running_var.numpy(), 0.9 + 0.1 * np.var(
        np.arange(0.0, 8.0, 2.0), ddof=1))
    out.sum().backward()  # the update did not disturb the graph
    layer.eval()
    with tl.no_grad():
        before = layer.running_mean.tolist()
        layer(x)
    assert layer.running_mean.tolist() == before  # eval mode leaves them alone


def test_batch_norm_second_order():
    x = RNG.standard_normal((4, 2))
    w, b = RNG.standard_normal(2), RNG.standard_normal(2)
    assert gradgradcheck(lambda t, w, b: F.batch_norm(t, None, None, w, b, training=True),
                         [leaf(x), leaf(w), leaf(b)])
    mean, var = Tensor(np.zeros(2)), Tensor(np.ones(2))
    check_second_order(lambda t: F.batch_norm(t, mean, var, training=False) ** 3, x)


def test_batchnorm_errors():
    with pytest.raises(ValueError, match=r"expected 2D or 3D input \(got 4D input\)"):
        nn.BatchNorm1d(2)(Tensor(np.ones((1, 2, 3, 4), np.float32)))
    with pytest.raises(ValueError, match="expected 4D input"):
        nn.BatchNorm2d(2)(Tensor(np.ones((2, 2), np.float32)))
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        nn.BatchNorm1d(3)(Tensor(np.ones((1, 3), np.float32)))
    with pytest.raises(RuntimeError, match="running_mean should contain 3 elements not 4"):
        F.batch_norm(Tensor(np.ones((2, 3))), Tensor(np.zeros(4)), Tensor(np.ones(4)))
    with pytest.raises(RuntimeError, match="must be defined in evaluation mode"):
        F.batch_norm(Tensor(np.ones((2, 3))), None, None)
    with pytest.raises(ValueError, match="num_features"):
        nn.BatchNorm1d(0)
    with pytest.raises(RuntimeError, match="CPU only"):
        nn.BatchNorm1d(2, device="cuda")
    with pytest.raises(RuntimeError, match="CPU only"):
        nn.LayerNorm(2, device="cuda")


# ----------------------------------------------------------------- gradient clipping


def _with_grads(grads):
    params = []
    for g in grads:
        p = leaf(np.ones_like(g))
        p.grad = Tensor(np.array(g, dtype=np.float64))
        params.append(p)
    return params


@pytest.mark.parametrize("norm_type", [2.0, 1.0, math.inf, 3.0, "inf"])
@pytest.mark.parametrize("max_norm", [1.0, 100.0])
def test_clip_grad_norm_against_torch(norm_type, max_norm):
    torch = pytest.importorskip("torch")
    grads = [RNG.standard_normal((3, 2)), RNG.standard_normal(4), np.zeros(2)]
    ours = _with_grads(grads)
    theirs = []
    for g in grads:
        p = torch.ones(g.shape, dtype=torch.float64, requires_grad=True)
        p.grad = torch.tensor(g)
        theirs.append(p)
    total = nn.utils.clip_grad_norm_(iter(ours), max_norm, norm_type)
    expected = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type)
    assert total.shape == () and total.dtype == np.float64
    np.testing.assert_allclose(total.item(), expected.item(), rtol=1e-12)
    for p, q in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-12)


def test_clip_grad_norm_scales_in_place_with_a_version_bump():
    (p,) = _with_grads([[3.0, 4.0]])
    g = p.grad
    array, version = g.numpy(), g._version
    total = tl.nn.utils.clip_grad_norm_(p, 1.0)
    assert total.item() == pytest.approx(5.0)
    assert p.grad is g and g.numpy() is array and g._version > version
    np.testing.assert_allclose(g.numpy(), [3 / (5 + 1e-6), 4 / (5 + 1e-6)])
    assert tl.nn.utils.clip_grad_norm_(p, 10.0).item() == pytest.approx(1.0)


def test_clip_grad_norm_without_grads_and_nonfinite():
    total = nn.utils.clip_grad_norm_([leaf([1.0])], 1.0)
    assert total.item() == 0.0 and total.shape == ()
    (p,) = _with_grads([[3.0, math.nan]])
    with pytest.raises(RuntimeError, match="non-finite, so it cannot be clipped"):
        nn.utils.clip_grad_norm_([p], 1.0, error_if_nonfinite=True)
    assert p.grad.numpy()[0] == 3.0  # nothing changed
    assert math.isnan(nn.utils.clip_grad_norm_([p], 1.0).item())


def test_clip_grad_norm_keeps_float32_gradients_float32():
    p = Tensor(np.ones(3, np.float32), requires_grad=True)
    p.grad = Tensor(np.array([3.0, 4.0, 0.0], np.float32))
    total = nn.utils.clip_grad_norm_([p], 1.0)
    assert total.dtype == np.float32 and p.grad.dtype == np.float32


def test_clip_grad_value():
    p, q = _with_grads([[3.0, -4.0, 0.5], [10.0]])
    version = p.grad._version
    assert nn.utils.clip_grad_value_([p, q, leaf([1.0])], 3.5) is None
    assert p.grad.tolist() == [3.0, -3.5, 0.5] and q.grad.tolist() == [3.5]
    assert p.grad._version > version


def test_clip_grad_value_against_torch():
    torch = pytest.importorskip("torch")
    g = RNG.standard_normal(6)
    (p,) = _with_grads([g])
    q = torch.ones(6, dtype=torch.float64, requires_grad=True)
    q.grad = torch.tensor(g)
    nn.utils.clip_grad_value_(p, 0.5)
    torch.nn.utils.clip_grad_value_(q, 0.5)
    np.testing.assert_array_equal(p.grad.numpy(), q.grad.numpy())


def test_clipping_in_a_training_step():
    model = nn.Linear(3, 1, dtype=np.float64)
    loss = (model(Tensor(RNG.standard_normal((4, 3)) * 100)) ** 2).mean()
    loss.backward()
    before = nn.utils.clip_grad_norm_(model.parameters(), 0.5)
    assert before.item() > 0.5
    after = nn.utils.clip_grad_norm_(model.parameters(), math.inf)
    assert after.item() == pytest.approx(0.5, rel=1e-5)


# ------------------------------------------------------------------------ tl.compile


def test_compiled_training_step_with_the_new_ops_matches_eager():
    """A step using every new differentiable op, LayerNorm, BatchNorm (running stats)
    and gradient clipping: replays of tl.compile give eager's numbers."""
    from tinygrad_lab.ops import extra

    x = Tensor(RNG.standard_normal((8, 4)))
    y = Tensor(RNG.standard_normal((8, 3)))

    def make_step():
        tl.manual_seed(0)
        model = nn.Sequential(nn.Linear(4, 6, dtype=np.float64),
                              nn.BatchNorm1d(6, dtype=np.float64), nn.ReLU(inplace=True),
                              nn.LayerNorm(6, dtype=np.float64), nn.Linear(6, 3, dtype=np.float64))
        opt = tl.optim.SGD(model.parameters(), lr=0.05)

        def step(x, y):
            opt.zero_grad()
            out = model(x)
            loss = ((out - y) ** 2).mean() + 0.01 * (
                extra.trace(out.T @ out) + out.norm() + extra.diagonal(out[:3]).sum()
                + extra.diag(out[0]).sum() * out[1].sum() + (out % 0.5).sum()
                + extra.fmod(out, 0.3).sum() + (out // 0.3).sum()
                + extra.sort(out, 1).values[:, 0].sum() + extra.topk(out, 2).values.sum()
                + (F.pad(out, (1, 2), value=1.0) ** 2).sum()
                + (F.pad(out[None], (1, 2), "reflect") ** 2).sum()
            )
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 0.5)
            opt.step()
            return loss

        return model, step

    (eager_model, eager), (compiled_model, traced) = make_step(), make_step()
    compiled = tl.compile(traced)
    for _ in range(5):
        np.testing.assert_allclose(compiled(x, y).item(), eager(x, y).item(), rtol=1e-12)
    assert compiled.stats == {"eager": 1, "traced": 1, "replayed": 3}
    for key, value in eager_model.state_dict().items():
        np.testing.assert_allclose(compiled_model.state_dict()[key], value, rtol=1e-12)
