"""The one JSONata adapter: compile once, evaluate per object, one error type for every engine.

Everything the project evaluates goes through ``compile_expression``; the engines sit behind it
(``engine_jsonatapy``, ``engine_jsonata_python``) and are imported only when selected, so the
alternative engine costs nothing unless a mapping asks for it. Every failure, from a syntax error to
an engine panic, leaves as ``MappingError`` carrying the JSONata code and, where the engine knows it,
the position. Evaluations are bounded in time and depth, so one runaway object cannot hang a task.
Inputs are made safe first (``values``): integers a JSONata number would round arrive as exact text,
dates as ISO text.
"""

from __future__ import annotations

import importlib
import re
from types import ModuleType
from typing import Any, Final

import orjson

from openconnector.core.mapping import values
from openconnector.core.mapping.bindings import Clock
from openconnector.errors import MappingError

#: Engine names a MappingRef may select, with the module that adapts each.
ENGINE_MODULES: Final = {
    "jsonatapy": "openconnector.core.mapping.engine_jsonatapy",
    "jsonata-python": "openconnector.core.mapping.engine_jsonata_python",
}
DEFAULT_ENGINE: Final = "jsonatapy"
#: Deepest evaluation nesting allowed; deep enough for recursive helpers over real documents.
DEFAULT_MAX_DEPTH: Final = 1000
#: Returned by an expression compiled with ``keep_undefined`` when its result is undefined; passed as
#: input, it means "no input at all" (JSONata's undefined), which differs from JSON null.
UNDEFINED: Final = type("Undefined", (), {"__repr__": lambda self: "UNDEFINED", "__slots__": ()})()

# Wrapping an expression in an object constructor tells an undefined result (no key) from null;
# neither engine's evaluate() does.
_WRAP_PREFIX: Final = '{"v": ('
_WRAP_SUFFIX: Final = "\n)}"
_FATAL: Final = (KeyboardInterrupt, SystemExit, GeneratorExit, MemoryError)
# A number of 16 or more digits in compact JSON text (after ':', '[' or ','; digits inside a string
# follow a quote). It may exceed 2^53, which the engine's text parser would round: such text takes the
# exact (dict) path. A false alarm only costs speed.
_LONG_NUMBER: Final = re.compile(r"[:\[,]-?\d{16}")


def engine_module(name: str) -> ModuleType:
    """Return the adapter module of engine ``name``; raise MappingError naming the accepted engines."""
    module = ENGINE_MODULES.get(name)
    if module is None:
        raise MappingError(f"unknown JSONata engine {name!r}; accepted: {', '.join(map(repr, ENGINE_MODULES))}")
    return importlib.import_module(module)


def compile_expression(
    source: str,
    *,
    engine: str = DEFAULT_ENGINE,
    timeout_ms: int | None = 1000,
    max_depth: int | None = DEFAULT_MAX_DEPTH,
    label: str = "expression",
    clock: Clock | None = None,
    keep_undefined: bool = False,
) -> Expression:
    """Compile ``source`` with ``engine``; raise MappingError (code, position) prefixed with ``label``.

    :param clock: if given, ``$now()``/``$millis()`` read it instead of the wall clock.
    :param keep_undefined: return ``UNDEFINED`` (not None) when the result is undefined.
    """
    adapter = engine_module(engine)
    bounds = (timeout_ms, max_depth, clock)
    # The text is compiled as written first, so syntax errors and their positions are the user's and
    # no unbalanced text can turn valid by being wrapped.
    raw = _compile(adapter, source, bounds, label)
    if keep_undefined:
        raw = _compile(adapter, f"{_WRAP_PREFIX}{source}{_WRAP_SUFFIX}", bounds, label)
    return Expression(raw, adapter, label, source, keep_undefined)


def _compile(adapter: ModuleType, text: str, bounds: tuple[int | None, int | None, Clock | None], label: str) -> Any:
    try:
        return adapter.EXPRESSION(text, *bounds)
    except _FATAL:
        raise
    except BaseException as exc:  # PyO3 panics derive from BaseException
        raise _mapping_error(adapter, exc, label, text, "does not compile", False) from None


class Expression:
    """A compiled expression bound to the thread that compiled it; every failure is a MappingError."""

    __slots__ = ("_adapter", "_exact_int", "_raw", "_wrapped", "label", "source")

    def __init__(self, raw: Any, adapter: ModuleType, label: str, source: str, wrapped: bool) -> None:
        """Wrap an engine's compiled expression (use ``compile_expression`` to make one)."""
        self._raw = raw
        self._adapter = adapter
        self._wrapped = wrapped
        self._exact_int: int | None = adapter.EXACT_INT
        self.label = label
        self.source = source

    @property
    def engine(self) -> str:
        """Return the engine name."""
        return str(self._adapter.NAME)

    def evaluate(self, data: Any, variables: dict[str, Any] | None = None) -> Any:
        """Evaluate against ``data`` with ``variables`` (names without ``$``); raise MappingError."""
        if self._exact_int is not None:
            data, variables = self._safe(data), self._safe(variables)
        try:
            result = self._raw.evaluate(data, variables)
        except _FATAL:
            raise
        except BaseException as exc:  # PyO3 panics derive from BaseException
            if not self._adapter.is_input_error(exc):
                raise self._error(exc) from None
            result = self._retry(self._raw.evaluate, self._json_values(data), self._json_values(variables))
        return self._unwrap(result) if self._wrapped else result

    def evaluate_text(
        self, text: str, variables: dict[str, Any] | None = None, *, wide_numbers: bool | None = None
    ) -> Any:
        """Evaluate against compact JSON text; same result and errors as ``evaluate`` on its parse.

        Engines with a text API take it when the text holds no number it could round; everything else
        goes through ``evaluate``. ``wide_numbers`` tells whether the text holds integers beyond 2^53
        (the fetch stage knows); None: look.
        """
        evaluate_text = getattr(self._raw, "evaluate_text", None)
        if wide_numbers is None:
            wide_numbers = _LONG_NUMBER.search(text) is not None
        if evaluate_text is None or self._wrapped or wide_numbers:
            return self.evaluate(orjson.loads(text), variables)
        if self._exact_int is not None:
            variables = self._safe(variables)
        try:
            result = evaluate_text(text, variables)
        except _FATAL:
            raise
        except BaseException as exc:  # PyO3 panics derive from BaseException
            if not self._adapter.is_input_error(exc):
                raise self._error(exc) from None
            return self.evaluate(orjson.loads(text), variables)
        return None if result is None else orjson.loads(result)

    def prepare(self, data: Any) -> Any:
        """Convert ``data`` once so several expressions can evaluate it cheaply (``evaluate_prepared``)."""
        if self._exact_int is not None:
            data = self._safe(data)
        try:
            return self._raw.prepare(data)
        except _FATAL:
            raise
        except BaseException as exc:  # PyO3 panics too
            if not self._adapter.is_input_error(exc):
                raise self._error(exc) from None
            return self._retry(self._raw.prepare, self._json_values(data))

    def evaluate_prepared(self, prepared: Any, variables: dict[str, Any] | None = None) -> Any:
        """Evaluate against data from ``prepare`` (of any expression of the same engine and thread)."""
        if self._exact_int is not None:
            variables = self._safe(variables)
        try:
            result = self._raw.evaluate_prepared(prepared, variables)
        except _FATAL:
            raise
        except BaseException as exc:  # PyO3 panics too
            if not self._adapter.is_input_error(exc):
                raise self._error(exc) from None
            result = self._retry(self._raw.evaluate_prepared, prepared, self._json_values(variables))
        return self._unwrap(result) if self._wrapped else result

    def _safe(self, value: Any) -> Any:
        """Return ``value``, or a converted copy when it holds what the engine would round or refuse."""
        limit = self._exact_int
        if limit is None or value is None or value is UNDEFINED or not values.needs_conversion(value, limit):
            return value
        return self._json_values(value)

    def _retry(self, call: Any, *args: Any) -> Any:
        try:
            return call(*args)
        except _FATAL:
            raise
        except BaseException as exc:
            raise self._error(exc) from None

    def _json_values(self, value: Any) -> Any:
        return values.to_json_value(value, exact_int=self._exact_int, where=self.label)

    def _unwrap(self, result: Any) -> Any:
        return result.get("v", UNDEFINED) if isinstance(result, dict) else UNDEFINED

    def _error(self, exc: BaseException) -> MappingError:
        return _mapping_error(self._adapter, exc, self.label, self.source, "failed", self._wrapped)


def _mapping_error(
    adapter: ModuleType, exc: BaseException, label: str, source: str, what: str, wrapped: bool
) -> MappingError:
    if isinstance(exc, MappingError):
        return exc
    code, message, position = adapter.error_details(exc)
    if position is not None and wrapped:
        position = max(0, position - len(_WRAP_PREFIX))
    where = f" at {line_column(source, position)}" if position is not None else ""
    return MappingError(f"{label}: {what}{where}: {message}", code=code, position=position)


def line_column(source: str, position: int) -> str:
    """Describe a character offset in ``source`` as ``line L, column C`` (both from 1)."""
    before = source[: max(0, min(position, len(source)))]
    line = before.count("\n") + 1
    return f"line {line}, column {len(before) - (before.rfind(chr(10)) + 1) + 1}"
