"""The examples run end to end, write what they promise and reach their accuracies; the
walkthrough's code blocks run as written.

The examples live in ``examples/`` (not a package); their folder is put on ``sys.path``
so their ``main(argv)`` can be called in-process, which is much faster than a
subprocess. One test runs a script as a subprocess to check its exit status.
"""

from __future__ import annotations

import csv
import os
import re
import subprocess
import sys
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

import tinygrad_lab as tl  # noqa: E402

FIGURES = ("learning_curve", "comparison", "decision_boundary")
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _is_png(path: Path) -> bool:
    return path.is_file() and path.read_bytes()[:8] == PNG_MAGIC


# ------------------------------------------------------------------ the lab classifier


@pytest.mark.parametrize("seed", range(10))
def test_classifier_defaults_reach_100_percent_on_both_datasets(seed):
    for dataset in clf.DATASETS:
        result = clf.train(clf.Config(dataset=dataset, seed=seed))
        assert result.accuracy == 1.0, (dataset, seed, result.accuracy)
        assert result.epochs_to_100 is not None
        assert np.isfinite(result.losses).all()


def test_classifier_main_prints_report_and_writes_figures(tmp_path, capsys):
    out = tmp_path / "run"
    assert clf.main(["--epochs", "40", "--log-every", "20", "--out", str(out)]) == 0
    stdout, stderr = capsys.readouterr()
    for dataset in clf.DATASETS:
        assert f"[{dataset}] epoch 20/40  loss" in stdout
        assert f"[{dataset}] epoch 40/40  loss" in stdout
        for name in FIGURES:
            assert _is_png(out / f"{dataset}_{name}.png")
    assert "testing predictions:" in stdout
    assert re.search(r"x1\s+x2\s+target\s+prediction\s+rounded\s+correct", stdout)
    # one row per point: index, input, target, prediction, rounded, mark
    rows = re.findall(r"^\s+\d+\s+\d\.\d{3}\s+\d\.\d{3}\s+[01]\s+\d\.\d{5}\s+[01]\s+\S+$",
                      stdout, flags=re.M)
    assert len(rows) == 100 + 21
    assert re.search(r"accuracy: \d+\.\d\d% \(\d+/21\)", stdout)
    assert "accuracy: linear" in stdout
    assert stderr == ""  # no progress bar when stderr is not a terminal


def test_classifier_variants_run(tmp_path, capsys):
    """The conv front layer, mini-batches, BCE, each optimizer and activation."""
    for extra in (["--model", "conv", "--loss", "bce", "--optimizer", "momentum"],
                  ["--batch-size", "8", "--optimizer", "rmsprop", "--activation", "relu"],
                  ["--optimizer", "sgd", "--activation", "leaky_relu", "--init", "default"],
                  ["--activation", "none", "--hidden", "2", "3"],
                  ["--activation", "sigmoid", "--dataset", "linear"]):
        argv = ["--epochs", "5", "--no-plots", "--out", str(tmp_path), *extra]
        assert clf.main(argv) == 0, extra
    assert not list(tmp_path.iterdir())  # --no-plots writes nothing
    assert "accuracy" in capsys.readouterr().out


def test_conv_front_layer_shapes():
    config = clf.Config(model="conv", hidden=(3, 5))
    model = clf.build_model(config)
    convs = [m for m in model.modules() if isinstance(m, tl.nn.Conv1d)]
    assert len(convs) == 1 and convs[0].weight.shape == (3, 1, 2)
    logits = model(tl.Tensor(np.zeros((7, 2), dtype=np.float32)))
    assert logits.shape == (7, 1)


def test_classifier_save_and_resume(tmp_path, capsys):
    ckpt = tmp_path / "clf.npz"
    common = ["--dataset", "xor", "--no-plots", "--log-every", "0", "--seed", "3"]
    assert clf.main([*common, "--epochs", "30", "--save", str(ckpt)]) == 0
    saved = tl.load(ckpt)
    assert saved["runs"]["xor"]["epoch"] == 30
    assert clf.main([*common, "--epochs", "60", "--resume", str(ckpt),
                     "--save", str(ckpt)]) == 0
    assert "resumed from epoch 30" in capsys.readouterr().out
    resumed = tl.load(ckpt)["runs"]["xor"]
    assert resumed["epoch"] == 60
    np.testing.assert_array_equal(resumed["losses"][:30], saved["runs"]["xor"]["losses"])

    # 30 + 30 epochs are the same as 60 in one go (full batch: nothing random in between)
    straight = clf.train(clf.Config(dataset="xor", seed=3, epochs=60))
    np.testing.assert_allclose(resumed["losses"], straight.losses, rtol=1e-5, atol=1e-7)


def test_classifier_resume_rejects_a_different_network(tmp_path, capsys):
    ckpt = tmp_path / "clf.npz"
    assert clf.main(["--dataset", "xor", "--epochs", "3", "--no-plots", "--save",
                     str(ckpt)]) == 0
    with pytest.raises(SystemExit) as exit_info:
        clf.main(["--dataset", "xor", "--epochs", "3", "--no-plots", "--hidden", "8", "8",
                  "--resume", str(ckpt)])
    assert exit_info.value.code == 2
    assert "--hidden 4 4" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        clf.main(["--dataset", "linear", "--epochs", "3", "--no-plots",
                  "--resume", str(tmp_path / "missing.npz")])


@pytest.mark.parametrize("argv", [
    ["--activation", "softplus"],
    ["--lr", "-1"],
    ["--lr", "nan"],
    ["--epochs", "0"],
    ["--hidden", "4"],
    ["--dataset", "mnist"],
    ["--batch-size", "x"],
])
def test_classifier_bad_flags_are_argparse_errors(argv, capsys):
    with pytest.raises(SystemExit) as exit_info:
        clf.main(argv)
    assert exit_info.value.code == 2
    assert "error:" in capsys.readouterr().err


def test_classifier_nan_loss_stops_with_advice(tmp_path, capsys):
    out = tmp_path / "run"
    status = clf.main(["--dataset", "xor", "--loss", "bce", "--lr", "1e38", "--out", str(out)])
    assert status == 1
    err = capsys.readouterr().err
    assert re.search(r"loss became (NaN|Inf) at epoch \d+", err)
    assert "smaller" in err and "--lr" in err
    assert not out.exists()  # no figures of a broken model

    with pytest.raises(clf.Diverged) as info:
        clf.train(clf.Config(dataset="linear", loss="bce", lr=1e38))
    assert info.value.epoch >= 1


def test_classifier_script_exit_status_on_divergence(tmp_path):
    """As a script: a non-zero exit status and the message, no traceback."""
    proc = subprocess.run(
        [sys.executable, str(EXAMPLES / "two_layer_classifier.py"), "--dataset", "xor",
         "--loss", "bce", "--lr", "1e38", "--epochs", "50", "--no-plots"],
        capture_output=True, text=True, cwd=tmp_path, timeout=120,
        env={**os.environ, "MPLBACKEND": "Agg"},
    )
    assert proc.returncode == 1
    assert "training diverged" in proc.stderr and "Traceback" not in proc.stderr


# ------------------------------------------------------------------------ experiments


def test_lab_experiments_writes_report_csv_and_figures(tmp_path, capsys):
    out = tmp_path / "exp"
    assert lab_experiments.main(["--quick", "--seeds", "2", "--epochs", "15", "--jobs", "1",
                                 "--out", str(out)]) == 0
    report = (out / "report.md").read_text(encoding="utf-8")
    assert "## Headline" in report
    for key, (title, settings) in lab_experiments.GROUPS.items():
        assert f"## {title}" in report
        assert _is_png(out / f"{key}.png")
        for label, _ in settings:
            assert f"| {label}" in report
    assert "±" in report
    for text in ("lr 0.001", "lr 1 ", "1-1", "64-64", "none", "momentum", "rmsprop",
                 "leaky_relu", "bce", "conv"):
        assert text in report, text
    with (out / "results.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == len(lab_experiments.plan(list(lab_experiments.GROUPS), 2, 15))
    assert {r["seed"] for r in rows} == {"0", "1"}
    assert {r["dataset"] for r in rows} == {"linear", "xor"}
    assert "Headline" not in capsys.readouterr().err


def test_lab_experiments_parallel_and_group_selection(tmp_path):
    out = tmp_path / "exp"
    assert lab_experiments.main(["--groups", "loss", "model", "--seeds", "2", "--epochs",
                                 "10", "--jobs", "2", "--no-plots", "--out", str(out)]) == 0
    report = (out / "report.md").read_text(encoding="utf-8")
    assert "## Loss" in report and "## Front layer" in report
    assert "## Hidden units" not in report
    assert not list(out.glob("*.png"))


def test_lab_experiments_reuses_the_classifier_training():
    assert lab_experiments.train is clf.train
    run = lab_experiments.run_one(clf.Config(dataset="xor", epochs=300))
    assert run.accuracy == 1.0 and not run.diverged and run.epochs_to_100 <= 300
    diverged = lab_experiments.run_one(clf.Config(dataset="xor", loss="bce", lr=1e38,
                                                  epochs=20))
    assert diverged.diverged and np.isnan(diverged.accuracy)


def test_mean_spread_and_table():
    assert _common.mean_spread([1.0, 3.0]) == "2 ± 1"
    assert _common.mean_spread([1.0, np.nan], "{:.1f}") == "1.0 ± 0.0 (1 never)"
    assert _common.mean_spread([np.nan, np.nan]) == "never (2/2)"
    table = _common.markdown_table(["a", "bb"], [[1, "x"], [22, "yyy"]])
    assert table.splitlines() == ["| a  | bb  |", "|----|-----|", "| 1  | x   |",
                                  "| 22 | yyy |"]


# ---------------------------------------------------------------------- conv1d signals


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


# ------------------------------------------------------------------------- digits MLP


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
    assert "resumed from" in capsys.readouterr().out
    assert tl.load(out / "digits_mlp.npz")["epoch"] == 2


# ------------------------------------------------------------------------ walkthrough


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
    for dataset in clf.DATASETS:
        for name in ("learning_curve", "comparison"):
            assert _is_png(ROOT / "docs" / "figures" / f"{dataset}_{name}.png")
