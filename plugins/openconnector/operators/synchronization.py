"""Operators for each stage of a synchronization DAG."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from openconnector.operators.stages import SyncStageOperator

if TYPE_CHECKING:
    from airflow.sdk import Context

    from openconnector.db.store import Store
    from openconnector.pipeline.context import RunContext


class FetchObjectsOperator(SyncStageOperator):
    """Read every page of the source into staging.

    Returns the map partitions to run (``[0, 1]``; ``[]`` when nothing changed, which skips the map)
    and pushes the fetch counts under the XCom key ``counts``.
    """

    ui_color = "#d2e3fc"

    def run_stage(self, ctx: RunContext, store: Store, context: Context) -> list[int]:
        from openconnector.hooks.source import SourceHook
        from openconnector.pipeline.components import build_components, build_condition
        from openconnector.pipeline.fetch import FetchInput, run_fetch
        from openconnector.pipeline.templating import render_source

        components = build_components(self.spec)
        # A run reads a window only when the spec has one, the run has a data interval (scheduled runs
        # and backfills; manual runs have none) and it is not forced: otherwise it is a full fetch.
        windowed = self.spec.source.incremental is not None and not ctx.force and ctx.data_interval_start is not None
        spec_source = self.spec.source if windowed else self.spec.source.model_copy(update={"incremental": None})
        source = render_source(spec_source, lambda value: self.render_template(value, context))
        with SourceHook(source.connection).get_client(source, incremental=windowed) as client:
            fetch_input = FetchInput(client.pages(), build_condition(self.spec), windowed, components.fingerprint)
            result = run_fetch(self.spec, ctx, store, fetch_input)
            self.log.info("Source requests: %s", client.stats)
        self.log.info(
            "Fetched %d objects in %d pages (%s); %d to map in %d partition(s)",
            result.fetched, result.pages, "complete" if result.complete else "windowed", result.to_map,
            len(result.partitions),
        )
        context["ti"].xcom_push(key="counts", value=result.as_xcom())
        return result.partitions


class MapObjectsOperator(SyncStageOperator):
    """Map, validate and hash one partition of the staged objects that changed."""

    ui_color = "#fce8b2"

    def __init__(self, *, partition: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.partition = partition

    def run_stage(self, ctx: RunContext, store: Store, context: Context) -> dict[str, Any]:
        from openconnector.pipeline.components import build_components
        from openconnector.pipeline.map import run_map

        components = build_components(self.spec)
        run = self.current_run(ctx, store)
        if run.mapping_fingerprint != components.fingerprint:
            from openconnector.errors import StagingError

            raise StagingError(
                "the mapping or target schema changed since this run's fetch; re-run the fetch task "
                "so contracts and mapped objects agree on one mapping"
            )
        return run_map(ctx, store, run, int(self.partition), components.mapping.compile(), components.target)


class HashDiffOperator(SyncStageOperator):
    """Compare mapped objects with their contracts; plan creates, updates and deletes."""

    ui_color = "#e6f4ea"

    def run_stage(self, ctx: RunContext, store: Store, context: Context) -> dict[str, Any]:
        from openconnector.pipeline.diff import run_diff

        result = run_diff(self.spec, ctx, store, self.current_run(ctx, store))
        if result.deletion_note:
            self.log.warning("%s", result.deletion_note)
        return result.counts.as_dict()


class WriteObjectsOperator(SyncStageOperator):
    """Apply the plan to target and contracts, close the run, print and return the report."""

    ui_color = "#ceead6"

    def run_stage(self, ctx: RunContext, store: Store, context: Context) -> dict[str, Any]:
        from openconnector.pipeline.components import build_components
        from openconnector.pipeline.write import run_write

        target = build_components(self.spec).target
        connection = getattr(self.spec.target, "connection", None)
        if connection:  # HTTP targets write through their Airflow connection
            from openconnector.hooks.target import TargetHook

            target = TargetHook(connection).get_target(self.spec.target, synchronization_id=self.spec.id)
        report = run_write(
            ctx, store, self.current_run(ctx, store), target,
            contract_log=self.spec.contract_log, log_retention_days=self.spec.log_retention_days,
        )
        self.log.info("Synchronization report\n%s", report.render_table())
        return report.as_xcom()
