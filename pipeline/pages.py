"""One version of one page file, read end to end: its `sources` row, its records and its quarantine."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from pipeline.decode import decode_page
from pipeline.parse import QUARANTINE_SCHEMA, RECORD_SCHEMA, parse_page

SOURCE_SCHEMA = {
    "source_id": pl.String,
    "partition_key": pl.String,
    "file_name": pl.String,
    "sha256": pl.String,
    "bytes": pl.Int64,
    "encoding": pl.String,
    "layout": pl.String,
    "listing_date_text": pl.String,
    "listing_date": pl.Date,
    "listing_date_source": pl.String,
    "n_lines": pl.Int32,
    "n_content_lines": pl.Int32,
    "n_records": pl.Int32,
    "n_quarantined_lines": pl.Int32,
    "file_mtime": pl.Datetime("us", "UTC"),
    "ingested_at": pl.Datetime("us", "UTC"),
}
PROVENANCE_SCHEMA = {"source_id": pl.String, "file_name": pl.String}


@dataclass(frozen=True)
class PageVersion:
    source: dict  # one row of SOURCE_SCHEMA
    records: pl.DataFrame  # PROVENANCE_SCHEMA + RECORD_SCHEMA
    quarantine: pl.DataFrame  # PROVENANCE_SCHEMA + QUARANTINE_SCHEMA


def resolve_listing_date(
    text: str | None, file_time: dt.datetime, year: int | None = None
) -> tuple[dt.date | None, str | None]:
    """`Aug 29` has no year: take the configured one, else the file's year (the year before when the
    date would fall after the file was written). Returns the date and how it was resolved."""
    if not text:
        return None, None
    cleaned = text.replace(".", "").replace(",", "")
    for fmt, source in (("%b %d %Y", "page"), ("%B %d %Y", "page")):
        try:
            return dt.datetime.strptime(cleaned, fmt).date(), source
        except ValueError:
            pass
    month_day = cleaned[:3] + " " + cleaned.split()[-1]
    if year is not None:
        return _on_year(month_day, year), "configured_year"
    resolved = _on_year(month_day, file_time.year)
    if resolved and resolved > file_time.date():
        resolved = _on_year(month_day, file_time.year - 1)
    return resolved, "file_mtime"


def _on_year(month_day: str, year: int) -> dt.date | None:
    try:
        return dt.datetime.strptime(f"{month_day} {year}", "%b %d %Y").date()
    except ValueError:  # Feb 29 in a year without one
        return None


def _with_provenance(frame: pl.DataFrame, source_id: str, file_name: str) -> pl.DataFrame:
    return frame.select(
        pl.lit(source_id, pl.String).alias("source_id"), pl.lit(file_name, pl.String).alias("file_name"), pl.all()
    )


def read_page_version(
    *,
    source_id: str,
    partition_key: str,
    file_name: str,
    sha256: str,
    data: bytes,
    file_mtime: dt.datetime,
    ingested_at: dt.datetime,
    listing_year: int | None = None,
) -> PageVersion:
    """Decode and parse one file version; bad bytes become one quarantined span, never an exception."""
    decoded = decode_page(data)
    if decoded.text is None:
        quarantine = pl.DataFrame(
            {
                "line_start": [1],
                "line_end": [1],
                "n_lines": [1],
                "reason": [decoded.problem],
                "raw_text": [data[:2000].decode("latin-1")],
            },
            schema=QUARANTINE_SCHEMA,
        )
        records = pl.DataFrame(schema=RECORD_SCHEMA)
        layout, listing_text, n_lines, n_content = "binary", None, 1, 1
    else:
        parsed = parse_page(decoded.text)
        records, quarantine = parsed.records, parsed.quarantine
        layout, listing_text = parsed.layout, parsed.listing_date_text
        n_lines, n_content = parsed.n_lines, parsed.n_content_lines
        if decoded.encoding in ("cp1252", "latin-1"):
            records = records.with_columns(flags=pl.col("flags").list.concat([f"decoded_{decoded.encoding}"]))
    listing_date, date_source = resolve_listing_date(listing_text, file_mtime, listing_year)
    source = {
        "source_id": source_id,
        "partition_key": partition_key,
        "file_name": file_name,
        "sha256": sha256,
        "bytes": len(data),
        "encoding": decoded.encoding,
        "layout": layout,
        "listing_date_text": listing_text,
        "listing_date": listing_date,
        "listing_date_source": date_source,
        "n_lines": n_lines,
        "n_content_lines": n_content,
        "n_records": records.height,
        "n_quarantined_lines": int(quarantine["n_lines"].sum()),
        "file_mtime": file_mtime,
        "ingested_at": ingested_at,
    }
    return PageVersion(
        source,
        _with_provenance(records, source_id, file_name),
        _with_provenance(quarantine, source_id, file_name),
    )
