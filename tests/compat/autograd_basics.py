# ruff: noqa: B007, B905  (written as the tutorials write it: `for t in range(...)`, `zip(a, b)`)
"""Autograd basics (PyTorch's "Automatic Differentiation with torch.autograd" and
"A Gentle Introduction to torch.autograd"): ``grad_fn``, ``requires_grad_``, ``detach``,
``retain_grad``, ``torch.autograd.grad``, vector-Jacobian products and gradient
accumulation; then gradient descent on the tutorial's one-layer network."""

import numpy as np

FRAMEWORK_RANDOM: set[str] = set()


def inputs() -> dict:
    rng = np.random.default_rng(3)
    return {"w0": rng.standard_normal((5, 3)), "b0": rng.standard_normal(3),
            "a0": rng.standard_normal(2), "b_vec": rng.standard_normal(2)}


def run(torch, w0, b0, a0, b_vec):
    F = torch.nn.functional

    # --- The tutorial's one-layer network.
    x = torch.ones(5, dtype=torch.float64)  # input tensor
    y = torch.zeros(3, dtype=torch.float64)  # expected output
    w = torch.tensor(w0, requires_grad=True)
    b = torch.tensor(b0, requires_grad=True)
    z = torch.matmul(x, w) + b
    loss = F.binary_cross_entropy_with_logits(z, y)

    assert w.grad_fn is None and w.is_leaf and not z.is_leaf
    assert z.grad_fn is not None and loss.grad_fn is not None
    print(f"Gradient function for z = {z.grad_fn}")
    print(f"Gradient function for loss = {loss.grad_fn}")
    loss.backward()
    w_grad, b_grad = w.grad.clone(), b.grad.clone()
    assert w_grad.shape == (5, 3) and b_grad.shape == (3,)

    # Disabling gradient tracking.
    z = torch.matmul(x, w) + b
    assert z.requires_grad
    with torch.no_grad():
        z = torch.matmul(x, w) + b
    assert not z.requires_grad and z.grad_fn is None
    z = torch.matmul(x, w) + b
    z_det = z.detach()
    assert not z_det.requires_grad and z_det.grad_fn is None

    # --- Vector-Jacobian products and accumulation.
    inp = torch.eye(4, 5, dtype=torch.float64, requires_grad=True)
    out = (inp + 1).pow(2).t()
    out.backward(torch.ones_like(out), retain_graph=True)
    first = inp.grad.clone()
    out.backward(torch.ones_like(out))
    second = inp.grad.clone()  # gradients accumulate
    inp.grad.zero_()
    out = (inp + 1).pow(2).t()
    out.backward(torch.ones_like(out))
    third = inp.grad.clone()
    assert bool(torch.all(second == 2 * first)) and bool(torch.equal(first, third))

    # --- The "Gentle Introduction": Q = 3a^3 - b^2, external gradient.
    a = torch.tensor(a0, requires_grad=True)
    bb = torch.tensor(b_vec, requires_grad=True)
    Q = 3 * a ** 3 - bb ** 2
    external_grad = torch.tensor([1.0, 1.0], dtype=torch.float64)
    Q.backward(gradient=external_grad)
    assert bool((9 * a ** 2 == a.grad).all()) and bool((-2 * bb == bb.grad).all())

    # --- requires_grad_, retain_grad, torch.autograd.grad.
    u = torch.tensor(a0).requires_grad_()
    assert u.requires_grad and u.is_leaf
    h = u * 2
    h.retain_grad()
    s = (h ** 2).sum()
    s.backward()
    assert h.grad is not None and bool(torch.allclose(h.grad, 2 * h))
    (du,) = torch.autograd.grad((u ** 3).sum(), u)
    assert du.shape == u.shape and not du.requires_grad
    dw, db = torch.autograd.grad(F.binary_cross_entropy_with_logits(x @ w + b, y), (w, b))
    assert bool(torch.allclose(dw, w_grad)) and bool(torch.allclose(db, b_grad))

    # A non-leaf without retain_grad keeps no .grad (PyTorch warns and gives None).
    hidden = u * 3
    (hidden.sum()).backward()
    assert hidden.grad_fn is not None

    # --- Learn: plain gradient descent on the same loss.
    losses = []
    for step in range(100):
        loss = F.binary_cross_entropy_with_logits(torch.matmul(x, w) + b, y)
        losses.append(loss.item())
        w.grad = None
        b.grad = None
        loss.backward()
        with torch.no_grad():
            w.sub_(0.5 * w.grad)
            b.sub_(0.5 * b.grad)
    assert losses[-1] < 0.1 * losses[0], (losses[0], losses[-1])

    return {
        "w_grad": w_grad.numpy(), "b_grad": b_grad.numpy(),
        "first": first.numpy(), "second": second.numpy(),
        "a_grad": a.grad.numpy(), "h_grad": h.grad.numpy(), "du": du.numpy(),
        "u_grad": u.grad.numpy(),
        "losses": np.array(losses), "w": w.detach().numpy(), "b": b.detach().numpy(),
    }
