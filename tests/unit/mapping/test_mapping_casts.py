"""OpenConnector's casts: every cast, table-driven, with the edge cases of its PHP semantics."""

from __future__ import annotations

from typing import Any

import pytest

from openconnector.core.mapping import Bindings, Mapping, parse_model
from openconnector.core.mapping.casts import ACCEPTED, DELETE, parse_cast, parse_casts
from openconnector.core.php import CastError
from openconnector.errors import MappingError, SpecError

RUN = Bindings("sync", "2025-06-01T12:00:00+00:00")
BIG = 5890840712243076123

# (cast, input value, expected value); DELETE means the key is removed.
CASES: list[tuple[str, Any, Any]] = [
    # string: PHP (string)
    ("string", None, ""),
    ("string", True, "1"),
    ("string", False, ""),
    ("string", 5, "5"),
    ("string", BIG, str(BIG)),
    ("string", 1.0, "1"),
    ("string", 1.5, "1.5"),
    ("string", 0.1 + 0.2, "0.3"),
    ("string", -1.25, "-1.25"),
    ("string", 1e13, "10000000000000"),
    ("string", 1e15, "1.0E+15"),
    ("string", 1.5e25, "1.5E+25"),
    ("string", 0.0001, "0.0001"),
    ("string", 0.00001, "1.0E-5"),
    ("string", "text", "text"),
    # bool / boolean: (int) v === 1, or "true"/"yes" in any case
    ("bool", "1", True),
    ("bool", 1, True),
    ("bool", 1.9, True),
    ("bool", "1abc", True),
    ("bool", "true", True),
    ("boolean", "TRUE", True),
    ("bool", "Yes", True),
    ("bool", "on", False),
    ("bool", 2, False),
    ("bool", "0", False),
    ("bool", "false", False),
    ("bool", "", False),
    ("bool", None, False),
    ("bool", [1], True),
    ("bool", True, True),
    ("bool", False, False),
    # ?bool keeps null
    ("?bool", None, None),
    ("?boolean", "yes", True),
    ("?bool", "no", False),
    # int / integer: leading number, truncation, exact long digits
    ("int", "12", 12),
    ("integer", "12abc", 12),
    ("int", " 7 ", 7),
    ("int", "1.9", 1),
    ("int", "1e3", 1000),
    ("int", "-3", -3),
    ("int", "abc", 0),
    ("int", "", 0),
    ("int", None, 0),
    ("int", True, 1),
    ("int", 12.9, 12),
    ("int", -12.9, -12),
    ("int", str(BIG), BIG),
    ("int", [], 0),
    ("int", [1, 2], 1),
    # float
    ("float", "1.5", 1.5),
    ("float", "1,5", 1.0),
    ("float", "2.5e2", 250.0),
    ("float", "abc", 0.0),
    ("float", 3, 3.0),
    ("float", None, 0.0),
    # array: (array)
    ("array", None, []),
    ("array", "a", ["a"]),
    ("array", 0, [0]),
    ("array", [1], [1]),
    ("array", {"a": 1}, {"a": 1}),
    # URL encodings
    ("url", "a b&c/d~é", "a+b%26c%2Fd%7E%C3%A9"),
    ("urlDecode", "a+b%26c%2F", "a b&c/"),
    ("rawurl", "a b&c~", "a%20b%26c~"),
    ("rawurlDecode", "a+b%20c", "a+b c"),
    ("url", 12, "12"),
    # HTML entities (PHP 8.1 defaults: quotes too, HTML 4.01 names)
    ("html", "<a href='x'>Café & \"co\"</a>", "&lt;a href=&#039;x&#039;&gt;Caf&eacute; &amp; &quot;co&quot;&lt;/a&gt;"),
    ("htmlDecode", "&lt;b&gt; &eacute; &#39; &#x41; &amp;amp; &apos; &nope;", "<b> é ' A &amp; &apos; &nope;"),
    # base64 of UTF-8; decoding skips junk and tolerates missing padding
    ("base64", "Café", "Q2Fmw6k="),
    ("base64Decode", "Q2Fmw6k=", "Café"),
    ("base64Decode", "Q2Fmw6k", "Café"),
    ("base64Decode", "Q2Fm\nw6k=", "Café"),
    # json: json_encode defaults (\u escapes, escaped slashes)
    ("json", {"a": [1, "é/x"], "b": None}, '{"a":[1,"\\u00e9\\/x"],"b":null}'),
    ("json", "x", '"x"'),
    ("json", None, "null"),
    # jsonToArray: arrays stay, text is html-decoded then JSON-decoded, non-JSON gives null
    ("jsonToArray", '{"a": 1}', {"a": 1}),
    ("jsonToArray", "{&quot;a&quot;: [1, 2]}", {"a": [1, 2]}),
    ("jsonToArray", f'{{"id": {BIG}}}', {"id": BIG}),
    ("jsonToArray", "not json", None),
    ("jsonToArray", "", None),
    ("jsonToArray", "NaN", None),
    ("jsonToArray", [1], [1]),
    ("jsonToArray", 5, 5),
    # utf8: iconv to ASCII//TRANSLIT
    ("utf8", "Crème brûlée, Ørsted, Straße, 5 €", "Creme brulee, Orsted, Strasse, 5 EUR"),
    ("utf8", "日本", "??"),
    # nullStringToNull: only the exact text "null"
    ("nullStringToNull", "null", None),
    ("nullStringToNull", "NULL", "NULL"),
    ("nullStringToNull", None, None),
    # coordinateStringToArray: pairs of texts; one pair stays flat
    ("coordinateStringToArray", "52.1 5.2", ["52.1", "5.2"]),
    ("coordinateStringToArray", "1 2 3 4", [["1", "2"], ["3", "4"]]),
    ("coordinateStringToArray", "1 2 3", [["1", "2"], ["3"]]),
    ("coordinateStringToArray", 7, ["7"]),
    # keyCantBeValue (the key here is "d.titel"): loose comparison
    ("keyCantBeValue", "d.titel", DELETE),
    ("keyCantBeValue", "x", "x"),
    # unsetIfValue==X: loose ==; with X empty also empty() and all-empty arrays
    ("unsetIfValue==d.titel", "d.titel", DELETE),
    ("unsetIfValue==d.titel", "x", "x"),
    ("unsetIfValue==", "", DELETE),
    ("unsetIfValue==", None, DELETE),
    ("unsetIfValue==", "0", DELETE),
    ("unsetIfValue==", 0, DELETE),
    ("unsetIfValue==", False, DELETE),
    ("unsetIfValue==", [], DELETE),
    ("unsetIfValue==", [None, "", [0]], DELETE),
    ("unsetIfValue==", {"a": None, "b": [""]}, DELETE),
    ("unsetIfValue==", [None, "x"], [None, "x"]),
    ("unsetIfValue==", "x", "x"),
    ("unsetIfValue==0", "0", DELETE),
    ("unsetIfValue==0", 0, DELETE),
    ("unsetIfValue==0", 0.0, DELETE),
    ("unsetIfValue==0", False, DELETE),
    ("unsetIfValue==0", "", ""),
    ("unsetIfValue==0", None, None),
    ("unsetIfValue==1", "01", DELETE),
    ("unsetIfValue==1", True, DELETE),
    ("unsetIfValue==abc", 0, 0),
    # setNullIfValue==X: the same tests, the value becomes null
    ("setNullIfValue==", "", None),
    ("setNullIfValue==", [None], None),
    ("setNullIfValue==-", "-", None),
    ("setNullIfValue==-", "x", "x"),
    # countValue:path counts a list or object of the output (here: officers has 3)
    ("countValue:officers", "officers", 3),
    ("countValue:address", None, 2),
    ("countValue:missing", "keep", "keep"),
    ("countValue:name", "keep", "keep"),
    ("countValue:", "keep", "keep"),
    # moneyStringToInt: drop . and , then (int)
    ("moneyStringToInt", "1.234,56", 123456),
    ("moneyStringToInt", "12", 12),
    ("moneyStringToInt", 12.5, 125),
    ("moneyStringToInt", "€ 12", 0),
    # intToMoneyString: cents to 1.234,56
    ("intToMoneyString", 123456, "1.234,56"),
    ("intToMoneyString", "123456", "1.234,56"),
    ("intToMoneyString", 5, "0,05"),
    ("intToMoneyString", -150, "-1,50"),
    ("intToMoneyString", 100000000, "1.000.000,00"),
    ("intToMoneyString", 0.5, "0,01"),
    ("intToMoneyString", None, "0,00"),
]

OUTPUT = {"officers": [1, 2, 3], "address": {"a": 1, "b": 2}, "name": "text"}


@pytest.mark.parametrize(("cast", "value", "expected"), CASES)
def test_cast(cast: str, value: Any, expected: Any) -> None:
    result = parse_cast(cast).apply(value, "d.titel", OUTPUT)
    if expected is DELETE:
        assert result is DELETE
    else:
        assert result == expected
        assert type(result) is type(expected)


@pytest.mark.parametrize(
    ("cast", "value"),
    [
        ("string", [1]),
        ("string", {"a": 1}),
        ("bool", []),
        ("url", ["a"]),
        ("base64Decode", "/w=="),  # the byte 0xff is no UTF-8 text
        ("coordinateStringToArray", None),
        ("intToMoneyString", "abc"),
        ("moneyStringToInt", [1]),
    ],
)
def test_cast_refuses_values_php_would_throw_on_or_garble(cast: str, value: Any) -> None:
    with pytest.raises(CastError):
        parse_cast(cast).apply(value, "key", {})


def test_cast_list_is_split_on_commas_and_leading_spaces_are_ignored() -> None:
    assert [c.text for c in parse_casts("nullStringToNull, ?bool")] == ["nullStringToNull", "?bool"]
    assert [c.text for c in parse_casts(["unsetIfValue==a,b", "string"])] == ["unsetIfValue==a,b", "string"]
    assert parse_casts(["unsetIfValue==a,b"])[0].argument == "a,b"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("integr", r"unknown cast 'integr' \(did you mean 'integer'\?\); accepted: string, bool, "),
        ("Int", r"did you mean 'int'"),
        ("int,", r"empty cast name"),
        ("unsetIfValue==a,b", r"unknown cast 'b'"),
        ("date", r"'date' is not supported: .*current time"),
        (5, r"must be a text like 'int,string' or a list of casts"),
    ],
)
def test_unknown_or_bad_casts_are_refused(spec: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_casts(spec)


def test_accepted_casts_include_every_documented_one() -> None:
    documented = (
        "string bool boolean ?bool int integer float array url urlDecode rawurl rawurlDecode html htmlDecode "
        "base64 base64Decode json jsonToArray utf8 nullStringToNull coordinateStringToArray keyCantBeValue "
        "unsetIfValue==<value> setNullIfValue==<value> countValue:<path> moneyStringToInt intToMoneyString"
    ).split()
    assert set(documented) <= set(ACCEPTED)


@pytest.fixture(params=["jsonatapy", "jsonata-python"])
def engine(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def _map(data: dict[str, Any], obj: dict[str, Any], engine: str) -> Any:
    mapping = Mapping.from_model(parse_model(data, "casts.yaml"), engine=engine, label="casts.yaml")
    return mapping.compile().apply(obj, RUN)


def test_casts_run_in_order_on_the_mapped_value_and_skip_missing_targets(engine: str) -> None:
    data = {
        "mapping": {"open": "flag", "count": "$string(n)", "address.country": "country"},
        "cast": {"open": "nullStringToNull,?bool", "count": ["int"], "address.country": "utf8", "absent": "int"},
    }
    assert _map(data, {"flag": "null", "n": 7, "country": "Österreich"}, engine) == {
        "open": None,
        "count": 7,
        "address": {"country": "Osterreich"},
    }
    assert _map(data, {"flag": "yes", "n": 1, "country": "NL"}, engine)["open"] is True


def test_deleting_casts_remove_the_key_and_stop_the_chain(engine: str) -> None:
    data = {
        "mapping": {"d.titel": "d.titel", "kind": "kind", "note": "note"},
        "cast": {"d.titel": "keyCantBeValue,string", "kind": "unsetIfValue==,string", "note": "setNullIfValue==-"},
    }
    # OpenConnector wrote a missing path as the path text itself; keyCantBeValue cleans that up.
    assert _map(data, {"d": {"titel": "d.titel"}, "kind": "", "note": "-"}, engine) == {"d": {}, "note": None}
    assert _map(data, {"d": {"titel": "Report"}, "kind": "x", "note": "n"}, engine) == {
        "d": {"titel": "Report"},
        "kind": "x",
        "note": "n",
    }


def test_a_cast_that_cannot_take_the_value_fails_the_object_with_a_clear_message(engine: str) -> None:
    data = {"mapping": {"tags": "tags"}, "cast": {"tags": "string"}}
    with pytest.raises(MappingError) as caught:
        _map(data, {"tags": ["a", "b"]}, engine)
    message = str(caught.value)
    assert "casts.yaml: cast.tags: cast 'string' cannot take the array ['a', 'b']" in message
    assert "use the 'json' cast" in message


def test_unknown_cast_in_a_model_is_a_spec_error_naming_target_cast_and_accepted() -> None:
    with pytest.raises(SpecError) as caught:
        parse_model({"mapping": {"a": "b"}, "cast": {"a": "int,bogus"}}, "include/mappings/x.yaml")
    message = str(caught.value)
    assert message.startswith("include/mappings/x.yaml: cast.a: unknown cast 'bogus'")
    assert "accepted: string, bool, boolean" in message
