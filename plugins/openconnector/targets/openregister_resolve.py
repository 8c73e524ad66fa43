"""Find, once per run, what an OpenRegister target writes to: server version, register and schema.

Register and schema may be given by numeric id, UUID or slug. Slugs are matched case-insensitively and
are not unique across registers in OpenRegister, so the schema is looked up among the register's own
schemas first. Everything afterwards uses the numeric ids. A missing register or schema is a
``TargetError`` that lists what does exist, so the fix is one look away.

The version comes from ``GET /api/settings/version`` (0.2.x and 1.0.x). That endpoint is admin-only:
for other accounts the version stays unknown and 1.0 behaviour is assumed.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from openconnector.errors import TargetError
from openconnector.sources.response import HttpResponse
from openconnector.targets.answers import answer_message
from openconnector.targets.http import TargetHttp, parse_json

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Resolved:
    """The numeric ids a run writes to, the server's version and its schema definition."""

    register_id: str
    register_slug: str
    schema_id: str
    schema_slug: str
    version: str | None = None
    schema: dict[str, Any] = field(default_factory=dict)

    @property
    def major(self) -> int | None:
        """Return the major version number, or None when unknown."""
        head = (self.version or "").lstrip("v").split(".", 1)[0]
        return int(head) if head.isdigit() else None


def resolve(http: TargetHttp, api: str, register: str, schema: str) -> Resolved:
    """Check the server and resolve ``register``/``schema`` (id, UUID or slug) to numeric ids.

    :raises TargetError: credentials refused, not an OpenRegister, register or schema missing.
    :raises TargetUnavailable: the server could not be reached.
    """
    version = read_version(http, api)
    found_register = _register(http, api, register)
    register_id = str(found_register["id"])
    found_schema = _schema(http, api, register_id, register, schema)
    resolved = Resolved(
        register_id=register_id,
        register_slug=str(found_register.get("slug") or register),
        schema_id=str(found_schema["id"]),
        schema_slug=str(found_schema.get("slug") or schema),
        version=version,
        schema=found_schema,
    )
    _check_membership(found_register, resolved)
    _log_version(resolved, http)
    return resolved


def read_version(http: TargetHttp, api: str) -> str | None:
    """Return OpenRegister's version, or None when this account may not read it."""
    response = http.request("GET", f"{api}/settings/version")
    refuse_credentials(http, response)
    value = parse_json(response)
    if response.ok and isinstance(value, dict) and isinstance(value.get("version"), str):
        version = str(value["version"])
        return None if version == "unknown" else version
    return None


def refuse_credentials(http: TargetHttp, response: HttpResponse) -> None:
    """Raise a TargetError when the answer says the credentials were refused (401)."""
    if response.status in (401, 407):
        raise TargetError(
            f"{response.method} {http.display(response.url)}: {answer_message(response, http.masker)}. "
            f"OpenRegister refused the credentials of {http.connection.label}: use a Nextcloud user with an "
            "app password (Login/Password) or auth_type bearer with an app token"
        )


def _register(http: TargetHttp, api: str, ref: str) -> dict[str, Any]:
    # The list, not ``GET /registers/{ref}``: ``show`` of an unknown register ends in a 500 in 1.0 (an
    # uncaught DoesNotExistException), and the list is unpaged and needed for the error message anyway.
    registers = _list(http, f"{api}/registers", "target.register")
    match = _match(registers, ref)
    if match is not None:
        return match
    raise TargetError(
        f"target.register: {ref!r} does not exist in the OpenRegister at {http.masker.text(http.base_url)}; "
        f"registers there (id, slug or UUID are accepted): {_names(registers)}"
    )


def _schema(http: TargetHttp, api: str, register_id: str, register_ref: str, ref: str) -> dict[str, Any]:
    schemas = _list(http, f"{api}/registers/{register_id}/schemas", "target.schema")
    match = _match(schemas, ref)
    if match is not None:
        return match
    response = http.request("GET", f"{api}/schemas/{quote(ref, safe='')}")
    value = parse_json(response)
    if response.ok and isinstance(value, dict) and "id" in value:
        log.warning(
            "Schema %r (id %s) is not one of register %r's schemas; OpenRegister accepts the writes anyway",
            ref,
            value["id"],
            register_ref,
        )
        return value
    raise TargetError(
        f"target.schema: {ref!r} does not exist in register {register_ref!r} of the OpenRegister at "
        f"{http.masker.text(http.base_url)}; its schemas (id, slug or UUID are accepted): {_names(schemas)}"
    )


def _list(http: TargetHttp, endpoint: str, field_name: str) -> list[dict[str, Any]]:
    response = http.request("GET", endpoint)
    refuse_credentials(http, response)
    value = parse_json(response)
    results = value.get("results") if isinstance(value, dict) else None
    if not response.ok or not isinstance(results, list):
        raise TargetError(
            f"{field_name}: GET {http.display(response.url)} answered {answer_message(response, http.masker)}; "
            f"is {http.masker.text(http.base_url)} a Nextcloud with OpenRegister? Check the Host of {http.connection.label} "
            "(e.g. https://cloud.example.org) and target.apiPath"
        )
    return [item for item in results if isinstance(item, dict) and "id" in item]


def _match(items: Iterable[dict[str, Any]], ref: str) -> dict[str, Any] | None:
    wanted = ref.strip().lower()
    for item in items:
        keys = (str(item.get("id", "")), str(item.get("uuid") or "").lower(), str(item.get("slug") or "").lower())
        if wanted in keys:
            return item
    return None


def _names(items: list[dict[str, Any]]) -> str:
    if not items:
        return "(none)"
    shown = [f"{item.get('slug')!r} (id {item.get('id')})" for item in items[:30]]
    return ", ".join(shown) + (f" and {len(items) - 30} more" if len(items) > 30 else "")


def _check_membership(register: dict[str, Any], resolved: Resolved) -> None:
    members = register.get("schemas")
    if not isinstance(members, list) or not members:
        return
    ids = {str(m.get("id")) if isinstance(m, dict) else str(m) for m in members}
    if resolved.schema_id not in ids:
        log.warning(
            "Schema %r is not listed in register %r; OpenRegister does not enforce this and writes anyway",
            resolved.schema_slug,
            resolved.register_slug,
        )


def _log_version(resolved: Resolved, http: TargetHttp) -> None:
    if resolved.version is None:
        log.info(
            "OpenRegister at %s: version not readable by this account (admin only); assuming 1.0 behaviour",
            http.base_url,
        )
    elif resolved.major == 0:
        log.warning(
            "OpenRegister %s at %s is a 0.x version: hardValidation defaults to false, properties the schema "
            "does not define are kept, and bulk save needs an admin account",
            resolved.version,
            http.base_url,
        )
    log.info(
        "OpenRegister %s: writing to register %s (id %s), schema %s (id %s)",
        resolved.version or "(version unknown)",
        resolved.register_slug,
        resolved.register_id,
        resolved.schema_slug,
        resolved.schema_id,
    )
