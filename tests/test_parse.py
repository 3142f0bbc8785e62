"""Both page layouts parse into records with provenance; everything else is quarantined with a reason."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from pipeline.decode import decode_page
from pipeline.parse import parse_page

SEEDS = Path(__file__).parent.parent / "data" / "seeds"
FIXTURES = Path(__file__).parent / "fixtures"

ABSTRACT = (
    "We propose a method that works well. It improves accuracy on ImageNet by a wide margin, and we show "
    "it in many experiments across several benchmarks and settings that matter to practitioners."
)


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


def test_compact_layout_strips_subscribe_glued_to_the_first_title():
    page = parse_page((FIXTURES / "compact_small.txt").read_text())
    assert (
        page.records["title"][0]
        == "AutoInt: Automatic Feature Interaction Learning via Self-Attentive Neural Networks"
    )
    assert page.records["line_start"].to_list() == [3, 5, 7]


def test_daily_layout_records_point_at_their_title_lines():
    page = parse_page((FIXTURES / "daily_small.txt").read_text())
    assert page.layout == "daily"
    assert page.records["line_start"].to_list() == [13, 17, 21]
    assert page.records["line_end"].to_list() == [15, 19, 23]
    assert page.records["position"].to_list() == [1, 2, 3]


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_line_endings_do_not_change_the_records(newline):
    text = newline.join(["Subscribe", "", "A Title", "", ABSTRACT, "", "Another Title", "", ABSTRACT])
    page = parse_page(text)
    assert page.records.select("title", "line_start").rows() == [("A Title", 3), ("Another Title", 7)]


def test_a_title_without_an_abstract_is_quarantined_and_its_neighbours_stay_right():
    # Planted defect: the second record lost its abstract, so two titles follow each other.
    text = "\n".join(["First Paper", ABSTRACT, "Orphan Title", "Third Paper", ABSTRACT])
    page = parse_page(text)
    assert page.records.select("title", "abstract").rows() == [
        ("First Paper", ABSTRACT),
        ("Third Paper", ABSTRACT),
    ]
    assert page.quarantine.select("line_start", "reason").rows() == [(3, "title without an abstract")]


def test_an_abstract_split_over_two_lines_is_joined_and_flagged():
    # Planted defect: a line break in the middle of an abstract.
    cut = ABSTRACT.index(" ", 90)
    first, second = ABSTRACT[:cut], ABSTRACT[cut + 1 :]
    page = parse_page("\n".join(["A Paper", first, second, "Next Paper", ABSTRACT]))
    assert page.records["abstract"][0] == f"{first} {second}"
    assert page.records["flags"][0].to_list() == ["abstract_joined"]
    assert page.records["title"][1] == "Next Paper"


def test_a_page_of_unknown_layout_is_quarantined_whole_not_parsed_into_garbage():
    text = "\n".join(
        f"https://huggingface.co/papers/2401.{i:05d}\nSome Title {i}\n3 authors" for i in range(10)
    )
    page = parse_page(text)
    assert page.layout == "unrecognized"
    assert page.records.is_empty()
    assert page.quarantine["reason"].to_list() == ["unrecognized layout"]
    assert page.quarantine["n_lines"].sum() == page.n_content_lines


def test_an_empty_page_has_no_records_and_no_quarantine():
    page = parse_page("\n\n   \n")
    assert page.layout == "empty"
    assert page.records.is_empty() and page.quarantine.is_empty()


def test_records_have_the_declared_schema():
    page = parse_page((FIXTURES / "daily_small.txt").read_text())
    assert page.records.schema == pl.Schema(
        {
            "position": pl.Int32,
            "line_start": pl.Int32,
            "line_end": pl.Int32,
            "n_lines": pl.Int32,
            "title": pl.String,
            "abstract": pl.String,
            "flags": pl.List(pl.String),
        }
    )
