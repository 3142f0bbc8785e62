"""The file sensor and the daily schedule request exactly the stale work, once."""

from __future__ import annotations

import dagster as dg

from assets.definitions import defs
from assets.partitions import page_files_partitions
from assets.resources import PapersConfig
from assets.schedules import daily_papers_schedule
from assets.sensors import page_files_sensor

DAILY = "daily_small.txt"


def _tick(instance, config):
    context = dg.build_sensor_context(instance=instance, resources={"papers_config": config})
    return page_files_sensor(context)


def _apply(result, instance):
    # Calling the sensor in a test does not apply its partition requests (STACK.md): apply them here.
    for request in result.dynamic_partitions_requests:
        instance.add_dynamic_partitions(request.partitions_def_name, list(request.partition_keys))


def _run(request, instance, config):
    return dg.materialize(
        list(defs.assets),
        instance=instance,
        resources={"papers_config": config},
        selection=request.asset_selection,
        tags=request.tags,
    )


def test_sensor_registers_new_files_and_requests_one_batch_run(small_inbox, config_for, instance):
    config = config_for(small_inbox)
    result = _tick(instance, config)
    assert isinstance(result, dg.SensorResult)
    assert sorted(result.dynamic_partitions_requests[0].partition_keys) == [
        "compact_small.txt",
        "daily_small.txt",
    ]
    [request] = result.run_requests
    assert request.tags["dagster/asset_partition_range_start"] == "compact_small.txt"
    assert request.tags["dagster/asset_partition_range_end"] == "daily_small.txt"
    assert dg.AssetKey("warehouse") in request.asset_selection


def test_sensor_skips_when_nothing_changed(small_inbox, config_for, instance):
    config = config_for(small_inbox)
    first = _tick(instance, config)
    _apply(first, instance)
    assert _run(first.run_requests[0], instance, config).success
    assert isinstance(_tick(instance, config), dg.SkipReason)


def test_sensor_picks_up_a_changed_file_under_a_new_run_key(small_inbox, config_for, instance):
    config = config_for(small_inbox)
    first = _tick(instance, config)
    _apply(first, instance)
    assert _run(first.run_requests[0], instance, config).success
    page = small_inbox / DAILY
    page.write_text(page.read_text().replace("Aug 29", "Aug 30"))
    changed = _tick(instance, config)
    [request] = changed.run_requests
    assert request.run_key != first.run_requests[0].run_key
    assert request.tags["dagster/asset_partition_range_start"] == "daily_small.txt"
    assert request.tags["dagster/asset_partition_range_end"] == "daily_small.txt"
    assert not changed.dynamic_partitions_requests


def test_sensor_requests_only_the_new_file_when_one_is_added(small_inbox, config_for, instance):
    config = config_for(small_inbox)
    first = _tick(instance, config)
    _apply(first, instance)
    assert _run(first.run_requests[0], instance, config).success
    (small_inbox / "zz_new.txt").write_text((small_inbox / DAILY).read_text().replace("Aug 29", "Sep 1"))
    result = _tick(instance, config)
    assert list(result.dynamic_partitions_requests[0].partition_keys) == ["zz_new.txt"]
    assert result.run_requests[0].tags["dagster/asset_partition_range_start"] == "zz_new.txt"


def test_schedule_registers_partitions_and_requests_the_whole_batch(small_inbox, config_for, instance):
    config = config_for(small_inbox)
    context = dg.build_schedule_context(instance=instance, resources={"papers_config": config})
    request = daily_papers_schedule(context)
    assert isinstance(request, dg.RunRequest)
    assert sorted(instance.get_dynamic_partitions(page_files_partitions.name)) == [
        "compact_small.txt",
        "daily_small.txt",
    ]
    assert _run(request, instance, config).success
    assert isinstance(daily_papers_schedule(context), dg.SkipReason)


def test_sensor_waits_while_a_run_is_in_flight(small_inbox, config_for, instance):
    config = config_for(small_inbox)
    instance.add_run(
        dg.DagsterRun(job_name="papers_job", run_id="in-flight", status=dg.DagsterRunStatus.STARTED)
    )
    result = _tick(instance, config)
    assert isinstance(result, dg.SkipReason)
    assert "in flight" in result.skip_message


def test_sensor_waits_for_a_file_that_is_still_being_written(small_inbox, config_for, instance):
    base = config_for(small_inbox)
    config = PapersConfig(
        seeds_dir=base.seeds_dir, warehouse_dir=base.warehouse_dir, stable_after_seconds=3600.0
    )
    result = _tick(instance, config)
    # Both files were just written: neither is registered nor read on this tick.
    assert not result.dynamic_partitions_requests
    assert all(dg.AssetKey("page_files") not in request.asset_selection for request in result.run_requests)


def test_sensor_waits_while_a_backfill_from_the_ui_is_in_progress(small_inbox, config_for, instance):
    from dagster._core.execution.backfill import BulkActionStatus, PartitionBackfill

    instance.add_backfill(
        PartitionBackfill(
            backfill_id="ui-backfill",
            status=BulkActionStatus.REQUESTED,
            from_failure=False,
            tags={},
            backfill_timestamp=0.0,
            asset_selection=[dg.AssetKey("papers")],
            serialized_asset_backfill_data=None,
            asset_backfill_data=None,
            partition_set_origin=None,
            partition_names=None,
            last_submitted_partition_name=None,
            reexecution_steps=None,
            title=None,
            description=None,
        )
    )
    result = _tick(instance, config_for(small_inbox))
    assert isinstance(result, dg.SkipReason)
    assert "ui-backfill" in result.skip_message
