"""How long to wait before a retry: what the server asks for, else capped exponential backoff with jitter."""

from __future__ import annotations

import email.utils
import random

import pytest
from requests.structures import CaseInsensitiveDict

from openconnector.sources import RequestBudget, RetryPolicy
from openconnector.sources.ratelimit import RateLimiter
from openconnector.sources.retry import backoff_delay, is_retryable, rate_limit_exhausted, server_requested_wait

NOW = 1_800_000_000.0


def _headers(**values: str) -> CaseInsensitiveDict[str]:
    return CaseInsensitiveDict({k.replace("_", "-"): v for k, v in values.items()})


@pytest.mark.parametrize(
    ("headers", "wait"),
    [
        ({"Retry-After": "7"}, 7.0),
        ({"retry-after": "0"}, 0.0),
        ({"Retry-After": email.utils.formatdate(NOW + 30, usegmt=True)}, 30.0),
        ({"Retry-After": email.utils.formatdate(NOW - 30, usegmt=True)}, 0.0),
        ({"X-RateLimit-Reset": str(int(NOW + 12))}, 12.0),  # a unix timestamp
        ({"X-RateLimit-Reset": "12"}, 12.0),  # seconds from now
        ({"Retry-After": "soon", "X-RateLimit-Reset": "5"}, 5.0),
        ({}, None),
    ],
)
def test_server_requested_wait(headers: dict[str, str], wait: float | None) -> None:
    assert server_requested_wait(CaseInsensitiveDict(headers), now=NOW) == wait


def test_exhausted_window_only_when_remaining_is_zero() -> None:
    assert rate_limit_exhausted(_headers(X_RateLimit_Remaining="0", X_RateLimit_Reset="3"), now=NOW) == 3.0
    assert rate_limit_exhausted(_headers(X_RateLimit_Remaining="4", X_RateLimit_Reset="3"), now=NOW) is None
    assert rate_limit_exhausted(_headers(X_RateLimit_Remaining="0"), now=NOW) is None


def test_backoff_grows_exponentially_is_capped_and_jittered() -> None:
    policy = RetryPolicy(backoff_factor=1.0, max_backoff=10.0)
    rng = random.Random(7)
    for retry, base in [(1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (5, 10.0), (9, 10.0)]:
        delays = {backoff_delay(policy, retry, rng) for _ in range(50)}
        assert all(base / 2 <= d <= base for d in delays)
        assert len(delays) > 1  # jitter: parallel clients do not retry in lockstep


@pytest.mark.parametrize(
    ("status", "retry"),
    [
        (429, True),
        (500, True),
        (502, True),
        (503, True),
        (504, True),
        (400, False),
        (401, False),
        (403, False),
        (404, False),
        (501, False),
    ],
)
def test_which_statuses_are_retried(status: int, retry: bool) -> None:
    assert is_retryable(status) is retry


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_request_budget_lets_n_requests_through_per_period_then_waits() -> None:
    clock = FakeClock()
    limiter = RateLimiter(RequestBudget(requests=3, period=10.0), clock=lambda: clock.now, sleep=clock.sleep)
    waits = [limiter.acquire() for _ in range(7)]
    assert waits == [0, 0, 0, 10.0, 0, 0, 10.0]


def test_blocked_window_holds_back_the_next_request() -> None:
    clock = FakeClock()
    limiter = RateLimiter(None, clock=lambda: clock.now, sleep=clock.sleep)
    limiter.block_for(4.0)
    assert limiter.acquire() == 4.0
    assert limiter.acquire() == 0
