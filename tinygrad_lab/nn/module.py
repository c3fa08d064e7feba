"""``Module``, ``Parameter``, ``Sequential`` and ``ModuleList``: PyTorch's bookkeeping.

A module registers what is assigned to it: a :class:`Parameter` goes into
``_parameters``, a sub-module into ``_modules``, a buffer (:meth:`Module.register_buffer`)
into ``_buffers``. Those ordered dicts give every name PyTorch would give (``'fc1.weight'``,
``'0.bias'``), so a ``state_dict`` moves between the two frameworks unchanged.

Registered values are also kept as plain instance attributes: ``self.weight`` in a
``forward`` is then an ordinary attribute read, not a ``__getattr__`` fallback, which
matters in the hot path of a training loop. ``__setattr__``/``__delattr__`` keep both
places in step.
"""

from __future__ import annotations

import warnings
from collections import OrderedDict, namedtuple
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

import numpy as np

from ..engine import mark_changed
from ..tensor import RemovableHandle, Tensor, get_default_dtype, zero_grad_of

_IncompatibleKeys = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])
_IncompatibleKeys.__doc__ = """What ``load_state_dict`` did not match: key lists, as in PyTorch."""


class Parameter(Tensor):
    """A Tensor that a :class:`Module` registers as one of its learnable parameters.

    Parameters
    ----------
    data : Tensor or array_like, optional
        The initial value. A Tensor's storage is shared, as in PyTorch (changing one
        changes the other); anything else is copied following the Tensor dtype rules.
        An empty tensor of the default dtype if omitted.
    requires_grad : bool, optional
        True by default.

    Examples
    --------
    >>> w = Parameter(np.zeros((3, 2)))
    >>> w.requires_grad
    True
    """

    __slots__ = ()

    def __init__(self, data: Any = None, requires_grad: bool = True) -> None:
        if data is None:
            data = np.empty(0, dtype=get_default_dtype())
        if not isinstance(data, Tensor):
            super().__init__(data, requires_grad=requires_grad)
            return
        alias = data.detach()  # the same array and version counter
        super().__init__(np.empty(0, dtype=alias.dtype))
        self._array, self._storage = alias._array, alias._storage
        self.requires_grad_(requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


def _add_indent(text: str, spaces: int) -> str:
    lines = text.split("\n")
    if len(lines) == 1:
        return text
    return lines[0] + "\n" + "\n".join(" " * spaces + line for line in lines[1:])


def _numeric_value(value: Any) -> np.ndarray | None:
    """The array in a state_dict value, or None when it is not numeric."""
    if isinstance(value, Tensor):
        return value._array
    try:
        array = np.asarray(value)
    except Exception:  # e.g. a torch tensor that requires grad, ragged lists
        return None
    return array if array.dtype.kind in "biuf" else None


def _add_hook(hooks: OrderedDict, entry: tuple, prepend: bool) -> RemovableHandle:
    handle = RemovableHandle(hooks)
    hooks[handle.id] = entry
    if prepend:
        hooks.move_to_end(handle.id, last=False)
    return handle


def _run_forward_hook(
    module: Module, hook: Callable, with_kwargs: bool, args: tuple, kwargs: dict, result: Any
) -> Any:
    return hook(module, args, kwargs, result) if with_kwargs else hook(module, args, result)


class Module:
    """Base class of every layer and model.

    Subclasses call ``super().__init__()`` first, assign parameters and sub-modules as
    attributes, and define ``forward``. Calling the module runs its forward pre-hooks,
    ``forward`` and its forward hooks (see :meth:`register_forward_hook`).

    Examples
    --------
    >>> class MLP(Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.fc1 = Linear(2, 4)
    ...         self.fc2 = Linear(4, 1)
    ...     def forward(self, x):
    ...         return self.fc2(self.fc1(x).sigmoid())
    >>> list(MLP().state_dict())
    ['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias']
    """

    training: bool

    def __init__(self) -> None:
        d = self.__dict__
        d["training"] = True
        d["_parameters"] = OrderedDict()
        d["_buffers"] = OrderedDict()
        d["_non_persistent"] = set()
        d["_modules"] = OrderedDict()
        # hook id -> (hook, with_kwargs) and hook id -> (hook, with_kwargs, always_call)
        d["_forward_pre_hooks"] = OrderedDict()
        d["_forward_hooks"] = OrderedDict()

    # ------------------------------------------------------------- registration

    def _registries(self, what: str) -> tuple[dict, dict, dict]:
        d = self.__dict__
        if "_parameters" not in d:
            raise AttributeError(
                f"cannot assign {what} before Module.__init__() call "
                f"(call super().__init__() first in {type(self).__name__}.__init__)"
            )
        return d["_parameters"], d["_modules"], d["_buffers"]

    def _forget(self, name: str, keep: str = "") -> None:
        """Drop ``name`` from every registry but ``keep`` (the one it is about to be
        assigned in, where it keeps its position, as in PyTorch)."""
        params, modules, buffers = self._registries("attributes")
        if keep != "_parameters":
            params.pop(name, None)
        if keep != "_buffers":
            buffers.pop(name, None)
            self._non_persistent.discard(name)
        if keep != "_modules":
            modules.pop(name, None)

    def __setattr__(self, name: str, value: Any) -> None:
        d = self.__dict__
        if isinstance(value, Parameter):
            self._registries("parameters")
            self._forget(name, keep="_parameters")
            d["_parameters"][name] = value
        elif isinstance(value, Module):
            self._registries("module")
            self._forget(name, keep="_modules")
            d["_modules"][name] = value
        elif "_parameters" in d and name in d["_parameters"]:
            if value is not None:
                raise TypeError(
                    f"cannot assign {type(value).__name__} as parameter '{name}' of "
                    f"{type(self).__name__} (nn.Parameter or None expected)"
                )
            d["_parameters"][name] = None
        elif "_modules" in d and name in d["_modules"]:
            if value is not None:
                raise TypeError(
                    f"cannot assign {type(value).__name__} as child module '{name}' of "
                    f"{type(self).__name__} (nn.Module or None expected)"
                )
            d["_modules"][name] = None
        elif "_buffers" in d and name in d["_buffers"]:
            value = self._as_buffer(name, value)
            d["_buffers"][name] = value
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        if "_parameters" in self.__dict__:
            self._forget(name)
        object.__delattr__(self, name)

    @staticmethod
    def _as_buffer(name: str, value: Any) -> Tensor | None:
        if value is None or isinstance(value, Tensor):
            return value
        if isinstance(value, np.ndarray):
            return Tensor(value)
        raise TypeError(
            f"cannot assign {type(value).__name__} as buffer '{name}' "
            "(Tensor, ndarray or None expected)"
        )

    def _check_name(self, kind: str, name: Any) -> None:
        if not isinstance(name, str):
            raise TypeError(f"{kind} name should be a str, got {type(name).__name__}")
        if not name or "." in name:
            raise KeyError(f"{kind} name can't be empty or contain '.', got {name!r}")
        if hasattr(self, name) and not (
            name in self._parameters or name in self._buffers or name in self._modules
        ):
            raise KeyError(f"attribute '{name}' already exists on {type(self).__name__}")

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Register ``param`` (or None, a placeholder such as a missing bias) as ``name``."""
        self._registries("parameters")
        self._check_name("parameter", name)
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(
                f"cannot assign {type(param).__name__} as parameter '{name}' "
                "(nn.Parameter or None expected)"
            )
        self._forget(name)
        self._parameters[name] = param
        object.__setattr__(self, name, param)

    def register_buffer(self, name: str, tensor: Any, persistent: bool = True) -> None:
        """Register a non-learnable tensor (kept in ``state_dict`` when ``persistent``)."""
        self._registries("buffers")
        self._check_name("buffer", name)
        tensor = self._as_buffer(name, tensor)
        self._forget(name)
        self._buffers[name] = tensor
        if not persistent:
            self._non_persistent.add(name)
        object.__setattr__(self, name, tensor)

    def add_module(self, name: str, module: Module | None) -> None:
        """Register ``module`` as the child ``name`` (like assigning ``self.name = module``)."""
        self._registries("module")
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        if not isinstance(name, str) or not name or "." in name:
            raise KeyError(f"module name can't be empty or contain '.', got {name!r}")
        if module is None:
            self._forget(name)
            self._modules[name] = None
            object.__setattr__(self, name, None)
        else:
            setattr(self, name, module)

    register_module = add_module

    # ------------------------------------------------------------------ calling

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(
            f'Module [{type(self).__name__}] is missing the required "forward" function'
        )

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Run the forward pre-hooks, ``forward`` and the forward hooks (PyTorch's order)."""
        try:
            hooked = self._forward_pre_hooks or self._forward_hooks
        except AttributeError:
            raise AttributeError(
                f"{type(self).__name__} was not initialised: call super().__init__() "
                f"first in {type(self).__name__}.__init__"
            ) from None
        if not hooked:  # the hot path of a training loop: one check, then forward
            return self.forward(*args, **kwargs)
        return self._call_with_hooks(args, kwargs)

    def _call_with_hooks(self, args: tuple, kwargs: dict) -> Any:
        for hook, with_kwargs in list(self._forward_pre_hooks.values()):
            if with_kwargs:
                changed = hook(self, args, kwargs)
                if changed is not None:
                    if not (isinstance(changed, tuple) and len(changed) == 2):
                        raise RuntimeError(
                            "forward pre-hook must return None or a tuple of (new_args, "
                            f"new_kwargs), but got {changed!r}."
                        )
                    args, kwargs = changed
            else:
                changed = hook(self, args)
                if changed is not None:
                    args = changed if isinstance(changed, tuple) else (changed,)
        hooks = list(self._forward_hooks.items())
        result = None
        done: set[int] = set()
        try:
            result = self.forward(*args, **kwargs)
            for hook_id, (hook, with_kwargs, _) in hooks:
                done.add(hook_id)
                changed = _run_forward_hook(self, hook, with_kwargs, args, kwargs, result)
                if changed is not None:
                    result = changed
        except Exception:
            # Hooks registered with always_call=True run even when forward failed; their
            # own errors are then only warned about, and the first error is raised.
            for hook_id, (hook, with_kwargs, always_call) in hooks:
                if always_call and hook_id not in done:
                    try:
                        _run_forward_hook(self, hook, with_kwargs, args, kwargs, result)
                    except Exception as err:
                        warnings.warn(
                            "module forward hook with ``always_call=True`` raised an "
                            "exception that was silenced as another error was raised in "
                            f"forward: {err}",
                            stacklevel=2,
                        )
            raise
        return result

    def register_forward_pre_hook(
        self, hook: Callable[..., Any], *, prepend: bool = False, with_kwargs: bool = False
    ) -> RemovableHandle:
        """Call ``hook(module, args)`` before every ``forward``.

        The hook may return None (inputs unchanged) or new positional arguments (a tuple;
        a single value is wrapped into one). With ``with_kwargs=True`` it is called as
        ``hook(module, args, kwargs)`` and may return ``(new_args, new_kwargs)``.

        Parameters
        ----------
        hook : callable
        prepend : bool
            Run this hook before the ones already registered (otherwise after them).
        with_kwargs : bool
            Pass the keyword arguments too.

        Returns
        -------
        RemovableHandle
            ``handle.remove()`` takes the hook away (also usable as a ``with`` block).

        Examples
        --------
        >>> shapes = []
        >>> handle = model.register_forward_pre_hook(lambda m, args: shapes.append(args[0].shape))
        >>> handle.remove()
        """
        return _add_hook(self._forward_pre_hooks, (hook, bool(with_kwargs)), prepend)

    def register_forward_hook(
        self,
        hook: Callable[..., Any],
        *,
        prepend: bool = False,
        with_kwargs: bool = False,
        always_call: bool = False,
    ) -> RemovableHandle:
        """Call ``hook(module, args, output)`` after every ``forward``.

        ``args`` are the positional arguments ``forward`` received (after the pre-hooks).
        The hook may return None (output unchanged) or a new output, which the next hook
        and the caller receive. With ``with_kwargs=True`` it is called as
        ``hook(module, args, kwargs, output)``.

        Parameters
        ----------
        hook : callable
        prepend : bool
            Run this hook before the ones already registered (otherwise after them).
        with_kwargs : bool
            Pass the keyword arguments too.
        always_call : bool
            Call the hook even when ``forward`` raised (``output`` is then None).

        Returns
        -------
        RemovableHandle
            ``handle.remove()`` takes the hook away (also usable as a ``with`` block).

        Examples
        --------
        >>> activations = {}
        >>> def keep(module, args, output):
        ...     activations["fc1"] = output.detach()
        >>> handle = model.fc1.register_forward_hook(keep)
        """
        entry = (hook, bool(with_kwargs), bool(always_call))
        return _add_hook(self._forward_hooks, entry, prepend)

    # ---------------------------------------------------------------- traversal

    def named_modules(
        self, memo: set[int] | None = None, prefix: str = "", remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Module]]:
        """Yield ``(name, module)`` for this module (name ``''``) and all below it,
        in registration order, each module once."""
        stack: list[tuple[str, Module]] = [(prefix, self)]
        seen = memo if memo is not None else set()
        while stack:
            name, module = stack.pop()
            if remove_duplicate:
                if id(module) in seen:
                    continue
                seen.add(id(module))
            yield name, module
            children = [
                (f"{name}.{key}" if name else key, child)
                for key, child in module._modules.items()
                if child is not None
            ]
            stack.extend(reversed(children))

    def modules(self) -> Iterator[Module]:
        """Yield this module and every module below it (the order of named_modules)."""
        # No names to build: this runs on every zero_grad(), so it is kept lean.
        stack: list[Module] = [self]
        seen: set[int] = set()
        while stack:
            module = stack.pop()
            if id(module) in seen:
                continue
            seen.add(id(module))
            yield module
            children = [m for m in module._modules.values() if m is not None]
            stack.extend(reversed(children))

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """Yield ``(name, module)`` for the direct children."""
        seen: set[int] = set()
        for name, module in self._modules.items():
            if module is not None and id(module) not in seen:
                seen.add(id(module))
                yield name, module

    def children(self) -> Iterator[Module]:
        """Yield the direct children."""
        for _, module in self.named_children():
            yield module

    def _named_members(
        self, registry: str, prefix: str, recurse: bool, remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Tensor]]:
        seen: set[int] = set()
        modules = self.named_modules(prefix=prefix) if recurse else [(prefix, self)]
        for module_name, module in modules:
            for name, value in module.__dict__[registry].items():
                if value is None:
                    continue
                if remove_duplicate:
                    if id(value) in seen:
                        continue
                    seen.add(id(value))
                yield (f"{module_name}.{name}" if module_name else name), value

    def named_parameters(
        self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Parameter]]:
        """Yield ``(name, parameter)`` with PyTorch's dotted names (``'fc1.weight'``);
        a parameter shared by two modules is yielded once."""
        yield from self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        """Yield the learnable parameters (what an optimizer takes), each once."""
        seen: set[int] = set()
        for module in self.modules() if recurse else (self,):
            for param in module._parameters.values():
                if param is not None and id(param) not in seen:
                    seen.add(id(param))
                    yield param

    def named_buffers(
        self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Tensor]]:
        """Yield ``(name, buffer)`` with dotted names."""
        yield from self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        """Yield the buffers."""
        for _, buf in self.named_buffers(recurse=recurse):
            yield buf

    def apply(self, fn: Callable[[Module], Any]) -> Module:
        """Call ``fn`` on every child (recursively), then on this module; return self.

        Examples
        --------
        >>> def init_weights(m):
        ...     if isinstance(m, Linear):
        ...         nn.init.xavier_uniform_(m.weight)
        >>> model.apply(init_weights)
        """
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    # -------------------------------------------------------------- train state

    def train(self, mode: bool = True) -> Module:
        """Set training mode (``True``) or evaluation mode on this module and all below."""
        if not isinstance(mode, bool):
            raise ValueError(f"train(): mode must be a bool, got {mode!r}")
        for module in self.modules():
            module.__dict__["training"] = mode
        return self

    def eval(self) -> Module:
        """Set evaluation mode (Dropout stops dropping); same as ``train(False)``."""
        return self.train(False)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradients of all parameters (``None``, or zeros in place)."""
        for param in self.parameters():
            zero_grad_of(param, set_to_none)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        """Set ``requires_grad`` on every parameter (e.g. False to freeze a model)."""
        for param in self.parameters():
            param.requires_grad_(requires_grad)
        return self

    # ------------------------------------------------------------------- dtypes

    def to(self, dtype: Any) -> Module:
        """Cast the floating-point parameters and buffers to ``dtype`` in place.

        The Parameter objects are kept (only their arrays change), so an optimizer made
        before still holds them. ``'cpu'`` is accepted and does nothing, so that ported
        PyTorch code with ``model.to(device)`` runs.
        """
        if isinstance(dtype, str) and dtype == "cpu":
            return self
        try:
            dtype = np.dtype(dtype)
        except TypeError:
            raise TypeError(f"Module.to: expected a float dtype, got {dtype!r}") from None
        if dtype.kind != "f":
            raise TypeError(f"Module.to: expected a float dtype, got {dtype}")
        for tensor in [*self.parameters(), *self.buffers()]:
            if tensor.dtype.kind == "f" and tensor.dtype != dtype:
                tensor.data = tensor._array.astype(dtype)  # bumps the version, as in PyTorch
                if tensor.grad is not None:
                    tensor.grad = Tensor._wrap(tensor.grad._array.astype(dtype))
        return self

    def double(self) -> Module:
        """Cast floating-point parameters and buffers to float64."""
        return self.to(np.float64)

    def float(self) -> Module:
        """Cast floating-point parameters and buffers to float32."""
        return self.to(np.float32)

    # --------------------------------------------------------------- state dict

    def _state_tensors(self) -> OrderedDict[str, Tensor]:
        """Name -> the live Parameter or buffer, in PyTorch's state_dict order."""
        out: OrderedDict[str, Tensor] = OrderedDict()
        for module_name, module in self.named_modules(remove_duplicate=False):
            prefix = f"{module_name}." if module_name else ""
            for name, param in module._parameters.items():
                if param is not None:
                    out[prefix + name] = param
            for name, buf in module._buffers.items():
                if buf is not None and name not in module._non_persistent:
                    out[prefix + name] = buf
        return out

    def state_dict(self) -> OrderedDict[str, np.ndarray]:
        """Return a copy of every parameter and persistent buffer as ``name -> ndarray``.

        The names are PyTorch's (``'0.weight'``, ``'fc1.bias'``), so
        ``torch_model.load_state_dict({k: torch.tensor(v) for k, v in sd.items()})``
        works for the same structure.
        """
        return OrderedDict((k, t._array.copy()) for k, t in self._state_tensors().items())

    def load_state_dict(self, state_dict: Mapping[str, Any], strict: bool = True) -> Any:
        """Copy values from ``state_dict`` into the parameters and buffers.

        All or nothing: every key, shape and value is checked first, and one error lists
        every problem; only when there is none are values copied (cast to each
        parameter's dtype). A failed call leaves the model exactly as it was.

        Parameters
        ----------
        state_dict : mapping of str to array_like
            E.g. from :meth:`state_dict`, :func:`tinygrad_lab.load` or a PyTorch model.
        strict : bool
            Require the keys to match exactly. With ``strict=False`` missing and
            unexpected keys are returned instead (shape or value problems still raise).

        Returns
        -------
        IncompatibleKeys
            Named tuple ``(missing_keys, unexpected_keys)``, as in PyTorch.

        Raises
        ------
        RuntimeError
            Naming each missing key, unexpected key, shape mismatch and non-numeric value.
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(
                f"load_state_dict: expected a mapping of names to arrays, "
                f"got {type(state_dict).__name__}"
            )
        targets = self._state_tensors()
        missing = [key for key in targets if key not in state_dict]
        unexpected = [key for key in state_dict if key not in targets]
        problems: list[str] = []
        if strict and missing:
            problems.append(
                "Missing key(s) in state_dict: " + ", ".join(f'"{k}"' for k in missing) + "."
            )
        if strict and unexpected:
            problems.append(
                "Unexpected key(s) in state_dict: "
                + ", ".join(f'"{k}"' for k in unexpected)
                + "."
            )
        updates: list[tuple[Tensor, np.ndarray]] = []
        for key, target in targets.items():
            if key not in state_dict:
                continue
            value = state_dict[key]
            array = _numeric_value(value)
            if array is None:
                problems.append(
                    f"non-numeric value for {key}: got {type(value).__name__} "
                    f"{_short(value)}, expected an array of shape {target.shape}."
                )
            elif array.shape != target.shape:
                problems.append(
                    f"size mismatch for {key}: copying a param with shape {array.shape} "
                    f"from checkpoint, the shape in current model is {target.shape}."
                )
            else:
                updates.append((target, array))
        if problems:
            raise RuntimeError(
                f"Error(s) in loading state_dict for {type(self).__name__}:\n\t"
                + "\n\t".join(problems)
            )
        for target, array in updates:
            # In place, like PyTorch's param.copy_(value): the array keeps its identity.
            np.copyto(target._array, array, casting="unsafe")
            mark_changed(target)  # a graph that used the old value must not backward
        return _IncompatibleKeys(missing, unexpected)

    # ------------------------------------------------------------------- repr

    def extra_repr(self) -> str:
        """The text inside this module's parentheses in ``repr`` (override it)."""
        return ""

    def __repr__(self) -> str:
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = [
            f"({name}): " + _add_indent(repr(module), 2)
            for name, module in self._modules.items()
        ]
        lines = extra_lines + child_lines
        text = type(self).__name__ + "("
        if lines:
            if len(extra_lines) == 1 and not child_lines:
                text += extra_lines[0]
            else:
                text += "\n  " + "\n  ".join(lines) + "\n"
        return text + ")"


def _short(obj: Any, limit: int = 40) -> str:
    text = repr(obj)
    return text if len(text) <= limit else text[: limit - 3] + "..."


class _ModuleSequence(Module):
    """What Sequential and ModuleList share: children named '0', '1', ... kept in order."""

    def _index(self, idx: Any) -> int:
        n = len(self._modules)
        if not isinstance(idx, (int, np.integer)) or isinstance(idx, bool):
            raise TypeError(f"{type(self).__name__} indices must be int or slice, got {idx!r}")
        if not -n <= idx < n:
            raise IndexError(
                f"index {idx} is out of range for {type(self).__name__} of length {n}"
            )
        return int(idx) % n

    def __getitem__(self, idx: int | slice) -> Any:
        if isinstance(idx, slice):
            return type(self)(OrderedDict(list(self._modules.items())[idx]))
        return list(self._modules.values())[self._index(idx)]

    def __setitem__(self, idx: int, module: Module) -> None:
        key = list(self._modules)[self._index(idx)]
        setattr(self, key, self._check(module))

    def _renumber(self, modules: list[Module]) -> None:
        for key in list(self._modules):
            delattr(self, key)
        for i, module in enumerate(modules):
            self.add_module(str(i), module)

    def __delitem__(self, idx: int | slice) -> None:
        """Delete and renumber the rest '0', '1', ... (as PyTorch does)."""
        modules = list(self._modules.values())
        if isinstance(idx, slice):
            del modules[idx]
        else:
            del modules[self._index(idx)]
        self._renumber(modules)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def _check(self, module: Any) -> Module:
        if not isinstance(module, Module):
            raise TypeError(
                f"{type(self).__name__}: {type(module).__name__} is not a Module subclass"
            )
        return module

    def append(self, module: Module) -> Any:
        """Add ``module`` at the end (named ``str(len(self))``)."""
        self.add_module(str(len(self)), self._check(module))
        return self

    def extend(self, modules: Iterable[Module]) -> Any:
        """Add each of ``modules`` at the end."""
        if isinstance(modules, Module) and not isinstance(modules, _ModuleSequence):
            raise TypeError(f"{type(self).__name__}.extend expects an iterable of modules")
        for module in list(modules):
            self.append(module)
        return self

    def insert(self, index: int, module: Module) -> Any:
        """Insert ``module`` before ``index``; the modules after it are renumbered."""
        modules = list(self._modules.values())
        modules.insert(index, self._check(module))
        self._renumber(modules)
        return self


class Sequential(_ModuleSequence):
    """Run modules one after another: ``Sequential(a, b, c)(x) == c(b(a(x)))``.

    Children are named ``'0'``, ``'1'``, ... or by the keys of an ``OrderedDict``;
    indexing, ``len``, iteration, ``append``, ``insert``, ``extend`` and ``del`` work as
    for a list. A slice is a new Sequential holding the same modules.

    Examples
    --------
    >>> model = Sequential(Linear(2, 4), Sigmoid(), Linear(4, 1))
    >>> model[0]
    Linear(in_features=2, out_features=4, bias=True)
    >>> len(model)
    3
    """

    def __init__(self, *modules: Any) -> None:
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], OrderedDict):
            for name, module in modules[0].items():
                self.add_module(name, self._check(module))
        else:
            for i, module in enumerate(modules):
                self.add_module(str(i), self._check(module))

    def forward(self, x: Any) -> Any:
        for module in self._modules.values():
            x = module(x)
        return x


class ModuleList(_ModuleSequence):
    """A list of modules whose parameters are registered (children ``'0'``, ``'1'``...).

    It has no ``forward``: iterate over it in your own.

    Examples
    --------
    >>> blocks = ModuleList([Linear(4, 4) for _ in range(3)])
    >>> def forward(self, x):
    ...     for block in self.blocks:
    ...         x = block(x).relu()
    """

    def __init__(self, modules: Iterable[Module] | None = None) -> None:
        super().__init__()
        if isinstance(modules, OrderedDict):  # a slice of a ModuleList
            modules = list(modules.values())
        if modules is not None:
            self.extend(modules)
