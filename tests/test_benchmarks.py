"""The benchmarks compute the same thing in every implementation: tinygrad_lab (eager, and
compiled when ``tl.compile`` exists), hand-written NumPy and PyTorch. No timing is ever
asserted here: only that the implementations agree, that the hand-written references are
right (finite differences), and that the runner builds its table on a tiny budget."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `benchmarks` is a folder of the repository, not installed
    sys.path.insert(0, str(ROOT))

import tinygrad_lab as tl  # noqa: E402
from benchmarks import numpy_reference as ref  # noqa: E402
from benchmarks import run  # noqa: E402
from benchmarks import setups as S  # noqa: E402
from benchmarks.report import COLUMNS, Row  # noqa: E402
from benchmarks.workloads import WORKLOADS, Budget  # noqa: E402

TINY = Budget(rounds=1, round_s=0.0, check_scale=0.0, chain_ops=1_000, chain_rounds=1,
              memory_steps=(5, 20), mlp_batches=2, conv_shape=(2, 16))


@pytest.fixture(autouse=True)
def torch_threads_restored():
    """The runner sets PyTorch's thread count per implementation; other tests share it."""
    threads = run.torch.get_num_threads() if run.torch else 0
    yield
    if run.torch:
        run.torch.set_num_threads(threads)


def checked(workload, use_torch: bool, epochs: int = 4) -> Row:
    """Every implementation of ``workload`` run ``epochs`` epochs and compared."""
    row = Row(workload.label)
    runs = run.implementations(workload, workload.setup(TINY), row, use_torch)
    run.check(runs, workload.kind, epochs, row)
    return row


@pytest.mark.parametrize("workload", WORKLOADS, ids=lambda w: w.label)
def test_implementations_agree(workload):
    """tinygrad_lab (and PyTorch, when installed) against NumPy; for the second-order
    rows, which have no hand-written version, tinygrad_lab against PyTorch."""
    use_torch = importlib.util.find_spec("torch") is not None
    if not (workload.numpy or use_torch):
        if os.environ.get("CI"):  # CI installs torch: there this test must run
            pytest.fail("PyTorch is the reference of the second-order rows; CI needs it")
        pytest.skip("PyTorch is the reference of the second-order rows")
    row = checked(workload, use_torch)
    assert row.errors == {}
    if workload.compile and not hasattr(tl, "compile"):
        assert row.cells["compiled"] == run.NOT_BUILT


def test_a_wrong_result_is_an_error_and_is_not_timed():
    workload = WORKLOADS[0]
    row = Row(workload.label)
    runs = run.implementations(workload, workload.setup(TINY), row, use_torch=False)
    runs["eager"].batches = [(x, y * 0.5) for x, y in runs["eager"].batches]
    run.check(runs, workload.kind, 3, row)
    assert row.errors["eager"].startswith("differs from numpy: ")
    assert "loss" in row.errors["eager"] and "numpy" not in row.errors


def test_chain_rows_agree_and_count_per_op():
    build, backward = run.chain_rows(TINY, use_torch=False)
    assert build.errors == backward.errors == {}
    assert build.per == 1_000 and set(build.times) == {"numpy", "eager"}
    assert build.cells["eager"].endswith("/op)")
    np.testing.assert_allclose(ref.chain_backward(1_000), np.full(4, 0.9999**500), rtol=1e-12)


def test_memory_row():
    row = run.memory_row(TINY)
    assert row.errors == {}
    assert row.cells["eager"].startswith(("flat (", "GROWS ("))
    if not hasattr(tl, "compile"):
        assert row.cells["compiled"] == run.NOT_BUILT


def test_the_table(tmp_path, capsys):
    """The runner end to end on a tiny budget: one row per workload, every check passed."""
    pytest.importorskip("torch")
    out = tmp_path / "RESULTS.md"
    code, text = run.main(["--only", "lab,chain,memory", "--write-results", str(out)], TINY)
    assert code == 0, text
    assert out.read_text(encoding="utf-8") == text and text in capsys.readouterr().out
    header = "| workload | " + " | ".join(c[0] for c in COLUMNS) + " |"
    assert header == ("| workload | tinygrad_lab eager ÷ NumPy | compiled ÷ NumPy | "
                      "PyTorch 1 thread ÷ eager | PyTorch 2 threads ÷ eager |")
    lines = text.splitlines()
    rows = lines[lines.index(header) + 2 : lines.index(header) + 7]
    assert [r.split(" | ")[0] for r in rows] == [
        "| lab 2-4-4-1, linear (100 points), epoch", "| lab 2-4-4-1, XOR (21 points), epoch",
        "| graph of 1,000 chained ops: build, per op",
        "| graph of 1,000 chained ops: backward, per op",
        "| memory, lab network, steps 5 → 20 (tracemalloc)"]
    for cell in rows[0].strip("| ").split(" | ")[1:]:  # a ratio in every column of the lab
        assert cell == run.NOT_BUILT or float(cell) > 0
    assert "## Problems" not in text and "error" not in text


def test_the_table_without_compile_or_torch(monkeypatch):
    monkeypatch.delattr(tl, "compile", raising=False)
    code, text = run.main(["--only", "lab,hessian", "--no-torch"], TINY)
    lines = text.splitlines()
    lab = next(line for line in lines if line.startswith("| lab 2-4-4-1, linear"))
    hessian = next(line for line in lines if line.startswith("| second order"))
    assert code == 0 and lab.split(" | ")[2] == run.NOT_BUILT
    assert hessian.split(" | ")[1] == "n/a (no PyTorch)"


def test_unknown_workload_is_refused(capsys):
    with pytest.raises(SystemExit) as exit_:
        run.main(["--only", "lab,gpt"])
    assert exit_.value.code == 2 and "gpt" in capsys.readouterr().err


# ----------------------------------------------- the hand-written references are right


def numeric_grad(f, array: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Central differences of the scalar ``f()`` with respect to ``array`` (in place)."""
    grad = np.zeros_like(array, dtype=np.float64)
    for i in np.ndindex(array.shape):
        saved = array[i]
        array[i] = saved + eps
        up = f()
        array[i] = saved - eps
        down = f()
        array[i] = saved
        grad[i] = (up - down) / (2 * eps)
    return grad


def test_numpy_lab_gradients():
    s = S.lab_setup("xor")
    p = {k: v.copy() for k, v in s.params.items()}
    _, grads = ref.lab_gradients(p, s.X, s.y)
    for key, param in p.items():
        expected = numeric_grad(lambda: float(ref.lab_gradients(p, s.X, s.y)[0]), param)
        np.testing.assert_allclose(grads[key], expected, rtol=1e-5, atol=1e-9, err_msg=key)


def test_numpy_mlp_gradients():
    s = S.mlp_setup(n_batches=1)
    p = S.sequential_params([64, 16, 16, 10], seed=1, dtype=np.float64)  # narrower: same code
    x, y = s.batches[0][0][:8].astype(np.float64), s.batches[0][1][:8]
    _, grads = ref.mlp_gradients(p, x, y)
    for key, param in p.items():
        expected = numeric_grad(lambda: float(ref.mlp_gradients(p, x, y)[0]), param)
        np.testing.assert_allclose(grads[key], expected, rtol=1e-5, atol=1e-8, err_msg=key)


def test_numpy_adam_is_pytorchs_formula():
    rng = np.random.default_rng(0)
    p0 = rng.standard_normal(10)
    p, m, v = {"w": p0.copy()}, {"w": np.zeros(10)}, {"w": np.zeros(10)}
    m_ref = v_ref = np.zeros(10)
    expected = p0.copy()
    for t in (1, 2, 3):
        g = rng.standard_normal(10)
        ref.adam_update(p, {"w": g}, m, v, t, lr=1e-2)
        m_ref = 0.9 * m_ref + 0.1 * g
        v_ref = 0.999 * v_ref + 0.001 * g * g
        expected -= 1e-2 * (m_ref / (1 - 0.9**t)) / (np.sqrt(v_ref / (1 - 0.999**t)) + 1e-8)
    np.testing.assert_allclose(p["w"], expected, rtol=1e-12)


def test_numpy_conv_forward_and_gradients():
    s = S.conv_setup(batch=2, length=8)
    W, b = (s.params[k].astype(np.float64) for k in ("0.weight", "0.bias"))
    x, g = s.x.astype(np.float64), s.g.astype(np.float64)
    out, dW, db, dx = ref.conv_forward_backward(W, b, x, g)
    xpad = np.pad(x, ((0, 0), (0, 0), (2, 2)))  # a direct convolution, loop over positions
    z = np.stack([np.einsum("nck,ock->no", xpad[:, :, i : i + 5], W) for i in range(8)], 2)
    np.testing.assert_allclose(out, np.maximum(z + b[:, None], 0).reshape(2, 32, 4, 2)
                               .max(axis=3), atol=1e-12)

    def loss() -> float:
        return float(np.sum(ref.conv_forward_backward(W, b, x, g)[0] * g))

    for got, array in ((dW, W), (db, b), (dx, x)):
        np.testing.assert_allclose(got, numeric_grad(loss, array), rtol=1e-5, atol=1e-7)
