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

from pipeline.storage import temp_path_for, write_text_atomic

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


def build_database(staged: dict[str, Path], target: Path, build: dict) -> dict[str, int]:
    """Create every table from its staged Parquet file, then the views and the build record."""
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
        con.execute(
            "CREATE TABLE warehouse_builds AS SELECT $build_id AS build_id, "
            "$built_at::TIMESTAMPTZ AS built_at, $code_version AS code_version, "
            "$row_counts::JSON AS row_counts, $inputs::VARCHAR[] AS source_ids",
            {
                "build_id": build["build_id"],
                "built_at": build["built_at"],
                "code_version": build["code_version"],
                "row_counts": json.dumps(counts),
                "inputs": build["live_source_ids"],
            },
        )
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
        build["row_counts"] = build_database(staged, tmp, build)
        mismatched = {
            t: (n, build["row_counts"].get(t))
            for t, n in expected_counts.items()
            if build["row_counts"].get(t) != n
        }
        if mismatched:
            raise PublishMismatchError(
                f"published rows differ from staged rows (staged, published): {mismatched}"
            )
        os.replace(tmp, database_path)
    finally:
        tmp.unlink(missing_ok=True)
        Path(f"{tmp}.wal").unlink(missing_ok=True)
    write_text_atomic(json.dumps(build, indent=2), database_path.with_name("publish.json"))
    return build


def read_manifest(database_path: Path) -> dict | None:
    """The last publish's build record, or None when nothing was published yet."""
    path = database_path.with_name("publish.json")
    if not path.exists() or not database_path.exists():
        return None
    return json.loads(path.read_text(encoding="utf-8"))
