"""Synchronizations run as their Airflow DAGs, triggered through the REST API of a real Airflow.

Each test drives one synchronization against a live loopback source and checks what users rely on:
counts, contracts, target rows, and that failures and Test runs change nothing.
"""

from __future__ import annotations

from typing import Any

import pytest

from devkit.airflow_env import LocalAirflow
from devkit.records import make_record
from openconnector.core.mapping import Bindings, load_mapping
from openconnector.db.store import Store
from openconnector.spec.mapping import MappingRef
from openconnector.spec.target import RegisterTarget as RegisterTargetSpec
from openconnector.targets.register import RegisterTarget
from tests.e2e.conftest import COUNT, Scenario

pytestmark = pytest.mark.e2e


def run_sync(airflow: LocalAirflow, case: Scenario, **conf: Any) -> dict[str, Any]:
    """Trigger the scenario's DAG, require success, return the write task's report."""
    run_id, state = airflow.run(case.dag_id, conf=conf)
    assert state == "success", f"{case.dag_id} run {run_id} ended {state}: {_failure(airflow, case, run_id)}"
    report = dict(airflow.xcom(case.dag_id, run_id, "write"))
    print(describe(case.dag_id, run_id, report))  # shown with -s, and with the output of a failing test
    return report


def describe(dag_id: str, run_id: str, report: dict[str, Any]) -> str:
    """One line a user would read off the write task's report table."""
    keys = ("fetched", "new", "changed", "unchanged", "deleted", "skipped", "invalid", "failed")
    return f"{dag_id} {run_id}: " + " · ".join(f"{k} {report.get(k, 0)}" for k in keys)


def counts(report: dict[str, Any]) -> dict[str, int]:
    keys = ("fetched", "new", "changed", "unchanged", "deleted", "skipped", "invalid")
    return {k: report[k] for k in keys}


def expected_objects(case: Scenario, indexes: range, versions: dict[int, int] | None = None) -> dict[str, dict]:
    """Map the source records with the scenario's mapping, outside Airflow, as the target must hold them."""
    mapper = load_mapping(MappingRef.model_validate({"file": case.mapping_file.name}), case.mapping_file.parent).compile()
    target = RegisterTarget(RegisterTargetSpec.model_validate({"type": "register", "register": "demo", "schema": "company"}))
    out = {}
    for i in indexes:
        record = make_record(i, seed=7, version=(versions or {}).get(i, 0))
        mapped = mapper.apply(record, Bindings(synchronization_id=case.sync_id, run_timestamp="2026-01-01T00:00:00+00:00",
                                               origin_id=record["id"]))
        out[record["id"]] = target.prepare(mapped).body
    return out


def target_rows(db: Store, case: Scenario) -> dict[str, dict]:
    rows = [o for o in db.list_register_objects("demo", "company") if o["@self"]["synchronization"] == case.sync_id]
    return {o["@self"]["originId"]: o for o in rows}


def properties(obj: dict) -> dict:
    return {k: v for k, v in obj.items() if k not in ("id", "@self")}


def snapshot(db: Store, case: Scenario) -> tuple[list, list]:
    contracts = db.contracts(case.sync_id)
    rows = sorted(
        (o["id"], o["@self"]["updated"], o["@self"]["deleted"] is not None, properties(o))
        for o in db.list_register_objects("demo", "company", deleted=True)
        if o["@self"]["synchronization"] == case.sync_id
    )
    return contracts, rows


@pytest.mark.scenario("lifecycle")
def test_first_run_resync_changes_and_removals(airflow: LocalAirflow, scenario: Scenario, db: Store) -> None:
    first = run_sync(airflow, scenario)
    assert counts(first) == {"fetched": COUNT, "new": COUNT, "changed": 0, "unchanged": 0, "deleted": 0,
                             "skipped": 0, "invalid": 0}
    contracts = db.contracts(scenario.sync_id)
    assert len(contracts) == COUNT
    assert all(c["target_id"] and c["origin_hash"] and c["target_hash"] for c in contracts)
    rows = target_rows(db, scenario)
    expected = expected_objects(scenario, range(COUNT))
    assert {k: properties(v) for k, v in rows.items()} == expected
    assert {c["origin_id"]: c["target_id"] for c in contracts} == {k: v["id"] for k, v in rows.items()}

    before = snapshot(db, scenario)
    again = run_sync(airflow, scenario)
    assert counts(again) == {**counts(first), "new": 0, "unchanged": COUNT}
    after = snapshot(db, scenario)
    assert after[1] == before[1], "an unchanged re-sync rewrote target objects"
    assert [c["target_hash"] for c in after[0]] == [c["target_hash"] for c in before[0]]

    changed = [make_record(3, seed=7)["id"], make_record(77, seed=7)["id"]]
    scenario.source.update([3, 77], version=1)
    report = run_sync(airflow, scenario)
    assert (report["changed"], report["unchanged"], report["new"], report["deleted"]) == (2, COUNT - 2, 0, 0)
    rows = target_rows(db, scenario)
    expected = expected_objects(scenario, range(COUNT), versions={3: 1, 77: 1})
    assert {k: properties(rows[k]) for k in changed} == {k: expected[k] for k in changed}
    assert {c["origin_id"]: c["target_last_action"] for c in db.contracts(scenario.sync_id)}[changed[0]] == "update"

    gone = make_record(50, seed=7)["id"]
    scenario.source.remove([50])
    report = run_sync(airflow, scenario)
    assert (report["deleted"], report["fetched"], report["unchanged"]) == (1, COUNT - 1, COUNT - 1)
    contract = next(c for c in db.contracts(scenario.sync_id) if c["origin_id"] == gone)
    assert contract["target_id"] is None
    assert contract["target_last_action"] == "delete"
    assert gone not in target_rows(db, scenario), "the vanished object is still listed in the register"

    log = db.runs(scenario.sync_id)
    assert [r["status"] for r in log] == ["success"] * 4
    assert [(r["new"], r["changed"], r["deleted"]) for r in log] == [(COUNT, 0, 0), (0, 0, 0), (0, 2, 0), (0, 0, 1)]
    assert all(r["stages"].keys() >= {"fetch", "hash_diff", "write"} for r in log)


@pytest.mark.scenario("mapping_edit")
def test_editing_the_mapping_resyncs_every_object(airflow: LocalAirflow, scenario: Scenario, db: Store) -> None:
    run_sync(airflow, scenario)
    text = scenario.mapping_file.read_text()
    scenario.mapping_file.write_text(text.replace('"city": $uppercase(address.city)', '"city": $lowercase(address.city)'))
    report = run_sync(airflow, scenario)
    assert (report["changed"], report["unchanged"], report["new"]) == (COUNT, 0, 0)
    rows = target_rows(db, scenario)
    assert {k: properties(v) for k, v in rows.items()} == expected_objects(scenario, range(COUNT))
    assert all(r["address"]["city"] == r["address"]["city"].lower() for r in rows.values())

    # The same mapping again: nothing to map, nothing to write.
    assert counts(run_sync(airflow, scenario))["unchanged"] == COUNT


@pytest.mark.scenario("test_run")
def test_test_run_reports_and_writes_nothing(airflow: LocalAirflow, scenario: Scenario, db: Store) -> None:
    run_sync(airflow, scenario)
    scenario.source.update([1, 2, 3], version=1)
    scenario.source.remove([10])
    before = snapshot(db, scenario)
    report = run_sync(airflow, scenario, test=True)
    assert report["test"] is True
    assert counts(report) == {"fetched": COUNT - 1, "new": 0, "changed": 3, "unchanged": COUNT - 4, "deleted": 1,
                              "skipped": 0, "invalid": 0}
    assert snapshot(db, scenario) == before, "a Test run changed contracts or target objects"
    test_log = db.runs(scenario.sync_id)[-1]
    assert test_log["test"]
    assert test_log["status"] == "success"
    assert test_log["changed"] == 3

    real = run_sync(airflow, scenario)
    assert (real["changed"], real["deleted"]) == (3, 1), "the Test run left state that hid the changes"


@pytest.mark.scenario("failure")
def test_failed_fetch_deletes_nothing_and_a_cleared_run_finishes(
    airflow: LocalAirflow, scenario: Scenario, db: Store
) -> None:
    run_sync(airflow, scenario)
    scenario.source.remove([0, 1, 2])          # would be deleted by a complete fetch ...
    scenario.source.update([60], version=1)    # ... and this one updated
    scenario.source.fail_page(3, status=503)   # but page 3 keeps failing
    before = snapshot(db, scenario)
    run_id, state = airflow.run(scenario.dag_id)
    assert state == "failed"
    assert snapshot(db, scenario) == before, "a failed fetch changed contracts or target objects"
    failed = db.runs(scenario.sync_id)[-1]
    assert failed["status"] == "failed"
    assert "fetch failed" in failed["message"]
    assert "503" in failed["message"]
    states = {t["task_id"]: t["state"] for t in airflow.task_instances(scenario.dag_id, run_id)}
    assert states["fetch"] == "failed"
    assert states["write"] == "upstream_failed"

    scenario.source.clear_failures()
    airflow.api("POST", f"/dags/{scenario.dag_id}/clearTaskInstances", json={
        "dag_run_id": run_id, "task_ids": ["fetch"], "include_downstream": True, "only_failed": False,
        "dry_run": False, "reset_dag_runs": True,
    })
    assert airflow.wait_run(scenario.dag_id, run_id) == "success"
    report = airflow.xcom(scenario.dag_id, run_id, "write")
    assert (report["deleted"], report["changed"], report["fetched"]) == (3, 1, COUNT - 3)


def test_an_invalid_spec_is_an_import_error_and_the_others_load(airflow: LocalAirflow) -> None:
    airflow.wait_for_dag("sync_e2e_lifecycle")
    errors = airflow.api("GET", "/importErrors")["import_errors"]
    assert [e["filename"] for e in errors] == ["synchronization_spec_errors.py"]
    assert "e2e_broken.yaml: source.pagination.type: 'pagenumber' is not accepted" in errors[0]["stack_trace"]
    dags = {d["dag_id"] for d in airflow.api("GET", "/dags", params={"limit": 100})["dags"]}
    assert {"sync_e2e_lifecycle", "sync_e2e_failure"} <= dags


def _failure(airflow: LocalAirflow, case: Scenario, run_id: str) -> str:
    lines = []
    for ti in airflow.task_instances(case.dag_id, run_id):
        if ti["state"] == "failed":
            log = airflow.task_log(case.dag_id, run_id, ti["task_id"], max(ti["try_number"], 1), ti["map_index"])
            lines.append(f"{ti['task_id']}: ...{log[-3000:]}")
    return "\n".join(lines) or "no failed task"



@pytest.mark.scenario("window")
def test_backfill_runs_read_their_window_and_never_delete(airflow: LocalAirflow, scenario: Scenario, db: Store) -> None:
    scenario.source.reset_log()
    airflow.api("PATCH", f"/dags/{scenario.dag_id}", json={"is_paused": False})
    airflow.api("POST", "/backfills", json={
        "dag_id": scenario.dag_id, "from_date": "2026-03-01T00:00:00Z", "to_date": "2026-03-03T00:00:00Z",
        "max_active_runs": 1,
    })
    runs = _wait_for_backfill(airflow, scenario.dag_id, expected=3)
    windows = {r["data_interval_start"].replace("Z", "+00:00") for r in runs}
    asked = {q.query.get("updatedSince") for q in scenario.source.request_log if q.path == "/api/companies"}
    assert windows <= asked, f"runs asked for {sorted(asked)}, expected their windows {sorted(windows)}"
    log = [r for r in db.runs(scenario.sync_id) if r["status"] == "success"]
    assert len(log) >= 3
    assert all(r["windowed"] and r["deleted"] == 0 for r in log)
    assert all("windowed" in r["message"] for r in log)

    # A manual run has no data interval: it reads the whole source, so it may delete.
    scenario.source.reset_log()
    scenario.source.remove([5, 6])
    manual = run_sync(airflow, scenario)
    assert manual["deleted"] == 2
    assert all("updatedSince" not in q.query for q in scenario.source.request_log if q.path == "/api/companies")


def _wait_for_backfill(airflow: LocalAirflow, dag_id: str, expected: int, timeout: float = 300) -> list[dict]:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        runs = [r for r in airflow.api("GET", f"/dags/{dag_id}/dagRuns")["dag_runs"] if r["run_type"] == "backfill"]
        if len(runs) >= expected and all(r["state"] in ("success", "failed") for r in runs):
            assert all(r["state"] == "success" for r in runs), runs
            return runs
        time.sleep(1)
    raise TimeoutError(f"backfill of {dag_id} did not finish")


def test_a_real_rest_server_we_did_not_write(airflow: LocalAirflow, json_server: str | None, db: Store) -> None:
    """npm json-server pages with its own _page/_limit parameters and an RFC 8288 Link header."""
    if json_server is None:
        pytest.skip("npx (Node.js) is not installed or json-server could not start; install nodejs and npm")
    from tests.e2e.conftest import JSON_SERVER_COUNT

    airflow.wait_for_dag("sync_e2e_json_server")
    run_id, state = airflow.run("sync_e2e_json_server")
    assert state == "success"
    report = airflow.xcom("sync_e2e_json_server", run_id, "write")
    assert (report["fetched"], report["new"], report["invalid"]) == (JSON_SERVER_COUNT, JSON_SERVER_COUNT, 0)
    assert len(db.contracts("e2e_json_server")) == JSON_SERVER_COUNT
    again = airflow.xcom("sync_e2e_json_server", airflow.run("sync_e2e_json_server")[0], "write")
    assert again["unchanged"] == JSON_SERVER_COUNT
