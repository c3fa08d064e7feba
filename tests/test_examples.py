"""The examples run end to end, write what they promise and reach their accuracies; every
flag of the lab classifier does what it says; the walkthrough's code blocks run as
written.

The examples live in ``examples/`` (not a package); their folder is put on ``sys.path``
so their ``main(argv)`` can be called in-process, which is much faster than a
subprocess. One test runs a script as a subprocess to check its exit status.
"""

from __future__ import annotations

import csv
import math
import os
import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
sys.path.insert(0, str(EXAMPLES))

import _common  # noqa: E402
import conv1d_signals  # noqa: E402
import digits_mlp  # noqa: E402
import lab_experiments  # noqa: E402
import two_layer_classifier as clf  # noqa: E402
from lab import knobs, reports, runs, sweeps, tables  # noqa: E402

import tinygrad_lab as tl  # noqa: E402
from tinygrad_lab import Tensor, nn, optim  # noqa: E402

FIGURES = ("learning_curve", "comparison", "decision_boundary")
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _is_png(path: Path) -> bool:
    return path.is_file() and path.read_bytes()[:8] == PNG_MAGIC


def _setup(*argv: str, dataset: str = "xor"):
    """Parse the classifier's flags and build its data, model and optimizer."""
    args = clf.parse_args(list(argv))
    tl.manual_seed(args.seed)
    X, y = clf.load_data(dataset, args.seed, args.dtype)
    model = clf.build_model(args)
    optimizer = knobs.make_optimizer(args.optimizer, model.parameters(), args.lr, args.momentum)
    return args, X, y, model, optimizer


def _accuracy(model, X, y) -> float:
    return float(((clf.predict(model, X) > 0.5) == (y > 0.5)).mean())


# ---------------------------------------------------------------- the lab classifier


@pytest.mark.parametrize("seed", range(10))
def test_classifier_defaults_reach_100_percent_on_both_datasets(seed):
    for dataset in ("linear", "xor"):
        args, X, y, model, optimizer = _setup("--seed", str(seed), dataset=dataset)
        losses = clf.train(model, optimizer, X, y, args)
        assert len(losses) == 1500 and np.isfinite(losses).all()
        assert _accuracy(model, X, y) == 1.0, (dataset, seed)


def test_classifier_main_prints_loss_predictions_and_writes_figures(tmp_path, capsys):
    out = tmp_path / "run"
    assert clf.main(["--epochs", "40", "--out", str(out)]) == 0  # what `make demo` runs
    stdout, stderr = capsys.readouterr()
    for dataset in ("linear", "xor"):
        assert f"[{dataset}] epoch 4/40  loss" in stdout  # ten loss lines per dataset
        assert f"[{dataset}] epoch 40/40  loss" in stdout
        for name in FIGURES:
            assert _is_png(out / f"{dataset}_{name}.png")
    assert stdout.count("testing predictions (train points):") == 2
    assert re.search(r"x1\s+x2\s+target\s+prediction\s+rounded\s+correct", stdout)
    rows = re.findall(r"^\s*\d\.\d{3}\s+\d\.\d{3}\s+[01]\s+\d\.\d{5}\s+[01]\s+\S+$",
                      stdout, flags=re.M)
    assert len(rows) == 100 + 21  # one row per point: input, target, prediction, mark
    assert re.search(r"accuracy: \d+\.\d\d% \(\d+/21\)", stdout)
    assert "accuracy: linear" in stdout
    assert stderr == ""  # no progress bar when stderr is not a terminal


def test_classifier_variants_run(tmp_path, capsys):
    for extra in (["--loss", "bce", "--optimizer", "sgd", "--momentum", "0.9"],
                  ["--batch-size", "8", "--optimizer", "rmsprop", "--activation", "relu"],
                  ["--optimizer", "adagrad", "--activation", "leaky_relu", "--init", "default"],
                  ["--activation", "none", "--hidden", "2", "3"],
                  ["--activation", "sigmoid", "--dataset", "linear", "--test", "fresh"]):
        argv = ["--epochs", "5", "--no-plots", "--out", str(tmp_path), *extra]
        assert clf.main(argv) == 0, extra
    assert not list(tmp_path.iterdir())  # --no-plots writes nothing
    assert "accuracy" in capsys.readouterr().out


def test_network_shape_activation_and_sigmoid_output():
    args, X, y, model, _ = _setup("--hidden", "3", "5", "--activation", "relu")
    assert [type(m).__name__ for m in model] == ["Linear", "ReLU", "Linear", "ReLU",
                                                "Linear", "Sigmoid"]
    assert [m.weight.shape for m in model if isinstance(m, nn.Linear)] == [(3, 2), (5, 3),
                                                                           (1, 5)]
    p = clf.predict(model, X)
    assert p.shape == (21, 1) and ((p > 0) & (p < 1)).all()


def test_no_bias_leaves_no_bias_in_the_state_dict():
    *_, model, _ = _setup("--no-bias")
    assert sorted(model.state_dict()) == ["0.weight", "2.weight", "4.weight"]
    *_, with_bias, _ = _setup()
    assert "0.bias" in with_bias.state_dict()


def test_init_flags_draw_the_weights_they_name():
    *_, model, _ = _setup("--init", "randn", "--hidden", "300", "300")
    w = model[2].weight.numpy()  # 90,000 draws
    assert abs(w.mean()) < 0.02 and abs(w.std() - 1) < 0.02
    assert not model[2].bias.numpy().any()  # the biases start at zero
    *_, model, _ = _setup("--init", "uniform", "--hidden", "300", "300")
    w = model[2].weight.numpy()
    assert w.min() >= 0 and w.max() <= 1 and abs(w.mean() - 0.5) < 0.01
    *_, model, _ = _setup("--init", "default", "--hidden", "300", "300")
    w, b = model[2].weight.numpy(), model[2].bias.numpy()
    bound = 1 / math.sqrt(300)  # PyTorch's U(-1/sqrt(fan_in), 1/sqrt(fan_in))
    assert np.abs(w).max() <= bound and np.abs(b).max() <= bound and b.any()
    *_, model, _ = _setup("--init", "xavier", "--hidden", "300", "300")
    gain = nn.init.calculate_gain("tanh")
    assert abs(model[2].weight.numpy().std() - gain * math.sqrt(2 / 600)) < 0.01


def _gradients(*argv: str) -> tuple[float, dict[str, np.ndarray]]:
    args, X, y, model, _ = _setup("--dtype", "float64", *argv)
    loss = knobs.loss_function(args.loss, args.reduction)(model(Tensor(X)), Tensor(y))
    loss.backward()
    return loss.item(), {n: p.grad.numpy().copy() for n, p in model.named_parameters()}


def test_reduction_sum_scales_the_gradient_by_the_batch_size():
    mean_loss, mean_grads = _gradients()
    sum_loss, sum_grads = _gradients("--reduction", "sum")
    assert sum_loss == pytest.approx(21 * mean_loss)
    for name, grad in mean_grads.items():
        np.testing.assert_allclose(sum_grads[name], 21 * grad, rtol=1e-10)


def test_half_mse_halves_the_loss_and_its_gradient():
    loss, grads = _gradients()
    half_loss, half_grads = _gradients("--loss", "half-mse")
    assert half_loss == pytest.approx(loss / 2)
    for name, grad in grads.items():
        np.testing.assert_allclose(half_grads[name], grad / 2, rtol=1e-10)


def test_bce_is_the_cross_entropy_of_the_outputs():
    args, X, y, model, _ = _setup("--loss", "bce", "--dtype", "float64")
    p = clf.predict(model, X)
    expected = -(y * np.log(p) + (1 - y) * np.log(1 - p)).mean()
    loss = knobs.loss_function(args.loss, args.reduction)(model(Tensor(X)), Tensor(y))
    assert loss.item() == pytest.approx(expected)


def test_dtype_float64_trains_in_float64():
    args, X, y, model, optimizer = _setup("--dtype", "float64", "--epochs", "3")
    assert X.dtype == np.float64
    clf.train(model, optimizer, X, y, args)
    assert {p.dtype for p in model.parameters()} == {np.dtype(np.float64)}
    assert clf.predict(model, X).dtype == np.float64
    args, X, y, model, _ = _setup()
    assert {p.dtype for p in model.parameters()} == {np.dtype(np.float32)}


def test_optimizer_and_momentum_flags():
    for name, kind in (("sgd", optim.SGD), ("adam", optim.Adam), ("rmsprop", optim.RMSprop),
                       ("adagrad", optim.Adagrad)):
        args, *_, optimizer = _setup("--optimizer", name)
        assert type(optimizer) is kind and args.lr == knobs.DEFAULT_LR[name]
    *_, optimizer = _setup("--optimizer", "sgd", "--momentum", "0.5", "--lr", "0.3")
    assert optimizer.param_groups[0]["momentum"] == 0.5
    assert optimizer.param_groups[0]["lr"] == 0.3


def test_lr_decay_multiplies_the_lr_every_epoch(capsys):
    args, X, y, model, optimizer = _setup("--lr-decay", "0.5", "--epochs", "10")
    clf.train(model, optimizer, X, y, args, "xor")
    assert optimizer.param_groups[0]["lr"] == pytest.approx(0.05 * 0.5 ** 10)
    logged = re.findall(r"epoch (\d+)/10 .* lr ([\d.e-]+)", capsys.readouterr().out)
    assert [float(lr) for _, lr in logged] == pytest.approx([0.05 * 0.5 ** k
                                                             for k in range(10)], rel=1e-3)
    args, X, y, model, optimizer = _setup("--epochs", "10")
    clf.train(model, optimizer, X, y, args)
    assert optimizer.param_groups[0]["lr"] == 0.05  # no decay unless asked


def _losses_with_batch_seed(seed: int, *flags: str) -> list[float]:
    """Train from the same initial weights with the loader seeded by ``seed``."""
    args, X, y, model, optimizer = _setup("--batch-size", "5", "--epochs", "3",
                                          "--dtype", "float64", *flags)
    args.seed = seed  # only the batch order depends on it now
    return clf.train(model, optimizer, X, y, args)


def test_no_shuffle_keeps_the_data_order():
    assert _losses_with_batch_seed(1, "--no-shuffle") == _losses_with_batch_seed(2, "--no-shuffle")
    assert _losses_with_batch_seed(1) != _losses_with_batch_seed(2)


def test_test_fresh_scores_on_a_newly_drawn_set(capsys):
    def first_test_point(*flags: str) -> tuple[float, float]:
        clf.main(["--dataset", "linear", "--epochs", "2", "--no-plots", *flags])
        out = capsys.readouterr().out
        row = re.search(r"^\s*(\d\.\d{3})\s+(\d\.\d{3})\s+[01]\s", out, flags=re.M)
        return float(row[1]), float(row[2])

    X_train, _ = clf.load_data("linear", 0, "float64")
    assert first_test_point() == pytest.approx(tuple(X_train[0]), abs=1e-3)
    X_fresh, _ = clf.load_data("linear", 10_000, "float64")
    assert first_test_point("--test", "fresh") == pytest.approx(tuple(X_fresh[0]), abs=1e-3)
    assert not np.allclose(X_train, X_fresh)


@pytest.mark.parametrize("argv", [
    ["--activation", "softplus"],
    ["--lr", "-1"],
    ["--lr", "nan"],
    ["--epochs", "0"],
    ["--hidden", "4"],
    ["--dataset", "mnist"],
    ["--batch-size", "x"],
    ["--momentum", "0.9"],  # Adam has no momentum flag
    ["--optimizer", "sgd", "--momentum", "-1"],
    ["--dtype", "float16"],
    ["--test", "other"],
])
def test_classifier_bad_flags_are_argparse_errors(argv, capsys):
    with pytest.raises(SystemExit) as exit_info:
        clf.main(argv)
    assert exit_info.value.code == 2
    assert "error:" in capsys.readouterr().err


def test_classifier_divergence_stops_with_advice(tmp_path, capsys):
    out = tmp_path / "run"
    status = clf.main(["--dataset", "xor", "--loss", "bce", "--lr", "1e38", "--out", str(out)])
    assert status == 1
    err = capsys.readouterr().err
    assert re.search(r"at epoch \d+ on the xor dataset: training diverged", err)
    assert "smaller learning rate" in err and "--lr 1e+37" in err
    assert not out.exists()  # no figures of a broken model


@pytest.mark.parametrize("flags", [
    ["--optimizer", "adam"],
    ["--optimizer", "sgd", "--momentum", "0.9", "--lr-decay", "0.99"],
    ["--optimizer", "rmsprop", "--batch-size", "8", "--loss", "bce", "--dtype", "float64"],
])
def test_classifier_compile_prints_what_eager_prints(flags, capsys):
    """--compile replays the traced step: every printed loss, prediction and accuracy is
    the eager run's, on both datasets (the same NumPy calls run, in the same order)."""
    argv = ["--epochs", "30", "--no-plots", *flags]
    assert clf.main(argv) == 0
    eager = capsys.readouterr().out
    assert clf.main([*argv, "--compile"]) == 0
    assert capsys.readouterr().out == eager
    assert eager.count("epoch 30/30  loss") == 2 and "accuracy: linear" in eager


def test_classifier_compile_replays_the_step(monkeypatch):
    args, X, y, model, optimizer = _setup("--compile", "--epochs", "5")
    steps = []

    def fit(step, *rest, **kwargs):
        steps.append(step)
        return _common.fit(step, *rest, **kwargs)

    monkeypatch.setattr(clf, "fit", fit)
    clf.train(model, optimizer, X, y, args)
    assert steps[0].stats == {"eager": 1, "traced": 1, "replayed": 3}


def test_classifier_script_exit_status_on_divergence(tmp_path):
    """As a script: a non-zero exit status and the message, no traceback."""
    proc = subprocess.run(
        [sys.executable, str(EXAMPLES / "two_layer_classifier.py"), "--dataset", "xor",
         "--lr", "1e38", "--epochs", "50", "--no-plots"],
        capture_output=True, text=True, cwd=tmp_path, timeout=120,
        env={**os.environ, "MPLBACKEND": "Agg", "PYTHONPATH": str(ROOT)},
    )
    assert proc.returncode == 1
    assert "training diverged" in proc.stderr and "Traceback" not in proc.stderr


# ----------------------------------------------------------------- the shared loop


def test_fit_runs_step_on_every_batch_and_reports_each_epoch():
    seen: list[int] = []
    messages: list[tuple[int, float]] = []

    def step(x, y):
        seen.append(len(x))
        return (x * 0 + float(len(seen))).sum() / len(x)  # loss = the step's number

    batches = tl.data.DataLoader(np.zeros((5, 1)), np.zeros((5, 1)), batch_size=2)
    losses = _common.fit(step, batches, range(1, 3),
                         lambda epoch, loss: messages.append((epoch, loss)))
    assert seen == [2, 2, 1, 2, 2, 1]
    assert losses == [2.0, 5.0]  # mean of the batches' losses: (1+2+3)/3, (4+5+6)/3
    assert messages == [(1, 2.0), (2, 5.0)]


def test_fit_stops_on_nan_loss_and_on_overflow():
    with pytest.raises(FloatingPointError, match="loss became nan at epoch 1"):
        _common.fit(lambda x, y: Tensor(float("nan")), [(Tensor([1.0]), Tensor([1.0]))], 3)
    big = Tensor(np.array([3e38], dtype=np.float32))
    with pytest.raises(FloatingPointError, match="overflow .* at epoch 1"):
        _common.fit(lambda x, y: (big * 10).sum(), [(Tensor([1.0]), Tensor([1.0]))], 3)


def _overflowing_fit(compiled: bool) -> tuple[str, dict | None]:
    """Run fit on a step whose weight grows 21× a step (float32) until it overflows."""
    w = tl.tensor(np.ones(1, dtype=np.float32), requires_grad=True)
    optimizer = optim.SGD([w], lr=10.0, maximize=True)  # w += 10 · 2w

    @tl.compile(disable=not compiled)
    def step(x, y):
        optimizer.zero_grad()
        loss = (w * w * x).sum()
        loss.backward()
        optimizer.step()
        return loss

    one = Tensor(np.ones(1, dtype=np.float32))
    with pytest.raises(FloatingPointError, match="overflow") as error:
        _common.fit(step, [(one, one)], 100)
    return str(error.value), getattr(step, "stats", None)


def test_fit_stops_on_overflow_in_a_compiled_step():
    """A replayed step runs under fit's NumPy error state: an overflow stops the run at
    the same epoch as in eager mode."""
    eager, _ = _overflowing_fit(compiled=False)
    compiled, stats = _overflowing_fit(compiled=True)
    assert compiled == eager and "at epoch 16" in eager
    assert stats["replayed"] > 0  # the overflow happened in a replay


def test_examples_share_the_one_training_loop():
    for name in ("two_layer_classifier.py", "digits_mlp.py", "conv1d_signals.py",
                 "lab/runs.py"):
        source = (EXAMPLES / name).read_text(encoding="utf-8")
        assert re.search(r"from _common import .*\bfit\b", source, flags=re.S), name
        assert "for epoch in" not in source, name  # no loop of its own
    for path in [EXAMPLES / "lab_experiments.py", *EXAMPLES.glob("lab/*.py")]:
        source = path.read_text(encoding="utf-8")
        assert not re.search(r"^\s*(import|from) two_layer_classifier", source, re.M), path


# ----------------------------------------------------------------- lab experiments


def test_sweeps_start_from_the_classifiers_defaults():
    args = clf.parse_args([])
    base = sweeps.BASE
    assert base.hidden == tuple(args.hidden) and base.activation == args.activation
    assert (base.init, base.loss, base.reduction) == (args.init, args.loss, args.reduction)
    assert (base.optimizer, base.lr, base.epochs) == (args.optimizer, args.lr, args.epochs)
    assert base.dtype == args.dtype and base.bias == (not args.no_bias)
    # and the same seed gives the same network and the same training
    for dataset in ("linear", "xor"):
        cli_args, X, y, model, optimizer = _setup("--epochs", "20", dataset=dataset)
        cli_losses = clf.train(model, optimizer, X, y, cli_args)
        run = runs.run(replace(base, dataset=dataset, epochs=20), 0)
        np.testing.assert_allclose(run.losses, cli_losses, rtol=1e-6)


def test_classifier_flags_train_as_the_report_settings_do():
    """Both take their knobs from lab/knobs.py: report C's flags (on a smaller network)
    give the classifier the run lab_experiments makes of that setting, weights included."""
    flags = ["--hidden", "6", "5", "--activation", "sigmoid", "--init", "randn", "--loss",
             "half-mse", "--optimizer", "sgd", "--lr", "0.1", "--momentum", "0.9",
             "--lr-decay", "0.9", "--epochs", "4", "--batch-size", "1", "--no-shuffle",
             "--dtype", "float64", "--seed", "3"]
    args, X, y, model, optimizer = _setup(*flags)
    setting = runs.Setting(dataset="xor", hidden=(6, 5), activation="sigmoid", init="randn",
                           loss="half-mse", optimizer="sgd", lr=0.1, momentum=0.9,
                           lr_decay=0.9, epochs=4, batch_size=1, shuffle=False,
                           dtype="float64")
    for mine, theirs in zip(model.parameters(), runs.build_network(setting, 3).parameters(),
                            strict=True):
        np.testing.assert_array_equal(mine.numpy(), theirs.numpy())
    np.testing.assert_array_equal(clf.train(model, optimizer, X, y, args),
                                  runs.run(setting, 3).losses)


def test_knobs_name_the_bad_value():
    model = nn.Sequential(nn.Conv1d(1, 2, 2))
    with pytest.raises(ValueError, match="init_weights: init 'randn' is for Linear layers"):
        knobs.init_weights(model, "randn", "tanh", 0)
    with pytest.raises(ValueError, match="init_weights: init must be one of"):
        knobs.init_weights(model, "he", "tanh", 0)
    with pytest.raises(ValueError, match="make_optimizer: adam takes no momentum"):
        knobs.make_optimizer("adam", model.parameters(), 0.1, momentum=0.9)
    with pytest.raises(ValueError, match="make_optimizer: name must be one of"):
        knobs.make_optimizer("lbfgs", model.parameters(), 0.1)
    with pytest.raises(ValueError, match="loss_function: name must be one of"):
        knobs.loss_function("hinge", "mean")


def test_lab_experiments_sweeps_write_report_csv_and_figures(tmp_path, capsys):
    out = tmp_path / "exp"
    assert lab_experiments.main(["--groups", "loss", "model", "--seeds", "2", "--epochs",
                                 "10", "--jobs", "1", "--out", str(out)]) == 0
    report = (out / "report.md").read_text(encoding="utf-8")
    assert "### Headline" in report
    for key in ("loss", "model"):
        title, settings = sweeps.GROUPS[key]
        assert f"### {title}" in report and _is_png(out / f"{key}.png")
        for label, _ in settings:
            assert f"| {label}" in report
    assert "## Hidden" not in report and "±" in report
    with (out / "results.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == len(sweeps.plan(["loss", "model"], 2, 10)) == 12
    assert {r["seed"] for r in rows} == {"0", "1"}
    assert {r["model"] for r in rows} == {"mlp", "conv"}
    assert "Headline" not in capsys.readouterr().err


def test_lab_experiments_in_parallel_give_the_same_runs(tmp_path):
    tasks = sweeps.plan(["loss"], 2, 10)
    serial = runs.run_all(tasks, jobs=1)
    parallel = runs.run_all(tasks, jobs=2)
    for task in tasks:
        np.testing.assert_array_equal(serial[task].losses, parallel[task].losses)


def test_sweep_plan_covers_every_group():
    for key, (_, settings) in sweeps.GROUPS.items():
        tasks = sweeps.plan([key], 1, 5)
        assert len(tasks) <= len(settings) * 2  # each (setting, dataset), once
        assert {s.dataset for s, _ in tasks} == {"linear", "xor"}


def test_conv_front_layer_shapes():
    model = runs.build_network(runs.Setting(model="conv", hidden=(3, 5)), seed=0)
    convs = [m for m in model.modules() if isinstance(m, nn.Conv1d)]
    assert len(convs) == 1 and convs[0].weight.shape == (3, 1, 2)
    assert model(Tensor(np.zeros((7, 2), dtype=np.float32))).shape == (7, 1)


def test_report_weights_are_numpy_draws_the_hand_written_way():
    setting = runs.Setting(init="randn", hidden=(3, 5), dtype="float64")
    model = runs.build_network(setting, seed=7)
    rng = np.random.default_rng(7)
    for index, shape in zip((0, 2, 4), ((2, 3), (3, 5), (5, 1)), strict=True):
        np.testing.assert_array_equal(model[index].weight.numpy(), rng.standard_normal(shape).T)
        assert not model[index].bias.numpy().any()
    no_bias = runs.build_network(replace(setting, init="uniform", bias=False), seed=7)
    assert "0.bias" not in no_bias.state_dict()
    np.testing.assert_array_equal(no_bias[0].weight.numpy(),
                                  np.random.default_rng(7).uniform(0, 1, (2, 3)).T)


def test_report_d_update_sums_weight_gradients_and_averages_bias_gradients():
    """Report D: weight gradients summed over the batch, bias gradients averaged. One step
    of the param-group form equals that update written out by hand."""
    setting = runs.Setting(dataset="linear", init="uniform", hidden=(3, 3), loss="bce",
                           optimizer="sgd", lr=0.1, batch_size=4, shuffle=False,
                           weight_lr_times_batch=True, dtype="float64",
                           activation="sigmoid")
    model = runs.build_network(setting, seed=0)
    X, y = runs.load_data("linear", 0, "float64")
    xb, yb = Tensor(X[:4]), Tensor(y[:4])
    summed = runs.loss_function(replace(setting, reduction="sum"))(model(xb), yb)
    summed.backward()
    expected = {}
    for name, p in model.named_parameters():
        grad = p.grad.numpy() if name.endswith("weight") else p.grad.numpy() / 4
        expected[name] = p.numpy() - 0.1 * grad
    model.zero_grad()
    optimizer = runs.make_optimizer(setting, model)
    runs.loss_function(setting)(model(xb), yb).backward()
    optimizer.step()
    for name, p in model.named_parameters():
        np.testing.assert_allclose(p.numpy(), expected[name], rtol=1e-12)


def test_report_claims_are_compared_by_the_stated_rules():
    base = runs.Setting(dataset="xor")
    run = runs.Run(base, 0, np.zeros(1), np.zeros(1), accuracy=1.0, train_accuracy=1.0,
                   mse=2e-4, mae=0.01, last_batch_loss=1e-3,
                   outputs=np.array([[0.004], [0.99], [0.999], [0.01]]), seconds=0.0)
    claim = reports.Claim
    assert reports.matches(claim("mean SE", 1.8e-4), run)  # same order of magnitude
    assert reports.matches(claim("mean SE", 1.9e-3), run)
    assert not reports.matches(claim("mean SE", 2.1e-3), run)
    assert reports.matches(claim("accuracy", 0.952), run)  # 20/21: one point of 21
    assert not reports.matches(claim("accuracy", 0.905), run)  # 19/21: two points
    fresh = replace(run, setting=replace(base, dataset="linear", test="fresh"))
    assert reports.matches(claim("accuracy", 0.98), fresh)  # two points of 100
    assert not reports.matches(claim("accuracy", 0.97), fresh)
    assert reports.matches(claim("outputs", (0.005, 0.994, 0.997, 0.006)), run)
    assert not reports.matches(claim("outputs", (0.005, 0.994, 0.997, 0.03)), run)
    assert not reports.matches(claim("accuracy", 1.0), replace(run, diverged="nan"))
    row = reports.Row("A", "x", base, (claim("mean SE", 1.8e-4),))
    assert reports.verdict(row, [run, run, replace(run, mse=0.25)]) == ("yes", 2)
    assert reports.verdict(row, [run, replace(run, mse=0.25)]) == ("partly", 1)
    spread = [replace(run, mse=1e-5), replace(run, mse=1e-1)]  # no seed within 10×
    assert reports.verdict(row, spread) == ("partly", 0)  # but 1.8e-4 lies between them
    assert reports.verdict(row, [replace(run, mse=0.25)] * 2) == ("no", 0)
    acc_row = reports.Row("C", "x", base, (claim("accuracy", 0.88),))
    accs = [replace(run, accuracy=a) for a in (0.74, 0.94)]  # (21 points: ±0.053)
    assert reports.verdict(acc_row, accs) == ("partly", 0)
    assert reports.verdict(acc_row, [replace(run, accuracy=0.52)] * 3) == ("no", 0)


def test_lab_experiments_reports_quick(tmp_path, capsys):
    out = tmp_path / "reports"
    assert lab_experiments.main(["--reports", "--quick", "--out", str(out)]) == 0
    stdout = capsys.readouterr().out
    table = [line for line in stdout.splitlines() if line.startswith("| ")]
    assert [cell.strip() for cell in table[0].split("|")[1:6]] == [
        "report", "dataset", "setting", "the report says", "we get (mean [range])"]
    assert {line.split("|")[1].strip() for line in table[1:]} == set("ABCDE")
    for line in table[1:]:
        assert re.search(r"\| (yes|partly|no) \(\d/2 seeds\)|\| probe", line), line
    report = (out / "report.md").read_text(encoding="utf-8")
    assert "## The lab reports, run again" in report and "quick" in report
    with (out / "results.csv").open() as handle:
        assert {r["dtype"] for r in csv.DictReader(handle)} == {"float64"}


def test_mean_spread_range_and_table():
    assert tables.mean_spread([1.0, 3.0]) == "2 ± 1"
    assert tables.mean_spread([1.0, np.nan], "{:.1f}") == "1.0 ± 0.0 (1 never)"
    assert tables.mean_spread([np.nan, np.nan]) == "never (2/2)"
    assert tables.mean_range([1.0, 2.0, 6.0]) == "3 [1–6]"
    assert tables.mean_range([1.0, np.nan]) == "1 (1 diverged)"
    table = tables.markdown_table(["a", "bb"], [[1, "x"], [22, "yyy"]])
    assert table.splitlines() == ["| a  | bb  |", "|----|-----|", "| 1  | x   |",
                                  "| 22 | yyy |"]
    assert tables.markdown_table(["a"], [["x|y"]]).splitlines()[-1] == "| x\\|y |"


# -------------------------------------------------------------------- conv1d signals


def test_make_signals_are_balanced_and_shaped():
    X, y = conv1d_signals.make_signals(90, length=32, seed=1)
    assert X.shape == (90, 1, 32) and X.dtype == np.float32
    assert np.bincount(y).tolist() == [30, 30, 30]
    X2, _ = conv1d_signals.make_signals(90, length=32, seed=1)
    np.testing.assert_array_equal(X, X2)


def test_conv1d_signals_tiny_run_writes_files(tmp_path, capsys):
    out = tmp_path / "conv"
    assert conv1d_signals.main(["--epochs", "1", "--n-train", "60", "--n-test", "30",
                                "--out", str(out)]) == 0
    stdout = capsys.readouterr().out
    assert "true \\ predicted" in stdout and "sawtooth" in stdout
    assert re.search(r"epoch   1/1  loss \d\.\d{4}  test accuracy", stdout)
    assert re.search(r"test accuracy: \d+\.\d\d% \(\d+/30\)", stdout)
    for name in ("learning_curve", "confusion_matrix", "test_signals"):
        assert _is_png(out / f"{name}.png")


def test_conv1d_signals_default_accuracy(tmp_path, capsys):
    assert conv1d_signals.main(["--out", str(tmp_path), "--no-plots"]) == 0
    accuracy = float(re.search(r"test accuracy: ([\d.]+)%", capsys.readouterr().out)[1])
    assert accuracy >= 95.0


def test_confusion_matrix_counts():
    m = conv1d_signals.confusion_matrix(np.array([0, 0, 1, 2]), np.array([0, 1, 1, 2]), 3)
    assert m.tolist() == [[1, 1, 0], [0, 1, 0], [0, 0, 1]]


# ------------------------------------------------------------------------ digits MLP


def test_digits_mlp_accuracy_checkpoint_and_figure(tmp_path, capsys):
    out = tmp_path / "digits"
    assert digits_mlp.main(["--out", str(out)]) == 0
    stdout = capsys.readouterr().out
    accuracy = float(re.search(r"test accuracy: ([\d.]+)%", stdout)[1])
    assert accuracy >= 96.0
    assert _is_png(out / "misclassified.png") and _is_png(out / "learning_curve.png")

    # The checkpoint holds model + optimizer state + epoch, and gives the same predictions.
    checkpoint = digits_mlp.load_checkpoint(out / "digits_mlp.npz")
    assert checkpoint["epoch"] == 30
    assert checkpoint["optimizer"]["state"]  # Adam's moments were saved
    model = digits_mlp.build_model(tuple(checkpoint["hidden"]))
    model.load_state_dict(checkpoint["model"])
    X_train, X_test, _, y_test = digits_mlp.load_digits(seed=0)
    scaler = digits_mlp.Standardizer(X_train)
    predicted = digits_mlp.predict(model, scaler(X_test))
    assert abs(100 * float((predicted == y_test).mean()) - accuracy) < 1e-9


def test_digits_mlp_resume(tmp_path, capsys):
    out = tmp_path / "digits"
    assert digits_mlp.main(["--epochs", "1", "--no-plots", "--out", str(out)]) == 0
    assert digits_mlp.main(["--epochs", "2", "--no-plots", "--out", str(out),
                            "--resume", str(out / "digits_mlp.npz")]) == 0
    stdout = capsys.readouterr().out
    assert "resumed from" in stdout and "epoch   2/2  loss" in stdout
    assert tl.load(out / "digits_mlp.npz")["epoch"] == 2


# ----------------------------------------------------------------------- walkthrough


def _python_blocks(markdown: str) -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", markdown, flags=re.S | re.M)


def test_walkthrough_code_blocks_run(tmp_path, monkeypatch, capsys):
    doc = (ROOT / "docs" / "lab-walkthrough.md").read_text(encoding="utf-8")
    blocks = _python_blocks(doc)
    assert len(blocks) >= 8
    monkeypatch.chdir(tmp_path)  # the blocks write their figure into the working folder
    namespace: dict = {"__name__": "walkthrough"}
    for i, block in enumerate(blocks):
        exec(compile(block, f"lab-walkthrough.md block {i}", "exec"), namespace)
    stdout = capsys.readouterr().out
    assert "float64 True" in stdout and "caught: gradcheck" in stdout
    assert "True True" in stdout
    assert _is_png(tmp_path / "xor_learning_curves.png")


def test_walkthrough_images_exist():
    doc = (ROOT / "docs" / "lab-walkthrough.md").read_text(encoding="utf-8")
    images = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", doc)
    assert images
    for image in images:
        assert _is_png(ROOT / "docs" / image), image


def test_committed_figures_are_the_classifiers():
    for dataset in ("linear", "xor"):
        for name in FIGURES:
            assert _is_png(ROOT / "docs" / "figures" / f"{dataset}_{name}.png")
