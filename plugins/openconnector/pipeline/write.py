"""The write stage: apply the plan to the target and the contracts, then report.

Two ways, by target:

* the built-in register store writes the whole plan with set-based SQL in the same transaction as the
  contracts: all or nothing;
* an HTTP target (OpenRegister, any API) takes batches; each batch is marked pending, written, and its
  outcomes and contracts are committed before the next one. A retried task resumes after the last
  recorded batch, and hands the target the writes a crash left pending (the target makes them
  idempotent: client-chosen ids, or a lookup).

A Test run writes neither target nor contracts: it records the run, its counts and (in the contract
log, flagged ``test``) what would have happened to each object.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Literal

from openconnector.core.report import Counts, SyncReport
from openconnector.db.store import RunRow, Store
from openconnector.errors import TargetError
from openconnector.pipeline.context import RunContext
from openconnector.pipeline.diff import check_staging
from openconnector.pipeline.metrics import StageClock
from openconnector.targets import Target, is_batch_target

log = logging.getLogger(__name__)

ContractLogLevel = Literal["auto", "full", "actions", "errors", "none"]
#: ``contractLog: auto`` keeps source and mapped objects in the log up to this many logged objects per
#: run. Beyond it (a first sync of a large source) the bodies would cost ~20 s per million objects
#: on two cores, for copies of what the source and the target already hold: only the invalid objects,
#: which need them to be fixed, keep their bodies.
AUTO_BODIES_LIMIT = 10_000
#: Parallel SQL writers: Postgres uses one core per connection; more than the cores only adds contention.
MAX_WRITERS = 2
WRITES_PER_WRITER = 150_000
#: Writes after which the contracts' statistics are refreshed at once (autovacuum catches up on smaller ones).
ANALYZE_AFTER = 50_000


def run_write(
    ctx: RunContext, store: Store, run: RunRow, target: Target, *,
    contract_log: ContractLogLevel = "full", log_retention_days: int = 30,
) -> SyncReport:
    """Write the plan of a run, close the run with its report, and drop its staging."""
    clock = StageClock()
    with store.writer_lock(ctx.synchronization_id):
        report = _write_and_report(ctx, store, run, target, clock, contract_log, log_retention_days)
    store.drop_staging(run.id)
    written = report.counts.new + report.counts.changed + report.counts.deleted
    if not ctx.test and written > ANALYZE_AFTER:
        store.analyze_contracts()
    store.commit()
    return report


def _write_and_report(
    ctx: RunContext, store: Store, run: RunRow, target: Target, clock: StageClock,
    contract_log: ContractLogLevel, log_retention_days: int,
) -> SyncReport:
    partitions = check_staging(store, run)
    store.clear_contract_log(run.id)
    contract_log = effective_log_level(contract_log, store, run)
    if not ctx.test and is_batch_target(target):
        write_in_batches(ctx, store, run, target, partitions)
        store.insert_contract_log(run.id, sync=ctx.synchronization_id, partitions=partitions, test=False,
                                  level=contract_log)
    else:
        write_set_based(ctx, store, run, target, partitions, contract_log)
    counts = Counts.from_plan(store.plan_counts(run))
    note = str(run.stages.get("hash_diff", {}).get("0", {}).get("deletion", ""))
    written = 0 if ctx.test else counts.new + counts.changed + counts.deleted
    write_stats = clock.stats(written, test=ctx.test)
    store.record_stage(run.id, "write", "0", write_stats)
    report = SyncReport(
        synchronization_id=ctx.synchronization_id, run_id=run.id, dag_run_id=ctx.dag_run_id, counts=counts,
        test=ctx.test, force=ctx.force, deletion_note="" if note == "planned" else note,
        stages={**run.stages, "write": {"0": write_stats}},
    )
    store.finish_run(run.id, status="success", message=report.message, counts=counts.as_dict())
    store.expire_logs(ctx.synchronization_id, run.id, log_retention_days)
    store.commit()
    return report


def write_set_based(
    ctx: RunContext, store: Store, run: RunRow, target: Any, partitions: int, contract_log: ContractLogLevel
) -> None:
    """Write the plan with SQL (target, contracts, contract log), in parallel partitions when it is large.

    Each writer commits its own partition (objects, contracts and log of the same origin ids together),
    so a failure leaves some partitions written: re-applying the plan on retry is harmless, because
    target ids are deterministic and every statement is an upsert.
    """
    if not ctx.test:
        target.begin_write(store)
    store.commit()  # parallel writers must see the cleared log and the register rows
    writers = writer_count(store, run)
    parts = [None] if writers == 1 else [(k, writers) for k in range(writers)]

    if writers == 1:
        write_partition(ctx, store, run, target, partitions, contract_log, None)
        return
    forks = [store.fork() for _ in parts]
    try:
        with ThreadPoolExecutor(max_workers=writers, thread_name_prefix="writer") as pool:
            futures = [
                pool.submit(write_partition, ctx, fork, run, target, partitions, contract_log, part)
                for part, fork in zip(parts, forks, strict=True)
            ]
            for future in futures:
                future.result()
    finally:
        for fork in forks:
            if fork is not None:
                fork.close()


def write_partition(
    ctx: RunContext, writer: Store, run: RunRow, target: Any, partitions: int, contract_log: ContractLogLevel,
    part: tuple[int, int] | None,
) -> None:
    """Write one partition of the plan (target rows, contracts, contract log) and commit it.

    Within the transaction the order of the steps is free, so odd partitions start with the contracts:
    two writers inserting into the same table at once gain little over one (1M register objects: 10.5-11 s
    with one writer or two), while two on different tables overlap (a 1M first write with 2 writers:
    13.2-13.9 s → 11.5-12.6 s).
    """
    def target_rows() -> None:
        target.write(writer, ctx, run, partitions, part=part)

    def contracts() -> None:
        writer.apply_contracts(run.id, sync=ctx.synchronization_id, fingerprint=run.mapping_fingerprint or "",
                               partitions=partitions, now=ctx.run_timestamp, part=part)

    def log_rows() -> None:
        writer.insert_contract_log(run.id, sync=ctx.synchronization_id, partitions=partitions, test=ctx.test,
                                   level=contract_log, part=part)

    steps = [log_rows] if ctx.test else [target_rows, contracts, log_rows]
    if part is not None and part[0] % 2:
        steps = steps[1:] + steps[:1]
    for step in steps:
        step()
    writer.commit()


def effective_log_level(level: ContractLogLevel, store: Store, run: RunRow) -> ContractLogLevel:
    """Resolve ``auto``: full while the run logs at most ``AUTO_BODIES_LIMIT`` objects, else actions."""
    if level != "auto":
        return level
    logged = sum(n for (action, _), n in store.plan_counts(run).items() if action not in ("unchanged", "skipped"))
    return "full" if logged <= AUTO_BODIES_LIMIT else "actions"


def writer_count(store: Store, run: RunRow) -> int:
    """Return how many parallel writers the plan deserves: one per 150,000 writes, at most 2."""
    if store.fork_unavailable():
        return 1
    writes = sum(n for (action, _), n in store.plan_counts(run).items() if action != "unchanged")
    return max(1, min(MAX_WRITERS, writes // WRITES_PER_WRITER))


def write_in_batches(ctx: RunContext, store: Store, run: RunRow, target: Any, partitions: int) -> None:
    """Write the plan to an HTTP target batch by batch, committing each batch's outcomes and contracts."""
    from openconnector.targets.base import PlannedWrite

    fingerprint = run.mapping_fingerprint or ""
    target.open(ctx.timestamp_text)
    try:
        batch: list[PlannedWrite] = []
        for origin_id, action, target_id, body, pending in store.stream_pending_writes(run.id, partitions):
            batch.append(PlannedWrite(origin_id, action, target_id, body, pending))  # body: jsonb, read as a dict
            if len(batch) >= target.batch_size:
                _write_batch(ctx, store, run, target, batch, fingerprint, partitions)
                batch = []
        if batch:
            _write_batch(ctx, store, run, target, batch, fingerprint, partitions)
    finally:
        target.close()
    store.touch_unwritten_contracts(
        run.id, sync=ctx.synchronization_id, fingerprint=fingerprint, partitions=partitions, now=ctx.run_timestamp
    )


def _write_batch(
    ctx: RunContext, store: Store, run: RunRow, target: Any, batch: list[Any], fingerprint: str, partitions: int
) -> None:
    # Marking the batch pending first (committed) is what lets a retry tell "never tried" from "maybe done".
    store.mark_writes_pending(run.id, [w.origin_id for w in batch])
    store.commit()
    try:
        outcomes = target.write_batch(batch)
    except TargetError as exc:
        # Writes the target surely never acted on (refused connection, 429, 503) go back to "not
        # started", so a retry sends them as fresh writes instead of treating them as maybe done.
        unsent = list(getattr(exc, "unsent", ()) or ())
        if unsent:
            store.unmark_writes_pending(run.id, unsent)
            store.commit()
        raise
    store.record_write_outcomes(
        run.id, sync=ctx.synchronization_id, fingerprint=fingerprint, partitions=partitions,
        now=ctx.run_timestamp, outcomes=outcomes,
    )
    store.commit()
    refused = sum(o.status != "done" for o in outcomes)
    log.info("Wrote %d objects (%d refused by the target)", len(batch) - refused, refused)
