"""Rate limits, flaky servers and timeouts are survived; what cannot be survived fails with a clear message."""

from __future__ import annotations

import email.utils
import socket
import time

import pytest

from devkit.demo_source import DemoSource
from openconnector.errors import SourceError, SourceUnavailable
from openconnector.sources import BearerAuth, RequestBudget, RetryPolicy, SourceClient
from tests.servers.helpers import connection, fetch_all, read_page_numbers, source_spec
from tests.servers.loopback import Reply, Request, Serve
from tests.servers.small_api import SmallApi

SPEC = source_spec(resultsPosition="results", pagination={"type": "pageNumber", "totalPagesPath": "total_pages"})
DEMO_SPEC = source_spec(resultsPosition="data.items", pagination={"type": "pageNumber", "totalPagesPath": "meta.pages"})


class TooEarly:
    """Answer 429 asking for ``wait`` seconds, and refuse (400) a retry that comes sooner than asked."""

    def __init__(self, api: SmallApi, headers: dict[str, str], wait: float) -> None:
        self.api, self.headers, self.wait = api, headers, wait
        self.limited_at: float | None = None
        self.early = 0

    def __call__(self, request: Request) -> Reply:
        now = time.monotonic()
        if self.limited_at is None:
            self.limited_at = now
            return Reply(429, {"detail": "slow down"}, self.headers)
        if now - self.limited_at < self.wait - 0.05:
            self.early += 1
            return Reply(400, {"detail": "retried before Retry-After"})
        return self.api(request)

    @property
    def base(self) -> str:
        return self.api.base

    @base.setter
    def base(self, value: str) -> None:
        self.api.base = value


def _http_date(seconds_from_now: float) -> str:
    return email.utils.formatdate(time.time() + seconds_from_now, usegmt=True)


@pytest.mark.parametrize(
    "headers",
    [{"Retry-After": "1"}, {"X-RateLimit-Reset": "1"}, {"Retry-After": "HTTP-DATE"}],
    ids=["retry-after-seconds", "x-ratelimit-reset", "retry-after-http-date"],
)
def test_429_is_retried_after_the_wait_the_server_asks_for(serve: Serve, headers: dict[str, str]) -> None:
    if headers.get("Retry-After") == "HTTP-DATE":
        headers = {"Retry-After": _http_date(2)}
    app = TooEarly(SmallApi(7, 3), headers, wait=1.0)
    server = serve(app)
    objects, stats = fetch_all(SPEC, connection(server.url))
    assert len(objects) == 7
    assert app.early == 0
    assert stats["retries"] == 1
    assert stats["rate_limited"] == 1


def test_429_from_demo_source_with_retry_after() -> None:
    with DemoSource(count=60, page_size=20) as demo:
        demo.fail_page(2, status=429, times=1, retry_after=0)
        objects, stats = fetch_all(DEMO_SPEC, connection(demo.url))
    assert len(objects) == 60
    assert stats["retries"] == 1


def test_a_burst_of_503s_is_retried_with_backoff() -> None:
    with DemoSource(count=60, page_size=20) as demo:
        demo.fail_page(2, status=503, times=3)
        objects, stats = fetch_all(DEMO_SPEC, connection(demo.url))
    assert len({o["id"] for o in objects}) == 60
    assert stats["retries"] == 3


def test_503_beyond_the_attempts_fails_as_unavailable_after_the_pages_before_it() -> None:
    with DemoSource(count=60, page_size=20) as demo:
        demo.fail_page(2, status=503)
        seen: list[int] = []
        with SourceClient(DEMO_SPEC, connection(demo.url)) as client, pytest.raises(SourceUnavailable) as caught:
            read_page_numbers(client, seen)
    assert seen == [1]
    message = str(caught.value)
    assert message.startswith("GET /api/companies?page=2: HTTP 503 Service Unavailable after 4 attempts")
    assert "failing on purpose" in message  # the start of the body
    assert caught.value.retryable


def test_429_asking_longer_than_the_wait_budget_fails_at_once(serve: Serve) -> None:
    server = serve(SmallApi(7, 3).then(Reply(429, {"detail": "quota"}, {"Retry-After": "3600"})))
    with pytest.raises(SourceUnavailable) as caught:
        fetch_all(SPEC, connection(server.url))
    assert "the server asked to wait 3600 s" in str(caught.value)
    assert "max_retry_wait of 5 s" in str(caught.value)
    assert len(server.requests) == 1


def test_a_slow_answer_is_retried_after_the_timeout(serve: Serve) -> None:
    server = serve(SmallApi(7, 3).then(Reply(200, {"results": []}, delay=1.0)))
    spec = source_spec(resultsPosition="results", pagination={"type": "pageNumber"}, timeout=0.3)
    objects, stats = fetch_all(spec, connection(server.url))
    assert len(objects) == 7
    assert stats["retries"] == 1


def test_a_source_that_always_times_out_fails_as_unavailable(serve: Serve) -> None:
    slow = [Reply(200, {"results": []}, delay=0.6) for _ in range(2)]
    server = serve(SmallApi(7, 3).then(*slow))
    spec = source_spec(resultsPosition="results", timeout=0.2)
    conn = connection(server.url, retry=RetryPolicy(max_attempts=2, backoff_factor=0.01, max_total_wait=1))
    with pytest.raises(SourceUnavailable, match=r"GET /api/companies: ReadTimeout after 2 attempts"):
        fetch_all(spec, conn)


def test_connection_refused_fails_as_unavailable_with_advice() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again: nothing listens there
    with pytest.raises(SourceUnavailable) as caught:
        fetch_all(SPEC, connection(f"http://127.0.0.1:{port}", name="crm"))
    assert "ConnectionError after 4 attempts" in str(caught.value)
    assert "base URL of Airflow connection 'crm'" in str(caught.value)


def test_404_is_not_retried_and_names_the_endpoint(serve: Serve) -> None:
    server = serve(SmallApi(7, 3))
    with pytest.raises(SourceError) as caught:
        fetch_all(source_spec(endpoint="/api/companys"), connection(server.url, name="crm"))
    assert not isinstance(caught.value, SourceUnavailable)
    assert str(caught.value).startswith('GET /api/companys: HTTP 404 Not Found; body starts: \'{"detail":"no route')
    assert "check source.endpoint and the base URL of Airflow connection 'crm'" in str(caught.value)
    assert len(server.requests) == 1


def test_html_page_with_status_200_fails_with_the_start_of_the_page(serve: Serve) -> None:
    html = "<!DOCTYPE html><html><head><title>Sign in</title></head><body>token=abcd-secret-token</body></html>"
    server = serve(SmallApi(7, 3).then(Reply(200, html, {"Content-Type": "text/html"})))
    conn = connection(server.url, auth=BearerAuth("abcd-secret-token"))
    with pytest.raises(SourceError) as caught:
        fetch_all(SPEC, conn)
    message = str(caught.value)
    assert "GET /api/companies?page=1: HTTP 200 returned an HTML page (text/html), not JSON" in message
    assert "<title>Sign in</title>" in message
    assert "abcd-secret-token" not in message


def test_non_json_body_fails_with_its_start(serve: Serve) -> None:
    server = serve(SmallApi(7, 3).then(Reply(200, "id;name\n1;ACME\n", {"Content-Type": "text/csv"})))
    with pytest.raises(SourceError, match=r"the body is text/csv, not JSON; body starts: 'id;name 1;ACME'"):
        fetch_all(SPEC, connection(server.url))


def test_wrong_results_position_lists_the_keys_the_response_has() -> None:
    with DemoSource(count=30, page_size=20) as demo:
        spec = source_spec(resultsPosition="results", pagination={"type": "pageNumber"})
        with pytest.raises(SourceError) as caught:
            fetch_all(spec, connection(demo.url))
    message = str(caught.value)
    assert "resultsPosition 'results' found nothing" in message
    assert "'data' (object), 'links' (object), 'meta' (object)" in message
    assert "e.g. 'data.items'" in message


def test_client_side_request_budget_paces_requests(serve: Serve) -> None:
    server = serve(SmallApi(7, 3))
    conn = connection(server.url, name="budgeted", budget=RequestBudget(requests=2, period=0.3))
    objects, stats = fetch_all(SPEC, conn)
    assert len(objects) == 7
    assert stats["rate_limited"] >= 1  # the third request had to wait for the window


def test_exhausted_rate_limit_window_holds_back_the_next_request(serve: Serve) -> None:
    api = SmallApi(7, 3)

    def app(request: Request) -> Reply:
        reply = api(request)
        reply.headers.update({"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "0.2"})
        return reply

    server = serve(app)
    objects, stats = fetch_all(SPEC, connection(server.url, name="windowed"))
    assert len(objects) == 7
    assert stats["rate_limited"] >= 2
