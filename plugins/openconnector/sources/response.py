"""The plain value a sent request comes back as, so parsing and paging need no HTTP library."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class HttpResponse:
    """One HTTP answer: the request it answers (method, full URL) and status, headers and raw body."""

    method: str
    url: str
    status: int
    reason: str
    headers: Mapping[str, str]
    content: bytes

    @property
    def ok(self) -> bool:
        """Tell whether the status is 2xx."""
        return 200 <= self.status < 300

    @property
    def content_type(self) -> str:
        """Return the media type without parameters, lower-cased (``application/json``)."""
        return self.headers.get("Content-Type", "").split(";", 1)[0].strip().lower()
