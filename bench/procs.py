"""Run one measurement in a process of its own and read its result; measure a process's peak memory.

Each measured pipeline (the floor, dlt, the DAG-parse timing) runs as ``python -m bench.<module>`` so it
shares neither the GIL nor the heap with the bench, and prints one ``BENCH-RESULT {json}`` line.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from openconnector import settings

RESULT_PREFIX = "BENCH-RESULT "


def peak_rss_mb() -> float:
    """Return the peak resident memory of this process (and of its finished children) in MB.

    ``VmHWM`` is this address space's own high-water mark; ``ru_maxrss`` is not used for the process
    itself because after ``vfork``+``exec`` Linux carries the parent's peak over into the child.
    """
    peak_kb = 0
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                peak_kb = int(line.split()[1])
    children_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return round(max(peak_kb, children_kb) / 1024, 1)


def emit(result: dict[str, Any]) -> None:
    """Print a measurement's result as the line the bench reads."""
    print(RESULT_PREFIX + json.dumps(result), flush=True)


def run_child(module: str, args: list[str], *, log: Path, timeout: float, env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run ``python -m module args`` and return the result it emitted; its output goes to ``log``."""
    command = [sys.executable, "-m", module, *args]
    full_env = {**os.environ, "PYTHONPATH": _pythonpath(), **(env or {})}
    log.parent.mkdir(parents=True, exist_ok=True)
    began = time.perf_counter()
    with open(log, "w") as out:
        completed = subprocess.run(command, stdout=subprocess.PIPE, stderr=out, text=True, env=full_env,
                                   timeout=timeout, check=False, cwd=settings.PROJECT_ROOT)
        out.write(completed.stdout)
    process_seconds = time.perf_counter() - began
    lines = [line for line in completed.stdout.splitlines() if line.startswith(RESULT_PREFIX)]
    if completed.returncode != 0 or not lines:
        tail = log.read_text()[-3000:]
        raise RuntimeError(f"python -m {module} failed (exit {completed.returncode}); log {log}:\n{tail}")
    result: dict[str, Any] = json.loads(lines[-1][len(RESULT_PREFIX):])
    result["process_seconds"] = round(process_seconds, 3)
    return result


def _pythonpath() -> str:
    root = settings.PROJECT_ROOT
    parts = [str(root / "plugins"), str(root), os.environ.get("PYTHONPATH", "")]
    return os.pathsep.join(p for p in parts if p)


def cpu_busy(interval: float = 2.0) -> float:
    """Return the share of all CPUs busy over ``interval`` seconds (0..1), from /proc/stat."""

    def totals() -> tuple[int, int]:
        with open("/proc/stat") as stat:
            fields = [int(v) for v in stat.readline().split()[1:]]
        return sum(fields), fields[3] + fields[4]  # idle + iowait

    total1, idle1 = totals()
    time.sleep(interval)
    total2, idle2 = totals()
    return 1 - (idle2 - idle1) / max(1, total2 - total1)


def wait_until_quiet(limit: float = 0.25, max_wait: float = 180.0) -> float:
    """Wait (at most ``max_wait`` s) until other work leaves the CPUs mostly idle; return the last busy share.

    Other engineers' test runs share this machine; a measurement taken while they run says little.
    """
    deadline = time.monotonic() + max_wait
    busy = cpu_busy()
    while busy > limit and time.monotonic() < deadline:
        time.sleep(3)
        busy = cpu_busy()
    return round(busy, 3)
