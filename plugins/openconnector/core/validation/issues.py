"""One validation problem, and the Opis-style error map OpenRegister puts in its 400 bodies."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ValidationIssue:
    """One reason an object does not pass its schema.

    ``path`` is the JSON pointer of the data ("/" for the object itself, "/address/country" below it),
    ``keyword`` the JSON-Schema keyword that failed and ``message`` OpenRegister's text for it.
    ``opis_message`` is the raw Opis message that OpenRegister lists per path in the ``errors`` map of a
    PUT/PATCH 400 body. ``opis_reported`` is False for problems Opis would not report because an earlier
    keyword of the same schema already failed (Opis stops at the first failing keyword per schema);
    they are still returned, after the reported ones, because they help whoever fixes the data.
    """

    path: str
    keyword: str
    message: str
    opis_message: str = ""
    opis_reported: bool = True


def opis_error_map(issues: list[ValidationIssue]) -> dict[str, list[str]]:
    """Group the reported issues by data path with their raw Opis messages: ``{"/name": ["..."]}``.

    This is the inner ``errors`` object of OpenRegister's structured 400 body
    (``{"status":"error","message":"Validation failed","errors":[{"property":null,"message":...,"errors":<this>}]}``).
    """
    grouped: dict[str, list[str]] = {}
    for issue in issues:
        if issue.opis_reported:
            grouped.setdefault(issue.path, []).append(issue.opis_message or issue.message)
    return grouped
