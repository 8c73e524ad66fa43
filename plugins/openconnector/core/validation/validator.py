"""Validate register objects the way OpenRegister 1.0 does, fast enough for a million objects a run."""

from __future__ import annotations

import copy
import logging
from typing import Any

import jsonschema_rs

from openconnector.core.validation.explain import explain
from openconnector.core.validation.fastpath import fast_schema
from openconnector.core.validation.formats import format_checkers, is_bsn
from openconnector.core.validation.issues import ValidationIssue
from openconnector.core.validation.sanitize import sanitize_schema
from openconnector.core.validation.transform import DataRules, openregister_properties
from openconnector.errors import SpecError
from openconnector.spec.register import SchemaSpec

logger = logging.getLogger(__name__)

DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"

# OpenRegister removes these request keys before it validates (ValidateObject::validateObject).
_IGNORED_KEYS = ("extend", "filters")
_CONTAINERS = (dict, list)


class ObjectValidator:
    """Validate objects against one register schema with OpenRegister 1.0's rules and messages.

    The schema is transformed and compiled once. ``validate`` applies OpenRegister's first-level data
    rules and runs the fast-path schema (see ``fastpath``); only objects that fail it are checked
    again with the exact schema and have their errors explained.
    """

    def __init__(self, schema: SchemaSpec, *, register: str = "", name: str = "") -> None:
        """Transform and compile ``schema``; ``name`` is its slug (self-references use it).

        Raises SpecError when the property definitions do not make a usable JSON Schema (for example
        a ``pattern`` that is not a regular expression).
        """
        label = f"schema {name or schema.title or '?'!r} of register {register or '?'!r}"
        properties, self._rules = openregister_properties(schema.properties, schema.required_properties(), name)
        self._json_schema = _root_schema(schema, sanitize_schema({"properties": properties})["properties"])
        # Without properties OpenRegister validates against an empty schema: everything passes.
        self._fast = self._exact = None
        if schema.hard_validation and properties:
            self._exact = _compile(self._json_schema, format_checkers(), label)
            self._fast = _compile(fast_schema(self._json_schema), {"bsn": is_bsn}, label)
        logger.debug("Prepared validation for %s: %d properties", label, len(properties))

    @property
    def json_schema(self) -> dict[str, Any]:
        """Return (a copy of) the transformed JSON Schema that objects are validated against."""
        return copy.deepcopy(self._json_schema)

    def validate(self, obj: dict[str, Any]) -> list[ValidationIssue]:
        """Return what is wrong with ``obj`` (an empty list when it passes); never raises for bad data."""
        if self._fast is None or self._exact is None:
            return []
        data = prepare(obj, self._rules) if type(obj) is dict else obj
        try:
            if self._fast.is_valid(data):
                return []
            data = php_arrays_below(data) if type(data) is dict else data
            errors = list(self._exact.iter_errors(data))
        except (ValueError, TypeError, OverflowError) as exc:
            return [_unsupported(exc)]
        return explain(errors, self._json_schema) if errors else []


def prepare(obj: dict[str, Any], rules: DataRules) -> dict[str, Any]:
    """Return the copy of ``obj`` OpenRegister validates (``obj`` itself when nothing changes).

    For non-required first-level keys it leaves out ``""``, empty arrays (unless the property has
    ``minItems``/``maxItems``/``uniqueItems``) and ``null`` for enums without null. An empty object
    that stays is turned into an empty array, as PHP sees it. ``extend`` and ``filters`` are removed.
    """
    changed: dict[str, Any] | None = None
    for key, value in obj.items():
        # Only falsy values can need a change; the loop stays cheap for everything else.
        if value:
            continue
        replacement = _replacement(key, value, rules)
        if replacement is _KEEP:
            continue
        if changed is None:
            changed = dict(obj)
        if replacement is _DROP:
            del changed[key]
        else:
            changed[key] = replacement
    result = obj if changed is None else changed
    if "extend" in result or "filters" in result:
        result = {key: value for key, value in result.items() if key not in _IGNORED_KEYS}
    return result


_KEEP = object()
_DROP = object()


def _replacement(key: str, value: Any, rules: DataRules) -> Any:
    kind = type(value)
    if key in rules.required:
        return [] if kind is dict else _KEEP
    if kind is str or (kind in _CONTAINERS and key not in rules.keep_empty_arrays):
        return _DROP
    if kind is dict:
        return []
    if value is None and key in rules.drop_null:
        return _DROP
    return _KEEP


def php_arrays_below(data: dict[str, Any]) -> dict[str, Any]:
    """Return ``data`` with every empty object below the first level turned into an empty array."""
    changed: dict[str, Any] | None = None
    for key, value in data.items():
        if value and type(value) in _CONTAINERS:
            converted = php_arrays(value)
            if converted is not value:
                changed = dict(data) if changed is None else changed
                changed[key] = converted
    return data if changed is None else changed


def php_arrays(value: Any) -> Any:
    """Return ``value`` with every empty object turned into an empty array (``value`` itself if none)."""
    if type(value) is dict:
        if not value:
            return []
        return _converted(value, value.items(), dict)
    return _converted(value, enumerate(value), list)


def _converted(value: Any, entries: Any, copy: Any) -> Any:
    changed: Any = None
    for key, item in entries:
        if type(item) in _CONTAINERS:
            converted = php_arrays(item)
            if converted is not item:
                changed = copy(value) if changed is None else changed
                changed[key] = converted
    return value if changed is None else changed


def _root_schema(schema: SchemaSpec, properties: dict[str, Any]) -> dict[str, Any]:
    root: dict[str, Any] = {"$schema": DRAFT_2020_12}
    if schema.title:
        root["title"] = schema.title
    if schema.description:
        root["description"] = schema.description
    root["type"] = "object"
    required = schema.required_properties()
    if required:
        root["required"] = required
    root["properties"] = properties
    return root


def _compile(json_schema: dict[str, Any], formats: dict[str, Any], label: str) -> jsonschema_rs.Draft202012Validator:
    try:
        return jsonschema_rs.Draft202012Validator(json_schema, validate_formats=True, formats=formats)
    except (jsonschema_rs.ValidationError, ValueError, TypeError) as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise SpecError(
            f"{label}: its property definitions are not a valid JSON Schema ({first_line}); "
            "fix that definition (a pattern must be a valid regular expression, numbers must be numbers)"
        ) from exc


def _unsupported(exc: Exception) -> ValidationIssue:
    detail = str(exc) or type(exc).__name__
    message = f"Property 'root' holds a value JSON cannot represent ({detail}). Please provide plain JSON data."
    return ValidationIssue(path="/", keyword="type", message=message, opis_message=message)
