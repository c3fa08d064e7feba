"""Draw the lab network's computation graph after one backward pass.

The network is the lab's 2-4-4-1 MLP with sigmoid activations; the loss is the mean
squared error on four points of the lab's "linear" dataset. The picture shows every op
(``linear``, ``sigmoid``, ``mse_loss``), each layer's ops and parameters in a box of its
own, and, after ``backward()``, the gradient of every parameter.

Writes ``docs/lab_graph.svg`` and ``docs/lab_graph.png`` (the picture the README shows)::

    python examples/draw_graph.py [--out docs]

In Jupyter, the ``draw_graph(...)`` result on its own displays the picture. Drawing needs
the Python package ``graphviz`` and the system graphviz package (the ``dot`` program),
e.g. ``sudo apt-get install graphviz`` or ``brew install graphviz``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from tinygrad_lab import Tensor, nn
from tinygrad_lab.data import generate_linear
from tinygrad_lab.random import manual_seed
from tinygrad_lab.viz import draw_graph, record_modules, render_graph


class LabNet(nn.Module):
    """The lab's network: 2 inputs, two hidden layers of 4, one output, sigmoid throughout."""

    def __init__(self, hidden: int = 4) -> None:
        super().__init__()
        self.fc1 = nn.Linear(2, hidden)
        self.fc2 = nn.Linear(hidden, hidden)
        self.fc3 = nn.Linear(hidden, 1)

    def forward(self, x: Tensor) -> Tensor:
        h1 = self.fc1(x).sigmoid()
        h2 = self.fc2(h1).sigmoid()
        return self.fc3(h2).sigmoid()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs"), help="output folder")
    args = parser.parse_args()

    manual_seed(0)
    points, labels = generate_linear(n=4, seed=0)
    x = Tensor(points, dtype=np.float32)
    y = Tensor(labels, dtype=np.float32)
    model = LabNet()
    loss_fn = nn.MSELoss()

    # The lines the README shows: record which layer made each op (temporary forward
    # hooks), keep the graph through backward, draw.
    with record_modules(model) as modules:
        loss = loss_fn(model(x), y)
    loss.backward(retain_graph=True)
    dot = draw_graph(loss, modules=modules, names={"x": x, "y": y}, rankdir="TB")

    for fmt in ("svg", "png"):
        path = render_graph(dot, args.out / f"lab_graph.{fmt}")
        print(f"wrote {path}")
    print(f"loss = {loss.item():.4f}")


if __name__ == "__main__":
    main()
