"""Rebuild the JSON Schema OpenRegister 1.0 really validates an object against, and its data rules.

OpenRegister does not validate against the stored schema as written. ``Schema::getSchemaObject`` and
``ValidateObject::validateObject`` (v1.0.1) transform it first, and those transformations decide
what passes. This module repeats them in the same order:

1. first-level properties: keys with a PHP-empty value are dropped (so ``minimum: 0`` vanishes);
   a property with ``properties`` becomes ``{type: object, required: [flagged], properties}``;
2. a ``$ref`` to the schema itself (``#/components/schemas/<slug>``) becomes a UUID reference;
3. relation settings (``inversedBy``, ``objectConfiguration.handling: related-object``) turn objects
   into UUID strings; ``$ref`` is removed from string properties;
4. OpenRegister-only keys are removed, custom types mapped (``file`` → integer|string|null, ``date``
   and friends → string), object array items lose their properties (``{id: {type: string}}``) or,
   with a ``$ref``, become "UUID string or object with id"; ``enum``/``oneOf`` on arrays move to items;
5. non-required first-level properties get ``null`` added to their type, except enums without null.

The input definitions are deep-copied first; nothing here mutates the caller's spec.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from openconnector.core.php import is_empty
from openconnector.core.validation.phpish import JSON_TYPES, loosely_contains_null

UUID_REFERENCE = r"^([a-z]+-)?([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{32}|[0-9]+)$"

METADATA_KEYS = frozenset(
    {
        "cascadeDelete", "objectConfiguration", "inversedBy", "mappedBy", "targetEntity", "fetch", "indexBy",
        "orphanRemoval", "joinColumns", "inverseJoinColumns", "joinTable", "uniqueConstraints", "indexes",
        "options", "computed",
    }
)  # fmt: skip

_CUSTOM_TYPES: dict[str, Any] = {
    "file": ["integer", "string", "null"],
    "datetime": "string",
    "date": "string",
    "time": "string",
    "uuid": "string",
    "url": "string",
    "email": "string",
    "phone": "string",
}

_SCHEMA_REF_MARKER = "#/components/schemas/"


@dataclass(frozen=True)
class DataRules:
    """Which first-level values OpenRegister leaves out of the copy of the data it validates."""

    required: frozenset[str]
    keep_empty_arrays: frozenset[str]
    drop_null: frozenset[str]


def openregister_properties(
    properties: dict[str, dict[str, Any]], required: list[str], slug: str
) -> tuple[dict[str, Any], DataRules]:
    """Return the transformed first-level property schemas and the data rules that go with them."""
    result: dict[str, Any] = {}
    for name, definition in properties.items():
        prop = first_level_property(copy.deepcopy(definition))
        if slug:
            resolve_self_reference(prop, slug)
        transform_relations(prop)
        result[name] = clean_property(prop, items=False)
    rules = _data_rules(result, required)
    for name, prop in result.items():
        if name not in rules.required:
            allow_null(prop)
    return result, rules


def first_level_property(definition: dict[str, Any]) -> dict[str, Any]:
    """Copy a first-level definition the way ``getSchemaObject`` does."""
    if definition.get("properties") is not None:
        return _nested_object(definition)
    return {key: value for key, value in definition.items() if key != "required" and not is_empty(value)}


def resolve_self_reference(prop: dict[str, Any], slug: str) -> None:
    """Replace a ``$ref`` to the schema itself by a UUID reference, as OpenRegister does."""
    if not _is_self_reference(prop, slug):
        return
    items, config = prop.get("items"), prop.get("objectConfiguration")
    if isinstance(config, dict) and config.get("handling") == "related-object":
        if prop.get("inversedBy") is not None:
            prop["oneOf"] = [{"type": "null"}, uuid_string(), {"type": "object"}]
            _drop(prop, "type", "pattern")
        else:
            prop.update(type="string", pattern=UUID_REFERENCE)
        _drop(prop, "properties", "required")
    elif prop.get("type") == "array" and isinstance(items, dict) and _is_self_reference(items, slug):
        inversed = items.get("inversedBy") is not None
        prop["items"] = {"oneOf": [uuid_string(), {"type": "object"}]} if inversed else uuid_string()
    _drop(prop, "$ref")


def transform_relations(prop: dict[str, Any]) -> None:
    """Apply ``transformPropertyForOpenRegister``: relations become UUID strings, recursively."""
    if prop.get("inversedBy") not in (None, ""):
        _inversed_by(prop)
    items = prop.get("items")
    if prop.get("type") == "array" and isinstance(items, dict):
        if items.get("inversedBy") is not None:
            items.update(type="string", pattern=UUID_REFERENCE)
            _drop(items, "properties", "required", "$ref")
        elif items.get("type") == "object":
            _related_object(items)
    if prop.get("type") == "object":
        _related_object(prop)
    if prop.get("type") == "string":
        _drop(prop, "$ref")
    nested = prop.get("properties")
    if isinstance(nested, dict):
        for sub in nested.values():
            if isinstance(sub, dict):
                transform_relations(sub)


def clean_property(schema: Any, *, items: bool) -> Any:
    """Apply ``cleanPropertyForValidation``: drop OpenRegister-only keys, map types, fix arrays."""
    if not isinstance(schema, dict):
        return schema
    schema = {key: value for key, value in schema.items() if key not in METADATA_KEYS}
    if "type" in schema:
        schema["type"] = normalize_type(schema["type"])
    if items:
        return _clean_items(schema)
    nested = schema.get("properties")
    if isinstance(nested, dict):
        schema["properties"] = {name: clean_property(sub, items=False) for name, sub in nested.items()}
    if schema.get("items") is not None:
        schema["items"] = clean_property(schema["items"], items=True)
    _move_array_constraints_to_items(schema)
    return schema


def normalize_type(value: Any) -> Any:
    """Map OpenRegister's custom types to JSON types; unknown names are dropped (None when none remain)."""
    names = value if isinstance(value, list) else [value]
    mapped: list[str] = []
    for name in names:
        target = _CUSTOM_TYPES.get(name, name) if isinstance(name, str) else None
        for json_type in target if isinstance(target, list) else [target]:
            if json_type in JSON_TYPES and json_type not in mapped:
                mapped.append(json_type)
    if not mapped:
        return None
    return mapped if isinstance(value, list) or len(mapped) > 1 else mapped[0]


def allow_null(prop: dict[str, Any]) -> None:
    """Add ``null`` to the type of a non-required property, unless it is an enum without null."""
    enum = prop.get("enum")
    if isinstance(enum, list) and not any(value is None for value in enum):
        return
    kind = prop.get("type")
    if isinstance(kind, str):
        prop["type"] = [kind, "null"]
    elif isinstance(kind, list) and "null" not in kind:
        prop["type"] = [*kind, "null"]


def uuid_string() -> dict[str, Any]:
    """Return the schema OpenRegister uses for a reference to another object."""
    return {"type": "string", "pattern": UUID_REFERENCE}


def _nested_object(definition: dict[str, Any]) -> dict[str, Any]:
    subs = definition["properties"] if isinstance(definition["properties"], dict) else {}
    subs = {name: sub for name, sub in subs.items() if isinstance(sub, dict)}
    nested: dict[str, Any] = {
        "type": "object",
        "required": [name for name, sub in subs.items() if sub.get("required") is True],
        "properties": {
            name: {key: value for key, value in sub.items() if not (key == "oneOf" and is_empty(value))}
            for name, sub in subs.items()
        },
    }
    if isinstance(definition.get("title"), str):
        nested["title"] = definition["title"]
    return nested


def _inversed_by(prop: dict[str, Any]) -> None:
    if prop.get("type") == "array":
        prop["items"] = {"oneOf": [uuid_string(), {"type": "object"}]}
    elif prop.get("type") == "object":
        prop["oneOf"] = [{"type": "null"}, uuid_string(), {"type": "object"}]
        _drop(prop, "type", "pattern", "properties", "required", "$ref")


def _related_object(schema: dict[str, Any]) -> None:
    # OpenRegister's "nested-object" branch only acts on a self-reference it can never detect (it
    # compares a bare slug), so "related-object" is the only handling that changes the schema.
    if _handling(schema) != "related-object":
        return
    if schema.get("inversedBy") is None:
        _drop(schema, "properties", "required", "$ref")
        schema.update(type="string", pattern=UUID_REFERENCE)
        return
    whole: dict[str, Any] = {"type": "object"}
    for key in ("properties", "required", "$ref"):
        value = schema.pop(key, None)
        if not is_empty(value):
            whole[key] = value
    schema.pop("type", None)
    schema["oneOf"] = [whole, uuid_string()]


def _handling(schema: dict[str, Any]) -> Any:
    """Find ``objectConfiguration.handling`` on the schema, its items, or their ``oneOf`` entries."""
    candidates: list[Any] = [schema]
    items = schema.get("items")
    if isinstance(items, dict):
        candidates += [items, *_as_list(items.get("oneOf"))]
    candidates += _as_list(schema.get("oneOf"))
    for candidate in candidates:
        config = candidate.get("objectConfiguration") if isinstance(candidate, dict) else None
        if isinstance(config, dict) and config.get("handling") is not None:
            return config["handling"]
    return None


def _clean_items(schema: dict[str, Any]) -> dict[str, Any]:
    """Apply ``transformArrayItemsForValidation`` to an array's item schema."""
    if schema.get("type") != "object":
        return schema
    # OpenRegister looks for objectConfiguration here after removing it, so only $ref decides.
    if schema.get("$ref") is not None:
        _drop(schema, "properties", "required", "$ref", "type")
        with_id = {"type": "object", "properties": {"id": uuid_string()}, "required": ["id"]}
        schema["oneOf"] = [uuid_string(), with_id]
        return schema
    schema["properties"] = {"id": {"type": "string"}}
    return schema


def _move_array_constraints_to_items(schema: dict[str, Any]) -> None:
    items = schema.get("items")
    if schema.get("type") != "array" or not (items is None or isinstance(items, dict)):
        return
    for key, default_items in (("enum", {"type": "string"}), ("oneOf", {})):
        value = schema.get(key)
        if isinstance(value, list) and value:
            items = schema.setdefault("items", dict(default_items))
            items.setdefault(key, value)
            del schema[key]


def _is_self_reference(schema: dict[str, Any], slug: str) -> bool:
    ref = schema.get("$ref")
    if isinstance(ref, dict):
        ref = ref.get("id")
    if not isinstance(ref, str) or _SCHEMA_REF_MARKER not in ref:
        return False
    return ref.split("?", 1)[0].rsplit("/", 1)[-1] == slug


def _data_rules(properties: dict[str, Any], required: list[str]) -> DataRules:
    keep_empty = {name for name, prop in properties.items() if _constrains_empty_array(prop)}
    drop_null = {
        name
        for name, prop in properties.items()
        if isinstance(prop.get("enum"), list) and not loosely_contains_null(prop["enum"])
    }
    return DataRules(frozenset(required), frozenset(keep_empty), frozenset(drop_null))


def _constrains_empty_array(prop: dict[str, Any]) -> bool:
    min_items = prop.get("minItems")
    has_min = isinstance(min_items, (int, float)) and not isinstance(min_items, bool) and min_items > 0
    return has_min or prop.get("maxItems") is not None or prop.get("uniqueItems") is True


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _drop(schema: dict[str, Any], *keys: str) -> None:
    for key in keys:
        schema.pop(key, None)
