"""OpenConnector's casts, with OpenConnector's (PHP) semantics, applied after mapping and unset.

A cast entry is ``targetPath: "c1,c2"`` or ``targetPath: [c1, c2]``; the casts run in order and a
target path missing from the output is skipped, as in ``MappingService::executeMapping``. Each cast
below does what ``MappingService::handleCast`` does; the deliberate differences are:

- an unknown cast is a spec error when the mapping is loaded (OpenConnector ignores it silently);
- ``date`` is refused: OpenConnector formats the *current time* with the value as the format, which
  makes every run differ; compute dates in the expression (``$now()``, ``$fromMillis``) instead;
- where PHP would throw or write garbage (``string`` of an array gives "Array", ``bool`` of ``[]``,
  arithmetic on ``"abc"``) the object fails with a message naming the target and the cast;
- integer strings stay exact at any length (PHP clamps at 64 bits), JSON text keeps big integers
  exact (PHP turns them into floats), and an empty JSON object serializes as ``{}`` (PHP: ``[]``).
"""

from __future__ import annotations

import decimal
import difflib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

from openconnector.core import paths, php
from openconnector.core.mapping import textcodecs
from openconnector.core.php import CastError

#: Returned by a cast that removes its key from the output (keyCantBeValue, unsetIfValue==).
DELETE: Final = object()


def _text(fn: Callable[[str], Any]) -> Callable[[Any], Any]:
    """Wrap a string function so it first converts the value as PHP's string parameters do."""
    return lambda value: fn(php.to_string(value))


def _bool(value: Any) -> bool:
    if php.to_int(value) == 1:
        return True
    if isinstance(value, (list, dict)):
        raise CastError(f"cannot read an empty {php.type_name(value)} as a boolean")
    return isinstance(value, str) and value.lower() in ("true", "yes")


def _nullable_bool(value: Any) -> bool | None:
    return None if value is None else _bool(value)


def _array(value: Any) -> Any:
    if value is None:
        return []
    return value if isinstance(value, (list, dict)) else [value]


def _json(value: Any) -> str:
    # json_encode's defaults: compact, \uXXXX for non-ASCII, and "/" escaped as "\/".
    return json.dumps(value, separators=(",", ":"), ensure_ascii=True, allow_nan=False).replace("/", "\\/")


def _json_to_array(value: Any) -> Any:
    if isinstance(value, (list, dict)):
        return value
    text = textcodecs.html_entity_decode(php.to_string(value))
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except ValueError:
        return None  # json_decode() gives null for text that is not JSON


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _null_string_to_null(value: Any) -> Any:
    return None if value == "null" and isinstance(value, str) else value


def _coordinates(value: Any) -> list[Any]:
    if value is None or isinstance(value, (list, dict)):
        raise CastError(f"needs a text of coordinates like '52.1 5.1', got {php.type_name(value)}")
    halves = php.to_string(value).split(" ")
    pairs = [halves[i : i + 2] for i in range(0, len(halves), 2)]
    return pairs[0] if len(pairs) == 1 else pairs


def _money_string_to_int(value: Any) -> int:
    return php.to_int(php.to_string(value).replace(".", "").replace(",", ""))


def _int_to_money_string(value: Any) -> str:
    amount = decimal.Decimal(repr(php.to_number(value))) / 100
    cents = amount.quantize(decimal.Decimal("0.01"), rounding=decimal.ROUND_HALF_UP)
    whole, _, fraction = f"{abs(cents):f}".partition(".")
    groups = f"{int(whole):,}".replace(",", ".")
    return f"{'-' if cents < 0 else ''}{groups},{fraction}"


_SIMPLE: Final[dict[str, Callable[[Any], Any]]] = {
    "string": php.to_string,
    "bool": _bool,
    "boolean": _bool,
    "?bool": _nullable_bool,
    "?boolean": _nullable_bool,
    "int": php.to_int,
    "integer": php.to_int,
    "float": php.to_float,
    "array": _array,
    "url": _text(textcodecs.urlencode),
    "urlDecode": _text(textcodecs.urldecode),
    "rawurl": _text(textcodecs.rawurlencode),
    "rawurlDecode": _text(textcodecs.rawurldecode),
    "html": _text(textcodecs.htmlentities),
    "htmlDecode": _text(textcodecs.html_entity_decode),
    "base64": _text(textcodecs.base64_encode),
    "base64Decode": _text(textcodecs.base64_decode),
    "json": _json,
    "jsonToArray": _json_to_array,
    "utf8": _text(textcodecs.ascii_transliterate),
    "nullStringToNull": _null_string_to_null,
    "coordinateStringToArray": _coordinates,
    "moneyStringToInt": _money_string_to_int,
    "intToMoneyString": _int_to_money_string,
}

# Casts that carry an argument after a marker: ``unsetIfValue==X``, ``setNullIfValue==X``, ``countValue:path``.
_WITH_ARGUMENT: Final = ("unsetIfValue==", "setNullIfValue==", "countValue:")

#: Every cast a mapping may name, as shown in error messages.
ACCEPTED: Final = (*_SIMPLE, "keyCantBeValue", "unsetIfValue==<value>", "setNullIfValue==<value>", "countValue:<path>")

_REFUSED: Final = {
    "date": "OpenConnector's 'date' cast formats the current time with the value as the format, so every "
    "run would differ; build dates in the expression instead ($now(), $fromMillis(), $substring())",
}


@dataclass(frozen=True)
class Cast:
    """One parsed cast: ``text`` as written, its ``name`` and, for the three with one, its ``argument``."""

    text: str
    name: str
    argument: str | None = None
    _parts: tuple[str, ...] = field(default=(), repr=False, compare=False)

    def apply(self, value: Any, key: str, output: dict[str, Any]) -> Any:
        """Return the cast ``value`` (or ``DELETE``); ``key`` is the target path, ``output`` the object so far."""
        simple = _SIMPLE.get(self.name)
        if simple is not None:
            return simple(value)
        if self.name == "keyCantBeValue":
            return DELETE if php.loose_equals(key, value) else value
        if self.name == "countValue":
            return self._count(value, output)
        if _matches(value, self.argument or ""):
            return DELETE if self.name == "unsetIfValue" else None
        return value

    def _count(self, value: Any, output: dict[str, Any]) -> Any:
        if php.is_empty(self.argument):
            return value
        counted = paths.get_path(output, list(self._parts))
        return len(counted) if isinstance(counted, (list, dict)) else value


def _matches(value: Any, expected: str) -> bool:
    """Tell whether ``unsetIfValue==expected`` / ``setNullIfValue==expected`` fires for ``value``."""
    if php.loose_equals(value, expected):
        return True
    if expected != "":
        return False
    return php.is_empty(value) or (isinstance(value, (list, dict)) and _all_empty(value))


def _all_empty(value: list[Any] | dict[str, Any]) -> bool:
    """Return OpenConnector's ``areAllArrayKeysNull``: every leaf, however deep, is empty."""
    items = value.values() if isinstance(value, dict) else value
    return all(_all_empty(v) if isinstance(v, (list, dict)) else php.is_empty(v) for v in items)


def parse_casts(spec: Any) -> tuple[Cast, ...]:
    """Parse one ``cast`` entry (``"int,string"`` or a list) into casts; raise ValueError for a bad one.

    Items are split on commas as OpenConnector does (so a value containing a comma needs the list
    form) and leading whitespace is ignored (OpenConnector would treat ``" string"`` as unknown).
    """
    if isinstance(spec, str):
        items: list[Any] = spec.split(",")
    elif isinstance(spec, list):
        items = spec
    else:
        raise ValueError(f"must be a text like 'int,string' or a list of casts, got {php.type_name(spec)}")
    return tuple(parse_cast(item) for item in items)


def parse_cast(item: Any) -> Cast:
    """Parse one cast name (``int``, ``unsetIfValue==X``, ``countValue:path``); raise ValueError if unknown."""
    if not isinstance(item, str):
        raise ValueError(f"a cast must be text, got {php.type_name(item)} {item!r}")
    text = item.lstrip()
    for marker in _WITH_ARGUMENT:
        if text.startswith(marker):
            argument = text[len(marker) :]
            return Cast(text, marker.rstrip("=:"), argument, tuple(paths.split_path(argument)))
    name = text.rstrip()
    if name in _SIMPLE or name == "keyCantBeValue":
        return Cast(name, name)
    raise ValueError(_unknown(name))


def _unknown(name: str) -> str:
    if not name:
        return "empty cast name (a stray comma?); accepted: " + ", ".join(ACCEPTED)
    if name in _REFUSED:
        return f"cast {name!r} is not supported: {_REFUSED[name]}"
    known = [*_SIMPLE, "keyCantBeValue", "unsetIfValue==", "setNullIfValue==", "countValue:"]
    hint = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    did_you_mean = f" (did you mean {hint[0]!r}?)" if hint else ""
    return f"unknown cast {name!r}{did_you_mean}; accepted: " + ", ".join(ACCEPTED)
