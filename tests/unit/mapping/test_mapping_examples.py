"""The example mappings in include/mappings/examples/: each compiles and maps its sample as documented."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from devkit.records import make_record
from openconnector.core.mapping import Bindings, available_mappings, load_mapping
from openconnector.core.mapping.sample import map_sample
from openconnector.spec.loader import load_register
from openconnector.spec.mapping import MappingRef

PROJECT_ROOT = Path(__file__).resolve().parents[3]
MAPPINGS = PROJECT_ROOT / "include" / "mappings"
EXAMPLES = MAPPINGS / "examples"
EXPECTED = Path(__file__).parent / "fixtures"
ENGINES = ["jsonatapy", "jsonata-python"]
RUN = Bindings("examples", "2025-06-01T12:00:00+00:00")


def example_names() -> list[str]:
    return [name for name in available_mappings(MAPPINGS) if name.startswith("examples/")]


def mapper(name: str, engine: str) -> Any:
    return load_mapping(MappingRef.model_validate({"file": name, "engine": engine}), MAPPINGS).compile()


def test_every_example_has_a_sample_input_and_is_listed_as_a_mapping() -> None:
    names = example_names()
    assert {"examples/company.jsonata", "examples/company.yaml", "examples/zaak.yaml"} <= set(names)
    assert not any(n.endswith(".input.json") for n in names)
    for name in names:
        assert (EXAMPLES / (Path(name).stem + ".input.json")).is_file(), name


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("name", ["company", "zaak", "person-root", "order"])
def test_example_maps_its_sample_as_expected(name: str, engine: str) -> None:
    sample = json.loads((EXAMPLES / f"{name}.input.json").read_text(encoding="utf-8"))
    expected = json.loads((EXPECTED / f"{name}.expected.json").read_text(encoding="utf-8"))
    assert mapper(f"examples/{name}.yaml", engine).apply(sample, RUN.for_object("x")) == expected


@pytest.mark.parametrize("engine", ENGINES)
def test_company_jsonata_and_its_openconnector_model_give_the_same_valid_objects(engine: str) -> None:
    as_jsonata, as_model = mapper("examples/company.jsonata", engine), mapper("examples/company.yaml", engine)
    schema = load_register("demo").schemas["company"]
    seen_empty_employees = False
    for index in range(150 if engine == "jsonatapy" else 40):
        record = make_record(index)
        seen_empty_employees |= record["employees"] == ""
        result = as_jsonata.apply(record, RUN.for_object(record["id"]))
        assert as_model.apply(record, RUN.for_object(record["id"])) == result
        assert result["registrationNumber"] == record["registration"]["number"]  # 16 digits, exact
        assert ("employees" in result) == (record["employees"] != "")
        verdict = map_sample(as_jsonata.mapping, record, schema=schema, register="demo", schema_name="company")
        assert verdict.valid, verdict.issues
    assert seen_empty_employees


def test_order_keeps_a_17_digit_number_exact_on_both_engines() -> None:
    sample = json.loads((EXAMPLES / "order.input.json").read_text(encoding="utf-8"))
    for engine in ENGINES:
        assert mapper("examples/order.yaml", engine).apply(sample, RUN)["orderNumber"] == "90071992547409931"
