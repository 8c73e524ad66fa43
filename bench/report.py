"""Print the benchmark's results: a table per scenario, the partitions comparison, parse time, the targets."""

from __future__ import annotations

from typing import Any

from bench.ours import summarize

TARGET_SCALE = 1_000_000
LABELS = {
    "first": "first sync (everything new)",
    "unchanged": "re-sync, nothing changed",
    "changed": "re-sync, 1% changed and 0.5% removed",
    "test": "Test run (dry run) of another 1% changed / 0.5% removed",
}
_RULE = "─" * 100


def print_report(results: dict[str, Any]) -> None:
    """Print everything measured, then the targets block (``results['targets']``)."""
    print(f"\n{_RULE}\n{_header(results)}\n{_RULE}")
    source = results.get("source")
    if source:
        print(f"Source: {source['pages_per_second']:,} pages/s = {source['objects_per_second']:,} objects/s "
              f"({source['mb_per_second']:,} MB/s) to one keep-alive client, no parsing; rendered in "
              f"{source['render_seconds']} s")
    if results.get("error"):
        print(f"\nThe bench stopped early: {results['error']}")
    for failure in results.get("failures", []):
        print(f"\nFAILED: {failure}")
    runs = (results.get("ours") or {}).get("runs", {})
    for scenario, run in runs.items():
        _print_scenario(scenario, run, (results.get("peers") or {}).get(scenario, {}))
    _print_partitions((results.get("ours") or {}).get("partitions") or {})
    _print_parse(results.get("parse"))
    _print_targets(results)


def _header(results: dict[str, Any]) -> str:
    machine = results["machine"]
    pages = -(-results["count"] // 1000)
    return (f"OpenConnector benchmark: N={results['count']:,} objects (~1.2 KB each, {pages:,} pages of 1,000), "
            f"{machine['cpus']} CPUs, Python {machine['python']}, {results.get('postgres', 'PostgreSQL')}")


def _print_scenario(scenario: str, run: dict[str, Any], peers: dict[str, Any]) -> None:
    print(f"\n── {LABELS.get(scenario, scenario)} {'─' * max(0, 90 - len(LABELS.get(scenario, scenario)))}")
    wall = run.get("wall_seconds")
    fetched = (run.get("report") or {}).get("fetched")
    columns = [("ours", wall, fetched, task_peak_mb([run]))]
    for name in ("dlt", "floor"):
        peer = peers.get(name)
        if peer:
            columns.append((name, peer["seconds"], peer["objects"], peer["peak_rss_mb"]))
    print("  " + f"{'':<14}" + "".join(f"{c[0]:>12}" for c in columns))
    print("  " + f"{'wall s':<14}" + "".join(f"{_num(c[1], 2):>12}" for c in columns))
    print("  " + f"{'objects/s':<14}" + "".join(f"{_rate(c[2], c[1]):>12}" for c in columns))
    print("  " + f"{'ours ÷ this':<14}" + "".join(f"{_ratio(wall, c[1]):>12}" for c in columns))
    print("  " + f"{'peak MB':<14}" + "".join(f"{_num(c[3], 0):>12}" for c in columns))
    if run.get("state") != "success":
        print(f"  ours: the run ended {run.get('state')}")
        return
    report = run["report"]
    counts = ("fetched", "new", "changed", "unchanged", "deleted", "skipped", "invalid")
    print("  report: " + " · ".join(f"{k} {report.get(k, 0):,}" for k in counts) + ("  (test: nothing written)"
                                                                                       if report.get("test") else ""))
    _print_stages(run)
    busy = [("ours", run.get("cpu_busy_before")), ("floor", peers.get("cpu_busy_before")),
            ("dlt", peers.get("cpu_busy_before_dlt"))]
    noisy = [f"{name} {share:.0%}" for name, share in busy if share is not None and share > 0.25]
    if noisy:
        print(f"  WARNING: other work kept the CPUs busy before: {', '.join(noisy)}; figures may be slow")
    if run.get("slow_sql"):
        print("  slowest SQL (statements ≥ 0.1 s, summed): " + "".join(
            f"\n    {e['seconds']:7.2f} s  ×{e['count']:<4} {e['statement'][:86]}" for e in run["slow_sql"][:6]))
    dlt = peers.get("dlt")
    if dlt:
        steps = dlt.get("steps", {})
        print("  dlt steps: " + " · ".join(f"{k} {v:.1f} s" for k, v in steps.items() if k != "run"))


def _print_stages(run: dict[str, Any]) -> None:
    stages = summarize(run)
    print(f"\n  {'stage':<10}{'parts':>6}{'objects':>11}{'work s':>9}{'obj/s':>10}{'task s':>9}{'obj/s':>10}"
          f"   peak MB: recorded / sampled RSS / PSS")
    busy = 0.0
    for name, s in stages.items():
        busy += s["task_seconds"] or 0
        print(f"  {name:<10}{s['partitions']:>6}{s['objects']:>11,}{_num(s['seconds'], 2):>9}{_int(s['per_second']):>10}"
              f"{_num(s['task_seconds'], 2):>9}{_int(s['task_per_second']):>10}   "
              f"{_num(s['recorded_peak_mb'], 0)} / {_num(s['sampled_rss_mb'], 0)} / {_num(s['sampled_pss_mb'], 0)}")
    work = sum(s["seconds"] for s in stages.values())
    wall = run.get("wall_seconds") or 0
    print(f"  wall {wall:.1f} s = stage work {work:.1f} s + task start-up/finish {busy - work:.1f} s "
          f"+ scheduling between tasks {wall - busy:.1f} s")


def _print_partitions(partitions: dict[str, Any]) -> None:
    if not partitions:
        return
    print(f"\n── map stage: 1 vs 2 partitions (a first sync of each) {'─' * 45}")
    print(f"  {'partitions':<12}{'map span s':>12}{'objects/s':>12}{'work s per partition':>26}{'run wall s':>12}")
    spans = {}
    for count, run in partitions.items():
        if run.get("state") != "success":
            print(f"  {count:<12}the run ended {run.get('state')}")
            continue
        stage = summarize(run).get("map", {})
        parts = run["stages"].get("map", {})
        spans[count] = stage.get("task_seconds")
        work = ", ".join(f"{float(p['seconds']):.1f}" for _, p in sorted(parts.items()))
        print(f"  {count:<12}{_num(stage.get('task_seconds'), 2):>12}{_int(stage.get('task_per_second')):>12}"
              f"{work:>26}{_num(run.get('wall_seconds'), 1):>12}")
    if spans.get("1") and spans.get("2"):
        print(f"  2 partitions: the map stage takes {spans['2'] / spans['1']:.2f}× the time of 1")


def _print_parse(parse: dict[str, Any] | None) -> None:
    if not parse:
        return
    print(f"\n── DAG parsing, {parse['specs']} specs {'─' * 75}")
    print(f"  dags/synchronizations.py: {parse['dag_file_seconds']:.2f} s (median of {parse['dag_file_runs']}), "
          f"{parse['dags']} DAGs; whole dags/ folder (with the spec-error file): {parse['folder_seconds']:.2f} s")
    print(f"  fresh process: interpreter {parse['interpreter_seconds']:.2f} s, import of Airflow's DagBag "
          f"{parse['import_airflow_seconds']:.2f} s, process total {parse['process_seconds']:.2f} s")
    for error in parse["import_errors"]:
        print(f"  import error: {error}")


def evaluate_targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Return the issue's targets with the measured value and whether each is met."""
    runs = (results.get("ours") or {}).get("runs", {})
    peers = results.get("peers") or {}
    rows = [
        _target("first sync ≤ 90 s", _wall(runs, "first"), 90, "s"),
        _target("first sync ≤ 0.5 × dlt's time", _over(runs, peers, "first", "dlt"), 0.5, "×"),
        _target("unchanged re-sync ≤ 1.5 × the floor", _over(runs, peers, "unchanged", "floor"), 1.5, "×"),
        _target("1%-changed re-sync ≤ 1.6 × the floor", _over(runs, peers, "changed", "floor"), 1.6, "×"),
    ]
    every_run = [*runs.values(), *((results.get("ours") or {}).get("partitions") or {}).values()]
    rows.append(_target("peak memory of every task ≤ 400 MB", task_peak_mb(every_run), 400, "MB"))
    parse = results.get("parse")
    rows.append(_target("DAG parse of 200 specs ≤ 2 s", parse["dag_file_seconds"] if parse else None, 2, "s"))
    rows.append(_target("fetch ÷ source speed ≤ 1 (the source is not the bottleneck)", _source_share(results, runs), 1, "×"))
    partitions = (results.get("ours") or {}).get("partitions") or {}
    rows.append(_target("map stage with 2 partitions ÷ 1 partition < 1", _partition_ratio(partitions), 0.999, "×"))
    return rows


def _target(name: str, value: float | None, limit: float, unit: str) -> dict[str, Any]:
    met = None if value is None else value <= limit
    return {"target": name, "value": None if value is None else round(value, 3), "limit": limit, "unit": unit, "met": met}


def _print_targets(results: dict[str, Any]) -> None:
    count = results["count"]
    scale = count >= TARGET_SCALE
    note = "" if scale else f" (they are defined at N={TARGET_SCALE:,}; at N={count:,} the verdicts are indicative)"
    print(f"\n── targets{note} {'─' * max(0, 88 - len(note))}")
    for row in results.get("targets", []):
        value = "not measured" if row["value"] is None else f"{row['value']:,.2f} {row['unit']}"
        verdict = "—" if row["met"] is None else ("MET" if row["met"] else "NOT MET")
        if not scale and row["met"] is not None:
            verdict = f"({verdict.lower()})"
        print(f"  {row['target']:<62}{value:>16}   {verdict}")


def task_peak_mb(runs: list[dict[str, Any]]) -> float | None:
    """Return the largest task memory of these runs: the pipeline's recorded peak or the sampled RSS."""
    peaks = []
    for run in runs:
        for stage in summarize(run).values() if run.get("stages") is not None else []:
            peaks += [v for v in (stage["recorded_peak_mb"], stage["sampled_rss_mb"]) if v]
    return max(peaks) if peaks else None


def _wall(runs: dict[str, Any], scenario: str) -> float | None:
    run = runs.get(scenario)
    return run.get("wall_seconds") if run and run.get("state") == "success" else None


def _over(runs: dict[str, Any], peers: dict[str, Any], scenario: str, peer: str) -> float | None:
    ours, theirs = _wall(runs, scenario), (peers.get(scenario) or {}).get(peer)
    return ours / theirs["seconds"] if ours and theirs and theirs.get("seconds") else None


def _source_share(results: dict[str, Any], runs: dict[str, Any]) -> float | None:
    source = results.get("source")
    rates = [s["fetch"]["per_second"] for s in (summarize(r) for r in runs.values() if r.get("stages"))
             if s.get("fetch") and s["fetch"]["per_second"]]
    return max(rates) / source["objects_per_second"] if source and rates else None


def _partition_ratio(partitions: dict[str, Any]) -> float | None:
    spans = {k: summarize(r).get("map", {}).get("task_seconds") for k, r in partitions.items() if r.get("stages")}
    return spans["2"] / spans["1"] if spans.get("1") and spans.get("2") else None


def _num(value: float | None, digits: int) -> str:
    return "—" if value is None else f"{value:,.{digits}f}"


def _int(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f}"


def _rate(objects: int | None, seconds: float | None) -> str:
    return "—" if not objects or not seconds else f"{objects / seconds:,.0f}"


def _ratio(ours: float | None, other: float | None) -> str:
    return "—" if not ours or not other else f"{ours / other:.2f}×"

