"""Paginators decide the next request from a response alone, and refuse to loop or to stop too early."""

from __future__ import annotations

from typing import Any

import pytest

from openconnector.sources.pagination import PagingError, build_paginator, more_pages_hint
from openconnector.sources.response import HttpResponse
from openconnector.spec.source import SourceSpec

URL = "https://api.example.org/v1/items?page=1"


def _paginator(**pagination: Any) -> Any:
    return build_paginator(SourceSpec.model_validate({"connection": "c", "pagination": pagination}).pagination)


def _response(url: str = URL, **headers: str) -> HttpResponse:
    return HttpResponse("GET", url, 200, "OK", headers, b"")


def test_page_number_counts_from_first_page_and_stops_on_an_empty_page() -> None:
    paginator = _paginator(type="pageNumber", param="p", firstPage=0, pageSize=50, pageSizeParam="size")
    assert paginator.first_params() == {"p": "0", "size": "50"}
    assert paginator.next_request(_response(), {}, 50).params == {"p": "1", "size": "50"}
    assert paginator.next_request(_response(), {}, 0) is None


def test_page_number_stops_after_the_total_pages() -> None:
    paginator = _paginator(type="pageNumber", totalPagesPath="meta.pages")
    body = {"meta": {"pages": 2}}
    assert paginator.next_request(_response(), body, 10).params == {"page": "2"}
    assert paginator.next_request(_response(), body, 10) is None


def test_total_pages_path_that_is_missing_is_an_error_listing_the_keys() -> None:
    paginator = _paginator(type="pageNumber", totalPagesPath="meta.pages")
    with pytest.raises(PagingError, match=r"totalPagesPath 'meta.pages' is not a number .* keys: 'results', 'count'"):
        paginator.next_request(_response(), {"results": [1], "count": 1}, 1)


def test_offset_advances_by_objects_received_and_stops_at_the_total() -> None:
    paginator = _paginator(type="offset", offsetParam="start", limitParam="rows", limit=100, totalPath="total")
    assert paginator.first_params() == {"start": "0", "rows": "100"}
    assert paginator.next_request(_response(), {"total": 120}, 60).params == {"start": "60", "rows": "100"}
    assert paginator.next_request(_response(), {"total": 120}, 60) is None


def test_cursor_is_sent_back_and_a_repeat_is_an_error() -> None:
    paginator = _paginator(type="cursor", cursorPath="meta.next", cursorParam="after")
    assert paginator.next_request(_response(), {"meta": {"next": 17}}, 5).params == {"after": "17"}
    assert paginator.next_request(_response(), {"meta": {"next": None}}, 5) is None
    with pytest.raises(PagingError, match="repeats"):
        paginator.next_request(_response(), {"meta": {"next": 17}}, 5)


@pytest.mark.parametrize(
    ("link", "expected"),
    [
        ("https://api.example.org/v1/items?page=2", "https://api.example.org/v1/items?page=2"),
        ("/v1/items?page=2", "https://api.example.org/v1/items?page=2"),
        ("?page=2", "https://api.example.org/v1/items?page=2"),
        ({"href": "/v1/items?page=2"}, "https://api.example.org/v1/items?page=2"),
    ],
)
def test_next_link_forms(link: Any, expected: str) -> None:
    paginator = _paginator(type="nextLink", nextPath="links.next")
    assert paginator.next_request(_response(), {"links": {"next": link}}, 3).url == expected


def test_next_link_to_the_current_page_is_an_error() -> None:
    paginator = _paginator(type="nextLink")
    with pytest.raises(PagingError, match="repeats a page already read"):
        paginator.next_request(_response(), {"next": URL}, 3)


def test_link_header_with_several_relations() -> None:
    paginator = _paginator(type="linkHeader")
    header = '<https://api.example.org/v1/items?page=1>; rel="first", <https://api.example.org/v1/items?page=2>; rel="next last"'
    assert paginator.next_request(_response(Link=header), [], 3).url == "https://api.example.org/v1/items?page=2"
    assert paginator.next_request(_response(url="https://api.example.org/v1/items?page=2"), [], 3) is None


def test_auto_prefers_the_link_header_then_body_links() -> None:
    assert (
        _paginator(type="auto")
        .next_request(_response(Link='</v1/items?page=9>; rel="next"'), {"next": "/v1/items?page=2"}, 3)
        .url.endswith("page=9")
    )
    assert (
        _paginator(type="auto")
        .next_request(_response(), {"@odata.nextLink": "/v1/items?page=2"}, 3)
        .url.endswith("page=2")
    )


@pytest.mark.parametrize(
    ("body", "hint"),
    [
        ({"results": [1, 2], "count": 10}, "count=10 while the page had 2 objects"),
        ({"data": [1, 2], "meta": {"totalPages": 5}}, "meta.totalPages=5"),
        ({"items": [1, 2], "has_more": True}, "has_more=true"),
        ({"items": [1, 2], "count": 2}, None),
        ([1, 2], None),
    ],
)
def test_more_pages_hint(body: Any, hint: str | None) -> None:
    assert more_pages_hint(body, 2) == hint


def test_single_page_never_asks_for_more() -> None:
    assert _paginator(type="none").next_request(_response(), {"next": "/x", "count": 99}, 1) is None
