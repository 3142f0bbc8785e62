"""A sensor that registers new page files as partitions and requests one batch run for the stale ones."""

import dagster as dg

from assets.jobs import papers_job
from assets.partitions import page_files_partitions
from assets.planning import plan_run
from assets.resources import PapersConfig


@dg.sensor(
    job=papers_job,
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Picks up new or changed page files in the inbox and requests a batch run for them.",
)
def page_files_sensor(context: dg.SensorEvaluationContext, papers_config: PapersConfig):
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
