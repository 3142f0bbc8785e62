"""Measure `papers run` and the plain program side by side, in one go, and print the Markdown table.

    python -m benchmarks.run --files 1000 --records 1000000 --big-mb 500

Scenarios, each a fresh subprocess: (a) the plain program over the corpus; (b) `papers run`, full
build into an empty warehouse and Dagster instance; (c) `papers run` again with nothing new;
(d) one new page of `--new-records` records added, `papers run`; (e) the plain program and
`papers run` over one `--big-mb` MB page, in an inbox and warehouse of their own.

Wall time is measured around the subprocess; peak memory is the `ru_maxrss` that `os.wait4`
returns for it: the peak resident set of that process (or of the largest process it waited for;
every measured command here runs as one process: `papers run` executes in process). Per-stage times
come from the Dagster instance's step stats of the run, row counts from its materializations.
Corpora are cached under benchmarks/out/ (git-ignored); results go to benchmarks/out/*.json|md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import threading
import time
from importlib import metadata
from pathlib import Path

from benchmarks.corpus import CORPUS_VERSION, TRUTH_FILE, generate_corpus, write_big_page, write_next_page
from pipeline.settings import PROJECT_ROOT

OUT = PROJECT_ROOT / "benchmarks" / "out"
GIB = 1024**3
RSS_SAMPLE_SECONDS = 0.2
# Targets of issue 8, for 1,000 files / 1,000,000 records and one 500 MB page on 2 cores.
TARGETS = {
    "full": {"wall_s": 90, "rss_gib": 6, "ratio": 3},
    "nothing_new": {"wall_s": 5},
    "new_page": {"wall_s": 15},
    "big_page": {"rss_gib": 4},
}
PUBLISHED_TABLES = ("paper_occurrences", "papers", "paper_links")
# The input rows of each Dagster step: the asset whose row count the step reads (or writes, for ingest).
STEP_INPUT = {
    "ingest_page_files": "parsed_records",
    "sources": "sources",
    "paper_occurrences": "paper_occurrences",
    "papers": "paper_occurrences",
    "paper_links": "papers",
    "paper_metrics": "papers",
    "metric_definitions": "metric_definitions",
    "warehouse": "paper_occurrences",
}


def machine() -> dict:
    """What the numbers were measured on."""
    cpuinfo = Path("/proc/cpuinfo").read_text(encoding="utf-8") if Path("/proc/cpuinfo").exists() else ""
    model = re.search(r"model name\s*:\s*(.+)", cpuinfo)
    meminfo = Path("/proc/meminfo").read_text(encoding="utf-8") if Path("/proc/meminfo").exists() else ""
    mem_kb = re.search(r"MemTotal:\s*(\d+)", meminfo)
    return {
        "cpu": model.group(1).strip() if model else platform.processor(),
        "cores": len(os.sched_getaffinity(0)),
        "memory_gib": round(int(mem_kb.group(1)) * 1024 / GIB, 1) if mem_kb else None,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        **{pkg: metadata.version(pkg) for pkg in ("polars", "duckdb", "dagster")},
    }


def _sample_rss(pid: int, samples: list[tuple[float, int]], every: float = RSS_SAMPLE_SECONDS) -> None:
    """(unix time, RSS kB) of a running process until it exits: attributes memory to Dagster steps.

    The peak of the whole run comes from wait4 and misses nothing; samples may miss a short spike.
    """
    status = Path(f"/proc/{pid}/status")
    while True:
        try:
            text = status.read_text(encoding="utf-8")
        except OSError:
            return
        found = re.search(r"VmRSS:\s*(\d+)", text)
        if not found:  # exited, not yet reaped
            return
        samples.append((time.time(), int(found.group(1))))
        time.sleep(every)


def measure(name: str, command: list[str], env: dict[str, str], logs: Path) -> dict:
    """Run one command to its end; wall seconds, peak RSS and its output (kept in logs/<name>.log)."""
    logs.mkdir(parents=True, exist_ok=True)
    log = logs / f"{name}.log"
    print(f"[{name}] {' '.join(command)}", flush=True)
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    with log.open("w", encoding="utf-8") as sink:
        process = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT, env=env, cwd=PROJECT_ROOT)
        samples: list[tuple[float, int]] = []
        sampler = threading.Thread(target=_sample_rss, args=(process.pid, samples), daemon=True)
        sampler.start()
        _, status, usage = os.wait4(process.pid, 0)
        sampler.join()
    wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    output = log.read_text(encoding="utf-8", errors="replace")
    result = {
        "name": name,
        "command": " ".join(command),
        "exit_code": process.returncode,
        "wall_s": round(wall, 2),
        "peak_rss_gib": round(usage.ru_maxrss * 1024 / GIB, 3),  # Linux reports kilobytes
        # CPU seconds hardly change when other work shares the machine; wall seconds do: keep both,
        # and the 1-minute load average before and after, to tell a quiet run from a crowded one.
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
        "load": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "log": str(log),
        "rss_samples": samples,
    }
    print(
        f"[{name}] exit {result['exit_code']}, {result['wall_s']} s, {result['peak_rss_gib']} GiB", flush=True
    )
    if process.returncode != 0:
        print(output[-3000:], file=sys.stderr)
    result["output"] = output
    return result


def dagster_steps(
    home: Path, output: str, samples: list[tuple[float, int]] | None = None
) -> tuple[str | None, list[dict]]:
    """The run's id and its steps: seconds, input rows and rows/s, from the instance the run used."""
    found = re.search(r"Run ([0-9a-f-]{36}) ", output)
    if not found:
        return None, []  # nothing to run: no Dagster run was launched
    import dagster as dg

    run_id = found.group(1)
    # The instance's event storage sits under $DAGSTER_HOME (see .dagster/dagster.yaml).
    os.environ["DAGSTER_HOME"] = str(home)
    with dg.DagsterInstance.from_config(str(home)) as instance:
        rows: dict[str, int] = {}
        for entry in instance.all_logs(run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION):
            materialization = entry.dagster_event.event_specific_data.materialization
            count = materialization.metadata.get("dagster/row_count")
            if count is not None:
                asset = materialization.asset_key.to_user_string()
                rows[asset] = max(rows.get(asset, 0), int(count.value))
        steps = []
        for stat in sorted(instance.get_run_step_stats(run_id), key=lambda s: s.start_time or 0):
            seconds = (stat.end_time or 0) - (stat.start_time or 0)
            n_in = rows.get(STEP_INPUT.get(stat.step_key, stat.step_key))
            during = [kb for t, kb in samples or [] if (stat.start_time or 0) <= t <= (stat.end_time or 0)]
            steps.append(
                {
                    "step": stat.step_key,
                    "seconds": round(seconds, 2),
                    "rows_in": n_in,
                    "rows_per_s": round(n_in / seconds) if n_in and seconds > 0 else None,
                    "peak_rss_gib": round(max(during) * 1024 / GIB, 2) if during else None,
                }
            )
    return run_id, steps


def link_inbox(pages: Path, inbox: Path) -> None:
    """An inbox holding the corpus' pages: hard links (same bytes, no copy), else copies."""
    inbox.mkdir(parents=True, exist_ok=True)
    for page in sorted(pages.glob("*.txt")):
        target = inbox / page.name
        try:
            os.link(page, target)
        except OSError:
            shutil.copy2(page, target)


def papers_command(inbox: Path, warehouse: Path, profile: Path | None = None) -> list[str]:
    """`papers run`; under cProfile (which slows Python-heavy code: never for the reported numbers)."""
    script = Path(sys.executable).with_name("papers")
    entry = [str(script)] if script.exists() else [sys.executable, "-m", "papers.cli"]
    if profile:
        entry = [sys.executable, "-m", "cProfile", "-o", str(profile), "-m", "papers.cli"]
    return [*entry, "run", "--seeds", str(inbox), "--warehouse", str(warehouse)]


def write_profile_summary(profile: Path, top: int = 40) -> Path:
    """The functions with the most cumulative and own time, as text beside the .prof file."""
    import io
    import pstats

    text = io.StringIO()
    stats = pstats.Stats(str(profile), stream=text)
    stats.sort_stats("cumulative").print_stats(top)
    stats.sort_stats("tottime").print_stats(top)
    summary = profile.with_suffix(".txt")
    summary.write_text(text.getvalue(), encoding="utf-8")
    return summary


def baseline_command(inbox: Path, out: Path) -> list[str]:
    return [sys.executable, "-m", "benchmarks.baseline", "--inbox", str(inbox), "--out", str(out)]


def fresh_home(home: Path) -> dict[str, str]:
    """A new Dagster instance folder configured like the project's, and the environment pointing at it."""
    home.mkdir(parents=True, exist_ok=True)
    shutil.copy(PROJECT_ROOT / ".dagster" / "dagster.yaml", home / "dagster.yaml")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAPERS_")}
    return {**env, "DAGSTER_HOME": str(home), "GX_ANALYTICS_ENABLED": "false"}


def published_counts(warehouse: Path) -> dict[str, int]:
    """Rows of the contract's main tables in the published file, read-only as any reader would."""
    import duckdb

    database = warehouse / "papers.duckdb"
    if not database.exists():
        return {}
    con = duckdb.connect(str(database), read_only=True)
    try:
        # Table names are constants of this module, never data.
        return {t: con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in PUBLISHED_TABLES}
    finally:
        con.close()


def _cached(truth_path: Path) -> dict | None:
    """The truth of a corpus generated earlier by this version of the generator, else None."""
    if not truth_path.exists():
        return None
    truth = json.loads(truth_path.read_text(encoding="utf-8"))
    return truth if truth.get("version") == CORPUS_VERSION else None


def ensure_corpus(files: int, records: int, seed: int) -> tuple[Path, dict]:
    folder = OUT / f"corpus-{files}x{records}-s{seed}"
    truth = _cached(folder / TRUTH_FILE)
    if truth is None:
        print(f"generating {folder} ...", flush=True)
        shutil.rmtree(folder, ignore_errors=True)
        truth = generate_corpus(folder, files, records, seed)
    return folder, truth


def ensure_big_page(megabytes: float, seed: int) -> tuple[Path, dict]:
    folder = OUT / f"big-{megabytes:g}mb-s{seed}"
    info = _cached(folder / TRUTH_FILE)
    if info is None:
        print(f"generating {folder} ...", flush=True)
        shutil.rmtree(folder, ignore_errors=True)
        info = write_big_page(folder, megabytes, seed)
        (folder / TRUTH_FILE).write_text(json.dumps(info), encoding="utf-8")
    return folder, info


def run_pipeline(
    name: str, inbox: Path, warehouse: Path, env: dict[str, str], logs: Path, profile: Path | None = None
) -> dict:
    result = measure(name, papers_command(inbox, warehouse, profile), env, logs)
    if profile:
        result["profile"] = str(write_profile_summary(profile))
    result["run_id"], result["steps"] = dagster_steps(
        Path(env["DAGSTER_HOME"]), result["output"], result["rss_samples"]
    )
    result["published"] = published_counts(warehouse)
    return result


def run_baseline(name: str, inbox: Path, out: Path, env: dict[str, str], logs: Path) -> dict:
    result = measure(name, baseline_command(inbox, out), env, logs)
    lines = [line for line in result["output"].splitlines() if line.startswith("{")]
    result["report"] = json.loads(lines[-1]) if lines else {}
    return result


def run_all(args: argparse.Namespace) -> dict:
    corpus, truth = ensure_corpus(args.files, args.records, args.seed)
    work = OUT / "work"
    shutil.rmtree(work, ignore_errors=True)
    logs, inbox, warehouse = work / "logs", work / "inbox", work / "warehouse"
    link_inbox(corpus, inbox)
    env = fresh_home(work / "dagster_home")
    results = {"baseline": run_baseline("baseline", inbox, work / "baseline", env, logs)}
    profile = OUT / f"profile-full-{args.files}x{args.records}.prof" if args.profile else None
    results["full"] = run_pipeline("full", inbox, warehouse, env, logs, profile)
    results["nothing_new"] = run_pipeline("nothing_new", inbox, warehouse, env, logs)
    new_page = write_next_page(corpus, inbox, args.new_records)
    results["new_page"] = run_pipeline("new_page", inbox, warehouse, env, logs)
    results["new_page"]["page"] = new_page
    big = None
    if args.big_mb:
        big_folder, big = ensure_big_page(args.big_mb, args.seed)
        big_inbox = work / "big_inbox"
        link_inbox(big_folder, big_inbox)
        big_env = fresh_home(work / "big_dagster_home")
        results["big_baseline"] = run_baseline(
            "big_baseline", big_inbox, work / "big_baseline", big_env, logs
        )
        results["big_page"] = run_pipeline("big_page", big_inbox, work / "big_warehouse", big_env, logs)
    for result in results.values():
        result.pop("output", None)
        result.pop("rss_samples", None)
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return {
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "command": "python -m benchmarks.run " + " ".join(sys.argv[1:]),
        "machine": machine(),
        "corpus": {k: v for k, v in truth.items() if k != "files"},
        "big_page": big,
        "results": results,
    }


def _met(scenario: str, result: dict, ratio: float | None) -> str:
    target = TARGETS.get(scenario, {})
    checks = []
    if "wall_s" in target:
        checks.append((f"≤ {target['wall_s']} s", result["wall_s"] <= target["wall_s"]))
    if "rss_gib" in target:
        checks.append((f"≤ {target['rss_gib']} GiB", result["peak_rss_gib"] <= target["rss_gib"]))
    if "ratio" in target and ratio is not None:
        checks.append((f"≤ {target['ratio']}x plain", ratio <= target["ratio"]))
    if not checks:
        return "| |"
    text = ", ".join(label for label, _ in checks)
    return f"| {text} | {'yes' if result['exit_code'] == 0 and all(ok for _, ok in checks) else '**no**'} |"


def markdown(report: dict) -> str:
    """The README's tables: scenarios side by side with the plain program, then the full build's stages."""
    m, corpus, res = report["machine"], report["corpus"], report["results"]
    lines = [
        f"Measured {report['when']} on {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB, {m['os']}; "
        f"Python {m['python']}, polars {m['polars']}, duckdb {m['duckdb']}, dagster {m['dagster']}.",
        f"Command: `{report['command']}`.",
        f"Corpus: {corpus['n_files']:,} files, {corpus['n_records']:,} records "
        f"({corpus['n_papers']:,} distinct papers, {corpus['n_repeats']:,} cross-file repeats), "
        f"{corpus['bytes'] / 1e6:,.0f} MB, generated in {corpus['seconds']} s.",
        "",
        "| scenario | records | wall s | CPU s | load | peak RSS GiB | records/s | papers found "
        "| plain program s | ratio | target | met |",
        "| --- | --: | --: | --: | --: | --: | --: | --: | --: | --: | --- | --- |",
    ]
    rows = [
        ("baseline", "plain program (Polars), whole corpus", corpus["n_records"], None),
        ("full", "`papers run`, full build", corpus["n_records"], "baseline"),
        ("nothing_new", "`papers run`, nothing new", 0, "baseline"),
        (
            "new_page",
            "`papers run`, one new page",
            res["new_page"].get("page", {}).get("records", 0),
            "baseline",
        ),
    ]
    if "big_page" in res:
        n_big = report["big_page"]["records"]
        mb = report["big_page"]["bytes"] / 1e6
        rows += [
            ("big_baseline", f"plain program, one {mb:,.0f} MB page", n_big, None),
            ("big_page", f"`papers run`, one {mb:,.0f} MB page", n_big, "big_baseline"),
        ]
    for key, label, n, against in rows:
        r = res[key]
        papers = r.get("report", {}).get("papers") or r.get("published", {}).get("papers", "")
        base = res[against]["wall_s"] if against else None
        ratio = round(r["wall_s"] / base, 2) if base else None
        rate = f"{n / r['wall_s']:,.0f}" if n else ""
        found = f"{papers:,}" if isinstance(papers, int) else ""
        label += " (under cProfile)" if r.get("profile") else ""
        lines.append(
            f"| {label} | {n:,} | {r['wall_s']} | {r['cpu_s']} | {r['load'][0]}→{r['load'][1]} "
            f"| {r['peak_rss_gib']:.2f} | {rate} | {found} | {base or ''} "
            f"| {f'{ratio}x' if ratio else ''} " + _met(key, r, ratio)
        )
    lines += ["", *stage_table(res)]
    return "\n".join(lines)


def stage_table(res: dict) -> list[str]:
    """Per stage of the full build: seconds, input rows, rows/s, with the plain program's stages after."""
    lines = [
        "| run | stage | seconds | rows in | rows/s | peak RSS GiB |",
        "| --- | --- | --: | --: | --: | --: |",
    ]
    for key in ("full", "new_page", "big_page"):
        if key not in res:
            continue
        steps = res[key]["steps"]
        for step in steps:
            rate = f"{step['rows_per_s']:,}" if step["rows_per_s"] else ""
            n_in = f"{step['rows_in']:,}" if step["rows_in"] is not None else ""
            rss = step.get("peak_rss_gib") or ""
            lines.append(f"| {key} | {step['step']} | {step['seconds']} | {n_in} | {rate} | {rss} |")
        outside = res[key]["wall_s"] - sum(step["seconds"] for step in steps)
        lines.append(f"| {key} | outside steps (start, imports, plan, run records) | {outside:.2f} | | | |")
    for key in ("baseline", "big_baseline"):
        for stage, info in res.get(key, {}).get("report", {}).get("stages", {}).items():
            rate = f"{info['rows_in'] / info['seconds']:,.0f}" if info["seconds"] else ""
            lines.append(f"| {key} | {stage} | {info['seconds']} | {info['rows_in']:,} | {rate} | |")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--new-records", type=int, default=1000, help="records of the page added in (d)")
    parser.add_argument(
        "--big-mb", type=float, default=500, help="size of the single page of (e); 0 skips it"
    )
    parser.add_argument("--keep", action="store_true", help="keep benchmarks/out/work (inboxes, warehouses)")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="run the full build under cProfile (slower: for finding hot spots)",
    )
    args = parser.parse_args(argv)
    report = run_all(args)
    table = markdown(report)
    stamp = report["when"].replace(":", "").replace("-", "")
    stem = OUT / f"results-{args.files}x{args.records}-{stamp}"
    stem.with_suffix(".json").write_text(json.dumps(report, indent=1), encoding="utf-8")
    stem.with_suffix(".md").write_text(table + "\n", encoding="utf-8")
    print(table)
    failed = [k for k, r in report["results"].items() if r["exit_code"] != 0]
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
