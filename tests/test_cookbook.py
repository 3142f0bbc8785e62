"""The cookbook's named queries, each run on the warehouse built from the five bundled pages."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest

from papers.cli import main
from papers.querying import query_frame
from warehouse.cookbook import CookbookError, list_queries, load_query, parse_param_assignments, parse_query

ROOT = Path(__file__).parent.parent
QUERIES = list_queries()
DUCKDB_CLI = Path(sys.executable).parent / "duckdb"  # duckdb-cli, a dev dependency, beside the venv's python


@pytest.fixture(scope="session")
def published_seeds(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The warehouse `papers run` publishes from the bundled pages; built once, read by many tests."""
    root = tmp_path_factory.mktemp("seeds_warehouse")
    shutil.copytree(ROOT / "data" / "seeds", root / "seeds")
    with pytest.MonkeyPatch.context() as env:  # `papers run` exports its settings; undo that after
        env.setenv("DAGSTER_HOME", str(root / "dagster_home"))
        env.setenv("PAPERS_SEEDS_DIR", str(root / "seeds"))
        env.setenv("PAPERS_WAREHOUSE_DIR", str(root / "warehouse"))
        assert main(["run", "--seeds", str(root / "seeds"), "--warehouse", str(root / "warehouse")]) == 0
        yield root / "warehouse" / "papers.duckdb"


@pytest.fixture
def settings_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """`papers` exports its settings to the environment; set them here so monkeypatch restores them."""
    for name in ("DAGSTER_HOME", "PAPERS_SEEDS_DIR", "PAPERS_WAREHOUSE_DIR"):
        monkeypatch.setenv(name, str(tmp_path / name.lower()))
    return tmp_path


def run_named(database: Path, name: str, **params: str) -> pl.DataFrame:
    query = load_query(name)
    return query_frame(database, query.sql, query.bind(params))


def table(database: Path, sql: str, **params: object) -> pl.DataFrame:
    return query_frame(database, sql, params)


@pytest.mark.parametrize("query", QUERIES, ids=[q.name for q in QUERIES])
def test_every_query_declares_a_summary_and_exactly_the_parameters_its_sql_uses(query) -> None:
    assert re.match(r"^[A-Z][^:]+: .+", query.summary), query.summary
    body = "\n".join(line for line in query.sql.splitlines() if not line.lstrip().startswith("--"))
    assert set(re.findall(r"\$(\w+)", body)) == {param.name for param in query.params}
    assert all(param.description for param in query.params)


@pytest.mark.parametrize("query", QUERIES, ids=[q.name for q in QUERIES])
def test_every_query_runs_on_the_bundled_pages_with_its_defaults(published_seeds: Path, query) -> None:
    example = {p.name: "HART" for p in query.params if p.required}
    frame = query_frame(published_seeds, query.sql, query.bind(example))
    assert frame.width >= 3
    if query.name != "quarantined_input":  # the bundled pages parse cleanly
        assert frame.height > 0


def test_papers_with_code_lists_available_repositories_only(published_seeds: Path) -> None:
    found = run_named(published_seeds, "papers_with_code")
    assert ("Align before Fuse", "github:salesforce/albef") in {
        (title.split(":")[0], repo) for title, repo in found.select("title", "repo").iter_rows()
    }
    links = table(
        published_seeds, "SELECT paper_id, repo, availability FROM paper_links WHERE repo IS NOT NULL"
    )
    joined = found.join(links, on=["paper_id", "repo"], how="left")
    assert joined.filter(pl.col("availability") == "available").select("paper_id", "repo").n_unique() == (
        found.select("paper_id", "repo").n_unique()
    )


def test_code_announced_lists_promised_repositories_and_flags_papers_that_also_have_code(
    published_seeds: Path,
) -> None:
    announced = run_named(published_seeds, "code_announced")
    expected = table(
        published_seeds,
        "SELECT count(*) AS n FROM paper_links WHERE kind = 'repository' AND availability = 'announced'",
    )["n"][0]
    assert announced.height == expected > 0
    with_code = set(table(published_seeds, "SELECT paper_id FROM papers_with_code")["paper_id"])
    for paper_id, flagged in announced.select("paper_id", "also_has_code").iter_rows():
        assert flagged == (paper_id in with_code)


def test_best_fid_on_imagenet_ranks_each_paper_once_lowest_first(published_seeds: Path) -> None:
    best = run_named(published_seeds, "best_on_benchmark")
    assert best["paper_id"].is_unique().all()
    assert best["dataset"].str.to_lowercase().str.starts_with("imagenet").all()
    assert best["value"].is_sorted() and (best["better"] == "lower").all()
    lowest = table(
        published_seeds,
        "SELECT min(value) AS v FROM paper_metrics WHERE metric = 'fid' AND kind = 'score' "
        "AND NOT out_of_range AND lower(dataset) LIKE 'imagenet%'",
    )["v"][0]
    assert best.row(0, named=True)["rank"] == 1 and best["value"][0] == lowest


def test_best_on_benchmark_ranks_higher_is_better_metrics_highest_first(published_seeds: Path) -> None:
    best = run_named(published_seeds, "best_on_benchmark", metric="top1_accuracy", dataset="imagenet")
    assert best.height >= 2
    assert best["value"].is_sorted(descending=True) and (best["better"] == "higher").all()


@pytest.mark.parametrize("min_pages", [2, 3, 4])
def test_papers_on_several_pages_match_the_papers_occurrence_counts(published_seeds: Path, min_pages) -> None:
    several = run_named(published_seeds, "papers_on_several_pages", min_pages=str(min_pages))
    expected = table(published_seeds, "SELECT count(*) AS n FROM papers WHERE n_sources >= $n", n=min_pages)
    assert several.height == expected["n"][0] > 0
    assert (several["n_pages"] >= min_pages).all()
    assert (several["pages"].list.len() == several["n_pages"]).all()


def test_results_of_one_paper_finds_it_by_part_of_its_title(published_seeds: Path) -> None:
    results = run_named(published_seeds, "results_of_paper", title="hybrid autoregressive")
    assert results.height > 0
    assert results["title"].unique().to_list() == [
        "HART: Efficient Visual Generation with Hybrid Autoregressive Transformer"
    ]
    assert {"fid", "speedup"} <= set(results["metric"])


def test_a_parameter_is_bound_as_a_value_never_pasted_into_the_sql(published_seeds: Path) -> None:
    assert run_named(published_seeds, "results_of_paper", title="' OR 1=1 --").height == 0


def test_after_a_first_build_every_page_was_added_in_the_last_run(published_seeds: Path) -> None:
    changes = run_named(published_seeds, "last_run_changes")
    assert changes["change"].to_list() == ["added"] * 5
    assert changes["build_id"].n_unique() == 1


def test_last_run_changes_names_changed_added_replaced_and_deleted_pages(small_inbox, tmp_path, settings_env):
    database = tmp_path / "warehouse" / "papers.duckdb"
    run = ["run", "--seeds", str(small_inbox), "--warehouse", str(tmp_path / "warehouse")]
    assert main(run) == 0
    daily = small_inbox / "daily_small.txt"
    daily.write_text(daily.read_text(encoding="utf-8").replace("novel", "new", 1), encoding="utf-8")
    shutil.copy(small_inbox / "compact_small.txt", small_inbox / "copy_of_compact.txt")
    assert main(run) == 0

    changes = run_named(database, "last_run_changes")
    assert sorted(changes.select("change", "file_name").iter_rows()) == [
        ("added", "copy_of_compact.txt"),
        ("changed", "daily_small.txt"),
        ("replaced", "daily_small.txt"),
    ]

    (small_inbox / "copy_of_compact.txt").unlink()
    assert main(run) == 0
    changes = run_named(database, "last_run_changes")
    assert changes.select("change", "file_name", "status").rows() == [
        ("deleted", "copy_of_compact.txt", "deleted")
    ]


def test_quarantined_input_groups_rejected_spans_per_file_and_reason(small_inbox, tmp_path, settings_env):
    (small_inbox / "notes.txt").write_text("just a shopping list\nmilk\neggs\n", encoding="utf-8")
    warehouse = tmp_path / "warehouse"
    assert main(["run", "--seeds", str(small_inbox), "--warehouse", str(warehouse)]) == 0
    expected = table(
        warehouse / "papers.duckdb", "SELECT file_name, reason, count(*) AS n FROM quarantine GROUP BY ALL"
    )
    grouped = run_named(warehouse / "papers.duckdb", "quarantined_input")
    assert "notes.txt" in set(grouped["file_name"])
    assert sorted(grouped.select("file_name", "reason", "n_spans").rows()) == sorted(expected.rows())
    assert grouped["sample"].str.len_chars().max() <= 120


@pytest.mark.parametrize(
    ("name", "given", "message"),
    [
        ("results_of_paper", {}, "needs --param title=VALUE"),
        ("papers_with_code", {"title": "x"}, "has no parameter title"),
        ("best_on_benchmark", {"metrc": "fid"}, "has no parameter metrc (accepted: dataset, metric)"),
    ],
)
def test_binding_rejects_missing_and_unknown_parameters(name, given, message) -> None:
    with pytest.raises(CookbookError, match=re.escape(message)):
        load_query(name).bind(given)


def test_an_unknown_query_name_suggests_the_closest_ones() -> None:
    with pytest.raises(CookbookError, match="did you mean results_of_paper"):
        load_query("result_of_papers")


@pytest.mark.parametrize(
    ("assignments", "expected"),
    [(["title=HART"], {"title": "HART"}), (["a=1", "b=x=y"], {"a": "1", "b": "x=y"}), (["a="], {"a": ""})],
)
def test_param_assignments_split_at_the_first_equals_sign(assignments, expected) -> None:
    assert parse_param_assignments(assignments) == expected


def test_a_param_line_with_a_default_and_one_without_are_both_read() -> None:
    query = parse_query(
        "q", "-- Q: a query.\n-- More words.\n-- param a = 2: first\n-- param b: second\nSELECT $a, $b"
    )
    assert [(p.name, p.default, p.description) for p in query.params] == [
        ("a", "2", "first"),
        ("b", None, "second"),
    ]
    assert query.details == "More words."
    assert query.usage() == "papers sql --query q --param a=2 --param b=..."


@pytest.mark.parametrize("output_format", ["table", "csv", "json"])
def test_papers_sql_runs_a_named_query_in_every_format(
    published_seeds: Path, output_format, settings_env, capsys
) -> None:
    args = ["sql", "--query", "papers_on_several_pages", "--param", "min_pages=4", "--format", output_format]
    assert main([*args, "--warehouse", str(published_seeds.parent)]) == 0
    out = capsys.readouterr().out
    if output_format == "json":
        assert {row["n_pages"] for row in json.loads(out)} == {4}
    elif output_format == "csv":
        assert out.splitlines()[0] == "title,n_pages,pages,first_listed,paper_id"
        assert len(out.splitlines()) == 4
    else:
        assert out.rstrip().endswith("(3 rows)")


def test_papers_queries_lists_every_query_with_a_command_to_run_it(capsys) -> None:
    assert main(["queries"]) == 0
    out = capsys.readouterr().out
    for query in QUERIES:
        assert query.name in out and query.usage() in out


def test_the_readme_shows_every_cookbook_query() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert [q.name for q in QUERIES if f"--query {q.name}" not in readme] == []


@pytest.mark.skipif(
    not DUCKDB_CLI.exists(), reason="the DuckDB CLI (duckdb-cli, a dev dependency) is not installed"
)
def test_the_duckdb_cli_opens_the_published_file(published_seeds: Path) -> None:
    done = subprocess.run(
        [
            str(DUCKDB_CLI),
            "-readonly",
            "-csv",
            str(published_seeds),
            "-c",
            "SELECT count(*) AS n FROM papers",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert done.stdout.split() == ["n", "751"]
