"""`papers run | ui | sql | status`: the user's entry points, each ending in one clear line on error."""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

from papers.errors import UserError
from pipeline.settings import PROJECT_ROOT, Settings


def _settings(args: argparse.Namespace) -> Settings:
    settings = Settings.resolve(getattr(args, "seeds", None), getattr(args, "warehouse", None))
    settings.export()
    settings.dagster_home.mkdir(parents=True, exist_ok=True)
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

    settings = _settings(args)
    run_query(settings.database_path, args.query, args.format)
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
    sql.add_argument("query")
    sql.add_argument("--format", choices=["table", "csv", "json"], default="table")
    sql.add_argument("--warehouse", help="warehouse folder (env PAPERS_WAREHOUSE_DIR)")
    sql.set_defaults(func=cmd_sql)
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
