"""The ``mapping`` reference of a spec: which mapping file turns a source object into a target object."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from openconnector.spec.base import Spec

#: File suffixes the mapping loader understands.
JSONATA_SUFFIXES = (".jsonata",)
MODEL_SUFFIXES = (".yaml", ".yml", ".json")

Engine = Literal["jsonatapy", "jsonata-python"]


class MappingRef(Spec):
    """A mapping file in ``include/mappings/`` and the JSONata engine that evaluates it.

    A ``.jsonata`` file is one expression whose result is the target object. A ``.yaml``/``.json`` file
    is a mapping in OpenConnector's model (mapping, unset, cast, passThrough).
    """

    file: str = Field(min_length=1)
    engine: Engine = "jsonatapy"
    timeout_ms: int = Field(default=1000, ge=1, description="Longest one object's evaluation may take.")

    @field_validator("file")
    @classmethod
    def _known_suffix(cls, value: str) -> str:
        if not value.endswith(JSONATA_SUFFIXES + MODEL_SUFFIXES):
            accepted = ", ".join(JSONATA_SUFFIXES + MODEL_SUFFIXES)
            raise ValueError(f"mapping file must end with one of {accepted}")
        if value.startswith(("/", "..")) or "/../" in value:
            raise ValueError("mapping file must be a path inside include/mappings/")
        return value
