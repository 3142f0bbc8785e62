"""`papers report`: one self-contained HTML page of the published warehouse, charts drawn inline."""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser
from pathlib import Path

import dagster as dg
import pytest

from papers.cli import main
from papers.querying import query_frame
from papers.report import Bar, CheckStatus, bar_chart, check_statuses, render_report
from tests.test_cookbook import published_seeds  # noqa: F401 - the session fixture, built once

PASSED = CheckStatus(
    "papers", "key_is_unique", "passed", "No two rows share the key.", dt.datetime.now(dt.UTC)
)
FAILED = CheckStatus("paper_links", "belongs_to_a_paper", "failed", "Every row's paper_id exists in papers.")


class Tags(HTMLParser):
    """Every start tag with its attributes, to inspect the page as a browser would parse it."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def parse(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = Tags()
    parser.feed(html)
    return parser.tags


@pytest.fixture(scope="module")
def report(published_seeds: Path, tmp_path_factory: pytest.TempPathFactory) -> str:  # noqa: F811
    out = tmp_path_factory.mktemp("report") / "report.html"
    assert render_report(published_seeds, out, checks=[PASSED, FAILED]) == out
    return out.read_text(encoding="utf-8")


def test_the_report_needs_nothing_but_itself(report: str) -> None:
    tags = parse(report)
    assert not [tag for tag, _ in tags if tag in {"script", "link", "img", "iframe"}]
    assert not [attrs for _, attrs in tags if "src" in attrs]
    assert {attrs["href"] for _, attrs in tags if "href" in attrs} == {"#checks"}  # links within the page
    assert "http://" not in report and "https://" not in report
    assert report.count("<svg") == sum(tag == "svg" for tag, _ in tags) >= 10


def test_every_benchmark_with_two_or_more_papers_gets_a_leaderboard_chart(
    published_seeds: Path,  # noqa: F811
    report: str,
) -> None:
    boards = query_frame(
        published_seeds,
        """SELECT coalesce(d.display_name, l.metric) AS name, l.dataset, max(l.n_papers) AS n
           FROM leaderboard l LEFT JOIN metric_definitions d USING (metric)
           WHERE l.dataset <> '(unspecified)' AND l.n_papers >= 2 GROUP BY ALL""",
    )
    headings = re.findall(r"<h3>([^<]+) on ([^<]+)</h3>", report)
    shown = min(boards.height, 12)
    assert len(headings) == shown > 0
    assert set(headings) <= set(boards.select("name", "dataset").rows())
    assert ("Top-1 accuracy", "ImageNet") in headings  # the most contested benchmark of the bundled pages


def test_code_availability_counts_match_the_warehouse(published_seeds: Path, report: str) -> None:  # noqa: F811
    with_code = query_frame(published_seeds, "SELECT count(DISTINCT paper_id) AS n FROM papers_with_code")[
        "n"
    ][0]
    papers = query_frame(published_seeds, "SELECT count(*) AS n FROM papers")["n"][0]
    assert f"code available {with_code:,} ({with_code / papers:.0%})" in report


def test_sources_over_time_lists_every_page_version(published_seeds: Path, report: str) -> None:  # noqa: F811
    files = query_frame(published_seeds, "SELECT file_name FROM sources")["file_name"]
    assert all(f"<td>{name}</td>" in report for name in files)
    assert "Records per listing date" in report


def test_failed_checks_come_first_and_are_counted(report: str) -> None:
    assert "1 passed · 1 failed" in report
    assert re.search(r"<b style=\"color:#cf222e\">1 / 2</b>", report)  # the tile at the top turns red
    assert report.index("belongs_to_a_paper") < report.index("key_is_unique")


def test_data_text_is_escaped_not_interpreted() -> None:
    svg = bar_chart([Bar("<script>alert(1)</script>", 3.5, "%", tooltip='a "quoted" & <b>bold</b> title')])
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert "&lt;b&gt;bold&lt;/b&gt;" in svg and "3.5%" in svg


@pytest.mark.parametrize(("value", "width"), [(10.0, 300.0), (5.0, 150.0), (0.0, 1.5)])
def test_bar_length_is_proportional_to_the_value(value: float, width: float) -> None:
    svg = bar_chart([Bar("top", 10.0), Bar("other", value)])
    widths = [float(w) for w in re.findall(r'<rect [^>]*width="([\d.]+)"', svg)]
    assert widths == [300.0, width]


def test_the_report_is_written_atomically_over_an_older_one(published_seeds: Path, tmp_path: Path) -> None:  # noqa: F811
    out = tmp_path / "report.html"
    out.write_text("old", encoding="utf-8")
    render_report(published_seeds, out, checks=[])
    assert out.read_text(encoding="utf-8").startswith("<!doctype html>")
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]


def test_without_a_dagster_instance_the_report_says_where_checks_are(
    published_seeds: Path,  # noqa: F811
    tmp_path: Path,
    monkeypatch,
) -> None:
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    html = render_report(published_seeds, tmp_path / "r.html").read_text(encoding="utf-8")
    assert "Check results are not available here" in html


def test_check_statuses_reads_the_latest_result_of_every_check(published_seeds: Path) -> None:  # noqa: F811
    from assets.definitions import defs

    home = published_seeds.parent.parent / "dagster_home"
    with dg.DagsterInstance.from_config(str(home)) as instance:
        statuses = check_statuses(instance)
    keys = defs.resolve_asset_graph().asset_check_keys
    assert len(statuses) == len(keys)
    assert {s.state for s in statuses} == {"passed"}
    assert all(s.at is not None and s.description for s in statuses if s.asset == "warehouse")


def test_papers_report_writes_the_page_and_prints_where(published_seeds: Path, tmp_path, monkeypatch, capsys):  # noqa: F811
    monkeypatch.setenv("DAGSTER_HOME", str(published_seeds.parent.parent / "dagster_home"))
    monkeypatch.setenv("PAPERS_SEEDS_DIR", str(tmp_path))  # `papers` exports these; monkeypatch restores them
    monkeypatch.setenv("PAPERS_WAREHOUSE_DIR", str(tmp_path))
    out = tmp_path / "out" / "report.html"
    assert main(["report", "--warehouse", str(published_seeds.parent), "--out", str(out)]) == 0
    assert capsys.readouterr().out.strip() == f"Report: {out}"
    assert "passed" in out.read_text(encoding="utf-8")
