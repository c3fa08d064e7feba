"""What the example scripts share: the training loop, writing figures, argparse types.

Every example trains with :func:`fit`: it runs a ``step(x, y) -> loss`` function that the
example writes (zero the gradients, forward, loss, backward, optimizer step) over the
mini-batches, epoch after epoch, under a tqdm progress bar that shows itself only on a
terminal. The examples import this file as ``_common``: Python puts a script's own folder
on ``sys.path``, and the tests put ``examples/`` there.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import matplotlib

# The examples only ever write PNG files, so they never need a window: the Agg backend
# works on machines without a display and in CI.
matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from tqdm import tqdm  # noqa: E402

from tinygrad_lab import Tensor  # noqa: E402

__all__ = ["check_mark", "fit", "lab_figures", "nonnegative_int", "plot_loss_and_accuracy",
           "plt", "positive_float", "positive_int", "print_table", "save_figure"]


def fit(
    step: Callable[[Tensor, Tensor], Tensor],
    batches: Iterable[tuple[Tensor, Tensor]],
    epochs: int | range,
    after_epoch: Callable[[int, float], str | None] | None = None,
    desc: str = "epochs",
    progress: bool = True,
) -> list[float]:
    """Train: call ``step(x, y)`` on every batch of ``batches``, once per epoch.

    Parameters
    ----------
    step : callable
        One optimisation step on a batch; returns the batch's loss (a scalar Tensor).
    batches : iterable of (x, y)
        Iterated anew every epoch, e.g. a ``tl.data.DataLoader``.
    epochs : int or range
        How many epochs, or which ones (``range(10, 20)`` goes on from epoch 10).
    after_epoch : callable, optional
        Called as ``after_epoch(epoch, loss)`` after each epoch (0-based ``epoch``, the
        epoch's loss); a string it returns is printed above the progress bar.
    desc : str
        The progress bar's label.
    progress : bool
        Show the progress bar (on a terminal only); False for runs in worker processes.

    Returns
    -------
    list of float
        Each epoch's loss: the mean of its batches' losses.

    Raises
    ------
    FloatingPointError
        When a loss is NaN or Inf, or a step overflows: the run has diverged.
    """
    epochs = range(epochs) if isinstance(epochs, int) else epochs
    losses: list[float] = []
    # disable=None: no bar when stderr is not a terminal (a log file, a pipe, the tests).
    # A float overflow or an invalid operation (inf - inf, 0 * inf) raises at once: a
    # diverging run stops at the first NaN or Inf instead of training on garbage.
    disable = None if progress else True
    with tqdm(epochs, desc=desc, disable=disable, leave=False, dynamic_ncols=True) as bar, \
            np.errstate(over="raise", invalid="raise"):
        for epoch in bar:
            try:
                batch_losses = [step(x, y).item() for x, y in batches]
            except FloatingPointError as err:  # NumPy's "overflow encountered in matmul"
                raise FloatingPointError(f"{err} at epoch {epoch + 1}") from None
            loss = sum(batch_losses) / len(batch_losses)
            if not math.isfinite(loss):
                raise FloatingPointError(f"the loss became {loss} at epoch {epoch + 1}")
            losses.append(loss)
            bar.set_postfix_str(f"loss {loss:.4g}", refresh=False)
            message = after_epoch(epoch, loss) if after_epoch is not None else None
            if message:
                bar.write(message)
    return losses


def positive_int(text: str) -> int:
    """argparse type: an integer >= 1."""
    value = int(text)  # argparse turns the ValueError into "invalid positive_int value"
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def nonnegative_int(text: str) -> int:
    """argparse type: an integer >= 0."""
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, got {value}")
    return value


def positive_float(text: str) -> float:
    """argparse type: a finite number > 0 (learning rates)."""
    value = float(text)
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"expected a finite positive number, got {text}")
    return value


def check_mark(ok: bool) -> str:
    """A tick or a cross, in ASCII when the output's encoding has no such characters."""
    mark = "✓" if ok else "✗"
    try:
        mark.encode(getattr(sys.stdout, "encoding", None) or "ascii")
    except (UnicodeEncodeError, LookupError):
        return "ok" if ok else "WRONG"
    return mark


def print_table(X: np.ndarray, y: np.ndarray, p: np.ndarray) -> None:
    """The lab classifier's testing predictions, one row per point: its inputs ``X`` (n, 2),
    the target ``y`` (n, 1), the predicted P(label 1) ``p`` (n, 1), rounded, and a mark."""
    print(f"{'x1':>6} {'x2':>6}  target  prediction  rounded  correct")
    for (x1, x2), target, prob in zip(X, y[:, 0], p[:, 0], strict=True):
        rounded = int(prob > 0.5)
        print(f"{x1:6.3f} {x2:6.3f}  {target:6.0f}  {prob:10.5f}  {rounded:7d}  "
              f"{check_mark(rounded == target)}")


def save_figure(fig: Any, path: str | Path, dpi: int = 110) -> Path:
    """Save ``fig`` as PNG (no timestamp or version in the file, so reruns give the same
    bytes) and close it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    return path


def plot_loss_and_accuracy(
    losses: Sequence[float], accuracies: Sequence[float], path: str | Path, first_epoch: int = 1
) -> Path:
    """Learning curve of a classifier: training loss (log scale) and test accuracy."""
    fig, ax = plt.subplots(figsize=(6, 3.6))
    epochs = np.arange(first_epoch, first_epoch + len(losses))
    ax.semilogy(epochs, losses, color="tab:blue", label="training loss")
    ax.set(xlabel="epoch", ylabel="cross-entropy (log scale)", title="Learning curve")
    ax.grid(True, which="both", alpha=0.3)
    twin = ax.twinx()
    twin.plot(epochs, 100 * np.asarray(accuracies), color="tab:green", label="test accuracy")
    twin.set_ylabel("test accuracy %")
    fig.legend(loc="center right", fontsize=8)
    return save_figure(fig, path)


def _scatter_points(ax: Any, X: np.ndarray, labels: np.ndarray, title: str) -> None:
    """The lab's points on the unit square: label (or P(label 1)) > 0.5 blue, else red."""
    colors = np.where(labels.ravel() > 0.5, "tab:blue", "tab:red")
    ax.scatter(X[:, 0], X[:, 1], c=colors, s=28, edgecolors="k", linewidths=0.3)
    ax.set(title=title, xlabel="$x_1$", ylabel="$x_2$", aspect="equal",
           xlim=(-0.1, 1.1), ylim=(-0.1, 1.1))


def lab_figures(
    losses: Sequence[float],
    X: np.ndarray,
    y: np.ndarray,
    p: np.ndarray,
    predict: Callable[[np.ndarray], np.ndarray],
    name: str,
    out: str | Path,
) -> list[Path]:
    """Write the lab classifier's three figures as ``out/{name}_*.png``.

    Parameters
    ----------
    losses : sequence of float
        Each epoch's training loss: the learning curve.
    X, y, p : ndarray
        The test points (n, 2), their labels (n, 1) and the predicted P(label 1) (n, 1):
        ground truth beside prediction.
    predict : callable
        Maps points (m, 2) to P(label 1) (m, 1); drawn over a grid as the decision boundary.
    name : str
        The dataset's name, in the titles and the file names.
    out : str or Path
        The folder to write into (made if missing).

    Returns
    -------
    list of Path
        The learning curve, the comparison and the decision boundary, in that order.
    """
    out = Path(out)
    fig, ax = plt.subplots(figsize=(6, 3.8))
    ax.semilogy(np.arange(1, len(losses) + 1), losses)
    ax.set(xlabel="epoch", ylabel="training loss (log scale)", title=f"Learning curve — {name}")
    ax.grid(True, which="both", alpha=0.3)
    paths = [save_figure(fig, out / f"{name}_learning_curve.png")]

    fig, (left, right) = plt.subplots(1, 2, figsize=(8.4, 4.2))
    _scatter_points(left, X, y, "Ground truth")
    accuracy = 100 * ((p > 0.5) == (y > 0.5)).mean()
    _scatter_points(right, X, p, f"Prediction (accuracy {accuracy:.1f}%)")
    paths.append(save_figure(fig, out / f"{name}_comparison.png"))

    gx, gy = np.meshgrid(np.linspace(-0.1, 1.1, 241), np.linspace(-0.1, 1.1, 241))
    grid = predict(np.stack([gx.ravel(), gy.ravel()], 1).astype(X.dtype)).reshape(gx.shape)
    fig, ax = plt.subplots(figsize=(5.2, 4.4))
    filled = ax.contourf(gx, gy, grid, levels=np.linspace(0, 1, 21), cmap="RdBu", alpha=0.75)
    ax.contour(gx, gy, grid, levels=[0.5], colors="k", linewidths=1.2)
    fig.colorbar(filled, ax=ax, label="P(label 1)")
    _scatter_points(ax, X, y, f"Decision boundary — {name}")
    paths.append(save_figure(fig, out / f"{name}_decision_boundary.png"))
    return paths
