"""Fill ``{placeholders}`` in the endpoints, query values and headers of an API target.

``{targetId}``, ``{originId}`` and ``{runTimestamp}`` are the write's; any other name is a dot path into
the object being written (``{address.city}``, ``{registrationNumber}``). In a URL path each value is
percent-encoded; in query values and headers it is used as it is (the HTTP client encodes queries).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from openconnector.core.paths import MISSING, get_path
from openconnector.spec.target import PLACEHOLDER


class TemplateError(ValueError):
    """A placeholder has no value for this object (the message names the template and the name)."""


@dataclass(frozen=True)
class TemplateValues:
    """What placeholders can refer to for one write."""

    target_id: str | None
    origin_id: str
    run_timestamp: str
    body: Mapping[str, Any] | None

    def lookup(self, name: str) -> Any:
        """Return the value of one placeholder name, or ``MISSING``."""
        if name == "targetId":
            return self.target_id if self.target_id is not None else MISSING
        if name == "originId":
            return self.origin_id
        if name == "runTimestamp":
            return self.run_timestamp
        return get_path(self.body, name) if self.body is not None else MISSING


def render(template: str, values: TemplateValues, *, field: str, in_path: bool) -> str:
    """Return ``template`` with each placeholder replaced; raise ``TemplateError`` naming ``field``."""

    def fill(match: Any) -> str:
        name = match.group(1).strip()
        value = values.lookup(name)
        if value is MISSING or value is None or isinstance(value, (dict, list)):
            what = "has no target id yet" if name == "targetId" else f"has no plain value at {name!r}"
            raise TemplateError(f"{field} {template!r}: object {values.origin_id!r} {what}")
        text = ("true" if value else "false") if isinstance(value, bool) else str(value)
        return quote(text, safe="") if in_path else text

    return PLACEHOLDER.sub(fill, template)


def render_all(templates: Mapping[str, str], values: TemplateValues, *, field: str) -> list[tuple[str, str]]:
    """Render every value of a name → template map (query parameters, headers)."""
    return [(name, render(t, values, field=f"{field}.{name}", in_path=False)) for name, t in templates.items()]
