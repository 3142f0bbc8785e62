"""End to end: the five pages plus a folder of bad and odd files. `papers run` succeeds, every good record
is published, every bad file or span is quarantined with its reason, and no input line is lost."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import duckdb
import polars as pl
import pytest

import assets.ingest
from assets.ingest import StageRequest, line_accounting, stage_files
from assets.resources import PapersConfig
from papers.cli import main
from pipeline.sources import scan_inbox

BAD = Path(__file__).parent / "fixtures" / "bad"
SEEDS = Path(__file__).parent.parent / "data" / "seeds"
# What each fixture in tests/fixtures/bad plants, and where it must end.
EXPECTED_STATUS = {
    "bad/abstract_split_over_lines.txt": "current",  # abstract broken over two lines: joined, flagged
    "bad/abstract_without_title.txt": "current",  # a title line deleted: its abstract quarantined
    "bad/bom_crlf.txt": "current",  # UTF-8 byte-order mark and CRLF line endings
    "bad/cp1252.txt": "current",  # typographic quotes and accents saved as cp1252
    "bad/cr_only.txt": "current",  # classic Mac line endings
    "bad/empty.txt": "empty",  # zero bytes
    "bad/nul_bytes.txt": "quarantined",  # NUL bytes in the middle of a page
    "bad/rich_export.txt": "current",  # URL, author count, date and upvote lines around each record
    "bad/rich_export_ambiguous.txt": "quarantined",  # rich export whose first URL is missing
    "bad/title_without_abstract.txt": "current",  # an abstract line deleted: its title quarantined
    "bad/truncated_last_record.txt": "current",  # cut in the middle of the last abstract
    "bad/two_titles_in_a_row.txt": "current",  # a title with no abstract inserted
    "bad/unknown_layout.json": "quarantined",  # a JSON export
    "bad/whitespace_only.txt": "empty",  # blanks, tabs and CRLFs only
    "huge line.txt": "quarantined",  # one line of 2 MB
    "odd, [name] | with ... dots é.txt": "current",  # every character Dagster reserves, and more
    "copy of 000.txt": "duplicate",  # byte-identical to a seed page
}
INBOX_PROBLEMS = {
    "outside link.txt": "symlink leads outside the inbox",
    "a fifo.txt": "not a regular file (a FIFO, socket or device is never read)",
    "download.txt.part": "still being written; waiting until it is stable (temporary download name)",
}


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Iterator[tuple[Path, Path]]:
    """One `papers run` over the seeds and the bad folder, shared by the tests of this module."""
    root = tmp_path_factory.mktemp("messy")
    inbox = root / "inbox"
    shutil.copytree(SEEDS, inbox)
    shutil.copytree(BAD, inbox / "bad")
    (inbox / "huge line.txt").write_text("x" * 2_000_000)
    daily = (inbox / "000_31a3440507be5476.txt").read_text()
    (inbox / "odd, [name] | with ... dots é.txt").write_text(daily.replace("Towards Explainable", "Oddly"))
    shutil.copy(inbox / "000_31a3440507be5476.txt", inbox / "copy of 000.txt")
    (root / "secret.txt").write_text("outside the inbox")
    os.symlink(root / "secret.txt", inbox / "outside link.txt")
    os.mkfifo(inbox / "a fifo.txt")
    (inbox / "download.txt.part").write_text("half a page")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DAGSTER_HOME", str(root / "dagster_home"))
        patch.setenv("PAPERS_LISTING_YEAR", "2023")
        assert main(["run", "--seeds", str(inbox), "--warehouse", str(root / "warehouse")]) == 0
        yield inbox, root / "warehouse"


def _query(warehouse: Path, sql: str) -> pl.DataFrame:
    con = duckdb.connect(str(warehouse / "papers.duckdb"), read_only=True)
    try:
        return con.execute(sql).pl()
    finally:
        con.close()


def test_a_messy_inbox_runs_through_and_accounts_for_every_file_and_line(built):
    _inbox, warehouse = built
    sources = _query(warehouse, "select * from sources")
    status = dict(sources.select("file_name", "status").iter_rows())
    assert {name: status[name] for name in EXPECTED_STATUS} == EXPECTED_STATUS
    assert all(status[name] == "current" for name in status if name.startswith("00"))

    # Every good record is published: all records of current versions, seeds included.
    occurrences = _query(warehouse, "select source_id, n_lines, title, flags from paper_occurrences")
    current = sources.filter(pl.col("status") == "current")
    assert occurrences.height == current["n_records"].sum()
    papers = _query(warehouse, "select title from papers")["title"]
    assert papers.str.starts_with("Rich Towards Explainable").any()
    assert papers.str.starts_with("Café “Explainable”").any() and papers.str.starts_with("Oddly").any()

    # Every bad file or span is quarantined with its reason, inbox problems included.
    quarantine = _query(warehouse, "select * from quarantine")
    reasons = quarantine.group_by("file_name").agg(pl.col("reason").unique())
    reasons = {name: set(found) for name, found in reasons.iter_rows()}
    for name, status_of_file in EXPECTED_STATUS.items():
        if status_of_file == "quarantined":
            assert reasons[name], name
    assert reasons["bad/unknown_layout.json"] == {"unrecognized layout"}
    assert reasons["bad/nul_bytes.txt"] == {"binary content (NUL or control bytes)"}
    assert reasons["huge line.txt"] == {"line longer than 100,000 characters"}
    assert reasons["bad/title_without_abstract.txt"] == {"title without an abstract"}
    for name, reason in INBOX_PROBLEMS.items():
        assert reasons[name] == {reason}
        assert quarantine.filter(pl.col("file_name") == name)["source_id"].is_null().all()

    # No loss: per live version, content lines = lines of its records + its quarantined lines.
    held = pl.concat([occurrences.select("source_id", "n_lines"), quarantine.select("source_id", "n_lines")])
    held = held.group_by("source_id").agg(n_held=pl.col("n_lines").sum())
    live = sources.filter(pl.col("status").is_in(["current", "empty", "quarantined"]))
    check = live.join(held, on="source_id", how="left").with_columns(pl.col("n_held").fill_null(0))
    assert (check["n_content_lines"] == check["n_held"]).all()

    # Aug 29 has no year: the configured one is used, and said so.
    dated = sources.filter(pl.col("listing_date_text") == "Aug 29")
    assert set(dated.select("listing_date", "listing_date_source").rows()) == {
        (dt.date(2023, 8, 29), "configured_year")
    }


def test_a_changed_and_a_deleted_file_update_the_current_warehouse_and_keep_history(built):
    # Runs after the test above has read the first build: it changes the shared inbox.
    inbox, warehouse = built
    page = inbox / "odd, [name] | with ... dots é.txt"
    page.write_text(page.read_text().replace("Oddly", "Newly"))
    (inbox / "bad" / "cp1252.txt").unlink()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DAGSTER_HOME", str(warehouse.parent / "dagster_home"))
        assert main(["run", "--seeds", str(inbox), "--warehouse", str(warehouse)]) == 0
    sources = _query(warehouse, "select file_name, status from sources order by ingested_at")
    assert sources.filter(pl.col("file_name") == page.name)["status"].to_list() == ["superseded", "current"]
    assert sources.filter(pl.col("file_name") == "bad/cp1252.txt")["status"].to_list() == ["deleted"]
    titles = _query(warehouse, "select title from paper_occurrences")["title"]
    assert titles.str.starts_with("Newly").sum() == 1
    assert not titles.str.starts_with("Oddly").any() and not titles.str.starts_with("Café").any()


def test_the_no_loss_check_names_a_version_whose_lines_are_not_all_held():
    rows = pl.DataFrame({"source_id": ["a", "b"], "file_name": ["a", "b"], "n_content_lines": [4, 3]})
    records = pl.DataFrame({"source_id": ["a", "b"], "n_lines": [2, 2]})
    quarantine = pl.DataFrame({"source_id": ["a"], "n_lines": [2]})
    assert line_accounting(rows, records, quarantine)["source_id"].to_list() == ["b"]


@pytest.mark.parametrize(("value", "year"), [(None, None), ("", None), ("2024", 2024), (" 2019 ", 2019)])
def test_the_listing_year_is_read_from_the_environment_when_asked(monkeypatch, value, year):
    if value is None:
        monkeypatch.delenv("PAPERS_LISTING_YEAR", raising=False)
    else:
        monkeypatch.setenv("PAPERS_LISTING_YEAR", value)
    assert PapersConfig(seeds_dir=".", warehouse_dir=".").resolved_listing_year == year


def test_a_listing_year_that_is_not_a_year_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("PAPERS_LISTING_YEAR", "twenty")
    with pytest.raises(ValueError, match="PAPERS_LISTING_YEAR must be a year"):
        PapersConfig(seeds_dir=".", warehouse_dir=".").resolved_listing_year  # noqa: B018


def _staged_bytes(warehouse: Path) -> dict[str, bytes]:
    staging = warehouse / "staging"
    return {str(path.relative_to(staging)): path.read_bytes() for path in sorted(staging.rglob("*.parquet"))}


def test_the_parser_pool_stages_what_one_process_stages_and_a_vanished_file_stops_no_other(
    tmp_path, monkeypatch
):
    inbox = tmp_path / "inbox"
    shutil.copytree(SEEDS, inbox)
    (inbox / "vanishing.txt").write_text("A Paper\nIts abstract.\n")
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    requests = [
        StageRequest(file, frozenset(), str(inbox), str(tmp_path / "one"), now, 2025)
        for _key, file in sorted(scan_inbox(inbox).files.items())
    ]
    (inbox / "vanishing.txt").unlink()  # gone between the scan and the read
    in_process = list(stage_files(requests))
    monkeypatch.setattr(assets.ingest, "PARALLEL_MIN_FILES", 2)
    pooled = list(
        stage_files([dataclasses.replace(r, warehouse_dir=str(tmp_path / "pool")) for r in requests])
    )

    assert [s.file_name for s in pooled] == [r.file.file_name for r in requests]
    assert [s.problem is not None for s in pooled] == [r.file.file_name == "vanishing.txt" for r in requests]
    assert sum(s.record_keys.height for s in pooled if s.problem is None) == 52 + 233 + 66 + 256 + 230
    for one, pool in zip(in_process, pooled, strict=True):
        assert one.problem == pool.problem
        if one.problem is None:
            assert one.row.equals(pool.row) and one.record_keys.equals(pool.record_keys)
            assert one.records_head.equals(pool.records_head)
    assert _staged_bytes(tmp_path / "one") == _staged_bytes(tmp_path / "pool")
