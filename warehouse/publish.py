"""Publish the staged Parquet tables as one DuckDB file, built aside and swapped in atomically.

A reader holding the old file open keeps its snapshot; new connections see the new file; the
writer never opens the published path, so a reader's lock can never fail a run (STACK.md).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import time
from importlib import resources
from pathlib import Path

import duckdb

from expectations.invariants import published_differences
from pipeline.storage import temp_path_for
from warehouse.snapshots import DEFAULT_KEEP, read_history, record_snapshot

# Tables in publish order. Names are constants of the code, never data, so quoting them is safe.
TABLES = (
    "sources",
    "paper_occurrences",
    "papers",
    "paper_abstract_versions",
    "paper_links",
    "metric_definitions",
    "paper_metrics",
    "quarantine",
)
TABLE_GRAIN = {
    "sources": "One row per version (content hash) of a page file.",
    "paper_occurrences": "One row per paper record read from a current page version.",
    "papers": "One row per distinct paper.",
    "paper_abstract_versions": "One row per distinct abstract text of a paper.",
    "paper_links": "One row per link in a paper's abstract.",
    "metric_definitions": "One row per metric id of the results vocabulary.",
    "paper_metrics": "One row per reported result in a paper's abstract.",
    "quarantine": "One row per rejected span of input of a live page version.",
}
# Older DuckDB CLIs (1.5.x) open files written with this storage version.
STORAGE_COMPATIBILITY = "v1.4.0"
STALE_TEMP_SECONDS = 3600


def _remove_stale_temp_files(database_path: Path) -> None:
    """A crash mid-build leaves a temp file beside the warehouse; the published file is untouched."""
    cutoff = time.time() - STALE_TEMP_SECONDS
    for leftover in database_path.parent.glob(f".{database_path.name}.*.tmp"):
        if leftover.stat().st_mtime < cutoff:
            leftover.unlink(missing_ok=True)


def _create_builds_table(con: duckdb.DuckDBPyConnection, builds: list[dict]) -> None:
    """`warehouse_builds`: one row per publish so far, the last one being this file."""
    con.execute(
        "CREATE TABLE warehouse_builds (build_id VARCHAR PRIMARY KEY, built_at TIMESTAMPTZ, "
        "code_version VARCHAR, row_counts JSON, source_ids VARCHAR[], is_this_build BOOLEAN)"
    )
    con.executemany(
        "INSERT INTO warehouse_builds VALUES (?, ?, ?, ?, ?, ?)",
        [
            (
                b["build_id"],
                b["built_at"],
                b["code_version"],
                json.dumps(b["row_counts"]),
                b["live_source_ids"],
                i == len(builds) - 1,
            )
            for i, b in enumerate(builds)
        ],
    )


def build_database(
    staged: dict[str, Path], target: Path, build: dict, history: list[dict] | None = None
) -> dict[str, int]:
    """Create every table from its staged Parquet file, then the views and the build records."""
    history = history or []
    counts: dict[str, int] = {}
    con = duckdb.connect(str(target), config={"storage_compatibility_version": STORAGE_COMPATIBILITY})
    try:
        for table in TABLES:
            con.execute(
                f'CREATE TABLE "{table}" AS SELECT * FROM read_parquet($path)', {"path": str(staged[table])}
            )
            grain = TABLE_GRAIN[table].replace("'", "''")
            con.execute(f"COMMENT ON TABLE \"{table}\" IS '{grain}'")
            counts[table] = con.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
        con.execute(resources.files("warehouse").joinpath("views.sql").read_text(encoding="utf-8"))
        _create_builds_table(con, [*history, {**build, "row_counts": counts}])
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return counts


class PublishMismatchError(RuntimeError):
    """The built file does not hold exactly the staged rows; it is discarded, the old one stays."""


def publish(
    staged: dict[str, Path],
    database_path: Path,
    code_version: str,
    live_source_ids: list[str],
    expected_counts: dict[str, int],
    keep: int = DEFAULT_KEEP,
) -> dict:
    """Build the new warehouse beside the old one, verify it holds exactly the staged rows, swap it in."""
    database_path.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_temp_files(database_path)
    built_at = dt.datetime.now(dt.UTC)
    build = {
        "build_id": built_at.strftime("%Y%m%dT%H%M%S%fZ"),
        "built_at": built_at.isoformat(),
        "code_version": code_version,
        "live_source_ids": sorted(live_source_ids),
    }
    tmp = temp_path_for(database_path)
    try:
        build["row_counts"] = build_database(staged, tmp, build, read_history(database_path.parent))
        mismatched = {
            t: (n, build["row_counts"].get(t))
            for t, n in expected_counts.items()
            if build["row_counts"].get(t) != n
        }
        if mismatched:
            raise PublishMismatchError(
                f"published rows differ from staged rows (staged, published): {mismatched}"
            )
        # Equal counts can still hide changed rows: compare them row for row before the swap.
        differing = published_differences(tmp, staged)
        if not differing.is_empty():
            raise PublishMismatchError(f"published rows differ from staged rows: {differing.rows()}")
        # The snapshot link is made before the swap: whichever step a crash interrupts, the
        # published file and the history stay consistent (an extra snapshot file is pruned later).
        record_snapshot(database_path.parent, tmp, build, keep)
        os.replace(tmp, database_path)
    finally:
        tmp.unlink(missing_ok=True)
        Path(f"{tmp}.wal").unlink(missing_ok=True)
    return build


def read_manifest(database_path: Path) -> dict | None:
    """The last publish's build record, or None when nothing was published yet."""
    history = read_history(database_path.parent)
    if not history or not database_path.exists():
        return None
    return history[-1]
