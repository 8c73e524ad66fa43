"""The four stages against a real Postgres, in-process: the rules the DAG's tasks implement.

The end-to-end tests run the same stages as Airflow tasks; these tests reach the corners (bad
objects, duplicates, guards, partitions, staging checks) quickly and precisely.
"""

from __future__ import annotations

import datetime as dt
import itertools
import textwrap
from pathlib import Path
from typing import Any

import pytest

from devkit.records import make_record
from openconnector.db.store import Store
from openconnector.errors import StagingError
from openconnector.pipeline.components import build_components, build_condition
from openconnector.pipeline.context import RunContext
from openconnector.pipeline.diff import DeletionRefused, run_diff
from openconnector.pipeline.fetch import FetchInput, run_fetch
from openconnector.pipeline.map import run_map
from openconnector.pipeline.write import run_write
from openconnector.sources import Page
from openconnector.spec.loader import load_spec

pytestmark = pytest.mark.integration
_ids = itertools.count()


def make_spec(include_dir: Path, **extra: str) -> Any:
    sync_id = f"pipe_{next(_ids)}_{dt.datetime.now().strftime('%H%M%S%f')}"
    lines = "".join(f"{key}: {value}\n" for key, value in extra.items())
    text = f"""
    id: {sync_id}
    source: {{connection: unused, resultsPosition: data.items}}
    mapping: demo_companies.jsonata
    target: {{type: register, register: demo, schema: company}}
    """
    path = include_dir / "synchronizations" / f"{sync_id}.yaml"
    path.write_text(textwrap.dedent(text) + lines)
    return load_spec(path)


def pages_of(objects: list[Any], size: int = 10) -> list[Page]:
    return [Page(n + 1, objects[i:i + size], f"/api?page={n + 1}") for n, i in enumerate(range(0, len(objects), size))]


def records(n: int, version: int = 0, skip: tuple[int, ...] = ()) -> list[dict[str, Any]]:
    return [make_record(i, seed=3, version=version) for i in range(n) if i not in skip]


def sync(store: Store, spec: Any, objects: list[Any], *, test: bool = False, force: bool = False,
         run: str | None = None, windowed: bool = False) -> Any:
    """Run fetch → map → hash-diff → write in-process, as the DAG's tasks do."""
    ctx = RunContext(spec.id, run or f"manual__{next(_ids)}", dt.datetime(2026, 1, 2, tzinfo=dt.UTC), test, force)
    parts = build_components(spec)
    fetched = run_fetch(spec, ctx, store, FetchInput(pages_of(objects), build_condition(spec), windowed,
                                                      parts.fingerprint))
    for partition in fetched.partitions:
        run_map(ctx, store, store.get_run(spec.id, ctx.dag_run_id), partition, parts.mapping.compile(), parts.target)
    run_diff(spec, ctx, store, store.get_run(spec.id, ctx.dag_run_id))
    return run_write(ctx, store, store.get_run(spec.id, ctx.dag_run_id), parts.target,
                     contract_log=spec.contract_log)


def counts(report: Any) -> tuple[int, ...]:
    c = report.counts
    return c.fetched, c.new, c.changed, c.unchanged, c.deleted, c.skipped, c.invalid


def test_one_bad_object_never_stops_the_others(store: Store, include_dir: Path) -> None:
    spec = make_spec(include_dir)
    objects = records(12)
    objects[2]["employees"] = "a dozen"                       # $number fails: a mapping error
    objects[5]["registration"]["number"] = "12-34"            # fails the schema's pattern
    objects[7] = "not an object"                              # not even an object
    del objects[9]["id"]                                      # no origin id
    report = sync(store, spec, objects)
    assert counts(report) == (12, 8, 0, 0, 0, 0, 4)
    entries = store.contract_log(report.run_id)
    log = {(e["origin_id"], e["action"]): e for e in entries if e["origin_id"]}
    mapping_error = log[(objects[2]["id"], "invalid")]["error"]
    assert "demo_companies.jsonata" in mapping_error
    assert "D3030" in mapping_error
    assert "should match pattern" in log[(objects[5]["id"], "invalid")]["error"]
    assert "registrationNumber" in log[(objects[5]["id"], "invalid")]["error"]
    invalid_without_id = [e["error"] for e in entries if e["origin_id"] is None]
    assert any("is a JSON string, not an object" in e for e in invalid_without_id)
    assert any("no origin id at idPosition 'id'" in e and "page 1, object 10" in e for e in invalid_without_id)
    assert "Nothing deleted: 2 objects had no origin id" in report.deletion_note
    assert log[(objects[2]["id"], "invalid")]["source"]["employees"] == "a dozen"  # the source is kept for the user
    assert len(store.contracts(spec.id)) == 8


def test_duplicate_origin_ids_keep_the_first(store: Store, include_dir: Path) -> None:
    spec = make_spec(include_dir)
    objects = records(5)
    twin = dict(objects[1], status="DISSOLVED")
    report = sync(store, spec, [*objects, twin])
    assert counts(report) == (6, 5, 0, 0, 0, 0, 1)
    [row] = [r for r in store.list_register_objects("demo", "company")
             if r["@self"]["originId"] == objects[1]["id"] and r["@self"]["synchronization"] == spec.id]
    assert row["status"] == objects[1]["status"].lower()
    errors = [e["error"] for e in store.contract_log(report.run_id) if e["action"] == "invalid"]
    assert errors == [f"duplicate origin id '{objects[1]['id']}': the source listed it more than once; the first one was used"]


def test_a_target_id_requested_twice_keeps_the_first_and_the_run_goes_on(store: Store, include_dir: Path) -> None:
    # The mapping takes the object's id from a source field that is not unique (a data bug): one target
    # object must never be written by two source objects, and the rest of the run must not suffer.
    (include_dir / "mappings" / "own_id.jsonata").write_text(
        '{"id": ownId, "registrationNumber": registration.number, "name": name.legal, "status": "active"}'
    )
    spec = make_spec(include_dir)
    path = include_dir / "synchronizations" / f"{spec.id}.yaml"
    path.write_text(spec.text.replace("demo_companies.jsonata", "own_id.jsonata"))
    spec = load_spec(path)
    shared, own = "0b7e2f3c-52d8-4a4e-9a55-6f1d1f6b8a01", "5c3f0e0a-1c7d-4f4b-8f3e-2b9d7a6c4e02"
    objects = [dict(r, ownId=uid) for r, uid in zip(records(4), [shared, own, shared, None], strict=True)]
    report = sync(store, spec, objects)
    assert counts(report) == (4, 3, 0, 0, 0, 0, 1)
    stored = {o["@self"]["originId"]: o for o in store.list_register_objects("demo", "company")
              if o["@self"]["synchronization"] == spec.id}
    assert stored[objects[0]["id"]]["id"] == shared
    assert objects[2]["id"] not in stored
    [error] = [e["error"] for e in store.contract_log(report.run_id) if e["action"] == "invalid"]
    assert error.startswith(f"duplicate target id '{shared}': an earlier object of this run has it")


def test_conditions_skip_objects_and_never_touch_the_target(store: Store, include_dir: Path) -> None:
    spec = make_spec(include_dir, conditions="{'==': [{var: status}, ACTIVE]}")
    objects = records(30)
    active = sum(o["status"] == "ACTIVE" for o in objects)
    assert 0 < active < 30
    report = sync(store, spec, objects)
    assert counts(report) == (30, active, 0, 0, 0, 30 - active, 0)
    flipped = next(o for o in objects if o["status"] == "ACTIVE")
    flipped["status"] = "DISSOLVED"
    again = sync(store, spec, objects)
    assert (again.counts.skipped, again.counts.deleted, again.counts.unchanged) == (31 - active, 0, active - 1)
    assert len([c for c in store.contracts(spec.id) if c["target_id"]]) == active


def test_unchanged_changed_removed_and_forced(store: Store, include_dir: Path) -> None:
    spec = make_spec(include_dir)
    assert counts(sync(store, spec, records(40))) == (40, 40, 0, 0, 0, 0, 0)
    before = {c["origin_id"]: c for c in store.contracts(spec.id)}
    assert counts(sync(store, spec, records(40))) == (40, 0, 0, 40, 0, 0, 0)
    after = {c["origin_id"]: c for c in store.contracts(spec.id)}
    assert all(after[k]["target_hash"] == before[k]["target_hash"] for k in before)
    assert after == before, "an unchanged re-sync rewrote contracts"
    seen = {c["origin_id"]: c["seen_in_run"] for c in store.contract_status(spec.id)}
    last_run = store.runs(spec.id)[-1]["id"]
    assert set(seen.values()) == {last_run}, "contract_status does not show the unchanged run saw every object"

    objects = records(40, skip=(4,))
    objects[0] = make_record(0, seed=3, version=1)
    objects[1] = dict(objects[1], sic=["00000"])   # a source field the mapping ignores: not a target change
    report = sync(store, spec, objects)
    assert counts(report) == (39, 0, 1, 38, 1, 0, 0)
    assert {c["origin_id"]: c["origin_hash"] for c in store.contracts(spec.id)}[objects[1]["id"]] != \
        before[objects[1]["id"]]["origin_hash"], "the new origin hash must be kept so the next run skips mapping"
    assert counts(sync(store, spec, objects)) == (39, 0, 0, 39, 0, 0, 0)

    forced = sync(store, spec, objects, force=True)
    assert counts(forced) == (39, 0, 39, 0, 0, 0, 0)

    back = sync(store, spec, records(40))  # the removed object reappears: created again, same target id
    assert (back.counts.new, back.counts.changed) == (1, 1)
    reappeared = next(c for c in store.contracts(spec.id) if c["origin_id"] == records(5)[4]["id"])
    assert reappeared["target_id"] == before[reappeared["origin_id"]]["target_id"]
    live = {o["id"] for o in store.list_register_objects("demo", "company") if o["@self"]["synchronization"] == spec.id}
    assert reappeared["target_id"] in live, "the soft-deleted register object did not come back"
    assert len(live) == 40


def test_windowed_and_test_runs_delete_nothing(store: Store, include_dir: Path) -> None:
    spec = make_spec(include_dir)
    sync(store, spec, records(20))
    windowed = sync(store, spec, records(5), windowed=True)
    assert (windowed.counts.deleted, windowed.counts.unchanged) == (0, 5)
    assert "windowed" in windowed.deletion_note
    test = sync(store, spec, records(10), test=True)
    assert test.counts.deleted == 10
    assert test.test
    assert len([c for c in store.contracts(spec.id) if c["target_id"]]) == 20


def test_mass_deletion_is_refused_and_nothing_is_written(store: Store, include_dir: Path) -> None:
    spec = make_spec(include_dir, deletion="{maxFraction: 0.5}")
    sync(store, spec, records(20))
    with pytest.raises(DeletionRefused, match=r"12 of 20 synchronized objects \(60%\) vanished"):
        sync(store, spec, records(8))
    store.rollback()
    assert len([c for c in store.contracts(spec.id) if c["target_id"]]) == 20
    assert sync(store, spec, records(8), force=True).counts.deleted == 12  # force means: I know


@pytest.mark.parametrize(("partitions", "per_writer"), [(1, 10**9), (3, 10**9), (2, 20)])
def test_partitions_and_parallel_writers_give_the_same_result(
    store: Store, include_dir: Path, partitions: int, per_writer: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    import openconnector.pipeline.write as write_stage

    monkeypatch.setattr(write_stage, "WRITES_PER_WRITER", per_writer)  # 2, 20: four parallel writers
    spec = make_spec(include_dir, partitions=str(partitions))
    report = sync(store, spec, records(90))
    assert counts(report) == (90, 90, 0, 0, 0, 0, 0)
    assert len(report.stages["map"]) == partitions
    objects = [o for o in store.list_register_objects("demo", "company") if o["@self"]["synchronization"] == spec.id]
    contracts = store.contracts(spec.id)
    assert len(objects) == len(contracts) == 90
    assert {c["target_id"] for c in contracts} == {o["id"] for o in objects}
    assert len(store.contract_log(report.run_id)) == 90
    changed = sync(store, spec, records(90, version=1, skip=(0, 1, 2)))
    assert (changed.counts.deleted, changed.counts.new) == (3, 0)
    assert len([c for c in store.contracts(spec.id) if c["target_id"]]) == 87


def test_staging_is_dropped_after_the_run_and_leftovers_are_reclaimed(store: Store, include_dir: Path) -> None:
    spec = make_spec(include_dir)
    parts = build_components(spec)

    def fetch_only(dag_run: str) -> Any:
        ctx = RunContext(spec.id, dag_run, dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
        run_fetch(spec, ctx, store, FetchInput(pages_of(records(10)), None, False, parts.fingerprint))
        return ctx, store.get_run(spec.id, dag_run)

    ctx, failed = fetch_only("failed")
    with pytest.raises(StagingError, match="map partition 0 has not run since the last fetch"):
        run_diff(spec, ctx, store, failed)
    store.rollback()
    store.fail_run(spec.id, "failed", "map failed")
    _, live = fetch_only("live")            # e.g. a backfill run, still going
    _, stale = fetch_only("stale")          # a worker killed more than a day ago
    with store.conn.cursor() as cur:
        cur.execute("UPDATE openconnector.synchronization_log SET started_at = now() - interval '2 days' "
                    "WHERE id = %s", (stale.id,))
    store.commit()

    report = sync(store, spec, records(10))
    assert not _staging_tables(store, failed.id), "a failed run's staging was not reclaimed"
    assert not _staging_tables(store, stale.id), "a stale run's staging was not reclaimed"
    assert _staging_tables(store, live.id), "the staging of a run that may still be going was dropped"
    assert not _staging_tables(store, report.run_id), "a finished run's staging was not dropped"
    status = {r["dag_run_id"]: r["status"] for r in store.runs(spec.id)}
    assert (status["failed"], status["stale"], status["live"]) == ("failed", "failed", "running")


def test_writes_of_one_synchronization_are_serialized(store: Store, include_dir: Path, contracts_db: dict) -> None:
    import psycopg2

    spec = make_spec(include_dir)
    other = Store(psycopg2.connect(**contracts_db))
    try:
        with other.writer_lock(spec.id):
            with store.conn.cursor() as cur:
                cur.execute("SELECT pg_try_advisory_lock(hashtext('openconnector:' || %s))", (spec.id,))
                assert cur.fetchone()[0] is False, "a second writer got the lock"
        with store.conn.cursor() as cur:
            cur.execute("SELECT pg_try_advisory_lock(hashtext('openconnector:' || %s))", (spec.id,))
            assert cur.fetchone()[0] is True, "the lock was not released"
            cur.execute("SELECT pg_advisory_unlock(hashtext('openconnector:' || %s))", (spec.id,))
    finally:
        other.conn.close()


def test_contract_log_keeps_source_and_mapped_objects(store: Store, include_dir: Path) -> None:
    spec = make_spec(include_dir)
    report = sync(store, spec, records(3))
    entries = store.contract_log(report.run_id)
    assert [e["action"] for e in entries] == ["create"] * 3
    first = entries[0]
    assert first["source"]["id"] == first["origin_id"]
    assert first["mapped"]["name"] == first["source"]["name"]["legal"]


def _staging_tables(store: Store, run: int) -> list[str]:
    with store.conn.cursor() as cur:
        cur.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'openconnector_staging' AND tablename LIKE %s",
                    (f"r{run}\\_%",))
        return [r[0] for r in cur.fetchall()]


def test_contract_log_of_a_large_run_keeps_bodies_only_for_invalid_objects(
    store: Store, include_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import openconnector.pipeline.write as write_stage

    monkeypatch.setattr(write_stage, "AUTO_BODIES_LIMIT", 5)  # contractLog: auto, a "large" run
    spec = make_spec(include_dir)
    objects = records(8)
    objects[3]["employees"] = "many"
    entries = {e["origin_id"]: e for e in store.contract_log(sync(store, spec, objects).run_id)}
    assert len(entries) == 8
    assert entries[objects[3]["id"]]["action"] == "invalid"
    assert entries[objects[3]["id"]]["source"]["employees"] == "many"
    created = [e for e in entries.values() if e["action"] == "create"]
    assert len(created) == 7
    assert all(e["source"] is None and e["mapped"] is None for e in created)

    full = make_spec(include_dir, contractLog="full")
    entries = store.contract_log(sync(store, full, records(8)).run_id)
    assert all(e["source"] and e["mapped"] for e in entries)


def test_integers_beyond_2_53_stay_exact_through_the_run(store: Store, include_dir: Path) -> None:
    (include_dir / "mappings" / "exact.jsonata").write_text(
        '{"registrationNumber": $string(registration.number), "name": name.legal, "status": "active", '
        '"phone": $string(branch), "page": $string($source.page)}'
    )
    spec = make_spec(include_dir)
    text = spec.text.replace("demo_companies.jsonata", "exact.jsonata")
    path = include_dir / "synchronizations" / f"{spec.id}.yaml"
    path.write_text(text)
    spec = load_spec(path)
    objects = records(12)
    objects[4]["registration"]["number"] = 12345678901234567  # 17 digits, a JSON number
    objects[4]["branch"] = 9007199254740993
    sync(store, spec, objects)
    stored = {o["@self"]["originId"]: o for o in store.list_register_objects("demo", "company")
              if o["@self"]["synchronization"] == spec.id}
    assert stored[objects[4]["id"]]["registrationNumber"] == "12345678901234567"
    assert stored[objects[4]["id"]]["phone"] == "9007199254740993"
    assert stored[objects[11]["id"]]["page"] == "2"  # $source.page: the page the object came from
