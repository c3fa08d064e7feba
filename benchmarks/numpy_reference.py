"""The workloads with forward and backward written by hand in NumPy: the floor.

This is what a careful student writes after the lab: the chain rule unrolled by hand for
one fixed network, no graph, no closures over tensors, in-place parameter updates. It is
not heroic (no fused kernels, no preallocated buffers), so a framework on NumPy can hope
to get close. Weights are stored as PyTorch does, ``(out_features, in_features)``, so a
layer is ``x @ W.T + b`` (NumPy hands the transposed view to BLAS without copying).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .setups import CHAIN_SCALE, CHAIN_SHIFT, CHAIN_X, ConvSetup, LabSetup, MLPSetup, Run


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def lab_gradients(p: dict[str, np.ndarray], X: np.ndarray, y: np.ndarray):
    """MSE loss of the 2-4-4-1 sigmoid network and its gradient for every parameter."""
    a1 = _sigmoid(X @ p["0.weight"].T + p["0.bias"])
    a2 = _sigmoid(a1 @ p["2.weight"].T + p["2.bias"])
    a3 = _sigmoid(a2 @ p["4.weight"].T + p["4.bias"])
    diff = a3 - y
    loss = np.mean(diff * diff)
    d3 = (2.0 / diff.size) * diff * a3 * (1.0 - a3)  # d loss / d z3
    d2 = (d3 @ p["4.weight"]) * a2 * (1.0 - a2)
    d1 = (d2 @ p["2.weight"]) * a1 * (1.0 - a1)
    grads = {"4.weight": d3.T @ a2, "4.bias": d3.sum(axis=0),
             "2.weight": d2.T @ a1, "2.bias": d2.sum(axis=0),
             "0.weight": d1.T @ X, "0.bias": d1.sum(axis=0)}
    return loss, grads


def lab(s: LabSetup) -> Run:
    """One step is one epoch of full-batch SGD."""
    p = {k: v.copy() for k, v in s.params.items()}

    def step(X: np.ndarray, y: np.ndarray) -> np.floating:
        loss, grads = lab_gradients(p, X, y)
        for k, g in grads.items():
            p[k] -= s.lr * g
        return loss

    return Run(step, [(s.X, s.y)], lambda loss: {"loss": loss, **p})


def _log_softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def _mlp_forward(p: dict[str, np.ndarray], x: np.ndarray):
    h1 = np.maximum(x @ p["0.weight"].T + p["0.bias"], 0)
    h2 = np.maximum(h1 @ p["2.weight"].T + p["2.bias"], 0)
    return h1, h2, h2 @ p["4.weight"].T + p["4.bias"]


def mlp_gradients(p: dict[str, np.ndarray], x: np.ndarray, y: np.ndarray):
    """Cross-entropy of the 64-256-256-10 ReLU MLP on a batch and its gradients."""
    n = len(y)
    h1, h2, logits = _mlp_forward(p, x)
    logp = _log_softmax(logits)
    loss = -logp[np.arange(n), y].mean()
    d3 = np.exp(logp)  # d loss / d logits = (softmax - onehot) / n
    d3[np.arange(n), y] -= 1
    d3 /= n
    d2 = (d3 @ p["4.weight"]) * (h2 > 0)
    d1 = (d2 @ p["2.weight"]) * (h1 > 0)
    grads = {"4.weight": d3.T @ h2, "4.bias": d3.sum(axis=0),
             "2.weight": d2.T @ h1, "2.bias": d2.sum(axis=0),
             "0.weight": d1.T @ x, "0.bias": d1.sum(axis=0)}
    return loss, grads


def adam_update(p, grads, m, v, t: int, lr: float, b1=0.9, b2=0.999, eps=1e-8) -> None:
    """PyTorch's Adam (``amsgrad=False``), in place, for step number ``t`` (from 1)."""
    step_size = lr / (1 - b1**t)
    sqrt_bc2 = math.sqrt(1 - b2**t)  # a Python float keeps float32 math float32
    for k, g in grads.items():
        m[k] *= b1
        m[k] += (1 - b1) * g
        v[k] *= b2
        v[k] += (1 - b2) * (g * g)
        denom = np.sqrt(v[k])
        denom /= sqrt_bc2
        denom += eps
        update = step_size * m[k]
        update /= denom
        p[k] -= update


def mlp(s: MLPSetup) -> Run:
    """One step is one mini-batch of Adam; an epoch is every batch once."""
    p = {k: v.copy() for k, v in s.params.items()}
    m = {k: np.zeros_like(v) for k, v in p.items()}
    v = {k: np.zeros_like(a) for k, a in p.items()}
    steps = [0]

    def step(x: np.ndarray, y: np.ndarray) -> np.floating:
        loss, grads = mlp_gradients(p, x, y)
        steps[0] += 1
        adam_update(p, grads, m, v, steps[0], s.lr)
        return loss

    def result(_last: object) -> dict[str, np.ndarray]:
        logits = _mlp_forward(p, s.X)[2]
        loss = -_log_softmax(logits)[np.arange(len(s.y)), s.y].mean()
        return {"loss": loss, "accuracy": np.mean(logits.argmax(axis=1) == s.y)}

    return Run(step, s.batches, result)


def conv_forward_backward(W: np.ndarray, b: np.ndarray, x: np.ndarray, g: np.ndarray):
    """Conv1d(padding 2) → ReLU → MaxPool1d(2) and the gradients of ``(out * g).sum()``
    for W, b and x: im2col once, then one batched GEMM each for the output, the weight
    gradient and the input gradient (no transposed copies of activations)."""
    n, c_in, length = x.shape
    c_out, _, k = W.shape
    pad = (k - 1) // 2
    Wm = W.reshape(c_out, c_in * k)
    xpad = np.pad(x, ((0, 0), (0, 0), (pad, pad)))  # cols[n, (c, j), l] = xpad[n, c, l + j]
    windows = sliding_window_view(xpad, k, axis=2).transpose(0, 1, 3, 2)
    cols = np.ascontiguousarray(windows).reshape(n, c_in * k, length)
    z = Wm @ cols
    z += b[:, None]
    r = np.maximum(z, 0)
    left, right = r[..., 0::2], r[..., 1::2]
    first = left >= right  # the first of a pair wins a tie, as in PyTorch
    out = np.maximum(left, right)
    dz = np.empty_like(z)  # the pool routes each gradient to its pair's winner
    np.multiply(g, first, out=dz[..., 0::2])
    np.multiply(g, ~first, out=dz[..., 1::2])
    dz *= z > 0
    dW = (dz @ cols.transpose(0, 2, 1)).sum(axis=0).reshape(W.shape)
    db = dz.sum(axis=(0, 2))
    dcols = (Wm.T @ dz).reshape(n, c_in, k, length)  # col2im: each tap adds its rows back
    dxpad = np.zeros_like(xpad)
    for j in range(k):
        dxpad[:, :, j : j + length] += dcols[:, :, j]
    return out, dW, db, dxpad[:, :, pad : pad + length]


def conv1d(s: ConvSetup) -> Run:
    W, b = s.params["0.weight"], s.params["0.bias"]

    def step(x: np.ndarray, g: np.ndarray) -> dict[str, np.ndarray]:
        out, dW, db, dx = conv_forward_backward(W, b, x, g)
        return {"loss": np.sum(out * g, dtype=np.float64), "grad_weight": dW,
                "grad_bias": db, "grad_x": dx}

    return Run(step, [(s.x, s.g)], lambda last: last)


def chain_build(n_ops: int) -> np.floating:
    """The forward pass of the long chain."""
    y = CHAIN_X.copy()
    for _ in range(n_ops // 2):
        y = y * CHAIN_SCALE
        y = y + CHAIN_SHIFT
    return y.sum()


def chain_backward(n_ops: int) -> np.ndarray:
    """Its gradient, multiplied back op by op (the ``+ shift`` ops pass it on unchanged)."""
    g = np.ones_like(CHAIN_X)
    for _ in range(n_ops // 2):
        g = g * CHAIN_SCALE
    return g
