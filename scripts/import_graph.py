"""Print the package's import graph: each module and the package modules it imports.

    python scripts/import_graph.py            # module -> imports, one line each
    python scripts/import_graph.py --dot      # the same as a graphviz DOT graph

Read from the source (the ``ast`` of every file), so it shows every import, whether or
not it runs; tests/test_layers.py checks the layering with the same function.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "tinygrad_lab"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> tuple[set[str], list[int]]:
    """(package modules imported at module level, line numbers of imports in functions)."""
    tree = ast.parse(path.read_text())
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    nested: list[int] = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            if node not in tree.body and not _under_type_checking(tree, node):
                nested.append(node.lineno)
            for target in _targets(node, package):
                if target.split(".")[0] == "tinygrad_lab" and target != name:
                    found.add(_existing(target))
    return found, nested


def _under_type_checking(tree: ast.Module, node: ast.AST) -> bool:
    for top in tree.body:
        if isinstance(top, ast.If) and "TYPE_CHECKING" in ast.unparse(top.test):
            if any(child is node for child in ast.walk(top)):
                return True
    return False


def _targets(node: ast.AST, package: str) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = package
    for _ in range(node.level - 1):
        base = base.rpartition(".")[0]
    base = f"{base}.{node.module}" if node.level and node.module else (node.module or base)
    if node.level == 0 and node.module:
        base = node.module
    # `from .x import y`: y is a module of x, or a name defined in x.
    return [_existing(f"{base}.{alias.name}") for alias in node.names]


def _existing(target: str) -> str:
    """The longest prefix of ``target`` that is a module of the package."""
    parts = target.split(".")
    while parts:
        path = PACKAGE.parent.joinpath(*parts)
        if path.with_suffix(".py").exists() or (path / "__init__.py").exists():
            return ".".join(parts)
        parts.pop()
    return target


def graph() -> dict[str, set[str]]:
    edges = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        found, _ = imports_of(path)
        edges[module_name(path)] = {m for m in found if m != module_name(path)}
    return edges


def main() -> None:
    edges = graph()
    if "--dot" in sys.argv:
        print("digraph imports {")
        for module, targets in edges.items():
            for target in sorted(targets):
                print(f'  "{module}" -> "{target}";')
        print("}")
        return
    for module, targets in edges.items():
        print(f"{module:38} -> {', '.join(sorted(targets)) or '(nothing)'}")


if __name__ == "__main__":
    main()
