"""Re-keying only the touched titles gives exactly the occurrences a full recompute gives."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from pipeline.dedup import assign_paper_ids, build_abstract_versions, build_paper_tables, build_papers
from pipeline.incremental_dedup import (
    PAPER_INPUT_COLUMNS,
    _insert_sources,
    _rows_where,
    update_occurrences,
    update_papers,
)
from tests.test_expectations import page_version

SEEDS = Path(__file__).parent.parent / "data" / "seeds"


def _records(name: str, data: bytes) -> pl.DataFrame:
    return page_version(name, data).records


@pytest.fixture(scope="module")
def versions() -> dict[str, pl.DataFrame]:
    """Records of the five seed pages, of a page repeating some of their titles with other abstracts,
    and of a second version of one seed page with a record edited."""
    pages = {path.stem: path.read_bytes() for path in sorted(SEEDS.glob("*.txt"))}
    first_name, first = next(iter(pages.items()))
    records = {name: _records(name, data) for name, data in pages.items()}
    sample = records[first_name].head(5)
    namesakes = "\n\n".join(
        f"{title}\n\nWe count the ducks of pond number {i} every morning for a year and report how "
        f"their numbers change with the weather, the season and the bread that visitors bring along."
        for i, title in enumerate(sample["title"])
    )
    records["namesakes"] = _records("namesakes", namesakes.encode())
    edited = first.replace(sample["abstract"][0].encode()[:40], b"Edited opening words of this abstract, ")
    records[f"{first_name} v2"] = _records(first_name, edited)
    assert (
        edited != first and records[f"{first_name} v2"]["source_id"][0] != records[first_name]["source_id"][0]
    )
    return records


def _full(versions: dict[str, pl.DataFrame], names: list[str]) -> pl.DataFrame:
    return assign_paper_ids(pl.concat([versions[n] for n in names])).sort("source_id", "position")


def _source_ids(versions: dict[str, pl.DataFrame], names: list[str]) -> list[str]:
    return [versions[n]["source_id"][0] for n in names]


def _step(versions, before: list[str], after: list[str]) -> pl.DataFrame:
    previous = _full(versions, before)
    held = set(previous["source_id"].unique())
    new = [versions[n] for n in after if versions[n]["source_id"][0] not in held]
    new_records = pl.concat(new) if new else versions[after[0]].head(0)
    return update_occurrences(previous, _source_ids(versions, after), new_records).table


def _scenarios(names: list[str]) -> list[tuple[str, list[str], list[str]]]:
    seeds = [n for n in names if n != "namesakes" and not n.endswith(" v2")]
    first = seeds[0]
    return [
        ("a page arrives", seeds[:-1], seeds),
        ("a page with namesakes arrives", seeds, [*seeds, "namesakes"]),
        ("the namesakes page leaves", [*seeds, "namesakes"], seeds),
        ("a page is replaced by a new version", seeds, [f"{first} v2", *seeds[1:]]),
        ("nothing changes", seeds, seeds),
        ("everything is new", [], seeds),
    ]


@pytest.mark.parametrize("scenario", range(6))
def test_updating_the_touched_titles_equals_a_full_recompute(versions, scenario):
    name, before, after = _scenarios(list(versions))[scenario]
    if not before:
        previous = _full(versions, after).head(0)
        updated = update_occurrences(
            previous, _source_ids(versions, after), pl.concat([versions[n] for n in after])
        ).table
    else:
        updated = _step(versions, before, after)
    expected = _full(versions, after)
    assert updated.height == expected.height, name
    assert updated.equals(expected), name


def test_namesakes_with_unrelated_abstracts_get_their_own_ids(versions):
    """The scenario set is not trivial: the namesakes split from the seed papers of the same title."""
    seeds = [n for n in versions if n != "namesakes" and not n.endswith(" v2")]
    occurrences = _step(versions, seeds, [*seeds, "namesakes"])
    namesakes = occurrences.filter(pl.col("source_id") == versions["namesakes"]["source_id"][0])
    same_titles = occurrences.filter(pl.col("title").is_in(namesakes["title"].implode()))
    assert namesakes.height == 5
    assert same_titles["paper_id"].n_unique() == 10


@pytest.mark.parametrize("scenario", range(5))
def test_rebuilding_the_touched_papers_equals_a_full_rebuild(versions, scenario):
    name, before, after = _scenarios(list(versions))[scenario]
    previous = _full(versions, before)
    old_papers = build_papers(previous)
    old_versions = build_abstract_versions(previous, old_papers)
    held = set(previous["source_id"].unique())
    new = [versions[n] for n in after if versions[n]["source_id"][0] not in held]
    new_records = pl.concat(new) if new else versions[after[0]].head(0)
    update = update_occurrences(previous, _source_ids(versions, after), new_records)
    papers, abstract_versions = update_papers(
        old_papers, old_versions, update.table, update.touched_paper_ids
    )
    expected_papers = build_papers(update.table)
    assert papers.equals(expected_papers), name
    assert abstract_versions.equals(build_abstract_versions(update.table, expected_papers)), name
    assert update.touched_paper_ids.len() < expected_papers.height or name == "nothing changes", name


@pytest.mark.parametrize(
    "mask",
    [
        [True] * 6,
        [False] * 6,
        [True, True, False, False, True, True],
        [False, True, False, True, False, True],
        [True, False, False, False, False, False],
    ],
)
def test_rows_kept_as_slices_are_the_rows_a_filter_keeps(mask: list[bool]):
    frame = pl.DataFrame({"source_id": list("aabbcc"), "abstract": [f"text {i}" for i in range(6)]})
    kept = _rows_where(frame, pl.Series(mask))
    assert kept.equals(frame.filter(pl.Series(mask)))


@pytest.mark.parametrize(
    "arrived_sources",
    [["0"], ["bb"], ["z"], ["0", "bb", "z"], ["bb", "bc"]],
    ids=["before all", "between two", "after all", "everywhere", "two at one place"],
)
def test_arrived_sources_are_spliced_in_where_a_sort_puts_them(arrived_sources: list[str]):
    kept = pl.DataFrame({"source_id": ["a", "a", "b", "c"], "position": [1, 2, 1, 1]})
    arrived = pl.DataFrame(
        {
            "source_id": [s for s in arrived_sources for _ in range(2)][::-1],
            "position": [p for _ in arrived_sources for p in (1, 2)][::-1],
        }
    )
    expected = pl.concat([kept, arrived]).sort("source_id", "position")
    assert _insert_sources(kept, arrived).equals(expected)


def test_a_source_already_held_is_merged_row_by_row():
    kept = pl.DataFrame({"source_id": ["a", "b", "b"], "position": [1, 1, 3]})
    arrived = pl.DataFrame({"source_id": ["b"], "position": [2]})
    assert _insert_sources(kept, arrived)["position"].to_list() == [1, 1, 2, 3]


def test_an_unsorted_previous_table_is_updated_as_a_sorted_one(versions):
    seeds = [n for n in versions if n != "namesakes" and not n.endswith(" v2")]
    previous = _full(versions, seeds)
    shuffled = previous.sample(fraction=1.0, shuffle=True, seed=3)
    after = [*seeds, "namesakes"]
    from_sorted = update_occurrences(previous, _source_ids(versions, after), versions["namesakes"])
    from_shuffled = update_occurrences(shuffled, _source_ids(versions, after), versions["namesakes"])
    assert from_shuffled.table.equals(from_sorted.table)
    assert from_shuffled.touched_paper_ids.equals(from_sorted.touched_paper_ids)


def test_papers_rebuilt_from_only_the_touched_rows_equal_those_rebuilt_from_all(versions):
    seeds = [n for n in versions if n != "namesakes" and not n.endswith(" v2")]
    previous = _full(versions, seeds)
    old_papers, old_versions = build_paper_tables(previous)
    update = update_occurrences(previous, _source_ids(versions, [*seeds, "namesakes"]), versions["namesakes"])
    touched_rows = update.table.filter(pl.col("paper_id").is_in(update.touched_paper_ids.implode()))
    from_all = update_papers(old_papers, old_versions, update.table, update.touched_paper_ids)
    from_touched = update_papers(
        old_papers, old_versions, touched_rows.select(PAPER_INPUT_COLUMNS), update.touched_paper_ids
    )
    assert from_touched[0].equals(from_all[0]) and from_touched[1].equals(from_all[1])
    assert touched_rows.height < update.table.height


def test_both_paper_tables_at_once_equal_each_built_alone(versions):
    occurrences = _full(versions, list(versions))
    papers, abstract_versions = build_paper_tables(occurrences)
    assert papers.equals(build_papers(occurrences))
    assert abstract_versions.equals(build_abstract_versions(occurrences, papers))
