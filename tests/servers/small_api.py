"""A small REST API for source-client tests: a few records, one paging style, an auth check, scripted faults.

``devkit.demo_source.DemoSource`` is the realistic API (large records, five paging styles, page
failures); this one covers what DemoSource does not: body next links at any path (``next``,
``@odata.nextLink``, relative links, links to another host), servers that ignore paging parameters
or repeat links and cursors, a page-size cap, authentication of every kind, and scripted replies
(429 with Retry-After, 503 bursts, slow answers, HTML and non-JSON bodies).
"""

from __future__ import annotations

import collections
import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from tests.servers.loopback import Reply, Request

LIST_PATH = "/api/companies"
TOKEN_PATH = "/oauth/token"


class SmallApi:
    """The app behind a :class:`~tests.servers.loopback.LoopbackServer`.

    :param style: ``pageNumber`` (``page``/``page_size``, ``{"results", "total_pages"}``), ``offset``
        (``offset``/``limit`` capped at ``page_size``, ``{"items", "total"}``), ``cursor``
        (``{"data", "next_cursor"}``), ``nextLink`` (``{"value", <next_path>}``), ``linkHeader``
        (a list plus ``Link``) or ``single`` (a list).
    """

    def __init__(
        self,
        count: int = 7,
        page_size: int = 3,
        *,
        style: str = "pageNumber",
        next_path: str = "next",
        auth: Callable[[Request], bool] | None = None,
        token_endpoint: Callable[[Request], Reply] | None = None,
    ) -> None:
        self.records = [
            {"id": i, "name": f"company {i}", "values": {"case.subject": f"s{i}" if i % 2 else ""}}
            for i in range(1, count + 1)
        ]
        self.page_size, self.style, self.next_path = page_size, style, next_path
        self.auth, self.token_endpoint = auth, token_endpoint
        self.base = ""  # scheme://host:port, set by the test once the server is bound
        self.link_base: str | None = None  # links point here instead (a proxy's internal host)
        self.relative_links = False
        self.ignore_paging = False
        self.repeat_links = False
        self._script: collections.deque[Reply] = collections.deque()
        self._lock = threading.Lock()

    def then(self, *replies: Reply) -> SmallApi:
        """Answer the next list/detail requests with these replies, in order, before serving normally."""
        with self._lock:
            self._script.extend(replies)
        return self

    def __call__(self, request: Request) -> Reply:
        if request.path == TOKEN_PATH and self.token_endpoint is not None:
            return self.token_endpoint(request)
        if self.auth is not None and not self.auth(request):
            return Reply(401, {"detail": "Authentication credentials were not provided or are invalid."})
        with self._lock:
            scripted = self._script.popleft() if self._script else None
        if scripted is not None:
            return scripted
        if request.path == LIST_PATH:
            return self._list(request.query)
        if request.path.startswith(LIST_PATH + "/"):
            return self._detail(request.path[len(LIST_PATH) + 1 :])
        return Reply(404, {"detail": f"no route {request.path}"})

    def _detail(self, key: str) -> Reply:
        record = next((r for r in self.records if str(r["id"]) == key), None)
        if record is None:
            return Reply(404, {"detail": "not found"})
        return Reply(200, {"id": record["id"], "employees": record["id"] * 10, "secret_note": None})

    def _list(self, query: dict[str, str]) -> Reply:
        if self.style == "single":
            return Reply(200, self.records)
        if self.style == "offset":
            offset = 0 if self.ignore_paging else int(query.get("offset", 0))
            limit = min(int(query.get("limit", self.page_size)), self.page_size)
            return Reply(200, {"items": self.records[offset : offset + limit], "total": len(self.records)})
        if self.style == "cursor":
            start = 0 if self.ignore_paging else int(query.get("cursor", 0))
            end = start + self.page_size
            cursor = None if end >= len(self.records) else str(self.page_size if self.repeat_links else end)
            return Reply(200, {"data": self.records[start:end], "next_cursor": cursor})
        page = 1 if self.ignore_paging else int(query.get("page", 1))
        size = int(query.get("page_size", self.page_size))
        items = self.records[(page - 1) * size : page * size]
        pages = -(-len(self.records) // size)
        if self.style == "pageNumber":
            return Reply(200, {"results": items, "total_pages": pages, "count": len(self.records)})
        next_page = 2 if self.repeat_links else page + 1
        link = self._link(next_page, query) if page < pages else None
        if self.style == "linkHeader":
            return Reply(200, items, {"Link": f'<{link}>; rel="next"'} if link else {})
        return Reply(200, _nest(self.next_path, link, {"value": items}))

    def _link(self, page: int, query: dict[str, str]) -> str:
        params = urlencode({k: v for k, v in {**query, "page": str(page)}.items() if k != "api_key"})
        path = f"{LIST_PATH}?{params}"
        return path if self.relative_links else f"{self.link_base or self.base}{path}"


def _nest(path: str, value: Any, body: dict[str, Any]) -> dict[str, Any]:
    if path in ("next", "@odata.nextLink"):
        body[path] = value
        return body
    outer, _, inner = path.partition(".")
    body[outer] = {inner: value}
    return body
