# ruff: noqa: B007, B905  (written as the tutorials write it: `for t in range(...)`, `zip(a, b)`)
"""The XOR problem with a small ``nn.Sequential`` of ``nn.Linear`` and ``nn.Sigmoid``,
``nn.BCELoss`` and ``optim.SGD(momentum=0.9)``; initial weights set through
``param.data = ...`` as many blog posts do."""

import numpy as np

FRAMEWORK_RANDOM: set[str] = set()


def inputs() -> dict:
    rng = np.random.default_rng(9)
    return {
        "w1": rng.uniform(-1, 1, (4, 2)),
        "b1": rng.uniform(-1, 1, (4,)),
        "w2": rng.uniform(-1, 1, (1, 4)),
        "b2": rng.uniform(-1, 1, (1,)),
    }


def run(torch, w1, b1, w2, b2):
    nn = torch.nn
    optim = torch.optim

    X = torch.tensor([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=torch.float64)
    Y = torch.tensor([[0], [1], [1], [0]], dtype=torch.float64)

    model = nn.Sequential(
        nn.Linear(2, 4),
        nn.Sigmoid(),
        nn.Linear(4, 1),
        nn.Sigmoid(),
    )
    model.to(torch.float64)
    model[0].weight.data = torch.tensor(w1)
    model[0].bias.data = torch.tensor(b1)
    model[2].weight.data = torch.tensor(w2)
    model[2].bias.data = torch.tensor(b2)
    assert model[0].weight.requires_grad and isinstance(model[0].weight, nn.Parameter)
    print(model)

    loss_fn = nn.BCELoss()
    optimizer = optim.SGD(model.parameters(), lr=0.5, momentum=0.9)

    losses = []
    for epoch in range(300):
        optimizer.zero_grad()
        outputs = model(X)
        loss = loss_fn(outputs, Y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        if (epoch + 1) % 100 == 0:
            print(f"Epoch [{epoch + 1}/300], Loss: {loss.item():.4f}")

    with torch.no_grad():
        probs = model(X)
        predicted = (probs > 0.5).float()
        accuracy = (predicted == Y).sum().item() / Y.size(0)
    assert losses[-1] < 0.1 * losses[0], (losses[0], losses[-1])
    assert accuracy == 1.0, predicted.tolist()
    assert predicted.squeeze().tolist() == [0.0, 1.0, 1.0, 0.0]

    return {
        "losses": np.array(losses),
        "probs": probs.numpy(),
        "w1": model[0].weight.detach().numpy(),
        "w2": model[2].weight.detach().numpy(),
        "b2": model[2].bias.detach().numpy(),
    }
