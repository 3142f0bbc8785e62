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
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import polars as pl

SUITES_DIR = Path(__file__).parent
STRUCTURAL = "critical"
SAMPLE_SIZE = 5
# Arguments that say what was expected, shown next to what was observed.
_BOUND_ARGUMENTS = ("value", "min_value", "max_value", "value_set", "regex", "mostly")
_MAX_EXPECTED_CHARS = 120


class SuiteLoadError(ValueError):
    """A suite file holds an expectation GX did not understand, or lacks a parameter it needs."""


@dataclass(frozen=True)
class FailedExpectation:
    """One expectation that did not hold, with the evidence a reviewer needs to act on it."""

    expectation: str
    column: str | None
    severity: str
    description: str | None
    unexpected_count: int | None
    unexpected_percent: float | None
    observed: str | None
    expected: str
    sample: tuple[str, ...]
    error: str | None

    def reason(self) -> str:
        """One line: what was expected, and what was found instead."""
        what = self.description or f"{self.expectation}({self.column or 'table'})"
        if self.error:
            return f"{what}: could not be evaluated: {self.error}"
        if self.unexpected_count is not None:
            example = f", e.g. {', '.join(self.sample[:3])}" if self.sample else ""
            return f"{what}: {self.unexpected_count} rows ({self.unexpected_percent or 0:.1f}%){example}"
        return f"{what}: observed {self.observed} ({self.expected})"


@dataclass(frozen=True)
class ValidationSummary:
    """The outcome of one suite on one frame."""

    table: str
    n_rows: int
    n_expectations: Mapping[str, int]  # per severity
    failures: tuple[FailedExpectation, ...]
    seconds: float

    def failed(self, structural: bool) -> tuple[FailedExpectation, ...]:
        return tuple(f for f in self.failures if (f.severity == STRUCTURAL) == structural)

    def count(self, structural: bool) -> int:
        return sum(n for s, n in self.n_expectations.items() if (s == STRUCTURAL) == structural)

    def reason(self, structural: bool) -> str:
        """The check's description: the first failures, or how much passed."""
        failed, total = self.failed(structural), self.count(structural)
        if not failed:
            plural = "s" if total != 1 else ""
            return f"{total} expectation{plural} passed on {self.n_rows:,} rows of {self.table}."
        first = "; ".join(f.reason() for f in failed[:2])
        return f"{len(failed)} of {total} expectations failed on {self.table}: {first}"


def suite_path(table: str) -> Path:
    return SUITES_DIR / f"{table}.json"


def suite_tables() -> list[str]:
    """Every table that has a suite file."""
    return sorted(p.stem for p in SUITES_DIR.glob("*.json"))


def read_suite_file(table: str) -> dict[str, Any]:
    return json.loads(suite_path(table).read_text(encoding="utf-8"))


def suite_parameters(spec: Mapping[str, Any]) -> set[str]:
    """Names of every `{"$PARAMETER": name}` used by the suite's expectations."""

    def walk(value: Any) -> Iterator[str]:
        if isinstance(value, dict):
            if "$PARAMETER" in value:
                yield value["$PARAMETER"]
            for inner in value.values():
                yield from walk(inner)
        elif isinstance(value, list):
            for inner in value:
                yield from walk(inner)

    return set(walk([e.get("kwargs", {}) for e in spec.get("expectations", [])]))


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


@dataclass(frozen=True)
class SuitePart:
    """Expectations of a suite validated together on one pandas frame of the columns they read."""

    suite: Any
    columns: frozenset[str] | None  # None: every column
    positions: tuple[int, ...]  # of its expectations in the suite file, so results keep the file's order


def _condition_columns(condition: str) -> set[str]:
    """Names a pandas row condition may read (its identifiers; those the frame lacks are ignored)."""
    return set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", condition)) - {"True", "False", "and", "or", "not"}


@cache
def suite_parts(table: str) -> tuple[SuitePart, ...]:
    """The table's suite split in two: the expectations without a row condition, on the columns they
    read, and those with one, on theirs and their conditions'. pandas applies a row condition by
    copying every column of the frame: with the abstracts in it that was 6 s of 7 for
    paper_abstract_versions at a million records, for a check that reads paper_id and is_chosen."""
    import great_expectations as gx

    load_suite(table)  # refuses the file unless GX understood all of it
    spec = read_suite_file(table)
    expectations = list(enumerate(spec["expectations"]))
    plain = [(i, e) for i, e in expectations if "row_condition" not in e.get("kwargs", {})]
    conditioned = [(i, e) for i, e in expectations if "row_condition" in e.get("kwargs", {})]
    parts = []
    for name, members in (("plain", plain), ("conditioned", conditioned)):
        if not members:
            continue
        chosen = [e for _, e in members]
        columns = columns_read_by({"expectations": chosen})
        if columns is not None:
            columns = columns.union(
                *(_condition_columns(e["kwargs"].get("row_condition", "")) for e in chosen)
            )
        part_spec = {**spec, "name": f"{spec['name']}.{name}", "expectations": chosen}
        parts.append(SuitePart(gx.ExpectationSuite(**part_spec), columns, tuple(i for i, _ in members)))
    return tuple(parts)


def _pandas_ready(frame: pl.DataFrame, columns: frozenset[str] | None = None) -> Any:
    if columns is not None:
        frame = frame.select([name for name in frame.columns if name in columns])
    lists = [name for name, dtype in frame.schema.items() if isinstance(dtype, pl.List)]
    return frame.with_columns(pl.col(lists).list.join(",")).to_pandas()


def _error_message(exception_info: Mapping[str, Any] | None) -> str | None:
    """GX reports errors either flat or keyed by metric; take the first message either way."""
    if not exception_info:
        return None
    infos = [exception_info] if "raised_exception" in exception_info else list(exception_info.values())
    for info in infos:
        if isinstance(info, Mapping) and info.get("raised_exception"):
            return str(info.get("exception_message") or "unknown error").splitlines()[0]
    return None


def _expected(kwargs: Mapping[str, Any]) -> str:
    """The bounds as GX applied them: `$PARAMETER`s are already replaced by their values here."""
    text = ", ".join(f"{key}={kwargs[key]}" for key in _BOUND_ARGUMENTS if kwargs.get(key) is not None)
    return text if len(text) <= _MAX_EXPECTED_CHARS else text[: _MAX_EXPECTED_CHARS - 1] + "…"


def _failure(result: Any) -> FailedExpectation:
    config = result.expectation_config
    details = result.result or {}
    observed = details.get("observed_value")
    unexpected = details.get("partial_unexpected_list") or []
    return FailedExpectation(
        expectation=config.type,
        column=config.kwargs.get("column") or ", ".join(config.kwargs.get("column_list", [])) or None,
        severity=str(getattr(config.severity, "value", config.severity)),
        description=config.description,
        unexpected_count=details.get("unexpected_count"),
        unexpected_percent=details.get("unexpected_percent"),
        observed=None if observed is None else str(observed),
        expected=_expected(config.kwargs),
        sample=tuple(dict.fromkeys(str(v) for v in unexpected))[:SAMPLE_SIZE],
        error=_error_message(result.exception_info),
    )


def validate(
    frame: pl.DataFrame, table: str, parameters: Mapping[str, Any] | None = None
) -> ValidationSummary:
    """Run the table's suite on `frame`; `parameters` fill the suite's `$PARAMETER` bounds."""
    suite = load_suite(table)
    missing = required_parameters(table) - set(parameters or {})
    if missing:
        raise SuiteLoadError(f"suite {table} needs parameters {sorted(missing)}")
    started = time.perf_counter()
    results: list[tuple[int, Any]] = []
    for part in suite_parts(table):
        batch = _batch_definition().get_batch(
            batch_parameters={"dataframe": _pandas_ready(frame, part.columns)}
        )
        outcome = batch.validate(
            part.suite,
            result_format={"result_format": "BASIC", "partial_unexpected_count": SAMPLE_SIZE},
            expectation_parameters=dict(parameters or {}),
        )
        # GX returns results in the order of the suite's expectations.
        results.extend(zip(part.positions, outcome.results, strict=True))
    failures = tuple(_failure(r) for _, r in sorted(results, key=lambda pair: pair[0]) if not r.success)
    severities = Counter(str(getattr(e.severity, "value", e.severity)) for e in suite.expectations)
    return ValidationSummary(table, frame.height, dict(severities), failures, time.perf_counter() - started)
