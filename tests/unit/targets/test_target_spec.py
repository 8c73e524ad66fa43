"""The target section of a spec: valid shapes, defaults, and errors that name the field and what is accepted."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from openconnector.errors import SpecError
from openconnector.spec.loader import load_spec
from openconnector.spec.target import ApiTarget, OpenRegisterTarget

BASE = {
    "id": "companies",
    "source": {"connection": "src", "endpoint": "/companies"},
}


def load(tmp_path: Path, target: dict[str, Any]) -> Any:
    path = tmp_path / "companies.yaml"
    path.write_text(yaml.safe_dump({**BASE, "target": target}))
    return load_spec(path, check_references=False).target


def test_openregister_target_with_defaults(tmp_path: Path) -> None:
    target = load(tmp_path, {"type": "openregister", "connection": "or", "register": 3, "schema": "company"})
    assert isinstance(target, OpenRegisterTarget)
    assert (target.register_ref, target.schema_ref) == ("3", "company")
    assert (target.bulk, target.batch_size, target.concurrency) == (False, 100, 4)
    assert target.api_path == "/index.php/apps/openregister/api"


def test_api_target_defaults_follow_openconnector(tmp_path: Path) -> None:
    target = load(tmp_path, {"type": "api", "connection": "crm", "create": {"endpoint": "/companies/"}})
    assert isinstance(target, ApiTarget)
    assert (target.create.method, target.create.id_path) == ("POST", "id")
    assert (target.update.endpoint, target.update.method) == ("/companies/{targetId}", "PUT")
    assert (target.delete.endpoint, target.delete.method) == ("/companies/{targetId}", "DELETE")
    assert target.client_ids is False
    assert target.lookup is None
    assert target.idempotency_key is None


def test_api_target_full_shape(tmp_path: Path) -> None:
    target = load(
        tmp_path,
        {
            "type": "api", "connection": "crm", "batchSize": 50, "concurrency": 8,
            "create": {"endpoint": "/companies", "idPath": "data.id", "mapping": "crm_create.jsonata"},
            "update": {"endpoint": "/companies/{targetId}", "method": "PATCH"},
            "delete": {"endpoint": "/companies/{targetId}/archive", "method": "POST"},
            "lookup": {"endpoint": "/companies", "query": {"externalId": "{originId}"}, "when": "always"},
            "idempotencyKey": {"header": "X-Request-Id"},
        },
    )  # fmt: skip
    assert target.create.mapping.file == "crm_create.jsonata"
    assert target.lookup.query == {"externalId": "{originId}"}
    assert (target.idempotency_key.header, target.idempotency_key.value) == ("X-Request-Id", "{targetId}")


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ({"type": "rest"}, "target.type: 'rest' is not accepted; accepted: 'register', 'openregister', 'api'"),
        ({"type": "openregister", "register": "d", "schema": "c"}, "target.connection: is required"),
        (
            {"type": "openregister", "connection": "c", "register": "d", "schema": "c", "batchsize": 5},
            "target.batchsize: unknown field; did you mean 'batchSize'?",
        ),
        (
            {"type": "openregister", "connection": "c", "register": "d", "schema": "c", "concurrency": 0},
            "target.concurrency: Input should be greater than or equal to 1",
        ),
        (
            {"type": "openregister", "connection": "c", "register": "d", "schema": "c", "apiPath": "api"},
            "target.apiPath: must start with '/'",
        ),
        (
            {"type": "api", "connection": "c", "create": {"endpoint": "/x", "method": "GET"}},
            "target.create.method: Input should be 'POST', 'PUT' or 'PATCH'",
        ),
        (
            {"type": "api", "connection": "c", "create": {"endpoint": "/x"}, "update": {"endpoint": "/x"}},
            "target.update.endpoint: must contain a placeholder such as {targetId}",
        ),
        (
            {
                "type": "api",
                "connection": "c",
                "create": {"endpoint": "/x"},
                "lookup": {"endpoint": "/x", "when": "never"},
            },
            "target.lookup.when: Input should be 'pending' or 'always'",
        ),
        (
            {"type": "api", "connection": "c", "create": {"endpoint": "/x/{id"}},
            "target.create.endpoint: has unbalanced braces",
        ),
    ],
)
def test_errors_name_the_field_and_the_accepted_values(tmp_path: Path, target: dict[str, Any], message: str) -> None:
    with pytest.raises(SpecError) as error:
        load(tmp_path, target)
    assert message in str(error.value)
