"""The client against a REST server this project did not write: npm ``json-server`` 0.17.4.

json-server pages with its own parameters (``_page``/``_limit``, or ``_start``/``_limit``) and an
RFC 8288 ``Link`` header, and counts in ``X-Total-Count``. It runs offline on loopback once npm has
it in its cache. Without ``npx`` (or when the package cannot be fetched) the tests skip and say why.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.servers.helpers import connection, fetch_all, source_spec

PACKAGE = "json-server@0.17.4"
COUNT = 53


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_up(url: str, process: subprocess.Popen[bytes], deadline: float) -> str | None:
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return f"json-server exited with {process.returncode}: {process.stdout.read().decode()[-500:]}"  # type: ignore[union-attr]
        try:
            requests.get(url, timeout=1)
            return None
        except requests.ConnectionError:
            time.sleep(0.2)
    return "json-server did not answer within 90 s"


@pytest.fixture(scope="module")
def json_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Start json-server on a free port with COUNT companies; yield its base URL."""
    npx = shutil.which("npx")
    if npx is None:
        pytest.skip("npx (Node.js) is not installed; install nodejs and npm to run the json-server tests")
    folder: Path = tmp_path_factory.mktemp("json-server")
    companies = [{"id": i, "name": f"Company {i}", "city": ("Utrecht", "Delft")[i % 2]} for i in range(1, COUNT + 1)]
    (folder / "db.json").write_text(json.dumps({"companies": companies}))
    port = _free_port()
    command = [npx, "--yes", PACKAGE, "--host", "127.0.0.1", "--port", str(port), "--quiet", "db.json"]
    process = subprocess.Popen(
        command, cwd=folder, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True
    )
    url = f"http://127.0.0.1:{port}"
    problem = _wait_until_up(url, process, time.monotonic() + 90)
    try:
        if problem:
            pytest.skip(f"{PACKAGE} could not be started ({' '.join(command)}): {problem}")
        yield url
    finally:
        # npx runs node as a child: end the whole process group we started, by its id.
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)


PAGINGS: list[tuple[dict[str, Any], dict[str, Any]]] = [
    ({"type": "linkHeader"}, {"_page": 1, "_limit": 10}),
    ({"type": "auto"}, {"_page": 1, "_limit": 10}),
    ({"type": "pageNumber", "param": "_page", "pageSize": 10, "pageSizeParam": "_limit"}, {}),
    ({"type": "offset", "offsetParam": "_start", "limitParam": "_limit", "limit": 10}, {}),
]


@pytest.mark.parametrize(("pagination", "query"), PAGINGS, ids=[p["type"] for p, _ in PAGINGS])
def test_json_server_every_object_once(json_server: str, pagination: dict[str, Any], query: dict[str, Any]) -> None:
    spec = source_spec(endpoint="/companies", query=query, pagination=pagination, resultsPosition="_root")
    objects, stats = fetch_all(spec, connection(json_server))
    assert sorted(obj["id"] for obj in objects) == list(range(1, COUNT + 1))
    assert stats["pages"] in (6, 7)  # 6 pages of data; page-number and offset paging also read the empty 7th


def test_json_server_filter_in_the_endpoint_survives_paging(json_server: str) -> None:
    spec = source_spec(
        endpoint="/companies?city=Delft",
        query={"_page": 1, "_limit": 10},
        pagination={"type": "linkHeader"},
        resultsPosition="_root",
    )
    objects, _ = fetch_all(spec, connection(json_server))
    assert len(objects) == (COUNT + 1) // 2
    assert all(obj["city"] == "Delft" for obj in objects)
