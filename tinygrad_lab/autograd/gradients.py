"""``grad`` and ``backward`` of ``tl.autograd``: gradients returned as values (``grad``)
or accumulated into ``.grad`` (``backward``), both on the engine's backward pass."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import engine
from ..tensor import Tensor, _as_tuple, _seed

__all__ = ["backward", "grad"]


def grad(
    outputs: Tensor | Sequence[Tensor],
    inputs: Tensor | Sequence[Tensor],
    grad_outputs: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    allow_unused: bool | None = None,
    materialize_grads: bool = False,
    only_inputs: bool = True,
    is_grads_batched: bool = False,
) -> tuple[Tensor | None, ...]:
    """The gradients of ``outputs`` with respect to ``inputs``, as PyTorch computes them.

    Parameters
    ----------
    outputs : Tensor or sequence of Tensor
        What to differentiate (each a scalar, unless its ``grad_outputs`` is given).
    inputs : Tensor or sequence of Tensor
        With respect to what; leaves or intermediate results.
    grad_outputs : Tensor, array or sequence of them, optional
        The vector of the vector-Jacobian product, one per output (None: ones, for
        scalar outputs).
    retain_graph : bool, optional
        Keep the graph for another backward (default: ``create_graph``).
    create_graph : bool, optional
        Record the computation, so the result can be differentiated again.
    allow_unused : bool, optional
        Return None for an input the outputs do not depend on, instead of raising.
    materialize_grads : bool, optional
        Return zeros instead of None for unused inputs (implies ``allow_unused``).
    only_inputs : bool, optional
        Deprecated in PyTorch and ignored there; accepted so that such code runs.
    is_grads_batched : bool, optional
        Not supported (True raises).

    Returns
    -------
    tuple
        One gradient per input. No ``.grad`` is touched.

    Examples
    --------
    >>> x = Tensor([3.0], requires_grad=True)
    >>> (dy,) = grad((x ** 3).sum(), x, create_graph=True)   # 3 x² = 27
    >>> (d2y,) = grad(dy.sum(), x)                           # 6 x = 18
    >>> d2y.tolist()
    [18.0]
    """
    if is_grads_batched:
        raise NotImplementedError("grad: is_grads_batched=True (vmap) is not supported")
    outputs = _as_tuple(outputs)
    inputs = _as_tuple(inputs)
    if materialize_grads:
        allow_unused = True
    if not inputs:
        raise RuntimeError("grad requires at least one input")
    for i, t in enumerate(inputs):
        if not isinstance(t, Tensor) or not t.requires_grad:
            raise RuntimeError(f"grad: input {i} does not require grad")
    if grad_outputs is None or isinstance(grad_outputs, (Tensor, np.ndarray)):
        grad_outputs = (grad_outputs,) * len(outputs) if grad_outputs is None else (
            grad_outputs,)
    grad_outputs = tuple(grad_outputs)
    if len(grad_outputs) != len(outputs):
        raise RuntimeError(
            f"grad: got {len(grad_outputs)} grad_outputs for {len(outputs)} outputs"
        )
    roots, seeds = [], []
    for i, (out, g) in enumerate(zip(outputs, grad_outputs, strict=True)):
        if not out.requires_grad:
            raise RuntimeError(
                f"grad: output {i} does not require grad and does not have a grad_fn"
            )
        seed = _seed(out, g, f"grad (output {i})")
        if create_graph and not isinstance(seed, Tensor):
            seed = Tensor._wrap(seed)
        elif not create_graph and isinstance(seed, Tensor):
            seed = seed._array
        roots.append(out)
        seeds.append(seed)
    found = engine.backward(
        roots,
        seeds,
        wrap=Tensor._wrap,
        retain_graph=create_graph if retain_graph is None else retain_graph,
        create_graph=create_graph,
        inputs=list(inputs),
        accumulate=False,
    )
    result: list[Tensor | None] = []
    for i, t in enumerate(inputs):
        g = found.get(id(t))
        if g is None:
            if not allow_unused:
                raise RuntimeError(
                    f"grad: input {i} (shape {t.shape}) appears to not have been used in "
                    "the graph. Set allow_unused=True if this is the desired behavior."
                )
            if materialize_grads:
                g = np.zeros_like(t._array)
        if g is not None and not isinstance(g, Tensor):
            g = Tensor._wrap(np.array(g))  # a copy: arrays may be shared inside the pass
        result.append(g)
    return tuple(result)


def backward(
    tensors: Tensor | Sequence[Tensor],
    grad_tensors: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    inputs: Any = None,
) -> None:
    """``torch.autograd.backward``: ``backward()`` of several outputs in one pass."""
    tensors = _as_tuple(tensors)
    if grad_tensors is None or isinstance(grad_tensors, (Tensor, np.ndarray)):
        grad_tensors = (grad_tensors,) * len(tensors) if grad_tensors is None else (
            grad_tensors,)
    seeds = []
    for t, g in zip(tensors, grad_tensors, strict=True):
        if not t.requires_grad:
            raise RuntimeError("backward: a tensor does not require grad and has no graph")
        seed = _seed(t, g, "backward")
        if create_graph and not isinstance(seed, Tensor):
            seed = Tensor._wrap(seed)
        elif not create_graph and isinstance(seed, Tensor):
            seed = seed._array
        seeds.append(seed)
    engine.backward(
        list(tensors),
        seeds,
        wrap=Tensor._wrap,
        retain_graph=create_graph if retain_graph is None else retain_graph,
        create_graph=create_graph,
        inputs=None if inputs is None else list(_as_tuple(inputs)),
    )
