"""Sources stage: every version of every page file with its status in the current warehouse, and the
inbox problems (files refused or not readable yet) that the published `quarantine` reports."""

import dagster as dg
import polars as pl

from assets.ingest import read_page_file_rows
from assets.metadata import key_is_unique, markdown_preview, table_metadata
from assets.resources import PapersConfig
from pipeline import PARSER_VERSION
from pipeline.pages import resolve_listing_date
from pipeline.parse import QUARANTINE_SCHEMA
from pipeline.sources import INBOX_FINGERPRINTS, discover_pages
from pipeline.storage import write_parquet_atomic
from pipeline.versions import DUPLICATE, LIVE_STATUSES, resolve_source_status

# Published beside the quarantined spans of page versions: a file that was never read has no
# source_id and no lines, only its name and the reason.
INBOX_PROBLEM_SCHEMA = {"source_id": pl.String, "file_name": pl.String, **QUARANTINE_SCHEMA}
NOT_INGESTED = "not ingested yet: changed since the last run read it"
INBOX_PROBLEMS_TABLE = "inbox_problems"


def read_all_page_file_versions(config: PapersConfig) -> pl.DataFrame:
    return read_page_file_rows(sorted((config.staging / "page_files").glob("*.parquet")))


def inbox_problem_rows(problems: list[tuple[str, str]]) -> pl.DataFrame:
    """One quarantine row per (file name, reason): no source_id, no lines were read."""
    rows = [{"file_name": name, "reason": reason, "n_lines": 0} for name, reason in problems]
    return pl.DataFrame(rows, schema=INBOX_PROBLEM_SCHEMA)


def read_inbox_problems(config: PapersConfig) -> pl.DataFrame:
    """The inbox problems of the last `sources` run, in the published quarantine's columns."""
    path = config.table_path(INBOX_PROBLEMS_TABLE)
    return pl.read_parquet(path).cast(INBOX_PROBLEM_SCHEMA) if path.exists() else inbox_problem_rows([])


def with_listing_dates(versions: pl.DataFrame, year: int | None) -> pl.DataFrame:
    """Resolve each version's listing date again, so a newly configured year applies to every file."""
    resolved = [
        resolve_listing_date(text, mtime, year)
        for text, mtime in versions.select("listing_date_text", "file_mtime").iter_rows()
    ]
    return versions.with_columns(
        listing_date=pl.Series([date for date, _ in resolved], dtype=pl.Date),
        listing_date_source=pl.Series([source for _, source in resolved], dtype=pl.String),
    )


@dg.asset(
    deps=["page_files"],
    group_name="ingest",
    kinds={"polars", "parquet"},
    code_version=PARSER_VERSION,
    check_specs=[
        dg.AssetCheckSpec(
            "key_is_unique", asset="sources", blocking=True, description="One row per source_id."
        ),
        dg.AssetCheckSpec(
            "every_inbox_file_accounted_for",
            asset="sources",
            blocking=True,
            description="Every inbox file has a live version of its present bytes or an inbox problem.",
        ),
    ],
)
def sources(context: dg.AssetExecutionContext, papers_config: PapersConfig):
    """One row per version (content hash) of a page file, with its status: current, superseded, deleted..."""
    discovery = discover_pages(papers_config.inbox, fingerprints=papers_config.staging / INBOX_FINGERPRINTS)
    present: dict[str, str | None] = {page.key: page.sha256 for page in discovery.pages}
    present |= {key: None for key in discovery.waiting_keys}
    year = papers_config.resolved_listing_year
    versions = with_listing_dates(read_all_page_file_versions(papers_config), year)
    table = resolve_source_status(versions, present)
    ingested = set(table.select("partition_key", "sha256").iter_rows())
    problems = discovery.problems + [
        (page.file_name, NOT_INGESTED) for page in discovery.pages if (page.key, page.sha256) not in ingested
    ]
    for name, why in problems:
        context.log.warning(f"{name}: {why}")
    problem_rows = inbox_problem_rows(problems)
    write_parquet_atomic(problem_rows, papers_config.table_path(INBOX_PROBLEMS_TABLE))
    path = write_parquet_atomic(table, papers_config.table_path("sources"))

    is_live = pl.col("status").is_in([*LIVE_STATUSES, DUPLICATE])
    live = set(table.filter(is_live).select("partition_key", "sha256").iter_rows())
    reported = set(problem_rows["file_name"])
    unaccounted = [
        page.file_name
        for page in discovery.pages
        if (page.key, page.sha256) not in live and page.file_name not in reported
    ]
    counts = table.group_by("status").len().sort("status")
    yield dg.MaterializeResult(
        metadata={
            **table_metadata(table, str(path)),
            **{f"n_{status}": n for status, n in counts.iter_rows()},
            "n_inbox_problems": len(problems),
            "inbox_problems": markdown_preview(problem_rows.select("file_name", "reason")),
        }
    )
    yield key_is_unique(table, ["source_id"], "sources")
    yield dg.AssetCheckResult(
        asset_key="sources",
        check_name="every_inbox_file_accounted_for",
        passed=not unaccounted,
        metadata={
            "n_files_read": len(discovery.pages),
            "n_inbox_problems": len(problems),
            "unaccounted_files": ", ".join(unaccounted[:20]) or "none",
        },
    )
