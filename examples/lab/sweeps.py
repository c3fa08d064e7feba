"""The lab's discussion as sweeps: change one thing at a time from the classifier's
defaults (learning rate, hidden size, activation, optimizer, loss, a conv front layer),
train on both datasets over several seeds, and tabulate and plot the results."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
from _common import plt, save_figure

from .runs import Run, Setting
from .tables import markdown_table, mean_spread

DATASETS = ("linear", "xor")
BASE = Setting()  # the classifier's defaults: tanh, Xavier, MSE, Adam lr 0.05, 1500 epochs
LAB_RECIPE = dict(activation="sigmoid", optimizer="sgd", lr=1.0, init="default")

# group key -> (title, [(setting label, changes from BASE)]).
GROUPS: dict[str, tuple[str, list[tuple[str, dict[str, Any]]]]] = {
    "recipe": ("The lab's recipe against the classifier's defaults", [
        ("lab: sigmoid, MSE, SGD lr 1, PyTorch init", LAB_RECIPE),
        ("lab recipe with Xavier init", {**LAB_RECIPE, "init": "xavier"}),
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
        (name, dict(activation=name))
        for name in ("sigmoid", "tanh", "relu", "leaky_relu", "none")
    ]),
    "optimizer": ("Optimizer, each at the classifier's default learning rate for it", [
        ("sgd (lr 1)", dict(optimizer="sgd", lr=1.0)),
        ("sgd, momentum 0.9 (lr 0.1)", dict(optimizer="sgd", lr=0.1, momentum=0.9)),
        ("adam (lr 0.05)", dict(optimizer="adam", lr=0.05)),
        ("rmsprop (lr 0.01)", dict(optimizer="rmsprop", lr=0.01)),
        ("adagrad (lr 0.1)", dict(optimizer="adagrad", lr=0.1)),
    ]),
    "loss": ("Loss: MSE against binary cross-entropy, both on the sigmoid's output", [
        ("mse", dict(loss="mse")), ("bce", dict(loss="bce")),
    ]),
    "model": ("Front layer: Linear(2, 4) against Conv1d(1, 4, kernel_size=2, padding=1)", [
        ("mlp", dict(model="mlp")), ("conv", dict(model="conv")),
    ]),
}


def setting_of(changes: dict[str, Any], dataset: str, epochs: int) -> Setting:
    return replace(BASE, dataset=dataset, epochs=epochs, **changes)


def plan(groups: Sequence[str], seeds: int, epochs: int) -> list[tuple[Setting, int]]:
    """Every ``(setting, seed)`` the chosen groups need (shared settings listed once)."""
    tasks = [(setting_of(changes, dataset, epochs), seed)
             for key in groups for _, changes in GROUPS[key][1]
             for dataset in DATASETS for seed in range(seeds)]
    return list(dict.fromkeys(tasks))


def _runs(runs: dict[tuple[Setting, int], Run], changes: dict[str, Any], dataset: str,
          seeds: int, epochs: int) -> list[Run]:
    setting = setting_of(changes, dataset, epochs)
    return [runs[setting, seed] for seed in range(seeds)]


def _cells(setting_runs: list[Run]) -> dict[str, str]:
    accuracy = np.array([r.accuracy for r in setting_runs])
    return {
        "accuracy %": mean_spread(accuracy, "{:.1f}", scale=100, missing="diverged"),
        "runs at 100%": f"{int((accuracy == 1).sum())}/{len(setting_runs)}",
        "final loss": mean_spread([r.losses[-1] for r in setting_runs], "{:.2g}",
                                  missing="diverged"),
        "epochs to 100%": mean_spread([r.epochs_to_100 for r in setting_runs], "{:.0f}"),
        "diverged": str(sum(bool(r.diverged) for r in setting_runs)),
    }


def group_table(key: str, runs: dict[tuple[Setting, int], Run], seeds: int,
                epochs: int) -> str:
    headers = ["setting", "dataset", "accuracy %", "runs at 100%", "final loss",
               "epochs to 100%"]
    if any(r.diverged for r in runs.values()):
        headers.append("diverged")
    rows = []
    for label, changes in GROUPS[key][1]:
        for dataset in DATASETS:
            cells = _cells(_runs(runs, changes, dataset, seeds, epochs))
            rows.append([label, dataset, *(cells[h] for h in headers[2:])])
    return markdown_table(headers, rows)


def headline_table(groups: Sequence[str], runs: dict[tuple[Setting, int], Run], seeds: int,
                   epochs: int) -> str:
    headers = ["group", "setting"]
    for dataset in DATASETS:
        headers += [f"{dataset} accuracy %", f"{dataset} epochs to 100%"]
    rows = []
    for key in groups:
        for label, changes in GROUPS[key][1]:
            row = [key, label]
            for dataset in DATASETS:
                cells = _cells(_runs(runs, changes, dataset, seeds, epochs))
                row += [cells["accuracy %"], cells["epochs to 100%"]]
            rows.append(row)
    return markdown_table(headers, rows)


def plot_group(key: str, runs: dict[tuple[Setting, int], Run], seeds: int, epochs: int,
               path: Path) -> Path:
    """Each setting's learning curve (median over seeds, interquartile band), per dataset."""
    title, settings = GROUPS[key]
    fig, axes = plt.subplots(1, len(DATASETS), figsize=(11, 4), sharey=True)
    x = np.arange(1, epochs + 1)
    colors = plt.get_cmap("viridis")(np.linspace(0, 0.9, len(settings)))
    for ax, dataset in zip(axes, DATASETS, strict=True):
        for (label, changes), color in zip(settings, colors, strict=True):
            curves = np.stack([r.losses for r in _runs(runs, changes, dataset, seeds, epochs)])
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


def report_section(groups: Sequence[str], runs: dict[tuple[Setting, int], Run], seeds: int,
                   epochs: int, figures: dict[str, Path]) -> list[str]:
    """The sweeps' part of report.md."""
    lines = [
        "## Sweeps: one change at a time",
        "",
        f"Every setting changes one thing from the classifier's defaults: "
        f"2-{BASE.hidden[0]}-{BASE.hidden[1]}-1 MLP, {BASE.activation} hidden layers, "
        f"{BASE.loss.upper()} loss on the sigmoid's output, {BASE.optimizer} with lr "
        f"{BASE.lr:g}, {BASE.init} initialisation, full-batch, {epochs} epochs, "
        f"{seeds} seed(s) (0–{seeds - 1}). A seed fixes the initial weights and the "
        "linear dataset's 100 points; XOR is always the same 21 points.",
        "",
        "Numbers are mean ± standard deviation over the seeds. *accuracy* is the trained "
        "network's accuracy on its dataset; *final loss* the last epoch's loss; *epochs to "
        "100%* the first epoch in which every point was classified correctly, averaged over "
        "the seeds that got there (the others are counted as \"never\").",
        "",
        "### Headline",
        "",
        headline_table(groups, runs, seeds, epochs),
        "",
    ]
    for key in groups:
        title = GROUPS[key][0]
        lines += [f"### {title}", "", group_table(key, runs, seeds, epochs), ""]
        if key in figures:
            lines += [f"![{title}]({figures[key].name})", ""]
    return lines
