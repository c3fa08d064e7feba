"""Grad mode, anomaly mode, the module scope for pictures, and the backward engine.

The engine is deliberately the only clever part of the framework. An op hands it a
closure ``g -> (grad for parent 0, grad for parent 1, ...)``; the engine does the work that
would otherwise be repeated in every op:

* it visits the graph in reverse topological order with a heap on creation numbers (no
  recursion, so a chain of 100,000 ops is fine),
* it skips parents that need no gradient,
* it sums a gradient down to its parent's shape when the forward pass broadcast it,
* it makes sure no two tensors ever share a gradient array (an op may return the same
  upstream array for two parents, as ``add`` does),
* it accumulates into leaves' ``.grad`` and frees each closure once it has run, so the
  buffers an op captured (masks, saved outputs) are released as soon as possible.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from heapq import heappop, heappush
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from .tensor import Tensor


class _State:
    """Process-wide switches read on every op; plain attributes keep that read cheap."""

    __slots__ = ("grad_enabled", "anomaly", "scope")

    def __init__(self) -> None:
        self.grad_enabled = True
        self.anomaly = False
        # Dotted path of the module whose forward is running ("" outside any module);
        # nn.Module sets it so pictures can group ops by module.
        self.scope = ""


state = _State()


# --------------------------------------------------------------------------- grad mode


class _GradMode(contextlib.ContextDecorator):
    """Context manager and decorator that sets grad mode and restores it on exit."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self._saved: list[bool] = []

    def __enter__(self) -> None:
        self._saved.append(state.grad_enabled)
        state.grad_enabled = self.enabled

    def __exit__(self, *exc: object) -> None:
        state.grad_enabled = self._saved.pop()


def no_grad() -> _GradMode:
    """Disable graph recording inside a ``with`` block or a decorated function.

    Examples
    --------
    >>> with no_grad():
    ...     y = model(x)          # y records no graph and needs no gradient
    """
    return _GradMode(False)


def enable_grad() -> _GradMode:
    """Re-enable graph recording, e.g. inside a :func:`no_grad` block."""
    return _GradMode(True)


class set_grad_enabled(_GradMode):
    """Set grad mode now; used as a context manager, the old mode returns on exit."""

    def __init__(self, mode: bool) -> None:
        super().__init__(mode)
        self._saved.append(state.grad_enabled)
        state.grad_enabled = mode

    def __enter__(self) -> None:  # the mode was already set by the constructor
        pass


def is_grad_enabled() -> bool:
    """Return True when ops record the graph."""
    return state.grad_enabled


# ------------------------------------------------------------------------ anomaly mode


@contextlib.contextmanager
def detect_anomaly() -> Iterator[None]:
    """Raise at the first op whose forward or backward produces NaN or Inf.

    Slower (every result is scanned), so meant for hunting a NaN, not for training.

    Raises
    ------
    FloatingPointError
        Naming the op, the pass (forward/backward) and the shape of the bad array.
    """
    saved = state.anomaly
    state.anomaly = True
    try:
        yield
    finally:
        state.anomaly = saved


def check_finite(array: np.ndarray, op: str, where: str) -> None:
    """Raise FloatingPointError when ``array`` holds NaN or Inf (used by anomaly mode)."""
    if array.dtype.kind in "fc" and not np.isfinite(array).all():
        kind = "NaN" if np.isnan(array).any() else "Inf"
        raise FloatingPointError(
            f"detect_anomaly: {where} of op '{op}' produced {kind} "
            f"(result shape {array.shape}, dtype {array.dtype})"
        )


# ------------------------------------------------------------------------ module scope


@contextlib.contextmanager
def module_scope(name: str) -> Iterator[None]:
    """Record ``name`` as the module path of every op created inside the block."""
    saved = state.scope
    state.scope = f"{saved}.{name}" if saved and name else (name or saved)
    try:
        yield
    finally:
        state.scope = saved


# ---------------------------------------------------------------------- backward engine


def unbroadcast(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum ``grad`` down to ``shape``, undoing NumPy broadcasting of a forward input."""
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    if extra < 0:
        # The op returned a smaller gradient (e.g. a scalar): it stands for every element.
        return np.broadcast_to(grad, shape).copy()
    axes = tuple(range(extra)) + tuple(
        extra + i for i, n in enumerate(shape) if n == 1 and grad.shape[extra + i] != 1
    )
    if axes:
        grad = grad.sum(axis=axes, keepdims=True)
    return grad.reshape(shape)


def _as_array(grad: Any, op: str) -> np.ndarray:
    from .tensor import Tensor

    if isinstance(grad, Tensor):
        return grad.data
    if isinstance(grad, np.ndarray):
        return grad
    try:
        return np.asarray(grad, dtype=float)
    except (TypeError, ValueError) as err:
        raise TypeError(
            f"backward of op '{op}' returned {type(grad).__name__}; expected an array"
        ) from err


def _wrap(data: np.ndarray) -> Tensor:
    """Tensor._wrap; tensor.py puts it here when it is imported (autograd cannot import
    tensor.py, which imports autograd)."""
    raise RuntimeError("tinygrad_lab.tensor was not imported")


def _accumulate(tensor: Tensor, g: np.ndarray, handed_out: set[int]) -> None:
    """Add ``g`` to ``tensor.grad``, never sharing an array another tensor holds."""
    if tensor.grad is None:
        if g.base is not None or id(g) in handed_out:
            g = g.copy()
        handed_out.add(id(g))
        tensor.grad = _wrap(g)
    else:
        tensor.grad = _wrap(tensor.grad.data + g)


def run_backward(root: Tensor, grad: np.ndarray, retain_graph: bool = False) -> None:
    """Propagate ``grad`` (d output / d root) from ``root`` to every leaf that needs it.

    Order: every op result carries a creation number (``_seq``), and an op's result is
    always created after its inputs. Taking the pending node with the highest number
    first (a heap) therefore runs each closure only after every consumer of its result
    has added its share of the gradient: a reverse topological order in one pass, with
    no recursion and no separate sorting walk.
    """
    # Arrays already owned by a tensor (or the caller's seed). A view, or an array
    # handed out before, is copied before it becomes a leaf's gradient: otherwise
    # accumulating into one gradient would corrupt another.
    handed_out: set[int] = {id(grad)}

    if root._op is None:  # backward() on a leaf: its gradient is the seed itself
        _accumulate(root, grad, handed_out)
        return

    pending: dict[int, np.ndarray] = {id(root): grad}  # summed gradients not yet used
    heap: list[tuple[int, Tensor]] = [(-root._seq, root)]
    anomaly = state.anomaly
    while heap:
        node = heappop(heap)[1]
        g = pending.pop(id(node))
        if node._retains_grad:
            _accumulate(node, g, handed_out)
        backward = node._backward
        if backward is None:
            raise RuntimeError(
                f"backward through op '{node._op}' a second time: its saved buffers were "
                "freed by the first backward(); pass retain_graph=True to the first call"
            )
        grads = backward(g)
        if not retain_graph:
            node._backward = None  # frees what the closure captured
        if type(grads) is not tuple:
            grads = tuple(grads) if isinstance(grads, list) else (grads,)
        parents = node._parents
        if len(grads) != len(parents):
            raise RuntimeError(
                f"backward of op '{node._op}' returned {len(grads)} gradients "
                f"for {len(parents)} inputs"
            )
        for parent, pg in zip(parents, grads):  # noqa: B905  (lengths checked above)
            if pg is None or not parent.requires_grad:
                continue
            if type(pg) is not np.ndarray:
                pg = _as_array(pg, node._op)
            data = parent.data
            if pg.shape != data.shape:
                try:
                    pg = unbroadcast(pg, data.shape)
                except ValueError as err:
                    raise RuntimeError(
                        f"backward of op '{node._op}' returned a gradient of shape "
                        f"{pg.shape} for an input of shape {data.shape}"
                    ) from err
            if pg.dtype != data.dtype:
                pg = pg.astype(data.dtype)
            if anomaly:
                check_finite(pg, node._op, "backward")
            if parent._op is None:  # a leaf
                _accumulate(parent, pg, handed_out)
            else:
                key = id(parent)
                previous = pending.get(key)
                if previous is None:
                    pending[key] = pg
                    heappush(heap, (-parent._seq, parent))
                else:
                    pending[key] = previous + pg
