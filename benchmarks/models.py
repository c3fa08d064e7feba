"""The workloads written once, against PyTorch's API, and run with ``fw`` = ``tinygrad_lab``
and with ``fw`` = ``torch``: the same source, so the two are compared on equal terms (and
``import tinygrad_lab as torch`` is put to the test). Each function returns a
:class:`~benchmarks.setups.Run` whose ``step`` is what a user writes; ``tl.compile``
wraps that same ``step`` for the compiled column.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

import numpy as np

from .setups import CHAIN_SCALE, CHAIN_SHIFT, CHAIN_X, ConvSetup, LabSetup, MLPSetup, Run


def _load(fw: ModuleType, model: Any, params: dict[str, np.ndarray]) -> Any:
    model.load_state_dict({k: fw.from_numpy(v.copy()) for k, v in params.items()})
    return model


def _numpy(t: Any) -> np.ndarray:
    return np.array(t.detach())


def _state(model: Any) -> dict[str, np.ndarray]:
    return {k: np.array(v) for k, v in model.state_dict().items()}


def _functional(fw: ModuleType) -> ModuleType:
    """``fw.autograd.functional`` (tinygrad_lab loads it on import, not with the package)."""
    return importlib.import_module(f"{fw.__name__}.autograd.functional")


def train_step(model: Any, loss_fn: Any, optimizer: Any):
    """The one training step of the benchmarks: PyTorch's canonical five lines."""

    def step(x: Any, y: Any) -> Any:
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        return loss

    return step


def lab(fw: ModuleType, s: LabSetup) -> Run:
    """The 2-4-4-1 sigmoid network, MSE, full-batch SGD, float64: a step is an epoch."""
    nn, f64 = fw.nn, fw.float64
    model = _load(fw, nn.Sequential(
        nn.Linear(2, 4, dtype=f64), nn.Sigmoid(), nn.Linear(4, 4, dtype=f64), nn.Sigmoid(),
        nn.Linear(4, 1, dtype=f64), nn.Sigmoid()), s.params)
    step = train_step(model, nn.MSELoss(), fw.optim.SGD(model.parameters(), lr=s.lr))

    def result(loss: Any) -> dict[str, Any]:
        return {"loss": loss.item(), **_state(model)}

    return Run(step, [(fw.from_numpy(s.X), fw.from_numpy(s.y))], result)


def _mlp_model(fw: ModuleType, s: MLPSetup) -> Any:
    nn = fw.nn
    return _load(fw, nn.Sequential(nn.Linear(64, 256), nn.ReLU(), nn.Linear(256, 256),
                                   nn.ReLU(), nn.Linear(256, 10)), s.params)


def mlp(fw: ModuleType, s: MLPSetup) -> Run:
    """Digits, 64-256-256-10, cross-entropy, Adam: a step is a mini-batch."""
    model = _mlp_model(fw, s)
    loss_fn = fw.nn.CrossEntropyLoss()
    step = train_step(model, loss_fn, fw.optim.Adam(model.parameters(), lr=s.lr))

    def result(_last: Any) -> dict[str, Any]:
        with fw.no_grad():
            logits = model(fw.from_numpy(s.X))
            loss = loss_fn(logits, fw.from_numpy(s.y)).item()
        return {"loss": loss, "accuracy": np.mean(_numpy(logits).argmax(axis=1) == s.y)}

    return Run(step, [(fw.from_numpy(x), fw.from_numpy(y)) for x, y in s.batches], result)


def conv1d(fw: ModuleType, s: ConvSetup) -> Run:
    """Forward and backward of ``(block(x) * g).sum()``; gradients for weight, bias, x."""
    nn = fw.nn
    block = _load(fw, nn.Sequential(nn.Conv1d(16, 32, 5, padding=2), nn.ReLU(),
                                    nn.MaxPool1d(2)), s.params)

    def step(x: Any, g: Any) -> Any:
        block.zero_grad()
        x.grad = None
        loss = (block(x) * g).sum()
        loss.backward()
        return loss

    def result(loss: Any) -> dict[str, Any]:
        conv = block[0]
        return {"loss": loss.item(), "grad_weight": _numpy(conv.weight.grad),
                "grad_bias": _numpy(conv.bias.grad), "grad_x": _numpy(x.grad)}

    x = fw.from_numpy(s.x.copy()).requires_grad_()
    return Run(step, [(x, fw.from_numpy(s.g))], result)


def _params(fw: ModuleType, params: dict[str, np.ndarray]) -> tuple[Any, ...]:
    return tuple(fw.from_numpy(v.copy()) for v in params.values())


def lab_hessian(fw: ModuleType, s: LabSetup) -> Run:
    """The full Hessian of the lab network's MSE loss in its 37 parameters, as
    ``autograd.functional.hessian`` gives it: a 6×6 tuple of blocks."""
    F = fw.nn.functional
    X, y = fw.from_numpy(s.X), fw.from_numpy(s.y)

    def loss(w1: Any, b1: Any, w2: Any, b2: Any, w3: Any, b3: Any) -> Any:
        h = F.linear(X, w1, b1).sigmoid()
        h = F.linear(h, w2, b2).sigmoid()
        return F.mse_loss(F.linear(h, w3, b3).sigmoid(), y)

    def step(*params: Any) -> Any:
        return _functional(fw).hessian(loss, params)

    def result(H: Any) -> dict[str, Any]:
        return {f"H[{i}][{j}]": _numpy(block) for i, row in enumerate(H)
                for j, block in enumerate(row)}

    return Run(step, [_params(fw, s.params)], result)


def mlp_hvp(fw: ModuleType, s: MLPSetup) -> Run:
    """A Hessian-vector product of the digits MLP's loss on its first batch, in all its
    parameters, along the fixed direction ``s.v``."""
    F = fw.nn.functional
    x, y = (fw.from_numpy(a) for a in s.batches[0])
    v = _params(fw, s.v)

    def loss(w1: Any, b1: Any, w2: Any, b2: Any, w3: Any, b3: Any) -> Any:
        h = F.relu(F.linear(x, w1, b1))
        h = F.relu(F.linear(h, w2, b2))
        return F.cross_entropy(F.linear(h, w3, b3), y)

    def step(*params: Any) -> Any:
        return _functional(fw).hvp(loss, params, v)

    def result(out: Any) -> dict[str, Any]:
        value, hv = out
        return {"loss": value.item(), **{f"Hv[{i}]": _numpy(h) for i, h in enumerate(hv)}}

    return Run(step, [_params(fw, s.params)], result)


def chain_build(fw: ModuleType, n_ops: int) -> tuple[Any, Any]:
    """A graph of ``n_ops`` chained ops on a 4-vector, then ``sum``: (leaf, loss)."""
    x = fw.tensor(CHAIN_X, requires_grad=True)
    y = x
    for _ in range(n_ops // 2):
        y = y * CHAIN_SCALE
        y = y + CHAIN_SHIFT
    return x, y.sum()
