# ruff: noqa: B007, B905  (written as the tutorials write it: `for t in range(...)`, `zip(a, b)`)
"""A two-layer network on raw tensors, updated through ``.data`` as older tutorials and
char-rnn style code do: ``p.data += -lr * p.grad``, ``p.data.add_(p.grad, alpha=-lr)``,
``p.data.copy_(...)`` and ``p.grad.data.zero_()`` (PyTorch's "Learning PyTorch with
Examples", two-layer net, in its pre-``no_grad`` spelling)."""

import numpy as np

FRAMEWORK_RANDOM: set[str] = set()

N, D_in, H, D_out = 32, 20, 16, 4


def inputs() -> dict:
    rng = np.random.default_rng(1)
    return {
        "x": rng.standard_normal((N, D_in)),
        "y": rng.standard_normal((N, D_out)),
        "w1": rng.standard_normal((D_in, H)) * 0.3,
        "w2": rng.standard_normal((H, D_out)) * 0.3,
        "b2": np.zeros(D_out),
    }


def run(torch, x, y, w1, w2, b2):
    dtype = torch.double
    x = torch.from_numpy(x)
    y = torch.from_numpy(y)
    w1 = torch.tensor(w1, dtype=dtype, requires_grad=True)
    w2 = torch.tensor(w2, dtype=dtype, requires_grad=True)
    b2 = torch.tensor(b2, dtype=dtype, requires_grad=True)
    w1_before = w1  # the same Python object must be updated, not replaced

    learning_rate = 1e-3
    losses = []
    for t in range(200):
        # Forward pass: ReLU written as clamp(min=0), as in the tutorial.
        y_pred = x.mm(w1).clamp(min=0).mm(w2) + b2
        loss = (y_pred - y).pow(2).sum()
        losses.append(loss.item())

        loss.backward()

        # Update through .data: outside the graph, in place.
        w1.data += -learning_rate * w1.grad
        w2.data.add_(w2.grad, alpha=-learning_rate)
        b2.data.copy_(b2.data - learning_rate * b2.grad)

        # Old-style zeroing of the gradients.
        w1.grad.data.zero_()
        w2.grad.data.zero_()
        b2.grad.zero_()

    assert w1 is w1_before and w1.is_leaf and w1.grad_fn is None
    assert w1.requires_grad and not w1.data.requires_grad
    assert float(w1.grad.abs().sum()) == 0.0
    assert losses[-1] < 0.2 * losses[0], (losses[0], losses[-1])

    with torch.no_grad():
        final = (x.mm(w1).clamp(min=0).mm(w2) + b2 - y).pow(2).sum().item()
    return {
        "losses": np.array(losses),
        "final_loss": final,
        "w1": w1.detach().numpy(),
        "w2": w2.detach().numpy(),
        "b2": b2.detach().numpy(),
    }
