"""The same workloads, forward and backward written by hand in NumPy: the floor.

This is what a careful student writes after the lab: the chain rule unrolled by hand for
one fixed network, no graph, no closures, in-place parameter updates. It is not heroic
(no fused kernels, no preallocated buffers), so a framework on NumPy can hope to get close.
Weights are stored as PyTorch does, ``(out_features, in_features)``, so a layer is
``x @ W.T + b`` (NumPy hands the transposed view to BLAS without copying).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .workloads import ConvSetup, DeepSetup, LabSetup, MLPSetup, OverheadSetup


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


# ---------------------------------------------------------------------------------- lab


class LabNumpy:
    """2-4-4-1 sigmoid MLP, MSE, full-batch SGD; ``step()`` is one epoch."""

    def __init__(self, setup: LabSetup) -> None:
        self.X, self.y, self.lr = setup.X, setup.y, setup.lr
        p = {k: v.copy() for k, v in setup.params.items()}
        self.W1, self.b1 = p["0.weight"], p["0.bias"]
        self.W2, self.b2 = p["2.weight"], p["2.bias"]
        self.W3, self.b3 = p["4.weight"], p["4.bias"]

    def _forward(self):
        a1 = _sigmoid(self.X @ self.W1.T + self.b1)
        a2 = _sigmoid(a1 @ self.W2.T + self.b2)
        a3 = _sigmoid(a2 @ self.W3.T + self.b3)
        return a1, a2, a3

    def step(self) -> np.floating:
        X, lr = self.X, self.lr
        a1, a2, a3 = self._forward()
        diff = a3 - self.y
        loss = np.mean(diff * diff)
        # d loss / d z3 with loss = mean(diff²) and a3 = sigmoid(z3)
        d3 = (2.0 / diff.size) * diff * a3 * (1.0 - a3)
        d2 = (d3 @ self.W3) * a2 * (1.0 - a2)
        d1 = (d2 @ self.W2) * a1 * (1.0 - a1)
        self.W3 -= lr * (d3.T @ a2)
        self.b3 -= lr * d3.sum(axis=0)
        self.W2 -= lr * (d2.T @ a1)
        self.b2 -= lr * d2.sum(axis=0)
        self.W1 -= lr * (d1.T @ X)
        self.b1 -= lr * d1.sum(axis=0)
        return loss

    def params(self) -> dict[str, np.ndarray]:
        return {
            "0.weight": self.W1, "0.bias": self.b1,
            "2.weight": self.W2, "2.bias": self.b2,
            "4.weight": self.W3, "4.bias": self.b3,
        }

    def result(self) -> dict[str, np.ndarray]:
        diff = self._forward()[2] - self.y
        return {"loss": np.mean(diff * diff), **self.params()}


def make_lab(setup: LabSetup) -> LabNumpy:
    return LabNumpy(setup)


# ---------------------------------------------------------------------------------- mlp


class MLPNumpy:
    """64-256-256-10 ReLU MLP, softmax cross-entropy, Adam (PyTorch's formula), float32;
    ``step()`` is one epoch of mini-batches."""

    def __init__(self, setup: MLPSetup) -> None:
        self.setup = setup
        self.p = {k: v.copy() for k, v in setup.params.items()}
        self.m = {k: np.zeros_like(v) for k, v in self.p.items()}
        self.v = {k: np.zeros_like(v) for k, v in self.p.items()}
        self.t = 0

    def _forward(self, x: np.ndarray):
        p = self.p
        h1 = np.maximum(x @ p["0.weight"].T + p["0.bias"], 0)
        h2 = np.maximum(h1 @ p["2.weight"].T + p["2.bias"], 0)
        logits = h2 @ p["4.weight"].T + p["4.bias"]
        return h1, h2, logits

    @staticmethod
    def _log_softmax(logits: np.ndarray) -> np.ndarray:
        shifted = logits - logits.max(axis=1, keepdims=True)
        return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))

    def _adam(self) -> None:
        s = self.setup
        b1, b2 = s.betas
        self.t += 1
        step_size = s.lr / (1 - b1**self.t)
        sqrt_bc2 = math.sqrt(1 - b2**self.t)  # a Python float keeps float32 math float32
        for k, p in self.p.items():
            g, m, v = self.grads[k], self.m[k], self.v[k]
            m *= b1
            m += (1 - b1) * g
            v *= b2
            v += (1 - b2) * (g * g)
            denom = np.sqrt(v)
            denom /= sqrt_bc2
            denom += s.eps
            update = step_size * m
            update /= denom
            p -= update

    def step(self) -> np.floating:
        p = self.p
        for x, y in self.setup.batches:
            n = len(y)
            h1, h2, logits = self._forward(x)
            logp = self._log_softmax(logits)
            loss = -logp[np.arange(n), y].mean()
            # d loss / d logits = (softmax - onehot) / n
            d3 = np.exp(logp)
            d3[np.arange(n), y] -= 1
            d3 /= n
            d2 = (d3 @ p["4.weight"]) * (h2 > 0)
            d1 = (d2 @ p["2.weight"]) * (h1 > 0)
            self.grads = {
                "4.weight": d3.T @ h2, "4.bias": d3.sum(axis=0),
                "2.weight": d2.T @ h1, "2.bias": d2.sum(axis=0),
                "0.weight": d1.T @ x, "0.bias": d1.sum(axis=0),
            }
            self._adam()
        return loss

    def result(self) -> dict[str, np.ndarray]:
        X, y = self.setup.X, self.setup.y
        logits = self._forward(X)[2]
        loss = -self._log_softmax(logits)[np.arange(len(y)), y].mean()
        return {"loss": loss, "accuracy": np.mean(logits.argmax(axis=1) == y)}


def make_mlp(setup: MLPSetup) -> MLPNumpy:
    return MLPNumpy(setup)


# ------------------------------------------------------------------------------- conv1d


class ConvNumpy:
    """Conv1d -> ReLU -> MaxPool1d(2), forward and backward, in the (N, C, L) layout:
    im2col once, then one batched GEMM for the output, the weight gradient and the input
    gradient each (no transposed copies of activations)."""

    def __init__(self, setup: ConvSetup) -> None:
        if setup.pool != 2:
            raise ValueError(f"ConvNumpy: written for MaxPool1d(2), got pool {setup.pool}")
        self.s = setup
        self.W = setup.params["0.weight"].copy()
        self.b = setup.params["0.bias"].copy()

    def step(self) -> None:
        s, W = self.s, self.W
        x, k, pad = s.x, s.kernel_size, s.padding
        n, c_in, length = x.shape
        c_out = W.shape[0]
        Wm = W.reshape(c_out, c_in * k)
        # im2col: cols[n, (c, j), l] = xpad[n, c, l + j], one contiguous copy
        xpad = np.pad(x, ((0, 0), (0, 0), (pad, pad)))
        windows = sliding_window_view(xpad, k, axis=2).transpose(0, 1, 3, 2)  # (n, c, k, L)
        cols = np.ascontiguousarray(windows).reshape(n, c_in * k, length)
        z = Wm @ cols  # (n, c_out, L): one GEMM per sample, no transposes
        z += self.b[:, None]
        r = np.maximum(z, 0)
        # max-pool over pairs (l even, l odd); the first wins a tie, as in PyTorch
        left, right = r[..., 0::2], r[..., 1::2]
        first = left >= right
        out = np.maximum(left, right)
        # backward of (out * grad_out).sum(): the pool routes each gradient to the winner
        # of its pair, the ReLU lets it through where z > 0.
        g = s.grad_out
        dz = np.empty_like(z)
        np.multiply(g, first, out=dz[..., 0::2])
        np.multiply(g, ~first, out=dz[..., 1::2])
        dz *= z > 0
        self.dW = (dz @ cols.transpose(0, 2, 1)).sum(axis=0).reshape(W.shape)
        self.db = dz.sum(axis=(0, 2))
        # col2im: each tap j of the kernel adds its rows back into the padded input
        dcols = (Wm.T @ dz).reshape(n, c_in, k, length)
        dxpad = np.zeros_like(xpad)
        for j in range(k):  # k taps, each fully vectorised
            dxpad[:, :, j : j + length] += dcols[:, :, j]
        self.dx = dxpad[:, :, pad : pad + length]
        self.out = out

    def result(self) -> dict[str, np.ndarray]:
        return {
            "loss": np.sum(self.out * self.s.grad_out, dtype=np.float64),
            "out": self.out, "grad_weight": self.dW, "grad_bias": self.db, "grad_x": self.dx,
        }


def make_conv1d(setup: ConvSetup) -> ConvNumpy:
    return ConvNumpy(setup)


# ----------------------------------------------------------------------------- overhead


class OverheadNumpy:
    """``sigmoid(x @ W + b).sum()`` and its gradients for W and b."""

    def __init__(self, setup: OverheadSetup) -> None:
        self.x, self.W, self.b = setup.x, setup.W, setup.b

    def step(self) -> None:
        s = _sigmoid(self.x @ self.W + self.b)
        self.loss = s.sum()
        dz = s * (1 - s)
        self.dW = self.x.T @ dz
        self.db = dz.sum(axis=0)

    def result(self) -> dict[str, np.ndarray]:
        return {"loss": self.loss, "grad_W": self.dW, "grad_b": self.db}


def make_overhead(setup: OverheadSetup) -> OverheadNumpy:
    return OverheadNumpy(setup)


# --------------------------------------------------------------------------------- deep


class DeepNumpy:
    """The chain ``y = y * a; y = y + c`` (n_ops ops), then ``sum``, by hand.

    ``build()`` is the forward pass; ``backward()`` multiplies the gradient back through
    the chain (by hand, the ``+ c`` ops cost nothing: they pass the gradient on).
    """

    def __init__(self, setup: DeepSetup) -> None:
        self.s = setup

    def build(self) -> None:
        s = self.s
        y = s.x.copy()
        for _ in range(s.n_ops // 2):
            y = y * s.scale
            y = y + s.shift
        self.loss = y.sum()

    def backward(self) -> None:
        s = self.s
        g = np.ones_like(s.x)
        for _ in range(s.n_ops // 2):
            g = g * s.scale
        self.grad = g

    def result(self) -> dict[str, np.ndarray]:
        return {"loss": self.loss, "grad_x": self.grad}


def make_deep(setup: DeepSetup) -> DeepNumpy:
    return DeepNumpy(setup)
