"""Per-stage figures recorded with every run: wall time, objects, objects per second, peak memory."""

from __future__ import annotations

import resource
import sys
import time
from typing import Any


class StageClock:
    """Measure one stage (or partition): start on creation, read with ``stats()``."""

    def __init__(self) -> None:
        self._start = time.perf_counter()

    def stats(self, objects: int, **extra: Any) -> dict[str, Any]:
        """Return seconds, objects, objects/s and this process's peak RSS in MB, plus ``extra``."""
        seconds = time.perf_counter() - self._start
        return {
            "seconds": round(seconds, 3),
            "objects": objects,
            "per_second": round(objects / seconds) if seconds > 0 else None,
            "peak_rss_mb": peak_rss_mb(),
            **extra,
        }


def peak_rss_mb() -> float:
    """Return the peak resident memory of this process in MB (Linux reports KiB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / (1024 * 1024 if sys.platform == "darwin" else 1024), 1)
