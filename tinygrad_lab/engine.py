"""The bottom layer: grad and anomaly modes (per thread) and the backward engine.

The engine is deliberately the only clever part of the framework. An op records its
inputs and a gradient formula ``backward(g, out, *inputs) -> (grad per input)``; the
engine does the work that would otherwise be repeated in every op:

* it visits the graph in reverse topological order with a heap on creation numbers (no
  recursion, so a chain of 100,000 ops is fine),
* it calls each formula with plain arrays (the fast path) or, for ``create_graph=True``,
  with the tensors themselves, so the gradient is recorded as a graph of its own,
* it skips inputs that need no gradient, sums a gradient down to its input's shape when
  the forward pass broadcast it, and casts it to the input's dtype,
* it refuses a value that was changed in place after an op recorded it,
* it runs tensor hooks, accumulates into ``.grad`` (under a lock: several threads may
  run backward into one leaf) and frees each op's graph as soon as it has run.

This module knows nothing of the ``Tensor`` class beyond the fields listed in
:class:`GraphNode`; ``tensor.py`` builds on it.
"""

from __future__ import annotations

import functools
import gc
import inspect
import itertools
import operator
import threading
from collections.abc import Callable, Iterator
from heapq import heappop, heappush
from typing import Any, Protocol

import numpy as np

# ----------------------------------------------------------------------------- modes


class _Modes(threading.local):
    """Switches read on every op; each thread has its own, as in PyTorch."""

    def __init__(self) -> None:  # runs once in each thread that reads them
        # Instance attributes: on a threading.local they read faster than class ones.
        self.grad_enabled = True
        self.anomaly = False


modes = _Modes()


class _SetMode:
    """Set a mode for a ``with`` block or a decorated function (or generator function),
    restoring the caller's mode on every exit."""

    attribute = ""

    def __init__(self, enabled: bool) -> None:
        self.enabled = bool(enabled)
        self._saved: list[bool] = []

    def __enter__(self) -> None:
        self._saved.append(getattr(modes, self.attribute))
        setattr(modes, self.attribute, self.enabled)

    def __exit__(self, *exc: object) -> None:
        setattr(modes, self.attribute, self._saved.pop())

    def _fresh(self) -> _SetMode:
        return type(self)(self.enabled)

    def __call__(self, fn: Callable) -> Callable:
        if inspect.isgeneratorfunction(fn):

            @functools.wraps(fn)
            def generator(*args: Any, **kwargs: Any) -> Iterator[Any]:
                # The mode holds while the generator's body runs, not while the caller
                # runs between two items: set it around each resumption.
                gen = fn(*args, **kwargs)
                sent = None
                while True:
                    with self._fresh():
                        try:
                            item = gen.send(sent)
                        except StopIteration as stop:
                            return stop.value
                    sent = yield item

            return generator

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self._fresh():  # a fresh object: recursion and threads stay independent
                return fn(*args, **kwargs)

        return wrapper


class no_grad(_SetMode):  # noqa: N801  (PyTorch's name)
    """Disable graph recording in a ``with`` block or a decorated function.

    Examples
    --------
    >>> with no_grad():
    ...     pass          # ops here record no graph and need no gradient
    """

    attribute = "grad_enabled"

    def __init__(self) -> None:
        super().__init__(False)

    def _fresh(self) -> no_grad:
        return no_grad()


class enable_grad(_SetMode):  # noqa: N801
    """Re-enable graph recording, e.g. inside a :class:`no_grad` block."""

    attribute = "grad_enabled"

    def __init__(self) -> None:
        super().__init__(True)

    def _fresh(self) -> enable_grad:
        return enable_grad()


class set_grad_enabled(_SetMode):  # noqa: N801
    """Set grad mode: as a function call it holds until changed (in this thread); as a
    context manager or decorator it holds inside, and the caller's mode returns after."""

    attribute = "grad_enabled"

    def __init__(self, mode: bool) -> None:
        super().__init__(mode)
        # Like PyTorch: the call itself switches the mode, so that a plain
        # `set_grad_enabled(False)` statement works; `with` and decorators undo it.
        self._previous = modes.grad_enabled
        modes.grad_enabled = self.enabled

    def __enter__(self) -> None:
        self._saved.append(self._previous)
        modes.grad_enabled = self.enabled

    def __call__(self, fn: Callable) -> Callable:
        modes.grad_enabled = self._previous  # decorating must not change the mode now
        return super().__call__(fn)

    def _fresh(self) -> _SetMode:
        fresh = _SetMode(self.enabled)
        fresh.attribute = "grad_enabled"
        return fresh


class inference_mode(no_grad):  # noqa: N801
    """PyTorch's ``inference_mode``: here the same as :class:`no_grad`."""

    def __init__(self, mode: bool = True) -> None:
        _SetMode.__init__(self, not mode)

    def _fresh(self) -> inference_mode:
        return inference_mode(not self.enabled)


def is_grad_enabled() -> bool:
    """Return True when ops record the graph (in this thread)."""
    return modes.grad_enabled


class detect_anomaly(_SetMode):  # noqa: N801
    """Raise at the first op whose forward or backward produces NaN or Inf.

    Slower (every result is scanned), so meant for hunting a NaN, not for training.
    Works as a context manager and as a decorator; per thread.

    Raises
    ------
    FloatingPointError
        Naming the op, the pass (forward/backward) and the shape of the bad array.
    """

    attribute = "anomaly"

    def __init__(self, check_nan: bool = True) -> None:
        super().__init__(check_nan)

    def _fresh(self) -> detect_anomaly:
        return detect_anomaly(self.enabled)


def set_detect_anomaly(mode: bool) -> None:
    """Turn anomaly detection on or off for this thread."""
    modes.anomaly = bool(mode)


def is_anomaly_enabled() -> bool:
    return modes.anomaly


def check_finite(array: Any, op: str, where: str) -> None:
    """Raise FloatingPointError when ``array`` holds NaN or Inf (used by anomaly mode)."""
    array = np.asarray(array)
    if array.dtype.kind in "fc" and not np.isfinite(array).all():
        kind = "NaN" if np.isnan(array).any() else "Inf"
        raise FloatingPointError(
            f"detect_anomaly: {where} of op '{op}' produced {kind} "
            f"(result shape {array.shape}, dtype {array.dtype})"
        )


# ------------------------------------------------------------------ creation order


# Op results are numbered as they are made, so a result always outranks its inputs: the
# backward engine uses this as its topological order. In-place changes take a number
# too, which tells whether a value changed after an op recorded it.
next_number: Callable[[], int] = itertools.count(1).__next__


class Storage:
    """What tensors sharing one array (``detach()``, ``.data``, views) have in common: how
    often it was changed in place, and the creation number of the last change."""

    __slots__ = ("version", "changed_at")

    def __init__(self) -> None:
        self.version = 0
        self.changed_at = 0


# The creation number of the latest in-place change anywhere: an op created after it
# cannot have seen a change, so the engine checks versions only for older ops.
_last_change = [0]


def mark_changed(*nodes: GraphNode) -> None:
    """Record an in-place change of each node's array (and so of every tensor sharing
    it): one creation number stamps them all (an optimizer step marks every parameter)."""
    stamp = _last_change[0] = next_number()
    for node in nodes:
        storage = node._storage
        if storage is None:
            storage = node._storage = Storage()
        storage.version += 1
        storage.changed_at = stamp


# ------------------------------------------------------- long graphs and the collector

# CPython's cyclic collector makes a full pass over every tracked object whenever those
# that survived since the last full pass reach a quarter of the rest. While a graph of
# 10⁶ ops is built (three or four tracked objects per op: the tensor, its inputs' tuple,
# its formula) that is about 15 passes over millions of objects, half the build time,
# and they find nothing: a graph has no cycles, reference counting frees it. So while a
# long graph grows, full passes are held back; the young generations still run, so
# short-lived cyclic garbage is still freed. They resume when a backward pass ends, and
# for a moment after each held span of ops (spans double, up to a cap), so a graph that
# is never differentiated holds nothing back for long: full passes stay geometrically
# spaced (linear time) and garbage stays bounded.

GROWTH_CHECK = 1 << 15  # Tensor.from_op calls graph_growing() once per this many ops
_FIRST_SPAN, _LAST_SPAN = 1 << 20, 1 << 24  # ops held before a full pass may run
_NO_FULL_PASS = 1 << 30  # a threshold for the oldest generation that is never reached


class _Hold:
    since = 0  # the creation number when full passes were held back (0: not held)
    span = _FIRST_SPAN
    saved = 0  # the oldest generation's threshold before the hold


_hold = _Hold()
_hold_lock = threading.Lock()


def graph_growing(number: int) -> None:
    """Hold full collector passes back while a long graph is built (see above)."""
    with _hold_lock:
        if _hold.since:
            if number - _hold.since >= _hold.span:  # let one full pass happen now
                _release()
                _hold.span = min(2 * _hold.span, _LAST_SPAN)
            return
        young, middle, oldest = gc.get_threshold()
        if gc.isenabled() and oldest < _NO_FULL_PASS:  # a user's own setting is left alone
            _hold.since, _hold.saved = number, oldest
            gc.set_threshold(young, middle, _NO_FULL_PASS)


def _release() -> None:
    young, middle, oldest = gc.get_threshold()
    if oldest == _NO_FULL_PASS:  # unless the user changed it meanwhile
        gc.set_threshold(young, middle, _hold.saved)
    _hold.since = 0


def graph_freed() -> None:
    """A backward pass ended: full collector passes may run again."""
    if _hold.since or _hold.span != _FIRST_SPAN:  # one test on the common path
        with _hold_lock:
            if _hold.since:
                _release()
            _hold.span = _FIRST_SPAN


class GraphNode(Protocol):
    """The fields of a tensor that the engine reads and writes."""

    _array: np.ndarray
    grad: Any
    requires_grad: bool
    _parents: tuple[GraphNode, ...]
    _backward: Callable[..., Any] | None
    _op: str | None
    _seq: int  # creation number of an op's result; 0 for a leaf
    _retains_grad: bool
    _storage: Storage | None
    _hooks: dict[int, Callable] | None


# ---------------------------------------------------------------------- the engine


def unbroadcast(grad: Any, shape: tuple[int, ...]) -> Any:
    """Sum ``grad`` down to ``shape``, undoing NumPy broadcasting of a forward input.

    Works on arrays and on tensors alike (it uses only ``sum`` and ``reshape``).
    """
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    if extra < 0:
        # The formula returned a smaller gradient (e.g. a scalar): it stands for every
        # element of the input.
        if isinstance(grad, np.ndarray):
            return np.broadcast_to(grad, shape).copy()
        return grad * np.ones(shape, dtype=grad.dtype)
    axes = tuple(range(extra)) + tuple(
        extra + i for i, n in enumerate(shape) if n == 1 and grad.shape[extra + i] != 1
    )
    if axes:
        grad = grad.sum(axis=axes, keepdims=True)
    return grad.reshape(shape)


_grad_lock = threading.Lock()
_array_of = operator.attrgetter("_array")
_ndarray = np.ndarray  # one global read instead of two on the per-edge path


def _accumulate(tensor: GraphNode, g: Any, wrap: Callable, fresh: bool) -> None:
    """Add ``g`` to ``tensor.grad`` (the caller holds ``_grad_lock``); ``fresh`` says ``g``
    is owned by nobody else."""
    if isinstance(g, np.generic):  # NumPy gives scalars for sums of 0-d arrays
        g, fresh = np.asarray(g), True
    old = tensor.grad
    if old is None:
        if isinstance(g, np.ndarray):
            tensor.grad = wrap(g if fresh else np.array(g))
        else:
            tensor.grad = g
    elif isinstance(g, np.ndarray):
        tensor.grad = wrap(np.asarray(old._array + g))
    else:
        tensor.grad = old + g


def _check_grad_shape(tensor: GraphNode) -> None:
    old = tensor.grad
    if old is not None and old.shape != tensor._array.shape:
        raise RuntimeError(
            f"backward: the existing .grad has shape {old.shape} but the tensor has "
            f"shape {tensor._array.shape}; set .grad = None before backward"
        )


def _check_unchanged(node: GraphNode) -> None:
    """Raise if an input or the result of ``node``'s op changed in place since the op."""
    seq = node._seq
    for position, tensor in enumerate((node, *node._parents)):
        storage = tensor._storage
        if storage is not None and storage.changed_at > seq:
            what = "its result" if position == 0 else f"its input {position - 1}"
            raise RuntimeError(
                f"backward: one of the variables needed for gradient computation has been "
                f"modified by an inplace operation: {what} (shape "
                f"{tuple(tensor._array.shape)}, dtype {tensor._array.dtype}) of op "
                f"'{node._op}' was changed in place after the op used it (now at version "
                f"{storage.version}). Change it out of place, or run the in-place update "
                f"(e.g. optimizer.step()) after backward()."
            )


def _run_hooks(tensor: GraphNode, g: Any, wrap: Callable) -> Any:
    hooks = tensor._hooks
    if not hooks:
        return g
    as_tensor = wrap(g) if isinstance(g, np.ndarray) else g
    for hook in list(hooks.values()):
        result = hook(as_tensor)
        if result is not None:
            if tuple(result.shape) != tuple(tensor._array.shape):
                raise RuntimeError(
                    f"hook {getattr(hook, '__name__', hook)!r} returned a gradient of "
                    f"shape {tuple(result.shape)} for a tensor of shape "
                    f"{tuple(tensor._array.shape)}"
                )
            as_tensor = result
    return as_tensor._array if isinstance(g, np.ndarray) else as_tensor


def backward(
    roots: list[GraphNode],
    seeds: list[Any],
    *,
    wrap: Callable[[np.ndarray], Any],
    retain_graph: bool = False,
    create_graph: bool = False,
    inputs: list[GraphNode] | None = None,
    accumulate: bool = True,
) -> dict[int, Any]:
    """Propagate ``seeds`` (d output / d root) from ``roots`` through the graph.

    Parameters
    ----------
    roots, seeds
        The tensors to differentiate and their output gradients (arrays, or tensors
        when ``create_graph``).
    wrap
        Makes a tensor of an array (the engine does not import the Tensor class).
    retain_graph
        Keep each op's formula and inputs, so that backward can run through it again.
    create_graph
        Call the formulas with tensors, in grad mode, so the gradients are recorded.
    inputs
        When given, only these tensors' gradients are wanted (and returned).
    accumulate
        Add the gradients into ``.grad`` (``Tensor.backward``) or only return them
        (``autograd.grad``).

    Returns
    -------
    dict
        ``id(tensor) -> gradient`` for each of ``inputs`` that the graph reached.

    Order: every op result carries a creation number (``_seq``), and an op's result is
    always created after its inputs. Taking the pending node with the highest number
    first (a heap) runs each formula only after every consumer of its result has added
    its share of the gradient: a reverse topological order in one pass, with no
    recursion and no separate sorting walk.
    """
    wanted = None if inputs is None else {id(t) for t in inputs}
    found: dict[int, Any] = {}
    # Pending gradients of op results, by creation number: the heap holds the negated
    # numbers (plain ints, the cheapest keys), so the newest op comes out first.
    pending: dict[int, list] = {}
    leaves: dict[int, list] = {}  # [leaf, summed gradient], by id
    heap: list[int] = []
    if len(roots) != len(seeds):  # (zip's strict=True would cost more, on every call)
        raise ValueError(f"backward: {len(seeds)} seeds for {len(roots)} roots")
    for root, seed in zip(roots, seeds):  # noqa: B905  (lengths checked above)
        _add(root, seed, pending, leaves, heap)
    # The seeds belong to the caller: a leaf that receives one unchanged gets a copy.
    handed_out = {id(seeds[0])} if len(seeds) == 1 else set(map(id, seeds))

    saved_mode = modes.grad_enabled
    modes.grad_enabled = create_graph  # formulas record a graph only when asked to
    anomaly = modes.anomaly
    last_change = _last_change[0]
    try:
        while heap:
            node, g = pending.pop(-heappop(heap))
            if node._hooks is not None or wanted is not None:  # rare: one test
                g = _node_extras(node, g, wanted, found, accumulate, wrap)
            if node._seq < last_change:
                _check_unchanged(node)
            parents = node._parents
            formula = node._backward
            count = len(parents)
            try:
                # Spelled out for the common arities: a call with `*args` costs CPython
                # about 0.2 µs more than one with plain positional arguments.
                if create_graph:
                    grads = formula(g, node, *parents)
                elif count == 1:
                    grads = formula(g, node._array, parents[0]._array)
                elif count == 2:
                    grads = formula(g, node._array, parents[0]._array, parents[1]._array)
                elif count == 3:
                    grads = formula(g, node._array, parents[0]._array, parents[1]._array,
                                    parents[2]._array)
                else:
                    grads = formula(g, node._array, *map(_array_of, parents))
            except TypeError as err:
                _explain_call(formula, node, err)
                raise
            if not retain_graph:
                node._backward = None  # frees the formula and what it captured
                node._parents = ()  # and the inputs: keeping the loss keeps nothing
            if type(grads) is not tuple or len(grads) != count:
                grads = _as_gradients(grads, node._op, count)
            index = -1  # cheaper than making a zip object for one to three inputs
            for parent in parents:
                index += 1
                pg = grads[index]
                if pg is None or not parent.requires_grad:
                    continue
                array = parent._array
                # The common case, an array of the right shape and dtype, costs 4 checks
                # (dtypes by identity: builtin dtypes are singletons, and an equal but
                # distinct one only takes the slower path).
                if (create_graph or type(pg) is not _ndarray or pg.dtype is not array.dtype
                        or pg.shape != array.shape):
                    pg = _conform(pg, parent, node._op, create_graph)
                if anomaly:
                    check_finite(pg if isinstance(pg, np.ndarray) else pg._array,
                                 node._op, "backward")
                # _add, inlined (the hot path). A leaf's gradient is summed, used at the end.
                seq = parent._seq  # 0 for a leaf
                entry = pending.get(seq) if seq else leaves.get(id(parent))
                if entry is not None:
                    entry[1] = entry[1] + pg
                elif seq:
                    pending[seq] = [parent, pg]
                    heappush(heap, -seq)
                else:
                    leaves[id(parent)] = [parent, pg]
        _finish_leaves(leaves, wanted, found, accumulate, wrap, handed_out)
    finally:
        modes.grad_enabled = saved_mode
        graph_freed()
    return found


def _node_extras(node: GraphNode, g: Any, wanted: set[int] | None,
                 found: dict[int, Any], accumulate: bool, wrap: Callable) -> Any:
    """An op result's hooks, its place among the wanted inputs, its retained gradient."""
    if node._hooks:
        g = _run_hooks(node, g, wrap)
    if wanted is not None and id(node) in wanted:
        found[id(node)] = g
    if node._retains_grad and accumulate:
        with _grad_lock:
            _check_grad_shape(node)
            _accumulate(node, g, wrap, fresh=False)
    return g


def _explain_call(formula: Callable | None, node: GraphNode, err: TypeError) -> None:
    """Raise a clear error for a freed graph (no formula left) or a gradient formula with
    the wrong signature (e.g. the old ``lambda g: ...``); other TypeErrors pass through."""
    if formula is None:
        raise RuntimeError(
            f"backward through op '{node._op}' a second time (or after its graph was "
            "freed): the first backward() released it; pass retain_graph=True to the "
            "first call"
        ) from None
    try:
        inspect.signature(formula).bind(None, None, *node._parents)
    except TypeError:
        raise TypeError(
            f"the gradient formula of op '{node._op}' must take (g, out, *inputs): here "
            f"g, out and {len(node._parents)} input(s), e.g. "
            "lambda g, out, x: (g * out,)"
        ) from err
    except ValueError:  # no signature to inspect (a builtin): nothing to add
        pass


def _finish_leaves(leaves: dict, wanted: set[int] | None, found: dict[int, Any],
                   accumulate: bool, wrap: Callable, handed_out: set[int]) -> None:
    """Run the leaves' hooks, then collect or accumulate their summed gradients.

    ``handed_out`` holds the ids of arrays (tensors, under ``create_graph``) that someone
    else owns: the seeds, and what a hook returned. No ``.grad`` may share one with
    another ``.grad`` or with its owner (a formula may hand one array to several inputs,
    as add's ``(g, g)``), or changing one in place would change the other: such a
    gradient is copied (a tensor is cloned, which keeps it in the graph).
    """
    for entry in leaves.values():
        leaf, g = entry
        if leaf._hooks:
            entry[1] = _run_hooks(leaf, g, wrap)
            if entry[1] is not g:  # a hook's own tensor: the user keeps it
                handed_out.add(id(entry[1]))
    if wanted is not None:
        leaves = {key: entry for key, entry in leaves.items() if key in wanted}
        for key, (_, g) in leaves.items():
            found[key] = g
    if not accumulate:
        return
    with _grad_lock:  # threads running backward into one leaf must not lose updates
        for leaf, _ in leaves.values():
            if leaf.grad is not None:
                _check_grad_shape(leaf)  # every check before the first change
        for leaf, g in leaves.values():
            shared = id(g) in handed_out
            handed_out.add(id(g))
            if type(g) is _ndarray:
                if shared or g.base is not None:
                    g = g.copy()
                if leaf.grad is None:  # the common case, inlined
                    leaf.grad = wrap(g)
                    continue
            elif shared and hasattr(g, "clone"):  # a tensor (create_graph): a copy in the graph
                g = g.clone()
            _accumulate(leaf, g, wrap, fresh=True)


def _add(node: GraphNode, g: Any, pending: dict, leaves: dict, heap: list) -> None:
    seq = node._seq
    entry = pending.get(seq) if seq else leaves.get(id(node))
    if entry is not None:
        entry[1] = entry[1] + g
    elif seq:
        pending[seq] = [node, g]
        heappush(heap, -seq)
    else:
        leaves[id(node)] = [node, g]


def _as_gradients(grads: Any, op: str | None, count: int) -> tuple:
    """A formula's result as a tuple of one gradient per input (a lone gradient or a list
    is accepted), or RuntimeError."""
    if type(grads) is not tuple:
        grads = tuple(grads) if isinstance(grads, list) else (grads,)
    if len(grads) != count:
        raise RuntimeError(
            f"backward of op '{op}' returned {len(grads)} gradients for {count} inputs"
        )
    return grads


def _conform(pg: Any, parent: GraphNode, op: str | None, create_graph: bool) -> Any:
    """Make a formula's gradient an array (or tensor) of the parent's shape and dtype."""
    if not create_graph and type(pg) is not np.ndarray:
        if hasattr(pg, "_array"):
            pg = pg._array
        else:
            try:
                pg = np.asarray(pg, dtype=parent._array.dtype)
            except (TypeError, ValueError) as err:
                raise TypeError(
                    f"backward of op '{op}' returned {type(pg).__name__}; expected an array"
                ) from err
    elif create_graph and isinstance(pg, (np.ndarray, np.generic, int, float)):
        pg = np.asarray(pg)  # a constant gradient: fine, it has no graph
    shape = parent._array.shape
    if pg.shape != shape:
        try:
            pg = unbroadcast(pg, shape)
        except ValueError as err:
            raise RuntimeError(
                f"backward of op '{op}' returned a gradient of shape {tuple(pg.shape)} "
                f"for an input of shape {shape}"
            ) from err
    dtype = parent._array.dtype
    if pg.dtype != dtype:
        pg = pg.astype(dtype)
    return pg
