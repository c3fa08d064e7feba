"""A 1-D convolutional network that tells sine, square and sawtooth waves apart.

    python examples/conv1d_signals.py --out runs/conv1d_signals

The signals are made here: each is one of the three shapes with a random frequency
(1.5 to 6 periods in the window), phase, amplitude and Gaussian noise. The network is

    Conv1d(1, 8, 5) -> ReLU -> MaxPool1d(2) -> Conv1d(8, 16, 5) -> ReLU -> MaxPool1d(2)
    -> Conv1d(16, 16, 3) -> ReLU -> mean over time -> Linear(16, 3)

trained with softmax cross-entropy and Adam on mini-batches. Averaging over time at the
end makes the classifier independent of where in the window a feature appears, which is
what a random phase asks for. The script prints the test accuracy and the confusion
matrix and writes figures of the learning curve, the confusion matrix and a few test
signals with their predicted class.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from _common import (
    fit,
    nonnegative_int,
    plot_loss_and_accuracy,
    plt,
    positive_float,
    positive_int,
    save_figure,
)

import tinygrad_lab as tl
from tinygrad_lab import Tensor, nn, optim

CLASSES = ("sine", "square", "sawtooth")


def make_signals(n: int, length: int = 64, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``n`` noisy waves, balanced over :data:`CLASSES`.

    Returns
    -------
    X : float32 array, shape (n, 1, length)
        One channel per signal, the layout Conv1d expects.
    y : int64 array, shape (n,)
        Index into :data:`CLASSES`.
    """
    rng = np.random.default_rng(seed)
    y = np.arange(n) % len(CLASSES)
    rng.shuffle(y)
    t = np.arange(length) / length
    periods = rng.uniform(1.5, 6.0, (n, 1))
    phase = rng.uniform(0.0, 1.0, (n, 1))  # in periods
    amplitude = rng.uniform(0.5, 1.5, (n, 1))
    noise = rng.uniform(0.05, 0.3, (n, 1)) * rng.standard_normal((n, length))
    cycle = periods * t + phase  # position in the wave, in periods
    waves = np.stack([
        np.sin(2 * np.pi * cycle),
        np.where(np.sin(2 * np.pi * cycle) >= 0, 1.0, -1.0),
        2 * (cycle % 1.0) - 1,
    ])
    X = amplitude * waves[y, np.arange(n)] + noise
    return X[:, None, :].astype(np.float32), y.astype(np.int64)


class SignalNet(nn.Module):
    """Conv1d -> ReLU -> MaxPool1d twice, one more Conv1d, a time average, a Linear."""

    def __init__(self, n_classes: int = len(CLASSES), width: int = 16) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv1d(1, width // 2, kernel_size=5, padding=2), nn.ReLU(), nn.MaxPool1d(2),
            nn.Conv1d(width // 2, width, kernel_size=5, padding=2), nn.ReLU(),
            nn.MaxPool1d(2),
            nn.Conv1d(width, width, kernel_size=3, padding=1), nn.ReLU(),
        )
        self.classifier = nn.Linear(width, n_classes)

    def forward(self, x: Tensor) -> Tensor:
        h = self.features(x)  # (N, width, L/4)
        return self.classifier(h.mean(axis=2))  # (N, n_classes) logits


def evaluate(model: nn.Module, X: np.ndarray, batch: int = 512) -> np.ndarray:
    """Predicted class of every signal."""
    model.eval()
    with tl.no_grad():
        out = [model(Tensor(X[i:i + batch])).numpy().argmax(axis=1)
               for i in range(0, len(X), batch)]
    model.train()
    return np.concatenate(out)


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, k: int) -> np.ndarray:
    """``m[i, j]``: how many signals of class i were predicted as class j."""
    m = np.zeros((k, k), dtype=np.int64)
    np.add.at(m, (y_true, y_pred), 1)
    return m


def format_confusion(m: np.ndarray, names: tuple[str, ...] = CLASSES) -> str:
    width = max(len(n) for n in names) + 2
    head = "true \\ predicted".ljust(width + 8) + "".join(n.rjust(width) for n in names)
    rows = [head] + [names[i].ljust(width + 8) + "".join(str(v).rjust(width) for v in row)
                     for i, row in enumerate(m)]
    return "\n".join(rows)


def plot_confusion(m: np.ndarray, path: Path) -> Path:
    fig, ax = plt.subplots(figsize=(4.4, 3.8))
    ax.imshow(m, cmap="Blues")
    for (i, j), v in np.ndenumerate(m):
        ax.text(j, i, str(v), ha="center", va="center",
                color="white" if v > m.max() / 2 else "black")
    ax.set(xticks=range(len(CLASSES)), yticks=range(len(CLASSES)), xticklabels=CLASSES,
           yticklabels=CLASSES, xlabel="predicted", ylabel="true",
           title="Confusion matrix (test set)")
    return save_figure(fig, path)


def plot_examples(X: np.ndarray, y: np.ndarray, pred: np.ndarray, path: Path) -> Path:
    fig, axes = plt.subplots(3, 4, figsize=(10, 5), sharex=True, sharey=True)
    for ax, i in zip(axes.ravel(), range(min(12, len(y))), strict=False):
        ok = pred[i] == y[i]
        ax.plot(X[i, 0], color="tab:blue" if ok else "tab:red", lw=1)
        ax.set_title(f"{CLASSES[y[i]]} → {CLASSES[pred[i]]}", fontsize=9,
                     color="black" if ok else "tab:red")
    fig.suptitle("Test signals: true class → predicted class")
    return save_figure(fig, path)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description="Classify synthetic sine/square/sawtooth signals with a Conv1d network.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--epochs", type=positive_int, default=20)
    parser.add_argument("--seed", type=nonnegative_int, default=0)
    parser.add_argument("--n-train", type=positive_int, default=1200)
    parser.add_argument("--n-test", type=positive_int, default=600)
    parser.add_argument("--length", type=positive_int, default=64, help="samples per signal")
    parser.add_argument("--batch-size", type=positive_int, default=32)
    parser.add_argument("--lr", type=positive_float, default=3e-3)
    parser.add_argument("--out", type=Path, default=Path("runs/conv1d_signals"))
    parser.add_argument("--no-plots", action="store_true")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.length < 8:
        build_parser().error(f"--length must be at least 8 (two poolings of 2), got "
                             f"{args.length}")
    tl.manual_seed(args.seed)
    X_train, y_train = make_signals(args.n_train, args.length, seed=args.seed)
    X_test, y_test = make_signals(args.n_test, args.length, seed=args.seed + 10_000)
    model = SignalNet()
    print(model)
    optimizer = optim.Adam(model.parameters(), lr=args.lr)
    loss_fn = nn.CrossEntropyLoss()
    loader = tl.data.DataLoader(X_train, y_train, batch_size=args.batch_size, shuffle=True,
                                seed=args.seed)

    def step(x: Tensor, y: Tensor) -> Tensor:
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        return loss

    accuracies: list[float] = []

    def after_epoch(epoch: int, loss: float) -> str:
        accuracies.append(float((evaluate(model, X_test) == y_test).mean()))
        return (f"epoch {epoch + 1:>3}/{args.epochs}  loss {loss:.4f}  "
                f"test accuracy {100 * accuracies[-1]:6.2f}%")

    begin = time.perf_counter()
    losses = fit(step, loader, args.epochs, after_epoch)
    seconds = time.perf_counter() - begin
    pred = evaluate(model, X_test)
    accuracy = float((pred == y_test).mean())
    matrix = confusion_matrix(y_test, pred, len(CLASSES))
    print(f"\ntrained in {seconds:.1f} s")
    print(format_confusion(matrix))
    print(f"test accuracy: {100 * accuracy:.2f}% ({int((pred == y_test).sum())}/{len(y_test)})")
    if not args.no_plots:
        for path in (plot_loss_and_accuracy(losses, accuracies, args.out / "learning_curve.png"),
                     plot_confusion(matrix, args.out / "confusion_matrix.png"),
                     plot_examples(X_test, y_test, pred, args.out / "test_signals.png")):
            print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
