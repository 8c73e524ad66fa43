"""Register files: a register and its schemas, declared in ``include/registers/<slug>.yaml``.

The shape follows OpenRegister's register and schema entities (slug, title, version, required,
properties, hardValidation), so a register declared here can be created in a real OpenRegister too.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import Field, field_validator

from openconnector.spec.base import Spec

_SLUG = r"^[A-Za-z0-9][A-Za-z0-9_-]*$"


class SchemaSpec(Spec):
    """One schema: JSON Schema ``properties`` and ``required``, plus OpenRegister's switches."""

    title: str = ""
    description: str = ""
    version: str = "0.0.1"
    required: list[str] = Field(default_factory=list)
    properties: dict[str, dict[str, Any]] = Field(default_factory=dict)
    hard_validation: bool = True
    configuration: dict[str, Any] = Field(default_factory=dict)

    @field_validator("properties")
    @classmethod
    def _typed_properties(cls, value: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        for name, definition in value.items():
            if "type" not in definition and "$ref" not in definition:
                raise ValueError(f"property {name!r} must have a 'type' (OpenRegister requires one)")
        return value

    def required_properties(self) -> list[str]:
        """Return ``required`` plus properties flagged ``required: true`` (OpenRegister folds both)."""
        flagged = [name for name, d in self.properties.items() if d.get("required") is True]
        return list(dict.fromkeys([*self.required, *flagged]))


class RegisterSpec(Spec):
    """A register: a named collection of schemas."""

    slug: str = Field(pattern=_SLUG)
    title: str = ""
    description: str = ""
    version: str = "0.0.1"
    schemas: dict[str, SchemaSpec] = Field(min_length=1)

    @field_validator("schemas")
    @classmethod
    def _schema_slugs(cls, value: dict[str, SchemaSpec]) -> dict[str, SchemaSpec]:
        for slug in value:
            if not re.match(_SLUG, slug):
                raise ValueError(f"schema slug {slug!r} may only hold letters, digits, '-' and '_'")
        return value
