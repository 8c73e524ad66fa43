"""The Airflow side of an HTTP target: read the connection by name and build the target with it.

Targets use the same ``openconnector_source`` connection type as sources (base URL in Host,
credentials in Login/Password, ``auth_type``, TLS and retry extras): for OpenRegister that is the
Nextcloud URL with a user and app password (basic) or an app token (``auth_type: bearer``). Specs only
name the connection; credentials stay in Airflow's connection store.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseHook
from airflow.sdk.log import mask_secret

from openconnector.errors import SourceError, TargetError
from openconnector.hooks.source import SourceHook
from openconnector.sources.fields import CONN_TYPE
from openconnector.targets import make_target

if TYPE_CHECKING:
    from openconnector.sources.connection import SourceConnection


class TargetHook(BaseHook):
    """Read an OpenConnector connection and build HTTP targets that write through it.

    :param target_conn_id: id of the Airflow connection holding base URL and credentials.
    """

    conn_name_attr = "target_conn_id"
    default_conn_name = "openconnector_target_default"
    conn_type = CONN_TYPE
    hook_name = "OpenConnector target"

    def __init__(self, target_conn_id: str = default_conn_name, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.target_conn_id = target_conn_id
        self._source_hook = SourceHook(target_conn_id)

    def get_conn(self) -> SourceConnection:
        """Return the connection (read once per hook); a bad connection is a ``TargetError``."""
        try:
            return self._source_hook.get_conn()
        except SourceError as exc:
            raise TargetError(str(exc)) from None

    def get_target(self, spec: Any, *, synchronization_id: str = "") -> Any:
        """Return the target of a spec's ``target`` section, able to write through this connection.

        Every secret the target holds or obtains is registered with Airflow's secrets masker.
        """
        return make_target(
            spec, connection=self.get_conn(), on_secret=mask_secret, synchronization_id=synchronization_id
        )

    def test_connection(self) -> tuple[bool, str]:
        """Send one authenticated GET to the base URL (the UI's Test button); report the outcome."""
        return self._source_hook.test_connection()
