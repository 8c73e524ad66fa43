"""OpenConnector's mapping model, read from a ``.yaml``/``.yml``/``.json`` mapping file and validated.

The keys are OpenConnector's: ``mapping`` (target dot path → value), ``unset`` (target paths to
remove), ``cast`` (target path → casts) and ``passThrough`` (start from a copy of the input). An
exported OpenConnector mapping can be dropped in as is: its bookkeeping fields (``id``, ``uuid``,
``name``, ``version`` ...) are accepted and ignored. How values are evaluated is described in
``model_mapper``.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any, Final

from openconnector.core import paths
from openconnector.core.mapping.casts import Cast, parse_casts
from openconnector.errors import SpecError

MODEL_KEYS: Final = ("mapping", "unset", "cast", "passThrough")
#: Fields of OpenConnector's Mapping entity that do not change the output; accepted for exports.
INFORMATIONAL_KEYS: Final = (
    "id",
    "uuid",
    "reference",
    "version",
    "name",
    "description",
    "slug",
    "dateCreated",
    "dateModified",
    "configurations",
)


@dataclass(frozen=True)
class MappingModel:
    """A validated mapping in OpenConnector's model; applied as passThrough → mapping → unset → cast."""

    mapping: dict[str, Any]
    unset: tuple[str, ...] = ()
    cast: dict[str, tuple[Cast, ...]] | None = None
    pass_through: bool = False

    def canonical(self) -> dict[str, Any]:
        """Return what determines the output, as plain JSON (for the mapping's fingerprint)."""
        return {
            "mapping": self.mapping,
            "unset": list(self.unset),
            "cast": {target: [c.text for c in casts] for target, casts in (self.cast or {}).items()},
            "passThrough": self.pass_through,
        }


def parse_model(data: Any, where: str) -> MappingModel:
    """Validate a parsed mapping file; raise SpecError starting with ``where`` (the file) and the field."""
    if not isinstance(data, dict):
        raise SpecError(f"{where}: must be an object with the keys {', '.join(MODEL_KEYS)}, got {_kind(data)}")
    _check_keys(data, where)
    mapping = _parse_mapping(data.get("mapping"), where)
    unset = _parse_unset(data.get("unset"), where)
    cast = _parse_cast(data.get("cast"), where)
    pass_through = data.get("passThrough", False)
    if not isinstance(pass_through, bool):
        raise SpecError(f"{where}: passThrough: must be true or false, got {pass_through!r}")
    if not mapping and not pass_through:
        raise SpecError(
            f"{where}: mapping: is empty and passThrough is false, so every object would map to {{}}; "
            "add target: expression entries or set passThrough: true"
        )
    return MappingModel(mapping=mapping, unset=unset, cast=cast, pass_through=pass_through)


def _check_keys(data: dict[str, Any], where: str) -> None:
    for key in data:
        if key in MODEL_KEYS or key in INFORMATIONAL_KEYS:
            continue
        hint = difflib.get_close_matches(str(key), MODEL_KEYS, n=1, cutoff=0.7)
        did_you_mean = f"; did you mean {hint[0]!r}?" if hint else ""
        raise SpecError(f"{where}: {key}: unknown field{did_you_mean} accepted: {', '.join(MODEL_KEYS)}")


def _parse_mapping(value: Any, where: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise SpecError(f"{where}: mapping: must be an object of target path: expression, got {_kind(value)}")
    for target, expression in value.items():
        _check_target(target, f"{where}: mapping.{target}")
        if isinstance(expression, str) and not expression.strip():
            raise SpecError(
                f"{where}: mapping.{target}: the expression is empty; write \"''\" for an empty text constant"
            )
        problem = _not_json(expression)
        if problem:
            raise SpecError(f"{where}: mapping.{target}: {problem}")
    return dict(value)


def _not_json(value: Any) -> str:
    """Describe why a constant is not a JSON value (YAML reads 2025-01-01 as a date), or return ""."""
    if value is None or isinstance(value, (str, bool, int, float)):
        return ""
    if isinstance(value, list):
        return next((p for p in map(_not_json, value) if p), "")
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            return "a constant object must have text keys (quote the keys)"
        return next((p for p in map(_not_json, value.values()) if p), "")
    return f"the constant {value!r} is a {type(value).__name__}, not a JSON value; quote it to make it text"


def _parse_unset(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise SpecError(f"{where}: unset: must be a list of target paths, got {_kind(value)}")
    for index, target in enumerate(value):
        _check_target(target, f"{where}: unset[{index}]")
    return tuple(value)


def _parse_cast(value: Any, where: str) -> dict[str, tuple[Cast, ...]]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise SpecError(f"{where}: cast: must be an object of target path: casts, got {_kind(value)}")
    parsed = {}
    for target, spec in value.items():
        _check_target(target, f"{where}: cast.{target}")
        try:
            parsed[target] = parse_casts(spec)
        except ValueError as exc:
            raise SpecError(f"{where}: cast.{target}: {exc}") from None
    return parsed


def _check_target(target: Any, where: str) -> None:
    if not isinstance(target, str) or not target.strip():
        raise SpecError(f"{where}: a target path must be non-empty text, got {target!r}")
    if any(not part for part in paths.split_path(target)):
        raise SpecError(f"{where}: target path {target!r} has an empty segment (two dots, or a dot at an end)")


def _kind(value: Any) -> str:
    return "a list" if isinstance(value, list) else "text" if isinstance(value, str) else type(value).__name__
