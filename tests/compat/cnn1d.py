# ruff: noqa: B007, B905  (written as the tutorials write it: `for t in range(...)`, `zip(a, b)`)
"""A 1-D convolutional classifier of synthetic signals (sine, square, sawtooth) in the
usual tutorial shape: an ``nn.Module`` with ``nn.Conv1d``, ``nn.ReLU``,
``nn.MaxPool1d``, ``nn.Flatten`` and ``nn.Linear``, ``nn.CrossEntropyLoss``,
``optim.Adam``, minibatches with ``Tensor.split``, initial weights loaded with
``load_state_dict``, and a checkpoint saved with ``torch.save(model.state_dict(), path)``
and loaded back with ``torch.load`` (PyTorch's Quickstart)."""

import os
import tempfile

import numpy as np

FRAMEWORK_RANDOM: set[str] = set()

LENGTH = 32
N_PER_CLASS = 20

SHAPES = {
    "features.0.weight": (4, 1, 5),
    "features.0.bias": (4,),
    "features.3.weight": (8, 4, 3),
    "features.3.bias": (8,),
    "classifier.1.weight": (3, 8 * LENGTH // 4),
    "classifier.1.bias": (3,),
}


def inputs() -> dict:
    rng = np.random.default_rng(8)
    t = np.linspace(0, 1, LENGTH)
    signals, labels = [], []
    for _ in range(N_PER_CLASS):
        for label in range(3):
            freq = rng.uniform(2, 4)
            phase = rng.uniform(0, 2 * np.pi)
            wave = np.sin(2 * np.pi * freq * t + phase)
            if label == 1:
                wave = np.sign(wave)
            elif label == 2:
                wave = 2 * ((freq * t + phase / (2 * np.pi)) % 1.0) - 1
            signals.append(wave + 0.2 * rng.standard_normal(LENGTH))
            labels.append(label)
    state = {}
    for name, shape in SHAPES.items():
        fan_in = int(np.prod(shape[1:])) if len(shape) > 1 else shape[0]
        bound = 1 / np.sqrt(fan_in)
        state[name] = rng.uniform(-bound, bound, shape)
    return {"signals": np.array(signals)[:, None, :], "labels": np.array(labels),
            "state": state}


def run(torch, signals, labels, state):
    nn = torch.nn
    optim = torch.optim
    torch.manual_seed(0)

    class SignalNet(nn.Module):
        def __init__(self, num_classes=3):
            super().__init__()
            self.features = nn.Sequential(
                nn.Conv1d(1, 4, kernel_size=5, padding=2),
                nn.ReLU(),
                nn.MaxPool1d(2),
                nn.Conv1d(4, 8, kernel_size=3, padding=1),
                nn.ReLU(inplace=True),
                nn.MaxPool1d(kernel_size=2, stride=2),
            )
            self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(8 * LENGTH // 4,
                                                                    num_classes))

        def forward(self, x):
            x = self.features(x)
            return self.classifier(x)

    model = SignalNet().double()
    assert set(model.state_dict().keys()) == set(SHAPES)
    model.load_state_dict({k: torch.tensor(v) for k, v in state.items()})
    n_params = sum(p.numel() for p in model.parameters() if p.requires_grad)
    assert n_params == sum(int(np.prod(s)) for s in SHAPES.values())

    X = torch.from_numpy(signals)
    y = torch.from_numpy(labels)
    assert X.shape == (60, 1, LENGTH) and y.dtype == torch.int64
    out = model.features(X)
    assert out.shape == (60, 8, LENGTH // 4)

    criterion = nn.CrossEntropyLoss()
    optimizer = optim.Adam(model.parameters(), lr=1e-2)

    model.eval()
    with torch.no_grad():
        loss0 = criterion(model(X), y).item()
    model.train()
    losses = []
    for epoch in range(25):
        running_loss = 0.0
        for inputs_, targets in zip(X.split(20), y.split(20)):
            optimizer.zero_grad(set_to_none=True)
            outputs = model(inputs_)
            loss = criterion(outputs, targets)
            loss.backward()
            optimizer.step()
            running_loss += loss.item()
        losses.append(running_loss / 3)

    model.eval()
    with torch.no_grad():
        logits = model(X)
        final = criterion(logits, y).item()
        _, predicted = torch.max(logits, 1)
        correct = (predicted == y).sum().item()
    accuracy = correct / y.size(0)
    assert final < 0.2 * loss0, (loss0, final)
    assert accuracy > 0.9, accuracy

    # Save the trained weights and load them into a fresh model.
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "model.pth")
        torch.save(model.state_dict(), path)
        restored = SignalNet().double()
        restored.load_state_dict(torch.load(path, weights_only=True))
    restored.eval()
    with torch.no_grad():
        assert torch.equal(restored(X), logits)

    return {
        "losses": np.array(losses),
        "final": final,
        "logits": logits.numpy(),
        "predicted": predicted.numpy(),
        "conv1_weight": model.features[0].weight.detach().numpy(),
        "linear_weight": model.classifier[1].weight.detach().numpy(),
    }
