"""The README's code runs and says what it claims."""

import re
from pathlib import Path

import numpy as np

README = Path(__file__).resolve().parent.parent / "README.md"


def python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(), re.S)


def test_training_example_reaches_full_accuracy(capsys):
    exec(python_blocks()[0], {})
    loss, accuracy = (float(v) for v in capsys.readouterr().out.split())
    assert loss < 0.05 and accuracy == 1.0


def test_autograd_and_custom_op_examples_run():
    for block in python_blocks()[1:3]:
        namespace: dict = {}
        exec(block, namespace)
    x = namespace["x"]
    assert x.dtype == np.float64 and x.grad is None  # gradcheck leaves no gradient behind


def test_readme_names_the_two_commands():
    text = README.read_text()
    assert "make demo" in text and "make test" in text
