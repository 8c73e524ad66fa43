"""Our pipeline, measured the way a user runs it: a real Airflow triggering ``sync_<id>`` DAG runs.

For each run it collects the wall time Airflow itself records (queued → end of the DAG run), every
task instance's start/end, the per-stage figures the pipeline writes to
``openconnector.synchronization_log.stages``, the write task's report (XCom) and the task processes'
memory as sampled from outside (``bench.memory``).
"""

from __future__ import annotations

import datetime as dt
import json
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg2

from bench import pglog
from bench.memory import TaskMemorySampler
from bench.procs import wait_until_quiet
from devkit.airflow_env import LocalAirflow
from openconnector import settings
from openconnector.db.embedded import embedded_data_dir, ensure_embedded_postgres
from openconnector.db.store import Store

BENCH_INCLUDE = Path(__file__).resolve().parent / "include"
SOURCE_CONN_ID = "bench_source"
MAIN_SYNC = "bench_companies"
PARTITION_SYNCS = {1: "bench_partitions_1", 2: "bench_partitions_2"}
STAGES = ("fetch", "map", "hash_diff", "write")


@dataclass
class AirflowBench:
    """A local Airflow over ``bench/include`` whose source connection points at the bench's source."""

    home: Path
    source_url: str
    run_timeout: float = 1800
    airflow: LocalAirflow | None = None
    failures: list[str] = field(default_factory=list)

    def start(self) -> AirflowBench:
        """Start Airflow (API server, scheduler, DAG processor) and wait for the bench DAGs."""
        connection = {"conn_type": "openconnector_source", "host": self.source_url, "extra": {"auth_type": "none"}}
        env = {
            "OPENCONNECTOR_INCLUDE_DIR": str(BENCH_INCLUDE),
            f"AIRFLOW_CONN_{SOURCE_CONN_ID.upper()}": json.dumps(connection),
        }
        self.airflow = LocalAirflow(home=self.home / "airflow", port=_free_port(), env_extra=env,
                                    components=("api-server", "scheduler", "dag-processor"))
        self.airflow.start()
        for sync in (MAIN_SYNC, *PARTITION_SYNCS.values()):
            self.airflow.wait_for_dag(f"sync_{sync}")
        return self

    def stop(self) -> None:
        """Stop every Airflow process."""
        if self.airflow is not None:
            self.airflow.stop()
            self.airflow = None

    def run(self, sync: str, conf: dict[str, Any] | None = None) -> dict[str, Any]:
        """Trigger one DAG run of ``sync`` and return everything measured about it."""
        assert self.airflow is not None, "start() first"
        dag_id = f"sync_{sync}"
        busy_before = wait_until_quiet()
        with TaskMemorySampler() as sampler:
            began = time.perf_counter()
            run_id, state = self.airflow.run(dag_id, conf or {}, timeout=self.run_timeout)
            observed = time.perf_counter() - began
        dag_run = self.airflow.api("GET", f"/dags/{dag_id}/dagRuns/{run_id}")
        tasks = [_task(ti, sampler.peaks) for ti in self.airflow.task_instances(dag_id, run_id)]
        queued = dag_run.get("queued_at") or dag_run["start_date"]
        result: dict[str, Any] = {
            "sync": sync, "run_id": run_id, "state": state, "queued_at": queued, "end_date": dag_run["end_date"],
            "wall_seconds": _seconds(queued, dag_run["end_date"]),
            "observed_seconds": round(observed, 3), "cpu_busy_before": busy_before,
            "tasks": sorted(tasks, key=lambda t: (STAGES.index(t["task"]) if t["task"] in STAGES else 9, t["map_index"])),
            "stages": _stages(sync, run_id),
            "slow_sql": pglog.slow_statements(embedded_data_dir() / "log", queued, dag_run["end_date"]),
        }
        if state == "success":
            result["report"] = self.airflow.xcom(dag_id, run_id, "write")
        else:
            self.failures.append(f"{dag_id} run {run_id} ended {state}; task logs in {self.airflow.home / 'logs'}")
        return result


def fresh_contracts_database() -> None:
    """Drop the contracts database; the next task creates and migrates it anew.

    Each partitions-comparison run is then a first sync into an empty contracts store, like the main
    first sync. (A first sync into a store that holds another synchronization's contracts currently
    hits a quadratic plan in the write stage: see bench/README.md.)
    """
    conn = psycopg2.connect(**ensure_embedded_postgres(("postgres",)))
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{settings.CONTRACTS_DATABASE}" WITH (FORCE)')
    finally:
        conn.close()
    ensure_embedded_postgres()


def reset_syncs(syncs: list[str]) -> None:
    """Forget earlier bench runs of these synchronizations (contracts, logs, register objects)."""
    with _store() as store:
        for sync in syncs:
            store.reset_synchronization(sync)
        store.commit()


@contextmanager
def _store() -> Iterator[Store]:
    conn = psycopg2.connect(**ensure_embedded_postgres())
    try:
        store = Store(conn)
        store.migrate()
        yield store
    finally:
        conn.close()


def _stages(sync: str, run_id: str) -> dict[str, Any]:
    with _store() as store:
        for run in store.runs(sync):
            if run["dag_run_id"] == run_id:
                return dict(run["stages"] or {})
    return {}


def _task(ti: dict[str, Any], peaks: dict[str, Any]) -> dict[str, Any]:
    peak = peaks.get(str(ti["id"]))
    return {
        "task": ti["task_id"], "map_index": ti["map_index"], "state": ti["state"],
        "start": ti["start_date"], "end": ti["end_date"],
        "seconds": round(ti["duration"], 3) if ti.get("duration") is not None else None,
        "sampled_rss_mb": peak.rss_mb if peak else None, "sampled_pss_mb": peak.pss_mb if peak else None,
    }


def _seconds(start: str | None, end: str | None) -> float | None:
    if not start or not end:
        return None
    return round((_time(end) - _time(start)).total_seconds(), 3)


def _time(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def summarize(run: dict[str, Any]) -> dict[str, Any]:
    """Return per-stage seconds, objects, objects/s and peak memory of one run (map partitions combined).

    Stage seconds are the work the stage recorded; ``task_seconds`` is the task instances' span
    (first start to last end), which adds Airflow's task start-up and, for the map, waiting for a slot.
    """
    stages: dict[str, Any] = {}
    for name in STAGES:
        parts = run["stages"].get(name) or {}
        tasks = [t for t in run["tasks"] if t["task"] == name]
        if not parts and not tasks:
            continue
        objects = sum(int(p.get("objects") or 0) for p in parts.values())
        # Partitions run side by side: the slowest one is the stage's work on the critical path.
        seconds = max((float(p.get("seconds") or 0) for p in parts.values()), default=0.0)
        span = _span(tasks)
        stages[name] = {
            "partitions": len(parts), "objects": objects, "seconds": round(seconds, 3),
            "per_second": round(objects / seconds) if seconds else None,
            "task_seconds": span, "task_per_second": round(objects / span) if span else None,
            "work_seconds_total": round(sum(float(p.get("seconds") or 0) for p in parts.values()), 3),
            "recorded_peak_mb": _largest(p.get("peak_rss_mb") for p in parts.values()),
            "sampled_rss_mb": _largest(t["sampled_rss_mb"] for t in tasks),
            "sampled_pss_mb": _largest(t["sampled_pss_mb"] for t in tasks),
        }
    return stages


def _largest(values: Any) -> float | None:
    present = [float(v) for v in values if v]
    return max(present) if present else None


def _span(tasks: list[dict[str, Any]]) -> float | None:
    starts = [_time(t["start"]) for t in tasks if t.get("start")]
    ends = [_time(t["end"]) for t in tasks if t.get("end")]
    if not starts or not ends:
        return None
    return round((max(ends) - min(starts)).total_seconds(), 3)
