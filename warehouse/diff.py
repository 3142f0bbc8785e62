"""What changed between two published builds: papers added, removed and changed."""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl

COMPARED = ("title", "abstract", "n_occurrences")


def read_papers(database_path: Path) -> pl.DataFrame:
    con = duckdb.connect(str(database_path), read_only=True)
    try:
        return con.execute("SELECT paper_id, title, abstract, n_occurrences FROM papers").pl()
    finally:
        con.close()


def diff_papers(old: pl.DataFrame, new: pl.DataFrame) -> pl.DataFrame:
    """One row per paper that differs: `change` is added, removed or changed (with the changed fields)."""
    joined = old.join(new, on="paper_id", how="full", coalesce=True, suffix="_new")
    changed_fields = pl.concat_list(
        [pl.when(pl.col(c) != pl.col(f"{c}_new")).then(pl.lit(c)) for c in COMPARED]
    ).list.drop_nulls()
    return (
        joined.with_columns(
            change=pl.when(pl.col("title").is_null())
            .then(pl.lit("added"))
            .when(pl.col("title_new").is_null())
            .then(pl.lit("removed"))
            .when(changed_fields.list.len() > 0)
            .then(pl.lit("changed")),
            fields=changed_fields.list.join(", "),
            title=pl.coalesce("title_new", "title"),
        )
        .filter(pl.col("change").is_not_null())
        .select("change", "paper_id", "title", "fields")
        .sort("change", "title")
    )
