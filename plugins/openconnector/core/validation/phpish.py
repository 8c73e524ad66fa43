"""PHP value semantics that OpenRegister's validation depends on.

OpenRegister decides what to validate with PHP's ``empty()``, loose ``in_array`` and string
interpolation. Reproducing those few rules here keeps the rest of the package in plain Python.
"""

from __future__ import annotations

import math
from typing import Any

JSON_TYPES = ("string", "number", "integer", "boolean", "array", "object", "null")


def php_empty(value: Any) -> bool:
    """Tell whether PHP's ``empty()`` is true for ``value``: null, false, 0, 0.0, "", "0", [] or {}."""
    if value is None or value is False:
        return True
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float)):
        return value == 0
    if isinstance(value, str):
        return value in ("", "0")
    if isinstance(value, (list, dict)):
        return not value
    return False


def loosely_contains_null(values: list[Any]) -> bool:
    """Tell whether PHP's loose ``in_array(null, $values)`` is true (null == false, 0, "" and [])."""
    # A decoded JSON object is a PHP object, and objects never loosely equal null.
    return any(value is None or (not isinstance(value, dict) and value != "0" and php_empty(value)) for value in values)


def php_str(value: Any) -> str:
    """Render ``value`` the way PHP string interpolation does (true → "1", null → "", 2.0 → "2")."""
    if value is None or value is False:
        return ""
    if value is True:
        return "1"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return php_float(value)
    if isinstance(value, str):
        return value
    # PHP prints "Array" for arrays; an object would be a PHP error, so "Object" is our own choice.
    return "Array" if isinstance(value, list) else "Object"


def php_float(value: float) -> str:
    """Render a float like PHP 8 with ``precision=14``: 1.0 → "1", 1e25 → "1.0E+25"."""
    if math.isnan(value):
        return "NAN"
    if math.isinf(value):
        return "INF" if value > 0 else "-INF"
    text = f"{value:.14G}"
    if "E" not in text:
        return text
    mantissa, exponent = text.split("E")
    if "." not in mantissa:
        mantissa += ".0"
    sign = exponent[0]
    return f"{mantissa}E{sign}{exponent[1:].lstrip('0') or '0'}"


def php_type_name(value: Any) -> str:
    """Name the type of decoded JSON data the way OpenRegister's ``getValueType`` does."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def opis_type_name(value: Any) -> str:
    """Name the JSON type of ``value`` the way Opis does: integral floats count as "integer"."""
    if isinstance(value, float) and value.is_integer():
        return "integer"
    return php_type_name(value)
