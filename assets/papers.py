"""Dedup stage: every paper occurrence keyed to one canonical paper, and the papers themselves."""

import json
from pathlib import Path

import dagster as dg
import polars as pl

from assets.metadata import data_version, key_is_unique, table_metadata
from assets.resources import PapersConfig
from pipeline import PARSER_VERSION, PIPELINE_VERSION
from pipeline.dedup import assign_paper_ids, build_paper_tables
from pipeline.incremental import source_fingerprint
from pipeline.incremental_dedup import (
    PAPER_INPUT_COLUMNS,
    OccurrencesUpdate,
    update_occurrences,
    update_papers,
)
from pipeline.pages import PROVENANCE_SCHEMA
from pipeline.parse import RECORD_SCHEMA
from pipeline.storage import read_parquets, write_parquet_atomic, write_parquets_atomic, write_text_atomic
from pipeline.versions import CURRENT

GROUP = "dedup"
# Beside the staged tables: what each was computed with, and (occurrences) what the last run changed.
OCCURRENCES_STATE = "paper_occurrences.state.json"
PAPERS_STATE = "papers.state.json"
# These tables are rewritten whole on every run (1 GB of text at a million records): zstd level 1
# writes them 10-15% faster than the default level 3 (1.7 s of CPU per run in all); Polars reads them as
# fast, a DuckDB scan of every abstract takes ~10% longer, and the files are ~1.3x larger.
COMPRESSION_LEVEL = 1


def _records(config: PapersConfig, versions: pl.DataFrame) -> pl.DataFrame:
    return read_parquets(config.version_paths(versions, "records"), {**PROVENANCE_SCHEMA, **RECORD_SCHEMA})


def _code_state(module: str) -> str:
    """What a stage's staged output was computed with: output of other code is recomputed whole."""
    return f"parser {PARSER_VERSION}, polars {pl.__version__}, {module} {source_fingerprint(module)}"


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):  # missing or damaged: the stage recomputes everything
        return {}


def _start_writing(state: Path) -> None:
    """Forget the state before rewriting what it describes: a crash midway means a full recompute."""
    state.unlink(missing_ok=True)


def build_occurrences(
    config: PapersConfig, current: pl.DataFrame
) -> tuple[OccurrencesUpdate, int, str | None]:
    """Occurrences of the current versions, how many records were keyed to get them, and the data
    version of the staged occurrences they were updated from (None: computed from scratch).

    Only the titles of versions that arrived or left are re-keyed when the staged table was made by
    the same code (pipeline/incremental_dedup.py: the result is the full recompute's).
    """
    path = config.table_path("paper_occurrences")
    state = _read_json(config.staging / OCCURRENCES_STATE)
    if state.get("code") != _code_state("pipeline.incremental_dedup") or not path.exists():
        records = _records(config, current)
        table = assign_paper_ids(records).sort("source_id", "position")
        return OccurrencesUpdate(table, table["paper_id"].unique().sort()), records.height, None
    previous = pl.read_parquet(path)
    held = previous.get_column("source_id").unique().implode()
    new_records = _records(config, current.filter(~pl.col("source_id").is_in(held)))
    update = update_occurrences(previous, current.get_column("source_id").to_list(), new_records)
    # The state is removed before the table is rewritten and written after: its version is the table's.
    return update, new_records.height, state.get("version")


def build_papers_tables(config: PapersConfig, changes: dict) -> tuple[pl.DataFrame, pl.DataFrame, int]:
    """`papers` and `paper_abstract_versions`, and how many papers were built to get them: only the
    papers the last occurrences update touched (`changes`, the occurrences step's state), when the
    staged tables were built from the occurrences that update started from (by the same code); else
    all of them. Reads from the staged occurrences only the rows and columns the papers are built of."""
    state = _read_json(config.staging / PAPERS_STATE)
    papers_path, versions_path = config.table_path("papers"), config.table_path("paper_abstract_versions")
    occurrences = pl.scan_parquet(config.table_path("paper_occurrences")).select(PAPER_INPUT_COLUMNS)
    incremental = (
        changes.get("base") is not None
        and changes.get("base") == state.get("occurrences_version")
        and state.get("code") == _code_state("pipeline.incremental_dedup")
        and papers_path.exists()
        and versions_path.exists()
    )
    if not incremental:
        table, versions = build_paper_tables(occurrences.collect())
        return table, versions, table.height
    touched = pl.Series("paper_id", changes["touched_paper_ids"], dtype=pl.String)
    # Decoding only the touched papers' rows: 0.5 s of CPU instead of 1.6 s at a million occurrences.
    rebuilt = occurrences.filter(pl.col("paper_id").is_in(touched.implode())).collect()
    table, versions = update_papers(
        pl.read_parquet(papers_path), pl.read_parquet(versions_path), rebuilt, touched
    )
    return table, versions, touched.len()


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
    update, n_keyed, base = build_occurrences(papers_config, current)
    occurrences, version = update.table, data_version(update.table)
    state_path = papers_config.staging / OCCURRENCES_STATE
    _start_writing(state_path)
    path = write_parquet_atomic(
        occurrences, papers_config.table_path("paper_occurrences"), compression_level=COMPRESSION_LEVEL
    )
    # The papers step reads which papers this update touched, and from which occurrences it started;
    # after a recompute (no base) it rebuilds every paper and needs no list.
    state = {
        "code": _code_state("pipeline.incremental_dedup"),
        "base": base,
        "version": version.value,
        "touched_paper_ids": update.touched_paper_ids.to_list() if base is not None else [],
    }
    write_text_atomic(json.dumps(state), state_path)
    expected = int(current["n_records"].sum())
    yield dg.MaterializeResult(
        metadata={**table_metadata(occurrences, str(path)), "n_records_keyed": n_keyed},
        data_version=version,
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
    occurrences_path = papers_config.table_path("paper_occurrences")
    # The occurrences step records its table's version beside it (removed while it rewrites the table);
    # without that record the version is computed and the papers are built whole.
    changes = _read_json(papers_config.staging / OCCURRENCES_STATE)
    occurrences_version = changes.get("version") or data_version(pl.read_parquet(occurrences_path)).value
    occurrence_ids = pl.read_parquet(occurrences_path, columns=["paper_id"]).get_column("paper_id")
    table, versions, n_built = build_papers_tables(papers_config, changes)
    state_path = papers_config.staging / PAPERS_STATE
    _start_writing(state_path)
    path, versions_path = write_parquets_atomic(
        [
            (table, papers_config.table_path("papers")),
            (versions, papers_config.table_path("paper_abstract_versions")),
        ],
        compression_level=COMPRESSION_LEVEL,
    )
    state = {
        "code": _code_state("pipeline.incremental_dedup"),
        "occurrences_version": occurrences_version,
    }
    write_text_atomic(json.dumps(state), state_path)
    yield dg.MaterializeResult(
        asset_key="papers",
        metadata={**table_metadata(table, str(path)), "n_papers_built": n_built},
        data_version=data_version(table),
    )
    yield dg.MaterializeResult(
        asset_key="paper_abstract_versions",
        metadata=table_metadata(versions, str(versions_path)),
        data_version=data_version(versions),
    )
    yield key_is_unique(table, ["paper_id"], "papers")
    distinct_ids = occurrence_ids.n_unique()
    yield dg.AssetCheckResult(
        asset_key="papers",
        check_name="row_count",
        passed=table.height == distinct_ids and int(table["n_occurrences"].sum()) == occurrence_ids.len(),
        metadata={
            "n_rows": table.height,
            "distinct_paper_ids_in_occurrences": distinct_ids,
            "n_occurrences": occurrence_ids.len(),
        },
    )
    yield key_is_unique(versions, ["paper_id", "abstract_sha256"], "paper_abstract_versions")
