"""The PHP rules OpenRegister's validation adds to ``core.php``: loose ``in_array``, interpolation, type names."""

from __future__ import annotations

from typing import Any

from openconnector.core.php import is_empty, to_string

JSON_TYPES = ("string", "number", "integer", "boolean", "array", "object", "null")


def loosely_contains_null(values: list[Any]) -> bool:
    """Tell whether PHP's loose ``in_array(null, $values)`` is true (null == false, 0, "" and [])."""
    # A decoded JSON object is a PHP object, and objects never loosely equal null.
    return any(value is None or (not isinstance(value, dict) and value != "0" and is_empty(value)) for value in values)


def php_str(value: Any) -> str:
    """Render ``value`` the way PHP string interpolation does (true → "1", null → "", 2.0 → "2")."""
    if isinstance(value, (list, dict)):
        # PHP prints "Array" for arrays; an object would be a PHP error, so "Object" is our own choice.
        return "Array" if isinstance(value, list) else "Object"
    return to_string(value)


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
