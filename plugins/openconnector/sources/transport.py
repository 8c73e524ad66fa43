"""Send requests to one source: keep-alive session, credentials, pacing, bounded retries, clear errors.

:meth:`Transport.request` either returns a 2xx :class:`HttpResponse` or raises: :class:`SourceError`
when repeating cannot help (4xx, TLS setup), :class:`SourceUnavailable` when the source stayed
unreachable, slow, overloaded (5xx) or rate limited (429) through every attempt the policy allows.
Messages name the method, the masked path and query, the status and the start of the body.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

import requests
from requests.adapters import HTTPAdapter

from openconnector.errors import SourceError, SourceUnavailable
from openconnector.sources.auth import Authenticator
from openconnector.sources.connection import SourceConnection
from openconnector.sources.masking import Masker, excerpt
from openconnector.sources.ratelimit import shared_limiter
from openconnector.sources.response import HttpResponse
from openconnector.sources.retry import backoff_delay, is_retryable, rate_limit_exhausted, server_requested_wait
from openconnector.sources.tls import TlsFiles

log = logging.getLogger(__name__)

USER_AGENT: Final = "openconnector-airflow/0.1 (+python-requests)"
_TRANSIENT: Final = (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError)
_HINTS: Final = {
    400: "The source rejected the request: check source.query, source.body and the pagination parameters",
    401: "The source refused the credentials: check the authentication settings of {conn}",
    403: "The credentials lack permission for this endpoint: check the account behind {conn}",
    404: "No such endpoint: check source.endpoint and the base URL of {conn}",
    405: "The endpoint does not accept this method: check source.method",
    422: "The source rejected the query: check source.query and the pagination parameters",
}


class Stats:
    """Counters of one client, safe to bump from several threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: dict[str, float] = dict.fromkeys(
            ("requests", "retries", "bytes", "rate_limited", "token_requests", "pages", "objects", "enrich_requests"),
            0,
        )
        self._values["seconds_waiting"] = 0.0

    def add(self, name: str, amount: float = 1) -> None:
        """Add ``amount`` to a counter."""
        with self._lock:
            self._values[name] += amount

    def snapshot(self) -> dict[str, float]:
        """Return a copy of every counter (``seconds_waiting`` rounded to milliseconds)."""
        with self._lock:
            values = dict(self._values)
        values["seconds_waiting"] = round(values["seconds_waiting"], 3)
        return values


@dataclass(frozen=True)
class _Call:
    method: str
    url: str
    params: list[tuple[str, str]]
    headers: Mapping[str, str]
    json: Any = None
    form: dict[str, str] | None = None
    basic: tuple[str, str] | None = None
    authenticate: bool = True


@dataclass
class _Outcome:
    response: HttpResponse | None
    attempts: int
    note: str = ""
    failure: BaseException | None = None


class Transport:
    """The HTTP side of one source client."""

    def __init__(self, connection: SourceConnection, *, timeout: float, masker: Masker, stats: Stats) -> None:
        self.connection = connection
        self.masker = masker
        self.stats = stats
        self.auth: Authenticator = Authenticator()
        self._timeout = timeout
        self._limiter = shared_limiter(connection.name or connection.base_url, connection.budget)
        self._tls = TlsFiles(connection.tls, connection.label)
        self._session = requests.Session()
        adapter = HTTPAdapter(pool_connections=4, pool_maxsize=64, max_retries=0)
        self._session.mount("http://", adapter)
        self._session.mount("https://", adapter)
        self._session.headers.update({"User-Agent": USER_AGENT, "Accept": "application/json"})

    def close(self) -> None:
        """Close the session and remove temporary TLS files."""
        self._session.close()
        self._tls.close()

    def request(
        self, method: str, url: str, *, params: list[tuple[str, str]], headers: Mapping[str, str], body: Any = None
    ) -> HttpResponse:
        """Send an authenticated request with retries; return the 2xx response or raise."""
        call = _Call(method, url, params, headers, json=body)
        outcome = self._with_retries(call)
        if outcome.response is not None and outcome.response.ok:
            return outcome.response
        raise self._failure(call, outcome)

    def post_form(self, url: str, form: dict[str, str], basic: tuple[str, str] | None) -> HttpResponse:
        """POST a form without the source's own credentials (token requests); return any final status."""
        call = _Call("POST", url, [], {}, form=form, basic=basic, authenticate=False)
        outcome = self._with_retries(call)
        if outcome.response is None:
            raise self._failure(call, outcome)
        return outcome.response

    def _with_retries(self, call: _Call) -> _Outcome:
        policy = self.connection.retry
        attempt, waited, refreshed = 0, 0.0, False
        while True:
            attempt += 1
            waited += self._pace()
            response, used, failure = self._attempt(call)
            if response is not None and response.status == 401 and call.authenticate and self.auth.refreshable:
                if not refreshed:
                    # An expired or revoked token: get a new one and repeat once, not counted as a retry.
                    self.auth.invalidate(used)
                    refreshed, attempt = True, attempt - 1
                    continue
            if response is not None and not is_retryable(response.status):
                return _Outcome(response, attempt)
            wait, note = self._next_wait(response, attempt)
            if attempt >= policy.max_attempts:
                return _Outcome(response, attempt, note, failure)
            if waited + wait > policy.max_total_wait:
                note = (
                    f"{note + '; ' if note else ''}waiting {wait:.0f} s more would exceed the connection's "
                    f"max_retry_wait of {policy.max_total_wait:.0f} s"
                )
                return _Outcome(response, attempt, note, failure)
            self._sleep(wait, rate_limited=response is not None and response.status == 429)
            waited += wait
            self.stats.add("retries")
            cause = response.status if response is not None else type(failure).__name__
            log.info(
                "Retrying %s %s in %.2f s (attempt %d: %s)",
                call.method,
                self.masker.url(call.url),
                wait,
                attempt,
                cause,
            )

    def _attempt(self, call: _Call) -> tuple[HttpResponse | None, str | None, BaseException | None]:
        headers = {**self.connection.headers, **call.headers}
        params = list(call.params)
        used = self.auth.apply(headers, params) if call.authenticate else None
        try:
            response = self._send(call, params, headers)
        except requests.exceptions.SSLError as exc:
            raise SourceError(self._tls_message(call, exc)) from None
        except _TRANSIENT as exc:
            return None, used, exc
        except requests.RequestException as exc:
            # An invalid URL, a broken compressed body, too many redirects: repeating cannot help.
            where = f"{call.method} {self.masker.url(call.url)}"
            raise SourceError(f"{where}: {type(exc).__name__}: {self.masker.text(str(exc))[:300]}") from None
        exhausted = rate_limit_exhausted(response.headers)
        if exhausted:
            self._limiter.block_for(min(exhausted, self.connection.retry.max_total_wait))
        return response, used, None

    def _send(self, call: _Call, params: list[tuple[str, str]], headers: dict[str, str]) -> HttpResponse:
        self.stats.add("requests")
        raw = self._session.request(
            call.method,
            call.url,
            params=params or None,
            headers=headers,
            json=call.json,
            data=call.form,
            auth=call.basic,
            timeout=self._timeout,
            # Per request, not on the session: requests lets REQUESTS_CA_BUNDLE override a session's verify.
            verify=self._tls.verify,
            cert=self._tls.cert,
        )
        content = raw.content
        self.stats.add("bytes", len(content))
        return HttpResponse(call.method, raw.url, raw.status_code, raw.reason or "", raw.headers, content)

    def _pace(self) -> float:
        waited = self._limiter.acquire()
        if waited > 0:
            self.stats.add("rate_limited")
            self.stats.add("seconds_waiting", waited)
        return waited

    def _next_wait(self, response: HttpResponse | None, attempt: int) -> tuple[float, str]:
        if response is not None:
            requested = server_requested_wait(response.headers)
            if requested is not None:
                return requested, f"the server asked to wait {requested:.0f} s"
        return backoff_delay(self.connection.retry, attempt), ""

    def _sleep(self, seconds: float, *, rate_limited: bool) -> None:
        if rate_limited:
            self.stats.add("rate_limited")
        self.stats.add("seconds_waiting", seconds)
        time.sleep(seconds)

    def _failure(self, call: _Call, outcome: _Outcome) -> SourceError:
        where = f"{call.method} {self._display(call.url, call.params)}"
        tries = f"after {outcome.attempts} attempt{'s' if outcome.attempts != 1 else ''}"
        note = f"; {outcome.note}" if outcome.note else ""
        response = outcome.response
        if response is None:
            reason = self.masker.text(_reason(outcome.failure))[:300]
            return SourceUnavailable(
                f"{where}: {type(outcome.failure).__name__} {tries}{note}: {reason}. "
                f"Check that the source is reachable from the worker, the base URL of {self.connection.label} "
                "and source.timeout"
            )
        status = f"HTTP {response.status} {response.reason}".rstrip()
        body = excerpt(response.content, self.masker)
        if is_retryable(response.status):
            advice = (
                "Rate limited: lower the pool slots of this source or set rate_limit_requests on the connection"
                if response.status == 429
                else "The source kept failing; the task's retry will try again later"
            )
            return SourceUnavailable(f"{where}: {status} {tries}{note}; body starts: {body!r}. {advice}")
        hint = _HINTS.get(response.status, "The source refused the request")
        return SourceError(f"{where}: {status}; body starts: {body!r}. {hint.format(conn=self.connection.label)}")

    def _tls_message(self, call: _Call, exc: BaseException) -> str:
        return (
            f"{call.method} {self.masker.url(call.url)}: TLS handshake failed: {self.masker.text(_reason(exc))[:300]}. "
            f"Check ca_cert, client_cert and client_key of {self.connection.label}"
        )

    def _display(self, url: str, params: list[tuple[str, str]]) -> str:
        if not params:
            return self.masker.url(url)
        prepared = requests.Request("GET", url, params=params).prepare()
        return self.masker.url(prepared.url or url)


def _reason(exc: BaseException | None) -> str:
    """Return the innermost cause of a requests error (urllib3 wraps it in "Max retries exceeded")."""
    inner = exc.args[0] if exc is not None and exc.args else exc
    return str(getattr(inner, "reason", None) or inner)
