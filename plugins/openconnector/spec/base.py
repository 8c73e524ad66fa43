"""The base every spec model shares: frozen, strict about unknown keys, camelCase like OpenConnector."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


class Spec(BaseModel):
    """A frozen, validated part of a synchronization spec.

    Field names are snake_case in Python and camelCase in YAML (``results_position`` ↔
    ``resultsPosition``), so OpenConnector users see the names they know.
    """

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        alias_generator=to_camel,
        populate_by_name=False,
        str_strip_whitespace=True,
    )
