"""The Optimizer base class: parameter groups, per-parameter state, ``zero_grad``, ``step``
and ``state_dict`` in PyTorch's format.

An optimizer never builds graph nodes: ``step`` reads ``p.grad.data`` and updates
``p.data`` in place with NumPy. Subclasses implement :meth:`Optimizer._update`, the update
of one parameter array (or :meth:`Optimizer._update_group`, the update of one group's
arrays, which reads the group's options once), and :meth:`Optimizer._check_options`, the
validation of one group's hyper-parameters (run on the constructor's defaults, on every
added group and on every loaded group, so a bad value is caught wherever it comes from).
"""

from __future__ import annotations

import copy
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from ..engine import enable_grad
from ..tensor import Tensor

__all__ = ["Optimizer"]

_SET_MESSAGE = (
    "optimizer parameters need to be organized in ordered collections, but the ordering "
    "of tensors in sets changes between runs; use a list"
)

ParamsT = Iterable[Tensor] | Iterable[dict[str, Any]] | Iterable[tuple[str, Tensor]]
# What an update sees of one parameter: its array, its gradient's array, its state dict.
UpdateItem = tuple[np.ndarray, np.ndarray, dict[str, Any]]


def _check_nonnegative(owner: str, what: str, value: Any) -> None:
    """Raise like PyTorch ("Invalid learning rate: -1") for a negative, NaN or non-number."""
    try:
        ok = 0.0 <= value
    except TypeError:
        raise TypeError(f"{owner}: Invalid {what}: {value!r} (expected a number)") from None
    if not ok:
        raise ValueError(f"{owner}: Invalid {what}: {value} (must be >= 0)")


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
    """

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
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                elif p.grad.data.flags.writeable:
                    p.grad.data.fill(0)
                else:
                    p.grad = Tensor._wrap(np.zeros_like(p.grad.data))

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient, in place.

        Parameters
        ----------
        closure : callable, optional
            Re-evaluates the model and returns the loss; it runs (with grad mode on)
            before the update.

        Returns
        -------
        The closure's loss, or None.
        """
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        # Every gradient's shape is checked before any parameter moves.
        work = [(group, self._with_grads(group)) for group in self.param_groups]
        for group, items in work:
            self._update_group(group, items)
        return loss

    def _with_grads(self, group: dict[str, Any]) -> list[UpdateItem]:
        """``(param, grad, state)`` of each parameter of ``group`` that has a gradient, in
        order, after checking the gradient's shape."""
        items = []
        for p in group["params"]:
            if p.grad is None:
                continue
            param, grad = p.data, p.grad.data
            if grad.shape != param.shape:
                raise ValueError(
                    f"{type(self).__name__}.step: a parameter of shape {param.shape} has a "
                    f"gradient of shape {grad.shape}"
                )
            items.append((param, grad, self.state[p]))
        return items

    def _update_group(self, group: dict[str, Any], items: list[UpdateItem]) -> None:
        """Update the parameter arrays of one group in place.

        The built-in optimizers override this to read the group's options once per step,
        not once per parameter (with many small parameters that overhead is comparable
        to the arithmetic). The default calls :meth:`_update` for each parameter.
        """
        for param, grad, state in items:
            self._update(param, grad, state, group)

    def _update(
        self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]
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
                if self.state.get(p):
                    state[index[id(p)]] = {
                        k: (v.copy() if isinstance(v, np.ndarray) else copy.deepcopy(v))
                        for k, v in self.state[p].items()
                    }
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load a state saved by :meth:`state_dict` (of the same optimizer, same params).

        Everything is checked before anything changes: on error the optimizer is left as
        it was. Arrays are copied and cast to their parameter's dtype; ``"step"`` becomes
        a Python int.

        Raises
        ------
        ValueError
            If the number of groups, the number of parameters in a group, a state array's
            shape, an index, or a group's options don't fit this optimizer.
        """
        name = f"{type(self).__name__}.load_state_dict"
        if not isinstance(state_dict, dict) or not {"state", "param_groups"} <= set(state_dict):
            keys = sorted(state_dict) if isinstance(state_dict, dict) else type(state_dict)
            raise ValueError(
                f"{name}: expected a dict with 'state' and 'param_groups', got {keys}"
            )
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(
                f"{name}: loaded state dict has {len(saved_groups)} parameter group(s), "
                f"the optimizer has {len(self.param_groups)}"
            )
        id_map: dict[Any, Tensor] = {}
        new_groups = []
        for i, (group, saved) in enumerate(zip(self.param_groups, saved_groups, strict=True)):
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
            for index, p in zip(saved_params, group["params"], strict=True):
                if index in id_map:
                    raise ValueError(f"{name}: parameter index {index!r} appears twice")
                id_map[index] = p
            new_group = {k: copy.deepcopy(v) for k, v in saved.items() if k != "params"}
            new_group["params"] = group["params"]
            if "param_names" in group and "param_names" not in new_group:
                new_group["param_names"] = group["param_names"]
            self._check_options(new_group)
            new_groups.append(new_group)

        new_state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)
        for index, entries in state_dict["state"].items():
            if index not in id_map:
                raise ValueError(
                    f"{name}: state for parameter index {index!r}, which no group lists "
                    f"(known indices: {sorted(id_map, key=str)})"
                )
            p = id_map[index]
            new_state[p] = {k: self._load_value(name, index, k, v, p) for k, v in entries.items()}

        self.param_groups = new_groups
        self.state = new_state

    @staticmethod
    def _load_value(name: str, index: Any, key: str, value: Any, param: Tensor) -> Any:
        if key == "step":
            step = np.asarray(value)
            whole = step.shape == () and step.dtype.kind in "iuf" and np.isfinite(step)
            if not (whole and step == np.floor(step) and step >= 0):
                raise ValueError(
                    f"{name}: 'step' of parameter {index} must be a whole number >= 0, "
                    f"got {value!r}"
                )
            return int(step)
        if isinstance(value, np.ndarray):
            if value.shape != param.shape:
                raise ValueError(
                    f"{name}: state '{key}' of parameter {index} has shape {value.shape}, "
                    f"but the parameter has shape {param.shape}"
                )
            dtype = param.dtype if param.dtype.kind == "f" else value.dtype
            return np.array(value, dtype=dtype)  # a copy: the caller's dict stays theirs
        return copy.deepcopy(value)

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {group[k]}" for k in sorted(group) if k != "params"]
        return "\n".join(lines) + "\n)"
