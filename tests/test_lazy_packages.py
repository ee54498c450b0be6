"""Packages whose names are imported on first use (``linkaudit._lazy``) still give
every name they export: each lists a name three times (for type checkers, in
``__all__``, and in its lazy table), and a name missing from the table would fail
only when some caller first asks for it."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

LAZY_PACKAGES = (
    "linkaudit.archive",
    "linkaudit.check",
    "linkaudit.extract",
    "linkaudit.report",
    "linkaudit.store",
)


@pytest.mark.parametrize("package", LAZY_PACKAGES)
def test_every_exported_name_resolves(package: str) -> None:
    module = importlib.import_module(package)
    missing = [name for name in module.__all__ if not hasattr(module, name)]
    assert missing == []


def test_a_name_asked_for_first_comes_from_its_own_module() -> None:
    # in a fresh interpreter, so nothing imported it before the package was asked
    code = (
        "import sys, linkaudit.store as s\n"
        "assert 'linkaudit.store.store' not in sys.modules\n"
        "from linkaudit.store import Store\n"
        "assert Store.__module__ == 'linkaudit.store.store'\n"
        "assert s.Store is Store\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_an_unknown_name_is_an_attribute_error() -> None:
    store = importlib.import_module("linkaudit.store")
    with pytest.raises(AttributeError, match="no attribute 'Nothing'"):
        store.Nothing  # noqa: B018
