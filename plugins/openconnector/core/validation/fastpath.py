"""Derive the fast-path schema: stricter than the real one, but free of Python callbacks.

An object that passes the fast schema passes the real one, so ``validate`` returns at once. An object
that fails it is checked again, exactly, on the slow path. Two rewrites make the fast schema cheap:

- formats with a Python checker are replaced by native regular expressions that accept a subset
  (``formats.FAST_PATTERNS``); only ``bsn`` keeps its checker;
- every schema whose type allows objects but not arrays gets ``minProperties: 1``. In OpenRegister an
  empty object nested in the data is a PHP empty array, so it fails such a type; the fast path skips
  that conversion (it would walk the whole object) and lets these rare objects take the slow path.
"""

from __future__ import annotations

from typing import Any

from openconnector.core.validation.formats import FAST_PATTERNS

_SCHEMA_KEYS = frozenset(
    {
        "items", "additionalProperties", "contains", "propertyNames", "unevaluatedItems",
        "unevaluatedProperties", "not", "if", "then", "else",
    }
)  # fmt: skip
_SCHEMA_MAP_KEYS = frozenset({"properties", "patternProperties", "dependentSchemas"})
_SCHEMA_LIST_KEYS = frozenset({"allOf", "anyOf", "oneOf", "prefixItems"})


def fast_schema(node: Any) -> Any:
    """Return the fast-path variant of a sanitized schema."""
    if not isinstance(node, dict):
        return node
    out = {key: _children(key, value) for key, value in node.items()}
    fast_format = FAST_PATTERNS.get(out.get("format"))  # type: ignore[arg-type]
    if fast_format is not None:
        del out["format"]
        out["allOf"] = [*out.get("allOf", []), dict(fast_format)]
    kinds = out.get("type")
    kinds = [kinds] if isinstance(kinds, str) else kinds or []
    if "object" in kinds and "array" not in kinds and not out.get("minProperties"):
        out["minProperties"] = 1
    return out


def _children(key: str, value: Any) -> Any:
    if key in _SCHEMA_KEYS:
        return fast_schema(value)
    if key in _SCHEMA_MAP_KEYS and isinstance(value, dict):
        return {name: fast_schema(sub) for name, sub in value.items()}
    if key in _SCHEMA_LIST_KEYS and isinstance(value, list):
        return [fast_schema(sub) for sub in value]
    return value
