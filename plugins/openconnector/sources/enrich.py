"""Per-object detail requests whose answers are merged into the objects of a page (OpenConnector's extra data).

The endpoint is a template: ``/companies/{id}`` fills ``{id}`` from the object's ``id`` field, and any
dot path works (``{links.self}``, ``{values.case&#46;id}``). Values are URL-encoded inside a path; a
template that is a single placeholder takes the value verbatim, so an object holding its own detail
URL (``{url}``) works. Requests run ``concurrency`` at a time and the page keeps its order. Any failed
detail request fails the fetch: an object half enriched would hash and map differently.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Final
from urllib.parse import quote

from openconnector.core.paths import MISSING, get_path
from openconnector.errors import SourceError
from openconnector.sources.results import find_objects
from openconnector.spec.source import EnrichSpec

_PLACEHOLDER: Final = re.compile(r"\{([^{}]+)\}")

#: Fetch the JSON value of a detail endpoint (a path relative to the base URL, or an absolute URL).
DetailFetcher = Callable[[str, Mapping[str, str]], Any]


class Enricher:
    """Merge detail answers into objects, a page at a time, with bounded concurrency."""

    def __init__(self, config: EnrichSpec, fetch: DetailFetcher) -> None:
        self._config = config
        self._fetch = fetch
        self._pool: ThreadPoolExecutor | None = None
        self._whole = _PLACEHOLDER.fullmatch(config.endpoint.strip()) is not None
        if not _PLACEHOLDER.search(config.endpoint):
            raise SourceError(
                f"source.enrich.endpoint {config.endpoint!r} has no placeholder; write e.g. '/companies/{{id}}'"
            )

    def enrich(self, objects: list[Any], page: int) -> None:
        """Merge each object's detail answer into it, in place."""
        if not objects:
            return
        if self._config.concurrency == 1 or len(objects) == 1:
            for index, obj in enumerate(objects):
                self._merge(obj, self._detail(obj, page, index))
            return
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self._config.concurrency, thread_name_prefix="openconnector-enrich")
        futures = [self._pool.submit(self._detail, obj, page, index) for index, obj in enumerate(objects)]
        try:
            for obj, future in zip(objects, futures, strict=True):
                self._merge(obj, future.result())
        finally:
            _cancel(futures)

    def close(self) -> None:
        """Stop the worker threads."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def endpoint_for(self, obj: Any, page: int, index: int) -> str:
        """Return the detail endpoint of one object."""

        def fill(match: re.Match[str]) -> str:
            value = get_path(obj, match.group(1)) if isinstance(obj, (dict, list)) else MISSING
            if value is MISSING or value is None or isinstance(value, (dict, list)):
                keys = ", ".join(repr(k) for k in list(obj)[:20]) if isinstance(obj, dict) else type(obj).__name__
                raise SourceError(
                    f"source.enrich.endpoint {self._config.endpoint!r}: object {index + 1} of page {page} has no "
                    f"value at {match.group(1)!r}; its keys: {keys}"
                )
            text = str(value).lower() if isinstance(value, bool) else str(value)
            return text if self._whole else quote(text, safe="")

        return _PLACEHOLDER.sub(fill, self._config.endpoint)

    def _detail(self, obj: Any, page: int, index: int) -> Any:
        answer = self._fetch(self.endpoint_for(obj, page, index), self._config.query)
        found = find_objects(answer, self._config.results_position)
        if found is None or (self._config.results_position not in ("_root", "_object") and len(found) != 1):
            raise SourceError(
                f"source.enrich.resultsPosition {self._config.results_position!r} found no single object in the "
                f"detail answer for object {index + 1} of page {page}"
            )
        return answer if self._config.results_position in ("_root", "_object") else found[0]

    def _merge(self, obj: Any, detail: Any) -> None:
        if self._config.merge_into:
            obj[self._config.merge_into] = detail
        elif isinstance(obj, dict) and isinstance(detail, dict):
            obj.update(detail)
        else:
            raise SourceError(
                "source.enrich: the detail answer is not an object, so it cannot be merged at the top level; "
                "set source.enrich.mergeInto to the key it should go under"
            )


def _cancel(futures: list[Future[Any]]) -> None:
    for future in futures:
        future.cancel()
