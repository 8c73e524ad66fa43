"""The local OpenRegister answers like OpenRegister 1.0.1 where clients and tests depend on it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from devkit.openregister_server import OpenRegisterServer
from openconnector.spec.register import RegisterSpec
from openconnector.spec.target import RegisterTarget as RegisterTargetSpec
from openconnector.targets import InvalidObject
from openconnector.targets.register import RegisterTarget
from tests.integration.targets.conftest import company

ID = "0e8fa0d3-1111-4222-8333-444455556666"
OBJECTS = "/objects/demo/company"


@pytest.fixture
def api(include_dir: Any) -> Iterator[tuple[OpenRegisterServer, requests.Session]]:
    with OpenRegisterServer(auth=("bot", "pw-123456")) as server, requests.Session() as session:
        session.auth = ("bot", "pw-123456")
        session.headers["OCS-APIRequest"] = "true"
        yield server, session


def call(api: tuple[OpenRegisterServer, requests.Session], method: str, path: str, **kwargs: Any) -> requests.Response:
    server, session = api
    return session.request(method, server.api_url + path, timeout=10, **kwargs)


def test_post_with_id_is_an_upsert_and_returns_the_object_shape(api: Any) -> None:
    first = call(api, "POST", OBJECTS, json={**company(1), "id": ID, "uuid": "ignored", "_x": 1})
    again = call(api, "POST", OBJECTS, json={**company(1, name="Renamed"), "@self": {"id": ID}})
    assert (first.status_code, again.status_code) == (201, 201)
    body = again.json()
    assert body["id"] == body["@self"]["id"] == ID
    assert body["name"] == "Renamed"
    assert body["@self"]["register"] == "1"
    assert body["@self"]["schema"] == "1"
    assert body["@self"]["uri"].endswith(f"/api/objects/1/1/{ID}")
    assert body["employees"] is None  # every schema property is present, null included
    assert "_x" not in body
    assert body["@self"]["created"] == first.json()["@self"]["created"]
    assert len(api[0].objects("demo", "company")) == 1


def test_list_envelope_pagination_and_empty_stripping(api: Any) -> None:
    for number in range(25):
        call(api, "POST", OBJECTS, json=company(number))
    page = call(api, "GET", OBJECTS, params={"_limit": 10, "_page": 3})
    body = page.json()
    assert {k: body[k] for k in ("total", "page", "pages", "limit", "offset")} == {
        "total": 25,
        "page": 3,
        "pages": 3,
        "limit": 10,
        "offset": 20,
    }
    assert len(body["results"]) == 5
    assert "employees" not in body["results"][0]
    full = call(api, "GET", OBJECTS, params={"_empty": "true", "_limit": 30})
    assert full.headers.get("Content-Encoding") == "gzip"
    assert full.json()["results"][0]["employees"] is None
    filtered = call(api, "GET", OBJECTS, params={"name": "Company 7"}).json()
    assert [o["name"] for o in filtered["results"]] == ["Company 7"]
    unknown = call(api, "GET", OBJECTS, params={"limit": "5"}).json()
    assert unknown["total"] == 0
    assert unknown["@self"]["ignoredFilters"] == ["limit"]


def test_put_patch_delete_and_their_status_codes(api: Any) -> None:
    call(api, "POST", OBJECTS, json={**company(1, employees=5), "id": ID})
    assert call(api, "PATCH", f"{OBJECTS}/{ID}", json={"legalForm": "BV"}).json()["employees"] == 5
    assert call(api, "PUT", f"{OBJECTS}/{ID}", json=company(1)).json()["employees"] is None
    assert call(api, "PUT", f"{OBJECTS}/nope", json=company(1)).json() == {"error": "Not Found"}
    assert call(api, "PATCH", f"{OBJECTS}/nope", json={}).json() == {"error": "Object not found"}
    deleted = call(api, "DELETE", f"{OBJECTS}/{ID}")
    assert (deleted.status_code, deleted.content) == (204, b"")
    assert call(api, "GET", f"{OBJECTS}/{ID}").status_code == 404  # soft-deleted objects are hidden
    assert api[0].objects("demo", "company", deleted=True)[0]["@self"]["deleted"]["objectId"] == ID
    unknown = call(api, "DELETE", f"{OBJECTS}/nope")
    assert unknown.status_code == 403
    assert "not found" in unknown.json()["error"]
    revived = call(api, "POST", OBJECTS, json={**company(1), "id": ID})
    assert revived.status_code == 201
    assert revived.json()["@self"]["deleted"] is None


def test_validation_errors_have_the_documented_bodies(api: Any) -> None:
    created = call(api, "POST", OBJECTS, json={"name": "x"})
    assert created.status_code == 400
    assert isinstance(created.json(), str)
    call(api, "POST", OBJECTS, json={**company(1), "id": ID})
    updated = call(api, "PUT", f"{OBJECTS}/{ID}", json=company(1, status="closed")).json()
    assert updated["status"] == "error"
    assert updated["message"] == "Validation failed"
    assert updated["errors"][0]["message"].startswith("Property 'status' should be one of")
    assert list(updated["errors"][0]["errors"]) == ["/status"]


def test_validation_matches_the_builtin_register_store(api: Any) -> None:
    builtin = RegisterTarget(
        RegisterTargetSpec.model_validate({"type": "register", "register": "demo", "schema": "company"})
    )
    invalid = (
        {"name": "x"},
        company(1, turnoverEur="lots"),
        company(1, email="not-an-email"),
        company(1, founded="2020-13-45"),
    )
    for body in invalid:
        with pytest.raises(InvalidObject) as refused:
            builtin.prepare(body)
        answer = call(api, "POST", OBJECTS, json=body)
        assert answer.status_code == 400
        assert answer.json() in str(refused.value)


def test_registers_schemas_and_version_endpoints(api: Any) -> None:
    registers = call(api, "GET", "/registers").json()["results"]
    assert [(r["id"], r["slug"], r["schemas"]) for r in registers] == [(1, "demo", [1])]
    schemas = call(api, "GET", "/registers/demo/schemas").json()
    assert schemas["total"] == 1
    assert schemas["results"][0]["required"] == ["registrationNumber", "name", "status"]
    assert call(api, "GET", "/schemas/COMPANY").json()["hardValidation"] is True
    assert call(api, "GET", "/schemas/nope").status_code == 404
    assert call(api, "GET", "/settings/version").json()["version"] == "1.0.1"
    assert call(api, "POST", "/objects/nope/company", json={}).json() == {"message": "Register not found: 'nope'"}


def test_credentials_are_required(api: Any) -> None:
    server, _ = api
    refused = requests.get(server.api_url + "/registers", auth=("bot", "wrong"), timeout=10)
    assert refused.status_code == 401


def test_hard_validation_off_accepts_anything(include_dir: Any) -> None:
    register = RegisterSpec.model_validate(
        {"slug": "r", "schemas": {"s": {"required": ["a"], "properties": {"a": {"type": "string"}}}}}
    )
    with OpenRegisterServer(registers=[register], hard_validation=False) as server:
        answer = requests.post(server.api_url + "/objects/r/s", json={"a": 5}, timeout=10)
        assert answer.status_code == 201
        assert answer.json()["a"] == 5


def test_bulk_save_does_not_validate_and_reports_each_object(api: Any) -> None:
    answer = call(
        api, "POST", "/bulk/demo/company/save", json={"objects": [{**company(1), "id": ID}, {"name": "no number"}]}
    )
    report = answer.json()["saved_objects"]
    assert answer.json()["saved_count"] == 2
    assert len(report["saved"]) == 2
    again = call(api, "POST", "/bulk/demo/company/save", json={"objects": [{**company(1), "id": ID}]}).json()
    assert [o["id"] for o in again["saved_objects"]["unchanged"]] == [ID]
    deleted = call(api, "POST", "/bulk/demo/company/delete", json={"uuids": [ID, "nope"]}).json()
    assert (deleted["deleted_uuids"], deleted["skipped_uuids"]) == ([ID], ["nope"])


def test_lock_makes_put_answer_423(api: Any) -> None:
    call(api, "POST", OBJECTS, json={**company(1), "id": ID})
    locked = call(api, "POST", f"{OBJECTS}/{ID}/lock", json={"duration": 3600})
    assert locked.json()["@self"]["locked"]["user"] == "bot"
    api[0].lock("demo", "company", ID, user="alice")
    answer = call(api, "PUT", f"{OBJECTS}/{ID}", json=company(1))
    assert answer.status_code == 423
    assert answer.json() == {"error": "Object is locked by alice", "lockedBy": "alice"}
    call(api, "POST", f"{OBJECTS}/{ID}/unlock")
    assert call(api, "PUT", f"{OBJECTS}/{ID}", json=company(1)).status_code == 200


def test_on_write_hook_sees_every_applied_write(api: Any) -> None:
    seen: list[str] = []
    api[0].on_write = lambda event: seen.append(f"{event.method} {event.object_id}")
    call(api, "POST", OBJECTS, json={**company(1), "id": ID})
    call(api, "POST", OBJECTS, json={"name": "invalid"})
    call(api, "DELETE", f"{OBJECTS}/{ID}")
    assert seen == [f"POST {ID}", f"DELETE {ID}"]
