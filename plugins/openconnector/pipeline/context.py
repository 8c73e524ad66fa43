"""What every stage of one run needs to know about that run, independent of Airflow."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class RunContext:
    """Identity and mode of one run of a synchronization.

    ``run_timestamp`` is the same for every task and every object of the run: it is the clock that
    mappings see (``$now()``) and the time stamped on contracts and target objects.
    """

    synchronization_id: str
    dag_run_id: str
    run_timestamp: dt.datetime
    test: bool = False
    force: bool = False
    data_interval_start: dt.datetime | None = None
    data_interval_end: dt.datetime | None = None

    @property
    def timestamp_text(self) -> str:
        """Return the run timestamp as ISO 8601 with offset, as OpenRegister writes dates."""
        return self.run_timestamp.isoformat(timespec="seconds")
