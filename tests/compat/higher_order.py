# ruff: noqa: B007, B905  (written as the tutorials write it: `for t in range(...)`, `zip(a, b)`)
"""Second derivatives: ``torch.autograd.grad(..., create_graph=True)`` for a
second derivative and a Hessian built row by row, ``backward(create_graph=True)``,
``torch.autograd.functional.hessian``, and a WGAN-GP style gradient penalty that a
critic is trained on with ``optim.Adam``."""

import numpy as np

FRAMEWORK_RANDOM: set[str] = set()


def inputs() -> dict:
    rng = np.random.default_rng(11)
    return {
        "x0": rng.standard_normal(4),
        "y0": rng.standard_normal(4),
        "real": rng.standard_normal((16, 2)) + 2.0,
        "fake": rng.standard_normal((16, 2)),
        "alpha": rng.uniform(0, 1, (16, 1)),
        "critic_state": {
            "0.weight": rng.uniform(-0.7, 0.7, (8, 2)),
            "0.bias": rng.uniform(-0.7, 0.7, (8,)),
            "2.weight": rng.uniform(-0.35, 0.35, (1, 8)),
            "2.bias": rng.uniform(-0.35, 0.35, (1,)),
        },
    }


def run(torch, x0, y0, real, fake, alpha, critic_state):
    nn = torch.nn
    optim = torch.optim
    results = {}

    # --- d^2/dx^2 tanh(x) = -2 tanh(x) (1 - tanh(x)^2), elementwise.
    x = torch.tensor(x0, requires_grad=True)
    y = torch.tanh(x)
    (dy,) = torch.autograd.grad(y.sum(), x, create_graph=True)
    assert dy.requires_grad and dy.grad_fn is not None
    (d2y,) = torch.autograd.grad(dy.sum(), x)
    t = torch.tanh(x.detach())
    assert torch.allclose(dy.detach(), 1 - t ** 2)
    assert torch.allclose(d2y, -2 * t * (1 - t ** 2))
    results["d2_tanh"] = d2y.numpy()

    # --- The Hessian of f(x) = sum(x^3 * y) + (x . y)^2, one row per gradient entry.
    y = torch.tensor(y0)

    def f(x):
        return (x ** 3 * y).sum() + (x @ y) ** 2

    x = torch.tensor(x0, requires_grad=True)
    (g,) = torch.autograd.grad(f(x), x, create_graph=True)
    rows = []
    for i in range(x.numel()):
        (row,) = torch.autograd.grad(g[i], x, retain_graph=True)
        rows.append(row)
    H = torch.stack(rows)
    expected = torch.diag(6 * x.detach() * y) + 2 * torch.outer(y, y)
    assert torch.allclose(H, expected)
    H_functional = torch.autograd.functional.hessian(f, torch.tensor(x0))
    assert torch.allclose(H_functional, H)
    results["hessian"] = H.numpy()

    # --- backward(create_graph=True): x.grad keeps a graph; differentiate it again.
    x = torch.tensor(x0, requires_grad=True)
    (x ** 3).sum().backward(create_graph=True)
    first = x.grad
    assert first.requires_grad
    (second,) = torch.autograd.grad(first.sum(), x)
    assert torch.allclose(second, 6 * x.detach())
    x.grad = None  # break the reference cycle, as PyTorch recommends
    results["third_power_second"] = second.numpy()

    # --- WGAN-GP: a critic whose input gradients should have norm 1.
    critic = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 1)).double()
    critic.load_state_dict({k: torch.tensor(v) for k, v in critic_state.items()})
    optimizer = optim.Adam(critic.parameters(), lr=0.01, betas=(0.5, 0.9))
    real_data = torch.tensor(real)
    fake_data = torch.tensor(fake)
    alpha = torch.tensor(alpha).expand(real_data.size())

    def gradient_penalty(critic, real_data, fake_data):
        interpolates = alpha * real_data + (1 - alpha) * fake_data
        interpolates.requires_grad_(True)
        disc_interpolates = critic(interpolates)
        gradients = torch.autograd.grad(
            outputs=disc_interpolates,
            inputs=interpolates,
            grad_outputs=torch.ones(disc_interpolates.size(), dtype=torch.float64),
            create_graph=True,
            retain_graph=True,
            only_inputs=True,
        )[0]
        return ((gradients.norm(2, dim=1) - 1) ** 2).mean()

    penalties = []
    for step in range(60):
        optimizer.zero_grad()
        gp = gradient_penalty(critic, real_data, fake_data)
        loss = critic(fake_data).mean() - critic(real_data).mean() + 10 * gp
        loss.backward()
        optimizer.step()
        penalties.append(gp.item())
    assert penalties[-1] < 0.2 * penalties[0], (penalties[0], penalties[-1])
    results["penalties"] = np.array(penalties)
    results["critic_weight"] = critic[0].weight.detach().numpy()
    return results
