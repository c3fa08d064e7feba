"""Tests of tinygrad_lab.viz: the DOT text is parsed into nodes, edges and clusters and
checked structurally; rendering runs the real ``dot`` program where it is installed (and
must, on CI). Module boxes come from record_modules (forward hooks), backward ops from
record_backward."""

from __future__ import annotations

import html
import os
import re
import runpy
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import graphviz
import hypothesis.strategies as st
import numpy as np
import pytest
from hypothesis import given, settings

import tinygrad_lab as tl
from tinygrad_lab import Tensor, nn, viz
from tinygrad_lab.viz import (
    GraphTooLargeError,
    GraphvizNotFoundError,
    draw_graph,
    record_backward,
    record_modules,
    render_graph,
)

# On CI the dot program must be there: a missing one fails the render tests, never skips them.
needs_dot = pytest.mark.skipif(
    shutil.which("dot") is None and "CI" not in os.environ,
    reason="the dot program (system package graphviz) is not installed",
)


# ----------------------------------------------------------------------- DOT parsing


@dataclass
class Node:
    id: str
    attrs: dict[str, str]
    lines: list[str]  # the label's text, one entry per row
    clusters: list[str]  # labels of the clusters around it, outermost first

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


@dataclass
class Dot:
    nodes: dict[str, Node] = field(default_factory=dict)
    edges: list[tuple[str, str]] = field(default_factory=list)
    clusters: list[str] = field(default_factory=list)  # cluster labels
    beside: set[tuple[str, str]] = field(default_factory=set)  # edges with minlen=0

    def kind(self, *, label: str | None = None, **attrs: str) -> list[Node]:
        return [
            n for n in self.nodes.values()
            if (label is None or n.text == label)
            and all(n.attrs.get(k) == v for k, v in attrs.items())
        ]

    def tensors(self) -> list[Node]:
        return [n for n in self.nodes.values() if n.attrs.get("shape") == "box"]

    def ops(self) -> list[Node]:
        return [n for n in self.nodes.values() if n.attrs.get("shape") == "ellipse"]

    def op(self, name: str) -> Node:
        found = [n for n in self.ops() if n.text == name]
        assert len(found) == 1, f"expected one op node {name!r}, found {len(found)}"
        return found[0]

    def inputs(self, node_id: str) -> list[str]:
        return [a for a, b in self.edges if b == node_id]

    def outputs(self, node_id: str) -> list[str]:
        return [b for a, b in self.edges if a == node_id]

    def with_line(self, line: str) -> list[Node]:
        return [n for n in self.nodes.values() if line in n.lines]


def _html_lines(label: str) -> list[str]:
    """The text of an HTML-like label, one entry per table row, cells joined by a space."""
    lines = []
    for row in label.split("</tr>"):
        text = html.unescape(re.sub(r"<[^>]*>", " ", row))
        text = " ".join(text.split())
        if text:
            lines.append(text)
    return lines


def _read_label(text: str) -> tuple[str | None, str]:
    """Split ``label=...`` off an attribute list; return (label text, the rest)."""
    start = text.find("label=")
    if start < 0:
        return None, text
    value = text[start + len("label="):]
    if value.startswith("<"):  # HTML-like label: up to the matching '>'
        depth = 0
        for i, ch in enumerate(value):
            depth += {"<": 1, ">": -1}.get(ch, 0)
            if depth == 0:
                return "\n".join(_html_lines(value[1:i])), text[:start] + value[i + 1:]
        raise AssertionError(f"unbalanced HTML label in {text!r}")
    match = re.match(r'"((?:[^"\\]|\\.)*)"|(\S+)', value)
    assert match
    label = match.group(1) if match.group(1) is not None else match.group(2)
    return label.replace('\\"', '"'), text[:start] + value[match.end():]


def _attrs(text: str) -> dict[str, str]:
    return {
        k: v.strip('"')
        for k, v in re.findall(r'(\w+)=("(?:[^"\\]|\\.)*"|[^\s\]]+)', text)
    }


def parse(dot: graphviz.Digraph) -> Dot:
    """Nodes (with the labels of the clusters around them), edges and cluster labels."""
    out = Dot()
    stack: list[str | None] = []  # a cluster's label, or None for a plain { } block
    for raw in dot.source.splitlines():
        line = raw.strip()
        if line.startswith("subgraph cluster"):
            stack.append("")
        elif line.startswith("subgraph") or line == "{":
            stack.append(None)
        elif line == "}":
            if stack:
                stack.pop()
        elif re.match(r"^\w+=", line):  # the attributes of the graph or a subgraph
            if stack and stack[-1] == "":
                label, _ = _read_label(line)
                stack[-1] = label or ""
                out.clusters.append(stack[-1])
        elif edge := re.match(r"^(\w+) -> (\w+)(.*)$", line):
            tail, head = edge.group(1), edge.group(2)
            if "dir=back" in edge.group(3):  # drawn (and meant) from head to tail
                tail, head = head, tail
            out.edges.append((tail, head))
            if "minlen=0" in edge.group(3):  # the tail is drawn on its head's rank
                out.beside.add((tail, head))
        elif node := re.match(r"^(\w+) \[(.*)\]$", line):
            if node.group(1) in ("node", "edge", "graph"):
                continue
            label, rest = _read_label(node.group(2))
            lines = (label or "").split("\n")
            clusters = [c for c in stack if c is not None]
            out.nodes[node.group(1)] = Node(node.group(1), _attrs(rest), lines, clusters)
    return out


# -------------------------------------------------------------------------- fixtures


class Affine(nn.Module):
    """A small custom layer built from elementwise ops: x * weight + bias."""

    def __init__(self, n: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(np.linspace(0.5, 1.5, n))
        self.bias = nn.Parameter(np.zeros(n))

    def forward(self, x: Tensor) -> Tensor:
        return x * self.weight + self.bias


class Squash(nn.Module):
    def forward(self, x: Tensor) -> Tensor:
        return x.exp().log()


class Net(nn.Module):
    """A custom model with named attributes; one op runs in its own forward."""

    def __init__(self) -> None:
        super().__init__()
        self.fc1 = Affine(3)
        self.fc2 = Affine(3)

    def forward(self, x: Tensor) -> Tensor:
        return self.fc2(self.fc1(x).exp())


def _small_expression(backward: bool = True):
    a = Tensor(np.array(2.0), requires_grad=True)
    b = Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    c = Tensor(np.array([0.5, 0.5, 0.5]))
    out = (a * b + c).sum()
    if backward:
        out.backward(retain_graph=True)  # drawing needs the graph after backward
    return a, b, c, out


def _recorded(model, *inputs):
    """Run ``model`` inside record_modules; return (output, the record)."""
    with record_modules(model) as modules:
        out = model(*inputs)
    return out, modules


# ------------------------------------------------------------- the small expression


def test_small_expression_has_the_expected_nodes_edges_and_labels():
    a, b, c, out = _small_expression()
    g = parse(draw_graph(out))

    assert sorted(n.text for n in g.ops()) == ["add", "mul", "sum"]
    assert len(g.tensors()) == 6  # a, b, c, a*b, a*b+c, the sum

    mul, add, total = g.op("mul"), g.op("add"), g.op("sum")
    mul_in = [g.nodes[i] for i in g.inputs(mul.id)]
    assert sorted(n.lines[0] for n in mul_in) == ["(3,) float64", "scalar float64"]
    (mul_out,) = g.outputs(mul.id)
    (add_out,) = g.outputs(add.id)
    (sum_out,) = g.outputs(total.id)
    assert sorted(g.inputs(add.id)) == sorted([mul_out, g.with_line("value 0.5 0.5 0.5")[0].id])
    assert g.inputs(total.id) == [add_out]
    assert g.outputs(sum_out) == []
    assert len(g.edges) == 2 + 1 + 2 + 1 + 1 + 1  # inputs and output of each op

    # Values and gradients: the number for scalars, min/mean/max for arrays.
    a_node = g.nodes[[i for i in g.inputs(mul.id) if "scalar" in g.nodes[i].text][0]]
    assert a_node.lines == ["scalar float64", "value 2", "grad 6"]
    b_node = g.nodes[[i for i in g.inputs(mul.id) if "(3,)" in g.nodes[i].text][0]]
    assert b_node.lines == ["(3,) float64", "min mean max", "value 1 2 3", "grad 2 2 2"]
    assert g.nodes[mul_out].lines == ["(3,) float64", "min mean max", "value 2 4 6"]
    assert g.nodes[sum_out].lines[:2] == ["scalar float64", "value 13.5"]


@settings(max_examples=25)
@given(st.lists(st.tuples(st.sampled_from(["add", "mul", "neg"]), st.integers(0, 99),
                          st.integers(0, 99)), min_size=1, max_size=12))
def test_random_expressions_draw_every_tensor_op_and_edge_once(program):
    """For any expression DAG: one tensor node per tensor, one op node per op, and the
    edges are exactly the op inputs (with repeats) and the op outputs."""
    pool = [Tensor(np.array([1.0, 2.0]), requires_grad=True), Tensor(np.array([0.5, -0.5]))]
    for op, i, j in program:
        a, b = pool[i % len(pool)], pool[j % len(pool)]
        pool.append(a + b if op == "add" else a * b if op == "mul" else -a)
    root = pool[-1]
    behind, stack = {}, [root]  # the tensors root was computed from, found independently
    while stack:
        t = stack.pop()
        if id(t) not in behind:
            behind[id(t)] = t
            stack.extend(t.parents)
    g = parse(draw_graph(root, max_nodes=1000))
    assert len(g.tensors()) == len(behind)
    assert sorted(n.text for n in g.ops()) == sorted(t.op for t in behind.values() if t.op)
    expected_edges = sum(len(t.parents) + 1 for t in behind.values() if t.op)
    assert len(g.edges) == expected_edges
    for op in g.ops():
        (result,) = g.outputs(op.id)
        assert g.nodes[result].attrs["shape"] == "box"
        assert len(g.inputs(op.id)) == (1 if op.text == "neg" else 2)


def test_kinds_of_nodes_look_different_and_have_a_legend():
    a, b, c, out = _small_expression()
    g = parse(draw_graph(out, names={"c": c}))
    (root,) = [n for n in g.nodes.values() if n.attrs.get("peripheries") == "2"]
    assert root.lines[:2] == ["scalar float64", "value 13.5"]
    (c_node,) = g.with_line("c")
    param_nodes = [g.nodes[i] for i in g.inputs(g.op("mul").id)]
    styles = {
        (n.attrs["fillcolor"], n.attrs["style"])
        for n in [root, c_node, param_nodes[0], g.op("mul"), g.nodes[g.outputs(g.op("mul").id)[0]]]
    }
    assert len(styles) == 5  # root, input, parameter, op, intermediate: all distinct
    assert param_nodes[0].attrs == param_nodes[1].attrs  # both parameters alike
    legend = g.nodes["legend"]
    assert legend.lines[0] == "legend"
    assert {"parameter / leaf that needs grad", "input / constant (no grad)", "op",
            "intermediate tensor", "output (the root)"} <= set(legend.lines)
    assert "module (collapsed)" not in legend.lines  # only the kinds present
    assert "legend" not in parse(draw_graph(out, legend=False)).nodes


def test_data_and_grad_rows_follow_the_flags_and_backward():
    a, b, c, out = _small_expression(backward=False)
    before = parse(draw_graph(out))
    assert not [n for n in before.tensors() if any(x.startswith("grad ") for x in n.lines)]
    out.backward(retain_graph=True)
    after = parse(draw_graph(out))
    with_grad = [n for n in after.tensors() if any(x.startswith("grad ") for x in n.lines)]
    assert len(with_grad) == 2  # the two leaves; intermediates keep no grad by default
    no_data = parse(draw_graph(out, show_data=False, show_grad=False))
    assert all(len(n.lines) == 1 for n in no_data.nodes.values() if n.id != "legend")


def test_retained_intermediate_gradient_is_shown():
    x = Tensor(np.array([1.0, -2.0]), requires_grad=True)
    h = (x * 3.0).retain_grad()
    out = (h * h).sum()
    out.backward(retain_graph=True)
    g = parse(draw_graph(out))
    (h_node,) = g.with_line("value -6 -1.5 3")
    assert "grad -12 -3 6" in h_node.lines


def test_repeated_input_keeps_both_edges_and_multiple_roots():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = x * x
    z = y.exp()
    g = parse(draw_graph([y, z]))
    mul = g.op("mul")
    assert len(g.inputs(mul.id)) == 2 and len(set(g.inputs(mul.id))) == 1
    assert len([n for n in g.nodes.values() if n.attrs.get("peripheries") == "2"]) == 2


def test_summaries_of_other_dtypes():
    for data, expected in [
        (np.zeros((0, 3)), "value empty"),
        (np.array([True, False, True, True]), "value 0 0.75 1"),
        (np.array([[7]]), "value 7"),
        (np.array([1.0, np.nan]), "value nan nan nan"),
    ]:
        g = parse(draw_graph(Tensor(data)))
        (node,) = [n for n in g.nodes.values() if n.id != "legend"]
        assert expected in node.lines, (data, node.lines)


def test_a_graph_freed_by_backward_asks_for_retain_graph():
    a, b, c, out = _small_expression(backward=False)
    out.backward()  # frees the graph: keeping the loss keeps no intermediates
    assert out.graph_released
    with pytest.raises(RuntimeError, match=r"freed by backward\(\).*retain_graph=True"):
        draw_graph(out)
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = x.exp()
    z = y * 2.0
    (y * 3.0).backward(np.ones(2))  # frees y's op, which z's graph runs through
    with pytest.raises(RuntimeError, match="op 'exp'"):
        draw_graph(z)
    _, _, _, kept = _small_expression()  # backward(retain_graph=True)
    assert "grad 6" in parse(draw_graph(kept)).with_line("scalar float64")[0].lines


def test_leaf_root_and_graph_survives_backward():
    x = Tensor(np.array([1.0]), requires_grad=True)
    g = parse(draw_graph(x))
    assert [n.id for n in g.nodes.values() if n.id != "legend"] == ["t0"]
    assert g.edges == []


def test_bad_arguments_are_clear():
    a, b, c, out = _small_expression()
    with pytest.raises(TypeError, match="root must be a Tensor"):
        draw_graph(np.ones(3))
    with pytest.raises(ValueError, match="rankdir"):
        draw_graph(out, rankdir="XY")
    with pytest.raises(ValueError, match="max_nodes"):
        draw_graph(out, max_nodes=0)
    with pytest.raises(ValueError, match="collapse_modules"):
        draw_graph(out, collapse_modules=-1)
    with pytest.raises(ValueError, match=r"collapse_modules .* with modules="):
        draw_graph(out, collapse_modules=True)
    with pytest.raises(TypeError, match=r"modules must come from viz.record_modules"):
        draw_graph(out, modules=nn.Linear(2, 2))
    with pytest.raises(TypeError, match=r"backward must come from viz.record_backward"):
        draw_graph(out, backward=True)
    with pytest.raises(TypeError, match=r"names\['c'\]"):
        draw_graph(out, names={"c": np.ones(3)})


def test_rankdir_is_passed_to_graphviz():
    a, b, c, out = _small_expression()
    assert "rankdir=TB" in draw_graph(out, rankdir="TB").source


# ---------------------------------------------------------------------- modules


def test_sequential_clusters_and_parameter_names():
    model = nn.Sequential(Affine(3), Squash(), Affine(3))
    x = Tensor(np.array([[1.0, 2.0, 3.0], [0.0, -1.0, 1.0]]))
    y, modules = _recorded(model, x)
    out = y.sum()
    out.backward(retain_graph=True)
    dot = parse(draw_graph(out, modules=modules))
    assert sorted(dot.clusters) == ["0 · Affine", "1 · Squash", "2 · Affine"]
    for name, cluster in [("0.weight", "0 · Affine"), ("0.bias", "0 · Affine"),
                          ("2.weight", "2 · Affine"), ("2.bias", "2 · Affine")]:
        (node,) = dot.with_line(name)
        assert node.clusters == [cluster]
        assert node.lines[1] == "(3,) float64"
        assert any(line.startswith("grad ") for line in node.lines)
    ops_in = {c: sorted(n.text for n in dot.ops() if n.clusters == [c]) for c in dot.clusters}
    assert ops_in == {"0 · Affine": ["add", "mul"], "1 · Squash": ["exp", "log"],
                      "2 · Affine": ["add", "mul"]}
    assert [n.text for n in dot.ops() if not n.clusters] == ["sum"]  # made outside the record
    # The weight of layer 0 feeds the mul in layer 0.
    (w0,) = dot.with_line("0.weight")
    (mul0,) = [n for n in dot.ops() if n.text == "mul" and n.clusters == ["0 · Affine"]]
    assert w0.id in dot.inputs(mul0.id)
    # Without the record: parameter names, but no boxes.
    plain = parse(draw_graph(out, model))
    assert plain.clusters == [] and len(plain.with_line("0.weight")) == 1


def _lab_net() -> nn.Sequential:
    return nn.Sequential(
        nn.Linear(2, 4), nn.Sigmoid(), nn.Linear(4, 4), nn.Sigmoid(), nn.Linear(4, 1), nn.Sigmoid()
    )


def test_lab_network_with_real_layers():
    model = _lab_net()
    x = Tensor(np.array([[0.1, 0.9], [0.8, 0.2], [0.5, 0.4]], dtype=np.float32))
    y, modules = _recorded(model, x)
    out = y.sum()
    out.backward(retain_graph=True)
    g = parse(draw_graph(out, modules=modules))
    assert g.clusters == [f"{i} · {'Sigmoid' if i % 2 else 'Linear'}" for i in range(6)]
    assert sorted(n.text for n in g.ops()) == ["linear"] * 3 + ["sigmoid"] * 3 + ["sum"]
    for i, shape in [(0, "(4, 2)"), (2, "(4, 4)"), (4, "(1, 4)")]:
        (weight,) = g.with_line(f"{i}.weight")
        (bias,) = g.with_line(f"{i}.bias")
        assert weight.lines[1] == f"{shape} float32"
        assert weight.clusters == bias.clusters == [f"{i} · Linear"]
        assert any(line.startswith("grad ") for line in weight.lines)
        (linear,) = [n for n in g.ops() if n.clusters == [f"{i} · Linear"]]
        assert len(g.inputs(linear.id)) == 3
        assert {weight.id, bias.id} < set(g.inputs(linear.id))
        # The parameters sit on the op's own rank, so the data path runs straight.
        assert {(weight.id, linear.id), (bias.id, linear.id)} <= g.beside
        (data_in,) = [t for t in g.inputs(linear.id) if t not in (weight.id, bias.id)]
        assert (data_in, linear.id) not in g.beside
    (x_node,) = [n for n in g.tensors() if n.lines[0] == "(3, 2) float32"]
    assert x_node.clusters == [] and x_node.attrs["style"] == "filled,dashed"

    collapsed = parse(draw_graph(out, modules=modules, collapse_modules=True))
    assert [n.lines[:3] for n in collapsed.nodes.values() if n.attrs["shape"] == "box3d"] == [
        ["0 · Linear", "weight (4, 2)", "bias (4,)"], ["1 · Sigmoid", "ops: sigmoid"],
        ["2 · Linear", "weight (4, 4)", "bias (4,)"], ["3 · Sigmoid", "ops: sigmoid"],
        ["4 · Linear", "weight (1, 4)", "bias (1,)"], ["5 · Sigmoid", "ops: sigmoid"],
    ]
    assert [n.text for n in collapsed.ops()] == ["sum"]
    assert len(collapsed.tensors()) == 1 + 6 + 1  # x, one result per module, the root


def test_custom_module_with_named_attributes_and_nested_clusters():
    model = Net()
    x = Tensor(np.array([0.1, 0.2, 0.3]))
    out, modules = _recorded(model, x)
    g = parse(draw_graph(out, modules=modules))
    assert sorted(g.clusters) == ["fc1 · Affine", "fc2 · Affine"]
    assert {n.lines[0] for n in g.nodes.values() if n.lines[0].startswith("fc")} == {
        "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"
    }
    (exp,) = [n for n in g.ops() if n.text == "exp"]
    assert exp.clusters == []  # ran in Net.forward itself, not in a sub-module

    # Modules inside modules: clusters nest like the module paths.
    outer = nn.Sequential(Net(), Squash())
    y, modules = _recorded(outer, x)
    g = parse(draw_graph(y, modules=modules))
    (w,) = g.with_line("0.fc2.weight")
    assert w.clusters == ["0 · Net", "0.fc2 · Affine"]
    assert g.op("log").clusters == ["1 · Squash"]


def test_modules_called_through_containers_or_shared_get_their_named_modules_name():
    class Indexing(nn.Module):
        def __init__(self):
            super().__init__()
            self.body = nn.Sequential(Affine(2), nn.Sequential(Squash()))
            self.act = Squash()

        def forward(self, x):  # the Sequentials themselves are never called
            return self.act(self.act(self.body[1][0](self.body[0](x))))

    model = Indexing()
    out, modules = _recorded(model, Tensor(np.array([0.5, 1.0])))
    g = parse(draw_graph(out, modules=modules))
    assert g.op("mul").clusters == ["body · Sequential", "body.0 · Affine"]
    squash_ops = [n.clusters for n in g.ops() if n.text == "exp"]
    assert sorted(squash_ops) == [["act · Squash"], ["act · Squash"],
                                  ["body · Sequential", "body.1 · Sequential",
                                   "body.1.0 · Squash"]]


def test_record_modules_leaves_no_hooks_and_survives_a_failing_forward():
    model = nn.Sequential(Affine(2), Squash(), Affine(3))  # 2 then 3: the last layer fails
    x = Tensor(np.array([1.0, 2.0]))
    with record_modules(model) as modules:
        with pytest.raises(ValueError):
            model(x)
        y = x.exp()  # made after the failure: outside every module
    assert all(not m._forward_hooks and not m._forward_pre_hooks for m in model.modules())
    assert modules.block_of(y) == "" and modules.block_of(x) == ""
    h = model[1](model[0](x))  # made after the block: outside the record
    assert modules.block_of(h) == ""


def test_collapse_modules_draws_each_submodule_as_one_node():
    model = Net()
    x = Tensor(np.array([0.1, 0.2, 0.3]))
    y, modules = _recorded(model, x)
    out = y.sum()
    out.backward(retain_graph=True)
    g = parse(draw_graph(out, modules=modules, collapse_modules=True))
    boxes = {n.lines[0]: n for n in g.nodes.values() if n.attrs.get("shape") == "box3d"}
    assert set(boxes) == {"fc1 · Affine", "fc2 · Affine"}
    assert boxes["fc1 · Affine"].lines[1:] == ["weight (3,)", "bias (3,)", "ops: mul, add"]
    assert sorted(n.text for n in g.ops()) == ["exp", "sum"]  # what ran outside sub-modules
    assert not [n for n in g.nodes.values() if any(x.startswith("fc1.") for x in n.lines)]
    assert g.clusters == []
    # x -> fc1 -> (3,) -> exp -> (3,) -> fc2 -> (3,) -> sum -> root
    fc1, fc2 = boxes["fc1 · Affine"].id, boxes["fc2 · Affine"].id
    (x_node,) = g.inputs(fc1)
    assert g.nodes[x_node].attrs["style"] == "filled,dashed"
    (h1,) = g.outputs(fc1)
    assert g.outputs(h1) == [g.op("exp").id]
    (h2,) = g.inputs(fc2)
    (h3,) = g.outputs(fc2)
    assert g.outputs(h3) == [g.op("sum").id]
    assert "module (collapsed)" in g.nodes["legend"].lines


def test_collapse_keeps_a_parameter_that_is_used_outside_its_module():
    model = Net()
    y, modules = _recorded(model, Tensor(np.array([0.1, 0.2, 0.3])))
    out = y * model.fc1.weight
    g = parse(draw_graph(out, modules=modules, collapse_modules=True))
    (w,) = g.with_line("fc1.weight")
    assert w.clusters == []
    fc1 = [n for n in g.nodes.values() if n.lines[0] == "fc1 · Affine"][0]
    assert g.inputs(fc1.id).count(w.id) == 1  # one edge per outside input
    assert fc1.lines[1:3] == ["weight (3,)", "bias (3,)"]


def test_collapse_depth_two_keeps_outer_clusters():
    outer = nn.Sequential(Net(), Squash())
    y, modules = _recorded(outer, Tensor(np.array([0.1, 0.2, 0.3])))
    g = parse(draw_graph(y, modules=modules, collapse_modules=2))
    boxes = [n for n in g.nodes.values() if n.attrs.get("shape") == "box3d"]
    assert sorted(n.lines[0] for n in boxes) == ["0.fc1 · Affine", "0.fc2 · Affine"]
    assert all(n.clusters == ["0 · Net"] for n in boxes)
    assert [n.text for n in g.ops() if n.clusters == ["0 · Net"]] == ["exp"]
    assert sorted(g.clusters) == ["0 · Net", "1 · Squash"]
    assert sorted(n.text for n in g.ops() if n.clusters == ["1 · Squash"]) == ["exp", "log"]


# ------------------------------------------------------------------ higher order


def test_a_gradient_made_with_create_graph_shows_its_backward_ops_and_a_legend():
    w = Tensor(np.array([0.5, -1.0]), requires_grad=True)
    x = Tensor(np.array([2.0, 3.0]))
    loss = (x * w).exp()
    with record_backward() as backward_ops:
        (g,) = tl.autograd.grad(loss, w, grad_outputs=np.ones(2), create_graph=True)
    after = g * 2.0  # a forward op on the gradient, made after the backward pass
    dot = parse(draw_graph(after, backward=backward_ops))
    backward_fill = viz._NODE_ATTRS["backward_op"]["fillcolor"]
    forward_fill = viz._NODE_ATTRS["op"]["fillcolor"]
    assert backward_fill != forward_fill
    forward = [n for n in dot.ops() if n.attrs["fillcolor"] == forward_fill]
    backward = [n for n in dot.ops() if n.attrs["fillcolor"] == backward_fill]
    # d/dw exp(x w) = exp(x w) * x: the forward mul and exp, the backward's own mul(s),
    # and the mul by 2 made afterwards, a forward op again.
    assert sorted(n.text for n in forward) == ["exp", "mul", "mul"]
    assert backward and {n.text for n in backward} == {"mul"}
    legend = dot.nodes["legend"].lines
    assert "op of the forward pass" in legend and "op of the backward pass" in legend
    # Without the record every op looks alike, and the legend says "op".
    plain = parse(draw_graph(after))
    assert {n.attrs["fillcolor"] for n in plain.ops()} == {forward_fill}
    assert "op" in plain.nodes["legend"].lines


def test_records_tell_which_block_made_an_op():
    model = nn.Sequential(Squash())
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    with record_modules(model) as modules:
        y = model(x)  # log(exp(x))
    with record_backward() as backward_ops:
        (g,) = tl.autograd.grad(y, x, np.ones(2), create_graph=True)  # made by the backward
    assert modules.block_of(y) == modules.block_of(y.parents[0]) == "0"
    assert modules.block_of(x) == modules.block_of(g) == ""  # a leaf; made after the record
    assert backward_ops.block_of(g) == "backward" and backward_ops.block_of(y) == ""


# ----------------------------------------------------------------------- max_nodes


def _chain(length: int) -> Tensor:
    x = Tensor(np.array(0.5), requires_grad=True)
    y = x
    for _ in range(length):
        y = y * 1.0
    return y


def test_too_many_nodes_raises_with_the_count_and_a_hint():
    y = _chain(30)  # 30 ops and 31 tensors (the number 1.0 is a constant of the op)
    with pytest.raises(GraphTooLargeError) as info:
        draw_graph(y, max_nodes=60)
    message = str(info.value)
    assert "has 61 nodes, more than max_nodes=60" in message
    assert "sub-expression" in message
    assert isinstance(info.value, ValueError)
    assert len(parse(draw_graph(y, max_nodes=61)).nodes) == 61 + 1  # and the legend


def test_too_many_nodes_after_collapsing_reports_the_exact_count():
    model = nn.Sequential(*[Affine(2) for _ in range(6)])
    out, modules = _recorded(model, Tensor(np.ones(2)))
    # Collapsed: 6 modules, 5 tensors between them, the root and x: 13 nodes.
    dot = draw_graph(out, modules=modules, collapse_modules=True, max_nodes=13)
    assert len(parse(dot).nodes) == 14
    with pytest.raises(GraphTooLargeError, match=r"has 13 nodes, more than max_nodes=12"):
        draw_graph(out, modules=modules, collapse_modules=True, max_nodes=12)


def _identity_chain(length: int) -> Tensor:
    y = Tensor(np.array(0.5), requires_grad=True)
    for _ in range(length):
        y = Tensor.from_op(y.numpy(), (y,), lambda g, out, x: (g,), "identity")
    return y


def test_deep_graph_is_walked_without_recursion():
    assert sys.getrecursionlimit() < 5000
    with pytest.raises(GraphTooLargeError, match="has 10001 nodes, more than max_nodes=500"):
        draw_graph(_identity_chain(5000))
    g = parse(draw_graph(_identity_chain(2000), max_nodes=10_000, show_data=False))
    assert len(g.ops()) == 2000 and len(g.tensors()) == 2001


# ------------------------------------------------------------------------ escaping

_ODD_NAMES = ["]x", "a\x00b", 'say "hi"', "<b>&amp;</b>", "it's", "x\ny", "{}[];=->",
              "ünï · 名前 😀", "\\", "\ud800"]


@needs_dot
@settings(max_examples=30)
@given(st.text(max_size=12))
def test_any_name_renders_as_written(name):
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    dot = draw_graph(x * 2.0, names={name: x})
    (node,) = [n for n in parse(dot).tensors() if n.attrs["style"] == "rounded,filled"]
    shown = "".join(c if c.isprintable() else repr(c)[1:-1] for c in name)  # NUL -> \x00
    assert node.lines[0] == " ".join(shown.split()) or not shown.strip()
    dot.pipe(format="svg")  # dot accepts it


@needs_dot
def test_odd_names_of_tensors_ops_and_modules_render(tmp_path):
    class Odd(nn.Module):
        def forward(self, x):
            return Tensor.from_op(x.numpy() * 2, (x,), lambda g, out, x: (2 * g,), "]op\x00<&>")

    model = nn.Sequential()
    model.add_module("]m\x00<&>\"", Odd())
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    out, modules = _recorded(model, x)
    for name in _ODD_NAMES:
        dot = draw_graph(out, modules=modules, names={name: x})
        svg = render_graph(dot, tmp_path / "odd.svg").read_text(encoding="utf-8")
        assert "]op\\x00&lt;&amp;&gt;" in svg and "]m\\x00&lt;&amp;&gt;" in svg
    assert sorted(p.name for p in tmp_path.iterdir()) == ["odd.svg"]


# ------------------------------------------------------------------------ rendering


@needs_dot
@pytest.mark.parametrize("fmt", ["svg", "png"])
def test_render_graph_writes_the_file(tmp_path, fmt):
    a, b, c, out = _small_expression()
    path = render_graph(draw_graph(out), tmp_path / "sub" / f"graph.{fmt}")
    assert path == tmp_path / "sub" / f"graph.{fmt}"
    data = path.read_bytes()
    if fmt == "svg":
        assert b"<svg" in data and b">mul<" in data
    else:
        assert data.startswith(b"\x89PNG")
    assert sorted(p.name for p in path.parent.iterdir()) == [f"graph.{fmt}"]


@needs_dot
def test_a_failed_render_leaves_no_file_behind(tmp_path, monkeypatch):
    a, b, c, out = _small_expression()
    dot = draw_graph(out)
    (tmp_path / "graph.svg").mkdir()  # the target is a folder: the final rename fails
    with pytest.raises(OSError, match="graph.svg"):
        render_graph(dot, tmp_path / "graph.svg")
    assert [p.name for p in tmp_path.iterdir()] == ["graph.svg"]

    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(viz.os, "replace", full_disk)
    with pytest.raises(OSError, match=r"No space left.*picture\.svg"):
        render_graph(dot, tmp_path / "picture.svg")
    assert [p.name for p in tmp_path.iterdir()] == ["graph.svg"]


@needs_dot
def test_render_graph_keeps_the_umask_and_takes_long_names(tmp_path):
    a, b, c, out = _small_expression()
    old = os.umask(0o027)
    try:
        path = render_graph(draw_graph(out), tmp_path / ("g" * 250 + ".svg"))
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o640


@needs_dot
def test_digraph_render_and_jupyter_display(tmp_path):
    model = Net()
    y, modules = _recorded(model, Tensor(np.array([0.1, 0.2, 0.3])))
    out = y.sum()
    out.backward(retain_graph=True)
    dot = draw_graph(out, modules=modules)
    written = dot.render(tmp_path / "graph", format="svg")
    assert (tmp_path / "graph.svg").read_text().count("fc1.weight") == 1
    assert written.endswith("graph.svg")
    bundle = dot._repr_mimebundle_()
    assert "<svg" in bundle["image/svg+xml"]


@needs_dot
def test_example_script_writes_the_lab_pictures(tmp_path, monkeypatch):
    script = Path(__file__).resolve().parents[1] / "examples" / "draw_graph.py"
    monkeypatch.setattr(sys, "argv", [str(script), "--out", str(tmp_path)])
    runpy.run_path(str(script), run_name="__main__")
    svg = (tmp_path / "lab_graph.svg").read_text()
    for text in ("fc1 · Linear", "fc3.weight", "sigmoid", "mse_loss", "grad"):
        assert text in svg
    assert (tmp_path / "lab_graph.png").read_bytes().startswith(b"\x89PNG")


@needs_dot
def test_a_users_op_name_is_drawn_literally():
    x = Tensor(np.ones(2), requires_grad=True)
    y = Tensor.from_op(x.numpy() * 2, (x,), lambda g, out, x: (2 * g,), "<lambda>")
    dot = draw_graph(y)
    assert parse(dot).op("<lambda>").attrs["shape"] == "ellipse"
    assert ">&lt;lambda&gt;<" in dot.pipe(format="svg", encoding="utf-8")


def test_render_graph_bad_format(tmp_path):
    a, b, c, out = _small_expression()
    with pytest.raises(ValueError, match="format"):
        render_graph(draw_graph(out), tmp_path / "graph")
    with pytest.raises(ValueError, match="unknown format 'xyz'"):
        render_graph(draw_graph(out), tmp_path / "graph.xyz")
    assert list(tmp_path.iterdir()) == []


def test_missing_dot_program_says_to_install_graphviz(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty folder: no dot on PATH
    a, b, c, out = _small_expression()
    with pytest.raises(GraphvizNotFoundError, match="apt-get install graphviz") as info:
        render_graph(draw_graph(out), tmp_path / "g.svg")
    assert isinstance(info.value, graphviz.ExecutableNotFound)
    assert "system package" in str(info.value)
    assert list(tmp_path.iterdir()) == []


def test_import_without_the_graphviz_package():
    """`import tinygrad_lab` needs no graphviz; viz then names the package to install."""
    code = (
        "import sys; sys.modules['graphviz'] = None\n"  # makes `import graphviz` fail
        "import tinygrad_lab, tinygrad_lab.nn\n"
        "assert 'tinygrad_lab.viz' not in sys.modules\n"
        "try:\n"
        "    import tinygrad_lab.viz\n"
        "except ImportError as err:\n"
        "    print(err)\n"
    )
    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": str(root)}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, check=True)
    assert "'graphviz' Python package" in done.stdout and "pip install graphviz" in done.stdout


def test_viz_module_exports():
    assert set(viz.__all__) == {
        "GraphTooLargeError", "GraphvizNotFoundError", "OpRecord", "draw_graph",
        "record_backward", "record_modules", "render_graph",
    }
