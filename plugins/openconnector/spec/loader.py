"""Read spec and register files into typed objects, once, with errors a user can act on.

Every error names the file, the field path (as written in YAML), the bad value and what is accepted:

    include/synchronizations/zaken.yaml: source.pagination.type: 'pagenumber' is not accepted;
    accepted: 'auto', 'none', 'pageNumber', 'offset', 'cursor', 'nextLink', 'linkHeader'
"""

from __future__ import annotations

import difflib
import functools
import os
import types
import typing
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from openconnector import settings
from openconnector.errors import SpecError
from openconnector.spec.register import RegisterSpec
from openconnector.spec.synchronization import SynchronizationSpec

SPEC_SUFFIXES = (".yaml", ".yml")
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_spec(path: Path, *, check_references: bool = True) -> SynchronizationSpec:
    """Parse and validate one synchronization spec file.

    :param check_references: also check that the mapping file and the target register/schema exist.
    :raises SpecError: naming the file, field path, bad value and accepted values.
    """
    text, data = _read_yaml(path)
    if _is_id_like(path.stem):
        data.setdefault("id", path.stem)
    spec = _validate(SynchronizationSpec, data, path)
    spec._file = path
    spec._text = text
    if check_references:
        check_spec_references(spec)
    return spec


def load_specs(directory: Path | None = None) -> tuple[list[SynchronizationSpec], list[SpecError]]:
    """Load every spec in a folder, sorted by file name; a bad spec never hides the good ones.

    Two files with the same ``id`` are both reported, because either could be the intended one.
    """
    directory = directory or settings.synchronizations_dir()
    specs: list[SynchronizationSpec] = []
    errors: list[SpecError] = []
    for path in sorted(p for p in directory.glob("*") if p.suffix in SPEC_SUFFIXES):
        try:
            specs.append(load_spec(path))
        except SpecError as exc:
            errors.append(exc)
    by_id: dict[str, list[SynchronizationSpec]] = {}
    for spec in specs:
        by_id.setdefault(spec.id, []).append(spec)
    for sync_id, same in by_id.items():
        if len(same) > 1:
            files = ", ".join(_display(s.file) for s in same if s.file)
            errors.append(SpecError(f"{files}: id: {sync_id!r} is used by {len(same)} files; ids must be unique"))
            specs = [s for s in specs if s.id != sync_id]
    return specs, errors


def check_spec_references(spec: SynchronizationSpec) -> None:
    """Check what a spec points at: mapping file, register file and schema, and that conditions compile."""
    where = _display(spec.file) if spec.file else spec.id
    if spec.conditions:
        from openconnector.core.conditions import Conditions

        Conditions(spec.conditions, where=f"{where}: conditions")
    mappings = {"mapping": spec.mapping} if spec.mapping is not None else {}
    if hasattr(spec.target, "mapping_refs"):
        mappings.update({f"target.{field}": ref for field, ref in spec.target.mapping_refs().items()})
    for field, ref in mappings.items():
        if not (settings.mappings_dir() / ref.file).is_file():
            available = sorted(p.name for p in settings.mappings_dir().glob("*") if p.is_file())
            raise SpecError(
                f"{where}: {field}.file: {ref.file!r} does not exist in {_display(settings.mappings_dir())}; "
                f"available: {_quoted(available)}"
            )
    if spec.target.type == "register":
        register = load_register(spec.target.register_slug, referenced_from=f"{where}: target.register")
        if spec.target.schema_slug not in register.schemas:
            raise SpecError(
                f"{where}: target.schema: {spec.target.schema_slug!r} is not a schema of register "
                f"{register.slug!r}; accepted: {_quoted(register.schemas)}"
            )


def load_register(slug: str, *, referenced_from: str = "register") -> RegisterSpec:
    """Load ``include/registers/<slug>.yaml`` (cached until the file changes)."""
    for suffix in SPEC_SUFFIXES:
        path = settings.registers_dir() / f"{slug}{suffix}"
        if path.is_file():
            return _load_register_cached(path, os.stat(path).st_mtime_ns)
    available = sorted(p.stem for p in settings.registers_dir().glob("*") if p.suffix in SPEC_SUFFIXES)
    raise SpecError(
        f"{referenced_from}: {slug!r} has no register file {_display(settings.registers_dir())}/{slug}.yaml; "
        f"available: {_quoted(available)}"
    )


@functools.lru_cache(maxsize=64)
def _load_register_cached(path: Path, _mtime_ns: int) -> RegisterSpec:
    _, data = _read_yaml(path)
    data.setdefault("slug", path.stem)
    return _validate(RegisterSpec, data, path)


def _read_yaml(path: Path) -> tuple[str, dict[str, Any]]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SpecError(f"{_display(path)}: cannot be read: {exc.strerror}") from exc
    try:
        data = yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise SpecError(f"{_display(path)}: is not valid YAML{where}: {problem}") from exc
    if not isinstance(data, dict):
        raise SpecError(f"{_display(path)}: must be a YAML mapping (key: value lines), got {type(data).__name__}")
    return text, data


def _validate(model: type[BaseModel], data: dict[str, Any], path: Path) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        lines = [_describe(error, model, data) for error in exc.errors(include_url=False)]
        raise SpecError(f"{_display(path)}: " + f"\n{_display(path)}: ".join(lines)) from None


def _describe(error: Any, model: type[BaseModel], data: dict[str, Any]) -> str:
    """Turn one pydantic error into 'field.path: what is wrong (got value); accepted: ...'."""
    loc = _clean_loc(data, error["loc"])
    field = _dotted(loc) or "(top level)"
    kind = error["type"]
    value = error.get("input")
    if kind == "extra_forbidden":
        accepted = _accepted_fields(model, data, loc[:-1])
        hint = difflib.get_close_matches(str(loc[-1]), accepted, n=1)
        did_you_mean = f"; did you mean {hint[0]!r}?" if hint else ""
        return f"{field}: unknown field{did_you_mean} accepted here: {_quoted(accepted)}"
    if kind == "missing":
        return f"{field}: is required"
    if kind == "union_tag_invalid":
        expected = error.get("ctx", {}).get("expected_tags", "")
        tag = error.get("ctx", {}).get("tag")
        return f"{field}.{error.get('ctx', {}).get('discriminator', 'type').strip(chr(39))}: {tag!r} is not accepted; accepted: {expected}"
    message = error["msg"]
    if message.startswith("Value error, "):
        message = message[len("Value error, ") :]
    return f"{field}: {message} (got {_short(value)})"


def _accepted_fields(model: type[BaseModel], data: Any, loc: list[Any]) -> list[str]:
    """Find the model at ``loc`` (following the input for unions) and list its YAML field names."""
    current: Any = model
    node = data
    for part in loc:
        current = _model_of(current, node)
        if current is None:
            return []
        if isinstance(part, str):
            field = next((f for f in current.model_fields.values() if f.alias == part), None)
            if field is None:
                return []
            current = field.annotation
        node = node[part] if isinstance(node, dict | list) and _has(node, part) else None
    current = _model_of(current, node)
    if current is None:
        return []
    return [f.alias or name for name, f in current.model_fields.items()]


def _model_of(annotation: Any, node: Any) -> type[BaseModel] | None:
    """Pick the BaseModel behind an annotation: plain, Optional, Annotated, or a tagged union."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _model_of(typing.get_args(annotation)[0], node)
    if origin in (typing.Union, types.UnionType):
        models = [m for a in typing.get_args(annotation) if (m := _model_of(a, node)) is not None]
        tag = node.get("type") if isinstance(node, dict) else None
        for candidate in models:
            field = candidate.model_fields.get("type")
            if field is not None and tag in typing.get_args(field.annotation):
                return candidate
        return models[0] if len(models) == 1 else None
    return None


def _has(node: Any, part: Any) -> bool:
    if isinstance(node, dict):
        return part in node
    return isinstance(part, int) and 0 <= part < len(node)


def _clean_loc(data: Any, loc: Iterable[Any]) -> list[Any]:
    """Drop the union tags pydantic inserts into ``loc`` ('pageNumber'): YAML users never wrote them."""
    clean: list[Any] = []
    node = data
    for part in loc:
        if isinstance(node, dict) and part not in node and part == node.get("type"):
            continue
        clean.append(part)
        node = node[part] if isinstance(node, dict | list) and _has(node, part) else None
    return clean


def _dotted(loc: Iterable[Any]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _short(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _quoted(values: Iterable[str]) -> str:
    values = list(values)
    return ", ".join(repr(v) for v in values) if values else "(none)"


def _is_id_like(stem: str) -> bool:
    return stem.replace("_", "").isalnum() and stem == stem.lower()


def _display(path: Path | None) -> str:
    """Show paths relative to the project or the include folder, as users wrote them."""
    if path is None:
        return "?"
    for base in (settings.PROJECT_ROOT, settings.include_dir().parent):
        try:
            return str(path.resolve().relative_to(base))
        except ValueError:
            continue
    return str(path)
