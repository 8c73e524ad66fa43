"""The demo source: realistic records, every pagination style, and the knobs tests rely on."""

from __future__ import annotations

import http.client
import os
import re
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import orjson
import pytest
import requests

from devkit.demo_source import STYLES, DemoSource, measure_throughput
from devkit.records import make_detail, make_record, parse_id, record_id

ROOT = Path(__file__).resolve().parents[2]
DATE = r"^\d{4}-\d{2}-\d{2}$"
NUMERIC = r"^\d+(\.\d{2})?$"


def _obj(properties: dict[str, Any], optional: tuple[str, ...] = ()) -> dict[str, Any]:
    required = [name for name in properties if name not in optional]
    return {"type": "object", "properties": properties, "required": required, "additionalProperties": False}


def _str(pattern: str) -> dict[str, Any]:
    return {"type": "string", "pattern": pattern}


def _strings(low: int, high: int, item: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"type": "array", "items": item or {"type": "string", "minLength": 1}, "minItems": low, "maxItems": high}


RECORD_SCHEMA = _obj(
    {
        "id": _str(r"^cmp-\d{6,}$"),
        "registration": _obj(
            {"number": _str(r"^\d{16}$"), "branchNumber": _str(r"^\d{12}$"), "registeredOn": _str(DATE)}
        ),
        "name": _obj(
            {"legal": {"type": "string", "minLength": 3}, "trading": _strings(0, 3), "previous": _strings(0, 2)}
        ),
        "status": {"enum": ["ACTIVE", "DISSOLVED", "SUSPENDED"]},
        "legalForm": {"type": "string", "minLength": 2},
        "foundedOn": _str(DATE),
        "address": _obj(
            {
                "line1": {"type": "string", "minLength": 3},
                "line2": {"type": ["string", "null"]},
                "postcode": {"type": "string", "minLength": 4},
                "city": {"type": "string", "minLength": 2},
                "country": _str(r"^[A-Z]{2}$"),
            }
        ),
        "contacts": _strings(
            0,
            4,
            _obj(
                {
                    "type": {"enum": ["email", "phone", "web"]},
                    "value": {"type": "string", "minLength": 5},
                    "primary": {"type": "boolean"},
                    "verifiedOn": {"anyOf": [_str(DATE), {"type": "null"}]},
                }
            ),
        ),
        "officers": _strings(
            0,
            3,
            _obj(
                {
                    "name": _obj({"first": {"type": "string"}, "last": {"type": "string"}}),
                    "role": {"type": "string"},
                    "nationality": _str(r"^[A-Z]{2}$"),
                    "appointedOn": _str(DATE),
                }
            ),
        ),
        "employees": {"anyOf": [_str(r"^\d+$"), {"const": ""}]},
        "turnover": {"anyOf": [_str(NUMERIC), {"const": ""}]},
        "sic": _strings(1, 3, _str(r"^\d{5}$")),
        "activity": {"type": "string", "minLength": 3},
        "updatedAt": _str(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$"),
    }
)
VALIDATOR = jsonschema.Draft202012Validator(RECORD_SCHEMA)


# -- records -------------------------------------------------------------------------------------


@pytest.mark.parametrize("version", [0, 1, 7])
def test_records_have_the_registry_shape(version: int) -> None:
    for index in range(0, 3000, 3):
        record = make_record(index, seed=5, version=version)
        errors = [f"{list(e.absolute_path)}: {e.message}" for e in VALIDATOR.iter_errors(record)]
        assert not errors, f"record {index}: {errors[:3]}"
        assert record["foundedOn"] <= record["registration"]["registeredOn"] <= record["updatedAt"]
        assert all(o["appointedOn"] >= record["foundedOn"] for o in record["officers"])
        assert [c["primary"] for c in record["contacts"]] == [True, False, False, False][: len(record["contacts"])]


def test_records_are_varied_like_a_real_registry() -> None:
    records = [make_record(i) for i in range(4000)]
    statuses = Counter(r["status"] for r in records)
    assert statuses["ACTIVE"] > 0.75 * len(records)
    assert statuses["DISSOLVED"]
    assert statuses["SUSPENDED"]
    assert 0.05 < sum(r["employees"] == "" for r in records) / len(records) < 0.15
    assert 0.05 < sum(r["turnover"] == "" for r in records) / len(records) < 0.15
    assert 0.4 < sum(r["address"]["line2"] is None for r in records) / len(records) < 0.6
    assert {len(r["contacts"]) for r in records} == {0, 1, 2, 3, 4}
    assert {len(r["officers"]) for r in records} == {0, 1, 2, 3}
    assert {len(r["name"]["trading"]) for r in records} == {0, 1, 2, 3}
    assert {r["address"]["country"] for r in records} >= {"NL", "BE", "DE", "GB"}
    assert len({r["registration"]["number"] for r in records}) == len(records)
    assert 700 < sum(len(orjson.dumps(r)) for r in records) / len(records) < 1300


def test_records_are_deterministic_per_seed_and_index() -> None:
    assert orjson.dumps(make_record(42, seed=3)) == orjson.dumps(make_record(42, seed=3))
    assert make_record(42, seed=3) != make_record(42, seed=4)
    assert make_record(42)["id"] == record_id(42) == "cmp-000042"
    assert parse_id("cmp-000042") == 42
    assert parse_id(7) == 7
    assert parse_id("company-1") is None


def test_a_new_version_changes_a_few_fields_only() -> None:
    old, new = make_record(11), make_record(11, version=1)
    changed = {key for key in old if old[key] != new[key]}
    assert "updatedAt" in changed
    assert changed <= {"updatedAt", "employees", "name"}
    assert new["updatedAt"] > old["updatedAt"]
    assert make_record(11, version=2) != new


def test_detail_adds_filings_to_the_record() -> None:
    detail = make_detail(9, seed=1)
    assert detail.pop("filings") is not None
    assert detail == make_record(9, seed=1)


# -- pagination ----------------------------------------------------------------------------------


@pytest.fixture
def session() -> Iterator[requests.Session]:
    with requests.Session() as s:
        yield s


def _walk(source: DemoSource, session: requests.Session) -> list[dict[str, Any]]:
    """Read every page the way a client of this style must, and return the items in order."""
    items: list[dict[str, Any]] = []
    url: str | None = f"{source.url}/api/companies"
    for _ in range(1000):
        response = session.get(url)  # type: ignore[arg-type]
        assert response.status_code == 200, response.text
        body = response.json()
        page = body if source.style == "linkHeader" else body["data"]["items"]
        items.extend(page)
        url = _next_url(source, response, body)
        if url is None:
            return items
    raise AssertionError("pagination never ended")


def _next_url(source: DemoSource, response: requests.Response, body: Any) -> str | None:
    base = f"{source.url}/api/companies"
    if source.style == "pageNumber":
        meta = body["meta"]
        return f"{base}?page={meta['page'] + 1}" if meta["page"] < meta["pages"] else None
    if source.style == "offset":
        meta = body["meta"]
        more = meta["offset"] + meta["limit"] < meta["total"]
        return f"{base}?offset={meta['offset'] + meta['limit']}" if more else None
    if source.style == "cursor":
        cursor = body["meta"]["nextCursor"]
        return f"{base}?cursor={cursor}" if cursor else None
    if source.style == "nextLink":
        return str(body["links"]["next"]) if body["links"]["next"] else None
    return response.links.get("next", {}).get("url")


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize(("count", "page_size"), [(23, 5), (20, 5), (0, 5), (3, 10)])
def test_every_style_lists_every_record_exactly_once(
    style: str, count: int, page_size: int, session: requests.Session
) -> None:
    with DemoSource(count=count, page_size=page_size, style=style) as source:
        items = _walk(source, session)
    assert [item["id"] for item in items] == [record_id(i) for i in range(count)]
    assert items == [make_record(i) for i in range(count)]


def test_page_number_envelope_and_past_the_end(session: requests.Session) -> None:
    with DemoSource(count=23, page_size=5) as source:
        body = session.get(f"{source.url}/api/companies?page=2").json()
        past = session.get(f"{source.url}/api/companies?page=9")
    assert body["meta"] == {"page": 2, "pageSize": 5, "pages": 5, "total": 23}
    assert body["links"]["next"] == f"{source.url}/api/companies?page=3&pageSize=5"
    assert past.status_code == 200
    assert past.json()["data"]["items"] == []
    assert past.json()["links"]["next"] is None


def test_page_size_is_taken_from_the_request_and_capped(session: requests.Session) -> None:
    with DemoSource(count=1500, page_size=50) as source:
        small = session.get(f"{source.url}/api/companies?pageSize=7").json()
        big = session.get(f"{source.url}/api/companies?pageSize=5000").json()
    assert len(small["data"]["items"]) == 7
    assert small["meta"]["pages"] == 215
    assert len(big["data"]["items"]) == 1000
    assert big["meta"]["pageSize"] == 1000


def test_link_header_names_first_next_and_last(session: requests.Session) -> None:
    with DemoSource(count=23, page_size=5, style="linkHeader") as source:
        response = session.get(source.page_url(2))
    assert set(response.links) == {"first", "prev", "next", "last"}
    assert response.links["last"]["url"].endswith("page=5&pageSize=5")
    assert response.headers["X-Total-Count"] == "23"


def test_other_query_parameters_survive_in_next_links(session: requests.Session) -> None:
    with DemoSource(count=23, page_size=5, style="nextLink") as source:
        body = session.get(f"{source.url}/api/companies?expand=officers").json()
    assert body["links"]["next"].endswith("?page=2&pageSize=5&expand=officers")


@pytest.mark.parametrize(
    ("query", "named"), [("page=0", "'page'"), ("pageSize=x", "'pageSize'"), ("cursor=%21%21", "'cursor'")]
)
def test_bad_parameters_get_a_json_400_naming_them(query: str, named: str, session: requests.Session) -> None:
    style = "cursor" if "cursor" in query else "pageNumber"
    with DemoSource(count=10, style=style) as source:
        response = session.get(f"{source.url}/api/companies?{query}")
    assert response.status_code == 400
    assert named in response.json()["error"]["message"]


def test_post_reads_parameters_from_a_json_body(session: requests.Session) -> None:
    with DemoSource(count=23, page_size=5) as source:
        body = session.post(f"{source.url}/api/companies", json={"page": 3}).json()
    assert body["data"]["items"][0]["id"] == "cmp-000010"


# -- detail --------------------------------------------------------------------------------------


def test_detail_endpoint_serves_one_record_or_a_json_404(session: requests.Session) -> None:
    with DemoSource(count=10, seed=2) as source:
        found = session.get(f"{source.url}/api/companies/cmp-000004")
        missing = session.get(f"{source.url}/api/companies/cmp-000010")
        garbage = session.get(f"{source.url}/api/companies/hello")
    assert found.status_code == 200
    assert found.json() == make_detail(4, seed=2)
    assert missing.status_code == 404
    assert "cmp-000010" in missing.json()["error"]["message"]
    assert garbage.status_code == 404


# -- mutations -----------------------------------------------------------------------------------


@pytest.mark.parametrize("style", STYLES)
def test_removed_records_vanish_and_later_pages_shift(style: str, session: requests.Session) -> None:
    with DemoSource(count=23, page_size=5, style=style) as source:
        _walk(source, session)  # fill the page cache: removal must still show
        source.remove([0, "cmp-000007", 22])
        items = _walk(source, session)
        detail = session.get(f"{source.url}/api/companies/cmp-000007")
    expected = [record_id(i) for i in range(23) if i not in (0, 7, 22)]
    assert [item["id"] for item in items] == expected
    assert detail.status_code == 404


@pytest.mark.parametrize(("style", "skipped"), [("pageNumber", True), ("cursor", False)])
def test_a_removal_between_pages_shifts_positions_but_not_cursors(
    style: str, skipped: bool, session: requests.Session
) -> None:
    with DemoSource(count=20, page_size=5, style=style) as source:
        first = session.get(source.page_url(1)).json()
        source.remove(2)
        second_url = _next_url(source, requests.Response(), first)
        second = session.get(second_url).json()  # type: ignore[arg-type]
    # Page numbers count positions, so record 5 moved onto page 1 and the client never sees it.
    assert second["data"]["items"][0]["id"] == ("cmp-000006" if skipped else "cmp-000005")


def test_updated_records_are_served_with_their_new_version(session: requests.Session) -> None:
    with DemoSource(count=12, page_size=5, seed=1) as source:
        before = _walk(source, session)
        source.update([3, "cmp-000007"], version=2)
        after = _walk(source, session)
        detail = session.get(f"{source.url}/api/companies/cmp-000003").json()
    assert after[3] == make_record(3, seed=1, version=2) != before[3]
    assert after[7] == make_record(7, seed=1, version=2)
    assert [a for i, a in enumerate(after) if i not in (3, 7)] == [b for i, b in enumerate(before) if i not in (3, 7)]
    assert detail["updatedAt"] == after[3]["updatedAt"]


def test_restore_brings_back_the_original_listing(session: requests.Session) -> None:
    with DemoSource(count=12, page_size=5) as source:
        source.update(range(5))
        source.remove([1, 2])
        source.restore()
        items = _walk(source, session)
    assert items == [make_record(i) for i in range(12)]


def test_batch_applies_its_mutations_together(session: requests.Session) -> None:
    with DemoSource(count=12, page_size=5) as source:
        with source.batch():
            source.remove(0)
            source.update(1)
            assert _walk(source, session)[0]["id"] == "cmp-000000"
        items = _walk(source, session)
    assert items[0] == make_record(1, version=1)
    assert len(items) == 11


def test_mutations_reject_unknown_records() -> None:
    source = DemoSource(count=10)
    with pytest.raises(ValueError, match=r"no record 'cmp-000010'.*0\.\.9"):
        source.remove("cmp-000010")
    with pytest.raises(ValueError, match="no record 'x'"):
        source.update(["x"])


def test_prerendered_pages_match_and_follow_mutations(session: requests.Session) -> None:
    with DemoSource(count=23, page_size=5, prerender=True) as source:
        assert source._spool is not None
        spool = source._spool.path
        assert _walk(source, session) == [make_record(i) for i in range(23)]
        source.update(4, version=3)
        source.remove(9)
        items = _walk(source, session)
    assert items[4] == make_record(4, version=3)
    assert "cmp-000009" not in {i["id"] for i in items}
    assert not os.path.exists(spool)


def test_same_seed_serves_the_same_bytes(session: requests.Session) -> None:
    def page_bytes(seed: int) -> bytes:
        with DemoSource(count=30, page_size=10, seed=seed) as source:
            return session.get(source.page_url(2)).content.replace(source.url.encode(), b"BASE")

    assert page_bytes(7) == page_bytes(7) != page_bytes(8)


# -- failures ------------------------------------------------------------------------------------


def test_fail_page_a_number_of_times_then_recover(session: requests.Session) -> None:
    with DemoSource(count=23, page_size=5, style="offset") as source:
        source.fail_page(2, status=503, times=2, retry_after=1)
        statuses = [session.get(f"{source.url}/api/companies?offset=5").status_code for _ in range(3)]
        failed = session.get(f"{source.url}/api/companies")
        source.fail_page(2, status=503, times=1, retry_after=1)
        error = session.get(f"{source.url}/api/companies?offset=5")
    assert statuses == [503, 503, 200]
    assert failed.status_code == 200
    assert error.headers["Retry-After"] == "1"
    assert error.json()["error"]["status"] == 503


def test_fail_page_forever_until_cleared(session: requests.Session) -> None:
    with DemoSource(count=23, page_size=5) as source:
        source.fail_page(3)
        statuses = [session.get(source.page_url(3)).status_code for _ in range(4)]
        source.clear_failures()
        recovered = session.get(source.page_url(3)).status_code
    assert statuses == [500] * 4
    assert recovered == 200


# -- serving -------------------------------------------------------------------------------------


def test_request_log_records_method_path_and_query(session: requests.Session) -> None:
    with DemoSource(count=10) as source:
        session.get(f"{source.url}/api/companies?page=1&q=a", headers={"X-Trace": "t1"})
        session.get(f"{source.url}/api/companies/cmp-000001")
        assert source.requests == 2
        first = source.request_log[0]
        source.reset_log()
        assert source.requests == 0
    assert (first.method, first.path, first.query) == ("GET", "/api/companies", {"page": "1", "q": "a"})
    assert first.headers["X-Trace"] == "t1"


def test_request_log_keeps_the_latest_requests_but_counts_all(session: requests.Session) -> None:
    with DemoSource(count=10, log_limit=2) as source:
        for page in (1, 2, 3):
            session.get(source.page_url(page))
    assert source.requests == 3
    assert [record.query["page"] for record in source.request_log] == ["2", "3"]


def test_required_headers_guard_every_request(session: requests.Session) -> None:
    with DemoSource(count=10, required_headers={"X-Api-Key": "k1"}) as source:
        denied = session.get(f"{source.url}/api/companies")
        allowed = session.get(f"{source.url}/api/companies", headers={"X-Api-Key": "k1"})
    assert denied.status_code == 401
    assert "'X-Api-Key'" in denied.json()["error"]["message"]
    assert allowed.status_code == 200


def test_connections_are_kept_alive_and_closed_on_stop() -> None:
    source = DemoSource(count=30, page_size=10).start()
    connection = http.client.HTTPConnection("127.0.0.1", source.port, timeout=5)
    responses = []
    for page in (1, 2):
        connection.request("GET", f"/api/companies?page={page}")
        response = connection.getresponse()
        responses.append((response.status, response.will_close, len(response.read())))
        sock = connection.sock
    source.stop()
    assert [(status, will_close) for status, will_close, _ in responses] == [(200, False), (200, False)]
    assert sock is connection.sock  # the second request reused the first connection
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{source.url}/api/companies", timeout=5)


def test_measure_throughput_reads_real_pages() -> None:
    with DemoSource(count=40, page_size=10, style="cursor") as source:
        rate = measure_throughput(source, pages=6, clients=2, page_size=10)
        assert source.requests == 12
    assert rate > 0


def test_cli_serves_until_sigterm() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "devkit.demo_source", "--port", "0", "--count", "12", "--page-size", "5"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        banner = process.stdout.readline() + process.stdout.readline()  # type: ignore[union-attr]
        url = re.search(r"curl '([^']+)'", banner).group(1)  # type: ignore[union-attr]
        body = requests.get(url, timeout=5).json()
        process.send_signal(signal.SIGTERM)
        out, _ = process.communicate(timeout=10)
    finally:
        process.kill()
    assert body["meta"] == {"page": 1, "pageSize": 5, "pages": 3, "total": 12}
    assert process.returncode == 0
    assert "stopped" in out
