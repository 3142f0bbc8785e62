"""Publish the staged Parquet tables as one DuckDB file of views, built aside and swapped in atomically.

Each table of `papers.duckdb` is a view over one immutable Parquet file in `data/<table>/`, a hard
link to the staged file it was published from. Publishing therefore copies no rows: a table whose
staged file did not change keeps its data file, a changed one gets a new link (O(1) either way),
and only the small DuckDB file of views is written. A million-record build was 87 s of copying text
into DuckDB plus 60 s of comparing it back (benchmarks/README.md); this is milliseconds.

Readers are never disturbed: a reader holding the old file keeps its views, and their data files
stay until no kept snapshot refers to them. The writer never opens the published path, so a
reader's lock can never fail a run (STACK.md). The views hold absolute paths, because DuckDB
resolves relative ones against the reader's working directory; so a warehouse folder moved
elsewhere answers queries only after its next publish.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import time
from importlib import resources
from pathlib import Path

import duckdb

from expectations.invariants import published_differences
from pipeline.storage import temp_path_for
from warehouse.parquet_views import sql_string, view_sql
from warehouse.snapshots import DEFAULT_KEEP, read_history, record_snapshot, remove_unreferenced_data

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
DATA_DIR = "data"
# Older DuckDB CLIs (1.5.x) open files written with this storage version.
STORAGE_COMPATIBILITY = "v1.4.0"
STALE_TEMP_SECONDS = 3600


def _remove_stale_temp_files(database_path: Path) -> None:
    """A crash mid-build leaves a temp file beside the warehouse; the published file is untouched."""
    cutoff = time.time() - STALE_TEMP_SECONDS
    for leftover in database_path.parent.glob(f".{database_path.name}.*.tmp"):
        if leftover.stat().st_mtime < cutoff:
            leftover.unlink(missing_ok=True)


def link_data_files(
    staged: dict[str, Path], warehouse_dir: Path, build_id: str, previous: dict[str, str] | None = None
) -> dict[str, Path]:
    """Each staged file as an immutable data file: the last build's when unchanged, else a new link.

    Staged files are only ever replaced by rename, never edited, so a data file sharing the staged
    file's inode holds exactly its bytes for as long as it exists.
    """
    previous = previous or {}
    data_files: dict[str, Path] = {}
    for table, staged_file in staged.items():
        last = warehouse_dir / previous[table] if table in previous else None
        if last is not None and last.exists() and os.path.samefile(last, staged_file):
            data_files[table] = last
            continue
        target = warehouse_dir / DATA_DIR / table / f"{build_id}.parquet"
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(staged_file, target)
        except OSError:  # a file system without hard links: a copy is slower but as safe
            shutil.copyfile(staged_file, target)
        data_files[table] = target
    return data_files


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
    data_files: dict[str, Path], target: Path, build: dict, history: list[dict] | None = None
) -> dict[str, int]:
    """Create one view per table over its data file, then the derived views and the build records."""
    history = history or []
    counts: dict[str, int] = {}
    con = duckdb.connect(str(target), config={"storage_compatibility_version": STORAGE_COMPATIBILITY})
    try:
        for table in TABLES:
            con.execute(f'CREATE VIEW "{table}" AS {view_sql(data_files[table])}')
            con.execute(f'COMMENT ON VIEW "{table}" IS {sql_string(TABLE_GRAIN[table])}')
            # Parquet footers hold the row counts: counting reads no rows.
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
    warehouse_dir = database_path.parent
    warehouse_dir.mkdir(parents=True, exist_ok=True)
    _remove_stale_temp_files(database_path)
    built_at = dt.datetime.now(dt.UTC)
    build = {
        "build_id": built_at.strftime("%Y%m%dT%H%M%S%fZ"),
        "built_at": built_at.isoformat(),
        "code_version": code_version,
        "live_source_ids": sorted(live_source_ids),
    }
    history = read_history(warehouse_dir)
    previous = history[-1].get("data_files") if history else None
    data_files = link_data_files(staged, warehouse_dir, build["build_id"], previous)
    build["data_files"] = {
        table: path.relative_to(warehouse_dir).as_posix() for table, path in data_files.items()
    }
    tmp = temp_path_for(database_path)
    try:
        build["row_counts"] = build_database(data_files, tmp, build, history)
        mismatched = {
            t: (n, build["row_counts"].get(t))
            for t, n in expected_counts.items()
            if build["row_counts"].get(t) != n
        }
        if mismatched:
            raise PublishMismatchError(
                f"published rows differ from staged rows (staged, published): {mismatched}"
            )
        # Equal counts can still hide other rows: every view must read the staged bytes themselves.
        differing = published_differences(tmp, staged)
        if not differing.is_empty():
            raise PublishMismatchError(f"published rows differ from staged rows: {differing.rows()}")
        # The snapshot link is made before the swap: whichever step a crash interrupts, the
        # published file and the history stay consistent (an extra snapshot file is pruned later).
        record_snapshot(warehouse_dir, tmp, build, keep)
        os.replace(tmp, database_path)
    finally:
        tmp.unlink(missing_ok=True)
        Path(f"{tmp}.wal").unlink(missing_ok=True)
        # Also after a refused build: its new links are referenced by no build and go.
        remove_unreferenced_data(warehouse_dir)
    return build


def read_manifest(database_path: Path) -> dict | None:
    """The last publish's build record, or None when nothing was published yet."""
    history = read_history(database_path.parent)
    if not history or not database_path.exists():
        return None
    return history[-1]
