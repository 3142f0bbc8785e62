"""Every version of every file is kept; the current warehouse reflects the bytes each file has now."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from pipeline.versions import resolve_source_status

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def version(key: str, sha: str, day: int, layout: str = "daily") -> dict:
    return {
        "source_id": f"{key}@{sha * 12}",
        "partition_key": key,
        "file_name": key,
        "sha256": sha * 64,
        "layout": layout,
        "ingested_at": T0 + dt.timedelta(days=day),
    }


def statuses(versions: list[dict], present: dict[str, str | None]) -> dict[str, str]:
    table = resolve_source_status(pl.DataFrame(versions), present)
    return dict(table.select("source_id", "status").iter_rows())


def test_a_changed_file_keeps_its_old_version_as_superseded():
    result = statuses([version("a", "1", 0), version("a", "2", 1)], {"a": "2" * 64})
    assert result == {"a@" + "1" * 12: "superseded", "a@" + "2" * 12: "current"}


def test_a_file_changed_back_makes_its_older_bytes_current_again():
    # A -> B -> A: the newest ingested version is B, but the file holds A's bytes again.
    result = statuses([version("a", "1", 0), version("a", "2", 1)], {"a": "1" * 64})
    assert result == {"a@" + "1" * 12: "current", "a@" + "2" * 12: "superseded"}


def test_a_deleted_file_keeps_its_history_and_leaves_the_current_warehouse():
    result = statuses([version("a", "1", 0), version("a", "2", 1)], {})
    assert result == {"a@" + "1" * 12: "superseded", "a@" + "2" * 12: "deleted"}


def test_a_file_still_being_written_keeps_its_last_version_current():
    result = statuses([version("a", "1", 0)], {"a": None})
    assert result == {"a@" + "1" * 12: "current"}


def test_a_file_changed_but_not_ingested_yet_keeps_its_newest_ingested_version_current():
    result = statuses([version("a", "1", 0), version("a", "2", 1)], {"a": "3" * 64})
    assert result["a@" + "2" * 12] == "current"


def test_a_byte_identical_copy_is_a_duplicate_of_the_first_name():
    table = resolve_source_status(
        pl.DataFrame([version("b", "1", 0), version("a", "1", 1)]), {"a": "1" * 64, "b": "1" * 64}
    )
    rows = {r["source_id"]: (r["status"], r["duplicate_of"]) for r in table.iter_rows(named=True)}
    assert rows == {"a@" + "1" * 12: ("current", None), "b@" + "1" * 12: ("duplicate", "a@" + "1" * 12)}


@pytest.mark.parametrize(("layout", "status"), [("empty", "empty"), ("binary", "quarantined")])
def test_identical_empty_or_bad_files_each_keep_their_own_status(layout, status):
    versions = [version("a", "0", 0, layout), version("b", "0", 0, layout)]
    assert set(statuses(versions, {"a": "0" * 64, "b": "0" * 64}).values()) == {status}


@pytest.mark.parametrize("layout", ["unrecognized", "binary", "parser_error"])
def test_a_version_without_records_is_quarantined(layout):
    assert statuses([version("a", "1", 0, layout)], {"a": "1" * 64}) == {"a@" + "1" * 12: "quarantined"}


def test_a_plain_list_of_present_keys_means_each_file_s_newest_version():
    result = statuses([version("a", "1", 0), version("a", "2", 1), version("b", "3", 0)], ["a"])
    assert result == {"a@" + "1" * 12: "superseded", "a@" + "2" * 12: "current", "b@" + "3" * 12: "deleted"}
