"""The HTTP side of every HTTP target: keep-alive session, credentials, bounded retries, masked errors.

Connections, authentication, TLS, retry timing and secret masking are the source client's
(``openconnector.sources``); what differs for writes is what may be repeated. :meth:`TargetHttp.request`
returns the final answer whatever its status, so each target can read the server's error body, and
raises only when there is no usable answer:

* ``TargetUnavailable`` (retryable): no connection, timeouts, or 429/502/503/504 through every retry;
* ``TargetError``: a TLS or URL problem, or a token endpoint that refuses the credentials.

A write marked not ``idempotent`` (a POST that creates a new object each time it arrives) is repeated
only when the server surely did not act on it: the connection was never made, or the answer was 429 or
503. A lost answer (reset, read timeout, 502, 504) raises ``TargetUnavailable`` at once instead, because
sending it again could create a duplicate; the write stage then hands it back as ``pending``.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any, Final
from urllib.parse import urlsplit

import orjson
import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import NewConnectionError

from openconnector.errors import SourceError, SourceUnavailable, TargetError, TargetUnavailable
from openconnector.sources.auth import AuthContext, Authenticator, build_authenticator
from openconnector.sources.client import join_url
from openconnector.sources.connection import SourceConnection
from openconnector.sources.masking import Masker, excerpt
from openconnector.sources.ratelimit import shared_limiter
from openconnector.sources.response import HttpResponse
from openconnector.sources.retry import backoff_delay, is_retryable, server_requested_wait
from openconnector.sources.tls import TlsFiles

log = logging.getLogger(__name__)

USER_AGENT: Final = "openconnector-airflow/0.1 (+python-requests; target)"
#: Statuses that mean "the target is not there right now", not "this object has a problem".
UNAVAILABLE_STATUSES: Final = frozenset({429, 502, 503, 504, 507, 509, 520, 521, 522, 523, 524})
#: Answers after which the server surely did not act on the request, so even a create may be repeated.
_NOT_PROCESSED: Final = frozenset({429, 503})
_TRANSIENT: Final = (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError)


class TargetHttp:
    """Send requests to one target through one connection, from several threads.

    :param connection: base URL, credentials, TLS, retry policy and request budget (Airflow connection).
    :param timeout: seconds to wait for a connection and for an answer.
    :param pool_size: keep-alive connections kept open (at least the target's concurrency).
    :param headers: headers sent with every request (besides credentials and the connection's own).
    :param on_secret: told every secret the session knows or obtains (Airflow's ``mask_secret``).
    """

    def __init__(
        self,
        connection: SourceConnection,
        *,
        timeout: float = 30.0,
        pool_size: int = 4,
        headers: Mapping[str, str] | None = None,
        on_secret: Callable[[str], None] | None = None,
    ) -> None:
        self.connection = connection
        self.masker = Masker(connection.secrets(), on_secret=on_secret)
        self.counters: Counter[str] = Counter()
        self._count_lock = threading.Lock()
        self._timeout = timeout
        self._headers = {
            "User-Agent": USER_AGENT,
            "Accept": "application/json",
            **connection.headers,
            **(headers or {}),
        }
        self._limiter = shared_limiter(connection.name or connection.base_url, connection.budget)
        try:
            self._tls = TlsFiles(connection.tls, connection.label)
        except SourceError as exc:
            raise TargetError(str(exc)) from None
        self._session = requests.Session()
        adapter = HTTPAdapter(pool_connections=2, pool_maxsize=max(4, pool_size), max_retries=0)
        self._session.mount("http://", adapter)
        self._session.mount("https://", adapter)
        context = AuthContext(self.masker, self._post_form, lambda: self.count("token_requests"))
        self.auth: Authenticator = build_authenticator(connection.auth, context)

    @property
    def base_url(self) -> str:
        """Return the connection's base URL."""
        return self.connection.base_url

    def url(self, endpoint: str) -> str:
        """Return ``endpoint`` resolved on the base URL (absolute URLs must be on the base URL's host)."""
        url = join_url(self.base_url, endpoint)
        if _origin(url) != _origin(self.base_url):
            raise TargetError(
                f"endpoint {self.masker.url(url)!r} is on another host than {self.connection.label}; "
                "credentials are only sent to the connection's host: use a path relative to its Host"
            )
        return url

    def display(self, url: str) -> str:
        """Return how messages show a URL: path and query, secrets masked."""
        return self.masker.url(url)

    def count(self, name: str, amount: int = 1) -> None:
        """Add to a counter (requests, retries, token_requests ...), from any thread."""
        with self._count_lock:
            self.counters[name] += amount

    def close(self) -> None:
        """Close the keep-alive connections and remove temporary TLS files."""
        self._session.close()
        self._tls.close()

    def request(
        self,
        method: str,
        endpoint: str,
        *,
        body: Any = None,
        params: list[tuple[str, str]] | None = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool = True,
    ) -> HttpResponse:
        """Send an authenticated request with retries; return the final answer, whatever its status.

        :param idempotent: False for a request that would act twice if it arrived twice (a create
            without client id or idempotency key): it is then only repeated when it surely did not arrive.
        :raises TargetUnavailable: the target stayed unreachable or overloaded, or a non-idempotent
            request's answer was lost.
        """
        url = self.url(endpoint)
        data = _encode(body) if body is not None else None
        call_headers = {**self._headers, **(headers or {})}
        if data is not None:
            call_headers.setdefault("Content-Type", "application/json")
        try:
            return self._with_retries(method, url, params or [], call_headers, data, idempotent)
        except SourceUnavailable as exc:  # the token endpoint (OAuth2) is down
            raise TargetUnavailable(str(exc)) from None
        except SourceError as exc:  # the token endpoint refused the credentials
            raise TargetError(str(exc)) from None

    def _with_retries(
        self,
        method: str,
        url: str,
        params: list[tuple[str, str]],
        headers: dict[str, str],
        data: bytes | None,
        idempotent: bool,
    ) -> HttpResponse:
        policy = self.connection.retry
        attempt, waited, refreshed, reached = 0, 0.0, False, False
        while True:
            attempt += 1
            waited += self._limiter.acquire()
            response, used, failure = self._attempt(method, url, params, headers, data)
            if response is not None and response.status == 401 and self.auth.refreshable and not refreshed:
                # An expired token: get a new one and repeat once, not counted as a retry.
                self.auth.invalidate(used)
                refreshed, attempt = True, attempt - 1
                continue
            if response is not None and not is_retryable(response.status):
                return response
            reached = reached or not _surely_not_processed(response, failure)
            if not idempotent and reached:
                return self._lost(method, url, response, failure, attempt)
            wait = self._wait(response, attempt)
            if attempt >= policy.max_attempts or waited + wait > policy.max_total_wait:
                return self._exhausted(method, url, response, failure, attempt, reached=reached)
            self.count("retries")
            cause = response.status if response is not None else type(failure).__name__
            log.info("Retrying %s %s in %.2f s (attempt %d: %s)", method, self.display(url), wait, attempt, cause)
            time.sleep(wait)
            waited += wait

    def _attempt(
        self,
        method: str,
        url: str,
        params: list[tuple[str, str]],
        headers: dict[str, str],
        data: bytes | dict[str, str] | None,
        *,
        authenticate: bool = True,
        basic: tuple[str, str] | None = None,
    ) -> tuple[HttpResponse | None, str | None, BaseException | None]:
        call_headers, call_params = dict(headers), list(params)
        used = self.auth.apply(call_headers, call_params) if authenticate else None
        self.count("requests")
        try:
            raw = self._session.request(
                method,
                url,
                params=call_params or None,
                headers=call_headers,
                data=data,  # JSON bytes, or a dict: a form (token requests)
                auth=basic,
                timeout=self._timeout,
                verify=self._tls.verify,
                cert=self._tls.cert,
            )
            content = raw.content
        except requests.exceptions.SSLError as exc:
            raise TargetError(
                f"{method} {self.display(url)}: TLS handshake failed: {self.masker.text(_reason(exc))[:300]}. "
                f"Check ca_cert, client_cert and client_key of {self.connection.label}"
            ) from None
        except _TRANSIENT as exc:
            return None, used, exc
        except requests.RequestException as exc:
            raise TargetError(
                f"{method} {self.display(url)}: {type(exc).__name__}: {self.masker.text(str(exc))[:300]}"
            ) from None
        self.count("bytes", len(content))
        return HttpResponse(method, raw.url, raw.status_code, raw.reason or "", raw.headers, content), used, None

    def _wait(self, response: HttpResponse | None, attempt: int) -> float:
        requested = server_requested_wait(response.headers) if response is not None else None
        return requested if requested is not None else backoff_delay(self.connection.retry, attempt)

    def _exhausted(
        self,
        method: str,
        url: str,
        response: HttpResponse | None,
        failure: BaseException | None,
        attempts: int,
        *,
        reached: bool,
    ) -> HttpResponse:
        if response is not None and response.status not in UNAVAILABLE_STATUSES:
            return response  # e.g. a 500 that stayed: the server's answer about this object
        where = f"{method} {self.display(url)}"
        tries = f"after {attempts} attempt{'s' if attempts != 1 else ''}"
        if response is not None:
            body = excerpt(response.content, self.masker)
            error = TargetUnavailable(
                f"{where}: HTTP {response.status} {response.reason} {tries}; body starts: {body!r}. "
                "The target is overloaded or down; the task's retry will try again later"
            )
        else:
            error = TargetUnavailable(
                f"{where}: {type(failure).__name__} {tries}: {self.masker.text(_reason(failure))[:300]}. "
                f"Check that the target is reachable from the worker and the Host of {self.connection.label}"
            )
        # Whether any attempt may have been acted on: False lets the write stage drop "pending" for it.
        error.reached = reached  # type: ignore[attr-defined]
        raise error

    def _lost(
        self, method: str, url: str, response: HttpResponse | None, failure: BaseException | None, attempts: int
    ) -> HttpResponse:
        if response is not None and response.status == 500:
            return response  # the application answered: an error it reports, not a lost answer
        what = f"HTTP {response.status}" if response is not None else f"{type(failure).__name__}: {_reason(failure)}"
        raise TargetUnavailable(
            f"{method} {self.display(url)}: the answer was lost ({self.masker.text(what)[:200]}) after {attempts} "
            "attempt(s); the request may have been carried out, so it is not repeated now. The next attempt "
            "treats it as pending (see target.lookup and target.idempotencyKey)"
        )

    def _post_form(self, url: str, form: dict[str, str], basic: tuple[str, str] | None) -> HttpResponse:
        """POST a token request (without the target's credentials); retried like any idempotent request."""
        attempt = 0
        while True:
            attempt += 1
            try:
                response, _, failure = self._attempt(
                    "POST", url, [], {"Accept": "application/json"}, form, authenticate=False, basic=basic
                )
            except TargetError as exc:
                raise SourceError(str(exc)) from None
            last = attempt >= self.connection.retry.max_attempts
            if response is not None and (last or not is_retryable(response.status)):
                return response
            if last:
                raise SourceUnavailable(
                    f"POST {self.display(url)}: {type(failure).__name__} after {attempt} attempts: "
                    f"{self.masker.text(_reason(failure))[:300]}"
                )
            time.sleep(self._wait(response, attempt))


def parse_json(response: HttpResponse) -> Any:
    """Return the JSON value of an answer, or None when the body is empty or not JSON."""
    if not response.content:
        return None
    try:
        return orjson.loads(response.content)
    except orjson.JSONDecodeError:
        try:
            return json.loads(response.content)
        except (ValueError, UnicodeDecodeError):
            return None


def _encode(body: Any) -> bytes:
    try:
        return orjson.dumps(body)
    except TypeError:
        # orjson refuses integers beyond 64 bits, which sources do send (kept exact by the fetch).
        return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def _surely_not_processed(response: HttpResponse | None, failure: BaseException | None) -> bool:
    if response is not None:
        return response.status in _NOT_PROCESSED
    if isinstance(failure, requests.exceptions.ConnectTimeout):
        return True
    reason = failure.args[0] if failure is not None and failure.args else None
    return isinstance(getattr(reason, "reason", reason), NewConnectionError)


def _reason(exc: BaseException | None) -> str:
    inner = exc.args[0] if exc is not None and exc.args else exc
    return str(getattr(inner, "reason", None) or inner)


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()
