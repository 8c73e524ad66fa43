"""Decide the next request from the current response: one small class per paging style.

Paginators are pure: they see the parsed response (:class:`HttpResponse`, body, object count) and
return the next request or ``None``. They never loop: a next link or cursor seen before raises
:class:`PagingError`, and so does ``auto`` when the response says there are more objects than it
can find a link to (silently reading one page of many would make the run delete the rest).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from requests.utils import parse_header_links

from openconnector.core.paths import MISSING, get_path
from openconnector.sources.response import HttpResponse
from openconnector.spec import source as spec

#: Body paths ``auto`` looks at for a next link, in order.
AUTO_NEXT_PATHS: Final = ("next", "links.next", "_links.next", "@odata.nextLink", "pagination.next", "meta.next")
_TOTAL_KEYS: Final = ("total", "totalCount", "total_count", "totalItems", "count", "totalElements", "totalResults")
_PAGES_KEYS: Final = ("total_pages", "totalPages", "pages", "pageCount", "page_count", "last_page", "lastPage")
_MORE_KEYS: Final = ("has_more", "hasMore", "has_next", "hasNext")
_META_KEYS: Final = ("", "meta", "pagination", "paging", "page")


class PagingError(ValueError):
    """The responses make further paging unsafe; the client turns this into a SourceError."""


@dataclass(frozen=True)
class NextRequest:
    """The next request: a link to follow as it is, or query parameters to set on the list request."""

    url: str | None = None
    params: Mapping[str, str] = field(default_factory=dict)


class Paginator:
    """Read one page only."""

    def first_params(self) -> dict[str, str]:
        """Return query parameters of the first request."""
        return {}

    def next_request(self, response: HttpResponse, body: Any, count: int) -> NextRequest | None:
        """Return the request for the page after ``response``, or ``None`` when it was the last."""
        return None


class _LinkFollower(Paginator):
    """Follow links, refusing one seen before."""

    def __init__(self) -> None:
        self._seen: set[str] = set()

    def _follow(self, response: HttpResponse, link: Any, what: str) -> NextRequest | None:
        if isinstance(link, dict):
            link = link.get("href") or link.get("url")
        if link is None or link == "":
            return None
        if not isinstance(link, str):
            raise PagingError(f"{what} is a JSON {type(link).__name__}, not a URL: {str(link)[:100]!r}")
        url = urljoin(response.url, link.strip())
        self._seen.add(_normal(response.url))
        if _normal(url) in self._seen:
            raise PagingError(f"{what} repeats a page already read ({url!r}); stopping instead of looping")
        self._seen.add(_normal(url))
        return NextRequest(url=url)


class NextLinkPaginator(_LinkFollower):
    """Follow the URL at ``next_path`` in the body."""

    def __init__(self, config: spec.NextLinkPagination) -> None:
        super().__init__()
        self._path = config.next_path

    def next_request(self, response: HttpResponse, body: Any, count: int) -> NextRequest | None:
        """Follow the body's next link, if any."""
        link = get_path(body, self._path) if isinstance(body, dict) else None
        return self._follow(response, None if link is MISSING else link, f"the next link at {self._path!r}")


class LinkHeaderPaginator(_LinkFollower):
    """Follow the RFC 8288 ``Link`` header entry with the configured ``rel``."""

    def __init__(self, config: spec.LinkHeaderPagination) -> None:
        super().__init__()
        self._rel = config.rel

    def next_request(self, response: HttpResponse, body: Any, count: int) -> NextRequest | None:
        """Follow the header's next link, if any."""
        return self._follow(response, header_link(response, self._rel), f"the Link header rel={self._rel!r}")


class AutoPaginator(_LinkFollower):
    """Follow a ``Link`` header or a usual body next link; refuse to stop when the body says there is more."""

    def next_request(self, response: HttpResponse, body: Any, count: int) -> NextRequest | None:
        """Follow whichever next link the response has."""
        link = header_link(response, "next")
        if link:
            return self._follow(response, link, "the Link header rel='next'")
        if isinstance(body, dict):
            for path in AUTO_NEXT_PATHS:
                value = get_path(body, path)
                if isinstance(value, (str, dict)) and value:
                    return self._follow(response, value, f"the next link at {path!r}")
        # Only a first page without any link is suspicious: the last page of a linked API has no link either.
        hint = more_pages_hint(body, count) if not self._seen else None
        if hint:
            raise PagingError(
                f"pagination 'auto' found no next link, but the response says {hint}; set source.pagination "
                "(type pageNumber, offset, cursor, nextLink or linkHeader) so no objects are missed, "
                "or type 'none' if one page really is everything"
            )
        return None


class PageNumberPaginator(Paginator):
    """``?page=N``: stop on an empty page or after the number of pages at ``total_pages_path``."""

    def __init__(self, config: spec.PageNumberPagination) -> None:
        self._config = config
        self._page = config.first_page

    def first_params(self) -> dict[str, str]:
        """Ask for the first page (and the page size, if configured)."""
        params = {self._config.param: str(self._config.first_page)}
        if self._config.page_size is not None:
            params[self._config.page_size_param or "page_size"] = str(self._config.page_size)
        return params

    def next_request(self, response: HttpResponse, body: Any, count: int) -> NextRequest | None:
        """Ask for the next page number unless this page was empty or the last."""
        if count == 0:
            return None
        if self._config.total_pages_path:
            total = _number_at(body, self._config.total_pages_path, "totalPagesPath")
            if self._page - self._config.first_page + 1 >= total:
                return None
        self._page += 1
        return NextRequest(params={**self.first_params(), self._config.param: str(self._page)})


class OffsetPaginator(Paginator):
    """``?offset=N&limit=M``: advance by the objects actually received, so a server cap loses nothing."""

    def __init__(self, config: spec.OffsetPagination) -> None:
        self._config = config
        self._offset = 0

    def first_params(self) -> dict[str, str]:
        """Ask for the first ``limit`` objects."""
        return {self._config.offset_param: "0", self._config.limit_param: str(self._config.limit)}

    def next_request(self, response: HttpResponse, body: Any, count: int) -> NextRequest | None:
        """Ask for the objects after those read so far, unless this page was empty or the last."""
        if count == 0:
            return None
        self._offset += count
        if self._config.total_path and self._offset >= _number_at(body, self._config.total_path, "totalPath"):
            return None
        return NextRequest(
            params={self._config.offset_param: str(self._offset), self._config.limit_param: str(self._config.limit)}
        )


class CursorPaginator(Paginator):
    """Read a cursor at ``cursor_path`` and send it back as ``cursor_param``; stop when there is none."""

    def __init__(self, config: spec.CursorPagination) -> None:
        self._config = config
        self._seen: set[str] = set()

    def next_request(self, response: HttpResponse, body: Any, count: int) -> NextRequest | None:
        """Ask for the page after the body's cursor, if any."""
        cursor = get_path(body, self._config.cursor_path) if isinstance(body, dict) else None
        if cursor is MISSING or cursor is None or cursor == "" or cursor is False:
            return None
        if isinstance(cursor, (dict, list)):
            raise PagingError(f"the cursor at {self._config.cursor_path!r} is a JSON {type(cursor).__name__}")
        text = str(cursor)
        if text in self._seen:
            raise PagingError(
                f"the cursor at {self._config.cursor_path!r} repeats ({text[:80]!r}); stopping instead of looping"
            )
        self._seen.add(text)
        return NextRequest(params={self._config.cursor_param: text})


def build_paginator(config: spec.Pagination) -> Paginator:
    """Return a fresh paginator for a pagination spec (paginators keep state: one per fetch)."""
    kinds: dict[type, type] = {
        spec.NoPagination: Paginator,
        spec.AutoPagination: AutoPaginator,
        spec.PageNumberPagination: PageNumberPaginator,
        spec.OffsetPagination: OffsetPaginator,
        spec.CursorPagination: CursorPaginator,
        spec.NextLinkPagination: NextLinkPaginator,
        spec.LinkHeaderPagination: LinkHeaderPaginator,
    }
    kind = kinds[type(config)]
    return kind() if kind in (Paginator, AutoPaginator) else kind(config)


def header_link(response: HttpResponse, rel: str) -> str | None:
    """Return the target of the ``Link`` header entry whose ``rel`` includes ``rel``."""
    value = response.headers.get("Link")
    if not value:
        return None
    for link in parse_header_links(value):
        if rel in link.get("rel", "").split():
            return link.get("url") or None
    return None


def more_pages_hint(body: Any, count: int) -> str | None:
    """Return why the body suggests more objects than the ``count`` on this page, else ``None``."""
    if not isinstance(body, dict):
        return None
    for meta_key in _META_KEYS:
        meta = body.get(meta_key) if meta_key else body
        if not isinstance(meta, dict):
            continue
        prefix = f"{meta_key}." if meta_key else ""
        for key in _TOTAL_KEYS:
            if _is_number(meta.get(key)) and meta[key] > count:
                return f"{prefix}{key}={meta[key]} while the page had {count} objects"
        for key in _PAGES_KEYS:
            if _is_number(meta.get(key)) and meta[key] > 1:
                return f"{prefix}{key}={meta[key]}"
        for key in _MORE_KEYS:
            if meta.get(key) is True:
                return f"{prefix}{key}=true"
    return None


def _number_at(body: Any, path: str, field_name: str) -> float:
    value = get_path(body, path) if isinstance(body, dict) else MISSING
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        keys = ", ".join(repr(k) for k in body) if isinstance(body, dict) else "none"
        raise PagingError(
            f"pagination.{field_name} {path!r} is not a number in the response (found {value if value is not MISSING else 'nothing'}); "
            f"the response has keys: {keys}"
        ) from None


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _normal(url: str) -> str:
    parts = urlsplit(url)
    query = urlencode(sorted(parse_qsl(parts.query, keep_blank_values=True)))
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path or "/", query, ""))
