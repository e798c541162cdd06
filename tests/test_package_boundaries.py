"""The shape of the code: the apps share the lobby core and never import each other.

The agent, the kiosk and head office each depend on `lobby/`; `tools/` (demo, simulator,
journey driver) may use all of them but nothing installed may use `tools/`. Imports inside
functions count too: a late import is still a dependency, and a cycle hidden in one is
still a cycle.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import REPO

PACKAGES = ("lobby", "edge_agent", "kiosk", "head_office", "tools")
# What each package may import of the others.
ALLOWED = {
    "lobby": set(),
    "edge_agent": {"lobby"},
    "kiosk": {"lobby"},
    "head_office": {"lobby"},
    "tools": {"lobby", "edge_agent", "kiosk", "head_office"},
}


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (REPO / package).rglob("*.py"):
            parts = path.relative_to(REPO).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


def _imports(path: Path, name: str, known: set[str]) -> set[str]:
    """The project modules `path` imports, anywhere in the file."""
    is_package = path.name == "__init__.py"
    targets: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = name.split(".")
                anchor = anchor if is_package else anchor[:-1]
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            names = [f"{base}.{alias.name}" for alias in node.names] + [base]
        else:
            continue
        for candidate in names:
            # `from a.b import c`: c may be a module or a name inside a.b.
            while candidate and candidate not in known:
                candidate = candidate.rpartition(".")[0]
            if candidate and candidate != name:
                targets.add(candidate)
    return targets


MODULES = _modules()
GRAPH = {name: _imports(path, name, set(MODULES)) for name, path in MODULES.items()}


@pytest.mark.parametrize("package", PACKAGES)
def test_each_package_imports_only_what_it_may(package):
    wrong = sorted(
        f"{module} imports {target}"
        for module, targets in GRAPH.items()
        if module.split(".")[0] == package
        for target in targets
        if target.split(".")[0] not in ALLOWED[package] | {package}
    )
    assert not wrong, "\n".join(wrong)


def test_there_are_no_import_cycles():
    # Tarjan's strongly connected components: any component of two or more is a cycle.
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in GRAPH[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in GRAPH:
        if node not in index:
            visit(node)
    assert not cycles, f"import cycles: {cycles}"


def test_the_check_sees_a_cross_import(tmp_path):
    """The walker itself: a late import of the agent from the kiosk is found."""
    source = tmp_path / "late.py"
    source.write_text("def f():\n    from edge_agent.branch import Branch\n    return Branch\n")
    assert "edge_agent.branch" in _imports(source, "kiosk.late", set(MODULES))
