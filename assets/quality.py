"""Data-quality gates: every staged table's expectation suite, and the cross-stage invariants, as checks.

Each table gets two checks from `expectations/<table>.json`: `expectations` runs its structural rules
and is blocking (a failure skips every downstream asset of the run, the publish included, so the last
published warehouse stays current); `soft_expectations` runs its soft rules and only warns. Invariants
that span tables are Dagster-native checks beside them. Checks read the staged Parquet the asset just
wrote, so they run as their own steps, right after their asset, in the same run.

Partitioned tables (page_files, parsed_records, quarantine) are validated for the run's partitions:
the keys come from the run's partition tags, resolved against the instance's dynamic partitions; for
each key, every page_files row and the records and spans of its newest version. A check launched
outside such a run (from the UI, say) validates every staged page file instead.

Whole staged tables keep beside them a record of the rows that met their row-local rules
(`staging/validated_rows/<table>.parquet`, see expectations.reuse): those rules then run on new or
changed rows only, the rules over the whole table on every row, and the checks' metadata say how
many rows were checked row by row and how many reused.
"""

from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl
import pyarrow.parquet as pq

from assets.ingest import PAGE_FILE_SCHEMA
from assets.metadata import markdown_preview
from assets.resources import PapersConfig
from expectations.invariants import (
    lines_not_accounted_for,
    occurrences_without_a_paper,
    papers_without_an_occurrence,
    published_differences,
)
from expectations.runner import FailedExpectation, suite_path, validate
from pipeline.pages import PROVENANCE_SCHEMA
from pipeline.parse import QUARANTINE_SCHEMA, RECORD_SCHEMA
from pipeline.versions import CURRENT, LIVE_STATUSES
from warehouse.publish import TABLES

STRUCTURE_CHECK = "expectations"
SOFT_CHECK = "soft_expectations"
FAILURES_SHOWN = 20
# Beside the staged tables: per table, the rows that met its row-local rules (expectations.reuse).
VALIDATED_ROWS_DIR = "validated_rows"
# Soft bounds, from the seed pages (24% of papers link somewhere, no quarantined line) with wide margins.
PAPERS_WITH_LINKS_SHARE = (0.02, 0.8)
MIN_PAPERS_FOR_SHARES = 100  # below this a share says more about chance than about the extractor
MAX_QUARANTINED_LINE_SHARE = 0.05


def suite_specs(table: str) -> list[dg.AssetCheckSpec]:
    return [
        dg.AssetCheckSpec(
            STRUCTURE_CHECK,
            asset=table,
            blocking=True,
            description=f"Structural rules of expectations/{table}.json; a failure stops the run "
            "before publishing.",
        ),
        dg.AssetCheckSpec(
            SOFT_CHECK, asset=table, description=f"Soft rules of expectations/{table}.json; warns."
        ),
    ]


def _failures_table(failures: Sequence[FailedExpectation]) -> dg.MetadataValue:
    rows = [
        {
            "rule": f.description or f.expectation,
            "column": f.column,
            "unexpected": None
            if f.unexpected_count is None
            else f"{f.unexpected_count} ({f.unexpected_percent:.1f}%)",
            "observed": f.error or f.observed,
            "expected": f.expected,
            "sample": "; ".join(f.sample),
        }
        for f in failures
    ]
    schema = dict.fromkeys(("rule", "column", "unexpected", "observed", "expected", "sample"), pl.String)
    return markdown_preview(pl.DataFrame(rows, schema=schema), rows=FAILURES_SHOWN)


def suite_results(
    table: str,
    frame: pl.DataFrame | pl.LazyFrame,
    parameters: Mapping[str, object],
    scope: str,
    validated_rows: Path | None = None,
) -> list[dg.AssetCheckResult]:
    """Validate `frame` once and report the structural and the soft rules as two checks.

    With `validated_rows` (a whole staged table), row-local rules skip the rows that met them before,
    unchanged; the metadata says how many rows they ran on and how many were reused.
    """
    summary = validate(frame, table, parameters, validated_rows)
    results = []
    for structural in (True, False):
        failed = summary.failed(structural)
        results.append(
            dg.AssetCheckResult(
                asset_key=table,
                check_name=STRUCTURE_CHECK if structural else SOFT_CHECK,
                passed=not failed,
                severity=dg.AssetCheckSeverity.ERROR if structural else dg.AssetCheckSeverity.WARN,
                description=summary.reason(structural),
                metadata={
                    "rows_validated": scope,
                    "n_rows": summary.n_rows,
                    "n_rows_checked_row_by_row": summary.n_rows_checked,
                    "n_rows_reused": summary.n_rows_reused,
                    "n_expectations": summary.count(structural),
                    "n_failed": len(failed),
                    "failed_expectations": _failures_table(failed),
                    "parameters": dg.MetadataValue.json(dict(parameters)),
                    "validation_seconds": round(summary.seconds, 3),
                    "suite": dg.MetadataValue.path(str(suite_path(table))),
                },
            )
        )
    return results


def whole_table_results(
    config: PapersConfig, table: str, parameters: Mapping[str, object]
) -> list[dg.AssetCheckResult]:
    """The suite of a whole staged table, reusing the rows validated by an earlier run (see above)."""
    return suite_results(
        table,
        pl.scan_parquet(config.table_path(table)),
        parameters,
        "the whole staged table",
        validated_rows=config.staging / VALIDATED_ROWS_DIR / f"{table}.parquet",
    )


def invariant_result(
    table: str, check_name: str, offending: pl.DataFrame, what: str, **metadata: object
) -> dg.AssetCheckResult:
    """A native check: `offending` holds the rows that break the invariant `what`."""
    return dg.AssetCheckResult(
        asset_key=table,
        check_name=check_name,
        passed=offending.is_empty(),
        description=f"{what}: "
        + ("holds." if offending.is_empty() else f"{offending.height} rows break it."),
        metadata={"n_offending_rows": offending.height, "sample": markdown_preview(offending), **metadata},
    )


def _read_staged(paths: list[Path], schema: Mapping[str, pl.DataType]) -> pl.DataFrame:
    """The rows of many staged files; a file written before a column was added gets it as nulls."""
    return _scan_staged(paths, schema).collect()


def _scan_staged(paths: list[Path], schema: Mapping[str, pl.DataType]) -> pl.LazyFrame:
    """`_read_staged` to be read later, for the columns a suite reads only."""
    if not paths:
        return pl.LazyFrame(schema=dict(schema))
    return pl.concat([pl.scan_parquet(path) for path in paths], how="diagonal_relaxed")


def _run_page_file_versions(
    context: dg.AssetCheckExecutionContext, config: PapersConfig
) -> tuple[pl.DataFrame, str]:
    """Every version of the run's page files, and a sentence saying which rows these are."""
    folder = config.staging / "page_files"
    if context.has_partition_key or context.has_partition_key_range:
        keys = list(context.partition_keys)
        scope = f"the run's {len(keys)} page file partition(s)"
    else:
        keys = sorted(path.name.removesuffix(".parquet") for path in folder.glob("*.parquet"))
        scope = f"every staged page file ({len(keys)}): the run has no partitions"
    paths = [config.page_file_path(key) for key in keys]
    return _read_staged([p for p in paths if p.exists()], PAGE_FILE_SCHEMA), scope


def _newest(versions: pl.DataFrame) -> pl.DataFrame:
    return versions.filter(pl.col("ingested_at") == pl.col("ingested_at").max().over("partition_key"))


def _version_files(config: PapersConfig, versions: pl.DataFrame, kind: str) -> list[Path]:
    return [path for path in config.version_paths(versions, kind) if path.exists()]


def _line_counts(paths: list[Path]) -> pl.DataFrame:
    """Lines held per version, in one scan of its files: a read per file cost 0.9 s for 2,000 files."""
    if not paths:
        return pl.DataFrame(schema={"source_id": pl.String, "n_lines": pl.Int32})
    return (
        # Files written by older code may hold other columns, or line counts of a narrower integer type.
        pl.scan_parquet(
            paths,
            schema={"source_id": pl.String, "n_lines": pl.Int64},
            extra_columns="ignore",
            cast_options=pl.ScanCastOptions(integer_cast="upcast"),
        )
        .group_by("source_id")
        .agg(pl.col("n_lines").sum().cast(pl.Int32))
        .collect()
    )


def _table(config: PapersConfig, table: str, columns: list[str] | None = None) -> pl.DataFrame:
    return pl.read_parquet(config.table_path(table), columns=columns)


def _row_count(config: PapersConfig, table: str) -> int:
    """From the Parquet footer: counting a column's values would read a million of them."""
    return pq.read_metadata(config.table_path(table)).num_rows


@dg.multi_asset_check(specs=suite_specs("page_files"), name="page_files_quality")
def page_files_quality(context: dg.AssetCheckExecutionContext, papers_config: PapersConfig):
    versions, scope = _run_page_file_versions(context, papers_config)
    yield from suite_results("page_files", versions, {}, scope)


@dg.multi_asset_check(specs=suite_specs("parsed_records"), name="parsed_records_quality")
def parsed_records_quality(context: dg.AssetCheckExecutionContext, papers_config: PapersConfig):
    versions, scope = _run_page_file_versions(context, papers_config)
    newest = _newest(versions)
    records = _scan_staged(
        _version_files(papers_config, newest, "records"), {**PROVENANCE_SCHEMA, **RECORD_SCHEMA}
    )
    parameters = {"n_records_declared": int(newest["n_records"].sum())}
    yield from suite_results("parsed_records", records, parameters, f"newest versions of {scope}")


@dg.multi_asset_check(
    specs=[
        *suite_specs("quarantine"),
        dg.AssetCheckSpec(
            "quarantined_line_share",
            asset="quarantine",
            description=f"At most {MAX_QUARANTINED_LINE_SHARE:.0%} of content lines are quarantined; warns.",
        ),
    ],
    name="quarantine_quality",
)
def quarantine_quality(context: dg.AssetCheckExecutionContext, papers_config: PapersConfig):
    versions, scope = _run_page_file_versions(context, papers_config)
    newest = _newest(versions)
    spans = _read_staged(
        _version_files(papers_config, newest, "quarantine"), {**PROVENANCE_SCHEMA, **QUARANTINE_SCHEMA}
    )
    parameters = {"n_quarantined_lines_declared": int(newest["n_quarantined_lines"].sum())}
    yield from suite_results("quarantine", spans, parameters, f"newest versions of {scope}")
    content = int(newest["n_content_lines"].sum())
    share = int(spans["n_lines"].sum()) / content if content else 0.0
    yield dg.AssetCheckResult(
        asset_key="quarantine",
        check_name="quarantined_line_share",
        passed=share <= MAX_QUARANTINED_LINE_SHARE,
        severity=dg.AssetCheckSeverity.WARN,
        description=f"{share:.1%} of {content:,} content lines quarantined "
        f"(at most {MAX_QUARANTINED_LINE_SHARE:.0%}).",
        metadata={"share": round(share, 4), "n_content_lines": content, "rows_validated": scope},
    )


@dg.multi_asset_check(
    specs=[
        *suite_specs("sources"),
        dg.AssetCheckSpec(
            "no_input_line_lost",
            asset="sources",
            blocking=True,
            description="Every content line of every live version is in a staged record or quarantined span.",
        ),
    ],
    name="sources_quality",
)
def sources_quality(papers_config: PapersConfig):
    table = _table(papers_config, "sources")
    # Row counts from the Parquet footers: cheap, and indifferent to columns added since a file was written.
    page_files = (papers_config.staging / "page_files").glob("*.parquet")
    n_versions = sum(pq.read_metadata(path).num_rows for path in page_files)
    yield from whole_table_results(papers_config, "sources", {"n_page_file_versions": n_versions})
    live = table.filter(pl.col("status").is_in(LIVE_STATUSES))
    lost = lines_not_accounted_for(
        live,
        _line_counts(_version_files(papers_config, live, "records")),
        _line_counts(_version_files(papers_config, live, "quarantine")),
    )
    yield invariant_result(
        "sources",
        "no_input_line_lost",
        lost,
        "Live versions' lines = record lines + quarantined lines",
        n_live_versions=live.height,
    )


@dg.multi_asset_check(specs=suite_specs("paper_occurrences"), name="paper_occurrences_quality")
def paper_occurrences_quality(papers_config: PapersConfig):
    sources = _table(papers_config, "sources", ["status", "n_records"])
    expected = int(sources.filter(pl.col("status") == CURRENT)["n_records"].sum())
    yield from whole_table_results(papers_config, "paper_occurrences", {"n_current_records": expected})


@dg.multi_asset_check(
    specs=[
        *suite_specs("papers"),
        dg.AssetCheckSpec(
            "every_occurrence_maps_to_a_paper",
            asset="papers",
            blocking=True,
            description="Every occurrence's paper_id is in papers, and every paper has an occurrence.",
        ),
    ],
    name="papers_quality",
)
def papers_quality(papers_config: PapersConfig):
    occurrences = _table(papers_config, "paper_occurrences", ["source_id", "position", "paper_id", "title"])
    yield from whole_table_results(papers_config, "papers", {"n_occurrences": occurrences.height})
    papers = _table(papers_config, "papers", ["paper_id", "title"])
    orphans = occurrences_without_a_paper(occurrences, papers)
    invented = papers_without_an_occurrence(occurrences, papers)
    yield invariant_result(
        "papers",
        "every_occurrence_maps_to_a_paper",
        pl.concat([orphans.select("paper_id", "title"), invented]),
        "Occurrences and papers map onto each other",
        n_occurrences_without_a_paper=orphans.height,
        n_papers_without_an_occurrence=invented.height,
    )


@dg.multi_asset_check(specs=suite_specs("paper_abstract_versions"), name="paper_abstract_versions_quality")
def paper_abstract_versions_quality(papers_config: PapersConfig):
    parameters = {
        "n_papers": _row_count(papers_config, "papers"),
        "n_occurrences": _row_count(papers_config, "paper_occurrences"),
    }
    yield from whole_table_results(papers_config, "paper_abstract_versions", parameters)


@dg.multi_asset_check(
    specs=[
        *suite_specs("paper_links"),
        dg.AssetCheckSpec(
            "share_of_papers_with_links",
            asset="paper_links",
            description="The share of papers with a link is plausible (judged from 100 papers on); warns.",
        ),
    ],
    name="paper_links_quality",
)
def paper_links_quality(papers_config: PapersConfig):
    n_papers = _row_count(papers_config, "papers")
    yield from whole_table_results(papers_config, "paper_links", {"n_papers": n_papers})
    linked = _table(papers_config, "paper_links", ["paper_id"])["paper_id"].n_unique()
    share = linked / n_papers if n_papers else 0.0
    low, high = PAPERS_WITH_LINKS_SHARE
    judged = n_papers >= MIN_PAPERS_FOR_SHARES
    yield dg.AssetCheckResult(
        asset_key="paper_links",
        check_name="share_of_papers_with_links",
        passed=not judged or low <= share <= high,
        severity=dg.AssetCheckSeverity.WARN,
        description=f"{share:.1%} of {n_papers:,} papers have a link (plausible: {low:.0%}-{high:.0%})"
        + ("." if judged else f"; not judged below {MIN_PAPERS_FOR_SHARES} papers."),
        metadata={"share": round(share, 4), "n_papers": n_papers, "judged": judged},
    )


@dg.multi_asset_check(specs=suite_specs("metric_definitions"), name="metric_definitions_quality")
def metric_definitions_quality(papers_config: PapersConfig):
    yield from whole_table_results(papers_config, "metric_definitions", {})


@dg.multi_asset_check(specs=suite_specs("paper_metrics"), name="paper_metrics_quality")
def paper_metrics_quality(papers_config: PapersConfig):
    parameters = {
        "n_papers": _row_count(papers_config, "papers"),
        "defined_metrics": _table(papers_config, "metric_definitions", ["metric"])["metric"].to_list(),
    }
    yield from whole_table_results(papers_config, "paper_metrics", parameters)


@dg.asset_check(
    asset="warehouse",
    name="warehouse_equals_staging",
    blocking=True,
    description="Every published table holds exactly the staged rows, row for row (not only as many).",
)
def warehouse_equals_staging(papers_config: PapersConfig) -> dg.AssetCheckResult:
    staged = {table: papers_config.table_path(table) for table in TABLES}
    try:
        differences = published_differences(papers_config.database_path, staged)
    except duckdb.Error as error:
        return dg.AssetCheckResult(
            passed=False, description=f"Cannot compare the published file: {str(error).splitlines()[0]}"
        )
    return invariant_result(
        "warehouse",
        "warehouse_equals_staging",
        differences,
        "Published rows = staged rows",
        n_tables_compared=len(staged),
    )


QUALITY_CHECKS: list[dg.AssetChecksDefinition] = [
    page_files_quality,
    parsed_records_quality,
    quarantine_quality,
    sources_quality,
    paper_occurrences_quality,
    papers_quality,
    paper_abstract_versions_quality,
    paper_links_quality,
    metric_definitions_quality,
    paper_metrics_quality,
    warehouse_equals_staging,
]


def failure_reason(evaluation: dg.AssetCheckEvaluation) -> str:
    """Why a check failed, in one line: its description, else its plain metadata values."""
    if evaluation.description:
        return evaluation.description
    plain = [
        f"{name}={entry.value}"
        for name, entry in evaluation.metadata.items()
        if isinstance(entry.value, int | float) or (isinstance(entry.value, str) and len(entry.value) < 80)
    ]
    return ", ".join(plain) or "see the check's metadata in the UI"


def failing_checks(evaluations: Sequence[dg.AssetCheckEvaluation]) -> Iterator[str]:
    """`asset:check [severity]: reason` for every failed evaluation; `papers run` and `status` print these."""
    for evaluation in evaluations:
        if not evaluation.passed:
            check = f"{evaluation.asset_key.to_user_string()}:{evaluation.check_name}"
            yield f"{check} [{evaluation.severity.value.lower()}]: {failure_reason(evaluation)}"
