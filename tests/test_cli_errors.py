"""Errors a user can hit answer with one clear line on stderr and exit status 1, never a traceback."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pytest

from papers.cli import main

HOLD_READ_WRITE = textwrap.dedent(
    """
    import sys, duckdb
    con = duckdb.connect(sys.argv[1])  # read-write: holds the file's lock until killed
    print("holding", flush=True)
    sys.stdin.read()
    """
)


@pytest.fixture
def warehouse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A tiny published file; `papers` exports its settings, so monkeypatch sets them to restore them."""
    for name in ("DAGSTER_HOME", "PAPERS_SEEDS_DIR", "PAPERS_WAREHOUSE_DIR"):
        monkeypatch.setenv(name, str(tmp_path / name.lower()))
    folder = tmp_path / "warehouse"
    folder.mkdir()
    con = duckdb.connect(str(folder / "papers.duckdb"))
    con.execute("CREATE TABLE papers AS SELECT 'p1' AS paper_id, 'A title' AS title, 2 AS n_sources")
    con.close()
    return folder


def one_line_error(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    """Run `papers argv`; assert exit 1, nothing on stdout and exactly one line on stderr; return it."""
    code = main(argv)
    captured = capsys.readouterr()
    assert code == 1
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith(f"papers {argv[0]}: ")
    return lines[0]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["sql", "SELEC count(*) FROM papers"], "query failed: Parser Error"),
        (["sql", "SELECT * FROM no_such_table"], "query failed: Catalog Error"),
        (["sql", "--query", "no_such_query"], "no query named 'no_such_query' in the cookbook"),
        (["sql", "--query", "results_of_paper"], "needs --param title=VALUE"),
        (["sql", "--query", "papers_with_code", "--param", "title"], "is not of the form NAME=VALUE"),
        (["sql", "--query", "papers_with_code", "--param", "x=1"], "has no parameter x"),
        (["sql", "SELECT 1", "--query", "papers_with_code"], "give either a query"),
        (["sql"], "give either a query"),
        (["sql", "SELECT 1", "--snapshot", "20990101T000000000000Z"], "unknown snapshot"),
        (
            ["sql", "SELECT * FROM papers WHERE n_sources >= $n::INTEGER", "--param", "n=two"],
            "Conversion Error",
        ),
    ],
)
def test_a_bad_query_is_one_line(warehouse: Path, capsys, argv: list[str], message: str) -> None:
    assert message in one_line_error(capsys, [*argv, "--warehouse", str(warehouse)])


@pytest.mark.parametrize("command", ["sql", "status", "report"])
def test_no_warehouse_yet_is_one_line_that_says_what_to_run(tmp_path, warehouse, capsys, command) -> None:
    argv = [command, "SELECT 1"] if command == "sql" else [command]
    line = one_line_error(capsys, [*argv, "--warehouse", str(tmp_path / "nowhere")])
    assert "no warehouse at" in line and "papers run" in line


def test_a_missing_inbox_folder_is_one_line(tmp_path, warehouse, capsys) -> None:
    line = one_line_error(
        capsys, ["run", "--seeds", str(tmp_path / "no_inbox"), "--warehouse", str(warehouse)]
    )
    assert "inbox folder" in line and "does not exist" in line


def test_a_warehouse_locked_by_a_writer_is_one_line_naming_the_process(warehouse, capsys) -> None:
    database = warehouse / "papers.duckdb"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_READ_WRITE, str(database)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "holding"
        line = one_line_error(capsys, ["sql", "SELECT count(*) FROM papers", "--warehouse", str(warehouse)])
    finally:
        holder.kill()
        holder.wait(timeout=10)
    assert f"is locked by a writer (PID {holder.pid}" in line
    assert "-readonly" in line


def test_the_installed_command_prints_no_traceback(warehouse) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "papers.cli", "sql", "SELEC 1", "--warehouse", str(warehouse)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert done.stderr.splitlines() == [done.stderr.strip()]
    assert done.stderr.startswith("papers sql: query failed: Parser Error")
