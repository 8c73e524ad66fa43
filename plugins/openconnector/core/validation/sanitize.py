"""Reduce a transformed schema to the JSON Schema keywords that take part in validation.

jsonschema-rs checks a schema against the Draft 2020-12 meta-schema before it compiles it, while
Opis (OpenRegister's library) ignores keys it does not know and only fails on a malformed keyword
when data reaches it. Register schemas carry many non-standard keys (``visible``, ``facetable``,
``required: true`` on a sub-property, ``title: null`` ...), so this module keeps only validation
keywords, with values of the right shape, and drops the rest. Annotations (``title``,
``description``, ``default``, ``examples``, ``readOnly``) never change a result, so dropping them is
safe. ``$ref`` is dropped too: OpenRegister cannot resolve it either (see the package notes).

``required: true`` on a sub-property at any depth is folded into the parent's ``required`` array, the
way OpenRegister does it for the first nesting level.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from openconnector.core.validation.transform import normalize_type

_DROP = object()


def sanitize_schema(node: Any) -> Any:
    """Return a copy of ``node`` holding only validation keywords with well-formed values."""
    if isinstance(node, bool):
        return node
    if not isinstance(node, dict):
        return {}
    out: dict[str, Any] = {}
    for key, value in node.items():
        handler = _HANDLERS.get(key)
        cleaned = handler(value) if handler is not None else _DROP
        if cleaned is not _DROP:
            out[key] = cleaned
    _fold_required_flags(node, out)
    return out


def _fold_required_flags(node: dict[str, Any], out: dict[str, Any]) -> None:
    properties = node.get("properties")
    if not isinstance(properties, dict):
        return
    flagged = [name for name, sub in properties.items() if isinstance(sub, dict) and sub.get("required") is True]
    if flagged:
        out["required"] = list(dict.fromkeys([*out.get("required", []), *flagged]))


def _schema(value: Any) -> Any:
    return sanitize_schema(value) if isinstance(value, (dict, bool)) else _DROP


def _schema_map(value: Any) -> Any:
    if not isinstance(value, dict):
        return _DROP
    return {str(name): sanitize_schema(sub) for name, sub in value.items()}


def _schema_list(value: Any) -> Any:
    if not isinstance(value, list) or not value:
        return _DROP
    return [sanitize_schema(sub) for sub in value]


def _type(value: Any) -> Any:
    normalized = normalize_type(value)
    return _DROP if normalized is None else normalized


def _number(value: Any) -> Any:
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else _DROP


def _positive_number(value: Any) -> Any:
    return value if _number(value) is not _DROP and value > 0 else _DROP


def _count(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else _DROP


def _string(value: Any) -> Any:
    return value if isinstance(value, str) else _DROP


def _boolean(value: Any) -> Any:
    return value if isinstance(value, bool) else _DROP


def _array(value: Any) -> Any:
    return value if isinstance(value, list) else _DROP


def _any(value: Any) -> Any:
    return value


def _names(value: Any) -> Any:
    if not isinstance(value, list) or not all(isinstance(name, str) for name in value):
        return _DROP
    return list(dict.fromkeys(value))


def _dependent_required(value: Any) -> Any:
    if not isinstance(value, dict):
        return _DROP
    kept = {name: _names(names) for name, names in value.items()}
    return {name: names for name, names in kept.items() if names is not _DROP}


_HANDLERS: dict[str, Callable[[Any], Any]] = {
    "type": _type,
    "enum": _array,
    "const": _any,
    "format": _string,
    "pattern": _string,
    "minLength": _count,
    "maxLength": _count,
    "minimum": _number,
    "maximum": _number,
    "exclusiveMinimum": _number,
    "exclusiveMaximum": _number,
    "multipleOf": _positive_number,
    "minItems": _count,
    "maxItems": _count,
    "uniqueItems": _boolean,
    "minContains": _count,
    "maxContains": _count,
    "contains": _schema,
    "items": _schema,
    "prefixItems": _schema_list,
    "minProperties": _count,
    "maxProperties": _count,
    "required": _names,
    "dependentRequired": _dependent_required,
    "properties": _schema_map,
    "patternProperties": _schema_map,
    "additionalProperties": _schema,
    "propertyNames": _schema,
    "dependentSchemas": _schema_map,
    "unevaluatedItems": _schema,
    "unevaluatedProperties": _schema,
    "allOf": _schema_list,
    "anyOf": _schema_list,
    "oneOf": _schema_list,
    "not": _schema,
    "if": _schema,
    "then": _schema,
    "else": _schema,
}
