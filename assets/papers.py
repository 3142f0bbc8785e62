"""Dedup stage: every paper occurrence keyed to one canonical paper, and the papers themselves."""

import dagster as dg
import polars as pl

from assets.metadata import data_version, key_is_unique, table_metadata
from assets.resources import PapersConfig
from pipeline import PARSER_VERSION, PIPELINE_VERSION
from pipeline.dedup import assign_paper_ids, build_abstract_versions, build_papers
from pipeline.incremental import source_fingerprint
from pipeline.incremental_dedup import update_occurrences
from pipeline.pages import PROVENANCE_SCHEMA
from pipeline.parse import RECORD_SCHEMA
from pipeline.storage import read_parquets, write_parquet_atomic, write_text_atomic
from pipeline.versions import CURRENT

GROUP = "dedup"


def _records(config: PapersConfig, versions: pl.DataFrame) -> pl.DataFrame:
    return read_parquets(config.version_paths(versions, "records"), {**PROVENANCE_SCHEMA, **RECORD_SCHEMA})


def _occurrences_state() -> str:
    """What the staged occurrences were computed with: a run with other code recomputes them all."""
    return f"parser {PARSER_VERSION}, dedup {source_fingerprint('pipeline.incremental_dedup')}"


def build_occurrences(config: PapersConfig, current: pl.DataFrame) -> tuple[pl.DataFrame, int]:
    """Occurrences of the current versions, and how many records were re-keyed to get them.

    Only the titles of versions that arrived or left are re-keyed when the staged table was made by
    the same code (pipeline/incremental_dedup.py: the result is the full recompute's).
    """
    path, state_path = config.table_path("paper_occurrences"), config.staging / "paper_occurrences.state"
    same_code = state_path.exists() and state_path.read_text(encoding="utf-8") == _occurrences_state()
    if not (same_code and path.exists()):
        records = _records(config, current)
        return assign_paper_ids(records).sort("source_id", "position"), records.height
    previous = pl.read_parquet(path)
    held = previous.get_column("source_id").unique().implode()
    new_records = _records(config, current.filter(~pl.col("source_id").is_in(held)))
    occurrences = update_occurrences(previous, current.get_column("source_id").to_list(), new_records)
    return occurrences, new_records.height


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
    current = sources_table.filter(pl.col("status") == CURRENT)
    occurrences, n_rekeyed = build_occurrences(papers_config, current)
    path = write_parquet_atomic(occurrences, papers_config.table_path("paper_occurrences"))
    write_text_atomic(_occurrences_state(), papers_config.staging / "paper_occurrences.state")
    expected = int(current["n_records"].sum())
    yield dg.MaterializeResult(
        metadata={**table_metadata(occurrences, str(path)), "n_new_records_keyed": n_rekeyed},
        data_version=data_version(occurrences),
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
