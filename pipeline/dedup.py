"""One canonical paper per real paper: title keys, an abstract guard against false merges, stable ids.

Identity rule:

1. Title key. Two titles are the same title when they differ only by Unicode form (NFKC: ligatures,
   full-width letters), case, diacritics (`Café` == `Cafe`: a title that lost its accents to an ASCII
   export is still the same paper), punctuation, dashes and quotes, spacing (`Pre-training` ==
   `Pretraining`), HTML markup and entities (`&amp;`, `<i>`), LaTeX remnants (`\\textbf{X}`, `{B}ERT`,
   `~`, `$\\alpha$` == `α`, `\\'e` == `é`, `$6400\\times6400$` == `6400×6400` == `6400x6400`, and
   `6400times6400` that lost its backslash, but never the word `times`) and a trailing period. The key
   keeps letters and digits only, so a glued remnant (`$\\alpha$Net` == `αNet`) folds too.
2. Abstract guard. Under one title key, two abstracts are the same paper when they are linked, by the
   first test that applies:
   - one contains the other whole at its start or end (a truncated copy, a sentence added or
     prepended), or both have nearly the same length (`EDIT_LENGTH_RATIO`) and an equal anchored
     quarter (half, for shorter texts) (a few typos); compared as written, then with case,
     typography (quotes, dashes, ligatures) and whitespace folded; every such link rests on at least
     `MIN_SEGMENT_CHARS` equal characters;
   - else the overlap coefficient of their word 3-shingles (shared shingles over those of the shorter
     text, words folded for case, Unicode, diacritics and punctuation) is at least `MIN_OVERLAP`,
     with at least `MIN_SHARED_SHINGLES` shared. A shingle found in
     more than a tenth (and at least `STOP_SHINGLE_VERSIONS`) of one title's groups is boilerplate
     ("in this paper we"), not evidence. The real revision in the seeds ("Fully Convolutional
     Networks ...") scores 0.83; unrelated seed abstracts score below 0.1, at most 0.42 (two abstracts
     the parser had glued to a neighbour's text).
   A paper is a connected group of linked abstracts, so a short generic title ("Visual Dialog") over
   unrelated abstracts gives one paper per abstract, whatever the title's length. An abstract shorter
   than `MIN_ABSTRACT_CHARS` carries too little text to be judged: it joins its title's largest group.

Ids: `paper_id` is the first 16 hex digits of sha256 over the title key, for a title with one paper.
When one title key holds several papers, the one with the most occurrences (ties: the smaller
signature) keeps that id, so it does not change when an unrelated namesake arrives; each other one
hashes the title key with its signature, the folded text of its representative abstract (most
occurrences, then longest, then alphabetical). Every choice is a function of the set of occurrences,
never of their order, so ids and the `papers` table do not depend on the order in which files arrive.

Cost: keys are computed once per distinct title (plain ASCII titles by a short path that gives the
same key) and abstracts are compared only under title keys seen with several abstracts, cheapest test
first, each on the titles the previous one left split; the shingle test compares one representative
(the longest version) per group, in batches of whole titles (`SHINGLE_BATCH_BYTES` of text), and counts
the shingles two groups share as |A| + |B| - |A ∪ B| when their title has fewer than
`STOP_SHINGLE_VERSIONS` groups (no shingle can be boilerplate there), from lists of each shingle's
holders only for titles with more. On 1M records with 96k versions of 48k titles seen with two
abstracts, the guard takes 4.5 s of CPU (13 s when every title took the lists) and the shingle test
holds about 0.3 GB at a time (1.9 GB in one batch). 1,000,000 generated records (515k distinct
titles, 300k papers): `assign_paper_ids` takes 6-8 s of CPU, 5-6 s wall on this 2-core machine
(`python -m benchmarks.dedup_eval --in-memory ...`).
"""

from __future__ import annotations

import hashlib
from typing import TypeVar

import polars as pl

FrameT = TypeVar("FrameT", pl.DataFrame, pl.LazyFrame)

PAPER_ID_HEX = 16
MIN_OVERLAP = 0.5
MIN_SHARED_SHINGLES = 3
MIN_ABSTRACT_CHARS = 100
# Equal segments shorter than this prove nothing ("in this paper we propose a" is 26 folded characters).
MIN_SEGMENT_CHARS = 100
# Two versions of nearly one length with an equal anchored segment differ by local edits (typos).
EDIT_LENGTH_RATIO = 0.95
STOP_SHINGLE_VERSIONS = 8
STOP_SHINGLE_SHARE = 0.1
# Text compared by the shingle test at a time: bounds its memory (about 0.5 GB) at any corpus size.
SHINGLE_BATCH_BYTES = 16_000_000

_MIX = (0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F)  # odd 64-bit constants (golden ratio, xxHash prime)
_GREEK = {
    "α": "alpha", "β": "beta", "γ": "gamma", "δ": "delta", "ε": "epsilon", "ϵ": "epsilon", "ζ": "zeta",
    "η": "eta", "θ": "theta", "ϑ": "theta", "ι": "iota", "κ": "kappa", "λ": "lambda", "μ": "mu",
    "ν": "nu", "ξ": "xi", "ο": "omicron", "π": "pi", "ϖ": "pi", "ρ": "rho", "ϱ": "rho", "σ": "sigma",
    "ς": "sigma", "τ": "tau", "υ": "upsilon", "φ": "phi", "ϕ": "phi", "χ": "chi", "ψ": "psi",
    "ω": "omega", "ß": "ss", "×": "x",
}  # fmt: skip
_GREEK_NAMES = "|".join(sorted({name for name in _GREEK.values() if len(name) > 2}))
_HTML_TAGS = r"</?(?:i|b|em|strong|sub|sup|span|br|tt|u|small)\b[^>]*>"
_TYPOGRAPHY = {
    "\u00a0": " ", "\u2009": " ", "\u202f": " ", "\u2018": "'", "\u2019": "'", "\u201c": '"',
    "\u201d": '"', "\u2010": "-", "\u2013": "-", "\u2014": "-", "\u2026": "...", "\ufb00": "ff",
    "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi", "\ufb04": "ffl",
}  # fmt: skip
_ASCII_NOISE = [chr(code) for code in range(128) if not chr(code).isalnum()]
# Characters that send an ASCII title down the full LaTeX/HTML path.
_MARKUP = r"[\\$&<{}~]"
# A complete abstract ends a sentence, a bracket or a link; one cut mid-word is a truncated copy.
_COMPLETE_END = r"(?:[.!?)\]\"'”]|\S+[/.]\S+)\s*$"


def fold_text(text: pl.Expr) -> pl.Expr:
    """Unicode compatibility forms, case and diacritics folded: `Ｃafé` -> `cafe`."""
    return (
        text.str.normalize("NFKC")
        .str.to_lowercase()
        .str.normalize("NFKD")
        .str.replace_all(r"\p{M}+", "")
        .str.normalize("NFKC")
    )


def _is_ascii(text: pl.Expr) -> pl.Expr:
    return text.str.len_bytes() == text.str.len_chars()


def _without_ascii_noise(text: pl.Expr, replacement: str = "") -> pl.Expr:
    # replace_many is several times faster than a regex that matches at every space.
    return text.str.replace_many(_ASCII_NOISE, [replacement] * len(_ASCII_NOISE))


def _times_between_digits(text: pl.Expr) -> pl.Expr:
    # `$6400\times6400$` that lost its backslash: `times` between digits only, never the word.
    return text.str.replace_all(r"(\d)\s*times\s*(\d)", "${1}x${2}")


def _or_title(key: pl.Expr, title: pl.Expr) -> pl.Expr:
    # A title of symbols only keeps its own text rather than sharing the empty key with every other.
    return pl.when(key == "").then(title.str.strip_chars()).otherwise(key)


def title_key(title: pl.Expr) -> pl.Expr:
    """The letters and digits that make a title; see the module docstring for what is folded."""
    text = (
        title.str.normalize("NFKC")
        .str.to_lowercase()
        .str.replace_all(_HTML_TAGS, " ")
        .str.replace_all(rf"&({_GREEK_NAMES});", "\\$1")  # &alpha; -> \alpha, read as LaTeX below
        .str.replace_all(r"&([a-z])(?:acute|grave|uml|circ|tilde|cedil|ring|slash);", "$1")
        .str.replace_all(r"&(?:[a-z]+|#\d+|#x[0-9a-f]+);", " ")
        # LaTeX: accents (\'e, \"{o}, \c{c}) keep their letter, \times is x, \varepsilon is epsilon,
        # a command with an argument keeps the argument (\textbf{X} -> X), a bare one keeps its name.
        .str.replace_all(r"\\['\"`^~=.]\s*\{?([a-z])\}?", "$1")
        .str.replace_all(r"\\[uvhck]\{([a-z])\}", "$1")
        .str.replace_all(r"\\times\b", " x ")
        .str.replace_all(r"\\var(epsilon|theta|phi|rho|sigma|pi)\b", "$1")
        .str.replace_all(r"\\[a-z]+\s*\{", " ")
        .str.replace_all(r"\\([a-z]+)", "$1")
    )
    folded = fold_text(_times_between_digits(text)).str.replace_many(_GREEK)
    return _or_title(folded.str.replace_all(r"[^\p{L}\p{N}]+", ""), title)


def title_keys(titles: pl.Series) -> pl.DataFrame:
    """`title_key` of each distinct title: columns title, title_key. Only titles with LaTeX or HTML
    characters (or `times`) take the full path; plain ASCII ones only lose case and punctuation, and
    other Unicode ones skip the markup rules: the same keys, several times faster."""
    frame = pl.DataFrame({"title": titles.unique()})
    ascii_titles = frame.filter(_is_ascii(pl.col("title"))).with_columns(
        _text=pl.col("title").str.to_lowercase()
    )
    # Typographic characters fold to what the full path makes of them (see with_folded_abstract).
    other_titles = frame.filter(~_is_ascii(pl.col("title"))).with_columns(
        _text=pl.col("title").str.replace_many(_TYPOGRAPHY).str.normalize("NFKC").str.to_lowercase()
    )
    frame = pl.concat([ascii_titles, other_titles])
    # After NFKC, so that full-width `＄` or `＜` count as markup too.
    markup = pl.col("_text").str.contains(_MARKUP) | pl.col("_text").str.contains("times", literal=True)
    is_ascii = _is_ascii(pl.col("_text"))
    plain_key = _without_ascii_noise(pl.col("_text"))
    unicode_key = fold_text(pl.col("_text")).str.replace_many(_GREEK).str.replace_all(r"[^\p{L}\p{N}]+", "")
    return pl.concat(
        [
            frame.filter(~markup & is_ascii).with_columns(title_key=_or_title(plain_key, pl.col("title"))),
            frame.filter(~markup & ~is_ascii).with_columns(title_key=_or_title(unicode_key, pl.col("title"))),
            frame.filter(markup).with_columns(title_key=title_key(pl.col("title"))),
        ]
    ).drop("_text")


def abstract_key(abstract: pl.Expr) -> pl.Expr:
    """The letters and digits of an abstract, folded: whitespace, punctuation and encoding noise gone."""
    return fold_text(abstract).str.replace_all(r"[^\p{L}\p{N}]+", "")


def abstract_words(abstract: pl.Expr) -> pl.Expr:
    """The folded words of an abstract, separated by single spaces."""
    return fold_text(abstract).str.replace_all(r"[^\p{L}\p{N}]+", " ").str.strip_chars()


def with_folded_abstract(frame: FrameT, column: str, *, words: bool = False) -> FrameT:
    """`frame` with `column`: `abstract_key` of its `abstract`, or when `words` its folded words (those of
    `abstract_words`, though the short path may leave runs of spaces between them); rows may come back
    in another order. ASCII rows take a short path with the same result; splitting the frame, not
    pl.when (which evaluates both branches), keeps the costly Unicode folding off them."""
    # Typographic characters (curly quotes, dashes, ligatures, odd spaces) fold to what NFKC and the
    # removal of punctuation make of them, so text that has only those takes the short path too.
    plain = pl.col("_text").str.to_lowercase()
    short_path = _without_ascii_noise(plain, " ") if words else _without_ascii_noise(plain)
    full_path = abstract_words(pl.col("abstract")) if words else abstract_key(pl.col("abstract"))
    staged = frame.with_columns(_text=pl.col("abstract").str.replace_many(_TYPOGRAPHY))
    is_ascii = _is_ascii(pl.col("_text"))
    return pl.concat(
        [
            staged.filter(is_ascii).with_columns(short_path.alias(column)),
            staged.filter(~is_ascii).with_columns(full_path.alias(column)),
        ]
    ).drop("_text")


def _lightly_folded(frame: pl.DataFrame) -> pl.DataFrame:
    """`frame` with `folded`: its abstract in lower case, typography mapped to ASCII (NFKC for other
    Unicode) and runs of whitespace made one space. Enough for the string tests to see through
    re-encoded quotes, dashes, ligatures and spacing; anything else is left to the shingle test, which
    folds fully. Rows may come back in another order."""
    is_ascii = _is_ascii(pl.col("abstract"))
    one_space = r"\s{2,}"
    return pl.concat(
        [
            frame.filter(is_ascii).with_columns(
                folded=pl.col("abstract").str.to_lowercase().str.replace_all(one_space, " ")
            ),
            frame.filter(~is_ascii).with_columns(
                folded=pl.col("abstract")
                .str.replace_many(_TYPOGRAPHY)
                .str.normalize("NFKC")
                .str.to_lowercase()
                .str.replace_all(one_space, " ")
            ),
        ]
    )


def abstract_is_complete(abstract: pl.Expr) -> pl.Expr:
    """True unless the text stops mid-sentence, as a truncated copy does."""
    return abstract.str.contains(_COMPLETE_END)


def _stable_ids(keys: pl.Series) -> pl.Series:
    # A cryptographic hash, not Polars' hash(): ids must be the same on every machine and version.
    digests = [hashlib.sha256(key.encode("utf-8")).hexdigest()[:PAPER_ID_HEX] for key in keys.to_list()]
    return pl.Series(keys.name, digests, dtype=pl.String)


def _candidate_pairs(nodes: pl.DataFrame, text: str) -> pl.DataFrame:
    """Pairs of versions of one title that share their first or last `MIN_SEGMENT_CHARS` characters:
    an equi-join on anchors, so the cost grows with the matches, not with the square of the versions."""
    anchored = nodes.select(
        "node",
        "kid",
        head=pl.col(text).str.head(MIN_SEGMENT_CHARS).hash(),
        tail=pl.col(text).str.tail(MIN_SEGMENT_CHARS).hash(),
    )
    pairs = [anchored.join(anchored, on=["kid", end], suffix="_other") for end in ("head", "tail")]
    return (
        pl.concat([pair.select("node", "node_other") for pair in pairs])
        .filter(pl.col("node") < pl.col("node_other"))
        .unique()
    )


def _string_links(nodes: pl.DataFrame, text: str) -> pl.DataFrame:
    """Links found by string tests on column `text`: one version contains the other at its start or end
    (truncation, a sentence added), or both have nearly the same length and an equal anchored quarter
    (or half, for shorter texts) of at least `MIN_SEGMENT_CHARS` characters (a few typos)."""
    texts = nodes.select("node", a=text, n_a=pl.col(text).str.len_chars())
    pairs = (
        _candidate_pairs(nodes, text)
        .join(texts, on="node")
        .join(texts.rename({"node": "node_other", "a": "b", "n_a": "n_b"}), on="node_other")
    )
    # Written symmetrically in a and b, so no column of shorter/longer texts is ever copied.
    a, b, n_a, n_b = pl.col("a").str, pl.col("b").str, pl.col("n_a"), pl.col("n_b")
    n_short, n_long = pl.min_horizontal(n_a, n_b), pl.max_horizontal(n_a, n_b)
    contained = (n_short >= MIN_SEGMENT_CHARS) & (
        b.starts_with(pl.col("a"))
        | b.ends_with(pl.col("a"))
        | a.starts_with(pl.col("b"))
        | a.ends_with(pl.col("b"))
    )
    segment = (
        pl.when(n_short >= 4 * MIN_SEGMENT_CHARS)
        .then(n_short // 4)
        .when(n_short >= 2 * MIN_SEGMENT_CHARS)
        .then(n_short // 2)
    )
    edited = (
        (a.head(segment) == b.head(segment))
        | (a.tail(segment) == b.tail(segment))
        | (a.slice(segment, segment) == b.slice(segment, segment))
        | (a.slice(n_a - 2 * segment, segment) == b.slice(n_b - 2 * segment, segment))
    )
    by_containment = pairs.filter(contained)
    near_equal = pairs.join(by_containment, on=["node", "node_other"], how="anti").filter(
        segment.is_not_null() & (n_short >= EDIT_LENGTH_RATIO * n_long)
    )
    return pl.concat([by_containment, near_equal.filter(edited)]).select("node", "node_other")


def _shingles(representatives: pl.DataFrame) -> pl.DataFrame:
    """node, kid, shingle: the hashes of each version's word 3-shingles (three consecutive folded words)."""
    # Folding, splitting and hashing work row by row, so the streaming engine may spread them over the
    # cores in any row order; each version's word hashes stay in order in its own list, and the eager
    # explode keeps them together. Lists of hashes, not exploded words: no column of 10M+ strings.
    word_hashes = (
        with_folded_abstract(representatives.lazy(), "words", words=True)
        .select(
            "node",
            "kid",
            word_hash=pl.col("words")
            .str.split(" ")
            .list.eval(pl.element().filter(pl.element() != "").hash()),
        )
        .collect(engine="streaming")
        .explode("word_hash")
    )
    # Shift the flat column rather than within groups (much cheaper): a shingle counts only when all
    # its words belong to the same version.
    word_hash = pl.col("word_hash")
    # Wrapping u64 arithmetic: an order-sensitive combination, several times cheaper than a struct hash.
    shingle = word_hash * _MIX[0] + word_hash.shift(-1) * _MIX[1] + word_hash.shift(-2)
    same_node = pl.col("node").shift(-2) == pl.col("node")
    return word_hashes.select("node", "kid", shingle=shingle, keep=same_node).filter("keep").drop("keep")


def _shared_among_few(shingles: pl.DataFrame, sizes: pl.DataFrame, nodes: pl.DataFrame) -> pl.DataFrame:
    """node, node_other, shared: the shingles two versions of a title have in common, for titles with
    fewer than `STOP_SHINGLE_VERSIONS` groups, where no shingle can be boilerplate. Counted as
    |A| + |B| - |A ∪ B|: each version's shingles are copied once per pair it is in (once, for the
    usual title with two groups), far cheaper than grouping all shingles by title and shingle."""
    pairs = (
        nodes.join(nodes, on="kid", suffix="_other")
        .filter(pl.col("node") < pl.col("node_other"))
        .select("node", "node_other")
        .with_row_index("pair")
    )
    members = pl.concat([pairs.select("pair", "node"), pairs.select("pair", node="node_other")])
    unions = (
        shingles.select("node", "shingle")
        .join(members, on="node")
        .group_by("pair")
        .agg(n_union=pl.col("shingle").n_unique())
    )
    return (
        pairs.join(unions, on="pair")
        .join(sizes, on="node")
        .join(sizes.rename({"node": "node_other", "n_shingles": "n_other"}), on="node_other")
        .select("node", "node_other", shared=pl.col("n_shingles") + pl.col("n_other") - pl.col("n_union"))
    )


def _shared_by_holders(shingles: pl.DataFrame, n_groups: pl.DataFrame) -> pl.DataFrame:
    """node, node_other, shared: the shingles two versions of a title have in common, boilerplate left
    out: a shingle held by more than a tenth (and at least `STOP_SHINGLE_VERSIONS`) of the title's groups.
    One group per shingle with the versions holding it: pairs come from these short lists, which is
    much cheaper than a self-join of all shingles."""
    holders = pl.col("nodes").list.len()
    telling = (
        shingles.group_by("kid", "shingle")
        .agg(nodes=pl.col("node").unique())
        .join(n_groups, on="kid")
        .filter(
            (holders >= 2)
            & ((holders < STOP_SHINGLE_VERSIONS) | (holders <= STOP_SHINGLE_SHARE * pl.col("n_groups")))
        )
    )
    return (
        telling.select(node="nodes", node_other="nodes")
        .explode("node")
        .explode("node_other")
        .filter(pl.col("node") < pl.col("node_other"))
        .group_by("node", "node_other")
        .agg(shared=pl.len())
    )


def _batch_shingle_links(representatives: pl.DataFrame) -> pl.DataFrame:
    """`_shingle_links` of a batch of whole titles."""
    shingles = _shingles(representatives)
    sizes = shingles.group_by("node").agg(n_shingles=pl.col("shingle").n_unique())
    n_groups = representatives.group_by("kid").agg(n_groups=pl.len())
    few = n_groups.filter(pl.col("n_groups") < STOP_SHINGLE_VERSIONS)
    many = n_groups.filter(pl.col("n_groups") >= STOP_SHINGLE_VERSIONS)
    pairs = (
        pl.concat(
            [
                _shared_among_few(shingles, sizes, representatives.join(few, on="kid", how="semi")),
                _shared_by_holders(shingles.join(many, on="kid", how="semi"), many),
            ]
        )
        .join(sizes, on="node")
        .join(sizes.rename({"node": "node_other", "n_shingles": "n_other"}), on="node_other")
    )
    smaller = pl.min_horizontal("n_shingles", "n_other")
    linked = (pl.col("shared") >= MIN_SHARED_SHINGLES) & (pl.col("shared") >= MIN_OVERLAP * smaller)
    return pairs.filter(linked).select("node", "node_other")


def _shingle_links(representatives: pl.DataFrame, batch_bytes: int = SHINGLE_BATCH_BYTES) -> pl.DataFrame:
    """Links between groups (one representative version each) whose word 3-shingles overlap by at least
    `MIN_OVERLAP`. A shingle found in more than a tenth (and at least `STOP_SHINGLE_VERSIONS`) of the
    groups of one title is boilerplate ("in this paper"), not evidence: it is not counted as shared.
    Titles are compared apart from each other, so they go in batches of whole titles of about
    `batch_bytes` of text: only one batch's shingles (some 20 bytes per byte of text) are held at a
    time, and the links are the same whatever the batches."""
    text_bytes = representatives.group_by("kid").agg(n_bytes=pl.col("abstract").str.len_bytes().sum())
    batches = text_bytes.sort("kid").select(
        "kid", batch=(pl.col("n_bytes").cum_sum() - pl.col("n_bytes")) // batch_bytes
    )
    links = [
        _batch_shingle_links(batch)
        for batch in representatives.join(batches, on="kid").partition_by("batch", include_key=False)
    ]
    return pl.concat(links) if links else pl.DataFrame(schema={"node": pl.UInt32, "node_other": pl.UInt32})


def _components(nodes: pl.DataFrame, links: pl.DataFrame) -> pl.DataFrame:
    """Connected components by min-label propagation: node, kid, label (a grouping handle, never an id)."""
    labels = nodes.select("node", "kid", label="node")
    both_ways = pl.concat([links, links.select(node="node_other", node_other="node")])
    while True:
        candidates = (
            both_ways.join(labels.select("node", "label"), left_on="node_other", right_on="node")
            .group_by("node")
            .agg(candidate=pl.col("label").min())
        )
        step = labels.join(candidates, on="node", how="left")
        if not step.select((pl.col("candidate") < pl.col("label")).any()).item():
            return labels
        labels = step.select("node", "kid", label=pl.min_horizontal("label", "candidate"))


def _still_split(labels: pl.DataFrame) -> pl.DataFrame:
    """The labels of titles whose versions still form more than one group."""
    return labels.filter(pl.col("label").n_unique().over("kid") > 1)


def _abstract_groups(judged: pl.DataFrame) -> pl.DataFrame:
    """node, kid, label: the versions of each title grouped by the links of the module docstring,
    cheapest test first; each test only looks at the titles the previous ones left split."""
    links = _string_links(judged, "abstract")
    unresolved = judged.join(_still_split(_components(judged, links)), on="node", how="semi")
    links = pl.concat([links, _string_links(_lightly_folded(unresolved), "folded")])
    split = _still_split(_components(judged, links))
    # Members of one group are near copies: the longest stands for the group in the shingle test.
    representatives = (
        judged.join(split.select("node", "label"), on="node")
        .sort(["label", pl.col("abstract").str.len_chars(), "abstract"], descending=[False, True, False])
        .unique("label", keep="first", maintain_order=True)
    )
    return _components(judged, pl.concat([links, _shingle_links(representatives)]))


def _ranked_groups(judged: pl.DataFrame) -> pl.DataFrame:
    """Per title key its groups: rank 0 has the most occurrences (ties: the smaller signature).
    Columns label, kid, rank, signature (the folded representative abstract; null for a title's only
    group, which needs none)."""
    groups = judged.group_by("kid", "label").agg(n=pl.col("n").sum())
    several = groups.filter(pl.len().over("kid") > 1)
    representatives = (
        judged.join(several, on="label", how="semi")
        .sort(
            ["label", "n", pl.col("abstract").str.len_chars(), "abstract"],
            descending=[False, True, True, False],
        )
        .unique("label", keep="first", maintain_order=True)
        .select("label", signature=abstract_key(pl.col("abstract")))
    )
    return (
        groups.join(representatives, on="label", how="left")
        .sort(["kid", "n", "signature"], descending=[False, True, False], nulls_last=True)
        .with_columns(rank=pl.int_range(pl.len()).over("kid"))
        .select("label", "kid", "rank", "signature")
    )


def _split_by_abstract(versions: pl.DataFrame) -> pl.DataFrame:
    """Paper ids for the versions of titles seen with several abstracts.

    versions: title_key, abstract_hash, abstract, n (occurrences). Returns title_key, abstract_hash,
    paper_id."""
    # Node numbers follow whatever order the versions come in: they only name groups (labels), and
    # every choice below breaks ties by content, never by number.
    nodes = versions.with_row_index("node").with_columns(kid=pl.col("title_key").rank("dense"))
    judged = nodes.filter(pl.col("abstract").str.len_chars() >= MIN_ABSTRACT_CHARS)
    labelled = judged.join(_abstract_groups(judged).select("node", "label"), on="node")
    groups = _ranked_groups(labelled)
    # Versions too short to judge join their title's rank-0 group: the bare title id.
    assigned = nodes.join(labelled.select("node", "label"), on="node", how="left").join(
        groups.select("label", "rank", "signature"), on="label", how="left"
    )
    basis = (
        pl.when(pl.col("rank").fill_null(0) == 0)
        .then("title_key")
        .otherwise(pl.concat_str("title_key", "signature", separator="\x1f"))
    )
    ids = assigned.select("title_key", "abstract_hash", basis=basis)
    return ids.with_columns(paper_id=_stable_ids(ids["basis"])).drop("basis")


def assign_paper_ids(records: pl.DataFrame) -> pl.DataFrame:
    """Add `title_key` and `paper_id` to each record (the rule is in the module docstring)."""
    keyed = records.join(title_keys(records["title"]), on="title", how="left", maintain_order="left")
    # Versions are grouped by a 64-bit hash of the abstract: far cheaper than grouping the long texts,
    # and a collision (odds ~1e-8 at a million abstracts) could only join two versions of one title.
    keyed = keyed.with_columns(abstract_hash=pl.col("abstract").hash())
    versions = keyed.group_by("title_key", "abstract_hash").agg(
        n=pl.len(), abstract=pl.col("abstract").first()
    )
    n_versions = pl.len().over("title_key")
    one_abstract = versions.filter(n_versions == 1).select("title_key", "abstract_hash")
    ids = pl.concat(
        [
            one_abstract.with_columns(paper_id=_stable_ids(one_abstract["title_key"])),
            _split_by_abstract(versions.filter(n_versions > 1)),
        ]
    )
    return keyed.join(ids, on=["title_key", "abstract_hash"], how="left", maintain_order="left").drop(
        "abstract_hash"
    )


def _choose(counted: pl.DataFrame, column: str, *preferences: pl.Expr) -> pl.DataFrame:
    """Per paper, the text that wins on `preferences` (True first), then is seen most often
    (`n_occurrences`), then is the longest, then comes first alphabetically: a function of the set of
    texts, never of their order."""
    keys = [*preferences, pl.col("n_occurrences"), pl.col(column).str.len_chars(), pl.col(column)]
    return (
        counted.sort(["paper_id", *keys], descending=[False] + [True] * (len(keys) - 1) + [False])
        .unique("paper_id", keep="first", maintain_order=True)
        .select("paper_id", column)
    )


def _abstract_versions(occurrences: pl.DataFrame) -> pl.DataFrame:
    """paper_id, abstract, n_occurrences, first_source_id: one row per distinct abstract of a paper.
    Grouped by a 64-bit hash of the text, far cheaper than grouping the long texts themselves."""
    return (
        occurrences.group_by("paper_id", abstract_hash=pl.col("abstract").hash())
        .agg(
            abstract=pl.col("abstract").first(),
            n_occurrences=pl.len().cast(pl.Int32),
            # The first (source_id, position) has the smallest source_id.
            first_source_id=pl.col("source_id").min(),
        )
        .drop("abstract_hash")
    )


def build_papers(occurrences: pl.DataFrame) -> pl.DataFrame:
    """One row per paper. Title: the most frequent, then the longest, then the first alphabetically.
    Abstract: the same, among the complete versions first (a truncated copy only when no other exists)."""
    return _papers(occurrences, _abstract_versions(occurrences))


def build_abstract_versions(occurrences: pl.DataFrame, papers: pl.DataFrame) -> pl.DataFrame:
    """One row per distinct abstract text of a paper: how often it was seen, whether it is the paper's
    chosen abstract, and whether it looks complete (not cut mid-sentence)."""
    return _versions_table(_abstract_versions(occurrences), papers)


def build_paper_tables(occurrences: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """`build_papers` and `build_abstract_versions` of `occurrences`, grouping the abstracts once
    (0.7 s of CPU at a million occurrences)."""
    versions = _abstract_versions(occurrences)
    papers = _papers(occurrences, versions)
    return papers, _versions_table(versions, papers)


def _papers(occurrences: pl.DataFrame, versions: pl.DataFrame) -> pl.DataFrame:
    """`build_papers`, given `_abstract_versions(occurrences)`."""
    titles = occurrences.group_by("paper_id", "title").agg(n_occurrences=pl.len())
    stats = occurrences.group_by("paper_id").agg(
        n_occurrences=pl.len().cast(pl.Int32),
        n_sources=pl.col("source_id").n_unique().cast(pl.Int32),
        first_source_id=pl.col("source_id").min(),
    )
    n_versions = versions.group_by("paper_id").agg(n_abstract_versions=pl.len().cast(pl.Int32))
    return (
        _choose(titles, "title")
        .join(_choose(versions, "abstract", abstract_is_complete(pl.col("abstract"))), on="paper_id")
        .join(stats, on="paper_id")
        .join(n_versions, on="paper_id")
        .select(
            "paper_id",
            "title",
            "abstract",
            "n_occurrences",
            "n_sources",
            "n_abstract_versions",
            "first_source_id",
        )
        .sort("paper_id")
    )


def _versions_table(versions: pl.DataFrame, papers: pl.DataFrame) -> pl.DataFrame:
    """`build_abstract_versions`, given `_abstract_versions` of the occurrences `papers` was built from."""
    digests = [hashlib.sha256(text.encode("utf-8")).hexdigest() for text in versions["abstract"].to_list()]
    chosen = papers.select("paper_id", chosen_abstract="abstract")
    return (
        versions.with_columns(abstract_sha256=pl.Series(digests, dtype=pl.String))
        .join(chosen, on="paper_id")
        .with_columns(
            is_chosen=pl.col("abstract") == pl.col("chosen_abstract"),
            is_complete=abstract_is_complete(pl.col("abstract")),
        )
        .select(
            "paper_id",
            "abstract_sha256",
            "abstract",
            "n_occurrences",
            "first_source_id",
            "is_chosen",
            "is_complete",
        )
        .sort("paper_id", "abstract_sha256")
    )
