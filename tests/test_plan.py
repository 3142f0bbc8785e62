"""The run planner: new, changed, unchanged and removed files, and the partition range of a batch."""

from __future__ import annotations

from pathlib import Path

import pytest

from assets.planning import plan_run
from pipeline import sources as sources_module
from pipeline.plan import make_plan
from pipeline.sources import INBOX_FINGERPRINTS, PageFile, source_id


def page(key: str, sha: str) -> PageFile:
    return PageFile(key, key, Path(key), sha * 64, 10, 0.0)


def test_first_run_plans_every_file_as_new_and_a_publish():
    plan = make_plan([page("a", "1"), page("b", "2")], {}, None, None, "1")
    assert [p.key for p in plan.new] == ["a", "b"]
    assert plan.needs_publish and plan.has_work


def test_nothing_new_and_published_means_no_work():
    pages = [page("a", "1"), page("b", "2")]
    published = {p.source_id for p in pages}
    plan = make_plan(pages, {"a": {"1" * 64}, "b": {"2" * 64}}, published, "1", "1")
    assert not plan.has_work
    assert plan.summary() == "0 new, 0 changed, 2 unchanged, 0 removed"


def test_a_changed_file_is_stale_and_the_range_covers_only_it():
    pages = [page("a", "1"), page("b", "3"), page("c", "4")]
    processed = {"a": {"1" * 64}, "b": {"2" * 64}, "c": {"4" * 64}}
    plan = make_plan(pages, processed, {source_id("a", "1" * 64)}, "1", "1")
    assert [p.key for p in plan.changed] == ["b"]
    assert plan.partition_range(["a", "b", "c"]) == ("b", "b")


def test_a_removed_file_triggers_a_publish_without_parsing():
    processed = {"a": {"1" * 64}, "b": {"2" * 64}}
    published = {source_id("a", "1" * 64), source_id("b", "2" * 64)}
    plan = make_plan([page("a", "1")], processed, published, "1", "1")
    assert plan.deleted_keys == ["b"]
    assert plan.needs_publish and not plan.stale


def test_a_new_code_version_republishes():
    pages = [page("a", "1")]
    plan = make_plan(pages, {"a": {"1" * 64}}, {pages[0].source_id}, "0", "1")
    assert plan.needs_publish


@pytest.mark.parametrize("order", [["a", "b", "c", "d"], ["d", "c", "b", "a"]])
def test_a_backlog_is_one_contiguous_range_in_registration_order(order):
    plan = make_plan([page(k, "1") for k in "bc"], {}, None, None, "1")
    start, end = plan.partition_range(order)
    assert {start, end} == {"b", "c"}


def test_the_fingerprint_names_the_work_not_the_moment():
    pages = [page("a", "1")]
    assert (
        make_plan(pages, {}, None, None, "1").fingerprint()
        == make_plan(pages, {}, None, None, "1").fingerprint()
    )
    assert (
        make_plan(pages, {}, None, None, "1").fingerprint()
        != make_plan([page("a", "2")], {}, None, None, "1").fingerprint()
    )


def test_the_planner_remembers_fingerprints_so_the_next_plan_reads_no_unchanged_file(
    small_inbox, config_for, instance, monkeypatch
):
    config = config_for(small_inbox)
    real_clock = sources_module.time.time_ns
    with monkeypatch.context() as later:  # as if planned long after the files were written
        later.setattr(sources_module.time, "time_ns", lambda: real_clock() + 60 * 10**9)
        first = plan_run(config, instance)
    assert (config.staging / INBOX_FINGERPRINTS).exists()

    def no_hashing(path: Path) -> tuple[str, int]:
        raise AssertionError(f"{path} was hashed again")

    monkeypatch.setattr(sources_module, "sha256_of", no_hashing)
    second = plan_run(config, instance)
    assert [(p.key, p.sha256) for p in second.plan.new] == [(p.key, p.sha256) for p in first.plan.new]
    assert len(second.plan.new) == 2
