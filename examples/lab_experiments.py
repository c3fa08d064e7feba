"""The lab's discussion as one command: how learning rate, hidden size, activation,
optimizer, loss and a convolutional front layer change training, on both datasets and
over several seeds.

    python examples/lab_experiments.py --out runs/lab_experiments        # a few minutes
    python examples/lab_experiments.py --quick                           # about a minute

Every setting changes one thing from the classifier's defaults (see
``two_layer_classifier.py``) and trains with :func:`two_layer_classifier.train` once per
seed. The output folder gets ``report.md`` (tables of mean ± standard deviation over the
seeds of the final accuracy, the final loss and the epoch at which every point was first
classified correctly), ``results.csv`` (one row per run) and one figure per group with
the learning curves of its settings overlaid (median over seeds, band from the 25th to
the 75th percentile).
"""

from __future__ import annotations

import argparse
import csv
import math
import os
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))  # for the imports below

from _common import (  # noqa: E402
    markdown_table,
    mean_spread,
    plt,
    positive_int,
    progress,
    save_figure,
    stderr_is_terminal,
)
from two_layer_classifier import (  # noqa: E402
    DATASETS,
    DEFAULT_LR,
    Config,
    Diverged,
    train,
)

BASE = Config()

# group key -> (title, [(setting label, changes from BASE)]). The setting that equals
# BASE is trained once and shared by every group that lists it.
GROUPS: dict[str, tuple[str, list[tuple[str, dict[str, Any]]]]] = {
    "recipe": ("The lab's recipe against this example's defaults", [
        ("lab: sigmoid, MSE, SGD lr 1, PyTorch init",
         dict(activation="sigmoid", optimizer="sgd", lr=1.0, init="default")),
        ("lab recipe with Xavier init",
         dict(activation="sigmoid", optimizer="sgd", lr=1.0)),
        ("defaults: tanh, MSE, Adam lr 0.05, Xavier init", {}),
    ]),
    "lr": ("Learning rate, Adam (the default optimizer)", [
        (f"lr {lr:g}", dict(lr=lr)) for lr in (1e-3, 1e-2, 5e-2, 1e-1, 1.0)
    ]),
    "lr_sgd": ("Learning rate, plain gradient descent (the lab's optimizer)", [
        (f"lr {lr:g}", dict(optimizer="sgd", lr=lr)) for lr in (1e-3, 1e-2, 1e-1, 1.0, 10.0)
    ]),
    "hidden": ("Hidden units per layer", [
        (f"{h}-{h}", dict(hidden=(h, h))) for h in (1, 2, 4, 16, 64)
    ]),
    "activation": ("Hidden activation (none: without activation, a linear model)", [
        (name, dict(activation=name)) for name in ("sigmoid", "tanh", "relu", "leaky_relu",
                                                   "none")
    ]),
    "optimizer": ("Optimizer, each at its default learning rate", [
        (f"{name} (lr {DEFAULT_LR[name]:g})", dict(optimizer=name))
        for name in ("sgd", "momentum", "adam", "rmsprop")
    ]),
    "loss": ("Loss: MSE on probabilities against binary cross-entropy on logits", [
        ("mse", dict(loss="mse")), ("bce", dict(loss="bce")),
    ]),
    "model": ("Front layer: Linear(2, 4) against Conv1d(1, 4, kernel_size=2, padding=1)", [
        ("mlp", dict(model="mlp")), ("conv", dict(model="conv")),
    ]),
}


@dataclass
class Run:
    """The numbers kept from one training run."""

    config: Config
    accuracy: float  # NaN when the run diverged
    final_loss: float
    epochs_to_100: float  # NaN when never reached (or diverged)
    losses: np.ndarray
    seconds: float
    diverged: bool


def run_one(config: Config) -> Run:
    """Train one configuration (module level, so worker processes can run it)."""
    begin = time.perf_counter()
    try:
        result = train(config)
    except Diverged:
        return Run(config, math.nan, math.nan, math.nan, np.full(config.epochs, np.nan),
                   time.perf_counter() - begin, True)
    first = result.epochs_to_100
    return Run(config, result.accuracy, result.final_loss,
               math.nan if first is None else float(first), result.losses.astype(np.float32),
               time.perf_counter() - begin, False)


def plan(groups: Sequence[str], seeds: int, epochs: int) -> list[Config]:
    """Every distinct configuration the chosen groups need, in a stable order."""
    configs: dict[Config, None] = {}
    for key in groups:
        for _, changes in GROUPS[key][1]:
            for dataset in DATASETS:
                for seed in range(seeds):
                    configs[replace(BASE, dataset=dataset, seed=seed, epochs=epochs,
                                    **changes)] = None
    return list(configs)


def run_all(configs: list[Config], jobs: int, show_progress: bool) -> dict[Config, Run]:
    bar = progress(range(len(configs)), desc="runs", enabled=show_progress)
    runs: dict[Config, Run] = {}
    if jobs > 1:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            results = pool.map(run_one, configs, chunksize=4)
            for config, result, _ in zip(configs, results, bar, strict=True):
                runs[config] = result
    else:
        for config, _ in zip(configs, bar, strict=True):
            runs[config] = run_one(config)
    bar.close()
    return runs


# ------------------------------------------------------------------------------ report


def _setting_runs(runs: dict[Config, Run], changes: dict[str, Any], dataset: str,
                  seeds: int, epochs: int) -> list[Run]:
    return [runs[replace(BASE, dataset=dataset, seed=s, epochs=epochs, **changes)]
            for s in range(seeds)]


def _cells(setting: list[Run]) -> dict[str, str]:
    accuracy = np.array([r.accuracy for r in setting])
    first = [r.epochs_to_100 for r in setting]
    diverged = sum(r.diverged for r in setting)
    acc_text = mean_spread(accuracy, "{:.1f}", scale=100, missing="diverged")
    return {
        "accuracy %": acc_text,
        "runs at 100%": f"{int((accuracy == 1).sum())}/{len(setting)}",
        "final loss": mean_spread([r.final_loss for r in setting], "{:.2g}",
                                  missing="diverged"),
        "epochs to 100%": mean_spread(first, "{:.0f}", missing="never"),
        "diverged": str(diverged),
    }


def group_table(key: str, runs: dict[Config, Run], seeds: int, epochs: int) -> str:
    headers = ["setting", "dataset", "accuracy %", "runs at 100%", "final loss",
               "epochs to 100%"]
    any_diverged = any(r.diverged for r in runs.values())
    if any_diverged:
        headers.append("diverged")
    rows = []
    for label, changes in GROUPS[key][1]:
        for dataset in DATASETS:
            cells = _cells(_setting_runs(runs, changes, dataset, seeds, epochs))
            rows.append([label, dataset, *(cells[h] for h in headers[2:])])
    return markdown_table(headers, rows)


def headline_table(groups: Sequence[str], runs: dict[Config, Run], seeds: int,
                   epochs: int) -> str:
    headers = ["group", "setting"]
    for dataset in DATASETS:
        headers += [f"{dataset} accuracy %", f"{dataset} epochs to 100%"]
    rows = []
    for key in groups:
        for label, changes in GROUPS[key][1]:
            row = [key, label]
            for dataset in DATASETS:
                cells = _cells(_setting_runs(runs, changes, dataset, seeds, epochs))
                row += [cells["accuracy %"], cells["epochs to 100%"]]
            rows.append(row)
    return markdown_table(headers, rows)


def plot_group(key: str, runs: dict[Config, Run], seeds: int, epochs: int,
               path: Path) -> Path:
    """Each setting's learning curve (median over seeds, interquartile band), per dataset."""
    title, settings = GROUPS[key]
    fig, axes = plt.subplots(1, len(DATASETS), figsize=(11, 4), sharey=True)
    x = np.arange(1, epochs + 1)
    colors = plt.get_cmap("viridis")(np.linspace(0, 0.9, len(settings)))
    for ax, dataset in zip(axes, DATASETS, strict=True):
        for (label, changes), color in zip(settings, colors, strict=True):
            curves = np.stack([r.losses for r in
                               _setting_runs(runs, changes, dataset, seeds, epochs)])
            finite = np.isfinite(curves).all(axis=1)
            if not finite.any():
                ax.plot([], [], color=color, label=f"{label} (diverged)")
                continue
            curves = curves[finite]
            ax.semilogy(x, np.median(curves, axis=0), color=color, lw=1.5, label=label)
            if len(curves) > 2:
                low, high = np.percentile(curves, [25, 75], axis=0)
                ax.fill_between(x, low, high, color=color, alpha=0.15, lw=0)
        ax.set(title=dataset, xlabel="epoch")
        ax.grid(True, which="both", alpha=0.3)
    axes[0].set_ylabel("training loss (log scale)")
    axes[-1].legend(fontsize=7, loc="upper right")
    fig.suptitle(f"{title}\nmedian over {seeds} seed(s); band: 25th to 75th percentile")
    return save_figure(fig, path)


def write_csv(runs: dict[Config, Run], path: Path) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["dataset", "model", "hidden", "activation", "loss", "optimizer",
                         "lr", "init", "seed", "epochs", "accuracy", "final_loss",
                         "epochs_to_100", "diverged", "seconds"])
        for c, r in runs.items():
            writer.writerow([c.dataset, c.model, f"{c.hidden[0]}-{c.hidden[1]}",
                             c.activation, c.loss, c.optimizer, f"{c.learning_rate:g}",
                             c.init, c.seed, c.epochs, f"{r.accuracy:.6f}",
                             f"{r.final_loss:.6g}", r.epochs_to_100, r.diverged,
                             f"{r.seconds:.3f}"])
    return path


def write_report(groups: Sequence[str], runs: dict[Config, Run], seeds: int, epochs: int,
                 seconds: float, jobs: int, figures: dict[str, Path], path: Path) -> Path:
    base = BASE
    lines = [
        "# The lab's experiments",
        "",
        f"Generated by `examples/lab_experiments.py`: {len(runs)} training runs "
        f"({seeds} seed(s) per setting and dataset, seeds 0–{seeds - 1}), {epochs} "
        f"full-batch epochs each, {seconds:.0f} s with {jobs} process(es).",
        "",
        f"Every setting changes one thing from the classifier's defaults: "
        f"2-{base.hidden[0]}-{base.hidden[1]}-1 MLP, {base.activation} hidden layers, "
        f"{base.loss.upper()} loss on sigmoid outputs, {base.optimizer} with lr "
        f"{base.learning_rate:g}, {base.init} initialisation. A seed fixes the initial "
        "weights and the linear dataset's 100 points; XOR is always the same 21 points.",
        "",
        "Numbers are mean ± standard deviation over the seeds. *accuracy* is the trained "
        "network's accuracy on its dataset after the last epoch; *final loss* its loss; "
        "*epochs to 100%* the first epoch in which every point was classified correctly, "
        "averaged over the seeds that got there (those that never did are counted as "
        "\"never\").",
        "",
        "## Headline",
        "",
        headline_table(groups, runs, seeds, epochs),
        "",
    ]
    for key in groups:
        title = GROUPS[key][0]
        lines += [f"## {title}", "", group_table(key, runs, seeds, epochs), ""]
        if key in figures:
            lines += [f"![{title}]({figures[key].name})", ""]
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


# ---------------------------------------------------------------------------------- CLI


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description="Run the lab's experiments over several seeds and write report.md.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--out", type=Path, default=Path("runs/lab_experiments"),
                        help="folder for report.md, results.csv and the figures")
    parser.add_argument("--quick", action="store_true",
                        help="a one-minute version: 5 seeds and 500 epochs (unless "
                        "--seeds/--epochs say otherwise)")
    parser.add_argument("--seeds", type=positive_int, default=None,
                        help="seeds per setting (default 10, --quick 5)")
    parser.add_argument("--epochs", type=positive_int, default=None,
                        help=f"epochs per run (default {BASE.epochs}, --quick 500)")
    parser.add_argument("--groups", nargs="+", choices=list(GROUPS), default=list(GROUPS),
                        help="which experiments to run")
    parser.add_argument("--jobs", type=positive_int, default=min(4, os.cpu_count() or 1),
                        help="worker processes")
    parser.add_argument("--no-plots", action="store_true", help="write no figures")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    seeds = args.seeds or (5 if args.quick else 10)
    epochs = args.epochs or (500 if args.quick else BASE.epochs)
    groups = list(dict.fromkeys(args.groups))
    configs = plan(groups, seeds, epochs)
    print(f"{len(configs)} runs: {len(groups)} group(s), {seeds} seed(s), {epochs} epochs, "
          f"{args.jobs} process(es)", flush=True)
    begin = time.perf_counter()
    runs = run_all(configs, args.jobs, stderr_is_terminal())
    seconds = time.perf_counter() - begin
    args.out.mkdir(parents=True, exist_ok=True)
    figures: dict[str, Path] = {}
    if not args.no_plots:
        for key in groups:
            figures[key] = plot_group(key, runs, seeds, epochs, args.out / f"{key}.png")
    report = write_report(groups, runs, seeds, epochs, seconds, args.jobs, figures,
                          args.out / "report.md")
    write_csv(runs, args.out / "results.csv")
    print(headline_table(groups, runs, seeds, epochs))
    print(f"\n{len(runs)} runs in {seconds:.1f} s; wrote {report}, "
          f"{args.out / 'results.csv'} and {len(figures)} figure(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
