"""Which version of each page file the current warehouse reflects, and why the others do not."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import polars as pl

from pipeline.pages import QUARANTINED_LAYOUTS

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


def resolve_source_status(
    versions: pl.DataFrame, present: Mapping[str, str | None] | Iterable[str]
) -> pl.DataFrame:
    """Add `status` and `duplicate_of` to every version row.

    `present` maps the partition key of each file now in the inbox to the sha256 of its bytes, or
    to None while the file cannot be read (still being written). The live version of a present file
    is the one with its bytes, else (not ingested yet, or unreadable) its newest ingested one; other
    versions are superseded. The newest version of a file that left the inbox is deleted; its
    history stays. A live file byte-identical to another live file with records is a duplicate of
    the one whose name sorts first; empty and quarantined copies keep their own status. Given only
    the keys of the present files, each one's newest version is live.
    """
    if not isinstance(present, Mapping):
        present = dict.fromkeys(present)
    inbox = pl.DataFrame(
        {"partition_key": list(present), "_present_sha256": list(present.values())},
        schema={"partition_key": pl.String, "_present_sha256": pl.String},
    )
    newest = pl.col("ingested_at") == pl.col("ingested_at").max().over("partition_key")
    matches = (pl.col("sha256") == pl.col("_present_sha256")).fill_null(False)
    is_present = pl.col("partition_key").is_in(inbox["partition_key"].implode())
    live = is_present & (matches | (~matches.any().over("partition_key") & newest))
    recordless = pl.col("layout").is_in(["empty", *QUARANTINED_LAYOUTS])
    ranked = versions.join(inbox, on="partition_key", how="left").with_columns(
        _live=live, _newest=newest, _recordless=recordless
    )
    canonical = (
        ranked.filter(pl.col("_live") & ~pl.col("_recordless"))
        .sort("file_name")
        .group_by("sha256", maintain_order=True)
        .agg(_canonical_id=pl.col("source_id").first())
    )
    return (
        ranked.join(canonical, on="sha256", how="left")
        .with_columns(
            status=pl.when(~is_present & pl.col("_newest"))
            .then(pl.lit(DELETED))
            .when(~pl.col("_live"))
            .then(pl.lit(SUPERSEDED))
            .when(pl.col("layout") == "empty")
            .then(pl.lit(EMPTY))
            .when(pl.col("_recordless"))
            .then(pl.lit(QUARANTINED))
            .when(pl.col("source_id") != pl.col("_canonical_id"))
            .then(pl.lit(DUPLICATE))
            .otherwise(pl.lit(CURRENT)),
        )
        .with_columns(duplicate_of=pl.when(pl.col("status") == DUPLICATE).then("_canonical_id"))
        .drop("_present_sha256", "_live", "_newest", "_recordless", "_canonical_id")
        .sort("file_name", "ingested_at")
    )
