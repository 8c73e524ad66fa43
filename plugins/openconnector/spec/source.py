"""The ``source`` section of a spec: which endpoint to read, how to page, where the objects are.

Authentication is deliberately absent: it lives in the Airflow connection named by ``connection``,
so no secret ever sits in a spec file.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, field_validator

from openconnector.spec.base import Spec

#: ``resultsPosition`` values that mean "the whole body" (OpenConnector accepts both).
ROOT_POSITIONS = ("_root", "_object")
AUTO_POSITION = "auto"


class _PaginationBase(Spec):
    max_pages: int | None = Field(
        default=None,
        ge=1,
        description="Fail the fetch (never truncate) when more pages than this would be read.",
    )


class NoPagination(_PaginationBase):
    """One request returns every object."""

    type: Literal["none"]


class AutoPagination(_PaginationBase):
    """Follow a next link (body ``next``/``links.next``/``@odata.nextLink`` or a ``Link`` header) if any."""

    type: Literal["auto"] = "auto"


class PageNumberPagination(_PaginationBase):
    """``?page=N`` style: OpenConnector's ``paginationQuery``."""

    type: Literal["pageNumber"]
    param: str = "page"
    first_page: int = 1
    page_size: int | None = Field(default=None, ge=1)
    page_size_param: str | None = None
    total_pages_path: str | None = None


class OffsetPagination(_PaginationBase):
    """``?offset=N&limit=M`` style."""

    type: Literal["offset"]
    offset_param: str = "offset"
    limit_param: str = "limit"
    limit: int = Field(default=100, ge=1)
    total_path: str | None = None


class CursorPagination(_PaginationBase):
    """A cursor read from the body and sent back as a query parameter."""

    type: Literal["cursor"]
    cursor_path: str
    cursor_param: str


class NextLinkPagination(_PaginationBase):
    """A next-page URL read from the body at ``nextPath``."""

    type: Literal["nextLink"]
    next_path: str = "next"


class LinkHeaderPagination(_PaginationBase):
    """An RFC 8288 ``Link: <...>; rel="next"`` response header."""

    type: Literal["linkHeader"]
    rel: str = "next"


Pagination = Annotated[
    AutoPagination
    | NoPagination
    | PageNumberPagination
    | OffsetPagination
    | CursorPagination
    | NextLinkPagination
    | LinkHeaderPagination,
    Field(discriminator="type"),
]


class IncrementalSpec(Spec):
    """Request parts added only to windowed (non-forced) runs, usually templated with the data interval.

    A run that uses them reads a window of the source, so it never deletes anything.
    """

    query: dict[str, str] = Field(default_factory=dict)
    headers: dict[str, str] = Field(default_factory=dict)


class EnrichSpec(Spec):
    """A per-object detail request whose JSON answer is merged into the object before conditions and mapping."""

    endpoint: str = Field(description="Template such as '/companies/{id}'; {path} is read from the object.")
    merge_into: str | None = Field(default=None, description="Key to put the answer under; merged at top level if unset.")
    concurrency: int = Field(default=4, ge=1, le=64)
    results_position: str = Field(
        default="_root", description="Where the detail object is in the answer: '_root' or a dot path such as 'data'."
    )
    query: dict[str, str] = Field(
        default_factory=dict, description="Query parameters of the detail request (the list query is not sent)."
    )


class SourceSpec(Spec):
    """Where and how to read the source objects."""

    connection: str = Field(min_length=1, description="Airflow connection id: base URL and authentication.")
    endpoint: str = ""
    method: Literal["GET", "POST"] = "GET"
    query: dict[str, str | int | float | bool] = Field(default_factory=dict)
    headers: dict[str, str] = Field(default_factory=dict)
    body: Any = None
    results_position: str = AUTO_POSITION
    id_position: str = "id"
    pagination: Pagination = Field(default_factory=AutoPagination)
    timeout: float = Field(default=30.0, gt=0)
    incremental: IncrementalSpec | None = None
    enrich: EnrichSpec | None = None
    pool: str | None = Field(default=None, description="Airflow pool for the fetch task; default: the default pool.")

    @field_validator("id_position", "results_position")
    @classmethod
    def _not_empty(cls, value: str) -> str:
        if not value:
            raise ValueError("must not be empty; use '_root' for the whole body")
        return value
