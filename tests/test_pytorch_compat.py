"""PyTorch programs run unchanged on tinygrad_lab: only the import is swapped.

Each program in ``tests/compat/`` is written as public PyTorch tutorials write it, and
receives the framework as a module object. It runs

- with real ``torch`` (skipped where torch is not installed): this proves the program is
  valid PyTorch and gives the reference numbers;
- with ``tinygrad_lab``: the program must run, learn (it asserts so itself), and reach
  the same numbers as torch from the same initial values, to float64 precision;
- with ``tinygrad_lab`` in a fresh interpreter where ``import torch`` fails: the
  tinygrad_lab half depends on nothing from torch.
"""

from __future__ import annotations

import ast
import functools
import importlib
import json
import subprocess
import sys
import textwrap
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest

import tinygrad_lab

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))

from compat import PROGRAMS  # noqa: E402

RTOL, ATOL = 1e-8, 1e-10

# torch warns that backward(create_graph=True) makes a reference cycle; the program
# follows its advice (it resets .grad afterwards), the warning is still printed.
pytestmark = pytest.mark.filterwarnings(
    "ignore:Using backward\\(\\) with create_graph=True:UserWarning"
)


def _program(name: str) -> ModuleType:
    return importlib.import_module(f"compat.{name}")


@pytest.fixture(scope="module")
def torch() -> Any:
    torch = pytest.importorskip("torch")
    # One thread: on a busy machine torch's thread pool makes these tiny programs slow.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield torch
    torch.set_num_threads(threads)


@functools.cache
def _run(framework: ModuleType, name: str) -> dict:
    """The program's results on ``framework`` (each program runs once per framework)."""
    program = _program(name)
    return program.run(framework, **program.inputs())


def _as_array(value: Any, where: str) -> np.ndarray:
    assert not isinstance(value, tinygrad_lab.Tensor), f"{where}: a Tensor, not a value"
    assert type(value).__module__.split(".")[0] != "torch", f"{where}: a torch object"
    return np.asarray(value)


def test_there_are_at_least_twelve_programs():
    assert len(PROGRAMS) >= 12
    assert sorted(p.stem for p in (TESTS / "compat").glob("*.py")
                  if p.stem != "__init__") == sorted(PROGRAMS)


@pytest.mark.parametrize("name", PROGRAMS)
def test_program_imports_no_framework(name):
    """The program reaches the framework only through the module it is given."""
    tree = ast.parse((TESTS / "compat" / f"{name}.py").read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            modules = [node.module or ""]
        else:
            continue
        for module in modules:
            assert module.split(".")[0] not in ("torch", "tinygrad_lab"), (name, module)


@pytest.mark.parametrize("name", PROGRAMS)
def test_program_runs_on_torch(torch, name):
    """The program is valid PyTorch: it runs and learns there."""
    results = _run(torch, name)
    assert results, name


@pytest.mark.parametrize("name", PROGRAMS)
def test_program_runs_on_tinygrad_lab(name):
    """With the import swapped, the program runs and learns (its own assertions)."""
    results = _run(tinygrad_lab, name)
    for key, value in results.items():
        _as_array(value, f"{name}[{key!r}]")


@pytest.mark.parametrize("name", PROGRAMS)
def test_same_numbers_as_torch(torch, name):
    """From the same initial values, tinygrad_lab reaches torch's numbers (float64)."""
    expected = _run(torch, name)
    actual = _run(tinygrad_lab, name)
    assert set(actual) == set(expected)
    framework_random = _program(name).FRAMEWORK_RANDOM
    for key in sorted(expected):
        want = _as_array(expected[key], f"torch {name}[{key!r}]")
        got = _as_array(actual[key], f"tinygrad_lab {name}[{key!r}]")
        assert got.shape == want.shape, (key, got.shape, want.shape)
        if key in framework_random:
            # drawn from the framework's own generator: streams differ, kinds agree
            assert got.dtype.kind == want.dtype.kind, (key, got.dtype, want.dtype)
            continue
        assert got.dtype == want.dtype, (key, got.dtype, want.dtype)
        if want.dtype.kind in "fc":
            np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL, err_msg=key)
        else:
            np.testing.assert_array_equal(got, want, err_msg=key)


# A fresh interpreter in which `import torch` fails runs every program on tinygrad_lab.
_WITHOUT_TORCH = textwrap.dedent(
    """
    import importlib, json, sys, traceback

    class BlockTorch:
        def find_spec(self, name, path=None, target=None):
            if name == "torch" or name.startswith("torch."):
                raise ImportError(f"{name} is blocked: this run must not need torch")
            return None

    sys.meta_path.insert(0, BlockTorch())
    root, tests, out = sys.argv[1:4]
    sys.path[:0] = [root, tests]
    import tinygrad_lab
    from compat import PROGRAMS

    status = {}
    for name in PROGRAMS:
        program = importlib.import_module("compat." + name)
        try:
            program.run(tinygrad_lab, **program.inputs())
            status[name] = "ok"
        except BaseException:
            status[name] = traceback.format_exc()
    status["__torch_imported__"] = "torch" in sys.modules
    status["__tinygrad_lab_file__"] = tinygrad_lab.__file__
    with open(out, "w") as f:
        json.dump(status, f)
    """
)


@pytest.fixture(scope="module")
def without_torch(tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("compat") / "status.json"
    proc = subprocess.run(
        [sys.executable, "-c", _WITHOUT_TORCH, str(ROOT), str(TESTS), str(out)],
        capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    status = json.loads(out.read_text())
    assert status.pop("__torch_imported__") is False
    assert Path(status.pop("__tinygrad_lab_file__")).is_relative_to(ROOT / "tinygrad_lab")
    return status


@pytest.mark.parametrize("name", PROGRAMS)
def test_program_runs_without_torch_installed(without_torch, name):
    assert without_torch[name] == "ok", without_torch[name]


# ------------------------------------------------ small fixes found by the programs

_DTYPE_CASES = {
    "numpy float64 scalar": ([np.float64(0.5)], "float64"),
    "numpy float64 and float": ([np.float64(1.0), 2.0], "float64"),
    "numpy float32 and float": ([np.float32(1.0), 2.0], "float32"),
    "nested numpy floats": ([[np.float64(1.0)], [np.float32(2.0)]], "float64"),
    "numpy float64 among ints": ([[1, 2], [np.float64(3.0), 4]], "float64"),
    "numpy float16 and float": ([np.float16(1.0), 1.0], "float32"),
    "python floats": ([1.0, 2.5], "float32"),
    "python ints": ([1, 2], "int64"),
    "bool and float": ([True, 1.5], "float32"),
    "tuple of numpy float64": ((np.float64(2.0),), "float64"),
    "numpy int64": ([np.int64(3)], "int64"),
}


@pytest.mark.parametrize("case", sorted(_DTYPE_CASES))
def test_tensor_from_a_list_infers_dtype_as_torch_does(case):
    """``torch.tensor([np.float64(x), ...])`` is float64: a makemore-style dataset of
    NumPy values must not be silently rounded to float32."""
    data, expected = _DTYPE_CASES[case]
    assert tinygrad_lab.tensor(data).dtype == np.dtype(expected)


def test_tensor_from_a_list_dtype_matches_torch(torch):
    for case, (data, _) in sorted(_DTYPE_CASES.items()):
        want = str(torch.tensor(data).dtype).removeprefix("torch.")
        assert str(tinygrad_lab.tensor(data).dtype) == want, case


def test_tensor_from_a_list_of_tensors_keeps_their_float_dtype():
    t64 = tinygrad_lab.tensor(1.0, dtype=tinygrad_lab.float64)
    assert tinygrad_lab.tensor([t64, 2.0]).dtype == np.float64
    assert tinygrad_lab.tensor([tinygrad_lab.tensor(1), 2.5]).dtype == np.float32


def test_type_takes_a_legacy_constructor():
    """``x.type(torch.FloatTensor)``, as older tutorials cast."""
    x = tinygrad_lab.tensor([1, 2])
    y = x.type(tinygrad_lab.FloatTensor)
    assert y.dtype == np.float32 and y.tolist() == [1.0, 2.0]
    assert x.type(tinygrad_lab.DoubleTensor).type() == "torch.DoubleTensor"
    assert tinygrad_lab.tensor([1.5]).type(tinygrad_lab.LongTensor).dtype == np.int64
