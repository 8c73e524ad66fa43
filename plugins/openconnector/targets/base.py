"""What every target type provides to the pipeline: prepare one object, then write.

Two kinds of target exist. A :class:`Target` (the built-in register store) writes a whole plan with
SQL inside the contracts transaction. A :class:`BatchTarget` (OpenRegister over HTTP, any REST API)
gets the plan in batches of :class:`PlannedWrite` and answers one :class:`WriteOutcome` per write.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Literal, Protocol

if TYPE_CHECKING:
    from openconnector.db.store import RunRow, Store
    from openconnector.pipeline.context import RunContext

#: Namespace of target ids derived from (synchronization, origin id): the same object always gets the
#: same UUID, so a write retried after a crash updates instead of creating a duplicate.
TARGET_ID_NAMESPACE: Final = uuid.UUID("6c0f7b0e-8e4e-5b8a-9a55-0c0ffee0a1b2")
_NAMESPACE_BYTES: Final = TARGET_ID_NAMESPACE.bytes


class InvalidObject(Exception):
    """One mapped object the target would refuse; the object is counted invalid, the run goes on."""


@dataclass(frozen=True)
class Prepared:
    """A mapped object as the target will store it, plus the id the mapping asked for (if any)."""

    body: dict[str, Any]
    requested_id: str | None = None


class Target(Protocol):
    """A place objects are written to."""

    def fingerprint_parts(self) -> list[Any]:
        """Return what, besides the mapping, determines the written result (e.g. the schema)."""

    def prepare(self, mapped: Any) -> Prepared:
        """Check and shape one mapped object; raise ``InvalidObject`` with the reason."""

    def write(self, store: Store, ctx: RunContext, run: RunRow, partitions: int) -> None:
        """Apply the run's plan (create, update, delete) to the target, inside the store's transaction."""


WriteAction = Literal["create", "update", "delete"]


@dataclass(frozen=True)
class PlannedWrite:
    """One write the write stage asks an HTTP target to make.

    :param target_id: create: the id to create with (deterministic, or the mapping's requested id); a
        target that accepts client ids uses it, so a repeated create is an upsert. update/delete: the
        contract's target id.
    :param body: create/update: the prepared object (``prepare`` output); delete: None.
    :param pending: a previous attempt of this run started this write and crashed before recording the
        outcome, so the write may or may not have happened.
    """

    origin_id: str
    action: WriteAction
    target_id: str | None
    body: dict[str, Any] | None
    pending: bool = False


@dataclass(frozen=True)
class WriteOutcome:
    """What became of one planned write.

    ``invalid``: the target rejected the object's content (validation). ``failed``: refused for another
    reason for this object (permission, missing, conflict, locked ...). ``target_id``: the object's id in
    the target after a create or update. ``message``: the target's own words, secrets masked.
    """

    origin_id: str
    status: Literal["done", "invalid", "failed"]
    target_id: str | None = None
    message: str | None = None


class BatchTarget(Protocol):
    """A target written over HTTP, a batch of planned writes at a time.

    ``write_batch`` returns one outcome per write, in order. It raises ``TargetUnavailable`` (retryable)
    when the target is down after the client's own retries (the batch is then not recorded as written)
    and ``TargetError`` for a problem of the whole run (credentials refused, endpoint missing). Either
    error has ``unsent``: the origin ids of writes of the batch that surely did not happen (never sent,
    or refused before the target acted); they need not be handed back as ``pending``.
    """

    batch_size: int
    concurrency: int

    def fingerprint_parts(self) -> list[Any]:
        """Return what, besides the mapping, determines the written result."""

    def prepare(self, mapped: Any) -> Prepared:
        """Check and shape one mapped object without any HTTP; raise ``InvalidObject`` with the reason."""

    def open(self, run_timestamp: str) -> None:
        """Connect and resolve what the run writes to; raise ``TargetError`` with a clear message if absent."""

    def write_batch(self, writes: list[PlannedWrite]) -> list[WriteOutcome]:
        """Write a batch; return one outcome per write, in the same order."""

    def close(self) -> None:
        """Release connections and threads; log a summary."""


def derived_target_id(synchronization_id: str, origin_id: str) -> str:
    """Return the deterministic target UUID (version 5) of an object that has none yet.

    The same value as ``uuid.uuid5(TARGET_ID_NAMESPACE, f"{synchronization_id}\\n{origin_id}")``,
    computed without building UUID objects: this runs once per new object of a first sync.
    """
    digest = bytearray(hashlib.sha1(_NAMESPACE_BYTES + f"{synchronization_id}\n{origin_id}".encode()).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50
    digest[8] = (digest[8] & 0x3F) | 0x80
    h = digest.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
