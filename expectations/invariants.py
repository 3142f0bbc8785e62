"""Cross-stage invariants that a one-table suite cannot express, as pure functions over frames and files.

Each function returns the offending rows (empty when the invariant holds), so a check can show a sample.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import duckdb
import polars as pl

from warehouse.parquet_views import data_file_of

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
    """Per table whose content differs: rows, published vs staged.

    A published table is a view over a data file. When that file is the staged file itself (one
    inode: staged files are replaced by rename, never edited), the bytes are the same by
    construction and equal row counts settle it. Anything else (a table, another query, another
    file) is compared by content: the row count and the sum of the rows' hashes, an order-free
    multiset fingerprint that a changed, missing or extra row changes. Table names come from the
    code (warehouse.publish.TABLES), never from data; they are still checked to be identifiers.
    """
    rows = []
    con = duckdb.connect(str(database_path), read_only=True)
    try:
        definitions = dict(
            con.execute("SELECT view_name, sql FROM duckdb_views() WHERE NOT internal").fetchall()
        )
        for table, path in staged.items():
            if not table.isidentifier():
                raise ValueError(f"not a table name: {table!r}")
            data_file = data_file_of(definitions.get(table, ""))
            reads_staged_bytes = (
                data_file is not None and data_file.exists() and os.path.samefile(data_file, path)
            )
            content = "count(*)" if reads_staged_bytes else "count(*), sum(hash(r))"
            published = con.execute(f'SELECT {content} FROM "{table}" AS r').fetchone()
            staged_fingerprint = con.execute(
                f"SELECT {content} FROM read_parquet($path) AS r", {"path": str(path)}
            ).fetchone()
            if published != staged_fingerprint:
                rows.append(
                    {"table": table, "published_rows": published[0], "staged_rows": staged_fingerprint[0]}
                )
    finally:
        con.close()
    return pl.DataFrame(
        rows, schema={"table": pl.String, "published_rows": pl.Int64, "staged_rows": pl.Int64}
    )
