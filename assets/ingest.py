"""Ingest stage: each page file version fingerprinted, parsed into records, the rest quarantined."""

import datetime as dt
import hashlib
from pathlib import Path

import dagster as dg
import polars as pl

from assets.metadata import key_is_unique, markdown_preview
from assets.partitions import page_files_partitions
from assets.resources import PapersConfig
from pipeline import PARSER_VERSION
from pipeline.pages import SOURCE_SCHEMA, read_page_version
from pipeline.sources import FileNotStableError, InboxFile, read_stable, scan_inbox, source_id
from pipeline.storage import write_parquet_atomic

GROUP = "ingest"
PAGE_FILE_SCHEMA = {**SOURCE_SCHEMA, "parser_version": pl.String}
PER_FILE_LOG_LIMIT = 20  # batches up to this many files log a line per file
PROBLEM_SCHEMA = {"file_name": pl.String, "reason": pl.String}


def conform(frame: pl.DataFrame, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    """Exactly `schema`'s columns: rows staged by an older parser get its new columns as nulls."""
    return frame.select(
        pl.col(name).cast(dtype) if name in frame.columns else pl.lit(None, dtype).alias(name)
        for name, dtype in schema.items()
    )


def read_page_file_rows(paths: list[Path]) -> pl.DataFrame:
    """Version rows of the given page_files Parquet files, in the current schema."""
    frames = [conform(pl.read_parquet(path), PAGE_FILE_SCHEMA) for path in paths]
    return pl.concat(frames) if frames else pl.DataFrame(schema=PAGE_FILE_SCHEMA)


def read_page_file_versions(config: PapersConfig, key: str) -> pl.DataFrame:
    path = config.page_file_path(key)
    return read_page_file_rows([path] if path.exists() else [])


def processed_versions(config: PapersConfig) -> dict[str, set[str]]:
    """Partition key -> content hashes already parsed by the current parser."""
    folder = config.staging / "page_files"
    columns = ["partition_key", "sha256", "parser_version"]
    frames = [pl.read_parquet(path, columns=columns) for path in sorted(folder.glob("*.parquet"))]
    if not frames:
        return {}
    done = pl.concat(frames).filter(pl.col("parser_version") == PARSER_VERSION)
    result: dict[str, set[str]] = {}
    for key, sha, _ in done.iter_rows():
        result.setdefault(key, set()).add(sha)
    return result


def _read_or_reason(file: InboxFile) -> tuple[bytes | None, str | None]:
    try:
        return read_stable(file), None
    except FileNotStableError as error:
        return None, error.strerror
    except OSError as error:  # vanished or unreadable since the scan
        return None, f"unreadable: {error.strerror or error}"


def _ingest_one(config: PapersConfig, file: InboxFile, data: bytes, now: dt.datetime):
    sha = hashlib.sha256(data).hexdigest()
    version = read_page_version(
        source_id=source_id(file.key, sha),
        partition_key=file.key,
        file_name=file.file_name,
        sha256=sha,
        data=data,
        file_mtime=dt.datetime.fromtimestamp(file.mtime, dt.UTC),
        ingested_at=now,
        listing_year=config.resolved_listing_year,
    )
    # Records and quarantine first, the version row last: a crash in between leaves the version
    # unrecorded, so the next run parses it again instead of trusting half-written output.
    write_parquet_atomic(version.records, config.records_path(file.key, sha))
    write_parquet_atomic(version.quarantine, config.quarantine_path(file.key, sha))
    row = pl.DataFrame([{**version.source, "parser_version": PARSER_VERSION}], schema=PAGE_FILE_SCHEMA)
    history = read_page_file_versions(config, file.key).filter(pl.col("sha256") != sha)
    write_parquet_atomic(pl.concat([history, row]).sort("ingested_at"), config.page_file_path(file.key))
    return row, version.records, version.quarantine


def line_accounting(rows: pl.DataFrame, records: pl.DataFrame, quarantine: pl.DataFrame) -> pl.DataFrame:
    """The versions whose content lines differ from the lines held by records plus quarantined lines."""
    held = (
        pl.concat([records.select("source_id", "n_lines"), quarantine.select("source_id", "n_lines")])
        .group_by("source_id")
        .agg(n_held=pl.col("n_lines").sum())
    )
    return (
        rows.select("source_id", "file_name", "n_content_lines")
        .join(held, on="source_id", how="left")
        .with_columns(n_held=pl.col("n_held").fill_null(0))
        .filter(pl.col("n_content_lines") != pl.col("n_held"))
    )


def _ingest_spec(name: str, grain: str) -> dg.AssetSpec:
    """The three tables the ingest step writes share their group, kinds and code version."""
    deps = [] if name == "page_files" else ["page_files"]
    return dg.AssetSpec(
        name,
        description=grain,
        deps=deps,
        group_name=GROUP,
        kinds={"polars", "parquet"},
        code_version=PARSER_VERSION,
    )


@dg.multi_asset(
    name="ingest_page_files",
    specs=[
        _ingest_spec(
            "page_files",
            "One row per version (sha256) of one page file: fingerprint, size, encoding, layout.",
        ),
        _ingest_spec(
            "parsed_records", "One row per paper record read from one page file version, with its lines."
        ),
        _ingest_spec("quarantine", "One row per rejected span of a page file version, with the reason."),
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
            description="Per version written in this run: non-blank, non-chrome lines = lines in records "
            "+ lines quarantined.",
        ),
    ],
    partitions_def=page_files_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
)
def ingest_page_files(context: dg.AssetExecutionContext, papers_config: PapersConfig):
    """Reads each page file of the run's partitions once; unchanged versions are skipped, not rewritten.

    A file that cannot be read now (gone, unreadable, still being written) is reported and skipped:
    one bad file never stops the others, and the next run tries it again.
    """
    scan = scan_inbox(papers_config.inbox)
    done = processed_versions(papers_config)
    now = dt.datetime.now(dt.UTC)
    rows, records, quarantine, problems = [], [], [], []
    skipped, missing = [], []
    keys = context.partition_keys
    # Each log line is an event in the instance's store (~10 ms each on SQLite): a line per file for
    # small batches, a progress line per tenth of the batch for large ones.
    progress_every = 1 if len(keys) <= PER_FILE_LOG_LIMIT else max(1, len(keys) // 10)
    for n_done, key in enumerate(keys):  # n_done files were handled before this one
        if progress_every > 1 and n_done and n_done % progress_every == 0:
            n_records = sum(r.height for r in records)
            context.log.info(f"ingested {n_done:,} of {len(keys):,} files, {n_records:,} records")
        file = scan.files.get(key)
        if file is None:
            missing.append(key)  # left the inbox or refused; the `sources` stage reports which
            continue
        data, reason = _read_or_reason(file)
        if data is None:
            problems.append({"file_name": file.file_name, "reason": reason})
            context.log.warning(f"{file.file_name}: not read: {reason}")
            continue
        if hashlib.sha256(data).hexdigest() in done.get(key, set()):
            skipped.append(key)
            continue
        row, recs, quar = _ingest_one(papers_config, file, data, now)
        del data  # a large file's bytes need not outlive its parse
        rows.append(row)
        records.append(recs)
        quarantine.append(quar)
        if progress_every == 1:
            layout = row["layout"][0]
            context.log.info(
                f"{file.file_name}: {layout}, {recs.height} records, {quar.height} quarantined spans"
            )
    rows_df = pl.concat(rows) if rows else pl.DataFrame(schema=PAGE_FILE_SCHEMA)
    if records and quarantine:
        records_df, quarantine_df = pl.concat(records), pl.concat(quarantine)
    else:
        records_df = pl.DataFrame(schema={"source_id": pl.String, "position": pl.Int32, "n_lines": pl.Int32})
        quarantine_df = pl.DataFrame(
            schema={"source_id": pl.String, "line_start": pl.Int32, "n_lines": pl.Int32}
        )
    lost = line_accounting(rows_df, records_df, quarantine_df)
    problems_df = pl.DataFrame(problems, schema=PROBLEM_SCHEMA)
    common = {
        "n_versions_written": len(rows),
        "n_unchanged_skipped": len(skipped),
        "n_missing": len(missing),
        "n_not_read": len(problems),
        "not_read": markdown_preview(problems_df),
    }
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
            "n_content_lines": int(rows_df["n_content_lines"].sum()),
            "n_versions_with_lost_lines": lost.height,
            "sample": markdown_preview(lost),
        },
    )
