"""Turn the inbox and the staged state into a run: which partitions, which assets, which tags."""

from dataclasses import dataclass

import dagster as dg

from assets.ingest import processed_versions
from assets.partitions import page_files_partitions
from assets.resources import PapersConfig
from pipeline import PIPELINE_VERSION
from pipeline.plan import RunPlan, make_plan
from pipeline.sources import INBOX_FINGERPRINTS, discover_pages
from warehouse.publish import TABLES, read_manifest

PARTITIONED_ASSETS = ("page_files", "parsed_records", "quarantine")
# Every published table that is not kept per page file, then the publish itself.
GLOBAL_ASSETS = (*(table for table in TABLES if table not in PARTITIONED_ASSETS), "warehouse")


@dataclass(frozen=True)
class PlannedRun:
    plan: RunPlan
    new_partition_keys: list[str]
    asset_selection: list[dg.AssetKey]
    tags: dict[str, str]
    problems: list[tuple[str, str]]


def plan_run(
    config: PapersConfig, instance: dg.DagsterInstance, min_file_age_seconds: float = 0.0
) -> PlannedRun:
    """Everything a batch run needs, computed the same way for `papers run`, the sensor and the schedule."""
    import time

    discovery = discover_pages(
        config.inbox, min_file_age_seconds, time.time(), fingerprints=config.staging / INBOX_FINGERPRINTS
    )
    manifest = read_manifest(config.database_path)
    plan = make_plan(
        discovery.pages,
        processed_versions(config),
        set(manifest["live_source_ids"]) if manifest else None,
        manifest["code_version"] if manifest else None,
        PIPELINE_VERSION,
    )
    registered = instance.get_dynamic_partitions(page_files_partitions.name)
    new_keys = [page.key for page in plan.stale if page.key not in set(registered)]
    order = registered + new_keys
    selection: list[str] = []
    tags: dict[str, str] = {}
    span = plan.partition_range(order)
    if span:
        selection += PARTITIONED_ASSETS
        tags = {"dagster/asset_partition_range_start": span[0], "dagster/asset_partition_range_end": span[1]}
    if plan.has_work:
        selection += GLOBAL_ASSETS
    return PlannedRun(plan, new_keys, [dg.AssetKey(a) for a in selection], tags, discovery.problems)
