"""Which version of each page file the current warehouse reflects, and why the others do not."""

from __future__ import annotations

import polars as pl

# Statuses of a `sources` row. Only `current` rows contribute paper records.
CURRENT, SUPERSEDED, DELETED, DUPLICATE, EMPTY, QUARANTINED = (
    "current",
    "superseded",
    "deleted",
    "duplicate",
    "empty",
    "quarantined",
)
SOURCE_STATUSES = (CURRENT, SUPERSEDED, DELETED, DUPLICATE, EMPTY, QUARANTINED)
# Versions whose quarantined spans belong in the current warehouse.
LIVE_STATUSES = (CURRENT, EMPTY, QUARANTINED)


def resolve_source_status(versions: pl.DataFrame, present_keys: list[str]) -> pl.DataFrame:
    """Add `status` and `duplicate_of` to every version row.

    The newest version of a file still in the inbox is live; older ones are superseded; the newest
    version of a file that left the inbox is deleted (its history stays). A live file byte-identical
    to another live file (same sha256) is a duplicate of the one whose name sorts first.
    """
    newest = pl.col("ingested_at") == pl.col("ingested_at").max().over("partition_key")
    present = pl.col("partition_key").is_in(present_keys)
    live = newest & present
    ranked = versions.with_columns(_live=live)
    canonical = (
        ranked.filter(pl.col("_live"))
        .sort("file_name")
        .group_by("sha256", maintain_order=True)
        .agg(duplicate_of=pl.col("source_id").first(), _first_name=pl.col("file_name").first())
    )
    return (
        ranked.join(canonical, on="sha256", how="left")
        .with_columns(
            status=pl.when(~newest)
            .then(pl.lit(SUPERSEDED))
            .when(~present)
            .then(pl.lit(DELETED))
            .when(pl.col("file_name") != pl.col("_first_name"))
            .then(pl.lit(DUPLICATE))
            .when(pl.col("layout") == "empty")
            .then(pl.lit(EMPTY))
            .when(pl.col("layout").is_in(["unrecognized", "binary"]))
            .then(pl.lit(QUARANTINED))
            .otherwise(pl.lit(CURRENT)),
        )
        .with_columns(
            duplicate_of=pl.when(pl.col("status") == DUPLICATE).then("duplicate_of").otherwise(None)
        )
        .drop("_live", "_first_name")
        .sort("file_name", "ingested_at")
    )
