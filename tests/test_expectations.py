"""The declared suites load whole, pass on clean tables, and catch a planted defect in each table."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import duckdb
import polars as pl
import pytest

import expectations.runner as runner
from assets.ingest import PAGE_FILE_SCHEMA
from expectations import SuiteLoadError, load_suite, suite_tables, validate
from expectations.invariants import (
    lines_not_accounted_for,
    occurrences_without_a_paper,
    papers_without_an_occurrence,
    published_differences,
)
from pipeline import PARSER_VERSION
from pipeline.dedup import assign_paper_ids, build_abstract_versions, build_papers
from pipeline.links import extract_links
from pipeline.metric_vocabulary import metric_definitions
from pipeline.metrics import extract_metrics
from pipeline.pages import read_page_version
from pipeline.sources import partition_key, source_id
from pipeline.versions import CURRENT, resolve_source_status

FIXTURES = Path(__file__).parent / "fixtures"
STAGED_TABLES = {
    "page_files",
    "parsed_records",
    "quarantine",
    "sources",
    "paper_occurrences",
    "papers",
    "paper_abstract_versions",
    "paper_links",
    "metric_definitions",
    "paper_metrics",
}
# A compact-layout page whose abstracts hold links of every kind and reported results.
PAGE_WITH_LINKS_AND_RESULTS = """Get trending papers in your email inbox!
SubscribeSparse Mixture Routers for Efficient Vision Transformers
We introduce a sparse routing scheme for vision transformers that activates only a few experts per token. \
Our model reaches 84.2% top-1 accuracy on ImageNet while using half of the compute of dense baselines. \
Code is available at https://github.com/example-lab/sparse-routers.
Diffusion Distillation in Four Steps
We distill a large diffusion model into a four-step sampler. The student attains an FID of 2.31 on \
ImageNet 256x256, close to the teacher, and runs 12x faster than the original sampler. Our code will be \
released at https://github.com/Example/Four-Step.
Streaming Speech Recognition with Tiny Transducers
We present a small transducer for on-device speech recognition that streams with low latency. It achieves \
a word error rate of 5.1% on LibriSpeech test-clean and improves WER by 0.8 over a strong baseline. Demo \
video: https://www.youtube.com/watch?v=abc123 and project page https://tiny-transducers.github.io/.
"""
BINARY_PAGE = b"\x00\x01\x02\x03 not a page"

Tables = dict[str, tuple[pl.DataFrame, dict[str, object]]]


def page_version(name: str, data: bytes):
    """`read_page_version` of a page's bytes, as the ingest step calls it."""
    sha = hashlib.sha256(data).hexdigest()
    key = partition_key(name)
    now = dt.datetime(2026, 1, 2, tzinfo=dt.UTC)
    return read_page_version(
        source_id=source_id(key, sha),
        partition_key=key,
        file_name=name,
        sha256=sha,
        data=data,
        file_mtime=now,
        ingested_at=now,
    )


@pytest.fixture(scope="module")
def clean() -> Tables:
    """Every staged table built by the pipeline's own transforms from four small pages, with parameters."""
    pages = {name: (FIXTURES / name).read_bytes() for name in ("daily_small.txt", "compact_small.txt")}
    pages |= {"results.txt": PAGE_WITH_LINKS_AND_RESULTS.encode(), "binary.txt": BINARY_PAGE}
    versions = [page_version(name, data) for name, data in pages.items()]
    page_files = pl.DataFrame(
        [{**v.source, "parser_version": PARSER_VERSION} for v in versions], schema=PAGE_FILE_SCHEMA
    )
    records = pl.concat([v.records for v in versions])
    quarantine = pl.concat([v.quarantine for v in versions])
    sources = resolve_source_status(page_files, [partition_key(name) for name in pages])
    current = sources.filter(pl.col("status") == CURRENT)["source_id"]
    occurrences = assign_paper_ids(records.filter(pl.col("source_id").is_in(current)))
    papers = build_papers(occurrences)
    abstracts = papers.select("paper_id", "abstract")
    definitions = metric_definitions()
    n_papers, n_occurrences = papers.height, occurrences.height
    return {
        "page_files": (page_files, {}),
        "parsed_records": (records, {"n_records_declared": int(page_files["n_records"].sum())}),
        "quarantine": (
            quarantine,
            {"n_quarantined_lines_declared": int(page_files["n_quarantined_lines"].sum())},
        ),
        "sources": (sources, {"n_page_file_versions": page_files.height}),
        "paper_occurrences": (occurrences, {"n_current_records": occurrences.height}),
        "papers": (papers, {"n_occurrences": n_occurrences}),
        "paper_abstract_versions": (
            build_abstract_versions(occurrences, papers),
            {"n_papers": n_papers, "n_occurrences": n_occurrences},
        ),
        "paper_links": (extract_links(abstracts), {"n_papers": n_papers}),
        "metric_definitions": (definitions, {}),
        "paper_metrics": (
            extract_metrics(abstracts),
            {"n_papers": n_papers, "defined_metrics": definitions["metric"].to_list()},
        ),
    }


def test_every_staged_table_has_a_suite():
    assert set(suite_tables()) == STAGED_TABLES


@pytest.mark.parametrize("table", sorted(STAGED_TABLES))
def test_each_suite_loads_with_every_expectation_understood(table):
    declared = json.loads((runner.SUITES_DIR / f"{table}.json").read_text())["expectations"]
    assert len(load_suite(table).expectations) == len(declared)


@pytest.mark.parametrize("table", sorted(STAGED_TABLES))
def test_each_suite_has_structural_and_soft_rules_and_documents_its_parameters(table):
    spec = json.loads((runner.SUITES_DIR / f"{table}.json").read_text())
    severities = {e.get("severity", "critical") for e in spec["expectations"]}
    assert severities == {"critical", "warning"}
    assert runner.suite_parameters(spec) == set(spec["meta"]["parameters"])
    assert all(e.get("description") for e in spec["expectations"])


@pytest.mark.parametrize(
    ("broken", "why"),
    [
        ({"type": "expect_column_values_to_be_purple", "kwargs": {"column": "a"}}, "unknown type"),
        ({"type": "expect_column_values_to_not_be_null", "kwargs": {"colum": "a"}}, "misspelled argument"),
        (
            {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "a"}, "severity": "loud"},
            "bad severity",
        ),
    ],
)
def test_a_suite_with_an_expectation_gx_does_not_understand_is_refused(tmp_path, monkeypatch, broken, why):
    good = {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "a"}}
    (tmp_path / "broken.json").write_text(json.dumps({"name": "broken", "expectations": [good, broken]}))
    monkeypatch.setattr(runner, "SUITES_DIR", tmp_path)
    runner.load_suite.cache_clear()
    try:
        with pytest.raises(SuiteLoadError, match=r"GX understood 1 of 2|GX refused the suite"):
            load_suite("broken")
    finally:
        runner.load_suite.cache_clear()


@pytest.mark.parametrize(
    ("expectations", "columns"),
    [
        ([{"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "a"}}], {"a"}),
        (
            [
                {
                    "type": "expect_column_pair_values_a_to_be_greater_than_b",
                    "kwargs": {"column_A": "a", "column_B": "b"},
                }
            ],
            {"a", "b"},
        ),
        (
            [{"type": "expect_compound_columns_to_be_unique", "kwargs": {"column_list": ["a", "c"]}}],
            {"a", "c"},
        ),
        (
            [
                {
                    "type": "expect_table_columns_to_match_set",
                    "kwargs": {"column_set": ["d"], "exact_match": False},
                }
            ],
            {"d"},
        ),
        (
            [
                {
                    "type": "expect_table_columns_to_match_set",
                    "kwargs": {"column_set": ["d"], "exact_match": True},
                }
            ],
            None,
        ),
        ([{"type": "expect_table_column_count_to_equal", "kwargs": {"value": 3}}], None),
        ([{"type": "expect_table_row_count_to_be_between", "kwargs": {"min_value": 1}}], set()),
    ],
)
def test_only_the_columns_a_suite_reads_are_handed_to_gx(expectations, columns):
    read = runner.columns_read_by({"expectations": expectations})
    assert read == (None if columns is None else frozenset(columns))


@pytest.mark.parametrize("table", runner.suite_tables())
def test_each_suite_still_sees_every_column_it_names(table):
    """Pruned columns always include those a part's expectations name: none meets a missing column."""
    expectations = runner.read_suite_file(table)["expectations"]
    for part in runner.suite_parts(table):
        named = {expectations[i]["kwargs"].get("column") for i in part.positions} - {None}
        assert part.columns is None or named <= part.columns


@pytest.mark.parametrize("table", runner.suite_tables())
def test_a_suite_is_split_into_parts_that_hold_each_expectation_once(table):
    parts = runner.suite_parts(table)
    positions = sorted(i for part in parts for i in part.positions)
    assert positions == list(range(len(runner.read_suite_file(table)["expectations"])))
    assert sum(len(part.suite.expectations) for part in parts) == len(positions)


def test_a_row_condition_is_validated_without_the_columns_it_does_not_read():
    """pandas copies every column to apply a condition: the abstracts stay out of that frame."""
    parts = {part.kind: part for part in runner.suite_parts("paper_abstract_versions")}
    conditioned = parts["conditioned"]
    assert all(e.row_condition is not None for e in conditioned.suite.expectations)
    assert conditioned.columns == {"paper_id", "is_chosen"}
    assert "abstract" in parts["rows"].columns


def test_a_suite_refuses_to_run_without_its_parameters(clean):
    frame, _ = clean["papers"]
    with pytest.raises(SuiteLoadError, match="n_occurrences"):
        validate(frame, "papers", {})


@pytest.mark.parametrize("table", sorted(STAGED_TABLES))
def test_clean_tables_pass_every_structural_rule(clean, table):
    frame, parameters = clean[table]
    summary = validate(frame, table, parameters)
    assert summary.failed(structural=True) == (), [f.reason() for f in summary.failures]
    assert summary.n_rows == frame.height > 0


def test_soft_rules_warn_about_the_binary_page_and_nothing_else(clean):
    """One page in four is binary: the soft rules on encodings, layouts and quarantine notice it."""
    warned = {
        table: sorted(f.description for f in validate(frame, table, parameters).failed(structural=False))
        for table, (frame, parameters) in clean.items()
    }
    assert {table: rules for table, rules in warned.items() if rules} == {
        "page_files": [
            "Nearly all pages are UTF-8; fallback decodings deserve a look",
            "Nearly all pages are in a known layout",
        ],
        "quarantine": ["Most rejections are single orphan units, not whole pages"],
        "sources": ["Few versions are quarantined whole or empty"],
    }


def _set(column: str, value: object, rows: int = 1) -> Callable[[pl.DataFrame], pl.DataFrame]:
    """Set `column` to `value` on the first `rows` rows."""
    first = pl.int_range(pl.len()) < rows
    return lambda f: f.with_columns(
        pl.when(first).then(pl.lit(value)).otherwise(pl.col(column)).alias(column)
    )


# (table, defect, the rule that must fail): one or more per table, each a structural (blocking) rule.
DEFECTS = [
    ("page_files", _set("encoding", "ebcdic"), "encoding is one the decoder names"),
    ("page_files", _set("n_content_lines", 10_000), "Content lines are a part of all lines"),
    ("parsed_records", _set("line_start", 0), "Line numbers count from 1"),
    ("parsed_records", lambda f: pl.concat([f, f.head(1)]), "(source_id, position) is the key"),
    ("parsed_records", lambda f: f.head(1), "Exactly the records each version's page_files row declares"),
    ("parsed_records", _set("flags", ["misread"]), "flags are among the parser's and decoder's known flags"),
    ("quarantine", _set("reason", "because"), "reason is one the parser or decoder gives"),
    ("quarantine", _set("n_lines", 7), "The spans hold exactly the quarantined lines each version declares"),
    ("sources", _set("status", "archived"), "status is one of the six known states"),
    ("sources", _set("duplicate_of", "x@0123456789ab"), "Only duplicates name another version"),
    ("sources", lambda f: f.tail(-1), "One row for every ingested version, no more, no fewer"),
    ("paper_occurrences", _set("paper_id", "NOT-HEX"), "paper_id is 16 lower-case hex digits"),
    ("paper_occurrences", _set("paper_id", None), "Every occurrence is keyed to a paper"),
    ("papers", _set("title", ""), "Titles are not empty"),
    ("papers", _set("n_occurrences", 5), "Every occurrence is counted in exactly one paper"),
    ("paper_abstract_versions", _set("is_chosen", False, rows=100), "One chosen version per paper"),
    ("paper_links", _set("kind", "ftp"), "kind is repository, video or web"),
    ("paper_links", _set("repo", "GitHub:Example/Thing"), "repo is host:owner/name in lower case"),
    ("paper_links", _set("availability", "soon"), "availability is available or announced"),
    ("metric_definitions", _set("unit", "kg"), "unit is %, x, dB, fps or empty"),
    (
        "metric_definitions",
        lambda f: f.filter(pl.col("metric") != "other"),
        "The vocabulary has the catch-all id 'other'",
    ),
    ("paper_metrics", _set("kind", "guess"), "kind is score, delta or baseline"),
    ("paper_metrics", _set("metric", "vibes"), "metric is an id of metric_definitions"),
    ("paper_metrics", _set("unit", "kg"), "unit is %, x, dB, fps or empty"),
]


@pytest.mark.parametrize(("table", "defect", "rule"), DEFECTS, ids=[f"{t}: {r}" for t, _, r in DEFECTS])
def test_a_planted_defect_fails_its_structural_rule(clean, table, defect, rule):
    frame, parameters = clean[table]
    summary = validate(defect(frame), table, parameters)
    assert rule in {f.description for f in summary.failed(structural=True)}
    assert summary.reason(structural=True).startswith(f"{len(summary.failed(structural=True))} of ")


def test_a_soft_rule_failure_warns_without_failing_the_structure(clean):
    frame, parameters = clean["paper_metrics"]
    summary = validate(frame.with_columns(out_of_range=pl.lit(True)), "paper_metrics", parameters)
    assert summary.failed(structural=True) == ()
    assert [f.description for f in summary.failed(structural=False)] == [
        "Few results fall outside their metric's plausible range"
    ]


def test_a_failure_reports_its_count_share_and_sample_values(clean):
    frame, parameters = clean["paper_links"]
    summary = validate(_set("kind", "ftp", rows=2)(frame), "paper_links", parameters)
    (failure,) = [f for f in summary.failures if f.column == "kind"]
    assert (failure.unexpected_count, failure.sample) == (2, ("ftp",))
    assert failure.unexpected_percent == pytest.approx(200 / frame.height)
    assert "kind is repository, video or web: 2 rows" in summary.reason(structural=True)


def test_a_bound_from_the_input_reports_what_it_expected(clean):
    frame, _ = clean["papers"]
    summary = validate(frame, "papers", {"n_occurrences": 1})
    reasons = [f.reason() for f in summary.failed(structural=True)]
    assert f"No more papers than occurrences: observed {frame.height} (min_value=0, max_value=1)" in reasons


LINES = {"source_id": pl.String, "n_lines": pl.Int32}


@pytest.mark.parametrize(
    ("records", "spans", "lost"),
    [
        ([("a", 2), ("a", 2)], [("a", 1), ("b", 1)], []),
        ([("a", 2)], [("a", 1), ("b", 1)], ["a"]),
        ([("a", 2), ("a", 2)], [("a", 1)], ["b"]),
        ([], [], ["a", "b"]),
    ],
)
def test_lines_not_accounted_for_names_versions_whose_lines_do_not_add_up(records, spans, lost):
    versions = pl.DataFrame({"source_id": ["a", "b"], "n_content_lines": [5, 1]})
    held = [pl.DataFrame(rows, schema=LINES, orient="row") for rows in (records, spans)]
    assert sorted(lines_not_accounted_for(versions, *held)["source_id"]) == lost


def test_occurrences_and_papers_must_map_onto_each_other():
    occurrences = pl.DataFrame(
        {
            "source_id": ["s"] * 3,
            "position": [1, 2, 3],
            "paper_id": ["p1", "p2", None],
            "title": ["A", "B", "C"],
        }
    )
    papers = pl.DataFrame({"paper_id": ["p1", "p9"], "title": ["A", "Z"]})
    assert occurrences_without_a_paper(occurrences, papers)["position"].to_list() == [2, 3]
    assert papers_without_an_occurrence(occurrences, papers)["paper_id"].to_list() == ["p9"]


@pytest.mark.parametrize(
    ("staged_rows", "differs"),
    [
        ([(1, "a"), (2, "b")], False),
        ([(2, "b"), (1, "a")], False),  # order does not matter
        ([(1, "a"), (2, "changed")], True),  # same count, one row changed
        ([(1, "a")], True),
        ([(1, "a"), (2, "b"), (2, "b")], True),  # a duplicated row
    ],
)
def test_published_differences_compares_rows_not_only_counts(tmp_path, staged_rows, differs):
    database = tmp_path / "papers.duckdb"
    con = duckdb.connect(str(database))
    con.execute("CREATE TABLE papers AS SELECT * FROM (VALUES (1, 'a'), (2, 'b')) t(id, title)")
    con.close()
    staged = tmp_path / "papers.parquet"
    pl.DataFrame(staged_rows, schema={"id": pl.Int32, "title": pl.String}, orient="row").write_parquet(staged)
    differences = published_differences(database, {"papers": staged})
    expected = [("papers", 2, len(staged_rows))] if differs else []
    assert differences.rows() == expected


# Reuse of rows validated before (expectations.reuse): a record kept beside the table between runs.


def _clear_suite_caches() -> None:
    for cached in (runner.load_suite, runner.suite_parts, runner.required_parameters):
        cached.cache_clear()


@pytest.fixture
def own_suites(tmp_path, monkeypatch) -> Callable[[str, list[dict]], None]:
    """Write suites into a folder of their own; the runner reads them instead of the project's."""
    folder = tmp_path / "suites"
    folder.mkdir()
    monkeypatch.setattr(runner, "SUITES_DIR", folder)
    _clear_suite_caches()

    def write(name: str, expectations: list[dict]) -> None:
        (folder / f"{name}.json").write_text(json.dumps({"name": name, "expectations": expectations}))
        _clear_suite_caches()

    yield write
    monkeypatch.undo()
    _clear_suite_caches()


def _verdicts(summary) -> list[tuple]:
    return [
        (f.description, f.unexpected_count, round(f.unexpected_percent or 0, 6), f.observed, f.sample)
        for f in summary.failures
    ]


@pytest.mark.parametrize(("table", "defect", "rule"), DEFECTS, ids=[f"{t}: {r}" for t, _, r in DEFECTS])
def test_reusing_validated_rows_reports_exactly_what_validating_every_row_reports(
    clean, tmp_path, table, defect, rule
):
    """The clean table is recorded, then the defect is planted: new, changed, duplicated or lost rows."""
    frame, parameters = clean[table]
    record = tmp_path / "validated.parquet"
    validate(frame, table, parameters, record)
    changed = defect(frame)
    reused = validate(changed, table, parameters, record)
    assert _verdicts(reused) == _verdicts(validate(changed, table, parameters))
    assert rule in {f.description for f in reused.failed(structural=True)}


def test_unchanged_rows_are_reused_and_only_new_or_changed_rows_are_checked(clean, tmp_path):
    frame, parameters = clean["paper_occurrences"]
    record = tmp_path / "validated.parquet"
    first = validate(frame, "paper_occurrences", parameters, record)
    again = validate(frame, "paper_occurrences", parameters, record)
    retitled = _set("title", "A new title for the first occurrence")(frame)
    changed = validate(retitled, "paper_occurrences", parameters, record)
    assert (first.n_rows_checked, first.n_rows_reused) == (frame.height, 0)
    assert (again.n_rows_checked, again.n_rows_reused) == (0, frame.height)
    assert (changed.n_rows_checked, changed.n_rows_reused) == (1, frame.height - 1)
    assert f"({frame.height:,} unchanged rows reused" in again.reason(structural=True)
    assert again.failures == first.failures == ()


def test_a_row_that_broke_a_rule_is_checked_again_on_every_run_until_it_is_fixed(clean, tmp_path):
    frame, parameters = clean["papers"]
    record = tmp_path / "validated.parquet"
    bad = _set("title", "")(frame)
    checked = []
    for _ in range(2):
        summary = validate(bad, "papers", parameters, record)
        assert "Titles are not empty" in {f.description for f in summary.failed(structural=True)}
        checked.append(summary.n_rows_checked)
    assert checked == [frame.height, 1]
    fixed = validate(frame, "papers", parameters, record)
    assert (fixed.n_rows_checked, fixed.failures) == (1, ())


def test_a_duplicate_of_an_old_row_is_caught_though_the_row_itself_is_reused(clean, tmp_path):
    frame, parameters = clean["papers"]
    record = tmp_path / "validated.parquet"
    validate(frame, "papers", parameters, record)
    summary = validate(pl.concat([frame, frame.head(1)]), "papers", parameters, record)
    assert summary.n_rows_reused == frame.height + 1
    (failure,) = [f for f in summary.failed(structural=True) if f.description == "paper_id is the key"]
    assert failure.unexpected_count == 2


LENGTHS = {
    "type": "expect_column_value_lengths_to_be_between",
    "description": "Names have three letters or more",
    "kwargs": {"column": "name", "min_value": 3},
}


def test_rows_recorded_under_a_looser_suite_are_checked_again_when_the_suite_changes(own_suites, tmp_path):
    frame = pl.DataFrame({"name": ["anna", "bo", "carl"]})
    record = tmp_path / "validated.parquet"
    own_suites("people", [{**LENGTHS, "kwargs": {"column": "name", "min_value": 1}}])
    assert validate(frame, "people", {}, record).failures == ()
    own_suites("people", [LENGTHS])
    summary = validate(frame, "people", {}, record)
    assert (summary.n_rows_checked, [f.sample for f in summary.failures]) == (3, [("bo",)])


def test_rows_recorded_under_other_parameters_are_checked_again(clean, tmp_path):
    """The metric ids a row-local rule checks against come from a parameter: a new value voids the record."""
    frame, parameters = clean["paper_metrics"]
    record = tmp_path / "validated.parquet"
    assert validate(frame, "paper_metrics", parameters, record).failed(structural=True) == ()
    fewer = {**parameters, "defined_metrics": ["other"]}
    summary = validate(frame, "paper_metrics", fewer, record)
    assert summary.n_rows_reused == 0
    assert "metric is an id of metric_definitions" in {f.description for f in summary.failures}


@pytest.mark.parametrize(("n_short", "passes"), [(1, True), (10, True), (11, False)])
def test_a_mostly_bound_is_judged_on_every_row_not_only_the_checked_ones(
    own_suites, tmp_path, n_short, passes
):
    """Ten long names recorded, then short ones added: half the rows may be short, no more."""
    own_suites("people", [{**LENGTHS, "kwargs": {**LENGTHS["kwargs"], "mostly": 0.5}}])
    long = pl.DataFrame({"name": [f"name{i}" for i in range(10)] + [None]})
    record = tmp_path / "validated.parquet"
    validate(long, "people", {}, record)
    summary = validate(pl.concat([long, pl.DataFrame({"name": ["x"] * n_short})]), "people", {}, record)
    assert (summary.n_rows_reused, summary.failures == ()) == (11, passes)
    if not passes:
        (failure,) = summary.failures
        assert failure.unexpected_percent == pytest.approx(100 * n_short / (10 + n_short))  # nulls skipped


def test_a_pair_rule_counts_the_rows_it_skips_among_the_reused_rows(own_suites, tmp_path):
    own_suites(
        "spans",
        [
            {
                "type": "expect_column_pair_values_a_to_be_greater_than_b",
                "kwargs": {"column_A": "end", "column_B": "start", "or_equal": True, "mostly": 0.6},
            }
        ],
    )
    recorded = pl.DataFrame({"end": [5, None, 7, 9], "start": [1, None, 2, None]})
    record = tmp_path / "validated.parquet"
    validate(recorded, "spans", {}, record)
    grown = pl.concat([recorded, pl.DataFrame({"end": [0, 1], "start": [3, 4]})])
    # Samples may differ in form: pandas makes a column with a null float, without one int.
    counts = [verdict[:4] for verdict in _verdicts(validate(grown, "spans", {}, record))]
    assert counts == [verdict[:4] for verdict in _verdicts(validate(grown, "spans", {}))]
    assert counts == [(None, 3, 60.0, None)]  # 3 of the 5 rows not skipped as missing


@pytest.mark.parametrize("record_bytes", [b"not parquet", None])
def test_an_unreadable_or_foreign_record_means_every_row_is_checked(clean, tmp_path, record_bytes):
    frame, parameters = clean["papers"]
    record = tmp_path / "validated.parquet"
    if record_bytes is None:  # a valid record, of another table's rows and rules
        other, other_parameters = clean["paper_occurrences"]
        validate(other, "paper_occurrences", other_parameters, record)
    else:
        record.write_bytes(record_bytes)
    summary = validate(frame, "papers", parameters, record)
    assert (summary.n_rows_checked, summary.failures) == (frame.height, ())
    assert validate(frame, "papers", parameters, record).n_rows_reused == frame.height
