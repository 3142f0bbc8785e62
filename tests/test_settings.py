"""Settings resolve flag > environment > default and are exported for Dagster's run-time EnvVars."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from pipeline.settings import (
    DAGSTER_EVENT_BATCH_ENV,
    DAGSTER_HOME_ENV,
    DAGSTER_PLANNED_EVENTS_ENV,
    EVENT_BATCH_SIZE,
    POLARS_ALLOCATOR_CONF,
    POLARS_ALLOCATOR_ENV,
    SEEDS_ENV,
    WAREHOUSE_ENV,
    Settings,
)


@pytest.fixture
def clean_env(monkeypatch):
    """No settings in the environment; whatever export() sets is undone after the test."""
    exported = (SEEDS_ENV, WAREHOUSE_ENV, DAGSTER_PLANNED_EVENTS_ENV, DAGSTER_EVENT_BATCH_ENV)
    for name in (*exported, POLARS_ALLOCATOR_ENV):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv(DAGSTER_HOME_ENV, os.environ.get(DAGSTER_HOME_ENV, ""))
    return monkeypatch


def test_a_flag_wins_over_the_environment(clean_env, tmp_path):
    clean_env.setenv(SEEDS_ENV, str(tmp_path / "from_env"))
    assert Settings.resolve(seeds_dir=str(tmp_path / "from_flag")).seeds_dir == tmp_path / "from_flag"
    assert Settings.resolve().seeds_dir == tmp_path / "from_env"


def test_export_publishes_the_folders_and_batched_event_settings(clean_env, tmp_path):
    Settings.resolve(str(tmp_path / "inbox"), str(tmp_path / "warehouse")).export()
    assert os.environ[SEEDS_ENV] == str(tmp_path / "inbox")
    assert os.environ[WAREHOUSE_ENV] == str(tmp_path / "warehouse")
    assert os.environ[DAGSTER_PLANNED_EVENTS_ENV] == "1"
    assert os.environ[DAGSTER_EVENT_BATCH_ENV] == str(EVENT_BATCH_SIZE)
    assert os.environ[POLARS_ALLOCATOR_ENV] == POLARS_ALLOCATOR_CONF


def test_export_keeps_event_settings_the_user_made(clean_env, tmp_path):
    clean_env.setenv(DAGSTER_PLANNED_EVENTS_ENV, "0")
    clean_env.setenv(DAGSTER_EVENT_BATCH_ENV, "0")
    Settings.resolve(str(tmp_path), str(tmp_path)).export()
    assert os.environ[DAGSTER_PLANNED_EVENTS_ENV] == "0"
    assert os.environ[DAGSTER_EVENT_BATCH_ENV] == "0"


def test_the_cli_module_does_not_import_polars_so_its_allocator_setting_applies():
    # The allocator setting is read when Polars first allocates: exporting it later does nothing.
    code = "import sys, papers.cli; print('polars' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
