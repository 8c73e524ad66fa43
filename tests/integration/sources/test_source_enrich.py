"""Enrichment: one detail request per object, merged before the caller sees the page, concurrency bounded."""

from __future__ import annotations

import threading
import time

import pytest

from devkit.demo_source import DemoSource
from openconnector.errors import SourceError
from openconnector.sources import SourceClient
from tests.servers.helpers import connection, fetch_all, source_spec
from tests.servers.loopback import Reply, Request, Serve
from tests.servers.small_api import SmallApi

PAGING = {"type": "pageNumber", "totalPagesPath": "meta.pages"}


def test_details_are_merged_into_every_object_in_page_order() -> None:
    with DemoSource(count=45, page_size=20) as demo:
        spec = source_spec(
            resultsPosition="data.items",
            pagination=PAGING,
            enrich={"endpoint": "/api/companies/{id}", "concurrency": 4},
        )
        objects, stats = fetch_all(spec, connection(demo.url))
        detail_paths = [r.path for r in demo.request_log if r.path != "/api/companies"]
    assert len(objects) == 45
    assert all("filings" in obj for obj in objects)  # only the detail view has filings
    assert [obj["id"] for obj in objects] == [f"cmp-{i:06d}" for i in range(45)]
    assert sorted(detail_paths) == sorted(f"/api/companies/cmp-{i:06d}" for i in range(45))
    assert stats["enrich_requests"] == 45


def test_details_can_go_under_a_key(serve: Serve) -> None:
    serve(api := SmallApi(7, 3, style="single"))
    spec = source_spec(
        pagination={"type": "none"},
        resultsPosition="_root",
        enrich={"endpoint": "/api/companies/{id}", "mergeInto": "detail", "concurrency": 1},
    )
    objects, _ = fetch_all(spec, connection(api.base))
    assert objects[2]["detail"] == {"id": 3, "employees": 30, "secret_note": None}
    assert objects[2]["name"] == "company 3"


def test_concurrency_is_bounded(serve: Serve) -> None:
    api = SmallApi(12, 12, style="single")
    active, peak, lock = [0], [0], threading.Lock()

    def app(request: Request) -> Reply:
        if request.path == "/api/companies":
            return api(request)
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        time.sleep(0.02)  # long enough for requests to overlap
        with lock:
            active[0] -= 1
        return api(request)

    server = serve(app)
    spec = source_spec(
        pagination={"type": "none"},
        resultsPosition="_root",
        enrich={"endpoint": "/api/companies/{id}", "concurrency": 3},
    )
    objects, _ = fetch_all(spec, connection(server.url))
    assert len(objects) == 12
    assert 1 < peak[0] <= 3


def test_a_failing_detail_request_fails_the_fetch(serve: Serve) -> None:
    api = SmallApi(7, 3, style="single")

    def app(request: Request) -> Reply:
        # Object 5 is listed, but its detail has vanished meanwhile.
        return Reply(404, {"detail": "not found"}) if request.path.endswith("/5") else api(request)

    server = serve(app)
    spec = source_spec(pagination={"type": "none"}, resultsPosition="_root", enrich={"endpoint": "/api/companies/{id}"})
    with pytest.raises(SourceError, match=r"GET /api/companies/5: HTTP 404 Not Found"):
        fetch_all(spec, connection(server.url))


def test_a_placeholder_the_object_lacks_names_the_object_and_its_keys(serve: Serve) -> None:
    serve(api := SmallApi(7, 3, style="single"))
    spec = source_spec(
        pagination={"type": "none"}, resultsPosition="_root", enrich={"endpoint": "/api/companies/{uuid}"}
    )
    with SourceClient(spec, connection(api.base)) as client, pytest.raises(SourceError) as caught:
        list(client.pages())
    assert "object 1 of page 1 has no value at 'uuid'; its keys: 'id', 'name', 'values'" in str(caught.value)


def test_detail_urls_on_another_host_are_refused(serve: Serve) -> None:
    serve(api := SmallApi(7, 3, style="single"))
    for record in api.records:
        record["url"] = f"http://elsewhere.invalid/api/companies/{record['id']}"
    spec = source_spec(pagination={"type": "none"}, resultsPosition="_root", enrich={"endpoint": "{url}"})
    with pytest.raises(SourceError, match="is on another host than the list endpoint"):
        fetch_all(spec, connection(api.base))


def test_a_whole_url_placeholder_on_the_same_host_is_followed(serve: Serve) -> None:
    serve(api := SmallApi(7, 3, style="single"))
    for record in api.records:
        record["url"] = f"{api.base}/api/companies/{record['id']}"
    spec = source_spec(pagination={"type": "none"}, resultsPosition="_root", enrich={"endpoint": "{url}"})
    objects, _ = fetch_all(spec, connection(api.base))
    assert all(obj["employees"] == obj["id"] * 10 for obj in objects)
