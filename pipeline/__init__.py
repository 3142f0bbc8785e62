"""Pure transforms of papers-pipeline: page text in, Polars frames out. No Dagster here."""

# Bump when a change to parsing, dedup or extraction changes what the pipeline writes: the planner
# then reprocesses every file and the assets' code versions tell the Dagster UI why they are stale.
PARSER_VERSION = "4"
PIPELINE_VERSION = "3"
