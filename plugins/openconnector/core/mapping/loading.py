"""Read a mapping file into a ``Mapping``: cheap (no compilation), so it can run at DAG-parse time.

``.jsonata`` files hold one JSONata expression. ``.yaml``/``.yml``/``.json`` files hold a mapping in
OpenConnector's model. Problems with the file itself (missing, unreadable, not YAML/JSON, an unknown
field or cast) are SpecErrors naming the file; syntax errors in expressions surface at ``compile()``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from openconnector import settings
from openconnector.core.mapping.mapping import Mapping
from openconnector.core.mapping.model import parse_model
from openconnector.errors import SpecError
from openconnector.spec.mapping import JSONATA_SUFFIXES, MODEL_SUFFIXES, MappingRef

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
#: Suffix of sample input files kept beside example mappings (``company.input.json``).
SAMPLE_SUFFIX = ".input.json"


def load_mapping(ref: MappingRef | None, mappings_dir: Path) -> Mapping:
    """Load the mapping ``ref`` points at in ``mappings_dir``; None gives the identity mapping.

    :raises SpecError: the file is missing or unreadable, or its model is invalid (naming the file,
        the field, the bad value and what is accepted).
    """
    if ref is None:
        return Mapping.identity()
    path = mappings_dir / ref.file
    label = display_path(path)
    text = _read(path, ref.file, mappings_dir)
    options: dict[str, Any] = {"engine": ref.engine, "timeout_ms": ref.timeout_ms, "source_file": path, "label": label}
    if path.suffix in JSONATA_SUFFIXES:
        if not text.strip():
            raise SpecError(f"{label}: is empty; it must hold one JSONata expression whose result is the target object")
        return Mapping.from_expression(text, **options)
    if path.suffix in MODEL_SUFFIXES:
        return Mapping.from_model(parse_model(_parse(path, text, label), label), **options)
    accepted = ", ".join(JSONATA_SUFFIXES + MODEL_SUFFIXES)
    raise SpecError(f"{label}: unknown mapping file type {path.suffix!r}; accepted: {accepted}")


def available_mappings(mappings_dir: Path) -> list[str]:
    """List the mapping files in ``mappings_dir`` and its sub-folders, as names relative to it.

    Sample inputs (``*.input.json``, kept beside example mappings) are not mappings and are left out.
    """
    suffixes = JSONATA_SUFFIXES + MODEL_SUFFIXES
    if not mappings_dir.is_dir():
        return []
    found = (
        p
        for p in mappings_dir.rglob("*")
        if p.is_file() and p.suffix in suffixes and not p.name.endswith(SAMPLE_SUFFIX)
    )
    return sorted(str(p.relative_to(mappings_dir)) for p in found)


def display_path(path: Path) -> str:
    """Show ``path`` as users wrote it: relative to the project or to the include folder's parent."""
    resolved = path.resolve()
    for base in (settings.PROJECT_ROOT, settings.include_dir().parent, Path.cwd()):
        try:
            return str(resolved.relative_to(base))
        except ValueError:
            continue
    return str(path)


def _read(path: Path, name: str, mappings_dir: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        top_level = [n for n in available_mappings(mappings_dir) if "/" not in n]
        listed = ", ".join(repr(n) for n in top_level) or "(none)"
        raise SpecError(
            f"mapping file {name!r} does not exist in {display_path(mappings_dir)}; available: {listed}"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "it is not UTF-8 text"
        raise SpecError(f"{display_path(path)}: cannot be read: {reason}") from None


def _parse(path: Path, text: str, label: str) -> Any:
    if path.suffix == ".json":
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise SpecError(f"{label}: is not valid JSON (line {exc.lineno}, column {exc.colno}): {exc.msg}") from None
    try:
        return yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        raise SpecError(f"{label}: is not valid YAML{where}: {getattr(exc, 'problem', None) or exc}") from None
