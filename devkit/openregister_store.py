"""What the local OpenRegister keeps and how it answers: registers, schemas and objects in memory.

The HTTP layer (``devkit.openregister_server``) routes requests here; every method returns an
:class:`Answer` (status and JSON body) as OpenRegister 1.0.1's controllers do. Validation is
``openconnector.core.validation.ObjectValidator``, the same rules and messages as the built-in register
store. Where OpenRegister's behaviour was only inferred from its code (see the reference notes), the
choice made here is named in the method's docstring.

Object semantics (1.0): request keys ``_*``, ``@*`` (except ``@self``), ``uuid``, ``register`` and
``schema`` are dropped; ``@self.id`` wins over ``id``; POST with an existing id is an update (201 either
way); date values are normalized before validation; after it, non-required ``""`` (and ``{}`` on object
properties) become null and ``default`` values fill absent or null properties; properties the schema
does not define are dropped and missing ones stored as null (one column per property); DELETE is soft.
"""

from __future__ import annotations

import copy
import datetime as dt
import threading
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from openconnector.core.validation import ObjectValidator, opis_error_map
from openconnector.spec.register import RegisterSpec, SchemaSpec

#: Namespace of the UUIDs given to registers and schemas, so they are stable across restarts.
_NAMESPACE = uuid.UUID("2b3f6c1e-0d4a-5e7b-8c9d-0a1b2c3d4e5f")
_DROPPED_KEYS = frozenset({"uuid", "register", "schema"})


class Answer(NamedTuple):
    """A controller's answer: status and JSON body (None: no body)."""

    status: int
    body: Any = None


def error(status: int, message: str, key: str = "error", **extra: Any) -> Answer:
    """Return ``{key: message, ...extra}`` with ``status``."""
    return Answer(status, {key: message, **extra})


@dataclass
class Schema:
    """A schema as served: numeric id, UUID, slug, definition, and its compiled validator."""

    id: int
    uuid: str
    slug: str
    register_id: int
    spec: SchemaSpec
    hard_validation: bool
    validator: ObjectValidator | None = None

    def as_json(self, now: str) -> dict[str, Any]:
        """Return the schema as ``GET /api/schemas/{id}`` shows it."""
        spec = self.spec
        return {
            "id": self.id, "uuid": self.uuid, "uri": None, "slug": self.slug, "title": spec.title or self.slug,
            "description": spec.description, "version": spec.version, "summary": None, "icon": None,
            "required": spec.required_properties(), "properties": copy.deepcopy(spec.properties),
            "hardValidation": self.hard_validation, "immutable": False, "searchable": True, "maxDepth": 0,
            "configuration": copy.deepcopy(spec.configuration), "source": "internal", "owner": None,
            "organisation": None, "created": now, "updated": now, "@self": {"extendedBy": []},
        }  # fmt: skip


@dataclass
class Register:
    """A register as served, with the ids of its schemas."""

    id: int
    uuid: str
    slug: str
    spec: RegisterSpec
    schema_ids: list[int] = field(default_factory=list)

    def as_json(self, now: str) -> dict[str, Any]:
        """Return the register as ``GET /api/registers`` shows it."""
        return {
            "id": self.id, "uuid": self.uuid, "slug": self.slug, "title": self.spec.title or self.slug,
            "version": self.spec.version, "description": self.spec.description, "schemas": list(self.schema_ids),
            "source": "internal", "tablePrefix": "", "folder": None, "owner": None, "application": None,
            "organisation": None, "authorization": None, "groups": [], "configuration": {},
            "created": now, "updated": now,
        }  # fmt: skip


@dataclass
class StoredObject:
    """One object row: property values plus metadata."""

    uuid: str
    seq: int
    data: dict[str, Any]
    created: str
    updated: str
    owner: str | None = None
    slug: str | None = None
    deleted: dict[str, Any] | None = None
    locked: dict[str, Any] | None = None


class Catalog:
    """Registers and schemas, numbered in file order, found by id, UUID or slug (case-insensitive)."""

    def __init__(self, registers: Iterable[RegisterSpec], *, hard_validation: bool) -> None:
        self.registers: dict[int, Register] = {}
        self.schemas: dict[int, Schema] = {}
        for spec in registers:
            register = Register(len(self.registers) + 1, _stable_uuid("register", spec.slug), spec.slug, spec)
            self.registers[register.id] = register
            for slug, schema_spec in spec.schemas.items():
                schema_id = len(self.schemas) + 1
                hard = hard_validation and schema_spec.hard_validation
                schema = Schema(
                    schema_id, _stable_uuid("schema", f"{spec.slug}/{slug}"), slug, register.id, schema_spec, hard
                )
                if hard:
                    schema.validator = ObjectValidator(schema_spec, register=spec.slug, name=slug)
                self.schemas[schema_id] = schema
                register.schema_ids.append(schema_id)

    def register(self, ref: str) -> Register | None:
        """Find a register by numeric id, UUID or slug."""
        return _find(self.registers.values(), ref)

    def schema(self, ref: str, register: Register | None = None) -> Schema | None:
        """Find a schema, preferring the register's own (slugs repeat across registers)."""
        own = [self.schemas[i] for i in register.schema_ids] if register else []
        return _find(own, ref) or _find(self.schemas.values(), ref)


class ObjectTable:
    """The objects of one register+schema (OpenRegister 1.0 keeps one table per pair)."""

    def __init__(self, register: Register, schema: Schema, clock: Callable[[], str]) -> None:
        self.register = register
        self.schema = schema
        self.rows: dict[str, StoredObject] = {}
        self._clock = clock
        self._seq = 0
        self.lock = threading.RLock()

    def live(self, object_id: str) -> StoredObject | None:
        """Return the object unless it is missing or soft-deleted."""
        row = self.rows.get(object_id)
        return row if row is not None and row.deleted is None else None

    def store(self, object_id: str, data: dict[str, Any], *, user: str | None, slug: str | None) -> StoredObject:
        """Insert or replace an object's data (a write of a soft-deleted id brings it back as new)."""
        now = self._clock()
        row = self.rows.get(object_id)
        if row is None or row.deleted is not None:
            self._seq += 1
            row = StoredObject(object_id, self._seq, data, created=now, updated=now, owner=user, slug=slug)
            self.rows[object_id] = row
        else:
            row.data, row.updated = data, now
            row.slug = slug or row.slug
        return row

    def soft_delete(self, row: StoredObject, user: str | None) -> None:
        """Mark an object deleted, as ``DeleteObject`` does (1.0 shape)."""
        now = self._clock()
        row.deleted = {"deletedBy": user, "deletedAt": now, "objectId": row.uuid, "organisation": None}
        row.updated = now

    def locked_by_other(self, row: StoredObject, user: str | None) -> str | None:
        """Return who holds an unexpired lock on ``row``, unless it is ``user``."""
        lock = row.locked
        if not lock or lock.get("user") == user:
            return None
        return None if str(lock.get("expiration") or "") <= self._clock() else str(lock.get("user"))

    def as_json(self, row: StoredObject, uri_prefix: str) -> dict[str, Any]:
        """Return an object as OpenRegister serializes it: properties, ``id`` and ``@self``."""
        config = self.schema.spec.configuration
        data = copy.deepcopy(row.data)
        meta = {
            "id": row.uuid, "slug": row.slug,
            "name": _field_value(data, config.get("objectNameField")) or row.uuid,
            # OpenRegister falls back to the internal numeric id here (a quirk kept on purpose).
            "description": _field_value(data, config.get("objectDescriptionField")) or str(row.seq),
            "summary": _field_value(data, config.get("objectSummaryField")),
            "image": _field_value(data, config.get("objectImageField")),
            "uri": f"{uri_prefix}/objects/{self.register.id}/{self.schema.id}/{row.uuid}",
            "version": None, "register": str(self.register.id), "schema": str(self.schema.id),
            "schemaVersion": self.schema.spec.version, "files": [], "relations": {}, "locked": row.locked,
            "owner": row.owner, "organisation": None, "groups": [], "authorization": [], "folder": None,
            "application": None, "validation": [], "geo": [], "retention": [], "size": str(len(str(data))),
            "updated": row.updated, "created": row.created, "deleted": row.deleted, "source": "orm",
        }  # fmt: skip
        return {**data, "id": row.uuid, "@self": meta}


def prepare_request(
    params: dict[str, Any], *, drop_id: bool = False
) -> tuple[dict[str, Any], dict[str, Any], str | None]:
    """Split a write request into (properties, ``@self``, chosen id) after OpenRegister's key filtering."""
    body = {
        key: value
        for key, value in params.items()
        if not key.startswith("_") and (not key.startswith("@") or key == "@self") and key not in _DROPPED_KEYS
    }
    self_data = body.pop("@self", None)
    self_data = self_data if isinstance(self_data, dict) else {}
    body_id = body.pop("id", None)
    chosen = self_data.get("id") or (None if drop_id else body_id)
    return body, self_data, (str(chosen) if chosen not in (None, "") else None)


def normalize_dates(data: dict[str, Any], schema: SchemaSpec) -> dict[str, Any]:
    """Apply ``normalizeDateValues``: "" → null, date-times on date properties cut, bad date-times → null."""
    out = dict(data)
    for name, definition in schema.properties.items():
        fmt = definition.get("format")
        if fmt not in ("date", "date-time") or name not in out or not isinstance(out[name], str):
            continue
        value = out[name]
        parsed = _parse_datetime(value)
        if value == "":
            out[name] = None
        elif fmt == "date" and parsed is not None and ("T" in value or " " in value):
            out[name] = parsed.date().isoformat()
        elif fmt == "date-time" and parsed is None:
            out[name] = None
    return out


def finish_data(data: dict[str, Any], schema: SchemaSpec) -> dict[str, Any]:
    """Apply what ``SaveObject`` does after validation, then keep exactly the schema's columns.

    Non-required ``""`` → null (``{}`` too on object properties); ``default`` fills absent or null
    values (``defaultBehavior: falsy`` also falsy ones). Without properties everything is kept (the
    0.2 blob behaviour; 1.0 would keep nothing, which helps no test).
    """
    required = set(schema.required_properties())
    out = dict(data)
    for name, definition in schema.properties.items():
        value = out.get(name)
        if name not in required and (value == "" or (value == {} and definition.get("type") == "object")):
            out[name] = value = None
        behaviour = definition.get("defaultBehavior", "false")
        if "default" in definition and (value is None or (behaviour == "falsy" and not value)):
            out[name] = copy.deepcopy(definition["default"])
    if not schema.properties:
        return out
    return {name: out.get(name) for name in schema.properties}


def unique_conflict(table: ObjectTable, data: dict[str, Any], own_id: str | None) -> str | None:
    """Return the field list and values when ``configuration.unique`` fields repeat another live object.

    OpenRegister probably does not exclude the object itself (inferred); we do, or no update could pass.
    """
    fields = table.schema.spec.configuration.get("unique")
    names = [fields] if isinstance(fields, str) else [str(f) for f in fields or []]
    if not names:
        return None
    wanted = [data.get(name) for name in names]
    for row in table.rows.values():
        if row.deleted is None and row.uuid != own_id and [row.data.get(n) for n in names] == wanted:
            values = ", ".join(f"{n}={v}" for n, v in zip(names, wanted, strict=True))
            return f"{', '.join(names)}|{values}"
    return None


def validation_answer(schema: Schema, data: dict[str, Any], *, structured: bool) -> Answer | None:
    """Validate when hardValidation is on; return the 400 POST (bare string) or PUT/PATCH (structured) gives."""
    if schema.validator is None:
        return None
    issues = schema.validator.validate(data)
    if not issues:
        return None
    if not structured:
        return Answer(400, issues[0].message)
    inner = {"property": None, "message": issues[0].message, "errors": opis_error_map(issues)}
    return Answer(400, {"status": "error", "message": "Validation failed", "errors": [inner]})


def uniqueness_answer(conflict: str, *, structured: bool) -> Answer:
    """Return the 400 a uniqueness violation gives (``CustomValidationException``)."""
    names, values = conflict.split("|", 1)
    if not structured:
        return Answer(400, f"Fields are not unique: {names} (values: {values})")
    entry = f"The identifying fields ({names}) are not unique. Found duplicate values: {values}"
    return Answer(400, {"status": "error", "message": "Validation failed", "errors": [entry]})


def utc_now() -> str:
    """Return now as PHP ``format('c')`` writes it: ``2026-05-08T10:00:00+00:00``."""
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def _find(items: Iterable[Any], ref: str) -> Any:
    wanted = str(ref).strip().lower()
    for item in items:
        if wanted in (str(item.id), item.uuid.lower(), item.slug.lower()):
            return item
    return None


def _stable_uuid(kind: str, name: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, f"{kind}:{name}"))


def _field_value(data: dict[str, Any], name: Any) -> Any:
    if not isinstance(name, str) or not name:
        return None
    value = data.get(name)
    return value if value not in (None, "", [], {}) else None


def _parse_datetime(value: str) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
