"""The built-in register store: OpenRegister-shaped objects in the contracts Postgres.

Objects are validated like OpenRegister 1.0 validates them (``core.validation``) and stored with
``id`` and ``@self`` metadata. Writing is set-based SQL in the same transaction as the contract
updates, so a crash can never leave a target row without its contract or the other way round.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from openconnector.core.validation import ObjectValidator
from openconnector.spec.loader import load_register
from openconnector.targets.base import InvalidObject, Prepared

if TYPE_CHECKING:
    from openconnector.core.validation import ValidationIssue
    from openconnector.db.store import RunRow, Store
    from openconnector.pipeline.context import RunContext
    from openconnector.spec.target import RegisterTarget as RegisterTargetSpec

#: Keys OpenRegister drops from a written object (its controllers filter them); we drop them too.
_RESERVED = frozenset({"uuid", "register", "schema"})
_MAX_REPORTED_ISSUES = 5


class RegisterTarget:
    """Write to a register/schema of the built-in store."""

    def __init__(self, spec: RegisterTargetSpec) -> None:
        self.register = load_register(spec.register_slug, referenced_from="target.register")
        self.schema_slug = spec.schema_slug
        self.schema = self.register.schemas[spec.schema_slug]
        self._validator: ObjectValidator | None = None
        self._ids: tuple[int, int] | None = None

    def fingerprint_parts(self) -> list[Any]:
        """Return the register, schema and schema definition: editing the schema re-validates every object."""
        return ["register", self.register.slug, self.schema_slug, self.schema.model_dump(by_alias=True)]

    def prepare(self, mapped: Any) -> Prepared:
        """Drop keys OpenRegister would drop, take a requested ``id``, validate against the schema."""
        body, requested = split_register_object(mapped)
        if requested is not None and not _is_uuid(requested):
            raise InvalidObject(
                f"the mapped 'id' {requested!r} is not a UUID; register objects are identified by UUIDs. "
                "Remove 'id' from the mapping to let the contract choose one"
            )
        issues = self.validator.validate(body)
        if issues:
            raise InvalidObject(issues_message(issues, f"{self.register.slug}/{self.schema_slug}"))
        return Prepared(body, requested)

    @property
    def validator(self) -> ObjectValidator:
        """Return the compiled validator (built on first use: never at DAG-parse time)."""
        if self._validator is None:
            self._validator = ObjectValidator(self.schema, register=self.register.slug, name=self.schema_slug)
        return self._validator

    def begin_write(self, store: Store) -> None:
        """Create or update the register and schema rows (once per write, before any parallel writer)."""
        self._ids = store.ensure_register_schema(self.register, self.schema_slug)

    def write(
        self, store: Store, ctx: RunContext, run: RunRow, partitions: int, part: tuple[int, int] | None = None
    ) -> None:
        """Upsert created/updated objects and soft-delete vanished ones (of one write partition, if given)."""
        if self._ids is None:
            self.begin_write(store)
        register_id, schema_id = self._ids  # type: ignore[misc]
        store.write_register_objects(
            run.id,
            sync=ctx.synchronization_id,
            register=register_id,
            schema=schema_id,
            partitions=partitions,
            now=ctx.run_timestamp,
            part=part,
        )


def split_register_object(mapped: Any) -> tuple[dict[str, Any], str | None]:
    """Return the body OpenRegister would store and the ``id`` the mapping asked for (if any).

    Keys OpenRegister's controllers drop (``uuid``, ``register``, ``schema``, ``_*``, ``@*``) are dropped.
    :raises InvalidObject: the mapping result is not a JSON object.
    """
    if not isinstance(mapped, dict):
        kind = "array" if isinstance(mapped, list) else type(mapped).__name__
        raise InvalidObject(f"the mapping result is a JSON {kind}, not an object")
    requested = mapped.get("id")
    dropped = _dropped_keys(tuple(mapped))
    body = {k: v for k, v in mapped.items() if k not in dropped} if dropped else mapped
    return body, (str(requested) if requested is not None else None)


#: Keys to drop per key sequence ("shape") of mapped objects. A mapping gives a handful of shapes, so
#: the per-key test runs once per shape instead of once per object (it was 8 us of a ~100 us map step).
_SHAPES: dict[tuple[str, ...], frozenset[str]] = {}
_MAX_SHAPES = 4096


def _dropped_keys(shape: tuple[str, ...]) -> frozenset[str]:
    dropped = _SHAPES.get(shape)
    if dropped is None:
        if len(_SHAPES) >= _MAX_SHAPES:
            _SHAPES.clear()
        dropped = _SHAPES[shape] = frozenset(
            k for k in shape if k == "id" or k in _RESERVED or k.startswith(("_", "@"))
        )
    return dropped


def issues_message(issues: list[ValidationIssue], schema_label: str) -> str:
    """Return the reason shown for an object that fails its schema: the first few issues."""
    shown = "; ".join(issue.message for issue in issues[:_MAX_REPORTED_ISSUES])
    more = f" (and {len(issues) - _MAX_REPORTED_ISSUES} more)" if len(issues) > _MAX_REPORTED_ISSUES else ""
    return f"schema {schema_label}: {shown}{more}"


def _is_uuid(value: Any) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True
