"""Turn a response into objects: parse the JSON body, find the list at ``resultsPosition``, read ids.

The seed's most common complaint was "0 objects fetched" because ``resultsPosition`` pointed at
nothing. Here that is an error that shows what the response did contain, so the fix is one look away.
"""

from __future__ import annotations

import json
from typing import Any, Final

import orjson

from openconnector.core.paths import MISSING, get_path
from openconnector.errors import SourceError
from openconnector.sources.masking import Masker, excerpt
from openconnector.sources.response import HttpResponse
from openconnector.spec.source import AUTO_POSITION, ROOT_POSITIONS

#: Keys tried in order by ``resultsPosition: auto`` (OpenConnector: items, result, results; dlt adds more).
AUTO_KEYS: Final = (
    "items",
    "results",
    "result",
    "data",
    "records",
    "entries",
    "rows",
    "objects",
    "values",
    "content",
    "hits",
    "value",
)
_JSON_TYPES: Final = ("json", "javascript")
_DIGITS_ONLY: Final = bytes(48 if 48 <= byte <= 57 else 32 for byte in range(256))
_DIGIT_RUN: Final = b"0" * 20


def parse_body(response: HttpResponse, masker: Masker) -> Any:
    """Return the JSON value of a response body, or raise a :class:`SourceError` that shows the body.

    orjson parses nearly every page; the standard library is the fallback for what orjson refuses or
    would read inexactly but APIs send: integers beyond 64 bits, ``NaN``, a byte-order mark, a
    non-UTF-8 charset.
    """
    content = response.content
    if not _may_hold_huge_integer(content):
        try:
            return orjson.loads(content)
        except orjson.JSONDecodeError:
            pass
    try:
        return json.loads(content.decode(_charset(response)).lstrip("\ufeff"))
    except (ValueError, LookupError):
        raise SourceError(_not_json_message(response, masker)) from None


def _may_hold_huge_integer(content: bytes) -> bool:
    """Tell whether the body has a run of 20+ digits: a number orjson would turn into an inexact float.

    orjson reads integers beyond 64 bits as floats without a word; an id like that would silently lose
    digits. Mapping digits to one byte and everything else to another, then searching, costs about a
    tenth of the parse; a false alarm (20 digits inside a string) only costs the slower parser.
    """
    return _DIGIT_RUN in content.translate(_DIGITS_ONLY)


def find_objects(body: Any, position: str) -> list[Any] | None:
    """Return the objects at ``position`` in ``body``; ``None`` when the position finds nothing.

    ``_root``/``_object`` is the body itself (a single object becomes a list of one); a JSON ``null``
    at the position is an empty page; any other single value becomes a list of one, as in OpenConnector.
    """
    if position in ROOT_POSITIONS:
        if body is None:
            return []
        return body if isinstance(body, list) else [body]
    if position == AUTO_POSITION:
        return _auto(body)
    value = get_path(body, position)
    if value is MISSING:
        return None
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def missing_results_message(body: Any, position: str) -> str:
    """Explain that ``position`` found nothing, listing what the response has instead."""
    what = (
        "resultsPosition 'auto' (tried " + ", ".join(AUTO_KEYS) + ")"
        if position == AUTO_POSITION
        else (f"resultsPosition {position!r}")
    )
    if not isinstance(body, dict):
        return f"{what} found no objects: the response is a JSON {_kind(body)}. Set source.resultsPosition to '_root'"
    keys = ", ".join(f"{key!r} ({_kind(value)})" for key, value in list(body.items())[:30])
    lists = _list_paths(body)
    fix = "e.g. " + " or ".join(repr(p) for p in lists[:3]) if lists else "a dot path such as 'data.items'"
    return (
        f"{what} found nothing; the response is an object with keys: {keys or '(none)'}. "
        f"Set source.resultsPosition to the key holding the objects ({fix}), or '_root' for the whole body"
    )


def extract_id(obj: Any, id_position: str) -> Any:
    """Return the id of a source object at ``idPosition``, or raise a :class:`SourceError` naming its keys."""
    value = get_path(obj, id_position) if isinstance(obj, (dict, list)) else MISSING
    if value is MISSING or value is None or value == "":
        keys = ", ".join(repr(k) for k in list(obj)[:30]) if isinstance(obj, dict) else f"a JSON {_kind(obj)}"
        raise SourceError(
            f"idPosition {id_position!r} found no id in a source object with keys: {keys}. "
            "Set source.idPosition to the dot path of the object's unique id"
        )
    return value


def _list_paths(body: dict[str, Any]) -> list[str]:
    """Return the paths of lists at the top level and one level down: the likely resultsPosition values."""
    paths = [str(key) for key, value in body.items() if isinstance(value, list)]
    for key, value in body.items():
        if isinstance(value, dict):
            paths.extend(f"{key}.{inner}" for inner, item in value.items() if isinstance(item, list))
    return paths


def _auto(body: Any) -> list[Any] | None:
    if isinstance(body, list):
        return body
    if not isinstance(body, dict):
        return None
    for key in AUTO_KEYS:
        value = body.get(key)
        if isinstance(value, list):
            return value
    for key in AUTO_KEYS:
        # One level down, for envelopes such as {"data": {"items": [...]}}.
        inner = body.get(key)
        if isinstance(inner, dict):
            found = next((inner[k] for k in AUTO_KEYS if isinstance(inner.get(k), list)), None)
            if isinstance(found, list):
                return found
    embedded = body.get("_embedded")
    if isinstance(embedded, dict) and len(embedded) == 1:
        # HAL: {"_embedded": {"companies": [...]}}
        value = next(iter(embedded.values()))
        if isinstance(value, list):
            return value
    return None


def _kind(value: Any) -> str:
    if isinstance(value, list):
        return f"list of {len(value)}"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "boolean"
    if value is None:
        return "null"
    return "number"


def _charset(response: HttpResponse) -> str:
    for part in response.headers.get("Content-Type", "").split(";")[1:]:
        name, _, value = part.strip().partition("=")
        if name.lower() == "charset" and value:
            return value.strip('"')
    return "utf-8"


def _not_json_message(response: HttpResponse, masker: Masker) -> str:
    where = f"{response.method} {masker.url(response.url)}: HTTP {response.status}"
    body = excerpt(response.content, masker)
    kind = response.content_type or "no Content-Type"
    if not response.content.strip():
        return f"{where} with an empty body; expected JSON. Check source.endpoint and source.method"
    start = response.content.lstrip()[:15].lower()
    if "html" in kind or start.startswith((b"<!doctype html", b"<html")):
        return (
            f"{where} returned an HTML page ({kind}), not JSON: a login page, a proxy error or a wrong base URL? "
            f"Body starts: {body!r}"
        )
    if any(word in kind for word in _JSON_TYPES):
        return f"{where}: the body is not valid JSON ({kind}); body starts: {body!r}"
    return f"{where}: the body is {kind}, not JSON; body starts: {body!r}. Check source.endpoint"
