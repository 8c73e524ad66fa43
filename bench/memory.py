"""Watch the memory of Airflow's task processes from outside, while a DAG run is under way.

Airflow 3 runs each task try in a process titled ``airflow worker -- <task instance id>``. A sampler
thread reads ``/proc`` a few times a second and keeps, per task instance, the largest resident set
(RSS) and proportional set (PSS: shared pages divided among the processes sharing them) it saw. It
cross-checks the peak the pipeline records itself (``ru_maxrss`` at the end of each stage).
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

TITLE_PREFIX = "airflow worker -- "


@dataclass
class Peak:
    """The largest memory figures seen for one task instance, in MB."""

    rss_mb: float = 0.0
    pss_mb: float = 0.0


@dataclass
class TaskMemorySampler:
    """Sample every Airflow task process every ``interval`` seconds until stopped.

    Half a second: a stage streams, so its memory is flat for seconds at a time, and each sample walks
    ``/proc``, which costs CPU the synchronization being measured would otherwise have.
    """

    interval: float = 0.5
    peaks: dict[str, Peak] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> TaskMemorySampler:
        self._thread = threading.Thread(target=self._run, name="bench-memory", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            for pid, ti_id in _task_processes():
                rss, pss = _memory_mb(pid)
                peak = self.peaks.setdefault(ti_id, Peak())
                peak.rss_mb, peak.pss_mb = max(peak.rss_mb, rss), max(peak.pss_mb, pss)


def _task_processes() -> list[tuple[int, str]]:
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            title = Path(entry.path, "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue  # the process ended meanwhile
        if title.startswith(TITLE_PREFIX):
            found.append((int(entry.name), title[len(TITLE_PREFIX):].strip()))
    return found


def _memory_mb(pid: int) -> tuple[float, float]:
    """Return (RSS, PSS) of one process in MB, or zeros if it ended meanwhile."""
    rss = pss = 0
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Rss:"):
                rss = int(line.split()[1])
            elif line.startswith("Pss:"):
                pss = int(line.split()[1])
    except OSError:
        pass
    return round(rss / 1024, 1), round(pss / 1024, 1)
