"""Dedup stage: every paper occurrence keyed to one canonical paper, and the papers themselves."""

import dagster as dg
import polars as pl

from assets.metadata import data_version, key_is_unique, table_metadata
from assets.resources import PapersConfig
from pipeline import PIPELINE_VERSION
from pipeline.dedup import assign_paper_ids, build_abstract_versions, build_papers
from pipeline.pages import PROVENANCE_SCHEMA
from pipeline.parse import RECORD_SCHEMA
from pipeline.storage import read_parquets, write_parquet_atomic
from pipeline.versions import CURRENT

GROUP = "dedup"


def _current_records(config: PapersConfig, sources: pl.DataFrame) -> pl.DataFrame:
    current = sources.filter(pl.col("status") == CURRENT)
    return read_parquets(config.version_paths(current, "records"), {**PROVENANCE_SCHEMA, **RECORD_SCHEMA})


@dg.asset(
    deps=["sources", "parsed_records"],
    group_name=GROUP,
    kinds={"polars", "parquet"},
    code_version=PIPELINE_VERSION,
    check_specs=[
        dg.AssetCheckSpec(
            "key_is_unique",
            asset="paper_occurrences",
            blocking=True,
            description="(source_id, position) unique.",
        ),
        dg.AssetCheckSpec(
            "row_count",
            asset="paper_occurrences",
            blocking=True,
            description="Exactly the records of the current source versions.",
        ),
    ],
)
def paper_occurrences(context: dg.AssetExecutionContext, papers_config: PapersConfig):
    """One row per paper record read from a current page version, keyed to its paper_id."""
    sources_table = pl.read_parquet(papers_config.table_path("sources"))
    records = _current_records(papers_config, sources_table)
    occurrences = assign_paper_ids(records).sort("source_id", "position")
    path = write_parquet_atomic(occurrences, papers_config.table_path("paper_occurrences"))
    expected = int(sources_table.filter(pl.col("status") == CURRENT)["n_records"].sum())
    yield dg.MaterializeResult(
        metadata=table_metadata(occurrences, str(path)), data_version=data_version(occurrences)
    )
    yield key_is_unique(occurrences, ["source_id", "position"], "paper_occurrences")
    yield dg.AssetCheckResult(
        asset_key="paper_occurrences",
        check_name="row_count",
        passed=occurrences.height == expected,
        metadata={"n_rows": occurrences.height, "expected_from_sources": expected},
    )


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            "papers",
            deps=["paper_occurrences"],
            group_name=GROUP,
            kinds={"polars", "parquet"},
            code_version=PIPELINE_VERSION,
            description="One row per distinct paper.",
        ),
        dg.AssetSpec(
            "paper_abstract_versions",
            deps=["paper_occurrences"],
            group_name=GROUP,
            kinds={"polars", "parquet"},
            code_version=PIPELINE_VERSION,
            description="One row per distinct abstract text of a paper.",
        ),
    ],
    check_specs=[
        dg.AssetCheckSpec(
            "key_is_unique", asset="papers", blocking=True, description="One row per paper_id."
        ),
        dg.AssetCheckSpec(
            "row_count",
            asset="papers",
            blocking=True,
            description="Every occurrence maps to exactly one paper.",
        ),
        dg.AssetCheckSpec(
            "key_is_unique",
            asset="paper_abstract_versions",
            blocking=True,
            description="(paper_id, abstract_sha256) unique.",
        ),
    ],
)
def papers(context: dg.AssetExecutionContext, papers_config: PapersConfig):
    """Canonical papers and their abstract versions, built from the occurrences."""
    occurrences = pl.read_parquet(papers_config.table_path("paper_occurrences"))
    table = build_papers(occurrences)
    versions = build_abstract_versions(occurrences, table)
    path = write_parquet_atomic(table, papers_config.table_path("papers"))
    versions_path = write_parquet_atomic(versions, papers_config.table_path("paper_abstract_versions"))
    yield dg.MaterializeResult(
        asset_key="papers", metadata=table_metadata(table, str(path)), data_version=data_version(table)
    )
    yield dg.MaterializeResult(
        asset_key="paper_abstract_versions",
        metadata=table_metadata(versions, str(versions_path)),
        data_version=data_version(versions),
    )
    yield key_is_unique(table, ["paper_id"], "papers")
    distinct_ids = occurrences["paper_id"].n_unique()
    yield dg.AssetCheckResult(
        asset_key="papers",
        check_name="row_count",
        passed=table.height == distinct_ids and int(table["n_occurrences"].sum()) == occurrences.height,
        metadata={
            "n_rows": table.height,
            "distinct_paper_ids_in_occurrences": distinct_ids,
            "n_occurrences": occurrences.height,
        },
    )
    yield key_is_unique(versions, ["paper_id", "abstract_sha256"], "paper_abstract_versions")
