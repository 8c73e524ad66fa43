"""Adapter for jsonata-python, the pure-Python alternative engine (module ``jsonata``).

Known defects this adapter works around (jsonata-python 0.7.x):

- ``Jsonata(src, timeout=)`` starts its timer at construction, so a reused expression fails with
  D1012 once the timeout has passed since compiling. The time box is re-armed before every evaluation.
- ``$now()``/``$millis()`` read a thread-global "current instance" (the last expression constructed
  in the thread). Both are bound per expression to the run's clock instead, and the current instance
  is set before each evaluation because other built-ins (``$eval``) read it too.
- Some errors escape as raw Python exceptions (``$number("abc")`` raises ``ValueError``); deep
  recursion can raise ``RecursionError``. The caller turns them all into MappingError.
- A variable bound to None reads as undefined, not null; None values are bound as the engine's null.
- ``$string()`` of an integer above 10^15 loses digits; keep long ids as text in the source.
- ``[a, b][0].value`` gives undefined (``$append(a, b)[0].value`` works); the examples avoid it.
"""

from __future__ import annotations

from typing import Any

import jsonata
from jsonata import functions, jexception, timebox, utils

from openconnector.core.mapping.bindings import Clock
from openconnector.core.mapping.engine import UNDEFINED

NAME = "jsonata-python"
#: jsonata-python passes Python integers of any size through unchanged (arithmetic makes floats).
EXACT_INT = None

_Jsonata: Any = jsonata.Jsonata
_NULL = utils.Utils.NULL_VALUE


class JsonataPythonExpression:
    """One compiled expression (kept per thread, like the other engine's, for uniform behaviour)."""

    __slots__ = ("_depth", "_expr", "_timeout")

    def __init__(self, source: str, timeout_ms: int | None, max_depth: int | None, clock: Clock | None) -> None:
        """Compile ``source``; raises JException on a syntax error."""
        self._expr = _Jsonata(source)
        self._expr.set_validate_input(False)  # validated once in prepare()/evaluate()
        self._timeout = timeout_ms
        self._depth = max_depth
        if clock is not None:
            clock.set_formatter(functions.Functions.datetime_from_millis)
            self._expr.environment.bind("now", _Jsonata.JLambda(clock.now))
            self._expr.environment.bind("millis", _Jsonata.JLambda(clock.millis))

    def evaluate(self, data: Any, variables: dict[str, Any] | None) -> Any:
        """Evaluate against ``data`` with ``variables`` bound (names without ``$``)."""
        return self.evaluate_prepared(self.prepare(data), variables)

    def prepare(self, data: Any) -> Any:
        """Check once that ``data`` holds only JSON values (raises ValueError otherwise)."""
        if data is UNDEFINED:
            return None  # this engine reads None as "no input"
        functions.Functions.validate_input(data)
        return data

    def evaluate_prepared(self, prepared: Any, variables: dict[str, Any] | None) -> Any:
        """Evaluate against data checked by ``prepare``."""
        _Jsonata.CURRENT.jsonata = self._expr
        if variables:
            # The engine reads a None variable as undefined; a null binding ($originId) must stay null.
            variables = {name: _NULL if value is None else value for name, value in variables.items()}
        if self._timeout is not None or self._depth is not None:
            timebox.Timebox(self._expr.environment, self._timeout, self._depth)
        return plain(self._expr.evaluate(prepared, variables))


def plain(value: Any) -> Any:
    """Return ``value`` with the engine's list subclasses (sequences) turned into plain lists."""
    if isinstance(value, list):
        return [plain(item) for item in value]
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()} if _has_lists(value) else value
    return value


def _has_lists(value: dict[str, Any]) -> bool:
    return any(isinstance(item, (list, dict)) for item in value.values())


#: The compiled-expression class the common adapter instantiates.
EXPRESSION = JsonataPythonExpression


def is_input_error(exc: BaseException) -> bool:
    """Tell whether ``exc`` means the input holds a value that is not JSON (a date, a Decimal)."""
    return isinstance(exc, ValueError) and str(exc).startswith("Only JSON types")


def error_details(exc: BaseException) -> tuple[str | None, str, int | None]:
    """Return (code, message starting with the code, position) of an engine error."""
    if isinstance(exc, jexception.JException):
        location = exc.location if isinstance(exc.location, int) and exc.location >= 0 else None
        return exc.error, f"{exc.error}: {exc}", location
    if isinstance(exc, RecursionError):
        return "D1011", "D1011: Stack overflow: the expression recursed too deeply", None
    # A raw Python exception from inside the engine: still this object's error, with its own words.
    return None, f"{type(exc).__name__}: {exc}", None
