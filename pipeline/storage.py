"""Atomic file writes: readers see the old file or the new one, never half of either."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import polars as pl


def temp_path_for(path: Path) -> Path:
    """A unique sibling path, on the same file system so that os.replace is atomic."""
    return path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")


def write_parquet_atomic(frame: pl.DataFrame, path: Path) -> Path:
    """Write to a temp file beside `path`, then rename over it; a crash leaves the old file intact."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_path_for(path)
    try:
        frame.write_parquet(tmp, compression="zstd", statistics=True)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


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
