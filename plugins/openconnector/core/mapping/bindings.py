"""The variables every mapping expression sees, and the run's deterministic clock.

Every expression can read ``$synchronizationId``, ``$runTimestamp``, ``$dataIntervalStart``,
``$dataIntervalEnd``, ``$originId`` and ``$source`` (the source object's metadata, e.g.
``{"page": 3, "endpoint": "/companies"}``). ``$now()`` and ``$millis()`` return the run's timestamp,
so every object of one run sees the same time and a re-run of the same run maps identically.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from openconnector.errors import MappingError

#: Names of the variables a mapping expression can use (without the ``$``).
VARIABLE_NAMES = (
    "synchronizationId",
    "runTimestamp",
    "dataIntervalStart",
    "dataIntervalEnd",
    "originId",
    "source",
)

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
_MILLISECOND = dt.timedelta(milliseconds=1)


@dataclass(frozen=True, slots=True)
class Bindings:
    """The per-object context of a mapping: which run, when, which object, from where.

    Build one per run and derive each object's with ``for_object`` (cheap: no validation, no copy).
    Timestamps are ISO 8601 strings as Airflow gives them (``2025-06-01T12:00:00+00:00``).
    """

    synchronization_id: str
    run_timestamp: str
    data_interval_start: str | None = None
    data_interval_end: str | None = None
    origin_id: str | None = None
    source: dict[str, Any] | None = None

    def for_object(self, origin_id: str | None, source: dict[str, Any] | None = None) -> Bindings:
        """Return these run bindings for one object, with its origin id and source metadata."""
        return Bindings(
            self.synchronization_id,
            self.run_timestamp,
            self.data_interval_start,
            self.data_interval_end,
            origin_id,
            self.source if source is None else source,
        )

    def variables(self) -> dict[str, Any]:
        """Return the expression variables (names as in ``VARIABLE_NAMES``)."""
        return {
            "synchronizationId": self.synchronization_id,
            "runTimestamp": self.run_timestamp,
            "dataIntervalStart": self.data_interval_start,
            "dataIntervalEnd": self.data_interval_end,
            "originId": self.origin_id,
            "source": self.source,
        }


def parse_timestamp(text: str) -> int:
    """Return the epoch milliseconds of an ISO 8601 timestamp; one without a zone is read as UTC."""
    try:
        stripped = text.strip()
        # Python 3.10's fromisoformat does not read the "Z" suffix.
        moment = dt.datetime.fromisoformat(stripped[:-1] + "+00:00" if stripped.endswith(("Z", "z")) else stripped)
    except (TypeError, ValueError, AttributeError):
        raise MappingError(
            f"run timestamp {text!r} is not an ISO 8601 timestamp (like 2025-06-01T12:00:00+00:00); "
            "$now() and $millis() need it"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return (moment - _EPOCH) // _MILLISECOND


def format_millis(millis: int) -> str:
    """Render epoch milliseconds as JSONata's ``$now()`` does: ``2025-06-01T12:00:00.000Z``."""
    moment = _EPOCH + dt.timedelta(milliseconds=millis)
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{millis % 1000:03d}Z"


class Clock:
    """The frozen clock behind ``$now()`` and ``$millis()`` for one compiled mapping.

    ``set`` is called with each object's run timestamp and only parses when it changes (once per run).
    ``picture_formatter`` renders ``$now(picture, timezone)`` with the engine's own ``$fromMillis``.
    """

    __slots__ = ("_iso", "_millis", "_picture_formatter", "_stamp")

    def __init__(self, picture_formatter: Callable[[int, str | None, str | None], str] | None = None) -> None:
        """Start unset; ``now``/``millis`` before the first ``set`` raise MappingError."""
        self._stamp: str | None = None
        self._millis = 0
        self._iso = ""
        self._picture_formatter = picture_formatter

    def set(self, run_timestamp: str) -> None:
        """Freeze the clock at ``run_timestamp`` (an ISO 8601 string)."""
        if run_timestamp != self._stamp:
            self._millis = parse_timestamp(run_timestamp)
            self._iso = format_millis(self._millis)
            self._stamp = run_timestamp

    def set_formatter(self, picture_formatter: Callable[[int, str | None, str | None], str]) -> None:
        """Use ``picture_formatter(millis, picture, timezone)`` for ``$now`` with arguments."""
        self._picture_formatter = picture_formatter

    def now(self, picture: str | None = None, timezone: str | None = None) -> str:
        """Return the run timestamp as ``$now()`` renders it, or in ``picture``/``timezone``."""
        self._require()
        if (picture is None and timezone is None) or self._picture_formatter is None:
            return self._iso
        return self._picture_formatter(self._millis, picture, timezone)

    def millis(self) -> int:
        """Return the run timestamp in epoch milliseconds, as ``$millis()``."""
        self._require()
        return self._millis

    def _require(self) -> None:
        if self._stamp is None:
            raise MappingError("$now()/$millis() were called before the run timestamp was set")
