"""The README's code runs, in order, as a reader would paste it, and says what it claims."""

import re
import shutil
from pathlib import Path

import numpy as np
import pytest

README = Path(__file__).resolve().parent.parent / "README.md"


def python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(), re.S)


@pytest.fixture(scope="module")
def readme_run(tmp_path_factory):
    """Every python block, in order, in one namespace (as in a notebook); the printed
    lines of each block."""
    if shutil.which("dot") is None:
        import os

        if os.environ.get("CI"):
            pytest.fail("CI needs the `dot` program for the README's graph picture")
        pytest.skip("the README draws a graph picture: needs the `dot` program")
    import contextlib
    import io
    import os

    namespace: dict = {}
    printed = []
    cwd = os.getcwd()
    os.chdir(tmp_path_factory.mktemp("readme"))
    try:
        for block in python_blocks():
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                exec(block, namespace)
            printed.append(out.getvalue())
    finally:
        os.chdir(cwd)
    return namespace, printed


def test_training_example_reaches_full_accuracy(readme_run):
    _, printed = readme_run
    loss, accuracy = (float(v) for v in printed[0].split())
    assert loss < 0.05 and accuracy == 1.0


def test_pytorch_idiom_example_fits_the_polynomial(readme_run):
    _, printed = readme_run
    numbers = [float(v) for v in re.findall(r"-?\d+\.\d+(?:e-?\d+)?", printed[1])]
    assert numbers[0] < 1e-6
    np.testing.assert_allclose(numbers[1:], [3.0, -1.0, 0.5], atol=1e-3)


def test_custom_op_example_leaves_no_gradient_behind(readme_run):
    namespace, _ = readme_run
    x = namespace["x"]
    assert x.dtype == np.float64 and x.grad is None


def test_higher_order_example_prints_the_hessian_shape(readme_run):
    _, printed = readme_run
    assert "(4, 2, 4, 2)" in "".join(printed)


def test_graph_example_writes_the_picture(readme_run):
    namespace, _ = readme_run
    assert "fc" in namespace["dot"].source or "weight" in namespace["dot"].source


def test_readme_names_the_two_commands():
    text = README.read_text()
    assert "make demo" in text and "make test" in text
