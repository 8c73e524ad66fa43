"""Adapter for jsonatapy, the default engine (Rust; passes the whole official JSONata suite).

Facts this adapter relies on (jsonatapy 2.2.x): ``compile(src, timeout=, max_stack_depth=)`` bounds
every evaluation; errors are ``ValueError("T2002: ...")`` or ``ValueError("Parse error: ...: S0202:
...")`` without a position; an input it cannot convert (a date, an int beyond 64 bits) raises
``TypeError``, and integers beyond 2^53 are silently rounded (the common adapter turns them into
text first, see ``values``); a compiled expression panics when used from another thread than the one that compiled
it, so the mapper compiles per thread.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import jsonatapy

from openconnector.core.mapping.bindings import Clock
from openconnector.core.mapping.engine import UNDEFINED

NAME = "jsonatapy"
#: Largest integer a JSONata number (a 64-bit float) holds exactly; jsonatapy rounds larger ones.
EXACT_INT = 2**53

_CODE = re.compile(r"(?:^|: )([A-Z]\d{4}):\s*")
_MILLIS_FORMAT = "$fromMillis($m, $p, $t)"


class JsonatapyExpression:
    """One compiled expression; use it only in the thread that created it."""

    __slots__ = ("_expr",)

    def __init__(self, source: str, timeout_ms: int | None, max_depth: int | None, clock: Clock | None) -> None:
        """Compile ``source``; raises ValueError on a syntax error."""
        self._expr = jsonatapy.compile(source, timeout=timeout_ms, max_stack_depth=max_depth)
        if clock is not None:
            clock.set_formatter(_picture_formatter())
            self._expr.register_override("now", clock.now)
            self._expr.register_override("millis", clock.millis)

    def evaluate(self, data: Any, variables: dict[str, Any] | None) -> Any:
        """Evaluate against ``data`` (``UNDEFINED``: no input at all) with ``variables`` bound."""
        if data is UNDEFINED:
            # evaluate() would read None as JSON null; only the JSON-text API has a true "no input".
            text = self._expr.evaluate_json_or_none(None, variables)
            return None if text is None else json.loads(text)
        return self._expr.evaluate(data, variables)

    def evaluate_text(self, text: str, variables: dict[str, Any] | None) -> str | None:
        """Evaluate against JSON text, returning JSON text (None: undefined).

        About twice as fast as ``evaluate`` on a dict for a ~1 KB object: no conversion from and to
        Python objects. The engine parses numbers as doubles, so the caller must only use it on
        text without integers beyond 2^53.
        """
        return self._expr.evaluate_json_or_none(text, variables)

    def prepare(self, data: Any) -> Any:
        """Convert ``data`` once for several expressions (raises TypeError if it cannot)."""
        return jsonatapy.JsonataData(data)

    def evaluate_prepared(self, prepared: Any, variables: dict[str, Any] | None) -> Any:
        """Evaluate against data converted by ``prepare``."""
        return self._expr.evaluate_with_data(prepared, variables)


def _picture_formatter() -> Callable[[int, str | None, str | None], str]:
    """Return ``$fromMillis`` of this engine, so ``$now(picture, zone)`` formats exactly as JSONata does."""
    helper = jsonatapy.compile(_MILLIS_FORMAT)

    def render(millis: int, picture: str | None, timezone: str | None) -> str:
        variables: dict[str, Any] = {"m": millis}
        if picture is not None:
            variables["p"] = picture
        if timezone is not None:
            variables["t"] = timezone
        result = helper.evaluate(None, variables)
        return str(result)

    return render


#: The compiled-expression class the common adapter instantiates.
EXPRESSION = JsonatapyExpression


def is_input_error(exc: BaseException) -> bool:
    """Tell whether ``exc`` means the input (or a variable) holds a value the engine cannot convert."""
    return isinstance(exc, TypeError)


def error_details(exc: BaseException) -> tuple[str | None, str, int | None]:
    """Return (code, message starting with the code, position) of an engine error."""
    text = str(exc).strip()
    if not isinstance(exc, Exception):
        # PyO3 PanicException derives from BaseException: an engine bug, reported, never propagated.
        return None, f"the engine failed internally ({type(exc).__name__}: {text})", None
    match = _CODE.search(text)
    if match is None:
        return None, text, None
    return match.group(1), text[match.start(1) :], None
