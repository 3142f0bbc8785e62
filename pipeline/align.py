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
    complete: list[bool]
    starts_lower: list[bool]
    same_block: list[bool]  # no blank line between this unit and the previous one (blank-separated pages)
    reads_as_prose: list[bool]  # see `reads_as_prose`
    followed_by_prose: list[bool]  # the next unit is prose that is not a period-ended title candidate


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
    adjacent = (pl.col("line_no").diff() == 1).fill_null(False)
    blocks = _block_units(text_lines.with_columns(adjacent=adjacent)) if blank_separated else None
    if blocks is not None and not blocks["starts"].all():
        grouped = blocks.group_by("unit", maintain_order=True).agg(
            lines=pl.col("line_no"),
            text=pl.col("text").str.join(" "),
            same_block=pl.col("adjacent").first(),
        )
    else:  # one line, one unit: the text column is reused as it is, not copied
        grouped = text_lines.select(
            unit=pl.int_range(pl.len()),
            lines=pl.concat_list("line_no"),
            text="text",
            same_block=adjacent if blank_separated else pl.lit(False),
        )
    frame = grouped.with_columns(
        unit=pl.col("unit").cast(pl.Int64),
        line_start=pl.col("lines").list.first(),
        line_end=pl.col("lines").list.last(),
        n_lines=pl.col("lines").list.len().cast(pl.Int32),
    )
    # The per-unit features the state machine reads, computed here once: it then touches no text.
    features = frame.select(
        n_chars=pl.col("text").str.len_chars(),
        complete=ends_complete(pl.col("text")),
        starts_lower=pl.col("text").str.contains(r"^\p{Ll}"),
        prose=abstract_like(pl.col("text")),
        period_title=period_title_like(pl.col("text")),
    )
    prose, period_title = pl.col("prose"), pl.col("period_title")
    features = features.with_columns(followed_by_prose=(prose & ~period_title).shift(-1).fill_null(False))
    features = features.with_columns(
        reads_as_prose=reads_as_prose(prose, period_title, pl.col("followed_by_prose"))
    )
    return Units(
        frame.drop("same_block"),
        features["n_chars"].to_list(),
        frame["n_lines"].to_list(),
        frame["line_start"].to_list(),
        frame["line_end"].to_list(),
        features["complete"].to_list(),
        features["starts_lower"].to_list(),
        frame["same_block"].to_list(),
        features["reads_as_prose"].to_list(),
        features["followed_by_prose"].to_list(),
    )


def _block_units(lines: pl.DataFrame) -> pl.DataFrame:
    """Lines of a blank-separated page with `starts` (the line opens a unit) and `unit` numbers."""
    # Each step a column of its own: an expression used twice in one context is computed twice.
    lines = lines.with_columns(prose=abstract_like(pl.col("text")))
    prose, block_start = pl.col("prose"), ~pl.col("adjacent")
    title_head = (
        ~prose
        & (prose.shift(-1) & pl.col("adjacent").shift(-1)).fill_null(False)
        & (block_start | ends_complete(pl.col("text")).shift(1).fill_null(True))
    )
    lines = lines.with_columns(title_head=title_head)
    starts = block_start | pl.col("title_head") | pl.col("title_head").shift(1)
    lines = lines.with_columns(starts=starts.fill_null(True))
    return lines.with_columns(unit=pl.col("starts").cum_sum() - 1)


def reads_as_prose(prose: pl.Expr, period_title: pl.Expr, followed_by_prose: pl.Expr) -> pl.Expr:
    """Prose, except that a short one-sentence unit directly followed by an abstract is that
    abstract's title: a title is always followed by prose, the tail of a split abstract by a title."""
    return pl.when(period_title).then(~followed_by_prose).otherwise(prose)


def _continues_abstract(abstract_chars: int, last_abstract: int, unit: int, units: Units) -> bool:
    """A split abstract, not the next paper: within the length cap, and either prose or a fragment
    that starts in lower case right after an abstract cut mid-sentence.

    `abstract_chars` is the length of the abstract so far, a space counted after each of its units.
    """
    if abstract_chars + units.n_chars[unit] > MAX_ABSTRACT_CHARS:
        return False
    if units.reads_as_prose[unit]:
        return True
    # A lower-case title ("cosFormer: ...") also follows abstracts cut mid-sentence; it is told apart
    # from the abstract's lower-case tail by what comes next: its own abstract.
    return (
        units.starts_lower[unit] and not units.complete[last_abstract] and not units.followed_by_prose[unit]
    )


def _finish(item: Item, units: Units) -> Item:
    if not item.titles:
        item.reason = ABSTRACT_WITHOUT_TITLE
    elif not item.abstracts:
        item.reason = TITLE_WITHOUT_ABSTRACT
    else:
        # Several units, or one unit of several lines (both lists are non-empty here).
        if len(item.abstracts) > 1 or units.n_lines[item.abstracts[0]] > 1:
            item.flags.append("abstract_joined")
        if len(item.titles) > 1 or units.n_lines[item.titles[0]] > 1:
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
    # Running lengths of the current item's title and abstract (a space counted after each unit):
    # summing them again for every unit would make long split abstracts quadratic.
    title_chars = abstract_chars = 0
    n_chars, as_prose, same_block = units.n_chars, units.reads_as_prose, units.same_block
    for unit in range(len(n_chars)):
        if (
            current is not None
            and current.abstracts
            and _continues_abstract(abstract_chars, current.abstracts[-1], unit, units)
        ):
            current.abstracts.append(unit)
            abstract_chars += n_chars[unit] + 1
        elif not as_prose[unit]:
            if (
                current is not None
                and current.titles
                and not current.abstracts
                and same_block[unit]
                and title_chars + n_chars[unit] < MAX_TITLE_CHARS
            ):
                current.titles.append(unit)  # a title wrapped over two lines of one block
                title_chars += n_chars[unit] + 1
                continue
            if current is not None:
                items.append(_finish(current, units))
            current = Item(titles=[unit])
            title_chars, abstract_chars = n_chars[unit] + 1, 0
        elif current is not None and not current.abstracts:
            current.abstracts.append(unit)
            abstract_chars = n_chars[unit] + 1
        else:
            if current is not None:
                items.append(_finish(current, units))
            current = Item(abstracts=[unit])  # no title before it: an orphan unless a title was lost
            title_chars, abstract_chars = 0, n_chars[unit] + 1
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
