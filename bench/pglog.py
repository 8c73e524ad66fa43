"""Where the database time goes: the bench's Postgres logs every statement slower than a threshold.

The bench turns on ``log_min_duration_statement`` on its own embedded server (logging only, no
planner or memory setting is touched) and afterwards sums the logged durations per statement, for the
time window of each DAG run. That names the SQL behind a slow stage without changing the product.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg2

THRESHOLD_MS = 100
_ENTRY = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?) (\w+) \[\d+\] LOG:  duration: ([\d.]+) ms  "
                    r"(?:statement|execute [^:]*): ?(.*)$")
_PREFIX = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")
_COMMENT = re.compile(r"/\*.*?\*/|--[^\n]*", re.S)


def enable(db: dict[str, Any], threshold_ms: int = THRESHOLD_MS) -> None:
    """Log statements slower than ``threshold_ms`` on the server behind ``db``."""
    conn = psycopg2.connect(**db)
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("ALTER SYSTEM SET log_min_duration_statement = %s", (f"{threshold_ms}ms",))
            cur.execute("SELECT pg_reload_conf()")
    finally:
        conn.close()


def slow_statements(log: Path, start: str | None, end: str | None, top: int = 8) -> list[dict[str, Any]]:
    """Return the slowest statements logged between two ISO times, summed per statement, slowest first."""
    if not log.exists() or not start or not end:
        return []
    begin, finish = _parse_iso(start), _parse_iso(end)
    totals: dict[str, dict[str, Any]] = {}
    for when, seconds, text in _entries(log):
        if when is not None and not begin <= when <= finish:
            continue
        entry = totals.setdefault(_label(text), {"statement": _label(text), "count": 0, "seconds": 0.0, "max": 0.0})
        entry["count"] += 1
        entry["seconds"] = round(entry["seconds"] + seconds, 3)
        entry["max"] = max(entry["max"], round(seconds, 3))
    return sorted(totals.values(), key=lambda e: -e["seconds"])[:top]


def _entries(log: Path) -> Iterator[tuple[dt.datetime | None, float, str]]:
    """Yield (time, seconds, statement text) of every logged duration; statements may span lines."""
    current: tuple[dt.datetime | None, float, list[str]] | None = None
    with open(log, errors="replace") as lines:
        for raw in lines:
            line = raw.rstrip("\n")
            match = _ENTRY.match(line)
            if match or _PREFIX.match(line):
                if current:
                    yield current[0], current[1], "\n".join(current[2])
                current = None
                if match:
                    stamp, zone, millis, text = match.groups()
                    when = dt.datetime.fromisoformat(stamp).replace(tzinfo=dt.UTC) if zone in ("UTC", "GMT") else None
                    current = (when, float(millis) / 1000, [text])
            elif current is not None:
                current[2].append(line)
    if current:
        yield current[0], current[1], "\n".join(current[2])


def _label(text: str) -> str:
    """Return a short, stable name for a statement: its first words, literals and staging run ids masked."""
    flat = " ".join(_COMMENT.sub(" ", text).split())
    flat = re.sub(r"'[^']*'", "'…'", flat)
    flat = re.sub(r'"r\d+_', '"rN_', flat)
    flat = re.sub(r"\b(to_map|r)_?\d+(_\d+)?\b", r"\1_N", flat)
    return flat[:110]


def _parse_iso(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(dt.UTC)
