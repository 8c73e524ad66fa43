"""The contracts database as Airflow sees it: the ``openconnector_db`` connection, or the embedded one.

When no ``openconnector_db`` connection is configured the project starts its own embedded Postgres
(``openconnector.db.embedded``), so a first sync works on a machine with nothing installed.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import psycopg2
from airflow.sdk import BaseHook
from airflow.sdk.exceptions import AirflowNotFoundException

from openconnector import settings
from openconnector.db.embedded import ensure_embedded_postgres
from openconnector.db.store import Store

#: Session settings for the pipeline's set-based statements (hash joins over a million rows).
_SESSION_SETTINGS = "SET work_mem = '128MB'; SET maintenance_work_mem = '256MB'"


#: Connection extras passed to libpq, by name (never the whole extra dict: see house rules).
_ALLOWED_EXTRAS = ("sslmode", "sslrootcert", "sslcert", "sslkey", "connect_timeout", "application_name", "options")


def connect_kwargs(conn: Any) -> dict[str, Any]:
    """Turn an Airflow connection into psycopg2 keyword arguments (database = the connection's schema)."""
    kwargs = {
        "host": conn.host or "localhost",
        "port": conn.port or 5432,
        "user": conn.login or None,
        "password": conn.password or None,
        "dbname": conn.schema or settings.CONTRACTS_DATABASE,
    }
    extras = conn.extra_dejson or {}
    kwargs.update({key: extras[key] for key in _ALLOWED_EXTRAS if key in extras})
    return {key: value for key, value in kwargs.items() if value is not None}


class ContractsHook(BaseHook):
    """Open connections to the contracts database."""

    conn_name_attr = "contracts_conn_id"
    default_conn_name = settings.CONTRACTS_CONN_ID
    conn_type = "postgres"
    hook_name = "OpenConnector contracts database"

    def __init__(self, contracts_conn_id: str = settings.CONTRACTS_CONN_ID) -> None:
        super().__init__()
        self.contracts_conn_id = contracts_conn_id

    def get_conn(self) -> Any:
        """Return a new psycopg2 connection (the configured connection, else the embedded Postgres)."""
        try:
            airflow_conn = self.get_connection(self.contracts_conn_id)
        except AirflowNotFoundException:
            self.log.info("No %r connection: using the embedded Postgres", self.contracts_conn_id)
            conn = psycopg2.connect(**ensure_embedded_postgres())
        else:
            conn = psycopg2.connect(**connect_kwargs(airflow_conn))
        with conn.cursor() as cur:
            cur.execute(_SESSION_SETTINGS)
        conn.commit()
        return conn

    @contextlib.contextmanager
    def store(self) -> Iterator[Store]:
        """Yield a migrated ``Store``; roll back whatever is uncommitted and close on exit."""
        conn = self.get_conn()
        try:
            store = Store(conn, connect=self.get_conn)
            store.migrate()
            yield store
        finally:
            with contextlib.suppress(psycopg2.Error):
                conn.rollback()
            conn.close()
