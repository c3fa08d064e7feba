"""The Tensor: an ``np.ndarray`` plus the few fields that record how it was computed."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from . import autograd
from .autograd import state

_default_dtype: np.dtype = np.dtype(np.float32)

# Op results are numbered as they are made, so a result always outranks its inputs: the
# backward engine uses this as its topological order.
_creation_order = itertools.count()

# What an op's backward closure returns: one gradient (or None) per parent.
BackwardFn = Callable[[np.ndarray], Any]


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
        data = data.data
    if dtype is not None:
        dtype = np.dtype(dtype)
    if isinstance(data, np.ndarray) or isinstance(data, np.generic):
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
        "data",
        "grad",
        "requires_grad",
        "_parents",
        "_backward",
        "_op",
        "_scope",
        "_retains_grad",
        "_seq",
        "__weakref__",
    )

    # NumPy defers to Tensor's reflected operators (ndarray * Tensor -> Tensor.__rmul__).
    __array_ufunc__ = None

    def __init__(self, data: Any, requires_grad: bool = False, dtype: Any = None) -> None:
        self.data: np.ndarray = _to_array(data, dtype)
        self.grad: Tensor | None = None
        self.requires_grad = False
        self._parents: tuple[Tensor, ...] = ()
        self._backward: BackwardFn | None = None
        self._op: str | None = None
        self._scope = ""
        self._retains_grad = False
        if requires_grad:
            self.requires_grad_(True)

    # ------------------------------------------------------------------ construction

    @classmethod
    def _wrap(cls, data: np.ndarray) -> Tensor:
        """Wrap an ndarray without copying or checking it (the framework's fast path)."""
        out = object.__new__(cls)
        out.data = data
        out.grad = None
        out.requires_grad = False
        out._parents = ()
        out._backward = None
        out._op = None
        out._scope = ""
        out._retains_grad = False
        return out

    @classmethod
    def from_op(
        cls,
        data: Any,
        parents: Sequence[Tensor],
        backward: BackwardFn,
        name: str,
    ) -> Tensor:
        """Make the result of an op and record how to differentiate it.

        This is how every op in ``tinygrad_lab.ops`` is written, and how you add your own.

        Parameters
        ----------
        data : np.ndarray
            The op's result, computed with NumPy from the parents' ``.data``.
        parents : sequence of Tensor
            The op's tensor inputs.
        backward : callable
            ``backward(g)`` gets the gradient of the final output with respect to this
            result (an ndarray shaped like ``data``) and returns one gradient per parent,
            in order: an ndarray (or ``None`` for a parent that needs none). A gradient may
            keep the broadcast shape of the forward pass; the engine sums it down.
            It must not modify ``g`` in place.
        name : str
            The op's name, used in error messages, anomaly reports and graph pictures.

        Returns
        -------
        Tensor
            Requires grad when grad mode is on and any parent requires grad.

        Examples
        --------
        >>> def cube(x):
        ...     return Tensor.from_op(x.data ** 3, (x,), lambda g: (3 * g * x.data ** 2,), "cube")
        """
        if type(data) is not np.ndarray:
            data = np.asarray(data)
        out = cls._wrap(data)
        if state.anomaly:
            autograd.check_finite(data, name, "forward")
        if state.grad_enabled:
            for parent in parents:
                if parent.requires_grad:
                    out.requires_grad = True
                    out._parents = tuple(parents)
                    out._backward = backward
                    out._op = name
                    out._scope = state.scope
                    out._seq = next(_creation_order)
                    break
        return out

    # ------------------------------------------------------------------- properties

    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def size(self) -> int:
        return self.data.size

    @property
    def is_leaf(self) -> bool:
        """True for tensors not produced by a recorded op (parameters, inputs)."""
        return self._op is None

    @property
    def op(self) -> str | None:
        """Name of the op that produced this tensor (None for leaves)."""
        return self._op

    @property
    def parents(self) -> tuple[Tensor, ...]:
        """The op's inputs (empty for leaves)."""
        return self._parents

    @property
    def scope(self) -> str:
        """Dotted path of the module whose forward created this tensor ("" if none)."""
        return self._scope

    @property
    def T(self) -> Tensor:
        """The tensor with its axes reversed (like ``ndarray.T``)."""
        return self.transpose()

    def numpy(self) -> np.ndarray:
        """Return the underlying ndarray (shared, not copied)."""
        return self.data

    def item(self) -> float | int | bool:
        """Return the value of a one-element tensor as a Python number."""
        if self.data.size != 1:
            raise ValueError(
                f"item(): only one-element tensors can be converted to a Python number, "
                f"this one has shape {self.shape}"
            )
        return self.data.item()

    def tolist(self) -> Any:
        return self.data.tolist()

    def __len__(self) -> int:
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self.data)

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        return self.data if dtype is None else self.data.astype(dtype)

    def __repr__(self) -> str:
        body = np.array2string(self.data, separator=", ", prefix="Tensor(")
        extra = ""
        if self.data.dtype != _default_dtype:
            extra += f", dtype={self.data.dtype}"
        if self._op is not None:
            extra += f", op={self._op}"
        elif self.requires_grad:
            extra += ", requires_grad=True"
        return f"Tensor({body}{extra})"

    def __bool__(self) -> bool:
        return bool(self.data)

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    __hash__ = object.__hash__  # tensors are hashed by identity, as in PyTorch

    # -------------------------------------------------------------------- autograd

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set ``requires_grad`` in place (only on leaves, only on float data)."""
        if requires_grad and self.data.dtype.kind != "f":
            raise TypeError(
                f"requires_grad=True needs float data, got dtype {self.data.dtype} "
                f"(shape {self.shape}); make it float, e.g. Tensor(data, dtype=np.float32)"
            )
        if not requires_grad and self._op is not None:
            raise RuntimeError(
                f"requires_grad_(False) on the result of op '{self._op}'; use .detach()"
            )
        self.requires_grad = requires_grad
        return self

    def backward(self, gradient: Any = None, retain_graph: bool = False) -> None:
        """Compute the gradient of this tensor with respect to every leaf behind it.

        Gradients accumulate into the leaves' ``.grad`` (call ``zero_grad`` between steps).

        Parameters
        ----------
        gradient : array_like, optional
            d(something)/d(self), shaped like ``self``. May be left out only when ``self``
            has one element (a loss), where it is 1.
        retain_graph : bool, optional
            Keep the recorded closures so that ``backward`` can run through them again.
        """
        if not self.requires_grad:
            raise RuntimeError(
                "backward(): this tensor does not require grad and has no graph; "
                "did you create the inputs with requires_grad=True, or run under no_grad()?"
            )
        if gradient is None:
            if self.data.size != 1:
                raise RuntimeError(
                    f"backward(): called on a tensor of shape {self.shape} without "
                    "`gradient`; it can be left out only for a single-element tensor. "
                    "Reduce to a scalar (e.g. .sum() or .mean()) or pass gradient="
                )
            seed = np.ones(self.data.shape, self.data.dtype)
        else:
            seed = np.array(gradient.data if isinstance(gradient, Tensor) else gradient,
                            dtype=self.data.dtype)
            if seed.shape != self.shape:
                raise RuntimeError(
                    f"backward(): gradient has shape {seed.shape} but the tensor has "
                    f"shape {self.shape}"
                )
        autograd.run_backward(self, seed, retain_graph=retain_graph)

    def retain_grad(self) -> Tensor:
        """Keep this non-leaf tensor's gradient in ``.grad`` during ``backward()``."""
        if self._op is not None:
            self._retains_grad = True
        return self

    def detach(self) -> Tensor:
        """Return a tensor sharing this data but cut from the graph."""
        return Tensor._wrap(self.data)

    def zero_grad(self) -> None:
        """Forget the accumulated gradient (sets ``.grad`` to None, like PyTorch)."""
        self.grad = None

    # ------------------------------------------------------------------ arithmetic

    def __add__(self, other: Any) -> Tensor:
        return elementwise.add(self, other)

    def __radd__(self, other: Any) -> Tensor:
        return elementwise.add(other, self)

    def __sub__(self, other: Any) -> Tensor:
        return elementwise.sub(self, other)

    def __rsub__(self, other: Any) -> Tensor:
        return elementwise.sub(other, self)

    def __mul__(self, other: Any) -> Tensor:
        return elementwise.mul(self, other)

    def __rmul__(self, other: Any) -> Tensor:
        return elementwise.mul(other, self)

    def __truediv__(self, other: Any) -> Tensor:
        return elementwise.div(self, other)

    def __rtruediv__(self, other: Any) -> Tensor:
        return elementwise.div(other, self)

    def __pow__(self, exponent: Any) -> Tensor:
        return elementwise.pow(self, exponent)

    def __rpow__(self, base: Any) -> Tensor:
        return elementwise.pow(base, self)

    def __matmul__(self, other: Any) -> Tensor:
        return linalg.matmul(self, other)

    def __rmatmul__(self, other: Any) -> Tensor:
        return linalg.matmul(other, self)

    def __neg__(self) -> Tensor:
        return elementwise.neg(self)

    def __pos__(self) -> Tensor:
        return self

    def __abs__(self) -> Tensor:
        return elementwise.abs(self)

    # Comparisons give bool tensors and carry no gradient.
    def _compare(self, other: Any, fn: Callable[[Any, Any], np.ndarray]) -> Tensor:
        other = other.data if isinstance(other, Tensor) else other
        return Tensor._wrap(np.asarray(fn(self.data, other)))

    def __lt__(self, other: Any) -> Tensor:
        return self._compare(other, np.less)

    def __le__(self, other: Any) -> Tensor:
        return self._compare(other, np.less_equal)

    def __gt__(self, other: Any) -> Tensor:
        return self._compare(other, np.greater)

    def __ge__(self, other: Any) -> Tensor:
        return self._compare(other, np.greater_equal)

    def __eq__(self, other: Any) -> Tensor:  # type: ignore[override]
        return self._compare(other, np.equal)

    def __ne__(self, other: Any) -> Tensor:  # type: ignore[override]
        return self._compare(other, np.not_equal)

    # ----------------------------------------------------------- elementwise methods

    def add(self, other: Any) -> Tensor:
        return elementwise.add(self, other)

    def sub(self, other: Any) -> Tensor:
        return elementwise.sub(self, other)

    def mul(self, other: Any) -> Tensor:
        return elementwise.mul(self, other)

    def div(self, other: Any) -> Tensor:
        return elementwise.div(self, other)

    def pow(self, exponent: Any) -> Tensor:
        return elementwise.pow(self, exponent)

    def exp(self) -> Tensor:
        return elementwise.exp(self)

    def log(self) -> Tensor:
        return elementwise.log(self)

    def sqrt(self) -> Tensor:
        return elementwise.sqrt(self)

    def abs(self) -> Tensor:
        return elementwise.abs(self)

    def clip(self, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002
        return elementwise.clip(self, min, max)

    clamp = clip

    def maximum(self, other: Any) -> Tensor:
        return elementwise.maximum(self, other)

    def minimum(self, other: Any) -> Tensor:
        return elementwise.minimum(self, other)

    def matmul(self, other: Any) -> Tensor:
        return linalg.matmul(self, other)

    # ------------------------------------------------------------------ reductions

    def sum(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        return reduce.sum(self, axis, keepdims)

    def mean(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        return reduce.mean(self, axis, keepdims)

    def max(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        return reduce.max(self, axis, keepdims)

    def min(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        return reduce.min(self, axis, keepdims)

    def logsumexp(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        return reduce.logsumexp(self, axis, keepdims)

    # ------------------------------------------------------------------ shape ops

    def reshape(self, *shape: Any) -> Tensor:
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        return shape_ops.reshape(self, shape)

    view = reshape

    def transpose(self, *axes: int) -> Tensor:
        """``t.transpose()`` reverses the axes (like ``ndarray.T``); ``t.transpose(a, b)``
        swaps two axes, as ``torch.transpose`` does. For any other order use ``permute``."""
        if not axes:
            return shape_ops.transpose(self, None)
        if len(axes) != 2 or not all(isinstance(a, (int, np.integer)) for a in axes):
            raise TypeError(
                f"transpose: give no axes (reverse all) or two axes to swap, got {axes}; "
                f"for a full reordering of a {self.ndim}-d tensor use permute(...)"
            )
        return shape_ops.swapaxes(self, axes[0], axes[1])

    def swapaxes(self, axis1: int, axis2: int) -> Tensor:
        return shape_ops.swapaxes(self, axis1, axis2)

    def permute(self, *axes: Any) -> Tensor:
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        return shape_ops.permute(self, axes)

    def flatten(self, start_axis: int = 0, end_axis: int = -1) -> Tensor:
        return shape_ops.flatten(self, start_axis, end_axis)

    def squeeze(self, axis: Any = None) -> Tensor:
        return shape_ops.squeeze(self, axis)

    def unsqueeze(self, axis: int) -> Tensor:
        return shape_ops.unsqueeze(self, axis)

    def expand(self, *shape: Any) -> Tensor:
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        return shape_ops.expand(self, shape)

    broadcast_to = expand

    def pad(self, pad_width: Any, value: float = 0.0) -> Tensor:
        return shape_ops.pad(self, pad_width, value)

    def __getitem__(self, index: Any) -> Tensor:
        return shape_ops.getitem(self, index)

    # ----------------------------------------------------------------- activations

    def sigmoid(self) -> Tensor:
        return activation.sigmoid(self)

    def relu(self) -> Tensor:
        return activation.relu(self)

    def leaky_relu(self, negative_slope: float = 0.01) -> Tensor:
        return activation.leaky_relu(self, negative_slope)

    def tanh(self) -> Tensor:
        return activation.tanh(self)

    def gelu(self, approximate: str = "none") -> Tensor:
        return activation.gelu(self, approximate)

    def elu(self, alpha: float = 1.0) -> Tensor:
        return activation.elu(self, alpha)

    def softmax(self, axis: int = -1) -> Tensor:
        return activation.softmax(self, axis)

    def log_softmax(self, axis: int = -1) -> Tensor:
        return activation.log_softmax(self, axis)


autograd._wrap = Tensor._wrap  # the engine makes gradients without importing this module


def as_tensor(value: Any, like: Tensor | None = None) -> Tensor:
    """Return ``value`` as a Tensor; a Python number takes the dtype of ``like``."""
    if isinstance(value, Tensor):
        return value
    if like is not None and isinstance(value, (int, float)) and not isinstance(value, bool):
        if like.data.dtype.kind == "f":
            return Tensor._wrap(np.asarray(value, dtype=like.data.dtype))
    return Tensor(value)


# The ops import Tensor, so they are imported after it is defined.
from .ops import activation, elementwise, linalg, reduce  # noqa: E402
from .ops import shape as shape_ops  # noqa: E402
