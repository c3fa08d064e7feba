"""Matrix product with NumPy's ``@`` semantics (1-D, 2-D, batched with broadcasting)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..tensor import Tensor, as_tensor


def _shape_error(a: Tensor, b: Tensor) -> None:
    """Raise a readable error for why ``a @ b`` is undefined (called only once NumPy has
    refused, so that the common case pays for no checks)."""
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(
            f"matmul: shapes {a.shape} @ {b.shape}: both operands need at least one axis "
            "(use * to multiply by a scalar)"
        )
    k_a = a.shape[-1]
    k_b = b.shape[0] if b.ndim == 1 else b.shape[-2]
    if k_a != k_b:
        raise ValueError(
            f"matmul: shapes {a.shape} @ {b.shape} do not match: {k_a} != {k_b} "
            "(inner dimensions)"
        )
    batch_a, batch_b = a.shape[:-2], b.shape[:-2]
    try:
        np.broadcast_shapes(batch_a, batch_b)
    except ValueError:
        raise ValueError(
            f"matmul: shapes {a.shape} @ {b.shape}: batch dimensions {batch_a} and "
            f"{batch_b} cannot be broadcast together"
        ) from None


def matmul(a: Any, b: Any) -> Tensor:
    """Matrix product ``a @ b`` with NumPy's rules.

    * 2-D @ 2-D: the matrix product.
    * A 1-D operand is a row (on the left) or a column (on the right) vector, and that
      axis is dropped from the result; 1-D @ 1-D is the dot product (a 0-d tensor).
    * More axes: a stack of matrices in the last two axes; the leading (batch) axes
      broadcast.

    Raises
    ------
    ValueError
        When the inner dimensions differ or the batch dimensions do not broadcast,
        e.g. ``matmul: shapes (8, 3) @ (2, 1) do not match: 3 != 2 (inner dimensions)``.
    """
    if not isinstance(a, Tensor):
        a = as_tensor(a, like=b if isinstance(b, Tensor) else None)
    if not isinstance(b, Tensor):
        b = as_tensor(b, like=a)
    try:
        out = a.data @ b.data
    except ValueError:
        _shape_error(a, b)
        raise

    def backward(g: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
        if a.ndim == 1 and b.ndim == 1:  # dot product: d(a·b)/da = b
            return (g * b.data if a.requires_grad else None,
                    g * a.data if b.requires_grad else None)
        # Promote 1-D operands to matrices as the forward pass did, and give g back the
        # axis that promotion dropped, so that C = A B gives dA = G Bᵀ and dB = Aᵀ G.
        A = a.data[None, :] if a.ndim == 1 else a.data
        B = b.data[:, None] if b.ndim == 1 else b.data
        G = g
        if a.ndim == 1:
            G = G[..., None, :]
        if b.ndim == 1:
            G = G[..., None]
        grad_a = grad_b = None
        if a.requires_grad:
            grad_a = G @ np.swapaxes(B, -1, -2)
            if a.ndim == 1:
                grad_a = grad_a[..., 0, :]
        if b.requires_grad:
            if B.ndim == 2 and A.ndim > 2:
                # A shared weight matrix (a Linear layer on a batch of sequences): fold
                # the batch axes into the rows, one large product instead of a stack of
                # small ones summed afterwards.
                k, m = A.shape[-1], G.shape[-1]
                grad_b = A.reshape(-1, k).T @ G.reshape(-1, m)
            else:
                grad_b = np.swapaxes(A, -1, -2) @ G
            if b.ndim == 1:
                grad_b = grad_b[..., 0]
        # Batch axes that were broadcast are summed away by the engine.
        return grad_a, grad_b

    return Tensor.from_op(out, (a, b), backward, "matmul")
