"""The openregister target against a real HTTP server: what users rely on when they sync into OpenRegister."""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

import pytest
import requests

from devkit.openregister_server import OpenRegisterServer
from openconnector.errors import TargetError, TargetUnavailable
from openconnector.sources import BearerAuth
from openconnector.targets import PlannedWrite, derived_target_id
from tests.integration.targets.conftest import APP_PASSWORD, USER, OpenTarget, company, or_connection


def tid(origin: str) -> str:
    return derived_target_id("companies", origin)


def create(origin: str, body: dict[str, Any], *, pending: bool = False) -> PlannedWrite:
    return PlannedWrite(origin, "create", tid(origin), body, pending)


def stored(server: OpenRegisterServer) -> dict[str, dict[str, Any]]:
    return {obj["id"]: obj for obj in server.objects("demo", "company")}


def test_creates_updates_and_deletes_with_the_contract_ids(
    openregister: OpenRegisterServer, or_target: OpenTarget
) -> None:
    target = or_target()
    outcomes = target.write_batch([create("a", company(1)), create("b", company(2))])
    assert [(o.origin_id, o.status, o.target_id) for o in outcomes] == [
        ("a", "done", tid("a")),
        ("b", "done", tid("b")),
    ]

    changed = company(1, name="Renamed", employees=12)
    outcomes = target.write_batch(
        [PlannedWrite("a", "update", tid("a"), changed), PlannedWrite("b", "delete", tid("b"), None)]
    )
    assert [o.status for o in outcomes] == ["done", "done"]
    objects = stored(openregister)
    assert list(objects) == [tid("a")]
    assert objects[tid("a")]["name"] == "Renamed"
    assert objects[tid("a")]["employees"] == 12
    assert objects[tid("a")]["@self"]["register"] == "1"
    assert openregister.object("demo", "company", tid("b"))["@self"]["deleted"]["objectId"] == tid("b")


def test_update_replaces_the_whole_object(openregister: OpenRegisterServer, or_target: OpenTarget) -> None:
    target = or_target()
    target.write_batch([create("a", company(1, legalForm="BV", employees=3))])
    target.write_batch([PlannedWrite("a", "update", tid("a"), company(1))])
    obj = stored(openregister)[tid("a")]
    assert obj["legalForm"] is None
    assert obj["employees"] is None


def test_sends_the_headers_openregister_needs(openregister: OpenRegisterServer, or_target: OpenTarget) -> None:
    target = or_target()
    target.write_batch([create("a", company(1))])
    post = openregister.writes()[-1]
    headers = {k.lower(): v for k, v in post.headers.items()}
    assert headers["ocs-apirequest"] == "true"
    assert headers["accept"] == "application/json"
    assert headers["content-type"] == "application/json"
    assert "gzip" in headers["accept-encoding"]
    assert post.body["id"] == tid("a")


def test_resolves_register_and_schema_by_slug_id_or_uuid(
    openregister: OpenRegisterServer, or_target: OpenTarget
) -> None:
    schema_uuid = next(s["uuid"] for s in _get(openregister, "/schemas")["results"])
    for register, schema in (("DEMO", "Company"), ("1", "1"), ("demo", schema_uuid)):
        target = or_target(register=register, schema=schema)
        assert (target.resolved.register_id, target.resolved.schema_id) == ("1", "1")
        assert target.resolved.version == "1.0.1"


def test_unknown_register_or_schema_is_a_clear_error(or_target: OpenTarget) -> None:
    with pytest.raises(TargetError, match=r"target.register: 'nope' does not exist.*'demo' \(id 1\)"):
        or_target(register="nope")
    with pytest.raises(TargetError, match=r"target.schema: 'person' does not exist in register 'demo'.*'company'"):
        or_target(schema="person")


def test_refused_credentials_stop_the_run(openregister: OpenRegisterServer, or_target: OpenTarget) -> None:
    connection = or_connection(openregister, auth=BearerAuth("wrong-token-0000"))
    with pytest.raises(TargetError, match="refused the credentials") as failure:
        or_target(connection)
    assert "wrong-token-0000" not in str(failure.value)


def test_bearer_token_and_non_admin_account(include_dir: Any, or_target: OpenTarget) -> None:
    with OpenRegisterServer(auth="app-t0ken-9876", admin=False) as server:
        target = or_target(or_connection(server, auth=BearerAuth("app-t0ken-9876")))
        assert target.resolved.version is None  # the version endpoint is admin-only
        assert target.write_batch([create("a", company(1))])[0].status == "done"
        assert len(server.objects("demo", "company")) == 1


def test_rejected_content_is_invalid_with_openregister_message(or_target: OpenTarget) -> None:
    target = or_target()
    target.write_batch([create("a", company(1))])
    outcomes = target.write_batch(
        [create("b", {"name": "No number"}), PlannedWrite("a", "update", tid("a"), company(1, employees="many"))]
    )
    assert [o.status for o in outcomes] == ["invalid", "invalid"]
    # POST 400: a bare JSON string; PUT 400: the structured body with an Opis error map.
    assert outcomes[0].message == (
        "HTTP 400: The required properties (registrationNumber, status) are missing. "
        "Please provide values for these properties."
    )
    assert outcomes[1].message.startswith("HTTP 400: Validation failed: Property 'employees' should be type")
    assert "/employees:" in outcomes[1].message


def test_refusals_for_one_object_are_failed_with_the_reason(
    openregister: OpenRegisterServer, or_target: OpenTarget
) -> None:
    target = or_target()
    target.write_batch([create("a", company(1)), create("b", company(2)), create("c", company(3))])
    openregister.lock("demo", "company", tid("a"), user="alice")
    openregister.fail_next(
        1,
        409,
        method="DELETE",
        body={"error": "DELETION_BLOCKED", "message": "Deletion blocked by 2 references", "blockers": [{}, {}]},
    )
    outcomes = target.write_batch(
        [
            PlannedWrite("a", "update", tid("a"), company(1)),
            PlannedWrite("x", "update", tid("x"), company(9)),
            PlannedWrite("b", "delete", tid("b"), None),
        ]
    )
    assert [o.status for o in outcomes] == ["failed", "failed", "failed"]
    assert outcomes[0].message == "HTTP 423: Object is locked by alice"
    assert outcomes[1].message.startswith("HTTP 404: Not Found; the object no longer exists")
    assert outcomes[2].message == "HTTP 409: DELETION_BLOCKED: Deletion blocked by 2 references (2 blocking references)"
    assert tid("b") in stored(openregister)


def test_delete_of_an_object_already_gone_is_done(openregister: OpenRegisterServer, or_target: OpenTarget) -> None:
    target = or_target()
    outcome = target.write_batch([PlannedWrite("gone", "delete", tid("gone"), None)])[0]
    assert outcome.status == "done"
    # OpenRegister answers 403 to a DELETE of an unknown UUID; a GET (404) confirmed it is gone.
    assert [r.method for r in openregister.requests][-2:] == ["DELETE", "GET"]


def test_delete_refused_for_an_existing_object_stays_failed(
    openregister: OpenRegisterServer, or_target: OpenTarget
) -> None:
    target = or_target()
    target.write_batch([create("a", company(1))])
    openregister.lock("demo", "company", tid("a"), user="alice")
    outcome = target.write_batch([PlannedWrite("a", "delete", tid("a"), None)])[0]
    assert (outcome.status, outcome.message) == ("failed", "HTTP 403: Object is locked by alice")


def test_server_error_on_one_object_fails_that_object_only(
    openregister: OpenRegisterServer, or_target: OpenTarget
) -> None:
    target = or_target(concurrency=1)
    openregister.fail_next(3, 500, method="POST", body={"error": "Database error on this row"})
    outcomes = target.write_batch([create("a", company(1)), create("b", company(2)), create("c", company(3))])
    assert [o.status for o in outcomes] == ["failed", "done", "done"]
    assert outcomes[0].message == "HTTP 500: Database error on this row"


def test_a_batch_of_only_server_errors_means_the_target_is_broken(
    openregister: OpenRegisterServer, or_target: OpenTarget
) -> None:
    target = or_target()
    openregister.fail_next(100, 500, method="POST")
    with pytest.raises(TargetUnavailable, match="every one of 3 writes"):
        target.write_batch([create(o, company(i)) for i, o in enumerate("abc")])


def test_schema_vanishing_mid_run_stops_the_run(openregister: OpenRegisterServer, or_target: OpenTarget) -> None:
    target = or_target()
    openregister.fail_next(5, 500, method="POST", body={"error": "Schema not found"})
    with pytest.raises(TargetError, match="removed or renamed during the run"):
        target.write_batch([create("a", company(1))])


def test_transient_failures_are_retried(openregister: OpenRegisterServer, or_target: OpenTarget) -> None:
    target = or_target()
    openregister.fail_next(2, 503, method="POST", retry_after=0)
    assert target.write_batch([create("a", company(1))])[0].status == "done"
    assert len(openregister.writes()) == 3
    assert list(stored(openregister)) == [tid("a")]


def test_target_down_after_retries_raises_unavailable(openregister: OpenRegisterServer, or_target: OpenTarget) -> None:
    target = or_target()
    openregister.fail_next(10, 503)
    with pytest.raises(TargetUnavailable, match="HTTP 503"):
        target.write_batch([create("a", company(1)), create("b", company(2))])
    openregister.clear_faults()
    openregister.go_down()
    try:
        with pytest.raises(TargetUnavailable, match="ConnectionError"):
            target.write_batch([create("a", company(1))])
    finally:
        openregister.come_up()
    assert target.write_batch([create("a", company(1))])[0].status == "done"


def test_lost_answer_is_repeated_without_duplicate(openregister: OpenRegisterServer, or_target: OpenTarget) -> None:
    target = or_target()
    openregister.drop_next(1, method="POST", after_write=True)  # written, but the answer never arrives
    assert target.write_batch([create("a", company(1))])[0].status == "done"
    assert len(openregister.writes()) == 2
    assert list(stored(openregister)) == [tid("a")]


def test_pending_writes_after_a_crash_create_no_duplicates(
    openregister: OpenRegisterServer, or_target: OpenTarget
) -> None:
    first = or_target()
    first.write_batch([create("a", company(1)), create("b", company(2))])  # the attempt that "crashed"
    resumed = or_target()
    outcomes = resumed.write_batch(
        [
            create("a", company(1), pending=True),
            create("b", company(2), pending=True),
            create("c", company(3), pending=True),
        ]
    )
    assert [(o.status, o.target_id) for o in outcomes] == [("done", tid("a")), ("done", tid("b")), ("done", tid("c"))]
    assert sorted(stored(openregister)) == sorted([tid("a"), tid("b"), tid("c")])


def test_many_writes_in_parallel_keep_their_order(openregister: OpenRegisterServer, or_target: OpenTarget) -> None:
    target = or_target(concurrency=8)
    writes = [create(f"o{i}", company(i)) for i in range(60)]
    outcomes = target.write_batch(writes)
    assert [o.origin_id for o in outcomes] == [w.origin_id for w in writes]
    assert all(o.status == "done" for o in outcomes)
    assert len(openregister.objects("demo", "company")) == 60


def test_prepare_then_write_matches_the_builtin_rules(openregister: OpenRegisterServer, or_target: OpenTarget) -> None:
    target = or_target()
    prepared = target.prepare({**company(1), "id": tid("a"), "@self": {"x": 1}, "_internal": 2, "uuid": "u"})
    assert prepared.requested_id == tid("a")
    assert "uuid" not in prepared.body
    assert "@self" not in prepared.body
    assert target.write_batch([create("a", prepared.body)])[0].status == "done"


def test_dropped_properties_are_reported(
    openregister: OpenRegisterServer, or_target: OpenTarget, caplog: pytest.LogCaptureFixture
) -> None:
    target = or_target()
    target.write_batch([create("a", company(1, nickname="Acme")), create("b", company(2, nickname="B"))])
    with caplog.at_level(logging.WARNING):
        target.close()
    assert "nickname (2 objects)" in caplog.text
    assert "nickname" not in stored(openregister)[tid("a")]


def test_host_may_hold_the_api_path(openregister: OpenRegisterServer, or_target: OpenTarget) -> None:
    connection = dataclasses.replace(or_connection(openregister), base_url=openregister.api_url)
    target = or_target(connection)
    assert target.write_batch([create("a", company(1))])[0].status == "done"


def test_bulk_validates_locally_and_writes_in_one_request(
    openregister: OpenRegisterServer, or_target: OpenTarget
) -> None:
    target = or_target(bulk=True)
    target.write_batch([create("a", company(1, legalForm="BV")), create("b", company(2))])
    writes = [
        PlannedWrite("a", "update", tid("a"), company(1)),
        create("bad", {"name": "no number"}),
        PlannedWrite("b", "delete", tid("b"), None),
        PlannedWrite("gone", "delete", tid("gone"), None),
    ]
    outcomes = target.write_batch(writes)
    assert [o.status for o in outcomes] == ["done", "invalid", "done", "done"]
    assert "registrationNumber" in outcomes[1].message
    assert stored(openregister)[tid("a")]["legalForm"] is None  # bulk update replaces, like PUT
    assert list(stored(openregister)) == [tid("a")]
    paths = [r.path.rsplit("/", 1)[-1] for r in openregister.writes()]
    assert paths[:2] == ["save", "save"]
    assert "delete" in paths
    assert all(
        obj.get("name") != "no number" for r in openregister.writes() for obj in (r.body or {}).get("objects", [])
    )


def test_bulk_refused_for_non_admins_says_how_to_fix(openregister: OpenRegisterServer, or_target: OpenTarget) -> None:
    target = or_target(bulk=True)
    openregister.fail_next(1, 403, path="/bulk/", body={"error": "Insufficient permissions. Admin access required."})
    with pytest.raises(TargetError, match="set target.bulk: false"):
        target.write_batch([create("a", company(1))])


def test_user_and_password_never_appear_in_errors(openregister: OpenRegisterServer, or_target: OpenTarget) -> None:
    target = or_target()
    openregister.fail_next(1, 403, method="POST", body={"error": f"login {USER}:{APP_PASSWORD} failed"})
    outcome = target.write_batch([create("a", company(1))])[0]
    assert APP_PASSWORD not in (outcome.message or "")
    assert "***" in (outcome.message or "")


def _get(server: OpenRegisterServer, path: str) -> Any:
    return requests.get(server.api_url + path, auth=(USER, APP_PASSWORD), timeout=10).json()
