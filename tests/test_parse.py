"""Page layouts parse into records with provenance; everything else is quarantined with a reason, and
every content line ends in a record or a quarantined span."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline import rich
from pipeline.decode import decode_page
from pipeline.pages import parse_bytes, resolve_listing_date
from pipeline.parse import RECORD_SCHEMA, UNRECOGNIZED, classify_lines, parse_page
from pipeline.rich import with_metadata_kinds

SEEDS = Path(__file__).parent.parent / "data" / "seeds"
FIXTURES = Path(__file__).parent / "fixtures"
BAD = FIXTURES / "bad"

ABSTRACT = (
    "We propose a method that works well. It improves accuracy on ImageNet by a wide margin, and we show "
    "it in many experiments across several benchmarks and settings that matter to practitioners."
)
DAILY = (FIXTURES / "daily_small.txt").read_text()
TITLES = ["Towards Explainable", "Task-Optimized", "Lossless Compression"]
OTHER_TITLES = [
    "Sparse Mixtures of Experts at Scale",
    "Diffusion Models Beat GANs on Image Synthesis",
    "Vision Transformers Need Registers",
    "Retrieval-Augmented Generation for Knowledge-Intensive Tasks",
    "Scaling Laws for Neural Language Models",
    "Emergent Abilities of Large Language Models",
]


def accounted(page) -> bool:
    return page.records["n_lines"].sum() + page.quarantine["n_lines"].sum() == page.n_content_lines


@pytest.mark.parametrize(
    ("name", "layout", "n_records", "listing_date"),
    [
        ("000_31a3440507be5476.txt", "daily", 52, "Aug 29"),
        ("001_69746c5825f82e28.txt", "compact", 233, None),
        ("002_3985826f19fb3989.txt", "daily", 66, "Mar 13"),
        ("003_869f5de8d65b64d9.txt", "compact", 256, None),
        ("004_afc9ad89caaaa1bc.txt", "compact", 230, None),
    ],
)
def test_each_seed_page_parses_into_all_its_records(name, layout, n_records, listing_date):
    page = parse_page(decode_page((SEEDS / name).read_bytes()).text)
    assert page.layout == layout
    assert page.records.height == n_records
    assert page.quarantine.is_empty()
    assert page.listing_date_text == listing_date
    assert page.records["n_lines"].sum() == page.n_content_lines
    assert page.records["flags"].list.len().sum() == 0


def test_compact_layout_strips_subscribe_glued_to_the_first_title():
    page = parse_page((FIXTURES / "compact_small.txt").read_text())
    assert (
        page.records["title"][0]
        == "AutoInt: Automatic Feature Interaction Learning via Self-Attentive Neural Networks"
    )
    assert page.records["line_start"].to_list() == [3, 5, 7]


@pytest.mark.parametrize("word", ["Subscribers", "Subscribed"])
def test_a_title_that_starts_with_a_word_like_subscribe_keeps_it(word):
    page = parse_page("\n".join(["Subscribe", f"{word} Prefer Short Videos", ABSTRACT]))
    assert page.records["title"].to_list() == [f"{word} Prefer Short Videos"]


def test_daily_layout_records_point_at_their_title_lines():
    page = parse_page(DAILY)
    assert page.layout == "daily"
    assert page.records["line_start"].to_list() == [13, 17, 21]
    assert page.records["line_end"].to_list() == [15, 19, 23]
    assert page.records["position"].to_list() == [1, 2, 3]
    # 24 physical lines (the file ends with a newline): 12 blank, 6 chrome and date, 6 of papers.
    assert (page.n_lines, page.n_blank_lines, page.n_chrome_lines, page.n_content_lines) == (24, 12, 6, 6)


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_line_endings_do_not_change_the_records(newline):
    text = newline.join(["Subscribe", "", "A Title", "", ABSTRACT, "", "Another Title", "", ABSTRACT])
    page = parse_page(text)
    assert page.records.select("title", "line_start").rows() == [("A Title", 3), ("Another Title", 7)]


# Each fixture plants one defect; the records around it must stay exactly right.
@pytest.mark.parametrize(
    ("fixture", "titles", "quarantined", "flags"),
    [
        # The second record's abstract line was deleted: its title stands alone.
        ("title_without_abstract.txt", [TITLES[0], TITLES[2]], [(17, "title without an abstract")], []),
        # A title with no abstract was inserted before the second record: two titles in a row.
        (
            "two_titles_in_a_row.txt",
            ["AutoInt", "RREH", "Feature Generation"],
            [(5, "title without an abstract")],
            [],
        ),
        # The second record's title line was deleted: its abstract follows another abstract.
        (
            "abstract_without_title.txt",
            ["AutoInt", "Feature Generation"],
            [(5, "abstract without a title")],
            [],
        ),
        # The first abstract was broken over two lines mid-sentence.
        ("abstract_split_over_lines.txt", ["AutoInt", "RREH", "Feature Generation"], [], ["abstract_joined"]),
        # The file was cut in the middle of its last abstract.
        ("truncated_last_record.txt", TITLES, [], ["possibly_truncated"]),
    ],
)
def test_a_planted_defect_ends_in_quarantine_or_a_flag_and_its_neighbours_stay_right(
    fixture, titles, quarantined, flags
):
    page = parse_page((BAD / fixture).read_text())
    assert [t.split(":")[0][: len(p)] for t, p in zip(page.records["title"], titles, strict=True)] == titles
    assert page.quarantine.select("line_start", "reason").rows() == quarantined
    assert sorted(page.records["flags"].explode().drop_nulls()) == flags
    assert accounted(page)


def test_a_split_abstract_is_joined_back_into_one_text():
    cut = ABSTRACT.index(" ", 90)
    first, second = ABSTRACT[:cut], ABSTRACT[cut + 1 :]
    page = parse_page("\n".join(["A Paper", first, second, "Next Paper", ABSTRACT]))
    assert page.records["abstract"].to_list() == [f"{first} {second}", ABSTRACT]
    assert page.records["flags"].to_list() == [["abstract_joined"], []]


def test_two_whole_abstracts_in_a_row_are_two_papers_not_one_long_abstract():
    long = ABSTRACT * 6  # each over 1,000 characters: together longer than arXiv allows one abstract
    page = parse_page("\n".join(["First Paper", long, long, "Third Paper", long]))
    assert page.records["title"].to_list() == ["First Paper", "Third Paper"]
    assert page.quarantine.select("line_start", "reason").rows() == [(3, "abstract without a title")]


def test_a_missing_blank_line_does_not_glue_a_title_to_its_abstract():
    page = parse_page(DAILY.replace("Encoders\n\n", "Encoders\n", 1))
    assert page.records["title"].str.starts_with("Towards Explainable").to_list() == [True, False, False]
    assert page.quarantine.is_empty() and accounted(page)


@pytest.mark.parametrize(
    "cut_after", ["Lossless Compression with Probabilistic Circuits", "Lossless Compression"]
)
def test_a_file_cut_in_its_last_title_quarantines_only_that_title(cut_after):
    page = parse_page(DAILY[: DAILY.index(cut_after) + len(cut_after)])
    assert [t.startswith(p) for t, p in zip(page.records["title"], TITLES, strict=False)] == [True, True]
    assert page.records.height == 2
    assert page.quarantine["reason"].to_list() == [
        "title without an abstract at the end of the file (truncated record)"
    ]


def test_the_rich_export_is_parsed_with_its_metadata_in_columns():
    page = parse_page((BAD / "rich_export.txt").read_text())
    assert page.layout == "rich"
    assert page.records.select("paper_url", "n_authors", "published_on", "upvotes").rows() == [
        (f"https://huggingface.co/papers/2308.1600{i}", i + 3, "Aug 29", 12 * (i + 1)) for i in range(3)
    ]
    assert page.records["title"][0].startswith("Rich Towards Explainable")
    assert page.records["n_lines"].to_list() == [5, 5, 5]  # URL, title, metadata, abstract, upvotes
    assert accounted(page)


@pytest.mark.parametrize(
    "order",
    [["url", "title", "abstract"], ["title", "abstract", "url"], ["title", "url", "abstract"]],
)
def test_rich_metadata_goes_to_its_own_record_whether_it_leads_or_trails(order):
    lines = []
    for i in range(4):
        url = f"https://huggingface.co/papers/2401.0000{i}"
        values = {"url": url, "title": OTHER_TITLES[i], "abstract": ABSTRACT}
        lines += [values[field] for field in order] + [f"{i + 1} upvotes"]
    page = parse_page("\n".join(lines))
    assert page.layout == "rich"
    assert page.records.select("title", "paper_url", "upvotes").rows() == [
        (OTHER_TITLES[i], f"https://huggingface.co/papers/2401.0000{i}", i + 1) for i in range(4)
    ]


# Layouts we do not know must be quarantined whole, never parsed into garbage records.
@pytest.mark.parametrize(
    "fixture",
    [
        "rich_export_ambiguous.txt",  # the first URL is missing: URLs could lead or trail their records
        "unknown_layout.json",  # an export in JSON
    ],
)
def test_an_unknown_layout_fixture_is_quarantined_whole(fixture):
    page = parse_page((BAD / fixture).read_text())
    assert page.layout == "unrecognized" and page.records.is_empty()
    assert page.quarantine["reason"].to_list() == [UNRECOGNIZED]
    assert page.quarantine["detail"][0]
    assert accounted(page)


def _records_as(fmt: str) -> str:
    pairs = [(title, ABSTRACT) for title in OTHER_TITLES]
    formats = {
        "markdown": lambda t, a: f"## {t}\n\n{a}",
        "numbered": lambda t, a: f"{pairs.index((t, a)) + 1}. {t}\n{a}",
        "labelled": lambda t, a: f"Title: {t}\nAbstract: {a}",
        "yaml": lambda t, a: f"- title: {t}\n  abstract: {a}",
        "html": lambda t, a: f"<h3>{t}</h3>\n<p>{a}</p>",
        "abstract first": lambda t, a: f"{a}\n{t}",
        "csv": lambda t, a: f'"{t}","{a}"',
    }
    return "\n".join(formats[fmt](t, a) for t, a in pairs)


@pytest.mark.parametrize("fmt", ["markdown", "numbered", "labelled", "yaml", "html", "abstract first", "csv"])
def test_other_export_formats_are_unrecognized(fmt):
    page = parse_page(_records_as(fmt))
    assert (page.layout, page.records.height) == ("unrecognized", 0)
    assert accounted(page)


def test_an_overlong_line_is_quarantined_with_a_preview_and_the_rest_parses():
    text = "\n".join(["First Paper", ABSTRACT, "x" * 150_000, "Second Paper", ABSTRACT])
    page = parse_page(text)
    assert page.records["title"].to_list() == ["First Paper", "Second Paper"]
    overlong = page.quarantine.row(0, named=True)
    assert (overlong["line_start"], overlong["reason"]) == (3, "line longer than 100,000 characters")
    assert len(overlong["raw_text"]) < 3_000 and overlong["detail"] == "150000 characters"


def test_an_empty_page_has_no_records_and_no_quarantine():
    page = parse_page("\n\n   \n")
    assert page.layout == "empty"
    assert page.records.is_empty() and page.quarantine.is_empty()


def test_records_have_the_declared_schema():
    assert parse_page(DAILY).records.schema == pl.Schema(RECORD_SCHEMA)


def test_a_parser_failure_quarantines_the_file_instead_of_raising(monkeypatch):
    def broken(text: str):
        raise ValueError("boom")

    monkeypatch.setattr("pipeline.pages.parse_page", broken)
    _decoded, page = parse_bytes(DAILY.encode())
    assert (page.layout, page.quarantine["reason"].to_list()) == ("parser_error", ["parser error"])
    assert page.quarantine["detail"][0] == "ValueError: boom" and accounted(page)


# Random damage to a real page: whatever happens, every content line is held exactly once.
_DAMAGE = st.lists(
    st.tuples(st.sampled_from(["drop", "duplicate", "split", "blank"]), st.integers(0, 10_000)), max_size=6
)


@settings(max_examples=60, deadline=None)
@given(damage=_DAMAGE, compact=st.booleans())
def test_no_content_line_is_ever_lost_whatever_the_damage(damage, compact):
    lines = (FIXTURES / ("compact_small.txt" if compact else "daily_small.txt")).read_text().split("\n")
    for action, where in damage:
        i = where % len(lines)
        if action == "drop":
            del lines[i]
        elif action == "duplicate":
            lines.insert(i, lines[i])
        elif action == "split" and " " in lines[i][len(lines[i]) // 2 :]:
            cut = lines[i].index(" ", len(lines[i]) // 2)
            lines[i : i + 1] = [lines[i][:cut], lines[i][cut + 1 :]]
        elif action == "blank":
            lines.insert(i, "")
    page = parse_page("\n".join(lines))
    assert accounted(page)
    assert (page.records["title"].str.len_chars().max() or 0) <= 300
    assert (page.records["line_end"] >= page.records["line_start"]).all()


@pytest.mark.parametrize(
    ("text", "file_time", "year", "expected"),
    [
        ("Aug 29", dt.datetime(2025, 9, 1, tzinfo=dt.UTC), None, (dt.date(2025, 8, 29), "file_mtime")),
        # A page of late December saved in January belongs to the year before.
        ("Dec 30", dt.datetime(2026, 1, 2, tzinfo=dt.UTC), None, (dt.date(2025, 12, 30), "file_mtime")),
        ("Aug 29", dt.datetime(2025, 9, 1, tzinfo=dt.UTC), 2023, (dt.date(2023, 8, 29), "configured_year")),
        ("Aug 29, 2021", dt.datetime(2025, 9, 1, tzinfo=dt.UTC), 2023, (dt.date(2021, 8, 29), "page")),
        ("March 13", dt.datetime(2025, 9, 1, tzinfo=dt.UTC), None, (dt.date(2025, 3, 13), "file_mtime")),
        ("Feb 30", dt.datetime(2025, 9, 1, tzinfo=dt.UTC), None, (None, "invalid_date")),
        (None, dt.datetime(2025, 9, 1, tzinfo=dt.UTC), None, (None, None)),
    ],
)
def test_a_listing_date_without_a_year_is_resolved_and_says_how(text, file_time, year, expected):
    assert resolve_listing_date(text, file_time, year) == expected


@pytest.mark.parametrize(
    "title",
    [
        "Deep Residual Learning for Image Recognition.",  # a title written with a trailing period
        "cosFormer: Rethinking Softmax in Attention",  # a lower-case title after a cut abstract
    ],
)
def test_a_title_that_reads_like_an_abstract_tail_still_opens_its_record(title):
    # Planted ambiguity: the first abstract ends mid-sentence (no period), so a short unit after it
    # could be its tail; the long abstract right after the unit shows it is the next title.
    cut_abstract = ABSTRACT.rstrip(".") + " and"
    page = parse_page("\n".join(["First Paper", cut_abstract, title, ABSTRACT]))
    assert page.records.select("title", "abstract").rows() == [
        ("First Paper", cut_abstract),
        (title, ABSTRACT),
    ]
    assert page.quarantine.is_empty()


def test_the_short_tail_of_a_split_abstract_joins_it_when_a_title_follows():
    # Planted defect: the abstract's last sentence is on its own line, then the next paper starts.
    head, tail = ABSTRACT, "Code is available at https://github.com/example/repo."
    page = parse_page("\n".join(["First Paper", head, tail, "Second Paper", ABSTRACT]))
    assert page.records.select("title", "abstract").rows() == [
        ("First Paper", f"{head} {tail}"),
        ("Second Paper", ABSTRACT),
    ]


@pytest.mark.parametrize(
    ("first_line", "title"),
    [
        ("Subscribe[MASK] is All You Need", "[MASK] is All You Need"),  # glued before punctuation
        ("SubscribeAutoInt: Feature Interaction", "AutoInt: Feature Interaction"),
        ("Subscribers: A Study of Mailing Lists", "Subscribers: A Study of Mailing Lists"),  # a real word
    ],
)
def test_the_chrome_word_glued_to_the_first_title_is_removed_and_only_then(first_line, title):
    names = ["Sparse Attention", "Graph Kernels", "Neural Fields", "Token Merging", "Diffusion Priors"]
    others = [line for name in names for line in (name, ABSTRACT)]
    page = parse_page("\n".join(["Get trending papers in your email inbox!", first_line, ABSTRACT, *others]))
    assert page.layout == "compact"
    assert page.records["title"][0] == title


@pytest.mark.parametrize(
    ("line", "role"),
    [
        ("Daily Papers", "chrome"),
        ("DAILY   PAPERS", "chrome"),  # case and whitespace runs are normalized
        ("Get trending papers  in your email inbox!", "chrome"),
        ("Get" + " " * 60 + "trending papers in your email inbox!", "chrome"),  # long only by its padding
        ("byAK\tand the research community", "chrome"),
        ("Daily Papers of the Week: A Survey", "content"),
        ("Newton Methods for Deep Networks", "content"),
        ("Aug 29", "date"),
    ],
)
def test_a_chrome_line_is_told_by_its_normalized_text_whatever_its_length(line, role):
    lines = classify_lines("\n".join(["Towards Explainable", line, ABSTRACT]))
    assert lines["role"][1] == role


METADATA_LINES = [
    "https://huggingface.co/papers/2401.00001",
    "3 authors · Published on Jan 2 · 120 upvotes",
    "· 12 upvotes",  # starts with a separator: an empty first token
    "arXiv: 2401.12345v2 | 5 comments",
    "https://example.org/a|b · 3 authors",  # a separator inside a URL splits it: not metadata
    "Submitted by",
    "jdoe",  # the user name on the line after a bare `Submitted by`
    "Upvote",
    "42",
    "Updated Priors for Bayesian Inference",  # a title that starts like a date token
    "3D Gaussian Splatting for Real-Time Rendering",  # a title that starts with a digit
    "Published on Jan 2 · by the authors of a very different paper",
    ABSTRACT,
]


@pytest.mark.parametrize("first", range(len(METADATA_LINES)))
def test_the_first_token_shortcut_finds_the_same_metadata_lines_as_tokenizing_every_line(first, monkeypatch):
    lines = METADATA_LINES[first:] + METADATA_LINES[:first]
    content = pl.DataFrame(
        {"line_no": range(1, len(lines) + 1), "text": lines}, schema={"line_no": pl.Int32, "text": pl.String}
    )
    fast = with_metadata_kinds(content)
    monkeypatch.setattr(rich, "_FIRST_TOKEN_KNOWN", "")  # every short line goes through the tokenizer
    assert fast.equals(with_metadata_kinds(content))
    assert fast["meta_kind"].drop_nulls().len() >= 7  # the lines above that are metadata are found
