"""Configuration of a run: where the pages are and where the warehouse is built, read at run time."""

from pathlib import Path

import dagster as dg
import polars as pl

LISTING_YEAR_ENV = "PAPERS_LISTING_YEAR"


class PapersConfig(dg.ConfigurableResource):
    """Folders of one deployment; set from PAPERS_SEEDS_DIR and PAPERS_WAREHOUSE_DIR."""

    seeds_dir: str
    warehouse_dir: str
    # The sensor leaves a file alone until it has not been modified for this long: it may still be written.
    stable_after_seconds: float = 5.0
    # Year for listing dates that give none ("Aug 29"); None: PAPERS_LISTING_YEAR, else the file's time.
    listing_year: int | None = None

    @property
    def resolved_listing_year(self) -> int | None:
        """The configured year, read from the environment when a run asks for it, not at import."""
        if self.listing_year is not None:
            return self.listing_year
        value = (dg.EnvVar(LISTING_YEAR_ENV).get_value() or "").strip()
        if value and not (value.isdigit() and 1900 <= int(value) <= 2999):
            raise ValueError(f"{LISTING_YEAR_ENV} must be a year such as 2025, not {value!r}")
        return int(value) if value else None

    @property
    def inbox(self) -> Path:
        return Path(self.seeds_dir).resolve()

    @property
    def warehouse(self) -> Path:
        return Path(self.warehouse_dir).resolve()

    @property
    def staging(self) -> Path:
        """Parquet per stage: the source of truth the DuckDB file is published from."""
        return self.warehouse / "staging"

    @property
    def database_path(self) -> Path:
        return self.warehouse / "papers.duckdb"

    @property
    def manifest_path(self) -> Path:
        return self.warehouse / "publish.json"

    def table_path(self, table: str) -> Path:
        return self.staging / f"{table}.parquet"

    def page_file_path(self, key: str) -> Path:
        """All versions ever seen of one page file."""
        return self.staging / "page_files" / f"{key}.parquet"

    def records_path(self, key: str, sha256: str) -> Path:
        return self.staging / "parsed_records" / key / f"{sha256[:12]}.parquet"

    def version_paths(self, versions: pl.DataFrame, kind: str) -> list[Path]:
        """Staged `records` or `quarantine` files of versions (rows with partition_key and sha256)."""
        path_of = self.records_path if kind == "records" else self.quarantine_path
        return [path_of(key, sha) for key, sha in versions.select("partition_key", "sha256").iter_rows()]

    def quarantine_path(self, key: str, sha256: str) -> Path:
        return self.staging / "quarantine" / key / f"{sha256[:12]}.parquet"


def papers_config_from_env() -> PapersConfig:
    """The resource as deployed: values come from the environment when a run starts, not at import."""
    return PapersConfig(
        seeds_dir=dg.EnvVar("PAPERS_SEEDS_DIR"), warehouse_dir=dg.EnvVar("PAPERS_WAREHOUSE_DIR")
    )
