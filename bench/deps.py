"""Install the bench-only dependencies (bench/requirements.txt) into the running venv when they are missing."""

from __future__ import annotations

import importlib.metadata
import re
import subprocess
import sys
from pathlib import Path

from openconnector import settings

REQUIREMENTS = Path(__file__).resolve().parent / "requirements.txt"


def pinned() -> dict[str, str]:
    """Return {distribution: version} of the ``name[extras]==version`` lines of bench/requirements.txt."""
    pins = {}
    for line in REQUIREMENTS.read_text().splitlines():
        match = re.match(r"^\s*([A-Za-z0-9_.-]+)(\[[^\]]*\])?==([^\s#]+)", line)
        if match:
            pins[match.group(1)] = match.group(3)
    return pins


def missing() -> dict[str, str | None]:
    """Return the pinned distributions that are absent or at another version, with what is installed."""
    found: dict[str, str | None] = {}
    for name, version in pinned().items():
        try:
            installed: str | None = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            installed = None
        if installed != version:
            found[name] = installed
    return found


def ensure_requirements() -> None:
    """Install bench/requirements.txt (with the project's constraints) if anything pinned there is missing."""
    absent = missing()
    if not absent:
        return
    pins = pinned()
    listing = ", ".join(f"{name} {pins[name]}" + (f" (found {have})" if have else "") for name, have in absent.items())
    print(f"==> The benchmark needs {listing}, a benchmark-only dependency; installing bench/requirements.txt "
          f"into {sys.prefix} ...", flush=True)
    command = [sys.executable, "-m", "pip", "install", "--quiet", "-r", str(REQUIREMENTS)]
    constraints = settings.PROJECT_ROOT / "constraints.txt"
    if constraints.exists():
        command += ["-c", str(constraints)]
    result = subprocess.run(command, check=False)
    if result.returncode != 0:
        raise SystemExit(f"Installing {REQUIREMENTS} failed (pip exit {result.returncode}); install it by hand with "
                         f"`{sys.executable} -m pip install -r {REQUIREMENTS}`, or run the bench with --skip-dlt")
