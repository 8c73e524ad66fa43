"""``python -m openconnector mapping test``: mapped object on stdout, verdict on stderr, exit codes."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from devkit.records import make_record
from openconnector.cli import main

PROJECT_ROOT = Path(__file__).resolve().parents[3]


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, Any, str]:
    code = main(["mapping", "test", *args])
    out, err = capsys.readouterr()
    return code, json.loads(out) if out.strip() else None, err


@pytest.fixture
def record_file(tmp_path: Path) -> Path:
    path = tmp_path / "record.json"
    path.write_text(json.dumps(make_record(7)), encoding="utf-8")
    return path


def write_mapping(include_dir: Path, name: str, text: str) -> None:
    (include_dir / "mappings" / name).write_text(text, encoding="utf-8")


def test_prints_the_mapped_object_and_exits_0(
    include_dir: Path, record_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(["examples/company.jsonata", str(record_file)], capsys)
    assert code == 0, err
    assert out["registrationNumber"] == make_record(7)["registration"]["number"]
    assert out["officerCount"] == len(make_record(7)["officers"])
    assert err == ""


def test_with_a_schema_the_verdict_goes_to_stderr(
    include_dir: Path, record_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(
        ["examples/company.yaml", str(record_file), "--register", "demo", "--schema", "company"], capsys
    )
    assert code == 0, err
    assert out["name"] == make_record(7)["name"]["legal"]
    assert err.strip() == "demo/company: valid"


def test_an_invalid_result_lists_each_error_with_its_path_and_exits_3(
    include_dir: Path, record_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_mapping(
        include_dir,
        "bad.jsonata",
        '{"registrationNumber": "12", "name": name.legal, "status": status, "address": {"country": "NLD"}}',
    )
    code, out, err = run(["bad", str(record_file), "--register", "demo", "--schema", "company"], capsys)
    assert code == 3
    assert out["status"] == "ACTIVE"
    lines = err.splitlines()
    assert lines[0] == "demo/company: not valid, 3 errors"
    assert {line.split(" (")[0].strip() for line in lines[1:]} == {"/registrationNumber", "/status", "/address/country"}


def test_a_mapping_error_exits_1_with_the_code_and_file(
    include_dir: Path, record_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_mapping(include_dir, "err.jsonata", "$number(name.legal)")
    code, out, err = run(["err.jsonata", str(record_file)], capsys)
    assert code == 1
    assert out is None
    assert err.startswith("mapping error [D3030]: include/mappings/err.jsonata: failed: D3030: Cannot convert")


def test_reads_stdin_and_takes_a_list_as_several_samples(
    include_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(json.dumps([make_record(1), make_record(2)])))
    code, out, err = run(["examples/company.yaml", "-", "--register", "demo", "--schema", "company"], capsys)
    assert code == 0, err
    assert [o["name"] for o in out] == [make_record(1)["name"]["legal"], make_record(2)["name"]["legal"]]
    assert err.splitlines() == ["[0] demo/company: valid", "[1] demo/company: valid"]


def test_bindings_can_be_given(include_dir: Path, record_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_mapping(include_dir, "vars.jsonata", '{"o": $originId, "s": $synchronizationId, "t": $now()}')
    args = ["vars", str(record_file), "--origin-id", "X-1", "--run-timestamp", "2025-01-02T03:04:05Z"]
    code, out, _ = run(args, capsys)
    assert (code, out) == (0, {"o": "X-1", "s": "mapping-test", "t": "2025-01-02T03:04:05.000Z"})
    code, out, _ = run(["vars", str(record_file)], capsys)
    assert out["o"] == make_record(7)["id"]  # by default the object's id


def test_a_mapping_outside_include_and_another_engine(
    tmp_path: Path, record_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text("mapping:\n  n: name.legal\n", encoding="utf-8")
    code, out, _ = run([str(path), str(record_file), "--engine", "jsonata-python"], capsys)
    assert (code, out) == (0, {"n": make_record(7)["name"]["legal"]})


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["nope"],
            r"error: mapping 'nope' is neither a file nor a mapping in .*; available: .*'examples/company.jsonata'",
        ),
        (["examples/company.jsonata", "{record}", "--register", "demo"], r"--register and --schema go together"),
        (
            ["examples/company.jsonata", "{record}", "--register", "demo", "--schema", "x"],
            r"'x' is not a schema of register 'demo'",
        ),
        (
            ["examples/company.jsonata", "{record}", "--register", "nope", "--schema", "x"],
            r"'nope' has no register file",
        ),
        (["examples/company.jsonata", "missing.json"], r"missing.json: cannot be read"),
        (["examples/company.jsonata", "{bad}"], r"is not valid JSON \(line 1, column 2\)"),
    ],
)
def test_bad_arguments_exit_2_with_a_message(
    include_dir: Path, record_file: Path, args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = record_file.parent / "bad.json"
    bad.write_text("{oops", encoding="utf-8")
    args = [a.replace("{record}", str(record_file)).replace("{bad}", str(bad)) for a in args]
    code, _, err = run(args, capsys)
    assert code == 2
    assert err.startswith("error: ")
    assert __import__("re").search(message, err), err


def test_python_dash_m_openconnector_runs_the_command(record_file: Path) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(PROJECT_ROOT / "plugins"), str(PROJECT_ROOT)])}
    env.pop("OPENCONNECTOR_INCLUDE_DIR", None)
    args = ["mapping", "test", "examples/company.jsonata", "-", "--register", "demo", "--schema", "company"]
    result = subprocess.run(
        [sys.executable, "-m", "openconnector", *args],
        input=record_file.read_text(encoding="utf-8"),
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["status"] == "active"
    assert result.stderr.strip() == "demo/company: valid"
