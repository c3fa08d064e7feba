"""``tl.autograd.functional``: ``vjp``, ``jvp``, ``jacobian``, ``hessian``, ``hvp``, ``vhp``
with the signatures and return structures of ``torch.autograd.functional``.

A function takes a tensor (or a tuple of tensors) and returns a tensor (or a tuple); the
results mirror that structure. Everything is built on :func:`tinygrad_lab.autograd.grad`:
a Jacobian is one vector-Jacobian product per output element, a Hessian the Jacobian of
the gradient, and ``jvp`` the "double vjp" trick (differentiate ``vᵀJ`` with respect to
``v``), as PyTorch does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..engine import enable_grad
from ..tensor import Tensor
from .gradients import grad

__all__ = ["hessian", "hvp", "jacobian", "jvp", "vhp", "vjp"]


def _as_tuple(name: str, arg: str, value: Any) -> tuple[bool, tuple[Tensor, ...]]:
    """(was it a tuple?, the tensors as a tuple)."""
    is_tuple = isinstance(value, (tuple, list))
    values = tuple(value) if is_tuple else (value,)
    for i, v in enumerate(values):
        if not isinstance(v, Tensor):
            raise TypeError(
                f"{name}: {arg} must be a Tensor or a tuple of Tensors, but element {i} "
                f"is {type(v).__name__}"
            )
    return is_tuple, values


def _tuple_back(is_tuple: bool, values: tuple[Any, ...]) -> Any:
    return values if is_tuple else values[0]


def _fresh_inputs(inputs: tuple[Tensor, ...]) -> tuple[Tensor, ...]:
    """Leaves sharing the inputs' values that require grad: the function is
    differentiated at these, and the caller's tensors stay untouched."""
    return tuple(Tensor._wrap(t.numpy()).requires_grad_(t.dtype.kind == "f") for t in inputs)


def _call(name: str, func: Callable[..., Any], inputs: tuple[Tensor, ...]
          ) -> tuple[bool, tuple[Tensor, ...]]:
    with enable_grad():
        outputs = func(*inputs)
    return _as_tuple(name, "the outputs of func", outputs)


def _zeros_for_none(grads: tuple[Any, ...], like: tuple[Tensor, ...], strict: bool,
                    name: str) -> tuple[Tensor, ...]:
    result = []
    for i, (g, t) in enumerate(zip(grads, like, strict=True)):
        if g is None:
            if strict:
                raise RuntimeError(
                    f"{name}: the output is independent of input {i}; strict=True forbids it"
                )
            g = Tensor._wrap(np.zeros(t.shape, dtype=t.dtype))
        result.append(g)
    return tuple(result)


def _detach(values: tuple[Tensor, ...], create_graph: bool) -> tuple[Tensor, ...]:
    return values if create_graph else tuple(v.detach() for v in values)


def vjp(func: Callable[..., Any], inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple[Any, Any]:
    """``(func(inputs), vᵀ J)``: the vector-Jacobian product at ``inputs``.

    ``v`` has the outputs' shapes (it may be left out for a single scalar output).
    """
    in_tuple, xs = _as_tuple("vjp", "inputs", inputs)
    xs = _fresh_inputs(xs)
    out_tuple, outs = _call("vjp", func, xs)
    if v is None:
        if len(outs) != 1 or outs[0].numel() != 1:
            raise RuntimeError("vjp: v can be left out only for a single scalar output")
        vs = (None,)
    else:
        _, vs = _as_tuple("vjp", "v", v)
    grads = _grad_or_none(outs, xs, vs, create_graph)
    grads = _zeros_for_none(grads, xs, strict, "vjp")
    return (_tuple_back(out_tuple, _detach(outs, create_graph)),
            _tuple_back(in_tuple, _detach(grads, create_graph)))


def _grad_or_none(outs: tuple[Tensor, ...], xs: tuple[Tensor, ...], vs: tuple[Any, ...],
                  create_graph: bool) -> tuple[Any, ...]:
    """``grad`` over the outputs that have a graph; None for inputs nothing reached."""
    pairs = [(o, v) for o, v in zip(outs, vs, strict=True) if o.requires_grad]
    if not pairs:
        return (None,) * len(xs)
    return grad([o for o, _ in pairs], xs, grad_outputs=[v for _, v in pairs],
                create_graph=create_graph, retain_graph=True, allow_unused=True)


def jvp(func: Callable[..., Any], inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple[Any, Any]:
    """``(func(inputs), J v)``: the Jacobian-vector product, by the double-vjp trick."""
    in_tuple, xs = _as_tuple("jvp", "inputs", inputs)
    xs = _fresh_inputs(xs)
    if v is None:
        if len(xs) != 1 or xs[0].numel() != 1:
            raise RuntimeError("jvp: v can be left out only for a single scalar input")
        vs = (Tensor._wrap(np.ones(xs[0].shape, xs[0].dtype)),)
    else:
        _, vs = _as_tuple("jvp", "v", v)
    out_tuple, outs = _call("jvp", func, xs)
    # u is a dummy cotangent; uᵀJ is linear in u, so d(uᵀJ v)/du = J v.
    us = tuple(Tensor._wrap(np.zeros(o.shape, o.dtype)).requires_grad_() for o in outs)
    gs = _grad_or_none(outs, xs, us, create_graph=True)
    pairs = [(g, vv) for g, vv in zip(gs, vs, strict=True) if g is not None and g.requires_grad]
    if pairs:
        jv = grad([g for g, _ in pairs], us, grad_outputs=[vv for _, vv in pairs],
                  create_graph=create_graph, retain_graph=True, allow_unused=True)
    else:
        jv = (None,) * len(us)
    jv = _zeros_for_none(jv, outs, strict, "jvp")
    return (_tuple_back(out_tuple, _detach(outs, create_graph)),
            _tuple_back(out_tuple, _detach(jv, create_graph)))


def jacobian(func: Callable[..., Any], inputs: Any, create_graph: bool = False,
             strict: bool = False, vectorize: bool = False, strategy: str = "reverse-mode"
             ) -> Any:
    """The Jacobian: for one output and one input a tensor of shape
    ``output.shape + input.shape``; tuples of them for tuples (``J[i][j]`` is output
    ``i`` by input ``j``), as in PyTorch. ``vectorize`` and ``strategy`` are accepted
    for compatibility; rows are computed one vector-Jacobian product at a time."""
    if strategy not in ("reverse-mode", "forward-mode"):
        raise ValueError(f"jacobian: unknown strategy {strategy!r}")
    in_tuple, xs = _as_tuple("jacobian", "inputs", inputs)
    xs = _fresh_inputs(xs)
    out_tuple, outs = _call("jacobian", func, xs)
    blocks = []
    for out in outs:
        rows: list[list[Any]] = [[] for _ in xs]
        for k in range(out.numel()):
            seed = np.zeros(out.numel(), dtype=out.dtype)
            seed[k] = 1
            v = seed.reshape(out.shape)
            grads = _grad_or_none((out,), xs, (v,), create_graph)
            grads = _zeros_for_none(grads, xs, strict, "jacobian")
            for j, g in enumerate(grads):
                rows[j].append(g)
        per_input = tuple(
            _stack(rows[j], out.shape + xs[j].shape, create_graph) for j in range(len(xs))
        )
        blocks.append(_tuple_back(in_tuple, per_input))
    return _tuple_back(out_tuple, tuple(blocks))


def _stack(rows: list[Tensor], shape: tuple[int, ...], create_graph: bool) -> Tensor:
    if create_graph and any(r.requires_grad for r in rows):
        from_rows = [r.reshape(1, -1) for r in rows]
        return _concat(from_rows).reshape(shape)
    array = np.stack([r.numpy().reshape(-1) for r in rows]) if rows else np.zeros(0)
    return Tensor._wrap(array.reshape(shape))


def _concat(rows: list[Tensor]) -> Tensor:
    return np.concatenate(rows, axis=0)  # the cat op, through NumPy's override


def hessian(func: Callable[..., Any], inputs: Any, create_graph: bool = False,
            strict: bool = False, vectorize: bool = False,
            outer_jacobian_strategy: str = "reverse-mode") -> Any:
    """The Hessian of a scalar function: shape ``input.shape + input.shape`` (a tuple of
    tuples for several inputs, ``H[i][j]`` = d²f / dxᵢ dxⱼ)."""
    in_tuple, xs = _as_tuple("hessian", "inputs", inputs)

    def gradient(*ys: Tensor) -> Any:
        _, outs = _call("hessian", func, ys)
        if len(outs) != 1 or outs[0].numel() != 1:
            raise RuntimeError("hessian: func must return a single scalar tensor")
        grads = _grad_or_none(outs, ys, (None,), create_graph=True)
        grads = _zeros_for_none(grads, ys, strict, "hessian")
        return _tuple_back(in_tuple, grads)

    return jacobian(gradient, _tuple_back(in_tuple, xs), create_graph=create_graph,
                    strict=strict)


def vhp(func: Callable[..., Any], inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple[Any, Any]:
    """``(func(inputs), vᵀ H)`` for a scalar function."""
    return _hessian_product("vhp", func, inputs, v, create_graph, strict)


def hvp(func: Callable[..., Any], inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple[Any, Any]:
    """``(func(inputs), H v)`` for a scalar function (H is symmetric, so it equals vhp)."""
    return _hessian_product("hvp", func, inputs, v, create_graph, strict)


def _hessian_product(name: str, func: Callable[..., Any], inputs: Any, v: Any,
                     create_graph: bool, strict: bool) -> tuple[Any, Any]:
    in_tuple, xs = _as_tuple(name, "inputs", inputs)
    xs = _fresh_inputs(xs)
    _, outs = _call(name, func, xs)
    if len(outs) != 1 or outs[0].numel() != 1:
        raise RuntimeError(f"{name}: func must return a single scalar tensor")
    if v is None:
        if len(xs) != 1 or xs[0].numel() != 1:
            raise RuntimeError(f"{name}: v can be left out only for a single scalar input")
        vs = (Tensor._wrap(np.ones(xs[0].shape, xs[0].dtype)),)
    else:
        _, vs = _as_tuple(name, "v", v)
    for i, (vv, x) in enumerate(zip(vs, xs, strict=True)):
        if vv.shape != x.shape:
            raise RuntimeError(f"{name}: v[{i}] has shape {vv.shape}, input {x.shape}")
    grads = _grad_or_none(outs, xs, (None,), create_graph=True)
    pairs = [(g, vv) for g, vv in zip(grads, vs, strict=True)
             if g is not None and g.requires_grad]
    if pairs:
        products = grad([g for g, _ in pairs], xs, grad_outputs=[vv for _, vv in pairs],
                        create_graph=create_graph, retain_graph=True, allow_unused=True)
    else:
        products = (None,) * len(xs)
    products = _zeros_for_none(products, xs, strict, name)
    return (_detach(outs, create_graph)[0], _tuple_back(in_tuple, _detach(products,
                                                                            create_graph)))
