"""Serve deterministic company records on loopback, paginated like a real REST API.

Used by ``make demo``, the end-to-end tests, the source-client tests and the benchmark. One server
speaks one pagination ``style``: ``pageNumber``, ``offset``, ``cursor``, ``nextLink`` or
``linkHeader``. Tests change what it serves between runs (``update``, ``remove``, ``restore``) and
make pages fail (``fail_page``), which is how a synchronization meets changed, vanished and
unavailable data without mocks.

Rendered pages are cached (LRU, bounded) and dropped on every mutation. ``prerender=True`` renders
every page of the default listing into a temporary spool file up front (and again after each
mutation), so serving costs one ``pread`` per page and no Python objects: that is the benchmark mode.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import bisect
import contextlib
import logging
import os
import signal
import tempfile
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from typing import Any, NamedTuple
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

import orjson
import requests

from devkit.loopback import LoopbackServer
from devkit.records import make_detail, make_record, parse_id

log = logging.getLogger(__name__)

STYLES = ("pageNumber", "offset", "cursor", "nextLink", "linkHeader")
LIST_PATH = "/api/companies"
MAX_PAGE_SIZE = 1000
_OWN_PARAMS = {"offset": ("offset", "limit"), "cursor": ("cursor", "pageSize")}
_PAGE_PARAMS = ("page", "pageSize")
_PHRASES = {status.value: status.phrase for status in HTTPStatus}


class RequestRecord(NamedTuple):
    """One request as the server saw it."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]


class _Response(NamedTuple):
    status: int
    body: bytes
    headers: tuple[tuple[str, str], ...] = ()


class _BadRequest(Exception):
    pass


def _json(body: Any) -> _Response:
    return _Response(200, orjson.dumps(body))


def _error(status: int, message: str, headers: tuple[tuple[str, str], ...] = ()) -> _Response:
    return _Response(status, orjson.dumps({"error": {"status": status, "message": message}}), headers)


@dataclass(frozen=True)
class _Catalog:
    """An immutable snapshot of what is served; mutations publish a new one (copy-on-write)."""

    count: int
    seed: int
    generation: int = 0
    removed: tuple[int, ...] = ()
    versions: Mapping[int, int] = field(default_factory=dict)
    removed_set: frozenset[int] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "removed_set", frozenset(self.removed))

    @property
    def total(self) -> int:
        return self.count - len(self.removed)

    def listed(self, index: int) -> bool:
        return 0 <= index < self.count and index not in self.removed_set

    def index_at(self, position: int) -> int:
        """Return the record index at a listing position (the least fixed point skips removed ones)."""
        index = position
        while (shifted := position + bisect.bisect_right(self.removed, index)) != index:
            index = shifted
        return index

    def position_after(self, index: int) -> int:
        """Return the listing position that follows record ``index`` (where a cursor resumes)."""
        return max(0, index + 1 - bisect.bisect_right(self.removed, index))

    def indexes(self, start: int, size: int) -> list[int]:
        if not self.removed:
            return list(range(start, min(start + size, self.count)))
        out: list[int] = []
        index = self.index_at(start)
        while len(out) < size and index < self.count:
            if index not in self.removed_set:
                out.append(index)
            index += 1
        return out

    def records(self, indexes: Iterable[int]) -> list[dict[str, Any]]:
        versions, seed = self.versions, self.seed
        return [make_record(i, seed=seed, version=versions.get(i, 0)) for i in indexes]


def _encode_cursor(index: int) -> str:
    return base64.urlsafe_b64encode(f"after:{index}".encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError):
        text = ""
    prefix, _, digits = text.partition(":")
    if prefix != "after" or not (digits.isascii() and digits.isdigit()):
        raise _BadRequest(
            f"query parameter 'cursor' is not a cursor this API issued: {cursor!r}; send meta.nextCursor back unchanged"
        )
    return int(digits)


def _int_param(query: Mapping[str, str], name: str, default: int, minimum: int) -> int:
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    if not (raw.isascii() and raw.isdigit()) or int(raw) < minimum:
        raise _BadRequest(f"query parameter {name!r} must be an integer >= {minimum}, got {raw!r}")
    return int(raw)


def _window(style: str, query: Mapping[str, str], default_size: int, catalog: _Catalog) -> tuple[int, int]:
    """Return (start position, page size) that a list request asks for; sizes above the max are clamped."""
    size_param = "limit" if style == "offset" else "pageSize"
    size = min(_int_param(query, size_param, default_size, 1), MAX_PAGE_SIZE)
    if style == "offset":
        return _int_param(query, "offset", 0, 0), size
    if style == "cursor":
        cursor = query.get("cursor")
        return (catalog.position_after(_decode_cursor(cursor)) if cursor else 0), size
    return (_int_param(query, "page", 1, 1) - 1) * size, size


class _PageRenderer:
    """Turn a window of the catalog into the body and headers of one pagination style."""

    def __init__(self, style: str, base_url: str) -> None:
        self.style, self.base_url = style, base_url

    def url(self, params: Mapping[str, Any]) -> str:
        return f"{self.base_url}{LIST_PATH}?{urlencode(params)}"

    def page_url(self, page: int, size: int, extra: tuple[tuple[str, str], ...] = ()) -> str:
        return self.url({"page": page, "pageSize": size, **dict(extra)})

    def render(self, catalog: _Catalog, start: int, size: int, extra: tuple[tuple[str, str], ...]) -> _Response:
        indexes = catalog.indexes(start, size)
        items, total = catalog.records(indexes), catalog.total
        more = start + size < total
        if self.style == "offset":
            return _json({"data": {"items": items}, "meta": {"offset": start, "limit": size, "total": total}})
        if self.style == "cursor":
            cursor = _encode_cursor(indexes[-1]) if indexes and more else None
            return _json({"data": {"items": items}, "meta": {"pageSize": size, "nextCursor": cursor}})
        page, pages = start // size + 1, -(-total // size)
        if self.style == "linkHeader":
            return _Response(200, orjson.dumps(items), self._link_header(page, pages, size, extra, total))
        next_url = self.page_url(page + 1, size, extra) if more else None
        envelope: dict[str, Any] = {"data": {"items": items}, "links": {"self": self.page_url(page, size, extra)}}
        envelope["links"]["next"] = next_url
        if self.style == "pageNumber":
            envelope["meta"] = {"page": page, "pageSize": size, "pages": pages, "total": total}
        return _json(envelope)

    def _link_header(
        self, page: int, pages: int, size: int, extra: tuple[tuple[str, str], ...], total: int
    ) -> tuple[tuple[str, str], ...]:
        rels = {"first": 1, "prev": page - 1 if page > 1 else None, "next": page + 1 if page < pages else None}
        rels["last"] = max(pages, 1)
        links = ", ".join(f'<{self.page_url(p, size, extra)}>; rel="{rel}"' for rel, p in rels.items() if p)
        return (("Link", links), ("X-Total-Count", str(total)))


class _Spool:
    """Every page of the default listing of one catalog generation, rendered into a temporary file."""

    def __init__(self, renderer: _PageRenderer, catalog: _Catalog, page_size: int) -> None:
        self.generation = catalog.generation
        self.index: dict[int, tuple[int, int, tuple[tuple[str, str], ...]]] = {}
        self._lock = threading.Lock()  # a reader must never pread a descriptor that close() reused
        handle, self.path = tempfile.mkstemp(prefix="demo-source-", suffix=".pages")
        with os.fdopen(handle, "wb") as out:
            for start in range(0, catalog.total, page_size):
                response = renderer.render(catalog, start, page_size, ())
                self.index[start] = (out.tell(), len(response.body), response.headers)
                out.write(response.body)
        self.fd = os.open(self.path, os.O_RDONLY)

    def get(self, start: int) -> _Response | None:
        """Return the page at ``start``, or None if it is not spooled or the spool was closed meanwhile."""
        entry = self.index.get(start)
        with self._lock:
            if entry is None or self.fd < 0:
                return None
            return _Response(200, os.pread(self.fd, entry[1], entry[0]), entry[2])

    def close(self) -> None:
        with self._lock:
            os.close(self.fd)
            self.fd = -1
        os.unlink(self.path)


class _PageCache:
    """A thread-safe LRU of rendered pages, bounded by the bytes it holds."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes, self.size = max_bytes, 0
        self._entries: OrderedDict[tuple[Any, ...], _Response] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[Any, ...]) -> _Response | None:
        with self._lock:
            response = self._entries.get(key)
            if response is not None:
                self._entries.move_to_end(key)
            return response

    def put(self, key: tuple[Any, ...], response: _Response) -> None:
        with self._lock:
            if len(response.body) > self.max_bytes or key in self._entries:
                return
            self._entries[key] = response
            self.size += len(response.body)
            while self.size > self.max_bytes:
                self.size -= len(self._entries.popitem(last=False)[1].body)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.size = 0


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in one write; without NODELAY a small response could wait for a delayed ACK.
    disable_nagle_algorithm = True
    timeout = 300
    server: LoopbackServer

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        response = self.server.owner._respond(self.command, self.path, dict(self.headers.items()), body)
        head = [f"HTTP/1.1 {response.status} {_PHRASES.get(response.status, 'Error')}\r\n"]
        head.append(f"Content-Type: application/json\r\nContent-Length: {len(response.body)}\r\n")
        head.extend(f"{name}: {value}\r\n" for name, value in response.headers)
        self.wfile.write("".join(head).encode("latin-1") + b"\r\n" + response.body)

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet: DemoSource keeps its own request log."""


class DemoSource:
    """A paginated company-registry API on 127.0.0.1, with knobs to change, remove and fail data.

    :param count: number of records at the start (ids ``cmp-000000`` …).
    :param page_size: page size when the request sends none (max 1000).
    :param seed: record generator seed; the same seed serves the same bytes.
    :param style: pagination style, one of ``STYLES``.
    :param port: TCP port; 0 picks a free one.
    :param host: address to listen on; keep the loopback default outside containers.
    :param prerender: render all default pages into a spool file at start and after each mutation.
    :param cache_bytes: bound of the in-memory cache of rendered pages.
    :param required_headers: headers every request must carry (e.g. an API key), else 401.
    :param log_limit: how many recent requests ``request_log`` keeps (``requests`` counts all of them).
    """

    def __init__(
        self,
        count: int = 350,
        page_size: int = 50,
        seed: int = 0,
        style: str = "pageNumber",
        *,
        port: int = 0,
        host: str = "127.0.0.1",
        prerender: bool = False,
        cache_bytes: int = 64 * 1024 * 1024,
        required_headers: Mapping[str, str] | None = None,
        log_limit: int = 10_000,
    ) -> None:
        if style not in STYLES:
            raise ValueError(f"DemoSource style {style!r} is unknown; use one of {', '.join(STYLES)}")
        if not 1 <= page_size <= MAX_PAGE_SIZE or count < 0:
            raise ValueError(f"DemoSource needs count >= 0 and 1 <= page_size <= 1000, got {count}, {page_size}")
        self.count, self.page_size, self.seed, self.style = count, page_size, seed, style
        self.prerender, self.required_headers = prerender, dict(required_headers or {})
        self.host = host
        self._port, self._catalog = port, _Catalog(count, seed)
        self._cache = _PageCache(cache_bytes)
        self._spool: _Spool | None = None
        self._server: LoopbackServer | None = None
        self._bound_port: int | None = None
        self._renderer = _PageRenderer(style, "")  # replaced at start(), when the port is known
        self._lock = threading.Lock()  # guards failures and the request log
        self._mutating = threading.RLock()  # serializes mutations; held for a whole batch()
        self._draft: _Catalog | None = None  # the catalog a batch() is building
        self._failures: dict[int, list[Any]] = {}
        self.request_log: deque[RequestRecord] = deque(maxlen=log_limit)
        self._request_count = 0

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self) -> DemoSource:
        """Bind the port, render the spool if asked, and serve in a daemon thread."""
        if self._server is not None:
            raise RuntimeError(f"DemoSource is already serving at {self.url}; stop() it first")
        self._server = LoopbackServer((self.host, self._port), _Handler, self)
        self._bound_port = self._server.port
        self._renderer = _PageRenderer(self.style, self.url)
        if self.prerender:
            self._spool = _Spool(self._renderer, self._catalog, self.page_size)
        self._server.start("demo-source")
        log.info("Demo source serving %d records at %s", self.count, self.url)
        return self

    def stop(self) -> None:
        """Stop serving, close open keep-alive connections and remove the spool file."""
        if self._server is None:
            return
        self._server.stop()
        if self._spool is not None:
            self._spool.close()
            self._spool = None
        self._server = None

    def __enter__(self) -> DemoSource:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """Return the bound TCP port (still known after stop(), so tests can show a dead URL)."""
        if self._bound_port is None:
            raise RuntimeError("DemoSource is not started; call start() or use it as a context manager")
        return self._bound_port

    @property
    def url(self) -> str:
        """Return the base URL, e.g. ``http://127.0.0.1:8765``."""
        return f"http://127.0.0.1:{self.port}"

    # -- mutations -------------------------------------------------------------------------------

    def update(self, ids_or_indexes: Iterable[int | str] | int | str, version: int = 1) -> None:
        """Serve these records with ``version`` from the next request on (version 0 is the original)."""
        indexes = self._resolve(ids_or_indexes)
        with self._mutating:
            current = self._draft or self._catalog
            self._stage(versions={**current.versions, **dict.fromkeys(indexes, version)})

    def remove(self, ids_or_indexes: Iterable[int | str] | int | str) -> None:
        """Stop listing these records; later records move up to fill the pages, as in a real API."""
        indexes = self._resolve(ids_or_indexes)
        with self._mutating:
            current = self._draft or self._catalog
            self._stage(removed=tuple(sorted(set(current.removed).union(indexes))))

    def restore(self) -> None:
        """Undo every update and removal: serve all ``count`` records at version 0 again."""
        with self._mutating:
            self._stage(removed=(), versions={})

    @contextlib.contextmanager
    def batch(self) -> Iterator[None]:
        """Apply the mutations made inside as one change: one re-render of the spool instead of several."""
        with self._mutating:
            outer, self._draft = self._draft is not None, self._draft or self._catalog
            try:
                yield
            finally:
                if not outer:
                    draft, self._draft = self._draft, None
                    if draft is not self._catalog:
                        self._publish(draft)

    def fail_page(self, page: int, status: int = 500, times: int | None = None, retry_after: int | None = None) -> None:
        """Answer ``page`` (1-based, of any style) with ``status``: forever, or ``times`` times then normally.

        ``retry_after`` adds a ``Retry-After`` header (seconds), as rate limiters and 503s do.
        """
        if times is not None and times < 1:
            raise ValueError(f"fail_page times must be None (forever) or >= 1, got {times}")
        headers = (("Retry-After", str(retry_after)),) if retry_after is not None else ()
        with self._lock:
            self._failures[page] = [status, times, headers]

    def clear_failures(self) -> None:
        """Let every page answer normally again."""
        with self._lock:
            self._failures.clear()

    @property
    def requests(self) -> int:
        """Return how many requests the server has answered since start or ``reset_log()``."""
        return self._request_count

    def reset_log(self) -> None:
        """Forget the requests seen so far."""
        with self._lock:
            self.request_log.clear()
            self._request_count = 0

    def page_url(self, page: int, page_size: int | None = None) -> str:
        """Return the URL of ``page`` (1-based) in this server's style, as a client would build or follow it."""
        size, catalog = page_size or self.page_size, self._catalog
        start = (page - 1) * size
        if self.style == "offset":
            return self._renderer.url({"offset": start, "limit": size})
        if self.style == "cursor":
            cursor = {"cursor": _encode_cursor(catalog.index_at(start - 1))} if start else {}
            return self._renderer.url({**cursor, "pageSize": size})
        return self._renderer.page_url(page, size)

    def _resolve(self, ids_or_indexes: Iterable[int | str] | int | str) -> list[int]:
        items = [ids_or_indexes] if isinstance(ids_or_indexes, (int, str)) else list(ids_or_indexes)
        indexes = [parse_id(item) for item in items]
        for item, index in zip(items, indexes, strict=True):
            if index is None or index >= self.count:
                raise ValueError(
                    f"DemoSource has no record {item!r}: use an index 0..{self.count - 1} or an id like 'cmp-000123'"
                )
        return [index for index in indexes if index is not None]

    def _stage(self, **changes: Any) -> None:
        if self._draft is not None:
            self._draft = replace(self._draft, **changes)
        else:
            self._publish(replace(self._catalog, **changes))

    def _publish(self, catalog: _Catalog) -> None:
        """Serve ``catalog`` as a new generation; requests that start after this see it."""
        catalog = replace(catalog, generation=self._catalog.generation + 1)
        if self._spool is not None:
            old, self._spool = self._spool, _Spool(self._renderer, catalog, self.page_size)
            old.close()
        self._catalog = catalog
        self._cache.clear()

    # -- serving ---------------------------------------------------------------------------------

    def _respond(self, method: str, target: str, headers: dict[str, str], body: bytes) -> _Response:
        parts = urlsplit(target)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        with self._lock:
            self.request_log.append(RequestRecord(method, parts.path, query, headers))
            self._request_count += 1
        for name, value in self.required_headers.items():
            if headers.get(name) != value:
                return _error(401, f"missing or wrong {name!r} header; send the credentials configured for this API")
        path = parts.path.rstrip("/")
        try:
            if path == LIST_PATH:
                return self._list(query, body)
            if path.startswith(LIST_PATH + "/") and method == "GET":
                return self._detail(unquote(path[len(LIST_PATH) + 1 :]))
        except _BadRequest as exc:
            return _error(400, str(exc))
        return _error(404, f"no route for {method} {parts.path}; try GET {LIST_PATH} or {LIST_PATH}/{{id}}")

    def _list(self, query: dict[str, str], body: bytes) -> _Response:
        if body:
            # POST search style: parameters may come in a JSON object body as well as the query.
            try:
                query = {**query, **{str(k): str(v) for k, v in dict(orjson.loads(body)).items()}}
            except (orjson.JSONDecodeError, TypeError, ValueError):
                raise _BadRequest("the request body must be a JSON object of query parameters") from None
        catalog = self._catalog
        start, size = _window(self.style, query, self.page_size, catalog)
        failure = self._take_failure(start // size + 1)
        if failure is not None:
            return failure
        own = _OWN_PARAMS.get(self.style, _PAGE_PARAMS)
        extra = tuple(sorted((k, v) for k, v in query.items() if k not in own))
        spool = self._spool
        if spool is not None and spool.generation == catalog.generation and size == self.page_size and not extra:
            cached = spool.get(start)
            if cached is not None:
                return cached
        key = (catalog.generation, start, size, extra)
        response = self._cache.get(key)
        if response is None:
            response = self._renderer.render(catalog, start, size, extra)
            if catalog is self._catalog:  # a mutation meanwhile makes this page stale: don't keep it
                self._cache.put(key, response)
        return response

    def _take_failure(self, page: int) -> _Response | None:
        with self._lock:
            failure = self._failures.get(page)
            if failure is None:
                return None
            status, times, headers = failure
            if times is not None:
                failure[1] = times - 1
                if failure[1] <= 0:
                    del self._failures[page]
        return _error(status, f"page {page} is failing on purpose (DemoSource.fail_page)", headers)

    def _detail(self, company_id: str) -> _Response:
        catalog = self._catalog
        index = parse_id(company_id)
        if index is None or not catalog.listed(index):
            return _error(404, f"company {company_id!r} not found")
        record = make_detail(index, seed=catalog.seed, version=catalog.versions.get(index, 0))
        return _Response(200, orjson.dumps(record))


def measure_throughput(source: DemoSource, pages: int = 200, *, clients: int = 1, page_size: int = 1000) -> float:
    """Return pages per second served to ``clients`` keep-alive clients, each reading ``pages`` pages.

    Clients walk the listing from page 1 and wrap around, so this measures cold rendering unless the
    source pre-renders (or the listing fits the page cache).
    """
    available = max(1, -(-source._catalog.total // page_size))
    urls = [source.page_url(page % available + 1, page_size) for page in range(pages)]
    errors: list[str] = []

    def client() -> None:
        with requests.Session() as session:
            for url in urls:
                response = session.get(url, timeout=60)
                if response.status_code != 200 or not response.content:
                    errors.append(f"{url}: HTTP {response.status_code}")

    threads = [threading.Thread(target=client) for _ in range(clients)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    if errors:
        raise RuntimeError(f"throughput run got {len(errors)} failed pages, first: {errors[0]}")
    return pages * clients / elapsed


def main(argv: list[str] | None = None) -> None:
    """Run the demo source in the foreground until SIGTERM or SIGINT."""
    parser = argparse.ArgumentParser(prog="python -m devkit.demo_source", description=main.__doc__)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (0.0.0.0 in a container)")
    parser.add_argument("--count", type=int, default=350)
    parser.add_argument("--page-size", type=int, default=50)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--style", choices=STYLES, default="pageNumber")
    parser.add_argument("--prerender", action="store_true", help="render all pages into a spool file first")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    stopping = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopping.set())
    source = DemoSource(
        args.count, args.page_size, args.seed, args.style, port=args.port, host=args.host, prerender=args.prerender
    )
    with source:
        print(f"Demo source ({args.style}, {args.count} records) at {source.url}", flush=True)
        print(f"Try: curl '{source.page_url(1)}'", flush=True)
        stopping.wait()
    print("Demo source stopped", flush=True)


if __name__ == "__main__":
    main()
