"""``torch.nn.utils``' gradient clipping: :func:`clip_grad_norm_` and
:func:`clip_grad_value_`, used between ``loss.backward()`` and ``optimizer.step()``.

Both change the ``.grad`` arrays in place (bumping their version counters), outside
autograd, as PyTorch's do.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from ..engine import mark_changed
from ..tensor import Tensor, get_default_dtype

__all__ = ["clip_grad_norm_", "clip_grad_value_"]


def _gradients(parameters: Tensor | Iterable[Tensor]) -> list[Tensor]:
    """The ``.grad`` tensors of ``parameters`` (one tensor or an iterable), skipping
    those without one."""
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p.grad for p in parameters if p.grad is not None]


def clip_grad_norm_(parameters: Tensor | Iterable[Tensor], max_norm: float,
                    norm_type: float | str = 2.0, error_if_nonfinite: bool = False,
                    foreach: bool | None = None) -> Tensor:
    """Scale the gradients so that their total norm is at most ``max_norm``.

    The total norm is the ``norm_type`` norm of all gradients together, as if
    concatenated into one vector. Every gradient is multiplied in place by
    ``min(1, max_norm / (total_norm + 1e-6))``, as in PyTorch.

    Parameters
    ----------
    parameters : Tensor or iterable of Tensor
        Those without a ``.grad`` are skipped.
    max_norm : float
    norm_type : float or 'inf'
        The p of the norm (``inf`` for the largest absolute value).
    error_if_nonfinite : bool
        Raise instead of scaling when the total norm is NaN or infinite.
    foreach : bool, optional
        Accepted for PyTorch's signature (there is one implementation).

    Returns
    -------
    Tensor
        The total norm before clipping, a 0-d tensor (0 when no parameter has a
        gradient).

    Raises
    ------
    RuntimeError
        With ``error_if_nonfinite``, when the total norm is not finite (nothing is
        changed then).
    """
    grads = _gradients(parameters)
    max_norm = float(max_norm)
    norm_type = float(norm_type)
    if not grads:
        return Tensor(np.zeros((), dtype=get_default_dtype()))
    norms = [_norm(g._array, norm_type) for g in grads]
    dtype = np.result_type(*norms)
    total = _norm(np.array(norms, dtype=dtype), norm_type)
    if error_if_nonfinite and not math.isfinite(float(total)):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is "
            "non-finite, so it cannot be clipped. To disable this error and scale the "
            "gradients by the non-finite norm anyway, set `error_if_nonfinite=False`"
        )
    with np.errstate(invalid="ignore"):
        coefficient = np.minimum(dtype.type(max_norm) / (total + dtype.type(1e-6)), 1)
    for g in grads:
        array = g._array
        array *= coefficient.astype(array.dtype)
        mark_changed(g)
    return Tensor._wrap(np.asarray(total, dtype=dtype))


def _norm(array: np.ndarray, p: float) -> np.ndarray:
    """The p-norm of all of ``array`` as a 0-d array of its dtype (the arithmetic of
    ``tl.norm``, without a graph: clipping happens outside autograd)."""
    a = np.abs(array)
    if p == 2:
        out = np.sqrt(np.sum(a * a))
    elif p == 1:
        out = np.sum(a)
    elif p == math.inf:
        out = np.max(a, initial=0)
    elif p == -math.inf:
        out = np.min(a, initial=math.inf)
    elif p == 0:
        out = np.count_nonzero(a)
    else:
        with np.errstate(divide="ignore", over="ignore"):
            out = np.sum(a**p) ** (1 / p)
    return np.asarray(out, dtype=array.dtype)


def clip_grad_value_(parameters: Tensor | Iterable[Tensor], clip_value: float,
                     foreach: bool | None = None) -> None:
    """Clip every gradient element to ``[-clip_value, clip_value]``, in place.

    Parameters
    ----------
    parameters : Tensor or iterable of Tensor
        Those without a ``.grad`` are skipped.
    clip_value : float
    foreach : bool, optional
        Accepted for PyTorch's signature.
    """
    clip_value = float(clip_value)
    for g in _gradients(parameters):
        np.clip(g._array, -clip_value, clip_value, out=g._array)
        mark_changed(g)
