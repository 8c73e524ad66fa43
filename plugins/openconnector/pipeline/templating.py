"""Render the templated parts of a source spec (``{{ data_interval_start }}`` windows and the like).

The renderer is passed in (Airflow's Jinja in a task), so this module stays Airflow-free.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from openconnector.spec.source import SourceSpec


def render_source(source: SourceSpec, render: Callable[[str], Any]) -> SourceSpec:
    """Return a copy of ``source`` with endpoint, query, headers and incremental parts rendered."""

    def text(value: Any) -> Any:
        return str(render(value)) if isinstance(value, str) and ("{{" in value or "{%" in value) else value

    def mapping(values: dict[str, Any]) -> dict[str, Any]:
        return {key: text(value) for key, value in values.items()}

    update: dict[str, Any] = {"endpoint": text(source.endpoint), "query": mapping(source.query),
                              "headers": mapping(source.headers)}
    if source.incremental is not None:
        update["incremental"] = source.incremental.model_copy(
            update={"query": mapping(source.incremental.query), "headers": mapping(source.incremental.headers)}
        )
    return source.model_copy(update=update)
