"""OpenRegister's bulk endpoints for large runs: one request saves or deletes a whole batch.

``POST /api/bulk/{register}/{schema}/save`` upserts ``{"objects": [...]}`` by their ``id``. In 1.0 it runs
no JSON-schema validation, no events and no audit trail, so every object is validated here first (with
the schema as the server shows it) and invalid ones are never sent. Properties missing from an object are
sent as null, so a bulk update replaces the object like PUT does. ``POST …/delete`` soft-deletes
``{"uuids": [...]}``.

Whatever the bulk answer does not account for (an object it did not report, a UUID it skipped, or a
bulk request that failed as a whole with 400/500) is written again one object at a time, which gives
each object its own outcome and message. 0.2.x allows bulk save to admins only: a 403 says so.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from openconnector.core.validation import ObjectValidator
from openconnector.errors import TargetError
from openconnector.sources.response import HttpResponse
from openconnector.targets.answers import answer_message, message_of
from openconnector.targets.base import PlannedWrite, WriteOutcome
from openconnector.targets.http import TargetHttp, parse_json
from openconnector.targets.openregister_resolve import Resolved, refuse_credentials
from openconnector.targets.register import issues_message

log = logging.getLogger(__name__)

#: Write some planned writes one at a time (the regular path), returning their outcomes in order.
OneByOne = Callable[[list[PlannedWrite]], list[WriteOutcome]]


class BulkWriter:
    """Save and delete batches through OpenRegister's bulk endpoints."""

    def __init__(
        self, http: TargetHttp, resolved: Resolved, api: str, validator: ObjectValidator | None, one_by_one: OneByOne
    ) -> None:
        self._http = http
        self._resolved = resolved
        self._validator = validator
        self._one_by_one = one_by_one
        self._base = f"{api}/bulk/{resolved.register_id}/{resolved.schema_id}"
        properties = resolved.schema.get("properties")
        self._nulls = dict.fromkeys(properties, None) if isinstance(properties, dict) else {}

    def write(self, writes: list[PlannedWrite]) -> list[WriteOutcome]:
        """Write a batch; return one outcome per write, in order."""
        outcomes: list[WriteOutcome | None] = [None] * len(writes)
        saves = [(i, w) for i, w in enumerate(writes) if w.action != "delete"]
        deletes = [(i, w) for i, w in enumerate(writes) if w.action == "delete"]
        retry: list[tuple[int, PlannedWrite]] = []
        if saves:
            retry += self._save(saves, outcomes)
        if deletes:
            retry += self._delete(deletes, outcomes)
        if retry:
            for (i, _), outcome in zip(retry, self._one_by_one([w for _, w in retry]), strict=True):
                outcomes[i] = outcome
        return [outcome for outcome in outcomes if outcome is not None]

    def _save(self, saves: list[tuple[int, PlannedWrite]], outcomes: list[WriteOutcome | None]) -> list[Any]:
        sent: list[tuple[int, PlannedWrite]] = []
        objects: list[dict[str, Any]] = []
        for i, write in saves:
            issues = self._validator.validate(write.body or {}) if self._validator is not None else []
            if issues:
                label = f"{self._resolved.register_slug}/{self._resolved.schema_slug}"
                outcomes[i] = WriteOutcome(write.origin_id, "invalid", None, issues_message(issues, label))
                continue
            objects.append({**self._nulls, **(write.body or {}), "id": write.target_id})
            sent.append((i, write))
        if not objects:
            return []
        response = self._http.request("POST", f"{self._base}/save", body={"objects": objects})
        report = parse_json(response)
        saved = report.get("saved_objects") if isinstance(report, dict) else None
        if not response.ok or not isinstance(saved, dict):
            self._refuse(response)
            return sent
        done = {_object_id(obj) for key in ("saved", "updated", "unchanged") for obj in saved.get(key) or []}
        invalid = _invalid_by_id(saved.get("invalid") or [], objects)
        retry = []
        for i, write in sent:
            if write.target_id in done:
                outcomes[i] = WriteOutcome(write.origin_id, "done", write.target_id)
            elif write.target_id in invalid:
                outcomes[i] = WriteOutcome(write.origin_id, "invalid", None, invalid[str(write.target_id)])
            else:
                retry.append((i, write))
        return retry

    def _delete(self, deletes: list[tuple[int, PlannedWrite]], outcomes: list[WriteOutcome | None]) -> list[Any]:
        uuids = [str(w.target_id) for _, w in deletes]
        response = self._http.request("POST", f"{self._base}/delete", body={"uuids": uuids})
        report = parse_json(response)
        deleted = report.get("deleted_uuids") if isinstance(report, dict) else None
        if not response.ok or not isinstance(deleted, list):
            self._refuse(response)
            return deletes
        gone = {str(uuid) for uuid in deleted}
        retry = []
        for i, write in deletes:
            if str(write.target_id) in gone:
                outcomes[i] = WriteOutcome(write.origin_id, "done", write.target_id)
            else:
                retry.append((i, write))  # skipped (not found, blocked ...): the single DELETE says which
        return retry

    def _refuse(self, response: HttpResponse) -> None:
        """Raise for answers that concern the whole run; log the others (the writes go one by one)."""
        refuse_credentials(self._http, response)
        message = answer_message(response, self._http.masker)
        where = f"{response.method} {self._http.display(response.url)}"
        if response.status == 403:
            raise TargetError(
                f"{where}: {message}. OpenRegister refused the bulk endpoint: 0.2.x allows it to admin accounts "
                "only. Use an admin account or set target.bulk: false"
            )
        if response.status == 404:
            raise TargetError(f"{where}: {message}. Check target.register, target.schema and target.apiPath")
        log.warning("Bulk request failed (%s); writing its objects one at a time", message)


def _object_id(obj: Any) -> str | None:
    if not isinstance(obj, dict):
        return None
    found = obj.get("id") or obj.get("uuid") or (obj.get("@self") or {}).get("id")
    return str(found) if found else None


def _invalid_by_id(entries: list[Any], objects: list[dict[str, Any]]) -> dict[str, str]:
    """Map the id of each object the bulk save called invalid to its message."""
    found: dict[str, str] = {}
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        object_id = _object_id(entry.get("object"))
        index = entry.get("index")
        if object_id is None and isinstance(index, int) and 0 <= index < len(objects):
            object_id = str(objects[index]["id"])
        if object_id is not None:
            found[object_id] = f"bulk save: {message_of(entry.get('error')) or entry.get('type') or 'invalid'}"
    return found
