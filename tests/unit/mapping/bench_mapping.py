"""Measure mapping throughput (objects/s, one core) on demo records; not a test, run it by hand.

    .venv/bin/python tests/unit/mapping/bench_mapping.py --records 20000 --engine jsonatapy
    .venv/bin/python tests/unit/mapping/bench_mapping.py --records 2000 --engine jsonata-python

Maps each ~1.2 KB record of ``devkit.records`` with the 19-field example mappings, one object at a
time through ``Mapper.apply`` with per-object bindings, as the map stage does. Two rounds; the
better one is printed.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
sys.path[:0] = [str(ROOT / "plugins"), str(ROOT)]

from devkit.records import make_record  # noqa: E402
from openconnector.core.mapping import Bindings, load_mapping  # noqa: E402
from openconnector.spec.mapping import MappingRef  # noqa: E402

MAPPINGS = ("examples/company.jsonata", "examples/company.yaml")


def main() -> None:
    """Print objects/s per example mapping for the chosen engines."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=10000)
    parser.add_argument("--engine", action="append", choices=["jsonatapy", "jsonata-python"])
    args = parser.parse_args()
    records = [make_record(i) for i in range(args.records)]
    run = Bindings("bench", "2025-06-01T12:00:00+00:00")
    for engine in args.engine or ["jsonatapy"]:
        for name in MAPPINGS:
            ref = MappingRef.model_validate({"file": name, "engine": engine})
            mapper = load_mapping(ref, ROOT / "include" / "mappings").compile()
            best = 0.0
            for _ in range(2):
                started = time.perf_counter()
                for record in records:
                    mapper.apply(record, run.for_object(record["id"]))
                best = max(best, len(records) / (time.perf_counter() - started))
            print(f"{engine:15s} {name:28s} {best:9,.0f} objects/s  {1e6 / best:6.1f} us/object")


if __name__ == "__main__":
    main()
