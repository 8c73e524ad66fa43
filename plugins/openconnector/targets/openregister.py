"""Write to a running OpenRegister over HTTP: ``/api/objects/{register}/{schema}[/{id}]``.

* create: ``POST`` with the contract's UUID as ``id``; OpenRegister turns a POST whose ``id`` exists into
  an update, so a repeated create (a retry, a ``pending`` write after a crash) never makes a duplicate;
* update: ``PUT`` (OpenRegister 1.0 sets schema properties missing from the body to null);
* delete: ``DELETE`` (a soft delete). OpenRegister answers 403 for a UUID it does not know, so a 403 is
  confirmed with a GET: a 404 there means the object is already gone, which is what a delete wants.

Answers become outcomes: 2xx ``done``; 400 (a bare JSON string on create, ``{"errors": [...]}`` on update)
and 422 (a hook rejected the object) ``invalid``; 403, 404 on update, 409, 423 and a 500 that stays
``failed``, each with OpenRegister's own message. 401, a CSRF refusal (412) or a register/schema that
vanished mid-run are problems of the whole run (``TargetError``); unreachable or 502/503/504/429 after the
retries is ``TargetUnavailable``.

``prepare`` (map stage, no HTTP) validates with the same rules as the built-in register store
(``core.validation``) when ``include/registers/<register>.yaml`` declares the schema; otherwise only the
shape is checked and OpenRegister's own 400 lands on the object as ``invalid``. OpenRegister 1.0 silently
drops properties its schema does not define; each run logs which ones it dropped.
"""

from __future__ import annotations

import logging
import re
import threading
from collections import Counter
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import quote

from openconnector import settings
from openconnector.core.validation import ObjectValidator
from openconnector.errors import TargetError
from openconnector.sources.connection import SourceConnection
from openconnector.sources.response import HttpResponse
from openconnector.spec.loader import SPEC_SUFFIXES, load_register
from openconnector.spec.register import SchemaSpec
from openconnector.targets.answers import answer_message
from openconnector.targets.base import InvalidObject, PlannedWrite, Prepared, WriteOutcome
from openconnector.targets.batch import WritePool, refuse_all_server_errors
from openconnector.targets.http import TargetHttp, parse_json
from openconnector.targets.openregister_bulk import BulkWriter
from openconnector.targets.openregister_resolve import Resolved, refuse_credentials, resolve
from openconnector.targets.register import issues_message, split_register_object

if TYPE_CHECKING:
    from openconnector.spec.target import OpenRegisterTarget as OpenRegisterTargetSpec

log = logging.getLogger(__name__)

#: Headers OpenRegister's API wants on every request (CSRF pass for API clients, JSON, gzip lists).
OPENREGISTER_HEADERS: Final = {"OCS-APIRequest": "true", "Accept": "application/json", "Accept-Encoding": "gzip"}
#: OpenRegister 1.0 keeps object UUIDs in a VARCHAR(36) column.
MAX_ID_LENGTH: Final = 36
_SLUG: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
_HINTS: Final = {
    ("update", 404): "the object no longer exists in OpenRegister; was it deleted outside this synchronization?",
    ("create", 403): "OpenRegister answers 403 for permission problems and most other refusals",
}

Result = tuple[WriteOutcome, int | None]


class OpenRegisterTarget:
    """A register/schema of a live OpenRegister, written through its objects API.

    :param connection: the target connection (base URL of the Nextcloud, credentials); needed only by
        ``open``/``write_batch``, so the map stage can build the target without it.
    :param on_secret: told every secret (Airflow's ``mask_secret``).
    """

    def __init__(
        self,
        spec: OpenRegisterTargetSpec,
        *,
        connection: SourceConnection | None = None,
        on_secret: Callable[[str], None] | None = None,
    ) -> None:
        self.spec = spec
        self.batch_size = spec.batch_size
        self.concurrency = spec.concurrency
        self._connection = connection
        self._on_secret = on_secret
        self._local = _local_schema(spec.register_ref, spec.schema_ref)
        self._validator: ObjectValidator | None = None
        self._http: TargetHttp | None = None
        self._pool: WritePool | None = None
        self._bulk: BulkWriter | None = None
        self.resolved: Resolved | None = None
        self._dropped: Counter[str] = Counter()
        self._lock = threading.Lock()

    # -- map stage -------------------------------------------------------------------------------

    def fingerprint_parts(self) -> list[Any]:
        """Return connection, register, schema and (when known locally) the schema definition."""
        local = self._local[1].model_dump(by_alias=True) if self._local else None
        return ["openregister", self.spec.connection, self.spec.register_ref, self.spec.schema_ref, local]

    def prepare(self, mapped: Any) -> Prepared:
        """Drop keys OpenRegister drops, take a requested ``id``, validate when the schema is known locally."""
        body, requested = split_register_object(mapped)
        if requested is not None and not 0 < len(requested) <= MAX_ID_LENGTH:
            raise InvalidObject(
                f"the mapped 'id' {requested!r} cannot be an OpenRegister object id: it must be 1 to "
                f"{MAX_ID_LENGTH} characters (ideally a UUID). Remove 'id' from the mapping to let the contract choose one"
            )
        if self._local is not None:
            issues = self.validator.validate(body)
            if issues:
                raise InvalidObject(issues_message(issues, f"{self.spec.register_ref}/{self.spec.schema_ref}"))
        return Prepared(body, requested)

    @property
    def validator(self) -> ObjectValidator:
        """Return the local schema's validator (built on first use)."""
        if self._validator is None:
            if self._local is None:
                raise TargetError(f"no register file declares {self.spec.register_ref}/{self.spec.schema_ref}")
            self._validator = ObjectValidator(self._local[1], register=self.spec.register_ref, name=self._local[0])
        return self._validator

    # -- write stage -----------------------------------------------------------------------------

    def open(self, run_timestamp: str) -> None:
        """Connect, check the server version, resolve register and schema to their numeric ids."""
        if self._connection is None:
            raise TargetError(
                f"target connection {self.spec.connection!r} was not given; build HTTP targets for writing "
                "through openconnector.hooks.target.TargetHook(...).get_target(spec)"
            )
        self._http = TargetHttp(
            self._connection,
            timeout=self.spec.timeout,
            pool_size=self.concurrency,
            headers=OPENREGISTER_HEADERS,
            on_secret=self._on_secret,
        )
        try:
            self.resolved = resolve(self._http, self.api, self.spec.register_ref, self.spec.schema_ref)
            if self.spec.bulk:
                self._bulk = BulkWriter(self._http, self.resolved, self.api, self._bulk_validator(), self._one_by_one)
        except BaseException:
            self.close()
            raise
        self._pool = WritePool(self.concurrency, name="openregister-write")

    @property
    def api(self) -> str:
        """Return the API path; empty when the connection's Host already ends with it."""
        base = self._connection.base_url if self._connection else ""
        return "" if base.rstrip("/").endswith(self.spec.api_path) else self.spec.api_path

    @property
    def objects_path(self) -> str:
        """Return ``<api>/objects/<registerId>/<schemaId>``."""
        if self.resolved is None:
            raise TargetError("the OpenRegister target is not open; call open() first")
        return f"{self.api}/objects/{self.resolved.register_id}/{self.resolved.schema_id}"

    def write_batch(self, writes: list[PlannedWrite]) -> list[WriteOutcome]:
        """Write a batch: concurrently one request per write, or through the bulk endpoint."""
        if self._pool is None or self._http is None:
            raise TargetError("the OpenRegister target is not open; call open() first")
        if self._bulk is not None:
            return self._bulk.write(writes)
        return self._one_by_one(writes)

    def close(self) -> None:
        """Stop the writer threads, close the session, log what OpenRegister dropped."""
        if self._dropped:
            shown = ", ".join(f"{key} ({count} objects)" for key, count in self._dropped.most_common(10))
            log.warning(
                "OpenRegister dropped properties its schema does not define (1.0 stores only schema properties): %s",
                shown,
            )
        if self._pool is not None:
            self._pool.close()
        if self._http is not None:
            log.info("OpenRegister target: %s", dict(self._http.counters))
            self._http.close()
        self._pool = self._http = self._bulk = None

    # -- one write -------------------------------------------------------------------------------

    def _one_by_one(self, writes: list[PlannedWrite]) -> list[WriteOutcome]:
        if self._pool is None:
            raise TargetError("the OpenRegister target is not open; call open() first")
        results = self._pool.run(writes, self._write_one)
        refuse_all_server_errors(results)
        return [outcome for outcome, _ in results]

    def _client(self) -> TargetHttp:
        if self._http is None:
            raise TargetError("the OpenRegister target is not open; call open() first")
        return self._http

    def _write_one(self, write: PlannedWrite) -> Result:
        http = self._client()
        if write.action == "create":
            body = dict(write.body or {})
            if write.target_id:
                body["id"] = write.target_id
            # With an id, POST is an upsert: safe to repeat. Without one (never planned) it is not.
            response = http.request("POST", self.objects_path, body=body, idempotent=bool(write.target_id))
            return self._saved(write, response)
        path = f"{self.objects_path}/{quote(str(write.target_id), safe='')}"
        if write.action == "update":
            return self._saved(write, http.request("PUT", path, body=write.body or {}))
        return self._deleted(write, path, http.request("DELETE", path))

    def _saved(self, write: PlannedWrite, response: HttpResponse) -> Result:
        if not response.ok:
            return self._refused(write, response)
        value = parse_json(response)
        target_id = write.target_id
        if isinstance(value, dict):
            self._note_dropped(write.body or {}, value)
            target_id = str(value.get("id") or (value.get("@self") or {}).get("id") or target_id)
        return WriteOutcome(write.origin_id, "done", target_id), response.status

    def _deleted(self, write: PlannedWrite, path: str, response: HttpResponse) -> Result:
        if response.ok or response.status == 404:
            return WriteOutcome(write.origin_id, "done", write.target_id), response.status
        if response.status == 403:
            # 1.0 answers 403 for an unknown UUID too: only a GET tells "already gone" from "not allowed".
            check = self._client().request("GET", path)
            if check.status == 404:
                return WriteOutcome(write.origin_id, "done", write.target_id), response.status
        return self._refused(write, response)

    def _refused(self, write: PlannedWrite, response: HttpResponse) -> Result:
        http = self._client()
        refuse_credentials(http, response)
        message = answer_message(response, http.masker)
        where = f"{response.method} {http.display(response.url)}"
        if response.status == 412:
            raise TargetError(f"{where}: {message}. Nextcloud refused the request as CSRF: send 'OCS-APIRequest: true'")
        lowered = message.lower()
        if "register not found" in lowered or "schema not found" in lowered:
            raise TargetError(
                f"{where}: {message}. The register or schema was removed or renamed during the run; "
                "check target.register and target.schema"
            )
        hint = _HINTS.get((write.action, response.status))
        text = f"{message}; {hint}" if hint else message
        status = "invalid" if response.status in (400, 422) else "failed"
        target_id = None if write.action == "create" else write.target_id
        return WriteOutcome(write.origin_id, status, target_id, text), response.status

    def _note_dropped(self, sent: dict[str, Any], stored: dict[str, Any]) -> None:
        missing = [key for key in sent if key not in stored]
        if missing:
            with self._lock:
                self._dropped.update(missing)

    def _bulk_validator(self) -> ObjectValidator | None:
        """Return the validator bulk writes need (1.0 bulk save validates nothing): the server's schema first."""
        if self.resolved is None:
            raise TargetError("the OpenRegister target is not open; call open() first")
        schema = schema_from_server(self.resolved.schema)
        name = self.resolved.schema_slug
        if schema is None and self._local is not None:
            schema, name = self._local[1], self._local[0]
        if schema is None:
            log.warning("Bulk writes to %s are not validated: the schema could not be read", self.spec.schema_ref)
            return None
        return ObjectValidator(schema, register=self.resolved.register_slug, name=name)


def schema_from_server(schema: dict[str, Any]) -> SchemaSpec | None:
    """Return an OpenRegister schema (as its API shows it) as a ``SchemaSpec``, or None if it cannot be read."""
    properties = schema.get("properties")
    if not isinstance(properties, dict):
        properties = {}  # PHP serializes an empty map as []
    usable = {
        str(name): definition
        for name, definition in properties.items()
        if isinstance(definition, dict) and ("type" in definition or "$ref" in definition)
    }
    required = [str(name) for name in schema.get("required") or [] if isinstance(name, str)]
    try:
        return SchemaSpec.model_validate(
            {
                "title": str(schema.get("title") or ""),
                "required": required,
                "properties": usable,
                "hardValidation": schema.get("hardValidation") is not False,
            }
        )
    except ValueError:
        return None


def _local_schema(register: str, schema: str) -> tuple[str, SchemaSpec] | None:
    """Return (slug, definition) of the schema when ``include/registers/<register>.yaml`` declares it."""
    if not _SLUG.match(register):
        return None
    if not any((settings.registers_dir() / f"{register}{suffix}").is_file() for suffix in SPEC_SUFFIXES):
        return None
    spec = load_register(register, referenced_from="target.register")
    for slug, definition in spec.schemas.items():
        if slug == schema or slug.lower() == schema.lower():
            return slug, definition
    return None
