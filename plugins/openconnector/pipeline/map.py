"""The map stage: map, validate and hash the staged objects that changed, one partition per task.

Only objects that are new, changed at the source, or last mapped by another mapping are read: an
unchanged re-sync maps nothing. One bad object becomes an error row; it never stops the partition.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any, Final

from openconnector.core.hashing import canonical_json
from openconnector.core.mapping import Bindings, Mapper
from openconnector.db import copyfmt
from openconnector.db.store import RunRow, Store
from openconnector.errors import MappingError, StagingError
from openconnector.pipeline.context import RunContext
from openconnector.pipeline.metrics import StageClock
from openconnector.targets import InvalidObject, Target, derived_target_id

log = logging.getLogger(__name__)

FLUSH_BYTES: Final = 4 << 20


def run_map(
    ctx: RunContext, store: Store, run: RunRow, partition: int, mapper: Mapper, target: Target
) -> dict[str, Any]:
    """Map one partition of the run's staged objects into its mapped table; return its stats."""
    if run.fetch_complete is None or run.partitions is None:
        raise StagingError(f"run {run.id} of {ctx.synchronization_id} has no finished fetch; re-run the fetch task")
    if not 0 <= partition < run.partitions:
        raise StagingError(f"partition {partition} does not exist: the fetch planned {run.partitions}")
    clock = StageClock()
    store.create_mapped_table(run.id, partition)
    bindings = Bindings(
        synchronization_id=ctx.synchronization_id,
        run_timestamp=ctx.timestamp_text,
        data_interval_start=_iso(ctx.data_interval_start),
        data_interval_end=_iso(ctx.data_interval_end),
    )
    buffer = bytearray()
    mapped = errors = requested = 0
    first, last = partition_range(int(run.stages["fetch"]["0"]["to_map"]), partition, run.partitions)
    # Per-object bindings only for a mapping that reads them: building one costs 3 us an object.
    per_object = mapper.reads_object_bindings
    rows = store.stream_to_map(run.id, first=first, last=last)
    # The COPY is synchronous here: the connection is also streaming the objects to map (a named
    # cursor), and psycopg2 does not interleave the two safely from two threads.
    for seq, page, origin_id, wide, body, contract_target_id in rows:
        object_bindings = bindings.for_object(origin_id, {"page": page}) if per_object else bindings
        line, ok, asked = _map_one(ctx, mapper, target, object_bindings, origin_id, seq, body, wide, contract_target_id)
        buffer += line
        mapped += 1
        errors += not ok
        requested += asked
        if len(buffer) >= FLUSH_BYTES:
            store.copy_mapped(run.id, partition, bytes(buffer))
            buffer.clear()
    if buffer:
        store.copy_mapped(run.id, partition, bytes(buffer))
    store.analyze_mapped(run.id, partition)
    stats = clock.stats(mapped, invalid=errors, requested=requested, fetch_token=run.fetch_token)
    store.record_stage(run.id, "map", str(partition), stats)
    store.commit()
    log.info("Partition %d/%d: mapped %d objects, %d invalid", partition + 1, run.partitions, mapped, errors)
    return stats


def partition_range(to_map: int, partition: int, partitions: int) -> tuple[int, int]:
    """Return the numbers (1-based, inclusive) of the objects to map that one partition maps."""
    return to_map * partition // partitions + 1, to_map * (partition + 1) // partitions


def _map_one(
    ctx: RunContext, mapper: Mapper, target: Target, bindings: Bindings, origin_id: str, seq: int, body: str,
    wide: bool, contract_target_id: str | None,
) -> tuple[bytes, bool, bool]:
    """Return the COPY line for one object, whether it mapped cleanly, and whether it asked for a target id."""
    seq_field = str(seq).encode()
    try:
        result = mapper.apply_text(body, bindings, wide_numbers=wide)
        prepared = target.prepare(result)
    except (MappingError, InvalidObject) as exc:
        return copyfmt.row(seq_field, copyfmt.NULL, copyfmt.NULL, copyfmt.text_field(str(exc)), copyfmt.NULL), False, False
    target_id = contract_target_id or prepared.requested_id or derived_target_id(ctx.synchronization_id, origin_id)
    # The canonical text is both what is hashed and what is stored: the mapped column is jsonb, which
    # keeps no key order, so a second serialization in the mapping's own order would be thrown away.
    canonical = canonical_json(prepared.body)
    target_hash = hashlib.sha256(canonical).hexdigest().encode()
    line = copyfmt.row(seq_field, copyfmt.text_field(target_id), target_hash, copyfmt.NULL, copyfmt.json_field(canonical))
    return line, True, prepared.requested_id is not None


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None
