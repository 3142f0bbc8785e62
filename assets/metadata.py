"""What every materialization and check shows in the UI: row counts, previews, key checks."""

from collections.abc import Sequence

import dagster as dg
import polars as pl

PREVIEW_ROWS = 5
PREVIEW_CELL_CHARS = 60


def markdown_preview(frame: pl.DataFrame, rows: int = PREVIEW_ROWS) -> dg.MetadataValue:
    """The first rows as a Markdown table, long cells cut so the table stays readable."""
    head = frame.head(rows)

    def cell(value: object) -> str:
        text = "" if value is None else str(value)
        text = text.replace("|", "\\|").replace("\n", " ")
        return text if len(text) <= PREVIEW_CELL_CHARS else text[: PREVIEW_CELL_CHARS - 1] + "…"

    lines = ["| " + " | ".join(head.columns) + " |", "|" + " --- |" * len(head.columns)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in head.iter_rows()]
    return dg.MetadataValue.md("\n".join(lines))


def table_metadata(frame: pl.DataFrame, path: str | None = None) -> dict[str, object]:
    metadata: dict[str, object] = {
        "dagster/row_count": frame.height,
        "preview": markdown_preview(frame),
    }
    if path:
        metadata["path"] = dg.MetadataValue.path(path)
    return metadata


def key_is_unique(
    frame: pl.DataFrame, key: Sequence[str], asset_key: str, check_name: str | None = None
) -> dg.AssetCheckResult:
    """Blocking structure check: no two rows share the table's key."""
    duplicated = frame.filter(pl.struct(list(key)).is_duplicated()).select(list(key))
    return dg.AssetCheckResult(
        asset_key=asset_key,
        check_name=check_name or "key_is_unique",
        passed=duplicated.is_empty(),
        metadata={
            "key": ", ".join(key),
            "n_rows": frame.height,
            "n_duplicate_rows": duplicated.height,
            "sample_duplicates": markdown_preview(duplicated.unique(maintain_order=True)),
        },
    )


def row_count_at_least(
    frame: pl.DataFrame, minimum: int, asset_key: str, why: str, check_name: str = "row_count"
) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        asset_key=asset_key,
        check_name=check_name,
        passed=frame.height >= minimum,
        metadata={"n_rows": frame.height, "minimum": minimum, "why": why},
    )


def structure_checks(asset_key: str) -> list[dg.AssetCheckSpec]:
    """The two checks every table carries from the start; blocking, since downstream relies on them."""
    return [
        dg.AssetCheckSpec(
            "key_is_unique", asset=asset_key, blocking=True, description="No two rows share the key."
        ),
        dg.AssetCheckSpec(
            "row_count", asset=asset_key, blocking=True, description="Row count within bounds."
        ),
    ]


def data_version(frame: pl.DataFrame) -> dg.DataVersion:
    """A fingerprint of the table's content, so the UI can tell a real change from a rerun."""
    if frame.is_empty():
        return dg.DataVersion("empty")
    # hash_rows is vectorized and deterministic for a given Polars version and schema.
    digest = frame.hash_rows(seed=0).sum()
    return dg.DataVersion(f"{frame.height}-{digest:016x}")
