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

    Half a second: a stage streams, so its memory is flat for seconds at a time, and each sample costs
    CPU the synchronization being measured would otherwise have. RSS comes from ``statm`` (cheap); PSS
    from ``smaps_rollup``, which walks the whole address space, only every ``pss_every``-th sample
    (reading both every half second took ~9% of a core during a run).
    """

    interval: float = 0.5
    pss_every: int = 6
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
        sample = 0
        while not self._stop.wait(self.interval):
            sample += 1
            for pid, ti_id in _task_processes():
                peak = self.peaks.setdefault(ti_id, Peak())
                peak.rss_mb = max(peak.rss_mb, _rss_mb(pid))
                if sample % self.pss_every == 1 or not peak.pss_mb:
                    peak.pss_mb = max(peak.pss_mb, _pss_mb(pid))


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


_PAGE_MB = os.sysconf("SC_PAGE_SIZE") / (1024 * 1024)


def _rss_mb(pid: int) -> float:
    """Return the RSS of one process in MB, or zero if it ended meanwhile."""
    try:
        return round(int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * _PAGE_MB, 1)
    except (OSError, IndexError, ValueError):
        return 0.0


def _pss_mb(pid: int) -> float:
    """Return the PSS of one process in MB, or zero if it ended meanwhile."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return 0.0
