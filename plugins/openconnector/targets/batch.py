"""Run the writes of a batch with bounded concurrency, and stop early when the target is gone.

Each write is one HTTP exchange (sometimes two), so a few threads keep several requests in flight on
the keep-alive session while the GIL is released on the sockets. When one write finds the target
unavailable, or a problem of the whole run (``TargetError``), writes not yet started are skipped: the
batch is going to be repeated anyway, and hammering a server that is down helps nobody.

The error raised carries ``unsent``: the origin ids of the writes this batch surely did not carry out
(skipped, or refused before the target acted: connection refused, 429, 503). The write stage may hand
those back as not ``pending``, so a POST-only API does not get a needless "check for a duplicate".
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Final, TypeVar

from openconnector.errors import TargetError, TargetUnavailable
from openconnector.targets.base import PlannedWrite, WriteOutcome

#: A batch of at least this many writes that all end in a server error means a broken target, not bad objects.
ALL_FAILED_MINIMUM: Final = 3

R = TypeVar("R")


class _Skipped(Exception):
    """A write not started because another one already failed the batch."""


class WritePool:
    """A fixed pool of ``concurrency`` threads; one per target, reused for every batch of a run."""

    def __init__(self, concurrency: int, name: str = "openconnector-write") -> None:
        self.concurrency = concurrency
        self._executor = ThreadPoolExecutor(concurrency, thread_name_prefix=name) if concurrency > 1 else None

    def run(self, writes: list[PlannedWrite], write: Callable[[PlannedWrite], R]) -> list[R]:
        """Return ``write(w)`` for every write, in order; after all stop, re-raise the most serious error.

        A non-retryable ``TargetError`` wins over ``TargetUnavailable``: it needs a person, a retry does not.
        """
        stop = threading.Event()

        def guarded(item: PlannedWrite) -> R:
            if stop.is_set():
                raise _Skipped
            try:
                return write(item)
            except BaseException:
                stop.set()
                raise

        if self._executor is None or len(writes) <= 1:
            futures = [_run_now(guarded, item) for item in writes]
        else:
            futures = [self._executor.submit(guarded, item) for item in writes]
        return _collect(writes, futures)

    def close(self) -> None:
        """Stop the threads."""
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None


def _run_now(call: Callable[[PlannedWrite], R], item: PlannedWrite) -> Future[R]:
    future: Future[R] = Future()
    try:
        future.set_result(call(item))
    except BaseException as exc:  # collected like a pool thread's failure
        future.set_exception(exc)
    return future


def _collect(writes: list[PlannedWrite], futures: list[Future[R]]) -> list[R]:
    results: list[R] = []
    error: BaseException | None = None
    unsent: list[str] = []
    for write, future in zip(writes, futures, strict=True):
        try:
            results.append(future.result())
        except _Skipped:
            unsent.append(write.origin_id)
        except TargetError as exc:
            if getattr(exc, "reached", True) is False:
                unsent.append(write.origin_id)
            if error is None or (error_retryable(error) and not exc.retryable):
                error = exc
        except BaseException as exc:  # a bug: report it rather than a target error
            if error is None or isinstance(error, TargetError):
                error = exc
    if error is not None:
        error.unsent = unsent  # type: ignore[attr-defined]
        raise error
    return results


def error_retryable(error: BaseException) -> bool:
    """Tell whether an error is one a later retry may cure."""
    return bool(getattr(error, "retryable", False))


def refuse_all_server_errors(results: list[tuple[WriteOutcome, int | None]]) -> None:
    """Raise ``TargetUnavailable`` when every write of a batch ended in a 5xx: the target is broken, not the objects.

    Recording a few hundred objects as failed because the target's database is down would only hide it.
    """
    if len(results) < ALL_FAILED_MINIMUM or not all((status or 0) >= 500 for _, status in results):
        return
    raise TargetUnavailable(
        f"every one of {len(results)} writes of the batch ended in a server error, e.g. {results[0][0].message}; "
        "the target looks broken rather than the objects, so the batch is not recorded and will be retried"
    )
