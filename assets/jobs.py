"""The one job every run goes through: all assets; each run selects the stale part of it."""

import dagster as dg

papers_job = dg.define_asset_job(
    "papers_job",
    selection=dg.AssetSelection.all(),
    description="Ingest new or changed page files, rebuild the global stages and publish the warehouse.",
)
