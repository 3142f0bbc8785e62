"""Run a per-row frame transform on all cores: chunks of whole rows in a pool of worker processes.

For transforms whose rows depend on their input row alone (the link and result extractors map each
paper's abstract to that paper's rows), the chunks' outputs concatenated in chunk order are the
transform of the whole frame. Result extraction is Python-bound at ~11-16k abstracts/s on one core;
a full build at a million records spent a minute in it on one of this machine's two cores.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor

import polars as pl

# Below this many rows the workers' start (Python, Polars, the transform's module: ~1-2 s) costs
# more than it saves.
PARALLEL_MIN_ROWS = 50_000
# Rows per task. The pool keeps only a few tasks queued (workers + 1), so the abstracts copied to the
# workers at once are a few chunks, not the whole frame twice over (parent's pickles, workers' copies);
# small tasks also even out the cores' finishing times. A task's own cost is about a millisecond.
CHUNK_ROWS = 25_000

Transform = Callable[[pl.DataFrame], pl.DataFrame]


def chunk_bounds(n_rows: int, n_chunks: int) -> list[tuple[int, int]]:
    """(offset, length) of `n_chunks` contiguous chunks covering `n_rows` rows, as equal as possible."""
    n_chunks = max(1, min(n_chunks, n_rows))
    size, extra = divmod(n_rows, n_chunks)
    bounds, offset = [], 0
    for i in range(n_chunks):
        length = size + (1 if i < extra else 0)
        bounds.append((offset, length))
        offset += length
    return bounds


def map_chunks(
    transform: Transform,
    frame: pl.DataFrame,
    workers: int | None = None,
    min_rows: int = PARALLEL_MIN_ROWS,
    chunk_rows: int = CHUNK_ROWS,
) -> pl.DataFrame:
    """`transform(frame)` for a row-independent `transform` (a module-level function, so that it
    pickles), computed in chunks of about `chunk_rows` rows on `workers` processes when the frame is
    large enough."""
    workers = workers or os.cpu_count() or 1
    if workers < 2 or frame.height < min_rows:
        return transform(frame)
    n_chunks = max(workers, -(-frame.height // chunk_rows))
    # Slices share the frame's memory: a chunk is copied only when the pool sends it to a worker.
    chunks = (frame.slice(offset, length) for offset, length in chunk_bounds(frame.height, n_chunks))
    # Spawn, not fork: a forked child would inherit the parent's threads (Polars, Dagster) mid-flight.
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pl.concat(list(pool.map(transform, chunks)))
