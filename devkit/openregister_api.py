"""The controllers of the local OpenRegister: route a request to registers, schemas, objects, bulk, settings.

Paths are those below ``/index.php/apps/openregister/api`` (see ``devkit.openregister_server``). Status
codes and bodies follow OpenRegister 1.0.1's controllers (``ObjectsController``, ``BulkController``,
``RegistersController``, ``SchemasController``, ``SettingsController``). Where 1.0.1 would crash
instead of answering, the answer it most probably gives is used and the docstring says so.
"""

from __future__ import annotations

import datetime as dt
import math
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from devkit.openregister_store import (
    Answer,
    Catalog,
    ObjectTable,
    StoredObject,
    error,
    finish_data,
    normalize_dates,
    prepare_request,
    unique_conflict,
    uniqueness_answer,
    validation_answer,
)

_EMPTY = (None, "", [], {})


@dataclass(frozen=True)
class WriteEvent:
    """One write the server applied (for ``OpenRegisterServer.on_write`` hooks)."""

    method: str
    register: str
    schema: str
    object_id: str


class OpenRegisterApi:
    """Answer API requests against a catalog of registers and schemas, objects in memory."""

    def __init__(self, catalog: Catalog, clock: Callable[[], str], uri_prefix: Callable[[], str], version: str) -> None:
        self.catalog = catalog
        self.clock = clock
        self.uri_prefix = uri_prefix
        self.version = version
        self.tables: dict[tuple[int, int], ObjectTable] = {}
        self.on_write: Callable[[WriteEvent], None] | None = None

    def table(self, register_ref: str, schema_ref: str) -> ObjectTable | Answer:
        """Return the object table of a register/schema pair, or the error OpenRegister answers."""
        register = self.catalog.register(register_ref)
        if register is None:
            return error(404, f"Register not found: '{register_ref}'", key="message")
        schema = self.catalog.schema(schema_ref, register)
        if schema is None:
            # ObjectService::setSchema throws ValidationException('Schema not found'), uncaught: a 500 (inferred).
            return error(500, "Schema not found")
        key = (register.id, schema.id)
        if key not in self.tables:
            self.tables[key] = ObjectTable(register, schema, self.clock)
        return self.tables[key]

    def handle(
        self, method: str, parts: list[str], query: dict[str, str], params: Any, user: str | None, admin: bool
    ) -> Answer:
        """Route one request (``parts``: the path below the API prefix, split on '/')."""
        head = parts[0] if parts else ""
        if head == "settings" and parts[1:] == ["version"] and method == "GET":
            return self._version(admin)
        if head == "registers" and method == "GET":
            return self._registers(parts[1:])
        if head == "schemas" and method == "GET":
            return self._schemas(parts[1:])
        if head == "objects" and len(parts) >= 3:
            return self._objects(method, parts[1:], query, params, user)
        if head == "bulk" and len(parts) == 4 and method == "POST":
            return self._bulk(parts[1], parts[2], parts[3], params, user)
        return error(404, f"No route for {method} /{'/'.join(parts)}", key="message")

    # -- settings, registers, schemas ------------------------------------------------------------

    def _version(self, admin: bool) -> Answer:
        # The route has no @NoAdminRequired: Nextcloud's middleware refuses other accounts.
        if not admin:
            return error(403, "Logged in account must be an admin", key="message")
        return Answer(
            200,
            {
                "version": self.version,
                "name": "OpenRegister",
                "description": "",
                "author": "Conduction",
                "licence": "AGPL",
                "timestamp": 0,
                "date": self.clock(),
            },
        )

    def _registers(self, rest: list[str]) -> Answer:
        now = self.clock()
        if not rest:
            return Answer(200, {"results": [r.as_json(now) for r in self.catalog.registers.values()]})
        register = self.catalog.register(rest[0])
        if register is None:
            # ``show`` does not catch DoesNotExistException: Nextcloud answers 500 (inferred).
            return error(500, "Did expect one result but found none", key="message")
        if rest[1:] == ["schemas"]:
            schemas = [self.catalog.schemas[i].as_json(now) for i in register.schema_ids]
            return Answer(200, {"results": schemas, "total": len(schemas)})
        return Answer(200, register.as_json(now)) if len(rest) == 1 else error(404, "Not found", key="message")

    def _schemas(self, rest: list[str]) -> Answer:
        now = self.clock()
        if not rest:
            return Answer(200, {"results": [s.as_json(now) for s in self.catalog.schemas.values()]})
        schema = self.catalog.schema(rest[0])
        return (
            Answer(200, schema.as_json(now))
            if schema is not None and len(rest) == 1
            else error(404, "Schema not found")
        )

    # -- objects ---------------------------------------------------------------------------------

    def _objects(self, method: str, parts: list[str], query: dict[str, str], params: Any, user: str | None) -> Answer:
        found = self.table(parts[0], parts[1])
        if isinstance(found, Answer):
            return found
        table, rest = found, parts[2:]
        body = params if isinstance(params, dict) else {}
        with table.lock:
            if not rest:
                if method == "GET":
                    return self._index(table, query)
                if method == "POST":
                    return self._create(table, {**query, **body}, user)
            elif len(rest) == 1:
                return self._item(method, table, rest[0], {**query, **body}, user)
            elif len(rest) == 2 and method == "POST" and rest[1] in ("lock", "unlock"):
                return self._lock(table, rest[0], rest[1], body, user)
        return error(405, f"{method} is not allowed here", key="message")

    def _item(self, method: str, table: ObjectTable, object_id: str, body: dict[str, Any], user: str | None) -> Answer:
        if method == "GET":
            row = table.live(object_id)
            return Answer(200, _strip(self._json(table, row))) if row else error(404, "Not Found")
        if method == "PUT":
            return self._update(table, object_id, body, user)
        if method in ("PATCH", "POST"):
            return self._patch(table, object_id, body, user, post=method == "POST")
        if method == "DELETE":
            return self._delete(table, object_id, user)
        return error(405, f"{method} is not allowed here", key="message")

    def _create(self, table: ObjectTable, params: dict[str, Any], user: str | None) -> Answer:
        """POST: create, or update when the chosen id exists in this table (upsert); 201 either way."""
        data, self_data, chosen = prepare_request(params)
        object_id = chosen or str(uuid.uuid4())
        row = table.rows.get(object_id)
        if row is not None and row.deleted is None and table.locked_by_other(row, user):
            return error(403, f"Object is locked by {row.locked['user'] if row.locked else '?'}")
        return self._save(table, object_id, data, self_data, user, status=201, structured=False, method="POST")

    def _update(self, table: ObjectTable, object_id: str, params: dict[str, Any], user: str | None) -> Answer:
        """PUT: full replace of an existing object; schema properties missing from the body become null."""
        row = table.live(object_id)
        if row is None:
            return error(404, "Not Found")
        holder = table.locked_by_other(row, user)
        if holder:
            return error(423, f"Object is locked by {holder}", lockedBy=holder)
        data, self_data, _ = prepare_request(params)
        return self._save(table, object_id, data, self_data, user, status=200, structured=True, method="PUT")

    def _patch(
        self, table: ObjectTable, object_id: str, params: dict[str, Any], user: str | None, *, post: bool
    ) -> Answer:
        """PATCH (and POST on an id): shallow merge over the stored values. No lock check (1.0 has none)."""
        row = table.live(object_id)
        if row is None:
            return error(404, "Object not found")
        data, self_data, _ = prepare_request(params, drop_id=post)
        merged = {**row.data, **data}
        return self._save(table, object_id, merged, self_data, user, status=200, structured=True, method="PATCH")

    def _save(
        self,
        table: ObjectTable,
        object_id: str,
        data: dict[str, Any],
        self_data: dict[str, Any],
        user: str | None,
        *,
        status: int,
        structured: bool,
        method: str,
    ) -> Answer:
        spec = table.schema.spec
        data = normalize_dates(data, spec)
        refused = validation_answer(table.schema, data, structured=structured)
        if refused is not None:
            return refused
        conflict = unique_conflict(table, data, object_id)
        if conflict is not None:
            return uniqueness_answer(conflict, structured=structured)
        slug = self_data.get("slug") or data.get("slug")
        row = table.store(object_id, finish_data(data, spec), user=user, slug=str(slug) if slug else None)
        self._wrote(method, table, object_id)
        return Answer(status, self._json(table, row))

    def _delete(self, table: ObjectTable, object_id: str, user: str | None) -> Answer:
        """DELETE: soft delete, 204. Unknown ids get 403, as 1.0's catch-all does (inferred)."""
        row = table.rows.get(object_id)
        if row is None:
            return error(403, f"Object with identifier '{object_id}' not found in any magic table")
        holder = table.locked_by_other(row, user)
        if holder:
            return error(403, f"Object is locked by {holder}")
        if row.deleted is None:
            table.soft_delete(row, user)
            self._wrote("DELETE", table, object_id)
        return Answer(204, None)

    def _lock(self, table: ObjectTable, object_id: str, action: str, body: dict[str, Any], user: str | None) -> Answer:
        """Lock (``{process?, duration?}`` seconds; a missing duration expires at once, as in 1.0) or unlock."""
        row = table.live(object_id)
        if row is None:
            return error(404, "Not Found")
        if action == "unlock":
            row.locked = None
            return Answer(200, {"message": "Object unlocked successfully", "locked": False, "uuid": object_id})
        lock_object(row, user, int(body.get("duration") or 0), body.get("process"))
        return Answer(200, self._json(table, row))

    def _index(self, table: ObjectTable, query: dict[str, str]) -> Answer:
        """List with ``_limit``/``_page``/``_offset``, equality filters on schema properties, empties stripped."""
        limit = max(0, _int(query.get("_limit"), 20))
        page = max(1, _int(query.get("_page"), 1))
        offset = _int(query.get("_offset"), (page - 1) * limit)
        deleted = query.get("deleted") == "true"
        rows = sorted((r for r in table.rows.values() if deleted or r.deleted is None), key=lambda r: r.seq)
        filters = {k: v for k, v in query.items() if not k.startswith("_") and k != "deleted"}
        ignored = [k for k in filters if k not in table.schema.spec.properties]
        rows = [] if ignored else [r for r in rows if all(_matches(r.data.get(k), v) for k, v in filters.items())]
        window = rows[offset : offset + limit] if limit else []
        keep_empty = query.get("_empty") == "true"
        results = [self._json(table, r) if keep_empty else _strip(self._json(table, r)) for r in window]
        meta: dict[str, Any] = {"source": "database", "query": query, "rbac": True, "multi": True, "deleted": deleted}
        if ignored:
            meta["ignoredFilters"] = ignored
        pages = math.ceil(len(rows) / limit) if limit else 0
        return Answer(
            200,
            {
                "results": results,
                "total": len(rows),
                "page": page,
                "pages": pages,
                "limit": limit,
                "offset": offset,
                "facets": [],
                "@self": meta,
            },
        )

    # -- bulk ------------------------------------------------------------------------------------

    def _bulk(self, register: str, schema: str, action: str, params: Any, user: str | None) -> Answer:
        found = self.table(register, schema)
        if isinstance(found, Answer):
            # BulkController catches both "not found" cases itself and answers 404 {"error": ...}.
            message = found.body.get("message") or found.body.get("error")
            return error(404, str(message))
        body = params if isinstance(params, dict) else {}
        with found.lock:
            if action == "save":
                return self._bulk_save(found, body.get("objects"), user)
            if action == "delete":
                return self._bulk_delete(found, body.get("uuids"), user)
        return error(404, f"No bulk action {action!r}", key="message")

    def _bulk_save(self, table: ObjectTable, objects: Any, user: str | None) -> Answer:
        """Upsert without validation, events or audit trail (1.0.1); absent properties are stored as null."""
        if not objects or not isinstance(objects, list):
            return error(400, 'Invalid input. "objects" array is required.')
        result: dict[str, list[Any]] = {"saved": [], "updated": [], "unchanged": [], "invalid": [], "errors": []}
        for index, item in enumerate(objects):
            if not isinstance(item, dict):
                result["invalid"].append(
                    {
                        "object": item,
                        "error": "Object must be an array",
                        "index": index,
                        "type": "InvalidObjectException",
                    }
                )
                continue
            data, self_data, chosen = prepare_request(item)
            object_id = chosen or str(uuid.uuid4())
            before = table.live(object_id)
            data = finish_data(normalize_dates(data, table.schema.spec), table.schema.spec)
            kind = "saved" if before is None else ("unchanged" if before.data == data else "updated")
            row = table.store(object_id, data, user=user, slug=self_data.get("slug"))
            result[kind].append(self._json(table, row))
            if kind != "unchanged":
                self._wrote("BULK", table, object_id)
        stats = {key: len(value) for key, value in result.items()}
        stats["totalProcessed"] = len(objects)
        report = {**result, "statistics": stats, "performance": {"totalProcessed": len(objects)}}
        return Answer(
            200,
            {
                "success": True,
                "message": "Bulk save operation completed successfully",
                "saved_count": stats["saved"] + stats["updated"],
                "saved_objects": report,
                "requested_count": len(objects),
            },
        )

    def _bulk_delete(self, table: ObjectTable, uuids: Any, user: str | None) -> Answer:
        if not uuids or not isinstance(uuids, list):
            return error(400, 'Invalid input. "uuids" array is required.')
        deleted, skipped = [], []
        for object_id in (str(u) for u in uuids):
            row = table.live(object_id)
            if row is None or table.locked_by_other(row, user):
                skipped.append(object_id)
                continue
            table.soft_delete(row, user)
            deleted.append(object_id)
            self._wrote("BULK_DELETE", table, object_id)
        return Answer(
            200,
            {
                "success": True,
                "message": "Bulk delete operation completed successfully",
                "deleted_count": len(deleted),
                "deleted_uuids": deleted,
                "requested_count": len(uuids),
                "skipped_count": len(skipped),
                "skipped_uuids": skipped,
                "cascade_count": 0,
                "total_affected": len(deleted),
            },
        )

    # -- helpers ---------------------------------------------------------------------------------

    def _json(self, table: ObjectTable, row: StoredObject) -> dict[str, Any]:
        return table.as_json(row, self.uri_prefix())

    def _wrote(self, method: str, table: ObjectTable, object_id: str) -> None:
        if self.on_write is not None:
            self.on_write(WriteEvent(method, table.register.slug, table.schema.slug, object_id))


def lock_object(row: StoredObject, user: str | None, seconds: int, process: Any = None) -> None:
    """Put ``ObjectEntity::lock``'s lock on a row: ``{user, process, created, duration, expiration}``."""
    now = dt.datetime.now(dt.timezone.utc)
    row.locked = {
        "user": user, "process": process, "created": now.isoformat(timespec="seconds"), "duration": seconds,
        "expiration": (now + dt.timedelta(seconds=seconds)).isoformat(timespec="seconds"),
    }  # fmt: skip


def _strip(value: Any) -> Any:
    """Remove null, "", [] and {} recursively, as GET responses do unless ``_empty=true``."""
    if isinstance(value, dict):
        cleaned = {k: _strip(v) for k, v in value.items()}
        return {k: v for k, v in cleaned.items() if v not in _EMPTY or k in ("id", "@self")}
    if isinstance(value, list):
        return [v for v in (_strip(item) for item in value) if v not in _EMPTY]
    return value


def _matches(value: Any, wanted: str) -> bool:
    if wanted == "IS NULL":
        return value is None
    if wanted == "IS NOT NULL":
        return value is not None
    text = ("true" if value else "false") if isinstance(value, bool) else str(value)
    return value is not None and text == wanted


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value not in (None, "") else default
    except ValueError:
        return default
