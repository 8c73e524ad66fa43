"""``prepare`` runs in the map stage without any connection, and judges objects like the built-in store."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from openconnector.errors import TargetError
from openconnector.spec.target import ApiTarget, OpenRegisterTarget, RegisterTarget
from openconnector.targets import InvalidObject, make_target

GOOD = {"registrationNumber": "12345678", "name": "ACME", "status": "active"}


def openregister(**fields: Any) -> Any:
    spec = {"type": "openregister", "connection": "or", "register": "demo", "schema": "company", **fields}
    return make_target(OpenRegisterTarget.model_validate(spec))


def api(**fields: Any) -> Any:
    return make_target(
        ApiTarget.model_validate({"type": "api", "connection": "crm", "create": {"endpoint": "/c"}, **fields})
    )


def reason(target: Any, mapped: Any) -> str:
    with pytest.raises(InvalidObject) as refused:
        target.prepare(mapped)
    return str(refused.value)


def test_local_schema_validates_exactly_like_the_builtin_store(include_dir: Path) -> None:
    builtin = make_target(RegisterTarget.model_validate({"type": "register", "register": "demo", "schema": "company"}))
    remote = openregister()
    for mapped in ({"name": "x"}, {**GOOD, "email": "nope"}, {**GOOD, "status": "gone"}, [1, 2]):
        assert reason(remote, mapped) == reason(builtin, mapped)
    assert remote.prepare({**GOOD, "_x": 1, "@self": {}, "schema": 2}).body == GOOD


def test_reserved_keys_are_dropped_whatever_the_order_and_number_of_shapes(include_dir: Path) -> None:
    target = openregister(register="7", schema="12")
    # Keys are dropped by name per key sequence ("shape"); each shape must get its own answer, also
    # after many shapes have been seen.
    for n in range(5000):
        extra = {f"k{n}": n}
        assert target.prepare({**extra, "uuid": "u", "name": "x"}).body == {**extra, "name": "x"}
        assert target.prepare({"name": "x", **extra}).body == {"name": "x", **extra}
    mapped = {"id": "own", "name": "x", "@self": {}, "_meta": 1, "register": 3, "schema": 4, "uuid": "u"}
    for _ in range(2):  # the second time from the cache
        prepared = target.prepare(mapped)
        assert (prepared.body, prepared.requested_id) == ({"name": "x"}, "own")
    assert mapped["_meta"] == 1, "prepare must not change the mapping's result"


def test_without_a_local_schema_only_the_shape_is_checked(include_dir: Path) -> None:
    target = openregister(register="7", schema="12")  # numeric ids: no register file to validate with
    assert target.prepare({"name": "x"}).body == {"name": "x"}
    assert "is a JSON array" in reason(target, [])


def test_requested_ids_must_fit_openregister(include_dir: Path) -> None:
    target = openregister()
    assert target.prepare({**GOOD, "id": "my-own-id"}).requested_id == "my-own-id"
    assert "1 to 36 characters" in reason(target, {**GOOD, "id": "x" * 37})


def test_editing_the_local_schema_changes_the_fingerprint(include_dir: Path) -> None:
    before = openregister().fingerprint_parts()
    path = include_dir / "registers" / "demo.yaml"
    data = yaml.safe_load(path.read_text())
    data["schemas"]["company"]["properties"]["name"]["maxLength"] = 10
    path.write_text(yaml.safe_dump(data))
    after = openregister().fingerprint_parts()
    assert before != after
    assert reason(openregister(), {**GOOD, "name": "A much longer name"}).startswith("schema demo/company:")


def test_writing_needs_the_connection(include_dir: Path) -> None:
    for target in (openregister(), api()):
        with pytest.raises(TargetError, match="TargetHook"):
            target.open("2026-01-01T00:00:00+00:00")


def test_api_prepare_keeps_the_body_and_reads_a_requested_id(include_dir: Path) -> None:
    assert api().prepare({"id": 5, "name": "x"}).requested_id is None
    with_ids = api(create={"endpoint": "/c", "idField": "code"})
    prepared = with_ids.prepare({"code": 42, "name": "x"})
    assert (prepared.body, prepared.requested_id) == ({"code": 42, "name": "x"}, "42")
    assert "not an object" in reason(with_ids, "text")


def test_api_fingerprint_follows_actions_and_mappings(include_dir: Path) -> None:
    (include_dir / "mappings" / "wrap.jsonata").write_text('{"data": $}')
    plain = api().fingerprint_parts()
    mapped = api(update={"endpoint": "/c/{targetId}", "mapping": "wrap.jsonata"}).fingerprint_parts()
    assert plain != mapped
    assert api(batchSize=5, concurrency=2).fingerprint_parts() == plain  # throughput settings change nothing written
