"""The ``python -m openconnector`` command line.

Each command lives in its own module in this package and is found automatically: a module that
defines ``register(subparsers)`` adds its sub-parser there and sets ``handler=`` (a function taking
the parsed arguments and returning the exit code) with ``set_defaults``. Adding a command is adding
a module; nothing here changes.

Exit codes shared by all commands: 0 success, 1 the thing tested failed (a mapping error ...),
2 bad usage or an invalid spec/file, 3 a result that does not validate.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import pkgutil
import sys
from collections.abc import Sequence
from types import ModuleType

from openconnector.errors import OpenConnectorError, SpecError

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INVALID = 3


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` (default: the process arguments), run the command, return its exit code."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        return int(handler(args))
    except SpecError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except OpenConnectorError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILED


def build_parser() -> argparse.ArgumentParser:
    """Return the top-level parser with every command module's sub-parser registered."""
    parser = argparse.ArgumentParser(
        prog="python -m openconnector",
        description="OpenConnector-style synchronizations on Airflow: developer commands.",
    )
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")
    for module in command_modules():
        module.register(commands)
    return parser


def command_modules() -> list[ModuleType]:
    """Import the modules of this package that define ``register``, in name order."""
    found = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        if callable(getattr(module, "register", None)):
            found.append(module)
    return found
