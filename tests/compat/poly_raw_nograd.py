# ruff: noqa: B007, B905  (written as the tutorials write it: `for t in range(...)`, `zip(a, b)`)
"""Fit y = sin(x) with a third-order polynomial: raw tensors, autograd, and manual
updates under ``torch.no_grad()`` (PyTorch's "Learning PyTorch with Examples":
"PyTorch: Tensors and autograd")."""

import math

import numpy as np

FRAMEWORK_RANDOM: set[str] = set()


def inputs() -> dict:
    rng = np.random.default_rng(0)
    return {"coeffs0": rng.standard_normal(4)}


def run(torch, coeffs0):
    dtype = torch.float64
    device = torch.device("cpu")

    # Input and output: 200 points of sin(x) on [-pi, pi].
    x = torch.linspace(-math.pi, math.pi, 200, device=device, dtype=dtype)
    y = torch.sin(x)

    # Random (here: given) weights; requires_grad=True asks autograd for their gradients.
    a = torch.tensor(coeffs0[0], device=device, dtype=dtype, requires_grad=True)
    b = torch.tensor(coeffs0[1], device=device, dtype=dtype, requires_grad=True)
    c = torch.tensor(coeffs0[2], device=device, dtype=dtype, requires_grad=True)
    d = torch.tensor(coeffs0[3], device=device, dtype=dtype, requires_grad=True)

    learning_rate = 1e-5
    losses = []
    for t in range(300):
        y_pred = a + b * x + c * x ** 2 + d * x ** 3
        loss = (y_pred - y).pow(2).sum()
        losses.append(loss.item())

        loss.backward()

        # Update the weights by hand. Wrapped in no_grad because the weights have
        # requires_grad=True and the update must not be tracked by autograd.
        with torch.no_grad():
            a -= learning_rate * a.grad
            b -= learning_rate * b.grad
            c -= learning_rate * c.grad
            d -= learning_rate * d.grad

            # Zero the gradients after updating: both spellings seen in tutorials.
            a.grad = None
            b.grad = None
            c.grad.zero_()
            d.grad.zero_()

    # The in-place updates must have changed the very tensors we created.
    assert a.is_leaf and a.requires_grad and a.grad_fn is None
    assert c.grad is not None and float(c.grad) == 0.0
    assert losses[-1] < 0.05 * losses[0], (losses[0], losses[-1])
    print(f"Result: y = {a.item()} + {b.item()} x + {c.item()} x^2 + {d.item()} x^3")

    return {
        "losses": np.array(losses),
        "coeffs": np.array([a.item(), b.item(), c.item(), d.item()]),
        "prediction": (a + b * x + c * x ** 2 + d * x ** 3).detach().numpy(),
    }
