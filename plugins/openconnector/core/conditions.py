"""JSON Logic conditions on source objects, evaluated like OpenConnector's json-logic-php.

A synchronization's ``conditions`` decide per (enriched) source object whether it is synchronized at
all; objects that fail are counted skipped and never reach the target. The engine is datalogic-py
(maintained, Rust core). Checked against json-logic-php for what OpenConnector ships and users write:

* Truthiness is the same: ``0``, ``""``, ``null``, ``[]`` and ``{}`` (an empty PHP array) are false;
  ``"0"`` and ``"false"`` are true (json-logic-php special-cases ``"0"`` to match JavaScript).
* ``{"==": [1, 1]}`` is true; ``==`` is loose in both (``"1" == 1``).
* ``{"in": [{"var": "x"}, [...]]}`` tests list membership. One difference: PHP's ``in_array`` is loose,
  so PHP finds ``"1"`` in ``[1, 2]`` and datalogic does not. Keep the types of the list and the field
  the same (both strings, usually), which is also what the JavaScript reference does.
* A key that contains a dot is addressed with OpenConnector's escape ``&#46;``:
  ``{"!!": {"var": "values.case&#46;subject"}}`` reads key ``case.subject`` under ``values``. As in
  OpenConnector, the object's keys are encoded (``.`` → ``&#46;``) before evaluation, but only when the
  rule uses the escape, and only in the parts of the object the rule reads.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import datalogic_py
import orjson

from openconnector.errors import MappingError, SpecError

_ENGINE: Final = datalogic_py.Engine()
_ESCAPE: Final = "&#46;"


class Conditions:
    """A compiled JSON Logic rule that says whether a source object is synchronized.

    :param rule: the JSON Logic rule; ``None`` or ``{}`` accepts every object.
    :param where: how messages name the rule, e.g. ``include/synchronizations/zaken.yaml: conditions``.
    :raises SpecError: the rule does not compile (unknown operator, wrong arity).
    """

    def __init__(self, rule: Mapping[str, Any] | None, *, where: str = "conditions") -> None:
        self.where = where
        self.rule = dict(rule) if rule else None
        self._compiled: Any = None
        self._encode_keys = False
        if self.rule is None:
            return
        try:
            # Wrapping in "!!" makes the engine apply its truthiness, so every result is a plain bool.
            self._compiled = _ENGINE.compile_checked({"!!": [self.rule]})
        except datalogic_py.DataLogicError as exc:
            raise SpecError(f"{where}: {_describe(exc)}; the rule: {_short(self.rule)}") from None
        self._encode_keys = _ESCAPE in orjson.dumps(self.rule).decode()
        facts = self._compiled.facts()
        # The top-level keys the rule reads, when the engine can tell: only those subtrees need encoding.
        self._roots: set[str] | None = {p[0] for p in facts["reads"] if p} if facts["reads_complete"] else None

    @property
    def always(self) -> bool:
        """Tell whether every object passes (no rule)."""
        return self._compiled is None

    def matches(self, obj: Any) -> bool:
        """Return whether ``obj`` passes the rule.

        :raises MappingError: the rule fails on this object (e.g. arithmetic on a string), with the
            engine's error type as ``code``.
        """
        if self._compiled is None:
            return True
        data = self._encoded(obj) if self._encode_keys else obj
        try:
            return bool(self._compiled.evaluate(data))
        except datalogic_py.DataLogicError as exc:
            raise MappingError(
                f"{self.where}: the rule failed on this object: {_describe(exc)}", code=getattr(exc, "error_type", None)
            ) from None

    def _encoded(self, obj: Any) -> Any:
        if self._roots is None or not isinstance(obj, dict):
            return encode_dotted_keys(obj)
        encoded = ((_escape(key), value) for key, value in obj.items())
        return {key: encode_dotted_keys(value) for key, value in encoded if key in self._roots}


def _escape(key: Any) -> Any:
    return key.replace(".", _ESCAPE) if isinstance(key, str) and "." in key else key


def encode_dotted_keys(value: Any) -> Any:
    """Return ``value`` with ``.`` in object keys written as ``&#46;``; unchanged parts are not copied."""
    if isinstance(value, dict):
        changed = False
        out: dict[str, Any] = {}
        for key, item in value.items():
            new_item = encode_dotted_keys(item)
            new_key = _escape(key)
            changed = changed or new_item is not item or new_key is not key
            out[new_key] = new_item
        return out if changed else value
    if isinstance(value, list):
        items = [encode_dotted_keys(item) for item in value]
        return items if any(new is not old for new, old in zip(items, value, strict=True)) else value
    return value


def _describe(exc: datalogic_py.DataLogicError) -> str:
    diagnostics = getattr(exc, "diagnostics", None)
    if diagnostics:
        first = diagnostics[0]
        # Pointers are into the "!!" wrapper; show them relative to the rule the user wrote.
        pointer = str(first.get("pointer") or "").removeprefix("/!!/0") or "/"
        return f"{first.get('message')} (at {pointer})"
    return str(exc)


def _short(rule: Any) -> str:
    text = orjson.dumps(rule).decode()
    return text if len(text) <= 200 else text[:200] + "…"
