"""A daily batch run of whatever the inbox holds that the warehouse does not reflect yet."""

import dagster as dg

from assets.jobs import papers_job
from assets.partitions import page_files_partitions
from assets.planning import plan_run
from assets.resources import PapersConfig


@dg.schedule(
    job=papers_job,
    cron_schedule="0 6 * * *",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Daily at 06:00: the whole batch, in case the sensor was off.",
)
def daily_papers_schedule(context: dg.ScheduleEvaluationContext, papers_config: PapersConfig):
    planned = plan_run(papers_config, context.instance)
    if not planned.plan.has_work:
        return dg.SkipReason(f"Nothing to do: {planned.plan.summary()}.")
    if planned.new_partition_keys:
        # Schedules cannot return partition requests as sensors do; register the keys before the run.
        context.instance.add_dynamic_partitions(page_files_partitions.name, planned.new_partition_keys)
    return dg.RunRequest(asset_selection=planned.asset_selection, tags=planned.tags)
