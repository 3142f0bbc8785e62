"""Partitions are independent: one run per page file, each step in its own process, gives the same data.

The reference is one in-process run over every partition, as `papers run` does. The other build runs
the same job with Dagster's multiprocess executor: every step in a fresh OS process that rebuilds the
job from this module, as a Celery or Kubernetes executor does on another machine; first one run per
partition (in reverse arrival order), then one run of the global stages. The steps share nothing but
the staged Parquet, so equal outputs show that a partition needs no other partition and no state held
in memory by an earlier step: partitions can run on separate workers.
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import polars as pl
import polars.selectors as cs
import pytest
from polars.testing import assert_frame_equal

from assets.planning import GLOBAL_ASSETS, PARTITIONED_ASSETS
from benchmarks.corpus import generate_corpus
from pipeline.sources import partition_key

JOB_NAME = "papers_job_multiprocess"
STAGED_TABLES = (
    "sources",
    "paper_occurrences",
    "papers",
    "paper_abstract_versions",
    "paper_links",
    "paper_metrics",
)


def multiprocess_papers_job() -> dg.JobDefinition:
    """The project's assets and resources in a job that runs each step in its own process.

    Defined at module level: each step process imports this module and calls this function by name.
    The separate quality-suite checks are left out: they only read what the assets wrote, and each
    would cost one more process start.
    """
    from assets.definitions import defs

    job = dg.define_asset_job(
        JOB_NAME, selection=dg.AssetSelection.all(), executor_def=dg.multiprocess_executor
    )
    return dg.Definitions(assets=list(defs.assets), resources=defs.resources, jobs=[job]).resolve_job_def(
        JOB_NAME
    )


def _without_clock(frame: pl.DataFrame) -> pl.DataFrame:
    """Timestamps (ingested_at, file times) differ between two builds by design; the data must not."""
    return frame.select(~cs.datetime())


def _staged(warehouse: Path, relative: str) -> pl.DataFrame:
    return _without_clock(pl.read_parquet(warehouse / "staging" / relative))


def _build_in_process(keys: list[str], instance: dg.DagsterInstance) -> None:
    instance.add_dynamic_partitions("page_files", keys)
    result = multiprocess_papers_job().execute_in_process(
        instance=instance,
        tags={"dagster/asset_partition_range_start": keys[0], "dagster/asset_partition_range_end": keys[-1]},
    )
    assert result.success


def _build_partition_by_partition(keys: list[str], instance: dg.DagsterInstance) -> list[str]:
    """One multiprocess run per partition, last file first, then the global stages; returns run ids."""
    instance.add_dynamic_partitions("page_files", keys)
    job = dg.reconstructable(multiprocess_papers_job)
    runs = [({"dagster/partition": key}, PARTITIONED_ASSETS) for key in reversed(keys)]
    runs.append(({}, GLOBAL_ASSETS))
    run_ids = []
    for tags, assets in runs:
        result = dg.execute_job(job, instance, tags=tags, asset_selection=[dg.AssetKey(a) for a in assets])
        assert result.success, [event.message for event in result.all_events if event.is_failure]
        run_ids.append(result.run_id)
    return run_ids


@pytest.fixture
def corpus(tmp_path: Path) -> tuple[Path, list[str]]:
    """Three tiny pages, both layouts, with cross-file repeats that the global stages must merge."""
    inbox = tmp_path / "inbox"
    generate_corpus(inbox, n_files=3, n_records=24, seed=3)
    return inbox, sorted(partition_key(page.name) for page in inbox.glob("*.txt"))


def test_partitions_run_in_separate_processes_give_the_in_process_outputs(corpus, tmp_path, monkeypatch):
    inbox, keys = corpus
    monkeypatch.setenv("PAPERS_SEEDS_DIR", str(inbox))
    in_process, separate = tmp_path / "in_process", tmp_path / "multiprocess"

    monkeypatch.setenv("PAPERS_WAREHOUSE_DIR", str(in_process))
    with dg.instance_for_test() as instance:
        _build_in_process(keys, instance)

    # Step processes inherit the environment, so they read the second warehouse folder.
    monkeypatch.setenv("PAPERS_WAREHOUSE_DIR", str(separate))
    with dg.instance_for_test() as instance:
        run_ids = _build_partition_by_partition(keys, instance)
        step_pids = [
            event.dagster_event.pid
            for run_id in run_ids
            for event in instance.all_logs(run_id, of_type=dg.DagsterEventType.STEP_START)
        ]
    # One step per partition run, then the global stages: each step in a process of its own.
    assert len(step_pids) > len(keys) + 1
    assert len(set(step_pids)) == len(step_pids)

    for key in keys:
        for folder in ("parsed_records", "quarantine"):
            [reference] = (in_process / "staging" / folder / key).glob("*.parquet")
            assert_frame_equal(
                _staged(separate, f"{folder}/{key}/{reference.name}"),
                _staged(in_process, reference.relative_to(in_process / "staging").as_posix()),
            )
        assert_frame_equal(
            _staged(separate, f"page_files/{key}.parquet"), _staged(in_process, f"page_files/{key}.parquet")
        )
    for table in STAGED_TABLES:
        assert_frame_equal(_staged(separate, f"{table}.parquet"), _staged(in_process, f"{table}.parquet"))
    assert pl.read_parquet(separate / "staging" / "papers.parquet").height < 24, "repeats merged across files"
    assert (separate / "papers.duckdb").exists()
