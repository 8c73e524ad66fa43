"""Every spec in include/ builds its DAG; a bad spec is an import error that hides no other DAG."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def _dagbag(dags_folder: Path):
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(dags_folder))


def test_every_bundled_spec_builds_its_dag_without_import_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENCONNECTOR_STRICT", "1")
    from openconnector.spec.loader import load_specs

    specs, _ = load_specs()
    bag = _dagbag(PROJECT_ROOT / "dags")
    assert bag.import_errors == {}
    assert {f"sync_{s.id}" for s in specs} <= set(bag.dags)


def test_sync_dag_shape(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENCONNECTOR_STRICT", "1")
    dag = _dagbag(PROJECT_ROOT / "dags").dags["sync_demo_companies"]
    downstream = {t.task_id: sorted(t.downstream_task_ids) for t in dag.tasks}
    assert downstream == {"fetch": ["map"], "map": ["hash_diff"], "hash_diff": ["write"], "write": []}
    assert dag.max_active_runs == 1
    assert dag.catchup is False
    assert set(dag.params.keys()) == {"test", "force"}
    assert dag.params["test"] is False
    assert dag.params["force"] is False
    assert "resultsPosition: data.items" in dag.doc_md  # the spec is shown in the DAG docs
    assert dag.get_task("hash_diff").trigger_rule == "none_failed"  # runs when nothing needed mapping


def test_invalid_spec_is_an_import_error_and_valid_dags_still_load(include_dir: Path, tmp_path: Path) -> None:
    (include_dir / "synchronizations" / "broken.yaml").write_text(
        "source: {connection: x, pagination: {type: pagenumber}}\n"
        "target: {type: register, register: demo, schema: company}\n"
    )
    dags = tmp_path / "dags"
    shutil.copytree(PROJECT_ROOT / "dags", dags)
    bag = _dagbag(dags)
    assert "sync_demo_companies" in bag.dags
    assert "sync_broken" not in bag.dags
    # The error belongs to the check file, never to the file whose DAGs must keep running.
    assert list(bag.import_errors) == [str(dags / "synchronization_spec_errors.py")]
    message = bag.import_errors[str(dags / "synchronization_spec_errors.py")]
    assert "1 synchronization spec(s) are invalid" in message
    assert "synchronizations/broken.yaml: source.pagination.type: 'pagenumber' is not accepted" in message


def test_strict_mode_fails_the_dag_file(include_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENCONNECTOR_STRICT", "1")
    (include_dir / "synchronizations" / "broken.yaml").write_text("source: 1\n")
    dags = tmp_path / "dags"
    shutil.copytree(PROJECT_ROOT / "dags", dags)
    bag = _dagbag(dags)
    assert bag.dags == {}
    assert "broken.yaml: source: Input should be a valid dictionary" in bag.import_errors[str(dags / "synchronizations.py")]


def test_source_and_target_pools_hold_the_fetch_and_write_tasks(tmp_path: Path) -> None:
    from openconnector.dag_factory import build_dag
    from openconnector.spec.loader import load_spec

    spec_file = tmp_path / "crm_push.yaml"
    spec_file.write_text(
        "id: crm_push\nname: CRM push\n"
        "source: {connection: registry, endpoint: /companies, pool: registry_api}\n"
        "target: {type: api, connection: crm, pool: crm_api, create: {endpoint: /companies},"
        " update: {endpoint: '/companies/{targetId}'}, delete: {endpoint: '/companies/{targetId}'}}\n"
    )
    dag = build_dag(load_spec(spec_file, check_references=False))
    assert dag.get_task("fetch").pool == "registry_api"
    assert dag.get_task("write").pool == "crm_api"
    assert dag.get_task("hash_diff").pool == "default_pool"


def test_the_register_target_takes_a_pool_too(tmp_path: Path) -> None:
    from openconnector.dag_factory import build_dag
    from openconnector.spec.loader import load_spec

    spec_file = tmp_path / "companies.yaml"
    spec_file.write_text(
        "id: companies\nname: Companies\nsource: {connection: registry, endpoint: /companies}\n"
        "target: {type: register, register: demo, schema: company, pool: contracts_db}\n"
    )
    assert build_dag(load_spec(spec_file, check_references=False)).get_task("write").pool == "contracts_db"
