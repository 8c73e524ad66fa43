"""The one canonical hash: sha256 over JSON with sorted keys and no insignificant whitespace.

Used for the origin hash (the source object as read), the target hash (the mapped object) and the
mapping fingerprint, so "changed" means the same thing everywhere. Key order never matters; list order
does (OpenConnector PR #585 learned the first half the hard way).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import orjson

_OPTIONS = orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS


def canonical_json(value: Any) -> bytes:
    """Serialize ``value`` canonically: sorted keys, compact, UTF-8.

    orjson is exact for every JSON value except integers beyond 64 bits; those fall back to the
    standard library, which prints them exactly too.
    """
    try:
        return orjson.dumps(value, option=_OPTIONS)
    except TypeError:
        return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def canonical_json_checked(value: Any) -> tuple[bytes, bool]:
    """Return ``canonical_json(value)`` and whether ``value`` holds an integer beyond ±2^53.

    JSONata numbers are doubles: such integers need the exact (slower) mapping path. orjson finds them
    while serializing (``OPT_STRICT_INTEGER``), so the check costs nothing for the usual object.
    """
    try:
        return orjson.dumps(value, option=_OPTIONS | orjson.OPT_STRICT_INTEGER), False
    except TypeError:
        return canonical_json(value), True


def content_hash(value: Any) -> str:
    """Return the sha256 hex digest of the canonical JSON of ``value``."""
    return hashlib.sha256(canonical_json(value)).hexdigest()


def fingerprint(*parts: Any) -> str:
    """Return a short, stable fingerprint of configuration parts (mapping text, engine, target schema)."""
    return content_hash(list(parts))[:32]
