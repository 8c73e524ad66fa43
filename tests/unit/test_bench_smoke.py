"""The benchmark compares like with like: dlt's Python mapping is the bench's JSONata mapping, and the
bench's spec, mapping and register load and produce objects the register accepts."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from bench.mapping import map_company
from devkit.records import make_record
from openconnector.core.mapping import Bindings, load_mapping
from openconnector.spec.loader import load_specs
from openconnector.spec.mapping import MappingRef

BENCH_INCLUDE = Path(__file__).resolve().parents[2] / "bench" / "include"
# Enough records to meet every shape the generator makes: 0-4 contacts, 0-3 officers, empty numbers,
# a second address line or none, changed versions.
SAMPLE = [(index, version) for index in range(0, 3000, 3) for version in (0, 1)]


@pytest.fixture(scope="module")
def jsonata_mapper():
    mapping = load_mapping(MappingRef(file="bench_companies.jsonata"), BENCH_INCLUDE / "mappings")
    return mapping.compile()


def test_python_mapping_equals_jsonata_mapping(jsonata_mapper) -> None:
    bindings = Bindings(synchronization_id="bench_companies", run_timestamp="2025-06-01T12:00:00+00:00")
    for index, version in SAMPLE:
        record = make_record(index, seed=0, version=version)
        expected = jsonata_mapper.apply(record, dataclasses.replace(bindings, origin_id=record["id"]))
        actual = map_company(record)
        assert actual == expected, f"record {index} version {version}"
        assert list(actual) == list(expected), f"record {index} version {version}: key order differs"


def test_bench_specs_load_and_mapping_output_is_a_valid_register_object(monkeypatch, jsonata_mapper) -> None:
    monkeypatch.setenv("OPENCONNECTOR_INCLUDE_DIR", str(BENCH_INCLUDE))
    specs, errors = load_specs(BENCH_INCLUDE / "synchronizations")
    assert errors == []
    assert {spec.id: spec.partitions for spec in specs} == {
        "bench_companies": "auto", "bench_partitions_1": 1, "bench_partitions_2": 2,
    }
    from openconnector.pipeline.components import build_components

    target = build_components(specs[0]).target
    for index in range(0, 400, 7):
        target.prepare(map_company(make_record(index)))  # raises InvalidObject when the schema refuses it
