"""The Tensor: an ``np.ndarray`` plus the few fields that record how it was computed.

This module holds what every tensor is (storage, graph fields, conversions, in-place
rules, ``backward``). The maths (``exp``, ``sum``, ``+``, ...) lives in ``ops/``, one
function per op, and each ops file registers its functions as Tensor methods with
:func:`register_methods`: the ops build on this file, never the other way round.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from . import engine
from .engine import mark_changed, modes, next_number

_default_dtype: np.dtype = np.dtype(np.float32)


def set_default_dtype(dtype: Any) -> None:
    """Set the float dtype given to Python floats and lists (float32 at start).

    Parameters
    ----------
    dtype : np.float32 or np.float64 (or their names)
    """
    global _default_dtype
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        raise TypeError(f"set_default_dtype: expected a float dtype, got {dtype}")
    _default_dtype = dtype


def get_default_dtype() -> np.dtype:
    """Return the float dtype given to Python floats and lists."""
    return _default_dtype


def _to_array(data: Any, dtype: Any) -> np.ndarray:
    """Convert user data to a fresh ndarray following the dtype rules in the README."""
    if isinstance(data, Tensor):
        data = data._array
    elif isinstance(data, (list, tuple)) and any(isinstance(d, Tensor) for d in data):
        data = [np.asarray(d._array) if isinstance(d, Tensor) else d for d in data]
    if dtype is not None:
        dtype = np.dtype(dtype)
    if isinstance(data, np.ma.MaskedArray):
        raise TypeError("Tensor: masked arrays are not supported (the mask would be lost)")
    if isinstance(data, (np.ndarray, np.generic)):
        array = np.array(data, dtype=dtype)  # copies: the caller's array stays theirs
    else:
        try:
            array = np.array(data, dtype=dtype)
        except (TypeError, ValueError) as err:
            raise TypeError(
                f"Tensor: cannot make a numeric array from {type(data).__name__} "
                f"{_short(data)}: {err}"
            ) from None
        if dtype is None and array.dtype.kind == "f":
            array = array.astype(_default_dtype, copy=False)  # Python floats -> default
    if array.dtype.kind not in "biuf":
        raise TypeError(
            f"Tensor: data must be numeric (bool, int or float), got dtype {array.dtype} "
            f"from {type(data).__name__} {_short(data)}"
        )
    return array


def _short(obj: Any, limit: int = 60) -> str:
    text = repr(obj)
    return text if len(text) <= limit else text[: limit - 3] + "..."


class device:  # noqa: N801  (PyTorch's name)
    """Where a tensor lives: always the CPU here.

    ``device("cuda")`` and ``device("mps")`` raise: tinygrad_lab runs on NumPy, on the CPU.
    """

    __slots__ = ("type", "index")

    def __init__(self, kind: Any = "cpu", index: int | None = None) -> None:
        if isinstance(kind, device):
            kind = kind.type
        name = str(kind)
        if name.split(":")[0] != "cpu":
            raise RuntimeError(
                f"device({name!r}): tinygrad_lab runs on the CPU only (it computes with "
                "NumPy); use 'cpu' (tl.cuda.is_available() is False)"
            )
        self.type = "cpu"
        self.index = index

    def __eq__(self, other: object) -> bool:
        return isinstance(other, (device, str)) and str(other).split(":")[0] == "cpu"

    def __hash__(self) -> int:
        return hash("cpu")

    def __str__(self) -> str:
        return "cpu"

    def __repr__(self) -> str:
        return "device(type='cpu')"


CPU = device("cpu")


class GradFn:
    """What ``tensor.grad_fn`` shows for an op's result: the op's name (PyTorch style)."""

    __slots__ = ("_tensor",)

    def __init__(self, tensor: Tensor) -> None:
        self._tensor = tensor

    def name(self) -> str:
        op = self._tensor._op or ""
        return "".join(part.capitalize() for part in op.strip("_").split("_")) + "Backward"

    @property
    def next_functions(self) -> tuple[tuple[GradFn | None, int], ...]:
        return tuple(
            (GradFn(p) if p._op is not None else None, 0) for p in self._tensor._parents
        )

    def __repr__(self) -> str:
        return f"<{self.name()} object>"


class RemovableHandle:
    """Returned by ``register_hook``: ``handle.remove()`` takes the hook away again."""

    _next_id = 0

    def __init__(self, hooks: dict[int, Callable]) -> None:
        self._hooks = hooks
        self.id = RemovableHandle._next_id
        RemovableHandle._next_id += 1

    def remove(self) -> None:
        self._hooks.pop(self.id, None)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()


# NumPy functions whose results carry no gradient (shapes, flags, indices, comparisons):
# they run on the arrays also when an input requires grad.
_NO_GRADIENT_NEEDED = {
    np.shape, np.ndim, np.size, np.result_type, np.array_equal, np.array_equiv,
    np.allclose, np.isclose, np.all, np.any, np.count_nonzero, np.argmax, np.argmin,
    np.argsort, np.nonzero, np.argwhere, np.flatnonzero, np.may_share_memory,
    np.shares_memory, np.array2string, np.array_repr, np.array_str, np.iscomplexobj,
    np.isrealobj, np.can_cast, np.searchsorted, np.testing.assert_allclose,
    np.testing.assert_array_equal, np.testing.assert_equal, np.save, np.savez,
}

# Filled by the ops files: which op a NumPy ufunc or function is, for tensors.
UFUNC_OPS: dict[Any, Callable[..., Any]] = {}
FUNCTION_OPS: dict[Any, Callable[..., Any]] = {}


class Tensor:
    """An n-dimensional array that remembers the operations that produced it.

    Parameters
    ----------
    data : array_like
        NumPy arrays keep their dtype (and are copied); Python floats and nested lists
        of floats become the default dtype (float32, see :func:`set_default_dtype`);
        Python ints become int64 and bools bool, as in PyTorch.
    requires_grad : bool, optional
        Record operations on this tensor so that ``backward()`` can fill ``.grad``.
        Only float tensors can require gradients.
    dtype : dtype, optional
        Cast the data to this dtype.

    Examples
    --------
    >>> x = Tensor([[1.0, 2.0]], requires_grad=True)
    >>> y = (x * x).sum()
    >>> y.backward()
    >>> x.grad.numpy()
    array([[2., 4.]], dtype=float32)
    """

    __slots__ = (
        "_array",
        "grad",
        "requires_grad",
        "_parents",
        "_backward",
        "_op",
        "_seq",
        "_retains_grad",
        "_storage",
        "_hooks",
        "__weakref__",
    )

    def __init__(
        self, data: Any, requires_grad: bool = False, dtype: Any = None, device: Any = None
    ) -> None:
        if device is not None:
            _check_device(device)
        self._array: np.ndarray = _to_array(data, dtype)
        self.grad: Tensor | None = None
        self.requires_grad = False
        self._parents: tuple[Tensor, ...] = ()
        self._backward: Callable[..., Any] | None = None
        self._op: str | None = None
        self._seq = 0
        self._retains_grad = False
        self._storage: engine.Storage | None = None
        self._hooks: dict[int, Callable] | None = None
        if requires_grad:
            self.requires_grad_(True)

    # ------------------------------------------------------------------ construction

    @classmethod
    def _wrap(cls, array: np.ndarray) -> Tensor:
        """Wrap an ndarray without copying or checking it (the framework's fast path)."""
        out = object.__new__(cls)
        out._array = array
        out.grad = None
        out.requires_grad = False
        out._parents = ()
        out._backward = None
        out._op = None
        out._seq = 0
        out._retains_grad = False
        out._storage = None
        out._hooks = None
        return out

    @classmethod
    def from_op(
        cls,
        data: Any,
        parents: Sequence[Tensor],
        backward: Callable[..., Any],
        name: str,
    ) -> Tensor:
        """Make the result of an op and record how to differentiate it.

        This is how every op in ``tinygrad_lab.ops`` is written, and how you add your own.

        Parameters
        ----------
        data : np.ndarray
            The op's result, computed with NumPy from the parents' arrays.
        parents : sequence of Tensor
            The op's tensor inputs.
        backward : callable
            The gradient formula, ``backward(g, out, *inputs)``: ``g`` is the gradient of
            the final output with respect to this result, ``out`` the result and
            ``inputs`` the parents. It returns one gradient per parent, in order (or
            ``None`` for a parent that needs none); a gradient may keep the broadcast
            shape of the forward pass, the engine sums it down. The engine calls it with
            ndarrays, or with Tensors under ``create_graph=True``: written with
            operators, methods both share (``sum``, ``reshape``) and NumPy functions
            (``np.exp(out)``), one formula serves both and can be differentiated again.
            Values captured from the forward pass count as constants there, which is
            right for masks and indices and wrong for anything that depends smoothly on
            the inputs: compute those from the arguments.
        name : str
            The op's name, used in error messages, anomaly reports and graph pictures.

        Returns
        -------
        Tensor
            Requires grad when grad mode is on and any parent requires grad.

        Examples
        --------
        >>> def cube(x):
        ...     return Tensor.from_op(x.numpy() ** 3, (x,),
        ...                           lambda g, out, x: (3 * g * x ** 2,), "cube")
        """
        if type(data) is not np.ndarray:
            data = np.asarray(data)
        if modes.anomaly:
            engine.check_finite(data, name, "forward")
        # Every op runs this: each field is set once, here, rather than through _wrap.
        out = object.__new__(cls)
        out._array = data
        out.grad = None
        out._retains_grad = False
        out._storage = None
        out._hooks = None
        if modes.grad_enabled:
            for parent in parents:
                if parent.requires_grad:
                    out.requires_grad = True
                    out._parents = tuple(parents)
                    out._backward = backward
                    out._op = name
                    seq = out._seq = next_number()
                    if not seq % engine.GROWTH_CHECK:
                        engine.graph_growing(seq)
                    return out
        out.requires_grad = False
        out._parents = ()
        out._backward = None
        out._op = None
        out._seq = 0
        return out

    # ------------------------------------------------------------------- properties

    @property
    def shape(self) -> tuple[int, ...]:
        return self._array.shape

    @property
    def ndim(self) -> int:
        return self._array.ndim

    @property
    def dtype(self) -> np.dtype:
        return self._array.dtype

    @property
    def device(self) -> device:
        """Always the CPU."""
        return CPU

    @property
    def is_cuda(self) -> bool:
        return False

    def size(self, dim: int | None = None) -> tuple[int, ...] | int:
        """The shape (PyTorch's ``size()``), or the length of axis ``dim``."""
        if dim is None:
            return self._array.shape
        return self._array.shape[_axis_index("size", dim, self._array.ndim)]

    def dim(self) -> int:
        """The number of axes (``ndim``)."""
        return self._array.ndim

    def numel(self) -> int:
        """The number of elements."""
        return self._array.size

    nelement = numel

    def element_size(self) -> int:
        return self._array.itemsize

    @property
    def is_leaf(self) -> bool:
        """True for tensors not produced by a recorded op (parameters, inputs)."""
        return self._op is None

    @property
    def grad_fn(self) -> GradFn | None:
        """None for leaves; for an op's result, an object naming the op (``MulBackward``)."""
        return None if self._op is None else GradFn(self)

    @property
    def op(self) -> str | None:
        """Name of the op that produced this tensor (None for leaves)."""
        return self._op

    @property
    def parents(self) -> tuple[Tensor, ...]:
        """The op's inputs (empty for leaves, and once backward has freed the graph)."""
        return self._parents

    @property
    def graph_released(self) -> bool:
        """True for an op's result whose graph a ``backward()`` has freed."""
        return self._op is not None and self._backward is None

    @property
    def retains_grad(self) -> bool:
        return self._retains_grad

    @property
    def _version(self) -> int:
        """How often this tensor's storage was changed in place (PyTorch's ``_version``)."""
        return 0 if self._storage is None else self._storage.version

    @property
    def data(self) -> Tensor:
        """A tensor sharing this one's storage, outside the graph (as in PyTorch).

        ``p.data += -lr * p.grad`` and ``p.data.copy_(...)`` update ``p`` in place without
        recording anything. For the NumPy array use :meth:`numpy`.
        """
        return self._alias()

    @data.setter
    def data(self, value: Any) -> None:
        array = value._array if isinstance(value, Tensor) else np.asarray(value)
        if array is self._array:
            return  # `p.data += x` assigns back the alias it changed in place
        if array.dtype.kind not in "biuf":
            raise TypeError(f"Tensor.data = ...: expected numeric data, got {array.dtype}")
        if self.requires_grad and array.dtype.kind != "f":
            raise TypeError(
                f"Tensor.data = ...: a tensor that requires grad needs float data, "
                f"got {array.dtype}"
            )
        self._array = array
        mark_changed(self)

    # ---------------------------------------------------------------- conversions

    def numpy(self, force: bool = False) -> np.ndarray:
        """Return the underlying ndarray (shared, not copied).

        Unlike PyTorch this works on tensors that require grad too (no ``detach()``
        needed); changing the array in place bypasses autograd's version checks.
        """
        return self._array

    def item(self) -> float | int | bool:
        """Return the value of a one-element tensor as a Python number."""
        if self._array.size != 1:
            raise ValueError(
                f"item(): only one-element tensors can be converted to a Python number, "
                f"this one has shape {self.shape}"
            )
        return self._array.item()

    def tolist(self) -> Any:
        return self._array.tolist()

    def cpu(self) -> Tensor:
        return self

    def __len__(self) -> int:
        if self._array.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self._array)

    def __iter__(self) -> Iterator[Tensor]:
        if self._array.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(len(self._array)))

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        # np.array(t) copies (copy=True); np.asarray(t) may share (copy=None).
        if copy:
            return np.array(self._array, dtype=dtype)
        return self._array if dtype is None else self._array.astype(dtype, copy=False)

    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        """NumPy ufuncs on tensors: ``np.exp(t)`` is the ``exp`` op (so gradient formulas
        written with NumPy work on tensors too); ``array -= t`` updates the array."""
        op = UFUNC_OPS.get(ufunc)
        if op is not None and method == "__call__" and not kwargs:
            return op(*inputs)
        out = kwargs.get("out")
        if out is not None and any(isinstance(o, Tensor) for o in out):
            raise TypeError(
                f"np.{ufunc.__name__}(..., out=tensor): use the tensor's in-place methods "
                "(add_, mul_, copy_, ...)"
            )
        if _needs_grad(inputs):
            raise TypeError(
                f"np.{ufunc.__name__}{'' if method == '__call__' else '.' + method} has no "
                "gradient in tinygrad_lab, and an input requires grad; use a tinygrad_lab "
                "op, or .detach() the input"
            )
        arrays = [i._array if isinstance(i, Tensor) else i for i in inputs]
        return getattr(ufunc, method)(*arrays, **kwargs)

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        """NumPy functions on tensors: those with an op (``np.sum``, ``np.where``, ...) run
        it; others run on the arrays when no input needs a gradient."""
        op = FUNCTION_OPS.get(func)
        if op is not None:
            return op(*args, **kwargs)
        if func not in _NO_GRADIENT_NEEDED and (_needs_grad(args) or _needs_grad(kwargs.values())):
            raise TypeError(
                f"np.{func.__name__} has no gradient in tinygrad_lab, and an input requires "
                "grad; use a tinygrad_lab op, or .detach() the input"
            )
        return func(*_unwrap(args), **{k: _unwrap(v) for k, v in kwargs.items()})

    def __repr__(self) -> str:
        body = np.array2string(self._array, separator=", ", prefix="tensor(")
        extra = ""
        if self._array.dtype not in (_default_dtype, np.int64, np.bool_):
            extra += f", dtype={self._array.dtype}"
        if self._op is not None:
            extra += f", grad_fn=<{self.grad_fn.name()}>"
        elif self.requires_grad:
            extra += ", requires_grad=True"
        return f"tensor({body}{extra})"

    def __bool__(self) -> bool:
        return bool(self._array)

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        if self._array.dtype.kind not in "biu" or self._array.size != 1:
            raise TypeError(
                f"only integer tensors of a single element can be used as an index, "
                f"got dtype {self.dtype} and shape {self.shape}"
            )
        return operator.index(self._array.item())

    def __format__(self, spec: str) -> str:
        if self._array.size == 1 and spec:
            return format(self._array.item(), spec)
        return format(repr(self), spec)

    __hash__ = object.__hash__  # tensors are hashed by identity, as in PyTorch

    # -------------------------------------------------------------------- autograd

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set ``requires_grad`` in place (only on leaves, only on float data)."""
        if requires_grad and self._array.dtype.kind != "f":
            raise RuntimeError(
                f"requires_grad=True needs float data, got dtype {self._array.dtype} "
                f"(shape {self.shape}); make it float, e.g. .float() or dtype=tl.float32"
            )
        if not requires_grad and self._op is not None:
            raise RuntimeError(
                f"requires_grad_(False) on the result of op '{self._op}'; use .detach()"
            )
        self.requires_grad = bool(requires_grad)
        return self

    def backward(
        self,
        gradient: Any = None,
        retain_graph: bool | None = None,
        create_graph: bool = False,
        inputs: Sequence[Tensor] | None = None,
    ) -> None:
        """Compute the gradient of this tensor with respect to every leaf behind it.

        Gradients accumulate into the leaves' ``.grad`` (call ``zero_grad`` between steps).

        Parameters
        ----------
        gradient : array_like, optional
            d(something)/d(self), shaped like ``self``, real floating point. May be left
            out only when ``self`` has one element (a loss), where it is 1.
        retain_graph : bool, optional
            Keep the graph so that ``backward`` can run through it again (default:
            ``create_graph``). Otherwise it is freed as the pass goes.
        create_graph : bool, optional
            Record the gradient computation, so that ``.grad`` can be differentiated
            again (Hessians, gradient penalties).
        inputs : sequence of Tensor, optional
            Accumulate only into these tensors' ``.grad``.
        """
        if not self.requires_grad:
            raise RuntimeError(
                "backward(): this tensor does not require grad and has no graph; "
                "did you create the inputs with requires_grad=True, or run under no_grad()?"
            )
        array = self._array
        if gradient is None and not create_graph and array.size == 1:
            seed = ones_constant(array.shape, array.dtype)  # a loss: the hot path
        else:
            seed = _seed(self, gradient, "backward()")
            if create_graph:
                seed = seed if isinstance(seed, Tensor) else Tensor._wrap(seed)
            elif isinstance(seed, Tensor):
                seed = seed._array
        engine.backward(
            [self],
            [seed],
            wrap=Tensor._wrap,
            retain_graph=create_graph if retain_graph is None else retain_graph,
            create_graph=create_graph,
            inputs=None if inputs is None else list(_as_tuple(inputs)),
        )

    def retain_grad(self) -> Tensor:
        """Keep this non-leaf tensor's gradient in ``.grad`` during ``backward()``."""
        if self._op is not None:
            self._retains_grad = True
            if self._hooks is None:
                self._hooks = {}  # the engine looks for extra work only where hooks are
        return self

    def register_hook(self, hook: Callable[[Tensor], Tensor | None]) -> RemovableHandle:
        """Call ``hook(grad)`` when this tensor's gradient is computed; a returned tensor
        replaces the gradient. Returns a handle whose ``remove()`` undoes it.

        Examples
        --------
        >>> x = Tensor([1.0, 2.0], requires_grad=True)
        >>> h = x.register_hook(lambda g: g * 2)
        >>> (x * x).sum().backward()
        >>> x.grad.tolist()
        [4.0, 8.0]
        """
        if not self.requires_grad:
            raise RuntimeError(
                "register_hook: cannot register a hook on a tensor that doesn't require grad"
            )
        if self._hooks is None:
            self._hooks = {}
        handle = RemovableHandle(self._hooks)
        self._hooks[handle.id] = hook
        return handle

    def detach(self) -> Tensor:
        """Return a tensor sharing this data (and its version counter) but cut from the
        graph."""
        return self._alias()

    def detach_(self) -> Tensor:
        """Cut this tensor from the graph, in place."""
        self._parents, self._backward, self._op, self._seq = (), None, None, 0
        self.requires_grad = False
        return self

    def _alias(self) -> Tensor:
        """A leaf sharing this tensor's array and version counter."""
        if self._storage is None:
            self._storage = engine.Storage()
        out = Tensor._wrap(self._array)
        out._storage = self._storage
        return out

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the accumulated gradient (``.grad = None``, or zeros in place)."""
        zero_grad_of(self, set_to_none)

    # ------------------------------------------------------------------- in place

    def _inplace(self, op: Callable[..., Tensor], name: str, *args: Any, **kwargs: Any) -> Tensor:
        """Run ``op(self, *args)`` and write its result into this tensor's storage.

        PyTorch's rules: a leaf that requires grad cannot be changed in place while grad
        mode is on (the change would not be differentiable); under ``no_grad`` it can.
        Otherwise, when a gradient must flow, this tensor becomes the op's result in the
        graph, and its old value is kept (copied) for the op's gradient formula. Every
        change bumps the version counter, so a backward through an op that used the old
        value raises instead of returning a wrong gradient.
        """
        if modes.grad_enabled and (self.requires_grad or _needs_grad(args)):
            if self.requires_grad and self._op is None:
                raise RuntimeError(
                    f"{name}: a leaf Variable that requires grad is being used in an "
                    f"in-place operation (shape {self.shape}); update it under "
                    "`with tl.no_grad():` (as optimizers do), or use an out-of-place op"
                )
            old = Tensor._wrap(self._array.copy())  # the value the op's formula reads
            old.requires_grad, old._parents, old._backward = (
                self.requires_grad, self._parents, self._backward)
            old._op, old._seq = self._op, self._seq
            args = tuple(old if a is self else a for a in args)  # y.mul_(y) reads old y
            result = op(old, *args, **kwargs)
            self._write(result._array, name)
            self.requires_grad = result.requires_grad
            self._parents, self._backward = result._parents, result._backward
            self._op = result._op
            # After the version change (this op saw it); 0 if the result is a leaf after all.
            self._seq = next_number() if result._op is not None else 0
            return self
        self._write(op(self, *args, **kwargs)._array, name)
        return self

    def _write(self, array: np.ndarray, name: str) -> None:
        if array.shape != self._array.shape:
            raise RuntimeError(
                f"{name}: the result has shape {array.shape} but the tensor has shape "
                f"{self._array.shape}; an in-place op cannot change the shape"
            )
        try:
            np.copyto(self._array, array, casting="same_kind")
        except TypeError:
            raise RuntimeError(
                f"{name}: result type {array.dtype} can't be cast to the tensor's dtype "
                f"{self._array.dtype} in place; use an out-of-place op"
            ) from None
        except ValueError as err:  # a read-only array (e.g. a broadcast view)
            raise RuntimeError(f"{name}: cannot write into this tensor: {err}") from None
        mark_changed(self)


def _check_device(where: Any) -> None:
    device(where)  # raises for anything but the CPU


def _axis_index(op: str, dim: Any, ndim: int) -> int:
    try:
        axis = operator.index(dim)
    except TypeError:
        raise TypeError(f"{op}: dim must be an int, got {type(dim).__name__}") from None
    if not -max(ndim, 1) <= axis < max(ndim, 1):
        raise IndexError(
            f"{op}: dim {axis} is out of range for a tensor with {ndim} dimensions"
        )
    return axis


def _needs_grad(values: Any) -> bool:
    """True when grad mode is on and any tensor among ``values`` (or in a list among
    them) requires grad."""
    if not modes.grad_enabled:
        return False
    for v in values:
        if isinstance(v, Tensor):
            if v.requires_grad:
                return True
        elif isinstance(v, (list, tuple)) and _needs_grad(v):
            return True
    return False


def _unwrap(value: Any) -> Any:
    """Tensors (also inside lists and tuples) replaced by their arrays."""
    if isinstance(value, Tensor):
        return value._array
    if isinstance(value, (list, tuple)):
        return type(value)(_unwrap(v) for v in value)
    return value


def _as_tuple(tensors: Any) -> tuple[Tensor, ...]:
    return (tensors,) if isinstance(tensors, Tensor) else tuple(tensors)


@functools.lru_cache(maxsize=64)
def ones_constant(shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    """A read-only array of ones, made once per shape and dtype: the unit seed of a loss's
    backward (the engine copies a seed before handing it out as a ``.grad``) and the
    ones vector that sums a bias gradient."""
    ones = np.ones(shape, dtype)
    ones.flags.writeable = False  # shared by every caller
    return ones


def _seed(output: Tensor, gradient: Any, where: str) -> Any:
    """The output gradient to start backward from, checked: a real float of the right
    shape (an array, or a Tensor kept as it is for ``create_graph``)."""
    if gradient is None:
        if output._array.size != 1:
            raise RuntimeError(
                f"{where}: grad can be implicitly created only for scalar outputs; this "
                f"tensor has shape {output.shape}. Reduce to a scalar (e.g. .sum() or "
                ".mean()) or pass gradient="
            )
        return np.ones(output._array.shape, output._array.dtype)
    if isinstance(gradient, Tensor):
        array = gradient._array
    else:
        try:
            array = np.asarray(gradient)
        except (TypeError, ValueError) as err:
            raise TypeError(f"{where}: gradient is not numeric: {err}") from None
    if array.dtype.kind not in "fiu":
        raise TypeError(
            f"{where}: gradient must be real floating point, got dtype {array.dtype}"
        )
    if array.shape != output._array.shape:
        raise RuntimeError(
            f"{where}: gradient has shape {array.shape} but the output has shape "
            f"{output._array.shape}"
        )
    if isinstance(gradient, Tensor) and gradient.requires_grad:
        return gradient  # part of a graph: create_graph differentiates through it
    return np.array(array, dtype=output._array.dtype)  # a copy the engine may own


def zero_grad_of(tensor: Tensor, set_to_none: bool = True) -> None:
    """The one rule for forgetting a gradient (tensors, modules and optimizers use it):
    ``.grad = None``, or, with ``set_to_none=False``, zeros written in place."""
    grad = tensor.grad
    if grad is None:
        return
    if set_to_none:
        tensor.grad = None
    else:
        grad.detach_()
        grad._array[...] = 0
        mark_changed(grad)


def register_methods(methods: dict[str, Callable[..., Any]]) -> None:
    """Make functions Tensor methods: ``register_methods({"exp": exp})`` gives ``t.exp()``.

    Each ops file registers its ops this way, so that ``tensor.py`` needs no ops.
    """
    for name, fn in methods.items():
        setattr(Tensor, name, fn)


def inplace(op: Callable[..., Tensor], name: str) -> Callable[..., Tensor]:
    """The in-place method ``name`` (e.g. ``add_``) of the out-of-place ``op``."""

    def method(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
        return self._inplace(op, name, *args, **kwargs)

    method.__name__ = name
    method.__doc__ = f"In-place version of ``{op.__name__}``: changes this tensor, returns it."
    return method


def reflected(op: Callable[[Any, Any], Tensor]) -> Callable[[Any, Any], Tensor]:
    """``other <op> tensor``: the operator method with its operands swapped."""

    def method(self: Tensor, other: Any) -> Tensor:
        return op(other, self)

    method.__name__ = f"r{op.__name__}"
    return method


def as_tensor(value: Any, like: Tensor | None = None) -> Tensor:
    """Return ``value`` as a Tensor; a Python number takes the dtype of ``like``."""
    if isinstance(value, Tensor):
        return value
    if like is not None and isinstance(value, (int, float)) and not isinstance(value, bool):
        if like._array.dtype.kind == "f":
            return Tensor._wrap(np.asarray(value, dtype=like._array.dtype))
    if isinstance(value, np.ndarray) and value.dtype.kind in "biuf":
        return Tensor._wrap(value)  # an operand only: no need to copy
    return Tensor(value)
