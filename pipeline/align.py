"""Title/abstract alignment: a page's text lines grouped into units and paired into records.

Units and their features (prose or title-like, complete sentence, block) are computed in Polars;
the pairing is a small state machine over those features, because whether a unit continues the
previous abstract depends on what was joined before it. It sees numbers and flags, never the text,
so a large page costs no Python copy of its text. Every unit ends in exactly one item: a record,
or an orphan that the caller quarantines with `Item.reason`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

# Longest real title seen is under 200 characters; a longer unit is prose.
MAX_TITLE_CHARS = 300
# arXiv caps abstracts at 1,920 characters: two units that together exceed this are two papers.
MAX_ABSTRACT_CHARS = 2_000
TITLE_WITHOUT_ABSTRACT = "title without an abstract"
ABSTRACT_WITHOUT_TITLE = "abstract without a title"
TRUNCATED_AT_END = "title without an abstract at the end of the file (truncated record)"


def abstract_like(text: pl.Expr) -> pl.Expr:
    """Abstracts are long prose; titles are short and do not end a sentence with a period."""
    length = text.str.len_chars()
    ends_sentence = text.str.ends_with(".") & ~text.str.ends_with("..")
    return (length > MAX_TITLE_CHARS) | ends_sentence | ((length >= 40) & text.str.contains(r"[a-z]\. [A-Z]"))


def period_title_like(text: pl.Expr) -> pl.Expr:
    """One short sentence ending in a period: a title written with a trailing period, or the tail of
    a split abstract ("Code is available at X."). Only its neighbours can tell which."""
    return (
        text.str.ends_with(".")
        & ~text.str.ends_with("..")
        & (text.str.len_chars() <= MAX_TITLE_CHARS)
        & ~text.str.contains(r"[a-z]\. [A-Z]")
    )


def ends_complete(text: pl.Expr) -> pl.Expr:
    """Ends a sentence, a bracket or quote, or a link: not cut in the middle of a sentence."""
    return text.str.slice(-200).str.contains(r"(?:[.!?)\]\"'”’]|\S+[/.]\S+)$")


@dataclass(frozen=True)
class Units:
    """Consecutive text lines read as one piece (a title, an abstract or part of one), one row each.

    `frame` has `unit` (0, 1, ...), `lines`, `text`, `line_start`, `line_end`, `n_lines`; the
    features the state machine reads are plain lists indexed by unit.
    """

    frame: pl.DataFrame
    n_chars: list[int]
    n_lines: list[int]
    line_start: list[int]
    line_end: list[int]
    prose: list[bool]
    complete: list[bool]
    starts_lower: list[bool]
    period_title: list[bool]  # could be a title ending in a period; see `reads_as_prose`
    same_block: list[bool]  # no blank line between this unit and the previous one (blank-separated pages)


@dataclass
class Item:
    """A record in the making (unit numbers), or an orphan bound for quarantine when `reason` is set."""

    titles: list[int] = field(default_factory=list)
    abstracts: list[int] = field(default_factory=list)
    extra_lines: list[int] = field(default_factory=list)  # metadata lines attached by the rich layout
    flags: list[str] = field(default_factory=list)
    reason: str | None = None

    @property
    def is_record(self) -> bool:
        return self.reason is None


def text_units(text_lines: pl.DataFrame, blank_separated: bool) -> Units:
    """Group text lines (`line_no`, `text`) into units.

    On a blank-separated (daily) page a unit is a block of adjacent lines, except that a title-like
    line directly followed by prose in the same block starts its own unit: a missing blank line
    must not glue a title onto its abstract. On other pages every line is a unit.
    """
    prose = abstract_like(pl.col("text"))
    adjacent = (pl.col("line_no").diff() == 1).fill_null(False)
    block_start = ~adjacent
    title_head = (
        ~prose
        & (prose.shift(-1) & adjacent.shift(-1)).fill_null(False)
        & (block_start | ends_complete(pl.col("text")).shift(1).fill_null(True))
    )
    if blank_separated:
        starts = block_start | title_head | title_head.shift(1)
        grouped = (
            text_lines.with_columns(unit=starts.fill_null(True).cum_sum() - 1, adjacent=adjacent)
            .group_by("unit", maintain_order=True)
            .agg(
                lines=pl.col("line_no"),
                text=pl.col("text").str.join(" "),
                same_block=pl.col("adjacent").first(),
            )
        )
    else:  # one line, one unit: the text column is reused as it is, not copied
        grouped = text_lines.select(
            unit=pl.int_range(pl.len()),
            lines=pl.concat_list("line_no"),
            text="text",
            same_block=pl.lit(False),
        )
    frame = grouped.with_columns(
        unit=pl.col("unit").cast(pl.Int64),
        line_start=pl.col("lines").list.first(),
        line_end=pl.col("lines").list.last(),
        n_lines=pl.col("lines").list.len().cast(pl.Int32),
    )
    features = frame.select(
        n_chars=pl.col("text").str.len_chars(),
        prose=abstract_like(pl.col("text")),
        complete=ends_complete(pl.col("text")),
        starts_lower=pl.col("text").str.contains(r"^\p{Ll}"),
        period_title=period_title_like(pl.col("text")),
    )
    return Units(
        frame.drop("same_block"),
        features["n_chars"].to_list(),
        frame["n_lines"].to_list(),
        frame["line_start"].to_list(),
        frame["line_end"].to_list(),
        features["prose"].to_list(),
        features["complete"].to_list(),
        features["starts_lower"].to_list(),
        features["period_title"].to_list(),
        frame["same_block"].to_list(),
    )


def reads_as_prose(unit: int, units: Units) -> bool:
    """Prose, except that a short one-sentence unit directly followed by an abstract is that
    abstract's title: a title is always followed by prose, the tail of a split abstract by a title."""
    if not units.period_title[unit]:
        return units.prose[unit]
    return not _followed_by_prose(unit, units)


def _followed_by_prose(unit: int, units: Units) -> bool:
    following = unit + 1
    return following < len(units.prose) and units.prose[following] and not units.period_title[following]


def _abstract_chars(item: Item, units: Units) -> int:
    return sum(units.n_chars[u] + 1 for u in item.abstracts)


def _continues_abstract(item: Item, unit: int, units: Units) -> bool:
    """A split abstract, not the next paper: within the length cap, and either prose or a fragment
    that starts in lower case right after an abstract cut mid-sentence."""
    if _abstract_chars(item, units) + units.n_chars[unit] > MAX_ABSTRACT_CHARS:
        return False
    if reads_as_prose(unit, units):
        return True
    # A lower-case title ("cosFormer: ...") also follows abstracts cut mid-sentence; it is told apart
    # from the abstract's lower-case tail by what comes next: its own abstract.
    return (
        units.starts_lower[unit]
        and not units.complete[item.abstracts[-1]]
        and not _followed_by_prose(unit, units)
    )


def _finish(item: Item, units: Units) -> Item:
    if not item.titles:
        item.reason = ABSTRACT_WITHOUT_TITLE
    elif not item.abstracts:
        item.reason = TITLE_WITHOUT_ABSTRACT
    else:
        if len(item.abstracts) > 1 or any(units.n_lines[u] > 1 for u in item.abstracts):
            item.flags.append("abstract_joined")
        if len(item.titles) > 1 or any(units.n_lines[u] > 1 for u in item.titles):
            item.flags.append("title_joined")
    return item


def _cut_in_first_words(title: Item, fragment: Item, units: Units) -> bool:
    """The file ends in the first words of an abstract, which read like a title on their own."""
    return (
        title.reason == TITLE_WITHOUT_ABSTRACT
        and fragment.reason == TITLE_WITHOUT_ABSTRACT
        and len(fragment.titles) == 1
        and not units.same_block[fragment.titles[0]]
        and not units.complete[fragment.titles[0]]
    )


def align_units(units: Units) -> list[Item]:
    """Pair title units with the abstract units after them; whatever cannot pair becomes an orphan."""
    items: list[Item] = []
    current: Item | None = None
    for unit in range(len(units.n_chars)):
        if current is not None and current.abstracts and _continues_abstract(current, unit, units):
            current.abstracts.append(unit)
        elif not reads_as_prose(unit, units):
            if current is not None and current.titles and not current.abstracts and units.same_block[unit]:
                title_chars = sum(units.n_chars[u] + 1 for u in current.titles)
                if title_chars + units.n_chars[unit] < MAX_TITLE_CHARS:
                    current.titles.append(unit)  # a title wrapped over two lines of one block
                    continue
            if current is not None:
                items.append(_finish(current, units))
            current = Item(titles=[unit])
        elif current is not None and not current.abstracts:
            current.abstracts.append(unit)
        else:
            if current is not None:
                items.append(_finish(current, units))
            current = Item(abstracts=[unit])  # no title before it: an orphan unless a title was lost
    if current is not None:
        items.append(_finish(current, units))
    if len(items) >= 2 and _cut_in_first_words(items[-2], items[-1], units):
        last = items.pop()
        items[-1].abstracts, items[-1].reason = last.titles, None
    # A dump cut mid-download loses the end of its last record. Mid-page abstracts without a final
    # period are common and whole, so only the last one is flagged.
    if items and items[-1].reason == TITLE_WITHOUT_ABSTRACT:
        items[-1].reason = TRUNCATED_AT_END
    elif items and items[-1].is_record and not units.complete[items[-1].abstracts[-1]]:
        items[-1].flags.append("possibly_truncated")
    return items
