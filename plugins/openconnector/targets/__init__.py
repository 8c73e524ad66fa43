"""Targets: where mapped objects are written."""

from __future__ import annotations

from typing import Any

from openconnector.targets.base import InvalidObject, Prepared, Target, derived_target_id

__all__ = ["InvalidObject", "Prepared", "Target", "derived_target_id", "make_target"]


def make_target(spec: Any) -> Target:
    """Build the target of a spec's ``target`` section."""
    if spec.type == "register":
        from openconnector.targets.register import RegisterTarget

        return RegisterTarget(spec)
    raise ValueError(f"unknown target type {spec.type!r}")
