"""The higher-order examples: ``newton_lab.py`` (damped Newton via ``hessian`` against
gradient descent) and ``pinn_decay.py`` (a loss containing du/dt from
``tl.autograd.grad(create_graph=True)``) do what they claim, with small iteration counts.

Their ``main(argv)`` and helpers are called in-process (the examples folder is put on
``sys.path``), as in tests/test_examples.py.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "examples"))

import newton_lab  # noqa: E402
import pinn_decay  # noqa: E402

import tinygrad_lab as tl  # noqa: E402
from tinygrad_lab import Tensor  # noqa: E402

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _is_png(path: Path) -> bool:
    return path.is_file() and path.read_bytes()[:8] == PNG_MAGIC


# ---------------------------------------------------------------------------- Newton


@pytest.mark.parametrize("dataset", newton_lab.DATASETS)
def test_newton_beats_gradient_descent_in_the_same_iterations(dataset):
    newton, gd = newton_lab.compare(dataset, iterations=8, seed=0)
    assert len(newton.losses) == len(gd.losses) == 9  # the start, then one per iteration
    assert newton.losses[0] == gd.losses[0]  # same initial weights
    assert newton.losses[-1] < gd.losses[-1]
    # the damping only ever accepts a step that lowers the loss
    assert all(b <= a for a, b in zip(newton.losses, newton.losses[1:], strict=False))


def test_newton_fits_xor_where_gradient_descent_has_not_started():
    newton, gd = newton_lab.compare("xor", iterations=25, seed=0)
    X, y = newton_lab.load_dataset("xor", 0)
    assert newton.losses[-1] < 1e-4 < 0.2 < gd.losses[-1]
    assert newton_lab.accuracy(newton.params, X, y) == 1.0


def test_hessian_matrix_is_the_jacobian_of_the_flat_gradient():
    """The blocks of ``hessian`` are laid out in the flat parameter order: each column is
    a central difference of the gradient."""
    X, y = (Tensor(a) for a in newton_lab.load_dataset("xor", 0))
    start = newton_lab.initial_parameters(seed=1)

    def loss_of(*params):
        return tl.nn.functional.mse_loss(newton_lab.predict(params, X), y)

    theta = newton_lab.flatten(start)
    H = newton_lab.hessian_matrix(loss_of, newton_lab.unflatten(theta, start))
    assert H.shape == (37, 37)
    np.testing.assert_allclose(H, H.T, atol=1e-14)
    eps = 1e-6
    numeric = np.empty_like(H)
    for k in range(theta.size):
        shift = np.zeros_like(theta)
        shift[k] = eps
        plus = newton_lab.loss_and_gradient(loss_of, theta + shift, start)[1]
        minus = newton_lab.loss_and_gradient(loss_of, theta - shift, start)[1]
        numeric[:, k] = (plus - minus) / (2 * eps)
    np.testing.assert_allclose(H, numeric, atol=1e-7)


def test_newton_main_prints_the_table_and_writes_the_figure(tmp_path, capsys):
    out = tmp_path / "newton"
    assert newton_lab.main(["--iterations", "3", "--seed", "2", "--out", str(out)]) == 0
    stdout = capsys.readouterr().out
    assert "| dataset | method" in stdout
    for dataset in newton_lab.DATASETS:
        for method in ("damped Newton", "gradient descent"):
            assert f"| {dataset}" in stdout and method in stdout
    assert _is_png(out / "newton_vs_gd.png")


def test_newton_no_plots_writes_nothing(tmp_path, capsys):
    out = tmp_path / "newton"
    argv = ["--dataset", "linear", "--iterations", "2", "--no-plots", "--out", str(out)]
    assert newton_lab.main(argv) == 0
    stdout = capsys.readouterr().out
    assert "linear" in stdout and "xor" not in stdout
    assert not out.exists()


# ------------------------------------------------------------------------------ PINN


@pytest.fixture(scope="module")
def short_pinn_run():
    return pinn_decay.train(steps=300, seed=0)


def test_pinn_error_shrinks(short_pinn_run):
    result = short_pinn_run
    assert len(result.losses) == 300
    assert result.losses[-1] < result.losses[0] / 100
    assert result.max_error < result.initial_max_error / 10


@pytest.mark.parametrize("points", [[0.0, 0.3, 1.1, 2.0], [0.7]])
def test_pinn_du_dt_matches_finite_differences(short_pinn_run, points):
    model = short_pinn_run.model
    t = Tensor(np.array(points).reshape(-1, 1), requires_grad=True)
    u, du_dt = pinn_decay.time_derivative(model, t)
    assert du_dt.requires_grad  # create_graph=True: the loss can be differentiated again
    h = 1e-5
    with tl.no_grad():
        up = model(Tensor(np.array(points).reshape(-1, 1) + h)).numpy()
        down = model(Tensor(np.array(points).reshape(-1, 1) - h)).numpy()
    np.testing.assert_allclose(du_dt.numpy(), (up - down) / (2 * h), rtol=1e-6, atol=1e-8)


def test_pinn_loss_gradient_matches_finite_differences():
    """loss.backward() through du/dt (a second derivative) against central differences
    of the loss, for a few weights of the first and last layers."""
    tl.manual_seed(4)
    model = pinn_decay.make_model()
    t = Tensor(np.linspace(0.0, 2.0, 7).reshape(-1, 1), requires_grad=True)
    pinn_decay.physics_loss(model, t).backward()
    first, last = model[0].weight, model[4].bias
    for param, index in ((first, (3, 0)), (first, (11, 0)), (last, (0,))):
        values = param.numpy()  # shares the parameter's storage
        original = values[index]
        losses = []
        for shifted in (original + 1e-6, original - 1e-6):
            values[index] = shifted
            losses.append(pinn_decay.physics_loss(model, t).item())
        values[index] = original
        numeric = (losses[0] - losses[1]) / 2e-6
        assert param.grad.numpy()[index] == pytest.approx(numeric, rel=1e-5, abs=1e-9)


def test_pinn_main_reports_the_error_and_writes_the_figure(tmp_path, capsys):
    out = tmp_path / "pinn"
    assert pinn_decay.main(["--steps", "20", "--out", str(out)]) == 0
    stdout = capsys.readouterr().out
    assert "step    20/20  loss" in stdout
    assert "max |u(t) - exp(-t)| on [0, 2]:" in stdout
    assert _is_png(out / "pinn_decay.png")


def test_pinn_no_plots_writes_nothing(tmp_path, capsys):
    out = tmp_path / "pinn"
    assert pinn_decay.main(["--steps", "5", "--no-plots", "--out", str(out)]) == 0
    assert "max |u(t) - exp(-t)|" in capsys.readouterr().out
    assert not out.exists()
