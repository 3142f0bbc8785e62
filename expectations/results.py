"""What a suite run found: each expectation's outcome, the failures with their evidence, the summary."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

STRUCTURAL = "critical"
SAMPLE_SIZE = 5
# Arguments that say what was expected, shown next to what was observed.
_BOUND_ARGUMENTS = ("value", "min_value", "max_value", "value_set", "regex", "mostly")
_MAX_EXPECTED_CHARS = 120


@dataclass(frozen=True)
class Outcome:
    """GX's result for one expectation of the suite file, at its position there."""

    position: int
    kind: str  # the suite part it ran in (runner.PART_KINDS)
    config: Any  # GX ExpectationConfiguration, `$PARAMETER`s replaced by their values
    success: bool
    details: Mapping[str, Any]
    exception_info: Mapping[str, Any] | None

    @property
    def error(self) -> str | None:
        return error_message(self.exception_info)


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
    # Rows the row-local rules did not run on: they passed them before, unchanged (expectations.reuse).
    n_rows_reused: int = 0

    @property
    def n_rows_checked(self) -> int:
        """Rows the row-local rules ran on; rules over the whole table always see all n_rows."""
        return self.n_rows - self.n_rows_reused

    def failed(self, structural: bool) -> tuple[FailedExpectation, ...]:
        return tuple(f for f in self.failures if (f.severity == STRUCTURAL) == structural)

    def count(self, structural: bool) -> int:
        return sum(n for s, n in self.n_expectations.items() if (s == STRUCTURAL) == structural)

    def reason(self, structural: bool) -> str:
        """The check's description: the first failures, or how much passed."""
        failed, total = self.failed(structural), self.count(structural)
        if not failed:
            plural = "s" if total != 1 else ""
            reused = (
                f" ({self.n_rows_reused:,} unchanged rows reused from an earlier validation)"
                if self.n_rows_reused
                else ""
            )
            return f"{total} expectation{plural} passed on {self.n_rows:,} rows of {self.table}{reused}."
        first = "; ".join(f.reason() for f in failed[:2])
        return f"{len(failed)} of {total} expectations failed on {self.table}: {first}"


def error_message(exception_info: Mapping[str, Any] | None) -> str | None:
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


def failure_of(outcome: Outcome) -> FailedExpectation:
    config, details = outcome.config, outcome.details
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
        error=outcome.error,
    )
