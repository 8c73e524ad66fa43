"""The pieces a run is built from besides its spec: mapping, target, conditions, and their fingerprint."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from openconnector import settings
from openconnector.core.hashing import fingerprint
from openconnector.core.mapping import Mapping, load_mapping
from openconnector.spec.synchronization import SynchronizationSpec
from openconnector.targets import Target, make_target


@dataclass(frozen=True)
class Components:
    """Mapping and target of a synchronization, loaded at task time (never at DAG-parse time)."""

    mapping: Mapping
    target: Target

    @property
    def fingerprint(self) -> str:
        """Return what a contract remembers of the mapping and target: change it and every object is re-mapped."""
        return fingerprint(self.mapping.fingerprint, self.target.fingerprint_parts())


def build_components(spec: SynchronizationSpec) -> Components:
    """Load the mapping file and build the target of a spec."""
    target = make_target(spec.target, synchronization_id=spec.id)
    return Components(load_mapping(spec.mapping, settings.mappings_dir()), target)


def build_condition(spec: SynchronizationSpec) -> Callable[[Any], bool] | None:
    """Return the spec's JSON Logic conditions as a predicate, or None when every object passes."""
    if not spec.conditions:
        return None
    from openconnector.core.conditions import Conditions

    where = f"{spec.file.name if spec.file else spec.id}: conditions"
    return Conditions(spec.conditions, where=where).matches
