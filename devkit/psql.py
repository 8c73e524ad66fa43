"""``make psql``: a psql shell on the contracts database of the embedded Postgres.

Extra arguments go to psql (``-c "SELECT ..."``). Uses the psql that ships with the embedded server,
so nothing needs to be installed.
"""

from __future__ import annotations

import os
import sys

from openconnector.db.embedded import ensure_embedded_postgres


def main(argv: list[str]) -> None:
    """Replace this process with psql connected to the contracts database."""
    from pgserver._commands import POSTGRES_BIN_PATH

    params = ensure_embedded_postgres()
    psql = str(POSTGRES_BIN_PATH / "psql")
    args = [psql, "-h", params["host"], "-p", str(params["port"]), "-U", params["user"], params["dbname"], *argv]
    os.execv(psql, args)


if __name__ == "__main__":
    main(sys.argv[1:])
