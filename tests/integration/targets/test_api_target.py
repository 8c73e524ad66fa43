"""The api target against a real REST API on loopback: create/update/delete, errors, idempotent creates."""

from __future__ import annotations

from typing import Any

import pytest

from openconnector.errors import TargetError, TargetUnavailable
from openconnector.sources import OAuth2Auth
from openconnector.sources.auth import OAuth2Authenticator
from openconnector.targets import PlannedWrite
from openconnector.targets.api import PENDING_MESSAGE
from tests.integration.targets.conftest import OpenTarget
from tests.integration.targets.crm_api import CrmApi


def create(origin: str, body: dict[str, Any], *, pending: bool = False) -> PlannedWrite:
    return PlannedWrite(origin, "create", f"uuid-{origin}", body, pending)


def acme(**fields: Any) -> dict[str, Any]:
    return {"name": "ACME", "externalId": "src-1", **fields}


def test_create_update_delete_round_trip(crm: CrmApi, api_target: OpenTarget) -> None:
    target = api_target()
    created = target.write_batch([create("src-1", acme())])[0]
    assert (created.status, created.target_id) == ("done", "1001")  # the id the API assigned
    updated = target.write_batch([PlannedWrite("src-1", "update", "1001", acme(city="Utrecht"))])[0]
    assert updated.status == "done"
    assert crm.companies["1001"]["city"] == "Utrecht"
    assert crm.writes()[-1].method == "PUT"
    assert crm.writes()[-1].path == "/companies/1001"
    deleted = target.write_batch([PlannedWrite("src-1", "delete", "1001", None)])[0]
    assert deleted.status == "done"
    assert crm.companies == {}
    assert crm.writes()[0].header("Authorization") == "Bearer crm-t0ken-5678"


def test_methods_endpoints_headers_and_mappings_are_configurable(
    crm: CrmApi, api_target: OpenTarget, include_dir: Any
) -> None:
    (include_dir / "mappings" / "crm_update.jsonata").write_text('{"name": name, "note": "synced " & $originId}')
    target = api_target(
        create={"endpoint": "/companies", "idPath": "data.id", "headers": {"X-Source": "{externalId}"}},
        update={"endpoint": "/companies/{targetId}", "method": "PATCH", "mapping": "crm_update.jsonata"},
        headers={"X-Tenant": "t1"},
    )
    crm.id_path = "data.id"
    created = target.write_batch([create("src-1", acme(city="Delft"))])[0]
    assert created.target_id == "1001"
    target.write_batch([PlannedWrite("src-1", "update", "1001", acme(name="ACME BV"))])
    assert crm.companies["1001"] == {
        "name": "ACME BV",
        "externalId": "src-1",
        "city": "Delft",
        "note": "synced src-1",
        "id": "1001",
    }
    first, second = crm.writes()
    assert first.header("X-Source") == "src-1"
    assert first.header("X-Tenant") == "t1"
    assert second.method == "PATCH"
    assert second.body == {"name": "ACME BV", "note": "synced src-1"}


def test_new_id_from_a_location_header(crm: CrmApi, api_target: OpenTarget) -> None:
    crm.id_path = ""
    assert api_target().write_batch([create("src-1", acme())])[0].target_id == "1001"


def test_answer_without_an_id_stops_the_run(crm: CrmApi, api_target: OpenTarget) -> None:
    crm.location = False
    target = api_target(create={"endpoint": "/companies", "idPath": "data.uuid"})
    with pytest.raises(
        TargetError, match=r"no id at target.create.idPath 'data.uuid'.*check the target for duplicates"
    ):
        target.write_batch([create("src-1", acme())])


def test_each_error_shape_becomes_the_object_outcome(crm: CrmApi, api_target: OpenTarget) -> None:
    target = api_target(concurrency=1)
    target.write_batch([create("src-1", acme())])
    crm.locked.add("1001")
    crm.fail_next(409, method="POST", body={"error": "Conflict", "message": "name already taken"})
    outcomes = target.write_batch(
        [
            create("src-4", acme(name="Dup")),
            create("src-2", {"externalId": "src-2"}),
            create("src-3", acme(status="bogus")),
            PlannedWrite("src-1", "update", "1001", acme()),
            PlannedWrite("src-9", "update", "9999", acme()),
            PlannedWrite("src-8", "delete", "8888", None),
        ]
    )
    shown = [(o.status, o.message) for o in outcomes]
    assert shown[0] == ("failed", "HTTP 409: Conflict: name already taken")
    assert shown[1] == ("invalid", "HTTP 422: The given data was invalid: name: The name field is required.")
    assert shown[2] == ("invalid", "HTTP 400: Bad Request: status 'bogus' is not a company status")
    assert shown[3] == ("failed", "HTTP 423: company 1001 is locked by another user")
    assert shown[4] == ("failed", "HTTP 404: company 9999 not found")
    assert shown[5] == ("done", None)  # deleting what is already gone is what a delete wants


@pytest.mark.parametrize(
    ("fields", "status", "expected"),
    [
        ({}, 401, "refused the credentials"),
        ({"create": {"endpoint": "/customers"}}, 404, "No such endpoint: check target.create.endpoint"),
        ({"create": {"endpoint": "/companies/{targetId}", "method": "PUT"}}, 404, "No such endpoint"),
    ],
)
def test_problems_of_every_object_stop_the_run(
    crm: CrmApi, api_target: OpenTarget, fields: dict[str, Any], status: int, expected: str
) -> None:
    target = api_target(**fields)
    if status == 401:
        crm.token = "rotated-t0ken"
    with pytest.raises(TargetError, match=expected):
        target.write_batch([create("src-1", acme())])


def test_wrong_method_is_a_run_error(crm: CrmApi, api_target: OpenTarget) -> None:
    target = api_target(delete={"endpoint": "/companies?id={targetId}"})
    with pytest.raises(TargetError, match="does not accept DELETE: check target.delete.method"):
        target.write_batch([PlannedWrite("src-1", "delete", "1001", None)])


def test_pending_create_without_any_safeguard_is_not_sent(crm: CrmApi, api_target: OpenTarget) -> None:
    outcome = api_target().write_batch([create("src-1", acme(), pending=True)])[0]
    assert outcome.status == "failed"
    assert outcome.message == PENDING_MESSAGE.format(origin="src-1")
    assert crm.requests == []


def test_lost_create_answer_is_not_repeated_blindly(crm: CrmApi, api_target: OpenTarget) -> None:
    target = api_target(concurrency=1)
    crm.drop_next(method="POST", after_write=True)
    with pytest.raises(TargetUnavailable, match="the answer was lost") as lost:
        target.write_batch([create("src-1", acme()), create("src-2", acme())])
    assert len(crm.companies) == 1
    assert len(crm.writes()) == 1
    assert lost.value.unsent == ["src-2"]  # src-1 may exist: it stays pending for the next attempt


def test_target_refusing_connections_leaves_every_write_unsent(crm: CrmApi, api_target: OpenTarget) -> None:
    target = api_target()
    crm.stop()
    with pytest.raises(TargetUnavailable, match="ConnectionError") as down:
        target.write_batch([create("src-1", acme()), create("src-2", acme())])
    assert sorted(down.value.unsent) == ["src-1", "src-2"]


def test_crash_resume_with_lookup_adopts_the_object_instead_of_duplicating(crm: CrmApi, api_target: OpenTarget) -> None:
    target = api_target(
        lookup={"endpoint": "/companies", "query": {"externalId": "{originId}"}, "resultsPosition": "items"}
    )
    crm.drop_next(method="POST", after_write=True)
    with pytest.raises(TargetUnavailable):
        target.write_batch([create("src-1", acme())])
    # The write stage hands the batch back as pending on its next attempt.
    outcomes = target.write_batch(
        [create("src-1", acme(city="Leiden"), pending=True), create("src-2", acme(externalId="src-2"), pending=True)]
    )
    assert [(o.status, o.target_id) for o in outcomes] == [("done", "1001"), ("done", "1002")]
    assert sorted(crm.companies) == ["1001", "1002"]
    assert crm.companies["1001"]["city"] == "Leiden"  # adopted and brought up to date


def test_lookup_that_finds_several_objects_fails_the_object(crm: CrmApi, api_target: OpenTarget) -> None:
    crm.companies.update({"7": {"id": "7", "externalId": "src-1"}, "8": {"id": "8", "externalId": "src-1"}})
    target = api_target(lookup={"endpoint": "/companies", "query": {"externalId": "{externalId}"}, "when": "always"})
    outcome = target.write_batch([create("src-1", acme())])[0]
    assert outcome.status == "failed"
    assert outcome.message.startswith("lookup found 2 objects for origin 'src-1'")
    assert crm.writes() == []


def test_idempotency_key_lets_a_lost_create_be_repeated(crm: CrmApi, api_target: OpenTarget) -> None:
    crm.idempotency_header = "Idempotency-Key"
    target = api_target(idempotencyKey={})
    crm.drop_next(method="POST", after_write=True)
    outcome = target.write_batch([create("src-1", acme())])[0]
    assert (outcome.status, outcome.target_id) == ("done", "1001")
    assert len(crm.companies) == 1
    assert [w.header("Idempotency-Key") for w in crm.writes()] == ["uuid-src-1", "uuid-src-1"]
    again = target.write_batch([create("src-1", acme(), pending=True)])[0]
    assert again.target_id == "1001"
    assert len(crm.companies) == 1


def test_client_ids_make_creates_upserts(crm: CrmApi, api_target: OpenTarget) -> None:
    crm.client_ids = True
    target = api_target(create={"endpoint": "/companies", "idField": "id"})
    assert target.write_batch([create("src-1", acme())])[0].target_id == "uuid-src-1"
    # A pending create whose first attempt did arrive: the API says 409, the object is updated instead.
    outcome = target.write_batch([create("src-1", acme(city="Gouda"), pending=True)])[0]
    assert (outcome.status, outcome.target_id) == ("done", "uuid-src-1")
    assert crm.companies["uuid-src-1"]["city"] == "Gouda"
    assert len(crm.companies) == 1


def test_target_down_after_retries_raises_unavailable(crm: CrmApi, api_target: OpenTarget) -> None:
    target = api_target()
    crm.fail_next(503, count=10)
    with pytest.raises(TargetUnavailable, match="HTTP 503"):
        target.write_batch([PlannedWrite("src-1", "update", "1001", acme())])
    crm.clear_faults()
    crm.fail_next(503, count=2, method="POST")
    assert target.write_batch([create("src-1", acme())])[0].status == "done"  # 503: surely not processed
    assert len(crm.companies) == 1


def test_placeholder_without_value_makes_the_object_invalid(crm: CrmApi, api_target: OpenTarget) -> None:
    target = api_target(update={"endpoint": "/companies/{code}"})
    outcome = target.write_batch([PlannedWrite("src-1", "update", "1001", acme())])[0]
    assert outcome.status == "invalid"
    assert outcome.message == "target.update.endpoint '/companies/{code}': object 'src-1' has no plain value at 'code'"


def test_oauth2_client_credentials_like_sources(crm: CrmApi, api_target: OpenTarget) -> None:
    OAuth2Authenticator.cache.clear()
    auth = OAuth2Auth(token_url=crm.url + "/token", client_id="sync-app", client_secret="client-s3cret")
    target = api_target(auth=auth)
    assert target.write_batch([create("src-1", acme()), create("src-2", acme())])[0].status == "done"
    assert [r.path for r in crm.requests].count("/token") == 1  # one token for the whole batch
    OAuth2Authenticator.cache.clear()
    refused = api_target(
        auth=OAuth2Auth(token_url=crm.url + "/token", client_id="sync-app", client_secret="wrong-s3cret")
    )
    with pytest.raises(TargetError) as failure:
        refused.write_batch([create("src-3", acme())])
    assert "wrong-s3cret" not in str(failure.value)
