"""`papers run | ui | sql | status`: the user's entry points, each ending in one clear line on error."""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from pathlib import Path

from papers.errors import UserError
from pipeline.settings import PROJECT_ROOT, Settings


def _settings(args: argparse.Namespace) -> Settings:
    settings = Settings.resolve(getattr(args, "seeds", None), getattr(args, "warehouse", None))
    settings.export()
    settings.dagster_home.mkdir(parents=True, exist_ok=True)
    instance_config = settings.dagster_home / "dagster.yaml"
    if not instance_config.exists():
        # A new DAGSTER_HOME gets the project's instance settings (no telemetry, one run at a time).
        shutil.copy(PROJECT_ROOT / ".dagster" / "dagster.yaml", instance_config)
    return settings


def cmd_run(args: argparse.Namespace) -> int:
    from papers.running import run_batch

    settings = _settings(args)
    if not settings.seeds_dir.is_dir():
        raise UserError(f"inbox folder {settings.seeds_dir} does not exist: create it or pass --seeds DIR")
    return run_batch(settings, trigger="cli")


def cmd_ui(args: argparse.Namespace) -> int:
    settings = _settings(args)
    command = [
        sys.executable,
        "-m",
        "dagster",
        "dev",
        "-m",
        "assets.definitions",
        "-h",
        args.host,
        "-p",
        str(args.port),
    ]
    print(
        f"Dagster UI on http://{args.host}:{args.port} (instance {settings.dagster_home}); Ctrl-C stops it."
    )
    process = subprocess.Popen(command, cwd=PROJECT_ROOT, start_new_session=True)
    try:
        return process.wait()
    except KeyboardInterrupt:
        process.terminate()
        return process.wait(timeout=30)


def cmd_sql(args: argparse.Namespace) -> int:
    from papers.querying import run_query
    from warehouse.cookbook import CookbookError, load_query, parse_param_assignments

    if (args.sql is None) == (args.named is None):
        raise UserError('give either a query, papers sql "SELECT ...", or a cookbook name, --query NAME')
    settings = _settings(args)
    try:
        params = parse_param_assignments(args.param)
        if args.named is not None:
            named = load_query(args.named)
            query, params = named.sql, named.bind(params)
        else:
            query = args.sql
    except CookbookError as error:
        raise UserError(str(error)) from error
    database = settings.database_path
    if args.snapshot:
        from papers.history import snapshot_database

        database = snapshot_database(settings.warehouse_dir, args.snapshot)
    run_query(database, query, args.format, params)
    return 0


def cmd_snapshots(args: argparse.Namespace) -> int:
    from papers.history import print_snapshots

    print_snapshots(_settings(args).warehouse_dir)
    return 0


def cmd_diff(args: argparse.Namespace) -> int:
    from papers.history import print_diff

    print_diff(_settings(args).warehouse_dir, args.old, args.new, args.limit)
    return 0


def cmd_queries(args: argparse.Namespace) -> int:
    from warehouse.cookbook import list_queries

    for query in list_queries():
        print(f"{query.name}\n    {query.summary}\n    $ {query.usage()}")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from papers.report import render_report

    settings = _settings(args)
    out = Path(args.out).resolve() if args.out else settings.warehouse_dir / "report.html"
    print(f"Report: {render_report(settings.database_path, out)}")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    from papers.querying import print_status

    print_status(_settings(args))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="papers", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="one batch run: ingest new or changed pages, publish the warehouse")
    run.add_argument("--seeds", help="inbox folder of page files (env PAPERS_SEEDS_DIR)")
    run.add_argument("--warehouse", help="warehouse folder (env PAPERS_WAREHOUSE_DIR)")
    run.set_defaults(func=cmd_run)
    ui = sub.add_parser("ui", help="the Dagster UI and daemon, with the sensor and schedule running")
    ui.add_argument("--port", type=int, default=3000)
    ui.add_argument("--host", default="127.0.0.1")
    ui.add_argument("--seeds", help="inbox folder of page files (env PAPERS_SEEDS_DIR)")
    ui.add_argument("--warehouse", help="warehouse folder (env PAPERS_WAREHOUSE_DIR)")
    ui.set_defaults(func=cmd_ui)
    sql = sub.add_parser("sql", help="a read-only SQL query of the published warehouse")
    sql.add_argument("sql", nargs="?", metavar="QUERY", help='SQL text, e.g. "SELECT count(*) FROM papers"')
    sql.add_argument("--query", dest="named", metavar="NAME", help="a cookbook query (`papers queries`)")
    sql.add_argument("--param", action="append", default=[], metavar="NAME=VALUE", help="a $NAME parameter")
    sql.add_argument("--format", choices=["table", "csv", "json"], default="table")
    sql.add_argument("--snapshot", metavar="ID", help="query a kept snapshot (`papers snapshots`) instead")
    sql.add_argument("--warehouse", help="warehouse folder (env PAPERS_WAREHOUSE_DIR)")
    sql.set_defaults(func=cmd_sql)
    snapshots = sub.add_parser("snapshots", help="the published builds, newest first; the last N are kept")
    snapshots.add_argument("--warehouse", help="warehouse folder (env PAPERS_WAREHOUSE_DIR)")
    snapshots.set_defaults(func=cmd_snapshots)
    diff = sub.add_parser("diff", help="papers added, removed and changed between two snapshots")
    diff.add_argument("old", nargs="?", default="previous", help="build id (default: previous)")
    diff.add_argument("new", nargs="?", default="latest", help="build id (default: latest)")
    diff.add_argument("--limit", type=int, default=30, help="rows of detail to print")
    diff.add_argument("--warehouse", help="warehouse folder (env PAPERS_WAREHOUSE_DIR)")
    diff.set_defaults(func=cmd_diff)
    queries = sub.add_parser("queries", help="the cookbook: named queries for `papers sql --query NAME`")
    queries.set_defaults(func=cmd_queries)
    report = sub.add_parser("report", help="render the warehouse as a self-contained HTML report")
    report.add_argument("--out", help="HTML file to write (default: <warehouse>/report.html)")
    report.add_argument("--warehouse", help="warehouse folder (env PAPERS_WAREHOUSE_DIR)")
    report.set_defaults(func=cmd_report)
    status = sub.add_parser("status", help="sources and their state, the last runs, failing checks")
    status.add_argument("--warehouse", help="warehouse folder (env PAPERS_WAREHOUSE_DIR)")
    status.set_defaults(func=cmd_status)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    started = time.perf_counter()
    try:
        code = args.func(args)
    except UserError as error:
        print(f"papers {args.command}: {error}", file=sys.stderr)
        return 1
    if args.command == "run":
        print(f"Took {time.perf_counter() - started:.1f} s.")
    return code


if __name__ == "__main__":
    sys.exit(main())
