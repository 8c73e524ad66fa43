"""Read objects from REST sources: authentication, paging, retries, rate limits, enrichment. No Airflow here.

The fetch stage uses three names::

    from openconnector.sources import SourceClient, SourceConnection, Page

    with SourceClient(spec.source, connection, incremental=windowed) as client:
        for page in client.pages():
            stage(page.objects)
        log.info("fetched: %s", client.stats)
"""

from __future__ import annotations

from openconnector.errors import SourceError, SourceUnavailable
from openconnector.sources.client import Page, SourceClient
from openconnector.sources.connection import (
    ApiKeyAuth,
    AuthConfig,
    BasicAuth,
    BearerAuth,
    JwtAuth,
    NoAuth,
    OAuth2Auth,
    RequestBudget,
    RetryPolicy,
    SourceConnection,
    TlsConfig,
)
from openconnector.sources.results import extract_id

__all__ = [
    "ApiKeyAuth",
    "AuthConfig",
    "BasicAuth",
    "BearerAuth",
    "JwtAuth",
    "NoAuth",
    "OAuth2Auth",
    "Page",
    "RequestBudget",
    "RetryPolicy",
    "SourceClient",
    "SourceConnection",
    "SourceError",
    "SourceUnavailable",
    "TlsConfig",
    "extract_id",
]
