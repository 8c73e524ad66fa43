"""Register the project with Airflow as a provider, so its connection type appears in the UI.

Airflow finds :func:`get_provider_info` through the ``apache_airflow_provider`` entry point of the
installed ``openconnector-airflow`` distribution. It must stay cheap and import no Airflow: Airflow
calls it while discovering providers in every component.
"""

from __future__ import annotations

from typing import Any

from openconnector.sources.fields_table import CONN_FIELDS, CONN_TYPE, UI_FIELD_BEHAVIOUR

PACKAGE_NAME = "openconnector-airflow"
SOURCE_HOOK = "openconnector.hooks.source.SourceHook"


def get_provider_info() -> dict[str, Any]:
    """Return the provider description Airflow reads: name, hooks and the source connection type."""
    return {
        "package-name": PACKAGE_NAME,
        "name": "OpenConnector",
        "description": "OpenConnector-style synchronizations: REST sources mapped into registers.",
        "hooks": [{"integration-name": "OpenConnector", "python-modules": ["openconnector.hooks.source"]}],
        "connection-types": [
            {
                "hook-class-name": SOURCE_HOOK,
                "hook-name": "OpenConnector source",
                "connection-type": CONN_TYPE,
                "conn-fields": CONN_FIELDS,
                "ui-field-behaviour": UI_FIELD_BEHAVIOUR,
            }
        ],
    }
