"""`papers run`: plan, register partitions, execute one run on the shared instance, summarize."""

from __future__ import annotations

import duckdb

from papers.errors import UserError
from pipeline.settings import Settings


def _published_counts(settings: Settings) -> dict[str, int]:
    if not settings.database_path.exists():
        return {}
    con = duckdb.connect(str(settings.database_path), read_only=True)
    try:
        rows = con.execute("SELECT row_counts FROM warehouse_builds WHERE is_this_build").fetchone()
    finally:
        con.close()
    import json

    return json.loads(rows[0]) if rows else {}


def _print_counts(settings: Settings) -> None:
    counts = _published_counts(settings)
    if counts:
        print("Rows: " + ", ".join(f"{table} {n:,}" for table, n in counts.items()))
    print(f"Warehouse: {settings.database_path}")


def run_batch(settings: Settings, trigger: str) -> int:
    """Run whatever is stale through Dagster on the project's instance; 0 only on success."""
    import dagster as dg

    from assets.partitions import page_files_partitions
    from assets.planning import plan_run
    from assets.resources import PapersConfig

    instance = dg.DagsterInstance.get()
    config = PapersConfig(seeds_dir=str(settings.seeds_dir), warehouse_dir=str(settings.warehouse_dir))
    try:
        planned = plan_run(config, instance)
    except FileNotFoundError as error:
        raise UserError(str(error)) from error
    print(f"Inbox {settings.seeds_dir}: {planned.plan.summary()}.")
    for name, why in planned.problems:
        print(f"  skipped {name}: {why}")
    if not planned.plan.has_work:
        print("Warehouse is up to date; nothing to run.")
        _print_counts(settings)
        return 0
    if planned.new_partition_keys:
        instance.add_dynamic_partitions(page_files_partitions.name, planned.new_partition_keys)
    from assets.definitions import defs  # every asset module: loaded only when there is work

    job = defs.resolve_job_def("papers_job")
    result = job.execute_in_process(
        instance=instance,
        asset_selection=planned.asset_selection,
        tags={**planned.tags, "papers/trigger": trigger},
        # The full event log is in the UI; the terminal gets one line per step and the summary below.
        run_config={"loggers": {"progress": {}}},
        raise_on_error=False,
    )
    evaluations = result.get_asset_check_evaluations()
    failed = [e for e in evaluations if not e.passed]
    print(
        f"Run {result.run_id} {'succeeded' if result.success else 'FAILED'}; "
        f"checks: {len(evaluations) - len(failed)} passed, {len(failed)} failed."
    )
    from assets.quality import failing_checks

    for line in failing_checks(failed):
        print(f"  failed check {line}")
    if not result.success:
        for event in result.all_events:
            if event.is_step_failure:
                error = event.step_failure_data.error
                # The user code's error, not Dagster's "Error occurred while executing op" wrapper.
                error = error.cause or error if error else None
                reason = error.message.strip().splitlines()[-1] if error else "unknown error"
                print(f"  step {event.step_key} failed: {reason}")
        print(
            "The last published warehouse is unchanged. See the run in `papers ui` (Runs tab), "
            "fix the input or code, then run `papers run` again."
        )
        return 1
    _print_counts(settings)
    return 0
