"""Plain-JSON views of the model, shared by every machine-readable output.

One function so that ``extract --format json``, the JSON report and the store all
spell fields the same way: dataclass fields by name (but those marked
``metadata={"serialize": False}``), enums by value, datetimes as ISO 8601 in UTC,
tuples as lists.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

SCHEMA_VERSION = "1.1"


_SCALARS = frozenset({str, int, float, bool, type(None)})
Converter = Callable[[Any], Any]
#: A converter per type, found once: working out what a value is (``is_dataclass``,
#: ``dataclasses.fields``, isinstance chains) on every call dominated serialising a
#: run of tens of thousands of findings.
_CONVERTERS: dict[type, Converter] = {}


def to_jsonable(value: Any) -> Any:
    """Convert model objects (recursively) into JSON-ready builtins."""
    cls = type(value)
    if cls in _SCALARS:  # exact types: str-valued enums still take the enum branch
        return value
    convert = _CONVERTERS.get(cls)
    if convert is None:
        convert = _CONVERTERS[cls] = _converter(value)
    return convert(value)


def _converter(value: Any) -> Converter:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        names = (f.name for f in dataclasses.fields(value) if f.metadata.get("serialize", True))
        return _dataclass_converter(tuple(names))
    if isinstance(value, enum.Enum):
        return _enum
    if isinstance(value, datetime):
        return _datetime
    if isinstance(value, Mapping):
        return _mapping
    if isinstance(value, list | tuple | set | frozenset):
        return _sequence
    return _same


def fields_converter(names: tuple[str, ...]) -> Converter:
    """A converter of just these attributes of an object, in this order: for callers
    that serialise part of a dataclass themselves (``FindingLines``)."""
    return _dataclass_converter(names)


def _dataclass_converter(names: tuple[str, ...]) -> Converter:
    """One dict display per dataclass type, built once: a loop of ``getattr`` calls
    and item stores costs twice as much per object."""
    if not all(name.isidentifier() for name in names):  # pragma: no cover
        raise TypeError(f"not identifiers: {names}")
    items = ", ".join(
        f"{name!r}: (x if type(x := value.{name}) in scalars else to_jsonable(x))" for name in names
    )
    namespace: dict[str, Any] = {"scalars": _SCALARS, "to_jsonable": to_jsonable}
    exec(f"def convert(value):\n    return {{{items}}}\n", namespace)
    convert: Converter = namespace["convert"]
    return convert


def _enum(value: enum.Enum) -> Any:
    return value.value


def _datetime(value: datetime) -> str:
    if value.tzinfo is not None:
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return value.isoformat()


def _mapping(value: Mapping[Any, Any]) -> dict[str, Any]:
    return {str(k): v if type(v) in _SCALARS else to_jsonable(v) for k, v in value.items()}


def _sequence(value: Any) -> list[Any]:
    return [v if type(v) in _SCALARS else to_jsonable(v) for v in value]


def _same(value: Any) -> Any:
    return value
