"""One synchronization, three kinds of target: the built-in store, an OpenRegister over HTTP, any API.

The OpenRegister is the project's local server that follows OpenRegister 1.0's documented API;
the API is a small REST server that assigns its own ids. Both run on loopback in the test process;
the synchronizations run as DAGs in a real Airflow.
"""

from __future__ import annotations

from typing import Any

import pytest

from devkit.airflow_env import LocalAirflow
from devkit.openregister_server import OpenRegisterServer
from openconnector.db.store import Store
from tests.e2e.conftest import COUNT, Scenario
from tests.e2e.test_sync_dag import counts, describe, properties, run_sync
from tests.integration.targets.crm_api import CrmApi

pytestmark = pytest.mark.e2e


def comparable(obj: dict[str, Any]) -> dict[str, Any]:
    """An object's properties as a user compares them: metadata and empty values left out."""
    return {k: v for k, v in properties(obj).items() if v not in (None, "", [], {})}


def by_registration(objects: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {o["registrationNumber"]: comparable(o) for o in objects}


@pytest.mark.scenario("or_twin")
def test_the_same_sync_into_the_store_and_an_openregister_gives_the_same_objects(
    airflow: LocalAirflow, scenario: Scenario, openregister: OpenRegisterServer, db: Store, sources: dict
) -> None:
    airflow.wait_for_dag("sync_e2e_store_twin")
    into_store = run_sync(airflow, Scenario("store_twin", sources["store_twin"], scenario.include))
    into_openregister = run_sync(airflow, scenario)
    assert counts(into_store) == counts(into_openregister) == {
        "fetched": COUNT, "new": COUNT, "changed": 0, "unchanged": 0, "deleted": 0, "skipped": 0, "invalid": 0}
    stored = [o for o in db.list_register_objects("demo", "company") if o["@self"]["synchronization"] == "e2e_store_twin"]
    remote = openregister.objects("demo", "company")
    assert len(remote) == COUNT
    assert by_registration(remote) == by_registration(stored)
    contracts = {c["origin_id"]: c["target_id"] for c in db.contracts(scenario.sync_id)}
    assert sorted(contracts.values()) == sorted(o["id"] for o in remote)  # the contract holds the UUID

    scenario.source.update([4, 9], version=1)
    scenario.source.remove([11])
    again = run_sync(airflow, scenario)
    assert (again["changed"], again["deleted"], again["unchanged"]) == (2, 1, COUNT - 3)
    assert len(openregister.objects("demo", "company")) == COUNT - 1


@pytest.mark.scenario("or_crash")
def test_a_crash_between_the_write_and_the_contract_leaves_no_duplicate(
    airflow: LocalAirflow, scenario: Scenario, openregister: OpenRegisterServer, db: Store
) -> None:
    # Batches of 40: after the 50th stored object the server starts refusing (503), so the second
    # batch fails with ten objects written whose contracts were never recorded — what a crash between
    # the target write and the contract update leaves behind.
    before = len(openregister.objects("demo", "company"))
    writes = 0

    def refuse_after_fifty(event: Any) -> None:
        nonlocal writes
        writes += 1
        if writes == 50:
            openregister.fail_next(1_000_000, status=503, method="POST")

    openregister.on_write = refuse_after_fifty
    try:
        run_id, state = airflow.run(scenario.dag_id)
    finally:
        openregister.on_write = None
    assert state == "failed"
    assert len(openregister.objects("demo", "company")) - before == 50
    assert len(db.contracts(scenario.sync_id)) == 40, "only the first batch's outcomes were recorded"

    openregister.clear_faults()
    _clear_and_wait(airflow, scenario.dag_id, run_id, "write")
    objects = openregister.objects("demo", "company")
    assert len(objects) - before == COUNT, "the retried write created duplicates or lost objects"
    contracts = db.contracts(scenario.sync_id)
    distinct_targets = len({c["target_id"] for c in contracts})
    assert len(contracts) == COUNT
    assert distinct_targets == COUNT
    report = airflow.xcom(scenario.dag_id, run_id, "write")
    print(describe(scenario.dag_id, run_id, report))
    print(f"after the crash and the retried write: {len(objects) - before} objects in the OpenRegister for "
          f"{COUNT} source objects, {len(contracts)} contracts, {distinct_targets} distinct target ids")
    assert (report["new"], report["failed"], report["invalid"]) == (COUNT, 0, 0)


@pytest.mark.scenario("api")
def test_an_api_that_assigns_ids_gets_no_duplicate_after_a_lost_answer(
    airflow: LocalAirflow, scenario: Scenario, crm: CrmApi, db: Store
) -> None:
    crm.drop_next(1, method="POST", after_write=True)  # created, but the answer never arrives
    run_id, state = airflow.run(scenario.dag_id)
    if state == "failed":  # the write task may give up on the batch and be retried
        _clear_and_wait(airflow, scenario.dag_id, run_id, "write")
    report = airflow.xcom(scenario.dag_id, run_id, "write")
    print(describe(scenario.dag_id, run_id, report))
    print(f"after the lost answer: {len(crm.companies)} companies in the API for {COUNT} source objects")
    assert (report["new"], report["invalid"], report["failed"]) == (COUNT, 0, 0)
    assert len(crm.companies) == COUNT, "the lost create was sent again: a duplicate"
    lookups = [r for r in crm.requests if r.method == "GET" and r.path == "/companies"]
    assert lookups, "the create whose answer was lost was not looked up"
    contracts = {c["origin_id"]: c["target_id"] for c in db.contracts(scenario.sync_id)}
    assert sorted(contracts.values()) == sorted(crm.companies)  # the ids the API assigned

    scenario.source.update([2, 3], version=1)
    scenario.source.remove([5])
    report = run_sync(airflow, scenario)
    assert (report["changed"], report["deleted"], report["new"]) == (2, 1, 0)
    assert len(crm.companies) == COUNT - 1
    methods = [w.method for w in crm.writes()[-3:]]
    assert sorted(methods) == ["DELETE", "PUT", "PUT"]


def _clear_and_wait(airflow: LocalAirflow, dag_id: str, run_id: str, task_id: str) -> None:
    airflow.api("POST", f"/dags/{dag_id}/clearTaskInstances", json={
        "dag_run_id": run_id, "task_ids": [task_id], "include_downstream": True, "only_failed": False,
        "dry_run": False, "reset_dag_runs": True,
    })
    assert airflow.wait_run(dag_id, run_id) == "success"
