"""Package attributes imported on first use (PEP 562 module ``__getattr__``).

An editor's ``linkaudit check`` of one article should not pay for importing what
it never runs (the store's engines, archive saving, every report format); a
package ``__init__`` that re-exports its modules' names would import them all.
With :func:`attributes`, ``from linkaudit.store import Store`` still works, and
imports :mod:`linkaudit.store.store` only then.  Type checkers see the names
through the package's ``if TYPE_CHECKING:`` imports.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping


def attributes(package: str, homes: Mapping[str, str]) -> Callable[[str], object]:
    """A module ``__getattr__`` for ``package``: each name of ``homes`` from its module.

    ``homes`` maps a public name to the module defining it (``"Store":
    "linkaudit.store.store"``), or to ``module:name`` when the module calls it
    otherwise; the value is cached in the package's namespace, so
    the lookup runs once per name.  Other names raise ``AttributeError`` as usual,
    which lets ``from package import submodule`` fall back to importing it.
    """

    def __getattr__(name: str) -> object:
        home = homes.get(name)
        if home is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module, _, attribute = home.partition(":")
        value = getattr(importlib.import_module(module), attribute or name)
        setattr(sys.modules[package], name, value)
        return value

    return __getattr__
