# ruff: noqa: B007, B905  (written as the tutorials write it: `for t in range(...)`, `zip(a, b)`)
"""Training through ``torch.utils.data`` (PyTorch's "Datasets & DataLoaders" and
"Optimizing Model Parameters" tutorials): a custom ``Dataset``, ``TensorDataset``,
``Subset``, ``DataLoader(shuffle=False)``, ``random_split`` with a ``Generator``,
a logistic-regression model trained epoch by epoch."""

import numpy as np

FRAMEWORK_RANDOM = {"shuffled_epoch"}


def inputs() -> dict:
    rng = np.random.default_rng(5)
    centers = np.array([[1.5, 1.0, 0.0], [-1.0, -1.5, 0.5]])
    labels = rng.integers(0, 2, 100)
    points = centers[labels] + rng.standard_normal((100, 3))
    order = rng.permutation(100)
    return {
        "points": points,
        "labels": labels.astype(np.float64),
        "train_idx": order[:80],
        "val_idx": order[80:],
        "w0": rng.uniform(-0.5, 0.5, (1, 3)),
        "b0": rng.uniform(-0.5, 0.5, (1,)),
    }


def run(torch, points, labels, train_idx, val_idx, w0, b0):
    nn = torch.nn
    Dataset = torch.utils.data.Dataset
    DataLoader = torch.utils.data.DataLoader
    TensorDataset = torch.utils.data.TensorDataset
    Subset = torch.utils.data.Subset
    random_split = torch.utils.data.random_split

    class PointsDataset(Dataset):
        """A custom dataset: one (features, label) pair per index."""

        def __init__(self, points, labels, transform=None):
            self.points = points
            self.labels = labels
            self.transform = transform

        def __len__(self):
            return len(self.labels)

        def __getitem__(self, idx):
            x = torch.tensor(self.points[idx])
            if self.transform:
                x = self.transform(x)
            return x, torch.tensor([self.labels[idx]])

    full = PointsDataset(points, labels, transform=lambda x: x * 1.0)
    assert len(full) == 100
    x0, y0 = full[0]
    assert x0.shape == (3,) and y0.shape == (1,) and x0.dtype == torch.float64

    train_data = Subset(full, train_idx.tolist())
    val_data = Subset(full, val_idx.tolist())
    train_dataloader = DataLoader(train_data, batch_size=16, shuffle=False)
    val_dataloader = DataLoader(val_data, batch_size=16)
    assert len(train_dataloader) == 5 and len(val_dataloader) == 2

    xb, yb = next(iter(train_dataloader))
    print(f"Feature batch shape: {xb.size()}, labels batch shape: {yb.size()}")
    assert xb.shape == (16, 3) and yb.shape == (16, 1)

    model = nn.Linear(3, 1).double()
    with torch.no_grad():
        model.weight.copy_(torch.tensor(w0))
        model.bias.copy_(torch.tensor(b0))
    loss_fn = nn.BCEWithLogitsLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)

    def train_loop(dataloader, model, loss_fn, optimizer):
        model.train()
        total = 0.0
        for batch, (X, y) in enumerate(dataloader):
            pred = model(X)
            loss = loss_fn(pred, y)
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
            total += loss.item() * len(X)
        return total / len(dataloader.dataset)

    def test_loop(dataloader, model, loss_fn):
        model.eval()
        size = len(dataloader.dataset)
        num_batches = len(dataloader)
        test_loss, correct = 0, 0
        with torch.no_grad():
            for X, y in dataloader:
                pred = model(X)
                test_loss += loss_fn(pred, y).item()
                correct += ((pred > 0).type(torch.float) == y).type(torch.float).sum().item()
        return test_loss / num_batches, correct / size

    val_loss0, _ = test_loop(val_dataloader, model, loss_fn)
    train_losses = []
    for t in range(15):
        train_losses.append(train_loop(train_dataloader, model, loss_fn, optimizer))
    val_loss, val_acc = test_loop(val_dataloader, model, loss_fn)
    assert val_loss < 0.5 * val_loss0, (val_loss0, val_loss)
    assert val_acc >= 0.85, val_acc

    # --- TensorDataset over whole tensors, and random_split with a seeded Generator.
    X = torch.tensor(points)
    Y = torch.tensor(labels).unsqueeze(1)
    dataset = TensorDataset(X, Y)
    assert len(dataset) == 100 and bool(torch.equal(dataset[3][0], X[3]))
    split_a = random_split(dataset, [70, 30], generator=torch.Generator().manual_seed(42))
    split_b = random_split(dataset, [70, 30], generator=torch.Generator().manual_seed(42))
    assert [len(s) for s in split_a] == [70, 30]
    assert list(split_a[0].indices) == list(split_b[0].indices)  # same seed, same split
    assert sorted(list(split_a[0].indices) + list(split_a[1].indices)) == list(range(100))
    fractions = random_split(dataset, [0.8, 0.2], generator=torch.Generator().manual_seed(0))
    assert [len(s) for s in fractions] == [80, 20]

    # A shuffled loader visits every sample once per epoch.
    loader = DataLoader(dataset, batch_size=32, shuffle=True,
                        generator=torch.Generator().manual_seed(7))
    seen = torch.cat([xb for xb, _ in loader])
    assert seen.shape == (100, 3)
    assert bool(torch.equal(seen.sum(0), X.sum(0))) or bool(
        torch.allclose(seen.sum(0), X.sum(0)))

    return {
        "train_losses": np.array(train_losses),
        "val_loss": val_loss,
        "val_acc": val_acc,
        "weight": model.weight.detach().numpy(),
        "bias": model.bias.detach().numpy(),
        "split_sizes_seen": np.array([len(s) for s in split_a]),
        "shuffled_epoch": seen.numpy(),
    }
