"""The ``target`` section of a spec: where mapped objects are written.

Three types, chosen by ``type``: ``register`` (the built-in register store), ``openregister`` (a live
OpenRegister over HTTP) and ``api`` (any REST API). The same synchronization writes to any of them by
changing only this section and, for the HTTP types, the Airflow connection it names.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from openconnector.spec.base import Spec
from openconnector.spec.mapping import MappingRef

_SLUG = r"^[A-Za-z0-9][A-Za-z0-9_-]*$"
#: ``{name}`` in endpoint, query, header and key templates.
PLACEHOLDER = re.compile(r"\{([^{}]+)\}")
#: Template names that are not read from the object: everything else is a dot path into the object.
RESERVED_NAMES = ("targetId", "originId", "runTimestamp")


class _Target(Spec):
    """What every target has: the Airflow pool its write task runs in."""

    pool: str | None = Field(
        default=None,
        description="Airflow pool of the write task, so parallel syncs cannot overload one target; default: the default pool.",
    )


class RegisterTarget(_Target):
    """The built-in register store: OpenRegister-shaped objects in the contracts Postgres.

    ``register`` names a file in ``include/registers/``; ``schema`` one of the schemas it declares.
    """

    type: Literal["register"]
    register_slug: str = Field(alias="register", pattern=_SLUG)
    schema_slug: str = Field(alias="schema", pattern=_SLUG)


class _HttpTarget(_Target):
    """What every HTTP target has: the connection, and how many writes go out at once."""

    connection: str = Field(min_length=1, description="Airflow connection id: base URL and credentials.")
    batch_size: int = Field(default=100, ge=1, le=10_000, description="Writes handed to the target per batch.")
    concurrency: int = Field(default=4, ge=1, le=64, description="Parallel HTTP requests inside a batch.")
    timeout: float = Field(default=30.0, gt=0, description="Seconds to wait for one answer.")


class OpenRegisterTarget(_HttpTarget):
    """A register/schema of a running OpenRegister, written through its objects API.

    ``register`` and ``schema`` are an id, a slug or a UUID; they are resolved once per run. Objects
    are created with the contract's UUID (a repeated create is an upsert), updated with PUT, deleted
    with DELETE. ``bulk: true`` sends creates and updates through the bulk save endpoint, which
    OpenRegister 1.0 does not validate: they are validated here first, against the server's schema.
    """

    type: Literal["openregister"]
    register_ref: str = Field(alias="register", min_length=1)
    schema_ref: str = Field(alias="schema", min_length=1)
    bulk: bool = False
    api_path: str = Field(
        default="/index.php/apps/openregister/api",
        description="Path of OpenRegister's API below the connection's Host; '/apps/openregister/api' with pretty URLs.",
    )

    @field_validator("register_ref", "schema_ref", mode="before")
    @classmethod
    def _numeric_ids_as_text(cls, value: Any) -> Any:
        # ``register: 3`` in YAML is an int; ids travel in URLs as text anyway.
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value

    @field_validator("api_path")
    @classmethod
    def _absolute_path(cls, value: str) -> str:
        if not value.startswith("/"):
            raise ValueError("must start with '/', e.g. '/index.php/apps/openregister/api'")
        return value.rstrip("/")


class _ApiAction(Spec):
    """One write action of an API target: endpoint template, method, extra headers and query, body mapping."""

    endpoint: str = Field(min_length=1)
    headers: dict[str, str] = Field(default_factory=dict)
    query: dict[str, str] = Field(default_factory=dict)
    mapping: MappingRef | None = Field(
        default=None, description="Mapping file applied to the body of this action only (include/mappings/)."
    )

    @field_validator("mapping", mode="before")
    @classmethod
    def _mapping_shorthand(cls, value: Any) -> Any:
        return {"file": value} if isinstance(value, str) else value

    @field_validator("endpoint")
    @classmethod
    def _balanced_braces(cls, value: str) -> str:
        if value.count("{") != value.count("}"):
            raise ValueError("has unbalanced braces; placeholders look like {targetId} or {address.city}")
        return value


class ApiCreate(_ApiAction):
    """How a new object is created.

    ``idPath`` is where the new id is in the answer (a dot path; when absent there, the last segment of a
    ``Location`` header is used). ``idField`` sends the contract's target id in the body under that key,
    for APIs that accept ids chosen by the client; so does an endpoint with ``{targetId}`` (PUT upsert).
    """

    method: Literal["POST", "PUT", "PATCH"] = "POST"
    id_path: str = Field(default="id", min_length=1)
    id_field: str | None = Field(default=None, min_length=1)


class ApiUpdate(_ApiAction):
    """How an existing object is updated; the endpoint must hold a placeholder such as ``{targetId}``."""

    method: Literal["PUT", "PATCH", "POST"] = "PUT"

    @field_validator("endpoint")
    @classmethod
    def _has_placeholder(cls, value: str) -> str:
        return _require_placeholder(value)


class ApiDelete(_ApiAction):
    """How a vanished object is deleted; the endpoint must hold a placeholder such as ``{targetId}``.

    The action's mapping, if any, gets ``{"targetId": ..., "originId": ...}`` and its result is sent as body.
    """

    method: Literal["DELETE", "POST", "PUT", "PATCH"] = "DELETE"

    @field_validator("endpoint")
    @classmethod
    def _has_placeholder(cls, value: str) -> str:
        return _require_placeholder(value)


class ApiLookup(Spec):
    """Find an object the API already holds, so a create that may have happened is not sent twice.

    ``when: pending`` (default) looks up only creates that a crashed attempt may have sent; ``always``
    looks up before every create (one extra GET each, but it also adopts objects made elsewhere).
    Query values are templates: ``{originId}``, ``{targetId}`` or a dot path into the object.
    """

    endpoint: str = Field(min_length=1)
    query: dict[str, str] = Field(default_factory=dict)
    results_position: str = Field(default="auto", min_length=1)
    id_path: str = Field(default="id", min_length=1)
    when: Literal["pending", "always"] = "pending"


class ApiIdempotencyKey(Spec):
    """Send a key with every create, so the API itself ignores a repeated create (``Idempotency-Key``)."""

    header: str = Field(default="Idempotency-Key", min_length=1)
    value: str = Field(default="{targetId}", min_length=1)


class ApiTarget(_HttpTarget):
    """Any REST API: create by POST (new id read from the answer), update by PUT/PATCH, delete by DELETE.

    ``update`` and ``delete`` default, as in OpenConnector, to ``<create endpoint>/{targetId}`` with PUT
    and DELETE. ``headers`` go with every write. Authentication comes from the connection.
    """

    type: Literal["api"]
    create: ApiCreate
    update: ApiUpdate | None = None
    delete: ApiDelete | None = None
    headers: dict[str, str] = Field(default_factory=dict)
    lookup: ApiLookup | None = None
    idempotency_key: ApiIdempotencyKey | None = None

    @model_validator(mode="after")
    def _default_actions(self) -> ApiTarget:
        item = self.create.endpoint.split("?", 1)[0].rstrip("/") + "/{targetId}"
        if self.update is None:
            object.__setattr__(self, "update", ApiUpdate.model_validate({"endpoint": item}))
        if self.delete is None:
            object.__setattr__(self, "delete", ApiDelete.model_validate({"endpoint": item}))
        return self

    def mapping_refs(self) -> dict[str, MappingRef]:
        """Return the per-action mapping files by field path (``create.mapping`` ...), for reference checks."""
        actions = {"create": self.create, "update": self.update, "delete": self.delete}
        return {f"{name}.mapping": a.mapping for name, a in actions.items() if a is not None and a.mapping is not None}

    @property
    def client_ids(self) -> bool:
        """Tell whether creates carry the contract's target id (so a repeated create is harmless)."""
        return self.create.id_field is not None or "{targetId}" in self.create.endpoint


def _require_placeholder(value: str) -> str:
    if not PLACEHOLDER.search(value):
        raise ValueError(
            "must contain a placeholder such as {targetId}, so each object is written at its own URL "
            "(e.g. '/companies/{targetId}')"
        )
    return value


#: Every target type, told apart by ``type``.
Target = Annotated[RegisterTarget | OpenRegisterTarget | ApiTarget, Field(discriminator="type")]
