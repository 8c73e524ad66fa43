"""A local OpenRegister-compatible server on loopback, for tests and demos.

It serves OpenRegister 1.0.1's API below ``/index.php/apps/openregister/api`` (and the pretty-URL
``/apps/openregister/api``) from registers declared in ``include/registers/*.yaml``: registers,
schemas, the objects API (list envelope, ``@self`` metadata, validation when ``hardValidation`` is on,
POST-with-id upsert, PUT null-fill, PATCH merge, soft delete, locks), the bulk save/delete endpoints and
the version endpoint. Behaviour and messages are documented in ``devkit.openregister_api`` and
``devkit.openregister_store``; validation is the built-in register store's (``core.validation``)::

    with OpenRegisterServer(auth=("sync", "app-password")) as server:
        ...  # point a connection's Host at server.url
        server.objects("demo", "company")        # what is stored, as the API returns it

Fault injection for tests: ``fail_next`` (answer 500/503/429 ... for N requests), ``drop_next`` (close
the connection without an answer, before or after applying the write: a lost answer),
``go_down``/``come_up`` (refuse connections), ``lock`` (an object locked by another user: PUT gets 423)
and ``on_write`` (called after every applied write, e.g. to kill a worker mid-run).
"""

from __future__ import annotations

import argparse
import base64
import gzip
import logging
import threading
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import parse_qsl, unquote, urlsplit

import orjson
import yaml

from devkit.loopback import LoopbackServer
from devkit.openregister_api import OpenRegisterApi, WriteEvent, lock_object
from devkit.openregister_store import Answer, Catalog, error, utc_now
from openconnector import settings
from openconnector.spec.register import RegisterSpec

log = logging.getLogger(__name__)

API_PATH = "/index.php/apps/openregister/api"
_PREFIXES = (API_PATH, "/apps/openregister/api")
_PHRASES = {status.value: status.phrase for status in HTTPStatus}
#: Lists with more results than this are gzipped by OpenRegister's controller itself.
_GZIP_OVER = 10


class RecordedRequest(NamedTuple):
    """One request as the server saw it."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any


@dataclass
class _Fault:
    kind: str  # "status", "drop", "drop_after"
    remaining: int
    method: str | None
    path: str | None
    status: int = 503
    body: Any = None
    headers: tuple[tuple[str, str], ...] = ()

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method == method) and (self.path is None or self.path in path)


class OpenRegisterServer:
    """OpenRegister 1.0.1's API on 127.0.0.1, registers and schemas from register files, objects in memory.

    :param registers_dir: folder of register files (default: ``include/registers``).
    :param registers: register specs to serve instead of (or besides) the folder's.
    :param hard_validation: False turns validation off for every schema (0.2.x default); True follows
        each schema's own ``hardValidation`` (1.0 default: on).
    :param auth: ``(user, app_password)`` for Basic, a string for a Bearer token, None to accept anyone.
    :param admin: whether the authenticated account is a Nextcloud admin (the version endpoint needs it).
    :param version: the version ``GET /api/settings/version`` reports.
    :param port: TCP port; 0 picks a free one (``go_down``/``come_up`` keep the same one).
    """

    def __init__(
        self,
        registers_dir: Path | None = None,
        *,
        registers: Iterable[RegisterSpec] | None = None,
        hard_validation: bool = True,
        auth: tuple[str, str] | str | None = None,
        token_user: str = "admin",
        admin: bool = True,
        version: str = "1.0.1",
        port: int = 0,
        log_limit: int = 10_000,
    ) -> None:
        specs = list(registers or []) if registers is not None else load_registers(registers_dir)
        if registers is not None and registers_dir is not None:
            specs += load_registers(registers_dir)
        self.api = OpenRegisterApi(Catalog(specs, hard_validation=hard_validation), utc_now, self._uri_prefix, version)
        self.auth, self.token_user, self.admin = auth, token_user, admin
        self.requests: deque[RecordedRequest] = deque(maxlen=log_limit)
        self._faults: list[_Fault] = []
        self._lock = threading.Lock()
        self._port = port
        self._server: LoopbackServer | None = None

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self) -> OpenRegisterServer:
        """Bind the port and serve in a daemon thread."""
        if self._server is not None:
            raise RuntimeError(f"OpenRegisterServer is already serving at {self.url}; stop() it first")
        self._server = LoopbackServer(("127.0.0.1", self._port), _Handler, self).start("openregister")
        self._port = self._server.port
        return self

    def stop(self) -> None:
        """Stop serving and close every open connection."""
        server, self._server = self._server, None
        if server is None:
            return
        server.stop()

    def __enter__(self) -> OpenRegisterServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """Return the base URL (a connection's Host), e.g. ``http://127.0.0.1:8780``."""
        if not self._port:
            raise RuntimeError("OpenRegisterServer is not started; call start() or use it as a context manager")
        return f"http://127.0.0.1:{self._port}"

    @property
    def api_url(self) -> str:
        """Return the API base, ``<url>/index.php/apps/openregister/api``."""
        return self.url + API_PATH

    # -- faults ----------------------------------------------------------------------------------

    def fail_next(
        self,
        count: int = 1,
        status: int = 503,
        *,
        method: str | None = None,
        path: str | None = None,
        retry_after: int | None = None,
        body: Any = None,
    ) -> None:
        """Answer the next ``count`` matching requests with ``status`` (``{"error": ...}`` unless ``body``)."""
        headers = (("Retry-After", str(retry_after)),) if retry_after is not None else ()
        payload = body if body is not None else {"error": f"failing on purpose (OpenRegisterServer.fail_next {status})"}
        self._add(_Fault("status", count, method, path, status, payload, headers))

    def drop_next(
        self, count: int = 1, *, method: str | None = None, path: str | None = None, after_write: bool = False
    ) -> None:
        """Close the connection of the next ``count`` matching requests without answering.

        ``after_write=True`` applies the request first: the write happened, but the client never hears
        of it (what a crash between sending and recording looks like to the target).
        """
        self._add(_Fault("drop_after" if after_write else "drop", count, method, path))

    def go_down(self) -> None:
        """Stop listening: connections are refused until ``come_up``. Stored objects are kept."""
        self.stop()

    def come_up(self) -> None:
        """Listen again on the same port."""
        self.start()

    def clear_faults(self) -> None:
        """Forget every pending fault."""
        with self._lock:
            self._faults.clear()

    def lock(self, register: str, schema: str, object_id: str, user: str = "someone-else", seconds: int = 3600) -> None:
        """Lock an object as another user would (``POST …/lock``): PUT answers 423 until it expires."""
        table = self._table(register, schema)
        row = table.live(object_id)
        if row is None:
            raise KeyError(f"no object {object_id!r} in {register}/{schema}")
        lock_object(row, user, seconds, "test")

    @property
    def on_write(self) -> Callable[[WriteEvent], None] | None:
        """Return the hook called after every applied write (in the server thread, before the answer)."""
        return self.api.on_write

    @on_write.setter
    def on_write(self, hook: Callable[[WriteEvent], None] | None) -> None:
        self.api.on_write = hook

    # -- inspection ------------------------------------------------------------------------------

    def objects(self, register: str, schema: str, *, deleted: bool = False) -> list[dict[str, Any]]:
        """Return the stored objects of a register/schema (id, slug or UUID), oldest first, as POST returns them."""
        table = self._table(register, schema)
        with table.lock:
            rows = sorted((r for r in table.rows.values() if deleted or r.deleted is None), key=lambda r: r.seq)
            return [table.as_json(row, self._uri_prefix()) for row in rows]

    def object(self, register: str, schema: str, object_id: str) -> dict[str, Any] | None:
        """Return one stored object (soft-deleted ones too), or None."""
        table = self._table(register, schema)
        row = table.rows.get(object_id)
        return table.as_json(row, self._uri_prefix()) if row is not None else None

    def writes(self) -> list[RecordedRequest]:
        """Return the object write requests received (POST/PUT/PATCH/DELETE below ``/objects`` or ``/bulk``)."""
        return [r for r in self.requests if r.method != "GET" and ("/objects/" in r.path or "/bulk/" in r.path)]

    # -- serving ---------------------------------------------------------------------------------

    def respond(self, method: str, target: str, headers: dict[str, str], raw: bytes) -> tuple[Answer | None, str]:
        """Answer one request; None means "close the connection without an answer". Also returns the fault kind."""
        parts = urlsplit(target)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        try:
            params: Any = orjson.loads(raw) if raw else {}
        except orjson.JSONDecodeError:
            params = None
        self.requests.append(RecordedRequest(method, parts.path, query, headers, params))
        fault = self._take_fault(method, parts.path)
        if fault is not None and fault.kind == "drop":
            return None, "drop"
        if fault is not None and fault.kind == "status":
            return Answer(fault.status, fault.body), ""
        answer = self._route(method, parts.path, query, params, headers)
        return (None, "drop") if fault is not None else (answer, "")

    def _route(self, method: str, path: str, query: dict[str, str], params: Any, headers: dict[str, str]) -> Answer:
        prefix = next((p for p in _PREFIXES if path == p or path.startswith(p + "/")), None)
        if prefix is None:
            return error(404, f"No route for {path}; the API is below {API_PATH}", key="message")
        user, allowed = self._user(headers)
        if not allowed:
            return error(401, "Current user is not logged in", key="message")
        if params is None:
            return error(400, "The request body is not valid JSON", key="message")
        parts = [unquote(p) for p in path[len(prefix) :].strip("/").split("/") if p]
        return self.api.handle(method, parts, query, params, user, self.admin)

    def _user(self, headers: dict[str, str]) -> tuple[str | None, bool]:
        given = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
        if self.auth is None:
            return None, True
        if isinstance(self.auth, tuple):
            expected = "Basic " + base64.b64encode(f"{self.auth[0]}:{self.auth[1]}".encode()).decode()
            return self.auth[0], given == expected
        return self.token_user, given == f"Bearer {self.auth}"

    def _add(self, fault: _Fault) -> None:
        if fault.remaining < 1:
            raise ValueError(f"a fault needs count >= 1, got {fault.remaining}")
        with self._lock:
            self._faults.append(fault)

    def _take_fault(self, method: str, path: str) -> _Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.matches(method, path):
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def _table(self, register: str, schema: str) -> Any:
        found = self.api.table(register, schema)
        if isinstance(found, Answer):
            raise KeyError(f"no register/schema {register}/{schema} on this server: {found.body}")
        return found

    def _uri_prefix(self) -> str:
        return f"http://127.0.0.1:{self._port}{API_PATH}"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    timeout = 300
    server: LoopbackServer

    def do_GET(self) -> None:
        self._serve()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        headers = dict(self.headers.items())
        answer, _ = self.server.owner.respond(self.command, self.path, headers, raw)
        if answer is None:
            self.close_connection = True  # the answer is "lost": the client sees the connection end
            return
        body = b"" if answer.status == 204 else orjson.dumps(answer.body)
        extra = ""
        if _gzipped(answer, headers):
            body, extra = gzip.compress(body, compresslevel=1), "Content-Encoding: gzip\r\n"
        head = (
            f"HTTP/1.1 {answer.status} {_PHRASES.get(answer.status, 'Error')}\r\n"
            f"Content-Type: application/json; charset=utf-8\r\nContent-Length: {len(body)}\r\n{extra}\r\n"
        )
        self.wfile.write(head.encode("latin-1") + body)

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet: the server keeps its own request log."""


def load_registers(directory: Path | None = None) -> list[RegisterSpec]:
    """Read every register file of a folder (default ``include/registers``), in file-name order."""
    folder = directory or settings.registers_dir()
    specs = []
    for path in sorted(p for p in folder.glob("*") if p.suffix in (".yaml", ".yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        data.setdefault("slug", path.stem)
        specs.append(RegisterSpec.model_validate(data))
    return specs


def _gzipped(answer: Answer, headers: dict[str, str]) -> bool:
    accepts = next((v for k, v in headers.items() if k.lower() == "accept-encoding"), "")
    results = answer.body.get("results") if isinstance(answer.body, dict) else None
    return "gzip" in accepts and isinstance(results, list) and len(results) > _GZIP_OVER


def main(argv: list[str] | None = None) -> None:
    """Serve the register files of a folder until interrupted (``python -m devkit.openregister_server``)."""
    parser = argparse.ArgumentParser(prog="python -m devkit.openregister_server", description=main.__doc__)
    parser.add_argument("--port", type=int, default=8780)
    parser.add_argument("--registers", type=Path, default=None, help="folder of register files")
    parser.add_argument("--user", default="admin")
    parser.add_argument("--password", default=None, help="app password; without it anyone may write")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    auth = (args.user, args.password) if args.password else None
    with OpenRegisterServer(args.registers, auth=auth, port=args.port) as server:
        print(f"OpenRegister API at {server.api_url} (Ctrl-C to stop)", flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
