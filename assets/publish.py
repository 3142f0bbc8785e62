"""Publish stage: the one writer of papers.duckdb, building a new file and swapping it in."""

import dagster as dg
import polars as pl

from assets.metadata import table_metadata
from assets.resources import PapersConfig
from assets.sources import read_inbox_problems
from pipeline import PIPELINE_VERSION
from pipeline.pages import PROVENANCE_SCHEMA
from pipeline.parse import QUARANTINE_SCHEMA
from pipeline.storage import read_parquets, write_parquet_atomic
from pipeline.versions import LIVE_STATUSES
from warehouse.publish import TABLES, publish
from warehouse.snapshots import keep_count

LIVE_QUARANTINE_SCHEMA = {**PROVENANCE_SCHEMA, **QUARANTINE_SCHEMA}


def live_quarantine(config: PapersConfig, sources: pl.DataFrame) -> pl.DataFrame:
    """Quarantined spans of the versions the current warehouse reflects (history stays in staging)."""
    live = sources.filter(pl.col("status").is_in(LIVE_STATUSES))
    paths = config.version_paths(live, "quarantine")
    return read_parquets([p for p in paths if p.exists()], LIVE_QUARANTINE_SCHEMA).sort(
        "source_id", "line_start"
    )


def _report_metadata(context: dg.AssetExecutionContext, config: PapersConfig) -> dict[str, object]:
    """Regenerate the HTML report of the new build; a report that fails to render never fails a publish."""
    from papers.report import check_statuses, render_report

    try:
        path = render_report(
            config.database_path, config.warehouse / "report.html", check_statuses(context.instance)
        )
    except Exception as error:  # the warehouse is already published; the report is a view of it
        context.log.warning(f"report not regenerated: {error}")
        return {}
    return {"report": dg.MetadataValue.path(str(path))}


@dg.asset(
    deps=[
        "sources",
        "quarantine",
        "paper_occurrences",
        "papers",
        "paper_abstract_versions",
        "paper_links",
        "paper_metrics",
        "metric_definitions",
    ],
    group_name="publish",
    kinds={"duckdb"},
    code_version=PIPELINE_VERSION,
    check_specs=[
        dg.AssetCheckSpec(
            "publish_matches_staging",
            asset="warehouse",
            blocking=True,
            description="Every published table holds exactly the staged rows.",
        ),
    ],
)
def warehouse(context: dg.AssetExecutionContext, papers_config: PapersConfig):
    """The published DuckDB file: one table per stage plus views; replaced whole, never edited in place."""
    sources = pl.read_parquet(papers_config.table_path("sources"))
    # Files never read (refused, still being written) are reported beside the rejected spans of pages.
    quarantine = pl.concat([live_quarantine(papers_config, sources), read_inbox_problems(papers_config)])
    write_parquet_atomic(quarantine, papers_config.table_path("quarantine"))
    staged = {table: papers_config.table_path(table) for table in TABLES}
    staged_counts = {
        table: pl.scan_parquet(path).select(pl.len()).collect().item() for table, path in staged.items()
    }
    live = sources.filter(pl.col("status").is_in([*LIVE_STATUSES, "duplicate"]))["source_id"].to_list()
    # publish() verifies the built file against staged_counts before the swap: a mismatch raises and
    # the last published warehouse stays current.
    build = publish(staged, papers_config.database_path, PIPELINE_VERSION, live, staged_counts, keep_count())
    counts = build["row_counts"]
    summary = pl.DataFrame({"table": list(counts), "rows": list(counts.values())})
    yield dg.MaterializeResult(
        metadata={
            **table_metadata(summary, str(papers_config.database_path)),
            "build_id": build["build_id"],
            **{f"rows_{table}": n for table, n in counts.items()},
            **_report_metadata(context, papers_config),
        }
    )
    mismatched = {t: (staged_counts[t], counts.get(t)) for t in TABLES if staged_counts[t] != counts.get(t)}
    yield dg.AssetCheckResult(
        asset_key="warehouse",
        check_name="publish_matches_staging",
        passed=not mismatched,
        metadata={"mismatched_tables": str(mismatched) if mismatched else "none"},
    )
