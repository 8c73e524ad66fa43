"""Format checkers that make jsonschema-rs agree with what OpenRegister (Opis JSON Schema) accepts.

jsonschema-rs asserts ``uuid``, ``ipv4``, ``ipv6``, ``hostname``, ``uri`` and friends itself. The
checkers here replace or add only the formats where OpenRegister differs:

- ``date-time`` and ``time``: Opis makes the UTC offset optional ("2024-01-02T03:04:05" passes) and
  accepts lower-case ``t``/``z``; RFC 3339 (and jsonschema-rs) require the offset.
- ``date``: PHP's ``checkdate`` rejects year 0000, which RFC 3339 allows.
- ``email``: PHP's ``FILTER_VALIDATE_EMAIL`` only accepts routable addresses, so ``a@localhost``
  fails; jsonschema-rs accepts it. This checker is our own approximation of PHP's rules.
- ``bsn`` (Dutch citizen service number, 11-check) and ``semver``: OpenRegister's custom formats.

Calling a Python checker from jsonschema-rs costs about 2.5 µs, more than validating a whole object,
so the fast path uses ``FAST_PATTERNS`` instead: regular expressions jsonschema-rs runs natively that
accept a *subset* of what the checkers accept (for example no 29th of February). A value they reject
is re-checked on the slow path with the exact checkers.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
from collections.abc import Callable

_TIME = r"([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]+)?([zZ]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])?"
_DATE = r"([0-9]{4})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
_DATE_RE = re.compile(_DATE)
_DATE_TIME_RE = re.compile(_DATE + "[tT]" + _TIME)
_TIME_RE = re.compile(_TIME)

_SEMVER = (
    r"(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)"
    r"(?:-((?:0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?"
)
_SEMVER_RE = re.compile(_SEMVER)

_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_QUOTED = r'"(?:[^"\\\r\n]|\\[\x00-\x7f])*"'
_LOCAL_RE = re.compile(rf"(?:{_ATOM}|{_QUOTED})(?:\.(?:{_ATOM}|{_QUOTED}))*")
_LABEL = r"(?:xn--)?[a-z0-9]+(?:-+[a-z0-9]+)*"
_DOMAIN_RE = re.compile(rf"(?:{_LABEL}\.)+(?:[a-z][a-z0-9]*|xn--[a-z0-9]+)(?:-+[a-z0-9]+)*", re.IGNORECASE)

# Fast-path subsets (see the module docstring). Years 0001-9999; days that exist in every year.
_FAST_YEAR = r"(?:[1-9][0-9]{3}|0[1-9][0-9]{2}|00[1-9][0-9]|000[1-9])"
_FAST_MONTH_DAY = r"(?:(?:0[1-9]|1[0-2])-(?:0[1-9]|1[0-9]|2[0-8])|(?:0[13-9]|1[0-2])-(?:29|30)|(?:0[13578]|1[02])-31)"
_FAST_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_FAST_TLD = r"[A-Za-z](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
FAST_PATTERNS: dict[str, dict[str, object]] = {
    "date": {"pattern": rf"^{_FAST_YEAR}-{_FAST_MONTH_DAY}$"},
    "date-time": {"pattern": rf"^{_FAST_YEAR}-{_FAST_MONTH_DAY}[tT]{_TIME}$"},
    "time": {"pattern": rf"^{_TIME}$"},
    "semver": {"pattern": rf"^{_SEMVER}$"},
    "email": {
        "pattern": rf"^(?=[^@]{{1,64}}@){_ATOM}(?:\.{_ATOM})*@(?:{_FAST_LABEL}\.)+{_FAST_TLD}$",
        "maxLength": 254,
    },
}


def is_date(value: str) -> bool:
    """Accept ``YYYY-MM-DD`` for a day that exists, from year 1 on, as PHP's ``checkdate`` does."""
    match = _DATE_RE.fullmatch(value)
    return match is not None and _real_date(match.group(1), match.group(2), match.group(3))


def is_date_time(value: str) -> bool:
    """Accept an RFC 3339 date-time whose offset may be missing, as Opis does."""
    match = _DATE_TIME_RE.fullmatch(value)
    return match is not None and _real_date(match.group(1), match.group(2), match.group(3))


def is_time(value: str) -> bool:
    """Accept ``HH:MM:SS[.frac][offset]`` with an optional offset, as Opis does."""
    return _TIME_RE.fullmatch(value) is not None


def is_email(value: str) -> bool:
    """Accept a routable e-mail address: a dot-atom or quoted local part and a dotted domain or IP literal."""
    local, at, domain = value.rpartition("@")
    if not at or len(value) > 254 or not local or len(local) > 64:
        return False
    if _LOCAL_RE.fullmatch(local) is None:
        return False
    if domain.startswith("[") and domain.endswith("]"):
        return _is_address_literal(domain[1:-1])
    labels_fit = all(len(label) < 64 for label in domain.split("."))
    return labels_fit and _DOMAIN_RE.fullmatch(domain) is not None


def is_bsn(value: str) -> bool:
    """Accept a Dutch BSN: digits only, left-padded to nine, passing the 11-check.

    Weights run 9, 8, ... 2 and -1 for every digit after the eighth, as in OpenRegister, so longer
    strings are checked rather than rejected.
    """
    digits = value.rjust(9, "0")
    if not (digits.isascii() and digits.isdigit()):
        return False
    total = sum(int(char) * (9 - index if index < 8 else -1) for index, char in enumerate(digits))
    return total % 11 == 0


def is_semver(value: str) -> bool:
    """Accept a semantic version such as ``1.2.3``, ``1.0.0-rc.1`` or ``1.0.0+build.5``."""
    return _SEMVER_RE.fullmatch(value) is not None


def format_checkers() -> dict[str, Callable[[str], bool]]:
    """Return the custom checkers to hand to jsonschema-rs (``formats=``)."""
    return {
        "date": is_date,
        "date-time": is_date_time,
        "time": is_time,
        "email": is_email,
        "bsn": is_bsn,
        "semver": is_semver,
    }


def _real_date(year: str, month: str, day: str) -> bool:
    try:
        dt.date(int(year), int(month), int(day))
    except ValueError:
        return False
    return True


def _is_address_literal(text: str) -> bool:
    tagged_v6 = text.lower().startswith("ipv6:")
    try:
        address = ipaddress.ip_address(text[5:] if tagged_v6 else text)
    except ValueError:
        return False
    return (address.version == 6) == tagged_v6
