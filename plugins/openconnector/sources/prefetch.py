"""Run an iterator in a background thread, a bounded number of items ahead of its consumer.

Errors raised by the iterator reach the consumer as they were raised; stopping early (``close``)
ends the background thread at its next item without reading further.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from typing import Generic, TypeVar

T = TypeVar("T")
_POLL = 0.05


class Prefetcher(Generic[T]):
    """Iterate ``source`` in a daemon thread, holding at most ``depth`` finished items in a queue."""

    def __init__(self, source: Iterator[T], depth: int = 1) -> None:
        self._source = source
        self._queue: queue.Queue[tuple[str, object]] = queue.Queue(maxsize=max(1, depth))
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="openconnector-prefetch", daemon=True)
        self._thread.start()

    def __iter__(self) -> Iterator[T]:
        while True:
            kind, value = self._queue.get()
            if kind == "item":
                yield value  # type: ignore[misc]
            elif kind == "error":
                raise value  # type: ignore[misc]
            else:
                return

    def close(self, timeout: float = 1.0) -> None:
        """Stop the background thread; items not yet consumed are dropped.

        Waits at most ``timeout`` seconds: a thread still inside a request is a daemon, ends at its next
        item, and its result is dropped.
        """
        self._stop.set()
        while True:
            try:
                self._queue.get_nowait()
            except queue.Empty:
                break
        self._thread.join(timeout)

    def _run(self) -> None:
        try:
            for item in self._source:
                if not self._put("item", item):
                    return
            self._put("end", None)
        except BaseException as exc:  # handed to the consumer, who re-raises it
            self._put("error", exc)
        finally:
            close = getattr(self._source, "close", None)
            if close is not None:
                close()

    def _put(self, kind: str, value: object) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put((kind, value), timeout=_POLL)
                return True
            except queue.Full:
                continue
        return False
