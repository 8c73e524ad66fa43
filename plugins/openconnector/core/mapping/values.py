"""Make an object safe for an engine: JSON values only, and no integer the engine would round.

JSONata numbers are 64-bit floats, so jsonatapy silently rounds integers beyond 2^53
(5890840712243076123 becomes 5890840712243076096) and refuses those beyond 2^63. Long numeric ids
are common, and a rounded id is a corrupted id, so such integers reach the expression as text with
their exact digits: a path copy or ``$string(id)`` keeps every digit, arithmetic on them fails loudly
(T2001) instead of being silently wrong. Dates become ISO 8601 text, ``Decimal`` a number (text when
it is an integer beyond 2^53), tuples lists. Anything else is refused with the path of the value.

``needs_conversion`` is the cheap check run on every object (~3 µs for a 1 KB record); the copy is
made only for the rare object that needs it.
"""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any

from openconnector.errors import MappingError


def needs_conversion(value: Any, exact_int: int) -> bool:
    """Tell whether ``value`` holds an integer beyond ±``exact_int`` or anything that is not JSON."""
    kind = type(value)
    if kind is dict:
        items: Any = value.values()
    elif kind is list:
        items = value
    elif kind is int:
        return not -exact_int <= value <= exact_int
    else:
        return not (kind is str or kind is float or kind is bool or value is None)
    for item in items:
        kind = type(item)
        if kind is str or kind is bool or kind is float or item is None:
            continue
        if kind is int:
            if -exact_int <= item <= exact_int:
                continue
            return True
        if (kind is dict or kind is list) and not needs_conversion(item, exact_int):
            continue
        return True
    return False


def to_json_value(value: Any, *, exact_int: int | None, where: str, path: str = "$") -> Any:
    """Return a converted copy of ``value``; raise MappingError naming ``where`` and the value's path."""
    if isinstance(value, (str, bool, float)) or value is None:
        return value
    if isinstance(value, int):
        return str(value) if exact_int is not None and not -exact_int <= value <= exact_int else int(value)
    if isinstance(value, dict):
        return {
            _key(key, where, path): to_json_value(item, exact_int=exact_int, where=where, path=f"{path}.{key}")
            for key, item in value.items()
        }
    if isinstance(value, (list, tuple)):
        return [
            to_json_value(item, exact_int=exact_int, where=where, path=f"{path}[{index}]")
            for index, item in enumerate(value)
        ]
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        if value.is_finite() and value == value.to_integral_value():
            return to_json_value(int(value), exact_int=exact_int, where=where, path=path)
        # A fraction becomes the nearest float, as it would have from JSON text.
        return float(value)
    raise MappingError(
        f"{where}: input value at {path} is a Python {type(value).__name__}, which is not a JSON value; "
        "convert it to text, a number, a list or an object before mapping"
    )


def _key(key: Any, where: str, path: str) -> str:
    if isinstance(key, str):
        return key
    if key is None:
        return "null"
    if isinstance(key, bool):
        return "true" if key else "false"
    if isinstance(key, (int, float)):
        return str(key)
    raise MappingError(f"{where}: input object at {path} has a key of type {type(key).__name__}; JSON keys are text")
