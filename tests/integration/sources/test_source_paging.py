"""Every paging style reads every object exactly once, and unsafe paging fails instead of looping or truncating."""

from __future__ import annotations

from typing import Any

import pytest

from devkit.demo_source import DemoSource
from openconnector.errors import SourceError
from openconnector.sources import SourceClient
from tests.servers.helpers import connection, fetch_all, read_page_numbers, source_spec
from tests.servers.loopback import Serve
from tests.servers.small_api import SmallApi

COUNT, PAGE_SIZE = 95, 20  # 5 pages, the last one partial

DEMO_STYLES: list[tuple[str, dict[str, Any], str]] = [
    (
        "pageNumber",
        {"type": "pageNumber", "pageSizeParam": "pageSize", "pageSize": 20, "totalPagesPath": "meta.pages"},
        "data.items",
    ),
    ("offset", {"type": "offset", "limit": 20, "totalPath": "meta.total"}, "data.items"),
    ("cursor", {"type": "cursor", "cursorPath": "meta.nextCursor", "cursorParam": "cursor"}, "data.items"),
    ("nextLink", {"type": "nextLink", "nextPath": "links.next"}, "data.items"),
    ("linkHeader", {"type": "linkHeader"}, "_root"),
    ("nextLink", {"type": "auto"}, "auto"),
    ("linkHeader", {"type": "auto"}, "_root"),
]


@pytest.mark.parametrize(("style", "pagination", "results"), DEMO_STYLES, ids=lambda v: str(v)[:40])
def test_every_style_reads_each_object_once_with_one_request_per_page(
    style: str, pagination: dict[str, Any], results: str
) -> None:
    with DemoSource(count=COUNT, page_size=PAGE_SIZE, style=style) as demo:
        spec = source_spec(pagination=pagination, resultsPosition=results)
        objects, stats = fetch_all(spec, connection(demo.url))
        requests = demo.requests
    ids = [obj["id"] for obj in objects]
    assert len(ids) == COUNT
    assert len(set(ids)) == COUNT
    assert stats["pages"] == 5
    assert requests == 5  # no page read twice, no extra request once the end is known


def test_page_number_without_total_stops_at_the_first_empty_page() -> None:
    with DemoSource(count=COUNT, page_size=PAGE_SIZE) as demo:
        spec = source_spec(pagination={"type": "pageNumber"}, resultsPosition="data.items")
        objects, stats = fetch_all(spec, connection(demo.url))
        assert [r.query["page"] for r in demo.request_log] == ["1", "2", "3", "4", "5", "6"]
    assert len({obj["id"] for obj in objects}) == COUNT
    assert stats["pages"] == 6


@pytest.mark.parametrize("next_path", ["next", "links.next", "@odata.nextLink"])
def test_next_link_at_any_body_path(serve: Serve, next_path: str) -> None:
    serve(api := SmallApi(7, 3, style="nextLink", next_path=next_path))
    spec = source_spec(pagination={"type": "nextLink", "nextPath": next_path}, resultsPosition="value")
    objects, _ = fetch_all(spec, connection(api.base))
    assert [obj["id"] for obj in objects] == list(range(1, 8))


@pytest.mark.parametrize("next_path", ["next", "links.next", "@odata.nextLink"])
def test_auto_finds_the_usual_next_links(serve: Serve, next_path: str) -> None:
    serve(api := SmallApi(7, 3, style="nextLink", next_path=next_path))
    objects, _ = fetch_all(source_spec(resultsPosition="value"), connection(api.base))
    assert [obj["id"] for obj in objects] == list(range(1, 8))


def test_relative_next_links_are_resolved(serve: Serve) -> None:
    serve(api := SmallApi(7, 3, style="nextLink"))
    api.relative_links = True
    objects, _ = fetch_all(source_spec(pagination={"type": "nextLink"}, resultsPosition="value"), connection(api.base))
    assert len(objects) == 7


def test_next_links_to_another_host_are_followed_on_the_base_url_host(serve: Serve) -> None:
    server = serve(api := SmallApi(7, 3, style="nextLink"))
    api.link_base = "http://internal-proxy.invalid:8080"  # credentials must never go there
    objects, _ = fetch_all(source_spec(pagination={"type": "nextLink"}, resultsPosition="value"), connection(api.base))
    assert len(objects) == 7
    assert len(server.requests) == 3


def test_static_and_incremental_query_stay_on_every_page_including_followed_links(serve: Serve) -> None:
    server = serve(api := SmallApi(7, 3, style="nextLink"))
    spec = source_spec(
        endpoint="/api/companies?status=active",
        query={"expand": "owner"},
        pagination={"type": "nextLink"},
        resultsPosition="value",
        incremental={"query": {"modified_since": "2024-01-01T00:00:00+00:00"}, "headers": {"X-Window": "w1"}},
    )
    fetch_all(spec, connection(api.base), incremental=True)
    assert len(server.requests) == 3
    for request in server.requests:
        assert request.query["status"] == "active"
        assert request.query["expand"] == "owner"
        assert request.query["modified_since"] == "2024-01-01T00:00:00+00:00"
        assert request.header("X-Window") == "w1"


def test_incremental_parts_are_left_out_of_a_full_run(serve: Serve) -> None:
    server = serve(api := SmallApi(7, 3, style="single"))
    spec = source_spec(pagination={"type": "none"}, resultsPosition="_root", incremental={"query": {"since": "x"}})
    fetch_all(spec, connection(api.base), incremental=False)
    assert "since" not in server.requests[0].query


def test_single_page_reads_one_request(serve: Serve) -> None:
    server = serve(api := SmallApi(7, 3, style="single"))
    objects, _ = fetch_all(source_spec(pagination={"type": "none"}, resultsPosition="_root"), connection(api.base))
    assert len(objects) == 7
    assert len(server.requests) == 1


def test_offset_advances_by_what_the_server_returned_when_it_caps_the_limit(serve: Serve) -> None:
    serve(api := SmallApi(10, 3, style="offset"))  # the server caps every page at 3 objects
    spec = source_spec(pagination={"type": "offset", "limit": 100, "totalPath": "total"}, resultsPosition="items")
    objects, _ = fetch_all(spec, connection(api.base))
    assert [obj["id"] for obj in objects] == list(range(1, 11))


def test_post_list_request_sends_the_body_on_every_page() -> None:
    with DemoSource(count=45, page_size=20) as demo:
        spec = source_spec(
            method="POST", body={"status": "ACTIVE"}, pagination={"type": "pageNumber"}, resultsPosition="data.items"
        )
        objects, _ = fetch_all(spec, connection(demo.url))
        assert all(r.method == "POST" for r in demo.request_log)
    assert len(objects) == 45


def test_repeated_next_link_is_an_error_not_a_loop(serve: Serve) -> None:
    serve(api := SmallApi(10, 3, style="nextLink"))
    api.repeat_links = True
    with pytest.raises(SourceError, match="repeats a page already read"):
        fetch_all(source_spec(pagination={"type": "nextLink"}, resultsPosition="value"), connection(api.base))


def test_repeated_link_header_is_an_error_not_a_loop(serve: Serve) -> None:
    serve(api := SmallApi(10, 3, style="linkHeader"))
    api.repeat_links = True
    with pytest.raises(SourceError, match="Link header rel='next' repeats"):
        fetch_all(source_spec(pagination={"type": "linkHeader"}, resultsPosition="_root"), connection(api.base))


def test_repeated_cursor_is_an_error_not_a_loop(serve: Serve) -> None:
    serve(api := SmallApi(10, 3, style="cursor"))
    api.repeat_links = True
    spec = source_spec(
        pagination={"type": "cursor", "cursorPath": "next_cursor", "cursorParam": "cursor"}, resultsPosition="data"
    )
    with pytest.raises(SourceError, match="cursor at 'next_cursor' repeats"):
        fetch_all(spec, connection(api.base))


def test_server_ignoring_the_page_parameter_is_an_error_not_a_loop(serve: Serve) -> None:
    serve(api := SmallApi(10, 3, style="pageNumber"))
    api.ignore_paging = True
    with pytest.raises(SourceError, match="page 2 holds the same objects as page 1"):
        fetch_all(source_spec(pagination={"type": "pageNumber"}, resultsPosition="results"), connection(api.base))


def test_max_pages_reached_fails_loudly_instead_of_truncating() -> None:
    with DemoSource(count=COUNT, page_size=PAGE_SIZE) as demo:
        spec = source_spec(pagination={"type": "pageNumber", "maxPages": 3}, resultsPosition="data.items")
        seen: list[int] = []
        with SourceClient(spec, connection(demo.url)) as client, pytest.raises(SourceError) as caught:
            read_page_numbers(client, seen)
    assert seen == [1, 2, 3]
    assert "maxPages is 3 and the source has more pages" in str(caught.value)


def test_max_pages_equal_to_the_real_page_count_succeeds() -> None:
    with DemoSource(count=COUNT, page_size=PAGE_SIZE) as demo:
        spec = source_spec(pagination={"type": "pageNumber", "maxPages": 5}, resultsPosition="data.items")
        objects, _ = fetch_all(spec, connection(demo.url))
    assert len(objects) == COUNT


def test_auto_refuses_to_stop_when_the_body_says_there_is_more(serve: Serve) -> None:
    serve(api := SmallApi(10, 3, style="pageNumber"))  # {"results", "count": 10, "total_pages": 4}, no links
    with pytest.raises(SourceError) as caught:
        fetch_all(source_spec(resultsPosition="results"), connection(api.base))
    assert "found no next link, but the response says count=10 while the page had 3 objects" in str(caught.value)


def test_a_caller_that_stops_early_stops_the_read_ahead() -> None:
    with DemoSource(count=500, page_size=10) as demo:
        spec = source_spec(pagination={"type": "pageNumber"}, resultsPosition="data.items")
        with SourceClient(spec, connection(demo.url), prefetch=1) as client:
            for page in client.pages():
                assert page.number == 1
                break
        # Page 1 was read, page 2 waited in the queue, page 3 at most was being read: never all 50.
        assert demo.requests <= 3
