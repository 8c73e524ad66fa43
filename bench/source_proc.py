"""The demo source in a process of its own, driven through a pipe: start, mutate, restore, stop.

The server must not share a GIL with what it serves, nor with the bench's measurements. The demo
source's CLI has no way in for mutations, so the bench runs ``DemoSource`` in a ``multiprocessing``
child (spawned: a fresh interpreter) and sends it commands; every mutation is one ``batch()``, one
re-render of the pre-rendered pages, before the command returns.
"""

from __future__ import annotations

import multiprocessing
import time
from multiprocessing.connection import Connection
from typing import Any

import requests

PAGE_SIZE = 1000


def _serve(conn: Connection, count: int, seed: int) -> None:
    """Child process: serve until told to stop, applying mutations as they come."""
    from devkit.demo_source import DemoSource

    began = time.perf_counter()
    source = DemoSource(count=count, page_size=PAGE_SIZE, seed=seed, prerender=True).start()
    conn.send(("ready", source.url, time.perf_counter() - began))
    try:
        while True:
            command, payload = conn.recv()
            if command == "stop":
                break
            began = time.perf_counter()
            with source.batch():
                if command == "restore":
                    source.restore()
                elif command == "mutate":
                    source.update(payload["update"], version=payload["version"])
                    source.remove(payload["remove"])
            conn.send(("ok", time.perf_counter() - began))
    finally:
        source.stop()
        conn.send(("stopped", None))


class SourceProcess:
    """A ``DemoSource(count, page_size=1000, prerender=True)`` running in a child process."""

    def __init__(self, count: int, seed: int = 0) -> None:
        self.count, self.seed = count, seed
        self.url = ""
        self.render_seconds = 0.0
        self._conn: Connection | None = None
        self._process: multiprocessing.process.BaseProcess | None = None

    def start(self, timeout: float = 900) -> SourceProcess:
        """Start the child and wait until every page is rendered and served."""
        context = multiprocessing.get_context("spawn")
        self._conn, child = context.Pipe()
        self._process = context.Process(target=_serve, args=(child, self.count, self.seed), name="bench-source")
        self._process.start()
        _, self.url, self.render_seconds = self._receive("ready", timeout)
        return self

    def mutate(self, update: range, remove: range, version: int = 1) -> float:
        """Serve ``update`` at ``version`` and stop listing ``remove``; return the re-render seconds."""
        return self._command("mutate", {"update": update, "remove": remove, "version": version})

    def restore(self) -> float:
        """Serve every record at version 0 again; return the re-render seconds."""
        return self._command("restore", None)

    def _command(self, name: str, payload: Any) -> float:
        assert self._conn is not None, "start() the source first"
        self._conn.send((name, payload))
        return float(self._receive("ok", 900)[1])

    def _receive(self, expected: str, timeout: float) -> tuple[Any, ...]:
        assert self._conn is not None
        assert self._process is not None
        if not self._conn.poll(timeout):
            raise TimeoutError(f"the bench source did not answer {expected!r} in {timeout:.0f} s")
        message = self._conn.recv()
        if message[0] != expected:
            raise RuntimeError(f"the bench source answered {message!r}, expected {expected!r}")
        return tuple(message)

    def stop(self) -> None:
        """Stop the server and end the child process (firmly if it does not end by itself)."""
        if self._process is None:
            return
        try:
            if self._conn is not None and self._process.is_alive():
                self._conn.send(("stop", None))
                if self._conn.poll(30):
                    self._conn.recv()
        except (BrokenPipeError, EOFError, OSError):
            pass  # the child is gone already
        self._process.join(10)
        if self._process.is_alive():
            self._process.terminate()
            self._process.join(5)
        self._process = None

    def __enter__(self) -> SourceProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def measure_pages_per_second(url: str, count: int, max_pages: int = 1000) -> dict[str, Any]:
    """Read the listing's pages once over one keep-alive connection (no parsing); return pages/s and objects/s.

    This is the source's own speed as one client sees it, to compare with what the fetch consumes.
    """
    pages = max(1, min(max_pages, -(-count // PAGE_SIZE)))
    size = 0
    with requests.Session() as session:
        session.get(f"{url}/api/companies", params={"page": 1, "pageSize": PAGE_SIZE}, timeout=60).raise_for_status()
        began = time.perf_counter()
        for page in range(1, pages + 1):
            response = session.get(f"{url}/api/companies", params={"page": page, "pageSize": PAGE_SIZE}, timeout=60)
            response.raise_for_status()
            size += len(response.content)
        seconds = time.perf_counter() - began
    return {"pages": pages, "seconds": round(seconds, 3), "pages_per_second": round(pages / seconds),
            "objects_per_second": round(pages * PAGE_SIZE / seconds), "mb_per_second": round(size / seconds / 1e6)}
