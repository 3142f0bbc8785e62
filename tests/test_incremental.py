"""Incremental extraction: only new or changed abstracts are extracted, and the result is the full one."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from pipeline.incremental import (
    KEY_COLUMNS,
    KEYS_SCHEMA,
    Cache,
    Extractor,
    abstract_keys,
    extract_incrementally,
    read_cache,
    source_fingerprint,
    write_keys,
)
from pipeline.links import extract_links
from pipeline.metrics import extract_metrics

SEEDS = sorted((Path(__file__).parent.parent / "data" / "seeds").glob("*.txt"))
# (extractor, the order it returns rows in, the table's key)
EXTRACTORS = [
    pytest.param(extract_links, ["paper_id", "span_start"], ["paper_id", "span_start"], id="links"),
    pytest.param(
        extract_metrics,
        ["paper_id", "span_start", "metric"],
        ["paper_id", "span_start", "metric", "value"],
        id="metrics",
    ),
]
ADDED_RESULT = " Code: https://github.com/new/repo. It reaches 91.2% accuracy on CIFAR-10."


def seed_abstracts() -> list[str]:
    """Real abstracts: the long lines of the bundled pages, distinct, in a stable order."""
    lines = (line.strip() for path in SEEDS for line in path.read_text(encoding="utf-8").splitlines())
    return sorted({line for line in lines if len(line) > 300})[:400]


@pytest.fixture(scope="module")
def first_papers() -> pl.DataFrame:
    abstracts = seed_abstracts()
    return pl.DataFrame({"paper_id": [f"p{i:04d}" for i in range(len(abstracts))], "abstract": abstracts})


def next_papers(papers: pl.DataFrame) -> pl.DataFrame:
    """A later run's papers: some removed, some with a new abstract, some new (one with a copied text)."""
    kept = papers.filter(pl.col("paper_id").str.slice(1).cast(pl.Int32) % 7 != 0)
    changed = pl.col("paper_id").str.slice(1).cast(pl.Int32) % 5 == 0
    edited = kept.with_columns(
        abstract=pl.when(changed).then(pl.col("abstract") + ADDED_RESULT).otherwise("abstract")
    )
    added = pl.DataFrame(
        {
            "paper_id": ["new-copy", "new-empty", "new-missing", "new-text"],
            "abstract": [
                papers["abstract"][1],
                "",
                None,
                "Speed-up of 3.5x over FlashAttention" + ADDED_RESULT,
            ],
        }
    )
    return pl.concat([edited, added])


def counting(extract: Extractor, calls: list[int]) -> Extractor:
    def run(papers: pl.DataFrame) -> pl.DataFrame:
        calls.append(papers.height)
        return extract(papers)

    return run


@pytest.mark.parametrize(("extract", "order_by", "key"), EXTRACTORS)
def test_incremental_runs_give_the_full_result_after_papers_are_added_removed_and_changed(
    first_papers, extract, order_by, key
):
    first = extract_incrementally(first_papers, extract, "v1", None, order_by)
    assert_frame_equal(first.table, extract(first_papers).sort(order_by, maintain_order=True))
    assert first.n_extracted == first_papers.height and first.n_reused == 0

    papers = next_papers(first_papers)
    calls: list[int] = []
    previous = Cache(first.keys, first.table)
    second = extract_incrementally(papers, counting(extract, calls), "v1", previous, order_by)
    # Reused and new rows are merged into the very frame, order included, that one extraction gives.
    assert_frame_equal(second.table, extract(papers).sort(order_by, maintain_order=True))
    assert second.table.select(key).is_duplicated().sum() == 0
    assert first.table.height > 50 and second.table.height > first.table.height  # the edits add rows
    n_edited = sum(1 for i in range(first_papers.height) if i % 7 != 0 and i % 5 == 0)
    assert second.n_extracted == calls[-1] == n_edited + 4
    assert second.n_reused == papers.height - second.n_extracted
    assert second.keys["paper_id"].to_list() == papers["paper_id"].to_list()


@pytest.mark.parametrize(("extract", "order_by", "key"), EXTRACTORS)
def test_a_run_with_the_same_abstracts_extracts_nothing_and_repeats_the_table(
    first_papers, extract, order_by, key
):
    first = extract_incrementally(first_papers, extract, "v1", None, order_by)
    calls: list[int] = []
    previous = Cache(first.keys, first.table)
    again = extract_incrementally(first_papers, counting(extract, calls), "v1", previous, order_by)
    assert again.n_extracted == 0 and calls[-1] == 0
    assert_frame_equal(again.table, first.table)
    assert_frame_equal(again.keys, first.keys)


@pytest.mark.parametrize(
    "previous_of",
    [
        pytest.param(lambda cache: cache, id="another code version"),
        pytest.param(
            lambda cache: Cache(cache.keys.drop(KEY_COLUMNS[1]), cache.table), id="keys of another shape"
        ),
        pytest.param(lambda cache: Cache(cache.keys, cache.table.drop("raw")), id="a table of another shape"),
        pytest.param(lambda cache: None, id="no cache"),
    ],
)
def test_a_new_code_version_or_an_unusable_cache_extracts_every_abstract_again(first_papers, previous_of):
    first = extract_incrementally(first_papers, extract_links, "v1", None, ["paper_id", "span_start"])
    calls: list[int] = []
    rerun = extract_incrementally(
        first_papers,
        counting(extract_links, calls),
        "v2",
        previous_of(Cache(first.keys, first.table)),
        ["paper_id", "span_start"],
    )
    assert rerun.n_reused == 0 and calls[-1] == first_papers.height
    assert_frame_equal(rerun.table, first.table)


def test_a_paper_whose_rows_were_cached_keeps_them_only_while_its_own_abstract_is_unchanged():
    papers = pl.DataFrame({"paper_id": ["a", "b"], "abstract": ["See https://github.com/x/y.", "No link."]})
    first = extract_incrementally(papers, extract_links, "v1", None, ["paper_id", "span_start"])
    swapped = papers.with_columns(abstract=pl.Series(["No link.", "See https://github.com/x/y."]))
    previous = Cache(first.keys, first.table)
    second = extract_incrementally(swapped, extract_links, "v1", previous, ["paper_id", "span_start"])
    assert second.table["paper_id"].to_list() == ["b"]
    assert second.n_extracted == 2


@pytest.mark.parametrize(
    ("left", "right", "same"),
    [("text", "text", True), ("text", "text ", False), ("", None, False), (None, None, True)],
)
def test_abstract_keys_tell_texts_apart_and_depend_on_the_code_version(left, right, same):
    keys = abstract_keys(pl.Series([left, right], dtype=pl.String), "v1")
    assert (keys.row(0) == keys.row(1)) is same
    other_version = abstract_keys(pl.Series([left], dtype=pl.String), "v2")
    assert all(a != b for a, b in zip(other_version.row(0), keys.row(0), strict=True))
    assert keys.columns == list(KEY_COLUMNS) and keys.null_count().sum_horizontal().item() == 0


def test_abstract_keys_are_the_same_in_another_process(tmp_path):
    """Keys outlive the process that wrote them: they must not depend on a per-process random state."""
    texts = pl.Series(["A study of https://github.com/x/y.", "", None], dtype=pl.String)
    script = (
        "import polars as pl, sys; from pipeline.incremental import abstract_keys; "
        f"abstract_keys(pl.Series({texts.to_list()!r}, dtype=pl.String), 'v1').write_parquet(sys.argv[1])"
    )
    out = tmp_path / "keys.parquet"
    root = Path(__file__).parent.parent
    subprocess.run([sys.executable, "-c", script, str(out)], check=True, cwd=root)
    assert_frame_equal(pl.read_parquet(out), abstract_keys(texts, "v1"))


@pytest.fixture
def written_cache(first_papers, tmp_path) -> tuple[Path, Path, pl.DataFrame]:
    first = extract_incrementally(first_papers, extract_links, "v1", None, ["paper_id", "span_start"])
    table_path, keys_path = tmp_path / "paper_links.parquet", tmp_path / "cache" / "paper_links.keys.parquet"
    first.table.write_parquet(table_path)
    write_keys(first.keys, first.table, keys_path)
    return keys_path, table_path, first.table


def test_a_written_cache_reads_back_as_the_keys_and_table_of_its_run(written_cache):
    keys_path, table_path, table = written_cache
    cache = read_cache(keys_path, table_path, table.schema)
    assert cache is not None and cache.keys.schema == KEYS_SCHEMA
    assert_frame_equal(cache.table, table)


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda keys, table: table.unlink(), id="no table"),
        pytest.param(lambda keys, table: keys.unlink(), id="no keys"),
        pytest.param(
            lambda keys, table: pl.read_parquet(table).head(-1).write_parquet(table),
            id="a table that another run wrote after the keys",
        ),
        pytest.param(
            lambda keys, table: (
                pl.read_parquet(table).with_columns(pl.col("url").str.to_uppercase()).write_parquet(table)
            ),
            id="a table of the same size with other rows",
        ),
    ],
)
def test_a_cache_whose_keys_and_table_are_not_of_one_run_is_not_used(written_cache, damage):
    keys_path, table_path, table = written_cache
    damage(keys_path, table_path)
    assert read_cache(keys_path, table_path, table.schema) is None


def test_the_source_fingerprint_changes_when_a_module_the_extractor_imports_changes(tmp_path, monkeypatch):
    package = tmp_path / "fakepipe"
    package.mkdir()
    (package / "__init__.py").write_text("VERSION = '1'\n")
    (package / "rules.py").write_text("PATTERN = 'a'\n")
    (package / "unrelated.py").write_text("X = 1\n")
    (package / "extract.py").write_text("from fakepipe import rules\nfrom fakepipe.rules import PATTERN\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "fakepipe", raising=False)

    def fingerprint() -> str:
        source_fingerprint.cache_clear()
        return source_fingerprint("fakepipe.extract")

    before = fingerprint()
    (package / "unrelated.py").write_text("X = 2\n")
    assert fingerprint() == before
    (package / "rules.py").write_text("PATTERN = 'b'\n")
    assert fingerprint() != before
