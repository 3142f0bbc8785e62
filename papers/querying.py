"""`papers sql` and `papers status`: read-only views of the published warehouse."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import duckdb
import polars as pl

from papers.errors import UserError
from pipeline.settings import Settings


def connect_read_only(database_path: Path) -> duckdb.DuckDBPyConnection:
    if not database_path.exists():
        raise UserError(f"no warehouse at {database_path}: run `papers run` first")
    try:
        return duckdb.connect(str(database_path), read_only=True)
    except duckdb.Error as error:
        holder = re.search(r"Conflicting lock is held in (.+?) \(PID (\d+)\)", str(error))
        if holder:
            raise UserError(
                f"{database_path} is locked by a writer (PID {holder[2]}, {holder[1]}): "
                "close that read-write connection (open the DuckDB CLI with -readonly), then retry"
            ) from error
        raise UserError(f"cannot open {database_path}: {str(error).splitlines()[0]}") from error


def query_frame(database_path: Path, query: str, params: dict[str, str] | None = None) -> pl.DataFrame:
    con = connect_read_only(database_path)
    try:
        return con.execute(query, params or None).pl()
    except duckdb.Error as error:
        raise UserError(f"query failed: {str(error).splitlines()[0]}") from error
    finally:
        con.close()


def _nested_as_json(frame: pl.DataFrame) -> pl.DataFrame:
    """CSV has no lists or structs: write such cells as JSON text (an output-sized loop, not a transform)."""
    nested = [name for name, dtype in frame.schema.items() if dtype.is_nested()]
    return frame.with_columns(
        pl.Series(name, [json.dumps(v, default=str, ensure_ascii=False) for v in frame[name].to_list()])
        for name in nested
    )


def run_query(
    database_path: Path, query: str, output_format: str, params: dict[str, str] | None = None
) -> None:
    frame = query_frame(database_path, query, params)
    if output_format == "csv":
        sys.stdout.write(_nested_as_json(frame).write_csv())
    elif output_format == "json":
        sys.stdout.write(json.dumps(frame.to_dicts(), default=str, ensure_ascii=False, indent=1) + "\n")
    else:
        with pl.Config(
            tbl_rows=50,
            tbl_cols=20,
            fmt_str_lengths=60,
            tbl_hide_dataframe_shape=True,
            tbl_hide_column_data_types=True,
        ):
            print(frame)
        print(f"({frame.height} row{'s' if frame.height != 1 else ''})")


def print_status(settings: Settings) -> None:
    sources = query_frame(
        settings.database_path,
        "SELECT file_name, status, layout, n_records, n_quarantined_lines, source_id FROM sources "
        "ORDER BY status <> 'current', file_name",
    )
    with pl.Config(
        tbl_rows=100, fmt_str_lengths=50, tbl_hide_dataframe_shape=True, tbl_hide_column_data_types=True
    ):
        print(sources)
    build = query_frame(
        settings.database_path,
        "SELECT build_id, built_at, row_counts FROM warehouse_builds WHERE is_this_build",
    )
    print(f"Published build {build['build_id'][0]} at {build['built_at'][0]}: {build['row_counts'][0]}")
    _print_runs_and_checks()


def _print_runs_and_checks() -> None:
    import dagster as dg

    from assets.definitions import defs

    instance = dg.DagsterInstance.get()
    print("Last runs:")
    for run in instance.get_runs(limit=5):
        trigger = (
            run.tags.get("papers/trigger")
            or run.tags.get("dagster/sensor_name")
            or run.tags.get("dagster/schedule_name", "ui")
        )
        print(f"  {run.run_id[:8]} {run.status.value:<10} {trigger}")
    failing = []
    for check_key in defs.resolve_asset_graph().asset_check_keys:
        record = instance.event_log_storage.get_latest_asset_check_execution_by_key([check_key]).get(
            check_key
        )
        evaluation = record.evaluation if record else None
        if isinstance(evaluation, dg.AssetCheckEvaluation) and not evaluation.passed:  # not planned/skipped
            failing.append(evaluation)
    from assets.quality import failing_checks

    print("Failing checks:" + ("".join(f"\n  {line}" for line in failing_checks(failing)) or " none"))
