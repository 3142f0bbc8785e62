"""The one job every run goes through: all assets; each run selects the stale part of it."""

import dagster as dg

papers_job = dg.define_asset_job(
    "papers_job",
    selection=dg.AssetSelection.all(),
    description="Ingest new or changed page files, rebuild the global stages and publish the warehouse.",
    # One process per run, not per step: steps here take well under a second of work each, and a
    # process per step would pay the Dagster and Great Expectations imports again every time.
    # tests/test_multiprocess.py proves the same assets also run one process per step.
    executor_def=dg.in_process_executor,
)
