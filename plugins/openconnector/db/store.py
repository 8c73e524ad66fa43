"""Database access for the pipeline: runs, staging, plans, contracts, the register store.

Callers never see a cursor or SQL text: every method names what it does. A ``Store`` wraps one
psycopg2 connection; the caller owns the transaction boundaries (``commit()``), because the write
stage must update target, contracts and logs in one transaction.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import logging
import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import orjson
from psycopg2 import sql as pgsql
from psycopg2.extras import Json

from openconnector.db import sql
from openconnector.db.migrations import ensure_schema

log = logging.getLogger(__name__)

#: Rows fetched per round trip when streaming staged objects to the map stage.
STREAM_BATCH = 2000


class CopyWriter:
    """Send COPY batches from a background thread while the caller builds the next batch.

    Postgres parses and stores a batch while Python parses and hashes the next one; psycopg2 releases
    the GIL while it waits on the server. Each batch holds the rows of one or more tables (one COPY
    per table, in order). At most ``depth`` batches wait in memory. An error in the background surfaces
    at the next ``send`` or at ``close``. The caller must not use the connection until ``close`` returns.
    """

    def __init__(self, conn: Any, statements: list[str], depth: int = 2) -> None:
        self._conn, self._statements = conn, statements
        self._queue: queue.Queue[tuple[bytes, ...] | None] = queue.Queue(maxsize=depth)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="copy-writer", daemon=True)
        self._thread.start()

    def send(self, *rows: bytes) -> None:
        """Queue one batch: COPY lines for each statement (blocks while ``depth`` batches wait)."""
        self._raise_if_failed()
        self._queue.put(rows)

    def close(self) -> None:
        """Wait until every queued batch is in Postgres; re-raise a background error."""
        self._queue.put(None)
        self._thread.join()
        self._raise_if_failed()

    def _run(self) -> None:
        while (batch := self._queue.get()) is not None:
            if self._error is not None:
                continue  # drain, so a blocked send() can return and see the error
            try:
                with self._conn.cursor() as cur:
                    for statement, rows in zip(self._statements, batch, strict=True):
                        if rows:
                            cur.copy_expert(statement, io.BytesIO(rows), size=1 << 20)
            except BaseException as exc:  # handed to the caller's thread
                self._error = exc

    def _raise_if_failed(self) -> None:
        if self._error is not None:
            raise self._error


@dataclass(frozen=True)
class RunRow:
    """The synchronization-log row of one run, as the stages need it."""

    id: int
    synchronization_id: str
    dag_run_id: str
    test: bool
    force: bool
    windowed: bool
    status: str
    fetch_complete: bool | None
    fetch_token: str | None
    partitions: int | None
    mapping_fingerprint: str | None
    fetched: int | None
    stages: dict[str, Any]


class Store:
    """All reads and writes of the contracts database, over one connection.

    :param connect: makes another connection to the same database (``fork``), for parallel writers.
    """

    def __init__(self, conn: Any, connect: Callable[[], Any] | None = None) -> None:
        self.conn = conn
        self._connect = connect

    def fork(self) -> Store | None:
        """Return a Store on a new connection (close it with ``close``), or None without a factory."""
        return Store(self._connect(), self._connect) if self._connect is not None else None

    def fork_unavailable(self) -> bool:
        """Tell whether ``fork`` cannot make another connection (no factory given)."""
        return self._connect is None

    def close(self) -> None:
        """Close the connection."""
        self.conn.close()

    # --- lifecycle --------------------------------------------------------------------------------

    def migrate(self) -> int:
        """Create or migrate the schema (idempotent); return its version."""
        return ensure_schema(self.conn)

    def commit(self) -> None:
        """Commit the current transaction."""
        self.conn.commit()

    def rollback(self) -> None:
        """Roll the current transaction back."""
        self.conn.rollback()

    def _execute(self, query: Any, params: dict[str, Any] | None = None) -> Any:
        cur = self.conn.cursor()
        cur.execute(query, params)
        return cur

    def _scalar(self, query: Any, params: dict[str, Any] | None = None) -> Any:
        with self._execute(query, params) as cur:
            row = cur.fetchone()
        return row[0] if row else None

    # --- runs ---------------------------------------------------------------------------------------

    def begin_run(self, *, sync: str, dag_run: str, test: bool, force: bool, windowed: bool, fingerprint: str) -> int:
        """Open (or reopen, on a retried fetch) the synchronization-log row of a run; return its id."""
        params = dict(sync=sync, dag_run=dag_run, test=test, force=force, windowed=windowed, fingerprint=fingerprint)
        return int(self._scalar(sql.BEGIN_RUN, params))

    def get_run(self, sync: str, dag_run: str) -> RunRow | None:
        """Return the log row of a run, or None when its fetch never started."""
        with self._execute(sql.GET_RUN, {"sync": sync, "dag_run": dag_run}) as cur:
            row = cur.fetchone()
        return RunRow(*row) if row else None

    def finish_fetch(self, run: int, *, complete: bool, token: str, partitions: int, fetched: int) -> None:
        """Record that the fetch finished: how many objects, complete or not, how to partition the map."""
        params = dict(run=run, complete=complete, token=token, partitions=partitions, fetched=fetched)
        self._execute(sql.FINISH_FETCH, params).close()

    def record_stage(self, run: int, stage: str, part: str, stats: dict[str, Any]) -> None:
        """Store one stage's (or partition's) timing and counts in the run's ``stages`` column."""
        params = dict(run=run, stage=stage, part=part, stats=orjson.dumps(stats).decode())
        self._execute(sql.RECORD_STAGE, params).close()

    def finish_run(self, run: int, *, status: str, message: str, counts: dict[str, int]) -> None:
        """Close a run with its status, message and counts."""
        keys = ("fetched", "new", "changed", "unchanged", "deleted", "skipped", "invalid")
        params = {k: counts.get(k) for k in keys}
        self._execute(sql.FINISH_RUN, {**params, "run": run, "status": status, "message": message}).close()

    def fail_run(self, sync: str, dag_run: str, message: str) -> None:
        """Mark a still-running run failed (called when a task gives up)."""
        self._execute(sql.FAIL_RUN, {"sync": sync, "dag_run": dag_run, "message": message[:4000]}).close()

    def expire_logs(self, sync: str, run: int, days: int) -> None:
        """Delete log rows (and their contract logs) older than ``days`` for a synchronization."""
        self._execute(sql.EXPIRE_LOGS, {"sync": sync, "run": run, "days": days}).close()

    # --- staging ------------------------------------------------------------------------------------

    def reclaim_staging(self, sync: str, run: int) -> int:
        """Close runs of this synchronization that crashed long ago; drop the staging of finished runs."""
        self._execute(sql.ABANDON_STALE_RUNS, {"sync": sync, "run": run}).close()
        with self._execute(sql.STAGING_TABLES_OF_OTHER_RUNS, {"sync": sync, "run": run}) as cur:
            names = [r[0] for r in cur.fetchall()]
        self._drop_tables(names)
        return len(names)

    def drop_staging(self, run: int) -> None:
        """Drop all staging tables of a run."""
        with self._execute(sql.STAGING_TABLES_OF_RUN, {"prefix": f"r{run}\\_%"}) as cur:
            names = [r[0] for r in cur.fetchall()]
        self._drop_tables(names)

    def _drop_tables(self, names: list[str]) -> None:
        for name in names:
            self._execute(pgsql.SQL("DROP TABLE IF EXISTS {}").format(pgsql.Identifier(sql.STAGING_SCHEMA, name))).close()

    def create_objects_table(self, run: int) -> None:
        """(Re)create the run's staged-objects table; anything staged from an earlier attempt is dropped."""
        self.drop_staging(run)
        self._execute(sql.staging_sql(sql.CREATE_OBJECTS, run)).close()

    def objects_copier(self, run: int) -> CopyWriter:
        """Return a background COPY stream into the run's staged objects and bodies (see ``CopyWriter``)."""
        statements = [sql.staging_sql(t, run).as_string(self.conn) for t in (sql.COPY_OBJECTS, sql.COPY_BODIES)]
        return CopyWriter(self.conn, statements)


    def finish_staging(self, run: int) -> None:
        """Gather statistics on the staged objects and index their bodies, once the fetch is done."""
        self._execute(sql.staging_sql(sql.FINISH_STAGING, run)).close()

    def count_objects(self, run: int) -> int:
        """Count the run's staged objects (to check staging survived since the fetch)."""
        return int(self._scalar(sql.staging_sql(sql.COUNT_OBJECTS, run)))

    def list_to_map(self, run: int, *, sync: str, fingerprint: str, force: bool) -> int:
        """List (and count) the staged objects the map stage has to map."""
        params = dict(sync=sync, fingerprint=fingerprint, force=force)
        self._execute(sql.staging_sql(sql.CREATE_TO_MAP, run), params).close()
        return int(self._scalar(sql.staging_sql(sql.COUNT_TO_MAP, run)))

    def stream_to_map(
        self, run: int, *, first: int, last: int
    ) -> Iterator[tuple[int, int, str, bool, str, str | None]]:
        """Yield (seq, page, origin id, wide numbers, source JSON, contract target id) of objects first..last."""
        with self.conn.cursor(name=f"to_map_{run}_{first}") as cur:
            cur.itersize = STREAM_BATCH
            cur.execute(sql.staging_sql(sql.OBJECTS_TO_MAP, run), {"first": first, "last": last})
            yield from cur

    def create_mapped_table(self, run: int, partition: int) -> None:
        """(Re)create the table of one map partition's results."""
        table = sql.staging_table(run, f"mapped_{partition}")
        self._execute(pgsql.SQL("DROP TABLE IF EXISTS {}").format(table)).close()
        self._execute(pgsql.SQL(sql.CREATE_MAPPED).format(mapped=table)).close()

    def copy_mapped(self, run: int, partition: int, rows: bytes) -> None:
        """Append rows (COPY text format) to one map partition's results."""
        table = sql.staging_table(run, f"mapped_{partition}")
        with self.conn.cursor() as cur:
            cur.copy_expert(pgsql.SQL(sql.COPY_MAPPED).format(mapped=table).as_string(self.conn), io.BytesIO(rows),
                            size=1 << 20)

    def analyze_mapped(self, run: int, partition: int) -> None:
        """Gather planner statistics on one map partition's results."""
        table = sql.staging_table(run, f"mapped_{partition}")
        self._execute(pgsql.SQL("ANALYZE {}").format(table)).close()

    # --- hash-diff ----------------------------------------------------------------------------------

    def build_plan(self, run: int, *, sync: str, partitions: int, force: bool, requested_ids: bool = True) -> None:
        """Classify every staged object (create/update/unchanged/skipped/invalid) into the run's plan.

        :param requested_ids: whether the mapping asked for target ids (only those can repeat).
        """
        self._execute(pgsql.SQL("DROP TABLE IF EXISTS {}").format(sql.staging_table(run, "plan"))).close()
        target_dups = sql.TARGET_DUPS if requested_ids else sql.NO_TARGET_DUPS
        statement = sql.staging_sql(sql.CREATE_PLAN, run, partitions, target_dups=target_dups)
        self._execute(statement, {"sync": sync, "force": force}).close()

    def add_deletions(self, run: int, *, sync: str) -> None:
        """Add a 'delete' plan row for every live contract whose object is absent from this fetch."""
        self._execute(sql.staging_sql(sql.ADD_DELETIONS, run), {"sync": sync}).close()

    def analyze_plan(self, run: int) -> None:
        """Gather planner statistics on the plan for the write stage's joins."""
        self._execute(sql.staging_sql(sql.ANALYZE_PLAN, run)).close()

    def plan_counts(self, run: RunRow) -> dict[tuple[str, str | None], int]:
        """Return the number of objects per (action, write status), the unlisted unchanged ones included."""
        with self._execute(sql.staging_sql(sql.PLAN_COUNTS, run.id)) as cur:
            counts = {(action, status): int(n) for action, status, n in cur.fetchall()}
        listed = sum(n for (action, _), n in counts.items() if action != "delete")
        unlisted = (run.fetched or 0) - listed  # left alone by the map stage: unchanged, not in the plan
        if unlisted:
            counts[("unchanged", None)] = counts.get(("unchanged", None), 0) + unlisted
        return counts

    def count_live_contracts(self, sync: str) -> int:
        """Count contracts that point at a target object."""
        return int(self._scalar(sql.COUNT_LIVE_CONTRACTS, {"sync": sync}))

    def count_missing_ids(self, run: int) -> int:
        """Count staged objects that had no origin id."""
        return int(self._scalar(sql.staging_sql(sql.COUNT_MISSING_IDS, run)))

    # --- write --------------------------------------------------------------------------------------

    def apply_contracts(
        self, run: int, *, sync: str, fingerprint: str, partitions: int, now: dt.datetime,
        part: tuple[int, int] | None = None,
    ) -> None:
        """Bring contracts in line with a plan written as a whole: created/updated, deleted, then the rest."""
        # The insert goes last: every statement before it joins the contracts as the planner last saw
        # them, while after it a table that just grew by a million rows still has statistics saying
        # it is small (and a nested loop over it takes minutes).
        self.touch_unwritten_contracts(run, sync=sync, fingerprint=fingerprint, partitions=partitions, now=now,
                                       part=part)
        params = dict(sync=sync, fingerprint=fingerprint, run=run, now=now)
        for template in (sql.MARK_DELETED_CONTRACTS, sql.UPDATE_WRITTEN_CONTRACTS, sql.INSERT_WRITTEN_CONTRACTS):
            statement = sql.staging_sql(template, run, partitions, only_written="", part=sql.part_filter(part))
            self._execute(statement, params).close()

    def analyze_contracts(self) -> None:
        """Refresh the planner's statistics of contracts and objects after a run changed many rows.

        The next run's hash joins depend on them; autovacuum may not have caught up when runs follow
        each other closely (a backfill, a benchmark).
        """
        self._execute(sql.ANALYZE_CONTRACTS).close()

    def touch_unwritten_contracts(
        self, run: int, *, sync: str, fingerprint: str, partitions: int, now: dt.datetime,
        part: tuple[int, int] | None = None,
    ) -> None:
        """Record on the contracts of re-mapped unchanged, skipped and invalid objects that this run saw them."""
        params = dict(sync=sync, fingerprint=fingerprint, run=run, now=now)
        for template in (sql.TOUCH_MAPPED_UNCHANGED, sql.TOUCH_SEEN):
            self._execute(sql.staging_sql(template, run, partitions, part=sql.part_filter(part)), params).close()

    @contextlib.contextmanager
    def writer_lock(self, sync: str) -> Iterator[None]:
        """Hold the synchronization's writer lock (waits while another run of it is writing)."""
        self._execute(sql.LOCK_SYNCHRONIZATION, {"sync": sync}).close()
        try:
            yield
        finally:
            self.conn.rollback()
            self._execute(sql.UNLOCK_SYNCHRONIZATION, {"sync": sync}).close()
            self.conn.commit()

    # --- write: HTTP targets, batch by batch ---------------------------------------------------------

    def stream_pending_writes(self, run: int, partitions: int) -> Iterator[tuple[str, str, str | None, str | None, bool]]:
        """Yield (origin id, action, target id, mapped JSON, pending) of writes not yet recorded.

        The cursor survives the commits made after each batch (WITH HOLD) and reads the plan as it
        was when the write started, so recording outcomes never disturbs the iteration.
        """
        with self.conn.cursor(name=f"writes_{run}", withhold=True) as cur:
            cur.itersize = STREAM_BATCH
            cur.execute(sql.staging_sql(sql.PENDING_WRITES, run, partitions))
            yield from cur

    def mark_writes_pending(self, run: int, origins: list[str]) -> None:
        """Mark writes as started, so a crash before their outcome is recorded is known on retry."""
        self._execute(sql.staging_sql(sql.MARK_WRITES_PENDING, run), {"origins": origins}).close()

    def unmark_writes_pending(self, run: int, origins: list[str]) -> None:
        """Return writes the target never acted on to "not started"."""
        self._execute(sql.staging_sql(sql.UNMARK_WRITES_PENDING, run), {"origins": origins}).close()

    def record_write_outcomes(
        self, run: int, *, sync: str, fingerprint: str, partitions: int, now: dt.datetime, outcomes: list[Any]
    ) -> None:
        """Record one batch's outcomes and update the contracts of the writes that succeeded."""
        params = {
            "origins": [o.origin_id for o in outcomes],
            "statuses": [o.status for o in outcomes],
            "targets": [o.target_id for o in outcomes],
            "messages": [o.message for o in outcomes],
        }
        self._execute(sql.staging_sql(sql.RECORD_WRITE_OUTCOMES, run), params).close()
        done = [o.origin_id for o in outcomes if o.status == "done"]
        if done:
            only = "AND p.write_status = 'done' AND p.origin_id = ANY(%(done)s)"
            contract_params = dict(sync=sync, fingerprint=fingerprint, run=run, now=now, done=done)
            for template in (sql.UPDATE_WRITTEN_CONTRACTS, sql.INSERT_WRITTEN_CONTRACTS, sql.MARK_DELETED_CONTRACTS):
                self._execute(sql.staging_sql(template, run, partitions, only_written=only), contract_params).close()

    def clear_contract_log(self, run: int) -> None:
        """Delete the contract log of a run (left by an earlier attempt of its write)."""
        self._execute(sql.CLEAR_CONTRACT_LOG, {"run": run}).close()

    def insert_contract_log(
        self, run: int, *, sync: str, partitions: int, test: bool, level: str, part: tuple[int, int] | None = None
    ) -> None:
        """Log what happened to each object: ``level`` full (with bodies), actions, or errors.

        Invalid objects and writes the target refused always keep their source and mapped objects.
        """
        if level == "none":
            return
        params = dict(run=run, sync=sync, test=test)
        with_bodies = [sql.LOG_REJECTED] + ([sql.LOG_WRITTEN] if level == "full" else [])
        plain = [sql.LOG_WRITTEN] if level == "actions" else []
        for template, which in [(sql.INSERT_CONTRACT_LOG_WITH_BODIES, w) for w in with_bodies] + [
            (sql.INSERT_CONTRACT_LOG_ACTIONS, w) for w in plain
        ]:
            statement = sql.staging_sql(template, run, partitions, which=which, part=sql.part_filter(part))
            self._execute(statement, params).close()

    # --- the built-in register store ------------------------------------------------------------------

    def ensure_register_schema(self, register: Any, schema_slug: str) -> tuple[int, int]:
        """Create or update the register and schema rows from their files; return their numeric ids."""
        schema = register.schemas[schema_slug]
        register_id = self._scalar(
            sql.UPSERT_REGISTER,
            dict(slug=register.slug, title=register.title, description=register.description, version=register.version),
        )
        definition = Json(schema.model_dump(by_alias=True, exclude={"title", "description", "version"}))
        schema_id = self._scalar(
            sql.UPSERT_SCHEMA,
            dict(register=register_id, slug=schema_slug, title=schema.title, description=schema.description,
                 version=schema.version, definition=definition),
        )
        return int(register_id), int(schema_id)

    def write_register_objects(
        self, run: int, *, sync: str, register: int, schema: int, partitions: int, now: dt.datetime,
        part: tuple[int, int] | None = None,
    ) -> None:
        """Write created/updated objects and soft-delete vanished ones in the register store."""
        params = dict(sync=sync, register=register, schema=schema, now=now)
        # Deletes first and the insert last, for the same reason as in apply_contracts: the insert may
        # grow the table a lot. The update must come before the insert, or it would rewrite what it inserted.
        for template in (sql.SOFT_DELETE_REGISTER_OBJECTS, sql.UPDATE_REGISTER_OBJECTS, sql.INSERT_REGISTER_OBJECTS):
            self._execute(sql.staging_sql(template, run, partitions, part=sql.part_filter(part)), params).close()

    def list_register_objects(self, register: str, schema: str, *, deleted: bool = False) -> list[dict[str, Any]]:
        """Return the objects of a register schema in OpenRegister's shape (oldest first)."""
        with self._execute(sql.LIST_REGISTER_OBJECTS, dict(register=register, schema=schema, deleted=deleted)) as cur:
            return [row[0] for row in cur.fetchall()]

    # --- maintenance ---------------------------------------------------------------------------------

    def reset_synchronization(self, sync: str) -> None:
        """Delete a synchronization's contracts, logs and register objects (its staging goes with its runs)."""
        for run in self.runs(sync):
            self.drop_staging(run["id"])
        self._execute(sql.RESET_SYNCHRONIZATION, {"sync": sync}).close()

    # --- inspection -----------------------------------------------------------------------------------

    def contracts(self, sync: str) -> list[dict[str, Any]]:
        """Return every contract of a synchronization as dicts (for tests, the demo and the CLI)."""
        return self._dicts(sql.GET_CONTRACTS, {"sync": sync})

    def contract_status(self, sync: str) -> list[dict[str, Any]]:
        """Return every contract with when its object was last seen (``seen_in_run``, ``checked_at``)."""
        return self._dicts(sql.GET_CONTRACT_STATUS, {"sync": sync})

    def runs(self, sync: str) -> list[dict[str, Any]]:
        """Return the synchronization log of a synchronization, oldest first."""
        return self._dicts(sql.GET_RUNS, {"sync": sync})

    def contract_log(self, run: int) -> list[dict[str, Any]]:
        """Return the contract log of one run."""
        return self._dicts(sql.GET_CONTRACT_LOG, {"run": run})

    def _dicts(self, query: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        with self._execute(query, params) as cur:
            names = [d[0] for d in cur.description]
            return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
