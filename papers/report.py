"""`papers report`: the published warehouse as one self-contained HTML page, charts drawn as inline SVG.

No script, no CDN, no network: the file opens from disk, from a mail attachment or from the asset's
metadata link and looks the same. Every text from the data is HTML-escaped.
"""

from __future__ import annotations

import datetime as dt
import html
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from papers.querying import connect_read_only
from pipeline.storage import write_text_atomic

if TYPE_CHECKING:
    import dagster as dg

MAX_BOARDS = 12
ROWS_PER_BOARD = 8
GOOD, BAD, NEUTRAL, ACCENT, WARN = "#1a7f37", "#cf222e", "#8c959f", "#0969da", "#bf8700"
STATUS_COLORS = {"current": ACCENT, "duplicate": WARN, "superseded": NEUTRAL, "deleted": BAD}


@dataclass(frozen=True)
class CheckStatus:
    """The latest result of one asset check: `passed`, `failed`, `running` or `not run`."""

    asset: str
    check: str
    state: str
    description: str = ""
    at: dt.datetime | None = None


def check_statuses(instance: dg.DagsterInstance | None = None) -> list[CheckStatus]:
    """Latest result of every check of the pipeline on `instance` (default: the DAGSTER_HOME instance)."""
    import dagster as dg  # lazily: rendering a report from the CLI needs no Dagster
    from dagster._core.storage.asset_check_execution_record import AssetCheckExecutionRecordStatus as Rec

    from assets.definitions import defs

    instance = instance or dg.DagsterInstance.get()
    graph = defs.resolve_asset_graph()
    states = {Rec.SUCCEEDED: "passed", Rec.FAILED: "failed", Rec.PLANNED: "running"}
    statuses = []
    for key in sorted(graph.asset_check_keys, key=lambda k: (k.asset_key.to_user_string(), k.name)):
        # The history call, unlike the latest-by-key one, also returns checks of partitioned assets.
        latest = instance.event_log_storage.get_asset_check_execution_history(key, limit=1)
        record = latest[0] if latest else None
        statuses.append(
            CheckStatus(
                asset=key.asset_key.to_user_string(),
                check=key.name,
                state=states.get(record.status, "not run") if record else "not run",
                description=graph.get_check_spec(key).description or "",
                at=dt.datetime.fromtimestamp(record.create_timestamp, dt.UTC) if record else None,
            )
        )
    return statuses


REPORT_QUERIES = {
    "build": "SELECT build_id, built_at, code_version FROM warehouse_builds ORDER BY built_at DESC LIMIT 1",
    "totals": """
        SELECT (SELECT count(*) FROM papers) AS papers,
               (SELECT count(*) FROM paper_metrics) AS results,
               (SELECT count(DISTINCT paper_id) FROM papers_with_code) AS with_code,
               (SELECT count(*) FROM sources WHERE status = 'current') AS pages,
               (SELECT count(*) FROM quarantine) AS quarantined""",
    "boards": """
        SELECT l.metric, coalesce(d.display_name, l.metric) AS metric_name, l.dataset, l.rank, l.value,
               l.unit, l.title, l.better, l.n_papers
        FROM leaderboard l LEFT JOIN metric_definitions d USING (metric)
        WHERE l.dataset <> '(unspecified)'""",
    "code": """
        SELECT CASE WHEN paper_id IN (SELECT paper_id FROM papers_with_code) THEN 'code available'
                    WHEN paper_id IN (SELECT paper_id FROM paper_links
                                      WHERE kind = 'repository' AND availability = 'announced')
                        THEN 'code announced'
                    ELSE 'no code link' END AS code,
               count(*) AS n
        FROM papers GROUP BY 1""",
    "hosts": "SELECT host, n_links, n_papers FROM links_per_host LIMIT 8",
    "sources": """
        SELECT file_name, status, layout, listing_date, n_records, n_quarantined_lines, ingested_at
        FROM sources ORDER BY listing_date NULLS LAST, file_name, ingested_at""",
}


def _frames(database_path: Path) -> dict[str, pl.DataFrame]:
    con = connect_read_only(database_path)
    try:
        return {name: con.execute(sql).pl() for name, sql in REPORT_QUERIES.items()}
    finally:
        con.close()


def _e(value: object) -> str:
    return html.escape("" if value is None else str(value))


def _number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.4g}"


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _svg_open(width: int, height: int) -> str:
    """A chart drawn at its natural size, shrunk (never stretched) to fit a narrower card."""
    return f'<svg class="chart" width="{width}" viewBox="0 0 {width} {height}" role="img">'


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    unit: str = ""
    tooltip: str = ""
    color: str = ACCENT


def bar_chart(bars: Sequence[Bar]) -> str:
    """Horizontal bars, one per row, their length proportional to the value; the label is cut to fit."""
    label_w, bar_w, row_h = 300, 300, 22
    top = max((abs(bar.value) for bar in bars), default=0) or 1
    parts = [_svg_open(label_w + bar_w + 90, row_h * len(bars) + 4)]
    for i, bar in enumerate(bars):
        y = i * row_h + 2
        width = max(abs(bar.value) / top * bar_w, 1.5)
        parts.append(
            f"<g><title>{_e(bar.tooltip or bar.label)}</title>"
            f'<text x="{label_w - 6}" y="{y + 15}" text-anchor="end">{_e(_cut(bar.label, 42))}</text>'
            f'<rect x="{label_w}" y="{y + 3}" width="{width:.1f}" height="{row_h - 6}" rx="3" '
            f'fill="{bar.color}"/><text x="{label_w + width + 5:.1f}" y="{y + 15}">'
            f"{_e(_number(bar.value))}{_e(bar.unit)}</text></g>"
        )
    return "".join(parts) + "</svg>"


def column_chart(columns: Sequence[tuple[str, float, str]]) -> str:
    """Vertical columns over an ordered axis: (label, value, tooltip) each."""
    col_w, height = 84, 160
    top = max((value for _, value, _ in columns), default=0) or 1
    parts = [_svg_open(col_w * len(columns) + 8, height + 40)]
    for i, (label, value, tooltip) in enumerate(columns):
        x, h = i * col_w + 8, max(value / top * height, 1.5)
        parts.append(
            f"<g><title>{_e(tooltip)}</title>"
            f'<rect x="{x}" y="{height - h + 14:.1f}" width="{col_w - 14}" height="{h:.1f}" rx="3" '
            f'fill="{ACCENT}"/><text x="{x + (col_w - 14) / 2}" y="{height - h + 10:.1f}" '
            f'text-anchor="middle">{_e(_number(value))}</text>'
            f'<text x="{x + (col_w - 14) / 2}" y="{height + 30}" text-anchor="middle">{_e(label)}</text></g>'
        )
    return "".join(parts) + "</svg>"


def _leaderboards(boards: pl.DataFrame) -> str:
    ranked = (
        boards.filter(pl.col("n_papers") >= 2)
        .group_by("metric", "metric_name", "dataset", "better", maintain_order=True)
        .agg(pl.col("n_papers").first(), pl.struct("rank", "value", "unit", "title").sort_by("rank"))
        .sort(["n_papers", "metric", "dataset"], descending=[True, False, False])
        .head(MAX_BOARDS)
    )
    if ranked.is_empty():
        return "<p>No benchmark has results from two or more papers yet.</p>"
    cards = []
    for board in ranked.iter_rows(named=True):
        entries = board["rank"][:ROWS_PER_BOARD]
        bars = [
            Bar(
                f"{e['rank']}. {e['title']}",
                e["value"],
                e["unit"] or "",
                e["title"],
                GOOD if e["rank"] == 1 else ACCENT,
            )
            for e in entries
        ]
        cards.append(
            f'<div class="card"><h3>{_e(board["metric_name"])} on {_e(board["dataset"])}</h3>'
            f'<p class="note">{board["n_papers"]} papers · {_e(board["better"])} is better</p>'
            f"{bar_chart(bars)}</div>"
        )
    return '<div class="grid">' + "".join(cards) + "</div>"


def _code_section(code: pl.DataFrame, hosts: pl.DataFrame) -> str:
    counts = dict(code.iter_rows())
    total = sum(counts.values()) or 1
    colors = {"code available": GOOD, "code announced": WARN, "no code link": NEUTRAL}
    segments, x = [], 0.0
    for name, color in colors.items():
        width = counts.get(name, 0) / total * 600
        segments.append(
            f'<rect x="{x:.1f}" y="0" width="{width:.1f}" height="26" fill="{color}">'
            f"<title>{_e(name)}: {counts.get(name, 0)}</title></rect>"
        )
        x += width
    legend = " ".join(
        f'<span class="key"><i style="background:{color}"></i>{_e(name)} {counts.get(name, 0):,} '
        f"({counts.get(name, 0) / total:.0%})</span>"
        for name, color in colors.items()
    )
    host_bars = [Bar(h, n, tooltip=f"{h}: {n} links in {p} papers") for h, n, p in hosts.iter_rows()]
    return (
        f'<div class="grid"><div class="card"><h3>Papers by code availability</h3>'
        f"{_svg_open(600, 26)}{''.join(segments)}</svg>"
        f'<p class="legend">{legend}</p></div>'
        f'<div class="card"><h3>Where abstracts link</h3>{bar_chart(host_bars)}</div></div>'
    )


def _sources_section(sources: pl.DataFrame) -> str:
    by_date = (
        sources.filter(pl.col("status") == "current")
        .group_by(pl.col("listing_date").cast(pl.String).fill_null("undated").alias("date"))
        .agg(pl.col("n_records").sum(), pl.col("file_name").sort().str.join(", "))
        .sort(pl.col("date") == "undated", "date")
    )
    columns = [(d, n, f"{d}: {n} records from {files}") for d, n, files in by_date.iter_rows()]
    header = "<tr><th>file</th><th>status</th><th>layout</th><th>listing date</th><th>records</th>"
    header += "<th>quarantined lines</th><th>ingested</th></tr>"
    body = "".join(
        f'<tr><td>{_e(r["file_name"])}</td><td><span class="dot" style="background:'
        f'{STATUS_COLORS.get(r["status"], NEUTRAL)}"></span>{_e(r["status"])}</td><td>{_e(r["layout"])}</td>'
        f"<td>{_e(r['listing_date'] or 'undated')}</td><td>{r['n_records']:,}</td>"
        f"<td>{r['n_quarantined_lines']:,}</td><td>{r['ingested_at']:%Y-%m-%d %H:%M} UTC</td></tr>"
        for r in sources.iter_rows(named=True)
    )
    chart = column_chart(columns) if columns else "<p>No current page.</p>"
    return (
        f'<div class="card"><h3>Records per listing date (current page versions)</h3>{chart}</div>'
        f'<div class="card"><h3>Every page file version</h3><table>{header}{body}</table></div>'
    )


def _checks_section(checks: Sequence[CheckStatus] | None) -> str:
    if checks is None:
        return (
            "<p>Check results are not available here (no Dagster instance): "
            "see <code>papers status</code>.</p>"
        )
    colors = {"passed": GOOD, "failed": BAD, "running": ACCENT}
    tally = {
        state: sum(c.state == state for c in checks) for state in ("passed", "failed", "running", "not run")
    }
    summary = " · ".join(f"{n} {state}" for state, n in tally.items() if n)
    rows = "".join(
        f'<tr><td><span class="dot" style="background:{colors.get(c.state, NEUTRAL)}"></span>'
        f"{_e(c.state)}</td>"
        f"<td>{_e(c.asset)}</td><td>{_e(c.check)}</td><td>{_e(c.description)}</td>"
        f"<td>{_e(f'{c.at:%Y-%m-%d %H:%M} UTC' if c.at else '')}</td></tr>"
        for c in sorted(checks, key=lambda c: (c.state == "passed", c.asset, c.check))
    )
    return (
        f'<p class="tally">{_e(summary)}</p><table><tr><th>state</th><th>asset</th><th>check</th>'
        f"<th>what it asserts</th><th>latest</th></tr>{rows}</table>"
    )


STYLE = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;color:#1f2328;
margin:0 auto;max-width:1280px;padding:24px;background:#f6f8fa}
h1{margin:0 0 4px}h2{margin:32px 0 12px;border-bottom:1px solid #d0d7de;padding-bottom:4px}
h3{margin:0 0 6px;font-size:15px}.note,.sub{color:#57606a;margin:0 0 8px}
.tiles{display:flex;gap:12px;flex-wrap:wrap}.tile{background:#fff;border:1px solid #d0d7de;
border-radius:8px;padding:12px 18px}.tile b{display:block;font-size:24px}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(560px,1fr));gap:16px}
.card{background:#fff;border:1px solid #d0d7de;border-radius:8px;padding:14px;margin-bottom:16px}
.chart{max-width:100%;height:auto;font-size:12px}.chart text{fill:#1f2328}
table{border-collapse:collapse;width:100%;background:#fff}td,th{border-bottom:1px solid #d8dee4;
padding:4px 8px;text-align:left;vertical-align:top}th{background:#f6f8fa}
td:first-child{white-space:nowrap}.tile a{color:inherit;text-decoration:none}
.dot{display:inline-block;width:10px;height:10px;border-radius:50%;margin-right:6px}
.key{margin-right:14px}.key i{display:inline-block;width:10px;height:10px;margin-right:4px}
"""


def render_html(frames: dict[str, pl.DataFrame], checks: Sequence[CheckStatus] | None) -> str:
    """The whole page from the warehouse's frames and the checks' latest results."""
    build = frames["build"].row(0, named=True) if frames["build"].height else {}
    totals = frames["totals"].row(0, named=True)
    tiles = "".join(
        f'<div class="tile"><b>{n:,}</b>{_e(label)}</div>'
        for label, n in [
            ("papers", totals["papers"]),
            ("reported results", totals["results"]),
            ("papers with code", totals["with_code"]),
            ("current pages", totals["pages"]),
            ("quarantined spans", totals["quarantined"]),
        ]
    )
    if checks is not None:
        passed = sum(c.state == "passed" for c in checks)
        color = GOOD if passed == len(checks) else BAD
        tiles += (
            f'<div class="tile" style="border-color:{color}"><b style="color:{color}">'
            f'{passed} / {len(checks)}</b><a href="#checks">checks passed</a></div>'
        )
    built = f"{build['built_at']:%Y-%m-%d %H:%M} UTC" if build else "unknown"
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>Papers warehouse report</title><style>{STYLE}</style></head><body>"
        "<h1>Papers warehouse</h1>"
        f'<p class="sub">Build {_e(build.get("build_id", "?"))}, published {_e(built)}, '
        f"code version {_e(build.get('code_version', '?'))}</p>"
        f'<div class="tiles">{tiles}</div>'
        f"<h2>Leaderboards per metric and benchmark</h2>"
        '<p class="note">Each paper\'s best reported score; green is the best. Benchmarks with two or '
        "more papers, most-contested first.</p>"
        f"{_leaderboards(frames['boards'])}"
        f"<h2>Code availability</h2>{_code_section(frames['code'], frames['hosts'])}"
        f"<h2>Sources over time</h2>{_sources_section(frames['sources'])}"
        f'<h2 id="checks">Check status</h2>{_checks_section(checks)}'
        "</body></html>\n"
    )


def render_report(database_path: Path, out_path: Path, checks: Sequence[CheckStatus] | None = None) -> Path:
    """Write the report of the published warehouse to `out_path` atomically and return the path.

    `checks` defaults to the latest results on the DAGSTER_HOME instance, when one is configured.
    """
    frames = _frames(database_path)
    if checks is None and os.environ.get("DAGSTER_HOME"):
        checks = check_statuses()
    return write_text_atomic(render_html(frames, checks), out_path)
