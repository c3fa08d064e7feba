# ruff: noqa: B007, B905  (written as the tutorials write it: `for t in range(...)`, `zip(a, b)`)
"""Softmax regression from scratch, in the style of "Dive into Deep Learning":
``torch.exp``, ``sum(1, keepdim=True)``, picking the true-class probabilities with
``y_hat[range(n), y]`` and with ``gather``, ``argmax(dim=1)``, ``.float().mean()``,
minibatches from an index iterator, and ``sgd`` under ``no_grad``."""

import numpy as np

FRAMEWORK_RANDOM: set[str] = set()

NUM_INPUTS, NUM_OUTPUTS = 4, 3


def inputs() -> dict:
    rng = np.random.default_rng(7)
    centers = rng.standard_normal((NUM_OUTPUTS, NUM_INPUTS)) * 2.0
    labels = rng.integers(0, NUM_OUTPUTS, 150)
    features = centers[labels] + rng.standard_normal((150, NUM_INPUTS))
    return {
        "features": features,
        "labels": labels,
        "W0": rng.normal(0, 0.01, (NUM_INPUTS, NUM_OUTPUTS)),
        "orders": np.stack([rng.permutation(150) for _ in range(10)]),
    }


def run(torch, features, labels, W0, orders):
    features = torch.tensor(features)
    labels = torch.tensor(labels)
    assert labels.dtype == torch.int64

    W = torch.tensor(W0, requires_grad=True)
    b = torch.zeros(NUM_OUTPUTS, dtype=torch.float64, requires_grad=True)

    X = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    assert bool((X.sum(0, keepdim=True) == torch.tensor([[5.0, 7.0, 9.0]])).all())
    assert X.sum(1, keepdim=True).shape == (2, 1)

    def softmax(X):
        X_exp = torch.exp(X)
        partition = X_exp.sum(1, keepdim=True)
        return X_exp / partition  # broadcasting

    def net(X):
        return softmax(torch.matmul(X.reshape((-1, W.shape[0])), W) + b)

    def cross_entropy(y_hat, y):
        return -torch.log(y_hat[range(len(y_hat)), y])

    def cross_entropy_gather(y_hat, y):
        return -torch.log(y_hat.gather(1, y.view(-1, 1))).squeeze(1)

    def accuracy(y_hat, y):
        if len(y_hat.shape) > 1 and y_hat.shape[1] > 1:
            y_hat = y_hat.argmax(axis=1)
        cmp = y_hat.type(y.dtype) == y
        return float(cmp.type(y.dtype).sum())

    def data_iter(batch_size, features, labels, indices):
        num_examples = len(features)
        for i in range(0, num_examples, batch_size):
            batch_indices = torch.tensor(indices[i:min(i + batch_size, num_examples)])
            yield features[batch_indices], labels[batch_indices]

    @torch.no_grad()
    def evaluate_loss(features, labels):
        return cross_entropy(net(features), labels).mean().item()

    def sgd(params, lr, batch_size):
        with torch.no_grad():
            for param in params:
                param -= lr * param.grad / batch_size
                param.grad.zero_()

    y = torch.tensor([0, 2])
    y_hat = torch.tensor([[0.1, 0.3, 0.6], [0.3, 0.2, 0.5]])
    assert bool(torch.allclose(y_hat[[0, 1], y], torch.tensor([0.1, 0.5])))
    assert accuracy(y_hat, y) / len(y) == 0.5

    with torch.no_grad():
        loss0 = cross_entropy(net(features), labels).mean().item()
    lr, batch_size = 0.3, 16
    epoch_losses = []
    for epoch in range(10):
        for Xb, yb in data_iter(batch_size, features, labels, orders[epoch].tolist()):
            l = cross_entropy(net(Xb), yb)
            l.sum().backward()
            sgd([W, b], lr, batch_size)
        epoch_losses.append(evaluate_loss(features, labels))
    with torch.no_grad():
        y_hat = net(features)
        gathered = cross_entropy_gather(y_hat, labels)
        assert bool(torch.allclose(gathered, cross_entropy(y_hat, labels)))
        acc = (y_hat.argmax(dim=1) == labels).float().mean().item()
        acc_d2l = accuracy(y_hat, labels) / labels.numel()
    assert epoch_losses[-1] < 0.3 * loss0, (loss0, epoch_losses[-1])
    assert acc > 0.8 and abs(acc - acc_d2l) < 1e-6

    return {
        "epoch_losses": np.array(epoch_losses),
        "W": W.detach().numpy(),
        "b": b.detach().numpy(),
        "probs": y_hat.numpy(),
        "acc": acc,
    }
