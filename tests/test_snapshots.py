"""Every publish is a snapshot: listed, queryable, compared, and only the last N files kept."""

from __future__ import annotations

import polars as pl
import pytest

from papers.cli import main
from warehouse.diff import diff_papers
from warehouse.snapshots import read_history


@pytest.fixture
def built(small_inbox, tmp_path, monkeypatch):
    """Three builds: the small inbox, then one record dropped, then a page added."""
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    monkeypatch.setenv("PAPERS_KEEP_SNAPSHOTS", "2")
    warehouse = tmp_path / "warehouse"
    args = ["run", "--seeds", str(small_inbox), "--warehouse", str(warehouse)]
    assert main(args) == 0
    compact = small_inbox / "compact_small.txt"
    compact.write_text("\n".join(compact.read_text().split("\n")[:6]))
    assert main(args) == 0
    daily = (small_inbox / "daily_small.txt").read_text()
    (small_inbox / "another.txt").write_text(daily.replace("Towards Explainable", "Towards Readable"))
    assert main(args) == 0
    return warehouse


def test_each_publish_is_recorded_and_only_the_last_n_files_are_kept(built):
    history = read_history(built)
    assert len(history) == 3
    assert [b["snapshot_kept"] for b in history] == [False, True, True]
    assert sorted(p.stem for p in (built / "snapshots").glob("*.duckdb")) == sorted(
        b["build_id"] for b in history[1:]
    )
    assert [b["row_counts"]["paper_occurrences"] for b in history] == [6, 5, 8]


def test_papers_sql_queries_an_older_snapshot(built, capsys):
    capsys.readouterr()
    assert (
        main(
            [
                "sql",
                "--snapshot",
                "previous",
                "select count(*) as n from papers",
                "--format",
                "csv",
                "--warehouse",
                str(built),
            ]
        )
        == 0
    )
    assert capsys.readouterr().out.splitlines() == ["n", "5"]


def test_an_unknown_snapshot_is_one_clear_line(built, capsys):
    assert main(["sql", "--snapshot", "19990101", "select 1", "--warehouse", str(built)]) == 1
    assert "unknown snapshot" in capsys.readouterr().err


def test_papers_diff_shows_the_papers_added_between_the_last_two_builds(built, capsys):
    capsys.readouterr()
    assert main(["diff", "--warehouse", str(built)]) == 0
    out = capsys.readouterr().out
    assert "1 added, 0 removed, 2 changed papers" in out  # the other two were seen once more
    assert "Towards Readable" in out


def test_papers_snapshots_lists_builds_newest_first(built, capsys):
    capsys.readouterr()
    assert main(["snapshots", "--warehouse", str(built)]) == 0
    out = capsys.readouterr().out
    ids = [b["build_id"] for b in read_history(built)]
    assert out.index(ids[2]) < out.index(ids[1]) < out.index(ids[0])


def test_diff_papers_names_added_removed_and_changed_fields():
    old = pl.DataFrame(
        {
            "paper_id": ["a", "b", "c"],
            "title": ["A", "B", "C"],
            "abstract": ["x", "y", "z"],
            "n_occurrences": [1, 1, 1],
        }
    )
    new = pl.DataFrame(
        {
            "paper_id": ["b", "c", "d"],
            "title": ["B", "C", "D"],
            "abstract": ["y", "z2", "w"],
            "n_occurrences": [2, 1, 1],
        }
    )
    assert diff_papers(old, new).select("change", "paper_id", "fields").rows() == [
        ("added", "d", ""),
        ("changed", "b", "n_occurrences"),
        ("changed", "c", "abstract"),
        ("removed", "a", ""),
    ]
