"""JSON Logic conditions behave like OpenConnector's json-logic-php for the rules it ships and users write."""

from __future__ import annotations

from typing import Any

import pytest

from openconnector.core.conditions import Conditions, encode_dotted_keys
from openconnector.errors import MappingError, SpecError

SUBJECT = {"!!": {"var": "values.case&#46;subject"}}
ZAAKTYPE = {"in": [{"var": "zaaktypecode"}, ["B1234", "B5678"]]}


@pytest.mark.parametrize(
    ("rule", "obj", "passes"),
    [
        ({"==": [1, 1]}, {}, True),
        (ZAAKTYPE, {"zaaktypecode": "B1234"}, True),
        (ZAAKTYPE, {"zaaktypecode": "B9999"}, False),
        (ZAAKTYPE, {}, False),
        (SUBJECT, {"values": {"case.subject": "Vergunning"}}, True),
        (SUBJECT, {"values": {"case.subject": ""}}, False),
        (SUBJECT, {"values": {}}, False),
        ({"==": ["1", 1]}, {}, True),  # loose, as in PHP and JavaScript
    ],
)
def test_shipped_openconnector_examples(rule: dict[str, Any], obj: dict[str, Any], passes: bool) -> None:
    assert Conditions(rule).matches(obj) is passes


@pytest.mark.parametrize(
    ("value", "truthy"),
    [
        (0, False),
        ("", False),
        (None, False),
        ([], False),
        ({}, False),
        ("0", True),
        ("false", True),
        ([0], True),
        (1, True),
    ],
)
def test_truthiness_matches_json_logic_php(value: Any, truthy: bool) -> None:
    # json-logic-php: (bool)$value, except "0" which it treats as true; an empty object is an empty PHP array.
    assert Conditions({"var": "v"}).matches({"v": value}) is truthy


def test_no_rule_accepts_everything() -> None:
    assert Conditions(None).always
    assert Conditions({}).matches({"anything": 1})


def test_a_rule_that_does_not_compile_is_a_spec_error_naming_where() -> None:
    with pytest.raises(SpecError, match=r"zaken.yaml: conditions: unknown operator `equals` \(at /and/0\)"):
        Conditions({"and": [{"equals": [1, 1]}]}, where="zaken.yaml: conditions")


def test_a_rule_failing_on_an_object_is_a_mapping_error() -> None:
    with pytest.raises(MappingError) as caught:
        Conditions({"+": [{"var": "n"}, 1]}).matches({"n": "abc"})
    assert caught.value.code


def test_dotted_keys_are_encoded_without_copying_what_has_no_dots() -> None:
    clean = {"a": {"b": [1, {"c": 2}]}}
    assert encode_dotted_keys(clean) is clean
    obj = {"x": {"y.z": 1}, "keep": clean}
    encoded = encode_dotted_keys(obj)
    assert encoded == {"x": {"y&#46;z": 1}, "keep": clean}
    assert encoded["keep"] is clean
    assert obj == {"x": {"y.z": 1}, "keep": clean}  # the source object itself is untouched


def test_escaped_paths_inside_lists_and_computed_paths() -> None:
    # "some" reads elements relative to the list; a computed var name hides what is read: both still work.
    rule = {"some": [{"var": "items"}, {"==": [{"var": "a&#46;b"}, 1]}]}
    assert Conditions(rule).matches({"items": [{"a.b": 2}, {"a.b": 1}], "other": {"x.y": 1}})
    computed = {"==": [{"var": {"cat": ["values.", "case&#46;subject"]}}, "s"]}
    assert Conditions(computed).matches({"values": {"case.subject": "s"}})
    top = {"==": [{"var": "top&#46;key"}, 3]}
    assert Conditions(top).matches({"top.key": 3})
