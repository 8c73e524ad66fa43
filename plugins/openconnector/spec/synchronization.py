"""A whole synchronization spec: one YAML file, one Airflow DAG ``sync_<id>``."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Literal

from croniter import croniter
from pydantic import Field, PrivateAttr, field_validator, model_validator

from openconnector.spec.base import Spec
from openconnector.spec.mapping import MappingRef
from openconnector.spec.source import SourceSpec
from openconnector.spec.target import Target

SCHEDULE_PRESETS = ("@once", "@hourly", "@daily", "@weekly", "@monthly", "@quarterly", "@yearly", "@continuous")


class DeletionSpec(Spec):
    """What happens to target objects whose source object vanished.

    Deletion only ever follows a complete, unwindowed fetch. ``maxFraction`` refuses a run that would
    delete more than that share of the synchronized objects (protection against a source that suddenly
    answers with an empty list).
    """

    enabled: bool = True
    max_fraction: float = Field(default=1.0, gt=0, le=1)


class SynchronizationSpec(Spec):
    """One synchronization: source → mapping → contracts → target."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_]{0,99}$")
    name: str = ""
    description: str = ""
    schedule: str | None = None
    start_date: dt.date = dt.date(2024, 1, 1)
    catchup: bool = False
    tags: list[str] = Field(default_factory=list)
    source: SourceSpec
    mapping: MappingRef | None = None
    conditions: dict[str, Any] | None = None
    target: Target
    deletion: DeletionSpec = Field(default_factory=DeletionSpec)
    partitions: int | Literal["auto"] = "auto"
    retries: int = Field(default=2, ge=0, le=20)
    contract_log: Literal["auto", "full", "actions", "errors", "none"] = Field(
        default="auto",
        description=(
            "Per-object log of each run: full (every row with source and mapped object), actions (bodies only "
            "for invalid objects), errors, none; auto = full while a run logs at most 10,000 objects, else actions."
        ),
    )
    log_retention_days: int = Field(default=30, ge=1)

    _file: Path | None = PrivateAttr(default=None)
    _text: str = PrivateAttr(default="")

    @field_validator("mapping", mode="before")
    @classmethod
    def _mapping_shorthand(cls, value: Any) -> Any:
        # ``mapping: companies.jsonata`` is the common case; the object form adds the engine.
        return {"file": value} if isinstance(value, str) else value

    @field_validator("schedule")
    @classmethod
    def _valid_schedule(cls, value: str | None) -> str | None:
        if value is None or value in SCHEDULE_PRESETS:
            return value
        if value.startswith("@") or not croniter.is_valid(value):
            raise ValueError(
                f"{value!r} is neither a cron expression ('0 * * * *') nor one of {', '.join(SCHEDULE_PRESETS)}"
            )
        return value

    @field_validator("partitions")
    @classmethod
    def _valid_partitions(cls, value: int | str) -> int | str:
        if isinstance(value, int) and not 1 <= value <= 64:
            raise ValueError("must be 'auto' or a number from 1 to 64")
        return value

    @model_validator(mode="after")
    def _name_defaults_to_id(self) -> SynchronizationSpec:
        if not self.name:
            object.__setattr__(self, "name", self.id)
        return self

    @property
    def dag_id(self) -> str:
        """Return the Airflow DAG id of this synchronization."""
        return f"sync_{self.id}"

    @property
    def file(self) -> Path | None:
        """Return the spec file this spec was read from, if any."""
        return self._file

    @property
    def text(self) -> str:
        """Return the spec file's text as written (shown in the DAG docs)."""
        return self._text
