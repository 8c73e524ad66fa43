"""Apply a mapping in OpenConnector's model to one object: passThrough → mapping → unset → cast.

How a ``mapping`` value is evaluated (OpenConnector rendered Twig here; this port uses JSONata):

1. A value that is not text (a number, true/false, null, a list, an object) is a constant.
2. Text that is a dot path present in the input (``name.legal``, ``contacts.0.value``) copies that
   value with its type, as in OpenConnector. A key that itself contains a dot is written ``&#46;``
   (``values.case&#46;subject``); an exact top-level key match wins (``"a.b"`` finds the key "a.b").
   Only text made of path characters (letters, digits, ``_ - @ $ :``, spaces, ``&#46;``) is tried as
   a path.
3. Any other text is a JSONata expression evaluated against the input, as the input arrived (there a
   dotted key is quoted with backticks: `case.subject`), with the run's variables (``$originId`` ...).
   Its result keeps its JSON type. An undefined result (a missing field) leaves the target unset,
   where OpenConnector would have written the expression text itself; null is written as null.
   A constant text is a JSONata string: ``type: "'zaak'"``.
4. Text that looks like a path but is no valid JSONata (``contacts.0.value``) is only a path: when
   the input lacks it, the target stays unset.

Targets are dot paths too: ``address.city`` builds nested objects, a ``0`` segment starts a list,
``&#46;`` puts a literal dot in a key. ``unset`` removes paths; ``cast`` runs OpenConnector's casts.
If the result has exactly one key ``#``, its value is the whole result (a list or object; a scalar
becomes ``[scalar]``, null becomes ``[]``), as OpenConnector's root mapping.

The input is never modified. The output may share unchanged nested values with the input, so treat
both as read-only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Final

from openconnector.core import paths, php
from openconnector.core.mapping.bindings import Clock
from openconnector.core.mapping.casts import DELETE, Cast
from openconnector.core.mapping.engine import UNDEFINED, Expression, compile_expression
from openconnector.core.mapping.model import MappingModel
from openconnector.errors import MappingError

MISSING: Final = paths.MISSING
ROOT_KEY: Final = "#"

_SEGMENT = r"(?:[\w@$: -]|&#46;)+"
_PATH_LIKE: Final = re.compile(rf"{_SEGMENT}(?:\.{_SEGMENT})*\Z")
_USES_VARIABLES: Final = re.compile(
    r"\$(?:synchronizationId|runTimestamp|dataIntervalStart|dataIntervalEnd|originId|source|eval)\b"
)
_USES_CLOCK: Final = re.compile(r"\$(?:now|millis|eval)\b")
_CAST_FAILURES: Final = (ValueError, TypeError, ArithmeticError)


@dataclass(slots=True)
class _Entry:
    """One ``mapping`` entry, classified once at compile time."""

    target: str
    target_parts: list[str]
    target_key: str | None = None  # set when the target is one top-level key (the fast, common case)
    constant: Any = MISSING
    path_parts: list[str] | None = None
    path_key: str = ""
    expression: Expression | None = None
    uses_variables: bool = False


def uses_clock(text: str) -> bool:
    """Tell whether JSONata ``text`` may call ``$now()``/``$millis()`` (comments do not count)."""
    return _USES_CLOCK.search(without_comments(text)) is not None


def uses_variables(text: str) -> bool:
    """Tell whether JSONata ``text`` may read one of the run variables (comments do not count)."""
    return _USES_VARIABLES.search(without_comments(text)) is not None


def without_comments(text: str) -> str:
    """Return JSONata ``text`` without its ``/* */`` comments; strings and quoted names stay intact.

    Passing variables and a clock costs time per object, so they are given only to expressions that
    mention them; a mention inside a comment must not count, one inside a string may (harmless).
    """
    if "/*" not in text:
        return text
    out: list[str] = []
    index, quote = 0, ""
    while index < len(text):
        char = text[index]
        if quote:
            out.append(text[index : index + 2] if char == "\\" and quote != "`" else char)
            index += 2 if char == "\\" and quote != "`" else 1
            quote = "" if char == quote else quote
            continue
        if text.startswith("/*", index):
            end = text.find("*/", index + 2)
            index = len(text) if end < 0 else end + 2
            out.append(" ")
            continue
        quote = char if char in "'\"`" else ""
        out.append(char)
        index += 1
    return "".join(out)


class ModelMapper:
    """A compiled OpenConnector-model mapping for one thread."""

    def __init__(self, model: MappingModel, *, engine: str, timeout_ms: int, max_depth: int, label: str) -> None:
        """Compile every expression; raise one MappingError listing each that does not compile."""
        self._model = model
        self._label = label
        texts = [v for v in model.mapping.values() if isinstance(v, str)]
        self.clock: Clock | None = Clock() if any(uses_clock(t) for t in texts) else None
        self.uses_variables = any(uses_variables(t) for t in texts)
        options = {"engine": engine, "timeout_ms": timeout_ms, "max_depth": max_depth, "clock": self.clock}
        errors: list[MappingError] = []
        self._entries = [self._entry(target, value, options, errors) for target, value in model.mapping.items()]
        if errors:
            detail = "\n".join(str(e) for e in errors)
            raise MappingError(detail, code=errors[0].code, position=errors[0].position)
        self._unset = [paths.split_path(target) for target in model.unset]
        self._casts = [(t, paths.split_path(t), casts) for t, casts in (model.cast or {}).items()]

    def _entry(self, target: str, value: Any, options: dict[str, Any], errors: list[MappingError]) -> _Entry:
        parts = paths.split_path(target)
        entry = _Entry(target, parts, parts[0] if len(parts) == 1 else None)
        if not isinstance(value, str):
            entry.constant = value
            return entry
        path_like = _PATH_LIKE.match(value) is not None
        if path_like:
            entry.path_key, entry.path_parts = value, paths.split_path(value)
        label = f"{self._label}: mapping.{target} (expression {_short(value)})"
        try:
            entry.expression = compile_expression(value, label=label, keep_undefined=True, **options)
        except MappingError as exc:
            if not path_like:
                errors.append(exc)
        entry.uses_variables = uses_variables(value)
        return entry

    def apply(self, obj: Any, variables: dict[str, Any] | None) -> Any:
        """Map ``obj`` (an object); raise MappingError naming the target path that failed."""
        if type(obj) is not dict:
            raise MappingError(f"{self._label}: the input must be an object, got {php.type_name(obj)}")
        out: dict[str, Any] = dict(obj) if self._model.pass_through else {}
        owned = {id(out)}
        prepared: list[Any] = []  # the input converted for the engine, once, when first needed
        for entry in self._entries:
            value = _value(entry, obj, prepared, variables)
            if value is UNDEFINED:
                continue
            if entry.target_key is not None:
                out[entry.target_key] = value
            else:
                self._set(out, entry.target, entry.target_parts, value, owned)
        for parts in self._unset:
            _delete(out, parts, owned)
        for target, parts, casts in self._casts:
            self._cast(out, target, parts, casts, owned)
        return _root(out)

    def _cast(
        self, out: dict[str, Any], target: str, parts: list[str], casts: tuple[Cast, ...], owned: set[int]
    ) -> None:
        value = out[target] if target in out else paths.get_path(out, parts)
        if value is MISSING:
            return  # OpenConnector skips casts of targets the output does not have
        for cast in casts:
            try:
                value = cast.apply(value, target, out)
            except _CAST_FAILURES as exc:
                raise MappingError(
                    f"{self._label}: cast.{target}: cast {cast.text!r} cannot take the "
                    f"{php.type_name(value)} {_short(value)}: {exc}"
                ) from None
            if value is DELETE:
                _delete(out, parts, owned)
                return
            if len(parts) == 1:
                out[parts[0]] = value
            else:
                self._set(out, target, parts, value, owned)

    def _set(self, out: dict[str, Any], target: str, parts: list[str], value: Any, owned: set[int]) -> None:
        try:
            _set_path(out, parts, value, owned)
        except ValueError as exc:
            raise MappingError(f"{self._label}: mapping.{target}: cannot write the target path: {exc}") from None


def _value(entry: _Entry, obj: dict[str, Any], prepared: list[Any], variables: dict[str, Any] | None) -> Any:
    """Return the value of one mapping entry for ``obj``: constant, dot-path copy or expression result."""
    if entry.constant is not MISSING:
        return entry.constant
    if entry.path_parts is not None:
        value = obj[entry.path_key] if entry.path_key in obj else paths.get_path(obj, entry.path_parts)
        if value is not MISSING:
            return value
    if entry.expression is None:
        return UNDEFINED  # text that can only be a path, and the input lacks it
    if not prepared:
        prepared.append(entry.expression.prepare(obj))
    return entry.expression.evaluate_prepared(prepared[0], variables if entry.uses_variables else None)


def _set_path(out: dict[str, Any], parts: list[str], value: Any, owned: set[int]) -> None:
    """Set ``parts`` in ``out``, creating objects (or a list before a ``0`` segment) on the way."""
    node: Any = out
    for index in range(len(parts) - 1):
        key = parts[index]
        child = _child(node, key)
        if isinstance(child, (dict, list)):
            if id(child) not in owned:
                child = _own(node, key, child, owned)
        else:
            # Like OpenConnector's Dot::set, a scalar in the way is replaced by a container.
            child = [] if parts[index + 1] == "0" else {}
            _assign(node, key, child)
            owned.add(id(child))
        node = child
    _assign(node, parts[-1], value)


def _delete(out: dict[str, Any], parts: list[str], owned: set[int]) -> None:
    """Remove ``parts`` from ``out`` if present (a list element is removed, later ones move up)."""
    node: Any = out
    for key in parts[:-1]:
        child = _child(node, key)
        if not isinstance(child, (dict, list)):
            return
        node = child if id(child) in owned else _own(node, key, child, owned)
    last = parts[-1]
    if isinstance(node, dict):
        node.pop(last, None)
    elif last.isdigit() and int(last) < len(node):
        del node[int(last)]


def _child(node: Any, key: str) -> Any:
    if isinstance(node, dict):
        return node.get(key, MISSING)
    if key.isdigit() and int(key) < len(node):
        return node[int(key)]
    return MISSING


def _own(node: Any, key: str, child: dict[str, Any] | list[Any], owned: set[int]) -> Any:
    """Copy ``child`` (shared with the input or a constant) before it is changed, and put it in place."""
    copy: Any = dict(child) if isinstance(child, dict) else list(child)
    _assign(node, key, copy)
    owned.add(id(copy))
    return copy


def _assign(node: Any, key: str, value: Any) -> None:
    if isinstance(node, dict):
        node[key] = value
        return
    if not key.isdigit():
        raise ValueError(f"{key!r} is not a list position (the value there is a list)")
    position = int(key)
    if position < len(node):
        node[position] = value
    elif position == len(node):
        node.append(value)
    else:
        raise ValueError(f"list position {position} skips positions (the list has {len(node)} items)")


def _root(out: dict[str, Any]) -> Any:
    """Return the value of a lone ``#`` key as the result (OpenConnector's root mapping)."""
    if len(out) != 1 or ROOT_KEY not in out:
        return out
    value = out[ROOT_KEY]
    if value is None:
        return []
    return value if isinstance(value, (dict, list)) else [value]


def _short(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
