"""The code fingerprints that decide when cached work is stale cover the code.

A cached extraction (``store.extracts.extractor_version``) and a reused document
(``reuse.loader_version``) are trusted while the source files they fingerprint are
unchanged.  A module the loaders or extractors import but the fingerprint leaves out
would let an edit there go unnoticed: old citations, dates or reasons would be
served as current.  These tests walk the imports (every ``import`` of a linkaudit
module anywhere in a file, function-level and ``TYPE_CHECKING`` ones included) from
the entry points and require each module reached to be fingerprinted.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable
from pathlib import Path

import pytest

import linkaudit
from linkaudit.reuse import loader_files
from linkaudit.store.extracts import extractor_files

ROOT = Path(linkaudit.__file__).parent


def _module_file(name: str) -> Path | None:
    """The file of a linkaudit module by dotted name; None for a name that is not one
    (an attribute imported from a module)."""
    path = ROOT.joinpath(*name.split(".")[1:])
    if (path / "__init__.py").is_file():
        return path / "__init__.py"
    file = path.with_suffix(".py")
    return file if file.is_file() else None


def _imported(path: Path) -> set[str]:
    names: set[str] = set()
    package = ".".join(("linkaudit", *path.relative_to(ROOT).parent.parts))
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolved against the file's package
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module or ""
            if module.split(".")[0] != "linkaudit":
                continue
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update(a.name for a in node.names if a.name.split(".")[0] == "linkaudit")
    return names


def _closure(modules: Iterable[str]) -> set[Path]:
    """Every linkaudit file reached from ``modules`` by imports, theirs included."""
    seen: set[Path] = set()
    todo = list(modules)
    while todo:
        file = _module_file(todo.pop())
        if file is None or file in seen:
            continue
        seen.add(file)
        todo.extend(_imported(file))
    return seen


def _data_files(paths: Iterable[Path]) -> set[Path]:
    """The package data these files read (``resources.files("linkaudit").joinpath(...)``
    with a literal path)."""
    found: set[Path] = set()
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "joinpath"
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                found.add(ROOT / node.args[0].value)
    return found


def _names(paths: Iterable[Path]) -> set[str]:
    return {str(p.resolve().relative_to(ROOT.resolve())) for p in paths}


def test_the_import_walk_reaches_modules_imported_inside_functions() -> None:
    """The walk itself: ``sources.html`` imports ``lenient_json`` inside a function,
    and ``model`` imports ``hosts``; a walk that missed either would prove nothing."""
    reached = _names(_closure(["linkaudit.sources.html"]))
    assert {"sources/html.py", "sources/lenient_json.py", "model.py", "hosts.py"} <= reached
    assert "check/engine.py" not in reached
    assert "data/whatwg/encodings.json" in _names(_data_files(_closure(["linkaudit.sources.html"])))


@pytest.mark.parametrize(
    ("entries", "fingerprinted"),
    [
        # what a Markdown or HTML file is loaded as: the documents a warm run does
        # not parse again (``reuse.Unparsed``)
        (["linkaudit.sources.html", "linkaudit.sources.markdown"], loader_files),
        (["linkaudit.extract", "linkaudit.extract.markdown"], extractor_files),
    ],
    ids=["loaders", "extractors"],
)
def test_every_module_the_code_imports_is_fingerprinted(
    entries: list[str], fingerprinted: Callable[[], list[Path]]
) -> None:
    listed = fingerprinted()
    reached = _closure(entries)
    missing = _names(reached | _data_files(reached)) - _names(listed)
    assert not missing, f"reached but not fingerprinted: {sorted(missing)}"


@pytest.mark.parametrize("fingerprinted", [loader_files, extractor_files])
def test_every_fingerprinted_file_exists(fingerprinted: Callable[[], list[Path]]) -> None:
    """A renamed file would be fingerprinted as unreadable, the same in every build."""
    absent = [str(p) for p in fingerprinted() if not Path(p).is_file()]
    assert not absent
