"""The hash-diff stage: one set-based comparison of staged objects with their contracts.

Every staged object gets an action (create, update, unchanged, skipped, invalid); contracts whose
object vanished get 'delete' — but only after a complete, unwindowed fetch in which every object had
an id, and never more than ``deletion.maxFraction`` of the synchronized objects.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from openconnector.core.report import Counts
from openconnector.db.store import RunRow, Store
from openconnector.errors import StagingError
from openconnector.pipeline.context import RunContext
from openconnector.pipeline.metrics import StageClock
from openconnector.spec.synchronization import SynchronizationSpec

log = logging.getLogger(__name__)


class DeletionRefused(StagingError):
    """More objects would be deleted than ``deletion.maxFraction`` allows."""


@dataclass(frozen=True)
class DiffResult:
    """The plan's counts and, when nothing was planned for deletion, why."""

    counts: Counts
    deletion_note: str


def run_diff(spec: SynchronizationSpec, ctx: RunContext, store: Store, run: RunRow) -> DiffResult:
    """Build the run's plan and return its counts."""
    clock = StageClock()
    partitions = check_staging(store, run)
    # A map partition recorded before this count existed counts as having requested ids.
    requested = any(int(stats.get("requested", 1)) for stats in run.stages.get("map", {}).values())
    store.build_plan(run.id, sync=spec.id, partitions=partitions, force=ctx.force, requested_ids=requested)
    note = deletion_blocker(spec, store, run)
    if not note:
        store.add_deletions(run.id, sync=spec.id)
    store.analyze_plan(run.id)
    counts = Counts.from_plan(store.plan_counts(run))
    if not note and not ctx.force:
        _guard_mass_deletion(spec, store, counts)
    store.record_stage(run.id, "hash_diff", "0", clock.stats(counts.fetched + counts.deleted, deletion=note or "planned"))
    store.commit()
    return DiffResult(counts, note)


def check_staging(store: Store, run: RunRow) -> int:
    """Check that the fetch and every map partition of this run's fetch finished; return the partitions.

    A map result from an earlier fetch attempt, a missing partition, or staging lost to a database
    crash (the tables are unlogged) stops the run here, before anything is written or deleted.
    """
    if run.fetch_complete is None or run.partitions is None or run.fetched is None:
        raise StagingError(f"run {run.id} has no finished fetch; re-run the fetch task and everything after it")
    staged = store.count_objects(run.id)
    if staged != run.fetched:
        raise StagingError(
            f"run {run.id}: {staged} staged objects but the fetch read {run.fetched}; the staging was lost "
            "or changed, so re-run the fetch task and everything after it"
        )
    mapped = run.stages.get("map", {})
    for partition in range(run.partitions):
        done = mapped.get(str(partition))
        if done is None or done.get("fetch_token") != run.fetch_token:
            raise StagingError(
                f"run {run.id}: map partition {partition} has not run since the last fetch; "
                "re-run the map task(s) and everything after them"
            )
    return run.partitions


def deletion_blocker(spec: SynchronizationSpec, store: Store, run: RunRow) -> str:
    """Return why vanished objects must not be deleted in this run, or '' when they may be."""
    if not spec.deletion.enabled:
        return "Deletion is disabled for this synchronization (deletion.enabled: false)."
    if run.windowed:
        return "Nothing deleted: a windowed (incremental) run does not read the whole source."
    if not run.fetch_complete:
        return "Nothing deleted: the fetch was not complete."
    missing = store.count_missing_ids(run.id)
    if missing:
        return (
            f"Nothing deleted: {missing} objects had no origin id, so vanished objects cannot be told "
            "apart from them; fix source.idPosition."
        )
    return ""


def _guard_mass_deletion(spec: SynchronizationSpec, store: Store, counts: Counts) -> None:
    limit = spec.deletion.max_fraction
    if limit >= 1 or not counts.deleted:
        return
    live = store.count_live_contracts(spec.id)
    if live and counts.deleted / live > limit:
        raise DeletionRefused(
            f"{counts.deleted} of {live} synchronized objects ({counts.deleted / live:.0%}) vanished from the "
            f"source, more than deletion.maxFraction ({limit:.0%}) allows; nothing was written. If the source "
            "really lost them, trigger one run with force, or raise deletion.maxFraction."
        )
