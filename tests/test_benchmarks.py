"""The benchmarks compute the same thing three ways: tinygrad_lab, hand-written NumPy and
(when installed) PyTorch. No timing is asserted here, ever: only that the workloads agree,
that the hand-written references are right (finite differences), and that the benchmark
command runs end to end on a tiny budget."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `benchmarks` is a folder of the repository, not installed
    sys.path.insert(0, str(ROOT))

from benchmarks import framework, numpy_reference  # noqa: E402
from benchmarks import workloads as W  # noqa: E402

# The mlp workload reads scikit-learn's bundled digits (installed with the examples).
needs_sklearn = pytest.mark.skipif(
    importlib.util.find_spec("sklearn") is None, reason="scikit-learn is not installed"
)
WORKLOADS = "lab,mlp,conv1d,overhead,deep" if importlib.util.find_spec("sklearn") else (
    "lab,conv1d,overhead,deep")

# Small versions of every workload: (family, setup factory, steps before comparing).
CASES = {
    "lab-linear": ("lab", lambda: W.lab_setup("linear"), 50),
    "lab-xor": ("lab", lambda: W.lab_setup("xor"), 50),
    "mlp": ("mlp", lambda: W.mlp_setup(n_batches=4), 2),
    "conv1d": ("conv1d", lambda: W.conv_setup(batch=4, length=32), 1),
    "overhead-tiny": ("overhead", lambda: W.overhead_setup("tiny"), 1),
    "overhead-large": ("overhead", lambda: W.overhead_setup("large"), 1),
}


def run_case(module, case: str) -> dict[str, np.ndarray]:
    family, make_setup, steps = CASES[case]
    if family == "mlp":
        pytest.importorskip("sklearn")
    runner = getattr(module, f"make_{family}")(make_setup())
    for _ in range(steps):
        runner.step()
    return runner.result()


def run_deep(module, n_ops: int = 1000) -> dict[str, np.ndarray]:
    runner = module.make_deep(W.deep_setup(n_ops))
    runner.build()
    runner.backward()
    return runner.result()


@pytest.mark.parametrize("case", sorted(CASES))
def test_framework_matches_numpy(case):
    family = CASES[case][0]
    reference = run_case(numpy_reference, case)
    assert W.compare_results(reference, run_case(framework, case), family) == []


@pytest.fixture
def torch_one_thread():
    """PyTorch on one thread: on a small shared machine its second thread mostly waits
    (tiny workloads take seconds instead of milliseconds); restored afterwards."""
    torch = pytest.importorskip("torch")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.mark.parametrize("case", sorted(CASES))
def test_torch_matches_numpy(case, torch_one_thread):
    from benchmarks import torch_reference

    family = CASES[case][0]
    reference = run_case(numpy_reference, case)
    assert W.compare_results(reference, run_case(torch_reference, case), family) == []


def test_deep_chain_same_in_all():
    reference = run_deep(numpy_reference)
    np.testing.assert_allclose(reference["grad_x"], np.full(4, 0.9999**500), rtol=1e-12)
    assert W.compare_results(reference, run_deep(framework), "deep") == []


def test_deep_chain_torch(torch_one_thread):
    from benchmarks import torch_reference

    assert W.compare_results(run_deep(numpy_reference), run_deep(torch_reference), "deep") == []


def test_deep_chain_of_100k_ops_runs():
    """The framework's backward through 100,000 ops (no recursion limit, no crash)."""
    result = run_deep(framework, 100_000)
    np.testing.assert_allclose(result["grad_x"], np.full(4, 0.9999**50_000), rtol=1e-9)


def test_compare_results_reports_differences():
    a = {"loss": np.float64(1.0), "w": np.zeros(3)}
    assert W.compare_results(a, {"loss": 1.0, "w": np.zeros(3)}, "lab") == []
    problems = W.compare_results(a, {"loss": 1.1, "w": np.zeros(2)}, "lab")
    assert any("loss" in p for p in problems) and any("shape" in p for p in problems)
    assert W.compare_results(a, {"loss": 1.0}, "lab") == [
        "keys differ: ['loss', 'w'] vs ['loss']"
    ]


@needs_sklearn
def test_setups_are_deterministic():
    for make in (lambda: W.lab_setup("linear"), W.mlp_setup, W.conv_setup):
        a, b = make(), make()
        for key in a.params:
            np.testing.assert_array_equal(a.params[key], b.params[key])
    lab = W.lab_setup("linear")
    assert lab.X.shape == (100, 2) and lab.y.shape == (100, 1) and lab.X.dtype == np.float64
    assert W.lab_setup("xor").X.shape == (21, 2)
    mlp = W.mlp_setup()
    assert mlp.X.dtype == np.float32 and sum(len(y) for _, y in mlp.batches) == len(mlp.y)
    with pytest.raises(ValueError, match="dataset"):
        W.lab_setup("spiral")


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


def test_numpy_lab_step_is_gradient_descent():
    setup = W.lab_setup("xor")
    net = numpy_reference.make_lab(setup)
    before = {k: v.copy() for k, v in net.params().items()}
    expected = {k: numeric_grad(lambda: float(net.result()["loss"]), v)
                for k, v in net.params().items()}
    net.step()
    for key, param in net.params().items():
        np.testing.assert_allclose((before[key] - param) / setup.lr, expected[key],
                                   rtol=1e-5, atol=1e-9)


def test_numpy_overhead_gradients():
    s = W.overhead_setup("tiny")
    s.x, s.W, s.b = (a.astype(np.float64) for a in (s.x, s.W, s.b))
    ref = numpy_reference.make_overhead(s)
    ref.step()

    def loss():
        return float((1 / (1 + np.exp(-(s.x @ s.W + s.b)))).sum())

    np.testing.assert_allclose(ref.dW, numeric_grad(loss, s.W), rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(ref.db, numeric_grad(loss, s.b), rtol=1e-6, atol=1e-9)


def test_numpy_conv_gradients():
    s = W.conv_setup(batch=2, length=8)
    s.x = s.x.astype(np.float64)
    s.grad_out = s.grad_out.astype(np.float64)
    s.params = {k: v.astype(np.float64) for k, v in s.params.items()}
    ref = numpy_reference.make_conv1d(s)

    def loss():
        ref.step()
        return float(np.sum(ref.out * s.grad_out))

    # The forward against a direct (loop) convolution, then each gradient numerically.
    ref.step()
    xpad = np.pad(s.x, ((0, 0), (0, 0), (2, 2)))
    z = np.stack([np.einsum("nck,ock->no", xpad[:, :, i : i + 5], ref.W) for i in range(8)], 2)
    z = np.maximum(z + ref.b[:, None], 0)
    np.testing.assert_allclose(ref.out, z.reshape(2, 32, 4, 2).max(axis=3), atol=1e-12)
    dW, db, dx = ref.dW.copy(), ref.db.copy(), ref.dx.copy()
    np.testing.assert_allclose(dW, numeric_grad(loss, ref.W), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(db, numeric_grad(loss, ref.b), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(dx, numeric_grad(loss, s.x), rtol=1e-5, atol=1e-7)


@needs_sklearn
def test_numpy_mlp_gradients():
    s = W.mlp_setup(n_batches=1)
    # The same code on a narrower network (the formulas do not depend on the widths).
    s.params = W.sequential_params([64, 16, 16, 10], seed=1, dtype=np.float64)
    x, y = s.batches[0]
    x = x.astype(np.float64)[:8]
    y = y[:8]
    s.batches = [(x, y)]
    net = numpy_reference.make_mlp(s)
    net._adam = lambda: None  # keep the gradients, skip the update

    def loss():
        logits = net._forward(x)[2]
        return float(-net._log_softmax(logits)[np.arange(len(y)), y].mean())

    net.step()
    for key, param in net.p.items():
        np.testing.assert_allclose(net.grads[key], numeric_grad(loss, param),
                                   rtol=1e-5, atol=1e-8, err_msg=key)


@needs_sklearn
def test_numpy_adam_matches_pytorch_formula():
    """One parameter, two steps of the reference Adam, against the formula written out."""
    s = W.mlp_setup(n_batches=1)
    net = numpy_reference.make_mlp(s)
    p0 = net.p["4.bias"].astype(np.float64)
    g1, g2 = np.linspace(-1, 1, 10), np.linspace(2, -3, 10)
    b1, b2 = s.betas
    m = v = np.zeros(10)
    expected = p0.copy()
    for t, g in enumerate((g1, g2), start=1):
        net.grads = {k: np.zeros_like(val) for k, val in net.p.items()}
        net.grads["4.bias"] = g.astype(np.float32)
        net._adam()
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        m_hat, v_hat = m / (1 - b1**t), v / (1 - b2**t)
        expected = expected - s.lr * m_hat / (np.sqrt(v_hat) + s.eps)
    np.testing.assert_allclose(net.p["4.bias"], expected, rtol=1e-6, atol=1e-7)


# ------------------------------------------------------------------- the command itself


def run_command(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run.py"), *args],
        capture_output=True, text=True, timeout=300, cwd=cwd,
    )


def test_benchmark_command_runs_end_to_end(tmp_path):
    """Every workload, tiny budget, framework and NumPy (PyTorch's turn is below: its
    import alone would double the time)."""
    results = tmp_path / "RESULTS.md"
    proc = run_command("--quick", "--no-torch", "--only", WORKLOADS, "--write-results",
                       str(results), cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    text = results.read_text()
    for heading in ("## Time per epoch / iteration", "## Targets", "## Memory", "## Machine"):
        assert heading in text
    labels = ["lab (linear)", "lab (xor)", "conv1d (", "overhead tiny", "overhead large",
              "deep: build", "deep: backward", "tinygrad_lab ÷ numpy",
              "NumPy: " + np.__version__, "thread pools"]
    for label in labels + (["mlp (digits"] if "mlp" in WORKLOADS else []):
        assert label in text, label
    assert "FAIL" not in text and "## Problems" not in text
    assert text in proc.stdout  # the same report is printed


def test_benchmark_command_with_torch(tmp_path):
    pytest.importorskip("torch")
    results = tmp_path / "RESULTS.md"
    proc = run_command("--quick", "--only", "overhead", "--write-results", str(results))
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    text = results.read_text()
    assert "torch-1t ÷ numpy" in text and "PyTorch: " in text
    assert "FAIL" not in text and "## Problems" not in text


def test_benchmark_command_rejects_unknown_workload():
    proc = run_command("--only", "lab,gpt")
    assert proc.returncode == 2 and "gpt" in proc.stderr
