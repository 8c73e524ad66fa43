"""DAG parse time with 200 synchronization specs (issue 6, item 5: ≤ 2 s).

The bench writes 200 specs (variations of the bench spec) into a temporary include folder and parses
the project's DAG files with Airflow's ``DagBag`` in fresh processes, the way the DAG processor parses
a file in a fresh child. It reports the parse of ``dags/synchronizations.py`` alone (the figure the
target is about: Airflow is already imported in the DAG processor), the whole ``dags/`` folder (the
spec-error file validates every spec again), the ``import airflow`` baseline and each process's total.

Child mode (run by the bench): ``python -m bench.parse_time --child file|folder``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.procs import emit, run_child
from openconnector import settings

SPECS = 200
BENCH_INCLUDE = Path(__file__).resolve().parent / "include"
_SCHEDULES = ("null", '"@hourly"', '"0 6 * * *"', '"*/15 * * * *"', '"@daily"')


def write_specs(include: Path, count: int = SPECS) -> None:
    """Write ``count`` specs (the bench spec with other ids and schedules) plus its mapping and register."""
    template = (BENCH_INCLUDE / "synchronizations" / "bench_companies.yaml").read_text()
    (include / "synchronizations").mkdir(parents=True)
    shutil.copytree(BENCH_INCLUDE / "mappings", include / "mappings")
    shutil.copytree(BENCH_INCLUDE / "registers", include / "registers")
    for n in range(count):
        text = template.replace("id: bench_companies", f"id: parse_{n:03d}").replace(
            "schedule: null", f"schedule: {_SCHEDULES[n % len(_SCHEDULES)]}"
        )
        (include / "synchronizations" / f"parse_{n:03d}.yaml").write_text(text)


def measure(home: Path, repeats: int = 3) -> dict[str, Any]:
    """Write the specs, time the parses in fresh processes, and return the figures."""
    include = Path(tempfile.mkdtemp(prefix="bench-parse-")) / "include"
    try:
        write_specs(include)
        env = _environment(home, include)
        log = home / "logs" / "parse_time.log"
        files = [run_child("bench.parse_time", ["--child", "file"], log=log, timeout=300, env=env) for _ in range(repeats)]
        folder = run_child("bench.parse_time", ["--child", "folder"], log=log, timeout=300, env=env)
    finally:
        shutil.rmtree(include.parent, ignore_errors=True)
    median = statistics.median(r["parse_seconds"] for r in files)
    return {
        "specs": SPECS,
        "dag_file_seconds": round(median, 3),
        "dag_file_runs": [r["parse_seconds"] for r in files],
        "dags": files[0]["dags"],
        "import_errors": files[0]["import_errors"] + folder["import_errors"],
        "import_airflow_seconds": round(statistics.median(r["import_seconds"] for r in files), 3),
        "process_seconds": round(statistics.median(r["process_seconds"] for r in files), 3),
        "folder_seconds": folder["parse_seconds"],
        "interpreter_seconds": _interpreter_seconds(),
    }


def _environment(home: Path, include: Path) -> dict[str, str]:
    airflow_home = home / "parse-airflow"
    airflow_home.mkdir(parents=True, exist_ok=True)
    return {
        "AIRFLOW_HOME": str(airflow_home),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_FOLDER": str(settings.PROJECT_ROOT / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(settings.PROJECT_ROOT / "plugins"),
        "OPENCONNECTOR_INCLUDE_DIR": str(include),
        "OPENCONNECTOR_STRICT": "",
    }


def _interpreter_seconds() -> float:
    began = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    return round(time.perf_counter() - began, 3)


def child(what: str) -> dict[str, Any]:
    """Import Airflow's DagBag, then parse the DAG file (``file``) or folder (``folder``); return the times."""
    began = time.perf_counter()
    from airflow.dag_processing.dagbag import DagBag

    imported = time.perf_counter()
    dags = settings.PROJECT_ROOT / "dags"
    target = dags / "synchronizations.py" if what == "file" else dags
    bag = DagBag(dag_folder=str(target), safe_mode=False)
    parsed = time.perf_counter()
    errors = [f"{Path(path).name}: {str(error).splitlines()[0][:200]}" for path, error in bag.import_errors.items()]
    return {"import_seconds": round(imported - began, 3), "parse_seconds": round(parsed - imported, 3),
            "dags": len(bag.dags), "import_errors": errors, "pid": os.getpid()}


def main(argv: list[str] | None = None) -> None:
    """Child entry point: one timed parse."""
    parser = argparse.ArgumentParser(prog="python -m bench.parse_time", description=__doc__)
    parser.add_argument("--child", choices=("file", "folder"), required=True)
    emit(child(parser.parse_args(argv).child))


if __name__ == "__main__":
    main()
