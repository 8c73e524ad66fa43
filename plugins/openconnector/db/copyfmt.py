"""Rows in Postgres COPY text format, built as bytes without a per-field round trip through str.

Streaming staging rows with COPY is several times faster than INSERTs; this is the hot path of the
fetch and map stages, so the encoders are tiny and allocation-light.
"""

from __future__ import annotations

from typing import Final

NULL: Final = b"\\N"


def text_field(value: str | None) -> bytes:
    """Encode an arbitrary text value (ids, error messages) for COPY."""
    if value is None:
        return NULL
    raw = value.encode()
    # Four membership tests in C: a generator over the specials cost 3 us per field, a third of a row.
    if b"\\" in raw or b"\t" in raw or b"\n" in raw or b"\r" in raw:
        raw = raw.replace(b"\\", b"\\\\").replace(b"\t", b"\\t").replace(b"\n", b"\\n").replace(b"\r", b"\\r")
    return raw


def json_field(raw_json: bytes | None) -> bytes:
    """Encode compact JSON for COPY.

    Compact JSON never holds a raw tab, newline or carriage return (they are escaped inside
    strings), so only backslashes need doubling.
    """
    if raw_json is None:
        return NULL
    return raw_json.replace(b"\\", b"\\\\") if b"\\" in raw_json else raw_json


def row(*fields: bytes) -> bytes:
    """Join encoded fields into one COPY line."""
    return b"\t".join(fields) + b"\n"
