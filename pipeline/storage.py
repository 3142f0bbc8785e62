"""Atomic file writes: readers see the old file or the new one, never half of either."""

from __future__ import annotations

import os
import uuid
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import polars as pl


def temp_path_for(path: Path) -> Path:
    """A unique sibling path, on the same file system so that os.replace is atomic."""
    return path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")


def write_parquet_atomic(
    frame: pl.DataFrame,
    path: Path,
    *,
    compression_level: int | None = None,
    metadata: dict[str, str] | None = None,
) -> Path:
    """Write to a temp file beside `path`, then rename over it; a crash leaves the old file intact.
    `compression_level`: the zstd level, None for the writer's default (3); `metadata`: key-value
    entries for the file's footer."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_path_for(path)
    try:
        frame.write_parquet(
            tmp, compression="zstd", compression_level=compression_level, statistics=True, metadata=metadata
        )
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def write_parquets_atomic(
    tables: Sequence[tuple[pl.DataFrame, Path]], *, compression_level: int | None = None
) -> list[Path]:
    """`write_parquet_atomic` of each (frame, path), all at once: one file's writer compresses on one
    core and releases the GIL, so with a second core free two large tables take about the time of one."""
    with ThreadPoolExecutor(max_workers=max(len(tables), 1)) as pool:
        writes = [
            pool.submit(write_parquet_atomic, frame, path, compression_level=compression_level)
            for frame, path in tables
        ]
        return [write.result() for write in writes]


def write_text_atomic(text: str, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_path_for(path)
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def read_parquets(paths: list[Path], schema: dict[str, pl.DataType]) -> pl.DataFrame:
    """Concatenate Parquet files; no files gives an empty frame with the expected schema."""
    if not paths:
        return pl.DataFrame(schema=schema)
    return pl.read_parquet([str(p) for p in paths]).cast(schema)
