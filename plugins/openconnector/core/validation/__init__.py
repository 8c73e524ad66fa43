"""Validate register objects the way OpenRegister 1.0 (v1.0.1) does.

Shared by the built-in register store and the local OpenRegister-compatible test server::

    validator = ObjectValidator(schema_spec, register="demo", name="company")
    issues = validator.validate(obj)          # [] when valid
    if issues:
        body = issues[0].message             # POST 400 body (a bare JSON string)
        errors = opis_error_map(issues)      # PUT/PATCH 400: {"/name": ["The data ..."]}

What is reproduced (from OpenRegister's ``Schema::getSchemaObject`` and
``ValidateObject::validateObject``, and Opis JSON Schema 2.6 with ``stopAtFirstError``):

- ``hardValidation: false`` → no validation at all; a schema without properties accepts anything;
- Draft 2020-12 with format assertion; unknown top-level fields never fail (no top-level
  ``additionalProperties``); see ``transform`` for how the stored schema is rewritten first;
- the validated copy of the data leaves out, for non-required first-level keys, ``""``, empty arrays
  (unless ``minItems``/``maxItems``/``uniqueItems``) and ``null`` for enums without null; ``extend``
  and ``filters`` are ignored; an empty object ``{}`` counts as an empty array, as in PHP;
- messages per keyword as in ``formatValidationError``; issues ordered like the Opis error tree, so
  ``issues[0]`` is OpenRegister's message; at most 100.

Speed: the schema is compiled twice with jsonschema-rs, an exact variant and a fast one without
Python format callbacks (``fastpath``). A valid object costs one pass over its first-level values
plus the fast check (about 2.5 µs for the 20-property demo company); only objects that fail it are
re-checked exactly and explained (about 50 µs). The pure-Python ``jsonschema`` package is not needed:
jsonschema-rs reports the branch errors of ``oneOf``/``anyOf`` itself.

Known, deliberate differences (details in the module docstrings):

- enum message: OpenRegister 1.0.1 prints an empty value list (it reads an Opis argument that is
  never set); we list the allowed values, as this project's reference text specifies;
- OpenRegister's ``normalizeDateValues`` (which runs *before* validation and rewrites stored data:
  "" → null for date/date-time, date-times cut to dates, unparseable date-times → null) is the store's
  job, not done here;
- where OpenRegister would crash instead of answering (a ``$ref`` it cannot resolve, ``required: true``
  on a second-level sub-property, a type such as ``NcFile``), we validate sensibly instead: ``$ref`` is
  ignored, nested ``required: true`` is folded into the parent's ``required``, unknown types are
  unconstrained;
- ``computed`` properties are validated like any other: OpenRegister's code that would skip them runs
  after the ``computed`` key has already been removed, so it never fires;
- ``email`` follows PHP's FILTER_VALIDATE_EMAIL in spirit (a dotted domain is required), not byte for
  byte; ``pattern`` uses jsonschema-rs's regex dialect instead of PCRE.
"""

from __future__ import annotations

from openconnector.core.validation.definition import check_schema_definition
from openconnector.core.validation.issues import ValidationIssue, opis_error_map
from openconnector.core.validation.validator import ObjectValidator

__all__ = ["ObjectValidator", "ValidationIssue", "check_schema_definition", "opis_error_map"]
