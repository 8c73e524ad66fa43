"""The ``target`` section of a spec: where mapped objects are written."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from openconnector.spec.base import Spec

_SLUG = r"^[A-Za-z0-9][A-Za-z0-9_-]*$"


class RegisterTarget(Spec):
    """The built-in register store: OpenRegister-shaped objects in the contracts Postgres.

    ``register`` names a file in ``include/registers/``; ``schema`` one of the schemas it declares.
    """

    type: Literal["register"]
    register_slug: str = Field(alias="register", pattern=_SLUG)
    schema_slug: str = Field(alias="schema", pattern=_SLUG)


#: Every target type; a discriminated union on ``type`` once there is more than one.
Target = RegisterTarget
