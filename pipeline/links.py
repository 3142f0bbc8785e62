"""Extract every link written in a paper abstract into rows of the `paper_links` table.

The whole pipeline is vectorized with Polars string expressions (Rust regex engine):

1. find candidate URLs with one regex over every abstract (`str.extract_all`), and the text between
   them with the same regex (`str.split`), which gives each candidate's character offset without
   any per-row Python;
2. trim what is not part of the link (sentence punctuation, unbalanced closing brackets, quotes);
   LaTeX remnants such as `\\url{...}`, `~{...}`, `X{X}` or a `{URL}` suffix never enter a
   candidate because braces and backslashes are not URL characters;
3. classify: host, `github:owner/name`-style repo id, kind (repository / video / web);
4. availability from the sentence holding the link (future or conditional release phrasing);
5. drop repeats of the same link inside one abstract (see `_drop_repeats` for why).

Offsets are Python `str` indices (Unicode code points): they are sums of `str.len_chars` of the
pieces of the abstract, never byte offsets.
"""

from __future__ import annotations

import polars as pl

__all__ = ["LINKS_SCHEMA", "extract_links"]

LINKS_SCHEMA = pl.Schema(
    {
        "paper_id": pl.String,
        "url": pl.String,
        "kind": pl.String,
        "repo": pl.String,
        "availability": pl.String,
        "host": pl.String,
        "span_start": pl.Int32,
        "span_end": pl.Int32,
        "raw": pl.String,
    }
)

# --- candidate regex -------------------------------------------------------------------------------
# A URL character: anything but whitespace, characters that are illegal in URLs and mark the end of a
# link in prose or LaTeX (braces, backslash, angle brackets, double quotes, `|`, `^`, backtick),
# typographic quotes, the ellipsis and CJK punctuation.
_U = (
    r"[^\s<>\"{}|\\^`\x{201C}\x{201D}\x{2018}\x{2019}\x{00AB}\x{00BB}\x{2026}"
    r"\x{3001}\x{3002}\x{FF0C}\x{FF1B}\x{FF1A}\x{FF08}\x{FF09}]"
)
_LABEL = r"[a-z0-9][a-z0-9\-]*"
# Top-level domains accepted for links written without `http(s)://` or `www.`: a closed, lower-case
# list keeps file names (`model.pt/`), abbreviations and sentence ends (`on COCO.In/out`) out.
_TLD = (
    r"(?-i:com|org|net|io|ai|co|edu|gov|dev|app|me|ly|gl|be|ms|cn|uk|de|fr|jp|kr|ch|nl|info|xyz|page"
    r"|site|tech|us|ca|au|in|eu|it|es|ru|tv|cc|re|dk|se|no|fi|at|pl|br|sg|hk|tw|il|ac|science|cloud)"
)
# A host cut by a space (`github. com/x`) is only repaired for the common generic domains.
_CUT_TLD = r"(?-i:com|org|net|io|edu)"
_CODE_HOST = r"(?:github\.com|gitlab\.com|bitbucket\.org|huggingface\.co)"
_SCHEME = r"(?:https?://\s?)"  # one stray space after the scheme (`https:// github.com/...`) is a cut
_CANDIDATE = (
    r"(?i)(?:"
    # a code-host URL cut after the host: `https://github.com/ owner/name` (owner/name is unambiguous)
    rf"{_SCHEME}?(?:www\.)?{_CODE_HOST}/\s{{1,3}}[a-z0-9_.\-]+/{_U}*"
    # a host cut before its top-level domain: `github. com/owner/name`
    rf"|{_SCHEME}?(?-u:\b)(?:{_LABEL}\.)*{_LABEL}(?:\s\.\s?|\.\s){_CUT_TLD}/{_U}*"
    # an ordinary URL with a scheme or `www.`
    rf"|{_SCHEME}{_U}+|(?-u:\b)www\.{_U}+"
    # a bare domain with a path: `github.com/owner/name`
    rf"|(?-u:\b)(?:{_LABEL}\.)+{_TLD}/{_U}*"
    r")"
)

# Characters that end a sentence or clause rather than a URL, when they are a candidate's last char.
_TRAILING_PUNCT = r"[.,;:!?'\"*]+$"
_TRIM_ROUNDS = 3  # `X).` or `X]);` need a few alternating punctuation / bracket rounds

# --- classification --------------------------------------------------------------------------------
_REPO_HOSTS = {"github.com": "github", "gitlab.com": "gitlab", "bitbucket.org": "bitbucket"}
# First path segments that are site pages, not users or organizations owning repositories.
_NON_OWNER_SEGMENTS = [
    "orgs", "features", "sponsors", "topics", "marketplace", "about", "pricing", "settings", "login",
    "join", "explore", "collections", "trending", "enterprise", "apps", "site", "security", "events",
    "customer-stories", "readme", "contact", "notifications", "issues", "pulls", "search", "users",
    "codespaces", "solutions", "resources", "groups", "dashboard", "help", "-", "signup",
]  # fmt: skip
_VIDEO_HOST = r"(?:^|\.)(?:youtube\.com|youtu\.be|youtube-nocookie\.com|vimeo\.com|bilibili\.com)$"

# --- availability ----------------------------------------------------------------------------------
# A sentence ends at `.`, `!` or `?` followed by white space, or glued to a capital (`latency.Codes`).
_NOT_BOUNDARY = r"(?:[^.!?]|[.!?][^\sA-Z])"
_SENTENCE_TAIL = rf"(?s)(?:^|[.!?]\s+|[.!?][A-Z])({_NOT_BOUNDARY}*)$"
_SENTENCE_HEAD = rf"(?s)^({_NOT_BOUNDARY}*)"
# Passive voice announces the linked resource itself (`code will be (publicly) released`); active voice
# only when the verb is a release verb or its object is a released artifact: `we will provide a recipe
# for training` describes the paper, `we will provide the code` announces a release.
_PASSIVE_VERB = (
    r"(?:releas|publish|open|shar|provid|upload|post|put|host|made|distribut|avail|public|accessible|"
    r"on\s+github)"
)
_ARTIFACT = r"(?:code|source|implementation|model|weight|checkpoint|data|benchmark|tool|librar|package|demo)"
_ANNOUNCED = (
    r"(?i)(?:"
    rf"\b(?:will|shall|would)\s+(?:\w+\s+){{0,2}}?be\s+(?:\w+\s+){{0,2}}?{_PASSIVE_VERB}"
    rf"|\bto\s+be\s+(?:\w+\s+){{0,2}}?{_PASSIVE_VERB}"  # to be released / to be made public
    r"|\b(?:will|shall|plan\s+to|intend\s+to|are\s+going\s+to)\s+(?:\w+\s+){0,2}?"
    r"(?:release|open[- ]?source|publish|make\s+(?:\S+\s+){0,6}?(?:available|public|accessible|open))"
    rf"|\b(?:will|shall|plan\s+to|intend\s+to)\s+(?:provide|share|upload|post|put|host|distribute)\s+"
    rf"(?:\w+\s+){{0,3}}?{_ARTIFACT}"
    r"|\bsoon\b|\bforthcoming\b|\bin\s+the\s+near\s+future\b"
    r"|\b(?:upon|after|following)\s+(?:the\s+)?(?:paper'?s?\s+)?(?:acceptance|publication|review)"
    r"|\bonce\s+(?:the\s+|this\s+|our\s+)?(?:paper|work|manuscript|article)?\s*(?:is\s+)?(?:accepted|published)"
    r"|\bwhen\s+(?:the\s+)?(?:paper|work|manuscript)\s+is\s+(?:accepted|published)"
    r")"
)


def extract_links(papers: pl.DataFrame) -> pl.DataFrame:
    """Input: columns paper_id (str), abstract (str). Output: one row per link.

    Output columns follow `LINKS_SCHEMA`; rows are sorted by (paper_id, span_start).
    """
    if papers.height == 0:
        return pl.DataFrame(schema=LINKS_SCHEMA)
    candidates = _find_candidates(papers)
    if candidates.height == 0:
        return pl.DataFrame(schema=LINKS_SCHEMA)
    links = (
        candidates.pipe(_trim_candidates)
        .pipe(_classify)
        .pipe(_add_availability)
        .pipe(_drop_repeats)
        .sort(["paper_id", "span_start"], maintain_order=True)
    )
    return links.select(pl.col(name).cast(dtype) for name, dtype in LINKS_SCHEMA.items())


def _find_candidates(papers: pl.DataFrame) -> pl.DataFrame:
    """One row per candidate: row, paper_id, abstract, cand (raw match) and its char offset `start`."""
    found = (
        papers.lazy()
        .select(
            pl.col("paper_id").cast(pl.String),
            pl.col("abstract").cast(pl.String).fill_null(""),
        )
        .with_row_index("row")
        # Every candidate holds a `/` or a `www.`: a literal scan drops most abstracts before the regex.
        .filter(
            pl.col("abstract").str.contains("/", literal=True)
            | pl.col("abstract").str.contains_any(["www."], ascii_case_insensitive=True)
        )
        .with_columns(cands=pl.col("abstract").str.extract_all(_CANDIDATE))
        .filter(pl.col("cands").list.len() > 0)
        .collect()
    )
    # Most abstracts with a link have one and are ASCII: the offset of the regex's first match (a byte
    # offset, which is the character offset in ASCII text) places it, with a search that stops there.
    is_single = (pl.col("cands").list.len() == 1) & (
        pl.col("abstract").str.len_bytes() == pl.col("abstract").str.len_chars()
    )
    single = (
        found.filter(is_single)
        .with_columns(
            start=pl.col("abstract").str.find(_CANDIDATE).cast(pl.Int64), cand=pl.col("cands").list.first()
        )
        .drop("cands")
    )
    # Elsewhere the n candidates split the abstract into n + 1 gaps, so candidate i starts after gaps
    # 0..i and candidates 0..i-1: cumulative sums of character counts (never byte offsets).
    gap_len = pl.col("gaps").list.eval(pl.element().str.len_chars().cast(pl.Int64).cum_sum())
    cand_len = pl.col("cands").list.eval(pl.element().str.len_chars().cast(pl.Int64).cum_sum())
    several = (
        found.filter(~is_single)
        .with_columns(gaps=pl.col("abstract").str.split(_CANDIDATE, literal=False))
        .with_columns(gap_end=gap_len.list.head(pl.col("cands").list.len()), cand_end=cand_len)
        .explode(["cands", "gap_end", "cand_end"])
        .rename({"cands": "cand"})
        .with_columns(start=pl.col("gap_end") + pl.col("cand_end") - pl.col("cand").str.len_chars())
        .drop("gaps", "gap_end", "cand_end")
    )
    return pl.concat([single, several.select(single.columns)]).sort("row", "start")


def _trim_candidates(cands: pl.DataFrame) -> pl.DataFrame:
    """Cut sentence punctuation, quotes and unbalanced closing brackets off the end of each candidate.

    Balanced brackets stay (`https://en.wikipedia.org/wiki/Transformer_(deep_learning)`); a `)` with
    no `(` in the URL closes the surrounding prose. The result `raw` is a prefix of the candidate.
    """
    trimmed = cands.with_columns(raw=pl.col("cand"))
    raw = pl.col("raw")
    for _ in range(_TRIM_ROUNDS):
        # materialize each step: nesting the expressions would evaluate them exponentially often
        trimmed = trimmed.with_columns(raw=raw.str.replace(_TRAILING_PUNCT, ""))
        for opening, closing in (("(", ")"), ("[", "]")):
            unbalanced = raw.str.ends_with(closing) & (
                raw.str.count_matches(opening, literal=True) < raw.str.count_matches(closing, literal=True)
            )
            trimmed = trimmed.with_columns(raw=pl.when(unbalanced).then(raw.str.head(-1)).otherwise(raw))
    return (
        trimmed
        # a link cut by a space or line break is pasted without it
        .with_columns(url=pl.col("raw").str.replace_all(r"\s+", ""))
        .with_columns(span_end=pl.col("start") + pl.col("raw").str.len_chars())
        .rename({"start": "span_start"})
        # a bare scheme or `www.` is not a link: require a dotted host
        .filter(pl.col("url").str.contains(r"(?i)^(?:https?://)?(?:[^/?#\s.]+\.)+[a-z0-9]"))
    )


def _classify(links: pl.DataFrame) -> pl.DataFrame:
    """Add host, repo (`github:owner/name`, ... or null) and kind."""
    host = (
        pl.col("url")
        .str.extract(r"(?i)^(?:https?://)?([^/?#]+)", 1)
        .str.to_lowercase()
        .str.replace(r"^[^@]*@", "")  # user info
        .str.replace(r":\d*$", "")  # port
        .str.replace(r"\.$", "")  # fully qualified trailing dot
        .str.replace(r"^www\d?\.", "")
    )
    path = r"(?i)^(?:https?://)?[^/?#]+/(?<owner>[^/?#]+)/(?<name>[^/?#]+)"
    forge = pl.col("host").replace_strict(_REPO_HOSTS, default=None, return_dtype=pl.String)
    owner, name = pl.col("owner"), pl.col("name")
    is_repo = (
        forge.is_not_null()
        & owner.is_not_null()
        & ~owner.is_in(_NON_OWNER_SEGMENTS)
        & (name.str.len_chars() > 0)
        & ~name.is_in(["-", "."])
    )
    return (
        # owner and name are columns, not expressions: eager frames do not share repeated subexpressions
        links.with_columns(host=host, path=pl.col("url").str.extract_groups(path))
        .with_columns(
            owner=pl.col("path").struct.field("owner").str.to_lowercase(),
            name=pl.col("path").struct.field("name").str.to_lowercase().str.replace(r"\.git$", ""),
        )
        .with_columns(repo=pl.when(is_repo).then(pl.concat_str(forge, pl.lit(":"), owner, pl.lit("/"), name)))
        .drop("path", "owner", "name")
        .with_columns(
            kind=pl.when(pl.col("repo").is_not_null())
            .then(pl.lit("repository"))
            .when(pl.col("host").str.contains(_VIDEO_HOST))
            .then(pl.lit("video"))
            .otherwise(pl.lit("web"))
        )
    )


def _add_availability(links: pl.DataFrame) -> pl.DataFrame:
    """`announced` when the sentence holding the link says the resource is yet to be released."""
    before = pl.col("abstract").str.slice(0, pl.col("span_start")).str.extract(_SENTENCE_TAIL, 1)
    after = pl.col("abstract").str.slice(pl.col("span_end")).str.extract(_SENTENCE_HEAD, 1)
    sentence = pl.concat_str(before.fill_null(""), pl.lit(" "), after.fill_null(""))
    return links.with_columns(
        availability=pl.when(sentence.str.contains(_ANNOUNCED))
        .then(pl.lit("announced"))
        .otherwise(pl.lit("available"))
    )


def _drop_repeats(links: pl.DataFrame) -> pl.DataFrame:
    """Keep the first occurrence of a link repeated in one abstract.

    The gold file has one record per link and paper and never repeats a URL within a paper; the
    repeats in the abstracts are LaTeX `\\href` remnants written `X{X}` (or `X{X-without-scheme}`),
    i.e. one link typed twice. Comparison ignores scheme, `www.`, host case and a trailing slash.
    """
    key = pl.concat_str(
        pl.col("host"),
        pl.col("url").str.replace(r"(?i)^(?:https?://)?[^/?#]+", "").str.replace(r"/+$", ""),
    )
    return links.filter(key.is_first_distinct().over("row"))
