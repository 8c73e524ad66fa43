"""A real, local Airflow for the demo, the end-to-end tests and the benchmark.

It runs the same components a deployment runs (API server, scheduler, DAG processor, triggerer)
with the LocalExecutor, the project's ``dags/`` and ``plugins/``, and the embedded Postgres for
Airflow's own metadata. All processes share one process group, so ``stop()`` ends every one of them
(scheduler workers included) and nothing outlives the caller.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
import yaml

from openconnector import settings
from openconnector.db.embedded import ensure_embedded_postgres

COMPONENTS = ("api-server", "scheduler", "dag-processor", "triggerer")
ADMIN_USER, ADMIN_PASSWORD = "admin", "admin"
TERMINAL_STATES = {"success", "failed"}


@dataclass
class LocalAirflow:
    """One local Airflow installation under ``home`` (``<state>/airflow``), started on demand."""

    home: Path = field(default_factory=lambda: settings.state_dir() / "airflow")
    port: int = 8080
    parallelism: int = 4
    env_extra: dict[str, str] = field(default_factory=dict)
    components: tuple[str, ...] = COMPONENTS
    _process: subprocess.Popen[bytes] | None = None
    _token: str | None = None

    @property
    def url(self) -> str:
        """Return the base URL of the API server (and web UI)."""
        return f"http://127.0.0.1:{self.port}"

    # --- setup --------------------------------------------------------------------------------------

    def environment(self) -> dict[str, str]:
        """Return the environment every Airflow process of this installation runs with."""
        pg = ensure_embedded_postgres(databases=("airflow", settings.CONTRACTS_DATABASE))
        venv_bin = str(Path(sys.executable).parent)
        env = {
            **os.environ,
            "PATH": f"{venv_bin}{os.pathsep}{os.environ.get('PATH', '')}",
            "AIRFLOW_HOME": str(self.home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(settings.PROJECT_ROOT / "dags"),
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(settings.PROJECT_ROOT / "plugins"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
            "AIRFLOW__CORE__PARALLELISM": str(self.parallelism),
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",  # trigger() unpauses what it runs
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{ADMIN_USER}:admin",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(self.home / "passwords.json"),
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{self.url}/execution/",
            "AIRFLOW__API__PORT": str(self.port),
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API__BASE_URL": self.url,
            "AIRFLOW__API_AUTH__JWT_SECRET": self._secret("jwt_secret"),
            "AIRFLOW__API__SECRET_KEY": self._secret("api_secret"),
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": (
                f"postgresql+psycopg2://{pg['user']}@/airflow?host={pg['host']}&port={pg['port']}"
            ),
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
            "AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK": "True",
            "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
            "OPENCONNECTOR_HOME": str(settings.state_dir()),
            **settings_connections(),
            **self.env_extra,
        }
        return env

    def _secret(self, name: str) -> str:
        path = self.home / f".{name}"
        if not path.exists():
            self.home.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(32))
        return path.read_text().strip()

    def prepare(self) -> None:
        """Create the home, the admin password, and migrate Airflow's metadata database."""
        self.home.mkdir(parents=True, exist_ok=True)
        (self.home / "passwords.json").write_text(json.dumps({ADMIN_USER: ADMIN_PASSWORD}))
        self._airflow("db", "migrate")
        for pool in settings_pools():
            self._airflow("pools", "set", pool["pool_name"], str(pool["pool_slot"]), pool.get("pool_description", ""))

    def _airflow(self, *args: str) -> None:
        result = subprocess.run(
            [str(Path(sys.executable).parent / "airflow"), *args], env=self.environment(),
            capture_output=True, text=True, check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(f"airflow {' '.join(args)} failed:\n{result.stdout[-2000:]}\n{result.stderr[-3000:]}")

    # --- processes ----------------------------------------------------------------------------------

    def start(self, timeout: float = 180) -> LocalAirflow:
        """Start every component in one new process group and wait until the API answers."""
        self.prepare()
        logs = self.home / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        airflow = Path(sys.executable).parent / "airflow"
        script = " & ".join(f'"{airflow}" {name} > "{logs}/{name}.log" 2>&1' for name in self.components)
        self._process = subprocess.Popen(
            ["/bin/sh", "-c", f"{script} & wait"], env=self.environment(), start_new_session=True,
        )
        self._wait_healthy(timeout)
        return self

    def _wait_healthy(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                raise RuntimeError(f"Airflow exited early; see {self.home / 'logs'}")
            try:
                if requests.get(f"{self.url}/api/v2/monitor/health", timeout=2).ok:
                    return
            except requests.RequestException:
                pass
            time.sleep(1)
        self.stop()
        raise TimeoutError(f"Airflow did not become healthy in {timeout:.0f} s; see {self.home / 'logs'}")

    def stop(self) -> None:
        """Stop every process of this Airflow (the whole process group), politely then firmly."""
        if self._process is None:
            return
        group = os.getpgid(self._process.pid)
        for sig, wait in ((signal.SIGTERM, 20.0), (signal.SIGKILL, 5.0)):
            try:
                os.killpg(group, sig)
            except ProcessLookupError:
                break
            deadline = time.monotonic() + wait
            while time.monotonic() < deadline and _group_alive(group):
                time.sleep(0.2)
            if not _group_alive(group):
                break
        self._process.wait(timeout=5)
        self._process = None

    def __enter__(self) -> LocalAirflow:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- REST API -----------------------------------------------------------------------------------

    def api(self, method: str, path: str, **kwargs: Any) -> Any:
        """Call the Airflow REST API (``/api/v2`` + ``path``) as the admin user; return the JSON body."""
        if self._token is None:
            login = requests.post(f"{self.url}/auth/token", json={"username": ADMIN_USER, "password": ADMIN_PASSWORD},
                                  timeout=10)
            login.raise_for_status()
            self._token = login.json()["access_token"]
        response = requests.request(method, f"{self.url}/api/v2{path}", timeout=30,
                                    headers={"Authorization": f"Bearer {self._token}"}, **kwargs)
        if not response.ok:
            raise RuntimeError(f"{method} {path}: {response.status_code} {response.text[:500]}")
        return response.json() if response.content else None

    def wait_for_dag(self, dag_id: str, timeout: float = 120) -> dict[str, Any]:
        """Wait until the DAG processor has parsed ``dag_id``; fail with the import errors if it never does."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                return self.api("GET", f"/dags/{dag_id}")
            except RuntimeError:
                time.sleep(1)
        errors = self.api("GET", "/importErrors").get("import_errors", [])
        raise TimeoutError(f"DAG {dag_id} did not appear in {timeout:.0f} s; import errors: {errors}")

    def trigger(self, dag_id: str, conf: dict[str, Any] | None = None) -> str:
        """Trigger a run of ``dag_id`` (unpausing it first); return the run id."""
        self.api("PATCH", f"/dags/{dag_id}", json={"is_paused": False})
        deadline = time.monotonic() + 60
        while True:
            try:
                run = self.api("POST", f"/dags/{dag_id}/dagRuns", json={"logical_date": None, "conf": conf or {}})
                return str(run["dag_run_id"])
            except RuntimeError as exc:
                # The DAG row appears before its serialized version; the API can only trigger the latter.
                if ": 404 " not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(1)

    def wait_run(self, dag_id: str, run_id: str, timeout: float = 600) -> str:
        """Wait until a run finishes; return its state ('success' or 'failed')."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            state = self.api("GET", f"/dags/{dag_id}/dagRuns/{run_id}")["state"]
            if state in TERMINAL_STATES:
                return str(state)
            time.sleep(0.5)
        raise TimeoutError(f"run {run_id} of {dag_id} did not finish in {timeout:.0f} s")

    def run(self, dag_id: str, conf: dict[str, Any] | None = None, timeout: float = 600) -> tuple[str, str]:
        """Trigger a run and wait for it; return (run id, final state)."""
        run_id = self.trigger(dag_id, conf)
        return run_id, self.wait_run(dag_id, run_id, timeout)

    def task_instances(self, dag_id: str, run_id: str) -> list[dict[str, Any]]:
        """Return the task instances of a run (mapped instances included)."""
        return list(self.api("GET", f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances")["task_instances"])

    def xcom(self, dag_id: str, run_id: str, task_id: str, key: str = "return_value") -> Any:
        """Return one XCom value of a run's task."""
        entry = self.api("GET", f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/xcomEntries/{key}")
        return entry["value"]

    def task_log(self, dag_id: str, run_id: str, task_id: str, try_number: int = 1, map_index: int = -1) -> str:
        """Return the text of one task try's log."""
        path = f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/logs/{try_number}"
        data = self.api("GET", path, params={"map_index": map_index, "full_content": "true"})
        content = data.get("content", "")
        if isinstance(content, list):
            return "\n".join(_log_line(item) for item in content)
        return str(content)


def _log_line(item: Any) -> str:
    if not isinstance(item, dict):
        return str(item)
    errors = [f"{e.get('exc_type')}: {e.get('exc_value')}" for e in item.get("error_detail") or []]
    return " | ".join([str(item.get("event", "")), *errors])


def _group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    return True


def _airflow_settings() -> dict[str, Any]:
    path = settings.PROJECT_ROOT / "airflow_settings.yaml"
    if not path.exists():
        return {}
    return (yaml.safe_load(path.read_text()) or {}).get("airflow", {}) or {}


def settings_connections() -> dict[str, str]:
    """Return ``AIRFLOW_CONN_*`` variables for the connections in ``airflow_settings.yaml``.

    Connections come in as environment variables (no metadata-database writes), the way Airflow
    documents for local development; a variable already set in the environment wins.
    """
    env = {}
    for conn in _airflow_settings().get("connections", []) or []:
        value = {
            "conn_type": conn.get("conn_type"),
            "host": conn.get("conn_host"),
            "schema": conn.get("conn_schema"),
            "login": conn.get("conn_login"),
            "password": conn.get("conn_password"),
            "port": conn.get("conn_port"),
            "extra": conn.get("conn_extra") or {},
        }
        name = f"AIRFLOW_CONN_{conn['conn_id'].upper()}"
        if name not in os.environ:
            env[name] = json.dumps({k: v for k, v in value.items() if v not in (None, "", {})})
    return env


def settings_pools() -> Iterator[dict[str, Any]]:
    """Yield the pools declared in ``airflow_settings.yaml``."""
    yield from _airflow_settings().get("pools", []) or []
