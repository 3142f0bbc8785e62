"""Load the JSON suites and run them on Polars frames; see the package docstring for the conventions.

GX validates pandas, not Polars, and takes ~4 s to import: it is imported on first use, with
analytics and progress bars off, and its context and suites are cached for the process.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import polars as pl

from expectations.results import (
    SAMPLE_SIZE,
    STRUCTURAL,
    FailedExpectation,
    Outcome,
    ValidationSummary,
    failure_of,
)
from expectations.reuse import (
    RowSelection,
    is_row_local,
    merge_reused,
    parameter_names,
    select_rows,
    validated_hashes,
    write_validated,
)

__all__ = [
    "STRUCTURAL",
    "FailedExpectation",
    "SuiteLoadError",
    "ValidationSummary",
    "load_suite",
    "suite_path",
    "suite_tables",
    "validate",
]
SUITES_DIR = Path(__file__).parent


class SuiteLoadError(ValueError):
    """A suite file holds an expectation GX did not understand, or lacks a parameter it needs."""


def suite_path(table: str) -> Path:
    return SUITES_DIR / f"{table}.json"


def suite_tables() -> list[str]:
    """Every table that has a suite file."""
    return sorted(p.stem for p in SUITES_DIR.glob("*.json"))


def read_suite_file(table: str) -> dict[str, Any]:
    return json.loads(suite_path(table).read_text(encoding="utf-8"))


def suite_parameters(spec: Mapping[str, Any]) -> set[str]:
    """Names of every `{"$PARAMETER": name}` used by the suite's expectations."""
    return parameter_names(spec.get("expectations", []))


@cache
def required_parameters(table: str) -> frozenset[str]:
    return frozenset(suite_parameters(read_suite_file(table)))


_COLUMN_ARGUMENTS = ("column", "column_A", "column_B")
_COLUMN_LIST_ARGUMENTS = ("column_list", "column_set")
# Expectations that look at every column of the table, not only the ones they name.
_WHOLE_TABLE_TYPES = ("expect_table_column_count_to_equal", "expect_table_column_count_to_be_between")


def columns_read_by(spec: Mapping[str, Any]) -> frozenset[str] | None:
    """The columns a suite's expectations read, or None when some expectation needs all of them.

    Only these are converted to pandas: a million abstracts the suite never reads cost seconds to
    convert and hash. `expect_table_columns_to_match_set` without `exact_match` only asks that the
    named columns exist, which it still sees; with `exact_match` every column is kept.
    """
    columns: set[str] = set()
    for expectation in spec.get("expectations", []):
        kwargs = expectation.get("kwargs", {})
        if expectation["type"] in _WHOLE_TABLE_TYPES or kwargs.get("exact_match"):
            return None
        columns.update(kwargs[name] for name in _COLUMN_ARGUMENTS if name in kwargs)
        columns.update(c for name in _COLUMN_LIST_ARGUMENTS for c in kwargs.get(name, []))
    return frozenset(columns)


@lru_cache(maxsize=1)
def _batch_definition() -> Any:
    """One ephemeral GX context for the process: nothing written to disk, nothing sent anywhere."""
    # The machines are offline: GX must not try to send usage statistics.
    os.environ["GX_ANALYTICS_ENABLED"] = "false"
    import great_expectations as gx
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False, metric_calculations=False),
    )
    context = gx.get_context(mode="ephemeral", project_config=config)
    # GX labels each pandas batch with a hash of all its rows, twice per validation (8 s for 667k
    # abstracts), for stores this ephemeral context never writes; GX itself skips it above 1 GB.
    from great_expectations.execution_engine import pandas_execution_engine

    pandas_execution_engine.HASH_THRESHOLD = 0
    asset = context.data_sources.add_pandas("staging").add_dataframe_asset("staged_table")
    return asset.add_batch_definition_whole_dataframe("whole_table")


@cache
def load_suite(table: str) -> Any:
    """The table's suite as a GX ExpectationSuite; raises SuiteLoadError unless GX understood all of it."""
    _batch_definition()  # GX needs its context before suites are built
    import great_expectations as gx

    spec = read_suite_file(table)
    try:
        suite = gx.ExpectationSuite(**spec)
    except (TypeError, ValueError) as error:  # GX raises on some bad arguments and drops the rest
        raise SuiteLoadError(f"{suite_path(table)}: GX refused the suite: {error}") from error
    declared = Counter(e["type"] for e in spec.get("expectations", []))
    loaded = Counter(e.expectation_type for e in suite.expectations)
    if declared != loaded:
        dropped = sorted((declared - loaded).elements())
        raise SuiteLoadError(
            f"{suite_path(table)}: GX understood {loaded.total()} of {declared.total()} expectations; "
            f"not understood (unknown type or bad arguments): {dropped}"
        )
    return suite


_SCHEMA_TYPES = frozenset(
    {
        "expect_table_columns_to_match_set",
        "expect_table_columns_to_match_ordered_list",
        "expect_table_column_count_to_equal",
        "expect_table_column_count_to_be_between",
        "expect_column_to_exist",
    }
)
# Part kinds, and the rows each is validated on: "schema" reads column names only and runs on no rows;
# "rows" (row-local rules) on the rows not validated before; "table" and "conditioned" on every row.
PART_KINDS = ("schema", "rows", "table", "conditioned")


@dataclass(frozen=True)
class SuitePart:
    """Expectations of a suite validated together on one pandas frame of the columns they read."""

    kind: str
    suite: Any
    columns: frozenset[str] | None  # None: every column
    positions: tuple[int, ...]  # of its expectations in the suite file, so results keep the file's order
    typed_columns: frozenset[str]  # columns whose pandas type an expectation checks: never widened


def part_kind(expectation: Mapping[str, Any]) -> str:
    if expectation["type"] in _SCHEMA_TYPES:
        return "schema"
    if "row_condition" in expectation.get("kwargs", {}):
        return "conditioned"
    return "rows" if is_row_local(expectation) else "table"


def _condition_columns(condition: str) -> set[str]:
    """Names a pandas row condition may read (its identifiers; those the frame lacks are ignored)."""
    return set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", condition)) - {"True", "False", "and", "or", "not"}


@cache
def suite_parts(table: str) -> tuple[SuitePart, ...]:
    """The table's suite split by the rows each expectation needs, each part on the columns it reads.

    pandas applies a row condition by copying every column of the frame (with the abstracts in it
    that was 6 s of 7 for paper_abstract_versions at a million records), so conditioned rules get
    a frame of their own; row-local rules get the rows not validated before (see expectations.reuse).
    """
    import great_expectations as gx

    load_suite(table)  # refuses the file unless GX understood all of it
    spec = read_suite_file(table)
    expectations = list(enumerate(spec["expectations"]))
    parts = []
    for kind in PART_KINDS:
        members = [(i, e) for i, e in expectations if part_kind(e) == kind]
        if not members:
            continue
        chosen = [e for _, e in members]
        columns = None if kind == "schema" else columns_read_by({"expectations": chosen})
        if columns is not None:
            columns = columns.union(
                *(_condition_columns(e["kwargs"].get("row_condition", "")) for e in chosen)
            )
        typed = frozenset(e["kwargs"]["column"] for e in chosen if e["type"] == _TYPE_EXPECTATION)
        part_spec = {**spec, "name": f"{spec['name']}.{kind}", "expectations": chosen}
        parts.append(
            SuitePart(kind, gx.ExpectationSuite(**part_spec), columns, tuple(i for i, _ in members), typed)
        )
    return tuple(parts)


_TYPE_EXPECTATION = "expect_column_values_to_be_of_type"
# GX compares values with bounds vectorized only for int64 and float64 columns; narrower integers take a
# per-value Python path (0.8 s per million values). Widening changes no value.
_NARROW_INTEGERS = (pl.Int8, pl.Int16, pl.Int32, pl.UInt8, pl.UInt16, pl.UInt32)


def _pandas_ready(
    frame: pl.DataFrame, columns: frozenset[str] | None = None, typed: frozenset[str] = frozenset()
) -> Any:
    if columns is not None:
        frame = frame.select([name for name in frame.columns if name in columns])
    if not frame.columns:  # a rule on the row count alone still needs the rows
        import pandas as pd

        return pd.DataFrame(index=pd.RangeIndex(frame.height))
    lists = [name for name, dtype in frame.schema.items() if isinstance(dtype, pl.List)]
    narrow = [n for n, dtype in frame.schema.items() if dtype in _NARROW_INTEGERS and n not in typed]
    frame = frame.with_columns(pl.col(lists).list.join(","), pl.col(narrow).cast(pl.Int64))
    # A frame read from a thousand files has as many chunks: converted as they are, 4x slower.
    return frame.rechunk().to_pandas()


def _run_part(
    part: SuitePart, rows: pl.DataFrame, parameters: Mapping[str, Any], indexed: bool = False
) -> list[Outcome]:
    """GX's outcomes of one part on `rows`; `indexed` asks row-local results to name their unexpected rows."""
    batch = _batch_definition().get_batch(
        batch_parameters={"dataframe": _pandas_ready(rows, part.columns, part.typed_columns)}
    )
    result_format: dict[str, Any] = {"result_format": "BASIC", "partial_unexpected_count": SAMPLE_SIZE}
    if (
        indexed and part.kind == "rows"
    ):  # the positions of unexpected rows come with COMPLETE, not with the lighter formats
        result_format |= {"result_format": "COMPLETE", "return_unexpected_index_query": False}
    validation = batch.validate(
        part.suite, result_format=result_format, expectation_parameters=dict(parameters)
    )
    # GX returns results in the order of the suite's expectations.
    return [
        Outcome(position, part.kind, r.expectation_config, bool(r.success), r.result or {}, r.exception_info)
        for position, r in zip(part.positions, validation.results, strict=True)
    ]


def _columns_to_read(parts: tuple[SuitePart, ...], schema: pl.Schema) -> list[str]:
    """The columns some part validates values of; the schema part needs names only."""
    needed: set[str] = set()
    for part in parts:
        if part.kind != "schema":
            if part.columns is None:
                return list(schema)
            needed |= part.columns
    # A frame of no column has no rows either: keep one, so a rule on the row count sees them.
    return [name for name in schema if name in needed] or list(schema)[:1]


def validate(
    frame: pl.DataFrame | pl.LazyFrame,
    table: str,
    parameters: Mapping[str, Any] | None = None,
    validated_rows: Path | None = None,
) -> ValidationSummary:
    """Run the table's suite on `frame`; `parameters` fill the suite's `$PARAMETER` bounds.

    A LazyFrame is read for the columns the suite reads only. `validated_rows` is the record of rows
    that met every row-local rule before (expectations.reuse): those rules then run on the other rows
    only, rules over the whole table on every row, and the record is brought up to date.
    """
    suite = load_suite(table)
    parameters = dict(parameters or {})
    missing = required_parameters(table) - set(parameters)
    if missing:
        raise SuiteLoadError(f"suite {table} needs parameters {sorted(missing)}")
    started = time.perf_counter()
    lazy = frame.lazy()
    schema = lazy.collect_schema()
    parts = suite_parts(table)
    data = lazy.select(_columns_to_read(parts, schema)).collect()
    row_rules = [e for e in read_suite_file(table)["expectations"] if part_kind(e) == "rows"]
    rows = select_rows(data, row_rules, parameters, validated_rows)
    frames = {"schema": pl.DataFrame(schema=schema), "rows": rows.checked}
    outcomes = {
        part.kind: _run_part(
            part, frames.get(part.kind, data), parameters, indexed=rows.fingerprint is not None
        )
        for part in parts
    }
    on_checked_rows = outcomes.get("rows", [])  # their unexpected rows are what the record leaves out
    n_reused = _merge_row_outcomes(outcomes, rows, parts, data, parameters)
    if rows.fingerprint is not None and validated_rows is not None and n_reused == rows.n_reused:
        _record(validated_rows, rows, on_checked_rows)
    ordered = sorted((o for part in outcomes.values() for o in part), key=lambda o: o.position)
    failures = tuple(failure_of(o) for o in ordered if not o.success)
    severities = Counter(str(getattr(e.severity, "value", e.severity)) for e in suite.expectations)
    seconds = time.perf_counter() - started
    return ValidationSummary(table, data.height, dict(severities), failures, seconds, n_reused)


def _merge_row_outcomes(
    outcomes: dict[str, list[Outcome]],
    rows: RowSelection,
    parts: tuple[SuitePart, ...],
    data: pl.DataFrame,
    parameters: Mapping[str, Any],
) -> int:
    """Extend the row-local outcomes to the reused rows; returns how many rows were reused.

    Should the counts not merge (see reuse.merge_reused), the row-local rules run again on every row.
    """
    if not rows.n_reused or "rows" not in outcomes:
        return 0
    merged = merge_reused(outcomes["rows"], rows)
    if merged is not None:
        outcomes["rows"] = merged
        return rows.n_reused
    part = next(p for p in parts if p.kind == "rows")
    outcomes["rows"] = _run_part(part, data, parameters, indexed=False)
    return 0


def _record(path: Path, rows: RowSelection, checked_outcomes: list[Outcome]) -> None:
    """Write the rows that meet every row-local rule now, unless the record already says exactly that."""
    hashes = validated_hashes(checked_outcomes, rows)
    if rows.checked.height or hashes.len() != rows.n_recorded:
        write_validated(path, str(rows.fingerprint), hashes)
