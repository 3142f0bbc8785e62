"""Pairwise precision and recall of paper identity on a corpus with known truth (benchmarks.dedup_corpus).

Every page file is read with the pipeline's own `read_page_version`, the records go through
`assign_paper_ids`, and each record is matched to its truth row by (file, line of its title), so a
record the parser loses does not shift the others. Pairs are counted from group sizes (n choose 2 per
predicted paper, per true paper and per (predicted, true) cell), never enumerated. A generated record
the pipeline did not return counts as a paper of its own, so a lost record costs recall. Accounting:
records returned + records with a line in a quarantined span + records lost == records generated;
"accounted" means none is lost.

    python -m benchmarks.dedup_eval --corpus DIR
    python -m benchmarks.dedup_eval --files 50 --records-per-file 200 --seed 1   # generates into a temp dir
    python -m benchmarks.dedup_eval --in-memory --files 1000 --records-per-file 1000 --repeat-share 0.7

`--in-memory` skips pages and parser: the generated records go straight to dedup, which is timed
(wall and CPU seconds) at sizes where writing and parsing pages would dominate.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import polars as pl

from benchmarks.dedup_corpus import CorpusSpec, generate_records, write_corpus
from pipeline.dedup import assign_paper_ids, build_papers
from pipeline.pages import read_page_version

_EPOCH = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True)
class DedupScore:
    n_generated: int
    n_returned: int  # records the parser returned that match a generated record
    n_quarantined: int  # generated records not returned, with a line in a quarantined span
    n_lost: int  # generated records neither returned nor quarantined
    n_spurious: int  # returned records at a line where no record was generated
    n_true_papers: int
    n_predicted_papers: int
    precision: float
    recall: float
    precision_returned: float  # the same, on the returned records only: dedup without parser losses
    recall_returned: float
    parse_seconds: float
    dedup_seconds: float

    @property
    def accounted(self) -> bool:
        return self.n_returned + self.n_quarantined == self.n_generated and self.n_spurious == 0


def read_corpus(pages: Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Records and quarantine of every page file, read the way the pipeline reads one file version."""
    records, quarantine = [], []
    for path in sorted(pages.glob("*.txt")):
        data = path.read_bytes()
        version = read_page_version(
            source_id=path.name,
            partition_key=path.stem,
            file_name=path.name,
            sha256=hashlib.sha256(data).hexdigest(),
            data=data,
            file_mtime=_EPOCH,
            ingested_at=_EPOCH,
        )
        records.append(version.records)
        quarantine.append(version.quarantine)
    return pl.concat(records), pl.concat(quarantine)


def _pairs(sizes: pl.Expr) -> pl.Expr:
    return (sizes.cast(pl.Int64) * (sizes.cast(pl.Int64) - 1) // 2).sum()


def pairwise_scores(labelled: pl.DataFrame) -> tuple[float, float]:
    """Precision and recall of the pairs put together by `paper_id` against those of `true_id`."""
    cells = labelled.group_by("paper_id", "true_id").agg(n=pl.len())
    true_positive = cells.select(_pairs(pl.col("n"))).item()
    predicted = cells.group_by("paper_id").agg(n=pl.col("n").sum()).select(_pairs(pl.col("n"))).item()
    actual = cells.group_by("true_id").agg(n=pl.col("n").sum()).select(_pairs(pl.col("n"))).item()
    return (true_positive / predicted if predicted else 1.0), (true_positive / actual if actual else 1.0)


def label_records(truth: pl.DataFrame, occurrences: pl.DataFrame, quarantine: pl.DataFrame) -> pl.DataFrame:
    """Truth rows with the predicted `paper_id` (null when not returned) and `status`."""
    returned = occurrences.select(file="file_name", line_start="line_start", paper_id="paper_id")
    spans = quarantine.select(file="file_name", q_start="line_start", q_end="line_end")
    # A record is quarantined when any of its lines (title to abstract) lies in a quarantined span.
    in_quarantine = (
        truth.select("file", "line_start", "line_end")
        .join(spans, on="file")
        .filter((pl.col("line_start") <= pl.col("q_end")) & (pl.col("q_start") <= pl.col("line_end")))
        .select("file", "line_start", quarantined=pl.lit(True))
        .unique()
    )
    return (
        truth.join(returned, on=["file", "line_start"], how="left")
        .join(in_quarantine, on=["file", "line_start"], how="left")
        .with_columns(
            status=pl.when(pl.col("paper_id").is_not_null())
            .then(pl.lit("returned"))
            .when(pl.col("quarantined"))
            .then(pl.lit("quarantined"))
            .otherwise(pl.lit("lost"))
        )
    )


def evaluate(corpus: Path) -> tuple[DedupScore, pl.DataFrame]:
    """Score one corpus directory (pages/ and truth.parquet); also return the labelled truth rows."""
    truth = pl.read_parquet(corpus / "truth.parquet")
    started = time.perf_counter()
    records, quarantine = read_corpus(corpus / "pages")
    parsed = time.perf_counter()
    occurrences = assign_paper_ids(records)
    build_papers(occurrences)
    deduped = time.perf_counter()
    labelled = label_records(truth, occurrences, quarantine)
    # A record the pipeline did not return is a paper of its own: its true pairs are missed.
    scored = labelled.with_columns(
        paper_id=pl.coalesce("paper_id", pl.concat_str(pl.lit("missing:"), "file", "line_start"))
    )
    precision, recall = pairwise_scores(scored)
    precision_returned, recall_returned = pairwise_scores(labelled.filter(pl.col("status") == "returned"))
    counts = labelled["status"].value_counts()
    count = dict(zip(counts["status"], counts["count"], strict=True))
    spurious = occurrences.join(
        truth.select(file_name="file", line_start="line_start"), on=["file_name", "line_start"], how="anti"
    )
    score = DedupScore(
        n_generated=truth.height,
        n_returned=count.get("returned", 0),
        n_quarantined=count.get("quarantined", 0),
        n_lost=count.get("lost", 0),
        n_spurious=spurious.height,
        n_true_papers=truth["true_id"].n_unique(),
        n_predicted_papers=occurrences["paper_id"].n_unique(),
        precision=precision,
        recall=recall,
        precision_returned=precision_returned,
        recall_returned=recall_returned,
        parse_seconds=round(parsed - started, 2),
        dedup_seconds=round(deduped - parsed, 2),
    )
    return score, labelled


def errors(labelled: pl.DataFrame) -> dict[str, pl.DataFrame]:
    """Where the pairs went wrong: records lost by the parser, papers split, papers merged."""
    returned = labelled.filter(pl.col("status") == "returned")
    split = returned.filter(pl.col("paper_id").n_unique().over("true_id") > 1)
    merged = returned.filter(pl.col("true_id").n_unique().over("paper_id") > 1)
    columns = [
        "file",
        "line_start",
        "true_id",
        "paper_id",
        "kind",
        "title_variant",
        "abstract_variant",
        "title",
    ]
    return {
        "not returned": labelled.filter(pl.col("status") != "returned").select(*columns[:3], *columns[4:]),
        "split": split.select(columns).sort("true_id", "paper_id"),
        "merged": merged.select(columns).sort("paper_id", "true_id"),
    }


def time_dedup(spec: CorpusSpec) -> dict[str, float | int]:
    """Generate records in memory, then time `assign_paper_ids` and `build_papers` and score the ids."""
    records = generate_records(spec).with_columns(source_id=pl.col("file"))
    timings: dict[str, float | int] = {
        "n_records": records.height,
        "n_true_papers": records["true_id"].n_unique(),
    }
    timings["n_distinct_titles"] = records["title"].n_unique()
    wall, cpu = time.perf_counter(), time.process_time()
    occurrences = assign_paper_ids(records)
    timings["assign_paper_ids_wall_s"] = round(time.perf_counter() - wall, 2)
    timings["assign_paper_ids_cpu_s"] = round(time.process_time() - cpu, 2)
    wall, cpu = time.perf_counter(), time.process_time()
    build_papers(occurrences)
    timings["build_papers_wall_s"] = round(time.perf_counter() - wall, 2)
    timings["build_papers_cpu_s"] = round(time.process_time() - cpu, 2)
    timings["n_predicted_papers"] = occurrences["paper_id"].n_unique()
    timings["precision"], timings["recall"] = pairwise_scores(occurrences)
    return timings


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, help="a directory written by benchmarks.dedup_corpus")
    parser.add_argument("--files", type=int, default=50)
    parser.add_argument("--records-per-file", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat-share", type=float, default=CorpusSpec.repeat_share)
    parser.add_argument("--in-memory", action="store_true", help="time dedup on generated records, no pages")
    parser.add_argument("--show-errors", type=int, default=10, help="rows of each error kind to print")
    args = parser.parse_args(argv)
    spec = CorpusSpec(args.files, args.records_per_file, args.seed, repeat_share=args.repeat_share)
    if args.in_memory:
        print(json.dumps(time_dedup(spec), indent=2))
        return
    with tempfile.TemporaryDirectory() as scratch:
        corpus = args.corpus
        if corpus is None:
            corpus = Path(scratch)
            write_corpus(corpus, spec)
        score, labelled = evaluate(corpus)
    print(json.dumps({**asdict(score), "accounted": score.accounted}, indent=2))
    with pl.Config(fmt_str_lengths=60, tbl_cols=-1, tbl_width_chars=200, tbl_rows=20):
        missing = labelled.filter(pl.col("status") != "returned")
        if missing.height:
            print("records not returned, by status and title variant:")
            print(missing.group_by("status", "title_variant").len().sort("len", descending=True))
        for name, frame in errors(labelled).items():
            if frame.height:
                print(f"{name}: {frame.height} records")
                print(frame.head(args.show_errors))


if __name__ == "__main__":
    main()
