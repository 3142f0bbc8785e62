"""A row-independent transform gives the same frame on chunks in worker processes as on the whole."""

from __future__ import annotations

import polars as pl
import pytest

from pipeline.links import extract_links
from pipeline.metrics import extract_metrics
from pipeline.parallel import chunk_bounds, map_chunks


@pytest.mark.parametrize(("n_rows", "n_chunks"), [(10, 3), (3, 3), (2, 5), (0, 2), (7, 1), (1_000_001, 2)])
def test_chunks_cover_every_row_once_in_order(n_rows, n_chunks):
    bounds = chunk_bounds(n_rows, n_chunks)
    covered = (
        [i for offset, length in bounds for i in range(offset, offset + length)] if n_rows < 100 else None
    )
    assert sum(length for _, length in bounds) == n_rows
    assert covered is None or covered == list(range(n_rows))
    assert max(length for _, length in bounds) - min(length for _, length in bounds) <= 1


@pytest.fixture(scope="module")
def abstracts() -> pl.DataFrame:
    """Abstracts with links and results, repeated under distinct ids: enough rows for two chunks."""
    texts = [
        "We reach 2.1 FID on ImageNet 256x256, 0.4 lower than the baseline. Code: https://github.com/a/b.",
        "Our model gets 45.2 mIoU on ADE20K and runs 3x faster. Project page: https://example.org/p",
        "A study without numbers.",
    ]
    n = 3_000
    return pl.DataFrame(
        {"paper_id": [f"{i:016x}" for i in range(n)], "abstract": [texts[i % 3] for i in range(n)]}
    )


@pytest.mark.parametrize("extract", [extract_links, extract_metrics])
@pytest.mark.parametrize(
    "chunk_rows", [100_000, 700], ids=["one chunk per worker", "more chunks than workers"]
)
def test_extraction_in_two_worker_processes_equals_extraction_in_one(abstracts, extract, chunk_rows):
    whole = extract(abstracts)
    assert whole.height > 0
    assert map_chunks(extract, abstracts, workers=2, min_rows=1, chunk_rows=chunk_rows).equals(whole)


def test_small_frames_stay_in_process():
    """A lambda cannot be sent to a worker: below min_rows it must not need to be."""
    frame = pl.DataFrame({"x": [1, 2]})
    assert map_chunks(lambda f: f.with_columns(y=pl.col("x") * 2), frame, workers=2)["y"].to_list() == [2, 4]
