"""Shared fixtures: small inboxes copied to temporary folders, a temporary Dagster instance."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import dagster as dg
import pytest

from assets.resources import PapersConfig

FIXTURES = Path(__file__).parent / "fixtures"
SEEDS = Path(__file__).parent.parent / "data" / "seeds"

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")


@pytest.fixture
def small_inbox(tmp_path: Path) -> Path:
    """Two small pages, one per layout: 3 records each."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for name in ("daily_small.txt", "compact_small.txt"):
        shutil.copy(FIXTURES / name, inbox / name)
    return inbox


@pytest.fixture
def seed_inbox(tmp_path: Path) -> Path:
    """The five bundled seed pages."""
    inbox = tmp_path / "seeds"
    shutil.copytree(SEEDS, inbox)
    return inbox


@pytest.fixture
def config_for(tmp_path: Path):
    def make(inbox: Path) -> PapersConfig:
        return PapersConfig(
            seeds_dir=str(inbox), warehouse_dir=str(tmp_path / "warehouse"), stable_after_seconds=0.0
        )

    return make


@pytest.fixture
def instance():
    with dg.instance_for_test() as test_instance:
        yield test_instance
