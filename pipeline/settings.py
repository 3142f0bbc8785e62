"""Where the pipeline reads and writes: flags, else the environment, else project defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SEEDS_DIR = PROJECT_ROOT / "data" / "seeds"
DEFAULT_WAREHOUSE_DIR = PROJECT_ROOT / "warehouse"
DEFAULT_DAGSTER_HOME = PROJECT_ROOT / ".dagster"

SEEDS_ENV = "PAPERS_SEEDS_DIR"
WAREHOUSE_ENV = "PAPERS_WAREHOUSE_DIR"
DAGSTER_HOME_ENV = "DAGSTER_HOME"
# Dagster records one "materialization planned" event per partition and asset when a run starts,
# ~15-30 ms each on SQLite: 3,000 events for a backlog of 1,000 files. With this set it records one
# per asset for the whole range; the price is that partitions of a failed run are not marked
# failed (they keep their last state, and the failed run lists them).
DAGSTER_PLANNED_EVENTS_ENV = "DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS"
# Dagster then hands the per-partition materialization events of a run over in batches of this size,
# which `assets.event_storage` stores in one transaction each: 3,000 events took 3 s instead of 22 s.
DAGSTER_EVENT_BATCH_ENV = "DAGSTER_EVENT_BATCH_SIZE"
EVENT_BATCH_SIZE = 1000
# Polars' allocator (jemalloc, whose settings this variable names) keeps freed pages for seconds
# by default, so each step of a run starts on top of the last one's garbage: a second after reading,
# sorting and dropping the million occurrences, a process still held 1.1 GB (2.2 GB after a pandas
# copy for GX); with this setting 0.07 GB (0.15 GB). Read when Polars first allocates: `export` runs
# before anything imports Polars.
POLARS_ALLOCATOR_ENV = "_RJEM_MALLOC_CONF"
POLARS_ALLOCATOR_CONF = "dirty_decay_ms:1000,muzzy_decay_ms:0"


@dataclass(frozen=True)
class Settings:
    seeds_dir: Path
    warehouse_dir: Path
    dagster_home: Path

    @classmethod
    def resolve(cls, seeds_dir: str | None = None, warehouse_dir: str | None = None) -> Settings:
        """Resolve each setting as flag > environment > default, as absolute paths."""

        def pick(flag: str | None, env: str, default: Path) -> Path:
            value = flag or os.environ.get(env) or default
            return Path(value).expanduser().resolve()

        return cls(
            seeds_dir=pick(seeds_dir, SEEDS_ENV, DEFAULT_SEEDS_DIR),
            warehouse_dir=pick(warehouse_dir, WAREHOUSE_ENV, DEFAULT_WAREHOUSE_DIR),
            dagster_home=pick(None, DAGSTER_HOME_ENV, DEFAULT_DAGSTER_HOME),
        )

    def export(self) -> None:
        """Publish the resolved settings to the environment so Dagster's EnvVar sees them at run time
        (the UI's daemon and webserver inherit them, so sensor and UI runs behave the same)."""
        os.environ[SEEDS_ENV] = str(self.seeds_dir)
        os.environ[WAREHOUSE_ENV] = str(self.warehouse_dir)
        os.environ[DAGSTER_HOME_ENV] = str(self.dagster_home)
        os.environ.setdefault(DAGSTER_PLANNED_EVENTS_ENV, "1")
        os.environ.setdefault(DAGSTER_EVENT_BATCH_ENV, str(EVENT_BATCH_SIZE))
        os.environ.setdefault(POLARS_ALLOCATOR_ENV, POLARS_ALLOCATOR_CONF)

    @property
    def database_path(self) -> Path:
        return self.warehouse_dir / "papers.duckdb"
