"""Page text to paper records: three page layouts, with provenance, and quarantine for the rest.

Every line of a page ends in exactly one place: blank, chrome (site navigation and the listing
date), a paper record, or quarantine with a reason. `ParsedPage.n_content_lines` is what the
no-loss check compares against the lines held by records and quarantine.

Layouts: `daily` (blank-separated blocks under the site chrome and a `Mon D` date line), `compact`
(search results, one line per title or abstract, `Subscribe` glued to the first title), `rich`
(either of those with metadata lines: paper URL, author count, date, upvotes), `empty`, and
`unrecognized`: a page we cannot parse with confidence is quarantined whole, never half-parsed.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from pipeline.align import ABSTRACT_WITHOUT_TITLE, TRUNCATED_AT_END, Item, Units, align_units, text_units
from pipeline.decode import split_lines
from pipeline.rich import (
    METADATA_COLUMNS,
    UnclearLayoutError,
    attach_metadata,
    looks_rich,
    metadata_values,
    with_metadata_kinds,
)

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
_CHROME_KEYS = sorted({line.lower() for line in CHROME_LINES})
_CHROME_FIRST_CHARS = sorted({key[0] for key in _CHROME_KEYS})
SUBSCRIBE = "Subscribe"
_MONTHS = (
    "Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
    "|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?"
)
DATE_LINE = rf"^(?:{_MONTHS})\.? \d{{1,2}}(?:, \d{{4}})?$"
MAX_LINE_CHARS = 100_000  # a real abstract is under 2,000 characters; beyond this is not a paper
OVERLONG_PREVIEW_CHARS = 2_000
MAX_RAW_TEXT_CHARS = 1_000_000  # quarantined text kept per span; the file itself stays the full record
# Orphans (a title with no abstract, an abstract with no title) beyond this share of a page mean the
# page is not in a layout we know: quarantining it whole beats emitting garbage records. A page that
# carries the site's chrome is known to be a papers page, so it may be more damaged before we give up.
MAX_ORPHAN_SHARE = 0.2
MAX_ORPHAN_SHARE_WITH_CHROME = 0.5
# Titles that mostly share their first word ("title:", "##", "-") are fields of some other export.
MAX_SHARED_FIRST_WORD = 0.5
MARKUP_START = r"^(?:[#<>{}\[\]|*`=]|\d+[.)]\s)"  # markup, or a numbered list
UNRECOGNIZED = "unrecognized layout"

RECORD_SCHEMA = {
    "position": pl.Int32,
    "line_start": pl.Int32,
    "line_end": pl.Int32,
    "n_lines": pl.Int32,
    "title": pl.String,
    "abstract": pl.String,
    "flags": pl.List(pl.String),
    **METADATA_COLUMNS,
}
QUARANTINE_SCHEMA = {
    "line_start": pl.Int32,
    "line_end": pl.Int32,
    "n_lines": pl.Int32,
    "reason": pl.String,  # one of a fixed vocabulary, so spans can be counted by reason
    "raw_text": pl.String,
    "detail": pl.String,  # what exactly was wrong, when the reason alone does not say
}


@dataclass(frozen=True)
class ParsedPage:
    layout: str  # daily, compact, rich, empty, unrecognized
    records: pl.DataFrame  # RECORD_SCHEMA
    quarantine: pl.DataFrame  # QUARANTINE_SCHEMA
    listing_date_text: str | None
    n_lines: int
    n_content_lines: int
    n_blank_lines: int = 0
    n_chrome_lines: int = 0  # site chrome and date lines


def classify_lines(text: str) -> pl.DataFrame:
    """One row per physical line: number, length, stripped text, role (blank/chrome/date/overlong/content)."""
    if "\ufeff" in text:  # byte-order marks inside the text: pages concatenated from several files
        text = text.replace("\ufeff", "")
    lines = split_lines(text)
    frame = pl.DataFrame({"raw": lines}, schema={"raw": pl.String}).with_row_index("line_no", offset=1)
    del lines  # Polars holds its own copy: the Python strings can go before the next copies are made
    n_chars = pl.col("raw").str.len_chars()
    # An overlong line keeps only a preview: no regex or copy ever runs over megabytes of one line.
    frame = frame.select(
        line_no=pl.col("line_no").cast(pl.Int32),
        n_chars=n_chars,
        text=pl.when(n_chars > MAX_LINE_CHARS)
        .then(pl.col("raw").str.slice(0, OVERLONG_PREVIEW_CHARS))
        .otherwise(pl.col("raw").str.strip_chars()),
    )
    role = (
        pl.when(pl.col("n_chars") > MAX_LINE_CHARS)
        .then(pl.lit("overlong"))
        .when(pl.col("text") == "")
        .then(pl.lit("blank"))
        .when(pl.col("line_no").is_in(_chrome_line_nos(frame).implode()))
        .then(pl.lit("chrome"))
        .when(pl.col("text").str.contains(DATE_LINE))
        .then(pl.lit("date"))
        .otherwise(pl.lit("content"))
    )
    frame = frame.with_columns(role=role)
    # Search pages glue the chrome word to the first title ("SubscribeAutoInt: ..."): only right after
    # chrome (or at the top) and not a word of its own ("Subscribers", "Subscribed").
    previous_role = pl.when(pl.col("role") != "blank").then("role").shift(1).forward_fill()
    maybe_glued = (
        (pl.col("role") == "content")
        & (previous_role.is_null() | previous_role.is_in(["chrome", "date"]))
        & pl.col("text").str.starts_with(SUBSCRIBE)
    )
    # The rest of the line is cut from those few lines only, not from every abstract.
    rest = frame.filter(maybe_glued).select("line_no", rest=pl.col("text").str.slice(len(SUBSCRIBE)))
    glued = rest.filter(
        (pl.col("rest").str.strip_chars() != "")
        # "Subscribers", "Subscribed", "Subscribe to": a word of its own; "Subscribe[MASK] is ...": glued.
        & ~pl.col("rest").str.contains(r"^(?:(?:rs?|d|s)(?:\W|$)|\s)")
    ).select("line_no", title=pl.col("rest").str.strip_chars())
    if glued.is_empty():
        return frame
    return (
        frame.join(glued, on="line_no", how="left", maintain_order="left")
        .with_columns(text=pl.coalesce("title", "text"))
        .drop("title")
    )


def _chrome_line_nos(lines: pl.DataFrame) -> pl.Series:
    """Numbers of the lines that read as site chrome once whitespace runs and case are normalized."""
    # Normalized text starts with the lower-cased first character (lines are stripped): testing that
    # character first leaves a few lines to normalize instead of every abstract.
    maybe = pl.col("text").str.slice(0, 1).str.to_lowercase().is_in(_CHROME_FIRST_CHARS)
    normalized = pl.col("text").str.slice(0, 100).str.replace_all(r"\s+", " ").str.to_lowercase()
    return lines.filter(maybe).filter(normalized.is_in(_CHROME_KEYS))["line_no"]


def _capped(text: pl.Expr) -> pl.Expr:
    note = pl.format("… [cut: {} characters in all]", text.str.len_chars())
    return (
        pl.when(text.str.len_chars() > MAX_RAW_TEXT_CHARS)
        .then(pl.concat_str(text.str.slice(0, MAX_RAW_TEXT_CHARS), note))
        .otherwise(text)
    )


def _lists_per_item(n_items: int, items: list[int], values: list, dtype: pl.DataType) -> pl.Series:
    """One list per item, from flat (item, value) pairs in order: built from flat columns, because a
    Python list of lists becomes a Polars list column one small Series at a time."""
    # A null placeholder per item, first, gives each item its group (and list) even without values.
    pairs = pl.DataFrame(
        {"item": [*range(n_items), *items], "value": [None] * n_items + values},
        schema={"item": pl.Int64, "value": dtype},
    )
    return pairs.group_by("item", maintain_order=True).agg(pl.col("value").drop_nulls())["value"]


def _joined_text(units: pl.DataFrame, part: pl.Expr, name: str) -> pl.DataFrame:
    """`item` and the text of its units in `part`, joined by spaces, for the items that have any."""
    texts = units.filter(part).select("item", pl.col("text").alias(name))
    # Units of an item are adjacent: most items have one unit per part, whose text needs no joining.
    if (texts["item"].diff() == 0).any():
        texts = texts.group_by("item", maintain_order=True).agg(pl.col(name).str.join(" "))
    return texts


def _item_frame(items: list[Item], units: Units) -> pl.DataFrame:
    """One row per item: the span of its lines, title, abstract, flags, reason and metadata lines."""
    item_of: list[int | None] = [None] * len(units.n_chars)
    is_title = [False] * len(units.n_chars)
    flag_items: list[int] = []
    flags: list[str] = []
    extra_items: list[int] = []
    extra_lines: list[int] = []
    for i, item in enumerate(items):
        for unit in item.titles:
            item_of[unit], is_title[unit] = i, True
        for unit in item.abstracts:
            item_of[unit] = i
        flag_items += [i] * len(item.flags)
        flags += item.flags
        extra_items += [i] * len(item.extra_lines)
        extra_lines += item.extra_lines
    placed = units.frame.with_columns(
        item=pl.Series(item_of, dtype=pl.Int64), is_title=pl.Series(is_title, dtype=pl.Boolean)
    ).drop_nulls("item")
    per_item = (
        placed.group_by("item", maintain_order=True)
        .agg(
            line_start=pl.col("line_start").min(),
            line_end=pl.col("line_end").max(),
            n_lines=pl.col("n_lines").sum(),
            lines=pl.col("lines").list.explode(keep_nulls=False, empty_as_null=False),
        )
        .join(_joined_text(placed, pl.col("is_title"), "title"), on="item", how="left", maintain_order="left")
        .join(
            _joined_text(placed, ~pl.col("is_title"), "abstract"),
            on="item",
            how="left",
            maintain_order="left",
        )
        .with_columns(pl.col("title", "abstract").fill_null(""))  # an orphan's missing half
    )
    info = pl.DataFrame(
        {
            "item": range(len(items)),
            "reason": [item.reason for item in items],
            "flags": _lists_per_item(len(items), flag_items, flags, pl.String),
            "extra_lines": _lists_per_item(len(items), extra_items, extra_lines, pl.Int32),
        },
        schema={
            "item": pl.Int64,
            "reason": pl.String,
            "flags": pl.List(pl.String),
            "extra_lines": pl.List(pl.Int32),
        },
    )
    extra = pl.col("extra_lines")
    return info.join(per_item, on="item", how="left", maintain_order="left").with_columns(
        line_start=pl.min_horizontal("line_start", extra.list.min()),
        line_end=pl.max_horizontal("line_end", extra.list.max()),
        n_lines=pl.col("n_lines") + extra.list.len(),
    )


def _records(items: pl.DataFrame, meta_text: dict[int, str]) -> pl.DataFrame:
    records = items.filter(pl.col("reason").is_null())
    if meta_text:
        values = [metadata_values(meta_text[n] for n in lines) for lines in records["extra_lines"].to_list()]
        metadata = (
            pl.DataFrame(values, schema=METADATA_COLUMNS) if values else pl.DataFrame(schema=METADATA_COLUMNS)
        )
    else:  # no metadata lines on the page: every value is null and every metadata list empty
        metadata = records.select(
            *(
                pl.lit(None, dtype).alias(name)
                for name, dtype in METADATA_COLUMNS.items()
                if name != "metadata"
            ),
            metadata=pl.col("extra_lines").cast(pl.List(pl.String)),
        )
    return (
        pl.concat([records, metadata], how="horizontal")
        .with_columns(position=pl.int_range(1, pl.len() + 1))
        .select(list(RECORD_SCHEMA))
        .cast(RECORD_SCHEMA)
    )


def _orphans(items: pl.DataFrame, content: pl.DataFrame) -> pl.DataFrame:
    """Quarantine spans of the items that did not pair, with the text of their lines."""
    orphans = items.filter(pl.col("reason").is_not_null())
    if orphans.is_empty():  # the usual page: nothing to look up
        return pl.DataFrame(schema=QUARANTINE_SCHEMA)
    raw = (
        orphans.select("item", line_no=pl.concat_list("lines", "extra_lines"))
        .explode("line_no")
        .join(content.select("line_no", "text"), on="line_no")
        .sort("item", "line_no")
        .group_by("item", maintain_order=True)
        .agg(raw_text=pl.col("text").str.join("\n"))
    )
    return (
        orphans.join(raw, on="item", how="left", maintain_order="left")
        .with_columns(raw_text=_capped(pl.col("raw_text")), detail=pl.lit(None, pl.String))
        .select(list(QUARANTINE_SCHEMA))
        .cast(QUARANTINE_SCHEMA)
    )


def _implausible(items: pl.DataFrame, max_orphan_share: float) -> str | None:
    """Why the page looks like some other format that happens to pair short and long lines, if it does."""
    titles = items.filter(pl.col("reason").is_null())["title"]
    n_records, n_orphans = titles.len(), items.height - titles.len()
    if not n_records:
        return "no title followed by an abstract"
    if n_orphans > 2 and n_orphans > max_orphan_share * items.height:
        return f"{n_orphans} of {items.height} titles and abstracts have no partner"
    if items["reason"][0] == ABSTRACT_WITHOUT_TITLE and items["reason"][-1] in (TRUNCATED_AT_END,):
        return "starts with an abstract and ends with a title: abstracts come before their titles"
    if titles.str.contains(MARKUP_START).mean() > MAX_ORPHAN_SHARE:
        return "titles start with markup or list numbers"
    first_words = titles.str.extract(r"^(\S*)").str.to_lowercase().value_counts(sort=True)
    word, count = first_words.row(0)
    if n_records >= 4 and count > MAX_SHARED_FIRST_WORD * n_records:
        return f"{count} of {n_records} titles start with {word!r}: field labels of another format"
    return None


def _blank_separated(lines: pl.DataFrame, text_line_nos: pl.Series) -> bool:
    """Daily pages put a blank line after nearly every line of text; search pages have none."""
    next_blank = lines.select(
        "line_no", next_blank=(pl.col("role").shift(-1) == "blank").fill_null(True)
    ).filter(pl.col("line_no").is_in(text_line_nos.implode()))
    return bool(next_blank.height and next_blank["next_blank"].mean() >= 0.5)


def _whole_page(content: pl.DataFrame, overlong: pl.DataFrame, detail: str, **page: object) -> ParsedPage:
    """The page in a layout we cannot read: its content lines as one span (overlong lines keep theirs)."""
    kept = content.filter(pl.col("text").str.len_chars().cum_sum() <= MAX_RAW_TEXT_CHARS)
    raw_text = "\n".join(kept["text"])
    if kept.height < content.height:
        raw_text += f"… [cut: {content.height - kept.height:,} more lines]"
    whole = {
        "line_start": content["line_no"].min(),
        "line_end": content["line_no"].max(),
        "n_lines": content.height,
        "reason": UNRECOGNIZED,
        "raw_text": raw_text,
        "detail": detail,
    }
    quarantine = pl.concat(
        [pl.DataFrame([whole], schema=QUARANTINE_SCHEMA), overlong.cast(QUARANTINE_SCHEMA)]
    )
    return ParsedPage(
        "unrecognized", pl.DataFrame(schema=RECORD_SCHEMA), quarantine.sort("line_start"), **page
    )


def parse_page(text: str) -> ParsedPage:
    """Split one page's text into paper records and quarantined spans."""
    lines = classify_lines(text)
    roles = dict(lines["role"].value_counts().iter_rows())
    listing_dates = lines.filter(pl.col("role") == "date")["text"]
    page = {
        "listing_date_text": listing_dates[0] if listing_dates.len() else None,
        "n_lines": lines.height,
        "n_content_lines": roles.get("content", 0) + roles.get("overlong", 0),
        "n_blank_lines": roles.get("blank", 0),
        "n_chrome_lines": roles.get("chrome", 0) + roles.get("date", 0),
    }
    overlong = lines.filter(pl.col("role") == "overlong").select(
        line_start="line_no",
        line_end="line_no",
        n_lines=pl.lit(1, pl.Int32),
        reason=pl.lit(f"line longer than {MAX_LINE_CHARS:,} characters"),
        raw_text=pl.col("text") + pl.lit(f"… [cut at {OVERLONG_PREVIEW_CHARS:,} characters]"),
        detail=pl.format("{} characters", "n_chars"),
    )
    content = with_metadata_kinds(lines.filter(pl.col("role") == "content").select("line_no", "text"))
    lines = lines.select("line_no", "role")  # the text lives on in `content`; one copy of a page is enough
    if content.is_empty():
        layout = "empty" if overlong.is_empty() else "unrecognized"
        return ParsedPage(
            layout, pl.DataFrame(schema=RECORD_SCHEMA), overlong.cast(QUARANTINE_SCHEMA), **page
        )

    is_meta = pl.col("meta_kind").is_not_null()
    n_meta = int(content.select(is_meta.sum()).item())
    rich = looks_rich(n_meta, content.height - n_meta)
    text_lines = content.filter(~is_meta) if rich else content
    daily = _blank_separated(lines, text_lines["line_no"])
    units = text_units(text_lines, blank_separated=daily)
    items = align_units(units)
    meta = dict(content.filter(is_meta).select("line_no", "meta_kind").iter_rows()) if rich else {}
    if rich:
        try:
            items = attach_metadata(items, units, meta)
        except UnclearLayoutError as unclear:
            return _whole_page(content, overlong, f"rich export: {unclear}", **page)
    frame = _item_frame(items, units)
    del units, text_lines  # records hold their text from here on
    max_orphan_share = MAX_ORPHAN_SHARE_WITH_CHROME if page["n_chrome_lines"] else MAX_ORPHAN_SHARE
    if why := _implausible(frame, max_orphan_share):
        return _whole_page(content, overlong, why, **page)
    meta_text = dict(content.filter(is_meta).select("line_no", "text").iter_rows()) if rich else {}
    quarantine = pl.concat([_orphans(frame, content), overlong.cast(QUARANTINE_SCHEMA)]).sort("line_start")
    layout = "rich" if rich else "daily" if daily else "compact"
    return ParsedPage(layout, _records(frame, meta_text), quarantine, **page)
