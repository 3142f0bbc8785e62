"""End to end, as a user sees it: `papers ui` running, driven in headless Chromium by Playwright.

`papers ui` starts on an empty inbox. Two pages dropped into it are picked up by the running sensor,
which registers them and publishes them. Then "Materialize all" is clicked in the UI (a backfill of
every partition); the test waits for it to succeed, checks in the lineage graph that every stage is
green with its checks passed, that the checks and the published tables show on the warehouse's page,
and saves a screenshot of the graph to tests/artifacts/. Three to four minutes on two cores, most of it
Dagster's 30 s backfill cadence; `pytest -m "not browser"` leaves it out.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

CHROMIUM = Path("/usr/bin/chromium")
PAGES = [Path(__file__).parent / "fixtures" / name for name in ("daily_small.txt", "compact_small.txt")]
ARTIFACTS = Path(__file__).parent / "artifacts"
SENSOR = "page_files_sensor"
FINISHED = ("SUCCESS", "FAILURE", "CANCELED")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"needs Debian's chromium at {CHROMIUM}: make browser"),
]
sync_api = pytest.importorskip("playwright.sync_api", reason="needs playwright (PyPI) in the venv")


@dataclass
class RunningUI:
    url: str
    inbox: Path
    database: Path
    log: Path

    def graphql(self, query: str, variables: dict | None = None) -> dict:
        body = json.dumps({"query": query, "variables": variables or {}}).encode()
        request = urllib.request.Request(
            f"{self.url}/graphql", data=body, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.load(response)["data"]

    def sensor_runs(self) -> list[dict]:
        """The sensor's runs, newest first."""
        data = self.graphql(
            "query($tags: [ExecutionTag!]) { runsOrError(filter: {tags: $tags}) "
            "{ ... on Runs { results { runId status } } } }",
            {"tags": [{"key": "dagster/sensor_name", "value": SENSOR}]},
        )
        return data["runsOrError"]["results"]

    def runs_in_flight(self) -> int:
        """Runs queued or going: the sensor may follow a backfill with a run of its own."""
        data = self.graphql(
            "{ runsOrError(filter: {statuses: [QUEUED, NOT_STARTED, STARTING, STARTED]}) "
            "{ ... on Runs { results { runId } } } }"
        )
        return len(data["runsOrError"]["results"])

    def log_tail(self) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-40:])


def wait_for(condition: Callable[[], object], what: str, ui: RunningUI, timeout: float = 150.0) -> object:
    """Poll until `condition()` is truthy; on timeout fail with the UI's log, not a bare assertion."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(2)
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}; dagster log tail:\n{ui.log_tail()}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def count_sources(database: Path) -> int:
    if not database.exists():
        return 0
    con = duckdb.connect(str(database), read_only=True)
    try:
        return con.execute("SELECT count(*) FROM sources").fetchone()[0]
    finally:
        con.close()


def drop_pages_and_wait_for_the_sensor(ui: RunningUI) -> dict:
    """Copy the pages into the inbox; return the sensor run that picked them up, once it finished."""
    runs_before = len(ui.sensor_runs())
    for page in PAGES:
        shutil.copy2(page, ui.inbox / page.name)  # copy2 keeps the old mtime: the files look settled

    def finished_new_run() -> dict | None:
        runs = ui.sensor_runs()
        return runs[0] if len(runs) > runs_before and runs[0]["status"] in FINISHED else None

    return wait_for(finished_new_run, "a sensor run for the dropped pages", ui)


def stop(process: subprocess.Popen) -> None:
    """Ctrl-C, as a user stops `papers ui`; it stops its `dagster dev` in turn."""
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=45)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def running_ui(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningUI]:
    root = tmp_path_factory.mktemp("ui")
    inbox = root / "inbox"
    inbox.mkdir()
    env = {
        **os.environ,
        "DAGSTER_HOME": str(root / "dagster_home"),
        "PAPERS_SEEDS_DIR": str(inbox),
        "PAPERS_WAREHOUSE_DIR": str(root / "warehouse"),
        "GX_ANALYTICS_ENABLED": "false",
    }
    port = free_port()
    log = root / "dagster.log"
    with log.open("w") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "papers.cli", "ui", "--port", str(port)],
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    ui = RunningUI(f"http://127.0.0.1:{port}", inbox, root / "warehouse" / "papers.duckdb", log)
    try:

        def answering() -> bool:
            try:
                with urllib.request.urlopen(f"{ui.url}/server_info", timeout=2):
                    return True
            except OSError:
                return False

        wait_for(answering, "the webserver's /server_info", ui, timeout=60)
        # Dagster's one-time "join the community" dialog would cover the page; this is its own Skip.
        ui.graphql("mutation { setNuxSeen }")
        yield ui
    finally:
        stop(process)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def set_graph_option(page, choose: str, chosen: str) -> None:
    """Pick `choose` in the graph's settings menu until the menu offers `chosen`, its opposite, instead."""
    page.locator('button:has([aria-label="zoom_in"])').wait_for()  # the graph's controls are drawn
    settings = page.locator('button:has([aria-label="settings"])').last  # the last one: the graph's own
    either = page.get_by_role("menuitem", name=re.compile(f"{re.escape(choose)}|{re.escape(chosen)}"))
    for _ in range(5):
        settings.click()
        either.first.wait_for()
        if page.get_by_role("menuitem", name=chosen).count():
            page.keyboard.press("Escape")
            return
        # The menu re-renders as live data streams in, so a click that waits for it to hold still can
        # time out; the item's own click event is what a user's click triggers.
        page.get_by_role("menuitem", name=choose).dispatch_event("click")
        page.keyboard.press("Escape")
        page.wait_for_timeout(500)
    pytest.fail(f"the graph's settings menu did not take {choose!r}")


def graph_nodes(page) -> dict[str, str]:
    """Asset name -> the text of its node in the lineage graph."""
    nodes = page.locator('foreignObject:has([class*="AssetNode_assetNodeContainer"])')
    texts = {}
    for i in range(nodes.count()):
        node = nodes.nth(i)
        name = node.locator('[class*="AssetNode_assetName"]').first.text_content().strip()
        texts[name] = node.text_content()
    return texts


def test_pages_dropped_in_the_inbox_are_picked_up_and_published_by_the_running_sensor(
    running_ui: RunningUI,
) -> None:
    sources_before = count_sources(running_ui.database)
    runs_before = len(running_ui.sensor_runs())

    run = drop_pages_and_wait_for_the_sensor(running_ui)

    assert run["status"] == "SUCCESS", running_ui.log_tail()
    assert len(running_ui.sensor_runs()) > runs_before
    assert count_sources(running_ui.database) == sources_before + len(PAGES)


def test_materialize_all_from_the_ui_turns_every_stage_green_with_checks_passed(
    running_ui: RunningUI, browser
) -> None:
    from assets.definitions import defs
    from warehouse.publish import TABLES

    if count_sources(running_ui.database) == 0:  # run alone: let the sensor register the pages first
        drop_pages_and_wait_for_the_sensor(running_ui)
    page = browser.new_page(viewport={"width": 2560, "height": 1600})
    page.set_default_timeout(30_000)
    page.goto(f"{running_ui.url}/asset-groups")
    page.get_by_role("button", name="Materialize all…").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("button", name="All", exact=True).click()  # every registered partition
    sync_api.expect(dialog.get_by_text(f"{len(PAGES)} partitions")).to_be_visible()
    dialog.get_by_role("button", name="Launch backfill").click()
    toast = page.get_by_text(re.compile(r"Created backfill \w+")).first.text_content()
    backfill_id = re.search(r"Created backfill (\w+)", toast)[1]

    def backfill_status() -> str | None:
        data = running_ui.graphql(
            "query($id: String!) { partitionBackfillOrError(backfillId: $id) "
            "{ ... on PartitionBackfill { status } } }",
            {"id": backfill_id},
        )
        status = data["partitionBackfillOrError"]["status"]
        return status if status not in ("REQUESTED", "CANCELING") else None

    # Dagster's backfill daemon steps through the graph's levels every 30 s; each level is a run.
    finished = wait_for(backfill_status, f"backfill {backfill_id}", running_ui, timeout=300)
    assert finished == "COMPLETED_SUCCESS"
    page.goto(f"{running_ui.url}/runs/b/{backfill_id}")
    sync_api.expect(page.get_by_text("Status", exact=True)).to_be_visible()
    lines = [line.strip() for line in page.locator("body").inner_text().splitlines() if line.strip()]
    assert lines[lines.index("Status") + 1] == "Succeeded"
    # Between the backfill's levels the running sensor may see half-updated staging and request a
    # run of its own; the graph is judged once every run has finished.
    wait_for(lambda: running_ui.runs_in_flight() == 0, "runs in flight to finish", running_ui, timeout=180)

    # The lineage graph with every group expanded, top to bottom, fitted to the window on reload.
    page.goto(f"{running_ui.url}/asset-groups")
    set_graph_option(page, "Expand all groups", "Collapse all groups")
    set_graph_option(page, "Change graph to vertical orientation", "Change graph to horizontal orientation")
    page.reload()
    asset_graph = defs.resolve_asset_graph()
    asset_names = {key.to_user_string() for key in asset_graph.get_all_asset_keys()}

    def loaded_nodes() -> dict[str, str] | None:
        nodes = graph_nodes(page)
        busy = any("Loading" in text or "Materializing" in text for text in nodes.values())
        done = set(nodes) == asset_names and not busy
        return nodes if done else None

    nodes = wait_for(loaded_nodes, "every asset node to show its status", running_ui, timeout=30)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "asset_graph.png"))
    checks_per_asset = Counter(key.asset_key.to_user_string() for key in asset_graph.asset_check_keys)
    for name, text in nodes.items():
        assert "Materialized" in text or "100% filled" in text, f"{name} is not green: {text}"
        assert "Failed" not in text, f"{name}: {text}"
        if checks_per_asset[name]:
            n = checks_per_asset[name]
            assert f"{n} / {n} Passed" in text, f"{name} should show its {n} checks passed: {text}"

    page.goto(f"{running_ui.url}/assets/warehouse?view=checks")
    sync_api.expect(page.get_by_text("publish_matches_staging").first).to_be_visible()
    sync_api.expect(page.get_by_text("Passed", exact=True).first).to_be_visible()
    page.goto(f"{running_ui.url}/assets/warehouse")
    sync_api.expect(page.get_by_text("Row count")).to_be_visible()
    overview = page.locator("body").inner_text()
    assert all(f"rows_{table}" in overview for table in TABLES), overview
    page.close()
