"""``tl.compile``: trace one call of a function, then replay it as straight-line NumPy.

A training step in tinygrad_lab is Python glue (ops, graph, engine, optimizer) around a
few dozen NumPy calls. ``compile(step)`` runs the step once while recording those NumPy
calls, then replays only them, each writing into the buffer it filled while tracing::

    @tl.compile
    def train_step(x, y):
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss

    for epoch in range(1000):
        loss = train_step(X, Y)     # 1st call eager, 2nd traced, then replayed

How it works
------------
*Recording.* While tracing, every array that flows through the step is a ``_Traced``
ndarray (a view of the real one). NumPy hands every ufunc and function call on it to
``__array_ufunc__``/``__array_function__``, which compute the result on plain arrays and
record the call; the ndarray methods that copy behind NumPy's back (``astype``, ``copy``,
indexing with arrays, ...) are recorded by overrides. Views (``reshape``, ``.T``, basic
slices) need no step: the buffers keep their memory, so a view made once stays valid.

*Finding the arrays.* A few entry points are intercepted while (and only while) a trace
runs, and only in the tracing thread (``_intercepting`` lists them): reading
``Tensor._array`` turns a parameter's array into a traced view, so that in-place updates
of it are recorded too; ``tensor.grad`` tells which gradients the step read and set;
NumPy's constructors (``np.zeros``, ``np.array``, ...) return traced arrays;
``Module.__call__`` notes each module's train/eval flag; the framework's random generator
records ``random``/``standard_normal`` draws (dropout masks) as replay steps; optimizers'
and schedulers' ``step`` become recorded calls.

*Optimizers and schedulers.* ``scheduler.step()`` and other optimizers' ``step()`` run
eagerly at each replay, at the same point, as eager mode runs them. An optimizer class
whose update comes in two parts says so with ``_compile_parts = (numbers, arrays)``
(SGD, Adam, AdamW, RMSprop, Adagrad): the NumPy calls of ``arrays`` are recorded (state
arrays included), and ``numbers``, the Python part (step counters, bias corrections, the
options as 0-d arrays), reruns at each replay at the point of ``step()``, writing into
the 0-d arrays the recorded calls read (``_Numbers``): a new learning rate or step count
is not a new trace, and the values are eager mode's. (After an eager call in the same step, such as
a scheduler stepped before the optimizer, the step runs eagerly.) Before an eager call,
and at the end, the replay sets each parameter's ``.grad`` to the tensor the traced step
left there.

*Guards.* A replay runs only when the call matches the trace, which the program checks
in its first lines: arguments of the same structure, shapes, dtypes and
``requires_grad``, equal Python numbers and strings, the same grad mode, the same objects
in the function's globals and closure, the same array in every tensor the step read, the
same ``.grad`` None-ness where the step read it before setting it (an input's ``.grad``
read so must be None; a step that resets it, as ``x.grad = None`` does, takes any), the
same ``training`` flags, traced optimizers' state dicts and arrays, and options that
give the same branches (``momentum != 0``, ``amsgrad``). A call first tries the trace
replayed last, then the one of its signature. A new signature is run eagerly once, then
traced (one trace is kept per signature, up to eight); a changed state runs eagerly, and
traces again if it is still changed at the next call. A data-dependent branch in the
step (``if (y < 0).any(): raise ...``) is recorded as a check: when a replay's value
differs, the call runs eagerly instead, so eager's own error (``cross_entropy``'s label
check) is raised, or the other branch taken.

*Rewrites.* Only exact ones (the same computations on the same values): constant
folding, dead steps, copies and repeated calls merged, Python scalars as 0-d arrays where
the bits are checked equal, ``np.dot`` for ``np.matmul`` of matrices and vectors (the
same BLAS call without the gufunc machinery, 0.3-0.5 µs less a call; checked to give the
same bits on random values of the same layout, so a floating-point warning names ``dot``),
NumPy's error state set per block through its context variable, a NumPy scalar result
set into its 0-d buffer. Rewrites that would reorder a sum (``ones @ g`` for
``g.sum(axis=0)``, ``vdot`` for a sum of squares) are not made here: they change the last
bits, and a replay gives eager's bits. Eager's ops use them where they fit (Linear's bias
gradient, ``mse_loss``), and a replay repeats them.

What cannot be traced raises ``TracingError`` while tracing: Python reading tensor
values (``.item()``, ``float()``, ``.tolist()``, printing), results whose shape depends
on the data (``nonzero``, boolean masks), other random draws, ``optimizer.step(closure)``,
and a step that changes its own inputs in place. What cannot be detected: other Python
side effects (they happen once, at trace time), in-place changes of NumPy arrays by
routes NumPy does not report (``a.view(np.ndarray)`` of a traced array changed by a
plain ufunc), random draws from a generator passed explicitly.

The replayed program is generated Python source, one NumPy call per line:
``print(compiled)`` shows it, with a legend of its arrays.
"""

from __future__ import annotations

import bisect
import builtins
import functools
import inspect
import operator
import textwrap
import threading
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from . import random as _random
from .engine import mark_changed, modes
from .nn.module import Module
from .ops._numerics import error_context
from .optim.lr_scheduler import LRScheduler
from .optim.optimizer import Optimizer
from .tensor import Tensor

__all__ = ["CompiledFunction", "TracingError", "compile"]


class TracingError(RuntimeError):
    """Raised while tracing a step that does something a replay could not repeat."""


class _Diverged(Exception):  # noqa: N818  (control flow, never seen by users)
    """A data-dependent check of the step came out differently at replay."""

    def __init__(self, recoverable: bool) -> None:
        super().__init__()
        self.recoverable = recoverable


# The NumPy functions as they are (compile.py must call these, not its own wrappers).
_np_asarray = np.asarray
_np_array = np.array
_copyto = np.copyto

# ------------------------------------------------------------------- who is tracing


class _ThreadState(threading.local):
    tracer: _Tracer | None = None  # recording in this thread (None: eager, or paused)
    tracing = False  # a trace runs in this thread (also while paused)


_state = _ThreadState()
_install_lock = threading.Lock()  # one trace at a time patches the entry points


class _paused:  # noqa: N801
    """Run a block eagerly inside a trace (the optimizer's step)."""

    def __enter__(self) -> None:
        self.saved = _state.tracer
        _state.tracer = None

    def __exit__(self, *exc: object) -> None:
        _state.tracer = self.saved


# -------------------------------------------------------------- the recording array


def _owner(a: np.ndarray) -> np.ndarray:
    """The array that owns ``a``'s memory (following ``.base``)."""
    while isinstance(a.base, np.ndarray):
        a = a.base
    return a


def _untraceable(what: str, hint: str) -> TracingError:
    return TracingError(
        f"tl.compile: {what} inside a compiled step cannot be traced: {hint}. The step "
        "stopped there; what it did before stays done."
    )


def _value_read(name: str) -> TracingError:
    return _untraceable(
        f"{name} (Python reading a tensor's value)",
        "the value is only known when the step runs, and a replay runs no Python; "
        "return the tensor from the step and read it outside",
    )


class _Traced(np.ndarray):
    """An ndarray that reports what is done with it to the tracer of this thread.

    Outside a trace (or while the tracer is paused) it behaves as a plain ndarray.
    """

    # --------------------------------------------------------- NumPy's protocols

    def __array_ufunc__(self, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
        if any(isinstance(x, Tensor) for x in inputs):
            return NotImplemented  # the tensor's own override runs the op
        tracer = _state.tracer
        if tracer is None:
            return _eager_ufunc(ufunc, method, inputs, kwargs)
        return tracer.ufunc(ufunc, method, inputs, kwargs)

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        if any(issubclass(t, Tensor) for t in types):
            return NotImplemented
        tracer = _state.tracer
        if tracer is None:
            return func(*_eager(args), **_eager(kwargs))
        return tracer.function(func, args, kwargs)

    def __repr__(self) -> str:  # never the values: they are not known to a replay
        return f"<traced array shape={self.shape} dtype={self.dtype}>"

    __str__ = __repr__

    # ------------------------------------ methods NumPy does not report (see below)

    def __getitem__(self, key: Any) -> Any:
        tracer = _state.tracer
        if tracer is None:
            return self.view(np.ndarray)[_eager(key)]
        return tracer.getitem(self, key)

    def __setitem__(self, key: Any, value: Any) -> None:
        tracer = _state.tracer
        if tracer is None:
            self.view(np.ndarray)[_eager(key)] = _eager(value)
        else:
            tracer.setitem(self, key, value)

    def __iter__(self) -> Iterator[Any]:
        # 0-d views rather than NumPy scalars, so that the values stay traced
        for i in range(len(self)):
            yield self[i, ...]

    def fill(self, value: Any) -> None:
        self.__setitem__(Ellipsis, value)

    def __bool__(self) -> bool:
        tracer = _state.tracer
        value = bool(self.view(np.ndarray))
        if tracer is not None:
            tracer.check(self, value)
        return value

    def __copy__(self) -> Any:
        return self.copy()

    def __deepcopy__(self, memo: Any) -> Any:
        return self.copy()

    def nonzero(self) -> Any:
        if _state.tracer is not None:
            raise _data_shape("nonzero")
        return self.view(np.ndarray).nonzero()

    def sort(self, *args: Any, **kwargs: Any) -> None:
        if _state.tracer is not None:
            raise _untraceable("ndarray.sort (in place)", "use np.sort")
        self.view(np.ndarray).sort(*args, **kwargs)


def _recorded_method(name: str) -> Callable[..., Any]:
    def method(self: _Traced, *args: Any, **kwargs: Any) -> Any:
        tracer = _state.tracer
        if tracer is None:
            return getattr(self.view(np.ndarray), name)(*_eager(args), **_eager(kwargs))
        return tracer.method(self, name, args, kwargs)

    method.__name__ = name
    return method


def _value_method(name: str, shown: str) -> Callable[..., Any]:
    def method(self: _Traced, *args: Any, **kwargs: Any) -> Any:
        if _state.tracer is not None:
            raise _value_read(shown)
        return getattr(self.view(np.ndarray), name)(*args, **kwargs)

    method.__name__ = name
    return method


# ndarray methods that compute or copy without going through NumPy's protocols: recorded.
for _name in ("astype", "copy", "flatten", "ravel", "reshape", "dot", "take", "repeat",
              "argmax", "argmin", "argsort", "searchsorted"):
    setattr(_Traced, _name, _recorded_method(_name))
# What Python reads of the values: a replay runs no Python, so these cannot be traced.
for _name, _shown in (("item", ".item()"), ("tolist", ".tolist()"),
                      ("tobytes", ".tobytes()"), ("__float__", "float()"),
                      ("__int__", "int()"), ("__complex__", "complex()"),
                      ("__index__", "using a tensor as an index or a count")):
    setattr(_Traced, _name, _value_method(_name, _shown))


def _data_shape(name: str) -> TracingError:
    return _untraceable(
        f"{name}", "its result's shape depends on the data, and a replay writes into "
        "buffers of the shapes seen while tracing"
    )


def _eager(value: Any) -> Any:
    """``value`` with traced arrays (also in lists, tuples, dicts) as plain views."""
    if isinstance(value, _Traced):
        return value.view(np.ndarray)
    if isinstance(value, (list, tuple)):
        return type(value)(_eager(v) for v in value)
    if isinstance(value, dict):
        return {k: _eager(v) for k, v in value.items()}
    return value


def _eager_ufunc(ufunc: np.ufunc, method: str, inputs: Any, kwargs: dict) -> Any:
    out = kwargs.get("out")
    kwargs = _eager(kwargs)
    result = getattr(ufunc, method)(*_eager(inputs), **kwargs)
    if out is not None:  # keep `a += b` bound to the caller's object
        return out[0] if len(out) == 1 else out
    return result


def _scalars_as_arrays(ufunc: np.ufunc, args: tuple, kwargs: dict) -> tuple | None:
    """The inputs with Python and NumPy scalars as 0-d arrays of the dtype NumPy casts
    them to, and the ufunc's result with them: a ufunc takes a 0-d array about 1 µs
    faster than a Python float. Used only where the results are the same bits."""
    scalar = [_is_scalar(a) for a in args]
    if not any(scalar) or {"dtype", "signature", "casting"} & kwargs.keys():
        return None
    try:
        dtypes = ufunc.resolve_dtypes(
            tuple(type(a) if s and not isinstance(a, np.generic) else _np_asarray(a).dtype
                  for a, s in zip(args, scalar, strict=True)) + (None,) * ufunc.nout)
        arrays = tuple(_np_array(a, dtype=d) if s else a
                       for a, s, d in zip(args, scalar, dtypes, strict=False))
        check = ufunc(*arrays, **{k: v for k, v in kwargs.items() if k != "out"})
    except (TypeError, ValueError, OverflowError, np.exceptions.DTypePromotionError):
        return None
    return arrays, check


def _is_scalar(value: Any) -> bool:
    return isinstance(value, (bool, int, float, complex, np.generic))


def _same_bits(a: Any, b: Any) -> bool:
    """Whether two ufunc results hold the same bits: each a value (an array, or a NumPy
    scalar for a 0-d result) or a tuple of them (``out=`` is always a tuple)."""
    a, b = (a if isinstance(a, tuple) else (a,)), (b if isinstance(b, tuple) else (b,))
    return len(a) == len(b) and all(
        x.dtype == y.dtype and x.shape == y.shape and x.tobytes() == y.tobytes()
        for x, y in zip(map(_np_asarray, a), map(_np_asarray, b), strict=True))


def _contains_traced(value: Any) -> bool:
    if isinstance(value, _Traced):
        return True
    if isinstance(value, (list, tuple)):
        return any(_contains_traced(v) for v in value)
    if isinstance(value, dict):
        return any(_contains_traced(v) for v in value.values())
    return False


# NumPy functions whose result does not depend on array values.
_STATIC = {
    np.shape, np.ndim, np.size, np.result_type, np.may_share_memory, np.shares_memory,
    np.iscomplexobj, np.isrealobj, np.can_cast, np.min_scalar_type,
}
# Functions whose result's shape depends on the data.
_DATA_SHAPE = {np.nonzero, np.argwhere, np.flatnonzero, np.unique, np.extract}
# Functions that turn values into text or files.
_TEXT = {np.array2string, np.array_repr, np.array_str, np.save, np.savez, np.savetxt}
# Functions that copy their argument (and cast it): recorded as np.copyto into place.
_COPIES = {np.array, np.asarray, np.asanyarray, np.ascontiguousarray, np.asfortranarray,
           np.copy}
# Functions that write into their first argument.
_IN_PLACE = {np.copyto, np.put, np.place, np.putmask, np.fill_diagonal}
# Calls whose first argument is only written (the others are read).
_WRITES_FIRST = {np.copyto, operator.setitem, np.put, np.place, np.putmask,
                 np.fill_diagonal}
# Array creators dispatched on their argument: the result depends on its shape only.
_LIKE = {np.zeros_like: "constant", np.ones_like: "constant", np.full_like: "constant",
         np.empty_like: "empty"}


# Reductions written in Python over ufunc calls: running them on traced arrays records
# those calls (the same ones, so the same results), which replay faster than the wrapper.
_PRIMITIVE_CALLS = {np.mean, np.sum, np.max, np.min, np.amax, np.amin, np.prod, np.any,
                    np.all, np.var, np.std}


@functools.cache
def _takes_out(func: Any) -> bool:
    try:
        return "out" in inspect.signature(func).parameters
    except (TypeError, ValueError):
        return False


# ---------------------------------------------------------------------- the tracer


class _Step:
    """One line of the replayed program: ``fn(*args, **kwargs)``.

    ``reads``/``writes`` hold the owners (by id) of the arrays it reads and writes;
    ``text`` is set for steps rendered by hand (Python-level steps).
    """

    __slots__ = ("fn", "args", "kwargs", "reads", "writes", "text", "errstate")

    def __init__(self, fn: Any, args: tuple, kwargs: dict, reads: set, writes: set) -> None:
        self.fn, self.args, self.kwargs = fn, args, kwargs
        self.reads, self.writes = reads, writes
        self.text: str | None = None
        self.errstate = None


class _Store:
    """A step for a call without ``out=``: ``np.copyto(buffer, fn(*args))`` (one buffer,
    or one per element of a returned tuple)."""

    def __init__(self, fn: Any, many: bool) -> None:
        self.fn, self.many = fn, many
        self.__name__ = f"store_{getattr(fn, '__name__', 'call')}"

    def __call__(self, buffers: Any, *args: Any, **kwargs: Any) -> None:
        result = self.fn(*args, **kwargs)
        if self.many:
            for buffer, r in zip(buffers, result, strict=True):
                if buffer is not None:
                    _copyto(buffer, r, casting="unsafe")
        else:
            _copyto(buffers, result, casting="unsafe")


def _check(value: np.ndarray, expected: bool, recoverable: bool) -> None:
    """A data-dependent branch of the step: stop the replay when it goes the other way."""
    if bool(value) is not expected:
        raise _Diverged(recoverable)


def _draw(method: str, buffer: np.ndarray, dtype: Any) -> None:
    """A random draw of the default generator, at replay time (dropout masks)."""
    getattr(_random.default_generator.rng, method)(dtype=dtype, out=buffer)


class _Tracer:
    """Records the NumPy calls of one traced call, and what they read and write."""

    def __init__(self) -> None:
        self.steps: list[_Step] = []
        self.plain: dict[int, np.ndarray] = {}  # id(traced array) -> plain view of it
        self.kind: dict[int, str] = {}  # id(owner) -> input/persistent/result/...
        self.owners: dict[int, np.ndarray] = {}
        self.keep: list[Any] = []  # keeps every traced object alive (ids stay unique)
        self.adopted: dict[int, tuple[Tensor, np.ndarray]] = {}  # tensors read, old arrays
        self.by_array: dict[int, _Traced] = {}  # id(original array) -> its traced view
        self.grad_start: dict[int, tuple[Tensor, Any, bool]] = {}  # first .grad seen
        self.grad_set: dict[int, Tensor] = {}  # .grad set since the last eager call
        self.modules: dict[int, tuple[Module, bool]] = {}
        self.snapshots: dict[int, np.ndarray] = {}  # initial contents of scratch buffers
        self.after_effect = False  # a persistent write or eager call happened already
        self.scalars: dict[tuple[str, bytes], np.ndarray] = {}
        self.versions: dict[int, int] = {}  # version of each adopted tensor when first read
        self.eager_bumps: dict[int, int] = {}  # version changes made by eager calls
        self.identities: list[tuple[dict, Any, Any]] = []  # (dict, key, object) read
        self.numbers: list[_Numbers] = []  # Python parts of traced optimizer steps
        self.invalid = ""  # why this trace must not be replayed (it is traced again)
        self.home: dict[int, np.ndarray] = {}  # arrays moved to shared memory: their owner
        self.slab: dict[int, int] = {}  # moved owners: which shared block holds them

    # ------------------------------------------------------------- arrays

    def register(self, plain: np.ndarray, kind: str) -> _Traced:
        """A traced view of ``plain``, whose owner is of ``kind`` (if not known yet)."""
        traced = plain.view(_Traced)
        self.plain[id(traced)] = plain
        self.keep.append(traced)
        owner = _owner(plain)
        self.owners.setdefault(id(owner), owner)
        self.kind.setdefault(id(owner), kind)
        return traced

    def result(self, value: Any, kind: str = "result") -> _Traced:
        if not isinstance(value, np.ndarray):  # a NumPy scalar: a 0-d buffer instead
            value = _np_array(value)
        return self.register(value, kind)

    def plain_of(self, a: Any) -> Any:
        """The plain array (same memory) for a traced one; other values unchanged."""
        if isinstance(a, _Traced):
            plain = self.plain.get(id(a))
            if plain is None:  # a view NumPy made of a traced array (a.T, a[1:])
                base = a.base
                while isinstance(base, np.ndarray) and id(base) not in self.plain:
                    base = base.base
                if not isinstance(base, np.ndarray):
                    raise _untraceable(
                        "an array made by an operation the tracer cannot see (an ndarray "
                        "method that copies?)", "use the NumPy function instead"
                    )
                plain = a.view(np.ndarray)
                self.plain[id(a)] = plain
                self.keep.append(a)
            return plain
        if isinstance(a, np.ndarray):  # an array from outside the step: by reference
            owner = _owner(a)
            if id(owner) not in self.kind:
                self.owners[id(owner)] = owner
                self.kind[id(owner)] = "external"
            return a
        if isinstance(a, (list, tuple)):
            return type(a)(self.plain_of(v) for v in a)
        if isinstance(a, dict):
            return {k: self.plain_of(v) for k, v in a.items()}
        if isinstance(a, slice):
            return slice(self.plain_of(a.start), self.plain_of(a.stop), self.plain_of(a.step))
        return a

    def scalar(self, value: np.ndarray) -> np.ndarray:
        """One 0-d constant per value and dtype."""
        key = (value.dtype.str, value.tobytes())
        known = self.scalars.get(key)
        if known is None:
            known = self.scalars[key] = value
            self.owners[id(value)], self.kind[id(value)] = value, "constant"
        return known

    def adopt(self, tensor: Tensor, array: np.ndarray) -> _Traced:
        """A tensor the step reads: its array becomes traced (restored after the trace)."""
        if id(tensor) not in self.adopted:
            self.adopted[id(tensor)] = (tensor, array)
            self.versions[id(tensor)] = tensor._version
        return self.persistent(array)

    def persistent(self, array: np.ndarray) -> _Traced:
        """The traced view of an array that outlives the step (used by reference)."""
        traced = self.by_array.get(id(array))
        if traced is None:
            traced = self.register(array, "persistent")
            self.by_array[id(array)] = traced
            self.keep.append(array)
        return traced

    @staticmethod
    def owners_in(values: Any) -> set[int]:
        found: set[int] = set()

        def walk(v: Any) -> None:
            if isinstance(v, np.ndarray):
                found.add(id(_owner(v)))
            elif isinstance(v, (list, tuple)):
                for x in v:
                    walk(x)
            elif isinstance(v, dict):
                for x in v.values():
                    walk(x)
            elif isinstance(v, slice):
                walk((v.start, v.stop, v.step))

        walk(values)
        return found

    def written(self, owners: set[int]) -> None:
        """Note a write into ``owners``, before it happens: an array made while tracing
        (``np.zeros``) keeps its initial values as a snapshot that each replay restores."""
        for key in owners:
            kind = self.kind.get(key)
            if kind == "input":
                raise _untraceable(
                    "changing an input of the step in place",
                    "a replay copies each call's inputs into its own buffers, so the "
                    "change would not reach your tensor; change a copy",
                )
            if kind == "constant":  # made while tracing, now changed: restore it per replay
                self.snapshots[key] = self.owners[key].copy()
                self.kind[key] = "scratch"
            elif kind in ("persistent", "external"):
                self.after_effect = True

    def record(self, fn: Any, args: tuple, kwargs: dict, writes: set[int]) -> _Step:
        inputs = args[1:] if fn in _WRITES_FIRST or isinstance(fn, _Store) else args
        if fn is _draw:
            inputs = ()
        reads = self.owners_in((inputs, {k: v for k, v in kwargs.items() if k != "out"}))
        step = _Step(fn, args, kwargs, reads, writes)
        state = np.geterr()
        if state != _DEFAULT_ERRSTATE:
            step.errstate = state
        self.written(writes)
        self.steps.append(step)
        return step

    # ------------------------------------------------------------- NumPy calls

    def ufunc(self, ufunc: np.ufunc, method: str, inputs: tuple, kwargs: dict) -> Any:
        args = self.plain_of(inputs)
        kw = self.plain_of(kwargs)
        call = ufunc if method == "__call__" else getattr(ufunc, method)
        out = kwargs.get("out")
        faster = _scalars_as_arrays(ufunc, args, kw) if method == "__call__" else None
        if method == "at":
            self.written(self.owners_in(args[0]))  # before the write: see `written`
        elif out is not None:
            self.written(self.owners_in(kw["out"]))
        result = call(*args, **kw)
        if faster is not None and _same_bits(faster[1], kw.get("out", result)):
            args = tuple(self.scalar(a) if s else a
                         for a, s in zip(faster[0], map(_is_scalar, args), strict=True))
        if method == "at":
            self.record(call, args, kw, self.owners_in(args[0]))
            return None
        if out is not None:
            self.record(call, args, kw, self.owners_in(kw["out"]))
            return out[0] if len(out) == 1 else out
        many = isinstance(result, tuple)
        results = tuple(self.result(r) for r in (result if many else (result,)))
        plains = tuple(self.plain[id(r)] for r in results)
        kw["out"] = plains
        self.record(call, args, kw, self.owners_in(plains))
        return results if many else results[0]

    def function(self, func: Any, args: tuple, kwargs: dict) -> Any:
        name = getattr(func, "__name__", str(func))
        p_args, p_kwargs = self.plain_of(args), self.plain_of(kwargs)
        if func in _STATIC:
            return func(*p_args, **p_kwargs)
        if func in _DATA_SHAPE or (func is np.where and len(args) == 1):
            raise _data_shape(f"np.{name}")
        if func in _TEXT:
            raise _value_read(f"np.{name}")
        if func in _PRIMITIVE_CALLS:  # record the ufunc calls it makes (np.mean)
            return func._implementation(*args, **kwargs)
        if func in _LIKE and not _contains_traced(args[1:]) and not _contains_traced(kwargs):
            return self.result(func(*p_args, **p_kwargs), _LIKE[func])
        if func in _IN_PLACE:
            self.written(self.owners_in(p_args[0]))
        elif kwargs.get("out") is not None:
            self.written(self.owners_in(p_kwargs["out"]))
        result = func(*p_args, **p_kwargs)
        if func in _IN_PLACE:
            self.record(func, p_args, p_kwargs, self.owners_in(p_args[0]))
            return result
        if kwargs.get("out") is not None:
            self.record(func, p_args, p_kwargs, self.owners_in(p_kwargs["out"]))
            return kwargs["out"]
        return self.new_results(func, p_args, p_kwargs, result)

    def new_results(self, func: Any, args: tuple, kwargs: dict, result: Any) -> Any:
        """Register what ``func`` returned: views of buffers need no step, new arrays get
        one that refills them."""
        inputs = self.owners_in((args, kwargs))
        many = isinstance(result, (tuple, list))
        items = list(result) if many else [result]
        traced, buffers = [], []
        for r in items:
            if isinstance(r, np.ndarray) and id(_owner(r)) in inputs:
                traced.append(self.register(r, "result"))  # a view: nothing to replay
                buffers.append(None)
            elif isinstance(r, (np.ndarray, np.generic, bool, int, float, complex)):
                t = self.result(r)
                traced.append(t)
                buffers.append(self.plain[id(t)])
            else:
                traced.append(r)  # some other object (a dtype, a shape): not data
                buffers.append(None)
        made = [b for b in buffers if b is not None]
        if made:
            writes = self.owners_in(made)
            source = args[0] if args else None
            if (not many and func in _COPIES and isinstance(source, np.ndarray)
                    and source.shape == made[0].shape and len(args) == 1
                    and set(kwargs) <= {"dtype", "copy", "order"}):
                # np.array(x), np.ascontiguousarray(x), ...: a copy (and cast) into place
                self.record(_copyto, (made[0], source), {"casting": "unsafe"}, writes)
            elif not many and _takes_out(func) and isinstance(result, np.ndarray):
                self.record(func, args, {**kwargs, "out": made[0]}, writes)
            else:
                store = _Store(func, many)
                self.record(store, (tuple(buffers) if many else made[0], *args), kwargs, writes)
        if many:
            return type(result)(traced) if isinstance(result, tuple) else traced
        return traced[0]

    def method(self, array: _Traced, name: str, args: tuple, kwargs: dict) -> Any:
        plain = self.plain_of(array)
        p_args, p_kwargs = self.plain_of(args), self.plain_of(kwargs)
        result = getattr(plain, name)(*p_args, **p_kwargs)
        if isinstance(result, np.ndarray) and _owner(result) is _owner(plain):
            return self.register(result, "result")  # a view (reshape, ravel)
        if name in ("astype", "copy") and isinstance(result, np.ndarray):
            t = self.result(result)
            self.record(_copyto, (self.plain[id(t)], plain), {"casting": "unsafe"},
                        self.owners_in(self.plain[id(t)]))
            return t
        return self.new_results(getattr(np.ndarray, name), (plain, *p_args), p_kwargs, result)

    def getitem(self, array: _Traced, key: Any) -> Any:
        plain = self.plain_of(array)
        p_key = self.plain_of(key)
        for k in p_key if isinstance(p_key, tuple) else (p_key,):
            if isinstance(k, np.ndarray) and k.dtype == bool and k.ndim > 0:
                raise _data_shape("indexing with a boolean mask")
        result = plain[p_key]
        if not isinstance(result, np.ndarray):  # an element: take it as a 0-d view
            whole = p_key if isinstance(p_key, tuple) else (p_key,)
            if all(isinstance(k, (int, np.integer)) for k in whole):
                result = plain[(*whole, Ellipsis)]
        if isinstance(result, np.ndarray) and _owner(result) is _owner(plain):
            return self.register(result, "result")
        return self.new_results(operator.getitem, (plain, p_key), {}, result)

    def setitem(self, array: _Traced, key: Any, value: Any) -> None:
        plain = self.plain_of(array)
        p_key, p_value = self.plain_of(key), self.plain_of(value)
        self.written(self.owners_in(plain))
        plain[p_key] = p_value
        self.record(operator.setitem, (plain, p_key, p_value), {}, self.owners_in(plain))

    def check(self, array: _Traced, value: bool) -> None:
        plain = self.plain_of(array)
        recoverable = not self.after_effect
        self.record(_check, (plain, value, recoverable), {}, set())

    def draw(self, rng: np.random.Generator, method: str, size: Any, dtype: Any) -> _Traced:
        buffer = getattr(rng, method)(size=size, dtype=dtype)
        buffer = _np_asarray(buffer)
        traced = self.result(buffer)
        self.record(_draw, (method, self.plain[id(traced)], np.dtype(dtype)), {},
                    self.owners_in(self.plain[id(traced)]))
        return traced

    # ------------------------------------------------------------- Python level

    def touch_grad(self, tensor: Tensor, grad: Any, read: bool) -> None:
        if id(tensor) not in self.grad_start:
            self.grad_start[id(tensor)] = (tensor, grad, read)
            self.keep.append(tensor)

    def grad_sync(self) -> list[tuple[Tensor, Any]]:
        """The ``.grad`` the traced code set since the last eager call: the replay sets
        them at this point (an eager optimizer step reads them)."""
        pairs = [(tensor, _GRAD.__get__(tensor)) for tensor in self.grad_set.values()]
        self.grad_set = {}
        return pairs

    def eager_call(self, obj: Any, original: Callable, args: tuple, kwargs: dict) -> Any:
        """Run ``obj.step(*args)`` eagerly, now and at this point of every replay."""
        step = _Step(None, (obj, self.grad_sync(), args, kwargs), {}, set(), set())
        step.text = "eager"
        step.reads = self.owners_in((args, kwargs))
        self.steps.append(step)
        self.after_effect = True
        tensors = [t for t, _ in self.adopted.values()]
        before = [t._version for t in tensors]
        try:
            with _paused():
                return original(obj, *args, **kwargs)
        finally:  # the replay's eager call bumps these versions itself
            for t, version in zip(tensors, before, strict=True):
                bumps = t._version - version
                if bumps:
                    self.eager_bumps[id(t)] = self.eager_bumps.get(id(t), 0) + bumps

    def optimizer_step(self, opt: Optimizer, original: Callable, numbers_fn: Callable,
                       arrays_fn: Callable) -> Any:
        """Trace ``opt.step()`` of an optimizer whose update comes in two parts: the NumPy
        calls of ``arrays_fn`` are recorded (state arrays included), and ``numbers_fn``
        (step counters, options as 0-d arrays) reruns at each replay (see ``_Numbers``)."""
        if any(step.text == "eager" for step in self.steps):
            # An eager call before it (a scheduler) could change the options after the
            # program's guards have checked them: the whole step runs eagerly instead.
            return self.eager_call(opt, original, (), {})
        states = list(opt.state.values())
        saved = [dict(state) for state in states]
        views = [{k: self.persistent(v) for k, v in state.items() if type(v) is np.ndarray}
                 for state in saved]
        for state, traced in zip(states, views, strict=True):
            state.update(traced)
        count = len(opt.state)

        def update(params: list, grads: list, states: list, **options: Any) -> None:
            numbers = _Numbers(self, opt, params, states, numbers_fn, options)
            counters = [dict(state) for state in states]
            arrays_fn(params, grads, states, numbers.traced)
            if any(state.keys() != before.keys() or any(
                    v is not before[k] for k, v in state.items() if type(v) is not _Traced)
                   for state, before in zip(states, counters, strict=True)):
                self.invalid = f"{type(opt).__name__}.step created or replaced its state"

        opt.update_function = update  # an instance attribute, for this call only
        try:
            return original(opt)
        finally:
            del opt.update_function
            changed = len(opt.state) != count  # (the numbers part counts steps)
            for state, before, traced in zip(states, saved, views, strict=True):
                changed |= state.keys() != before.keys() or any(
                    state[k] is not v for k, v in traced.items())
                state.update({k: before[k] for k in traced})  # the same memory, plain
            if changed:  # its first step (state created): the next call traces again
                self.invalid = f"{type(opt).__name__}.step created or replaced its state"
            # The state the replay updates is the state eager mode would find.
            self.identities.append((vars(opt), "state", opt.state))
            for p, state in opt.state.items():
                if not state:  # an empty state is one the traced update did not read
                    continue
                self.identities.append((opt.state, p, state))
                self.identities += [(state, k, v) for k, v in state.items()
                                    if type(v) is np.ndarray]


def _leaves(numbers: tuple) -> list[tuple[int, int | None, Any]]:
    """The items of an optimizer's numbers: ``(i, j, value)`` for ``numbers[i][j]`` (an
    item that is a list or tuple) or ``(i, None, value)`` for ``numbers[i]``."""
    return [(i, j, x) for i, v in enumerate(numbers)
            for j, x in (enumerate(v) if type(v) in (tuple, list) else [(None, v)])]


def _structure(leaves: list) -> tuple:
    """What must not change in a traced optimizer's numbers: all but the arrays' values."""
    return tuple((i, j, (v.shape, v.dtype) if type(v) is np.ndarray else v)
                 for i, j, v in leaves)


class _Numbers:
    """The Python part of a traced optimizer's update, rerun at each replay.

    An optimizer class names its update's two parts in ``_compile_parts``: ``numbers(
    params, states, **options)`` counts steps and returns the numbers of the update
    (learning rate, bias corrections: 0-d arrays) with its flags; ``arrays(params,
    grads, states, numbers)`` does the array arithmetic. The replay records the array
    part, reading the numbers from 0-d buffers ("number" arrays), and at that point of
    the program calls this object: it reruns the Python part with the group's current
    options and copies the numbers into those buffers. A new learning rate, momentum or
    step count is thus a new input, not a new trace; what is not an array (the branches
    taken, None for an unused number) must stay as traced, which the guards check
    (``holds``) each time the options change.
    """

    def __init__(self, tracer: _Tracer, opt: Optimizer, params: list, states: list,
                 fn: Callable, options: dict[str, Any]) -> None:
        self.opt, self.fn, self.states, self.options = opt, fn, states, options
        # Numbers that depend on the options alone (SGD's, as its class says) are computed
        # again only when the options change; others (step counts) at every replay.
        self.options_only = type(opt).__dict__.get("_compile_options_only", False)
        self.current = True  # the buffers hold the numbers of self.options
        self.params = [tracer.plain_of(p) for p in params]  # read for shapes and dtypes
        self.index = next(i for i, g in enumerate(opt.param_groups)
                          if any(s is states[0] for s in map(opt.state.get, g["params"])))
        self.groups = len(opt.param_groups)
        self.group_params = opt.param_groups[self.index]["params"]
        self.members = tuple(self.group_params)  # the tensors it held
        with _paused():  # plain Python and NumPy (as_constants caches plain arrays)
            numbers = fn(params, states, **options)
        leaves = _leaves(numbers)
        self.structure = _structure(leaves)
        slots = {(i, j): _np_array(v) for i, j, v in leaves if type(v) is np.ndarray}
        self.slots = [(i, slot) for (i, j), slot in slots.items() if j is None]
        self.nested = [(i, j, slot) for (i, j), slot in slots.items() if j is not None]
        traced = {key: tracer.register(slot, "number") for key, slot in slots.items()}
        self.traced = tuple(  # what the array part reads
            type(v)(traced.get((i, j), x) for j, x in enumerate(v)) if type(v) in (tuple, list)
            else traced.get((i, None), v) for i, v in enumerate(numbers))
        step = _Step(None, (self,), {}, set(), {id(slot) for slot in slots.values()})
        step.text = "numbers"
        tracer.steps.append(step)
        tracer.numbers.append(self)
        tracer.after_effect = True  # it counts steps

    def holds(self) -> bool:
        """Whether the optimizer's groups and options still give the traced program: run
        on copies of the states (no effect) when the options changed."""
        opt = self.opt
        if len(opt.param_groups) != self.groups:
            return False
        params = opt.param_groups[self.index]["params"]
        # The same list, holding the same tensors (replacing one in place keeps the list).
        if (params is not self.group_params or len(params) != len(self.members)
                or not all(map(operator.is_, params, self.members))):
            return False
        options = opt._options(self.index)
        if options is self.options:
            return True
        try:
            numbers = self.fn(self.params, [dict(s) for s in self.states], **options)
        except Exception:  # noqa: BLE001  (eager mode raises it, if it must)
            return False
        if _structure(_leaves(numbers)) != self.structure:
            return False
        self.options, self.current = options, False
        return True

    def __call__(self) -> None:
        # holds() (the program's last guard) has just read the options, and nothing in a
        # replay changes them before the step (an eager call there makes the step eager).
        if self.options_only and self.current:
            return
        numbers = self.fn(self.params, self.states, **self.options)
        for i, slot in self.slots:
            slot[()] = numbers[i]
        for i, j, slot in self.nested:
            slot[()] = numbers[i][j]
        self.current = True


# NumPy's floating-point error state for a block of the replay. NumPy 2 keeps it in a
# context variable: setting that directly costs about 0.1 µs, `with np.errstate(...)` about
# 3 µs (it rebuilds its state object on every entry). Without it, np.errstate is used.
_ufunc_config = getattr(getattr(np, "_core", None), "_ufunc_config", None)
_make_error_state = getattr(_ufunc_config, "_make_extobj", None)


def _error_state(state: dict[str, str]) -> Any:
    if error_context is not None and _make_error_state is not None:
        return _make_error_state(**state)
    return state


def _errset(state: Any) -> Any:
    if isinstance(state, dict):
        manager = np.errstate(**state)
        manager.__enter__()
        return manager
    return error_context.set(state)


def _errreset(token: Any) -> None:
    if isinstance(token, np.errstate):
        token.__exit__(None, None, None)
    else:
        error_context.reset(token)


# Ufuncs that deprecate a positional out (NumPy 2).
_KEYWORD_OUT = {np.maximum, np.minimum, np.fmax, np.fmin}
_DEFAULTS = {"dtype": None, "keepdims": False, "where": True}
_DEFAULT_ERRSTATE = {"divide": "warn", "over": "warn", "under": "ignore", "invalid": "warn"}

# ------------------------------------------------------------ intercepted entry points

_ARRAY = Tensor.__dict__["_array"]  # the slot descriptors the properties stand in for
_GRAD = Tensor.__dict__["grad"]


def _get_array(tensor: Tensor) -> np.ndarray:
    array = _ARRAY.__get__(tensor)
    tracer = _state.tracer
    if tracer is not None and type(array) is np.ndarray:
        array = tracer.adopt(tensor, array)
        _ARRAY.__set__(tensor, array)
    return array


def _get_grad(tensor: Tensor) -> Any:
    grad = _GRAD.__get__(tensor)
    tracer = _state.tracer
    if tracer is not None:
        tracer.touch_grad(tensor, grad, read=True)
    return grad


def _set_grad(tensor: Tensor, grad: Any) -> None:
    tracer = _state.tracer
    if tracer is not None:
        try:
            old = _GRAD.__get__(tensor)
        except AttributeError:  # a tensor being made: nothing to track
            pass
        else:
            tracer.touch_grad(tensor, old, read=False)
            tracer.grad_set[id(tensor)] = tensor
    _GRAD.__set__(tensor, grad)


def _creator(original: Callable, kind: str) -> Callable:
    """``np.zeros``, ``np.array``, ...: inside a trace they return traced arrays."""

    @functools.wraps(original)
    def create(*args: Any, **kwargs: Any) -> Any:
        tracer = _state.tracer
        if tracer is None:
            return original(*args, **kwargs)
        args = tuple(a._array if isinstance(a, Tensor) else a for a in args)
        if not (_contains_traced(args) or _contains_traced(kwargs)
                or args and isinstance(args[0], np.ndarray)):
            return tracer.result(original(*args, **kwargs), kind)  # from Python values
        p_args, p_kwargs = tracer.plain_of(args), tracer.plain_of(kwargs)
        result = original(*p_args, **p_kwargs)
        if args and result is p_args[0]:
            return args[0]  # np.asarray(array): that same array
        # a copy of an array (read at each replay, so a change to it between calls shows)
        return tracer.new_results(original, p_args, p_kwargs, result)

    return create


_CREATORS = {
    "array": "constant", "asarray": "constant", "asanyarray": "constant",
    "ascontiguousarray": "constant", "asfortranarray": "constant", "zeros": "constant",
    "ones": "constant", "full": "constant", "eye": "constant", "identity": "constant",
    "arange": "constant", "empty": "empty",
}


def _eager_step(original: Callable) -> Callable:
    """An optimizer's or scheduler's ``step``: run eagerly, and again at each replay."""

    @functools.wraps(original)
    def step(self: Any, *args: Any, **kwargs: Any) -> Any:
        tracer = _state.tracer
        if tracer is None:
            return original(self, *args, **kwargs)
        if isinstance(self, Optimizer) and (args or kwargs.get("closure") is not None):
            raise _untraceable(
                f"{type(self).__name__}.step(closure)",
                "call the closure's body in the step, then optimizer.step()",
            )
        # Only the class that says so (a subclass may keep Python state in its step).
        parts = type(self).__dict__.get("_compile_parts")
        # (Not an optimizer whose update_function was replaced on the instance.)
        if parts is not None and not args and not kwargs and "update_function" not in vars(self):
            return tracer.optimizer_step(self, original, *parts)
        return tracer.eager_call(self, original, args, kwargs)

    return step


def _module_call(original: Callable) -> Callable:
    @functools.wraps(original)
    def call(self: Module, *args: Any, **kwargs: Any) -> Any:
        tracer = _state.tracer
        if tracer is not None and id(self) not in tracer.modules:
            tracer.modules[id(self)] = (self, self.training)
        return original(self, *args, **kwargs)

    return call


class _RecordingRNG:
    """Stands in for the default generator's NumPy generator during a trace: ``random``
    and ``standard_normal`` become replayed draws; other draws cannot be replayed."""

    def __init__(self, rng: np.random.Generator) -> None:
        self._rng = rng

    def __getattr__(self, name: str) -> Any:
        tracer = _state.tracer
        if tracer is None:
            return getattr(self._rng, name)
        if name in ("random", "standard_normal"):
            return lambda size=None, dtype=np.float64, out=None: tracer.draw(
                self._rng, name, size, dtype)
        raise _untraceable(
            f"drawing random numbers with Generator.{name}",
            "only random() and standard_normal() (dropout, randn) are replayed",
        )


def _classes_defining(base: type, name: str) -> list[type]:
    found, todo = [], [base]
    while todo:
        cls = todo.pop()
        if name in cls.__dict__:
            found.append(cls)
        todo.extend(cls.__subclasses__())
    return found


class _intercepting:  # noqa: N801
    """Install the entry points of a trace; restore everything on exit.

    They are process-wide attributes, so only one trace runs at a time (a lock), and each
    checks the thread: other threads see plain behaviour, at the cost of one check.
    """

    def __enter__(self) -> None:
        _install_lock.acquire()
        self.saved: list[tuple[Any, str, Any]] = []
        try:
            self._set(Tensor, "_array", property(_get_array, _ARRAY.__set__))
            self._set(Tensor, "grad", property(_get_grad, _set_grad))
            for name, kind in _CREATORS.items():
                self._set(np, name, _creator(getattr(np, name), kind))
            for base in (Optimizer, LRScheduler):
                for cls in _classes_defining(base, "step"):
                    self._set(cls, "step", _eager_step(cls.__dict__["step"]))
            self._set(Module, "__call__", _module_call(Module.__dict__["__call__"]))
            self._set(_random.default_generator, "rng",
                      _RecordingRNG(_random.default_generator.rng))
        except BaseException:
            self.__exit__()
            raise

    def _set(self, owner: Any, name: str, value: Any) -> None:
        self.saved.append((owner, name, getattr(owner, name) if not isinstance(owner, type)
                           else owner.__dict__[name]))
        setattr(owner, name, value)

    def __exit__(self, *exc: object) -> None:
        try:
            for owner, name, value in reversed(self.saved):
                if owner is _random.default_generator:
                    if isinstance(owner.rng, _RecordingRNG):  # not reseeded in the step
                        owner.rng = value
                else:
                    setattr(owner, name, value)
        finally:
            _install_lock.release()


# ----------------------------------------------------------------- peephole rewrites
#
# Exact rewrites only: a step is dropped when its result is known at trace time or
# never used, and a copy when its source already holds the same values in the same
# layout for as long as the copy is read. A NumPy call is changed for another only where
# both make the same BLAS call (matmul -> dot).


def _pure(step: _Step) -> bool:
    return step.text is None and step.fn is not _check and step.fn is not _draw


def _simplify(tracer: _Tracer, visible: list[np.ndarray]) -> dict[int, np.ndarray]:
    """Rewrite ``tracer.steps`` in place; return ``{id(dropped copy): its source}`` for
    the arrays the replay hands out (``visible``: outputs, gradients, eager arguments)."""
    writers: dict[int, int] = {}
    for step in tracer.steps:
        for key in step.writes:
            writers[key] = writers.get(key, 0) + 1
    _fold_constants(tracer, writers)
    renamed = _drop_copies(tracer, writers, visible)
    visible = [renamed.get(id(a), a) for a in visible]
    _drop_dead(tracer, visible)
    _share_memory(tracer, visible)
    _faster_calls(tracer)
    return renamed


def _faster_calls(tracer: _Tracer) -> None:
    """Swap ``np.matmul`` of matrices and vectors for ``np.dot``: the same BLAS call,
    without the gufunc machinery around it (0.3-0.5 µs less per call on small matrices).
    Only where the two give the same bits, checked on random values of the same layout."""
    for step in tracer.steps:
        if step.fn is np.matmul and _dot_is_matmul(step):
            step.fn, step.args, step.kwargs = np.dot, (*step.args, _result_of(step)), {}


def _dot_is_matmul(step: _Step) -> bool:
    out = _result_of(step)
    if len(step.args) != 2 or set(step.kwargs) != {"out"} or out is None:
        return False
    a, b = step.args
    if not (isinstance(a, np.ndarray) and isinstance(b, np.ndarray)
            and a.ndim in (1, 2) and b.ndim in (1, 2) and a.dtype == b.dtype == out.dtype
            and a.dtype in (np.float32, np.float64) and out.flags.c_contiguous):
        return False
    if any(np.may_share_memory(x, y) for x, y in ((a, b), (a, out), (b, out))):
        return False  # NumPy takes other paths for overlapping operands
    if not all(x.flags.c_contiguous or x.flags.f_contiguous for x in (a, b)):
        return False
    rng = np.random.default_rng(0)
    for _ in range(2):
        x, y = (np.empty_like(v, order="K") for v in (a, b))  # the same strides
        x[...], y[...] = rng.standard_normal(a.shape), rng.standard_normal(b.shape)
        if not _same_bits(np.matmul(x, y), np.dot(x, y, out=np.empty_like(out))):
            return False
    return True


def _fold_constants(tracer: _Tracer, writers: dict[int, int]) -> None:
    """Steps computing only from constants made their result once, while tracing."""
    constant = {key for key, kind in tracer.kind.items() if kind == "constant"}
    kept = []
    for step in tracer.steps:
        if (_pure(step) and step.writes and step.reads <= constant
                and all(tracer.kind[w] == "result" and writers[w] == 1 for w in step.writes)):
            constant |= step.writes
            for key in step.writes:
                tracer.kind[key] = "constant"
            continue
        kept.append(step)
    tracer.steps = kept


def _copy_source(step: _Step) -> tuple[np.ndarray, np.ndarray] | None:
    """``(destination, source)`` when the step only copies an array (same dtype)."""
    fn, args, kwargs = step.fn, step.args, step.kwargs
    if not (fn is _copyto and len(args) == 2 and set(kwargs) <= {"casting"}):
        return None
    dst, src = args
    if not (isinstance(src, np.ndarray) and isinstance(dst, np.ndarray)):
        return None
    if (src.dtype, src.shape, src.strides) != (dst.dtype, dst.shape, dst.strides):
        return None
    return dst, src


def _result_of(step: _Step) -> np.ndarray | None:
    """The one fresh buffer a step fills (``out=(buffer,)`` or a store), if it has one."""
    if isinstance(step.fn, _Store):
        return None if step.fn.many else step.args[0]
    out = step.kwargs.get("out")
    if isinstance(out, tuple) and len(out) == 1:
        out = out[0]
    return out if isinstance(out, np.ndarray) else None


def _key(value: Any) -> Any:
    """What makes two calls the same: the same arrays (objects), equal Python values."""
    if isinstance(value, np.ndarray):
        return ("array", id(value))
    if isinstance(value, (tuple, list)):
        return (type(value), tuple(_key(v) for v in value))
    if isinstance(value, dict):
        return (dict, tuple((k, _key(v)) for k, v in value.items()))
    if isinstance(value, (bool, int, float, str, type(None), np.generic, np.dtype)):
        return (type(value), value)
    return ("object", id(value))


def _call_key(step: _Step, result: np.ndarray) -> Any:
    fn = step.fn
    if isinstance(fn, _Store):
        fn_key: Any = ("store", id(fn.fn))
        args = step.args[1:]
    else:
        fn_key = (id(getattr(fn, "__self__", None)), getattr(fn, "__name__", id(fn)), id(fn)
                  if getattr(fn, "__self__", None) is None else 0)
        args = step.args
    kwargs = {k: v for k, v in step.kwargs.items() if k != "out"}
    return (fn_key, _key(args), _key(kwargs), result.dtype.str, result.shape, result.strides)


def _drop_copies(tracer: _Tracer, writers: dict[int, int],
                 visible: list[np.ndarray]) -> dict[int, np.ndarray]:
    """A copy whose source is not written again is the source itself; a call repeated
    on unchanged inputs (a formula recomputing ``1 - out``) is the first call."""
    writes_at: dict[int, list[int]] = {}
    references: dict[int, set[int]] = {}  # id(owner) -> ids of the arrays naming it
    arrays: list[np.ndarray] = list(visible)
    for i, step in enumerate(tracer.steps):
        for key in step.writes:
            writes_at.setdefault(key, []).append(i)
        _arrays_in((step.args, step.kwargs), arrays)
    for a in arrays:
        references.setdefault(id(_owner(a)), set()).add(id(a))

    def unchanged(owners: set[int], start: int, stop: int) -> bool:
        """No step in ``(start, stop)`` writes any of ``owners``."""
        for key in owners:
            at = writes_at.get(key, ())
            k = bisect.bisect_right(at, start)
            if k < len(at) and at[k] < stop:
                return False
        return True

    def replaceable(dst: np.ndarray) -> bool:
        return (dst is _owner(dst) and writers.get(id(dst)) == 1
                and tracer.kind.get(id(dst)) == "result"
                and references.get(id(dst), set()) == {id(dst)})

    renamed: dict[int, np.ndarray] = {}
    seen: dict[Any, tuple[int, np.ndarray, _Step]] = {}
    kept = []
    for i, step in enumerate(tracer.steps):
        if renamed:
            step.args = _renamed(step.args, renamed)
            step.kwargs = _renamed(step.kwargs, renamed)
            step.reads = {id(_owner(renamed[k])) if k in renamed else k for k in step.reads}
        pair = _copy_source(step)
        if pair is not None:
            dst, src = pair
            source = tracer.kind.get(id(_owner(src)))
            if (replaceable(dst) and source in ("result", "input", "constant")
                    and not writes_at.get(id(_owner(src)), [-1])[-1] > i):
                renamed[id(dst)] = src
                continue
        result = _result_of(step) if _pure(step) else None
        if result is not None and replaceable(result):
            key = _call_key(step, result)
            if key in seen:
                j, first, _ = seen[key]
                if unchanged(step.reads, j, i):
                    renamed[id(result)] = first
                    continue
            seen[key] = (i, result, step)
        kept.append(step)
    tracer.steps = kept
    return renamed


def _arrays_in(value: Any, found: list[np.ndarray]) -> None:
    if isinstance(value, np.ndarray):
        found.append(value)
    elif isinstance(value, (list, tuple)):
        for v in value:
            _arrays_in(v, found)
    elif isinstance(value, dict):
        for v in value.values():
            _arrays_in(v, found)
    elif isinstance(value, slice):
        _arrays_in((value.start, value.stop, value.step), found)


def _renamed(value: Any, renamed: dict[int, np.ndarray]) -> Any:
    if isinstance(value, np.ndarray):
        return renamed.get(id(value), value)
    if isinstance(value, tuple) and not hasattr(value, "_fields"):
        return tuple(_renamed(v, renamed) for v in value)
    if isinstance(value, list):
        return [_renamed(v, renamed) for v in value]
    if isinstance(value, dict):
        return {k: _renamed(v, renamed) for k, v in value.items()}
    return value


def _drop_dead(tracer: _Tracer, visible: list[np.ndarray]) -> None:
    """Steps whose results nothing reads (gradients of inputs that need none)."""
    live = {id(_owner(a)) for a in visible}
    live |= {key for key, kind in tracer.kind.items() if kind in ("persistent", "external")}
    kept = []
    for step in reversed(tracer.steps):
        if not _pure(step) or step.writes & live:
            kept.append(step)
            live |= step.reads
    tracer.steps = kept[::-1]


def _share_memory(tracer: _Tracer, visible: list[np.ndarray]) -> None:
    """Give results whose lifetimes do not overlap the same memory, as eager mode's
    allocator does when it reuses a freed array: a smaller working set, the same values.

    A result's lifetime runs from the first step that writes it to the last that reads
    it; results the replay hands out (outputs, gradients) keep their own memory."""
    first: dict[int, int] = {}
    last: dict[int, int] = {}
    for i, step in enumerate(tracer.steps):
        for key in step.writes | step.reads:
            first.setdefault(key, i)
            last[key] = i
    kept = {id(_owner(a)) for a in visible}
    planned = [key for key in first if tracer.kind.get(key) == "result" and key not in kept
               and _compact(tracer.owners[key])]
    free: list[np.ndarray] = []  # slabs no longer in use
    busy: list[tuple[int, np.ndarray]] = []  # (last step using it, slab)
    moved: dict[int, np.ndarray] = {}  # id(owner) -> its slab
    for key in sorted(planned, key=first.__getitem__):
        free += [slab for end, slab in busy if end < first[key]]
        busy = [(end, slab) for end, slab in busy if end >= first[key]]
        nbytes = tracer.owners[key].nbytes
        fits = [i for i, slab in enumerate(free) if slab.nbytes >= nbytes]
        if fits:
            slab = free.pop(min(fits, key=lambda i: free[i].nbytes))
        else:
            slab = _aligned_bytes(nbytes)
        moved[key] = slab
        busy.append((last[key], slab))
    if not moved:
        return
    found: list[np.ndarray] = []
    for step in tracer.steps:
        _arrays_in((step.args, step.kwargs), found)
    slabs: dict[int, int] = {}
    for slab in moved.values():
        slabs.setdefault(id(slab), len(slabs))
    homes = {key: np.ndarray(tracer.owners[key].shape, tracer.owners[key].dtype, slab, 0,
                             tracer.owners[key].strides) for key, slab in moved.items()}
    renamed: dict[int, np.ndarray] = {}
    for a in found:
        owner = _owner(a)
        home = homes.get(id(owner))
        if home is not None and id(a) not in renamed:
            offset = _address(a) - _address(owner)
            new = home if a is owner else np.ndarray(a.shape, a.dtype, home.base, offset
                                                     + _address(home) - _address(home.base),
                                                     a.strides)
            renamed[id(a)] = new
            tracer.home[id(new)] = home  # names the arrays in the printout
    for key, home in homes.items():
        tracer.slab[id(home)] = slabs[id(moved[key])]
        tracer.kind[id(_owner(home))] = "result"
    owners = {key: id(_owner(home)) for key, home in homes.items()}
    for step in tracer.steps:
        step.args = _renamed(step.args, renamed)
        step.kwargs = _renamed(step.kwargs, renamed)
        step.reads = {owners.get(k, k) for k in step.reads}
        step.writes = {owners.get(k, k) for k in step.writes}
    tracer.keep.extend(renamed.values())


def _compact(a: np.ndarray) -> bool:
    return (a.flags.c_contiguous or a.flags.f_contiguous) and a.base is None


def _address(a: np.ndarray) -> int:
    return a.__array_interface__["data"][0]


def _aligned_bytes(nbytes: int, alignment: int = 64) -> np.ndarray:
    raw = np.empty(nbytes + alignment, np.uint8)
    start = -_address(raw) % alignment
    return raw[start:start + nbytes]


def _read_before_written(steps: list[_Step], key: int) -> bool:
    """Whether the array ``key`` may be read before a replay has rewritten it: some step
    reads it at or before a step that writes it, or a write's places depend on the data
    (an index array, a mask). Otherwise every write comes first, to the same places at
    each replay, so the previous replay's values are gone before anything reads them."""
    writes = [i for i, step in enumerate(steps) if key in step.writes]
    if any(not _fixed_places(steps[i]) for i in writes):
        return True
    return any(key in step.reads for step in steps[: max(writes, default=-1) + 1])


def _fixed_places(step: _Step) -> bool:
    """A write whose places don't depend on array values."""
    if step.fn is operator.setitem:
        found: list[np.ndarray] = []
        _arrays_in(step.args[1], found)
        return not found
    name = getattr(step.fn, "__name__", "")
    return "where" not in step.kwargs and name != "at" and step.fn not in (
        np.put, np.place, np.putmask)


# ------------------------------------------------------------------------ the program


class _Program:
    """The traced call as generated Python: names for its arrays, one line per step."""

    def __init__(self, tracer: _Tracer, trace: _Trace, inputs: list[np.ndarray],
                 outputs: list[Any], end_grads: list[tuple[Tensor, Any]]) -> None:
        self.tracer = tracer
        self.namespace: dict[str, Any] = {
            "copyto": _copyto, "check": _check, "inf": np.inf, "nan": np.nan,
            "errset": _errset, "errreset": _errreset, "MISS": _MISSING, "modes": modes,
            "isinstance": isinstance, "Tensor": Tensor, "ndarray": np.ndarray,
            "mark_changed": mark_changed, "wrap": Tensor._wrap,
        }
        self.names: dict[int, str] = {}
        self.constants: dict[int, str] = {}
        self.errstates: dict[str, str] = {}
        self.legend: list[str] = []
        self.counts: dict[str, int] = {}
        lines = [f"def replay({', '.join(f'a{i}' for i in range(len(trace.params)))}):"]
        lines += ["    if not (" + "\n            and ".join(self.guards(trace)) + "):",
                  "        return MISS  # the call differs from the trace"]
        for tensor, buffer in trace.grad_in:  # gradients the step adds to
            lines.append(f"    copyto({self.array(buffer)}, "
                         f"{self.obj('T', tensor, 'tensor')}.grad._array)")
        for i, buffer in zip(trace.leaves, inputs, strict=True):  # the call's arrays
            array = f"b{i}" if trace.params[i][0] == "tensor" else f"a{i}"
            lines.append(f"    copyto({self.array(buffer)}, {array})")
        for key, initial in tracer.snapshots.items():  # arrays made while tracing
            if not _read_before_written(tracer.steps, key):
                continue  # each replay rewrites what it reads: no need to restore
            first = initial.flat[0].item() if initial.size else 0
            if (initial == first).all():  # np.zeros, np.full: filled, not copied
                lines.append(f"    {self.array(tracer.owners[key])}.fill({self.value(first)})")
            else:
                lines.append(f"    copyto({self.array(tracer.owners[key])}, "
                             f"{self.constant(initial, 'init')})")
        block = None
        for step in tracer.steps:
            if step.errstate != block:  # NumPy's error state, as it was for these calls
                if block is not None:
                    lines += ["    finally:", "        errreset(state)"]
                if step.errstate is not None:
                    shown = ", ".join(f"{k}={v!r}" for k, v in step.errstate.items())
                    if shown not in self.errstates:  # one object per state
                        self.errstates[shown] = self.name("err", _error_state(step.errstate))
                    lines += [f"    state = errset({self.errstates[shown]})  # errstate({shown})",
                              "    try:"]
                block = step.errstate
            indent = "        " if block is not None else "    "
            lines += [indent + line for line in self.render(step)]
        if block is not None:
            lines += ["    finally:", "        errreset(state)"]
        # In-place changes the traced code made (eager calls make their own): the same
        # version counters move (one call, one stamp, as an optimizer step makes); then the
        # gradients the step set.
        if trace.bumps:
            changed = ", ".join(self.obj("T", t, "tensor") for t in trace.bumps)
            lines.append(f"    mark_changed({changed})")
        for i, buffer in trace.input_grads:
            value = "None" if buffer is None else f"wrap({self.array(buffer)}.copy())"
            lines.append(f"    a{trace.leaves[i]}.grad = {value}")
        lines += [f"    {line}" for line in self.grad_lines(end_grads)]
        returned = ", ".join(f"{self.array(o)}.copy()" for o in outputs)
        lines.append(f"    return ({returned}{',' if len(outputs) == 1 else ''})")
        self.source = "\n".join(lines)
        # The names become closure variables of `replay` (faster to load than globals).
        names = ", ".join(self.namespace)
        source = (f"def make({names}):\n" + textwrap.indent(self.source, "    ")
                  + "\n    return replay")
        scope: dict[str, Any] = {}
        exec(builtins.compile(source, "<tl.compile>", "exec"), scope)  # noqa: S102
        self.run: Callable[..., tuple] = scope["make"](**self.namespace)

    def guards(self, trace: _Trace) -> list[str]:
        """The conditions of a replay, as Python expressions (see ``_Trace``)."""
        terms = []
        for i, (kind, *what) in enumerate(trace.params):
            if kind == "tensor":
                shape, dtype, requires_grad = what
                terms.append(f"isinstance(a{i}, Tensor) and (b{i} := a{i}._array).shape == "
                             f"{shape!r} and b{i}.dtype == {self.constant(dtype, 'D')} and "
                             f"a{i}.requires_grad is {requires_grad}")
            elif kind == "array":
                shape, dtype = what
                terms.append(f"isinstance(a{i}, ndarray) and a{i}.shape == {shape!r} and "
                             f"a{i}.dtype == {self.constant(dtype, 'D')}")
            elif kind == "value":
                cls, value = what
                terms.append(f"a{i}.__class__ is {self.constant(cls, 'C')} and "
                             f"a{i} == {self.constant(value, 'V')}")
            else:
                terms.append(f"a{i} is {self.constant(what[0], 'O')}")
        terms.append(f"modes.grad_enabled is {trace.grad_enabled}")
        for tensor, array, requires_grad in trace.arrays:  # tensors the step read
            name = self.obj("T", tensor, "tensor")
            terms.append(f"{name}._array is {self.array(array)} and "
                         f"{name}.requires_grad is {requires_grad}")
        for tensor, was_none in trace.grad_none:  # .grad read before the step set it
            terms.append(f"{self.obj('T', tensor, 'tensor')}.grad is "
                         f"{'' if was_none else 'not '}None")
        for tensor, buffer in trace.grad_in:
            terms.append(f"{self.obj('T', tensor, 'tensor')}.grad._array.shape == "
                         f"{buffer.shape!r}")
        for module, training in trace.modules:
            terms.append(f"{self.obj('M', module, 'module')}.training is {training}")
        for found, key, value in trace.identities:  # a traced optimizer's state
            shown = self.obj("T", key, "tensor") if isinstance(key, Tensor) else repr(key)
            value = self.array(value) if isinstance(value, np.ndarray) else self.constant(
                value, "dict")
            terms.append(f"{self.constant(found, 'dict')}.get({shown}, MISS) is {value}")
        scope = self.constant(trace.globals, "scope") if trace.global_values else ""
        for name, value in trace.global_values:  # the function's globals and closure
            terms.append(f"{scope}.get({name!r}, MISS) is {self.constant(value, 'g')}")
        for cell, value in trace.cells:
            terms.append(f"{self.constant(cell, 'cell')}.cell_contents is "
                         f"{self.constant(value, 'g')}")
        terms += [f"a{trace.leaves[i]}.grad is None" for i in trace.grads_read]
        terms += [f"{self.numbers_name(n)}.holds()" for n in trace.numbers]
        return terms

    # ------------------------------------------------------------------ names

    def name(self, prefix: str, value: Any) -> str:
        n = self.counts.get(prefix, 0)
        self.counts[prefix] = n + 1
        name = f"{prefix}{n}"
        self.namespace[name] = value
        return name

    def array(self, a: np.ndarray) -> str:
        name = self.names.get(id(a))
        if name is not None:
            return name
        owner = self.tracer.home.get(id(a))
        owner = _owner(a) if owner is None else owner
        kind = self.tracer.kind.get(id(owner), "result" if id(owner) in self.tracer.slab
                                    else "external")
        if a is owner:
            prefix = {"input": "x", "persistent": "p", "external": "e", "result": "t",
                      "constant": "c", "scratch": "s", "empty": "s", "number": "n"}[kind]
            name = self.name(prefix, a)
            value = f" = {a.item()!r}" if a.ndim == 0 and kind in ("constant", "external") else ""
            if id(a) in self.tracer.slab:
                value = f" (memory block {self.tracer.slab[id(a)]})"
            self.legend.append(f"{name}: {kind} {a.shape} {a.dtype}{value}")
        else:
            base = self.array(owner)
            name = self.name("v", a)
            offset = a.__array_interface__["data"][0] - owner.__array_interface__["data"][0]
            self.legend.append(f"{name}: view of {base}: shape {a.shape}, strides "
                               f"{a.strides}, offset {offset} bytes")
        self.names[id(a)] = name
        self.tracer.keep.append(a)
        return name

    def constant(self, value: Any, prefix: str = "k") -> str:
        """A name for a Python object the program uses as it is (one per object)."""
        name = self.constants.get(id(value))
        if name is None:
            name = self.constants[id(value)] = self.name(prefix, value)
            shown = "a dict" if isinstance(value, dict) else repr(value).splitlines()[0]
            self.legend.append(f"{name}: {shown if len(shown) <= 60 else shown[:57] + '...'}")
        return name

    def value(self, v: Any) -> str:
        if isinstance(v, np.ndarray):
            return self.array(v)
        if v is None or isinstance(v, (bool, int, str)) or v is Ellipsis:
            return "..." if v is Ellipsis else repr(v)
        if type(v) is float:
            return repr(v)
        if isinstance(v, tuple):
            inner = ", ".join(self.value(x) for x in v)
            return f"({inner}{',' if len(v) == 1 else ''})"
        if isinstance(v, list):
            return f"[{', '.join(self.value(x) for x in v)}]"
        if isinstance(v, slice):
            return f"slice({self.value(v.start)}, {self.value(v.stop)}, {self.value(v.step)})"
        if isinstance(v, dict):
            return "{" + ", ".join(f"{k!r}: {self.value(x)}" for k, x in v.items()) + "}"
        return self.constant(v)

    def function(self, fn: Any) -> str:
        if isinstance(fn, np.ufunc):
            key = fn.__name__
        elif getattr(fn, "__self__", None) is not None and isinstance(fn.__self__, np.ufunc):
            key = f"{fn.__self__.__name__}_{fn.__name__}"
        else:
            key = getattr(fn, "__name__", "fn")
        key = key.replace(".", "_").replace("<", "").replace(">", "")
        existing = self.namespace.get(key)
        if existing is fn or (existing is not None and not isinstance(fn, np.ufunc)
                              and existing == fn):
            return key
        if existing is None:
            self.namespace[key] = fn
            return key
        return self.name(f"{key}_", fn)

    # ------------------------------------------------------------------ lines

    def numbers_name(self, numbers: _Numbers) -> str:
        slots = ", ".join(self.array(slot) for *_, slot in numbers.slots + numbers.nested)
        return self.obj("N", numbers, f"the Python part of {type(numbers.opt).__name__}'s "
                        f"step, which sets {slots} at each replay")

    def render(self, step: _Step) -> list[str]:
        if step.text == "numbers":
            return [f"{self.numbers_name(step.args[0])}()  # step counts, options"]
        if step.text == "eager":
            obj, grads, args, kwargs = step.args
            lines = self.grad_lines(grads)
            call = [self.value(a) for a in args] + [f"{k}={self.value(v)}"
                                                      for k, v in kwargs.items()]
            kind = "opt" if isinstance(obj, Optimizer) else "sched"
            name = self.obj(kind, obj, type(obj).__name__)
            lines.append(f"{name}.step({', '.join(call)})  # eager")
            return lines
        fn, args, kwargs = step.fn, step.args, dict(step.kwargs)
        if isinstance(fn, _Store) and not fn.many:  # no out=: compute, then copy in
            inner = [self.value(a) for a in args[1:]]
            inner += [f"{k}={self.value(v)}" for k, v in kwargs.items()]
            call = f"{self.function(fn.fn)}({', '.join(inner)})"
            if args[0].ndim == 0:  # a NumPy scalar (np.vdot): set it, 3x faster than copyto
                return [f"{self.value(args[0])}[()] = {call}"]
            return [f"copyto({self.value(args[0])}, {call}, casting='unsafe')"]
        parts = [self.value(a) for a in args]
        for key, default in _DEFAULTS.items():  # NumPy's defaults, passed on by _methods
            if key in kwargs and kwargs[key] is default:
                del kwargs[key]
        out = kwargs.get("out")
        if isinstance(out, tuple) and len(out) == 1 and not isinstance(fn, np.ufunc):
            kwargs["out"] = out[0]
        if isinstance(fn, np.ufunc) and out is not None and fn not in _KEYWORD_OUT:
            outs = out if isinstance(out, tuple) else (out,)
            parts += [self.value(o) for o in outs]  # positional out: the fast form
            del kwargs["out"]
        parts += [f"{k}={self.value(v)}" for k, v in kwargs.items()]
        return [f"{self.function(fn)}({', '.join(parts)})"]

    def grad_lines(self, grads: list[tuple[Tensor, Any]]) -> list[str]:
        lines = []
        for tensor, grad in grads:
            target = self.obj("T", tensor, "tensor")
            value = "None" if grad is None else self.obj("G", grad, "gradient tensor")
            lines.append(f"{target}.grad = {value}")
        return lines

    def obj(self, prefix: str, value: Any, what: str) -> str:
        """A name for a Python object of the program (tensor, optimizer), once."""
        name = self.names.get(id(value))
        if name is None:
            name = self.names[id(value)] = self.name(prefix, value)
            shape = f" {tuple(value.shape)} {value.dtype}" if isinstance(value, Tensor) else ""
            array = f" (array {self.array(value._array)})" if what == "gradient tensor" else ""
            self.legend.append(f"{name}: {what}{shape}{array}")
            self.tracer.keep.append(value)
        return name

    def __str__(self) -> str:
        return self.source + "\n\n# " + "\n# ".join(self.legend)


# ---------------------------------------------------------------- the compiled function

_MISSING = object()
_MAX_TRACES = 8  # like torch.compile's cache limit: past it, calls run eagerly


def _signature(value: Any, arrays: list, tensors: list, objects: list) -> Any:
    """What a trace depends on in an argument: structure, shapes, dtypes, requires_grad,
    Python values; the arrays (to copy in) and tensors go to the lists."""
    if isinstance(value, Tensor):
        array = value._array
        arrays.append(array)
        tensors.append(value)
        return (array.shape, array.dtype, value.requires_grad)
    if isinstance(value, np.ndarray):
        arrays.append(value)
        tensors.append(None)
        return (value.shape, value.dtype)
    if value is None or isinstance(value, (bool, int, float, complex, str, bytes, np.generic)):
        return (type(value), value)
    if isinstance(value, (tuple, list)):
        return (type(value), *[_signature(v, arrays, tensors, objects) for v in value])
    if isinstance(value, dict):
        return (dict, *[(k, _signature(v, arrays, tensors, objects))
                        for k, v in value.items()])
    objects.append(value)  # anything else is the same object, or another trace
    return id(value)


def _substitute(value: Any, replacements: Iterator[Any]) -> Any:
    """``value`` with each array and tensor replaced, in signature order."""
    if isinstance(value, (Tensor, np.ndarray)):
        return next(replacements)
    if isinstance(value, (tuple, list)):
        return type(value)(_substitute(v, replacements) for v in value)
    if isinstance(value, dict):
        return {k: _substitute(v, replacements) for k, v in value.items()}
    return value


def _rebuild(spec: Any, buffers: tuple) -> Any:
    kind, content = spec
    if kind == "tensor":
        return Tensor._wrap(buffers[content])
    if kind == "array":
        return buffers[content]
    if kind == "object":
        return content
    if kind == "dict":
        return {k: _rebuild(v, buffers) for k, v in content}
    items = [_rebuild(s, buffers) for s in content]
    return tuple(items) if kind is tuple else (kind(*items) if hasattr(kind, "_fields")
                                                else kind(items))


class _Trace:
    """One traced call: its program, and the guards under which it replays.

    The program checks the guards itself (its first lines) and returns ``_MISSING``
    when one fails: the parameters (each argument, or each array of a nested one) of the
    same kind, shape, dtype, ``requires_grad`` and Python value; the grad mode; and the
    Python state the step read (below).
    """

    def __init__(self, fn: Callable, tracer: _Tracer, params: list[tuple], flat: bool,
                 input_tensors: list[Tensor | None], input_grads: list[tuple[int, Any]],
                 grads_read: list[int]) -> None:
        self.params = params  # ("tensor", shape, dtype, requires_grad), ("array", ...), ...
        self.flat = flat  # the parameters are the call's arguments
        self.leaves = [i for i, (kind, *_) in enumerate(params) if kind in ("tensor", "array")]
        self.program: _Program | None = None
        self.spec: Any = None
        self.grad_enabled = modes.grad_enabled
        self.input_grads = input_grads  # (leaf index, gradient buffer or None)
        self.grads_read = grads_read  # leaves whose .grad the step read before setting it
        inputs = {id(t) for t in input_tensors if t is not None}
        self.arrays = [(t, a, t.requires_grad) for key, (t, a) in tracer.adopted.items()
                       if key not in inputs]
        self.grad_none = [(t, g is None) for key, (t, g, read) in tracer.grad_start.items()
                          if read and key not in inputs]
        # Gradients the step read (accumulation): copied in from the current .grad.
        self.grad_in = [
            (t, tracer.plain_of(tracer.by_array[id(_ARRAY.__get__(g))]))
            for key, (t, g, read) in tracer.grad_start.items()
            if g is not None and id(g) in tracer.adopted and key not in inputs
        ]
        self.modules = list(tracer.modules.values())
        self.identities = tracer.identities
        self.numbers = tracer.numbers
        # In-place changes the traced code made (not those of eager calls, which redo
        # theirs): the replay bumps the same version counters.
        self.bumps = []
        for key, (tensor, _) in tracer.adopted.items():
            count = tensor._version - tracer.versions[key] - tracer.eager_bumps.get(key, 0)
            self.bumps += [tensor] * count
        code = getattr(getattr(fn, "__func__", fn), "__code__", None)
        scope = getattr(getattr(fn, "__func__", fn), "__globals__", {})
        self.globals = scope
        self.global_values = [(n, scope[n]) for n in (code.co_names if code else ())
                              if n in scope]
        cells = getattr(getattr(fn, "__func__", fn), "__closure__", None) or ()
        self.cells = []
        for cell in cells:
            try:
                self.cells.append((cell, cell.cell_contents))
            except ValueError:  # an empty cell
                pass


def _parameters(args: tuple, kwargs: dict, leaves: list[Any]) -> tuple[list[tuple], bool]:
    """The replay's parameters and whether they are the call's own arguments (a call of
    positional tensors, arrays, numbers and other objects) or, for a call with nested or
    keyword arguments, its tensors and arrays (found through the signature)."""
    flat = not kwargs and not any(isinstance(a, (tuple, list, dict)) for a in args)
    params = []
    for value in args if flat else leaves:
        if isinstance(value, Tensor):
            array = value._array
            params.append(("tensor", array.shape, array.dtype, value.requires_grad))
        elif isinstance(value, np.ndarray):
            params.append(("array", value.shape, value.dtype))
        elif value is None or isinstance(value, (bool, int, float, complex, str, bytes,
                                                 np.generic)):
            params.append(("value", type(value), value))
        else:
            params.append(("object", value))
    return params, flat


class CompiledFunction:
    """A function traced once and replayed as straight-line NumPy (see :func:`compile`).

    Attributes
    ----------
    stats : dict
        How many calls ran ``eager`` (warm-up, fallback), were ``traced`` or ``replayed``.
    """

    def __init__(self, fn: Callable) -> None:
        if not callable(fn):
            raise TypeError(f"tl.compile: expected a function, got {type(fn).__name__}")
        self.fn = fn
        functools.update_wrapper(self, fn, updated=())
        self._traces: dict[Any, _Trace] = {}
        self._seen: set[Any] = set()
        self._stale: set[Any] = set()
        self._lock = threading.RLock()
        self._objects: dict[Any, list] = {}
        self._latest: _Trace | None = None  # the trace replayed last, if its call was flat
        self.stats = {"eager": 0, "traced": 0, "replayed": 0}

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if _state.tracing or modes.anomaly:
            return self.fn(*args, **kwargs)  # inside another trace, or hunting NaNs
        with self._lock:
            latest = self._latest  # first try the trace replayed last (its guards check)
            if latest is not None and not kwargs and len(args) == len(latest.params):
                result = self._replay(latest, args, kwargs, args)
                if result is not _MISSING:
                    return result
            return self._call(args, kwargs)

    def _call(self, args: tuple, kwargs: dict) -> Any:
        arrays: list[np.ndarray] = []
        tensors: list[Tensor | None] = []
        objects: list[Any] = []
        key = (modes.grad_enabled, *[_signature(a, arrays, tensors, objects) for a in args])
        if kwargs:
            key += ("kwargs", _signature(kwargs, arrays, tensors, objects))
        leaves = [a if t is None else t for a, t in zip(arrays, tensors, strict=True)]
        trace = self._traces.get(key)
        if trace is not None:
            result = self._replay(trace, args, kwargs, args if trace.flat else leaves)
            if result is not _MISSING:
                self._stale.discard(key)
                self._latest = trace if trace.flat else None
                return result
            if key not in self._stale:
                # Python state differs from the trace's (a .grad set to None, a
                # replaced array): run eagerly; trace again if it still differs.
                self._stale.add(key)
                return self._eager(args, kwargs)
        elif key not in self._seen:
            self._seen.add(key)  # the first call of a signature runs eagerly
            return self._eager(args, kwargs)
        if self.stats["traced"] >= _MAX_TRACES:
            return self._eager(args, kwargs)
        self._objects[key] = objects  # ids in the key stay unique while traced
        self._stale.discard(key)
        result, trace = self._trace(args, kwargs, leaves, tensors)
        self.stats["traced"] += 1
        if trace is not None:
            self._traces[key] = trace
        else:
            self._traces.pop(key, None)
        return result

    def _replay(self, trace: _Trace, args: tuple, kwargs: dict, params: tuple | list) -> Any:
        """The trace's result for this call, or ``_MISSING`` where a guard fails."""
        try:
            buffers = trace.program.run(*params)
        except _Diverged as diverged:
            if not diverged.recoverable:
                raise RuntimeError(
                    f"tl.compile({self.__name__}): a data-dependent check of the step came "
                    "out differently from the traced call, after the step had already "
                    "changed state (an optimizer step, or an in-place update); it cannot "
                    "be rerun eagerly. Keep such checks before the first update."
                ) from None
            return self._eager(args, kwargs)  # eager raises its own error, or branches
        if buffers is _MISSING:
            return _MISSING
        self.stats["replayed"] += 1
        return _rebuild(trace.spec, buffers)

    def _eager(self, args: tuple, kwargs: dict) -> Any:
        self.stats["eager"] += 1
        return self.fn(*args, **kwargs)

    def _trace(self, args: tuple, kwargs: dict, leaves: list[Any],
               tensors: list[Tensor | None]) -> Any:
        tracer = _Tracer()
        buffers: list[_Traced] = []
        swapped: list[tuple[Tensor, np.ndarray]] = []
        with _intercepting():
            try:
                for leaf in leaves:
                    original = _ARRAY.__get__(leaf) if isinstance(leaf, Tensor) else leaf
                    buffer = tracer.register(original.copy(), "input")
                    buffers.append(buffer)
                    if isinstance(leaf, Tensor):
                        swapped.append((leaf, original))
                        _ARRAY.__set__(leaf, buffer)
                replacements = iter(
                    leaf if isinstance(leaf, Tensor) else buf
                    for leaf, buf in zip(leaves, buffers, strict=True)
                )
                t_args, t_kwargs = _substitute((args, kwargs), replacements)
                _state.tracer, _state.tracing = tracer, True
                try:
                    result = self.fn(*t_args, **t_kwargs)
                finally:
                    _state.tracer, _state.tracing = None, False
                outputs: list[np.ndarray] = []
                spec = _output_spec(result, tracer, outputs)
                end_grads = tracer.grad_sync()
                for _, grad in end_grads:
                    _detrace(grad, tracer)
            finally:
                for leaf, original in swapped:
                    _ARRAY.__set__(leaf, original)
                for tensor, array in tracer.adopted.values():
                    _ARRAY.__set__(tensor, array)
                _detrace_tensors(tracer)
        input_ids = {id(t): i for i, t in enumerate(tensors) if t is not None}
        input_grads = [(input_ids[id(t)], None if g is None else
                        tracer.plain_of(_ARRAY.__get__(g)))
                       for t, g in end_grads if id(t) in input_ids]
        end_grads = [(t, g) for t, g in end_grads if id(t) not in input_ids]
        grads_read = [(input_ids[key], g) for key, (_, g, read) in tracer.grad_start.items()
                      if read and key in input_ids]
        if any(g is not None for _, g in grads_read):  # that gradient is not an input
            tracer.invalid = "the step read the .grad of an input"
        handed_out = _handed_out_tensors(tracer, end_grads)
        visible = outputs + [b for _, b in input_grads if b is not None]
        visible += [_ARRAY.__get__(t) for t in handed_out]
        renamed = _simplify(tracer, visible)
        outputs = [renamed.get(id(o), o) for o in outputs]
        input_grads = [(i, renamed.get(id(b), b)) for i, b in input_grads]
        for tensor in handed_out:
            array = _ARRAY.__get__(tensor)
            _ARRAY.__set__(tensor, renamed.get(id(array), array))
        _give_input_grads(input_grads, tensors)  # this call's inputs get theirs too
        result = _rebuild(spec, tuple(o.copy() for o in outputs))
        if tracer.invalid:
            return result, None
        trace = _Trace(self.fn, tracer, *_parameters(args, kwargs, leaves), tensors,
                       input_grads, [i for i, _ in grads_read])
        trace.program = _Program(tracer, trace, [tracer.plain_of(b) for b in buffers],
                                 outputs, end_grads)
        trace.spec = spec
        return result, trace

    @property
    def program(self) -> str:
        """The source of the latest traced program (empty before the first trace)."""
        if not self._traces:
            return ""
        return str(list(self._traces.values())[-1].program)

    def __str__(self) -> str:
        text = self.program
        return text if text else f"<tl.compile({self.__name__}): not traced yet>"

    def __repr__(self) -> str:
        return f"<tl.compile({self.__name__}) {self.stats}>"


def _give_input_grads(input_grads: list[tuple[int, Any]], tensors: list[Tensor | None]
                      ) -> None:
    """Set the ``.grad`` of the call's inputs that the step set: a copy of the buffer the
    replay filled (the caller may keep it), or None."""
    for index, buffer in input_grads:
        tensors[index].grad = None if buffer is None else Tensor._wrap(buffer.copy())


def _output_spec(value: Any, tracer: _Tracer, outputs: list) -> Any:
    """How to rebuild the step's result at each replay: tensors and arrays made by the
    step come back as fresh copies of their buffers; anything else as it was."""
    if isinstance(value, Tensor):
        array = _ARRAY.__get__(value)
        if not isinstance(array, _Traced) or id(value) in tracer.adopted:
            return ("object", value)  # a tensor from outside the step (a parameter)
        outputs.append(tracer.plain_of(array))
        return ("tensor", len(outputs) - 1)
    if isinstance(value, _Traced):
        outputs.append(tracer.plain_of(value))
        return ("array", len(outputs) - 1)
    if isinstance(value, (tuple, list)):
        return (type(value), [_output_spec(v, tracer, outputs) for v in value])
    if isinstance(value, dict):
        return ("dict", [(k, _output_spec(v, tracer, outputs)) for k, v in value.items()])
    return ("object", value)


def _handed_out_tensors(tracer: _Tracer, end_grads: list[tuple[Tensor, Any]]) -> list[Tensor]:
    """Tensors whose arrays the replay hands out: gradients it sets, eager arguments."""
    found: dict[int, Tensor] = {}
    values: list[Any] = [g for _, g in end_grads]
    for step in tracer.steps:
        if step.text == "eager":
            _, grads, args, kwargs = step.args
            values += [g for _, g in grads] + list(args) + list(kwargs.values())
    for value in values:
        if isinstance(value, Tensor):
            found[id(value)] = value
    return list(found.values())


def _detrace_tensors(tracer: _Tracer) -> None:
    """Tensors the replay hands out (gradients, arguments of eager calls) get plain
    arrays: outside a trace a traced array would only be slower."""
    for step in tracer.steps:
        if step.text == "eager":
            _, grads, args, kwargs = step.args
            for value in [g for _, g in grads] + list(args) + list(kwargs.values()):
                _detrace(value, tracer)


def _detrace(value: Any, tracer: _Tracer) -> None:
    if isinstance(value, Tensor):
        array = _ARRAY.__get__(value)
        if isinstance(array, _Traced):
            _ARRAY.__set__(value, tracer.plain_of(array))


def compile(  # noqa: A001  (PyTorch's name)
    fn: Callable | None = None, *, fullgraph: bool = False, dynamic: Any = None,
    backend: Any = "inductor", mode: Any = None, options: Any = None, disable: bool = False,
) -> Any:
    """Trace a function (typically a whole training step) and replay it as NumPy.

    The first call with a given argument signature runs eagerly, the second is traced
    (it runs eagerly too, recording its NumPy calls), and later calls replay the
    recorded calls into the same buffers: no graph, no Python per op. Results are those
    of eager mode, bit for bit: the same NumPy (and BLAS) calls run, in the same order.

    Parameters
    ----------
    fn : callable
        The step (a function, a bound method or a module). Its tensor and array
        arguments are inputs, copied in at each call; tensors it reads from elsewhere
        (parameters, buffers) are used in place. Without ``fn``, returns a decorator.
    fullgraph, dynamic, backend, mode, options
        ``torch.compile``'s settings, accepted so that PyTorch programs run; there is one
        way of compiling here, so they change nothing.
    disable : bool
        Return ``fn`` itself, uncompiled (as ``torch.compile(disable=True)``).

    Returns
    -------
    CompiledFunction
        Call it like ``fn``. Tensors the step makes come back as new tensors that do not
        require grad (a tensor from outside, such as a parameter, comes back as itself).
        ``print(compiled)`` shows the traced program; ``compiled.stats`` counts the calls
        that ran eagerly, were traced and were replayed.

    Raises
    ------
    TracingError
        While tracing, at a step the replay could not repeat (``.item()`` inside the
        step, results whose shape depends on the data, ...); see the module docstring.

    Notes
    -----
    ``scheduler.step()`` and ``optimizer.step()`` run eagerly at each replay (for SGD,
    Adam, AdamW, RMSprop and Adagrad only the Python part, the array part is recorded;
    an optimizer step that follows an eager call in the step runs whole), so step counters
    and learning rates follow eager mode exactly. After a call, ``p.grad`` holds the
    step's gradient; the next call overwrites that gradient tensor's values in place.

    Examples
    --------
    >>> import tinygrad_lab as tl
    >>> w = tl.tensor([0.5, -1.0], requires_grad=True)
    >>> opt = tl.optim.SGD([w], lr=0.01)
    >>> @tl.compile
    ... def step(x):
    ...     opt.zero_grad()
    ...     loss = ((x * w).sum() - 1.0) ** 2
    ...     loss.backward()
    ...     opt.step()
    ...     return loss
    >>> losses = [step(tl.tensor([1.0, 2.0])).item() for _ in range(4)]
    >>> step.stats
    {'eager': 1, 'traced': 1, 'replayed': 2}
    """
    del fullgraph, dynamic, backend, mode, options  # one way of compiling here
    if fn is None:
        return functools.partial(compile, disable=disable)
    if disable:
        return fn
    return CompiledFunction(fn)
