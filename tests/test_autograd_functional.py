"""``tl.autograd.functional`` against PyTorch's, and the Hessian of the lab network."""

import numpy as np
import pytest

import tinygrad_lab as tl
from tinygrad_lab import Tensor
from tinygrad_lab.autograd import functional as AF

RNG = np.random.default_rng(0)
X = RNG.uniform(0.5, 1.5, (3,))
Y = RNG.uniform(0.5, 1.5, (2, 3))


def scalar_fn(lib):
    return lambda x, y: ((x * y).sin() + (x * x * y).exp()).sum()


def vector_fn(lib):
    return lambda x, y: (x * y.exp(), (x * x).sum() * y)


def single(lib):
    return lambda x: (x * x * x).log() * x


def t(array):
    return Tensor(np.array(array))


def test_vjp_jvp_match_finite_differences_for_a_single_input():
    f = single(tl)
    v = RNG.standard_normal(3)
    out, vj = AF.vjp(f, t(X), t(v))
    # d/dx (3 log x · x) = 3 log x + 3
    np.testing.assert_allclose(vj.numpy(), v * (np.log(X**3) + 3))
    out, jv = AF.jvp(f, t(X), t(v))
    np.testing.assert_allclose(jv.numpy(), (np.log(X**3) + 3) * v)
    np.testing.assert_allclose(out.numpy(), np.log(X**3) * X)


def test_jacobian_and_hessian_shapes_and_values():
    jac = AF.jacobian(single(tl), t(X))
    assert jac.shape == (3, 3)
    np.testing.assert_allclose(jac.numpy(), np.diag(np.log(X**3) + 3))
    hess = AF.hessian(lambda x: (x * x * x).sum(), t(X))
    np.testing.assert_allclose(hess.numpy(), np.diag(6 * X))
    blocks = AF.jacobian(vector_fn(tl), (t(X), t(Y)))
    assert isinstance(blocks, tuple) and len(blocks) == 2 and len(blocks[0]) == 2
    assert blocks[0][0].shape == (2, 3, 3) and blocks[1][1].shape == (2, 3, 2, 3)


def test_functions_touch_no_grad_of_the_inputs():
    x = t(X).requires_grad_()
    AF.hessian(lambda a: (a * a).sum(), x)
    AF.vjp(lambda a: a * a, x, t(np.ones(3)))
    assert x.grad is None


def test_strict_refuses_an_independent_input():
    with pytest.raises(RuntimeError, match="independent"):
        AF.jacobian(lambda a, b: a * 2, (t(X), t(X)), strict=True)
    jac = AF.jacobian(lambda a, b: a * 2, (t(X), t(X)))
    assert not jac[1].numpy().any()


@pytest.mark.parametrize("name", ["vjp", "jvp", "jacobian", "hessian", "hvp", "vhp"])
def test_against_torch_autograd_functional(name):
    torch = pytest.importorskip("torch")
    taf = torch.autograd.functional
    x_np, y_np = X, Y
    v_out = (RNG.standard_normal((2, 3)), RNG.standard_normal((2, 3)))
    v_in = (RNG.standard_normal(3), RNG.standard_normal((2, 3)))

    def ours(*a):
        return tuple(Tensor(np.array(v)) for v in a)

    def theirs(*a):
        return tuple(torch.tensor(v) for v in a)

    if name in ("hessian", "hvp", "vhp"):
        args_ours = (scalar_fn(tl), ours(x_np, y_np))
        args_theirs = (scalar_fn(torch), theirs(x_np, y_np))
    else:
        args_ours = (vector_fn(tl), ours(x_np, y_np))
        args_theirs = (vector_fn(torch), theirs(x_np, y_np))
    extra_ours, extra_theirs = (), ()
    if name == "vjp":
        extra_ours, extra_theirs = (ours(*v_out),), (theirs(*v_out),)
    elif name in ("jvp", "hvp", "vhp"):
        extra_ours, extra_theirs = (ours(*v_in),), (theirs(*v_in),)
    got = getattr(AF, name)(*args_ours, *extra_ours)
    want = getattr(taf, name)(*args_theirs, *extra_theirs)

    def flat(value):
        if isinstance(value, (tuple, list)):
            return [a for v in value for a in flat(v)]
        return [value.detach().numpy() if hasattr(value, "detach") else np.asarray(value)]

    for a, b in zip(flat(got), flat(want), strict=True):
        np.testing.assert_allclose(np.asarray(a), b, rtol=1e-10, atol=1e-12)


def _lab_loss(lib, F, X, y):
    def loss(w1, b1, w2, b2, w3, b3):
        h = F.linear(X, w1, b1).sigmoid()
        h = F.linear(h, w2, b2).sigmoid()
        out = F.linear(h, w3, b3).sigmoid()
        return F.mse_loss(out, y)

    return loss


def test_hessian_and_hvp_of_the_lab_network_equal_pytorchs():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    X, y = tl.data.generate_xor_easy()
    shapes = [(4, 2), (4,), (4, 4), (4,), (1, 4), (1,)]
    params = [rng.standard_normal(s) for s in shapes]
    ours = _lab_loss(tl, tl.nn.functional, Tensor(X), Tensor(y))
    theirs = _lab_loss(torch, torch.nn.functional, torch.tensor(X), torch.tensor(y))
    h_ours = AF.hessian(ours, tuple(Tensor(p) for p in params))
    h_theirs = torch.autograd.functional.hessian(theirs, tuple(torch.tensor(p) for p in params))
    for i in range(len(params)):
        for j in range(len(params)):
            np.testing.assert_allclose(h_ours[i][j].numpy(), h_theirs[i][j].numpy(),
                                       rtol=1e-9, atol=1e-12)
    v = [rng.standard_normal(s) for s in shapes]
    _, hv = AF.hvp(ours, tuple(Tensor(p) for p in params), tuple(Tensor(a) for a in v))
    _, hv_t = torch.autograd.functional.hvp(theirs, tuple(torch.tensor(p) for p in params),
                                            tuple(torch.tensor(a) for a in v))
    for a, b in zip(hv, hv_t, strict=True):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-9, atol=1e-12)
