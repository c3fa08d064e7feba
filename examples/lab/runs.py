"""One training run of the lab's network, described by a :class:`Setting`.

The classifier script (``two_layer_classifier.py``) is the lab's solution to read; this
module is its counterpart for experiments: every knob the sweeps and the five reports
turn is a field of :class:`Setting`, and :func:`run` trains one setting with one seed
through the examples' shared loop (:func:`_common.fit`) and keeps the numbers the tables
need.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import numpy as np
from _common import fit
from tqdm import tqdm

import tinygrad_lab as tl
from tinygrad_lab import Tensor, nn, optim

from . import knobs
from .knobs import ACTIVATIONS, INITS, LOSSES, OPTIMIZERS

DATASETS = ("linear", "xor", "xor4")
FRESH_SEED_OFFSET = 10_000  # the fresh linear test set of seed s is drawn with s + 10,000


@dataclass(frozen=True)
class Setting:
    """Everything that decides a training run (the seed aside).

    The defaults are those of ``two_layer_classifier.py``.
    """

    dataset: str = "xor"  # linear | xor | xor4 (the four corners of the unit square)
    hidden: tuple[int, int] = (4, 4)
    activation: str = "tanh"  # after each hidden layer
    output: str = "sigmoid"  # after the output layer: sigmoid, or "same" as the hidden ones
    bias: bool = True
    # xavier | default (PyTorch's), both drawn by the framework from tl.manual_seed(seed);
    # randn | uniform: weights N(0, 1) or U(0, 1) drawn in NumPy the hand-written way,
    # np.random.default_rng(seed), an (in, out) matrix per layer, in layer order; biases 0.
    init: str = "xavier"
    model: str = "mlp"  # mlp | conv (a Conv1d front layer instead of the first Linear)
    loss: str = "mse"  # mse | half-mse (½·mse) | bce
    reduction: str = "mean"  # mean | sum over a batch
    optimizer: str = "adam"  # sgd | adam | rmsprop | adagrad
    lr: float = 0.05
    momentum: float = 0.0
    lr_decay: float = 1.0  # lr × lr_decay after every epoch (ExponentialLR)
    # Report D's update: weight gradients summed over the batch, bias gradients averaged.
    # With a mean-reduced loss that is the weights' learning rate times the batch size
    # (exact when every batch is full, as in D's settings).
    weight_lr_times_batch: bool = False
    epochs: int = 1500
    batch_size: int = 0  # 0: the whole dataset
    shuffle: bool = True
    dtype: str = "float32"
    test: str = "train"  # train | fresh (a linear set drawn with seed + FRESH_SEED_OFFSET)

    def __post_init__(self) -> None:
        for name, allowed in (("dataset", DATASETS), ("activation", tuple(ACTIVATIONS)),
                              ("output", ("sigmoid", "same")),
                              ("init", INITS), ("model", ("mlp", "conv")), ("loss", LOSSES),
                              ("reduction", ("mean", "sum")), ("optimizer", tuple(OPTIMIZERS)),
                              ("dtype", ("float32", "float64")), ("test", ("train", "fresh"))):
            if getattr(self, name) not in allowed:
                raise ValueError(f"Setting: {name} must be one of {allowed}, "
                                 f"got {getattr(self, name)!r}")
        if self.model == "conv" and self.init in ("randn", "uniform"):
            raise ValueError("Setting: init randn/uniform is for the mlp model only")


@dataclass
class Run:
    """What one run keeps: its history and the trained network's numbers."""

    setting: Setting
    seed: int
    losses: np.ndarray  # each epoch's loss (mean of its batches' losses)
    accuracies: np.ndarray  # each epoch's fraction of points right, during training
    accuracy: float  # on the test points (the training points, or a fresh linear set)
    train_accuracy: float
    mse: float  # mean squared error on the training points
    mae: float  # mean absolute error on the training points
    last_batch_loss: float  # the loss of the last step (what report D prints)
    outputs: np.ndarray  # the trained network's outputs on the training points
    seconds: float
    diverged: str = ""  # why the run stopped early, if it did

    @property
    def epochs_to_100(self) -> float:
        """First epoch (1-based) in which every training point was right; NaN if none."""
        hits = np.flatnonzero(self.accuracies >= 1.0)
        return float(hits[0] + 1) if hits.size else math.nan


def load_data(name: str, seed: int, dtype: str) -> tuple[np.ndarray, np.ndarray]:
    """``X`` (n, 2) and ``y`` (n, 1) of a dataset; ``seed`` draws the linear one."""
    if name == "linear":
        X, y = tl.data.generate_linear(100, seed)
    elif name == "xor":
        X, y = tl.data.generate_xor_easy()
    else:  # the classic four-point XOR (report B)
        X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
        y = np.array([[0.0], [1.0], [1.0], [0.0]])
    return X.astype(dtype), y.astype(dtype)


class PointsAsSignal(nn.Module):
    """Reshape points ``(N, 2)`` into one-channel signals ``(N, 1, 2)`` for Conv1d."""

    def forward(self, x: Tensor) -> Tensor:
        return x.unsqueeze(1)


def build_network(s: Setting, seed: int) -> nn.Sequential:
    """The lab's network for ``s``, initialised from ``seed``.

    ``mlp``: Linear(2, H1) -> act -> Linear(H1, H2) -> act -> Linear(H2, 1) -> output act.
    ``conv``: the first Linear becomes ``Conv1d(1, H1, kernel_size=2, padding=1)`` over the
    two inputs seen as a signal of length 2 (three outputs per channel, 3·H1 features).
    """
    tl.manual_seed(seed)
    (h1, h2), act = s.hidden, ACTIVATIONS[s.activation]
    if s.model == "mlp":
        front: list[nn.Module] = [nn.Linear(2, h1, bias=s.bias, dtype=s.dtype)]
    else:
        front = [PointsAsSignal(), nn.Conv1d(1, h1, 2, padding=1, bias=s.bias, dtype=s.dtype),
                 nn.Flatten()]
    features = h1 if s.model == "mlp" else 3 * h1
    model = nn.Sequential(*front, act(), nn.Linear(features, h2, bias=s.bias, dtype=s.dtype),
                          act(), nn.Linear(h2, 1, bias=s.bias, dtype=s.dtype),
                          nn.Sigmoid() if s.output == "sigmoid" else act())
    knobs.init_weights(model, s.init, s.activation, seed)
    return model


def make_optimizer(s: Setting, model: nn.Module) -> optim.Optimizer:
    if s.weight_lr_times_batch:
        if s.optimizer != "sgd" or not s.batch_size:
            raise ValueError("Setting: weight_lr_times_batch needs sgd and a batch_size")
        weights = [p for name, p in model.named_parameters() if name.endswith("weight")]
        biases = [p for name, p in model.named_parameters() if name.endswith("bias")]
        groups = [{"params": weights, "lr": s.lr * s.batch_size}, {"params": biases}]
        return knobs.make_optimizer("sgd", [g for g in groups if g["params"]], s.lr,
                                    s.momentum)
    return knobs.make_optimizer(s.optimizer, model.parameters(), s.lr, s.momentum)


def loss_function(s: Setting) -> Callable[[Tensor, Tensor], Tensor]:
    return knobs.loss_function(s.loss, s.reduction)


def predict(model: nn.Module, X: np.ndarray) -> np.ndarray:
    with tl.no_grad():
        return model(Tensor(X)).numpy()


def run(s: Setting, seed: int) -> Run:
    """Train ``s`` once with ``seed`` (initial weights, linear data, batch order)."""
    begin = time.perf_counter()
    X, y = load_data(s.dataset, seed, s.dtype)
    model = build_network(s, seed)
    optimizer = make_optimizer(s, model)
    scheduler = (optim.lr_scheduler.ExponentialLR(optimizer, gamma=s.lr_decay)
                 if s.lr_decay != 1.0 else None)
    loss_fn = loss_function(s)
    data = tl.data.DataLoader(X, y, batch_size=s.batch_size or len(X), shuffle=s.shuffle,
                              seed=seed)
    right = [0]  # points right in this epoch's forward passes
    last: list[Tensor] = []  # the last step's loss

    def step(x: Tensor, y: Tensor) -> Tensor:
        optimizer.zero_grad()
        out = model(x)
        loss = loss_fn(out, y)
        loss.backward()
        optimizer.step()
        right[0] += int(((out.numpy() > 0.5) == (y.numpy() > 0.5)).sum())
        last[:] = [loss]
        return loss

    accuracies: list[float] = []

    def after_epoch(epoch: int, loss: float) -> None:
        accuracies.append(right[0] / len(X))
        right[0] = 0
        if scheduler is not None:
            scheduler.step()

    diverged = ""
    try:
        # One bar for the whole set of runs (run_all's), none per run.
        losses = fit(step, data, s.epochs, after_epoch, progress=False)
    except FloatingPointError as err:
        diverged, losses = str(err), []
    losses_array = np.full(s.epochs, np.nan)
    losses_array[:len(losses)] = losses
    accuracy_array = np.full(s.epochs, np.nan)
    accuracy_array[:len(accuracies)] = accuracies[:s.epochs]
    if diverged:
        nan = math.nan
        return Run(s, seed, losses_array, accuracy_array, nan, nan, nan, nan, nan,
                   np.full((len(X), 1), np.nan), time.perf_counter() - begin, diverged)

    outputs = predict(model, X)
    test_seed = seed + FRESH_SEED_OFFSET if s.test == "fresh" else seed
    X_test, y_test = load_data(s.dataset, test_seed, s.dtype)
    test_outputs = predict(model, X_test)
    return Run(
        setting=s, seed=seed, losses=losses_array, accuracies=accuracy_array,
        accuracy=float(((test_outputs > 0.5) == (y_test > 0.5)).mean()),
        train_accuracy=float(((outputs > 0.5) == (y > 0.5)).mean()),
        mse=float(((outputs - y) ** 2).mean()), mae=float(np.abs(outputs - y).mean()),
        last_batch_loss=last[0].item(), outputs=outputs, seconds=time.perf_counter() - begin,
    )


def _run_task(task: tuple[Setting, int]) -> Run:
    return run(*task)  # module level, so worker processes can call it


def run_all(tasks: list[tuple[Setting, int]], jobs: int = 1) -> dict[tuple[Setting, int], Run]:
    """Run every ``(setting, seed)`` once, in ``jobs`` worker processes; a progress bar on
    a terminal counts the runs."""
    tasks = list(dict.fromkeys(tasks))  # each distinct run once
    results: list[Run] = []
    with tqdm(total=len(tasks), desc="runs", disable=None, leave=False) as bar:
        if jobs > 1:
            with ProcessPoolExecutor(max_workers=jobs) as pool:
                for result in pool.map(_run_task, tasks):
                    results.append(result)
                    bar.update()
        else:
            for task in tasks:
                results.append(run(*task))
                bar.update()
    return dict(zip(tasks, results, strict=True))
