"""Spec files: what loads, and what an invalid spec tells its author."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from openconnector.errors import SpecError
from openconnector.spec.loader import load_spec, load_specs

BASE = """
id: companies
source:
  connection: api
  endpoint: /companies
  resultsPosition: data.items
mapping: demo_companies.jsonata
target: {type: register, register: demo, schema: company}
"""

VALID = [
    ("minimal", BASE, {"id": "companies", "dag_id": "sync_companies"}),
    ("cron schedule", BASE + "schedule: '15 6 * * 1-5'\n", {"schedule": "15 6 * * 1-5"}),
    ("preset schedule", BASE + "schedule: '@hourly'\n", {"schedule": "@hourly"}),
    ("no mapping", BASE.replace("mapping: demo_companies.jsonata\n", ""), {"mapping": None}),
    ("explicit partitions", BASE + "partitions: 4\n", {"partitions": 4}),
    ("conditions", BASE + "conditions: {'==': [{var: status}, ACTIVE]}\n",
     {"conditions": {"==": [{"var": "status"}, "ACTIVE"]}}),
    ("name defaults to id", BASE, {"name": "companies"}),
]


@pytest.mark.parametrize(("label", "text", "expected"), VALID, ids=[v[0] for v in VALID])
def test_valid_specs_load_into_typed_objects(include_dir: Path, label: str, text: str, expected: dict) -> None:
    spec = load_spec(_write(include_dir, text))
    for attribute, value in expected.items():
        assert getattr(spec, attribute) == value


def test_pagination_variant_is_typed(include_dir: Path) -> None:
    text = BASE.replace("  resultsPosition: data.items\n", "  pagination: {type: offset, limit: 250, totalPath: meta.total}\n")
    pagination = load_spec(_write(include_dir, text)).source.pagination
    assert (pagination.type, pagination.limit, pagination.total_path, pagination.offset_param) == (
        "offset", 250, "meta.total", "offset")


def test_mapping_engine_can_be_chosen(include_dir: Path) -> None:
    text = BASE.replace("mapping: demo_companies.jsonata", "mapping: {file: demo_companies.jsonata, engine: jsonata-python}")
    assert load_spec(_write(include_dir, text)).mapping.engine == "jsonata-python"


# (label, spec text, regex the message must match). Every message names the file and the field path.
INVALID = [
    ("unknown pagination type", BASE.replace("  resultsPosition: data.items\n", "  pagination: {type: pagenumber}\n"),
     r"source\.pagination\.type: 'pagenumber' is not accepted; accepted: .*'pageNumber'"),
    ("misspelled field with suggestion", BASE.replace("resultsPosition", "resultPosition"),
     r"source\.resultPosition: unknown field; did you mean 'resultsPosition'\?"),
    ("missing source", "id: x\ntarget: {type: register, register: demo, schema: company}\n",
     r"source: is required"),
    ("bad schedule", BASE + "schedule: every day\n", r"schedule: 'every day' is neither a cron expression"),
    ("bad id", BASE.replace("id: companies", "id: Companies!"), r"id: String should match pattern"),
    ("unknown mapping file", BASE.replace("demo_companies.jsonata", "nope.jsonata"),
     r"mapping\.file: 'nope\.jsonata' does not exist in .*; available: .*'demo_companies\.jsonata'"),
    ("unknown register", BASE.replace("register: demo", "register: demoo"),
     r"target\.register: 'demoo' has no register file .*; available: 'demo'"),
    ("unknown schema", BASE.replace("schema: company", "schema: compny"),
     r"target\.schema: 'compny' is not a schema of register 'demo'; accepted: 'company'"),
    ("wrong type", BASE + "partitions: 0\n", r"partitions: must be 'auto' or a number from 1 to 64 \(got 0\)"),
    ("not a mapping", "- just\n- a list\n", r"must be a YAML mapping"),
    ("broken YAML", "id: [unclosed\n", r"is not valid YAML \(line \d+, column \d+\)"),
    ("unknown action mapping of an api target",
     BASE.replace("target: {type: register, register: demo, schema: company}",
                  "target: {type: api, connection: crm, create: {endpoint: /c, mapping: nope.jsonata}}"),
     r"target\.create\.mapping\.file: 'nope\.jsonata' does not exist"),
    ("bad mapping suffix", BASE.replace("demo_companies.jsonata", "demo.txt"), r"mapping\.file: mapping file must end with"),
]


@pytest.mark.parametrize(("label", "text", "pattern"), INVALID, ids=[v[0] for v in INVALID])
def test_invalid_specs_name_file_field_and_fix(include_dir: Path, label: str, text: str, pattern: str) -> None:
    path = _write(include_dir, text)
    with pytest.raises(SpecError) as caught:
        load_spec(path)
    message = str(caught.value)
    assert "synchronizations/companies.yaml: " in message
    assert re.search(pattern, message), message


def test_a_bad_spec_never_hides_the_good_ones(include_dir: Path) -> None:
    _write(include_dir, BASE.replace("resultsPosition", "resultPosition"), name="broken")
    specs, errors = load_specs(include_dir / "synchronizations")
    assert "demo_companies" in [s.id for s in specs]
    assert len(errors) == 1
    assert "broken.yaml" in str(errors[0])


def test_duplicate_ids_are_reported_with_both_files(include_dir: Path) -> None:
    _write(include_dir, BASE.replace("id: companies", "id: demo_companies"), name="copy")
    specs, errors = load_specs(include_dir / "synchronizations")
    assert "demo_companies" not in [s.id for s in specs]
    assert re.search(r"copy\.yaml, .*demo_companies\.yaml: id: 'demo_companies' is used by 2 files", str(errors[0]))


def test_id_defaults_to_the_file_name(include_dir: Path) -> None:
    spec = load_spec(_write(include_dir, BASE.replace("id: companies\n", ""), name="kvk_companies"))
    assert spec.id == "kvk_companies"


def test_every_bundled_spec_is_valid() -> None:
    specs, errors = load_specs()
    assert errors == []
    assert specs, "include/synchronizations/ holds no spec"


def _write(include_dir: Path, text: str, name: str = "companies") -> Path:
    path = include_dir / "synchronizations" / f"{name}.yaml"
    path.write_text(textwrap.dedent(text))
    return path
