"""Plain-JSON views of the model, shared by every machine-readable output.

One function so that ``extract --format json``, the JSON report and the store all
spell fields the same way: dataclass fields by name, enums by value, datetimes as
ISO 8601 in UTC, tuples as lists.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

SCHEMA_VERSION = "1.0"


_SCALARS = (str, int, float, bool, type(None))
#: Field names per dataclass type: ``dataclasses.fields`` is slow enough to dominate
#: serialising a run of tens of thousands of findings.
_FIELDS: dict[type, tuple[str, ...]] = {}


def to_jsonable(value: Any) -> Any:
    """Convert model objects (recursively) into JSON-ready builtins."""
    cls = type(value)
    if cls in _SCALARS:  # exact types: str-valued enums still take the enum branch
        return value
    names = _FIELDS.get(cls)
    if names is None and dataclasses.is_dataclass(value) and not isinstance(value, type):
        names = _FIELDS[cls] = tuple(f.name for f in dataclasses.fields(value))
    if names is not None:
        return {name: to_jsonable(getattr(value, name)) for name in names}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC)
            return value.strftime("%Y-%m-%dT%H:%M:%SZ")
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_jsonable(v) for v in value]
    return value
