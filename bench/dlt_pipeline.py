"""dlt, set up the way a dlt user would for the same job: REST API source, Python mapping, merge into Postgres.

Page-number paginator over ``meta.pages``, data selector ``data.items``, the benchmark mapping as
``add_map`` (bench/mapping.py, equal to the JSONata mapping), ``write_disposition: merge`` on the
registration number, and nesting level 0 (nested objects and lists stay JSON columns, as our register
keeps them), like the reference figures in shared/reference/performance-anchors.md.

Run by bench/run.py as ``python -m bench.dlt_pipeline --url URL --db JSON --state DIR [--fresh]``.
"""

from __future__ import annotations

import argparse
import importlib.abc
import json
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any

from bench.mapping import map_company
from bench.procs import emit, peak_rss_mb

PIPELINE_NAME = "bench_dlt_companies"
DATASET = "dlt_companies"


def credentials_url(db: dict[str, Any]) -> str:
    """Return a libpq URL for psycopg2 kwargs (the socket folder travels as the ``host`` query parameter).

    dlt insists on a password; the embedded Postgres trusts local connections and ignores it.
    """
    return f"postgresql://{db['user']}:{db.get('password') or 'unused'}@localhost:{db['port']}/{db['dbname']}?host={db['host']}"


def build_source(url: str) -> Any:
    """Return the dlt REST API source of the demo listing, mapped with ``map_company``."""
    from dlt.sources.rest_api import rest_api_source

    source = rest_api_source({
        "client": {
            "base_url": url,
            "paginator": {"type": "page_number", "base_page": 1, "page_param": "page", "total_path": "meta.pages"},
        },
        "resources": [{
            "name": "companies",
            "endpoint": {"path": "api/companies", "params": {"pageSize": 1000}, "data_selector": "data.items"},
            "primary_key": "registrationNumber",
            "write_disposition": "merge",
            "max_table_nesting": 0,
        }],
    })
    source.resources["companies"].add_map(map_company)
    return source


def run(url: str, db: dict[str, Any], state: Path, fresh: bool) -> dict[str, Any]:
    """Run the pipeline once; return wall seconds, rows, per-step seconds and peak memory."""
    import dlt

    if fresh:
        shutil.rmtree(state, ignore_errors=True)
        _drop_dataset(db)
    pipeline = dlt.pipeline(
        pipeline_name=PIPELINE_NAME, pipelines_dir=str(state), dataset_name=DATASET,
        destination=dlt.destinations.postgres(credentials=credentials_url(db)),
    )
    began = time.perf_counter()
    info = pipeline.run(build_source(url))
    seconds = time.perf_counter() - began
    info.raise_on_failed_jobs()
    trace = pipeline.last_trace
    steps = {step.step: round((step.finished_at - step.started_at).total_seconds(), 3) for step in trace.steps}
    rows = trace.last_normalize_info.row_counts.get("companies", 0) if trace.last_normalize_info else 0
    return {"seconds": round(seconds, 3), "objects": rows, "per_second": round(rows / seconds) if seconds else None,
            "steps": steps, "rows_in_table": _count_rows(db), "peak_rss_mb": peak_rss_mb()}


def _drop_dataset(db: dict[str, Any]) -> None:
    import psycopg2

    conn = psycopg2.connect(**db)
    with conn, conn.cursor() as cur:
        cur.execute(f'DROP SCHEMA IF EXISTS "{DATASET}" CASCADE')
        cur.execute(f'DROP SCHEMA IF EXISTS "{DATASET}_staging" CASCADE')
    conn.close()


def _count_rows(db: dict[str, Any]) -> int:
    import psycopg2

    conn = psycopg2.connect(**db)
    with conn, conn.cursor() as cur:
        cur.execute(f'SELECT count(*) FROM "{DATASET}".companies')
        count = int(cur.fetchone()[0])
    conn.close()
    return count


class _NoAirflow(importlib.abc.MetaPathFinder):
    """Hide Airflow from dlt, as on a machine with dlt alone.

    With Airflow importable, dlt loads it to look for secrets in Airflow Variables (seconds of imports
    and ~100 MB that a standalone dlt user does not pay) and writes an ``airflow.db`` into ~/airflow.
    """

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> None:
        if name == "airflow" or name.startswith("airflow."):
            raise ModuleNotFoundError(f"No module named {name!r} (hidden from dlt by the bench)", name=name)
        return None


def main(argv: list[str] | None = None) -> None:
    """Run dlt once and emit the result."""
    parser = argparse.ArgumentParser(prog="python -m bench.dlt_pipeline", description=__doc__)
    parser.add_argument("--url", required=True, help="base URL of the demo source")
    parser.add_argument("--db", required=True, help="psycopg2 connect kwargs as JSON")
    parser.add_argument("--state", required=True, type=Path, help="dlt's pipelines folder")
    parser.add_argument("--fresh", action="store_true", help="forget earlier runs: drop dlt's state and dataset")
    args = parser.parse_args(argv)
    # No telemetry from a benchmark (and no network beyond loopback).
    os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
    os.environ.setdefault("PROVIDERS__ENABLE_AIRFLOW_SECRETS", "false")
    sys.meta_path.insert(0, _NoAirflow())
    emit(run(args.url, json.loads(args.db), args.state, args.fresh))


if __name__ == "__main__":
    main()
