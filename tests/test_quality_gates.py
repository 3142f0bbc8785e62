"""A defect planted at any stage fails its check, stops the run and leaves the published warehouse as it was.

Each case starts from a warehouse published from the two small pages, drops a new page in the inbox,
makes one stage misbehave (monkeypatched, as a bug would) and runs `papers run` as a user does. The
Dagster instance is an in-memory one: the same code path, several times faster than SQLite.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
import shutil
from collections.abc import Callable
from contextlib import redirect_stdout
from io import StringIO
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl
import pytest

import assets.enrich
import assets.ingest
import assets.papers
import assets.sources
import warehouse.publish
from assets.definitions import defs
from assets.quality import SOFT_CHECK, STRUCTURE_CHECK, _line_counts
from papers.cli import main
from tests.test_expectations import BINARY_PAGE, PAGE_WITH_LINKS_AND_RESULTS
from warehouse.parquet_views import view_sql

FIXTURES = Path(__file__).parent / "fixtures"


@dataclasses.dataclass(frozen=True)
class Published:
    root: Path
    summary: str
    instance: dg.DagsterInstance


def _use_instance(patch: pytest.MonkeyPatch, instance: dg.DagsterInstance) -> None:
    """`papers run` and `papers status` open `instance` instead of the one in DAGSTER_HOME."""
    patch.setattr(dg.DagsterInstance, "get", staticmethod(lambda: instance))


def _papers(root: Path, command: str) -> list[str]:
    inbox = ["--seeds", str(root / "inbox")] if command == "run" else []
    return [command, *inbox, "--warehouse", str(root / "warehouse")]


def _run(root: Path, capsys) -> tuple[int, str]:
    code = main(_papers(root, "run"))
    return code, capsys.readouterr().out


def _fingerprint(root: Path) -> tuple[str, list[str]]:
    """The published file's bytes and the files beside it (build history, snapshots)."""
    folder = root / "warehouse"
    digest = hashlib.sha256((folder / "papers.duckdb").read_bytes()).hexdigest()
    return digest, sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if "staging" not in p.parts)


def _last_run_events(event_type: dg.DagsterEventType) -> list:
    instance = dg.DagsterInstance.get()
    run_id = instance.get_runs(limit=1)[0].run_id
    return [
        r.event_log_entry.dagster_event
        for r in instance.get_records_for_run(run_id, of_type=event_type).records
    ]


@pytest.fixture(scope="module")
def published(tmp_path_factory) -> Published:
    """An inbox of the two small pages, the warehouse published from them, and that clean run."""
    root = tmp_path_factory.mktemp("published")
    (root / "inbox").mkdir()
    for name in ("daily_small.txt", "compact_small.txt"):
        shutil.copy(FIXTURES / name, root / "inbox" / name)
    instance = dg.DagsterInstance.ephemeral()
    with pytest.MonkeyPatch.context() as patch, redirect_stdout(StringIO()) as out:
        _use_instance(patch, instance)
        code = main(_papers(root, "run"))
    assert code == 0, out.getvalue()
    return Published(root, out.getvalue(), instance)


@pytest.fixture
def copy(published, tmp_path, monkeypatch) -> Path:
    """A private copy of the published warehouse and inbox, a new page waiting, a fresh instance."""
    root = tmp_path / "copy"
    shutil.copytree(published.root, root)
    _use_instance(monkeypatch, dg.DagsterInstance.ephemeral())
    (root / "inbox" / "results.txt").write_text(PAGE_WITH_LINKS_AND_RESULTS, encoding="utf-8")
    return root


def _first(column: str, value: object) -> Callable[[pl.DataFrame], pl.DataFrame]:
    first = pl.int_range(pl.len()) == 0
    return lambda f: f.with_columns(
        pl.when(first).then(pl.lit(value)).otherwise(pl.col(column)).alias(column)
    )


def _in_papers(change: Callable[[pl.DataFrame], pl.DataFrame]) -> Callable:
    """A change to the `papers` table of what update_papers returns."""
    return lambda tables: (change(tables[0]), tables[1])


def _page_version(**changes: Callable) -> Callable:
    """A change to what `read_page_version` returns: its `source` row, `records` or `quarantine`."""

    def change(version):
        return dataclasses.replace(
            version, **{field: fn(getattr(version, field)) for field, fn in changes.items()}
        )

    return change


# (the stage function a bug breaks, how its output is broken, the check that must fail)
DEFECTS = [
    (
        (assets.ingest, "read_page_version"),
        _page_version(source=lambda row: {**row, "encoding": "ebcdic"}),
        "page_files:expectations",
    ),
    (
        (assets.ingest, "read_page_version"),
        _page_version(records=lambda f: f.with_columns(line_start=pl.lit(0, pl.Int32))),
        "parsed_records:expectations",
    ),
    (
        (assets.ingest, "read_page_version"),
        _page_version(quarantine=lambda f: f.with_columns(reason=pl.lit("because"))),
        "quarantine:expectations",
    ),
    (
        (assets.sources, "resolve_source_status"),
        _first("duplicate_of", "compact_small.txt@0123456789ab"),
        "sources:expectations",
    ),
    (
        # A new page on top of a published warehouse: only the touched titles are re-keyed.
        (assets.papers, "update_occurrences"),
        lambda update: dataclasses.replace(
            update, table=update.table.with_columns(paper_id=pl.col("paper_id").str.to_uppercase())
        ),
        "paper_occurrences:expectations",
    ),
    # update_papers returns (papers, paper_abstract_versions); the run rebuilds the touched papers.
    ((assets.papers, "update_papers"), _in_papers(_first("title", "")), "papers:expectations"),
    (
        (assets.papers, "update_papers"),
        _in_papers(_first("paper_id", "0123456789abcdef")),  # counts still add up: only the mapping is broken
        "papers:every_occurrence_maps_to_a_paper",
    ),
    (
        (assets.papers, "update_papers"),
        lambda tables: (tables[0], tables[1].with_columns(is_chosen=pl.lit(False))),
        "paper_abstract_versions:expectations",
    ),
    ((assets.enrich, "extract_links"), _first("kind", "ftp"), "paper_links:expectations"),
    ((assets.enrich, "build_metric_definitions"), _first("unit", "kg"), "metric_definitions:expectations"),
    ((assets.enrich, "extract_metrics"), _first("kind", "guess"), "paper_metrics:expectations"),
]


@pytest.mark.parametrize(("target", "defect", "check"), DEFECTS, ids=[check for _, _, check in DEFECTS])
def test_a_planted_defect_fails_its_check_blocks_the_publish_and_shows_in_status(
    copy, monkeypatch, capsys, target, defect, check
):
    if check.startswith("quarantine"):
        (copy / "inbox" / "results.txt").write_bytes(BINARY_PAGE)  # a page that is quarantined whole
    module, name = target
    original = getattr(module, name)
    monkeypatch.setattr(module, name, lambda *args, **kwargs: defect(original(*args, **kwargs)))
    before = _fingerprint(copy)

    code, out = _run(copy, capsys)

    assert code == 1, out
    assert f"failed check {check} [error]: " in out, out
    assert "The last published warehouse is unchanged" in out
    assert _fingerprint(copy) == before
    materialized = {
        e.asset_key.to_user_string() for e in _last_run_events(dg.DagsterEventType.ASSET_MATERIALIZATION)
    }
    assert "warehouse" not in materialized
    assert main(_papers(copy, "status")) == 0
    reported = next(line for line in capsys.readouterr().out.splitlines() if f" {check} [error]: " in line)
    assert " failed on " in reported or " rows break it" in reported


def test_a_failure_names_the_rule_its_count_and_an_example(copy, monkeypatch, capsys):
    extract = assets.enrich.extract_links
    monkeypatch.setattr(
        assets.enrich, "extract_links", lambda frame: _first("availability", "soon")(extract(frame))
    )
    _code, out = _run(copy, capsys)
    assert (
        "failed check paper_links:expectations [error]: 1 of 17 expectations failed on paper_links: "
        "availability is available or announced: 1 rows (20.0%), e.g. soon\n" in out
    ), out


def _edited_table(con: duckdb.DuckDBPyConnection, scratch: Path) -> None:
    """`papers` becomes a table of the same rows but one edited title."""
    con.execute("CREATE TABLE edited AS SELECT * FROM papers")
    con.execute("UPDATE edited SET title = 'edited' WHERE paper_id = (SELECT min(paper_id) FROM edited)")
    con.execute("DROP VIEW papers")
    con.execute("ALTER TABLE edited RENAME TO papers")


def _view_over_another_file(con: duckdb.DuckDBPyConnection, scratch: Path) -> None:
    """`papers` stays a view of the published shape, over a copy with one edited title."""
    other = scratch / "other.parquet"
    con.execute(
        "COPY (SELECT * REPLACE (CASE WHEN paper_id = (SELECT min(paper_id) FROM papers) THEN 'edited' "
        "ELSE title END AS title) FROM papers) TO $path",
        {"path": str(other)},
    )
    con.execute(f"CREATE OR REPLACE VIEW papers AS {view_sql(other)}")


@pytest.mark.parametrize("tamper", [_edited_table, _view_over_another_file])
def test_rows_changed_while_publishing_are_caught_before_the_swap(
    copy, monkeypatch, capsys, tmp_path, tamper
):
    """Same row counts, different rows: the row-for-row comparison refuses the new file."""
    build = warehouse.publish.build_database

    def build_then_edit(data_files, target, *args, **kwargs):
        counts = build(data_files, target, *args, **kwargs)
        con = duckdb.connect(str(target))
        tamper(con, tmp_path)
        con.close()
        return counts

    monkeypatch.setattr(warehouse.publish, "build_database", build_then_edit)
    before = _fingerprint(copy)
    code, out = _run(copy, capsys)
    assert code == 1
    # Only `papers` is named: same row count on both sides, different content fingerprint.
    assert re.search(r"published rows differ from staged rows: \[\('papers', (\d+), \1\)\]", out), out
    assert _fingerprint(copy) == before


def test_a_soft_rule_failure_warns_and_the_run_still_publishes(copy, monkeypatch, capsys):
    extract = assets.enrich.extract_metrics
    monkeypatch.setattr(
        assets.enrich, "extract_metrics", lambda frame: extract(frame).with_columns(out_of_range=pl.lit(True))
    )
    before = _fingerprint(copy)
    code, out = _run(copy, capsys)
    assert code == 0, out
    assert (
        "failed check paper_metrics:soft_expectations [warn]: 1 of 3 expectations failed on paper_metrics: "
        "Few results fall outside their metric's plausible range" in out
    )
    assert _fingerprint(copy) != before


def test_a_clean_run_passes_every_check_of_every_table(published, monkeypatch):
    assert " 0 failed." in published.summary
    _use_instance(monkeypatch, published.instance)
    evaluations = [
        e.event_specific_data for e in _last_run_events(dg.DagsterEventType.ASSET_CHECK_EVALUATION)
    ]
    assert all(e.passed for e in evaluations)
    evaluated = {f"{e.asset_key.to_user_string()}:{e.check_name}" for e in evaluations}
    expected = {
        f"{key.asset_key.to_user_string()}:{key.name}" for key in defs.resolve_asset_graph().asset_check_keys
    }
    assert evaluated == expected


def test_every_table_has_its_suite_checks_and_the_warehouse_its_audit():
    graph = defs.resolve_asset_graph()
    checks: dict[str, set[str]] = {}
    for key in graph.asset_check_keys:
        checks.setdefault(key.asset_key.to_user_string(), set()).add(key.name)
    for table in graph.get_all_asset_keys() - {dg.AssetKey("warehouse")}:
        assert {STRUCTURE_CHECK, SOFT_CHECK} <= checks[table.to_user_string()], table
    assert "warehouse_equals_staging" in checks["warehouse"]
    structural = [key for key in graph.asset_check_keys if key.name == STRUCTURE_CHECK]
    assert all(graph.get_check_spec(key).blocking for key in structural)
    assert not any(
        graph.get_check_spec(key).blocking for key in graph.asset_check_keys if key.name == SOFT_CHECK
    )


def test_a_run_after_a_new_page_checks_row_by_row_only_the_rows_it_has_not_validated(published, copy, capsys):
    before = pl.read_parquet(published.root / "warehouse" / "staging" / "paper_occurrences.parquet").height
    code, out = _run(copy, capsys)
    assert code == 0, out
    evaluations = {
        (e.asset_key.to_user_string(), e.check_name): e.metadata
        for e in (x.event_specific_data for x in _last_run_events(dg.DagsterEventType.ASSET_CHECK_EVALUATION))
    }
    occurrences = evaluations[("paper_occurrences", STRUCTURE_CHECK)]
    counts = {
        name: occurrences[name].value for name in ("n_rows", "n_rows_reused", "n_rows_checked_row_by_row")
    }
    assert counts == {"n_rows": before + 3, "n_rows_reused": before, "n_rows_checked_row_by_row": 3}
    assert (copy / "warehouse" / "staging" / "validated_rows" / "paper_occurrences.parquet").exists()


def test_line_counts_are_summed_per_version_across_files_of_older_layouts(tmp_path):
    """One scan reads them all: a file with an extra column or a wider integer type is read alike."""
    pl.DataFrame({"source_id": ["a", "a"], "n_lines": [2, 3], "extra": [1, 2]}).cast(
        {"n_lines": pl.Int32}
    ).write_parquet(tmp_path / "narrow.parquet")
    pl.DataFrame({"source_id": ["b", "a"], "n_lines": [4, 1]}).write_parquet(tmp_path / "wide.parquet")
    counts = _line_counts([tmp_path / "narrow.parquet", tmp_path / "wide.parquet"])
    assert counts.sort("source_id").rows() == [("a", 6), ("b", 4)]
