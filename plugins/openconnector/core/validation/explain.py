"""Turn jsonschema-rs errors into issues in the order, and with the selection, that Opis reports.

Opis (OpenRegister's validator) stops at the first failing keyword of every schema it evaluates, in a
fixed keyword order (type, const, enum, format, string, number, array, object keywords, then the
combinators), walks ``properties`` in their declaration order and array items by index, and explores
every branch of a failed ``oneOf``/``anyOf``. OpenRegister's message is the one for the first leaf of
that tree. jsonschema-rs reports every failing keyword, so each error is placed in the Opis tree from
its schema path: errors behind an earlier failure of the same schema are "shadowed" (Opis would not
report them) and sorted after the reported ones.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import jsonschema_rs

from openconnector.core.validation.issues import ValidationIssue
from openconnector.core.validation.messages import Failure, openregister_message, opis_message

MAX_ISSUES = 100

_Kind = jsonschema_rs.ValidationErrorKind
_KEYWORD_ORDER = (
    "type", "const", "enum", "format",
    "minLength", "maxLength", "pattern", "contentEncoding", "contentMediaType", "contentSchema",
    "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf",
    "minItems", "maxItems", "uniqueItems", "contains", "minContains", "maxContains", "prefixItems", "items",
    "minProperties", "maxProperties", "required", "dependentRequired", "dependentSchemas", "propertyNames",
    "properties", "patternProperties", "additionalProperties",
    "if", "anyOf", "allOf", "oneOf", "not", "unevaluatedProperties", "unevaluatedItems",
)  # fmt: skip
_RANK = {keyword: rank for rank, keyword in enumerate(_KEYWORD_ORDER)} | {"then": 32, "else": 32}
_UNKNOWN_RANK = len(_KEYWORD_ORDER)

# keyword → (path elements it consumes, data levels it descends)
_DESCENT = {
    "properties": (2, 1), "patternProperties": (2, 1), "prefixItems": (2, 1), "dependentSchemas": (2, 0),
    "allOf": (2, 0), "anyOf": (2, 0), "oneOf": (2, 0),
    "items": (1, 1), "additionalProperties": (1, 1), "contains": (1, 1),
    "unevaluatedItems": (1, 1), "unevaluatedProperties": (1, 1),
    "not": (1, 0), "if": (1, 0), "then": (1, 0), "else": (1, 0), "propertyNames": (1, 0),
}  # fmt: skip

Path = tuple[Any, ...]
Step = tuple[tuple[Path, Path], int, tuple[int, Any]]


@dataclass(frozen=True)
class _Leaf:
    failure: Failure
    steps: tuple[Step, ...]

    @property
    def order(self) -> tuple[tuple[int, tuple[int, Any]], ...]:
        """Return the sort key: keyword rank and branch position at every node, from the root down."""
        return tuple((rank, sub) for _, rank, sub in self.steps)


def explain(errors: Iterable[jsonschema_rs.ValidationError], schema: dict[str, Any]) -> list[ValidationIssue]:
    """Return issues for ``errors``: Opis-reported ones first in Opis order, then the shadowed ones."""
    leaves = _leaves(errors, schema)
    lowest: dict[tuple[Path, Path], int] = {}
    for leaf in leaves:
        for node, rank, _ in leaf.steps:
            lowest[node] = min(rank, lowest.get(node, rank))
    reported, shadowed = [], []
    for leaf in sorted(leaves, key=lambda item: item.order):
        visible = all(rank == lowest[node] for node, rank, _ in leaf.steps)
        (reported if visible else shadowed).append(_issue(leaf.failure, visible))
    return (reported + shadowed)[:MAX_ISSUES]


def pointer(instance_path: Path) -> str:
    """Render a data path as a JSON pointer, "/" for the root, as Opis does."""
    parts = (str(part).replace("~", "~0").replace("/", "~1") for part in instance_path)
    return "/" + "/".join(parts)


def _issue(failure: Failure, visible: bool) -> ValidationIssue:
    return ValidationIssue(
        path=pointer(failure.instance_path),
        keyword=failure.keyword,
        message=openregister_message(failure),
        opis_message=opis_message(failure),
        opis_reported=visible,
    )


def _leaves(errors: Iterable[jsonschema_rs.ValidationError], schema: dict[str, Any]) -> list[_Leaf]:
    leaves: list[_Leaf] = []
    missing: dict[tuple[Path, Path], list[str]] = {}
    for error in _flatten(errors):
        path, where = tuple(error.schema_path), tuple(error.instance_path)
        if isinstance(error.kind, _Kind.Required):
            missing.setdefault((path, where), []).append(error.kind.property)
            continue
        keyword = path[-1] if path and isinstance(path[-1], str) else error.kind.name
        names = tuple(error.kind.unexpected) if isinstance(error.kind, _Kind.AdditionalProperties) else ()
        failure = Failure(where, keyword, _lookup(schema, path), error.instance, names)
        leaves.append(_Leaf(failure, _steps(schema, path, where)))
    for (path, where), names in missing.items():
        order = _lookup(schema, path)
        order = order if isinstance(order, list) else []
        ranked = sorted(names, key=lambda name: order.index(name) if name in order else len(order))
        failure = Failure(where, "required", order, None, tuple(ranked))
        leaves.append(_Leaf(failure, _steps(schema, path, where)))
    return leaves


def _flatten(errors: Iterable[jsonschema_rs.ValidationError]) -> Iterator[jsonschema_rs.ValidationError]:
    """Replace a failed ``oneOf``/``anyOf`` by the errors of its branches, as Opis's error tree holds them."""
    for error in errors:
        kind = error.kind
        branches = kind.context if isinstance(kind, (_Kind.OneOfNotValid, _Kind.AnyOf)) else []
        if any(branches):
            for branch in branches:
                yield from _flatten(branch)
        else:
            yield error


def _steps(schema: dict[str, Any], path: Path, where: Path) -> tuple[Step, ...]:
    """Place an error in the Opis tree: per schema node passed, the keyword rank and branch position."""
    steps: list[Step] = []
    node: Any = schema
    index = depth = 0
    while index < len(path) and isinstance(node, dict):
        keyword = path[index]
        rank = _RANK.get(keyword, _UNKNOWN_RANK)
        used, descends = _DESCENT.get(keyword, (0, 0))
        if used == 0 or index + 1 >= len(path):
            # The keyword that failed (also an applicator such as "additionalProperties: false").
            steps.append(((path[:index], where[:depth]), rank, (0, 0)))
            break
        child_key = path[index + 1] if used == 2 else None
        steps.append(((path[:index], where[:depth]), rank, _position(node, keyword, child_key, where, depth)))
        child = node.get(keyword)
        node = child[child_key] if used == 2 and isinstance(child, (dict, list)) else child
        index, depth = index + used, depth + descends
    return tuple(steps)


def _position(node: dict[str, Any], keyword: str, child_key: Any, where: Path, depth: int) -> tuple[int, Any]:
    """Return where a child comes in Opis's walk: declaration order of properties, else index or name."""
    properties = node.get("properties")
    if keyword == "properties" and isinstance(properties, dict) and child_key in properties:
        return (0, list(properties).index(child_key))
    if isinstance(child_key, int):
        return (0, child_key)
    if keyword in ("items", "additionalProperties", "patternProperties", "contains") and depth < len(where):
        part = where[depth]
        return (0, part) if isinstance(part, int) else (1, str(part))
    return (1, str(child_key or ""))


def _lookup(schema: dict[str, Any], path: Path) -> Any:
    node: Any = schema
    for part in path:
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
        else:
            return None
    return node
