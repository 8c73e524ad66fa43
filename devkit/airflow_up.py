"""``make airflow``: the full Airflow with the project's DAGs and the demo source, until Ctrl-C.

Open http://localhost:8080 (user admin, password admin), find ``sync_demo_companies`` and trigger it;
the trigger form has the ``test`` (dry run) and ``force`` switches.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from devkit.airflow_env import ADMIN_PASSWORD, ADMIN_USER, LocalAirflow
from devkit.demo import DEMO_PORT
from devkit.demo_source import DemoSource


def main(argv: list[str] | None = None) -> int:
    """Start the demo source and Airflow; stop both on Ctrl-C or SIGTERM."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--source-port", type=int, default=DEMO_PORT)
    args = parser.parse_args(argv)
    stop = threading.Event()
    # SIGINT explicitly too: a shell starting this in the background hands it SIGINT ignored, and
    # Ctrl-C (or kill -INT) must still stop everything.
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    with DemoSource(count=350, page_size=50, port=args.source_port) as source:
        print(f"Demo source on {source.url}/api/companies", flush=True)
        with LocalAirflow(port=args.port) as airflow:
            print(
                f"\nAirflow is running: {airflow.url}  (user {ADMIN_USER}, password {ADMIN_PASSWORD})\n"
                f"Logs: {airflow.home / 'logs'}\nPress Ctrl-C to stop everything.\n",
                flush=True,
            )
            while not stop.wait(1):
                pass
            print("Stopping Airflow ...", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
