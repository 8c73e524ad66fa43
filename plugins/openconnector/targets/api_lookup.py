"""Look an object up in an API target before creating it, so a create that may have happened is not repeated.

``GET <lookup.endpoint>?<lookup.query>`` (templates filled from the write) answers a list (found at
``resultsPosition``, ``auto`` by default) or a single object (``resultsPosition: _root``). No match, or
a 404, means "not there": create it. One match is adopted: its id (at ``idPath``) becomes the target id.
Several matches cannot be told apart: the object fails with a message that says so.
"""

from __future__ import annotations

from dataclasses import dataclass

from openconnector.core.paths import MISSING, get_path
from openconnector.errors import TargetError
from openconnector.sources.results import find_objects
from openconnector.spec.target import ApiLookup
from openconnector.targets.answers import answer_message
from openconnector.targets.base import WriteOutcome
from openconnector.targets.http import TargetHttp, parse_json
from openconnector.targets.templates import TemplateValues, render, render_all


@dataclass(frozen=True)
class Found:
    """The one object the lookup found."""

    target_id: str


def lookup(http: TargetHttp, config: ApiLookup, values: TemplateValues, origin_id: str) -> Found | WriteOutcome | None:
    """Return the object found, None when there is none, or a ``failed`` outcome saying why it is unclear."""
    endpoint = render(config.endpoint, values, field="target.lookup.endpoint", in_path=True)
    params = render_all(config.query, values, field="target.lookup.query")
    response = http.request("GET", endpoint, params=params)
    if response.status == 404:
        return None
    if response.status in (401, 407):
        raise TargetError(
            f"GET {http.display(response.url)}: {answer_message(response, http.masker)}. "
            f"The API refused the credentials of {http.connection.label}"
        )
    if not response.ok:
        return _failed(origin_id, f"lookup {answer_message(response, http.masker)}")
    matches = find_objects(parse_json(response), config.results_position)
    if matches is None:
        return _failed(
            origin_id,
            f"lookup: the answer of GET {http.display(response.url)} has no list at target.lookup.resultsPosition "
            f"{config.results_position!r}",
        )
    if not matches:
        return None
    if len(matches) > 1:
        return _failed(
            origin_id,
            f"lookup found {len(matches)} objects for origin {origin_id!r} at GET {http.display(response.url)}; "
            "cannot tell which one this synchronization created: remove the duplicates or narrow target.lookup.query",
        )
    found = get_path(matches[0], config.id_path)
    if found is MISSING or found is None or isinstance(found, (dict, list)):
        return _failed(origin_id, f"lookup: the object found has no id at target.lookup.idPath {config.id_path!r}")
    return Found(str(found))


def _failed(origin_id: str, message: str) -> WriteOutcome:
    return WriteOutcome(origin_id, "failed", None, message)
