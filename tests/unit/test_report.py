"""The run report users read in the task log and the synchronization log."""

from __future__ import annotations

from openconnector.core.report import Counts, SyncReport


def test_counts_from_plan_add_up_to_fetched() -> None:
    plan = {("create", None): 3, ("update", None): 2, ("unchanged", None): 10, ("skipped", None): 1,
            ("invalid", None): 4, ("delete", None): 5}
    assert Counts.from_plan(plan).as_dict() == {
        "fetched": 20, "new": 3, "changed": 2, "unchanged": 10, "deleted": 5, "skipped": 1, "invalid": 4, "failed": 0,
    }


def test_writes_the_target_refused_are_invalid_or_failed_not_written() -> None:
    plan = {("create", "done"): 3, ("create", "invalid"): 1, ("update", "failed"): 2, ("delete", "failed"): 1,
            ("delete", "done"): 4, ("unchanged", None): 5}
    assert Counts.from_plan(plan).as_dict() == {
        "fetched": 11, "new": 3, "changed": 0, "unchanged": 5, "deleted": 4, "skipped": 0, "invalid": 1, "failed": 3,
    }


def test_table_lists_every_count_and_the_test_mode() -> None:
    report = SyncReport("demo", 7, "manual__1", Counts(fetched=12, new=12), test=True)
    table = report.render_table()
    for label in ("fetched", "new", "changed", "unchanged", "would be deleted", "skipped", "invalid"):
        assert f"| {label}" in table
    assert "TEST RUN: nothing was written" in table
    assert "| new              | 12 |" in table


def test_message_and_xcom_carry_counts_not_objects() -> None:
    report = SyncReport("demo", 7, "manual__1", Counts(fetched=5, unchanged=5), deletion_note="Nothing deleted: x")
    assert report.message.startswith("Success: 0 new, 0 changed, 0 deleted; 5 unchanged")
    assert report.message.endswith("Nothing deleted: x")
    assert report.as_xcom() == {
        "synchronization": "demo", "run": 7, "test": False, "force": False, "fetched": 5, "new": 0, "changed": 0,
        "unchanged": 5, "deleted": 0, "skipped": 0, "invalid": 0, "failed": 0, "deletion": "Nothing deleted: x",
    }
