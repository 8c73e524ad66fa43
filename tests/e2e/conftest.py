"""One real Airflow for the whole end-to-end session, and one demo source per scenario.

Each scenario gets its own synchronization (spec, source server, connection), so scenarios never
see each other's contracts. Specs are written before Airflow starts, so the DAG processor finds them
on its first pass.
"""

from __future__ import annotations

import json
import shutil
import socket
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg2
import pytest

from devkit.airflow_env import LocalAirflow
from devkit.demo_source import DemoSource
from openconnector.db.store import Store

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ("lifecycle", "mapping_edit", "test_run", "failure", "window")
COUNT = 120
PAGE_SIZE = 25

SPEC = """
id: e2e_{name}
name: End-to-end {name}
source:
  connection: e2e_{name}
  endpoint: /api/companies
  query: {{pageSize: {page_size}}}
  resultsPosition: data.items
  idPosition: id
  pagination: {{type: pageNumber, param: page, totalPagesPath: meta.pages}}
mapping: e2e_{name}.jsonata
target: {{type: register, register: demo, schema: company}}
retries: 0
"""

# A daily synchronization whose runs read only their data interval (the demo source ignores the
# parameter; the test checks every run asked for its own window and deleted nothing).
WINDOW_EXTRA = """
schedule: "@daily"
startDate: 2026-01-01
source:
  connection: e2e_window
  endpoint: /api/companies
  query: {{pageSize: {page_size}}}
  resultsPosition: data.items
  pagination: {{type: pageNumber, param: page, totalPagesPath: meta.pages}}
  incremental:
    query: {{updatedSince: "{{{{ data_interval_start | ts }}}}", updatedBefore: "{{{{ data_interval_end | ts }}}}"}}
"""


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
    for name in SCENARIOS:
        text = textwrap.dedent(SPEC.format(name=name, page_size=PAGE_SIZE))
        if name == "window":
            text = _without_source(text) + textwrap.dedent(WINDOW_EXTRA.format(page_size=PAGE_SIZE))
        (include / "synchronizations" / f"e2e_{name}.yaml").write_text(text)
        shutil.copy(PROJECT_ROOT / "include" / "mappings" / "demo_companies.jsonata",
                    include / "mappings" / f"e2e_{name}.jsonata")
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


@pytest.fixture(scope="session")
def airflow(
    e2e_include: Path, sources: dict[str, DemoSource], contracts_db: dict[str, Any], state_dir: Path
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


def _without_source(spec_text: str) -> str:
    lines, skipping = [], False
    for line in spec_text.splitlines():
        if line.startswith("source:"):
            skipping = True
            continue
        if skipping and line.startswith("  "):
            continue
        skipping = False
        lines.append(line)
    return "\n".join(lines) + "\n"


def _postgres_connection(params: dict[str, Any]) -> dict[str, Any]:
    return {"conn_type": "postgres", "host": params["host"], "port": params["port"],
            "login": params["user"], "schema": params["dbname"]}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
