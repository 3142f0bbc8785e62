"""The Dagster view of the pipeline: one module per stage, with its checks."""
