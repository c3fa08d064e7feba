"""The lab's classifier: a network with two hidden layers (2 -> H1 -> H2 -> 1) trained
with backpropagation on the "linear" (100 random points) and "XOR" (21 points) datasets.

    python examples/two_layer_classifier.py                      # both datasets, defaults
    python examples/two_layer_classifier.py --dataset xor --activation sigmoid \\
        --optimizer sgd --lr 1 --epochs 5000                     # the lab's original recipe
    python examples/two_layer_classifier.py --model conv         # Conv1d front layer

It prints the loss every ``--log-every`` epochs (and a progress bar on a terminal), the
testing predictions and the accuracy, and writes three PNG figures per dataset into
``--out``: the learning curve, ground truth beside prediction, and the decision boundary.

Defaults. The lab used sigmoid + MSE + plain gradient descent. With PyTorch's default
initialisation that recipe leaves XOR stuck for a few seeds in ten: a local minimum that
gives up the point (0.5, 0.5), where the two diagonals cross (accuracy 95.2%), and it
needs thousands of epochs for the linear points that lie close to the diagonal. The
defaults here (tanh hidden layers, Xavier-normal initialisation with tanh's gain, Adam
with lr 0.05, 1500 full-batch epochs, still MSE) reach 100% on both datasets for every
seed from 0 to 9 in well under a second per dataset. ``examples/lab_experiments.py``
measures all those choices over several seeds.

The training function :func:`train` is the one ``lab_experiments.py`` imports.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))  # for _common, run as a script

from _common import (  # noqa: E402
    check_mark,
    nonnegative_int,
    plt,
    positive_float,
    positive_int,
    progress,
    save_figure,
    stderr_is_terminal,
)

import tinygrad_lab as tl  # noqa: E402
import tinygrad_lab.nn.functional as F  # noqa: E402
from tinygrad_lab import Tensor, nn, optim  # noqa: E402

DATASETS = ("linear", "xor")
ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu", "none")
LOSSES = ("mse", "bce")
OPTIMIZERS = ("sgd", "momentum", "adam", "rmsprop")
MODELS = ("mlp", "conv")
INITS = ("xavier", "default")

# Each optimizer's learning rate when --lr is not given: a value that trains the default
# network well in the default number of epochs (measured by lab_experiments.py).
DEFAULT_LR = {"sgd": 1.0, "momentum": 0.1, "adam": 0.05, "rmsprop": 0.01}

# The names nn.init.calculate_gain knows the activations by; "none" is a linear layer.
_GAIN_NAME = {"sigmoid": "sigmoid", "tanh": "tanh", "relu": "relu",
              "leaky_relu": "leaky_relu", "none": "linear"}


@dataclass(frozen=True)
class Config:
    """Everything that decides a training run (the command-line flags, minus output)."""

    dataset: str = "xor"
    hidden: tuple[int, int] = (4, 4)
    activation: str = "tanh"
    loss: str = "mse"
    optimizer: str = "adam"
    lr: float | None = None  # None: DEFAULT_LR[optimizer]
    epochs: int = 1500
    batch_size: int | None = None  # None: the whole dataset in one batch
    seed: int = 0
    model: str = "mlp"
    init: str = "xavier"

    def __post_init__(self) -> None:
        for name, allowed in (("dataset", DATASETS), ("activation", ACTIVATIONS),
                              ("loss", LOSSES), ("optimizer", OPTIMIZERS),
                              ("model", MODELS), ("init", INITS)):
            value = getattr(self, name)
            if value not in allowed:
                raise ValueError(f"Config: {name} must be one of {allowed}, got {value!r}")
        if len(self.hidden) != 2 or min(self.hidden) < 1:
            raise ValueError(f"Config: hidden must be two positive sizes, got {self.hidden}")
        object.__setattr__(self, "hidden", tuple(int(h) for h in self.hidden))

    @property
    def learning_rate(self) -> float:
        return DEFAULT_LR[self.optimizer] if self.lr is None else float(self.lr)


class Diverged(RuntimeError):
    """The loss became NaN or Inf: training cannot go on."""

    def __init__(self, config: Config, epoch: int, value: float, what: str = "loss") -> None:
        self.config, self.epoch, self.value = config, epoch, value
        kind = "NaN" if math.isnan(value) else "Inf"
        if what != "loss":
            kind = "NaN or Inf"
        lr = config.learning_rate
        super().__init__(
            f"the {what} became {kind} at epoch {epoch} on the {config.dataset} dataset "
            f"(--optimizer {config.optimizer} --lr {lr:g}): training diverged. "
            f"The learning rate is too large for this setting; try a smaller one, "
            f"e.g. --lr {lr / 10:g}"
        )


@dataclass
class TrainResult:
    """What :func:`train` returns: the trained model and its history."""

    config: Config
    model: nn.Module
    optimizer: optim.Optimizer
    X: np.ndarray
    y: np.ndarray
    losses: np.ndarray  # mean training loss of each epoch (the whole history if resumed)
    accuracies: np.ndarray  # fraction correct during each epoch's forward passes
    probabilities: np.ndarray  # the trained model's P(label 1) for every point
    final_loss: float  # loss of the trained model on the whole dataset
    seconds: float
    start_epoch: int = 0  # >0 when resumed from a checkpoint
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def predictions(self) -> np.ndarray:
        """Rounded predictions (0 or 1); a probability of exactly 0.5 rounds to 0."""
        return (self.probabilities > 0.5).astype(np.int64)

    @property
    def accuracy(self) -> float:
        """Accuracy of the trained model on the dataset (the lab's "testing" accuracy)."""
        return float((self.predictions == self.y.astype(np.int64)).mean())

    @property
    def epochs_to_100(self) -> int | None:
        """First epoch (1-based) in which every point was classified correctly."""
        hits = np.flatnonzero(self.accuracies >= 1.0)
        return int(hits[0]) + 1 if hits.size else None


# --------------------------------------------------------------------------------- data


def make_dataset(name: str, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The lab's data as float32 arrays ``X (n, 2)``, ``y (n, 1)``.

    The linear dataset is drawn with ``seed``; XOR has no randomness.
    """
    if name == "linear":
        X, y = tl.data.generate_linear(n=100, seed=seed)
    elif name == "xor":
        X, y = tl.data.generate_xor_easy()
    else:
        raise ValueError(f"make_dataset: unknown dataset {name!r}; choose from {DATASETS}")
    return X.astype(np.float32), y.astype(np.float32)


# -------------------------------------------------------------------------------- model


def _activation(name: str) -> nn.Module:
    return {"sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "relu": nn.ReLU,
            "leaky_relu": nn.LeakyReLU, "none": nn.Identity}[name]()


class PointsAsSignal(nn.Module):
    """Reshape points ``(N, 2)`` into one-channel signals ``(N, 1, 2)`` for Conv1d."""

    def forward(self, x: Tensor) -> Tensor:
        return x.unsqueeze(1)


def build_model(config: Config) -> nn.Module:
    """The network, ending in one raw score (logit) per point; P(label 1) = sigmoid(logit).

    ``mlp``:  Linear(2, H1) -> act -> Linear(H1, H2) -> act -> Linear(H2, 1)

    ``conv``: the first Linear is replaced by ``Conv1d(1, H1, kernel_size=2, padding=1)``
    over the two inputs seen as a signal of length 2. With the padding the kernel sees
    ``(0, x1)``, ``(x1, x2)`` and ``(x2, 0)``: three outputs per channel that share one
    kernel, flattened to ``3 * H1`` features.

    Draws the initial weights from the framework generator (seed it with
    ``tl.manual_seed``). ``init="xavier"`` re-draws the weights Xavier-normal with the
    gain of the activation and zeroes the biases; ``"default"`` keeps PyTorch's default
    initialisation of the layers.
    """
    h1, h2 = config.hidden
    if config.model == "mlp":
        front: list[nn.Module] = [nn.Linear(2, h1)]
        features = h1
    else:
        front = [PointsAsSignal(), nn.Conv1d(1, h1, kernel_size=2, padding=1), nn.Flatten()]
        features = 3 * h1
    model = nn.Sequential(
        *front, _activation(config.activation),
        nn.Linear(features, h2), _activation(config.activation),
        nn.Linear(h2, 1),
    )
    if config.init == "xavier":
        gain = nn.init.calculate_gain(_GAIN_NAME[config.activation])
        for module in model.modules():
            if isinstance(module, (nn.Linear, nn.Conv1d)):
                # The output layer feeds a sigmoid (or the BCE's), whose gain is 1.
                last = module is model[len(model) - 1]
                nn.init.xavier_normal_(module.weight, gain=1.0 if last else gain)
                nn.init.zeros_(module.bias)
    return model


def make_optimizer(config: Config, params: Any) -> optim.Optimizer:
    lr = config.learning_rate
    if config.optimizer == "sgd":
        return optim.SGD(params, lr=lr)
    if config.optimizer == "momentum":
        return optim.SGD(params, lr=lr, momentum=0.9)
    if config.optimizer == "adam":
        return optim.Adam(params, lr=lr)
    return optim.RMSprop(params, lr=lr)


def loss_from_logits(config: Config, logits: Tensor, target: Tensor) -> Tensor:
    """MSE on the sigmoid's probabilities (the lab's loss), or binary cross-entropy
    computed from the logits in one numerically stable op."""
    if config.loss == "mse":
        return F.mse_loss(logits.sigmoid(), target)
    return F.binary_cross_entropy_with_logits(logits, target)


def predict_proba(model: nn.Module, X: np.ndarray) -> np.ndarray:
    """P(label 1) for every row of ``X``, shape ``(n, 1)``, without recording a graph."""
    with tl.no_grad():
        return model(Tensor(X)).sigmoid().numpy()


# ----------------------------------------------------------------------------- training


def train(
    config: Config,
    *,
    log_every: int = 0,
    show_progress: bool = False,
    resume: dict[str, Any] | None = None,
    out: Any = print,
) -> TrainResult:
    """Build the data, model and optimizer that ``config`` describes and train.

    Parameters
    ----------
    config : Config
    log_every : int
        Print the loss every this many epochs (0: never).
    show_progress : bool
        Show a tqdm progress bar (the caller decides whether there is a terminal).
    resume : dict, optional
        One dataset's entry of a checkpoint written by :func:`checkpoint_entry`: model
        and optimizer state, the epoch reached and the history. Training goes on from
        that epoch up to ``config.epochs``.
    out : callable
        Where log lines go (``print``).

    Raises
    ------
    Diverged
        When the loss becomes NaN or Inf.
    """
    tl.manual_seed(config.seed)
    X, y = make_dataset(config.dataset, config.seed)
    model = build_model(config)
    optimizer = make_optimizer(config, model.parameters())
    losses = np.full(config.epochs, np.nan)
    accuracies = np.full(config.epochs, np.nan)
    start = 0
    if resume is not None:
        model.load_state_dict(resume["model"])
        optimizer.load_state_dict(resume["optimizer"])
        for group in optimizer.param_groups:  # a new --lr wins over the saved one
            group["lr"] = config.learning_rate
        start = min(int(resume["epoch"]), config.epochs)
        done = min(start, len(resume["losses"]))
        losses[:done] = np.asarray(resume["losses"])[:done]
        accuracies[:done] = np.asarray(resume["accuracies"])[:done]

    full_batch = config.batch_size is None or config.batch_size >= len(X)
    if full_batch:
        batches = [(Tensor(X), Tensor(y))]
    else:
        batches = tl.data.DataLoader(X, y, batch_size=config.batch_size, shuffle=True,
                                     seed=config.seed)
    bar = progress(range(start, config.epochs), total=config.epochs - start,
                   desc=f"{config.dataset:>6}", enabled=show_progress)
    write = bar.write if show_progress else out
    begin = time.perf_counter()
    try:
        # Overflow inside NumPy is reported by the NaN/Inf check below, with advice,
        # instead of as a stream of RuntimeWarnings.
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            for epoch in bar:
                total = correct = 0.0
                for xb, yb in batches:
                    optimizer.zero_grad()
                    logits = model(xb)
                    loss = loss_from_logits(config, logits, yb)
                    loss.backward()
                    optimizer.step()
                    value = loss.item()
                    if not math.isfinite(value):
                        raise Diverged(config, epoch + 1, value)
                    total += value * len(xb.data)
                    # logit > 0 exactly when sigmoid(logit) > 0.5
                    correct += float(((logits.data > 0) == (yb.data > 0.5)).sum())
                losses[epoch] = total / len(X)
                accuracies[epoch] = correct / len(X)
                if log_every and ((epoch + 1) % log_every == 0 or epoch + 1 == config.epochs):
                    write(f"[{config.dataset}] epoch {epoch + 1:>{len(str(config.epochs))}}"
                          f"/{config.epochs}  loss {losses[epoch]:.6g}  "
                          f"accuracy {100 * accuracies[epoch]:6.2f}%")
                    bar.set_postfix_str(f"loss {losses[epoch]:.4g}")
            probabilities = predict_proba(model, X)
            with tl.no_grad():
                final_loss = loss_from_logits(config, model(Tensor(X)), Tensor(y)).item()
    finally:
        bar.close()
    # A weight can overflow to Inf while the loss stays finite (a saturated sigmoid):
    # that model is as broken as a NaN loss, so it is reported the same way.
    broken = [p for p in model.parameters() if not np.isfinite(p.data).all()]
    if broken or not (np.isfinite(probabilities).all() and math.isfinite(final_loss)):
        raise Diverged(config, config.epochs, float("nan"), what="weights" if broken else "loss")
    return TrainResult(
        config=config, model=model, optimizer=optimizer, X=X, y=y, losses=losses,
        accuracies=accuracies, probabilities=probabilities, final_loss=final_loss,
        seconds=time.perf_counter() - begin, start_epoch=start,
    )


# --------------------------------------------------------------------------- checkpoints

# Settings that must match between a checkpoint and the run that resumes it: they decide
# the shapes of the state or the data it was trained on.
_RESUME_MUST_MATCH = ("model", "hidden", "activation", "loss", "optimizer", "seed", "init")


def checkpoint_entry(result: TrainResult) -> dict[str, Any]:
    """One dataset's part of a checkpoint: model + optimizer state, epoch and history."""
    return {
        "model": result.model.state_dict(),
        "optimizer": result.optimizer.state_dict(),
        "epoch": result.config.epochs,
        "losses": result.losses,
        "accuracies": result.accuracies,
    }


def config_for_checkpoint(config: Config) -> dict[str, Any]:
    saved = asdict(config)
    saved["hidden"] = list(config.hidden)
    saved.pop("dataset")
    return {k: v for k, v in saved.items() if v is not None}


def check_resumable(checkpoint: Any, config: Config, path: str) -> None:
    """Raise ValueError, naming the flag, when ``checkpoint`` can't continue ``config``."""
    if not isinstance(checkpoint, dict) or checkpoint.get("format") != "two_layer_classifier":
        raise ValueError(f"--resume {path}: not a checkpoint written by this script's --save")
    saved = checkpoint["config"]
    for key in _RESUME_MUST_MATCH:
        ours = config_for_checkpoint(config).get(key)
        if saved.get(key) != ours:
            shown = " ".join(map(str, saved.get(key))) if key == "hidden" else saved.get(key)
            raise ValueError(
                f"--resume {path}: the checkpoint was trained with --{key} {shown}, this "
                f"run asks for {ours}; pass the same --{key} to continue it"
            )
    if config.dataset not in checkpoint["runs"]:
        raise ValueError(
            f"--resume {path}: the checkpoint has no {config.dataset} run (it has "
            f"{', '.join(checkpoint['runs'])})"
        )


# ------------------------------------------------------------------------------ figures


def plot_learning_curve(result: TrainResult, path: Path) -> Path:
    """Loss against epoch, log scale, with the first epoch at 100% accuracy marked."""
    fig, ax = plt.subplots(figsize=(6, 3.8))
    epochs = np.arange(1, len(result.losses) + 1)
    ax.semilogy(epochs, result.losses, color="tab:blue", lw=1.5, label="training loss")
    first = result.epochs_to_100
    if first is not None:
        ax.axvline(first, color="tab:green", ls=":", lw=1.2,
                   label=f"first 100% accuracy (epoch {first})")
    if result.start_epoch:
        ax.axvline(result.start_epoch, color="gray", ls="--", lw=1, label="resumed")
    cfg = result.config
    ax.set(xlabel="epoch", ylabel=f"{cfg.loss.upper()} loss (log scale)",
           title=f"Learning curve — {cfg.dataset} ({cfg.activation}, {cfg.optimizer}, "
                 f"lr {cfg.learning_rate:g})")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(loc="upper right", fontsize=8)
    return save_figure(fig, path)


def _scatter(ax: Any, X: np.ndarray, labels: np.ndarray, title: str) -> None:
    # The lab's colours: red for label 0, blue for label 1.
    for value, color in ((0, "red"), (1, "blue")):
        mask = labels.reshape(-1) == value
        ax.scatter(X[mask, 0], X[mask, 1], c=color, s=28, edgecolors="k", linewidths=0.3,
                   label=f"label {value}")
    ax.set(title=title, xlabel="$x_1$", ylabel="$x_2$", aspect="equal")
    ax.set_xlim(-0.08, 1.08)
    ax.set_ylim(-0.08, 1.08)


def plot_comparison(result: TrainResult, path: Path) -> Path:
    """The lab's comparison figure: ground truth beside the prediction."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(8.4, 4.2))
    truth = result.y.astype(np.int64)
    _scatter(left, result.X, truth, "Ground truth")
    _scatter(right, result.X, result.predictions,
             f"Prediction (accuracy {100 * result.accuracy:.1f}%)")
    wrong = (result.predictions != truth).reshape(-1)
    if wrong.any():
        right.scatter(result.X[wrong, 0], result.X[wrong, 1], s=140, facecolors="none",
                      edgecolors="black", linewidths=1.2, label="wrong")
    right.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=3, fontsize=8)
    fig.suptitle(f"{result.config.dataset} dataset")
    return save_figure(fig, path)


def plot_decision_boundary(result: TrainResult, path: Path) -> Path:
    """P(label 1) over the square, the 0.5 contour, and the data on top."""
    grid = np.linspace(-0.1, 1.1, 241, dtype=np.float32)
    gx, gy = np.meshgrid(grid, grid)
    points = np.stack([gx.ravel(), gy.ravel()], axis=1)
    proba = predict_proba(result.model, points).reshape(gx.shape)
    fig, ax = plt.subplots(figsize=(5.2, 4.4))
    image = ax.contourf(gx, gy, proba, levels=np.linspace(0, 1, 21), cmap="RdBu", alpha=0.75)
    ax.contour(gx, gy, proba, levels=[0.5], colors="k", linewidths=1.2)
    fig.colorbar(image, ax=ax, label="P(label 1)")
    _scatter(ax, result.X, result.y.astype(np.int64),
             f"Decision boundary — {result.config.dataset}")
    ax.set_xlim(-0.1, 1.1)
    ax.set_ylim(-0.1, 1.1)
    return save_figure(fig, path)


def write_figures(result: TrainResult, out_dir: Path) -> list[Path]:
    name = result.config.dataset
    return [
        plot_learning_curve(result, out_dir / f"{name}_learning_curve.png"),
        plot_comparison(result, out_dir / f"{name}_comparison.png"),
        plot_decision_boundary(result, out_dir / f"{name}_decision_boundary.png"),
    ]


# ------------------------------------------------------------------------------ reports


def format_predictions(result: TrainResult) -> str:
    """The testing predictions, one row per point, then the accuracy."""
    lines = [f"{'#':>4}  {'x1':>6}  {'x2':>6}  {'target':>6}  {'prediction':>10}  "
             f"{'rounded':>7}  correct"]
    truth = result.y.astype(np.int64).reshape(-1)
    for i, (x, t, p, r) in enumerate(zip(result.X, truth, result.probabilities.reshape(-1),
                                         result.predictions.reshape(-1), strict=True)):
        lines.append(f"{i:>4}  {x[0]:6.3f}  {x[1]:6.3f}  {t:>6d}  {p:10.5f}  {r:>7d}  "
                     f"{check_mark(bool(r == t))}")
    n_right = int((result.predictions.reshape(-1) == truth).sum())
    lines.append(f"accuracy: {100 * result.accuracy:.2f}% ({n_right}/{len(truth)})")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------- CLI


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description="Train the lab's two-hidden-layer classifier (2 -> H1 -> H2 -> 1).",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--dataset", choices=(*DATASETS, "both"), default="both")
    parser.add_argument("--hidden", nargs=2, type=positive_int, default=[4, 4],
                        metavar=("H1", "H2"), help="units in the two hidden layers")
    parser.add_argument("--activation", choices=ACTIVATIONS, default="tanh",
                        help="hidden-layer activation ('none': linear layers)")
    parser.add_argument("--loss", choices=LOSSES, default="mse",
                        help="mse on sigmoid outputs, or binary cross-entropy on logits")
    parser.add_argument("--optimizer", choices=OPTIMIZERS, default="adam",
                        help="sgd: plain gradient descent; momentum: SGD with momentum 0.9")
    parser.add_argument("--lr", type=positive_float, default=None,
                        help="learning rate (default per optimizer: "
                        + ", ".join(f"{k} {v:g}" for k, v in DEFAULT_LR.items()) + ")")
    parser.add_argument("--epochs", type=positive_int, default=1500)
    parser.add_argument("--batch-size", type=positive_int, default=None,
                        help="mini-batch size (default: the whole dataset)")
    parser.add_argument("--seed", type=nonnegative_int, default=0,
                        help="seeds the initial weights and the linear dataset")
    parser.add_argument("--log-every", type=nonnegative_int, default=None,
                        help="print the loss every N epochs (default: epochs/10; 0: never)")
    parser.add_argument("--model", choices=MODELS, default="mlp",
                        help="conv: a Conv1d front layer over the two inputs")
    parser.add_argument("--init", choices=INITS, default="xavier",
                        help="xavier: Xavier-normal weights with the activation's gain and "
                        "zero biases; default: the layers' PyTorch initialisation")
    parser.add_argument("--out", type=Path, default=Path("runs/two_layer_classifier"),
                        help="folder for the figures")
    parser.add_argument("--no-plots", action="store_true", help="write no figures")
    parser.add_argument("--save", metavar="CHECKPOINT", type=Path,
                        help="save model, optimizer state and history (.npz) after training")
    parser.add_argument("--resume", metavar="CHECKPOINT", type=Path,
                        help="continue a run saved with --save up to --epochs")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    datasets = DATASETS if args.dataset == "both" else (args.dataset,)
    log_every = max(1, args.epochs // 10) if args.log_every is None else args.log_every
    show_progress = stderr_is_terminal()

    checkpoint = None
    if args.resume is not None:
        try:
            checkpoint = tl.load(args.resume)
        except (OSError, ValueError) as err:
            parser.error(f"--resume: {err}")

    results: dict[str, TrainResult] = {}
    for name in datasets:
        config = Config(dataset=name, hidden=tuple(args.hidden), activation=args.activation,
                        loss=args.loss, optimizer=args.optimizer, lr=args.lr,
                        epochs=args.epochs, batch_size=args.batch_size, seed=args.seed,
                        model=args.model, init=args.init)
        resume = None
        if checkpoint is not None:
            try:
                check_resumable(checkpoint, config, str(args.resume))
            except ValueError as err:
                parser.error(str(err))
            resume = checkpoint["runs"][name]
        print(f"== {name} dataset: {config.model} 2-{config.hidden[0]}-{config.hidden[1]}-1, "
              f"{config.activation}, {config.loss} loss, {config.optimizer} "
              f"lr {config.learning_rate:g}, {config.epochs} epochs, "
              f"batch {config.batch_size or 'full'}, seed {config.seed}", flush=True)
        try:
            result = train(config, log_every=log_every, show_progress=show_progress,
                           resume=resume)
        except Diverged as err:
            print(f"error: {err}", file=sys.stderr)
            return 1
        if result.start_epoch:
            print(f"resumed from epoch {result.start_epoch} of {args.resume}")
        print(f"trained in {result.seconds:.2f} s; final loss {result.final_loss:.6g}")
        print("testing predictions:")
        print(format_predictions(result), flush=True)
        results[name] = result

    if args.save is not None:
        runs = {name: checkpoint_entry(r) for name, r in results.items()}
        if checkpoint is not None:  # keep the other dataset's run when resuming one
            runs = {**checkpoint["runs"], **runs}
        first = next(iter(results.values())).config
        tl.save({"format": "two_layer_classifier",
                 "config": config_for_checkpoint(first),
                 "runs": runs}, args.save)
        print(f"saved checkpoint {args.save}")
    if not args.no_plots:
        for result in results.values():
            for path in write_figures(result, args.out):
                print(f"wrote {path}")
    summary = ", ".join(f"{n} {100 * r.accuracy:.2f}%" for n, r in results.items())
    print(f"accuracy: {summary}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
