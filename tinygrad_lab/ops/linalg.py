"""Matrix products: ``matmul`` with NumPy's ``@`` semantics (1-D, 2-D, batched with
broadcasting), and PyTorch's stricter forms ``mm``, ``bmm``, ``mv``, ``dot``, ``outer``.

For ``C = A B`` the gradients are ``dA = G Bᵀ`` and ``dB = Aᵀ G``, written with ``np.dot``
(matrices), ``@`` and ``swapaxes``, which are ops on tensors too: the gradient is
differentiable again.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..tensor import FUNCTION_OPS, UFUNC_OPS, Tensor, as_tensor, reflected, register_methods
from ._axes import ShapeError


def _operands(a: Any, b: Any) -> tuple[Tensor, Tensor]:
    """Both as Tensors; a Python number or list takes the other operand's dtype."""
    if not isinstance(a, Tensor):
        a = as_tensor(a, like=b if isinstance(b, Tensor) else None)
    if not isinstance(b, Tensor):
        b = as_tensor(b, like=a)
    return a, b


def _shape_error(a: Tensor, b: Tensor) -> None:
    """Raise a readable error for why ``a @ b`` is undefined (called only once NumPy has
    refused, so that the common case pays for no checks)."""
    if a.ndim == 0 or b.ndim == 0:
        raise ShapeError(
            f"matmul: shapes {a.shape} @ {b.shape}: both operands need at least one axis "
            "(use * to multiply by a scalar)"
        )
    k_a = a.shape[-1]
    k_b = b.shape[0] if b.ndim == 1 else b.shape[-2]
    if k_a != k_b:
        raise ShapeError(
            f"matmul: shapes {a.shape} @ {b.shape} do not match: {k_a} != {k_b} "
            "(inner dimensions)"
        )
    batch_a, batch_b = a.shape[:-2], b.shape[:-2]
    try:
        np.broadcast_shapes(batch_a, batch_b)
    except ValueError:
        raise ShapeError(
            f"matmul: shapes {a.shape} @ {b.shape}: batch dimensions {batch_a} and "
            f"{batch_b} cannot be broadcast together"
        ) from None


def _product(a: np.ndarray, b: np.ndarray) -> Any:
    """``a @ b``: by ``np.dot`` for 1-D and 2-D operands, the same BLAS call with a third
    less overhead (the same bits: tested); ``@`` otherwise (0-d raises, stacks batch)."""
    if 0 < a.ndim <= 2 and 0 < b.ndim <= 2:
        return np.dot(a, b)
    return a @ b


def matmul(input: Any, other: Any) -> Tensor:  # noqa: A002
    """Matrix product ``input @ other`` with NumPy's (and PyTorch's) rules.

    * 2-D @ 2-D: the matrix product.
    * A 1-D operand is a row (on the left) or a column (on the right) vector, and that
      axis is dropped from the result; 1-D @ 1-D is the dot product (a 0-d tensor).
    * More axes: a stack of matrices in the last two axes; the leading (batch) axes
      broadcast.

    Raises
    ------
    ShapeError
        (a ValueError and a RuntimeError) When the inner dimensions differ or the batch
        dimensions do not broadcast, e.g.
        ``matmul: shapes (8, 3) @ (2, 1) do not match: 3 != 2 (inner dimensions)``.
    """
    a, b = _operands(input, other)
    try:
        out = _product(a._array, b._array)
    except ValueError:
        _shape_error(a, b)
        raise
    return Tensor.from_op(out, (a, b), _matmul_backward(a, b), "matmul")


def _matmul_backward(a: Tensor, b: Tensor) -> Any:
    """The gradient formula of ``a @ b`` (only the wanted gradients are computed)."""
    need_a, need_b = a.requires_grad, b.requires_grad
    if a.ndim == 2 and b.ndim == 2:  # the common case, kept short and fast
        return lambda g, out, a, b: (np.dot(g, b.T) if need_a else None,
                                     np.dot(a.T, g) if need_b else None)
    a_vector, b_vector = a.ndim == 1, b.ndim == 1
    # A shared weight matrix (a Linear layer on a batch of sequences): fold the batch
    # axes into the rows, one large product instead of a stack of small ones summed.
    fold = b.ndim == 2 and a.ndim > 2

    def backward(g: Any, out: Any, a: Any, b: Any) -> tuple[Any, Any]:
        if a_vector and b_vector:  # the dot product: d(a·b)/da = b
            return (g * b if need_a else None, g * a if need_b else None)
        # Promote 1-D operands to matrices as the forward pass did, and give g back the
        # axis that promotion dropped; then C = A B gives dA = G Bᵀ and dB = Aᵀ G.
        A = a[None, :] if a_vector else a
        B = b[:, None] if b_vector else b
        G = g[..., None, :] if a_vector else g
        G = G[..., None] if b_vector else G
        grad_a = grad_b = None
        if need_a:
            grad_a = G @ np.swapaxes(B, -1, -2)
            grad_a = grad_a[..., 0, :] if a_vector else grad_a
        if need_b:
            if fold:
                grad_b = A.reshape(-1, A.shape[-1]).T @ G.reshape(-1, G.shape[-1])
            else:
                grad_b = np.swapaxes(A, -1, -2) @ G
            grad_b = grad_b[..., 0] if b_vector else grad_b
        # Batch axes that were broadcast are summed away by the engine.
        return grad_a, grad_b

    return backward


def _need(op: str, a: Tensor, b: Tensor, ndims: tuple[int, int]) -> None:
    if (a.ndim, b.ndim) != ndims:
        raise ShapeError(
            f"{op}: expected {ndims[0]}-D and {ndims[1]}-D tensors, got shapes {a.shape} "
            f"and {b.shape}" + ("; matmul broadcasts and accepts more" if op != "matmul" else "")
        )


def mm(input: Any, mat2: Any) -> Tensor:  # noqa: A002
    """Product of two matrices (2-D only, as ``torch.mm``)."""
    a, b = _operands(input, mat2)
    _need("mm", a, b, (2, 2))
    return matmul(a, b)


def bmm(input: Any, mat2: Any) -> Tensor:  # noqa: A002
    """Batched product of ``(B, n, k)`` and ``(B, k, m)`` (no broadcasting, as ``torch.bmm``)."""
    a, b = _operands(input, mat2)
    _need("bmm", a, b, (3, 3))
    if a.shape[0] != b.shape[0]:
        raise ShapeError(
            f"bmm: batch sizes differ: shapes {a.shape} and {b.shape} (bmm does not "
            "broadcast; matmul does)"
        )
    return matmul(a, b)


def mv(input: Any, vec: Any) -> Tensor:  # noqa: A002
    """Matrix times vector (``torch.mv``)."""
    a, b = _operands(input, vec)
    _need("mv", a, b, (2, 1))
    return matmul(a, b)


def dot(input: Any, other: Any) -> Tensor:  # noqa: A002
    """Dot product of two 1-D tensors of equal length (``torch.dot``)."""
    a, b = _operands(input, other)
    _need("dot", a, b, (1, 1))
    return matmul(a, b)


def outer(input: Any, vec2: Any) -> Tensor:  # noqa: A002
    """Outer product of two 1-D tensors: ``out[i, j] = input[i] * vec2[j]``."""
    a, b = _operands(input, vec2)
    _need("outer", a, b, (1, 1))
    return a.reshape(-1, 1) * b.reshape(1, -1)


def addmm(input: Any, mat1: Any, mat2: Any, *, beta: Any = 1, alpha: Any = 1) -> Tensor:  # noqa: A002
    """``beta * input + alpha * (mat1 @ mat2)`` (``torch.addmm``)."""
    product = mm(mat1, mat2)
    product = product if alpha == 1 else product * alpha
    return product + (input if beta == 1 else input * beta)


def _numpy_dot(a: Any, b: Any, out: Any = None) -> Tensor:
    """``np.dot`` of tensors: the same as ``@`` up to 2-D (and ``*`` for scalars)."""
    if out is not None:
        raise TypeError("np.dot of a tensor: out= is not supported")
    a, b = _operands(a, b)
    if a.ndim == 0 or b.ndim == 0:
        return a * b
    if a.ndim > 2 or b.ndim > 2:
        raise TypeError(
            f"np.dot of tensors with more than 2 dims (shapes {a.shape}, {b.shape}) is not "
            "supported; use matmul (which broadcasts batch dims) or einsum on arrays"
        )
    return matmul(a, b)


def _numpy_outer(a: Any, b: Any, out: Any = None) -> Tensor:
    """``np.outer`` of tensors: inputs are flattened first, as NumPy does."""
    if out is not None:
        raise TypeError("np.outer of a tensor: out= is not supported")
    a, b = _operands(a, b)
    return outer(a.reshape(-1), b.reshape(-1))


register_methods(
    {
        "matmul": matmul, "__matmul__": matmul, "__rmatmul__": reflected(matmul),
        "mm": mm, "bmm": bmm, "mv": mv, "dot": dot, "outer": outer, "ger": outer,
        "addmm": addmm,
    }
)
UFUNC_OPS[np.matmul] = matmul
FUNCTION_OPS.update({np.dot: _numpy_dot, np.outer: _numpy_outer})

__all__ = ["addmm", "bmm", "dot", "matmul", "mm", "mv", "outer"]
