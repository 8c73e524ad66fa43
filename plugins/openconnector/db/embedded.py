"""An embedded Postgres for machines without one: the ``pgserver`` wheel's binaries, started on demand.

The server outlives the process that started it (``cleanup_mode=None``): Airflow runs every task in
its own process, and each would otherwise pay for a start and a stop. It listens on a Unix socket in
its data folder only, so it never collides with a Postgres already on port 5432.
"""

from __future__ import annotations

import atexit
import logging
import os
import subprocess
import warnings
from pathlib import Path
from typing import Any

from openconnector import settings

log = logging.getLogger(__name__)


def embedded_data_dir() -> Path:
    """Return the data folder of the embedded Postgres (under the project's state folder)."""
    return settings.state_dir() / "postgres"


def ensure_embedded_postgres(databases: tuple[str, ...] = (settings.CONTRACTS_DATABASE,)) -> dict[str, Any]:
    """Start the embedded Postgres if it is not running, create ``databases``, return connect kwargs.

    The returned dict has ``host`` (the socket folder), ``port``, ``user`` and ``dbname`` (the first of
    ``databases``) and can be passed to ``psycopg2.connect(**kwargs)``.
    """
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI); its fallback is fine.
        warnings.simplefilter("ignore")
        import pgserver  # only where the embedded server is actually wanted

    data_dir = embedded_data_dir()
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        server = pgserver.get_server(data_dir, cleanup_mode=None)
    # pgserver's exit hook only does reference bookkeeping for servers it would stop (we never let it)
    # and logs to streams that may already be closed at interpreter exit.
    atexit.unregister(server._cleanup)
    info = server.get_postmaster_info()
    params = {"host": str(info.socket_dir), "port": int(info.port or 5432), "user": "postgres"}
    _prepare(params, databases)
    log.info("Embedded Postgres is running with data in %s", data_dir)
    return {**params, "dbname": databases[0]}


def stop_embedded_postgres() -> bool:
    """Stop the embedded Postgres if it runs; return whether it was running."""
    data_dir = embedded_data_dir()
    if not (data_dir / "postmaster.pid").exists():
        return False
    from pgserver._commands import POSTGRES_BIN_PATH

    user = "pgserver" if os.geteuid() == 0 else None
    cmd = [str(POSTGRES_BIN_PATH / "pg_ctl"), "-D", str(data_dir), "-w", "-m", "fast", "stop"]
    if user:
        cmd = ["su", user, "-s", "/bin/sh", "-c", " ".join(cmd)]
    return subprocess.run(cmd, capture_output=True, check=False).returncode == 0


#: Settings the embedded server runs with, beyond Postgres's defaults. A first sync of a million
#: objects writes about 2 GB of WAL; with the default max_wal_size (1 GB) a checkpoint starts every
#: ~0.5 GB, each one flushing and fsyncing while the write runs and making the next page writes log
#: full pages again. 4 GB lets such a write finish between checkpoints.
EMBEDDED_SETTINGS: dict[str, str] = {"max_wal_size": "4GB"}


def _prepare(params: dict[str, Any], databases: tuple[str, ...]) -> None:
    """Apply ``EMBEDDED_SETTINGS`` where the server does not run with them yet; create ``databases``."""
    import psycopg2

    conn = psycopg2.connect(dbname="postgres", **params)
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            changed = False
            for name, value in EMBEDDED_SETTINGS.items():
                cur.execute("SELECT current_setting(%s)", (name,))
                if cur.fetchone()[0] != value:
                    cur.execute(f"ALTER SYSTEM SET {name} = %s", (value,))  # name: our constant, not input
                    changed = True
            if changed:
                cur.execute("SELECT pg_reload_conf()")
            for name in databases:
                cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
                if cur.fetchone() is None:
                    try:
                        cur.execute(f'CREATE DATABASE "{name}"')
                    except psycopg2.errors.DuplicateDatabase:
                        pass  # another task created it between our check and our CREATE
    finally:
        conn.close()
