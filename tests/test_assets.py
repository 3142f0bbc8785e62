"""The asset graph through `materialize()` on a temporary instance, and the definitions loading."""

from __future__ import annotations

import dagster as dg
import polars as pl

from assets.definitions import defs
from assets.partitions import page_files_partitions
from pipeline.sources import partition_key

ALL_ASSETS = list(defs.assets)


def _materialize_inbox(config, instance, keys):
    instance.add_dynamic_partitions(page_files_partitions.name, keys)
    return dg.materialize(
        ALL_ASSETS,
        instance=instance,
        resources={"papers_config": config},
        tags={"dagster/asset_partition_range_start": keys[0], "dagster/asset_partition_range_end": keys[-1]},
    )


def test_definitions_load_with_every_stage_and_the_automation():
    repo = defs.get_repository_def()
    keys = {key.to_user_string() for key in repo.asset_graph.get_all_asset_keys()}
    assert keys == {
        "page_files",
        "parsed_records",
        "quarantine",
        "sources",
        "paper_occurrences",
        "papers",
        "paper_abstract_versions",
        "paper_links",
        "metric_definitions",
        "paper_metrics",
        "warehouse",
    }
    assert defs.get_sensor_def("page_files_sensor").default_status == dg.DefaultSensorStatus.RUNNING
    assert defs.get_schedule_def("daily_papers_schedule").cron_schedule == "0 6 * * *"


def test_every_asset_has_a_group_a_kind_and_a_description():
    graph = defs.get_repository_def().asset_graph
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        assert node.group_name in {"ingest", "dedup", "enrich", "publish"}, key
        assert node.kinds, key
        assert node.description, key


def test_every_asset_carries_checks():
    graph = defs.get_repository_def().asset_graph
    checked = {check.asset_key for check in graph.asset_check_keys}
    assert checked >= graph.get_all_asset_keys() - {dg.AssetKey("metric_definitions")}


def test_materializing_all_assets_publishes_the_small_inbox(small_inbox, config_for, instance):
    config = config_for(small_inbox)
    keys = sorted(partition_key(p.name) for p in small_inbox.iterdir())
    result = _materialize_inbox(config, instance, keys)
    assert result.success
    assert all(evaluation.passed for evaluation in result.get_asset_check_evaluations())
    papers = pl.read_parquet(config.table_path("papers"))
    assert papers.height == 6
    import duckdb

    con = duckdb.connect(str(config.database_path), read_only=True)
    assert con.execute("select count(*) from paper_occurrences").fetchone() == (6,)
    assert con.execute("select count(*) from sources where status = 'current'").fetchone() == (2,)


def test_a_rerun_of_unchanged_partitions_rewrites_nothing(small_inbox, config_for, instance):
    config = config_for(small_inbox)
    keys = sorted(partition_key(p.name) for p in small_inbox.iterdir())
    _materialize_inbox(config, instance, keys)
    staged = sorted((config.staging / "parsed_records").rglob("*.parquet"))
    mtimes = [p.stat().st_mtime_ns for p in staged]
    result = _materialize_inbox(config, instance, keys)
    assert result.success
    materialization = result.asset_materializations_for_node("ingest_page_files")[0]
    assert materialization.metadata["n_unchanged_skipped"].value == 2
    assert [p.stat().st_mtime_ns for p in staged] == mtimes


def test_a_changed_file_supersedes_its_old_records(small_inbox, config_for, instance):
    config = config_for(small_inbox)
    keys = sorted(partition_key(p.name) for p in small_inbox.iterdir())
    _materialize_inbox(config, instance, keys)
    page = small_inbox / "compact_small.txt"
    lines = page.read_text().split("\n")
    page.write_text("\n".join(lines[:6]))  # drop the last record
    assert _materialize_inbox(config, instance, keys).success
    sources = pl.read_parquet(config.table_path("sources")).filter(pl.col("file_name") == "compact_small.txt")
    assert sorted(sources["status"].to_list()) == ["current", "superseded"]
    occurrences = pl.read_parquet(config.table_path("paper_occurrences"))
    assert occurrences.height == 5
    assert (
        occurrences["source_id"].is_in(sources.filter(pl.col("status") == "current")["source_id"]).sum() == 2
    )
