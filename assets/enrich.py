"""Enrich stage: links and reported results extracted from each paper's chosen abstract."""

import dagster as dg
import polars as pl

from assets.metadata import data_version, key_is_unique, table_metadata
from assets.resources import PapersConfig
from pipeline import PIPELINE_VERSION
from pipeline.links import extract_links
from pipeline.metric_vocabulary import metric_definitions as build_metric_definitions
from pipeline.metrics import extract_metrics
from pipeline.storage import write_parquet_atomic

GROUP = "enrich"


def _papers_abstracts(config: PapersConfig) -> pl.DataFrame:
    return pl.read_parquet(config.table_path("papers"), columns=["paper_id", "abstract"])


def _papers_exist(table: pl.DataFrame, papers: pl.DataFrame, asset_key: str) -> dg.AssetCheckResult:
    orphans = table.join(papers, on="paper_id", how="anti")
    return dg.AssetCheckResult(
        asset_key=asset_key,
        check_name="belongs_to_a_paper",
        passed=orphans.is_empty(),
        metadata={"n_orphan_rows": orphans.height},
    )


def _checks(asset_key: str, key_description: str) -> list[dg.AssetCheckSpec]:
    return [
        dg.AssetCheckSpec("key_is_unique", asset=asset_key, blocking=True, description=key_description),
        dg.AssetCheckSpec(
            "belongs_to_a_paper",
            asset=asset_key,
            blocking=True,
            description="Every row's paper_id exists in papers.",
        ),
    ]


@dg.asset(
    deps=["papers"],
    group_name=GROUP,
    kinds={"polars", "parquet"},
    code_version=PIPELINE_VERSION,
    check_specs=_checks("paper_links", "(paper_id, span_start) unique."),
)
def paper_links(context: dg.AssetExecutionContext, papers_config: PapersConfig):
    """One row per link in a paper's abstract: cleaned URL, kind, repository and availability."""
    papers_frame = _papers_abstracts(papers_config)
    links = extract_links(papers_frame)
    path = write_parquet_atomic(links, papers_config.table_path("paper_links"))
    by_kind = links.group_by("kind").len().sort("kind")
    yield dg.MaterializeResult(
        metadata={
            **table_metadata(links, str(path)),
            **{f"n_{kind}": n for kind, n in by_kind.iter_rows()},
            "n_papers_with_links": links["paper_id"].n_unique(),
        },
        data_version=data_version(links),
    )
    yield key_is_unique(links, ["paper_id", "span_start"], "paper_links")
    yield _papers_exist(links, papers_frame, "paper_links")


@dg.asset(group_name=GROUP, kinds={"polars", "parquet"}, code_version=PIPELINE_VERSION)
def metric_definitions(papers_config: PapersConfig) -> dg.MaterializeResult:
    """One row per metric id: display name, aliases, unit, direction and plausible range."""
    table = build_metric_definitions()
    path = write_parquet_atomic(table, papers_config.table_path("metric_definitions"))
    return dg.MaterializeResult(metadata=table_metadata(table, str(path)), data_version=data_version(table))


@dg.asset(
    deps=["papers", "metric_definitions"],
    group_name=GROUP,
    kinds={"polars", "parquet"},
    code_version=PIPELINE_VERSION,
    check_specs=_checks("paper_metrics", "(paper_id, span_start, metric, value) unique."),
)
def paper_metrics(context: dg.AssetExecutionContext, papers_config: PapersConfig):
    """One row per reported result in a paper's abstract: metric, value, unit, kind, dataset, evidence."""
    papers_frame = _papers_abstracts(papers_config)
    results = extract_metrics(papers_frame)
    path = write_parquet_atomic(results, papers_config.table_path("paper_metrics"))
    yield dg.MaterializeResult(
        metadata={
            **table_metadata(results, str(path)),
            "n_papers_with_results": results["paper_id"].n_unique(),
            "n_out_of_range": int(results["out_of_range"].sum()),
        },
        data_version=data_version(results),
    )
    yield key_is_unique(results, ["paper_id", "span_start", "metric", "value"], "paper_metrics")
    yield _papers_exist(results, papers_frame, "paper_metrics")
