"""Page text to paper records: both page layouts, with provenance, and quarantine for the rest.

Every line of a page ends in exactly one place: blank, chrome (site navigation), the listing
date, a paper record, or quarantine with a reason. `ParsedPage.n_content_lines` is what the
no-loss check compares against the lines held by records and quarantine.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from pipeline.decode import split_lines

CHROME_LINES = frozenset(
    {
        "new",
        "Subscribe",
        "Daily Papers",
        "byAK and the research community",
        "Get trending papers in your email inbox!",
        "Get trending papers in your email inbox once a day!",
    }
)
SUBSCRIBE = "Subscribe"
_MONTHS = "Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec"
DATE_LINE = rf"^(?:{_MONTHS})[a-z]*\.? \d{{1,2}}(?:, \d{{4}})?$"
MAX_LINE_CHARS = 100_000  # a real abstract is a few thousand characters; beyond this is not a paper
# Orphan units (a title with no abstract, an abstract with no title) beyond this share of a page mean
# the page is not in a layout we know: quarantining it whole beats emitting garbage records.
MAX_ORPHAN_SHARE = 0.2

RECORD_SCHEMA = {
    "position": pl.Int32,
    "line_start": pl.Int32,
    "line_end": pl.Int32,
    "n_lines": pl.Int32,
    "title": pl.String,
    "abstract": pl.String,
    "flags": pl.List(pl.String),
}
QUARANTINE_SCHEMA = {
    "line_start": pl.Int32,
    "line_end": pl.Int32,
    "n_lines": pl.Int32,
    "reason": pl.String,
    "raw_text": pl.String,
}


@dataclass(frozen=True)
class ParsedPage:
    layout: str  # daily, compact, empty, unrecognized
    records: pl.DataFrame  # RECORD_SCHEMA
    quarantine: pl.DataFrame  # QUARANTINE_SCHEMA
    listing_date_text: str | None
    n_lines: int
    n_content_lines: int


def classify_lines(lines: list[str]) -> pl.DataFrame:
    """One row per physical line: its number, stripped text and role (blank/chrome/date/overlong/content)."""
    frame = pl.DataFrame({"raw": lines}, schema={"raw": pl.String}).with_row_index("line_no", offset=1)
    text = pl.col("raw").str.strip_chars()
    frame = frame.with_columns(text=text, line_no=pl.col("line_no").cast(pl.Int32))
    is_content = ~(
        (pl.col("text") == "")
        | pl.col("text").is_in(list(CHROME_LINES))
        | pl.col("text").str.contains(DATE_LINE)
    )
    first_content = is_content & (is_content.cum_sum() == 1)
    # Search pages glue the chrome word to the first title ("SubscribeAutoInt: ..."); only there is it chrome.
    glued = (
        first_content
        & pl.col("text").str.starts_with(SUBSCRIBE)
        & pl.col("text").str.slice(9, 1).str.contains("[^a-z]")
    )
    return frame.with_columns(
        text=pl.when(glued)
        .then(pl.col("text").str.strip_prefix(SUBSCRIBE).str.strip_chars())
        .otherwise("text"),
        role=pl.when(pl.col("text") == "")
        .then(pl.lit("blank"))
        .when(pl.col("text").is_in(list(CHROME_LINES)))
        .then(pl.lit("chrome"))
        .when(pl.col("text").str.contains(DATE_LINE))
        .then(pl.lit("date"))
        .when(pl.col("text").str.len_chars() > MAX_LINE_CHARS)
        .then(pl.lit("overlong"))
        .otherwise(pl.lit("content")),
    )


def _abstract_like(text: pl.Expr) -> pl.Expr:
    """Abstracts are long prose; titles are short and do not end a sentence with a period."""
    length = text.str.len_chars()
    ends_sentence = text.str.ends_with(".") & ~text.str.ends_with("..")
    return (length > 250) | ends_sentence | ((length >= 40) & text.str.contains(r"[a-z]\. [A-Z]"))


def _continues_previous(text: pl.Expr, previous_is_abstract: pl.Expr) -> pl.Expr:
    """A lower-case start right after an abstract cut mid-sentence continues that abstract."""
    previous = text.shift(1)
    cut = previous_is_abstract & ~previous.str.contains(r"[.!?]$")
    return cut.fill_null(False) & text.str.contains(r"^[a-z]")


def _units(content: pl.DataFrame, blank_separated: bool) -> pl.DataFrame:
    """Group content lines into units: a blank-separated block on daily pages, a line on search pages."""
    starts = pl.col("line_no").diff().fill_null(2) != 1 if blank_separated else pl.repeat(True, pl.len())
    return (
        content.with_columns(unit=starts.cum_sum())
        .group_by("unit", maintain_order=True)
        .agg(
            line_start=pl.col("line_no").first(),
            line_end=pl.col("line_no").last(),
            n_lines=pl.len().cast(pl.Int32),
            text=pl.col("text").str.join(" "),
        )
        .with_columns(is_abstract=_abstract_like(pl.col("text")))
        .with_columns(
            is_abstract=pl.col("is_abstract")
            | _continues_previous(pl.col("text"), pl.col("is_abstract").shift(1))
        )
    )


def _pair_units(units: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """A title unit opens a record; the abstract units after it are its abstract."""
    grouped = (
        units.with_columns(record=(~pl.col("is_abstract")).cum_sum())
        .group_by("record", maintain_order=True)
        .agg(
            line_start=pl.col("line_start").first(),
            line_end=pl.col("line_end").last(),
            n_lines=pl.col("n_lines").sum().cast(pl.Int32),
            head_is_title=~pl.col("is_abstract").first(),
            title=pl.col("text").first(),
            abstract=pl.col("text").slice(1).str.join(" "),
            n_abstract_units=pl.len() - 1,
            raw_text=pl.col("text").str.join("\n"),
        )
    )
    orphan = ~pl.col("head_is_title") | (pl.col("n_abstract_units") == 0)
    reason = (
        pl.when(~pl.col("head_is_title"))
        .then(pl.lit("abstract without a title"))
        .otherwise(pl.lit("title without an abstract"))
    )
    quarantine = grouped.filter(orphan).select(
        "line_start", "line_end", "n_lines", reason.alias("reason"), "raw_text"
    )
    # A dump cut mid-download loses the end of its last abstract; one ending in a link is whole.
    truncated = (pl.col("record") == pl.col("record").max()) & ~pl.col("abstract").str.contains(
        r"(?:[.!?)\]\"'”]|\S+[/.]\S+)$"
    )
    flags = pl.concat_list(
        pl.when(pl.col("n_abstract_units") > 1).then(pl.lit("abstract_joined")),
        pl.when(truncated).then(pl.lit("possibly_truncated")),
    ).list.drop_nulls()
    records = (
        grouped.filter(~orphan)
        .with_columns(flags=flags)
        .with_columns(position=pl.int_range(1, pl.len() + 1, dtype=pl.Int32))
        .select(list(RECORD_SCHEMA))
    )
    return records, quarantine


def _whole_page_quarantine(lines: pl.DataFrame, reason: str) -> pl.DataFrame:
    content = lines.filter(pl.col("role").is_in(["content", "overlong"]))
    if content.is_empty():
        return pl.DataFrame(schema=QUARANTINE_SCHEMA)
    return pl.DataFrame(
        {
            "line_start": [content["line_no"].min()],
            "line_end": [content["line_no"].max()],
            "n_lines": [content.height],
            "reason": [reason],
            "raw_text": ["\n".join(content["text"].to_list())],
        },
        schema=QUARANTINE_SCHEMA,
    )


def parse_page(text: str) -> ParsedPage:
    """Split one page's text into paper records and quarantined spans."""
    lines = classify_lines(split_lines(text))
    listing_dates = lines.filter(pl.col("role") == "date")["text"]
    listing_date = listing_dates[0] if listing_dates.len() else None
    overlong = lines.filter(pl.col("role") == "overlong").select(
        line_start="line_no",
        line_end="line_no",
        n_lines=pl.lit(1, pl.Int32),
        reason=pl.lit(f"line longer than {MAX_LINE_CHARS:,} characters"),
        raw_text="text",
    )
    content = lines.filter(pl.col("role") == "content")
    n_content = content.height + overlong.height
    if content.is_empty():
        layout = "empty" if overlong.is_empty() else "unrecognized"
        return ParsedPage(
            layout, pl.DataFrame(schema=RECORD_SCHEMA), overlong, listing_date, lines.height, n_content
        )

    # Daily pages put a blank line after nearly every line; search pages have none.
    next_is_blank = lines["role"].shift(-1).fill_null("blank") == "blank"
    blank_after = lines.filter(pl.col("role") == "content").height and (
        lines.with_columns(next_blank=next_is_blank).filter(pl.col("role") == "content")["next_blank"].mean()
    )
    daily = bool(blank_after and blank_after >= 0.5)
    units = _units(content, blank_separated=daily)
    records, orphans = _pair_units(units)
    orphan_share = orphans.height / max(units.height, 1)
    if records.is_empty() or (orphans.height > 2 and orphan_share > MAX_ORPHAN_SHARE):
        quarantine = _whole_page_quarantine(lines, "unrecognized layout")
        return ParsedPage(
            "unrecognized",
            pl.DataFrame(schema=RECORD_SCHEMA),
            quarantine,
            listing_date,
            lines.height,
            n_content,
        )
    quarantine = pl.concat([orphans, overlong]).sort("line_start").cast(QUARANTINE_SCHEMA)
    layout = "daily" if daily else "compact"
    return ParsedPage(layout, records, quarantine, listing_date, lines.height, n_content)
