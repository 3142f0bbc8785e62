"""The plain program: the pipeline's core work in a few Polars expressions, no Dagster, no checks.

    python -m benchmarks.baseline --inbox DIR --out DIR [--report FILE]

Reads every page file, splits it into lines, pairs titles with abstracts (both layouts: once blank,
chrome and date lines are gone, content lines alternate title, abstract), dedups papers by
normalized title, extracts links with one regex, and writes occurrences, papers and links as
Parquet. It is the yardstick of "what this hardware allows" for the benchmark: it skips what the
pipeline adds on purpose (line provenance, quarantine, layout heuristics, versions, metrics,
checks, the DuckDB publish), so the pipeline is expected to be slower by a bounded factor.
Prints one JSON line: rows and seconds per stage.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from pathlib import Path

import polars as pl

CHROME = [
    "new",
    "Subscribe",
    "Daily Papers",
    "byAK and the research community",
    "Get trending papers in your email inbox!",
    "Get trending papers in your email inbox once a day!",
]
DATE_LINE = r"^(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.? \d{1,2}(?:, \d{4})?$"
LINK = r"(?i)(?:https?://|www\.|github\.com/)[^\s<>\"{}|\\^`]+"
# A separator byte that never occurs in text: the CSV reader then yields one row per line, fast.
_NO_SEPARATOR = "\x1f"


def read_lines(files: list[Path]) -> pl.DataFrame:
    """One row per physical line: file, line number, text (blank lines are null)."""
    lines = pl.scan_csv(
        [str(f) for f in files],
        has_header=False,
        separator=_NO_SEPARATOR,
        quote_char=None,
        schema={"text": pl.String},
        include_file_paths="file",
    )
    return lines.with_columns(line_no=pl.int_range(1, pl.len() + 1).over("file")).collect()


def pair_records(lines: pl.DataFrame) -> pl.DataFrame:
    """Content lines alternate title, abstract; the first title of a compact page is glued to Subscribe."""
    text = pl.col("text").str.strip_chars()
    content = lines.with_columns(text=text).filter(
        pl.col("text").is_not_null()
        & (pl.col("text") != "")
        & ~pl.col("text").is_in(CHROME)
        & ~pl.col("text").str.contains(DATE_LINE)
    )
    content = content.with_columns(k=pl.int_range(pl.len()).over("file")).with_columns(
        text=pl.when(pl.col("k") == 0).then(pl.col("text").str.strip_prefix("Subscribe")).otherwise("text")
    )
    return (
        content.with_columns(abstract=pl.col("text").shift(-1).over("file"))
        .filter(pl.col("k") % 2 == 0)
        .select(
            "file",
            position=(pl.col("k") // 2 + 1).cast(pl.Int32),
            line_start="line_no",
            title="text",
            abstract="abstract",
        )
    )


def dedup_papers(records: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Occurrences keyed by normalized title, and one row per distinct key."""
    key = (
        pl.col("title")
        .str.normalize("NFKC")
        .str.to_lowercase()
        .str.replace_all(r"[^\p{L}\p{N}]+", " ")
        .str.strip_chars()
    )
    occurrences = records.with_columns(title_key=key).with_columns(paper_id=pl.col("title_key").hash(0))
    papers = occurrences.group_by("paper_id").agg(
        pl.col("title").first(), pl.col("abstract").first(), n_occurrences=pl.len()
    )
    return occurrences, papers


def extract_links(papers: pl.DataFrame) -> pl.DataFrame:
    """One row per link: one regex, sentence punctuation trimmed."""
    return (
        papers.select("paper_id", url=pl.col("abstract").str.extract_all(LINK))
        .explode("url")
        .drop_nulls("url")
        .with_columns(url=pl.col("url").str.replace(r"[.,;:)\]]+$", ""))
    )


def run(inbox: Path, out: Path) -> dict:
    """Every stage in turn, timed; returns the JSON report."""
    stages: dict[str, dict] = {}

    def timed(name: str, rows_in: int, step: Callable, *args: object):
        started = time.perf_counter()
        result = step(*args)
        stages[name] = {"seconds": round(time.perf_counter() - started, 3), "rows_in": rows_in}
        return result

    files = sorted(p for p in inbox.rglob("*.txt") if p.is_file())
    lines = timed("read", len(files), read_lines, files)
    records = timed("parse", lines.height, pair_records, lines)
    del lines  # the line frame is the largest; a plain program would let it go too
    occurrences, papers = timed("dedup", records.height, dedup_papers, records)
    links = timed("links", papers.height, extract_links, papers)
    outputs = {"paper_occurrences": occurrences, "papers": papers, "paper_links": links}
    timed("write", sum(frame.height for frame in outputs.values()), write_outputs, outputs, out)
    return {
        "files": len(files),
        "records": records.height,
        "papers": papers.height,
        "links": links.height,
        "stages": stages,
    }


def write_outputs(outputs: dict[str, pl.DataFrame], out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for name, frame in outputs.items():
        frame.write_parquet(out / f"{name}.parquet", compression="zstd")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.baseline", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--inbox", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--report", type=Path, help="also write the JSON report here")
    args = parser.parse_args(argv)
    report = run(args.inbox, args.out)
    text = json.dumps(report)
    if args.report:
        args.report.write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
