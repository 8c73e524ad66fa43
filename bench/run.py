"""``make bench``: synchronize N objects through a real Airflow, side by side with dlt and the floor.

    python -m bench.run --count N [--scenarios first,unchanged,changed,test] [--skip-dlt]
                        [--no-partitions-compare] [--keep-state]

1. starts a fresh state folder (``.local/bench``: embedded Postgres, Airflow home) and the demo source
   with N objects, 1,000 per page, in a process of its own; measures the source's own pages/s;
2. phase A, Airflow up: the scenarios through ``sync_bench_companies`` (first sync; re-sync with nothing
   changed; re-sync with 1% changed and 0.5% removed; a Test run previewing another 1%/0.5% change),
   then the 1-vs-2 map partitions comparison (first syncs of two more specs);
3. the DAG-parse time of 200 specs;
4. phase B, Airflow stopped: the source is set back to the same states and, per scenario, the floor
   and dlt run in processes of their own against the same Postgres server;
5. prints a table per scenario and the targets, writes bench/results/<timestamp>.json, stops everything.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from openconnector import settings

SCENARIOS = ("first", "unchanged", "changed", "test")
RESULTS_DIR = Path(__file__).resolve().parent / "results"
STATE_MARKER = ".bench-state"
#: Disk a bench run needs per object (staging, register, contracts, full contract log, floor and dlt
#: tables, the two partition syncs, WAL), measured at N=100,000 with a margin.
BYTES_PER_OBJECT = 24_000
CONFS = {"test": {"test": True}}


def mutation(scenario: str, count: int) -> tuple[range, range] | None:
    """Return (records to change, records to remove) that precede a scenario, or None."""
    if scenario == "changed":
        return range(7, count, 100), range(3, count, 200)  # 1% changed, 0.5% removed
    if scenario == "test":
        return range(53, count, 100), range(111, count, 200)  # another 1% / 0.5%, previewed by the Test run
    return None


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; return the exit code (1 when a run failed)."""
    args = _parser().parse_args(argv)
    scenarios = _scenarios(args.scenarios)
    if not args.skip_dlt:
        from bench.deps import ensure_requirements

        ensure_requirements()
    home = args.home.resolve()
    os.environ["OPENCONNECTOR_HOME"] = str(home)  # before anything asks settings.state_dir()
    _check_disk(home, args.count)
    _fresh_state(home)
    started = dt.datetime.now(dt.UTC)
    results: dict[str, Any] = {"count": args.count, "seed": args.seed, "scenarios": list(scenarios),
                               "started": started.isoformat(timespec="seconds"), "machine": _machine()}
    failed = True
    try:
        failed = _run_all(args, scenarios, home, results)
    except Exception as exc:  # report what was measured so far; the traceback says what broke
        traceback.print_exc()
        results["error"] = f"{type(exc).__name__}: {exc}"
    finally:
        _shutdown(home, keep=args.keep_state or failed)
    from bench.report import evaluate_targets, print_report

    results["finished"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    results["targets"] = evaluate_targets(results)
    print_report(results)
    path = _write_results(results, started)
    print(f"\nResults: {path.relative_to(settings.PROJECT_ROOT)}", flush=True)
    return 1 if failed else 0


def _run_all(args: argparse.Namespace, scenarios: list[str], home: Path, results: dict[str, Any]) -> bool:
    """Run phases A and B; return whether any run failed."""
    from bench import pglog
    from bench.ours import AirflowBench
    from bench.procs import wait_until_quiet
    from bench.source_proc import SourceProcess, measure_pages_per_second
    from openconnector.db.embedded import ensure_embedded_postgres

    db = ensure_embedded_postgres(("bench", "airflow", settings.CONTRACTS_DATABASE))
    results["postgres"] = _postgres_version(db)
    pglog.enable(db)
    _say(f"Rendering the source: {args.count:,} objects, 1,000 per page (in its own process)")
    with SourceProcess(args.count, args.seed) as source:
        results["source"] = {"render_seconds": round(source.render_seconds, 1), "cpu_busy_before": wait_until_quiet(),
                             **measure_pages_per_second(source.url, args.count)}
        _say(f"Source at {source.url}: {results['source']['pages_per_second']:,} pages/s to one client")
        bench = AirflowBench(home, source.url, run_timeout=max(1800.0, args.count / 300))
        try:
            _say("Starting Airflow (API server, scheduler, DAG processor) with bench/include")
            bench.start()
            results["ours"] = _phase_ours(bench, source, scenarios, args)
        finally:
            bench.stop()
        if bench.failures:
            results["failures"] = bench.failures
            return True
        _say("Timing DAG parsing of 200 specs (fresh processes)")
        from bench.parse_time import measure

        results["parse"] = measure(home)
        results["peers"] = _phase_peers(source, scenarios, args, home)
    return False


def _phase_ours(bench: Any, source: Any, scenarios: list[str], args: argparse.Namespace) -> dict[str, Any]:
    from bench.ours import MAIN_SYNC, PARTITION_SYNCS, fresh_contracts_database, reset_syncs

    reset_syncs([MAIN_SYNC, *PARTITION_SYNCS.values()])
    runs: dict[str, Any] = {}
    for scenario in scenarios:
        _mutate(source, scenario, args.count)
        _say(f"Ours: {scenario} ...")
        runs[scenario] = bench.run(MAIN_SYNC, CONFS.get(scenario))
        _say(f"Ours: {scenario}: {runs[scenario]['state']} in {runs[scenario]['wall_seconds']} s")
        if runs[scenario]["state"] != "success":
            return {"runs": runs}
    partitions: dict[str, Any] = {}
    if args.partitions_compare:
        for count, sync in PARTITION_SYNCS.items():
            fresh_contracts_database()
            _say(f"Ours: first sync with {count} map partition(s), into a fresh contracts database ...")
            partitions[str(count)] = bench.run(sync)
            if partitions[str(count)]["state"] != "success":
                break
    return {"runs": runs, "partitions": partitions}


def _phase_peers(source: Any, scenarios: list[str], args: argparse.Namespace, home: Path) -> dict[str, Any]:
    """Per scenario: the floor, then dlt, each in a process of its own, on the same source states."""
    from bench.procs import run_child, wait_until_quiet
    from openconnector.db.embedded import ensure_embedded_postgres

    db = json.dumps(ensure_embedded_postgres(("bench",)))
    timeout = max(1800.0, args.count / 200)
    source.restore()
    peers: dict[str, Any] = {}
    for scenario in scenarios:
        _mutate(source, scenario, args.count)
        _say(f"Floor: {scenario} ...")
        entry: dict[str, Any] = {"cpu_busy_before": wait_until_quiet()}
        entry["floor"] = run_child("bench.floor", ["--url", source.url, "--db", db],
                                    log=home / "logs" / f"floor-{scenario}.log", timeout=timeout)
        if not args.skip_dlt and scenario != "test":  # dlt has no dry run
            _say(f"dlt: {scenario} ...")
            fresh = ["--fresh"] if scenario == "first" else []
            entry["cpu_busy_before_dlt"] = wait_until_quiet()
            entry["dlt"] = run_child("bench.dlt_pipeline",
                                     ["--url", source.url, "--db", db, "--state", str(home / "dlt"), *fresh],
                                     log=home / "logs" / f"dlt-{scenario}.log", timeout=timeout)
        peers[scenario] = entry
    return peers


def _mutate(source: Any, scenario: str, count: int) -> None:
    change = mutation(scenario, count)
    if change is not None:
        seconds = source.mutate(*change)
        _say(f"Source: {len(change[0]):,} objects changed, {len(change[1]):,} removed (re-rendered in {seconds:.1f} s)")


def _scenarios(text: str) -> list[str]:
    wanted = [s.strip() for s in text.split(",") if s.strip()]
    unknown = [s for s in wanted if s not in SCENARIOS]
    if unknown:
        raise SystemExit(f"--scenarios: unknown {', '.join(unknown)}; choose from {','.join(SCENARIOS)}")
    if wanted and "first" not in wanted:
        raise SystemExit("--scenarios: every re-sync needs the contracts of a first sync; include 'first'")
    return [s for s in SCENARIOS if s in wanted]


def _check_disk(home: Path, count: int) -> None:
    probe = home if home.exists() else home.parent
    probe.mkdir(parents=True, exist_ok=True)
    free, needed = shutil.disk_usage(probe).free, count * BYTES_PER_OBJECT
    _say(f"Disk: {free / 1e9:.0f} GB free at {probe}, the bench needs about {needed / 1e9:.1f} GB")
    if free < needed:
        raise SystemExit(f"Not enough disk for N={count:,}: {free / 1e9:.1f} GB free, ~{needed / 1e9:.1f} GB needed")


def _fresh_state(home: Path) -> None:
    """Start from nothing: stop the bench's own embedded Postgres and remove its state folder."""
    from openconnector.db.embedded import stop_embedded_postgres

    if home.exists() and any(home.iterdir()):
        if not (home / STATE_MARKER).exists():
            raise SystemExit(f"{home} is not empty and is not a bench state folder; choose another --home")
        stop_embedded_postgres()
        shutil.rmtree(home)
    home.mkdir(parents=True, exist_ok=True)
    (home / STATE_MARKER).write_text("State of python -m bench.run; removed at the start of the next run.\n")


def _shutdown(home: Path, keep: bool) -> None:
    from openconnector.db.embedded import stop_embedded_postgres

    stop_embedded_postgres()
    if keep:
        _say(f"State kept in {home} (Airflow logs in {home / 'airflow' / 'logs'})")
    else:
        shutil.rmtree(home, ignore_errors=True)


def _postgres_version(db: dict[str, Any]) -> str:
    import psycopg2

    from openconnector.db.embedded import EMBEDDED_SETTINGS

    conn = psycopg2.connect(**db)
    try:
        with conn.cursor() as cur:
            cur.execute("SHOW server_version")
            version = cur.fetchone()[0]
            changed = []
            for name in EMBEDDED_SETTINGS:
                cur.execute("SELECT current_setting(%s)", (name,))
                changed.append(f"{name}={cur.fetchone()[0]}")
            return f"PostgreSQL {version} (embedded; stock settings but {', '.join(changed)})"
    finally:
        conn.close()


def _machine() -> dict[str, Any]:
    return {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()}


def _write_results(results: dict[str, Any], started: dt.datetime) -> Path:
    RESULTS_DIR.mkdir(exist_ok=True)
    path = RESULTS_DIR / f"{started.strftime('%Y%m%dT%H%M%SZ')}-n{results['count']}.json"
    path.write_text(json.dumps(results, indent=2, default=str))
    return path


def _say(text: str) -> None:
    print(f"==> [{time.strftime('%H:%M:%S')}] {text}", flush=True)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=100_000, help="objects the source serves (default 100000)")
    parser.add_argument("--scenarios", default=",".join(SCENARIOS), help="comma-separated subset of " + ",".join(SCENARIOS))
    parser.add_argument("--skip-dlt", action="store_true", help="do not run dlt (nor install it)")
    parser.add_argument("--partitions-compare", action=argparse.BooleanOptionalAction, default=True,
                        help="compare 1 and 2 map partitions with two extra first syncs (default: on)")
    parser.add_argument("--seed", type=int, default=0, help="record generator seed")
    parser.add_argument("--keep-state", action="store_true", help="keep .local/bench (databases, Airflow logs) afterwards")
    parser.add_argument("--home", type=Path, default=settings.PROJECT_ROOT / ".local" / "bench",
                        help="state folder of the bench (default .local/bench; emptied at the start)")
    return parser


if __name__ == "__main__":
    sys.exit(main())
