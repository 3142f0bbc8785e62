"""Sources stage: every version of every page file with its status in the current warehouse."""

import dagster as dg
import polars as pl

from assets.ingest import PAGE_FILE_SCHEMA
from assets.metadata import key_is_unique, row_count_at_least, table_metadata
from assets.resources import PapersConfig
from pipeline import PARSER_VERSION
from pipeline.sources import list_page_files
from pipeline.storage import write_parquet_atomic
from pipeline.versions import resolve_source_status


def read_all_page_file_versions(config: PapersConfig) -> pl.DataFrame:
    folder = config.staging / "page_files"
    if not folder.is_dir() or not any(folder.glob("*.parquet")):
        return pl.DataFrame(schema=PAGE_FILE_SCHEMA)
    return pl.read_parquet(folder / "*.parquet").cast(PAGE_FILE_SCHEMA)


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
            "row_count",
            asset="sources",
            blocking=True,
            description="At least one version per file in the inbox.",
        ),
    ],
)
def sources(context: dg.AssetExecutionContext, papers_config: PapersConfig):
    """One row per version (content hash) of a page file, with its status: current, superseded, deleted..."""
    located, problems = list_page_files(papers_config.inbox)
    for name, why in problems:
        context.log.warning(f"{name}: {why}")
    versions = read_all_page_file_versions(papers_config)
    table = resolve_source_status(versions, sorted(located))
    path = write_parquet_atomic(table, papers_config.table_path("sources"))
    counts = table.group_by("status").len().sort("status")
    yield dg.MaterializeResult(
        metadata={
            **table_metadata(table, str(path)),
            **{f"n_{status}": n for status, n in counts.iter_rows()},
            "n_inbox_problems": len(problems),
        }
    )
    yield key_is_unique(table, ["source_id"], "sources")
    yield row_count_at_least(
        table.filter(pl.col("partition_key").is_in(list(located))).unique("partition_key"),
        len(located) - len(problems),
        "sources",
        "every readable file in the inbox has at least one ingested version",
    )
