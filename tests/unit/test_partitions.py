"""How many map partitions a run gets: the spec's number, or ``auto`` sized by work and CPUs."""

from __future__ import annotations

import pytest

from openconnector.pipeline.fetch import OBJECTS_PER_PARTITION, choose_partitions


@pytest.mark.parametrize(
    ("setting", "to_map", "cpus", "expected"),
    [
        ("auto", 0, 8, 0),  # nothing to map: the map tasks are skipped
        (3, 0, 8, 0),
        ("auto", 10, 8, 1),
        ("auto", OBJECTS_PER_PARTITION, 8, 1),
        ("auto", OBJECTS_PER_PARTITION + 1, 8, 2),
        ("auto", 1_000_000, 2, 2),  # never more partitions than cores: mapping is CPU-bound
        ("auto", 1_000_000, 8, 4),
        ("auto", 10_000_000, 64, 8),  # at most 8 however many cores
        ("auto", 1_000_000, 1, 1),
        (3, 10, 1, 3),  # an explicit number is taken as it is
    ],
)
def test_partition_count(setting: int | str, to_map: int, cpus: int, expected: int) -> None:
    assert choose_partitions(setting, to_map, cpus=cpus) == list(range(expected))
