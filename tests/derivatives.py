"""First and second derivatives of an op against central finite differences, through
``tl.autograd.grad`` (shared by the activation, loss and layer tests).

``check_grad`` compares ``d <v, f(x)> / dx`` (a random ``v``) with central differences of
``<v, f>``. ``check_gradgrad`` differentiates that gradient again: with
``G(x) = grad(<v, f(x)>, x, create_graph=True)`` and a random ``u``, it compares
``d <u, G(x)> / dx`` from autograd with central differences of ``<u, G>``, element by
element, and checks that the gradient recorded under ``create_graph`` equals the one of
the fast (array) path. An op whose first derivative is right but whose formula cannot be
differentiated correctly fails the second check.

(To be replaced by ``tl.testing.gradgradcheck`` once it lands.)
"""

from __future__ import annotations

import numpy as np

from tinygrad_lab import Tensor
from tinygrad_lab.autograd import grad


def _leaves(arrays, wrt):
    return [Tensor(a.copy(), requires_grad=i in wrt) if isinstance(a, np.ndarray) and
            a.dtype.kind == "f" else a for i, a in enumerate(arrays)]


def _gradient(fn, arrays, wrt, v, create_graph):
    """The leaves and ``grad(<v, fn(leaves)>, leaves[wrt])`` (zeros for unused inputs)."""
    leaves = _leaves(arrays, wrt)
    out = fn(*leaves)
    inputs = [leaves[i] for i in wrt]
    if not out.requires_grad:
        return leaves, [np.zeros_like(arrays[i]) for i in wrt]
    grads = grad(out, inputs, grad_outputs=v, create_graph=create_graph, allow_unused=True)
    return leaves, [np.zeros_like(arrays[i]) if g is None else g
                    for g, i in zip(grads, wrt, strict=True)]


def _output_vector(fn, arrays, rng):
    out = fn(*_leaves(arrays, ()))
    return rng.standard_normal(out.shape)


def _numeric(scalar, arrays, i, eps):
    """Central differences of ``scalar(arrays)`` with respect to ``arrays[i]``."""
    result = np.zeros(arrays[i].shape)
    flat = result.reshape(-1)
    for k in range(arrays[i].size):
        shifted = [a.copy() if isinstance(a, np.ndarray) else a for a in arrays]
        shifted[i].reshape(-1)[k] += eps
        plus = scalar(shifted)
        shifted[i].reshape(-1)[k] -= 2 * eps
        minus = scalar(shifted)
        flat[k] = (plus - minus) / (2 * eps)
    return result


def _wrt(arrays, wrt):
    if wrt is None:
        return tuple(i for i, a in enumerate(arrays)
                     if isinstance(a, np.ndarray) and a.dtype.kind == "f")
    return tuple(wrt)


def check_grad(fn, *arrays, wrt=None, eps=1e-6, atol=1e-5, rtol=1e-3, seed=0):
    """Assert that autograd's ``d <v, fn> / d arrays[wrt]`` matches central differences.

    ``arrays`` are float64 ndarrays (or other arguments passed as they are); ``wrt``
    names the differentiated ones (default: every float array).
    """
    wrt = _wrt(arrays, wrt)
    rng = np.random.default_rng(seed)
    v = _output_vector(fn, arrays, rng)
    _, grads = _gradient(fn, arrays, wrt, v, create_graph=False)

    def value(shifted):
        return float(np.sum(v * fn(*_leaves(shifted, ())).numpy()))

    for g, i in zip(grads, wrt, strict=True):
        numeric = _numeric(value, arrays, i, eps)
        np.testing.assert_allclose(np.asarray(g), numeric, atol=atol, rtol=rtol,
                                   err_msg=f"first derivative, input {i}")
    return True


def check_gradgrad(fn, *arrays, wrt=None, eps=1e-6, atol=1e-5, rtol=1e-3, seed=0):
    """Assert that the second derivatives ``d <u, d <v, fn>/dx> / dx`` from autograd
    (``create_graph=True``, then ``grad`` again) match central differences of the first
    derivative, and that the recorded first derivative equals the fast path's."""
    wrt = _wrt(arrays, wrt)
    rng = np.random.default_rng(seed)
    v = _output_vector(fn, arrays, rng)
    us = [rng.standard_normal(arrays[i].shape) for i in wrt]
    _, fast = _gradient(fn, arrays, wrt, v, create_graph=False)
    leaves, recorded = _gradient(fn, arrays, wrt, v, create_graph=True)
    for f, r, i in zip(fast, recorded, wrt, strict=True):
        np.testing.assert_allclose(np.asarray(r), np.asarray(f), rtol=1e-12, atol=1e-14,
                                   err_msg=f"create_graph changed the gradient of input {i}")

    def projected(shifted):  # <u, G(shifted)>, with G from the fast path
        _, grads = _gradient(fn, shifted, wrt, v, create_graph=False)
        return float(sum(np.sum(u * np.asarray(g)) for u, g in zip(us, grads, strict=True)))

    tracked = [g for g in recorded if isinstance(g, Tensor) and g.requires_grad]
    if tracked:
        total = sum((g * u).sum() for g, u in zip(recorded, us, strict=True)
                    if isinstance(g, Tensor) and g.requires_grad)
        second = grad(total, [leaves[i] for i in wrt], allow_unused=True)
    else:  # the gradient does not depend on the inputs: second derivatives are 0
        second = [None] * len(wrt)
    for s, i in zip(second, wrt, strict=True):
        analytic = np.zeros_like(arrays[i]) if s is None else s.numpy()
        numeric = _numeric(projected, arrays, i, eps)
        np.testing.assert_allclose(analytic, numeric, atol=atol, rtol=rtol,
                                   err_msg=f"second derivative, input {i}")
    return True
