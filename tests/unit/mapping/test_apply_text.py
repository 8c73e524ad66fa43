"""Mapping staged JSON text gives exactly what mapping the parsed object gives (the map stage's fast path)."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from devkit.records import make_record
from openconnector.core.mapping import Bindings, Mapping
from openconnector.errors import MappingError

BINDINGS = Bindings(synchronization_id="s", run_timestamp="2026-01-02T03:04:05+00:00", origin_id="o-1")
DEMO = (Path(__file__).resolve().parents[3] / "include" / "mappings" / "demo_companies.jsonata").read_text()


@pytest.mark.parametrize("engine", ["jsonatapy", "jsonata-python"])
def test_text_and_object_give_the_same_result(engine: str) -> None:
    mapper = Mapping.from_expression(DEMO, engine=engine).compile()
    for i in range(50):
        record = make_record(i)
        assert mapper.apply_text(orjson.dumps(record).decode(), BINDINGS) == mapper.apply(record, BINDINGS)


def test_long_integers_stay_exact_on_the_text_path() -> None:
    mapper = Mapping.from_expression('{"id": id, "s": $string(id), "n": n, "at": $now(), "o": $originId}').compile()
    text = '{"id":5890840712243076123,"n":[1,2.5]}'
    assert mapper.apply_text(text, BINDINGS) == {
        "id": "5890840712243076123", "s": "5890840712243076123", "n": [1, 2.5],
        "at": "2026-01-02T03:04:05.000Z", "o": "o-1",
    }


def test_undefined_and_errors_match() -> None:
    missing = Mapping.from_expression("nothing.here").compile()
    assert missing.apply_text('{"a":1}', BINDINGS) is None
    failing = Mapping.from_expression("$number(a)").compile()
    with pytest.raises(MappingError) as caught:
        failing.apply_text('{"a":"x"}', BINDINGS)
    assert caught.value.code == "D3030"
