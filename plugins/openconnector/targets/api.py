"""Write to any REST API: create, update and delete requests built from the spec's ``target`` section.

Idempotency (a repeated or ``pending`` create must not make a duplicate), in order of preference:

1. client ids: ``create.idField`` (the target id goes in the body) or ``{targetId}`` in the create
   endpoint (PUT upsert). A repeat is harmless; a 409 on such a create means the object exists, and it
   is updated instead;
2. ``idempotencyKey``: every create carries a key derived from the target id (default
   ``Idempotency-Key: {targetId}``), so the API drops a repeat itself; creates may then be retried freely;
3. ``lookup``: before a pending create (or every create, ``when: always``) a GET looks for the object;
   one hit is adopted (updated, and its id recorded), none means create, more than one fails the object;
4. none of these: a pending create is not sent. It is marked ``failed`` with a message asking to check
   the target for the object, because it may already exist (see PENDING_MESSAGE).

Without 1 or 2 a create is also never repeated at the HTTP level after a lost answer (see ``http``).

Outcomes: 2xx ``done`` (a DELETE answered 404/410 too: the object is gone); 400 and 422 ``invalid``;
other 4xx and a 500 that stays ``failed``, with the API's message. 401, a 405, or a 404 on create
(wrong endpoint) stop the run with ``TargetError``: they concern every object alike.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

from openconnector import settings
from openconnector.core.mapping import Bindings, Mapper, load_mapping
from openconnector.core.paths import MISSING, get_path
from openconnector.errors import MappingError, TargetError
from openconnector.sources.connection import SourceConnection
from openconnector.sources.response import HttpResponse
from openconnector.targets.answers import answer_message
from openconnector.targets.api_lookup import Found, lookup
from openconnector.targets.base import InvalidObject, PlannedWrite, Prepared, WriteOutcome
from openconnector.targets.batch import WritePool, refuse_all_server_errors
from openconnector.targets.http import TargetHttp, parse_json
from openconnector.targets.templates import TemplateError, TemplateValues, render, render_all

if TYPE_CHECKING:
    from openconnector.spec.target import ApiTarget as ApiTargetSpec
    from openconnector.spec.target import _ApiAction

log = logging.getLogger(__name__)

PENDING_MESSAGE: Final = (
    "not sent again: an earlier attempt of this run sent this create and crashed before recording the "
    "answer, so the object may already exist in the target and the API offers no way to tell. Check the "
    "target for the object of origin {origin!r} and delete any duplicate; configure target.lookup, "
    "target.idempotencyKey or target.create.idField so this is resolved automatically"
)
Result = tuple[WriteOutcome, int | None]


class ApiTarget:
    """A REST API as target: ``create``/``update``/``delete`` per the spec, auth from the connection."""

    def __init__(
        self,
        spec: ApiTargetSpec,
        *,
        connection: SourceConnection | None = None,
        on_secret: Callable[[str], None] | None = None,
        synchronization_id: str = "",
    ) -> None:
        self.spec = spec
        self.batch_size = spec.batch_size
        self.concurrency = spec.concurrency
        self._connection = connection
        self._on_secret = on_secret
        self._synchronization_id = synchronization_id
        self._mappings = {
            name: load_mapping(action.mapping, settings.mappings_dir())
            for name, action in self._actions().items()
            if action.mapping is not None
        }
        self._mappers: dict[str, Mapper] = {}
        self._http: TargetHttp | None = None
        self._pool: WritePool | None = None
        self._run_timestamp = ""

    def _actions(self) -> dict[str, _ApiAction]:
        actions: dict[str, Any] = {"create": self.spec.create, "update": self.spec.update, "delete": self.spec.delete}
        return {name: action for name, action in actions.items() if action is not None}

    # -- map stage -------------------------------------------------------------------------------

    def fingerprint_parts(self) -> list[Any]:
        """Return the connection, the write actions and their mappings' fingerprints."""
        actions = {name: action.model_dump(by_alias=True) for name, action in self._actions().items()}
        mappings = {name: mapping.fingerprint for name, mapping in self._mappings.items()}
        return ["api", self.spec.connection, actions, self.spec.headers, mappings]

    def prepare(self, mapped: Any) -> Prepared:
        """Check the mapped value is an object; take a requested id from ``create.idField`` if set."""
        if not isinstance(mapped, dict):
            kind = "array" if isinstance(mapped, list) else type(mapped).__name__
            raise InvalidObject(f"the mapping result is a JSON {kind}, not an object")
        id_field = self.spec.create.id_field
        requested = get_path(mapped, id_field) if id_field else MISSING
        if requested is MISSING or requested is None or requested == "":
            return Prepared(mapped)
        if isinstance(requested, (dict, list)):
            raise InvalidObject(f"the mapped {id_field!r} is a JSON {type(requested).__name__}, not an id")
        return Prepared(mapped, str(requested))

    # -- write stage -----------------------------------------------------------------------------

    def open(self, run_timestamp: str) -> None:
        """Start the session and the writer threads; compile the action mappings."""
        if self._connection is None:
            raise TargetError(
                f"target connection {self.spec.connection!r} was not given; build HTTP targets for writing "
                "through openconnector.hooks.target.TargetHook(...).get_target(spec)"
            )
        self._run_timestamp = run_timestamp
        self._mappers = {name: mapping.compile() for name, mapping in self._mappings.items()}
        self._http = TargetHttp(
            self._connection,
            timeout=self.spec.timeout,
            pool_size=self.concurrency,
            headers=self.spec.headers,
            on_secret=self._on_secret,
        )
        self._pool = WritePool(self.concurrency, name="api-write")

    def write_batch(self, writes: list[PlannedWrite]) -> list[WriteOutcome]:
        """Write a batch, ``concurrency`` requests at a time; one outcome per write, in order."""
        if self._pool is None:
            raise TargetError("the API target is not open; call open() first")
        results = self._pool.run(writes, self._write_one)
        refuse_all_server_errors(results)
        return [outcome for outcome, _ in results]

    def close(self) -> None:
        """Stop the writer threads and close the session."""
        if self._pool is not None:
            self._pool.close()
        if self._http is not None:
            log.info("API target: %s", dict(self._http.counters))
            self._http.close()
        self._pool = self._http = None

    # -- one write -------------------------------------------------------------------------------

    def _client(self) -> TargetHttp:
        if self._http is None:
            raise TargetError("the API target is not open; call open() first")
        return self._http

    def _write_one(self, write: PlannedWrite) -> Result:
        try:
            if write.action == "create":
                return self._create(write)
            return self._send(write, write.action, write.target_id)
        except (TemplateError, MappingError) as exc:
            return WriteOutcome(write.origin_id, "invalid", _kept_id(write), str(exc)), None

    def _create(self, write: PlannedWrite) -> Result:
        config = self.spec.lookup
        if config is not None and (write.pending or config.when == "always"):
            found = lookup(self._client(), config, self._values(write, write.target_id), write.origin_id)
            if isinstance(found, WriteOutcome):
                return found, None
            if isinstance(found, Found):
                return self._send(write, "update", found.target_id)
        elif write.pending and not (self.spec.client_ids or self.spec.idempotency_key):
            return WriteOutcome(write.origin_id, "failed", None, PENDING_MESSAGE.format(origin=write.origin_id)), None
        response = self._request(write, "create", write.target_id)
        if response.ok:
            return WriteOutcome(write.origin_id, "done", self._new_id(write, response)), response.status
        if response.status == 409 and self.spec.client_ids:
            # Our (deterministic) id is taken: an earlier attempt created it. Make it current instead.
            return self._send(write, "update", write.target_id)
        return self._refused(write, "create", response)

    def _send(self, write: PlannedWrite, name: str, target_id: str | None) -> Result:
        if not target_id:
            return WriteOutcome(write.origin_id, "failed", None, f"cannot {name}: the contract has no target id"), None
        response = self._request(write, name, target_id)
        if response.ok or (name == "delete" and response.status in (404, 410)):
            return WriteOutcome(write.origin_id, "done", target_id), response.status
        return self._refused(write, name, response)

    def _request(self, write: PlannedWrite, name: str, target_id: str | None) -> HttpResponse:
        action = self._actions()[name]
        values = self._values(write, target_id)
        field = f"target.{name}"
        endpoint = render(action.endpoint, values, field=f"{field}.endpoint", in_path=True)
        params = render_all(action.query, values, field=f"{field}.query")
        headers = dict(render_all(action.headers, values, field=f"{field}.headers"))
        body = self._body(write, name, target_id)
        idempotent = name != "create" or self.spec.client_ids
        key = self.spec.idempotency_key
        if name == "create" and key is not None:
            headers[key.header] = render(key.value, values, field="target.idempotencyKey.value", in_path=False)
            idempotent = True
        method = getattr(action, "method", "POST")
        return self._client().request(
            method, endpoint, body=body, params=params, headers=headers, idempotent=idempotent
        )

    def _body(self, write: PlannedWrite, name: str, target_id: str | None) -> Any:
        body: Any = write.body if name != "delete" else None
        if name == "create" and self.spec.create.id_field and target_id:
            body = {**(body or {}), self.spec.create.id_field: target_id}
        mapper = self._mappers.get(name)
        if mapper is None:
            return body
        source = body if name != "delete" else {"targetId": target_id, "originId": write.origin_id}
        bindings = Bindings(self._synchronization_id, self._run_timestamp, origin_id=write.origin_id)
        return mapper.apply(source, bindings)

    def _values(self, write: PlannedWrite, target_id: str | None) -> TemplateValues:
        return TemplateValues(target_id, write.origin_id, self._run_timestamp, write.body)

    def _new_id(self, write: PlannedWrite, response: HttpResponse) -> str:
        found = get_path(parse_json(response), self.spec.create.id_path)
        if found is not MISSING and found is not None and not isinstance(found, (dict, list)):
            return str(found)
        if self.spec.client_ids and write.target_id:
            return write.target_id
        location = response.headers.get("Location")
        if location:
            return location.rstrip("/").rsplit("/", 1)[-1]
        http = self._client()
        raise TargetError(
            f"{response.method} {http.display(response.url)} created object {write.origin_id!r} (HTTP "
            f"{response.status}) but its answer has no id at target.create.idPath {self.spec.create.id_path!r} "
            f"and no Location header; answer starts: {answer_message(response, http.masker)!r}. Fix idPath; "
            "the objects of this batch were created, so check the target for duplicates before re-running"
        )

    def _refused(self, write: PlannedWrite, name: str, response: HttpResponse) -> Result:
        http = self._client()
        message = answer_message(response, http.masker)
        where = f"{response.method} {http.display(response.url)}"
        if response.status in (401, 407):
            raise TargetError(f"{where}: {message}. The API refused the credentials of {http.connection.label}")
        if response.status == 405:
            raise TargetError(
                f"{where}: {message}. The endpoint does not accept {response.method}: check target.{name}.method"
            )
        if response.status == 404 and name == "create":
            raise TargetError(f"{where}: {message}. No such endpoint: check target.create.endpoint and the Host")
        status = "invalid" if response.status in (400, 422) else "failed"
        return WriteOutcome(write.origin_id, status, _kept_id(write), message), response.status


def _kept_id(write: PlannedWrite) -> str | None:
    return None if write.action == "create" else write.target_id
