"""Pictures of the computation graph, drawn with graphviz.

``draw_graph(loss, model)`` returns a :class:`graphviz.Digraph`: in Jupyter it displays
itself, ``.render(path, format="svg")`` writes a file, and ``.source`` is the DOT text.

What the picture shows, and why it stays readable past a few dozen nodes:

* **op nodes** (yellow ellipses) carry the op's name: ``matmul``, ``sigmoid``, ``mse_loss``;
* **tensor nodes** (boxes) carry shape and dtype, the value (the number for a scalar,
  min / mean / max for an array) and, after ``backward()``, the gradient the same way;
* given the ``model``, parameters carry their ``named_parameters()`` names
  (``fc1.weight``) and the ops each sub-module ran sit in a labelled cluster per module
  (the module path is recorded when an op is created, see ``autograd.module_scope``);
* ``collapse_modules=True`` draws each sub-module as a single node (name, type, parameter
  shapes), so a deep network fits on one page;
* parameters, inputs that need no gradient and the root each have their own look, and a
  small legend says which is which.

Only tensors keep ``.grad``: leaves always, intermediate results only when
``.retain_grad()`` was called on them before ``backward()``.

The graph is walked with an explicit stack (a chain of 100,000 ops is fine), and the walk
stops as soon as the picture would exceed ``max_nodes``: an unreadable picture is refused
with a hint, never drawn half.
"""

from __future__ import annotations

import html
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import graphviz
import numpy as np

from .tensor import Tensor

__all__ = [
    "GraphTooLargeError",
    "GraphvizNotFoundError",
    "draw_graph",
    "render_graph",
]

_INSTALL_HINT = (
    "cannot render the graph: the graphviz 'dot' program was not found on PATH. The "
    "Python package 'graphviz' only writes DOT text; drawing needs the system package: "
    "`sudo apt-get install graphviz` (Debian/Ubuntu), `brew install graphviz` (macOS), "
    "`conda install -c conda-forge graphviz`, or https://graphviz.org/download/ (Windows: "
    "add its bin folder to PATH). The DOT text is still available as `.source`."
)


class GraphTooLargeError(ValueError):
    """Raised by :func:`draw_graph` when the picture would have more than ``max_nodes`` nodes."""


class GraphvizNotFoundError(graphviz.ExecutableNotFound):
    """The system graphviz program ``dot`` is missing (a subclass of
    :class:`graphviz.ExecutableNotFound`, so code that catches that keeps working)."""

    def __init__(self, message: str) -> None:
        RuntimeError.__init__(self, message)  # the parent formats a different message


class _Digraph(graphviz.Digraph):
    """A :class:`graphviz.Digraph` whose rendering errors say how to install graphviz.

    ``render`` and ``pipe`` are the two ways graphviz runs ``dot`` (Jupyter's display goes
    through ``pipe``).
    """

    def render(self, *args: Any, **kwargs: Any) -> str:  # type: ignore[override]
        try:
            return super().render(*args, **kwargs)
        except graphviz.ExecutableNotFound as err:
            if isinstance(err, GraphvizNotFoundError):
                raise
            raise GraphvizNotFoundError(_INSTALL_HINT) from err

    def pipe(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        try:
            return super().pipe(*args, **kwargs)
        except graphviz.ExecutableNotFound as err:
            if isinstance(err, GraphvizNotFoundError):
                raise
            raise GraphvizNotFoundError(_INSTALL_HINT) from err


# ---------------------------------------------------------------------------- styles

_FONT = "Helvetica"
_GRAD_COLOR = "#c92a2a"
_MUTED_COLOR = "#495057"

# kind -> (graphviz node attributes, legend text)
_STYLES: dict[str, tuple[dict[str, str], str]] = {
    "param": (
        {"shape": "box", "style": "rounded,filled", "fillcolor": "#d0ebff", "color": "#1c7ed6"},
        "parameter / leaf that needs grad",
    ),
    "input": (
        {"shape": "box", "style": "filled,dashed", "fillcolor": "#f1f3f5", "color": "#868e96"},
        "input / constant (no grad)",
    ),
    "tensor": (
        {"shape": "box", "style": "filled", "fillcolor": "#ffffff", "color": "#868e96"},
        "intermediate tensor",
    ),
    "root": (
        {"shape": "box", "style": "filled,bold", "fillcolor": "#ffe8cc", "color": "#e8590c",
         "peripheries": "2"},
        "output (the root)",
    ),
    "op": (
        {"shape": "ellipse", "style": "filled", "fillcolor": "#fff3bf", "color": "#f08c00",
         "fontsize": "11", "margin": "0.05,0.02", "height": "0.3"},
        "op",
    ),
    "module": (
        {"shape": "box3d", "style": "filled", "fillcolor": "#d3f9d8", "color": "#2b8a3e"},
        "module (collapsed)",
    ),
}
_LEGEND_ORDER = ("param", "input", "op", "tensor", "root", "module")
_CLUSTER_FILLS = ("#f8f9fa", "#edf2ff", "#fff9db", "#f3f0ff")


# ---------------------------------------------------------------------------- labels


def _fmt(value: float, digits: int) -> str:
    return f"{value:.{digits}g}"


def _summary(array: np.ndarray) -> tuple[str, ...]:
    """``(number,)`` for a one-element array, otherwise ``(min, mean, max)``."""
    if array.size == 0:
        return ("empty",)
    if array.dtype.kind not in "biuf":
        return (f"dtype {array.dtype}",)
    values = array.astype(np.float64, copy=False) if array.dtype.kind == "b" else array
    if values.size == 1:
        return (_fmt(float(values.reshape(-1)[0]), 4),)
    with np.errstate(all="ignore"):
        low, mean, high = float(values.min()), float(values.mean()), float(values.max())
    return _fmt(low, 3), _fmt(mean, 3), _fmt(high, 3)


def _shape_text(tensor: Tensor) -> str:
    shape = "scalar" if tensor.ndim == 0 else str(tuple(tensor.shape))
    return f"{shape} {tensor.dtype}"


# A label cell: (text, colour or None, bold).
_Cell = tuple[str, "str | None", bool]
_STAT_NAMES = ("min", "mean", "max")


def _html(rows: Sequence[Sequence[_Cell]]) -> str:
    """An HTML-like graphviz label: a table whose rows have 1, 2 or 4 cells.

    A one-cell row spans the table; in a two-cell row (``grad`` and a number) the number
    spans the three columns that min / mean / max take in a four-cell row.
    """
    width = max(len(row) for row in rows)
    out = []
    for row in rows:
        cells = []
        for k, (text, color, bold) in enumerate(row):
            body = html.escape(text)
            if k and len(row) > 1:
                body = "&#160;&#160;" + body  # room between the number columns
            if bold:
                body = f"<b>{body}</b>"
            if color:
                body = f'<font color="{color}">{body}</font>'
            span = width - len(row) + 1 if k == len(row) - 1 else 1
            attrs = f' colspan="{span}"' if span > 1 else ""
            if len(row) > 1:
                attrs += ' align="left"' if k == 0 else ' align="right"'
            cells.append(f"<td{attrs}>{body}</td>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    return (
        '<<table border="0" cellborder="0" cellspacing="0" cellpadding="1">'
        + "".join(out) + "</table>>"
    )


def _tensor_label(tensor: Tensor, name: str | None, show_data: bool, show_grad: bool) -> str:
    rows: list[list[_Cell]] = []
    if name:
        rows.append([(name, None, True)])
    rows.append([(_shape_text(tensor), None, False)])
    stats: list[tuple[str, tuple[str, ...], str]] = []
    if show_data:
        stats.append(("value", _summary(tensor.data), _MUTED_COLOR))
    if show_grad and tensor.grad is not None:
        stats.append(("grad", _summary(tensor.grad.data), _GRAD_COLOR))
    if any(len(numbers) == 3 for _, numbers, _ in stats):
        rows.append([("", None, False)] + [(h, _MUTED_COLOR, False) for h in _STAT_NAMES])
    for title, numbers, color in stats:
        rows.append([(title, color, False)] + [(n, color, False) for n in numbers])
    return _html(rows)


# ---------------------------------------------------------------------- model helpers


def _parent_path(path: str) -> str:
    return path.rpartition(".")[0]


def _ancestors(path: str) -> list[str]:
    """'a.b.c' -> ['a', 'a.b', 'a.b.c']; '' -> []."""
    if not path:
        return []
    parts = path.split(".")
    return [".".join(parts[: i + 1]) for i in range(len(parts))]


# ----------------------------------------------------------------------- the drawing


@dataclass
class _Module:
    """A collapsed sub-module: everything its forward created becomes this one node."""

    path: str
    node_id: str
    ops: list[str] = field(default_factory=list)


def _too_large(count: str, max_nodes: int) -> GraphTooLargeError:
    return GraphTooLargeError(
        f"draw_graph: the graph has {count} nodes, more than max_nodes={max_nodes}; a "
        "picture that large is unreadable, so nothing was drawn. Draw a sub-expression "
        "instead (call draw_graph on an intermediate tensor), pass the model with "
        "collapse_modules=True to draw each sub-module as one node, or raise max_nodes."
    )


def _as_roots(root: Any) -> list[Tensor]:
    if isinstance(root, Tensor):
        return [root]
    if isinstance(root, Iterable) and not isinstance(root, (str, bytes, np.ndarray)):
        roots = list(root)
        if roots and all(isinstance(r, Tensor) for r in roots):
            return roots
    raise TypeError(
        f"draw_graph: root must be a Tensor (or a non-empty sequence of Tensors), "
        f"got {type(root).__name__}"
    )


def draw_graph(
    root: Tensor | Sequence[Tensor],
    model: Any = None,
    *,
    show_data: bool = True,
    show_grad: bool = True,
    rankdir: str = "LR",
    group_modules: bool = True,
    collapse_modules: bool | int = False,
    max_nodes: int = 500,
    names: Mapping[str, Tensor] | None = None,
    legend: bool = True,
) -> graphviz.Digraph:
    """Draw the computation graph that produced ``root``.

    Parameters
    ----------
    root : Tensor or sequence of Tensor
        The output to draw (usually the loss); everything it was computed from is drawn.
        Works before and after ``backward()`` (the links to the inputs are kept).
    model : Module, optional
        Labels parameters with their ``named_parameters()`` names and clusters / collapsed
        nodes with the module types. Without it, clusters are labelled by module path.
    show_data : bool, optional
        Write each tensor's value (the number for scalars, min / mean / max for arrays).
    show_grad : bool, optional
        Write each tensor's ``.grad`` the same way, where it has one: leaves after
        ``backward()``, intermediate tensors only if ``.retain_grad()`` was called.
    rankdir : {"LR", "TB", "RL", "BT"}, optional
        Direction of the data flow: left to right (default) or top to bottom, ...
    group_modules : bool, optional
        Draw the ops each module's forward ran (and, given ``model``, its parameters)
        inside a labelled box per module, nested like the modules.
    collapse_modules : bool or int, optional
        ``True`` draws each sub-module of the model (each first component of a module
        path) as one node listing its name, type, parameter shapes and ops; an int ``d``
        collapses the modules ``d`` levels deep instead (``True`` is ``1``).
    max_nodes : int, optional
        Refuse (with :class:`GraphTooLargeError`) a picture with more nodes than this.
    names : mapping of str to Tensor, optional
        Extra names to write on tensors, e.g. ``{"x": x, "target": y}``.
    legend : bool, optional
        Add a small legend of the node kinds present.

    Returns
    -------
    graphviz.Digraph
        Displays itself in Jupyter; ``.render(path, format="svg")`` writes a file (see
        also :func:`render_graph`); ``.source`` is the DOT text.

    Raises
    ------
    GraphTooLargeError
        The picture would have more than ``max_nodes`` nodes.
    GraphvizNotFoundError
        (On ``render``/``pipe``/display, not here) the system ``dot`` program is missing.

    Examples
    --------
    >>> loss = loss_fn(model(x), y)
    >>> loss.backward()
    >>> draw_graph(loss, model).render("graph", format="svg")
    """
    roots = _as_roots(root)
    if rankdir not in ("LR", "RL", "TB", "BT"):
        raise ValueError(f"draw_graph: rankdir must be 'LR', 'RL', 'TB' or 'BT', got {rankdir!r}")
    if isinstance(max_nodes, bool) or not isinstance(max_nodes, (int, np.integer)) or max_nodes < 1:
        raise ValueError(f"draw_graph: max_nodes must be a positive int, got {max_nodes!r}")
    if isinstance(collapse_modules, bool):
        depth = int(collapse_modules)
    elif isinstance(collapse_modules, (int, np.integer)) and collapse_modules >= 0:
        depth = int(collapse_modules)
    else:
        raise ValueError(
            "draw_graph: collapse_modules must be a bool or a non-negative int (the module "
            f"depth to collapse), got {collapse_modules!r}"
        )

    # --- names and module types from the model
    param_names: dict[int, str] = {}
    module_of: dict[str, Any] = {}
    params_under: dict[str, list[tuple[str, Tensor]]] = {}
    if model is not None:
        if not hasattr(model, "named_parameters"):
            raise TypeError(
                "draw_graph: model must be a Module (with named_parameters()), "
                f"got {type(model).__name__}"
            )
        for pname, param in model.named_parameters():
            param_names.setdefault(id(param), pname)
        named_modules = getattr(model, "named_modules", None)
        module_of = dict(named_modules()) if named_modules else {"": model}
    extra_names: dict[int, str] = {}
    for tname, tensor in (names or {}).items():
        if not isinstance(tensor, Tensor):
            raise TypeError(
                f"draw_graph: names[{tname!r}] must be a Tensor, got {type(tensor).__name__}"
            )
        extra_names[id(tensor)] = str(tname)

    def collapse_key(path: str) -> str | None:
        """The collapsed module that swallows a node created in module ``path``."""
        if not depth or not path:
            return None
        parts = path.split(".")
        return ".".join(parts[:depth]) if len(parts) >= depth else None

    def home(tensor: Tensor) -> str:
        """The module a tensor belongs to: where its op ran, or its parameter's owner."""
        if tensor.op is not None:
            return tensor.scope
        pname = param_names.get(id(tensor))
        return _parent_path(pname) if pname else ""

    # --- walk the graph with an explicit stack, inputs before the ops that use them
    # (the order the picture is written in), stopping as soon as it is surely too large
    root_ids = {id(r) for r in roots}
    order: list[Tensor] = []
    index: dict[int, int] = {}
    discovered: set[int] = set()
    seen_modules: set[str] = set()
    lower_bound = 0  # nodes the picture will have at least; never more than the final count
    stack: list[tuple[Tensor, bool]] = [(r, False) for r in reversed(roots)]
    while stack:
        tensor, finished = stack.pop()
        if finished:
            index[id(tensor)] = len(order)
            order.append(tensor)
            continue
        if id(tensor) in discovered:
            continue
        discovered.add(id(tensor))
        key = collapse_key(home(tensor))
        if key is None:
            lower_bound += 1 if tensor.op is None else 2
        elif key not in seen_modules:
            seen_modules.add(key)
            lower_bound += 1
        if lower_bound > max_nodes:
            raise _too_large(f"more than {max_nodes}", max_nodes)
        stack.append((tensor, True))
        for parent in reversed(tensor.parents):
            if id(parent) not in discovered:
                stack.append((parent, False))

    # --- which collapsed module (if any) swallows each tensor
    consumers_keys: list[set[str | None]] = [set() for _ in order]
    for tensor in order:
        ckey = collapse_key(tensor.scope) if tensor.op is not None else None
        for parent in tensor.parents:
            consumers_keys[index[id(parent)]].add(ckey)

    absorbed: list[str | None] = []  # the collapsed module that draws this tensor, if any
    op_module: list[str | None] = []  # the collapsed module that ran this tensor's op
    for i, tensor in enumerate(order):
        key = collapse_key(home(tensor))
        op_module.append(key if tensor.op is not None else None)
        # A result (or a parameter) disappears into its module's node when nothing outside
        # the module uses it; a module's outputs and the root stay visible.
        inside = key is not None and id(tensor) not in root_ids and consumers_keys[i] == {key}
        absorbed.append(key if inside else None)

    modules: dict[str, _Module] = {}
    for i, tensor in enumerate(order):
        for key in (op_module[i], absorbed[i]):
            if key is not None and key not in modules:
                modules[key] = _Module(key, f"m{len(modules)}")
        if op_module[i] is not None and tensor.op not in modules[op_module[i]].ops:
            modules[op_module[i]].ops.append(tensor.op)
    if model is not None:
        for pname, param in model.named_parameters():
            owner = collapse_key(_parent_path(pname))
            if owner in modules:
                params_under.setdefault(owner, []).append((pname[len(owner) + 1:], param))

    # --- nodes: (id, kind, label, cluster path)
    nodes: list[tuple[str, str, str, str]] = []
    edges: list[tuple[str, str]] = []
    module_edges: set[tuple[str, str]] = set()

    def tensor_node(i: int) -> str | None:
        return None if absorbed[i] is not None else f"t{i}"

    def group(path: str) -> str:
        return path if group_modules else ""

    for i, tensor in enumerate(order):
        node_id = tensor_node(i)
        module = op_module[i]
        if tensor.op is not None:
            # The op: its inputs' edges, then (below) the edge to its result.
            if module is None:
                op_id = f"op{i}"
                # escape: an op named "<lambda>" must not read as an HTML-like label
                nodes.append((op_id, "op", graphviz.escape(tensor.op), group(tensor.scope)))
            else:
                op_id = modules[module].node_id
            for parent in tensor.parents:
                j = index[id(parent)]
                source = tensor_node(j)
                if source is None:
                    source = modules[absorbed[j]].node_id
                elif op_module[j] is not None and op_module[j] == module:
                    continue  # a module's output that is also used inside that module
                if module is None:
                    edges.append((source, op_id))  # x * x keeps both of its edges
                elif source != op_id and (source, op_id) not in module_edges:
                    module_edges.add((source, op_id))
                    edges.append((source, op_id))
            if node_id is not None:
                edges.append((op_id, node_id))
        if node_id is None:
            continue
        if id(tensor) in root_ids:
            kind = "root"
        elif tensor.op is not None:
            kind = "tensor"
        else:
            kind = "param" if tensor.requires_grad else "input"
        name = extra_names.get(id(tensor)) or param_names.get(id(tensor))
        # A collapsed module's output (or a parameter it shares) sits beside its node.
        where = home(tensor)
        if collapse_key(where) is not None:
            where = _parent_path(collapse_key(where))
        label = _tensor_label(tensor, name, show_data, show_grad)
        nodes.append((node_id, kind, label, group(where)))

    for key, module in modules.items():
        nodes.append(
            (module.node_id, "module", _module_label(key, module_of.get(key), module.ops,
                                                      params_under.get(key, [])),
             group(_parent_path(key)))
        )

    if len(nodes) > max_nodes:
        raise _too_large(str(len(nodes)), max_nodes)

    return _assemble(
        nodes, edges, _beside_ops(nodes, edges), module_of, rankdir, legend, show_grad
    )


def _beside_ops(
    nodes: list[tuple[str, str, str, str]], edges: list[tuple[str, str]]
) -> dict[str, list[str]]:
    """Op node -> the parameters drawn on its rank, right beside it.

    A parameter on the same rank as its op, in the op's cluster, takes no rank of its own:
    the data path (x -> linear -> ...) then runs straight through the module's box instead
    of stepping aside for the parameters at every layer.
    """
    where = {node_id: (kind, cluster) for node_id, kind, _, cluster in nodes}
    data_fed = {head for tail, head in edges if where[tail][0] != "param"}
    beside: dict[str, list[str]] = {}
    placed: set[str] = set()
    for tail, head in edges:
        kind, cluster = where[tail]
        if (
            kind == "param" and tail not in placed and head in data_fed
            and where[head] == ("op", cluster)
        ):
            placed.add(tail)
            beside.setdefault(head, []).append(tail)
    return beside


def _module_label(
    path: str, module: Any, ops: list[str], params: list[tuple[str, Tensor]]
) -> str:
    title = f"{path} · {type(module).__name__}" if module is not None else path
    rows: list[list[_Cell]] = [[(title, None, True)]]
    shown = params[:6]
    for pname, param in shown:
        rows.append([(f"{pname} {tuple(param.shape)}", None, False)])
    if len(params) > len(shown):
        rest = sum(p.size for _, p in params[len(shown):])
        rows.append([(f"… {len(params) - len(shown)} more ({rest} values)", None, False)])
    if ops:
        listed = ", ".join(ops[:5]) + (", …" if len(ops) > 5 else "")
        rows.append([(f"ops: {listed}", _MUTED_COLOR, False)])
    return _html(rows)


def _assemble(
    nodes: list[tuple[str, str, str, str]],
    edges: list[tuple[str, str]],
    beside: Mapping[str, list[str]],
    module_of: Mapping[str, Any],
    rankdir: str,
    legend: bool,
    show_grad: bool,
) -> graphviz.Digraph:
    """Turn the node and edge lists into a Digraph with nested module clusters."""
    dot = _Digraph("computation_graph")
    dot.attr(rankdir=rankdir, fontname=_FONT, nodesep="0.25", ranksep="0.35",
             bgcolor="white")
    dot.attr("node", fontname=_FONT, fontsize="10", margin="0.08,0.04")
    dot.attr("edge", color="#495057", arrowsize="0.6")

    by_cluster: dict[str, list[tuple[str, str, str]]] = {}
    for node_id, kind, label, where in nodes:
        by_cluster.setdefault(where, []).append((node_id, kind, label))
    paths = {p for where in by_cluster for p in _ancestors(where)}
    labels = {node_id: label for node_id, _, label, _ in nodes}

    placed_beside = {p for params in beside.values() for p in params}

    def emit(graph: graphviz.Digraph, where: str) -> None:
        for node_id, kind, label in by_cluster.get(where, ()):
            if node_id in placed_beside:
                continue
            # One group for ops and results: graphviz keeps the path through them straight.
            group = {} if kind in ("param", "input") else {"group": "flow"}
            if node_id not in beside:
                graph.node(node_id, label=label, **group, **_STYLES[kind][0])
                continue
            with graph.subgraph() as row:
                row.attr(rank="same")
                row.node(node_id, label=label, **group, **_STYLES[kind][0])
                for param in beside[node_id]:
                    row.node(param, label=labels[param], **_STYLES["param"][0])

    # Build clusters deepest first: graphviz copies a subgraph's body when it is added.
    built: dict[str, graphviz.Digraph] = {}
    for number, path in enumerate(sorted(paths, key=lambda p: (-p.count("."), p))):
        cluster = graphviz.Digraph(name=f"cluster_{number}")
        module = module_of.get(path)
        title = f"{path} · {type(module).__name__}" if module is not None else path
        cluster.attr(label=graphviz.escape(title), labeljust="l", fontname=_FONT, fontsize="11",
                     style="rounded,filled", color="#adb5bd",
                     fillcolor=_CLUSTER_FILLS[path.count(".") % len(_CLUSTER_FILLS)])
        emit(cluster, path)
        built[path] = cluster
    for path in sorted(paths, key=lambda p: (-p.count("."), p)):
        parent = _parent_path(path)
        (built[parent] if parent else dot).subgraph(built[path])
    emit(dot, "")

    # A flat edge puts its tail before its head in the row, so every second parameter's
    # edge is written reversed (and drawn with its arrow back): weight | linear | bias.
    flipped = {(p, op) for op, params in beside.items() for p in params[1::2]}
    for tail, head in edges:
        if (tail, head) in flipped:
            dot.edge(head, tail, dir="back")
        else:
            dot.edge(tail, head)

    if legend:
        kinds = [k for k in _LEGEND_ORDER if any(kind == k for _, kind, _, _ in nodes)]
        rows = "".join(_legend_row(k) for k in kinds)
        if show_grad:
            rows += (
                f'<tr><td colspan="2" align="left"><font color="{_GRAD_COLOR}">grad</font>'
                " = .grad after backward()</td></tr>"
            )
        dot.node(
            "legend",
            label='<<table border="0" cellspacing="3" cellpadding="2">'
            f'<tr><td colspan="2" align="left"><b>legend</b></td></tr>{rows}</table>>',
            shape="plaintext",
            fontsize="9",
        )
    return dot


def _legend_row(kind: str) -> str:
    attrs, text = _STYLES[kind]
    swatch = f'bgcolor="{attrs["fillcolor"]}" color="{attrs["color"]}" border="1"'
    return (
        f'<tr><td {swatch} width="18"></td>'
        f'<td align="left">{html.escape(text)}</td></tr>'
    )


def render_graph(
    dot: graphviz.Digraph, path: str | os.PathLike[str], format: str | None = None
) -> Path:
    """Write ``dot`` to exactly ``path`` (no DOT side file) and return that path.

    Parameters
    ----------
    dot : graphviz.Digraph
        E.g. the result of :func:`draw_graph`.
    path : str or path-like
        The file to write, e.g. ``"docs/graph.svg"``; its folder is created if needed.
    format : {"svg", "png", "pdf", ...}, optional
        Defaults to the suffix of ``path``.

    Raises
    ------
    GraphvizNotFoundError
        The system ``dot`` program is missing; the message says how to install it.
    """
    path = Path(path)
    fmt = format or path.suffix.lstrip(".").lower()
    if not fmt:
        raise ValueError(
            f"render_graph: cannot tell the format of {str(path)!r}; give the file a suffix "
            "(.svg, .png, .pdf) or pass format="
        )
    if fmt not in graphviz.FORMATS:
        raise ValueError(
            f"render_graph: unknown format {fmt!r} for {str(path)!r}; "
            "use e.g. 'svg', 'png' or 'pdf'"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        data = dot.pipe(format=fmt)
    except graphviz.ExecutableNotFound as err:
        if isinstance(err, GraphvizNotFoundError):
            raise
        raise GraphvizNotFoundError(_INSTALL_HINT) from err
    # Write to a temporary file and rename, so a failure never leaves half a picture.
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    return path


def _tensor_draw(self: Tensor, model: Any = None, **kwargs: Any) -> graphviz.Digraph:
    """Draw the computation graph that produced this tensor: ``draw_graph(self, model, ...)``.

    See :func:`tinygrad_lab.viz.draw_graph` for the keyword arguments.
    """
    return draw_graph(self, model, **kwargs)


# tensor.py must not import viz (viz sits beside the engine, not under it), so the
# shortcut is attached here, when tinygrad_lab (which imports viz) is imported.
Tensor.draw = _tensor_draw  # type: ignore[attr-defined]
