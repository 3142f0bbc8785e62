"""Declared data-quality expectations: one Great Expectations suite per staged table, as plain JSON.

`load_suite(table)` reads `expectations/<table>.json` and refuses a file with any expectation that
Great Expectations did not understand (GX drops those with only a log line). `validate(frame, table)`
runs the suite on a Polars frame and returns a `ValidationSummary`: what failed, how often, examples.
`validate(frame, table, parameters, validated_rows=path)` keeps at `path` a record of the rows that met
every row-local rule, and on the next run checks row by row only the rows not in it (`expectations.reuse`);
rules over the whole table still see every row.

Conventions of the suite files:
- `severity: "critical"` (the default) is a structural rule: its failure blocks the run.
  `severity: "warning"` is a soft rule: its failure warns and the run goes on.
- `{"$PARAMETER": "name"}` bounds a rule by the input, e.g. a row count by upstream rows; the caller
  passes the values, and `meta.parameters` of the suite says what each one means.
- List columns are validated as their items joined with "," (GX cannot check list cells).

The code lives in `expectations.runner`, `expectations.reuse` and `expectations.results` (importable
even where an old editable install maps this folder as a namespace package); this module re-exports it.
"""

from expectations.runner import (
    FailedExpectation,
    SuiteLoadError,
    ValidationSummary,
    load_suite,
    suite_tables,
    validate,
)

__all__ = [
    "FailedExpectation",
    "SuiteLoadError",
    "ValidationSummary",
    "load_suite",
    "suite_tables",
    "validate",
]
