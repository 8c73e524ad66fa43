"""Client-side request pacing for one source, shared by every client of that source in the process.

Two things slow requests down before the server has to say 429: the connection's optional request
budget (at most N requests per period) and a server that announced ``X-RateLimit-Remaining: 0`` with
a reset time. Across processes (parallel synchronizations on several workers) the per-source Airflow
pool is what bounds the load; this module bounds what one process sends.
"""

from __future__ import annotations

import collections
import threading
import time
from collections.abc import Callable

from openconnector.sources.connection import RequestBudget

_LIMITERS: dict[tuple[str, int, float], RateLimiter] = {}
_LIMITERS_LOCK = threading.Lock()


class RateLimiter:
    """A sliding-window limiter: at most ``budget.requests`` request starts in any ``budget.period`` seconds.

    ``sleep`` and ``clock`` are parameters so the pacing logic can be checked without waiting.
    """

    def __init__(
        self,
        budget: RequestBudget | None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._budget = budget
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._starts: collections.deque[float] = collections.deque()
        self._blocked_until = 0.0

    def acquire(self) -> float:
        """Wait until one more request may start; return the seconds waited."""
        with self._lock:
            now = self._clock()
            start = max(now, self._blocked_until)
            if self._budget is not None:
                while self._starts and self._starts[0] <= now - self._budget.period:
                    self._starts.popleft()
                if len(self._starts) >= self._budget.requests:
                    start = max(start, self._starts[-self._budget.requests] + self._budget.period)
                # Reserve the slot now, so concurrent callers queue behind it instead of racing.
                self._starts.append(start)
        wait = start - now
        if wait > 0:
            self._sleep(wait)
        return max(0.0, wait)

    def block_for(self, seconds: float) -> None:
        """Hold back every request for ``seconds`` (the server said its window is used up)."""
        with self._lock:
            self._blocked_until = max(self._blocked_until, self._clock() + seconds)


def shared_limiter(source: str, budget: RequestBudget | None) -> RateLimiter:
    """Return the process-wide limiter of a source, so enrichment threads and parallel clients share it."""
    key = (source, budget.requests if budget else 0, budget.period if budget else 0.0)
    with _LIMITERS_LOCK:
        limiter = _LIMITERS.get(key)
        if limiter is None:
            limiter = _LIMITERS[key] = RateLimiter(budget)
        return limiter
