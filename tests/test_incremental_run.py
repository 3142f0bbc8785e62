"""A warehouse updated run by run holds exactly what one build of the final inbox holds."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import polars as pl

from papers.cli import main

STAGED_TABLES = ("paper_occurrences", "papers", "paper_abstract_versions", "paper_links", "paper_metrics")
RUN_COLUMNS = ("ingested_at",)  # when a version was read differs between the two warehouses, by design


def _build(inbox: Path, root: Path, monkeypatch) -> Path:
    monkeypatch.setenv("DAGSTER_HOME", str(root / "dagster_home"))
    warehouse = root / "warehouse"
    assert main(["run", "--seeds", str(inbox), "--warehouse", str(warehouse)]) == 0
    return warehouse / "staging"


def _table(staging: Path, table: str) -> pl.DataFrame:
    frame = pl.read_parquet(staging / f"{table}.parquet")
    return frame.drop([c for c in RUN_COLUMNS if c in frame.columns])


def test_incremental_runs_end_where_a_fresh_build_of_the_same_inbox_starts(
    small_inbox, tmp_path, monkeypatch
):
    _build(small_inbox, tmp_path / "updated", monkeypatch)
    # A page loses records (a new version replaces the old) and a page arrives with a namesake title.
    compact = small_inbox / "compact_small.txt"
    compact.write_text("\n".join(compact.read_text().split("\n")[:6]))
    daily = (small_inbox / "daily_small.txt").read_text()
    (small_inbox / "another.txt").write_text(daily.replace("Towards Explainable", "Towards Readable"))
    updated = _build(small_inbox, tmp_path / "updated", monkeypatch)

    fresh_inbox = tmp_path / "fresh_inbox"
    shutil.copytree(small_inbox, fresh_inbox)
    fresh = _build(fresh_inbox, tmp_path / "fresh", monkeypatch)

    for table in STAGED_TABLES:
        assert _table(updated, table).equals(_table(fresh, table)), table


def test_a_second_run_with_a_new_page_rebuilds_only_the_touched_papers(small_inbox, tmp_path, monkeypatch):
    """The state files say the update started from the last run's table, so the run was incremental."""
    staging = _build(small_inbox, tmp_path, monkeypatch)
    daily = (small_inbox / "daily_small.txt").read_text()
    (small_inbox / "another.txt").write_text(daily.replace("Towards Explainable", "Towards Readable"))
    _build(small_inbox, tmp_path, monkeypatch)
    occurrences_state = json.loads((staging / "paper_occurrences.state.json").read_text())
    papers_state = json.loads((staging / "papers.state.json").read_text())
    n_papers = pl.read_parquet(staging / "papers.parquet").height
    assert occurrences_state["base"] is not None
    assert 0 < len(occurrences_state["touched_paper_ids"]) < n_papers
    assert papers_state["occurrences_version"] == occurrences_state["version"]
