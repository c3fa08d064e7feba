"""Pictures of the computation graph with ``graphviz``: ops and tensors (shape, value, gradient),
boxed by module (:func:`record_modules`), backward ops in purple (:func:`record_backward`)."""

from __future__ import annotations

import contextlib
import html
import importlib.util
import os
import tempfile
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from .engine import next_number
from .tensor import Tensor

if importlib.util.find_spec("graphviz") is None:  # pictures are optional, and only here
    raise ImportError(
        "tinygrad_lab.viz draws with the 'graphviz' Python package, which is not installed: "
        "`pip install graphviz` (rendering also needs the system program `dot`)")

import graphviz  # noqa: E402  (after the check that explains its absence)

__all__ = ["GraphTooLargeError", "GraphvizNotFoundError", "OpRecord", "draw_graph",
           "record_backward", "record_modules", "render_graph"]


class GraphTooLargeError(ValueError):
    """Raised by :func:`draw_graph` when the picture would have more than ``max_nodes`` nodes."""


class GraphvizNotFoundError(graphviz.ExecutableNotFound):
    """:func:`render_graph` found no graphviz program; the message says how to install it."""

    _msg = ("cannot run {!r}: the system package graphviz is missing (the Python package only "
            "writes DOT text, `.source`); install it: `sudo apt-get install graphviz`, `brew "
            "install graphviz`, `conda install -c conda-forge graphviz` or graphviz.org")


# ------------------------------------------------------------------------- recording
class OpRecord:
    """Which block of code (a module's path, or 'backward') made each op result."""

    def __init__(self, model: Any = None) -> None:
        self.model, self._open, self._changes = model, [], []

    def _switch(self, block: str | None, *hook_arguments: Any) -> None:
        """Open ``block`` (a forward pre-hook), or close the innermost one (``None``)."""
        if block is None:
            self._open.pop()
        else:
            self._open.append(block)
        self._changes.append((next_number(), self._open[-1] if self._open else ""))

    def block_of(self, tensor: Tensor) -> str:
        """The innermost block open when ``tensor`` was made (by creation number), or ''."""
        i = bisect_right(self._changes, tensor._seq, key=lambda change: change[0]) - 1
        return self._changes[i][1] if i >= 0 and tensor._op is not None else ""


@contextlib.contextmanager
def record_modules(model: Any) -> Iterator[OpRecord]:
    """Record which sub-module of ``model`` made each op, for ``draw_graph(modules=)``, with
    hooks that live as long as the block (ops of other threads meanwhile would count too).

    >>> with record_modules(model) as modules:
    ...     loss = loss_fn(model(x), y)
    >>> draw_graph(loss, modules=modules)
    """
    record = OpRecord(model)
    with contextlib.ExitStack() as hooks:  # each removed on the way out, error or not
        for path, module in list(model.named_modules())[1:]:  # the model's own ops: no box
            hooks.enter_context(module.register_forward_pre_hook(
                partial(record._switch, path), prepend=True))
            hooks.enter_context(module.register_forward_hook(
                partial(record._switch, None), always_call=True))
        yield record


@contextlib.contextmanager
def record_backward() -> Iterator[OpRecord]:
    """Record the ops made in the block (a ``create_graph=True`` backward), for ``draw_graph``.

    >>> with record_backward() as backward_ops:
    ...     (g,) = tl.autograd.grad(loss, w, create_graph=True)
    >>> draw_graph(g, backward=backward_ops)
    """
    record = OpRecord()
    record._switch("backward")
    try:
        yield record
    finally:
        record._switch(None)


# ---------------------------------------------------------------------------- labels
_FONT, _GRAD, _MUTED = "Helvetica", "#c92a2a", "#495057"
_STYLES = {  # kind: shape, style, fill colour, line colour, text in the legend
    "param": ("box", "rounded,filled", "#d0ebff", "#1c7ed6", "parameter / leaf that needs grad"),
    "input": ("box", "filled,dashed", "#f1f3f5", "#868e96", "input / constant (no grad)"),
    "op": ("ellipse", "filled", "#fff3bf", "#f08c00", "op"),
    "backward_op": ("ellipse", "filled", "#e5dbff", "#7048e8", "op of the backward pass"),
    "tensor": ("box", "filled", "#ffffff", "#868e96", "intermediate tensor"),
    "root": ("box", "filled,bold", "#ffe8cc", "#e8590c", "output (the root)"),
    "module": ("box3d", "filled", "#d3f9d8", "#2b8a3e", "module (collapsed)"),
}
_OP = {"fontsize": "11", "margin": "0.05,0.02", "height": "0.3"}  # ops: small, tensors: big
_MORE = {"op": _OP, "backward_op": _OP, "root": {"peripheries": "2"}}
# Node attributes by kind; ops and results share a group, whose path graphviz keeps straight.
_NODE_ATTRS = {kind: {"shape": shape, "style": style, "fillcolor": fill, "color": line}
               | _MORE.get(kind, {}) | ({} if kind in ("param", "input") else {"group": "flow"})
               for kind, (shape, style, fill, line, _) in _STYLES.items()}
_FILLS = ("#f8f9fa", "#edf2ff", "#fff9db", "#f3f0ff")  # module boxes, by depth


def _text(value: Any) -> str:
    """Text safe in an HTML-like label: control characters escaped, markup as entities."""
    text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(value))
    return html.escape(text, quote=False).replace('"', "&quot;")


def _row(cells: Sequence[str], color: str | None = None, bold: bool = False) -> str:
    """A row of a 4-column label; its last cell spans the rest: ``grad 6`` under ``value 1 2 3``."""
    out = []
    for k, text in enumerate(cells):
        body = ("&#160;&#160;" if k else "") + _text(text)
        body = f"<b>{body}</b>" if bold and body else body  # an empty element is an error
        body = f'<font color="{color}">{body}</font>' if color and body else body
        span = f' colspan="{5 - len(cells)}"' if k == len(cells) - 1 < 3 else ""
        align = "" if len(cells) == 1 else ' align="right"' if k else ' align="left"'
        out.append(f"<td{span}{align}>{body}</td>")
    return "<tr>" + "".join(out) + "</tr>"


def _table(rows: list[str], spacing: str = 'cellspacing="0" cellpadding="1"') -> str:
    return f'<<table border="0" cellborder="0" {spacing}>' + "".join(rows) + "</table>>"


def _summary(array: np.ndarray) -> list[str]:
    """``[number]`` for a one-element array, otherwise ``[min, mean, max]``."""
    if array.size == 0 or array.dtype.kind not in "biuf":
        return ["empty" if array.size == 0 else f"dtype {array.dtype}"]
    if array.size == 1:
        return [f"{float(array.reshape(-1)[0]):.4g}"]
    with np.errstate(all="ignore"):  # inf - inf in a mean: show the nan, never warn
        return [f"{float(f(array)):.3g}" for f in (np.min, np.mean, np.max)]


def _tensor_label(t: Tensor, name: str | None, show_data: bool, show_grad: bool) -> str:
    stats = [("value", _summary(t._array), _MUTED)] if show_data else []
    if show_grad and t.grad is not None:
        stats.append(("grad", _summary(t.grad._array), _GRAD))
    rows = [_row([name], bold=True)] if name else []
    rows.append(_row([f"{'scalar' if t.ndim == 0 else tuple(t.shape)} {t.dtype}"]))
    if any(len(numbers) == 3 for _, numbers, _ in stats):
        rows.append(_row(["", "min", "mean", "max"], _MUTED))
    return _table(rows + [_row([title, *numbers], c) for title, numbers, c in stats])


def _module_label(title: str, ops: list[str], params: list[tuple[str, Tensor]]) -> str:
    rows = [_row([title], bold=True)] + [_row([f"{n} {tuple(p.shape)}"]) for n, p in params[:6]]
    rows += [_row([f"… {len(params) - 6} more parameters"])] if len(params) > 6 else []
    rows.append(_row(["ops: " + ", ".join(ops[:5]) + (", …" if len(ops) > 5 else "")], _MUTED))
    return _table(rows)


def _legend(kinds: set[str], show_grad: bool) -> str:
    both = "backward_op" in kinds  # then "op" alone would not say which pass
    rows = [f'<tr><td bgcolor="{fill}" color="{color}" border="1" width="18"></td><td '
            f'align="left">{"op of the forward pass" if both and text == "op" else text}</td></tr>'
            for kind, (_, _, fill, color, text) in _STYLES.items() if kind in kinds]
    if show_grad:
        rows.append(f'<tr><td colspan="2" align="left"><font color="{_GRAD}">grad</font> = '
                    ".grad after backward()</td></tr>")
    rows.insert(0, '<tr><td colspan="2" align="left"><b>legend</b></td></tr>')
    return _table(rows, 'cellspacing="3" cellpadding="2"')


# ---------------------------------------------------------------------------- drawing
def _walk(roots: list[Tensor]) -> list[Tensor]:
    """The tensors behind ``roots``, each after its inputs (a stack: no recursion)."""
    order, seen, stack = [], set(), [(r, False) for r in reversed(roots)]
    while stack:
        t, inputs_done = stack.pop()
        if inputs_done:
            order.append(t)
        elif id(t) not in seen:
            if t.graph_released:
                raise RuntimeError(f"draw_graph: the graph behind the result of op '{t._op}' "
                                   f"(shape {tuple(t.shape)}) was freed by backward(); to draw "
                                   "after it, call backward(retain_graph=True)")
            seen.add(id(t))
            stack += [(t, True)] + [(p, False) for p in reversed(t._parents)]
    return order


def _check(root: Any, modules: Any, backward: Any, names: Any, rankdir: str, collapse: Any,
           max_nodes: Any) -> list[Tensor]:
    roots = list(root) if isinstance(root, (list, tuple)) else [root]
    if not roots or not all(isinstance(r, Tensor) for r in roots):
        raise TypeError("draw_graph: root must be a Tensor (or a non-empty sequence of "
                        f"Tensors), got {type(root).__name__}")
    if rankdir not in ("LR", "RL", "TB", "BT"):
        raise ValueError(f"draw_graph: rankdir must be 'LR', 'RL', 'TB' or 'BT', got {rankdir!r}")
    if isinstance(max_nodes, bool) or not isinstance(max_nodes, (int, np.integer)) or max_nodes < 1:
        raise ValueError(f"draw_graph: max_nodes must be a positive int, got {max_nodes!r}")
    if not isinstance(collapse, (bool, int, np.integer)) or collapse < 0 or (
            collapse and modules is None):
        raise ValueError("draw_graph: collapse_modules must be a bool or a module depth (an int "
                         f">= 0), with modules= from viz.record_modules(); got {collapse!r}")
    for arg, record in (("modules", modules), ("backward", backward)):
        if record is not None and not isinstance(record, OpRecord):
            raise TypeError(f"draw_graph: {arg} must come from viz.record_{arg}(), "
                            f"got {type(record).__name__}")
    for name, t in (names or {}).items():
        if not isinstance(t, Tensor):
            raise TypeError(f"draw_graph: names[{name!r}] must be a Tensor, got {type(t).__name__}")
    return roots


def draw_graph(root: Tensor | Sequence[Tensor], model: Any = None, *,
               modules: OpRecord | None = None, backward: OpRecord | None = None,
               names: Mapping[str, Tensor] | None = None, show_data: bool = True,
               show_grad: bool = True, rankdir: str = "LR", collapse_modules: bool | int = False,
               max_nodes: int = 500, legend: bool = True) -> graphviz.Digraph:
    """Draw the computation graph that produced ``root``.

    Parameters
    ----------
    root : Tensor or sequence of Tensor
        The output (usually the loss); everything it was computed from is drawn.
    model : Module, optional
        Names parameters as ``named_parameters()`` does (default: ``modules.model``).
    modules, backward : OpRecord, optional
        From :func:`record_modules`: each module's ops and parameters in a labelled box;
        from :func:`record_backward`: that backward pass's ops in a colour of their own.
    names : mapping of str to Tensor, optional
        More names to write on tensors, e.g. ``{"x": x, "target": y}``.
    show_data, show_grad, legend : bool, optional
        Write each value and each ``.grad`` (the number, or min / mean / max); add a legend.
    rankdir : {"LR", "TB", "RL", "BT"}, optional
        The direction of the data flow.
    collapse_modules : bool or int, optional
        Draw each sub-module (``True``), or each module ``d`` levels deep, as one node.
    max_nodes : int, optional
        Refuse (:class:`GraphTooLargeError`) a picture with more nodes than this.

    Raises
    ------
    RuntimeError
        ``backward()`` freed the graph: pass it ``retain_graph=True`` to draw after it.
    """
    roots = _check(root, modules, backward, names, rankdir, collapse_modules, max_nodes)
    root_ids = {id(r) for r in roots}
    model = modules.model if model is None and modules is not None else model
    params = list(model.named_parameters()) if model is not None else []
    titles = {path: f"{path} · {type(m).__name__}"  # of module boxes and collapsed modules
              for path, m in (model.named_modules() if hasattr(model, "named_modules") else ())}
    labels = {id(p): n for n, p in params} | {id(t): str(n) for n, t in (names or {}).items()}
    owners = {id(p): n.rpartition(".")[0] for n, p in params} if modules else {}
    order = _walk(roots)
    index = {id(t): i for i, t in enumerate(order)}
    inputs = [[index[id(p)] for p in t._parents] for t in order]
    homes = [modules.block_of(t) if modules and t._op else owners.get(id(t), "") for t in order]
    shown, maker, boxes, ids = _collapse(order, inputs, homes, int(collapse_modules), root_ids)
    count = len({*shown, *maker} - {None})  # tensors, ops and collapsed modules drawn
    if count > max_nodes:
        raise GraphTooLargeError(
            f"draw_graph: the graph has {count} nodes, more than max_nodes={max_nodes}, so nothing "
            "was drawn: draw a sub-expression, collapse_modules=True or raise max_nodes")

    # nodes: id -> (kind, label, module box); into: edges into collapsed modules, once each
    nodes, edges, into = {}, [], set()
    ops_of: dict[str, dict[str, None]] = {m: {} for m in ids.values()}  # ordered sets of names
    for i, t in enumerate(order):
        op = maker[i]
        if op is not None:  # no edge inside a collapsed module
            tails = [shown[j] for j in inputs[i] if op not in (shown[j], maker[j])]
            if op in ops_of:  # x * x keeps both of its edges; a module, one per outside input
                tails = [tail for tail in dict.fromkeys(tails) if (tail, op) not in into]
                into.update((tail, op) for tail in tails)
                ops_of[op][t._op] = None
            else:
                kind = "backward_op" if backward and backward.block_of(t) else "op"
                nodes[op] = (kind, f"<{_text(t._op)}>", homes[i])
            edges += [(tail, op) for tail in tails] + ([(op, shown[i])] if shown[i] != op else [])
        if shown[i] == f"t{i}":
            kind = ("root" if id(t) in root_ids else "tensor" if t._op is not None
                    else "param" if t.requires_grad else "input")
            label = _tensor_label(t, labels.get(id(t)), show_data, show_grad)
            nodes[shown[i]] = (kind, label, boxes[i])
    for k, node in ids.items():
        owned = [(n[len(k) + 1:], p) for n, p in params if n.startswith(k + ".")]
        label = _module_label(titles.get(k, k), list(ops_of[node]), owned)
        nodes[node] = ("module", label, k.rpartition(".")[0])
    return _emit(nodes, edges, titles, rankdir, legend, show_grad)


def _collapse(order: list[Tensor], inputs: list[list[int]], homes: list[str], depth: int,
              root_ids: set[int]) -> tuple[list, list, list, dict[str, str]]:
    """Each module ``depth`` levels deep (0: none) as one node, ``m<n>``; per tensor, the node
    showing it (``t<i>``, or its module's if used only inside), the node of its op (None for
    a leaf) and its box (beside its module)."""
    keys = [".".join(h.split(".")[:depth]) if depth and h and h.count(".") >= depth - 1
            else None for h in homes]
    op_key = [k if t._op is not None else None for k, t in zip(keys, order, strict=True)]
    ids = {k: f"m{n}" for n, k in enumerate(dict.fromkeys(filter(None, op_key)))}
    used_outside = {j for i, js in enumerate(inputs) for j in js if op_key[i] != keys[j]}
    shown = [ids[k] if k and id(t) not in root_ids and i not in used_outside else f"t{i}"
             for i, (t, k) in enumerate(zip(order, keys, strict=True))]
    maker = [None if t._op is None else ids[k] if k else f"op{i}"
             for i, (t, k) in enumerate(zip(order, op_key, strict=True))]
    boxes = [k.rpartition(".")[0] if k else h for k, h in zip(keys, homes, strict=True)]
    return shown, maker, boxes, ids


def _emit(nodes: dict[str, tuple[str, str, str]], edges: list[tuple[str, str]],
          titles: Mapping[str, str], rankdir: str, legend: bool, show_grad: bool
          ) -> graphviz.Digraph:
    """The Digraph of the nodes and edges, with nested boxes (clusters) for the modules."""
    dot = graphviz.Digraph("computation_graph")
    dot.attr(rankdir=rankdir, fontname=_FONT, nodesep="0.25", ranksep="0.35", bgcolor="white")
    dot.attr("node", fontname=_FONT, fontsize="10", margin="0.08,0.04")
    dot.attr("edge", color=_MUTED, arrowsize="0.6")
    boxes: dict[str, graphviz.Digraph] = {"": dot}
    for node, (kind, label, box) in nodes.items():
        for path in [".".join(box.split(".")[:n + 1]) for n in range(box.count(".") + 1)]:
            if path not in boxes:
                boxes[path] = graphviz.Digraph(name=f"cluster_{len(boxes) - 1}")
                boxes[path].attr(label=f"<{_text(titles.get(path, path))}>", labeljust="l",
                                 fontname=_FONT, fontsize="11", color="#adb5bd",
                                 style="rounded,filled", fillcolor=_FILLS[path.count(".") % 4])
        boxes[box].node(node, label=label, **_NODE_ATTRS[kind])
    for path, box in sorted(boxes.items(), key=lambda item: -item[0].count(".")):
        if path:  # deepest first: graphviz copies a subgraph's body when it is added
            boxes[path.rpartition(".")[0]].subgraph(box)
    # A parameter that an op of its own box uses first sits on the op's rank (minlen=0), so
    # the data path runs straight through; every second one reversed: weight -> op <- bias.
    placed, beside = set(), Counter()
    for tail, head in edges:
        (kind, _, box), (head_kind, _, head_box) = nodes[tail], nodes[head]
        if kind == "param" and tail not in placed and head_kind.endswith("op") and head_box == box:
            placed.add(tail)
            beside[head] += 1
            back = beside[head] % 2 == 0
            dot.edge(*((head, tail) if back else (tail, head)), minlen="0",
                     **({"dir": "back"} if back else {}))
        else:
            dot.edge(tail, head)
    if legend:
        kinds = {kind for kind, _, _ in nodes.values()}
        dot.node("legend", _legend(kinds, show_grad), shape="plaintext", fontsize="9")
    return dot


def render_graph(dot: graphviz.Digraph, path: str | os.PathLike[str],
                 format: str | None = None) -> Path:  # noqa: A002  (graphviz's name)
    """Write ``dot`` as a picture to exactly ``path``, in the format of its suffix (or ``format``),
    and return the path: all or nothing (no half picture, no temporary file), usual file mode."""
    path = Path(path)
    fmt = format or path.suffix.lstrip(".").lower()
    if fmt not in graphviz.FORMATS:
        raise ValueError(f"render_graph: unknown format {fmt!r} for {str(path)!r}; give the "
                         "file a suffix such as .svg, .png or .pdf, or pass format=")
    path.parent.mkdir(parents=True, exist_ok=True)
    try:  # drawn in a temporary folder beside the picture, then moved: all or nothing
        with tempfile.TemporaryDirectory(dir=path.parent, prefix=".") as folder:
            picture = Path(folder).absolute() / f"picture.{fmt}"  # short: any legal name fits
            os.replace(dot.copy().render(outfile=picture, format=fmt), path)  # dot unchanged
    except graphviz.ExecutableNotFound as err:
        raise GraphvizNotFoundError(["dot"]) from err
    except OSError as err:  # name the picture, not the temporary file
        raise OSError(err.errno, err.strerror, str(path)) from err
    return path
