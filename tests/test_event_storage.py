"""The batching event log stores exactly what Dagster's consolidated SQLite storage stores."""

import dagster as dg
import pytest

from assets.event_storage import BatchingSqliteEventLogStorage
from pipeline.settings import DAGSTER_EVENT_BATCH_ENV, DAGSTER_PLANNED_EVENTS_ENV

KEYS = [f"page_{n:03d}" for n in range(25)]
pages = dg.DynamicPartitionsDefinition(name="pages")


@dg.multi_asset(
    specs=[dg.AssetSpec("records"), dg.AssetSpec("rejects")],
    partitions_def=pages,
    backfill_policy=dg.BackfillPolicy.single_run(),
)
def two_tables(context: dg.AssetExecutionContext):
    n = len(context.partition_keys)
    yield dg.MaterializeResult(asset_key="records", metadata={"n_files": n})
    yield dg.MaterializeResult(asset_key="rejects", metadata={"n_files": n})


def _instance_overrides(base_dir: str) -> dict:
    return {
        "event_log_storage": {
            "module": "assets.event_storage",
            "class": "BatchingSqliteEventLogStorage",
            "config": {"base_dir": base_dir},
        }
    }


def _materialize_all_pages(instance: dg.DagsterInstance) -> None:
    instance.add_dynamic_partitions("pages", KEYS)
    result = dg.materialize(
        [two_tables],
        instance=instance,
        tags={"dagster/asset_partition_range_start": KEYS[0], "dagster/asset_partition_range_end": KEYS[-1]},
    )
    assert result.success


@pytest.mark.parametrize("batch_size", ["0", "7", "1000"])
def test_every_partition_materialization_is_stored_whatever_the_batch_size(tmp_path, monkeypatch, batch_size):
    monkeypatch.setenv(DAGSTER_EVENT_BATCH_ENV, batch_size)
    monkeypatch.setenv(DAGSTER_PLANNED_EVENTS_ENV, "1")
    with dg.instance_for_test(overrides=_instance_overrides(str(tmp_path))) as instance:
        assert isinstance(instance.event_log_storage, BatchingSqliteEventLogStorage)
        _materialize_all_pages(instance)
        for asset in ("records", "rejects"):
            key = dg.AssetKey(asset)
            assert instance.get_materialized_partitions(key) == set(KEYS)
            records = instance.fetch_materializations(key, limit=100).records
            assert sorted(r.partition_key for r in records) == KEYS
            latest = instance.get_latest_materialization_event(key)
            assert latest is not None and latest.asset_materialization.metadata["n_files"].value == len(KEYS)


def test_a_failing_batch_is_rolled_back_and_stored_event_by_event(tmp_path, monkeypatch):
    monkeypatch.setenv(DAGSTER_EVENT_BATCH_ENV, "1000")
    with dg.instance_for_test(overrides=_instance_overrides(str(tmp_path))) as instance:
        storage = instance.event_log_storage
        original = storage.store_event
        calls = {"in_batch": 0, "failed": 0}

        def fail_on_the_tenth_event_of_a_batch(event):
            if getattr(storage._batch, "connection", None) is not None:
                calls["in_batch"] += 1
                if calls["in_batch"] == 10:
                    calls["failed"] += 1
                    raise RuntimeError("disk full")
            original(event)

        monkeypatch.setattr(storage, "store_event", fail_on_the_tenth_event_of_a_batch)
        _materialize_all_pages(instance)
        assert calls["failed"] == 1
        # The nine events stored before the failure were rolled back, then every event stored once.
        records = instance.fetch_materializations(dg.AssetKey("records"), limit=100).records
        assert sorted(r.partition_key for r in records) == KEYS
