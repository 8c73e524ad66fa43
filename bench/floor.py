"""The floor: read every page (keep-alive), parse it with orjson, and COPY the raw objects into Postgres once.

No pipeline can synchronize a source faster than it can read, parse and store it; ``our time ÷ floor``
says how much our pipeline adds on top. One process, one keep-alive connection, one COPY statement
streamed page by page into a fresh ``jsonb`` table, so memory stays at about one page.

Run by bench/run.py as ``python -m bench.floor --url URL --table NAME --db JSON``.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Iterator
from typing import Any

import orjson
import psycopg2
import requests
from psycopg2 import sql

from bench.procs import emit, peak_rss_mb
from openconnector.db.copyfmt import json_field

PAGE_SIZE = 1000


class _Lines:
    """A read()-able file over an iterator of byte chunks, as ``copy_expert`` wants."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks

    def read(self, size: int = -1) -> bytes:
        return next(self._chunks, b"")


def pages(url: str, stats: dict[str, int]) -> Iterator[bytes]:
    """Yield the COPY lines of each page of ``url``'s company listing, one page at a time."""
    with requests.Session() as session:
        page, last = 1, 1
        while page <= last:
            response = session.get(f"{url}/api/companies", params={"page": page, "pageSize": PAGE_SIZE}, timeout=60)
            response.raise_for_status()
            document = orjson.loads(response.content)
            items = document["data"]["items"]
            last = int(document["meta"]["pages"])
            stats["objects"] += len(items)
            stats["pages"] += 1
            yield b"".join(json_field(orjson.dumps(item)) + b"\n" for item in items)
            page += 1


def measure(url: str, table: str, db: dict[str, Any]) -> dict[str, Any]:
    """Load the whole listing into a fresh table; return seconds, objects, pages and peak memory."""
    conn = psycopg2.connect(**db)
    target = sql.Identifier(table)
    with conn.cursor() as cur:
        cur.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(target))
        cur.execute(sql.SQL("CREATE TABLE {} (body jsonb NOT NULL)").format(target))
    conn.commit()
    stats = {"objects": 0, "pages": 0}
    began = time.perf_counter()
    with conn.cursor() as cur:
        statement = sql.SQL("COPY {} (body) FROM STDIN").format(target).as_string(conn)
        cur.copy_expert(statement, _Lines(pages(url, stats)), size=1 << 20)
    conn.commit()
    seconds = time.perf_counter() - began
    conn.close()
    return {"seconds": round(seconds, 3), **stats, "per_second": round(stats["objects"] / seconds),
            "peak_rss_mb": peak_rss_mb()}


def main(argv: list[str] | None = None) -> None:
    """Measure the floor once and emit the result."""
    parser = argparse.ArgumentParser(prog="python -m bench.floor", description=__doc__)
    parser.add_argument("--url", required=True, help="base URL of the demo source")
    parser.add_argument("--table", default="floor_companies")
    parser.add_argument("--db", required=True, help="psycopg2 connect kwargs as JSON")
    args = parser.parse_args(argv)
    emit(measure(args.url, args.table, json.loads(args.db)))


if __name__ == "__main__":
    main()
