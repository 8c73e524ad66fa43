"""Every error shape a target answers with becomes one readable line, secrets masked."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from openconnector.sources.masking import Masker
from openconnector.sources.response import HttpResponse
from openconnector.targets.answers import answer_message
from openconnector.targets.templates import TemplateError, TemplateValues, render


def answer(status: int, body: Any) -> HttpResponse:
    content = body if isinstance(body, bytes) else orjson.dumps(body)
    return HttpResponse("POST", "http://x/api", status, "Reason", {"Content-Type": "application/json"}, content)


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        # OpenRegister: POST 400 is a bare JSON string.
        (400, "The required property (name) is missing.", "HTTP 400: The required property (name) is missing."),
        # OpenRegister: PUT/PATCH 400, structured with the Opis error map.
        (
            400,
            {
                "status": "error",
                "message": "Validation failed",
                "errors": [
                    {
                        "property": None,
                        "message": "Property 'age' should be type 'integer'",
                        "errors": {"/age": ["The data (string) must match the type: integer, null"]},
                    }
                ],
            },
            "HTTP 400: Validation failed: Property 'age' should be type 'integer' "
            "(/age: The data (string) must match the type: integer, null)",
        ),
        # OpenRegister: uniqueness (the errors list holds strings).
        (
            400,
            {
                "status": "error",
                "message": "Validation failed",
                "errors": ["The identifying fields (kvk) are not unique."],
            },
            "HTTP 400: Validation failed: The identifying fields (kvk) are not unique.",
        ),
        (423, {"error": "Object is locked by alice", "lockedBy": "alice"}, "HTTP 423: Object is locked by alice"),
        (404, {"message": "Register not found: 'x'"}, "HTTP 404: Register not found: 'x'"),
        (
            409,
            {"error": "DELETION_BLOCKED", "message": "Blocked by references", "blockers": [{"schema": 1}]},
            "HTTP 409: DELETION_BLOCKED: Blocked by references (1 blocking reference)",
        ),
        (422, {"error": "Rejected by hook", "errors": []}, "HTTP 422: Rejected by hook"),
        # REST APIs: RFC 7807, field maps, nested error objects, plain text.
        (400, {"title": "Bad Request", "detail": "status is wrong"}, "HTTP 400: Bad Request: status is wrong"),
        (
            422,
            {"message": "Invalid.", "errors": {"name": ["required"], "kvk": "too short"}},
            "HTTP 422: Invalid: name: required; kvk: too short",
        ),
        (500, {"error": {"status": 500, "message": "boom"}}, "HTTP 500: boom"),
        (502, b"<html>Bad gateway</html>", "HTTP 502: <html>Bad gateway</html>"),
        (500, b"", "HTTP 500: Reason"),
    ],
)
def test_error_shapes(status: int, body: Any, expected: str) -> None:
    assert answer_message(answer(status, body), Masker()) == expected


def test_secrets_are_masked_and_long_messages_cut() -> None:
    masker = Masker(["s3cret-token"])
    text = answer_message(answer(403, {"error": "token s3cret-token refused " + "x" * 900}), masker)
    assert "s3cret-token" not in text
    assert "***" in text
    assert len(text) < 520
    assert text.endswith("…")


VALUES = TemplateValues("t/1", "origin 1", "2026-01-01T00:00:00+00:00", {"a": {"b": "x y"}, "n": 3, "ok": True})


def test_templates_fill_reserved_names_and_object_paths() -> None:
    assert render("/c/{targetId}/{a.b}", VALUES, field="f", in_path=True) == "/c/t%2F1/x%20y"
    assert render("{originId}|{n}|{ok}|{runTimestamp}", VALUES, field="f", in_path=False) == (
        "origin 1|3|true|2026-01-01T00:00:00+00:00"
    )


def test_template_without_a_value_names_the_field_and_object() -> None:
    with pytest.raises(
        TemplateError, match=r"target.update.endpoint '/c/\{missing\}': object 'origin 1' has no plain value"
    ):
        render("/c/{missing}", VALUES, field="target.update.endpoint", in_path=True)
    no_id = TemplateValues(None, "o", "", None)
    with pytest.raises(TemplateError, match="has no target id yet"):
        render("/c/{targetId}", no_id, field="f", in_path=True)
