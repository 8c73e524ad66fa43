"""OpenRegister's user-facing validation messages and Opis's raw ones, per failed keyword.

``openregister_message`` follows ``ValidateObject::formatValidationError`` (v1.0.1): the property path
is the data path joined with "." (``root`` for the object itself), values are rendered the way PHP
interpolates them and string lengths are counted in bytes (``strlen``), as OpenRegister does.
``opis_message`` follows the messages of the Opis keywords, which count characters.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from openconnector.core.validation.phpish import opis_type_name, php_str, php_type_name


@dataclass(frozen=True)
class Failure:
    """One failed keyword: where in the data, the keyword, its schema value and the data value.

    ``names`` holds the property names the failure is about: the missing ones for ``required``, the
    unexpected ones for ``additionalProperties``.
    """

    instance_path: tuple[str | int, ...]
    keyword: str
    limit: Any
    value: Any
    names: tuple[str, ...] = ()


def openregister_message(failure: Failure) -> str:
    """Return OpenRegister's message for one failed keyword."""
    where = ".".join(str(part) for part in failure.instance_path) or "root"
    builder = _OPENREGISTER.get(failure.keyword)
    if builder is not None:
        return builder(where, failure)
    return (
        f"Property '{where}' failed validation for rule '{failure.keyword}'. "
        "Please check the property value and schema requirements."
    )


def opis_message(failure: Failure) -> str:
    """Return the raw Opis message for one failed keyword (the texts in the PUT/PATCH error map)."""
    template = _OPIS.get(failure.keyword)
    if template is None:
        return f"The data failed validation for rule '{failure.keyword}'"
    value = failure.value
    length = len(value) if isinstance(value, (str, list, dict)) else 0
    return template.format(
        limit=_joined(failure.limit, ", "),
        type=opis_type_name(value),
        names=", ".join(failure.names),
        length=length,
    )


def _required(where: str, failure: Failure) -> str:
    if len(failure.names) == 1:
        return (
            f"The required property ({failure.names[0]}) is missing. "
            "Please provide a value for this property or set it to null if allowed."
        )
    names = ", ".join(failure.names)
    return f"The required properties ({names}) are missing. Please provide values for these properties."


def _type(where: str, failure: Failure) -> str:
    expected, value = _joined(failure.limit, " or "), failure.value
    if expected == "object" and value == []:
        return (
            f"Property '{where}' expects object but got empty ({{}}). For non-required object properties, set "
            "this to null to clear the field. For required object properties, provide a valid object with "
            "the necessary properties."
        )
    if expected == "array" and value == []:
        return (
            f"Property '{where}' expects non-empty array but got empty array ([]). This likely has a minItems "
            "constraint. Please provide at least one item."
        )
    if expected == "string" and value == "":
        return (
            f"Property '{where}' expects non-empty string but got empty string. For non-required string "
            "properties, set this to null to clear the field. For required string properties, provide a "
            "valid string value."
        )
    return (
        f"Property '{where}' should be type '{expected}' but is '{php_type_name(value)}'. "
        "Please provide a value of the correct type."
    )


def _min_items(where: str, failure: Failure) -> str:
    return (
        f"Property '{where}' requires at least {php_str(failure.limit)} items, has {_count(failure.value)}. "
        "Please add more items to the array or set to null if the property is not required."
    )


def _max_items(where: str, failure: Failure) -> str:
    return (
        f"Property '{where}' allows at most {php_str(failure.limit)} items, has {_count(failure.value)}. "
        "Please remove some items from the array."
    )


def _format(where: str, failure: Failure) -> str:
    return (
        f"Property '{where}' should match format '{php_str(failure.limit)}' but '{php_str(failure.value)}' "
        "does not. Please provide a value in the correct format."
    )


def _min_length(where: str, failure: Failure) -> str:
    size = _bytes(failure.value)
    if size == 0:
        return (
            f"Property '{where}' requires at least {php_str(failure.limit)} characters, but is empty. "
            "Please provide a non-empty string value."
        )
    return (
        f"Property '{where}' requires at least {php_str(failure.limit)} chars, has {size}. "
        "Please provide a longer string value."
    )


def _max_length(where: str, failure: Failure) -> str:
    return (
        f"Property '{where}' allows at most {php_str(failure.limit)} chars, has {_bytes(failure.value)}. "
        "Please provide a shorter string value."
    )


def _minimum(where: str, failure: Failure) -> str:
    return (
        f"Property '{where}' should be at least {php_str(failure.limit)}, but is {php_str(failure.value)}. "
        "Please provide a larger number."
    )


def _maximum(where: str, failure: Failure) -> str:
    return (
        f"Property '{where}' should be at most {php_str(failure.limit)}, but is {php_str(failure.value)}. "
        "Please provide a smaller number."
    )


def _enum(where: str, failure: Failure) -> str:
    # OpenRegister 1.0.1 reads the allowed values from an Opis argument that Opis never sets, so its
    # list comes out empty ("should be one of: , but is"). We list the values, as the reference text
    # for this project specifies; see the package notes.
    allowed = ", ".join(f"'{php_str(value)}'" for value in _as_list(failure.limit))
    return (
        f"Property '{where}' should be one of: {allowed}, but is '{php_str(failure.value)}'. "
        "Please choose one of the allowed values."
    )


def _pattern(where: str, failure: Failure) -> str:
    return (
        f"Property '{where}' should match pattern '{php_str(failure.limit)}' but '{php_str(failure.value)}' "
        "does not. Please provide a value that matches the required pattern."
    )


def _joined(value: Any, separator: str) -> str:
    if isinstance(value, Sequence) and not isinstance(value, str):
        return separator.join(php_str(part) for part in value)
    return php_str(value)


def _count(value: Any) -> int:
    return len(value) if isinstance(value, list) else 0


def _bytes(value: Any) -> int:
    return len(value.encode("utf-8")) if isinstance(value, str) else 0


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


_OPENREGISTER = {
    "required": _required,
    "type": _type,
    "minItems": _min_items,
    "maxItems": _max_items,
    "format": _format,
    "minLength": _min_length,
    "maxLength": _max_length,
    "minimum": _minimum,
    "maximum": _maximum,
    "enum": _enum,
    "pattern": _pattern,
}

_OPIS = {
    "type": "The data ({type}) must match the type: {limit}",
    "required": "The required properties ({names}) are missing",
    "additionalProperties": "Additional object properties are not allowed: {names}",
    "enum": "The data should match one item from enum",
    "const": "The data must match the const value",
    "format": "The data must match the '{limit}' format",
    "minLength": "Minimum string length is {limit}, found {length}",
    "maxLength": "Maximum string length is {limit}, found {length}",
    "pattern": "The string should match pattern: {limit}",
    "minimum": "Number must be greater than or equal to {limit}",
    "maximum": "Number must be lower than or equal to {limit}",
    "exclusiveMinimum": "Number must be greater than {limit}",
    "exclusiveMaximum": "Number must be lower than {limit}",
    "multipleOf": "Number must be a multiple of {limit}",
    "minItems": "Array should have at least {limit} items, {length} found",
    "maxItems": "Array should have at most {limit} items, {length} found",
    "uniqueItems": "Array must have unique items",
    "minProperties": "Object must have at least {limit} properties, {length} found",
    "maxProperties": "Object must have at most {limit} properties, {length} found",
    "oneOf": "The data should match exactly one schema",
    "not": "The data must not match schema",
    "contains": "At least one array item must match schema",
}
