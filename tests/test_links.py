"""Tests for pipeline.links.extract_links: one case per pitfall seen in real abstracts."""

from __future__ import annotations

import collections
import json
import re
import unicodedata
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.links import LINKS_SCHEMA, extract_links

GOLD = Path("/work/shared/gold/dev.jsonl")
SEEDS = Path("/work/shared/seeds")


def links_of(abstract: str) -> list[dict]:
    """Extract the links of one abstract as a list of row dicts."""
    return extract_links(pl.DataFrame({"paper_id": ["p"], "abstract": [abstract]})).to_dicts()


def only_link(abstract: str) -> dict:
    rows = links_of(abstract)
    assert len(rows) == 1, rows
    return rows[0]


# --- cleaning: (abstract, expected url, expected raw) --------------------------------------------------
CLEANING_CASES = {
    "trailing full stop": ("Code is at https://github.com/a/b.", "https://github.com/a/b", None),
    "trailing comma": ("See https://x.org/q, and more.", "https://x.org/q", None),
    "trailing semicolon": ("Code: https://x.org/q; data: none.", "https://x.org/q", None),
    "trailing colon": ("Visit https://x.org/q: it has demos.", "https://x.org/q", None),
    "closing parenthesis": ("(code: https://github.com/a/b).", "https://github.com/a/b", None),
    "closing bracket": ("at [https://github.com/a/b].", "https://github.com/a/b", None),
    "closing brace": ("at {https://github.com/a/b}.", "https://github.com/a/b", None),
    "double quotes": ('Code "https://x.org/q".', "https://x.org/q", None),
    "single quotes": ("Code 'https://x.org/q'.", "https://x.org/q", None),
    "typographic quotes": ("Code \u201chttps://x.org/q\u201d.", "https://x.org/q", None),
    "latex url command": (r"Code: \url{https://github.com/a/b}", "https://github.com/a/b", None),
    "latex tilde group": ("available at~{https://github.com/HRNet}.", "https://github.com/HRNet", None),
    "latex colour group": ("link: blue{https://github.com/a/b}.", "https://github.com/a/b", None),
    "latex href": (r"Code \href{https://github.com/a/b}{here}.", "https://github.com/a/b", None),
    "doubled url": ("at https://github.com/a/b{https://github.com/a/b}.", "https://github.com/a/b", None),
    "doubled url without scheme": (
        "at https://github.com/a/b{github.com/a/b}.",
        "https://github.com/a/b",
        None,
    ),
    "literal URL suffix": ("at https://github.com/a/b/{URL}.", "https://github.com/a/b/", None),
    "display text suffix": ("at https://github.com/a/V2L{V^2L}.", "https://github.com/a/V2L", None),
    "dot git ending": ("at https://github.com/a/b.git.", "https://github.com/a/b.git", None),
    "tree sub-path": (
        "at https://github.com/tf/models/tree/master/research/delf .",
        "https://github.com/tf/models/tree/master/research/delf",
        None,
    ),
    "blob sub-path": (
        "at https://github.com/a/b/blob/main/x.py.",
        "https://github.com/a/b/blob/main/x.py",
        None,
    ),
    "trailing slash kept": ("at https://www.cs.umd.edu/~s/LiFT/.", "https://www.cs.umd.edu/~s/LiFT/", None),
    "plain http": ("at http://www.bhchen.cn/.", "http://www.bhchen.cn/", None),
    "www without scheme": ("see www.example.com/page, too.", "www.example.com/page", None),
    "bare code host": ("code: github.com/a/b.", "github.com/a/b", None),
    "balanced parentheses": (
        "(see https://en.wikipedia.org/wiki/A_(b)).",
        "https://en.wikipedia.org/wiki/A_(b)",
        None,
    ),
    "markdown link": ("[code](https://github.com/a/b).", "https://github.com/a/b", None),
    "space after host slash": (
        "at https://github.com/ foo/bar.",
        "https://github.com/foo/bar",
        "https://github.com/ foo/bar",
    ),
    "line break after host slash": (
        "at https://github.com/\nfoo/bar.",
        "https://github.com/foo/bar",
        "https://github.com/\nfoo/bar",
    ),
    "space inside host": ("at github. com/x/y.", "github.com/x/y", "github. com/x/y"),
    "space after scheme": (
        "at https:// github.com/x/y.",
        "https://github.com/x/y",
        "https:// github.com/x/y",
    ),
}


@pytest.mark.parametrize(("abstract", "url", "raw"), CLEANING_CASES.values(), ids=CLEANING_CASES.keys())
def test_the_url_is_cleaned_as_a_user_would_paste_it(abstract: str, url: str, raw: str | None) -> None:
    row = only_link(abstract)
    assert row["url"] == url
    assert row["raw"] == (raw or url)
    assert abstract[row["span_start"] : row["span_end"]] == row["raw"]


# --- classification: (url in a sentence, kind, repo, host) -------------------------------------------------
CLASSIFY_CASES = {
    "github repository": ("https://github.com/Owner/Repo", "repository", "github:owner/repo", "github.com"),
    "github dot git": ("https://github.com/Owner/Repo.git", "repository", "github:owner/repo", "github.com"),
    "github tree path": (
        "https://github.com/tf/Models/tree/master/x",
        "repository",
        "github:tf/models",
        "github.com",
    ),
    "github blob path": ("https://github.com/a/b/blob/main/x.py", "repository", "github:a/b", "github.com"),
    "github with www": ("http://www.github.com/A/B/", "repository", "github:a/b", "github.com"),
    "gitlab repository": ("https://gitlab.com/Grp/Proj.git", "repository", "gitlab:grp/proj", "gitlab.com"),
    "bitbucket repository": (
        "https://bitbucket.org/Team/Repo/src",
        "repository",
        "bitbucket:team/repo",
        "bitbucket.org",
    ),
    "github user page": ("https://github.com/HRNet", "web", None, "github.com"),
    "github user page slash": ("https://github.com/HRNet/", "web", None, "github.com"),
    "github organization": ("https://github.com/orgs/foo/repositories", "web", None, "github.com"),
    "github features": ("https://github.com/features/actions", "web", None, "github.com"),
    "github sponsors": ("https://github.com/sponsors/someone", "web", None, "github.com"),
    "github.io project page": (
        "https://ma-lab-berkeley.github.io/CRATE",
        "web",
        None,
        "ma-lab-berkeley.github.io",
    ),
    "youtube watch": ("https://www.youtube.com/watch?v=abc_123", "video", None, "youtube.com"),
    "youtu.be": ("https://youtu.be/gCuUyGETbTU", "video", None, "youtu.be"),
    "hugging face": ("https://huggingface.co/datasets/a/b", "web", None, "huggingface.co"),
    "short link": ("https://aka.ms/retnet", "web", None, "aka.ms"),
    "upper-case host": ("HTTPS://GitHub.COM/A/B", "repository", "github:a/b", "github.com"),
    "port": ("http://example.org:8080/x", "web", None, "example.org"),
}


@pytest.mark.parametrize(("url", "kind", "repo", "host"), CLASSIFY_CASES.values(), ids=CLASSIFY_CASES.keys())
def test_each_link_gets_kind_repo_and_host(url: str, kind: str, repo: str | None, host: str) -> None:
    row = only_link(f"Our code is available at {url}.")
    assert (row["kind"], row["repo"], row["host"]) == (kind, repo, host)


# --- availability ------------------------------------------------------------------------------------------
AVAILABILITY_CASES = {
    "is available": ("Code is available at https://github.com/a/b.", "available"),
    "released publicly": (
        "Our code and models are released publicly at https://github.com/a/b.",
        "available",
    ),
    "will be released": ("Code will be released at https://github.com/a/b.", "announced"),
    "will be publicly made available": (
        "The source will be publicly made available at https://github.com/a/b",
        "announced",
    ),
    "will be available": ("Codes will be available at https://github.com/a/b", "announced"),
    "will be published on": ("The code will be published on: https://github.com/a/b .", "announced"),
    "we will release": ("We will release our code at https://github.com/a/b.", "announced"),
    "will make available": (
        "We will make the code publicly available at https://github.com/a/b.",
        "announced",
    ),
    "to be released": ("Code (to be released): https://github.com/a/b.", "announced"),
    "coming soon": ("Code: https://github.com/a/b (coming soon).", "announced"),
    "upon acceptance": ("Code will be at https://github.com/a/b upon acceptance.", "announced"),
    "after publication": ("Code is at https://github.com/a/b after publication.", "announced"),
    "will be open-sourced": ("The code will be open-sourced at https://github.com/a/b.", "announced"),
    "will soon be": ("Models will soon be on https://huggingface.co/a.", "announced"),
    "plan to release": ("We plan to release the code at https://github.com/a/b.", "announced"),
    "in the near future": ("Code: https://github.com/a/b, in the near future.", "announced"),
    "publicly available soon": (
        "Code will be publicly available soon at https://github.com/a/b.",
        "announced",
    ),
    "will provide the code": ("We will provide the code at https://github.com/a/b.", "announced"),
    "future research": ("We hope it aids future research. Code: https://github.com/a/b.", "available"),
    "future work in the same sentence": (
        "Code for future research is available at https://github.com/a/b.",
        "available",
    ),
    "future tense in the previous sentence": (
        "We will show it. Code is at https://github.com/a/b.",
        "available",
    ),
    "future tense in the next sentence": (
        "Code is at https://github.com/a/b. Data will be released.",
        "available",
    ),
    "future tense about the paper": (
        "We will provide a recipe for training, along with the framework as open-source: https://github.com/a/b.",
        "available",
    ),
    "will that is not a release": (
        "Code is at https://github.com/a/b, which will help research.",
        "available",
    ),
    "sentence glued to the previous one": (
        "It will scale.Codes are available at https://github.com/a/b.",
        "available",
    ),
}


@pytest.mark.parametrize(
    ("abstract", "availability"), AVAILABILITY_CASES.values(), ids=AVAILABILITY_CASES.keys()
)
def test_availability_follows_the_sentence_holding_the_link(abstract: str, availability: str) -> None:
    assert only_link(abstract)["availability"] == availability


def test_every_link_of_an_announcing_sentence_is_announced() -> None:
    rows = links_of(
        "Code will be released at https://github.com/a/b and https://github.com/c/d. See https://x.org/"
    )
    assert [r["availability"] for r in rows] == ["announced", "announced", "available"]


# --- several links, repeats, spans -------------------------------------------------------------------------
def test_several_links_in_one_sentence_are_all_found_in_text_order() -> None:
    abstract = (
        "Pytorch code can be found at https://github.com/a/MASTER-pytorch, and Tensorflow code at "
        "https://github.com/b/MASTER-TF. Videos: https://youtu.be/x (part 1) and https://youtu.be/y (part 2)."
    )
    rows = links_of(abstract)
    assert [r["url"] for r in rows] == [
        "https://github.com/a/MASTER-pytorch",
        "https://github.com/b/MASTER-TF",
        "https://youtu.be/x",
        "https://youtu.be/y",
    ]
    assert all(abstract[r["span_start"] : r["span_end"]] == r["raw"] for r in rows)


def test_a_link_repeated_in_one_abstract_gives_one_row_at_its_first_occurrence() -> None:
    rows = links_of("Code: https://github.com/a/b. Again, see http://github.com/a/b/ for the code.")
    assert [(r["url"], r["span_start"]) for r in rows] == [("https://github.com/a/b", 6)]


def test_the_same_link_in_two_papers_gives_one_row_per_paper() -> None:
    papers = pl.DataFrame(
        {"paper_id": ["b", "a"], "abstract": ["At https://x.org/q.", "At https://x.org/q."]}
    )
    assert extract_links(papers)["paper_id"].to_list() == ["a", "b"]


@pytest.mark.parametrize(
    "prefix",
    ["Poincaré ", "Fréchet — “quoted” ", "日本語のテキスト。", "emoji 🚀 and math ≥ 3 "],
    ids=["accent", "dash and quotes", "cjk", "astral plane"],
)
def test_spans_are_python_character_offsets_after_non_ascii_text(prefix: str) -> None:
    abstract = f"{prefix}code at https://github.com/a/b and café https://x.org/é."
    rows = links_of(abstract)
    assert [r["raw"] for r in rows] == ["https://github.com/a/b", "https://x.org/é"]
    assert rows[0]["span_start"] == len(prefix) + len("code at ")
    assert all(abstract[r["span_start"] : r["span_end"]] == r["raw"] for r in rows)


@pytest.mark.parametrize(
    "abstract",
    [
        "Paths like model.pt/abc, torch.nn/foo and node.js/x are not links.",
        "Trained on COCO.In/out pairs and ImageNet. In/out pairs are not links.",
        "A bare scheme https:// or www. alone is not a link.",
        "An e-mail author@example.com is not a link.",
        "Results (Fig. 3) and e.g. ResNet-50/101 are not links.",
    ],
    ids=["file names", "sentence ends", "bare scheme", "e-mail", "prose"],
)
def test_text_that_only_looks_like_a_link_gives_no_row(abstract: str) -> None:
    assert links_of(abstract) == []


# --- frame contract ----------------------------------------------------------------------------------------
def test_output_has_the_exact_schema_and_sort_order() -> None:
    papers = pl.DataFrame(
        {
            "paper_id": ["p2", "p1", "p3"],
            "abstract": ["B https://b.org/2 then https://b.org/1", "A https://a.org/", None],
        }
    )
    out = extract_links(papers)
    assert out.schema == LINKS_SCHEMA
    assert out.select("paper_id", "span_start").rows() == [("p1", 2), ("p2", 2), ("p2", 23)]


@pytest.mark.parametrize(
    "papers",
    [
        pl.DataFrame(schema={"paper_id": pl.String, "abstract": pl.String}),
        pl.DataFrame({"paper_id": ["p"], "abstract": ["No links in this abstract."]}),
        pl.DataFrame(
            {"paper_id": ["p"], "abstract": [None]}, schema={"paper_id": pl.String, "abstract": pl.String}
        ),
    ],
    ids=["empty input", "no links", "null abstract"],
)
def test_no_links_gives_an_empty_frame_with_the_schema(papers: pl.DataFrame) -> None:
    out = extract_links(papers)
    assert out.height == 0
    assert out.schema == LINKS_SCHEMA


_URLS = st.sampled_from(
    ["https://github.com/a/b", "http://x.org/p_(q)", "www.y.io/z", "https://youtu.be/v", "github.com/o/r.git"]
)
_WORDS = st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=12).map(
    lambda s: re.sub(r"[:/.{}\\]", " ", s)
)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(_WORDS, _URLS, st.sampled_from(["", ".", ",", ")", "}", ";"])), max_size=4))
def test_raw_is_always_the_abstract_substring_at_the_span(parts: list[tuple[str, str, str]]) -> None:
    abstract = "".join(f"{words} {url}{punct} " for words, url, punct in parts)
    rows = links_of(abstract)
    assert all(abstract[r["span_start"] : r["span_end"]] == r["raw"] for r in rows)
    assert {r["url"] for r in rows} == {url for _, url, _ in parts}


# --- dev gold set ------------------------------------------------------------------------------------------
_CHROME = {
    "new",
    "Subscribe",
    "Daily Papers",
    "byAK and the research community",
    "Get trending papers in your email inbox!",
    "Get trending papers in your email inbox once a day!",
}
_DATE = re.compile(r"^[A-Z][a-z]{2} \d{1,2}$")


def _title_key(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", unicodedata.normalize("NFKC", title).lower()).strip()


def _url_key(url: str) -> str:
    m = re.match(r"(?i)^(https?)://([^/]+)(.*)$", url.strip())
    url = f"{m[1].lower()}://{m[2].lower()}{m[3]}" if m else url.strip()
    return url.rstrip("/")


def _seed_papers() -> pl.DataFrame:
    """(title, abstract) pairs of the seeds; the longer abstract when a title repeats."""
    best: dict[str, str] = {}
    for path in sorted(SEEDS.glob("*.txt")):
        lines = [s for s in path.read_text(encoding="utf-8").splitlines() if s.strip()]
        lines = [s for s in lines if s.strip() not in _CHROME and not _DATE.match(s.strip())]
        lines[0] = lines[0].removeprefix("Subscribe")
        for title, abstract in zip(lines[::2], lines[1::2], strict=True):
            if len(abstract) > len(best.get(title, "")):
                best[title] = abstract
    return pl.DataFrame({"paper_id": list(best), "abstract": list(best.values())})


@pytest.mark.skipif(not (GOLD.exists() and SEEDS.exists()), reason="shared gold set not available")
def test_links_match_the_dev_gold_set() -> None:
    gold = {_title_key(r["title"]): r["links"] for r in map(json.loads, GOLD.read_text().splitlines())}
    found = extract_links(_seed_papers())
    pred = collections.defaultdict(list)
    for row in found.iter_rows(named=True):
        if _title_key(row["paper_id"]) in gold:
            pred[_title_key(row["paper_id"])].append(row)
    n_gold = sum(map(len, gold.values()))
    n_pred = sum(map(len, pred.values()))
    pairs = []
    for key, links in gold.items():
        pool = {_url_key(r["url"]): r for r in pred[key]}
        pairs += [(g, pool[_url_key(g["url"])]) for g in links if _url_key(g["url"]) in pool]
    precision, recall = len(pairs) / n_pred, len(pairs) / n_gold
    assert 2 * precision * recall / (precision + recall) >= 0.99
    for field in ("kind", "repo", "availability"):
        accuracy = sum((g[field] or None) == (p[field] or None) for g, p in pairs) / len(pairs)
        assert accuracy >= 0.98, field
