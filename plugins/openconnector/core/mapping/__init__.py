"""Mappings: turn a source object into the target object, with JSONata or OpenConnector's model.

Used by the map stage (one object at a time, up to a million per run) and by ``mapping test``::

    from openconnector.core.mapping import load_mapping, Bindings

    mapping = load_mapping(spec.mapping, settings.mappings_dir())   # cheap, no compilation
    mapper = mapping.compile()                                      # once per process/thread
    run = Bindings(synchronization_id=spec.id, run_timestamp="2025-06-01T12:00:00+00:00")
    target = mapper.apply(obj, run.for_object(origin_id))           # raises MappingError per object

See ``model_mapper`` for how the OpenConnector model is evaluated, ``casts`` for the casts and
``engine`` for the JSONata adapter (jsonatapy by default, jsonata-python selectable).
"""

from __future__ import annotations

from openconnector.core.mapping.bindings import VARIABLE_NAMES, Bindings
from openconnector.core.mapping.casts import ACCEPTED as ACCEPTED_CASTS
from openconnector.core.mapping.engine import DEFAULT_ENGINE, ENGINE_MODULES, Expression, compile_expression
from openconnector.core.mapping.loading import available_mappings, load_mapping
from openconnector.core.mapping.mapping import Mapper, Mapping
from openconnector.core.mapping.model import MappingModel, parse_model

__all__ = [
    "ACCEPTED_CASTS",
    "DEFAULT_ENGINE",
    "ENGINE_MODULES",
    "VARIABLE_NAMES",
    "Bindings",
    "Expression",
    "Mapper",
    "Mapping",
    "MappingModel",
    "available_mappings",
    "compile_expression",
    "load_mapping",
    "parse_model",
]
