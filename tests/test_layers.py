"""The package's layers: nothing imports from a layer above it, no import hides in a
function, and `import tinygrad_lab` needs neither graphviz nor the tools."""

import importlib.util
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("import_graph", ROOT / "scripts/import_graph.py")
import_graph = importlib.util.module_from_spec(spec)
spec.loader.exec_module(import_graph)

# Bottom to top; a module may import its own layer's modules and those below.
LAYERS = [
    {"engine", "dtypes", "random", "cuda"},
    {"tensor"},
    {"ops", "factories", "autograd"},
    {"nn", "optim", "compile", "testing"},
    {"viz", "serialization", "data", "utils"},
]


def layer_of(module: str) -> int:
    parts = module.split(".")
    if len(parts) == 1:
        return len(LAYERS)  # the package itself: the top
    for rank, names in enumerate(LAYERS):
        if parts[1] in names:
            return rank
    raise AssertionError(f"{module} is in no layer: add it to LAYERS")


def test_no_module_imports_from_a_layer_above_it():
    wrong = [
        f"{module} (layer {layer_of(module)}) imports {target} (layer {layer_of(target)})"
        for module, targets in import_graph.graph().items()
        for target in targets
        if layer_of(target) > layer_of(module)
    ]
    assert not wrong, "\n".join(wrong)


def find_cycle(graph: dict[str, list[str]]) -> list[str] | None:
    """A cycle of imports (``[a, b, ..., a]``), or None: depth first, by module."""
    state: dict[str, str] = {}  # "open" while on the current path, then "done"

    def visit(module: str, path: list[str]) -> list[str] | None:
        state[module] = "open"
        for target in graph.get(module, ()):
            if state.get(target) == "open":
                return [*path[path.index(target):], module, target] if target in path \
                    else [module, target]
            if target not in state and (cycle := visit(target, [*path, module])):
                return cycle
        state[module] = "done"
        return None

    return next(filter(None, (visit(m, []) for m in graph if m not in state)), None)


def test_no_import_cycles():
    assert find_cycle({"a": ["b"], "b": ["c"], "c": ["a"]}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": ["a"]}) == ["a", "a"]
    assert find_cycle({"a": ["b", "c"], "b": ["c"], "c": []}) is None
    cycle = find_cycle(import_graph.graph())
    assert cycle is None, " -> ".join(cycle)


def test_no_import_inside_a_function():
    nested = []
    for path in sorted(import_graph.PACKAGE.rglob("*.py")):
        _, lines = import_graph.imports_of(path)
        nested += [f"{path.relative_to(ROOT)}:{n}" for n in lines]
    assert not nested, nested


def test_import_needs_no_graphviz_and_loads_no_tools():
    code = (
        "import sys; sys.modules['graphviz'] = None\n"  # as if it were not installed
        "import tinygrad_lab as tl\n"
        "loaded = sorted(m for m in sys.modules if m.startswith('tinygrad_lab.viz')"
        " or m.startswith('tinygrad_lab.testing'))\n"
        "assert not loaded, loaded\n"
        "x = tl.tensor([1.0, 2.0], requires_grad=True); (x * x).backward(tl.ones(2))\n"
        "try:\n    tl.viz\nexcept ImportError as e:\n    assert 'graphviz' in str(e), e\n"
        "else:\n    raise AssertionError('tl.viz imported without graphviz')\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
