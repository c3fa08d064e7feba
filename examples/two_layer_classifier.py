"""The lab: a network with two hidden layers (2 -> H1 -> H2 -> 1) trained with
backpropagation on the "linear" (100 random points) and "XOR" (21 points) datasets. It
prints the loss while it trains, the testing predictions and the accuracy, and writes the
learning curve, ground truth beside prediction and the decision boundary into --out. The
defaults reach 100% on both datasets for every seed from 0 to 9. Each flag is one of the
lab's knobs; what its values build (activations, initial weights, loss, optimizer) is in
lab/knobs.py, shared with the experiments (lab_experiments.py).

    python examples/two_layer_classifier.py                      # both datasets
    python examples/two_layer_classifier.py --dataset xor --activation sigmoid \\
        --init default --optimizer sgd --lr 1 --epochs 20000     # the lab's own recipe
    python examples/two_layer_classifier.py --compile            # the same, compiled
"""

import argparse
import sys
from functools import partial
from pathlib import Path

import numpy as np
from _common import fit, lab_figures, nonnegative_int, positive_float, positive_int, print_table
from lab import knobs

import tinygrad_lab as tl
from tinygrad_lab import Tensor, nn, optim


def load_data(name: str, seed: int, dtype: str) -> tuple[np.ndarray, np.ndarray]:
    """The lab's points ``X`` (n, 2) and labels ``y`` (n, 1); ``seed`` draws the linear set."""
    X, y = tl.data.generate_linear(100, seed) if name == "linear" else tl.data.generate_xor_easy()
    return X.astype(dtype), y.astype(dtype)


def build_model(args: argparse.Namespace) -> nn.Sequential:
    """2 -> H1 -> H2 -> 1, the activation after each hidden layer, a sigmoid at the end."""
    (h1, h2), activation = args.hidden, knobs.ACTIVATIONS[args.activation]
    bias, dtype = not args.no_bias, args.dtype
    model = nn.Sequential(nn.Linear(2, h1, bias=bias, dtype=dtype), activation(),
                          nn.Linear(h1, h2, bias=bias, dtype=dtype), activation(),
                          nn.Linear(h2, 1, bias=bias, dtype=dtype), nn.Sigmoid())
    knobs.init_weights(model, args.init, args.activation, args.seed)  # --init
    return model


def train(model: nn.Module, optimizer: optim.Optimizer, X: np.ndarray, y: np.ndarray,
          args: argparse.Namespace, name: str = "") -> list[float]:
    """Train on ``(X, y)`` for ``args.epochs`` epochs; returns each epoch's loss."""
    loss_fn = knobs.loss_function(args.loss, args.reduction)
    data = tl.data.DataLoader(X, y, batch_size=args.batch_size or len(X),
                              shuffle=not args.no_shuffle, seed=args.seed)
    decay = args.lr_decay and optim.lr_scheduler.ExponentialLR(optimizer, gamma=args.lr_decay)

    @tl.compile(disable=not args.compile)  # --compile: traced once, then replayed as NumPy
    def step(x: Tensor, y: Tensor) -> Tensor:
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        return loss

    def after_epoch(epoch: int, loss: float) -> str | None:
        lr = optimizer.param_groups[0]["lr"]  # the lr this epoch trained with
        if decay:
            decay.step()  # lr × GAMMA after every epoch
        if (epoch + 1) % max(1, args.epochs // 10) == 0:  # ten lines in all
            return f"[{name}] epoch {epoch + 1}/{args.epochs}  loss {loss:.6g}  lr {lr:.4g}"
        return None

    return fit(step, data, args.epochs, after_epoch, desc=name)


def predict(model: nn.Module, X: np.ndarray) -> np.ndarray:
    """P(label 1) for every point, without recording a graph."""
    with tl.no_grad():
        return model(Tensor(X)).numpy()


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Train the lab's 2 -> H1 -> H2 -> 1 network.")
    add = parser.add_argument
    add("--dataset", choices=["linear", "xor", "both"], default="both", help="default: both")
    add("--hidden", nargs=2, type=positive_int, default=[4, 4], metavar=("H1", "H2"),
        help="units in the two hidden layers (default: 4 4)")
    add("--activation", choices=list(knobs.ACTIVATIONS), default="tanh",
        help="after each hidden layer (default: tanh); the output's is a sigmoid")
    add("--init", choices=knobs.INITS, default="xavier", help="weights Xavier-normal (the "
        "default), N(0, 1) or U(0, 1) drawn as hand-written NumPy code does, each with zero "
        "biases; or PyTorch's default initialisation")
    add("--no-bias", action="store_true", help="layers without biases")
    add("--loss", choices=knobs.LOSSES, default="mse",
        help="default: mse; half-mse is ½·mse, whose gradient is backprop's ŷ - y")
    add("--reduction", choices=["mean", "sum"], default="mean", help="over a batch (mean)")
    add("--optimizer", choices=list(knobs.OPTIMIZERS), default="adam", help="default: adam")
    add("--lr", type=positive_float, help=f"learning rate (default: {knobs.DEFAULT_LR})")
    add("--momentum", type=float, default=0.0, help="for sgd and rmsprop (default: 0)")
    add("--lr-decay", type=positive_float, metavar="GAMMA", help="lr × GAMMA every epoch")
    add("--epochs", type=positive_int, default=1500, help="default: 1500")
    add("--batch-size", type=positive_int, help="points per step (default: all of them)")
    add("--no-shuffle", action="store_true", help="mini-batches in the data's own order")
    add("--dtype", choices=["float32", "float64"], default="float32", help="default: float32")
    add("--test", choices=["train", "fresh"], default="train", help="on the training points "
        "(the default) or a freshly drawn linear set (XOR has only its 21 points)")
    add("--seed", type=nonnegative_int, default=0, help="initial weights, linear data (0)")
    add("--out", type=Path, default=Path("runs/two_layer_classifier"), help="figures folder")
    add("--no-plots", action="store_true", help="write no figures")
    add("--compile", action="store_true", help="trace the training step once and replay it "
        "as NumPy calls (tl.compile): the same numbers, faster")
    args = parser.parse_args(argv)
    if args.momentum < 0 or (args.momentum and args.optimizer not in knobs.WITH_MOMENTUM):
        parser.error(f"--momentum {args.momentum} needs --optimizer sgd or rmsprop and M >= 0")
    args.lr = args.lr or knobs.DEFAULT_LR[args.optimizer]
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    accuracies = {}
    for name in ("linear", "xor") if args.dataset == "both" else (args.dataset,):
        print(f"== {name}: 2-{args.hidden[0]}-{args.hidden[1]}-1 {args.activation}, {args.loss}"
              f", {args.optimizer} lr {args.lr:g}, seed {args.seed}", flush=True)
        tl.manual_seed(args.seed)  # the initial weights
        X, y = load_data(name, args.seed, args.dtype)
        model = build_model(args)
        optimizer = knobs.make_optimizer(args.optimizer, model.parameters(), args.lr,
                                         args.momentum)
        try:
            losses = train(model, optimizer, X, y, args, name)
        except FloatingPointError as err:
            print(f"error: {err} on the {name} dataset: training diverged; try a smaller "
                  f"learning rate, e.g. --lr {args.lr / 10:g}", file=sys.stderr)
            return 1

        # Testing: on the training points, or on a linear set drawn with another seed.
        test_seed = args.seed + 10_000 if args.test == "fresh" else args.seed
        X_test, y_test = load_data(name, test_seed, args.dtype)
        p = predict(model, X_test)
        print(f"testing predictions ({args.test} points):")
        print_table(X_test, y_test, p)
        right = int(((p > 0.5) == (y_test > 0.5)).sum())  # P(label 1) > 0.5 means label 1
        print(f"accuracy: {100 * right / len(y_test):.2f}% ({right}/{len(y_test)})")
        accuracies[name] = right / len(y_test)
        if not args.no_plots:  # the learning curve, truth beside prediction, the boundary
            paths = lab_figures(losses, X_test, y_test, p, partial(predict, model), name, args.out)
            print("\n".join(f"wrote {path}" for path in paths))
    print("accuracy: " + ", ".join(f"{n} {100 * a:.2f}%" for n, a in accuracies.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
