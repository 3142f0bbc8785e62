"""Ingest stage: each page file version fingerprinted, parsed into records, the rest quarantined."""

import datetime as dt
import hashlib
import multiprocessing
import os
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import polars as pl

from assets.metadata import PREVIEW_ROWS, key_is_unique, markdown_preview
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
# Batches of at least this many files are parsed by a pool of worker processes, one per core: a
# worker costs about a second to start (imports), which a few hundred files' parsing repays.
PARALLEL_MIN_FILES = 200
# What the step keeps of each file's records and quarantine for its checks: keys and line counts.
RECORD_KEY_SCHEMA = {"source_id": pl.String, "position": pl.Int32, "n_lines": pl.Int32}
QUARANTINE_KEY_SCHEMA = {"source_id": pl.String, "line_start": pl.Int32, "n_lines": pl.Int32}


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
    paths = sorted(str(path) for path in (config.staging / "page_files").glob("*.parquet"))
    if not paths:
        return {}
    # One scan over every file (read in parallel), not a read per file: 1,000 files took 0.45 s.
    columns = ["partition_key", "sha256", "parser_version"]
    done = pl.read_parquet(paths, columns=columns).filter(pl.col("parser_version") == PARSER_VERSION)
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


@dataclass(frozen=True)
class StageRequest:
    """One page file to parse and stage, in plain values: it travels to a worker process."""

    file: InboxFile
    done: frozenset[str]  # content hashes of this file already parsed by the current parser
    seeds_dir: str
    warehouse_dir: str
    now: dt.datetime
    listing_year: int | None


@dataclass(frozen=True)
class StagedFile:
    """What the step keeps of one file once its Parquet is written: its version row, the keys and line
    counts of its records and quarantine, and their first rows for the previews; never all the text."""

    file_name: str
    problem: str | None = None  # not read now (gone, unreadable, still being written)
    skipped: bool = False  # this version was parsed by the current parser before
    row: pl.DataFrame | None = None  # PAGE_FILE_SCHEMA
    record_keys: pl.DataFrame | None = None
    quarantine_keys: pl.DataFrame | None = None
    records_head: pl.DataFrame | None = None
    quarantine_head: pl.DataFrame | None = None


def _ingest_one(
    config: PapersConfig, file: InboxFile, data: bytes, sha: str, now: dt.datetime, listing_year: int | None
):
    version = read_page_version(
        source_id=source_id(file.key, sha),
        partition_key=file.key,
        file_name=file.file_name,
        sha256=sha,
        data=data,
        file_mtime=dt.datetime.fromtimestamp(file.mtime, dt.UTC),
        ingested_at=now,
        listing_year=listing_year,
    )
    # Records and quarantine first, the version row last: a crash in between leaves the version
    # unrecorded, so the next run parses it again instead of trusting half-written output.
    write_parquet_atomic(version.records, config.records_path(file.key, sha))
    write_parquet_atomic(version.quarantine, config.quarantine_path(file.key, sha))
    row = pl.DataFrame([{**version.source, "parser_version": PARSER_VERSION}], schema=PAGE_FILE_SCHEMA)
    history = read_page_file_versions(config, file.key).filter(pl.col("sha256") != sha)
    write_parquet_atomic(pl.concat([history, row]).sort("ingested_at"), config.page_file_path(file.key))
    return row, version.records, version.quarantine


def stage_file(request: StageRequest) -> StagedFile:
    """Read, parse and stage one page file; runs in the step's process or in a worker process."""
    file = request.file
    data, reason = _read_or_reason(file)
    if data is None:
        return StagedFile(file.file_name, problem=reason)
    sha = hashlib.sha256(data).hexdigest()
    if sha in request.done:
        return StagedFile(file.file_name, skipped=True)
    config = PapersConfig(seeds_dir=request.seeds_dir, warehouse_dir=request.warehouse_dir)
    row, records, quarantine = _ingest_one(config, file, data, sha, request.now, request.listing_year)
    del data  # a large file's bytes need not outlive its parse
    return StagedFile(
        file.file_name,
        row=row,
        record_keys=records.select(list(RECORD_KEY_SCHEMA)),
        quarantine_keys=quarantine.select(list(QUARANTINE_KEY_SCHEMA)),
        records_head=records.head(PREVIEW_ROWS),
        quarantine_head=quarantine.head(PREVIEW_ROWS),
    )


def stage_files(requests: list[StageRequest]) -> Iterator[StagedFile]:
    """Stage each file, in request order; above PARALLEL_MIN_FILES in a pool of one process per core.

    Each file's output depends on that file alone and results come back in request order, so the
    pool writes the same Parquet and yields the same results as one process. A worker that dies
    (killed, out of memory) reports its files as not read: the others go on, the next run retries them.
    """
    n_workers = min(os.cpu_count() or 1, len(requests))
    if len(requests) < PARALLEL_MIN_FILES or n_workers < 2:
        yield from map(stage_file, requests)
        return
    # Spawn, not fork: a forked child would inherit the step's threads (Polars, Dagster) mid-flight.
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=n_workers, mp_context=spawn) as pool:
        futures = [pool.submit(stage_file, request) for request in requests]
        for request, future in zip(requests, futures, strict=True):
            try:
                yield future.result()
            except BrokenProcessPool as error:
                yield StagedFile(request.file.file_name, problem=f"parser process died: {error}")


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
    keys = context.partition_keys
    # Files that left the inbox or were refused since the run was planned: `sources` reports which.
    missing = [key for key in keys if key not in scan.files]
    listing_year = papers_config.resolved_listing_year
    requests = [
        StageRequest(
            file=scan.files[key],
            done=frozenset(done.get(key, ())),
            seeds_dir=papers_config.seeds_dir,
            warehouse_dir=papers_config.warehouse_dir,
            now=now,
            listing_year=listing_year,
        )
        for key in keys
        if key in scan.files
    ]
    staged: list[StagedFile] = []
    problems, n_skipped, n_records = [], 0, 0
    # Each log line is an event in the instance's store (~10 ms each on SQLite): a line per file for
    # small batches, a progress line per tenth of the batch for large ones.
    progress_every = 1 if len(keys) <= PER_FILE_LOG_LIMIT else max(1, len(keys) // 10)
    for n_done, result in enumerate(stage_files(requests), start=1):  # n_done files handled so far
        if result.problem is not None:
            problems.append({"file_name": result.file_name, "reason": result.problem})
            context.log.warning(f"{result.file_name}: not read: {result.problem}")
        elif result.skipped:
            n_skipped += 1
        else:
            staged.append(result)
            n_records += result.record_keys.height
            if progress_every == 1:
                layout, n_spans = result.row["layout"][0], result.quarantine_keys.height
                n_file_records = result.record_keys.height
                context.log.info(
                    f"{result.file_name}: {layout}, {n_file_records} records, {n_spans} quarantined spans"
                )
        if progress_every > 1 and n_done % progress_every == 0 and n_done < len(requests):
            context.log.info(f"ingested {n_done:,} of {len(keys):,} files, {n_records:,} records")
    rows_df = pl.concat([s.row for s in staged]) if staged else pl.DataFrame(schema=PAGE_FILE_SCHEMA)
    if staged:
        records_df = pl.concat([s.record_keys for s in staged])
        quarantine_df = pl.concat([s.quarantine_keys for s in staged])
        records_preview = pl.concat([s.records_head for s in staged])
        quarantine_preview = pl.concat([s.quarantine_head for s in staged])
    else:
        records_df = records_preview = pl.DataFrame(schema=RECORD_KEY_SCHEMA)
        quarantine_df = quarantine_preview = pl.DataFrame(schema=QUARANTINE_KEY_SCHEMA)
    lost = line_accounting(rows_df, records_df, quarantine_df)
    problems_df = pl.DataFrame(problems, schema=PROBLEM_SCHEMA)
    common = {
        "n_versions_written": len(staged),
        "n_unchanged_skipped": n_skipped,
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
        metadata={
            **common,
            "dagster/row_count": records_df.height,
            "preview": markdown_preview(records_preview),
        },
    )
    yield dg.MaterializeResult(
        asset_key="quarantine",
        metadata={
            **common,
            "dagster/row_count": quarantine_df.height,
            "preview": markdown_preview(quarantine_preview),
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
