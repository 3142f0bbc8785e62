"""Published builds as snapshots: a history of every build and the files of the last N kept.

Each publish hard-links its new file as `snapshots/<build_id>.duckdb` before swapping it in as
`papers.duckdb`: both names share one inode, so keeping a snapshot costs no copy, and the next
publish (a rename over `papers.duckdb`) leaves the old build readable under its snapshot name.
A build's views read the Parquet files under `data/` that its history entry lists; a data file
goes once no kept build (nor the last two, one of which is always the published file) lists it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from pipeline.storage import write_text_atomic

DEFAULT_KEEP = 5
KEEP_ENV = "PAPERS_KEEP_SNAPSHOTS"


def snapshots_dir(warehouse_dir: Path) -> Path:
    return warehouse_dir / "snapshots"


def history_path(warehouse_dir: Path) -> Path:
    return warehouse_dir / "builds.json"


def read_history(warehouse_dir: Path) -> list[dict]:
    """Every build ever published from this warehouse folder, oldest first (metadata only)."""
    path = history_path(warehouse_dir)
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else []


def snapshot_path(warehouse_dir: Path, build_id: str) -> Path:
    return snapshots_dir(warehouse_dir) / f"{build_id}.duckdb"


def keep_count() -> int:
    """How many published files to keep (PAPERS_KEEP_SNAPSHOTS, default 5, at least 1)."""
    return max(1, int(os.environ.get(KEEP_ENV, DEFAULT_KEEP)))


def record_snapshot(warehouse_dir: Path, built_file: Path, build: dict, keep: int) -> None:
    """Keep `built_file` as the build's snapshot, append the build to the history, prune old files."""
    target = snapshot_path(warehouse_dir, build["build_id"])
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(built_file, target)
    except OSError:  # a file system without hard links: fall back to a copy
        import shutil

        shutil.copyfile(built_file, target)
    history = [*read_history(warehouse_dir), build]
    kept = {b["build_id"] for b in history[-keep:]}
    for entry in history:
        entry["snapshot_kept"] = entry["build_id"] in kept
    write_text_atomic(json.dumps(history, indent=1), history_path(warehouse_dir))
    for old in snapshots_dir(warehouse_dir).glob("*.duckdb"):
        if old.stem not in kept:
            old.unlink(missing_ok=True)


def resolve_snapshot(warehouse_dir: Path, build_id: str) -> Path | None:
    """The file of a kept snapshot; `latest` and `previous` name the last two."""
    history = [b for b in read_history(warehouse_dir) if snapshot_path(warehouse_dir, b["build_id"]).exists()]
    aliases = {"latest": -1, "previous": -2}
    if build_id in aliases:
        index = aliases[build_id]
        return snapshot_path(warehouse_dir, history[index]["build_id"]) if len(history) >= -index else None
    path = snapshot_path(warehouse_dir, build_id)
    return path if path.exists() else None


def remove_unreferenced_data(warehouse_dir: Path, data_dir: str = "data") -> list[Path]:
    """Delete data files that no kept snapshot reads; return them. The published file is one of
    the last two builds (the last one unless a crash hit between recording and swapping it)."""
    history = read_history(warehouse_dir)
    referenced = {
        (warehouse_dir / relative).resolve()
        for i, build in enumerate(history)
        if build.get("snapshot_kept") or i >= len(history) - 2
        for relative in build.get("data_files", {}).values()
    }
    removed = [
        path for path in (warehouse_dir / data_dir).glob("*/*.parquet") if path.resolve() not in referenced
    ]
    for path in removed:
        path.unlink(missing_ok=True)
    return removed
