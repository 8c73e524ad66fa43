"""The fetch stage: stream every source page into the run's staging table.

Per object it finds the origin id, applies the conditions, computes the origin hash, and appends one
COPY line; one page at a time is held in memory. The fetch is complete only when every page was read
and the run is not windowed: only then may later stages delete anything.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Final

import orjson

from openconnector.core.hashing import canonical_json_checked
from openconnector.core.paths import MISSING, get_path
from openconnector.db import copyfmt
from openconnector.db.store import CopyWriter, Store
from openconnector.errors import OpenConnectorError
from openconnector.pipeline.context import RunContext
from openconnector.pipeline.metrics import StageClock
from openconnector.spec.synchronization import SynchronizationSpec

log = logging.getLogger(__name__)

#: Objects to map per map partition when ``partitions: auto``, which also runs at most one partition per
#: CPU: mapping is CPU-bound, so more partitions than cores only add task start-ups (measured at 1M
#: objects on 2 cores: 4 partitions map in 44.9 s, 2 in 41.5 s).
OBJECTS_PER_PARTITION: Final = 250_000
MAX_AUTO_PARTITIONS: Final = 8
#: Flush COPY lines to Postgres after this many bytes.
FLUSH_BYTES: Final = 4 << 20

_OK, _SKIPPED, _INVALID = b"ok", b"skipped", b"invalid"
#: COPY booleans of the ``wide`` column: integers beyond 2^53 in the object (mapped on the exact path).
_WIDE, _NARROW = b"t", b"f"


@dataclass(frozen=True)
class FetchResult:
    """What the fetch stage reports to the next stages (through XCom: counts only)."""

    run_id: int
    fetched: int
    pages: int
    complete: bool
    to_map: int
    partitions: list[int]

    def as_xcom(self) -> dict[str, Any]:
        """Return the small dict the map stage expands over (``partitions``)."""
        return {
            "run": self.run_id,
            "fetched": self.fetched,
            "pages": self.pages,
            "complete": self.complete,
            "to_map": self.to_map,
            "partitions": self.partitions,
        }


@dataclass(frozen=True)
class FetchInput:
    """The parts the Airflow layer builds for the fetch: pages, conditions, mode."""

    pages: Iterable[Any]  # objects with .number and .objects (openconnector.sources.Page)
    matches: Callable[[Any], bool] | None
    windowed: bool
    fingerprint: str


def run_fetch(spec: SynchronizationSpec, ctx: RunContext, store: Store, source: FetchInput) -> FetchResult:
    """Stage every source object of this run; fail (and stage nothing usable) if any page fails."""
    clock = StageClock()
    run = store.begin_run(
        sync=spec.id, dag_run=ctx.dag_run_id, test=ctx.test, force=ctx.force,
        windowed=source.windowed, fingerprint=source.fingerprint,
    )
    reclaimed = store.reclaim_staging(spec.id, run)
    store.create_objects_table(run)
    store.commit()
    if reclaimed:
        log.info("Reclaimed %d staging tables left by earlier runs of %s", reclaimed, spec.id)

    stager = _Stager(store.objects_copier(run), spec.source.id_position, source.matches)
    pages = 0
    try:
        for page in source.pages:
            pages += 1
            stager.add_page(page.number, page.objects)
            log.info("Page %d: %d objects (%d so far)", page.number, len(page.objects), stager.count)
    finally:
        stager.close()
    store.finish_staging(run)

    to_map = store.list_to_map(run, sync=spec.id, fingerprint=source.fingerprint, force=ctx.force)
    partitions = choose_partitions(spec.partitions, to_map)
    complete = not source.windowed
    store.finish_fetch(run, complete=complete, token=uuid.uuid4().hex, partitions=len(partitions), fetched=stager.count)
    stats = clock.stats(stager.count, pages=pages, complete=complete, to_map=to_map, **stager.tally)
    store.record_stage(run, "fetch", "0", stats)
    store.commit()
    return FetchResult(run, stager.count, pages, complete, to_map, partitions)


def choose_partitions(setting: int | str, to_map: int, cpus: int | None = None) -> list[int]:
    """Return the map partitions to run: none when nothing needs mapping, else ``setting`` or auto.

    ``auto``: one per ``OBJECTS_PER_PARTITION`` objects to map, at most one per CPU of this worker.
    """
    if to_map == 0:
        return []
    if isinstance(setting, int):
        return list(range(setting))
    cores = min(MAX_AUTO_PARTITIONS, cpus or available_cpus())
    return list(range(max(1, min(cores, math.ceil(to_map / OBJECTS_PER_PARTITION)))))


def available_cpus() -> int:
    """Return the CPUs this process may run on (its affinity, where the platform tells it)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


class _Stager:
    """Turn source objects into COPY lines and push them to staging in large batches."""

    def __init__(self, copier: CopyWriter, id_position: str, matches: Callable[[Any], bool] | None) -> None:
        self.copier, self.id_position, self.matches = copier, id_position, matches
        self.buffer = bytearray()  # the narrow rows: ids, hashes, status
        self.bodies = bytearray()  # the source objects, by seq
        self.count = 0
        self.tally = {"skipped": 0, "invalid": 0}

    def add_page(self, page_number: int, objects: list[Any]) -> None:
        page = str(page_number).encode()
        for index, obj in enumerate(objects, start=1):
            self.count += 1
            self.buffer += self._line(obj, page, f"page {page_number}, object {index}")
        if len(self.bodies) >= FLUSH_BYTES:
            self.flush()

    def flush(self) -> None:
        if self.buffer:
            self.copier.send(bytes(self.buffer), bytes(self.bodies))
            self.buffer.clear()
            self.bodies.clear()

    def close(self) -> None:
        self.flush()
        self.copier.close()

    def _line(self, obj: Any, page: bytes, where: str) -> bytes:
        seq = str(self.count).encode()
        lead = seq + b"\t" + page  # the seq and page columns
        if not isinstance(obj, dict):
            error = f"{where} is a JSON {_json_type(obj)}, not an object; check source.resultsPosition"
            return self._invalid(seq, lead, None, error, obj)
        origin_id, problem = origin_id_of(obj, self.id_position)
        try:
            skipped = self.matches is not None and not self.matches(obj)
        except OpenConnectorError as exc:  # one object the rule cannot evaluate is invalid, not fatal
            return self._invalid(seq, lead, origin_id, f"{where}: {exc}", obj)
        if skipped:
            self.tally["skipped"] += 1
            return copyfmt.row(lead, copyfmt.text_field(origin_id), copyfmt.NULL, _NARROW, _SKIPPED, copyfmt.NULL)
        if origin_id is None:
            return self._invalid(seq, lead, None, f"{where}: {problem}", obj)
        # The hash ignores key order; the stored body keeps the source's order, which JSONata can see
        # ($keys, $each), so a mapping behaves in a run exactly as in `mapping test`.
        canonical, wide = canonical_json_checked(obj)
        origin_hash = hashlib.sha256(canonical).hexdigest().encode()
        self.bodies += copyfmt.row(seq, copyfmt.json_field(_compact_json(obj)))
        return copyfmt.row(lead, copyfmt.text_field(origin_id), origin_hash, _WIDE if wide else _NARROW, _OK,
                           copyfmt.NULL)

    def _invalid(self, seq: bytes, lead: bytes, origin_id: str | None, error: str, obj: Any) -> bytes:
        self.tally["invalid"] += 1
        self.bodies += copyfmt.row(seq, copyfmt.json_field(_compact_json(obj)))
        return copyfmt.row(lead, copyfmt.text_field(origin_id), copyfmt.NULL, _NARROW, _INVALID,
                           copyfmt.text_field(error))


def origin_id_of(obj: dict[str, Any], id_position: str) -> tuple[str | None, str]:
    """Return the object's origin id as text, or None and why not."""
    value = get_path(obj, id_position)
    if value is MISSING or value is None or value == "":
        keys = ", ".join(repr(k) for k in list(obj)[:12])
        return None, f"no origin id at idPosition {id_position!r} (the object has keys {keys}); set source.idPosition"
    if isinstance(value, bool) or isinstance(value, dict | list):
        return None, f"the value at idPosition {id_position!r} is a JSON {_json_type(value)}, not a string or number"
    if isinstance(value, float):
        return (str(int(value)) if value.is_integer() else repr(value)), ""
    return str(value), ""


def _compact_json(value: Any) -> bytes:
    try:
        return orjson.dumps(value)
    except TypeError:  # integers beyond 64 bits: the standard library prints them exactly
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def _json_type(value: Any) -> str:
    names = {dict: "object", list: "array", str: "string", bool: "boolean", int: "number", float: "number"}
    return "null" if value is None else names.get(type(value), type(value).__name__)
