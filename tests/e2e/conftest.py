"""One real Airflow for the whole end-to-end session, and one demo source per scenario.

Each scenario gets its own synchronization (spec, source server, connection), so scenarios never
see each other's contracts. Specs are written before Airflow starts, so the DAG processor finds them
on its first pass.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import textwrap
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg2
import pytest
import requests

from devkit.airflow_env import LocalAirflow
from devkit.demo_source import DemoSource
from devkit.openregister_server import OpenRegisterServer
from devkit.records import make_record
from openconnector.db.store import Store
from tests.integration.targets.crm_api import CrmApi

PROJECT_ROOT = Path(__file__).resolve().parents[2]
COUNT = 120
PAGE_SIZE = 25
OR_AUTH = ("sync-user", "app-password-12345")

# Each scenario: one synchronization with its own demo source; the values replace parts of SPEC.
REGISTER = "{type: register, register: demo, schema: company}"
SCENARIOS: dict[str, dict[str, str]] = {
    "lifecycle": {},
    "mapping_edit": {},
    "test_run": {},
    "failure": {},
    # A daily synchronization whose runs read only their data interval (the demo source ignores the
    # parameters; the test checks every run asked for its own window and deleted nothing).
    "window": {
        "extra": 'schedule: "@daily"\nstartDate: 2026-01-01\n',
        "incremental": '  incremental:\n    query: {updatedSince: "{{ data_interval_start | ts }}", '
                       'updatedBefore: "{{ data_interval_end | ts }}"}\n',
    },
    # The same synchronization into the built-in store and into an OpenRegister over HTTP.
    "store_twin": {},
    "or_twin": {"target": "{type: openregister, connection: e2e_openregister, register: demo, schema: company, "
                          "batchSize: 40, concurrency: 4}"},
    "or_crash": {"target": "{type: openregister, connection: e2e_openregister_fast, register: demo, "
                           "schema: company, batchSize: 40, concurrency: 1}"},
    # A generic REST API that assigns its own ids (POST-only creates), found again by a lookup.
    "api": {"target": "{type: api, connection: e2e_crm, batchSize: 30, concurrency: 4, "
                      "create: {endpoint: /companies, idPath: id}, "
                      "lookup: {endpoint: /companies, query: {externalId: '{originId}'}, idPath: id}}",
            "mapping_wrap": '$merge([({mapping}), {{"externalId": $originId}}])'},
}

SPEC = """\
id: e2e_{name}
name: End-to-end {name}
source:
  connection: e2e_{name}
  endpoint: /api/companies
  query: {{pageSize: {page_size}}}
  resultsPosition: data.items
  idPosition: id
  pagination: {{type: pageNumber, param: page, totalPagesPath: meta.pages}}
{incremental}mapping: e2e_{name}.jsonata
target: {target}
retries: 0
{extra}"""


def spec_text(name: str) -> str:
    """Return the spec file of one scenario."""
    parts = SCENARIOS[name]
    return SPEC.format(name=name, page_size=PAGE_SIZE, target=parts.get("target", REGISTER),
                       incremental=parts.get("incremental", ""), extra=parts.get("extra", ""))


@dataclass
class Scenario:
    """One synchronization under test: its id, DAG, source server and include folder."""

    name: str
    source: DemoSource
    include: Path

    @property
    def sync_id(self) -> str:
        return f"e2e_{self.name}"

    @property
    def dag_id(self) -> str:
        return f"sync_e2e_{self.name}"

    @property
    def mapping_file(self) -> Path:
        return self.include / "mappings" / f"e2e_{self.name}.jsonata"


@pytest.fixture(scope="session")
def e2e_include(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An include folder with the demo register and one spec + mapping per scenario, plus a broken spec."""
    include = tmp_path_factory.mktemp("e2e") / "include"
    (include / "synchronizations").mkdir(parents=True)
    shutil.copytree(PROJECT_ROOT / "include" / "registers", include / "registers")
    shutil.copytree(PROJECT_ROOT / "include" / "mappings", include / "mappings")
    mapping = (PROJECT_ROOT / "include" / "mappings" / "demo_companies.jsonata").read_text()
    for name, parts in SCENARIOS.items():
        (include / "synchronizations" / f"e2e_{name}.yaml").write_text(spec_text(name))
        wrap = parts.get("mapping_wrap", "{mapping}")
        (include / "mappings" / f"e2e_{name}.jsonata").write_text(wrap.format(mapping=mapping))
    (include / "synchronizations" / "e2e_json_server.yaml").write_text(textwrap.dedent(JSON_SERVER_SPEC))
    (include / "synchronizations" / "e2e_broken.yaml").write_text(
        "source: {connection: x, pagination: {type: pagenumber}}\n"
        "target: {type: register, register: demo, schema: company}\n"
    )
    return include


@pytest.fixture(scope="session")
def sources() -> Iterator[dict[str, DemoSource]]:
    """A started demo source per scenario."""
    servers = {name: DemoSource(count=COUNT, page_size=PAGE_SIZE, seed=7).start() for name in SCENARIOS}
    yield servers
    for server in servers.values():
        server.stop()


JSON_SERVER = "json-server@0.17.4"
JSON_SERVER_COUNT = 57
JSON_SERVER_SPEC = """
id: e2e_json_server
source:
  connection: e2e_json_server
  endpoint: /companies
  query: {_page: 1, _limit: 10}
  resultsPosition: _root
  pagination: {type: linkHeader}
mapping: demo_companies.jsonata
target: {type: register, register: demo, schema: company}
retries: 0
"""


@pytest.fixture(scope="session")
def json_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str | None]:
    """npm's json-server (a REST server this project did not write) serving demo records; None without npx."""
    npx = shutil.which("npx")
    if npx is None:
        yield None
        return
    folder = tmp_path_factory.mktemp("json-server")
    (folder / "db.json").write_text(json.dumps({"companies": [make_record(i, seed=11) for i in range(JSON_SERVER_COUNT)]}))
    port = _free_port()
    command = [npx, "--yes", JSON_SERVER, "--host", "127.0.0.1", "--port", str(port), "--quiet", "db.json"]
    process = subprocess.Popen(command, cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        try:
            requests.get(f"{url}/companies?_limit=1", timeout=1)
            break
        except requests.ConnectionError:
            time.sleep(0.5)
    ready = process.poll() is None and time.monotonic() < deadline
    try:
        yield url if ready else None
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)  # npx runs node as a child: end the whole group
        process.wait(timeout=10)


@pytest.fixture(scope="session")
def openregister() -> Iterator[OpenRegisterServer]:
    """A local OpenRegister-compatible server holding the demo register (Basic auth, app password)."""
    with OpenRegisterServer(PROJECT_ROOT / "include" / "registers", auth=OR_AUTH) as server:
        yield server


@pytest.fixture(scope="session")
def crm() -> Iterator[CrmApi]:
    """A generic REST API that assigns its own ids."""
    api = CrmApi().start()
    yield api
    api.stop()


@pytest.fixture(scope="session")
def airflow(
    e2e_include: Path, sources: dict[str, DemoSource], contracts_db: dict[str, Any], state_dir: Path,
    json_server: str | None, openregister: OpenRegisterServer, crm: CrmApi,
) -> Iterator[LocalAirflow]:
    """A running Airflow (API server, scheduler, DAG processor) over the e2e include folder."""
    env = {
        "OPENCONNECTOR_INCLUDE_DIR": str(e2e_include),
        "AIRFLOW_CONN_OPENCONNECTOR_DB": json.dumps(_postgres_connection(contracts_db)),
        **{
            f"AIRFLOW_CONN_E2E_{name.upper()}": json.dumps(
                {"conn_type": "openconnector_source", "host": server.url, "extra": {"auth_type": "none"}}
            )
            for name, server in sources.items()
        },
        "AIRFLOW_CONN_E2E_OPENREGISTER": json.dumps({
            "conn_type": "openconnector_source", "host": openregister.url, "login": OR_AUTH[0],
            "password": OR_AUTH[1], "extra": {"auth_type": "basic"},
        }),
        # The same server, with short client retries: a test takes it down on purpose.
        "AIRFLOW_CONN_E2E_OPENREGISTER_FAST": json.dumps({
            "conn_type": "openconnector_source", "host": openregister.url, "login": OR_AUTH[0],
            "password": OR_AUTH[1],
            "extra": {"auth_type": "basic", "max_attempts": 2, "backoff_factor": 0.05},
        }),
        "AIRFLOW_CONN_E2E_CRM": json.dumps({"conn_type": "openconnector_source", "host": crm.url,
                                            "extra": {"auth_type": "none"}}),
        "AIRFLOW_CONN_E2E_JSON_SERVER": json.dumps(
            {"conn_type": "openconnector_source", "host": json_server or "http://127.0.0.1:9", "extra": {"auth_type": "none"}}
        ),
    }
    local = LocalAirflow(home=state_dir / "airflow", port=_free_port(), env_extra=env,
                         components=("api-server", "scheduler", "dag-processor"))
    local.start()
    try:
        yield local
    finally:
        local.stop()


@pytest.fixture
def scenario(request: pytest.FixtureRequest, airflow: LocalAirflow, sources: dict[str, DemoSource],
             e2e_include: Path) -> Scenario:
    """The scenario named by the test's ``scenario_name`` marker argument, with its DAG parsed."""
    name = request.node.get_closest_marker("scenario").args[0]
    case = Scenario(name, sources[name], e2e_include)
    airflow.wait_for_dag(case.dag_id)
    return case


@pytest.fixture
def db(contracts_db: dict[str, Any]) -> Iterator[Store]:
    """A Store on the contracts database the Airflow tasks write to (autocommit: always fresh reads)."""
    conn = psycopg2.connect(**contracts_db)
    conn.autocommit = True
    yield Store(conn)
    conn.close()


def _postgres_connection(params: dict[str, Any]) -> dict[str, Any]:
    return {"conn_type": "postgres", "host": params["host"], "port": params["port"],
            "login": params["user"], "schema": params["dbname"]}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
