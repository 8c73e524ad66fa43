"""Targets: where mapped objects are written.

``make_target(spec.target)`` builds any of them. The built-in register store (``register``) is a
:class:`Target`; the HTTP targets (``openregister``, ``api``) are :class:`BatchTarget`s and need the
connection to write (``TargetHook(conn_id).get_target(spec.target)`` in Airflow), but not to ``prepare``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from openconnector.targets.base import (
    BatchTarget,
    InvalidObject,
    PlannedWrite,
    Prepared,
    Target,
    WriteOutcome,
    derived_target_id,
)

if TYPE_CHECKING:
    from openconnector.sources.connection import SourceConnection

__all__ = [
    "BatchTarget",
    "InvalidObject",
    "PlannedWrite",
    "Prepared",
    "Target",
    "WriteOutcome",
    "derived_target_id",
    "is_batch_target",
    "make_target",
]


def make_target(
    spec: Any,
    *,
    connection: SourceConnection | None = None,
    on_secret: Callable[[str], None] | None = None,
    synchronization_id: str = "",
) -> Any:
    """Build the target of a spec's ``target`` section.

    :param connection: the target connection (HTTP targets; only ``open``/``write_batch`` need it).
    :param on_secret: told every secret an HTTP target holds or obtains (Airflow's ``mask_secret``).
    :param synchronization_id: shown to per-action mappings of ``api`` targets as ``$synchronizationId``.
    :raises SpecError: a register file or action mapping file the target refers to is missing or invalid.
    """
    if spec.type == "register":
        from openconnector.targets.register import RegisterTarget

        return RegisterTarget(spec)
    if spec.type == "openregister":
        from openconnector.targets.openregister import OpenRegisterTarget

        return OpenRegisterTarget(spec, connection=connection, on_secret=on_secret)
    if spec.type == "api":
        from openconnector.targets.api import ApiTarget

        return ApiTarget(spec, connection=connection, on_secret=on_secret, synchronization_id=synchronization_id)
    raise ValueError(f"unknown target type {spec.type!r}")


def is_batch_target(target: Any) -> bool:
    """Tell whether a target is written batch by batch (HTTP) rather than by SQL in the store's transaction."""
    return hasattr(target, "write_batch")
