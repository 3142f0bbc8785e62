"""Everything Dagster loads: `dagster dev -m assets.definitions` and `papers ui` point here."""

import dagster as dg

from assets.enrich import metric_definitions, paper_links, paper_metrics
from assets.ingest import ingest_page_files
from assets.jobs import papers_job
from assets.papers import paper_occurrences, papers
from assets.progress import progress_logger
from assets.publish import warehouse
from assets.quality import QUALITY_CHECKS
from assets.resources import papers_config_from_env
from assets.schedules import daily_papers_schedule
from assets.sensors import page_files_sensor
from assets.sources import sources

defs = dg.Definitions(
    assets=[
        ingest_page_files,
        sources,
        paper_occurrences,
        papers,
        paper_links,
        metric_definitions,
        paper_metrics,
        warehouse,
    ],
    asset_checks=QUALITY_CHECKS,
    jobs=[papers_job],
    sensors=[page_files_sensor],
    schedules=[daily_papers_schedule],
    resources={"papers_config": papers_config_from_env()},
    # The console logger stays the default for UI and daemon runs; `papers run` selects `progress`.
    loggers={"console": dg.colored_console_logger, "progress": progress_logger},
    # Runs launched from the UI ("Materialize all") also run in one process; see assets/jobs.py.
    executor=dg.in_process_executor,
)
