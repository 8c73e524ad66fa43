"""Where the project finds its files, and the names it agrees on with Airflow.

Paths come from ``__file__`` with environment overrides, never from the working directory: the DAG
processor, the workers and the CLI all start in different directories.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Final

#: The project checkout: ``plugins/openconnector/settings.py`` → three levels up.
PROJECT_ROOT: Final = Path(__file__).resolve().parents[2]

#: Airflow connection id of the contracts database.
CONTRACTS_CONN_ID: Final = "openconnector_db"

#: Database that holds contracts, logs, staging and the built-in register store.
CONTRACTS_DATABASE: Final = "openconnector"


def include_dir() -> Path:
    """Return the folder holding ``synchronizations/``, ``mappings/`` and ``registers/``."""
    return Path(os.environ.get("OPENCONNECTOR_INCLUDE_DIR", PROJECT_ROOT / "include")).resolve()


def synchronizations_dir() -> Path:
    """Return the folder of synchronization spec files."""
    return include_dir() / "synchronizations"


def mappings_dir() -> Path:
    """Return the folder of mapping files referenced by specs."""
    return include_dir() / "mappings"


def registers_dir() -> Path:
    """Return the folder of register files (registers and their schemas)."""
    return include_dir() / "registers"


def state_dir() -> Path:
    """Return the folder for local state: the embedded Postgres, Airflow home, logs."""
    return Path(os.environ.get("OPENCONNECTOR_HOME", PROJECT_ROOT / ".local")).resolve()


def strict_specs() -> bool:
    """Tell whether an invalid spec must fail the whole DAG file (CI, tests) instead of only its DAG."""
    return os.environ.get("OPENCONNECTOR_STRICT", "").lower() in {"1", "true", "yes"}
