"""Read a target's answer: its error message in the target's own words, and values at dot paths.

Targets word their errors in many shapes. OpenRegister alone uses four: a bare JSON string (400 on
create), ``{"status","message","errors":[{"message","errors":{path: [...]}}]}`` (400 on update),
``{"error": ...}`` (403/404/423/500) and ``{"message": ...}`` (404 register not found). REST APIs add
RFC 7807 problems (``title``/``detail``) and ``{"errors": {field: [...]}}``. :func:`answer_message` turns
any of them into one line, prefixed with the status and with every known secret masked.
"""

from __future__ import annotations

from typing import Any, Final

from openconnector.sources.masking import Masker, excerpt
from openconnector.sources.response import HttpResponse
from openconnector.targets.http import parse_json

MAX_MESSAGE: Final = 500
_MAX_DETAILS: Final = 3


def answer_message(response: HttpResponse, masker: Masker) -> str:
    """Return ``HTTP <status>: <the target's message>`` for an answer, secrets masked, one line."""
    value = parse_json(response)
    text = message_of(value) if value is not None else None
    if not text:
        text = excerpt(response.content, masker) or response.reason or "(empty body)"
    text = " ".join(masker.text(str(text)).split())
    if len(text) > MAX_MESSAGE:
        text = text[: MAX_MESSAGE - 1] + "…"
    return f"HTTP {response.status}: {text}"


def message_of(value: Any) -> str | None:
    """Return the message an error body carries, in whichever of the known shapes it comes."""
    if isinstance(value, str):
        return value
    if not isinstance(value, dict):
        return None
    if "errors" in value and value["errors"]:
        structured = _errors_message(value.get("message"), value["errors"])
        if structured:
            return structured
    error = value.get("error")
    if isinstance(error, dict):
        return message_of(error)
    if isinstance(error, str):
        return _error_message(error, value)
    for key in ("message", "detail", "title", "description"):
        if isinstance(value.get(key), str) and value[key]:
            title = value.get("title")
            if key == "detail" and isinstance(title, str) and title:
                return f"{title}: {value[key]}"
            return str(value[key])
    return None


def _error_message(error: str, value: dict[str, Any]) -> str:
    # OpenRegister 409: {"error": "DELETION_BLOCKED", "message": "...", "blockers": [...]}.
    message = value.get("message")
    text = f"{error}: {message}" if isinstance(message, str) and message and message != error else error
    blockers = value.get("blockers")
    if isinstance(blockers, list) and blockers:
        text += f" ({len(blockers)} blocking reference{'s' if len(blockers) != 1 else ''})"
    return text


def _errors_message(top: Any, errors: Any) -> str | None:
    prefix = f"{top.rstrip('.: ')}: " if isinstance(top, str) and top.strip(".: ") else ""
    if isinstance(errors, dict):
        return prefix + _details(errors)
    if not isinstance(errors, list):
        return None
    parts: list[str] = []
    for item in errors[:_MAX_DETAILS]:
        if isinstance(item, str):
            parts.append(item)
        elif isinstance(item, dict):
            inner = item.get("message") or item.get("detail") or item.get("title")
            details = item.get("errors")
            text = str(inner) if inner else ""
            if isinstance(details, dict) and details:
                text = f"{text} ({_details(details)})" if text else _details(details)
            if text:
                parts.append(text)
    return prefix + "; ".join(parts) if parts else None


def _details(errors: dict[str, Any]) -> str:
    """Render ``{"/name": ["msg"], "email": "msg"}`` as ``/name: msg; email: msg``."""
    shown = []
    for path, messages in list(errors.items())[:_MAX_DETAILS]:
        text = "; ".join(str(m) for m in messages) if isinstance(messages, list) else str(messages)
        shown.append(f"{path}: {text}")
    more = len(errors) - _MAX_DETAILS
    return "; ".join(shown) + (f" (and {more} more)" if more > 0 else "")
