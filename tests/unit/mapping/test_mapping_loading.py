"""Loading mapping files: cheap, validated, fingerprinted; errors name the file and what to fix."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from openconnector.core.mapping import Bindings, load_mapping
from openconnector.errors import MappingError, SpecError
from openconnector.spec.mapping import MappingRef

RUN = Bindings("sync", "2025-06-01T12:00:00+00:00")


def ref(file: str, **extra: object) -> MappingRef:
    return MappingRef.model_validate({"file": file, **extra})


@pytest.fixture
def mappings(tmp_path: Path) -> Path:
    folder = tmp_path / "mappings"
    (folder / "sub").mkdir(parents=True)
    (folder / "company.jsonata").write_text('{"name": name.legal, "id": $originId}\n', encoding="utf-8")
    (folder / "company.yaml").write_text(
        "# comment\nmapping:\n  name: name.legal\n  id: $originId\ncast:\n  name: string\n", encoding="utf-8"
    )
    (folder / "sub" / "model.json").write_text('{"mapping": {"n": "name.legal"}}', encoding="utf-8")
    return folder


def test_no_mapping_reference_gives_the_identity_mapping(mappings: Path) -> None:
    mapping = load_mapping(None, mappings)
    obj = {"a": 1}
    assert mapping.kind == "identity"
    assert mapping.source_file is None
    assert mapping.compile().apply(obj, RUN) is obj


@pytest.mark.parametrize("name", ["company.jsonata", "company.yaml", "sub/model.json"])
def test_each_file_kind_loads_and_maps(mappings: Path, name: str) -> None:
    mapping = load_mapping(ref(name), mappings)
    assert mapping.source_file == mappings / name
    result = mapping.compile().apply({"name": {"legal": "ACME"}}, RUN.for_object("c-1"))
    assert result == ({"n": "ACME"} if name.endswith(".json") else {"name": "ACME", "id": "c-1"})


def test_loading_does_not_compile(mappings: Path) -> None:
    (mappings / "broken.jsonata").write_text('{"a": $uppercase(}', encoding="utf-8")
    mapping = load_mapping(ref("broken.jsonata"), mappings)  # cheap: fine at DAG-parse time
    with pytest.raises(MappingError) as caught:
        mapping.compile()
    assert "broken.jsonata: does not compile" in str(caught.value)
    assert caught.value.code is not None


def test_a_missing_file_lists_the_available_mappings(mappings: Path) -> None:
    with pytest.raises(SpecError, match=r"mapping file 'nope.jsonata' does not exist in .*mappings; available: "):
        load_mapping(ref("nope.jsonata"), mappings)


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("empty.jsonata", "  \n", r"empty.jsonata: is empty; it must hold one JSONata expression"),
        ("bad.yaml", "mapping: [1,\n", r"bad.yaml: is not valid YAML \(line \d+, column \d+\)"),
        ("bad.json", '{"mapping": }', r"bad.json: is not valid JSON \(line 1, column 13\)"),
        (
            "cast.yaml",
            "mapping: {a: b}\ncast: {a: 'int,tobool'}",
            r"cast.yaml: cast.a: unknown cast 'tobool'.*accepted: ",
        ),
        ("date.yaml", "mapping: {a: b}\ncast: {a: date}", r"cast 'date' is not supported"),
    ],
)
def test_invalid_files_are_spec_errors_naming_the_file(mappings: Path, name: str, text: str, message: str) -> None:
    (mappings / name).write_text(text, encoding="utf-8")
    with pytest.raises(SpecError, match=message):
        load_mapping(ref(name), mappings)


def test_fingerprint_follows_what_changes_the_output(mappings: Path) -> None:
    base = load_mapping(ref("company.yaml"), mappings).fingerprint
    assert load_mapping(ref("company.yaml"), mappings).fingerprint == base
    assert load_mapping(ref("company.yaml", timeoutMs=50), mappings).fingerprint == base
    assert load_mapping(ref("company.yaml", engine="jsonata-python"), mappings).fingerprint != base

    path = mappings / "company.yaml"
    path.write_text(path.read_text().replace("# comment", "# another comment\n# and more"), encoding="utf-8")
    assert load_mapping(ref("company.yaml"), mappings).fingerprint == base  # comments do not change output
    path.write_text(path.read_text().replace("name: string", "name: html"), encoding="utf-8")
    assert load_mapping(ref("company.yaml"), mappings).fingerprint != base

    text = load_mapping(ref("company.jsonata"), mappings).fingerprint
    (mappings / "company.jsonata").write_text('{"name": name.trading, "id": $originId}\n', encoding="utf-8")
    assert load_mapping(ref("company.jsonata"), mappings).fingerprint != text
    assert load_mapping(None, mappings).fingerprint == load_mapping(None, mappings).fingerprint


def test_a_loaded_mapping_can_be_sent_to_a_worker_process(mappings: Path) -> None:
    mapping = load_mapping(ref("company.yaml"), mappings)
    copy = pickle.loads(pickle.dumps(mapping))
    assert copy == mapping
    assert copy.compile().apply({"name": {"legal": "X"}}, RUN) == {"name": "X", "id": None}
