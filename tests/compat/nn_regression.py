# ruff: noqa: B007, B905  (written as the tutorials write it: `for t in range(...)`, `zip(a, b)`)
"""Regression with ``torch.nn`` and ``torch.optim`` (PyTorch's "Learning PyTorch with
Examples": "PyTorch: nn", "PyTorch: optim", "PyTorch: Custom nn Modules"), plus a
multi-output ``nn.Linear`` trained with ``MSELoss`` and ``optim.SGD``."""

import math

import numpy as np

FRAMEWORK_RANDOM: set[str] = set()


def inputs() -> dict:
    rng = np.random.default_rng(2)
    return {
        "seq_w": rng.uniform(-0.5, 0.5, (1, 3)),
        "seq_b": rng.uniform(-0.5, 0.5, (1,)),
        "poly0": rng.standard_normal(4),
        "features": rng.standard_normal((64, 5)),
        "true_w": rng.standard_normal((2, 5)),
        "lin_w": rng.uniform(-0.4, 0.4, (2, 5)),
        "lin_b": rng.uniform(-0.4, 0.4, (2,)),
    }


def run(torch, seq_w, seq_b, poly0, features, true_w, lin_w, lin_b):
    nn = torch.nn
    optim = torch.optim

    x = torch.linspace(-math.pi, math.pi, 200, dtype=torch.float64)
    y = torch.sin(x)

    # The tensor (x, x^2, x^3): x.unsqueeze(-1) has shape (200, 1), p has shape (3,), and
    # broadcasting gives shape (200, 3).
    p = torch.tensor([1, 2, 3])
    xx = x.unsqueeze(-1).pow(p)
    assert xx.shape == (200, 3) and xx.dtype == torch.float64

    # --- "PyTorch: nn": Sequential, MSELoss(reduction='sum'), update by hand.
    model = torch.nn.Sequential(torch.nn.Linear(3, 1), torch.nn.Flatten(0, 1))
    model = model.double()
    with torch.no_grad():
        model[0].weight.copy_(torch.tensor(seq_w))
        model[0].bias.copy_(torch.tensor(seq_b))
    loss_fn = torch.nn.MSELoss(reduction="sum")

    learning_rate = 1e-5
    seq_losses = []
    for t in range(300):
        y_pred = model(xx)
        loss = loss_fn(y_pred, y)
        seq_losses.append(loss.item())
        model.zero_grad()
        loss.backward()
        with torch.no_grad():
            for param in model.parameters():
                param -= learning_rate * param.grad
    assert seq_losses[-1] < 0.2 * seq_losses[0], (seq_losses[0], seq_losses[-1])
    linear_layer = model[0]
    seq_coeffs = [linear_layer.bias.item()] + [linear_layer.weight[:, i].item()
                                               for i in range(3)]

    # --- "PyTorch: Custom nn Modules": Parameters in a Module, optim.SGD.
    class Polynomial3(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.a = torch.nn.Parameter(torch.tensor(poly0[0]))
            self.b = torch.nn.Parameter(torch.tensor(poly0[1]))
            self.c = torch.nn.Parameter(torch.tensor(poly0[2]))
            self.d = torch.nn.Parameter(torch.tensor(poly0[3]))

        def forward(self, x):
            return self.a + self.b * x + self.c * x ** 2 + self.d * x ** 3

        def string(self):
            return (f"y = {self.a.item()} + {self.b.item()} x + {self.c.item()} x^2 + "
                    f"{self.d.item()} x^3")

    poly = Polynomial3()
    assert len(list(poly.parameters())) == 4
    criterion = torch.nn.MSELoss(reduction="sum")
    optimizer = torch.optim.SGD(poly.parameters(), lr=1e-5)
    poly_losses = []
    for t in range(300):
        y_pred = poly(x)
        loss = criterion(y_pred, y)
        poly_losses.append(loss.item())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert poly_losses[-1] < 0.05 * poly_losses[0], (poly_losses[0], poly_losses[-1])
    assert poly.string().startswith("y = ")

    # --- A multi-output linear regression: MSELoss(), SGD with momentum, train/eval.
    X = torch.tensor(features)
    Y = X @ torch.tensor(true_w).T + 0.5
    lin = nn.Linear(5, 2).to(torch.float64)
    lin.weight = nn.Parameter(torch.tensor(lin_w))
    lin.bias = nn.Parameter(torch.tensor(lin_b))
    opt = optim.SGD(lin.parameters(), lr=0.05, momentum=0.9)
    criterion = nn.MSELoss()
    lin.train()
    lin_losses = []
    for epoch in range(100):
        opt.zero_grad()
        loss = criterion(lin(X), Y)
        loss.backward()
        opt.step()
        lin_losses.append(loss.item())
    lin.eval()
    with torch.no_grad():
        predictions = lin(X)
    assert lin_losses[-1] < 1e-3 * lin_losses[0], (lin_losses[0], lin_losses[-1])
    assert predictions.requires_grad is False

    return {
        "seq_losses": np.array(seq_losses),
        "seq_coeffs": np.array(seq_coeffs),
        "poly_losses": np.array(poly_losses),
        "poly_params": np.array([p.item() for p in poly.parameters()]),
        "lin_losses": np.array(lin_losses),
        "lin_weight": lin.weight.detach().numpy(),
        "lin_bias": lin.bias.detach().numpy(),
        "predictions": predictions.numpy(),
    }
