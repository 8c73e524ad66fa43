"""Register-object validation behaves like OpenRegister 1.0: what passes, what fails, and the words used."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from openconnector.core.validation import (
    ObjectValidator,
    ValidationIssue,
    check_schema_definition,
    opis_error_map,
)
from openconnector.errors import SpecError
from openconnector.spec.loader import load_register
from openconnector.spec.register import SchemaSpec

UUID = "0e8fa0d3-1111-4222-8333-444455556666"

PERSON: dict[str, Any] = {
    "title": "Person",
    "required": ["name"],
    "properties": {
        "name": {"type": "string", "minLength": 2, "maxLength": 5},
        "age": {"type": "integer", "minimum": 0, "maximum": 150},
        "email": {"type": "string", "format": "email"},
        "code": {"type": "string", "pattern": "^[A-Z]{3}$"},
        "status": {"type": "string", "enum": ["active", "inactive"]},
        "tags": {"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": 2},
        "address": {
            "type": "object",
            "properties": {
                "street": {"type": "string", "required": True},
                "number": {"type": "integer", "minimum": 0},
            },
        },
    },
}


def schema(definition: dict[str, Any] | None = None, **overrides: Any) -> SchemaSpec:
    """Build a SchemaSpec the way a register file declares it (camelCase keys)."""
    return SchemaSpec.model_validate({**(definition or PERSON), **overrides})


def validator(definition: dict[str, Any] | None = None, **overrides: Any) -> ObjectValidator:
    return ObjectValidator(schema(definition, **overrides), register="test", name="person")


def triples(issues: list[ValidationIssue]) -> list[tuple[str, str, str]]:
    return [(issue.path, issue.keyword, issue.message) for issue in issues]


TYPE_HINT = "Please provide a value of the correct type."

CASES = [
    ("valid minimal", {"name": "Ann"}, []),
    (
        "required missing",
        {},
        [
            (
                "/",
                "required",
                "The required property (name) is missing. "
                "Please provide a value for this property or set it to null if allowed.",
            )
        ],
    ),
    (
        "type",
        {"name": 5},
        [("/name", "type", f"Property 'name' should be type 'string' but is 'integer'. {TYPE_HINT}")],
    ),
    (
        "non-required type allows null",
        {"name": "Ann", "age": "x"},
        [("/age", "type", f"Property 'age' should be type 'integer or null' but is 'string'. {TYPE_HINT}")],
    ),
    ("null accepted for non-required", {"name": "Ann", "age": None, "email": None, "tags": None, "address": None}, []),
    (
        "null refused for required",
        {"name": None},
        [("/name", "type", f"Property 'name' should be type 'string' but is 'null'. {TYPE_HINT}")],
    ),
    ("empty string dropped for non-required", {"name": "Ann", "email": "", "code": "", "status": ""}, []),
    (
        "empty string kept for required",
        {"name": ""},
        [
            (
                "/name",
                "minLength",
                "Property 'name' requires at least 2 characters, but is empty. Please provide a non-empty string value.",
            )
        ],
    ),
    ("minimum 0 not enforced at the top level", {"name": "Ann", "age": -1}, []),
    (
        "maximum enforced",
        {"name": "Ann", "age": 200},
        [("/age", "maximum", "Property 'age' should be at most 150, but is 200. Please provide a smaller number.")],
    ),
    (
        "minimum 0 enforced nested",
        {"name": "Ann", "address": {"street": "Main", "number": -1}},
        [
            (
                "/address/number",
                "minimum",
                "Property 'address.number' should be at least 0, but is -1. Please provide a larger number.",
            )
        ],
    ),
    (
        "enum",
        {"name": "Ann", "status": "gone"},
        [
            (
                "/status",
                "enum",
                "Property 'status' should be one of: 'active', 'inactive', but is 'gone'. "
                "Please choose one of the allowed values.",
            )
        ],
    ),
    ("null dropped for an enum without null", {"name": "Ann", "status": None}, []),
    (
        "format",
        {"name": "Ann", "email": "not-an-email"},
        [
            (
                "/email",
                "format",
                "Property 'email' should match format 'email' but 'not-an-email' does not. "
                "Please provide a value in the correct format.",
            )
        ],
    ),
    (
        "pattern",
        {"name": "Ann", "code": "ab"},
        [
            (
                "/code",
                "pattern",
                "Property 'code' should match pattern '^[A-Z]{3}$' but 'ab' does not. "
                "Please provide a value that matches the required pattern.",
            )
        ],
    ),
    (
        "minLength",
        {"name": "A"},
        [
            (
                "/name",
                "minLength",
                "Property 'name' requires at least 2 chars, has 1. Please provide a longer string value.",
            )
        ],
    ),
    (
        "maxLength counts bytes in the message, like PHP strlen",
        {"name": "Éééééé"},
        [
            (
                "/name",
                "maxLength",
                "Property 'name' allows at most 5 chars, has 12. Please provide a shorter string value.",
            )
        ],
    ),
    (
        "minItems keeps an empty array",
        {"name": "Ann", "tags": []},
        [
            (
                "/tags",
                "minItems",
                "Property 'tags' requires at least 1 items, has 0. "
                "Please add more items to the array or set to null if the property is not required.",
            )
        ],
    ),
    (
        "maxItems",
        {"name": "Ann", "tags": ["a", "b", "c"]},
        [
            (
                "/tags",
                "maxItems",
                "Property 'tags' allows at most 2 items, has 3. Please remove some items from the array.",
            )
        ],
    ),
    (
        "array item",
        {"name": "Ann", "tags": ["a", 5]},
        [("/tags/1", "type", f"Property 'tags.1' should be type 'string' but is 'integer'. {TYPE_HINT}")],
    ),
    (
        "nested object required",
        {"name": "Ann", "address": {"number": 1}},
        [
            (
                "/address",
                "required",
                "The required property (street) is missing. "
                "Please provide a value for this property or set it to null if allowed.",
            )
        ],
    ),
    ("empty array dropped for non-required without constraints", {"name": "Ann", "address": []}, []),
    ("empty object dropped for non-required", {"name": "Ann", "address": {}}, []),
    ("unknown top-level properties accepted", {"name": "Ann", "whatever": {"x": [1]}, "_private": 1}, []),
]


@pytest.mark.parametrize(("obj", "expected"), [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_validation_results_and_messages(obj: dict[str, Any], expected: list[tuple[str, str, str]]) -> None:
    assert triples(validator().validate(obj)) == expected


def test_several_required_properties_are_named_in_one_message() -> None:
    issues = validator(required=["name", "email", "status"]).validate({"email": "a@example.nl"})

    assert triples(issues) == [
        (
            "/",
            "required",
            "The required properties (name, status) are missing. Please provide values for these properties.",
        )
    ]


def test_errors_come_in_declaration_order_and_all_are_returned() -> None:
    issues = validator().validate({"status": "gone", "age": "x", "name": 5})

    assert [(issue.path, issue.keyword) for issue in issues] == [
        ("/name", "type"),
        ("/age", "type"),
        ("/status", "enum"),
    ]
    assert all(issue.opis_reported for issue in issues)


def test_first_issue_is_the_one_openregister_reports_and_shadowed_ones_follow() -> None:
    issues = validator().validate({"age": "x", "code": "no"})

    assert issues[0].keyword == "required"
    assert issues[0].opis_reported
    assert [(issue.path, issue.opis_reported) for issue in issues[1:]] == [("/age", False), ("/code", False)]


def test_only_the_first_failing_keyword_of_a_schema_is_reported() -> None:
    pin = {"properties": {"pin": {"type": "string", "minLength": 4, "pattern": "^[0-9]+$"}}}

    issues = validator(pin).validate({"pin": "ab"})

    assert [(issue.keyword, issue.opis_reported) for issue in issues] == [("minLength", True), ("pattern", False)]


def test_opis_error_map_holds_raw_messages_of_reported_issues() -> None:
    v = validator()

    assert opis_error_map(v.validate({"name": 5, "age": "x"})) == {
        "/name": ["The data (integer) must match the type: string"],
        "/age": ["The data (string) must match the type: integer, null"],
    }
    assert opis_error_map(v.validate({"age": "x"})) == {"/": ["The required properties (name) are missing"]}
    assert opis_error_map(v.validate({"name": "Ann", "code": "x1", "tags": []})) == {
        "/code": ["The string should match pattern: ^[A-Z]{3}$"],
        "/tags": ["Array should have at least 1 items, 0 found"],
    }


def test_hard_validation_false_accepts_anything() -> None:
    v = validator(hardValidation=False)

    assert v.validate({}) == []
    assert v.validate({"name": 5, "age": "x"}) == []


def test_schema_without_properties_accepts_anything() -> None:
    assert validator({"required": ["name"], "properties": {}}).validate({"x": 1}) == []


@pytest.mark.parametrize(
    ("fmt", "good", "bad"),
    [
        ("date", ["2024-02-29", "2023-12-31"], ["2023-02-29", "0000-01-01", "2024-1-01", "01-02-2024"]),
        (
            "date-time",
            ["2024-01-02T03:04:05", "2024-01-02T03:04:05.123+02:00", "2024-02-29t00:00:00z"],
            ["2024-01-02 03:04:05", "2024-01-02", "2023-02-29T00:00:00Z"],
        ),
        ("time", ["10:00:00", "23:59:60Z", "08:30:00+01:00"], ["10:00", "24:00:00"]),
        ("email", ["info@example.nl", "first.last+tag@sub.example.com", "a@[127.0.0.1]"], ["a@localhost", "a@b", "x"]),
        ("uuid", [UUID, UUID.upper()], ["not-a-uuid", UUID[:-1]]),
        ("ipv4", ["192.168.0.1"], ["256.1.1.1", "1.2.3"]),
        ("ipv6", ["::1", "2001:db8::1"], ["2001:db8::g", "1.2.3.4"]),
        ("hostname", ["example.nl", "a-b.example.com"], ["-bad.example.nl", "a" * 64 + ".nl"]),
        ("uri", ["https://example.nl/path?q=1", "urn:isbn:123"], ["no scheme", "/relative/path"]),
        # Short numbers are left-padded; longer ones weigh every extra digit -1, as OpenRegister does.
        ("bsn", ["111222333", "999999990", "12345672", "1112223330"], ["123456789", "12345678a", "11222333"]),
        ("semver", ["1.2.3", "1.0.0-rc.1+build.5"], ["1.2", "v1.2.3", "01.2.3"]),
    ],
)
def test_formats_are_asserted_like_openregister(fmt: str, good: list[str], bad: list[str]) -> None:
    v = validator({"properties": {"value": {"type": "string", "format": fmt}}})

    assert [value for value in good if v.validate({"value": value})] == []
    failures = [v.validate({"value": value}) for value in bad]
    assert [issues[0].keyword if issues else None for issues in failures] == ["format"] * len(bad)


def test_format_message_names_format_and_value() -> None:
    issues = validator({"properties": {"born": {"type": "string", "format": "date"}}}).validate({"born": "2023-02-29"})

    assert issues[0].message == (
        "Property 'born' should match format 'date' but '2023-02-29' does not. "
        "Please provide a value in the correct format."
    )
    assert issues[0].opis_message == "The data must match the 'date' format"


def test_required_object_given_empty_object_fails_like_php() -> None:
    definition = {"required": ["address"], "properties": {"address": PERSON["properties"]["address"]}}

    issues = validator(definition).validate({"address": {}})

    assert triples(issues) == [
        (
            "/address",
            "type",
            "Property 'address' expects object but got empty ({}). For non-required object properties, set this "
            "to null to clear the field. For required object properties, provide a valid object with the "
            "necessary properties.",
        )
    ]


def test_nested_empty_object_counts_as_empty_array() -> None:
    definition = {
        "properties": {"meta": {"type": "object", "properties": {"tags": {"type": "array"}, "geo": {"type": "object"}}}}
    }
    v = validator(definition)

    assert v.validate({"meta": {"tags": {}}}) == []
    assert [(issue.path, issue.keyword) for issue in v.validate({"meta": {"geo": {}}})] == [("/meta/geo", "type")]


def test_object_array_items_keep_required_but_lose_inner_properties() -> None:
    definition = {
        "properties": {
            "officers": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["name"],
                    "properties": {"name": {"type": "string", "minLength": 3}},
                },
            }
        }
    }
    v = validator(definition)

    assert v.json_schema["properties"]["officers"]["items"]["properties"] == {"id": {"type": "string"}}
    assert v.validate({"officers": [{"name": "X"}]}) == []
    assert [(issue.path, issue.keyword) for issue in v.validate({"officers": [{"role": "CEO"}]})] == [
        ("/officers/0", "required")
    ]


def test_relations_validate_as_uuid_references() -> None:
    definition = {
        "properties": {
            "owner": {
                "type": "object",
                "$ref": "#/components/schemas/org",
                "objectConfiguration": {"handling": "related-object"},
            },
            "members": {"type": "array", "items": {"type": "object", "$ref": "#/components/schemas/person"}},
        }
    }
    v = validator(definition)

    assert v.validate({"owner": UUID, "members": [UUID, {"id": UUID}]}) == []
    issues = v.validate({"owner": {"id": UUID}, "members": [5]})
    assert [(issue.path, issue.keyword) for issue in issues] == [
        ("/owner", "type"),
        ("/members/0", "type"),
        ("/members/0", "type"),
    ]
    assert issues[1].message == f"Property 'members.0' should be type 'string' but is 'integer'. {TYPE_HINT}"


def test_self_reference_becomes_uuid_reference() -> None:
    definition = {
        "properties": {
            "parent": {
                "type": "object",
                "$ref": "#/components/schemas/person?x=1",
                "objectConfiguration": {"handling": "related-object"},
            },
            "children": {
                "type": "array",
                "$ref": "#/components/schemas/person",
                "items": {"$ref": "#/components/schemas/person"},
            },
        }
    }
    v = validator(definition)
    props = v.json_schema["properties"]

    assert props["parent"]["type"] == ["string", "null"]
    assert props["children"]["items"]["type"] == "string"
    assert v.validate({"parent": UUID, "children": [UUID]}) == []
    assert [issue.path for issue in v.validate({"parent": {"id": UUID}, "children": [{"id": UUID}]})] == [
        "/parent",
        "/children/0",
    ]


def test_first_level_property_with_properties_keeps_only_its_structure() -> None:
    definition = {
        "properties": {
            "org": {
                "type": "object",
                "objectConfiguration": {"handling": "related-object"},
                "properties": {"name": {"type": "string", "required": True}},
            }
        }
    }
    v = validator(definition)

    # OpenRegister rebuilds it as {type: object, required, properties}: the relation setting is gone.
    assert v.json_schema["properties"]["org"] == {
        "type": ["object", "null"],
        "required": ["name"],
        "properties": {"name": {"type": "string"}},
    }
    assert [issue.keyword for issue in v.validate({"org": UUID})] == ["type"]


def test_transformed_schema_follows_openregister() -> None:
    definition = {
        "required": ["name"],
        "properties": {
            "name": {"type": "string", "required": True, "visible": True, "facetable": True},
            "count": {"type": "integer", "minimum": 0, "exclusiveMinimum": 0, "cascadeDelete": True},
            "doc": {"type": "file"},
            "when": {"type": "datetime"},
            "status": {"type": "string", "enum": ["a", "b"]},
            "level": {"type": "string", "enum": ["low", None]},
            "labels": {"type": "array", "enum": ["x", "y"]},
            "address": {"type": "object", "additionalProperties": False, "properties": {"zip": {"type": "string"}}},
        },
    }
    props = validator(definition).json_schema["properties"]

    assert props["name"] == {"type": "string"}
    assert props["count"] == {"type": ["integer", "null"]}
    assert props["doc"] == {"type": ["integer", "string", "null"]}
    assert props["when"] == {"type": ["string", "null"]}
    assert props["status"] == {"type": "string", "enum": ["a", "b"]}
    assert props["level"] == {"type": ["string", "null"], "enum": ["low", None]}
    assert props["labels"] == {"type": ["array", "null"], "items": {"type": "string", "enum": ["x", "y"]}}
    assert "additionalProperties" not in props["address"]


def test_extend_and_filters_are_ignored() -> None:
    v = validator({"required": ["extend"], "properties": {"extend": {"type": "string"}, "n": {"type": "integer"}}})

    assert triples(v.validate({"extend": "x", "n": 1}))[0][1] == "required"


def test_issues_are_capped_at_100() -> None:
    v = validator({"properties": {"values": {"type": "array", "items": {"type": "integer"}}}})

    assert len(v.validate({"values": ["x"] * 150})) == 100


@pytest.mark.parametrize("obj", [[1, 2], None, "text", {"a": {1, 2}}, {1: "x"}, {"name": float("nan")}])
def test_bad_data_never_raises(obj: Any) -> None:
    issues = validator().validate(obj)

    assert issues
    assert all(isinstance(issue, ValidationIssue) for issue in issues)


def test_root_type_error_names_root() -> None:
    assert validator().validate(None)[0].message == (
        f"Property 'root' should be type 'object' but is 'null'. {TYPE_HINT}"
    )


def test_neither_object_nor_schema_is_modified() -> None:
    spec = schema()
    before = copy.deepcopy(spec.properties)
    obj = {"name": "Ann", "email": "", "address": {"street": "x", "extra": {}}, "tags": []}
    snapshot = copy.deepcopy(obj)

    v = ObjectValidator(spec)
    v.validate(obj)
    v.validate({"address": {"geo": {}}})

    assert obj == snapshot
    assert spec.properties == before


def test_broken_pattern_is_a_spec_error_naming_the_schema() -> None:
    with pytest.raises(SpecError, match="schema 'person' of register 'test'"):
        validator({"properties": {"code": {"type": "string", "pattern": "(["}}})


def test_demo_register_schemas_are_accepted_and_validate() -> None:
    register = load_register("demo")
    for slug, spec in register.schemas.items():
        assert check_schema_definition(spec) == []
        ObjectValidator(spec, register=register.slug, name=slug)


TYPES = (
    "string, number, integer, boolean, array, object, null, file, NcFile, NcMail, NcContact, NcNote, NcTodo, "
    "NcCalendarEvent, NcTalk, NcDeck"
)
FORMATS = (
    ", text, markdown, html, date-time, date, time, duration, email, idn-email, hostname, idn-hostname, ipv4, "
    "ipv6, uri, uri-reference, iri, iri-reference, uuid, uri-template, json-pointer, relative-json-pointer, "
    "regex, url, color, color-hex, color-hex-alpha, color-rgb, color-rgba, color-hsl, color-hsla, semver"
)

DEFINITION_CASES = [
    ("valid", {"name": {"type": "string", "format": "email"}}, []),
    (
        "missing type",
        {"owner": {"$ref": "#/components/schemas/org"}},
        ["Property at '/owner' must have a 'type' field"],
    ),
    (
        "missing type nested",
        {"address": {"type": "object", "properties": {"street": {"description": "x"}}}},
        ["Property at '/address/properties/street' must have a 'type' field"],
    ),
    ("invalid type", {"x": {"type": "text"}}, [f"Invalid type 'text' at '/x'. Must be one of: {TYPES}"]),
    ("union type", {"x": {"type": ["string", "null"]}}, [f"Invalid type 'Array' at '/x'. Must be one of: {TYPES}"]),
    (
        "invalid items type",
        {"x": {"type": "array", "items": {"type": "strin"}}},
        [f"Invalid type 'strin' at '/x/items'. Must be one of: {TYPES}"],
    ),
    (
        "bad format name",
        {"x": {"type": "string", "format": "postcode"}},
        [f"Invalid string format 'postcode' at '/x'. Must be one of: {FORMATS}"],
    ),
    (
        "minimum above maximum",
        {"x": {"type": "integer", "minimum": 10, "maximum": 1}},
        ["'minimum' cannot be greater than 'maximum' at '/x'"],
    ),
    ("non-numeric minimum", {"x": {"type": "number", "minimum": "low"}}, ["'minimum' at '/x' must be numeric"]),
    ("empty enum", {"x": {"type": "string", "enum": []}}, ["'enum' at '/x' must be a non-empty array"]),
    ("visible not boolean", {"x": {"type": "string", "visible": "yes"}}, ["'visible' at '/x' must be a boolean"]),
    (
        "onDelete without $ref",
        {"x": {"type": "string", "onDelete": "CASCADE"}},
        ["'onDelete' at '/x' is only valid on relation properties with '$ref'"],
    ),
    (
        "file too large",
        {"f": {"type": "file", "maxSize": 200_000_000}},
        ["'maxSize' at '/f' exceeds maximum allowed size (100MB)"],
    ),
    (
        "every problem, in OpenRegister's order",
        {"a": {"type": "string", "format": "bad", "enum": []}, "b": {"type": "nope"}},
        [
            f"Invalid string format 'bad' at '/a'. Must be one of: {FORMATS}",
            "'enum' at '/a' must be a non-empty array",
            f"Invalid type 'nope' at '/b'. Must be one of: {TYPES}",
        ],
    ),
]


@pytest.mark.parametrize(
    ("properties", "expected"), [case[1:] for case in DEFINITION_CASES], ids=[case[0] for case in DEFINITION_CASES]
)
def test_check_schema_definition(properties: dict[str, Any], expected: list[str]) -> None:
    assert check_schema_definition(schema({"properties": properties})) == expected
