"""The rich export of a papers page: metadata lines (paper URL, author count, date, upvotes) around
each title and abstract.

A metadata line is one whose every `·`-separated part is a known token. Which record a metadata
line belongs to is ambiguous between two papers (trailing the one before, or leading the next),
so the split is learned per page: the rule that gives the most records one identical shape wins,
and a page where two rules tie with different answers, or where few records share the shape, is
not parsed at all (the caller quarantines it whole).
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections import Counter
from collections.abc import Iterable

import polars as pl

from pipeline.align import Item, Units

_MONTH = "(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)"
# Token kinds in the order they are tried; `submitter` before `published` ("Submitted by x").
TOKEN_PATTERNS = {
    "url": r"^<?(?:https?://|www\.|(?:huggingface\.co|hf\.co|arxiv\.org)/)\S+>?$",
    "arxiv_id": r"^(?:arxiv:\s*)?\d{4}\.\d{4,5}(?:v\d+)?$",
    "authors": r"^(?:by\s+)?\d[\d,]*\s+authors?$",
    "submitter": r"^submitted\s+by(?:\s+\S+)?$",
    # The words after "Published on" must start like a date, so a title "Updated Priors for ..." is text.
    "published": (
        r"^(?:published|submitted|posted|updated)(?:\s+on)?:?"
        rf"(?:\s+(?:\S*\d\S*|{_MONTH}\S*|today|yesterday)(?:\s.{{0,30}})?)?$"
    ),
    "comments": r"^\d[\d,]*\s+comments?$",
    "upvotes": (
        r"^(?:\d[\d,.]*k?\s*(?:upvotes?|votes?|likes?)|(?:upvotes?|votes?|likes?):?\s*\d[\d,.]*k?"
        r"|upvote|\d[\d,]*)$"
    ),
}
SEPARATOR = r"\s*[·•|]\s*"
# A metadata line's first token (empty when the line starts with a separator) is a known token: the
# token patterns without their anchors, followed by a separator or the end of the line.
_FIRST_TOKEN_KNOWN = (
    "^(?:" + "|".join(f"(?:{pattern[1:-1]})" for pattern in TOKEN_PATTERNS.values()) + r")?(?:\s*[·•|]|$)"
)
MAX_METADATA_LINE_CHARS = 300
# Metadata lines per text line above which a page is read as the rich export.
MIN_METADATA_SHARE = 0.25
MAX_GAP_KINDS = 6  # more distinct kinds between records than this: no layout we know
MIN_SAME_SHAPE_SHARE = 0.5
MIN_COMPATIBLE_SHARE = 0.8
SHAPE_MISMATCH = "record does not match the page layout"
METADATA_COLUMNS = {
    "paper_url": pl.String,
    "n_authors": pl.Int32,
    "published_on": pl.String,
    "upvotes": pl.Int32,
    "metadata": pl.List(pl.String),
}


def _token_kind(token: pl.Expr) -> pl.Expr:
    lowered = token.str.to_lowercase()
    kind = pl.when(token == "").then(pl.lit(""))
    for name, pattern in TOKEN_PATTERNS.items():
        kind = kind.when(lowered.str.contains(pattern)).then(pl.lit(name))
    return kind.otherwise(pl.lit("?"))  # not a metadata token


def metadata_kind(text: pl.Expr) -> pl.Expr:
    """The kind of a metadata line (`url`, `authors+published`, ...), null for any other line."""
    tokens = text.str.replace_all(SEPARATOR, "\x1f").str.split("\x1f")
    kinds = tokens.list.eval(_token_kind(pl.element())).list.eval(pl.element().filter(pl.element() != ""))
    kind = kinds.list.join("+")
    every_token_known = ~kinds.list.contains("?")
    usable = every_token_known & (kind != "") & (text.str.len_chars() <= MAX_METADATA_LINE_CHARS)
    return pl.when(usable).then(kind).otherwise(None)


def with_metadata_kinds(content: pl.DataFrame) -> pl.DataFrame:
    """Add `meta_kind` to content lines; the short line after a bare `Submitted by` is its user name."""
    # Only short lines can be metadata: tokenizing every abstract would cost more than the rest of parsing.
    short = content.filter(pl.col("text").str.len_chars() <= MAX_METADATA_LINE_CHARS)
    # A test of the first token alone rules out nearly every title before the full tokenizing.
    candidates = short.filter(pl.col("text").str.to_lowercase().str.contains(_FIRST_TOKEN_KNOWN))
    kinds = (
        candidates.select("line_no", meta_kind=metadata_kind(pl.col("text"))) if candidates.height else None
    )
    if kinds is None or kinds["meta_kind"].is_null().all():  # no metadata, so no user name after one
        return content.with_columns(meta_kind=pl.lit(None, pl.String))
    frame = content.join(kinds, on="line_no", how="left", maintain_order="left")
    after_submitted_by = (pl.col("meta_kind").shift(1) == "submitter") & pl.col("text").shift(1).str.contains(
        r"(?i)^submitted\s+by$"
    )
    user_name = after_submitted_by.fill_null(False) & pl.col("text").str.contains(r"^\S{1,40}$")
    return frame.with_columns(
        meta_kind=pl.when(user_name & pl.col("meta_kind").is_null())
        .then(pl.lit("submitter"))
        .otherwise("meta_kind")
    )


def looks_rich(n_metadata_lines: int, n_text_lines: int) -> bool:
    return n_metadata_lines >= 2 and n_metadata_lines >= MIN_METADATA_SHARE * max(n_text_lines, 1)


def _signature(item: Item, units: Units, kinds: dict[int, str]) -> tuple[str, ...]:
    """The record's shape: its metadata kinds and T (title) / A (abstract) in line order."""
    entries = sorted(
        [(units.line_start[u], "T") for u in item.titles]
        + [(units.line_start[u], "A") for u in item.abstracts]
        + [(line, kinds[line]) for line in item.extra_lines]
    )
    symbols = [symbol for _, symbol in entries]
    return tuple(
        symbol
        for i, symbol in enumerate(symbols)
        if i == 0 or symbol not in ("T", "A") or symbols[i - 1] != symbol
    )


def _is_subsequence(short: tuple[str, ...], long: tuple[str, ...]) -> bool:
    remaining = iter(long)
    return all(symbol in remaining for symbol in short)


def _gaps(
    items: list[Item], units: Units, meta_lines: list[int]
) -> tuple[dict[int, int], dict[int, list[int]]]:
    """Metadata lines inside an item's span go to it; the others fall in the gap before item g."""
    firsts = [min(units.line_start[u] for u in item.titles + item.abstracts) for item in items]
    lasts = [max(units.line_end[u] for u in item.titles + item.abstracts) for item in items]
    inner: dict[int, int] = {}
    gaps: dict[int, list[int]] = {}
    for line in meta_lines:
        g = bisect.bisect_left(firsts, line)
        if g > 0 and line < lasts[g - 1]:
            inner[line] = g - 1
        else:
            gaps.setdefault(g, []).append(line)
    return inner, gaps


def _assign(
    items: list[Item],
    inner: dict[int, int],
    gaps: dict[int, list[int]],
    kinds: dict[int, str],
    leading: set[str],
) -> dict[int, int]:
    """Metadata line -> item index: in a gap between two items, the trailing run of `leading` kinds
    opens the next item and the rest closes the previous one."""
    owner = dict(inner)
    last = len(items) - 1
    for g, lines in gaps.items():
        split = len(lines)
        while split > 0 and kinds[lines[split - 1]] in leading:
            split -= 1
        for i, line in enumerate(lines):
            if g == 0 or (g <= last and i >= split):
                owner[line] = min(g, last)
            else:
                owner[line] = g - 1
    return owner


def _with_extra(items: list[Item], owner: dict[int, int]) -> list[Item]:
    extras: dict[int, list[int]] = {}
    for line, index in owner.items():
        extras.setdefault(index, []).append(line)
    return [
        Item(item.titles, item.abstracts, sorted(extras.get(i, [])), list(item.flags), item.reason)
        for i, item in enumerate(items)
    ]


class UnclearLayoutError(ValueError):
    """The metadata lines do not say clearly which record each belongs to."""


def attach_metadata(items: list[Item], units: Units, meta: dict[int, str]) -> list[Item]:
    """Attach metadata lines (line number -> kind) to the items; raise UnclearLayoutError if unsure."""
    if not items:
        raise UnclearLayoutError("metadata lines but no titles or abstracts")
    inner, gaps = _gaps(items, units, sorted(meta))
    gap_kinds = sorted({meta[n] for g, lines in gaps.items() if 0 < g < len(items) for n in lines})
    if len(gap_kinds) > MAX_GAP_KINDS:
        raise UnclearLayoutError(f"{len(gap_kinds)} kinds of metadata lines between records")
    scored = []
    for size in range(len(gap_kinds) + 1):
        for leading in itertools.combinations(gap_kinds, size):
            owner = _assign(items, inner, gaps, meta, set(leading))
            candidate = _with_extra(items, owner)
            shapes = Counter(_signature(item, units, meta) for item in candidate if item.is_record)
            best = shapes.most_common(1)[0][1] if shapes else 0
            scored.append((best, owner, candidate, shapes))
    top = max(score for score, *_ in scored)
    winners = [entry for entry in scored if entry[0] == top]
    if any(entry[1] != winners[0][1] for entry in winners[1:]):
        raise UnclearLayoutError("metadata lines fit the record before and the record after equally well")
    _, _, candidate, shapes = winners[0]
    return _check_shapes(candidate, units, meta, shapes)


def _check_shapes(items: list[Item], units: Units, meta: dict[int, str], shapes: Counter) -> list[Item]:
    records = [item for item in items if item.is_record]
    if not shapes:
        raise UnclearLayoutError("no title followed by an abstract")
    modal, n_modal = shapes.most_common(1)[0]
    if all(symbol in ("T", "A") for symbol in modal):
        raise UnclearLayoutError("most records carry no metadata line")
    if n_modal < MIN_SAME_SHAPE_SHARE * len(records):
        raise UnclearLayoutError(f"only {n_modal} of {len(records)} records share one shape")
    n_compatible = 0
    for item in records:
        shape = _signature(item, units, meta)
        if shape == modal:
            n_compatible += 1
        elif _is_subsequence(shape, modal):
            n_compatible += 1
            item.flags.append("metadata_missing")
        else:
            item.reason = SHAPE_MISMATCH
    if n_compatible < MIN_COMPATIBLE_SHARE * len(records):
        raise UnclearLayoutError(f"only {n_compatible} of {len(records)} records fit the page's shape")
    return items


def _number(text: str) -> int | None:
    match = re.search(r"(\d[\d,.]*)(k?)", text, re.IGNORECASE)
    if not match:
        return None
    value = float(match.group(1).replace(",", "")) if match.group(1).count(".") <= 1 else None
    if value is None:
        return None
    return int(value * 1000) if match.group(2) else int(value)


def metadata_values(lines: Iterable[str]) -> dict[str, object]:
    """The record columns read from its metadata lines: URL, author count, date text, upvotes."""
    values: dict[str, object] = {name: None for name in METADATA_COLUMNS}
    values["metadata"] = list(lines)
    for line in values["metadata"]:
        for token in re.split(SEPARATOR, line.strip()):
            lowered = token.lower()
            if values["paper_url"] is None and re.search(TOKEN_PATTERNS["url"], lowered):
                values["paper_url"] = token.strip("<>")
            elif values["paper_url"] is None and re.search(TOKEN_PATTERNS["arxiv_id"], lowered):
                values["paper_url"] = "https://arxiv.org/abs/" + re.sub(r"(?i)^arxiv:\s*", "", token)
            elif re.search(TOKEN_PATTERNS["authors"], lowered):
                values["n_authors"] = _number(token)
            elif re.search(TOKEN_PATTERNS["submitter"], lowered):
                continue
            elif re.search(TOKEN_PATTERNS["published"], lowered):
                values["published_on"] = re.sub(r"(?i)^\w+(?:\s+on)?:?\s*", "", token) or None
            elif re.search(TOKEN_PATTERNS["upvotes"], lowered) and (number := _number(token)) is not None:
                values["upvotes"] = max(number, values["upvotes"] or 0)
    return values
