"""The same workloads in PyTorch (CPU), written the way PyTorch's tutorials write them.

Imported only when torch is installed. The thread count is set by the caller
(``torch.set_num_threads``); nothing here changes it.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from .workloads import ConvSetup, DeepSetup, LabSetup, MLPSetup, OverheadSetup


def _load(model: nn.Module, params: dict[str, np.ndarray]) -> None:
    model.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in params.items()})


def _numpy(t: torch.Tensor) -> np.ndarray:
    return t.detach().numpy().copy()


# ---------------------------------------------------------------------------------- lab


class LabTorch:
    def __init__(self, setup: LabSetup) -> None:
        self.model = nn.Sequential(
            nn.Linear(2, 4), nn.Sigmoid(), nn.Linear(4, 4), nn.Sigmoid(),
            nn.Linear(4, 1), nn.Sigmoid(),
        ).double()
        _load(self.model, setup.params)
        self.X, self.y = torch.from_numpy(setup.X), torch.from_numpy(setup.y)
        self.criterion = nn.MSELoss()
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=setup.lr)

    def step(self) -> torch.Tensor:
        self.optimizer.zero_grad()
        loss = self.criterion(self.model(self.X), self.y)
        loss.backward()
        self.optimizer.step()
        return loss

    def result(self) -> dict[str, np.ndarray]:
        with torch.no_grad():
            loss = self.criterion(self.model(self.X), self.y)
        return {"loss": loss.item(), **{k: _numpy(v) for k, v in self.model.state_dict().items()}}


def make_lab(setup: LabSetup) -> LabTorch:
    return LabTorch(setup)


# ---------------------------------------------------------------------------------- mlp


class MLPTorch:
    def __init__(self, setup: MLPSetup) -> None:
        self.setup = setup
        self.model = nn.Sequential(
            nn.Linear(64, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10)
        )
        _load(self.model, setup.params)
        self.batches = [(torch.from_numpy(x), torch.from_numpy(y)) for x, y in setup.batches]
        self.criterion = nn.CrossEntropyLoss()
        self.optimizer = torch.optim.Adam(
            self.model.parameters(), lr=setup.lr, betas=setup.betas, eps=setup.eps
        )

    def step(self) -> torch.Tensor:
        for x, y in self.batches:
            self.optimizer.zero_grad()
            loss = self.criterion(self.model(x), y)
            loss.backward()
            self.optimizer.step()
        return loss

    def result(self) -> dict[str, np.ndarray]:
        X, y = torch.from_numpy(self.setup.X), torch.from_numpy(self.setup.y)
        with torch.no_grad():
            logits = self.model(X)
            loss = self.criterion(logits, y).item()
        return {"loss": loss, "accuracy": (logits.argmax(dim=1) == y).double().mean().item()}


def make_mlp(setup: MLPSetup) -> MLPTorch:
    return MLPTorch(setup)


# ------------------------------------------------------------------------------- conv1d


class ConvTorch:
    def __init__(self, setup: ConvSetup) -> None:
        self.block = nn.Sequential(
            nn.Conv1d(setup.in_channels, setup.out_channels, setup.kernel_size,
                      padding=setup.padding),
            nn.ReLU(),
            nn.MaxPool1d(setup.pool),
        )
        _load(self.block, setup.params)
        self.x = torch.from_numpy(setup.x.copy()).requires_grad_(True)
        self.grad_out = torch.from_numpy(setup.grad_out)

    def step(self) -> None:
        self.block.zero_grad()
        self.x.grad = None
        self.out = self.block(self.x)
        (self.out * self.grad_out).sum().backward()

    def result(self) -> dict[str, np.ndarray]:
        conv = self.block[0]
        return {
            "loss": (self.out * self.grad_out).sum(dtype=torch.float64).item(),
            "out": _numpy(self.out), "grad_weight": _numpy(conv.weight.grad),
            "grad_bias": _numpy(conv.bias.grad), "grad_x": _numpy(self.x.grad),
        }


def make_conv1d(setup: ConvSetup) -> ConvTorch:
    return ConvTorch(setup)


# ----------------------------------------------------------------------------- overhead


class OverheadTorch:
    def __init__(self, setup: OverheadSetup) -> None:
        self.x = torch.from_numpy(setup.x)
        self.W = torch.from_numpy(setup.W.copy()).requires_grad_(True)
        self.b = torch.from_numpy(setup.b.copy()).requires_grad_(True)

    def step(self) -> None:
        self.W.grad = self.b.grad = None
        self.loss = torch.sigmoid(self.x @ self.W + self.b).sum()
        self.loss.backward()

    def result(self) -> dict[str, np.ndarray]:
        return {"loss": self.loss.item(), "grad_W": _numpy(self.W.grad),
                "grad_b": _numpy(self.b.grad)}


def make_overhead(setup: OverheadSetup) -> OverheadTorch:
    return OverheadTorch(setup)


# --------------------------------------------------------------------------------- deep


class DeepTorch:
    def __init__(self, setup: DeepSetup) -> None:
        self.s = setup

    def build(self) -> None:
        s = self.s
        self.x = torch.from_numpy(s.x.copy()).requires_grad_(True)
        y = self.x
        for _ in range(s.n_ops // 2):
            y = y * s.scale
            y = y + s.shift
        self.loss = y.sum()

    def backward(self) -> None:
        self.loss.backward()

    def result(self) -> dict[str, np.ndarray]:
        return {"loss": self.loss.item(), "grad_x": _numpy(self.x.grad)}


def make_deep(setup: DeepSetup) -> DeepTorch:
    return DeepTorch(setup)

