"""PHP 8 value semantics for JSON values, which OpenConnector's casts and OpenRegister's validation rely on.

OpenConnector's casts are PHP type juggling: ``(int) "12abc"`` is 12, ``"1" == "01"`` is true and
``empty("0")`` is true; OpenRegister decides what to validate with ``empty()`` and renders values in
its messages as PHP prints them. Both call these helpers, so each rule is written once. Where PHP
would throw a TypeError (``strtolower([])``, ``"abc" / 100``) these raise ``CastError``, which the
mapper reports as an error of that object.
"""

from __future__ import annotations

import math
import re
from typing import Any

# PHP 8 numeric strings: optional surrounding whitespace, a sign, digits with an optional fraction
# and exponent ("1e3", " 12 ", ".5" and "1." are numeric; "0x1A" and "1_000" are not).
_NUMBER = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
_WHITESPACE = " \t\n\r\v\f"
_NUMERIC = re.compile(rf"[{_WHITESPACE}]*({_NUMBER})[{_WHITESPACE}]*\Z")
_LEADING = re.compile(rf"[{_WHITESPACE}]*({_NUMBER})")
_INTEGER = re.compile(r"[+-]?\d+\Z")


class CastError(ValueError):
    """A value cannot go through a cast (PHP would have thrown a TypeError or produced garbage)."""


def type_name(value: Any) -> str:
    """Name a JSON value's type the way users read it in an error message."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object" if isinstance(value, dict) else type(value).__name__


def to_string(value: Any) -> str:
    """Return PHP's ``(string) $value``: null → "", true → "1", false → "", 2.0 → "2".

    Arrays and objects raise CastError: PHP would write the useless text "Array".
    """
    if isinstance(value, str):
        return value
    if value is None or value is False:
        return ""
    if value is True:
        return "1"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return float_to_string(value)
    raise CastError(f"cannot turn an {type_name(value)} into text; use the 'json' cast to serialize it")


def float_to_string(value: float) -> str:
    """Render a float as PHP 8 does with ``precision=14``: 1.0 → "1", 0.1+0.2 → "0.3", 1e25 → "1.0E+25"."""
    if math.isnan(value):
        return "NAN"
    if math.isinf(value):
        return "INF" if value > 0 else "-INF"
    if value == 0:
        return "-0" if math.copysign(1.0, value) < 0 else "0"
    mantissa, exponent = f"{abs(value):.13e}".split("e")
    digits = mantissa.replace(".", "").rstrip("0") or "0"
    point = int(exponent) + 1  # position of the decimal point relative to the digits (zend_gcvt's decpt)
    sign = "-" if value < 0 else ""
    if point < -3 or point > 14:
        fraction = digits[1:] or "0"
        power = point - 1
        return f"{sign}{digits[0]}.{fraction}E{'+' if power >= 0 else '-'}{abs(power)}"
    if point <= 0:
        return f"{sign}0.{'0' * -point}{digits}"
    if point >= len(digits):
        return sign + digits + "0" * (point - len(digits))
    return f"{sign}{digits[:point]}.{digits[point:]}"


def is_numeric(text: str) -> bool:
    """Tell whether PHP 8's ``is_numeric`` accepts ``text``."""
    return _NUMERIC.match(text) is not None


def _number_from_string(text: str) -> int | float:
    """Return the leading number of ``text`` as PHP reads it (``"12abc"`` → 12, ``"abc"`` → 0)."""
    match = _LEADING.match(text)
    if match is None:
        return 0
    literal = match.group(1)
    return int(literal) if _INTEGER.match(literal) else float(literal)


def to_int(value: Any) -> int:
    """Return PHP's ``(int) $value``.

    Strings use their leading number (``"1.9"`` → 1, ``"1e3"`` → 1000, ``"abc"`` → 0); floats are
    truncated; arrays give 0 when empty, else 1. Integer strings stay exact at any length (PHP would
    clamp beyond 64 bits).
    """
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return 0 if math.isnan(value) or math.isinf(value) else int(value)
    if isinstance(value, str):
        number = _number_from_string(value)
        return number if isinstance(number, int) else to_int(number)
    if value is None:
        return 0
    return 1 if value else 0


def to_float(value: Any) -> float:
    """Return PHP's ``(float) $value`` (strings by their leading number, arrays as 0.0 or 1.0)."""
    if isinstance(value, str):
        return float(_number_from_string(value))
    return float(to_int(value)) if not isinstance(value, float) else value


def to_number(value: Any) -> int | float:
    """Return the number PHP 8 arithmetic uses for ``value``; raise CastError where PHP throws."""
    if isinstance(value, bool) or value is None:
        return int(bool(value))
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, str):
        if _LEADING.match(value) is None:
            raise CastError(f"{value!r} is not a number")
        return _number_from_string(value)
    raise CastError(f"cannot do arithmetic on an {type_name(value)}")


def to_bool(value: Any) -> bool:
    """Return PHP's truthiness of ``value`` (``"0"`` and ``""`` are false, so are ``[]`` and ``{}``)."""
    return not is_empty(value)


def is_empty(value: Any) -> bool:
    """Tell whether PHP's ``empty()`` is true: null, false, 0, 0.0, "", "0", [] or {}."""
    if value is None or value is False:
        return True
    if value is True:
        return False
    if isinstance(value, (int, float)):
        return value == 0
    if isinstance(value, str):
        return value in ("", "0")
    return not value


def loose_equals(left: Any, right: Any) -> bool:
    """Return PHP 8's ``$left == $right`` for JSON values."""
    if isinstance(left, bool) or isinstance(right, bool):
        return to_bool(left) == to_bool(right)
    if left is None or right is None:
        other = right if left is None else left
        return other == "" if isinstance(other, str) else not to_bool(other)
    if isinstance(left, (list, dict)) or isinstance(right, (list, dict)):
        return _loose_equals_arrays(left, right)
    if isinstance(left, str) and isinstance(right, str):
        if is_numeric(left) and is_numeric(right):
            return _number_from_string(left.strip(_WHITESPACE)) == _number_from_string(right.strip(_WHITESPACE))
        return left == right
    if isinstance(left, str) or isinstance(right, str):
        text, number = (left, right) if isinstance(left, str) else (right, left)
        if is_numeric(text):
            return bool(_number_from_string(text.strip(_WHITESPACE)) == number)
        return text == to_string(number)
    return bool(left == right)


def _loose_equals_arrays(left: Any, right: Any) -> bool:
    if type(left) is not type(right):
        # A PHP array only loosely equals another array; a JSON object and list are both arrays there.
        if not (isinstance(left, (list, dict)) and isinstance(right, (list, dict))):
            return False
        left = dict(enumerate(left)) if isinstance(left, list) else left
        right = dict(enumerate(right)) if isinstance(right, list) else right
    if isinstance(left, list):
        return len(left) == len(right) and all(loose_equals(a, b) for a, b in zip(left, right, strict=True))
    return left.keys() == right.keys() and all(loose_equals(left[k], right[k]) for k in left)
