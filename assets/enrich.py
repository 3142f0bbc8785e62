"""Enrich stage: links and reported results extracted from each paper's chosen abstract."""

import functools

import dagster as dg
import polars as pl

from assets.metadata import data_version, key_is_unique, table_metadata
from assets.resources import PapersConfig
from pipeline import PIPELINE_VERSION
from pipeline.incremental import (
    Extractor,
    IncrementalResult,
    extract_incrementally,
    read_cache,
    source_fingerprint,
    write_keys,
)
from pipeline.links import extract_links
from pipeline.metric_vocabulary import metric_definitions as build_metric_definitions
from pipeline.metrics import extract_metrics
from pipeline.parallel import map_chunks
from pipeline.storage import write_parquet_atomic

GROUP = "enrich"


def _extract_changed(
    context: dg.AssetExecutionContext,
    config: PapersConfig,
    table: str,
    extract: Extractor,
    order_by: list[str],
    in_workers: bool,
) -> IncrementalResult:
    """Run `extract` on the abstracts that are new or changed since the last run, reuse the other rows,
    and write the table and the keys of its papers.

    The cache is this table plus staging/enrich_cache/<table>.keys.parquet, one key per paper of the
    last run. A key digests the abstract with the source of the extractor, of the pipeline modules it
    imports and of the cache's own module, PIPELINE_VERSION and Polars' version: a change to any of
    them extracts everything again. Rewriting both files on a rerun is safe: the table is the full
    result whatever was reused, and the keys name the table they were written with.
    """
    table_path = config.table_path(table)
    keys_path = config.staging / "enrich_cache" / f"{table}.keys.parquet"
    papers = pl.read_parquet(config.table_path("papers"), columns=["paper_id", "abstract"])
    try:
        previous = read_cache(keys_path, table_path, extract(papers.head(0)).schema)
    except (OSError, pl.exceptions.PolarsError) as error:  # a damaged cache costs a full recompute only
        context.log.warning(f"{keys_path}: unreadable ({error}); extracting every abstract again")
        previous = None
    fingerprints = "+".join(source_fingerprint(m) for m in (extract.__module__, "pipeline.incremental"))
    code_version = f"{PIPELINE_VERSION}/{pl.__version__}/{fingerprints}"
    # Result extraction is Python-bound: a large batch of new abstracts goes to every core. Link
    # extraction is vectorized Polars, already multi-threaded: worker processes would only add their
    # start and the copy of the abstracts to them.
    run = functools.partial(map_chunks, extract) if in_workers else extract
    result = extract_incrementally(papers, run, code_version, previous, order_by)
    write_parquet_atomic(result.table, table_path)
    if previous is None or result.n_extracted or not result.keys.equals(previous.keys):
        write_keys(result.keys, result.table, keys_path)
    context.log.info(f"{table}: {result.n_extracted:,} abstracts extracted, {result.n_reused:,} reused")
    return result


def _papers_exist(table: pl.DataFrame, keys: pl.DataFrame, asset_key: str) -> dg.AssetCheckResult:
    """`keys` has one row per paper of the run."""
    orphans = table.join(keys, on="paper_id", how="anti")
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
    extracted = _extract_changed(
        context, papers_config, "paper_links", extract_links, ["paper_id", "span_start"], in_workers=False
    )
    links = extracted.table
    path = papers_config.table_path("paper_links")
    by_kind = links.group_by("kind").len().sort("kind")
    yield dg.MaterializeResult(
        metadata={
            **table_metadata(links, str(path)),
            **{f"n_{kind}": n for kind, n in by_kind.iter_rows()},
            "n_papers_with_links": links["paper_id"].n_unique(),
            "n_abstracts_extracted": extracted.n_extracted,
        },
        data_version=data_version(links),
    )
    yield key_is_unique(links, ["paper_id", "span_start"], "paper_links")
    yield _papers_exist(links, extracted.keys, "paper_links")


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
    extracted = _extract_changed(
        context,
        papers_config,
        "paper_metrics",
        extract_metrics,
        ["paper_id", "span_start", "metric"],
        in_workers=True,
    )
    results = extracted.table
    path = papers_config.table_path("paper_metrics")
    yield dg.MaterializeResult(
        metadata={
            **table_metadata(results, str(path)),
            "n_papers_with_results": results["paper_id"].n_unique(),
            "n_out_of_range": int(results["out_of_range"].sum()),
            "n_abstracts_extracted": extracted.n_extracted,
        },
        data_version=data_version(results),
    )
    yield key_is_unique(results, ["paper_id", "span_start", "metric", "value"], "paper_metrics")
    yield _papers_exist(results, extracted.keys, "paper_metrics")
