"""Cross-stage invariants that a one-table suite cannot express, as pure functions over frames and files.

Each function returns the offending rows (empty when the invariant holds), so a check can show a sample.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import duckdb
import polars as pl

LINE_COUNTS = {"source_id": pl.String, "n_lines": pl.Int32}


def lines_not_accounted_for(
    versions: pl.DataFrame, records: pl.DataFrame, quarantine: pl.DataFrame
) -> pl.DataFrame:
    """Versions whose content lines differ from the lines their staged records and spans hold."""
    held = (
        pl.concat(
            [
                records.select(list(LINE_COUNTS)).cast(LINE_COUNTS),
                quarantine.select(list(LINE_COUNTS)).cast(LINE_COUNTS),
            ]
        )
        .group_by("source_id")
        .agg(n_held=pl.col("n_lines").sum())
    )
    return (
        versions.select("source_id", "n_content_lines")
        .join(held, on="source_id", how="left")
        .with_columns(n_held=pl.col("n_held").fill_null(0))
        .filter(pl.col("n_content_lines") != pl.col("n_held"))
    )


def occurrences_without_a_paper(occurrences: pl.DataFrame, papers: pl.DataFrame) -> pl.DataFrame:
    """Occurrences whose paper_id is missing from papers (null ids included)."""
    return occurrences.join(papers.select("paper_id"), on="paper_id", how="anti").select(
        "source_id", "position", "paper_id", "title"
    )


def papers_without_an_occurrence(occurrences: pl.DataFrame, papers: pl.DataFrame) -> pl.DataFrame:
    """Papers that no occurrence is keyed to: invented by the dedup stage, not read from a page."""
    return papers.join(occurrences.select("paper_id"), on="paper_id", how="anti").select("paper_id", "title")


def published_differences(database_path: Path, staged: Mapping[str, Path]) -> pl.DataFrame:
    """Per table: rows only in the published file and rows only in the staged Parquet (multisets).

    Table names come from the code (warehouse.publish.TABLES), never from data; they are still
    checked to be plain identifiers before they are quoted into the query.
    """
    rows = []
    con = duckdb.connect(str(database_path), read_only=True)
    try:
        for table, path in staged.items():
            if not table.isidentifier():
                raise ValueError(f"not a table name: {table!r}")
            only_published, only_staged = con.execute(
                f'SELECT (SELECT count(*) FROM (FROM "{table}" EXCEPT ALL FROM read_parquet($path))), '
                f'(SELECT count(*) FROM (FROM read_parquet($path) EXCEPT ALL FROM "{table}"))',
                {"path": str(path)},
            ).fetchone()
            rows.append({"table": table, "only_published": only_published, "only_staged": only_staged})
    finally:
        con.close()
    differences = pl.DataFrame(
        rows, schema={"table": pl.String, "only_published": pl.Int64, "only_staged": pl.Int64}
    )
    return differences.filter((pl.col("only_published") > 0) | (pl.col("only_staged") > 0))
