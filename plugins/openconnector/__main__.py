"""Run the command line: ``python -m openconnector <command> ...`` (see ``openconnector.cli``)."""

from __future__ import annotations

from openconnector.cli import main

raise SystemExit(main())
