"""The Optimizer base class: parameter groups, per-parameter state, ``zero_grad``, ``step``
and ``state_dict`` in PyTorch's format.

``step`` does the bookkeeping once for every optimizer (the shared preamble): it collects,
group by group, the parameters that have a gradient, checks every gradient against its
parameter before any parameter moves, reads the group's options once, runs the update
with graph recording off, and bumps each updated parameter's version counter (so that a
``backward`` through a graph built before the step raises instead of using the new
values). What is left to a subclass is its update formula, a function of lists of NumPy
arrays, as in PyTorch's ``torch/optim/sgd.py``: :meth:`Optimizer._update_group` (or
:meth:`Optimizer._update` for one parameter at a time), and :meth:`Optimizer._check_options`,
the validation of one group's hyper-parameters (run on the constructor's defaults, on
every added group and on every loaded group).
"""

from __future__ import annotations

import copy
import functools
import operator
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any, ClassVar

import numpy as np

from ..engine import enable_grad, mark_changed, modes
from ..tensor import Tensor, zero_grad_of

__all__ = ["Optimizer", "as_constants"]

_SET_MESSAGE = (
    "optimizer parameters need to be organized in ordered collections, but the ordering "
    "of tensors in sets changes between runs; use a list"
)

ParamsT = Iterable[Tensor] | Iterable[dict[str, Any]] | Iterable[tuple[str, Tensor]]
# Parameters of one dtype that have a gradient: the tensors, their arrays, the gradients.
_Batch = tuple[list[Tensor], list[np.ndarray], list[np.ndarray]]


def _check_nonnegative(owner: str, what: str, value: Any) -> None:
    """Raise like PyTorch ("Invalid learning rate: -1") for a negative, NaN or non-number."""
    try:
        ok = 0.0 <= value
    except TypeError:
        raise TypeError(f"{owner}: Invalid {what}: {value!r} (expected a number)") from None
    if not ok:
        raise ValueError(f"{owner}: Invalid {what}: {value} (must be >= 0)")


def _plain(value: Any) -> Any:
    """A NumPy scalar or a one-element tensor or array option as the Python number it
    holds (also inside a tuple).

    With NumPy 2 a ``np.float64`` learning rate is a "strong" float64 and would turn the
    float32 in-place arithmetic of a float32 parameter into float64 arithmetic, rounding
    differently from PyTorch; a Python float is cast to the array's dtype.
    """
    if isinstance(value, (np.generic, np.ndarray, Tensor)) and np.size(value) == 1:
        return value.item()
    if type(value) is tuple:
        return tuple(_plain(v) for v in value)
    return value


def _changes_in_place(value: Any) -> bool:
    """An option whose value can change while it stays the same object."""
    return isinstance(value, (np.ndarray, Tensor, list, dict)) or (
        type(value) is tuple and any(map(_changes_in_place, value)))


def as_constants(dtype: np.dtype, *values: float) -> tuple[np.ndarray, ...]:
    """Python numbers as read-only 0-d arrays of ``dtype``, for the update formulas.

    A ufunc takes a 0-d array operand about twice as fast as a Python float (which it
    inspects and converts on every call), and computes the same thing: either way the
    number is rounded once to the array's dtype. Derive constants (``1 - beta``) in
    Python floats first, as PyTorch does, then convert. The arrays are cached (options
    rarely change between steps), so they are shared and read-only.
    """
    if 0 in values:  # the cache compares with ==, which can't tell -0.0 from 0.0
        return _read_only_constants(dtype, values)
    return _cached_constants(dtype, values)


def _read_only_constants(dtype: np.dtype, values: tuple[float, ...]) -> tuple[np.ndarray, ...]:
    constants = tuple(np.array(value, dtype) for value in values)
    for constant in constants:
        constant.flags.writeable = False
    return constants


_cached_constants = functools.lru_cache(maxsize=256)(_read_only_constants)


def _records_step_call(step: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a subclass's own ``step`` so that the optimizer knows it ran (schedulers warn
    when their ``step`` comes first, as PyTorch's do)."""

    @functools.wraps(step)
    def wrapper(self: Optimizer, *args: Any, **kwargs: Any) -> Any:
        self._opt_called = True
        return step(self, *args, **kwargs)

    return wrapper


class Optimizer:
    """Base class of all optimizers.

    Parameters
    ----------
    params : iterable
        The tensors to optimize (e.g. ``model.parameters()``), or dicts that each define a
        parameter group: ``{"params": [...], "lr": 0.1, ...}``; options missing from a group
        take the optimizer's defaults. ``(name, tensor)`` pairs (``named_parameters()``)
        are accepted too and the names kept under ``"param_names"``.
    defaults : dict
        The default value of every hyper-parameter of the optimizer.

    Attributes
    ----------
    param_groups : list of dict
        One dict per group: ``"params"`` (a list of Tensors) and the group's options.
        Changing ``group["lr"]`` changes the learning rate from the next ``step`` on.
    state : dict
        Per-parameter state (momentum buffers, moment estimates, step counts), keyed by the
        parameter tensor itself (tensors hash by identity).

    Notes
    -----
    ``step`` skips parameters whose ``.grad`` is None, exactly like PyTorch: a parameter
    that took no part in the loss is not decayed or moved by momentum.

    Writing an optimizer: pass the defaults to ``super().__init__`` and implement
    ``_update(param, grad, state, options)`` (one parameter's NumPy arrays, updated in
    place) or ``_update_group(params, grads, states, options)`` (lists of them). Declare
    the keys of the per-parameter state in ``_required_state``/``_optional_state`` so that
    :meth:`load_state_dict` can check a checkpoint's entries.
    """

    # Keys of a parameter's state: every key but "step" names an array of the parameter's
    # shape. None (a custom optimizer that declares nothing): any key is accepted.
    _required_state: ClassVar[tuple[str, ...] | None] = None
    _optional_state: ClassVar[tuple[str, ...]] = ()
    # The formula as a function of lists of arrays (PyTorch's functional form), if any.
    update_function: Callable[..., None] | None = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "step" in cls.__dict__:  # PyTorch-style optimizers override step itself
            cls.step = _records_step_call(cls.__dict__["step"])

    def __init__(self, params: ParamsT, defaults: dict[str, Any]) -> None:
        name = type(self).__name__
        self._check_options(defaults)
        self.defaults = defaults
        if isinstance(params, Tensor):
            raise TypeError(
                f"{name}: params argument given to the optimizer should be an iterable of "
                "Tensors or dicts, but got a Tensor; pass [tensor] or model.parameters()"
            )
        if isinstance(params, (set, frozenset)):
            raise TypeError(f"{name}: {_SET_MESSAGE}")
        if isinstance(params, dict):
            raise TypeError(
                f"{name}: params should be an iterable of Tensors or of dicts (param "
                "groups), but got a single dict; wrap it in a list: [group]"
            )
        self.state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []
        self._opt_called = False  # has step() run? (read by the lr schedulers)
        self._options_cache: dict[int, tuple[tuple[Any, ...], dict[str, Any]]] = {}
        groups = list(params)
        if len(groups) == 0:
            raise ValueError(f"{name}: optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    # ---------------------------------------------------------------------- groups

    def _check_options(self, options: dict[str, Any]) -> None:
        """Validate one group's hyper-parameters; subclasses raise ValueError like PyTorch."""

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters with its own options (e.g. a layer to fine-tune).

        Parameters
        ----------
        param_group : dict
            ``{"params": tensors, **options}``; missing options take the defaults. The dict
            is copied, not kept.

        Raises
        ------
        TypeError
            If it isn't a dict, or holds something that isn't a Tensor.
        ValueError
            If a parameter is not a leaf, appears twice, or already belongs to another
            group, or if an option is invalid.
        """
        name = type(self).__name__
        if not isinstance(param_group, dict):
            raise TypeError(
                f"{name}.add_param_group: param_group must be a dict, "
                f"but got {type(param_group).__name__}"
            )
        if "params" not in param_group:
            raise ValueError(
                f"{name}.add_param_group: the group has no 'params' entry "
                f"(keys: {sorted(param_group)})"
            )
        group = dict(param_group)
        params = group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, (set, frozenset)):
            raise TypeError(f"{name}: {_SET_MESSAGE}")
        else:
            params = list(params)

        # named_parameters() gives (name, tensor) pairs: keep the names beside the tensors.
        names = [p[0] for p in params if isinstance(p, tuple)]
        if names:
            if len(names) != len(params):
                raise ValueError(
                    f"{name}: all optimizer params should be with or without names; "
                    "some param names are missing"
                )
            group["param_names"] = names
            params = [p[1] for p in params]
        group["params"] = params

        for i, p in enumerate(params):
            if not isinstance(p, Tensor):
                raise TypeError(
                    f"{name}: optimizer can only optimize Tensors, but params[{i}] is "
                    f"{type(p).__name__}"
                )
            if not p.is_leaf:
                raise ValueError(
                    f"{name}: can't optimize a non-leaf Tensor (params[{i}] is the result of "
                    f"op '{p.op}', shape {p.shape}); optimize the leaf it was computed from"
                )
        ids = [id(p) for p in params]
        if len(set(ids)) != len(ids):
            raise ValueError(
                f"{name}: a parameter group holds the same tensor more than once; "
                "it would be updated twice per step"
            )
        taken = {id(p) for g in self.param_groups for p in g["params"]}
        if not taken.isdisjoint(ids):
            raise ValueError(f"{name}: some parameters appear in more than one parameter group")
        named = "param_names" in group
        if self.param_groups and named != ("param_names" in self.param_groups[0]):
            raise ValueError(
                f"{name}: all optimizer param groups should be with or without names"
            )

        for key, value in self.defaults.items():
            group.setdefault(key, value)
        self._check_options(group)
        self.param_groups.append(group)

    # ------------------------------------------------------------------- training

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients of all optimized tensors.

        Parameters
        ----------
        set_to_none : bool, optional
            True (the default, as in PyTorch): set ``.grad`` to None, so the next
            ``step`` skips a parameter that receives no gradient. False: fill the
            existing gradients with zeros in place.
        """
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    zero_grad_of(p, set_to_none)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient, in place.

        Every gradient is checked (a Tensor of its parameter's shape and dtype) before any
        parameter moves: on error nothing has changed. Each updated parameter's version
        counter is bumped, so a ``backward()`` through a graph recorded before this step
        raises (the values it saved are gone) instead of returning a wrong gradient.

        Parameters
        ----------
        closure : callable, optional
            Re-evaluates the model and returns the loss; it runs (with grad mode on)
            before the update.

        Returns
        -------
        The closure's loss, or None.

        Raises
        ------
        TypeError, ValueError
            If a ``.grad`` is not a Tensor, or its shape or dtype differs from its
            parameter's (naming the group and the parameter's position).
        """
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        self._opt_called = True
        # Every gradient is checked before any parameter moves.
        work = [self._with_grads(i, group) for i, group in enumerate(self.param_groups)]
        state = self.state
        # Graph recording off, as under no_grad (set directly: a step is a hot path).
        grad_enabled, modes.grad_enabled = modes.grad_enabled, False
        try:
            for index, batches in enumerate(work):
                if not batches:
                    continue
                options = self._options(index)
                for params, arrays, grads in batches:
                    try:
                        self._update_group(arrays, grads, list(map(state.__getitem__, params)),
                                           options)
                    finally:
                        mark_changed(*params)  # values saved for a backward are now stale
        finally:
            modes.grad_enabled = grad_enabled
        return loss

    def _options(self, index: int) -> dict[str, Any]:
        """The options of group ``index`` (the keys of ``defaults``) as Python numbers.

        Reading and converting them costs about as much as updating a small parameter,
        and they rarely change: the result is kept with the option objects it came from,
        and reused while the group holds the very same objects (a new lr is a new
        object). Options that can change in place (a tensor lr, a list of betas) are read
        anew at every step. Don't modify the returned dict.
        """
        values = tuple(map(self.param_groups[index].__getitem__, self.defaults))
        cached = self._options_cache.get(index)
        if (cached is not None and len(values) == len(cached[0])
                and all(map(operator.is_, values, cached[0]))):
            return cached[1]
        options = {key: _plain(value) for key, value in zip(self.defaults, values, strict=True)}
        if not any(map(_changes_in_place, values)):  # (a tensor lr, a betas list: read anew)
            self._options_cache[index] = (values, options)
        return options

    def _with_grads(self, index: int, group: dict[str, Any]) -> list[_Batch]:
        """The parameters of ``group`` that have a gradient, with their arrays and their
        gradients' arrays, in batches of one dtype (usually a single batch), after
        checking each gradient. A gradient recorded with ``create_graph=True`` is a tensor
        with a graph: only its values are used."""
        params: list[Tensor] = []
        arrays: list[np.ndarray] = []
        grads: list[np.ndarray] = []
        dtype, mixed = None, False
        for p in group["params"]:
            grad = p.grad
            if grad is None:
                continue
            array = p._array
            try:
                g = grad._array
            except AttributeError:
                raise TypeError(
                    f"{type(self).__name__}.step: the gradient of {_where(index, group, p)} "
                    f"is a {type(grad).__name__}, not a Tensor"
                ) from None
            # One test on the hot path; the precise check (and message) only when it fails.
            if g.shape != array.shape or g.dtype is not array.dtype or not array.flags.writeable:
                self._check_gradient(index, group, p, array, g)
            if dtype is None:
                dtype = array.dtype
            elif array.dtype is not dtype:
                mixed = True
            params.append(p)
            arrays.append(array)
            grads.append(g)
        if not mixed:
            return [(params, arrays, grads)] if params else []
        by_dtype: dict[np.dtype, _Batch] = {}
        for p, array, g in zip(params, arrays, grads, strict=True):
            batch = by_dtype.setdefault(array.dtype, ([], [], []))
            batch[0].append(p)
            batch[1].append(array)
            batch[2].append(g)
        return list(by_dtype.values())

    def _check_gradient(
        self, index: int, group: dict[str, Any], p: Tensor, array: np.ndarray, g: np.ndarray
    ) -> None:
        """Raise if gradient ``g`` doesn't fit parameter ``p`` (array ``array``) or the
        parameter can't be written."""
        name = type(self).__name__
        if g.shape != array.shape or g.dtype != array.dtype:
            raise ValueError(
                f"{name}.step: a parameter of shape {array.shape} has a gradient of shape "
                f"{g.shape} ({_where(index, group, p)}: parameter dtype {array.dtype}, "
                f"gradient dtype {g.dtype}); a gradient must have its parameter's shape and "
                "dtype"
            )
        if not array.flags.writeable:
            raise ValueError(
                f"{name}.step: {_where(index, group, p)} (shape {array.shape}) is a "
                "read-only array and cannot be updated in place"
            )

    def _update_group(
        self,
        params: list[np.ndarray],
        grads: list[np.ndarray],
        states: list[dict[str, Any]],
        options: dict[str, Any],
    ) -> None:
        """Update one group's parameter arrays in place: the optimizer's formula.

        The arrays all have one dtype (a group that mixes dtypes comes in one call per
        dtype). ``options`` holds the group's hyper-parameters as Python numbers. The
        built-in optimizers name their functional form in the class attribute
        ``update_function`` (e.g. :func:`~.sgd.sgd`), called here; otherwise this calls
        :meth:`_update` for each parameter. Never write into a gradient: it is the
        parameter's ``.grad``.
        """
        if self.update_function is not None:
            self.update_function(params, grads, states, **options)
            return
        options = dict(options)  # the caller's dict is cached: _update gets its own
        for param, grad, state in zip(params, grads, states, strict=True):
            self._update(param, grad, state, options)

    def _update(
        self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any], options: dict[str, Any]
    ) -> None:
        """Update one parameter array in place (never write into ``grad``: it is p.grad)."""
        raise NotImplementedError(f"{type(self).__name__} does not implement _update")

    # ----------------------------------------------------------------- state dict

    def state_dict(self) -> dict[str, Any]:
        """Return the optimizer's state in PyTorch's layout, with every array copied.

        Returns
        -------
        dict
            ``{"state": {index: {name: ndarray or number}}, "param_groups": [{**options,
            "params": [index, ...]}]}``, where parameters are numbered in group order.
            Only parameters that have state appear under ``"state"``.
        """
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            packed = {k: copy.deepcopy(v) for k, v in group.items() if k != "params"}
            packed["params"] = []
            for p in group["params"]:
                index[id(p)] = len(index)
                packed["params"].append(index[id(p)])
            groups.append(packed)
        state = {}
        for group in self.param_groups:
            for p in group["params"]:
                # dict(...) copies in one go: safe while another thread's step adds keys.
                entries = dict(self.state.get(p) or ())
                if entries:
                    state[index[id(p)]] = {
                        k: (v.copy() if isinstance(v, np.ndarray) else copy.deepcopy(v))
                        for k, v in entries.items()
                    }
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load a state saved by :meth:`state_dict` (of the same optimizer, same params).

        Everything is checked before anything changes: on error the optimizer is left as
        it was. Buffers (NumPy arrays, or Tensors) are copied and cast to their
        parameter's dtype; ``"step"`` (a whole number, as an int, a float or a 0-d
        array, as PyTorch stores it) becomes a Python int.

        Raises
        ------
        ValueError
            If the number of groups, the number of parameters in a group, an index, a
            group's options, or a state entry (an unknown or missing key, a buffer that is
            not a float array of its parameter's shape, a bad step count) doesn't fit this
            optimizer. The message names the group, the parameter's position and the key.
        """
        name = f"{type(self).__name__}.load_state_dict"
        if not isinstance(state_dict, dict) or not {"state", "param_groups"} <= set(state_dict):
            keys = sorted(state_dict) if isinstance(state_dict, dict) else type(state_dict)
            raise ValueError(
                f"{name}: expected a dict with 'state' and 'param_groups', got {keys}"
            )
        new_groups, where = self._load_groups(name, state_dict["param_groups"])
        saved_state = state_dict["state"]
        if not isinstance(saved_state, dict):
            raise ValueError(
                f"{name}: 'state' must be a dict (parameter index -> entries), "
                f"got {type(saved_state).__name__}"
            )
        new_state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)
        for index, entries in saved_state.items():
            if index not in where:
                raise ValueError(
                    f"{name}: state for parameter index {index!r}, which no group lists "
                    f"(known indices: {sorted(where, key=str)})"
                )
            p, label = where[index]
            new_state[p] = self._load_entries(f"{name}: {label}", entries, p)
        self.param_groups = new_groups
        self.state = new_state

    def _load_groups(
        self, name: str, saved_groups: Any
    ) -> tuple[list[dict[str, Any]], dict[Any, tuple[Tensor, str]]]:
        """The loaded groups (checked) and, for each saved parameter index, its tensor and
        a label naming it in errors."""
        if not isinstance(saved_groups, (list, tuple)):
            raise ValueError(
                f"{name}: 'param_groups' must be a list, got {type(saved_groups).__name__}"
            )
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(
                f"{name}: loaded state dict has {len(saved_groups)} parameter group(s), "
                f"the optimizer has {len(self.param_groups)}"
            )
        where: dict[Any, tuple[Tensor, str]] = {}
        new_groups = []
        for i, (group, saved) in enumerate(zip(self.param_groups, saved_groups, strict=True)):
            if not isinstance(saved, dict):
                raise ValueError(
                    f"{name}: loaded parameter group {i} is a {type(saved).__name__}, "
                    "not a dict"
                )
            saved_params = list(saved.get("params", ()))
            if len(saved_params) != len(group["params"]):
                raise ValueError(
                    f"{name}: loaded parameter group {i} has {len(saved_params)} parameters, "
                    f"the optimizer's group {i} has {len(group['params'])}"
                )
            missing = sorted(set(self.defaults) - set(saved))
            if missing:
                raise ValueError(
                    f"{name}: loaded parameter group {i} lacks the options {missing} of "
                    f"{type(self).__name__}; was it saved from a different optimizer?"
                )
            for position, (index, p) in enumerate(zip(saved_params, group["params"],
                                                      strict=True)):
                if index in where:
                    raise ValueError(f"{name}: parameter index {index!r} appears twice")
                where[index] = (p, f"parameter {index!r} (group {i}, position {position})")
            new_group = {k: copy.deepcopy(v) for k, v in saved.items() if k != "params"}
            new_group["params"] = group["params"]
            if "param_names" in group and "param_names" not in new_group:
                new_group["param_names"] = group["param_names"]
            self._check_options(new_group)
            new_groups.append(new_group)
        return new_groups, where

    def _load_entries(self, label: str, entries: Any, param: Tensor) -> dict[str, Any]:
        """One parameter's loaded state, checked and copied."""
        if not isinstance(entries, dict):
            raise ValueError(f"{label}: the state must be a dict, got {type(entries).__name__}")
        required = self._required_state
        if required is not None and entries:
            known = {*required, *self._optional_state}
            unknown = sorted(map(str, set(entries) - known))
            if unknown:
                raise ValueError(
                    f"{label}: unknown state key(s) {unknown} for {type(self).__name__} "
                    f"(it keeps {sorted(known)})"
                )
            missing = [key for key in required if key not in entries]
            if missing:
                raise ValueError(f"{label}: the state lacks the key(s) {missing}")
        loaded = {}
        for key, value in entries.items():
            if key == "step":
                loaded[key] = _load_step(label, value)
            elif required is not None or _is_array(value):
                if value is None and key in self._optional_state:
                    continue  # PyTorch's "no buffer yet" (e.g. SGD's momentum_buffer)
                loaded[key] = _load_buffer(f"{label}, key '{key}'", value, param)
            else:  # a custom optimizer's own kind of state
                loaded[key] = copy.deepcopy(value)
        return loaded

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {group[k]}" for k in sorted(group) if k != "params"]
        return "\n".join(lines) + "\n)"


def _where(index: int, group: dict[str, Any], p: Tensor) -> str:
    """Where ``p`` is, for error messages: ``param_groups[1]['params'][0]``."""
    position = next(i for i, q in enumerate(group["params"]) if q is p)
    return f"param_groups[{index}]['params'][{position}]"


def _is_array(value: Any) -> bool:
    """An ndarray, a Tensor, or another array object (e.g. a torch tensor), but not a
    NumPy scalar."""
    return isinstance(value, (np.ndarray, Tensor)) or (
        hasattr(value, "__array__") and not isinstance(value, np.generic)
    )


def _describe(value: Any) -> str:
    if isinstance(value, np.generic):
        return f"a NumPy scalar ({type(value).__name__})"
    return f"a {type(value).__name__}"


def _load_step(label: str, value: Any) -> int:
    """A step count: a whole number >= 0 (an int, a float, or a 0-d array or tensor, as
    PyTorch stores it), returned as a Python int."""
    if isinstance(value, Tensor):
        value = value._array
    ok = False
    if not isinstance(value, (bool, np.bool_)):
        try:
            step = np.asarray(value)
            ok = (step.shape == () and step.dtype.kind in "iuf" and bool(np.isfinite(step))
                  and step == np.floor(step) and step >= 0)
        except (TypeError, ValueError, RuntimeError):
            ok = False
    if not ok:
        raise ValueError(f"{label}: 'step' must be a whole number >= 0, got {value!r}")
    return int(step)


def _load_buffer(label: str, value: Any, param: Tensor) -> np.ndarray:
    """A state buffer: a float array of the parameter's shape, copied to the parameter's
    dtype (a list or a NumPy scalar is refused: updating it in place would fail later, or
    do nothing)."""
    shape = param._array.shape
    if not _is_array(value):
        raise ValueError(
            f"{label}: expected a float array of shape {shape}, got {_describe(value)}"
        )
    try:
        array = value._array if isinstance(value, Tensor) else np.asarray(value)
    except (TypeError, ValueError, RuntimeError) as err:
        raise ValueError(f"{label}: cannot read it as an array: {err}") from None
    if array.dtype.kind != "f":
        raise ValueError(
            f"{label}: expected a float array of shape {shape}, got dtype {array.dtype}"
        )
    if array.shape != shape:
        raise ValueError(
            f"{label} has shape {array.shape}, but the parameter has shape {shape}"
        )
    dtype = param._array.dtype if param._array.dtype.kind == "f" else array.dtype
    return np.array(array, dtype=dtype)  # a copy: the caller's dict stays theirs
