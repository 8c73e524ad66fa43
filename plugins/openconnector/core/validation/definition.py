"""Check property definitions with the rules OpenRegister applies when a schema is saved.

These follow ``PropertyValidatorHandler`` (v1.0.1), which answers a bad definition with
``400 {"error": "<message>"}``. OpenRegister stops at the first problem; this returns all of them, in
the same order, with the same texts, so the first one is what OpenRegister would say.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from openconnector.core.validation.phpish import php_str
from openconnector.spec.register import SchemaSpec

VALID_TYPES = (
    "string", "number", "integer", "boolean", "array", "object", "null", "file",
    "NcFile", "NcMail", "NcContact", "NcNote", "NcTodo", "NcCalendarEvent", "NcTalk", "NcDeck",
)  # fmt: skip

# The order matters: OpenRegister lists them in its message, starting with the empty format.
STRING_FORMATS = (
    "", "text", "markdown", "html", "date-time", "date", "time", "duration", "email", "idn-email",
    "hostname", "idn-hostname", "ipv4", "ipv6", "uri", "uri-reference", "iri", "iri-reference", "uuid",
    "uri-template", "json-pointer", "relative-json-pointer", "regex", "url", "color", "color-hex",
    "color-hex-alpha", "color-rgb", "color-rgba", "color-hsl", "color-hsla", "semver",
)  # fmt: skip

ON_DELETE_ACTIONS = ("CASCADE", "RESTRICT", "SET_NULL", "SET_DEFAULT", "NO_ACTION")
MAX_FILE_SIZE = 104857600

_NUMERIC = re.compile(r"\s*[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?\s*")
_MIME = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9!#$&\-^_]*/[a-zA-Z0-9][a-zA-Z0-9!#$&\-^_.]*")

Errors = list[str]


def check_schema_definition(schema: SchemaSpec) -> list[str]:
    """Return OpenRegister's objections to the schema's property definitions ([] when it would save)."""
    errors: Errors = []
    _check_properties(schema.properties, "", errors)
    return errors


def _check_properties(properties: Any, path: str, errors: Errors) -> None:
    for name, prop in _entries(properties).items():
        if not isinstance(prop, dict):
            errors.append(f"Property '{name}' at '{path}' must be an object")
            continue
        _check_property(prop, f"{path}/{name}", errors)


def _check_property(prop: dict[str, Any], path: str, errors: Errors) -> None:
    if prop.get("oneOf") is not None:
        _check_properties(prop["oneOf"], f"{path}/oneOf", errors)
        return
    kind = prop.get("type")
    if kind is None:
        errors.append(f"Property at '{path}' must have a 'type' field")
        return
    if not (isinstance(kind, str) and kind in VALID_TYPES):
        errors.append(f"Invalid type '{php_str(kind)}' at '{path}'. Must be one of: {', '.join(VALID_TYPES)}")
        return
    for check in _CHECKS:
        check(prop, path, errors)


def _check_format(prop: dict[str, Any], path: str, errors: Errors) -> None:
    fmt = prop.get("format")
    if prop["type"] == "string" and fmt is not None and fmt not in STRING_FORMATS:
        allowed = ", ".join(STRING_FORMATS)
        errors.append(f"Invalid string format '{php_str(fmt)}' at '{path}'. Must be one of: {allowed}")


def _check_children(prop: dict[str, Any], path: str, errors: Errors) -> None:
    items = prop.get("items")
    if prop["type"] == "array" and items is not None:
        if not isinstance(items, dict):
            errors.append(f"Property 'items' at '{path}' must be an object")
        elif items.get("$ref") is None:
            _check_property(items, f"{path}/items", errors)
    if prop["type"] == "object" and prop.get("properties") is not None:
        _check_properties(prop["properties"], f"{path}/properties", errors)


def _check_range(prop: dict[str, Any], path: str, errors: Errors) -> None:
    if prop["type"] not in ("number", "integer"):
        return
    minimum, maximum = prop.get("minimum"), prop.get("maximum")
    for key, value in (("minimum", minimum), ("maximum", maximum)):
        if value is not None and not _is_numeric(value):
            errors.append(f"'{key}' at '{path}' must be numeric")
    if _is_numeric(minimum) and _is_numeric(maximum) and float(minimum) > float(maximum):
        errors.append(f"'minimum' cannot be greater than 'maximum' at '{path}'")


def _check_file(prop: dict[str, Any], path: str, errors: Errors) -> None:
    if prop["type"] != "file":
        return
    allowed_types = prop.get("allowedTypes")
    if allowed_types is not None:
        _check_list(allowed_types, "allowedTypes", path, errors, _mime_problem)
    max_size = prop.get("maxSize")
    if max_size is not None:
        _check_max_size(max_size, path, errors)
    for key in ("allowedTags", "autoTags"):
        if prop.get(key) is not None:
            _check_list(prop[key], key, path, errors, _tag_problem)


def _check_enum(prop: dict[str, Any], path: str, errors: Errors) -> None:
    enum = prop.get("enum")
    if enum is not None and not (isinstance(enum, (list, dict)) and enum):
        errors.append(f"'enum' at '{path}' must be a non-empty array")


def _check_flags(prop: dict[str, Any], path: str, errors: Errors) -> None:
    for key in ("visible", "hideOnCollection", "hideOnForm"):
        if prop.get(key) is not None and not isinstance(prop[key], bool):
            errors.append(f"'{key}' at '{path}' must be a boolean")


def _check_on_delete(prop: dict[str, Any], path: str, errors: Errors) -> None:
    action = prop.get("onDelete")
    if action is None:
        return
    items = prop.get("items")
    if prop.get("$ref") is None and not (isinstance(items, dict) and items.get("$ref") is not None):
        errors.append(f"'onDelete' at '{path}' is only valid on relation properties with '$ref'")
    elif php_str(action).upper() not in ON_DELETE_ACTIONS:
        allowed = ", ".join(ON_DELETE_ACTIONS)
        errors.append(f"Invalid onDelete value '{php_str(action)}' at '{path}'. Must be one of: {allowed}")


def _check_list(
    values: Any, key: str, path: str, errors: Errors, problem: Callable[[str, str, str, Any], str | None]
) -> None:
    if not isinstance(values, (list, dict)):
        errors.append(f"'{key}' at '{path}' must be an array")
        return
    for index, value in _entries(values).items():
        label = f"{key}[{index}]"
        found = f"'{label}' at '{path}' must be a string" if not isinstance(value, str) else None
        found = found or problem(label, path, key, value)
        if found:
            errors.append(found)


def _mime_problem(label: str, path: str, key: str, value: str) -> str | None:
    if _MIME.fullmatch(value) is None:
        return f"'{label}' at '{path}' contains invalid MIME type format: '{value}'"
    return None


def _tag_problem(label: str, path: str, key: str, value: str) -> str | None:
    if not value.strip():
        return f"'{label}' at '{path}' cannot be empty"
    if len(value.encode("utf-8")) > 50:
        return f"'{label}' at '{path}' exceeds maximum length (50 characters)"
    return None


def _check_max_size(value: Any, path: str, errors: Errors) -> None:
    if not _is_numeric(value):
        errors.append(f"'maxSize' at '{path}' must be a numeric value")
        return
    size = int(float(value))
    if size < 0:
        errors.append(f"'maxSize' at '{path}' must be a positive number")
    elif size > MAX_FILE_SIZE:
        errors.append(f"'maxSize' at '{path}' exceeds maximum allowed size (100MB)")


def _is_numeric(value: Any) -> bool:
    """Tell whether PHP's ``is_numeric`` is true: a number (not a boolean) or a numeric string."""
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float)):
        return True
    return isinstance(value, str) and _NUMERIC.fullmatch(value) is not None


def _entries(value: Any) -> dict[Any, Any]:
    if isinstance(value, dict):
        return value
    return dict(enumerate(value)) if isinstance(value, list) else {}


_CHECKS = (_check_format, _check_children, _check_range, _check_file, _check_enum, _check_flags, _check_on_delete)
