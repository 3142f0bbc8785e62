"""One version of one page file, read end to end: its `sources` row, its records and its quarantine."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from dataclasses import dataclass

import polars as pl

from pipeline.decode import BINARY_CONTENT, DecodedPage, binary_preview, decode_page
from pipeline.parse import QUARANTINE_SCHEMA, RECORD_SCHEMA, ParsedPage, parse_page

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
    "n_blank_lines": pl.Int32,
    "n_chrome_lines": pl.Int32,
    "n_content_lines": pl.Int32,
    "n_records": pl.Int32,
    "n_quarantined_lines": pl.Int32,
    "file_mtime": pl.Datetime("us", "UTC"),
    "ingested_at": pl.Datetime("us", "UTC"),
}
PROVENANCE_SCHEMA = {"source_id": pl.String, "file_name": pl.String}
# Layouts whose versions hold no records, only quarantine: binary bytes and parser failures join
# the parser's own `unrecognized`.
QUARANTINED_LAYOUTS = ("unrecognized", "binary", "parser_error")
_DECODED_FLAGS = {
    "cp1252": "decoded_cp1252",
    "latin-1": "decoded_latin-1",
    "utf-8+cp1252": "decoded_mixed_utf8_cp1252",
}
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_LISTING_DATE = re.compile(r"^([A-Za-z]{3})[a-z]*\.? (\d{1,2})(?:, (\d{4}))?$")
# Pages are dated in the site's time zone, file times in UTC: a page dated a day after its file's
# UTC date is still this year's.
_CLOCK_SLACK = dt.timedelta(days=1)


@dataclass(frozen=True)
class PageVersion:
    source: dict  # one row of SOURCE_SCHEMA
    records: pl.DataFrame  # PROVENANCE_SCHEMA + RECORD_SCHEMA
    quarantine: pl.DataFrame  # PROVENANCE_SCHEMA + QUARANTINE_SCHEMA


def _date(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:  # Feb 29 in a year without one, Apr 31
        return None


def resolve_listing_date(
    text: str | None, file_time: dt.datetime, year: int | None = None
) -> tuple[dt.date | None, str | None]:
    """`Aug 29` has no year: the page's own year if it gives one, else the configured year, else the
    file's year (the year before when the date would fall after the file was written).

    Returns the date and how it was resolved (`page`, `configured_year`, `file_mtime`), or
    (None, `invalid_date`) for a day that does not exist; never a silent guess.
    """
    if not text:
        return None, None
    match = _LISTING_DATE.match(text.strip())
    if not match or match[1].lower() not in _MONTHS:
        return None, "invalid_date"
    month, day = _MONTHS.index(match[1].lower()) + 1, int(match[2])
    if match[3]:
        resolved, source = _date(int(match[3]), month, day), "page"
    elif year is not None:
        resolved, source = _date(year, month, day), "configured_year"
    else:
        resolved, source = _date(file_time.year, month, day), "file_mtime"
        if resolved is None or resolved > file_time.date() + _CLOCK_SLACK:
            resolved = _date(file_time.year - 1, month, day)
    return (resolved, source) if resolved else (None, "invalid_date")


def _with_provenance(frame: pl.DataFrame, source_id: str, file_name: str) -> pl.DataFrame:
    return frame.select(
        pl.lit(source_id, pl.String).alias("source_id"),
        pl.lit(file_name, pl.String).alias("file_name"),
        pl.all(),
    )


def count_lines(data: bytes) -> int:
    """Physical lines of raw bytes, with LF, CRLF and lone CR alike, as `split_lines` counts them."""
    return data.count(b"\n") + data.count(b"\r") - data.count(b"\r\n") + 1


def _unparsed(layout: str, reason: str, raw_text: str, n_lines: int, detail: str | None = None) -> ParsedPage:
    """The whole file as one quarantined span: bytes that are not text, or a parser failure."""
    span = {"line_start": 1, "line_end": n_lines, "n_lines": n_lines, "reason": reason}
    quarantine = pl.DataFrame([{**span, "raw_text": raw_text, "detail": detail}], schema=QUARANTINE_SCHEMA)
    return ParsedPage(layout, pl.DataFrame(schema=RECORD_SCHEMA), quarantine, None, n_lines, n_lines)


def _parse(decoded: DecodedPage, data: bytes) -> ParsedPage:
    if decoded.text is None:
        return _unparsed("binary", decoded.problem or BINARY_CONTENT, binary_preview(data), count_lines(data))
    parsed = parse_page(decoded.text)
    if decoded.encoding in _DECODED_FLAGS:  # text decoded by a guess: say so on every record
        flag = pl.lit(_DECODED_FLAGS[decoded.encoding], pl.String)
        records = parsed.records.with_columns(flags=pl.concat_list(pl.col("flags"), flag))
        parsed = dataclasses.replace(parsed, records=records)
    return parsed


def parse_bytes(data: bytes) -> tuple[DecodedPage, ParsedPage]:
    """Decode and parse; bytes that are not text, or a parser failure, quarantine the file whole."""
    decoded = decode_page(data)
    try:
        return decoded, _parse(decoded, data)
    except Exception as error:  # one file's parser failure must not stop the others
        detail = f"{type(error).__name__}: {error}"[:500]
        text = decoded.text[:2000] if decoded.text else binary_preview(data)
        return decoded, _unparsed("parser_error", "parser error", text, count_lines(data), detail)


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
    decoded, parsed = parse_bytes(data)
    records = parsed.records
    listing_date, date_source = resolve_listing_date(parsed.listing_date_text, file_mtime, listing_year)
    source = {
        "source_id": source_id,
        "partition_key": partition_key,
        "file_name": file_name,
        "sha256": sha256,
        "bytes": len(data),
        "encoding": decoded.encoding,
        "layout": parsed.layout,
        "listing_date_text": parsed.listing_date_text,
        "listing_date": listing_date,
        "listing_date_source": date_source,
        "n_lines": parsed.n_lines,
        "n_blank_lines": parsed.n_blank_lines,
        "n_chrome_lines": parsed.n_chrome_lines,
        "n_content_lines": parsed.n_content_lines,
        "n_records": records.height,
        "n_quarantined_lines": int(parsed.quarantine["n_lines"].sum()),
        "file_mtime": file_mtime,
        "ingested_at": ingested_at,
    }
    return PageVersion(
        source,
        _with_provenance(records, source_id, file_name),
        _with_provenance(parsed.quarantine, source_id, file_name),
    )
