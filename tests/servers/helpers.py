"""Short ways to build specs and connections and read every page, for the source-client tests."""

from __future__ import annotations

from typing import Any

from openconnector.sources import RetryPolicy, SourceClient, SourceConnection
from openconnector.spec.source import SourceSpec

#: Retries that keep tests fast: a few attempts, millisecond backoff, a short wait budget.
FAST_RETRY = RetryPolicy(max_attempts=4, backoff_factor=0.01, max_backoff=0.05, max_total_wait=5.0)


def source_spec(**fields: Any) -> SourceSpec:
    """Return a source spec from camelCase fields (as written in YAML); connection defaults to 'test_source'."""
    return SourceSpec.model_validate({"connection": "test_source", "endpoint": "/api/companies", **fields})


def connection(base_url: str, **fields: Any) -> SourceConnection:
    """Return a connection to ``base_url`` with fast retries unless ``retry`` is given."""
    fields.setdefault("retry", FAST_RETRY)
    fields.setdefault("name", "test_source")
    return SourceConnection(base_url=base_url, **fields)


def fetch_all(spec: SourceSpec, conn: SourceConnection, **options: Any) -> tuple[list[Any], dict[str, float]]:
    """Read every page; return all objects in order and the client's stats."""
    with SourceClient(spec, conn, **options) as client:
        objects = [obj for page in client.pages() for obj in page.objects]
        return objects, client.stats


def read_page_numbers(client: SourceClient, seen: list[int]) -> None:
    """Read pages, noting each page number in ``seen`` before the next is read (to see how far a fetch got)."""
    for page in client.pages():
        seen.append(page.number)
