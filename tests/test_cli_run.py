"""`papers run` end to end on a temporary copy of the pages, as a user runs it."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pytest

from papers.cli import main


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    monkeypatch.delenv("PAPERS_SEEDS_DIR", raising=False)
    monkeypatch.delenv("PAPERS_WAREHOUSE_DIR", raising=False)
    return tmp_path


def _counts(warehouse: Path) -> tuple[int, int, int]:
    con = duckdb.connect(str(warehouse / "papers.duckdb"), read_only=True)
    try:
        return con.execute(
            "select (select count(*) from sources), (select count(*) from paper_occurrences), "
            "(select count(*) from papers)"
        ).fetchone()
    finally:
        con.close()


def test_papers_run_builds_the_warehouse_from_the_five_pages(seed_inbox, env, capsys):
    warehouse = env / "warehouse"
    assert main(["run", "--seeds", str(seed_inbox), "--warehouse", str(warehouse)]) == 0
    assert _counts(warehouse) == (5, 837, 751)
    out = capsys.readouterr().out
    assert "5 new, 0 changed, 0 unchanged" in out
    assert "0 failed" in out


def test_a_second_run_with_nothing_new_runs_nothing(seed_inbox, env, capsys):
    args = ["run", "--seeds", str(seed_inbox), "--warehouse", str(env / "warehouse")]
    assert main(args) == 0
    published = (env / "warehouse" / "papers.duckdb").stat().st_mtime_ns
    capsys.readouterr()
    assert main(args) == 0
    assert "nothing to run" in capsys.readouterr().out
    assert (env / "warehouse" / "papers.duckdb").stat().st_mtime_ns == published


def test_a_sixth_page_is_the_only_page_reprocessed(seed_inbox, env, capsys):
    warehouse = env / "warehouse"
    args = ["run", "--seeds", str(seed_inbox), "--warehouse", str(warehouse)]
    assert main(args) == 0
    staged = {p: p.stat().st_mtime_ns for p in (warehouse / "staging" / "parsed_records").rglob("*.parquet")}
    shutil.copy(Path(__file__).parent / "fixtures" / "daily_small.txt", seed_inbox / "sixth page.txt")
    capsys.readouterr()
    assert main(args) == 0
    assert "1 new, 0 changed, 5 unchanged" in capsys.readouterr().out
    assert {p: p.stat().st_mtime_ns for p in staged} == staged
    sources, occurrences, papers = _counts(warehouse)
    assert (sources, occurrences) == (6, 840)
    assert papers == 751  # the three papers of the sixth page are already known


def test_a_missing_inbox_is_one_clear_line_and_a_non_zero_exit(env, capsys):
    assert main(["run", "--seeds", str(env / "nowhere"), "--warehouse", str(env / "w")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "does not exist" in err[0]


READER = textwrap.dedent(
    """
    import sys, duckdb
    con = duckdb.connect(sys.argv[1], read_only=True)
    print(con.execute("select count(*) from sources").fetchone()[0], flush=True)
    sys.stdin.readline()  # hold the file open until the test says so
    print(con.execute("select count(*) from sources").fetchone()[0], flush=True)
    """
)


def test_a_reader_holding_the_warehouse_open_never_breaks_a_run(seed_inbox, env):
    warehouse = env / "warehouse"
    args = ["run", "--seeds", str(seed_inbox), "--warehouse", str(warehouse)]
    assert main(args) == 0
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(warehouse / "papers.duckdb")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert reader.stdout.readline().strip() == "5"  # the reader holds the file open from here on
    shutil.copy(Path(__file__).parent / "fixtures" / "compact_small.txt", seed_inbox / "new.txt")
    assert main(args) == 0
    assert reader.poll() is None, "the run finished while the reader still held the file open"
    # The reader keeps its snapshot; a new connection sees the new build.
    reader.stdin.write("done\n")
    reader.stdin.flush()
    assert reader.stdout.readline().strip() == "5"
    assert reader.wait(timeout=30) == 0
    assert _counts(warehouse)[0] == 6
