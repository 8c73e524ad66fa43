"""A loaded mapping (cheap, picklable, fingerprinted) and its compiled, per-thread Mapper.

``Mapping`` holds what was read from the file and never compiles; ``Mapping.compile()`` gives a
``Mapper`` whose ``apply(obj, bindings)`` is the hot path of the map stage. A Mapper compiles once
for the thread that created it; used from another thread it compiles a private copy there, because
jsonatapy's compiled expressions must not cross threads.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import orjson

from openconnector.core.hashing import fingerprint as hash_parts
from openconnector.core.mapping.bindings import Bindings, Clock
from openconnector.core.mapping.engine import DEFAULT_ENGINE, DEFAULT_MAX_DEPTH, Expression, compile_expression
from openconnector.core.mapping.model import MappingModel
from openconnector.core.mapping.model_mapper import ModelMapper, uses_clock, uses_variables
from openconnector.errors import MappingError

Kind = Literal["identity", "jsonata", "model"]

# Bump when the meaning of the OpenConnector model changes (a cast's semantics, the dot-path rule),
# so every model mapping's fingerprint changes and objects are mapped again.
MODEL_SEMANTICS = "openconnector-model/1"


@dataclass(frozen=True)
class Mapping:
    """A mapping as loaded: a JSONata expression, an OpenConnector model, or the identity.

    ``fingerprint`` changes whenever the output could: the expression text or the model, and the
    engine name (not its version). ``label`` names it in messages (the file, as the user wrote it).
    """

    kind: Kind
    fingerprint: str
    label: str = "identity mapping"
    source_file: Path | None = None
    text: str | None = None
    model: MappingModel | None = None
    engine: str = DEFAULT_ENGINE
    timeout_ms: int = 1000
    max_depth: int = DEFAULT_MAX_DEPTH

    @classmethod
    def identity(cls) -> Mapping:
        """Return the mapping that writes each object unmapped (a spec without ``mapping``)."""
        return cls(kind="identity", fingerprint=hash_parts("identity"))

    @classmethod
    def from_expression(
        cls,
        text: str,
        *,
        engine: str = DEFAULT_ENGINE,
        timeout_ms: int = 1000,
        source_file: Path | None = None,
        label: str | None = None,
    ) -> Mapping:
        """Return a mapping whose result is JSONata ``text`` evaluated against each object."""
        return cls(
            kind="jsonata",
            fingerprint=hash_parts("jsonata", text, engine),
            label=label or (str(source_file) if source_file else "expression"),
            source_file=source_file,
            text=text,
            engine=engine,
            timeout_ms=timeout_ms,
        )

    @classmethod
    def from_model(
        cls,
        model: MappingModel,
        *,
        engine: str = DEFAULT_ENGINE,
        timeout_ms: int = 1000,
        source_file: Path | None = None,
        label: str | None = None,
    ) -> Mapping:
        """Return a mapping in OpenConnector's model (mapping, unset, cast, passThrough)."""
        return cls(
            kind="model",
            fingerprint=hash_parts(MODEL_SEMANTICS, model.canonical(), engine),
            label=label or (str(source_file) if source_file else "mapping"),
            source_file=source_file,
            model=model,
            engine=engine,
            timeout_ms=timeout_ms,
        )

    def compile(self) -> Mapper:
        """Compile for this thread; raise MappingError (code, position, file) on a syntax error."""
        return Mapper(self)


class Mapper:
    """A compiled mapping. ``apply`` maps one object; every failure is a MappingError."""

    def __init__(self, mapping: Mapping) -> None:
        """Compile ``mapping`` for the calling thread."""
        self.mapping = mapping
        self._owner = threading.get_ident()
        self._compiled = _compile(mapping)
        self._local = threading.local()

    @property
    def reads_object_bindings(self) -> bool:
        """Tell whether the mapping reads variables (``$originId``, ``$source``...): if not, callers may
        pass the run's bindings for every object instead of building one per object."""
        return self._compiled.needs_variables

    def apply(self, obj: Any, bindings: Bindings | None) -> Any:
        """Map ``obj``; raise MappingError naming the mapping file, the target or expression, and the code."""
        compiled = self._compiled if threading.get_ident() == self._owner else self._for_this_thread()
        return compiled.apply(obj, bindings)

    def apply_text(self, text: str, bindings: Bindings | None, *, wide_numbers: bool | None = None) -> Any:
        """Map the object given as compact JSON text (as staged); same result as ``apply`` on its parse.

        :param wide_numbers: whether the text holds integers beyond 2^53, if the caller knows.
        """
        compiled = self._compiled if threading.get_ident() == self._owner else self._for_this_thread()
        return compiled.apply_text(text, bindings, wide_numbers)

    def _for_this_thread(self) -> _Compiled:
        compiled: _Compiled | None = getattr(self._local, "compiled", None)
        if compiled is None:
            compiled = self._local.compiled = _compile(self.mapping)
        return compiled


class _Compiled:
    """The per-thread part of a Mapper: compiled expressions, the clock, cached variables."""

    def __init__(self, label: str, clock: Clock | None, needs_variables: bool) -> None:
        self._label = label
        self._clock = clock
        self.needs_variables = needs_variables
        self._last_bindings: Bindings | None = None
        self._variables: dict[str, Any] | None = None

    def apply(self, obj: Any, bindings: Bindings | None) -> Any:
        return self._run(obj, self._variables_for(bindings))

    def apply_text(self, text: str, bindings: Bindings | None, wide_numbers: bool | None = None) -> Any:
        return self._run_text(text, self._variables_for(bindings), wide_numbers)

    def _variables_for(self, bindings: Bindings | None) -> dict[str, Any] | None:
        variables = None
        if bindings is not None:
            if self.needs_variables:
                if bindings is not self._last_bindings:
                    self._variables, self._last_bindings = bindings.variables(), bindings
                variables = self._variables
            if self._clock is not None:
                self._set_clock(self._clock, bindings.run_timestamp)
        return variables

    def _set_clock(self, clock: Clock, run_timestamp: str) -> None:
        try:
            clock.set(run_timestamp)
        except MappingError as exc:
            raise MappingError(f"{self._label}: {exc}") from None

    def _run(self, obj: Any, variables: dict[str, Any] | None) -> Any:
        return obj

    def _run_text(self, text: str, variables: dict[str, Any] | None, wide_numbers: bool | None) -> Any:
        return self._run(orjson.loads(text), variables)


class _ExpressionCompiled(_Compiled):
    def __init__(self, mapping: Mapping) -> None:
        text = mapping.text or ""
        clock = Clock() if uses_clock(text) else None
        super().__init__(mapping.label, clock, uses_variables(text))
        self._expression: Expression = compile_expression(
            text,
            engine=mapping.engine,
            timeout_ms=mapping.timeout_ms,
            max_depth=mapping.max_depth,
            label=mapping.label,
            clock=clock,
        )

    def _run(self, obj: Any, variables: dict[str, Any] | None) -> Any:
        return self._expression.evaluate(obj, variables)

    def _run_text(self, text: str, variables: dict[str, Any] | None, wide_numbers: bool | None) -> Any:
        return self._expression.evaluate_text(text, variables, wide_numbers=wide_numbers)


class _ModelCompiled(_Compiled):
    def __init__(self, mapping: Mapping) -> None:
        if mapping.model is None:
            raise MappingError(f"{mapping.label}: a model mapping without a model")
        self._mapper = ModelMapper(
            mapping.model,
            engine=mapping.engine,
            timeout_ms=mapping.timeout_ms,
            max_depth=mapping.max_depth,
            label=mapping.label,
        )
        super().__init__(mapping.label, self._mapper.clock, self._mapper.uses_variables)

    def _run(self, obj: Any, variables: dict[str, Any] | None) -> Any:
        return self._mapper.apply(obj, variables)


def _compile(mapping: Mapping) -> _Compiled:
    if mapping.kind == "jsonata":
        return _ExpressionCompiled(mapping)
    if mapping.kind == "model":
        return _ModelCompiled(mapping)
    return _Compiled(mapping.label, None, False)
