"""Decide whether a failed request is retried and how long to wait first.

Request-level retries live here and only here (house rule 18); run-level retries are Airflow's task
retries. 429 is retried after the wait the server asks for (``Retry-After`` in seconds or as an HTTP
date, else ``X-RateLimit-Reset``); 5xx, connection errors and timeouts with exponential backoff and
jitter. Everything else fails at once: repeating a 404 or a 401 cannot help.
"""

from __future__ import annotations

import email.utils
import random
import time
from collections.abc import Mapping
from typing import Final

from openconnector.sources.connection import RetryPolicy

#: Statuses worth repeating: rate limited, and server-side trouble that is usually temporary.
RETRYABLE_STATUSES: Final = frozenset({429, 500, 502, 503, 504, 507, 509, 520, 521, 522, 523, 524})
#: ``X-RateLimit-Reset`` values above this are unix timestamps; below it, seconds from now.
_EPOCH_THRESHOLD: Final = 1_000_000_000


def is_retryable(status: int) -> bool:
    """Tell whether a response with this status may succeed when sent again."""
    return status in RETRYABLE_STATUSES


def backoff_delay(policy: RetryPolicy, retry_number: int, rng: random.Random | None = None) -> float:
    """Return the wait before retry ``retry_number`` (1-based): exponential, capped, with jitter.

    "Equal jitter" (half fixed, half random) keeps a floor under the wait, so a burst of 503s still
    backs off, while parallel clients do not retry in lockstep.
    """
    base = float(min(policy.max_backoff, policy.backoff_factor * 2.0 ** (retry_number - 1)))
    return base / 2 + (rng or random).uniform(0, base / 2)


def server_requested_wait(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """Return the seconds the server asked us to wait (``Retry-After``, else ``X-RateLimit-Reset``).

    ``None`` when the response says nothing usable. Dates in the past give 0.
    """
    now = time.time() if now is None else now
    retry_after = headers.get("Retry-After")
    if retry_after:
        wait = _parse_retry_after(retry_after.strip(), now)
        if wait is not None:
            return wait
    reset = headers.get("X-RateLimit-Reset") or headers.get("RateLimit-Reset")
    if reset:
        return _parse_reset(reset.strip(), now)
    return None


def rate_limit_exhausted(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """Return the seconds until the window resets when ``X-RateLimit-Remaining`` says 0, else ``None``."""
    remaining = headers.get("X-RateLimit-Remaining") or headers.get("RateLimit-Remaining")
    if remaining is None or remaining.strip() not in {"0", "0.0"}:
        return None
    reset = headers.get("X-RateLimit-Reset") or headers.get("RateLimit-Reset")
    return _parse_reset(reset.strip(), time.time() if now is None else now) if reset else None


def _parse_retry_after(value: str, now: float) -> float | None:
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, when.timestamp() - now)


def _parse_reset(value: str, now: float) -> float | None:
    try:
        number = float(value)
    except ValueError:
        return _parse_retry_after(value, now)
    return max(0.0, number - now) if number > _EPOCH_THRESHOLD else max(0.0, number)
