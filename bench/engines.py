"""Objects per second of each JSONata engine through the project's mapping adapter.

    python -m bench.engines [--count 20000] [--mapping examples/company.jsonata ...]

Maps ``count`` demo company records (``devkit.records``, ~1 KB each, the records the bench source
serves) with each example mapping and each engine, one core, as the map stage does: compiled once,
``Mapper.apply`` per object with the run's bindings. Prints objects/s per engine and mapping, and the
ratio between the engines. The first 200 objects warm up and are not timed.
"""

from __future__ import annotations

import argparse
import time

from devkit.records import make_record
from openconnector import settings
from openconnector.core.mapping import Bindings, load_mapping
from openconnector.spec.mapping import MappingRef

ENGINES = ("jsonatapy", "jsonata-python")
DEFAULT_MAPPINGS = ("examples/company.jsonata", "examples/company.yaml", "demo_companies.jsonata")
WARM_UP = 200


def objects_per_second(mapping_file: str, engine: str, records: list[dict]) -> float:
    """Return how many records per second ``engine`` maps with ``mapping_file`` (one thread)."""
    mapping = load_mapping(MappingRef(file=mapping_file, engine=engine), settings.mappings_dir())
    mapper = mapping.compile()
    run = Bindings(synchronization_id="bench_engines", run_timestamp="2026-01-01T00:00:00+00:00")
    for index, record in enumerate(records[:WARM_UP]):
        mapper.apply(record, run.for_object(str(index)))
    timed = records[WARM_UP:]
    started = time.perf_counter()
    for index, record in enumerate(timed):
        mapper.apply(record, run.for_object(str(index)))
    return len(timed) / (time.perf_counter() - started)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=20_000, help="records per engine and mapping")
    parser.add_argument("--mapping", action="append", help="a mapping under include/mappings (repeatable)")
    args = parser.parse_args(argv)
    records = [make_record(i) for i in range(args.count + WARM_UP)]
    print(f"{'mapping':<28} {'engine':<16} {'objects/s':>10}")
    for mapping_file in args.mapping or DEFAULT_MAPPINGS:
        speeds = {engine: objects_per_second(mapping_file, engine, records) for engine in ENGINES}
        for engine, speed in speeds.items():
            print(f"{mapping_file:<28} {engine:<16} {speed:>10,.0f}")
        print(f"{'':<28} {'ratio':<16} {speeds['jsonatapy'] / speeds['jsonata-python']:>9.1f}×")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
