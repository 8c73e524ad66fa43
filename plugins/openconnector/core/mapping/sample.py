"""Try a mapping on a sample object and judge the result against a target schema, before any sync runs.

This is OpenConnector's "mapping test" (``POST /api/mappings/test`` → ``{resultObject, isValid,
validationErrors}``) as a function: the ``mapping test`` command prints it, and a UI can return
``SampleResult.to_dict()`` as is.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from openconnector.core.mapping.bindings import Bindings
from openconnector.core.mapping.mapping import Mapping
from openconnector.errors import MappingError

if TYPE_CHECKING:
    from openconnector.core.validation import ValidationIssue
    from openconnector.spec.register import SchemaSpec


@dataclass(frozen=True)
class SampleResult:
    """The mapped object, or the mapping error, and the schema's verdict when a schema was given."""

    result: Any = None
    error: MappingError | None = None
    schema: str | None = None
    issues: tuple[ValidationIssue, ...] = field(default=())

    @property
    def valid(self) -> bool | None:
        """True/False against the schema; None when no schema was given (or the mapping failed)."""
        if self.error is not None:
            return False
        return None if self.schema is None else not self.issues

    def to_dict(self) -> dict[str, Any]:
        """Return OpenConnector's mapping-test answer, plus ``error`` when the mapping failed."""
        return {
            "resultObject": self.result,
            "isValid": self.valid,
            "validationErrors": [{"path": i.path, "keyword": i.keyword, "message": i.message} for i in self.issues],
            "error": None
            if self.error is None
            else {"message": str(self.error), "code": self.error.code, "position": self.error.position},
        }


def default_bindings(obj: Any, *, run_timestamp: str | None = None) -> Bindings:
    """Return bindings for a sample: a test synchronization id, now (or ``run_timestamp``), the object's id."""
    stamp = run_timestamp or dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds")
    origin = obj.get("id") if isinstance(obj, dict) else None
    return Bindings(
        synchronization_id="mapping-test",
        run_timestamp=stamp,
        origin_id=None if origin is None else str(origin),
        source={"sample": True},
    )


def map_sample(
    mapping: Mapping,
    obj: Any,
    *,
    schema: SchemaSpec | None = None,
    register: str = "",
    schema_name: str = "",
    bindings: Bindings | None = None,
) -> SampleResult:
    """Map ``obj`` with ``mapping`` and, given a ``schema``, validate the result as the target would.

    A mapping error (syntax or evaluation) is returned in the result, not raised; a schema that is
    itself invalid raises SpecError.
    """
    label = f"{register}/{schema_name}" if schema is not None else None
    try:
        result = mapping.compile().apply(obj, bindings or default_bindings(obj))
    except MappingError as exc:
        return SampleResult(error=exc, schema=label)
    if schema is None:
        return SampleResult(result=result)
    return SampleResult(result=result, schema=label, issues=tuple(_validate(result, schema, register, schema_name)))


def _validate(result: Any, schema: SchemaSpec, register: str, name: str) -> list[ValidationIssue]:
    from openconnector.core.validation import ObjectValidator, ValidationIssue

    if not isinstance(result, dict):
        kind = "a list" if isinstance(result, list) else "null" if result is None else type(result).__name__
        return [ValidationIssue(path="/", keyword="type", message=f"The mapping result is {kind}, not an object")]
    return ObjectValidator(schema, register=register, name=name).validate(result)
