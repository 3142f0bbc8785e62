"""Rows already validated need not be validated again: a record of them, kept beside the staged table.

A row-local expectation (not null, regex, in set, between, lengths, a comparison of two columns of a
row) judges each row by that row alone. A row that met every row-local expectation of a suite meets
them again as long as neither the row, nor the suite, nor the code that judges it changed. The record
holds a 64-bit hash of each such row (over the columns those rules read) under a fingerprint of all
that the verdicts depend on: the row-local expectations as declared, the parameters they use, the
names and types of the columns they read, and the versions of GX, pandas, Polars and of this
package's code. A row recorded under the same fingerprint is reused; every other row (new, changed,
or one that broke a row-local rule, soft ones included) is validated by GX again. Expectations over
the whole table (uniqueness, row counts, sums, conditioned rules) always see every row.

A reused row is, by construction, unexpected for no row-local rule: its rule's unexpected count is
the count GX found among the rows it validated; only the rows GX skips as missing (nulls) must be
counted among the reused rows too, for the share a `mostly` bound is judged on.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow.parquet as pq

from expectations.results import Outcome

# Map expectations whose verdict on a row reads only that row. Conditioned ones are left to the whole
# table; so is `expect_column_values_to_be_of_type`: pandas types a column by all of its values (an
# integer column with a null becomes float), so a type is not a property of one row.
ROW_LOCAL_TYPES = frozenset(
    {
        "expect_column_values_to_not_be_null",
        "expect_column_values_to_be_null",
        "expect_column_values_to_match_regex",
        "expect_column_values_to_not_match_regex",
        "expect_column_values_to_match_regex_list",
        "expect_column_values_to_not_match_regex_list",
        "expect_column_values_to_be_in_set",
        "expect_column_values_to_not_be_in_set",
        "expect_column_values_to_be_between",
        "expect_column_value_lengths_to_be_between",
        "expect_column_value_lengths_to_equal",
        "expect_column_pair_values_a_to_be_greater_than_b",
        "expect_column_pair_values_to_be_equal",
    }
)
# These judge nulls themselves: GX counts every row, none is skipped as missing.
_NULL_TYPES = frozenset({"expect_column_values_to_not_be_null", "expect_column_values_to_be_null"})
# A changed row is taken for a validated one only if its hash equals one of the n recorded: about
# n / 2**64, 5e-14 per row at a million recorded rows. A second hash would cost 0.25 s per million abstracts.
_HASH_SEED = 0x5EED_0001
HASH_COLUMN = "row_hash"
_FORMAT = "validated-rows/1"
_FINGERPRINT_KEY = b"fingerprint"


def is_row_local(expectation: Mapping[str, Any]) -> bool:
    return expectation["type"] in ROW_LOCAL_TYPES and "row_condition" not in expectation.get("kwargs", {})


@cache
def _code_versions() -> str:
    """Versions of the libraries and of this package's code that judge a row."""
    import great_expectations as gx
    import pandas as pd

    here = Path(__file__).parent
    code = hashlib.sha256()
    for module in ("runner.py", "reuse.py", "results.py"):
        code.update((here / module).read_bytes())
    return f"gx {gx.__version__}, pandas {pd.__version__}, polars {pl.__version__}, code {code.hexdigest()}"


def parameter_names(expectations: Iterable[Mapping[str, Any]]) -> set[str]:
    """Names of every `{"$PARAMETER": name}` the expectations' arguments use."""

    def walk(value: Any) -> Iterable[str]:
        if isinstance(value, dict):
            if "$PARAMETER" in value:
                yield value["$PARAMETER"]
            for inner in value.values():
                yield from walk(inner)
        elif isinstance(value, list):
            for inner in value:
                yield from walk(inner)

    return set(walk([e.get("kwargs", {}) for e in expectations]))


def fingerprint(
    expectations: list[Mapping[str, Any]], parameters: Mapping[str, Any], schema: Mapping[str, pl.DataType]
) -> str:
    """What a row's verdicts depend on besides the row: a change of any of it invalidates the record."""
    used = sorted(parameter_names(expectations))
    spec = {
        "format": _FORMAT,
        "expectations": expectations,
        "parameters": {name: parameters.get(name) for name in used},
        "columns": {name: str(dtype) for name, dtype in schema.items()},
        "code": _code_versions(),
    }
    return hashlib.sha256(json.dumps(spec, sort_keys=True, default=str).encode()).hexdigest()


def row_hashes(frame: pl.DataFrame) -> pl.Series:
    """A 64-bit hash of each row's values, columns taken in name order."""
    return frame.select(sorted(frame.columns)).hash_rows(_HASH_SEED).alias(HASH_COLUMN)


def read_validated(path: Path, expected_fingerprint: str) -> pl.Series:
    """The hashes of rows validated under this fingerprint; none when the record is absent or stale."""
    try:
        recorded = (pq.read_schema(path).metadata or {}).get(_FINGERPRINT_KEY, b"").decode()
    except (OSError, ValueError):
        recorded = ""  # absent or unreadable: validate every row, and write a new record
    if recorded != expected_fingerprint:
        return pl.Series(HASH_COLUMN, [], pl.UInt64)
    return pl.read_parquet(path, columns=[HASH_COLUMN])[HASH_COLUMN]


def write_validated(path: Path, record_fingerprint: str, hashes: pl.Series) -> None:
    """Replace the record by rename, so a reader never meets half a file and a crash leaves the old one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    table = hashes.unique().alias(HASH_COLUMN).to_frame().to_arrow()
    pq.write_table(table.replace_schema_metadata({_FINGERPRINT_KEY: record_fingerprint.encode()}), partial)
    os.replace(partial, path)


def _missing(frame: pl.DataFrame, column: str) -> pl.Expr:
    """Null as pandas sees it once converted: a float NaN is missing too."""
    missing = pl.col(column).is_null()
    return missing | pl.col(column).is_nan() if frame.schema[column].is_float() else missing


def missing_count(
    frame: pl.DataFrame, expectation_type: str, kwargs: Mapping[str, Any], among: pl.Series | None = None
) -> int | None:
    """Rows (of those `among` marks) GX skips as missing for this map expectation; None: it skips none."""
    if expectation_type in _NULL_TYPES:
        return None
    if "column" in kwargs:
        skipped = _missing(frame, kwargs["column"])
    else:
        a, b = _missing(frame, kwargs["column_A"]), _missing(frame, kwargs["column_B"])
        ignore = kwargs.get("ignore_row_if") or "both_values_are_missing"
        skipped = {"both_values_are_missing": a & b, "either_value_is_missing": a | b}.get(
            ignore, pl.lit(False)
        )
    if among is not None:
        skipped = skipped & pl.lit(among)
    return int(frame.select(skipped.sum()).item())


def merged_details(
    details: Mapping[str, Any], missing_checked: int | None, missing_reused: int | None, n_reused: int
) -> dict[str, Any]:
    """GX's counts over the validated rows, extended to the reused ones (none unexpected, some missing)."""
    element_count = details["element_count"] + n_reused
    unexpected = details["unexpected_count"]
    if missing_checked is None or missing_reused is None:
        considered = element_count
        merged = {}
    else:
        missing = missing_checked + missing_reused
        considered = element_count - missing
        merged = {"missing_count": missing, "missing_percent": 100 * missing / element_count}
    return {
        **details,
        **merged,
        "element_count": element_count,
        "unexpected_percent": 100 * unexpected / considered if considered else None,
        "unexpected_percent_total": 100 * unexpected / element_count if element_count else None,
        "considered_count": considered,
    }


def mostly_success(considered: int, unexpected: int, mostly: float | None) -> bool:
    """GX's rule: vacuously true on no row, else the share of expected rows reaches `mostly`."""
    if considered == 0:
        return True
    return (considered - unexpected) / considered >= (1.0 if mostly is None else mostly)


@dataclass(frozen=True)
class RowSelection:
    """The rows the row-local rules run on, and those they need not: validated before, unchanged."""

    data: pl.DataFrame  # every row
    reused: pl.Series  # per row of data: validated before under the same fingerprint
    checked: pl.DataFrame  # the other rows, in their order
    hashes: pl.Series  # per row of data; empty without a record
    fingerprint: str | None  # None: no record is kept
    n_recorded: int  # rows in the record read

    @property
    def n_reused(self) -> int:
        return int(self.reused.sum())


def select_rows(
    data: pl.DataFrame,
    row_expectations: Sequence[Mapping[str, Any]],
    parameters: Mapping[str, Any],
    record: Path | None,
) -> RowSelection:
    """Split `data` by the record at `record` (every row is checked without one)."""
    columns = sorted({c for e in row_expectations for c in _columns(e)} & set(data.columns))
    if record is None or not columns:
        nothing = pl.Series(HASH_COLUMN, [], pl.UInt64)
        return RowSelection(data, pl.repeat(False, data.height, eager=True), data, nothing, None, 0)
    key = fingerprint(list(row_expectations), parameters, data.select(columns).schema)
    validated = read_validated(record, key)
    hashes = row_hashes(data.select(columns))
    reused = hashes.is_in(validated.implode())
    # Without a reused row `data` is the checked frame itself: a filtered copy of a million abstracts costs.
    checked = data.filter(~reused) if reused.any() else data
    return RowSelection(data, reused, checked, hashes, key, validated.len())


def _columns(expectation: Mapping[str, Any]) -> list[str]:
    kwargs = expectation.get("kwargs", {})
    return [kwargs[name] for name in ("column", "column_A", "column_B") if name in kwargs]


def merge_reused(outcomes: Sequence[Outcome], rows: RowSelection) -> list[Outcome] | None:
    """The row-local outcomes over all rows: the checked rows' counts plus the reused rows' missing ones.

    None when this module's count of missing rows disagrees with GX's on the checked rows: the rules
    are then not the ones the reuse was built for, and every row must be validated.
    """
    merged = []
    for outcome in outcomes:
        if outcome.error or "unexpected_count" not in outcome.details:
            merged.append(outcome)  # an error stays an error; a result without counts is not per row
            continue
        kwargs = outcome.config.kwargs
        missing_checked = missing_count(rows.checked, outcome.config.type, kwargs)
        counted = (outcome.details.get("element_count"), outcome.details.get("missing_count"))
        if counted != (rows.checked.height, missing_checked):
            return None
        details = merged_details(
            outcome.details,
            missing_checked,
            missing_count(rows.data, outcome.config.type, kwargs, among=rows.reused),
            rows.n_reused,
        )
        success = mostly_success(
            details["considered_count"], details["unexpected_count"], kwargs.get("mostly")
        )
        merged.append(replace(outcome, success=success, details=details))
    return merged


def validated_hashes(outcomes: Sequence[Outcome], rows: RowSelection) -> pl.Series:
    """Hashes of the rows that now meet every row-local rule: the reused, and checked rows GX passed.

    A checked row is kept only when each rule's result names its unexpected rows; an error, or a
    failure that does not say which rows, keeps none of them.
    """
    reused = rows.hashes.filter(rows.reused)
    unexpected: set[int] = set()
    for outcome in outcomes:
        named = outcome.details.get("unexpected_index_list")
        if outcome.error or (
            named is None and (outcome.details.get("unexpected_count") or not outcome.success)
        ):
            return reused
        unexpected.update(named or [])
    passed = ~pl.int_range(rows.checked.height, eager=True).is_in(sorted(unexpected))
    return pl.concat([reused, rows.hashes.filter(~rows.reused).filter(passed)])
