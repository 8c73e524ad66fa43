"""A small REST API on loopback that an ``api`` target writes to: ``/companies`` and ``/companies/{id}``.

It assigns ids itself on POST (so it is a "POST-only" API unless ``client_ids``), can honour an
``Idempotency-Key`` header, answers the error shapes REST APIs use (RFC 7807 problems, field error
maps, plain messages) and can fail on purpose: ``fail_next`` answers a status, ``drop_next`` closes the
connection before or after applying the request (a lost answer).
"""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import orjson


@dataclass
class Seen:
    """One request as the API received it."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers.items() if k.lower() == name.lower()), None)


@dataclass
class CrmApi:
    """The API's state and behaviour; ``start()`` serves it."""

    token: str | None = None
    idempotency_header: str | None = None
    client_ids: bool = False
    id_path: str = "id"  # "id", "data.id" or "" (no id in the body: a Location header)
    location: bool = True
    companies: dict[str, dict[str, Any]] = field(default_factory=dict)
    locked: set[str] = field(default_factory=set)
    requests: list[Seen] = field(default_factory=list)
    _keys: dict[str, str] = field(default_factory=dict)
    _faults: list[list[Any]] = field(default_factory=list)
    _ids: Any = field(default_factory=lambda: itertools.count(1001))
    _lock: Any = field(default_factory=threading.Lock)
    _server: Any = None

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self) -> CrmApi:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._server.api = self  # type: ignore[attr-defined]
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def fail_next(self, status: int, count: int = 1, *, method: str | None = None, body: Any = None) -> None:
        self._faults.append(["status", count, method, status, body])

    def drop_next(self, count: int = 1, *, method: str | None = None, after_write: bool = False) -> None:
        self._faults.append(["drop_after" if after_write else "drop", count, method, 0, None])

    def clear_faults(self) -> None:
        self._faults.clear()

    def writes(self) -> list[Seen]:
        return [r for r in self.requests if r.method != "GET"]

    # -- behaviour -------------------------------------------------------------------------------

    def answer(self, seen: Seen) -> tuple[int, Any, dict[str, str]] | None:
        self.requests.append(seen)
        fault = self._take_fault(seen.method)
        if fault is not None and fault[0] == "drop":
            return None
        if fault is not None and fault[0] == "status":
            return fault[3], fault[4] if fault[4] is not None else {"message": "failing on purpose"}, {}
        if seen.path == "/token" and seen.method == "POST":
            return self._issue_token(seen)
        if self.token is not None and seen.header("Authorization") != f"Bearer {self.token}":
            return 401, {"title": "Unauthorized", "detail": "missing or wrong bearer token"}, {}
        with self._lock:
            result = self._route(seen)
        return None if fault is not None else result

    def _issue_token(self, seen: Seen) -> tuple[int, Any, dict[str, str]]:
        form = seen.body if isinstance(seen.body, dict) else {}
        if (form.get("client_id"), form.get("client_secret")) != ("sync-app", "client-s3cret"):
            return 401, {"error": "invalid_client"}, {}
        return 200, {"access_token": self.token, "token_type": "Bearer", "expires_in": 3600}, {}

    def _route(self, seen: Seen) -> tuple[int, Any, dict[str, str]]:
        parts = [p for p in seen.path.split("/") if p]
        if parts[:1] != ["companies"] or len(parts) > 2:
            return 404, {"message": f"no route {seen.path}"}, {}
        if len(parts) == 1:
            if seen.method == "GET":
                found = [c for c in self.companies.values() if all(str(c.get(k)) == v for k, v in seen.query.items())]
                return 200, {"items": found, "total": len(found)}, {}
            if seen.method == "POST":
                return self._create(seen)
            return 405, {"message": f"{seen.method} not allowed on /companies"}, {}
        return self._item(seen, parts[1])

    def _create(self, seen: Seen) -> tuple[int, Any, dict[str, str]]:
        body = seen.body if isinstance(seen.body, dict) else {}
        key = seen.header(self.idempotency_header) if self.idempotency_header else None
        if key and key in self._keys:
            return 201, self._shown(self.companies[self._keys[key]]), {}
        problem = _problem(body)
        if problem is not None:
            return problem
        new_id = str(body["id"]) if self.client_ids and body.get("id") else str(next(self._ids))
        if new_id in self.companies:
            return 409, {"error": "Conflict", "message": f"company {new_id} already exists"}, {}
        self.companies[new_id] = {**body, "id": new_id}
        if key:
            self._keys[key] = new_id
        headers = {"Location": f"/companies/{new_id}"} if self.location else {}
        return 201, self._shown(self.companies[new_id]), headers

    def _item(self, seen: Seen, company_id: str) -> tuple[int, Any, dict[str, str]]:
        current = self.companies.get(company_id)
        if current is None:
            return 404, {"message": f"company {company_id} not found"}, {}
        if company_id in self.locked and seen.method != "GET":
            return 423, {"message": f"company {company_id} is locked by another user"}, {}
        body = seen.body if isinstance(seen.body, dict) else {}
        if seen.method == "GET":
            return 200, current, {}
        if seen.method == "DELETE":
            del self.companies[company_id]
            return 204, None, {}
        problem = _problem(body) if seen.method == "PUT" else None
        if problem is not None:
            return problem
        updated = {**body, "id": company_id} if seen.method == "PUT" else {**current, **body, "id": company_id}
        self.companies[company_id] = updated
        return 200, updated, {}

    def _shown(self, company: dict[str, Any]) -> Any:
        if self.id_path == "data.id":
            return {"data": company}
        if not self.id_path:
            return {"status": "created"}
        return company

    def _take_fault(self, method: str) -> list[Any] | None:
        with self._lock:
            for fault in self._faults:
                if fault[2] is None or fault[2] == method:
                    fault[1] -= 1
                    if fault[1] <= 0:
                        self._faults.remove(fault)
                    return fault
        return None


def _problem(body: dict[str, Any]) -> tuple[int, Any, dict[str, str]] | None:
    if not body.get("name"):
        return 422, {"message": "The given data was invalid.", "errors": {"name": ["The name field is required."]}}, {}
    if body.get("status") == "bogus":
        return (
            400,
            {"type": "about:blank", "title": "Bad Request", "detail": "status 'bogus' is not a company status"},
            {},
        )
    return None


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        parts = urlsplit(self.path)
        is_form = "form-urlencoded" in (self.headers.get("Content-Type") or "")
        body = dict(parse_qsl(raw.decode())) if is_form else (orjson.loads(raw) if raw else None)
        seen = Seen(self.command, parts.path, dict(parse_qsl(parts.query)), dict(self.headers.items()), body)
        result = self.server.api.answer(seen)  # type: ignore[attr-defined]
        if result is None:
            self.close_connection = True
            return
        status, body, headers = result
        content = b"" if status == 204 else orjson.dumps(body)
        self.send_response(status, HTTPStatus(status).phrase)
        for name, value in {"Content-Type": "application/json", **headers, "Content-Length": str(len(content))}.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(content)

    do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    def log_message(self, format: str, *args: Any) -> None:
        pass
