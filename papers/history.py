"""`papers snapshots` and `papers diff`: the published builds a user can go back to and compare."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from papers.errors import UserError
from warehouse.diff import diff_papers, read_papers
from warehouse.snapshots import read_history, resolve_snapshot


def snapshot_database(warehouse_dir: Path, build_id: str) -> Path:
    path = resolve_snapshot(warehouse_dir, build_id)
    if path is None:
        raise UserError(f"unknown snapshot {build_id!r}: `papers snapshots` lists the kept ones")
    return path


def print_snapshots(warehouse_dir: Path) -> None:
    history = read_history(warehouse_dir)
    if not history:
        raise UserError(f"no published builds in {warehouse_dir}: run `papers run` first")
    rows = [
        {
            "build_id": b["build_id"],
            "built_at": b["built_at"][:19].replace("T", " "),
            "kept": b.get("snapshot_kept", False),
            "code": b["code_version"],
            "inputs": len(b["live_source_ids"]),
            "papers": b["row_counts"].get("papers"),
            "occurrences": b["row_counts"].get("paper_occurrences"),
        }
        for b in reversed(history)
    ]
    with pl.Config(tbl_rows=50, tbl_hide_dataframe_shape=True, tbl_hide_column_data_types=True):
        print(pl.DataFrame(rows))


def print_diff(warehouse_dir: Path, old_id: str, new_id: str, limit: int) -> None:
    old = read_papers(snapshot_database(warehouse_dir, old_id))
    new = read_papers(snapshot_database(warehouse_dir, new_id))
    changes = diff_papers(old, new)
    counts = changes.group_by("change").len()
    count = {change: n for change, n in counts.iter_rows()}
    print(
        f"{old_id} -> {new_id}: {count.get('added', 0)} added, {count.get('removed', 0)} removed, "
        f"{count.get('changed', 0)} changed papers"
    )
    if changes.height:
        with pl.Config(
            tbl_rows=limit, fmt_str_lengths=70, tbl_hide_dataframe_shape=True, tbl_hide_column_data_types=True
        ):
            print(changes.head(limit))
