"""The Airflow side of a source: read the connection by name and build the source client.

The connection type ``openconnector_source`` (registered by ``openconnector.provider``) shows the
authentication, TLS and retry fields in the Airflow UI. Specs only name the connection; credentials
stay in Airflow's connection store and reach no spec, XCom or log.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseHook
from airflow.sdk.log import mask_secret

from openconnector.errors import SourceError
from openconnector.sources import SourceClient, SourceConnection
from openconnector.sources.client import probe
from openconnector.sources.fields import CONN_TYPE, build_connection

if TYPE_CHECKING:
    from openconnector.spec.source import SourceSpec


class SourceHook(BaseHook):
    """Read an OpenConnector source connection and create clients for it.

    :param source_conn_id: id of the Airflow connection holding base URL and credentials.
    """

    conn_name_attr = "source_conn_id"
    default_conn_name = "openconnector_source_default"
    conn_type = CONN_TYPE
    hook_name = "OpenConnector source"

    def __init__(self, source_conn_id: str = default_conn_name, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.source_conn_id = source_conn_id
        self._connection: SourceConnection | None = None

    def get_conn(self) -> SourceConnection:
        """Return the source connection (read once per hook)."""
        if self._connection is None:
            conn = self.get_connection(self.source_conn_id)
            self._connection = build_connection(
                conn.conn_id,
                conn_type=conn.conn_type,
                host=conn.host,
                schema=conn.schema,
                port=conn.port,
                login=conn.login,
                password=conn.password,
                extra=conn.extra_dejson,
            )
        return self._connection

    def get_client(self, spec: SourceSpec, *, incremental: bool = False, prefetch: int = 1) -> SourceClient:
        """Return a client for a (rendered) source spec; close it, or use it as a context manager.

        Every secret the client holds or obtains (OAuth2 tokens, signed JWTs) is registered with
        Airflow's secrets masker, so no task log line can show it.
        """
        return SourceClient(spec, self.get_conn(), incremental=incremental, prefetch=prefetch, on_secret=mask_secret)

    def test_connection(self) -> tuple[bool, str]:
        """Send one authenticated GET to the base URL (the UI's Test button); report the outcome."""
        try:
            return True, probe(self.get_conn())
        except SourceError as exc:
            return False, str(exc)
