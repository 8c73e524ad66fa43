"""The run report: what a synchronization did, as counts a user reads in the task log and the UI.

``fetched = new + changed + unchanged + skipped + invalid + failed`` (failed creates and updates) always
holds; ``deleted`` counts contracts whose object vanished (in a Test run: would be deleted); ``failed``
counts writes the target refused for another reason than the object's content (deletes included).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

#: Plan actions → report counts.
ACTION_TO_COUNT = {
    "create": "new",
    "update": "changed",
    "unchanged": "unchanged",
    "skipped": "skipped",
    "invalid": "invalid",
    "delete": "deleted",
}
COUNT_NAMES = ("fetched", "new", "changed", "unchanged", "deleted", "skipped", "invalid", "failed")


@dataclass(frozen=True)
class Counts:
    """Object counts of one run."""

    fetched: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    deleted: int = 0
    skipped: int = 0
    invalid: int = 0
    failed: int = 0

    @classmethod
    def from_plan(cls, plan_counts: dict[tuple[str, str | None], int]) -> Counts:
        """Build counts from the number of plan rows per (action, write status).

        A write the target refused counts as ``invalid`` (its content) or ``failed`` (anything else)
        instead of new/changed/deleted.
        """
        values = dict.fromkeys(COUNT_NAMES, 0)
        for (action, status), n in plan_counts.items():
            name = status if status in ("invalid", "failed") else ACTION_TO_COUNT[action]
            values[name] += n
            if action != "delete":
                values["fetched"] += n
        return cls(**values)

    def as_dict(self) -> dict[str, int]:
        """Return the counts as a plain dict (XCom, logs, the synchronization log)."""
        return asdict(self)


@dataclass(frozen=True)
class SyncReport:
    """What a run did: counts, mode, and why deletion did not happen when it did not."""

    synchronization_id: str
    run_id: int
    dag_run_id: str
    counts: Counts
    test: bool = False
    force: bool = False
    deletion_note: str = ""
    stages: dict[str, Any] = field(default_factory=dict)

    @property
    def message(self) -> str:
        """Return a one-line summary, stored as the synchronization log's message."""
        c = self.counts
        mode = "Test run (nothing written): would write" if self.test else "Success:"
        text = (
            f"{mode} {c.new} new, {c.changed} changed, {c.deleted} deleted; {c.unchanged} unchanged, "
            f"{c.skipped} skipped, {c.invalid} invalid of {c.fetched} fetched"
            + (f"; {c.failed} writes failed" if c.failed else "")
        )
        return f"{text}. {self.deletion_note}" if self.deletion_note else text

    def as_xcom(self) -> dict[str, Any]:
        """Return the report as a small JSON-able dict: counts and run identity, never objects."""
        return {
            "synchronization": self.synchronization_id,
            "run": self.run_id,
            "test": self.test,
            "force": self.force,
            **self.counts.as_dict(),
            "deletion": self.deletion_note or "done",
        }

    def render_table(self) -> str:
        """Render the counts as a text table for the task log."""
        c = self.counts.as_dict()
        title = f"Synchronization {self.synchronization_id} · run {self.run_id} · {self.dag_run_id}"
        mode = ["TEST RUN: nothing was written"] if self.test else []
        mode += ["FORCE: every object mapped and written"] if self.force else []
        labels = {"deleted": "would be deleted" if self.test else "deleted"}
        rows = [(labels.get(name, name), str(c[name])) for name in COUNT_NAMES]
        width = max(len(label) for label, _ in rows)
        num = max(len(value) for _, value in rows)
        rule = f"+-{'-' * width}-+-{'-' * num}-+"
        lines = [title, *mode, rule]
        lines += [f"| {label:<{width}} | {value:>{num}} |" for label, value in rows]
        lines.append(rule)
        if self.deletion_note:
            lines.append(self.deletion_note)
        timings = _timing_line(self.stages)
        if timings:
            lines.append(timings)
        return "\n".join(lines)


def _timing_line(stages: dict[str, Any]) -> str:
    parts = []
    for stage in ("fetch", "map", "hash_diff", "write"):
        entries = stages.get(stage) or {}
        seconds = sum(float(e.get("seconds", 0)) for e in entries.values()) if isinstance(entries, dict) else 0.0
        if entries:
            parts.append(f"{stage} {seconds:.1f}s" + (f" ×{len(entries)}" if len(entries) > 1 else ""))
    return "Stages: " + ", ".join(parts) if parts else ""
