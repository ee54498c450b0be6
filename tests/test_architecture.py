"""The package's shape: no import cycles, and the stages keep to their lanes.

Imports are read from the source (``ast``), all of them: module level, inside
functions, and under ``TYPE_CHECKING``, because a cycle hidden behind a lazy or
type-only import is still two modules that cannot be understood apart.
Importing ``a.b.c`` also runs the packages ``a`` and ``a.b``, so those count too,
except a module's own parent packages (already running when it is imported).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "linkaudit"


def modules(root: Path = PACKAGE) -> dict[str, Path]:
    out: dict[str, Path] = {}
    for path in root.rglob("*.py"):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def _imported(module: str, path: Path) -> Iterator[str]:
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            yield base
            yield from (f"{base}.{alias.name}" for alias in node.names)


def import_graph(root: Path = PACKAGE) -> dict[str, set[str]]:
    """Module -> the package's modules it makes Python run."""
    known = modules(root)
    graph: dict[str, set[str]] = {name: set() for name in known}
    for name, path in known.items():
        for target in _imported(name, path):
            while target and target not in known:  # a name imported from a module
                target = target.rpartition(".")[0]
            if not target or target == name or name.startswith(target + "."):
                continue
            parts = target.split(".")
            for depth in range(1, len(parts) + 1):
                runs = ".".join(parts[:depth])
                if runs in known and runs != name and not name.startswith(runs + "."):
                    graph[name].add(runs)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycles() -> None:
    assert cycles(import_graph()) == []


def test_the_cycle_finder_finds_a_cycle(tmp_path: Path) -> None:
    """The check above cannot pass vacuously: a type-only import back is a cycle."""
    package = tmp_path / "linkaudit"
    (package / "store").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "store" / "__init__.py").write_text("")
    (package / "store" / "a.py").write_text("from linkaudit.store.b import B\n")
    (package / "store" / "b.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from linkaudit.store.a import A\n"
    )
    assert cycles(import_graph(package)) == [["linkaudit.store.a", "linkaudit.store.b"]]


def test_the_store_depends_on_no_stage() -> None:
    """The store is beside the pipeline: it may know the model, never a stage."""
    graph = import_graph()
    stages = ("linkaudit.check", "linkaudit.archive", "linkaudit.extract", "linkaudit.pipeline")
    for name, targets in graph.items():
        if name.startswith("linkaudit.store"):
            assert not {t for t in targets if t.startswith(stages)}, name
