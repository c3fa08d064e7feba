"""Handwritten digits with an MLP: scikit-learn's bundled 8×8 digits (1,797 images, no
download), a 64-128-64-10 ReLU network, softmax cross-entropy, Adam, mini-batches.

Each pixel is standardised with the training set's mean and standard deviation (plus
0.1, because border pixels are almost always 0): on 10 seeds that lifts the worst test
accuracy from about 95.8% to 97.3% for the same network and budget.

    python examples/digits_mlp.py --out runs/digits_mlp

It prints the loss and test accuracy per epoch, saves a checkpoint with
``tl.save({"model": ..., "optimizer": ..., "epoch": ...})`` and draws the test digits
the network gets wrong. ``--resume`` continues from such a checkpoint.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

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


def load_digits(seed: int = 0, test_fraction: float = 0.25) -> tuple[np.ndarray, ...]:
    """Train/test split of the digits, stratified by class, pixels scaled to [0, 1].

    Returns ``X_train (n, 64) float32, X_test, y_train (n,) int64, y_test``.
    """
    from sklearn.datasets import load_digits as sk_load_digits
    from sklearn.model_selection import train_test_split

    digits = sk_load_digits()
    X = (digits.data / 16.0).astype(np.float32)  # pixel values are 0..16
    y = digits.target.astype(np.int64)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=test_fraction, random_state=seed, stratify=y)
    return X_train, X_test, y_train, y_test


class Standardizer:
    """Per-pixel ``(x - mean) / (std + 0.1)`` with statistics of the training set."""

    def __init__(self, X_train: np.ndarray) -> None:
        self.mean = X_train.mean(axis=0)
        self.scale = X_train.std(axis=0) + 0.1

    def __call__(self, X: np.ndarray) -> np.ndarray:
        return ((X - self.mean) / self.scale).astype(np.float32)

    def state_dict(self) -> dict[str, np.ndarray]:
        return {"mean": self.mean, "scale": self.scale}


def build_model(hidden: tuple[int, int] = (128, 64)) -> nn.Sequential:
    """64 -> hidden[0] -> ReLU -> hidden[1] -> ReLU -> 10 logits (softmax is in the loss)."""
    return nn.Sequential(
        nn.Linear(64, hidden[0]), nn.ReLU(),
        nn.Linear(hidden[0], hidden[1]), nn.ReLU(),
        nn.Linear(hidden[1], 10),
    )


def predict(model: nn.Module, X: np.ndarray) -> np.ndarray:
    with tl.no_grad():
        return model(Tensor(X)).numpy().argmax(axis=1)


def save_checkpoint(path: Path, model: nn.Module, optimizer: optim.Optimizer, epoch: int,
                    hidden: tuple[int, int], standardizer: Standardizer) -> Path:
    """Model and optimizer state, the epoch reached, and what is needed to use the model
    again: its hidden sizes and the input standardisation."""
    tl.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
             "epoch": epoch, "hidden": list(hidden),
             "standardizer": standardizer.state_dict()}, path)
    return path


def load_checkpoint(path: Path) -> dict[str, Any]:
    """A checkpoint written by :func:`save_checkpoint`, checked for its keys."""
    checkpoint = tl.load(path)
    missing = {"model", "optimizer", "epoch", "hidden", "standardizer"} - set(checkpoint)
    if missing:
        raise ValueError(f"{path}: not a digits_mlp checkpoint (missing {sorted(missing)})")
    return checkpoint


def plot_misclassified(X: np.ndarray, y: np.ndarray, pred: np.ndarray, path: Path,
                       limit: int = 30) -> Path:
    wrong = np.flatnonzero(pred != y)[:limit]
    cols = 10
    rows = max(1, -(-len(wrong) // cols))
    fig, axes = plt.subplots(rows, cols, figsize=(cols * 1.1, rows * 1.35 + 0.4),
                             squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    for ax, i in zip(axes.ravel(), wrong, strict=False):
        ax.imshow(X[i].reshape(8, 8), cmap="gray_r", vmin=0, vmax=1)
        ax.set_title(f"{y[i]} → {pred[i]}", fontsize=9, color="tab:red")
    if not len(wrong):
        axes[0, 0].text(0, 0.5, "no misclassified test digits", fontsize=10)
    fig.suptitle(f"Misclassified test digits ({int((pred != y).sum())} of {len(y)}): "
                 "true → predicted")
    return save_figure(fig, path)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description="Train an MLP on scikit-learn's 8x8 digits with tinygrad_lab.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--epochs", type=positive_int, default=30)
    parser.add_argument("--seed", type=nonnegative_int, default=0,
                        help="seeds the split, the initial weights and the batch order")
    parser.add_argument("--batch-size", type=positive_int, default=32)
    parser.add_argument("--lr", type=positive_float, default=1e-3)
    parser.add_argument("--hidden", nargs=2, type=positive_int, default=[128, 64],
                        metavar=("H1", "H2"))
    parser.add_argument("--out", type=Path, default=Path("runs/digits_mlp"),
                        help="folder for the checkpoint and the figures")
    parser.add_argument("--resume", type=Path, metavar="CHECKPOINT",
                        help="continue from a checkpoint written by this script")
    parser.add_argument("--no-plots", action="store_true")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    hidden = tuple(args.hidden)
    X_train, X_test, y_train, y_test = load_digits(seed=args.seed)
    standardizer = Standardizer(X_train)
    tl.manual_seed(args.seed)
    model = build_model(hidden)
    optimizer = optim.Adam(model.parameters(), lr=args.lr)
    start = 0
    if args.resume is not None:
        try:
            checkpoint = load_checkpoint(args.resume)
            if tuple(checkpoint["hidden"]) != hidden:
                raise ValueError(f"{args.resume} has --hidden "
                                 f"{' '.join(map(str, checkpoint['hidden']))}")
            model.load_state_dict(checkpoint["model"])
            optimizer.load_state_dict(checkpoint["optimizer"])
            # The model was trained on inputs scaled with the checkpoint's statistics.
            standardizer.mean = np.asarray(checkpoint["standardizer"]["mean"])
            standardizer.scale = np.asarray(checkpoint["standardizer"]["scale"])
        except (OSError, ValueError) as err:
            parser.error(f"--resume: {err}")
        start = int(checkpoint["epoch"])
        print(f"resumed from {args.resume} at epoch {start}")
    Z_train, Z_test = standardizer(X_train), standardizer(X_test)
    print(f"{len(X_train)} training and {len(X_test)} test digits")
    print(model)

    loss_fn = nn.CrossEntropyLoss()
    loader = tl.data.DataLoader(Z_train, y_train, batch_size=args.batch_size, shuffle=True,
                                seed=args.seed + start)

    def step(x: Tensor, y: Tensor) -> Tensor:
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        return loss

    accuracies: list[float] = []

    def after_epoch(epoch: int, loss: float) -> str:
        accuracies.append(float((predict(model, Z_test) == y_test).mean()))
        return (f"epoch {epoch + 1:>3}/{args.epochs}  loss {loss:.4f}  "
                f"test accuracy {100 * accuracies[-1]:6.2f}%")

    begin = time.perf_counter()
    losses = fit(step, loader, range(start, args.epochs), after_epoch)
    seconds = time.perf_counter() - begin

    pred = predict(model, Z_test)
    accuracy = float((pred == y_test).mean())
    print(f"\ntrained in {seconds:.1f} s")
    print(f"test accuracy: {100 * accuracy:.2f}% ({int((pred == y_test).sum())}/{len(y_test)})")
    args.out.mkdir(parents=True, exist_ok=True)
    path = save_checkpoint(args.out / "digits_mlp.npz", model, optimizer,
                           max(start, args.epochs), hidden, standardizer)
    print(f"saved checkpoint {path}")
    if not args.no_plots:
        print(f"wrote {plot_misclassified(X_test, y_test, pred, args.out / 'misclassified.png')}")
        if losses:  # a resumed run that trained no further epoch has no curve to draw
            curve = args.out / "learning_curve.png"
            print(f"wrote {plot_loss_and_accuracy(losses, accuracies, curve, start + 1)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
