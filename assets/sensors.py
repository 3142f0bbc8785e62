"""A sensor that registers new page files as partitions and requests one batch run for the stale ones."""

import dagster as dg
from dagster._core.execution.backfill import BulkActionStatus

from assets.jobs import papers_job
from assets.partitions import page_files_partitions
from assets.planning import plan_run
from assets.resources import PapersConfig

IN_FLIGHT = [
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
]


@dg.sensor(
    job=papers_job,
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Picks up new or changed page files in the inbox and requests a batch run for them.",
)
def page_files_sensor(context: dg.SensorEvaluationContext, papers_config: PapersConfig):
    # While a run is queued or going, the staged state is half updated and the plan would differ from
    # the one that run is executing: wait for it instead of requesting the same files twice.
    busy = context.instance.get_run_records(dg.RunsFilter(statuses=IN_FLIGHT), limit=1)
    if busy:
        return dg.SkipReason(f"Run {busy[0].dagster_run.run_id} is still in flight; next tick.")
    # A backfill from the UI runs level by level, with moments between its runs: wait for all of it.
    backfills = context.instance.get_backfills(status=BulkActionStatus.REQUESTED, limit=1)
    if backfills:
        return dg.SkipReason(f"Backfill {backfills[0].backfill_id} is in progress; next tick.")
    planned = plan_run(
        papers_config, context.instance, min_file_age_seconds=papers_config.stable_after_seconds
    )
    if not planned.plan.has_work:
        return dg.SkipReason(f"Inbox unchanged: {planned.plan.summary()}.")
    return dg.SensorResult(
        run_requests=[
            dg.RunRequest(
                # One run per distinct piece of work, ever: the same stale files are requested once.
                run_key=planned.plan.fingerprint(),
                asset_selection=planned.asset_selection,
                tags=planned.tags,
            )
        ],
        dynamic_partitions_requests=[page_files_partitions.build_add_request(planned.new_partition_keys)]
        if planned.new_partition_keys
        else [],
    )
