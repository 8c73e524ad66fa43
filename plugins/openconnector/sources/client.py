"""Read every page of a source exactly once: :class:`SourceClient` and the :class:`Page` it yields.

The client streams: it holds the page the caller is working on plus at most ``prefetch`` pages read
ahead by a background thread (network waits and the caller's database writes release the GIL, so
reading ahead overlaps them with parsing). Any problem raises; a fetch that did not raise read
everything, which is what lets the sync delete vanished objects safely.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from openconnector.errors import SourceError
from openconnector.sources.auth import AuthContext, build_authenticator
from openconnector.sources.connection import SourceConnection
from openconnector.sources.enrich import Enricher
from openconnector.sources.masking import Masker
from openconnector.sources.pagination import NextRequest, PagingError, build_paginator
from openconnector.sources.prefetch import Prefetcher
from openconnector.sources.response import HttpResponse
from openconnector.sources.results import find_objects, missing_results_message, parse_body
from openconnector.sources.transport import Stats, Transport
from openconnector.spec.source import SourceSpec

log = logging.getLogger(__name__)

Params = list[tuple[str, str]]


@dataclass(frozen=True, slots=True)
class Page:
    """One page of source objects.

    :param number: 1-based page number.
    :param objects: the objects at ``resultsPosition``, enriched when ``source.enrich`` is set.
    :param url: path and query of the request, secrets masked (for logs and errors).
    """

    number: int
    objects: list[Any]
    url: str


class SourceClient:
    """Fetch the objects of one source spec through one connection.

    :param spec: the source spec, its templates (endpoint, query, headers, incremental) already rendered.
    :param connection: base URL, credentials, TLS and limits, from the Airflow connection.
    :param incremental: add ``spec.incremental`` query and headers to every list request (windowed run).
    :param prefetch: pages read ahead in a background thread; 0 reads in the caller's thread.
    :param on_secret: called with every secret the client knows or obtains (tokens), e.g. Airflow's
        ``mask_secret``, so even third-party log lines cannot show them.
    """

    def __init__(
        self,
        spec: SourceSpec,
        connection: SourceConnection,
        *,
        incremental: bool = False,
        prefetch: int = 1,
        on_secret: Callable[[str], None] | None = None,
    ) -> None:
        self.spec = spec
        self.connection = connection
        self._masker = Masker(connection.secrets(), on_secret=on_secret)
        self._stats = Stats()
        self._transport = Transport(connection, timeout=spec.timeout, masker=self._masker, stats=self._stats)
        context = AuthContext(self._masker, self._transport.post_form, lambda: self._stats.add("token_requests"))
        self._transport.auth = build_authenticator(connection.auth, context)
        self._list_url, endpoint_params = _split(join_url(connection.base_url, spec.endpoint))
        # Credentials go where the spec points (usually the base URL's host), never to hosts found in responses.
        self._origin = _origin(self._list_url)
        windowed = incremental and spec.incremental is not None
        extra_query = spec.incremental.query if windowed and spec.incremental else {}
        self._params = merge_params(connection.query, endpoint_params, spec.query, extra_query)
        self._headers = {**spec.headers, **(spec.incremental.headers if windowed and spec.incremental else {})}
        self._enricher = Enricher(spec.enrich, self._fetch_detail) if spec.enrich else None
        self._prefetch = prefetch
        self._prefetcher: Prefetcher[Page] | None = None

    @property
    def stats(self) -> dict[str, float]:
        """Return counters: requests, retries, bytes, rate_limited, seconds_waiting, token_requests, pages, objects."""
        return self._stats.snapshot()

    def pages(self) -> Iterator[Page]:
        """Yield every page in order; raise :class:`SourceError`/:class:`SourceUnavailable` on any problem."""
        if self._prefetch <= 0:
            yield from self._fetch_pages()
            return
        self._prefetcher = Prefetcher(self._fetch_pages(), depth=self._prefetch)
        try:
            yield from self._prefetcher
        finally:
            self._prefetcher.close()

    def close(self) -> None:
        """Stop reading ahead, stop enrichment threads, close connections, remove temporary TLS files."""
        if self._prefetcher is not None:
            self._prefetcher.close()
        if self._enricher is not None:
            self._enricher.close()
        self._transport.close()

    def __enter__(self) -> SourceClient:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _fetch_pages(self) -> Iterator[Page]:
        paginator = build_paginator(self.spec.pagination)
        max_pages = self.spec.pagination.max_pages
        url: str | None = _with_query(self._list_url, merge_params(self._params, paginator.first_params()))
        number, previous = 0, None
        while url is not None:
            number += 1
            response, body, objects = self._read(url)
            try:
                previous = _check_not_repeated(objects, previous, number)
                next_request = paginator.next_request(response, body, len(objects))
            except PagingError as exc:
                raise SourceError(f"{self._where(response)}: {exc}") from None
            if max_pages is not None and number > max_pages:
                if objects or next_request is not None:
                    raise SourceError(_max_pages_message(self._where(response), max_pages))
                return
            del body
            if self._enricher is not None:
                self._enricher.enrich(objects, number)
            self._stats.add("pages")
            self._stats.add("objects", len(objects))
            log.debug("Page %d: %d objects", number, len(objects))
            yield Page(number, objects, self._masker.url(url))
            url = self._next_url(next_request) if next_request is not None else None

    def _read(self, url: str) -> tuple[HttpResponse, Any, list[Any]]:
        response = self._transport.request(self.spec.method, url, params=[], headers=self._headers, body=self.spec.body)
        body = parse_body(response, self._masker)
        objects = find_objects(body, self.spec.results_position)
        if objects is None:
            raise SourceError(f"{self._where(response)}: {missing_results_message(body, self.spec.results_position)}")
        return response, body, objects

    def _next_url(self, request: NextRequest) -> str:
        if request.url is None:
            return _with_query(self._list_url, merge_params(self._params, request.params))
        link = request.url
        if _origin(link) != self._origin:
            # Behind proxies, APIs often link to their internal host; credentials only go to the base URL's host.
            parts = urlsplit(link)
            log.warning("Next link points to another host; following its path on the base URL's host instead")
            link = urlunsplit((*self._origin, parts.path, parts.query, ""))
        present = {name for name, _ in parse_qsl(urlsplit(link).query, keep_blank_values=True)}
        missing = [(name, value) for name, value in self._params if name not in present]
        return _with_query(link, missing)

    def _fetch_detail(self, endpoint: str, query: Mapping[str, str]) -> Any:
        url, params = _split(join_url(self.connection.base_url, endpoint))
        if _origin(url) != self._origin:
            raise SourceError(
                f"source.enrich: detail URL {self._masker.url(url)!r} is on another host than the list endpoint of "
                f"{self.connection.label}; credentials are only sent to that host"
            )
        full = _with_query(url, merge_params(self.connection.query, params, query))
        self._stats.add("enrich_requests")
        response = self._transport.request("GET", full, params=[], headers=self.spec.headers)
        return parse_body(response, self._masker)

    def _where(self, response: HttpResponse) -> str:
        return f"{response.method} {self._masker.url(response.url)}: HTTP {response.status}"


def probe(connection: SourceConnection, timeout: float = 30.0) -> str:
    """Send one authenticated GET to the base URL; return a one-line report or raise :class:`SourceError`."""
    masker, stats = Masker(connection.secrets()), Stats()
    transport = Transport(connection, timeout=timeout, masker=masker, stats=stats)
    try:
        transport.auth = build_authenticator(connection.auth, AuthContext(masker, transport.post_form, lambda: None))
        response = transport.request("GET", connection.base_url, params=[], headers={})
    finally:
        transport.close()
    return f"GET {masker.url(response.url)}: HTTP {response.status} {response.reason}".rstrip()


def join_url(base_url: str, endpoint: str) -> str:
    """Return ``endpoint`` resolved on ``base_url``: absolute endpoints as they are, else appended with one slash."""
    if endpoint.startswith(("http://", "https://")):
        return endpoint
    if not endpoint:
        return base_url
    if endpoint.startswith("?"):
        return base_url + endpoint
    return base_url.rstrip("/") + "/" + endpoint.lstrip("/")


def merge_params(*sources: Mapping[str, Any] | Params) -> Params:
    """Merge query parameter sources; a later source replaces every earlier value of the same name."""
    merged: Params = []
    for source in sources:
        items = list(source.items()) if isinstance(source, Mapping) else list(source)
        names = {name for name, _ in items}
        merged = [pair for pair in merged if pair[0] not in names]
        merged.extend((name, _query_value(value)) for name, value in items)
    return merged


def _query_value(value: Any) -> str:
    # JSON spelling, not Python's: "true", not "True".
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def _split(url: str) -> tuple[str, Params]:
    parts = urlsplit(url)
    return urlunsplit((*parts[:3], "", "")), parse_qsl(parts.query, keep_blank_values=True)


def _with_query(url: str, params: Params) -> str:
    if not params:
        return url
    return f"{url}{'&' if urlsplit(url).query else '?'}{urlencode(params)}"


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


def _check_not_repeated(objects: list[Any], previous: tuple[Any, ...] | None, number: int) -> tuple[Any, ...] | None:
    if not objects:
        return previous
    current = (len(objects), objects[0], objects[-1])
    if previous is not None and current == previous:
        raise PagingError(
            f"page {number} holds the same objects as page {number - 1}: the source ignores the paging "
            "parameters; check source.pagination (param, offsetParam, cursorParam)"
        )
    return current


def _max_pages_message(where: str, max_pages: int) -> str:
    return (
        f"{where}: source.pagination.maxPages is {max_pages} and the source has more pages; the fetch fails "
        "instead of truncating (nothing is deleted). Raise or remove maxPages"
    )
