"""Shared fixtures: a real Postgres for the contracts database, isolated include folders."""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg2
import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[1]

# Airflow reads its home at import time: give the test process a private one before anything imports
# airflow, so tests never touch ~/airflow or a developer's running installation.
os.environ.setdefault("AIRFLOW_HOME", tempfile.mkdtemp(prefix="openconnector-airflow-home-"))
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")


def _local_postgres() -> dict[str, Any] | None:
    """Return connect kwargs of the machine's Postgres on 127.0.0.1:5432 if it accepts us, else None."""
    if os.environ.get("OPENCONNECTOR_TEST_PG") == "embedded":
        return None
    params = {"host": "127.0.0.1", "port": 5432, "user": os.environ.get("PGUSER", "postgres")}
    try:
        psycopg2.connect(dbname="postgres", connect_timeout=3, **params).close()
    except psycopg2.Error:
        return None
    return params


@pytest.fixture(scope="session")
def state_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A private OPENCONNECTOR_HOME for the whole session (embedded Postgres, Airflow home)."""
    path = tmp_path_factory.mktemp("openconnector-home")
    previous = os.environ.get("OPENCONNECTOR_HOME")
    os.environ["OPENCONNECTOR_HOME"] = str(path)
    yield path
    from openconnector.db.embedded import stop_embedded_postgres

    stop_embedded_postgres()
    if previous is None:
        os.environ.pop("OPENCONNECTOR_HOME", None)
    else:
        os.environ["OPENCONNECTOR_HOME"] = previous


@pytest.fixture(scope="session")
def pg_server(state_dir: Path) -> dict[str, Any]:
    """Connect kwargs (without dbname) of a real Postgres: the local one when present, else embedded."""
    local = _local_postgres()
    if local is not None:
        return local
    from openconnector.db.embedded import ensure_embedded_postgres

    params = ensure_embedded_postgres(databases=("postgres",))
    params.pop("dbname")
    return params


@pytest.fixture(scope="session")
def contracts_db(pg_server: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """A fresh, migrated contracts database for this test session; dropped at the end."""
    name = f"oc_test_{uuid.uuid4().hex[:10]}"
    admin = psycopg2.connect(dbname="postgres", **pg_server)
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    params = {**pg_server, "dbname": name}
    from openconnector.db.store import Store

    conn = psycopg2.connect(**params)
    Store(conn).migrate()
    conn.close()
    yield params
    with admin.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


@pytest.fixture
def store(contracts_db: dict[str, Any]) -> Iterator[Any]:
    """A Store on the session's contracts database (each test uses its own synchronization ids)."""
    from openconnector.db.store import Store

    conn = psycopg2.connect(**contracts_db)
    yield Store(conn, connect=lambda: psycopg2.connect(**contracts_db))
    conn.rollback()
    conn.close()


@pytest.fixture
def include_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private copy of include/ (specs, mappings, registers) that a test may edit freely."""
    target = tmp_path / "include"
    shutil.copytree(PROJECT_ROOT / "include", target)
    monkeypatch.setenv("OPENCONNECTOR_INCLUDE_DIR", str(target))
    return target
