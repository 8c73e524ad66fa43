"""Finding the objects in a response, and saying exactly why when they are not there."""

from __future__ import annotations

from typing import Any

import pytest

from openconnector.errors import SourceError
from openconnector.sources import extract_id
from openconnector.sources.masking import Masker
from openconnector.sources.response import HttpResponse
from openconnector.sources.results import find_objects, missing_results_message, parse_body


def _response(content: bytes, content_type: str = "application/json") -> HttpResponse:
    return HttpResponse("GET", "https://x.org/api/items?page=1", 200, "OK", {"Content-Type": content_type}, content)


@pytest.mark.parametrize(
    ("body", "position", "objects"),
    [
        ([1, 2], "_root", [1, 2]),
        ({"id": 1}, "_root", [{"id": 1}]),
        ({"id": 1}, "_object", [{"id": 1}]),
        ({"data": {"items": [1]}}, "data.items", [1]),
        ({"data": {"items": None}}, "data.items", []),
        ({"results": [1]}, "auto", [1]),
        ({"count": 1, "items": [1]}, "auto", [1]),
        ({"data": {"items": [1]}, "links": {}}, "auto", [1]),
        ({"_embedded": {"companies": [1]}}, "auto", [1]),
        ([3], "auto", [3]),
        ({"values": {"a.b": [1]}}, "values.a&#46;b", [1]),
    ],
)
def test_find_objects(body: Any, position: str, objects: list[Any]) -> None:
    assert find_objects(body, position) == objects


def test_missing_position_finds_nothing_and_the_message_shows_the_keys() -> None:
    body = {"count": 3, "next": None, "records": {"list": [1, 2, 3]}, "meta": {"total": 3}}
    assert find_objects(body, "results") is None
    assert missing_results_message(body, "results") == (
        "resultsPosition 'results' found nothing; the response is an object with keys: 'count' (number), "
        "'next' (null), 'records' (object), 'meta' (object). Set source.resultsPosition to the key holding the "
        "objects (e.g. 'records.list'), or '_root' for the whole body"
    )


def test_parse_body_falls_back_for_what_orjson_refuses() -> None:
    assert parse_body(_response(b'{"id": 123456789012345678901234567890}'), Masker()) == {
        "id": 123456789012345678901234567890
    }
    assert parse_body(_response("\ufeff[1]".encode()), Masker()) == [1]
    latin = _response('{"naam": "Café"}'.encode("latin-1"), "application/json; charset=ISO-8859-1")
    assert parse_body(latin, Masker()) == {"naam": "Café"}


@pytest.mark.parametrize(
    ("content", "content_type", "message"),
    [
        (b"<!doctype html><title>Login</title>", "text/html", "returned an HTML page (text/html), not JSON"),
        (b"", "application/json", "with an empty body; expected JSON"),
        (b'{"a": ', "application/json", "the body is not valid JSON (application/json)"),
        (b"<items/>", "application/xml", "the body is application/xml, not JSON"),
    ],
)
def test_bodies_that_are_not_json(content: bytes, content_type: str, message: str) -> None:
    with pytest.raises(SourceError) as caught:
        parse_body(_response(content, content_type), Masker())
    assert str(caught.value).startswith("GET /api/items?page=1: HTTP 200")
    assert message in str(caught.value)


def test_extract_id() -> None:
    assert extract_id({"id": 5}, "id") == 5
    assert extract_id({"identificatie": {"nummer": "A1"}}, "identificatie.nummer") == "A1"
    with pytest.raises(SourceError, match=r"idPosition 'uuid' found no id in a source object with keys: 'id', 'name'"):
        extract_id({"id": 5, "name": "x"}, "uuid")
