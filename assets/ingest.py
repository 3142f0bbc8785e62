"""Ingest stage: each page file version fingerprinted, parsed into records, the rest quarantined."""

import datetime as dt
import hashlib

import dagster as dg
import polars as pl

from assets.metadata import key_is_unique, markdown_preview
from assets.partitions import page_files_partitions
from assets.resources import PapersConfig
from pipeline import PARSER_VERSION
from pipeline.pages import SOURCE_SCHEMA, read_page_version
from pipeline.sources import list_page_files, source_id
from pipeline.storage import write_parquet_atomic

GROUP = "ingest"
PAGE_FILE_SCHEMA = {**SOURCE_SCHEMA, "parser_version": pl.String}


def read_page_file_versions(config: PapersConfig, key: str) -> pl.DataFrame:
    path = config.page_file_path(key)
    if not path.exists():
        return pl.DataFrame(schema=PAGE_FILE_SCHEMA)
    return pl.read_parquet(path).cast(PAGE_FILE_SCHEMA)


def processed_versions(config: PapersConfig) -> dict[str, set[str]]:
    """Partition key -> content hashes already parsed by the current parser."""
    folder = config.staging / "page_files"
    if not folder.is_dir() or not any(folder.glob("*.parquet")):
        return {}
    done = (
        pl.scan_parquet(folder / "*.parquet")
        .filter(pl.col("parser_version") == PARSER_VERSION)
        .select("partition_key", "sha256")
        .collect()
    )
    result: dict[str, set[str]] = {}
    for key, sha in done.iter_rows():
        result.setdefault(key, set()).add(sha)
    return result


def _ingest_one(config: PapersConfig, key: str, name: str, data: bytes, mtime: float, now: dt.datetime):
    sha = hashlib.sha256(data).hexdigest()
    version = read_page_version(
        source_id=source_id(key, sha),
        partition_key=key,
        file_name=name,
        sha256=sha,
        data=data,
        file_mtime=dt.datetime.fromtimestamp(mtime, dt.UTC),
        ingested_at=now,
    )
    # Records and quarantine first, the version row last: a crash in between leaves the version
    # unrecorded, so the next run parses it again instead of trusting half-written output.
    write_parquet_atomic(version.records, config.records_path(key, sha))
    write_parquet_atomic(version.quarantine, config.quarantine_path(key, sha))
    row = pl.DataFrame([{**version.source, "parser_version": PARSER_VERSION}], schema=PAGE_FILE_SCHEMA)
    history = read_page_file_versions(config, key).filter(pl.col("sha256") != sha)
    write_parquet_atomic(pl.concat([history, row]).sort("ingested_at"), config.page_file_path(key))
    return row, version.records, version.quarantine


def _line_accounting(rows: pl.DataFrame, records: pl.DataFrame, quarantine: pl.DataFrame) -> pl.DataFrame:
    """Per version: content lines read vs lines held by records plus quarantined lines."""
    held = (
        pl.concat([records.select("source_id", "n_lines"), quarantine.select("source_id", "n_lines")])
        .group_by("source_id")
        .agg(n_held=pl.col("n_lines").sum())
    )
    return (
        rows.select("source_id", "n_content_lines")
        .join(held, on="source_id", how="left")
        .with_columns(n_held=pl.col("n_held").fill_null(0))
        .filter(pl.col("n_content_lines") != pl.col("n_held"))
    )


@dg.multi_asset(
    name="ingest_page_files",
    specs=[
        dg.AssetSpec(
            "page_files",
            description="One row per version (sha256) of one page file: fingerprint, size, encoding, layout.",
            group_name=GROUP,
            kinds={"polars", "parquet"},
            code_version=PARSER_VERSION,
        ),
        dg.AssetSpec(
            "parsed_records",
            description="One row per paper record read from one page file version, with its lines.",
            deps=["page_files"],
            group_name=GROUP,
            kinds={"polars", "parquet"},
            code_version=PARSER_VERSION,
        ),
        dg.AssetSpec(
            "quarantine",
            description="One row per rejected span of a page file version, with the reason.",
            deps=["page_files"],
            group_name=GROUP,
            kinds={"polars", "parquet"},
            code_version=PARSER_VERSION,
        ),
    ],
    check_specs=[
        dg.AssetCheckSpec(
            "key_is_unique", asset="page_files", blocking=True, description="One row per source_id."
        ),
        dg.AssetCheckSpec(
            "key_is_unique",
            asset="parsed_records",
            blocking=True,
            description="(source_id, position) unique.",
        ),
        dg.AssetCheckSpec(
            "key_is_unique", asset="quarantine", blocking=True, description="(source_id, line_start) unique."
        ),
        dg.AssetCheckSpec(
            "no_input_line_lost",
            asset="parsed_records",
            blocking=True,
            description="Per version, content lines read = lines in records + lines quarantined.",
        ),
    ],
    partitions_def=page_files_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
)
def ingest_page_files(context: dg.AssetExecutionContext, papers_config: PapersConfig):
    """Reads each page file of the run's partitions once; unchanged versions are skipped, not rewritten."""
    located, _problems = list_page_files(papers_config.inbox)
    done = processed_versions(papers_config)
    now = dt.datetime.now(dt.UTC)
    rows, records, quarantine = [], [], []
    skipped, missing = [], []
    for key in context.partition_keys:
        if key not in located:
            missing.append(key)  # the file left the inbox; the `sources` stage marks it deleted
            continue
        name, path = located[key]
        data = path.read_bytes()
        if hashlib.sha256(data).hexdigest() in done.get(key, set()):
            skipped.append(key)
            continue
        row, recs, quar = _ingest_one(papers_config, key, name, data, path.stat().st_mtime, now)
        rows.append(row)
        records.append(recs)
        quarantine.append(quar)
        context.log.info(f"{name}: {recs.height} records, {quar.height} quarantined spans")
    rows_df = pl.concat(rows) if rows else pl.DataFrame(schema=PAGE_FILE_SCHEMA)
    records_df = pl.concat(records) if records else None
    quarantine_df = pl.concat(quarantine) if quarantine else None
    if records_df is None or quarantine_df is None:
        records_df = pl.DataFrame(schema={"source_id": pl.String, "position": pl.Int32, "n_lines": pl.Int32})
        quarantine_df = pl.DataFrame(
            schema={"source_id": pl.String, "line_start": pl.Int32, "n_lines": pl.Int32}
        )
    lost = _line_accounting(rows_df, records_df, quarantine_df)
    common = {"n_versions_written": len(rows), "n_unchanged_skipped": len(skipped), "n_missing": len(missing)}
    yield dg.MaterializeResult(
        asset_key="page_files",
        metadata={**common, "dagster/row_count": rows_df.height, "preview": markdown_preview(rows_df)},
    )
    yield dg.MaterializeResult(
        asset_key="parsed_records",
        metadata={**common, "dagster/row_count": records_df.height, "preview": markdown_preview(records_df)},
    )
    yield dg.MaterializeResult(
        asset_key="quarantine",
        metadata={
            **common,
            "dagster/row_count": quarantine_df.height,
            "preview": markdown_preview(quarantine_df),
        },
    )
    yield key_is_unique(rows_df, ["source_id"], "page_files")
    yield key_is_unique(records_df, ["source_id", "position"], "parsed_records")
    yield key_is_unique(quarantine_df, ["source_id", "line_start"], "quarantine")
    yield dg.AssetCheckResult(
        asset_key="parsed_records",
        check_name="no_input_line_lost",
        passed=lost.is_empty(),
        metadata={
            "n_versions_checked": rows_df.height,
            "n_versions_with_lost_lines": lost.height,
            "sample": markdown_preview(lost),
        },
    )
