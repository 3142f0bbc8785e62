"""The published tables are views over immutable data files: unchanged tables are never rewritten,
old snapshots keep reading their own rows, and data files no kept build reads are removed."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import duckdb
import polars as pl
import pytest

from papers.cli import main
from warehouse.parquet_views import data_file_of, sql_string, view_sql
from warehouse.publish import TABLES, publish
from warehouse.snapshots import read_history


@pytest.fixture(scope="module")
def real_staging(tmp_path_factory) -> Path:
    """The staged tables of one real run over the two small pages, to publish variations of."""
    root = tmp_path_factory.mktemp("real")
    shutil.copytree(Path(__file__).parent / "fixtures", root / "inbox", ignore=shutil.ignore_patterns("bad"))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DAGSTER_HOME", str(root / "dagster_home"))
        assert main(["run", "--seeds", str(root / "inbox"), "--warehouse", str(root / "warehouse")]) == 0
    return root / "warehouse" / "staging"


def _stage(staging: Path, real: Path, titles: list[str]) -> dict[str, Path]:
    """Every table as the real run staged it, except `papers`: one row per title."""
    staging.mkdir(parents=True, exist_ok=True)
    staged = {}
    for table in TABLES:
        frame = pl.read_parquet(real / f"{table}.parquet")
        if table == "papers":
            frame = (
                frame.head(1)
                .select(pl.exclude("paper_id", "title"))
                .join(pl.DataFrame({"paper_id": titles, "title": titles}), how="cross")
            )
        path = staging / f"{table}.parquet"
        tmp = path.with_suffix(".tmp")
        frame.write_parquet(tmp)
        os.replace(tmp, path)  # staged files are replaced by rename, as the stages do
        staged[table] = path
    return staged


def _publish(root: Path, real: Path, titles: list[str], keep: int = 5, restage: bool = True) -> dict:
    staging = root / "staging"
    staged = _stage(staging, real, titles) if restage else {t: staging / f"{t}.parquet" for t in TABLES}
    counts = {t: pl.scan_parquet(p).select(pl.len()).collect().item() for t, p in staged.items()}
    return publish(staged, root / "papers.duckdb", "test", [], counts, keep)


def _titles(database: Path) -> list[str]:
    con = duckdb.connect(str(database), read_only=True)
    try:
        return [t for (t,) in con.execute("SELECT title FROM papers ORDER BY title").fetchall()]
    finally:
        con.close()


def test_every_table_is_a_view_over_a_data_file_beside_the_warehouse(tmp_path, real_staging):
    build = _publish(tmp_path, real_staging, ["a", "b"])
    con = duckdb.connect(str(tmp_path / "papers.duckdb"), read_only=True)
    views = dict(con.execute("SELECT view_name, sql FROM duckdb_views() WHERE NOT internal").fetchall())
    comment = con.execute("SELECT comment FROM duckdb_views() WHERE view_name = 'papers'").fetchone()[0]
    con.close()
    for table in TABLES:
        data_file = data_file_of(views[table])
        assert data_file == (tmp_path / build["data_files"][table]).resolve()
        assert data_file.parent == (tmp_path / "data" / table).resolve()
    assert comment == "One row per distinct paper."
    assert _titles(tmp_path / "papers.duckdb") == ["a", "b"]


def test_an_unchanged_staged_file_keeps_its_data_file_and_a_changed_one_gets_a_new_one(
    tmp_path, real_staging
):
    first = _publish(tmp_path, real_staging, ["a"])
    second = _publish(tmp_path, real_staging, ["a", "b"], restage=False)
    assert second["data_files"] == first["data_files"]
    third = _publish(tmp_path, real_staging, ["a", "b"])
    assert third["data_files"]["papers"] != second["data_files"]["papers"]
    assert _titles(tmp_path / "papers.duckdb") == ["a", "b"]


def test_an_older_snapshot_still_reads_its_own_rows(tmp_path, real_staging):
    _publish(tmp_path, real_staging, ["old"])
    _publish(tmp_path, real_staging, ["new"])
    first, _second = read_history(tmp_path)
    assert _titles(tmp_path / "snapshots" / f"{first['build_id']}.duckdb") == ["old"]
    assert _titles(tmp_path / "papers.duckdb") == ["new"]


def test_data_files_that_no_kept_build_reads_are_removed(tmp_path, real_staging):
    for titles in (["one"], ["two"], ["three"], ["four"]):
        _publish(tmp_path, real_staging, titles, keep=2)
    history = read_history(tmp_path)
    kept = {build["data_files"]["papers"] for build in history if build["snapshot_kept"]}
    on_disk = {p.relative_to(tmp_path).as_posix() for p in (tmp_path / "data" / "papers").glob("*.parquet")}
    assert on_disk == kept and len(kept) == 2
    assert _titles(tmp_path / "papers.duckdb") == ["four"]


@pytest.mark.parametrize("name", ["plain", "it's quoted", 'dou"ble', "spaced out"])
def test_a_data_file_path_with_quotes_or_spaces_round_trips(tmp_path, name):
    path = tmp_path / name / "t.parquet"
    path.parent.mkdir()
    pl.DataFrame({"x": [7]}).write_parquet(path)
    con = duckdb.connect()
    con.execute(f"CREATE VIEW t AS {view_sql(path)}")
    definition = con.execute("SELECT sql FROM duckdb_views() WHERE view_name = 't'").fetchone()[0]
    assert data_file_of(definition) == path.resolve()
    assert con.execute("SELECT x FROM t").fetchall() == [(7,)]


@pytest.mark.parametrize(
    "definition",
    [
        "CREATE VIEW t AS SELECT x FROM read_parquet('/a.parquet');",
        "CREATE VIEW t AS SELECT * FROM read_parquet('/a.parquet') WHERE x > 1;",
        "CREATE VIEW t AS SELECT * FROM read_parquet(['/a.parquet', '/b.parquet']);",
        "",
    ],
)
def test_a_view_of_any_other_shape_names_no_data_file(definition):
    assert data_file_of(definition) is None


def test_sql_string_doubles_single_quotes():
    assert sql_string("it's") == "'it''s'"
