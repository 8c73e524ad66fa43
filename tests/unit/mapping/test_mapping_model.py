"""OpenConnector's mapping model: order of operations, dot paths, constants, '#', '&#46;', both engines."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from openconnector.core.mapping import Bindings, Mapping, parse_model
from openconnector.errors import MappingError, SpecError

RUN = Bindings("sync", "2025-06-01T12:00:00+00:00")


@pytest.fixture(params=["jsonatapy", "jsonata-python"])
def engine(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def mapped(data: dict[str, Any], obj: Any, engine: str, bindings: Bindings = RUN) -> Any:
    mapping = Mapping.from_model(parse_model(data, "test.yaml"), engine=engine, label="include/mappings/test.yaml")
    return mapping.compile().apply(obj, bindings)


def test_order_is_pass_through_then_mapping_then_unset_then_cast(engine: str) -> None:
    data = {
        "passThrough": True,
        "mapping": {"status": "$uppercase(status)", "copy": "status", "count": "$string(n)", "gone": "'x'"},
        "unset": ["secret", "gone"],
        "cast": {"count": "int", "gone": "string", "keep": "string"},
    }
    obj = {"status": "open", "secret": "s", "n": 5, "keep": 1}
    assert mapped(data, obj, engine) == {
        "status": "OPEN",  # mapping overrides the passed-through value
        "copy": "open",  # values are read from the input, not from the output being built
        "n": 5,
        "keep": "1",  # cast applies to passed-through keys too
        "count": 5,  # cast sees the mapped value, after mapping
        # "secret" and "gone" are unset; the cast of "gone" does not bring it back
    }


def test_without_pass_through_the_output_starts_empty(engine: str) -> None:
    assert mapped({"mapping": {"a": "x"}}, {"x": 1, "y": 2}, engine) == {"a": 1}


def test_a_dot_path_of_the_input_copies_the_value_with_its_type(engine: str) -> None:
    obj = {"name": {"legal": "ACME"}, "tags": ["a"], "n": 7, "ok": False, "none": None, "contacts": [{"v": "c0"}]}
    data = {
        "mapping": {
            "legal": "name.legal",
            "tags": "tags",
            "n": "n",
            "ok": "ok",
            "none": "none",
            "first": "contacts.0.v",  # a list index: no JSONata, only a path
            "name": "name",
        }
    }
    assert mapped(data, obj, engine) == {
        "legal": "ACME",
        "tags": ["a"],
        "n": 7,
        "ok": False,
        "none": None,
        "first": "c0",
        "name": {"legal": "ACME"},
    }


def test_other_text_is_jsonata_with_typed_results_and_undefined_leaves_the_target_out(engine: str) -> None:
    data = {
        "mapping": {
            "total": "$sum(items.price)",
            "names": "items.name",  # a path-like text missing as a path: JSONata maps over the list
            "missing": "nope",  # OpenConnector would write the text "nope"; undefined leaves it out
            "missingIndex": "items.5.name",
            "isNull": "null",
            "kind": "'zaak'",  # a constant text is a JSONata string
        }
    }
    obj = {"items": [{"name": "a", "price": 1.5}, {"name": "b", "price": 2}]}
    assert mapped(data, obj, engine) == {"total": 3.5, "names": ["a", "b"], "isNull": None, "kind": "zaak"}


def test_non_text_values_are_constants(engine: str) -> None:
    data = {"mapping": {"n": 5, "f": 1.5, "t": True, "z": None, "l": [1, "a"], "o": {"k": "v"}}}
    assert mapped(data, {}, engine) == {"n": 5, "f": 1.5, "t": True, "z": None, "l": [1, "a"], "o": {"k": "v"}}


def test_dotted_source_keys_with_escape_backticks_and_exact_match(engine: str) -> None:
    obj = {"values": {"case.subject": "Permit"}, "a.b": "flat", "a": {"b": "nested"}}
    data = {
        "mapping": {
            "escaped": "values.case&#46;subject",
            "backticks": "values.`case.subject`",
            "exact": "a.b",  # an exact top-level key wins, as for idPosition
            "out&#46;key": "'literal dot in the target key'",
        }
    }
    assert mapped(data, obj, engine) == {
        "escaped": "Permit",
        "backticks": "Permit",
        "exact": "flat",
        "out.key": "literal dot in the target key",
    }


def test_target_paths_build_objects_and_lists(engine: str) -> None:
    data = {
        "mapping": {
            "address.city": "city",
            "address.geo.lat": "lat",
            "items.0.name": "'first'",
            "items.1.name": "'second'",
            "items.1.qty": "2",
        }
    }
    assert mapped(data, {"city": "Utrecht", "lat": 52.1}, engine) == {
        "address": {"city": "Utrecht", "geo": {"lat": 52.1}},
        "items": [{"name": "first"}, {"name": "second", "qty": 2}],
    }


def test_a_target_path_skipping_list_positions_fails_the_object(engine: str) -> None:
    with pytest.raises(
        MappingError, match=r"test.yaml: mapping.items.2: cannot write the target path: list position 2"
    ):
        mapped({"mapping": {"items.0": "'a'", "items.2": "'c'"}}, {}, engine)


@pytest.mark.parametrize(
    ("root", "expected"),
    [
        ("data", {"id": "42", "name": "Ada"}),
        ("data.tags", ["x", "y"]),
        ("data.id", ["42"]),  # a scalar becomes a one-item list, as in OpenConnector
        ("data.none", []),  # null becomes []
    ],
)
def test_the_root_key_makes_its_value_the_whole_result(engine: str, root: str, expected: Any) -> None:
    obj = {"data": {"id": "42", "name": "Ada", "tags": ["x", "y"], "none": None}}
    result = mapped({"mapping": {"#": root}}, obj, engine)
    if root == "data":
        expected = {**expected, "tags": ["x", "y"], "none": None}
    assert result == expected


def test_the_root_key_only_applies_when_it_is_the_only_key(engine: str) -> None:
    assert mapped({"mapping": {"#": "a", "b": "b"}}, {"a": [1], "b": 2}, engine) == {"#": [1], "b": 2}


def test_mapping_never_changes_the_input_or_the_model_constants(engine: str) -> None:
    obj = {"address": {"city": "Utrecht"}, "tags": ["a", "b"], "meta": {"x": 1}}
    before = copy.deepcopy(obj)
    data = {
        "passThrough": True,
        "mapping": {"address.country": "'NL'", "tags.0": "'z'", "extra": {"k": 1}, "extra.more": "'m'"},
        "unset": ["meta.x"],
        "cast": {"address.city": "string"},
    }
    model = parse_model(copy.deepcopy(data), "test.yaml")
    mapper = Mapping.from_model(model, engine=engine).compile()
    first = mapper.apply(obj, RUN)
    second = mapper.apply(obj, RUN)
    assert obj == before
    assert model.mapping["extra"] == {"k": 1}
    assert (
        first
        == second
        == {
            "address": {"city": "Utrecht", "country": "NL"},
            "tags": ["z", "b"],
            "meta": {},
            "extra": {"k": 1, "more": "m"},
        }
    )


def test_expressions_see_the_run_variables(engine: str) -> None:
    data = {
        "mapping": {
            "sync": "$synchronizationId",
            "origin": "$originId",
            "page": "$source.page",
            "now": "$now()",
            "start": "$dataIntervalStart",
        }
    }
    bindings = Bindings("zaken", "2025-06-01T12:00:00+00:00", "2025-05-31T12:00:00+00:00").for_object(
        "z-1", {"page": 3}
    )
    assert mapped(data, {}, engine, bindings) == {
        "sync": "zaken",
        "origin": "z-1",
        "page": 3,
        "now": "2025-06-01T12:00:00.000Z",
        "start": "2025-05-31T12:00:00+00:00",
    }


def test_an_expression_error_names_the_file_target_expression_code_and_engine_message(engine: str) -> None:
    with pytest.raises(MappingError) as caught:
        mapped({"mapping": {"ok": "a", "employees": "$number(employees)"}}, {"a": 1, "employees": "many"}, engine)
    message = str(caught.value)
    assert message.startswith("include/mappings/test.yaml: mapping.employees (expression '$number(employees)')")
    assert "many" in message
    if engine == "jsonatapy":
        assert caught.value.code == "D3030"
        assert "D3030: Cannot convert 'many' to number" in message
    else:  # jsonata-python leaks a raw ValueError here; it still becomes this object's MappingError
        assert "ValueError: could not convert string to float: 'many'" in message


def test_syntax_errors_are_reported_at_compile_time_for_every_target(engine: str) -> None:
    model = parse_model({"mapping": {"a": "$uppercase(name", "b": "name", "c": "{'x': }"}}, "test.yaml")
    with pytest.raises(MappingError) as caught:
        Mapping.from_model(model, engine=engine, label="include/mappings/test.yaml").compile()
    lines = str(caught.value).splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("include/mappings/test.yaml: mapping.a (expression '$uppercase(name'): does not compile")
    assert lines[1].startswith("include/mappings/test.yaml: mapping.c (expression \"{'x': }\"): does not compile")
    if engine == "jsonata-python":  # the only engine that reports positions
        assert "at line 1, column" in lines[0]
    assert caught.value.code is not None
    assert caught.value.code.startswith("S0")


def test_a_model_mapping_needs_an_object(engine: str) -> None:
    with pytest.raises(MappingError, match=r"test.yaml: the input must be an object, got array"):
        mapped({"mapping": {"a": "a"}}, [1, 2], engine)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([1], r"must be an object with the keys mapping, unset, cast, passThrough, got a list"),
        ({"mapping": {"a": "b"}, "passTrough": True}, r"passTrough: unknown field; did you mean 'passThrough'\?"),
        ({"mapping": []}, r"mapping: must be an object of target path: expression, got a list"),
        ({"mapping": {"a..b": "x"}}, r"mapping.a..b: target path 'a..b' has an empty segment"),
        ({"mapping": {"a": "  "}}, r"mapping.a: the expression is empty; write \"''\" for an empty text constant"),
        ({"mapping": {"a": "b"}, "unset": "c"}, r"unset: must be a list of target paths, got text"),
        ({"mapping": {"a": "b"}, "passThrough": "yes"}, r"passThrough: must be true or false, got 'yes'"),
        ({"unset": ["a"]}, r"mapping: is empty and passThrough is false"),
        (
            {"mapping": {"a": {"when": __import__("datetime").date(2025, 1, 2)}}},
            r"mapping.a: the constant .* is a date, not a JSON value; quote it",
        ),
    ],
)
def test_invalid_models_are_spec_errors_naming_the_file_and_field(data: Any, message: str) -> None:
    with pytest.raises(SpecError, match=r"^include/mappings/x.yaml: " + message):
        parse_model(data, "include/mappings/x.yaml")


def test_openconnector_bookkeeping_fields_are_accepted_and_do_not_change_the_fingerprint() -> None:
    bare = {"mapping": {"a": "b"}, "cast": {"a": "int"}}
    exported = {**bare, "id": 8, "uuid": "u", "name": "Zaak", "version": "0.0.3", "passThrough": False}
    one = Mapping.from_model(parse_model(bare, "a.yaml"))
    two = Mapping.from_model(parse_model(exported, "b.yaml"))
    assert one.fingerprint == two.fingerprint
