"""``make demo``: a real synchronization, run twice through a real Airflow, on embedded defaults.

1. starts the embedded Postgres (Airflow metadata + contracts database) and the demo source API;
2. starts Airflow (API server, scheduler, DAG processor, triggerer) with the project's DAGs;
3. triggers ``sync_demo_companies`` twice and prints both reports (first: all new; second: all
   unchanged), then where to look at the objects and contracts;
4. stops Airflow and the demo source (the data stays in ``.local/``).
"""

from __future__ import annotations

import argparse
import sys
import time

from devkit.airflow_env import LocalAirflow
from devkit.demo_source import DemoSource
from openconnector import settings
from openconnector.core.report import Counts, SyncReport
from openconnector.db.embedded import embedded_data_dir, ensure_embedded_postgres
from openconnector.db.store import Store

DAG_ID = "sync_demo_companies"
SYNC_ID = "demo_companies"
DEMO_PORT = 8765


def main(argv: list[str] | None = None) -> int:
    """Run the demo; return the process exit code."""
    args = _parser().parse_args(argv)
    started = time.monotonic()
    _say(f"State folder: {settings.state_dir()} (embedded Postgres, Airflow home, logs)")
    with DemoSource(count=args.count, page_size=50, port=args.source_port) as source:
        _say(f"Demo source: {source.url}/api/companies ({args.count} companies, 50 per page)")
        airflow = LocalAirflow(port=args.port)
        _say(f"Starting Airflow on {airflow.url} (API server, scheduler, DAG processor, triggerer) ...")
        with airflow:
            _say(f"Airflow is up after {time.monotonic() - started:.0f} s; waiting for DAG {DAG_ID}")
            airflow.wait_for_dag(DAG_ID)
            _reset_demo_state()
            for label in ("First run (everything is new)", "Second run (nothing changed)"):
                ok = _run_once(airflow, label)
                if not ok:
                    _say(f"The run failed; task logs are in {airflow.home / 'logs'}")
                    return 1
    _say(f"Demo finished in {time.monotonic() - started:.0f} s.")
    _where_to_look()
    return 0


def _run_once(airflow: LocalAirflow, label: str) -> bool:
    clock = time.monotonic()
    run_id, state = airflow.run(DAG_ID)
    seconds = time.monotonic() - clock
    _say(f"{label}: DAG run {run_id} ended '{state}' in {seconds:.1f} s")
    if state != "success":
        return False
    report = airflow.xcom(DAG_ID, run_id, "write")
    counts = Counts(**{k: report[k] for k in Counts().as_dict()})
    table = SyncReport(SYNC_ID, report["run"], run_id, counts, deletion_note=_note(report)).render_table()
    print("\n" + "\n".join(f"    {line}" for line in table.splitlines()) + "\n", flush=True)
    return True


def _reset_demo_state() -> None:
    """Forget earlier demo runs, so the first run of every `make demo` starts from nothing."""
    import psycopg2

    conn = psycopg2.connect(**ensure_embedded_postgres())
    try:
        store = Store(conn)
        store.migrate()
        store.reset_synchronization(SYNC_ID)
        store.commit()
    finally:
        conn.close()


def _note(report: dict) -> str:
    return "" if report.get("deletion") == "done" else str(report.get("deletion", ""))


def _where_to_look() -> None:
    socket_dir = embedded_data_dir()
    print(
        f"""
Where to look:
  objects   : make psql SQL="SELECT object FROM openconnector.register_objects LIMIT 3"
  contracts : make psql SQL="SELECT origin_id, target_id, target_last_action, origin_hash FROM openconnector.contracts LIMIT 5"
  runs      : make psql SQL="SELECT id, status, fetched, new, changed, unchanged, deleted, message FROM openconnector.synchronization_log"
  (the embedded Postgres keeps its data and socket in {socket_dir}; `make psql` opens a shell on it)
  web UI    : make airflow   → http://localhost:8080 (user admin, password admin), DAG {DAG_ID}
""",
        flush=True,
    )


def _say(text: str) -> None:
    print(f"==> {text}", flush=True)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=350, help="companies the demo source serves")
    parser.add_argument("--port", type=int, default=8080, help="Airflow API server / web UI port")
    parser.add_argument("--source-port", type=int, default=DEMO_PORT, help="demo source port")
    return parser


if __name__ == "__main__":
    sys.exit(main())
