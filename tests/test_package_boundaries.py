"""The shape of the code: the apps share the lobby core and never import each other.

The agent, the kiosk and head office each depend on `lobby/`; `tools/` (demo, simulator,
journey driver) may use all of them but nothing installed may use `tools/`. Imports inside
functions count too: a late import is still a dependency, and a cycle hidden in one is
still a cycle.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterator
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


# ---- where things live ----------------------------------------------------------------------

# The packages that may speak SQL: the branch's store and head office's data layer.
SQL_HOMES = ("edge_agent.store", "head_office.db")
_SQL = re.compile(r"\b(SELECT\s.+\sFROM|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|CREATE\s+(TABLE|INDEX)|ALTER\s+TABLE)\b", re.S)


def _nodes(modules: dict[str, Path], looked_at: Callable[[str], bool]) -> Iterator[tuple[str, ast.AST]]:
    """Every syntax node of the modules whose name `looked_at` accepts, with that name."""
    for name, path in modules.items():
        if looked_at(name):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                yield name, node


def _sql_outside_the_stores(modules: dict[str, Path]) -> list[str]:
    apps = ("edge_agent", "head_office")
    return [
        f"{name}:{node.lineno}: {node.value.strip()[:60]}"
        for name, node in _nodes(modules, lambda name: name.split(".")[0] in apps and not name.startswith(SQL_HOMES))
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and _SQL.search(node.value)
    ]


def test_sql_lives_only_in_the_store_packages():
    found = _sql_outside_the_stores(MODULES)
    assert not found, "SQL outside edge_agent/store and head_office/db:\n" + "\n".join(found)


def test_the_sql_check_sees_a_statement(tmp_path):
    source = tmp_path / "desk.py"
    source.write_text('def f(conn):\n    return conn.execute("SELECT 1 FROM tickets WHERE id = ?", (1,))\n')
    assert _sql_outside_the_stores({"edge_agent.desks.late": source})


# Every enum is a vocabulary, and a vocabulary lives in the contract; these few are decisions a
# pure rule hands back to its desk, never written anywhere, and say so here.
INTERNAL_ENUMS = {
    "lobby.appointments.Arrival": "when a booking is checked in: early, on time, late (the desk answers in words)",
    "lobby.appointments.Refusal": "why a booking gives no ticket (the desk answers with an error code)",
    "lobby.contract.operations.SignIn": "part of an operation's entry, not a payload",
}


def _is_enum(node: ast.AST) -> bool:
    return isinstance(node, ast.ClassDef) and any(getattr(b, "id", getattr(b, "attr", "")) in ("Enum", "StrEnum", "IntEnum") for b in node.bases)


def _words_of_literal(node: ast.AST) -> set[str]:
    """The strings of a `Literal[...]` of two or more of them; empty otherwise."""
    if not (isinstance(node, ast.Subscript) and getattr(node.value, "id", "") == "Literal" and isinstance(node.slice, ast.Tuple)):
        return set()
    words = {e.value for e in node.slice.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)}
    return words if len(words) >= 2 else set()


def _vocabularies_outside_the_contract(modules: dict[str, Path]) -> list[str]:
    found = []
    for name, node in _nodes(modules, lambda name: not name.startswith(("lobby.contract.vocabularies", "lobby.contract.errors"))):
        if _is_enum(node) and f"{name}.{node.name}" not in INTERNAL_ENUMS:  # type: ignore[attr-defined]
            found.append(f"{name}.{node.name} (line {node.lineno})")  # type: ignore[attr-defined]
        # A Literal of two or more words in a payload is a vocabulary written a second time
        # (the answer's status, ok or error, is the protocol's own).
        words = _words_of_literal(node)
        if name.startswith("lobby.contract") and words and words != {"ok", "error"}:
            found.append(f"{name}: Literal[...] at line {node.lineno}")  # type: ignore[attr-defined]
    return found


def test_every_vocabulary_is_defined_in_the_contract():
    found = _vocabularies_outside_the_contract(MODULES)
    assert not found, "vocabularies outside lobby/contract/vocabularies.py:\n" + "\n".join(found)


def test_the_vocabulary_check_sees_an_enum_and_a_literal(tmp_path):
    source = tmp_path / "states.py"
    source.write_text("from enum import StrEnum\nclass FormState(StrEnum):\n    OPEN = 'open'\n")
    assert _vocabularies_outside_the_contract({"edge_agent.rules.forms": source})
    payload = tmp_path / "payload.py"
    payload.write_text("from typing import Literal\nstate: Literal['open', 'closed']\n")
    assert _vocabularies_outside_the_contract({"lobby.contract.events": payload})
