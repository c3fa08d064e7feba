"""Second-order checks for the op tests (reduce, shape, indexing, linalg).

Two complementary checks, both against central finite differences:

* :func:`tinygrad_lab.testing.gradgradcheck`: the gradient ``vᵀJ`` (made with
  ``create_graph=True``) differentiated again with respect to the inputs. For an op that
  is linear in its input (reshape, sum, getitem, ...) this derivative is zero, so the
  tests compose such ops with a nonlinearity (``op(x) ** 2``): the op's gradient then
  runs on a ``g`` that depends on ``x``, and must itself be differentiable.
* :func:`check_double_backward_jvp`: the gradient differentiated with respect to the
  output gradient ``v`` (the "double backward" trick): ``d/dv <vᵀJ, u> = J u``, the
  directional derivative, which finite differences give directly. This exercises every
  op's gradient formula as a recorded op, linear ops included.
"""

from __future__ import annotations

import numpy as np
from conftest import leaf

from tinygrad_lab import Tensor
from tinygrad_lab.autograd import grad, no_grad
from tinygrad_lab.testing import gradgradcheck


def check_double_backward_jvp(fn, tensors, seed=0, eps=1e-6, atol=1e-6, rtol=1e-5):
    """Check ``d/dv <gradient of (fn(*tensors) · v), u> = J u`` against finite differences."""
    rng = np.random.default_rng(seed)
    out = fn(*tensors)
    v = Tensor(rng.standard_normal(out.shape), requires_grad=True)
    wanted = [t for t in tensors if t.requires_grad]
    grads = grad(out, wanted, grad_outputs=v, create_graph=True, allow_unused=True)
    directions = [rng.standard_normal(t.shape) for t in wanted]
    total = None
    for g, u in zip(grads, directions, strict=True):
        if g is not None and isinstance(g, Tensor) and g.requires_grad:
            term = (g * u).sum()
            total = term if total is None else total + term
    if total is None:
        analytic = np.zeros(out.shape)
    else:
        (jv,) = grad(total, v, allow_unused=True)
        analytic = np.zeros(out.shape) if jv is None else jv.numpy()
    saved = [t.numpy().copy() for t in wanted]
    try:
        with no_grad():
            for t, s, u in zip(wanted, saved, directions, strict=True):
                t.numpy()[...] = s + eps * u
            plus = np.array(fn(*tensors).numpy(), dtype=np.float64)
            for t, s, u in zip(wanted, saved, directions, strict=True):
                t.numpy()[...] = s - eps * u
            minus = np.array(fn(*tensors).numpy(), dtype=np.float64)
    finally:
        for t, s in zip(wanted, saved, strict=True):
            t.numpy()[...] = s
    numeric = (plus - minus) / (2 * eps)
    np.testing.assert_allclose(analytic, numeric, atol=atol, rtol=rtol)
    return True


def check_second_order(fn, *arrays, linear=False, fast_mode=False):
    """Both second-order checks of ``fn`` at float64 leaves made of ``arrays``.

    For an op that is linear in its inputs, pass ``linear=True``: gradgradcheck then
    runs on ``fn(...) ** 2`` (see the module docstring).
    """
    tensors = [leaf(a) for a in arrays]
    target = (lambda *ts: fn(*ts) ** 2) if linear else fn
    assert gradgradcheck(target, tensors, fast_mode=fast_mode)
    assert check_double_backward_jvp(fn, tensors)
    return True


def torch_second_order(ours, theirs, arrays, seed=0):
    """Hessian-vector products ``d/dx <d(f·v)/dx, u>`` of ``ours`` (tinygrad_lab) and
    ``theirs`` (torch) at ``arrays``, both in float64: returns the two lists."""
    import torch

    rng = np.random.default_rng(seed)
    xs = [leaf(a) for a in arrays]
    ts = [torch.tensor(np.array(a, dtype=np.float64), requires_grad=True) for a in arrays]
    out, ref = ours(*xs), theirs(*ts)
    v = rng.standard_normal(tuple(ref.shape))
    us = [rng.standard_normal(np.shape(a)) for a in arrays]
    g_ours = grad(out, xs, grad_outputs=v, create_graph=True, allow_unused=True)
    g_ref = torch.autograd.grad(ref, ts, grad_outputs=torch.tensor(v), create_graph=True,
                                allow_unused=True)
    first = ([None if g is None else g.numpy() for g in g_ours],
             [None if g is None else g.detach().numpy() for g in g_ref])
    s_ours = sum((g * u).sum() for g, u in zip(g_ours, us, strict=True)
                 if g is not None and g.requires_grad)
    s_ref = sum((g * torch.tensor(u)).sum() for g, u in zip(g_ref, us, strict=True)
                if g is not None and g.requires_grad)
    h_ours = [np.zeros(np.shape(a)) for a in arrays]
    h_ref = [np.zeros(np.shape(a)) for a in arrays]
    if isinstance(s_ours, Tensor):
        h_ours = [np.zeros(x.shape) if h is None else h.numpy()
                  for h, x in zip(grad(s_ours, xs, allow_unused=True), xs, strict=True)]
    if isinstance(s_ref, torch.Tensor):
        h_ref = [np.zeros(tuple(t.shape)) if h is None else h.numpy()
                 for h, t in zip(torch.autograd.grad(s_ref, ts, allow_unused=True), ts,
                                 strict=True)]
    return first, (h_ours, h_ref)
