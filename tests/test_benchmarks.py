"""The benchmark's corpus generator and plain program agree with the generator's truth and the parser."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from benchmarks import baseline, corpus
from benchmarks.run import markdown
from pipeline.parse import parse_page


@pytest.fixture(params=[(3, 20), (4, 61)], ids=["3 files x 20 records", "4 files x 61 records"])
def tiny_corpus(request, tmp_path: Path) -> tuple[Path, dict]:
    n_files, n_records = request.param
    folder = tmp_path / "corpus"
    truth = corpus.generate_corpus(folder, n_files, n_records, seed=7)
    return folder, truth


def test_the_corpus_spreads_records_over_files_in_both_layouts_with_a_third_repeats(tiny_corpus):
    folder, truth = tiny_corpus
    assert sum(f["records"] for f in truth["files"]) == truth["n_records"]
    assert {f["layout"] for f in truth["files"]} == {"daily", "compact"}
    assert truth["n_papers"] + truth["n_repeats"] == truth["n_records"]
    assert truth["n_repeats"] == pytest.approx(truth["n_records"] / 3, abs=truth["n_files"])
    assert sorted(p.name for p in folder.glob("*.txt")) == [f["name"] for f in truth["files"]]


def test_the_pipeline_parser_reads_every_generated_record_and_quarantines_nothing(tiny_corpus):
    folder, truth = tiny_corpus
    for page in truth["files"]:
        parsed = parse_page((folder / page["name"]).read_text(encoding="utf-8"))
        assert parsed.layout == page["layout"]
        assert parsed.records.height == page["records"]
        assert parsed.quarantine.is_empty()


def test_the_same_seed_writes_the_same_bytes_and_another_seed_does_not(tmp_path: Path):
    first, again, other = (tmp_path / name for name in ("first", "again", "other"))
    corpus.generate_corpus(first, 2, 30, seed=1)
    corpus.generate_corpus(again, 2, 30, seed=1)
    corpus.generate_corpus(other, 2, 30, seed=2)
    page = "page_00001.txt"
    assert (first / page).read_bytes() == (again / page).read_bytes()
    assert (first / page).read_bytes() != (other / page).read_bytes()


def test_the_plain_program_finds_the_generators_records_papers_and_links(tiny_corpus, tmp_path: Path):
    folder, truth = tiny_corpus
    report = baseline.run(folder, tmp_path / "out")
    assert (report["files"], report["records"], report["papers"]) == (
        truth["n_files"],
        truth["n_records"],
        truth["n_papers"],
    )
    occurrences = pl.read_parquet(tmp_path / "out" / "paper_occurrences.parquet")
    per_file = occurrences.group_by(pl.col("file").str.extract(r"([^/]+)$")).len()
    assert dict(per_file.iter_rows()) == {f["name"]: f["records"] for f in truth["files"]}
    links = pl.read_parquet(tmp_path / "out" / "paper_links.parquet")
    assert links.height == report["links"]
    assert links["url"].str.contains(r"(?i)^(?:https?://|www\.|github\.com/)\S+[^.,;:]$").all()


def test_a_next_page_adds_new_papers_and_repeats_only_papers_of_the_corpus(tmp_path: Path):
    folder = tmp_path / "corpus"
    truth = corpus.generate_corpus(folder, 3, 30, seed=5)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for page in folder.glob("*.txt"):
        (inbox / page.name).write_bytes(page.read_bytes())
    page = corpus.write_next_page(folder, inbox, 12)
    assert page["name"] == "page_00003.txt" and not (folder / page["name"]).exists()
    report = baseline.run(inbox, tmp_path / "out")
    assert report["records"] == truth["n_records"] + 12
    assert report["papers"] == truth["n_papers"] + page["home_papers"]


def test_the_big_page_holds_about_the_requested_megabytes(tmp_path: Path):
    info = corpus.write_big_page(tmp_path, 0.5, seed=1)
    assert 0.4e6 < info["bytes"] < 0.6e6
    parsed = parse_page((tmp_path / info["name"]).read_text(encoding="utf-8"))
    assert parsed.records.height == info["records"]
    assert json.loads(json.dumps(info))["repeats"] == info["records"] - info["home_papers"]


def _report(full_wall: float, full_rss: float) -> dict:
    def result(wall: float, rss: float, **extra: object) -> dict:
        return {
            "wall_s": wall,
            "cpu_s": wall,
            "load": [0.1, 0.2],
            "peak_rss_gib": rss,
            "exit_code": 0,
            **extra,
        }

    return {
        "when": "2026-01-01T00:00:00+00:00",
        "command": "python -m benchmarks.run",
        "machine": {
            "cpu": "cpu",
            "cores": 2,
            "memory_gib": 24,
            "os": "Linux",
            "python": "3.11",
            "polars": "2",
            "duckdb": "1",
            "dagster": "1",
        },
        "corpus": {
            "n_files": 2,
            "n_records": 10,
            "n_papers": 7,
            "n_repeats": 3,
            "bytes": 1e4,
            "seconds": 0.1,
        },
        "big_page": None,
        "results": {
            "baseline": result(10.0, 1.0, report={"papers": 7, "stages": {}}),
            "full": result(full_wall, full_rss, steps=[], published={"papers": 7}),
            "nothing_new": result(1.0, 0.2, steps=[], published={"papers": 7}),
            "new_page": result(5.0, 0.5, steps=[], published={"papers": 8}, page={"records": 2}),
        },
    }


@pytest.mark.parametrize(
    ("full_wall", "full_rss", "verdict"),
    [(25.0, 2.0, "| yes |"), (95.0, 2.0, "| **no** |"), (25.0, 7.0, "| **no** |"), (31.0, 2.0, "| **no** |")],
    ids=["within every target", "over 90 s", "over 6 GiB", "over 3x the plain program"],
)
def test_the_results_table_marks_the_full_build_against_its_targets(full_wall, full_rss, verdict):
    full_row = next(
        line for line in markdown(_report(full_wall, full_rss)).splitlines() if "full build" in line
    )
    assert full_row.endswith(verdict)
