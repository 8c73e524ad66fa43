"""``mapping test``: map a sample object and see the result and the target schema's verdict.

    python -m openconnector mapping test <mapping> [<input.json>|-] [--register R --schema S]

``<mapping>`` is a file path or a name in include/mappings/ (``company``, ``examples/company.yaml``).
The input is one JSON object (a JSON list is taken as several sample objects), from a file or
stdin. The mapped object goes to stdout as JSON; mapping errors and, with ``--register/--schema``,
the schema's verdict with each error's path go to stderr. Exit code: 0 mapped (and valid),
1 mapping error, 3 not valid against the schema, 2 bad arguments or files.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from openconnector import settings
from openconnector.cli import EXIT_FAILED, EXIT_INVALID, EXIT_OK
from openconnector.core.mapping import ENGINE_MODULES, Bindings, load_mapping
from openconnector.core.mapping.loading import available_mappings, display_path
from openconnector.core.mapping.sample import SampleResult, default_bindings, map_sample
from openconnector.errors import SpecError
from openconnector.spec.mapping import JSONATA_SUFFIXES, MODEL_SUFFIXES, MappingRef

_SUFFIXES = JSONATA_SUFFIXES + MODEL_SUFFIXES
_DESCRIPTION = """\
Map a sample object with a mapping, print the result as JSON on stdout and, with --register and
--schema, the target schema's verdict with each error's path on stderr.

MAPPING is a file path or a name in include/mappings/ (suffix optional: examples/company).
INPUT is a JSON file or '-' for stdin; a JSON list is taken as several sample objects.

exit codes: 0 mapped (and valid), 1 mapping error, 3 not valid against the schema,
            2 bad arguments or files
"""


def register(commands: Any) -> None:
    """Add the ``mapping`` command and its ``test`` sub-command."""
    mapping = commands.add_parser("mapping", help="work with mappings", description="Work with mappings.")
    actions = mapping.add_subparsers(title="mapping commands", metavar="ACTION")
    test = actions.add_parser(
        "test",
        help="map a sample object and validate the result",
        description=_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    test.add_argument("mapping", help="mapping file path, or a name in include/mappings/")
    test.add_argument("input", nargs="?", default="-", help="JSON file with the sample object; '-' or none: stdin")
    test.add_argument("--register", help="register slug of the target (include/registers/<slug>.yaml)")
    test.add_argument("--schema", help="schema slug in that register, e.g. company")
    test.add_argument("--engine", choices=sorted(ENGINE_MODULES), help="JSONata engine (default: jsonatapy)")
    test.add_argument("--timeout-ms", type=int, default=None, help="longest one object's mapping may take")
    test.add_argument("--origin-id", help="value of $originId (default: the object's id)")
    test.add_argument("--run-timestamp", help="value of $runTimestamp and $now() (default: now)")
    test.add_argument("--synchronization-id", default="mapping-test", help="value of $synchronizationId")
    test.set_defaults(handler=run_test)
    mapping.set_defaults(handler=lambda _args: _usage(mapping))


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


def run_test(args: argparse.Namespace) -> int:
    """Run ``mapping test`` for parsed ``args``; return the exit code."""
    if (args.register is None) != (args.schema is None):
        raise SpecError("--register and --schema go together: give both, or neither")
    name, folder = _locate(args.mapping)
    mapping = load_mapping(_mapping_ref(args, name), folder)
    samples, many = _read_input(args.input)
    schema = _schema(args.register, args.schema) if args.register else None
    results = [
        map_sample(
            mapping,
            obj,
            schema=schema,
            register=args.register or "",
            schema_name=args.schema or "",
            bindings=_bindings(args, obj),
        )
        for obj in samples
    ]
    output = [r.result for r in results] if many else results[0].result
    if any(r.error is None for r in results):
        print(json.dumps(output, indent=2, ensure_ascii=False))
    for index, result in enumerate(results):
        _report(result, f"[{index}] " if many else "")
    if any(r.error is not None for r in results):
        return EXIT_FAILED
    return EXIT_INVALID if any(r.valid is False for r in results) else EXIT_OK


def _mapping_ref(args: argparse.Namespace, name: str) -> MappingRef:
    data: dict[str, Any] = {"file": name}
    if args.engine:
        data["engine"] = args.engine
    if args.timeout_ms is not None:
        data["timeoutMs"] = args.timeout_ms
    try:
        return MappingRef.model_validate(data)
    except ValueError as exc:
        raise SpecError(f"mapping {args.mapping!r}: {exc}") from None


def _locate(argument: str) -> tuple[str, Path]:
    """Return (file name relative to its folder, folder) for a path or a name in include/mappings/."""
    mappings_dir = settings.mappings_dir()
    path = Path(argument)
    if path.is_file():
        resolved = path.resolve()
        if resolved.is_relative_to(mappings_dir):
            return str(resolved.relative_to(mappings_dir)), mappings_dir
        return resolved.name, resolved.parent
    for candidate in (argument, *(argument + suffix for suffix in _SUFFIXES)):
        if (mappings_dir / candidate).is_file():
            return candidate, mappings_dir
    listed = ", ".join(repr(n) for n in available_mappings(mappings_dir)) or "(none)"
    raise SpecError(
        f"mapping {argument!r} is neither a file nor a mapping in {display_path(mappings_dir)}; available: {listed}"
    )


def _read_input(argument: str) -> tuple[list[Any], bool]:
    """Return the sample objects and whether the input was a list of them."""
    if argument == "-":
        if sys.stdin.isatty():
            raise SpecError("give a JSON input file, or pipe the sample object into stdin ('-')")
        text, where = sys.stdin.read(), "stdin"
    else:
        try:
            text, where = Path(argument).read_text(encoding="utf-8"), argument
        except (OSError, UnicodeDecodeError) as exc:
            raise SpecError(f"{argument}: cannot be read: {getattr(exc, 'strerror', None) or exc}") from None
    try:
        data = json.loads(text)  # the standard library keeps integers of any length exact
    except json.JSONDecodeError as exc:
        raise SpecError(f"{where}: is not valid JSON (line {exc.lineno}, column {exc.colno}): {exc.msg}") from None
    if isinstance(data, list):
        if not data:
            raise SpecError(f"{where}: is an empty list; give a sample object")
        return data, True
    return [data], False


def _schema(register_slug: str, schema_slug: str) -> Any:
    from openconnector.spec.loader import load_register

    register = load_register(register_slug, referenced_from="--register")
    if schema_slug not in register.schemas:
        accepted = ", ".join(repr(s) for s in register.schemas)
        raise SpecError(
            f"--schema: {schema_slug!r} is not a schema of register {register_slug!r}; accepted: {accepted}"
        )
    return register.schemas[schema_slug]


def _bindings(args: argparse.Namespace, obj: Any) -> Bindings:
    base = default_bindings(obj, run_timestamp=args.run_timestamp)
    origin = args.origin_id if args.origin_id is not None else base.origin_id
    return Bindings(
        synchronization_id=args.synchronization_id,
        run_timestamp=base.run_timestamp,
        origin_id=origin,
        source=base.source,
    )


def _report(result: SampleResult, prefix: str) -> None:
    if result.error is not None:
        code = f" [{result.error.code}]" if result.error.code else ""
        print(f"{prefix}mapping error{code}: {result.error}", file=sys.stderr)
        return
    if result.schema is None:
        return
    if not result.issues:
        print(f"{prefix}{result.schema}: valid", file=sys.stderr)
        return
    count = len(result.issues)
    print(f"{prefix}{result.schema}: not valid, {count} error{'s' if count != 1 else ''}", file=sys.stderr)
    for issue in result.issues:
        print(f"{prefix}  {issue.path} ({issue.keyword}): {issue.message}", file=sys.stderr)
