"""The workloads in tinygrad_lab, written as a user writes them (the README's style):
``nn`` modules, ``optim`` optimizers, ``loss.backward()``."""

from __future__ import annotations

import numpy as np

import tinygrad_lab as tl
from tinygrad_lab import Tensor, nn, optim

from .workloads import ConvSetup, DeepSetup, LabSetup, MLPSetup, OverheadSetup


def _load(model: nn.Module, params: dict[str, np.ndarray]) -> None:
    model.load_state_dict({k: v.copy() for k, v in params.items()})
    for name, p in model.named_parameters():  # the comparison needs the exact start
        if p.data.dtype != params[name].dtype or not np.array_equal(p.data, params[name]):
            raise RuntimeError(
                f"benchmark setup: parameter {name} did not load as given "
                f"({p.data.dtype} {p.shape} vs {params[name].dtype} {params[name].shape})"
            )


# ---------------------------------------------------------------------------------- lab


class LabFramework:
    def __init__(self, setup: LabSetup) -> None:
        f64 = np.float64
        self.model = nn.Sequential(
            nn.Linear(2, 4, dtype=f64), nn.Sigmoid(), nn.Linear(4, 4, dtype=f64), nn.Sigmoid(),
            nn.Linear(4, 1, dtype=f64), nn.Sigmoid(),
        )
        _load(self.model, setup.params)
        self.X, self.y = Tensor(setup.X), Tensor(setup.y)
        self.criterion = nn.MSELoss()
        self.optimizer = optim.SGD(self.model.parameters(), lr=setup.lr)

    def step(self) -> Tensor:
        self.optimizer.zero_grad()
        loss = self.criterion(self.model(self.X), self.y)
        loss.backward()
        self.optimizer.step()
        return loss

    def result(self) -> dict[str, np.ndarray]:
        with tl.no_grad():
            loss = self.criterion(self.model(self.X), self.y)
        return {"loss": loss.item(), **{k: v.copy() for k, v in self.model.state_dict().items()}}


def make_lab(setup: LabSetup) -> LabFramework:
    return LabFramework(setup)


# ---------------------------------------------------------------------------------- mlp


class MLPFramework:
    def __init__(self, setup: MLPSetup) -> None:
        self.setup = setup
        f32 = np.float32
        self.model = nn.Sequential(
            nn.Linear(64, 256, dtype=f32), nn.ReLU(), nn.Linear(256, 256, dtype=f32), nn.ReLU(),
            nn.Linear(256, 10, dtype=f32),
        )
        _load(self.model, setup.params)
        self.batches = [(Tensor(x), Tensor(y)) for x, y in setup.batches]
        self.criterion = nn.CrossEntropyLoss()
        self.optimizer = optim.Adam(
            self.model.parameters(), lr=setup.lr, betas=setup.betas, eps=setup.eps
        )

    def step(self) -> Tensor:
        for x, y in self.batches:
            self.optimizer.zero_grad()
            loss = self.criterion(self.model(x), y)
            loss.backward()
            self.optimizer.step()
        return loss

    def result(self) -> dict[str, np.ndarray]:
        X, y = Tensor(self.setup.X), Tensor(self.setup.y)
        with tl.no_grad():
            logits = self.model(X)
            loss = self.criterion(logits, y).item()
        accuracy = np.mean(logits.numpy().argmax(axis=1) == self.setup.y)
        return {"loss": loss, "accuracy": accuracy}


def make_mlp(setup: MLPSetup) -> MLPFramework:
    return MLPFramework(setup)


# ------------------------------------------------------------------------------- conv1d


class ConvFramework:
    def __init__(self, setup: ConvSetup) -> None:
        self.block = nn.Sequential(
            nn.Conv1d(setup.in_channels, setup.out_channels, setup.kernel_size,
                      padding=setup.padding, dtype=np.float32),
            nn.ReLU(),
            nn.MaxPool1d(setup.pool),
        )
        _load(self.block, setup.params)
        self.x = Tensor(setup.x, requires_grad=True)
        self.grad_out = Tensor(setup.grad_out)

    def step(self) -> None:
        self.block.zero_grad()
        self.x.grad = None
        self.out = self.block(self.x)
        (self.out * self.grad_out).sum().backward()

    def result(self) -> dict[str, np.ndarray]:
        conv = self.block[0]
        return {
            "loss": np.sum(self.out.numpy() * self.grad_out.numpy(), dtype=np.float64),
            "out": self.out.numpy(), "grad_weight": conv.weight.grad.numpy(),
            "grad_bias": conv.bias.grad.numpy(), "grad_x": self.x.grad.numpy(),
        }


def make_conv1d(setup: ConvSetup) -> ConvFramework:
    return ConvFramework(setup)


# ----------------------------------------------------------------------------- overhead


class OverheadFramework:
    def __init__(self, setup: OverheadSetup) -> None:
        self.x = Tensor(setup.x)
        self.W = Tensor(setup.W, requires_grad=True)
        self.b = Tensor(setup.b, requires_grad=True)

    def step(self) -> None:
        self.W.grad = self.b.grad = None
        self.loss = (self.x @ self.W + self.b).sigmoid().sum()
        self.loss.backward()

    def result(self) -> dict[str, np.ndarray]:
        return {"loss": self.loss.item(), "grad_W": self.W.grad.numpy(),
                "grad_b": self.b.grad.numpy()}


def make_overhead(setup: OverheadSetup) -> OverheadFramework:
    return OverheadFramework(setup)


# --------------------------------------------------------------------------------- deep


class DeepFramework:
    def __init__(self, setup: DeepSetup) -> None:
        self.s = setup

    def build(self) -> None:
        s = self.s
        self.x = Tensor(s.x, requires_grad=True)
        y = self.x
        for _ in range(s.n_ops // 2):
            y = y * s.scale
            y = y + s.shift
        self.loss = y.sum()

    def backward(self) -> None:
        self.loss.backward()

    def result(self) -> dict[str, np.ndarray]:
        return {"loss": self.loss.item(), "grad_x": self.x.grad.numpy()}


def make_deep(setup: DeepSetup) -> DeepFramework:
    return DeepFramework(setup)
