"""What every target type provides to the pipeline: prepare one object, write a whole plan."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Protocol

if TYPE_CHECKING:
    from openconnector.db.store import RunRow, Store
    from openconnector.pipeline.context import RunContext

#: Namespace of target ids derived from (synchronization, origin id): the same object always gets the
#: same UUID, so a write retried after a crash updates instead of creating a duplicate.
TARGET_ID_NAMESPACE: Final = uuid.UUID("6c0f7b0e-8e4e-5b8a-9a55-0c0ffee0a1b2")


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


def derived_target_id(synchronization_id: str, origin_id: str) -> str:
    """Return the deterministic target UUID of an object that has none yet."""
    return str(uuid.uuid5(TARGET_ID_NAMESPACE, f"{synchronization_id}\n{origin_id}"))
