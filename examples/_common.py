"""Small helpers shared by the examples: figures, progress bars, tables, argparse types.

Nothing here knows about neural networks; the examples import it as ``_common`` (their
own folder is on ``sys.path`` when they run as scripts, and the tests put it there).
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import matplotlib

# The examples only ever write PNG files, so they never need a window: the Agg backend
# works on machines without a display and in CI.
matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

__all__ = [
    "check_mark",
    "markdown_table",
    "mean_spread",
    "nonnegative_int",
    "plt",
    "positive_float",
    "positive_int",
    "progress",
    "save_figure",
    "stderr_is_terminal",
]


# ------------------------------------------------------------------------ argparse types


def positive_int(text: str) -> int:
    """argparse type: an integer >= 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def nonnegative_int(text: str) -> int:
    """argparse type: an integer >= 0."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a non-negative integer, got {text!r}"
        ) from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, got {value}")
    return value


def positive_float(text: str) -> float:
    """argparse type: a finite float > 0 (learning rates)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"expected a finite positive number, got {text}")
    return value


# ---------------------------------------------------------------------- terminal output


def stderr_is_terminal() -> bool:
    """True when a progress bar would be seen by a person (not a log file or a pipe)."""
    stream = sys.stderr
    return bool(getattr(stream, "isatty", None)) and stream.isatty()


class _NoBar:
    """Stands in for a tqdm bar when there is no terminal: same methods, no output."""

    def __init__(self, iterable: Iterable[Any]) -> None:
        self._iterable = iterable

    def __iter__(self) -> Iterator[Any]:
        return iter(self._iterable)

    def set_postfix_str(self, text: str, refresh: bool = True) -> None:
        pass

    def close(self) -> None:
        pass

    @staticmethod
    def write(text: str) -> None:
        print(text, flush=True)


def progress(iterable: Iterable[Any], *, total: int | None = None, desc: str = "",
             enabled: bool = True) -> Any:
    """Wrap ``iterable`` in a tqdm progress bar when ``enabled``, else iterate plainly.

    The returned object always has ``set_postfix_str``, ``close`` and ``write`` (which
    prints above the bar, so log lines don't tear it).
    """
    if not enabled:
        return _NoBar(iterable)
    from tqdm.auto import tqdm

    bar = tqdm(iterable, total=total, desc=desc, leave=False, dynamic_ncols=True,
               mininterval=0.2)
    return bar


def check_mark(ok: bool) -> str:
    """A tick or a cross, in ASCII when the terminal's encoding has no such characters."""
    mark = "✓" if ok else "✗"
    encoding = getattr(sys.stdout, "encoding", None) or "ascii"
    try:
        mark.encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return "ok" if ok else "WRONG"
    return mark


# ------------------------------------------------------------------------- numbers, text


def mean_spread(values: Sequence[float], fmt: str = "{:.3g}", scale: float = 1.0,
                missing: str = "never") -> str:
    """``"mean ± std"`` of the finite values (population std), or ``"—"`` when none.

    NaN values (a run that never reached 100%, or diverged) are left out and counted
    with the word ``missing``, so a table shows ``"120 ± 30 (2 never)"`` rather than
    hiding them.
    """
    array = np.asarray(values, dtype=float) * scale
    finite = array[np.isfinite(array)]
    n_missing = array.size - finite.size
    if finite.size == 0:
        return "—" if array.size == 0 else f"{missing} ({n_missing}/{array.size})"
    text = f"{fmt.format(finite.mean())} ± {fmt.format(finite.std())}"
    if n_missing:
        text += f" ({n_missing} {missing})"
    return text


def markdown_table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A GitHub-flavoured Markdown table; numbers right-aligned, text left-aligned."""
    rows = [[str(cell) for cell in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(headers), rule, *(line(r) for r in rows)])


# ------------------------------------------------------------------------------- figures


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


def train_classifier(
    model: Any, loader: Any, loss_fn: Any, optimizer: Any, epochs: range,
    test_accuracy: Any, n_train: int,
) -> tuple[list[float], list[float], float]:
    """Mini-batch training with a progress bar: returns the mean training loss and the
    test accuracy (``test_accuracy()``) of each epoch, and the seconds it took."""
    losses: list[float] = []
    accuracies: list[float] = []
    begin = time.perf_counter()
    bar = progress(epochs, desc="epochs", enabled=stderr_is_terminal())
    for epoch in bar:
        total = 0.0
        for xb, yb in loader:
            optimizer.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(xb.data)
        losses.append(total / n_train)
        accuracies.append(test_accuracy())
        bar.write(f"epoch {epoch + 1:>3}/{epochs.stop}  loss {losses[-1]:.4f}  "
                  f"test accuracy {100 * accuracies[-1]:6.2f}%")
    bar.close()
    return losses, accuracies, time.perf_counter() - begin
