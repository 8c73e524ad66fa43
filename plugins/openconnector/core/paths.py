"""Dot paths into JSON values, as OpenConnector's ``resultsPosition`` and ``idPosition`` use them.

``a.b.0.c`` walks object keys and, for lists, numeric indexes. A key that itself contains a dot can
be written with OpenConnector's escape ``&#46;`` (``values.case&#46;subject``).
"""

from __future__ import annotations

from typing import Any, Final

MISSING: Final = object()
_DOT_ESCAPE: Final = "&#46;"


def split_path(path: str) -> list[str]:
    """Split a dot path into keys, turning ``&#46;`` back into a literal dot inside a key."""
    return [part.replace(_DOT_ESCAPE, ".") for part in path.split(".")] if path else []


def get_path(value: Any, path: str | list[str], default: Any = MISSING) -> Any:
    """Return the value at ``path``, or ``default`` when any step is missing.

    An exact key match wins over splitting, so a source key ``"a.b"`` is found by the path ``a.b``
    too, as users expect from a flat object.
    """
    if isinstance(path, str):
        if isinstance(value, dict) and path in value:
            return value[path]
        parts = split_path(path)
    else:
        parts = path
    current = value
    for part in parts:
        if isinstance(current, dict):
            if part not in current:
                return default
            current = current[part]
        elif isinstance(current, list) and _is_index(part) and -len(current) <= int(part) < len(current):
            current = current[int(part)]
        else:
            return default
    return current


def _is_index(part: str) -> bool:
    return part.isdigit() or (part.startswith("-") and part[1:].isdigit())
