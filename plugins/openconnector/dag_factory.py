"""Build one Airflow DAG per synchronization spec: ``sync_<id>`` with fetch → map → hash_diff → write.

Parse time only reads YAML and builds DAG objects: no connections, SQL, HTTP or JSONata compilation.
An invalid spec never hides the others: its error becomes the import error of a separate DAG file
(``dags/synchronization_spec_errors.py``) while every valid spec's DAG loads and runs; with
``OPENCONNECTOR_STRICT=1`` (CI) it fails the DAG file instead.
"""

from __future__ import annotations

import datetime as dt
import logging
import textwrap
from pathlib import Path
from typing import Any

from airflow.sdk import DAG, Param, TriggerRule, get_parsing_context

from openconnector import settings
from openconnector.errors import SpecError
from openconnector.operators.stages import mark_run_failed
from openconnector.operators.synchronization import (
    FetchObjectsOperator,
    HashDiffOperator,
    MapObjectsOperator,
    WriteObjectsOperator,
)
from openconnector.spec.loader import load_specs
from openconnector.spec.synchronization import SynchronizationSpec

log = logging.getLogger(__name__)

DAG_ID_PREFIX = "sync_"

PARAMS = {
    "test": Param(
        False,
        type="boolean",
        title="Test (dry run)",
        description="Fetch, map and compare everything, report what would be created, changed and deleted, "
        "write nothing to the target or the contracts.",
    ),
    "force": Param(
        False,
        type="boolean",
        title="Force a full re-sync",
        description="Map and write every object even if unchanged, and ignore incremental windows.",
    ),
}


def build_dag(spec: SynchronizationSpec) -> DAG:
    """Return the DAG of one synchronization."""
    default_args = {
        "owner": "openconnector",
        "retries": spec.retries,
        "retry_delay": dt.timedelta(seconds=30),
        "retry_exponential_backoff": True,
        "max_retry_delay": dt.timedelta(minutes=10),
        "on_failure_callback": mark_run_failed,
    }
    with DAG(
        dag_id=spec.dag_id,
        dag_display_name=spec.name,
        description=(spec.description.strip().splitlines() or [spec.name])[0][:200],
        schedule=spec.schedule,
        start_date=dt.datetime.combine(spec.start_date, dt.time(), tzinfo=dt.UTC),
        catchup=spec.catchup,
        max_active_runs=1,
        params=PARAMS,
        tags=sorted({"openconnector", f"target:{spec.target.type}", *spec.tags}),
        doc_md=_doc(spec),
        default_args=default_args,
        auto_register=False,  # a spec that fails half-way must not leave a half-built DAG behind
    ) as dag:
        fetch = FetchObjectsOperator(task_id="fetch", spec=spec, pool=spec.source.pool or "default_pool")
        mapped = MapObjectsOperator.partial(
            task_id="map", spec=spec, map_index_template="partition {{ task.partition }}"
        ).expand(partition=fetch.output)  # fetch returns the partition numbers; [] skips the map
        diff = HashDiffOperator(task_id="hash_diff", spec=spec, trigger_rule=TriggerRule.NONE_FAILED)
        write = WriteObjectsOperator(task_id="write", spec=spec, pool=spec.target.pool or "default_pool")
        fetch >> mapped >> diff >> write
    return dag


def register_dags(namespace: dict[str, Any], directory: Path | None = None) -> list[str]:
    """Build the DAG of every valid spec in ``directory`` into ``namespace`` (a DAG file's ``globals()``).

    Invalid specs are skipped here (they are reported by ``raise_spec_errors`` from their own DAG file),
    unless ``OPENCONNECTOR_STRICT=1``, where the first error fails this file. While a worker runs one
    task, only that task's DAG is built.
    """
    specs, errors = load_specs(directory or settings.synchronizations_dir())
    if errors and settings.strict_specs():
        raise SpecError("\n".join(str(e) for e in errors))
    wanted = get_parsing_context().dag_id
    built = []
    for spec in specs:
        if wanted and wanted != spec.dag_id:
            continue
        try:
            namespace[spec.dag_id] = build_dag(spec)
        except Exception as exc:  # an Airflow-level refusal of one spec must not hide the others
            log.error("%s: cannot build DAG %s: %s", _where(spec), spec.dag_id, exc)
            continue
        built.append(spec.dag_id)
    return built


def raise_spec_errors(directory: Path | None = None) -> None:
    """Raise one error listing every invalid spec, each with its DAG id, file, field and fix.

    Called from a DAG file of its own: Airflow shows the error as that file's import error, while the
    DAGs of all valid specs (built by ``register_dags`` in another file) keep loading and running.
    An import error in the file that builds the DAGs would instead disable every DAG of that file.
    """
    specs, errors = load_specs(directory or settings.synchronizations_dir())
    for spec in specs:
        try:
            build_dag(spec)
        except Exception as exc:
            errors.append(SpecError(f"{_where(spec)}: cannot build DAG {spec.dag_id}: {exc}"))
    if errors:
        listing = "\n".join(f"- {error}" for error in errors)
        raise SpecError(f"{len(errors)} synchronization spec(s) are invalid and have no DAG:\n{listing}")


def _doc(spec: SynchronizationSpec) -> str:
    where = _where(spec)
    body = textwrap.dedent(spec.text).strip() or "(spec built in code)"
    return (
        f"## {spec.name}\n\n{spec.description.strip()}\n\n"
        f"Source connection `{spec.source.connection}` → target `{spec.target.type}`. "
        "Trigger with **test** for a dry run, **force** for a full re-sync.\n\n"
        f"Spec file `{where}`:\n\n```yaml\n{body}\n```\n"
    )


def _where(spec: SynchronizationSpec) -> str:
    if spec.file is None:
        return spec.id
    try:
        return str(spec.file.relative_to(settings.PROJECT_ROOT))
    except ValueError:
        return str(spec.file)
