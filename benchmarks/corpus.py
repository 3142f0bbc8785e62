"""A deterministic benchmark corpus: any number of page files and paper records, drawn from the seeds.

    python -m benchmarks.corpus --out DIR --files 1000 --records 1000000 --seed 1
    python -m benchmarks.corpus --out DIR --one-file-mb 500 --seed 1

Model. Every distinct paper `j` is a variant of seed paper `j % n_bases` (the seeds' distinct titles):
variant 0 is the seed itself, variant `v` adds a title suffix, rotates the abstract's sentences and
changes one of its numbers, so titles and abstracts differ from paper to paper. Each file holds its
own "home" papers plus about a third of records that repeat a paper whose home is another file
(cross-file duplicates); a repeat sometimes spells the title differently (upper case, `-` for `:`)
in a way that normalized-title dedup folds, and sometimes carries another version of the abstract.
Even-numbered files use the daily layout (blank-separated, listing date), odd ones the compact one
(one line per title and per abstract, first title glued to "Subscribe"), as in data/seeds.

Truth. `.truth.json` beside the pages gives per file its records and home papers, and the corpus'
distinct papers: what a correct dedup must find. A file's randomness depends only on (seed, file
index), so a corpus is the same bytes on every machine and a file can be generated alone.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import re
import time
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from pipeline.parse import parse_page
from pipeline.settings import DEFAULT_SEEDS_DIR

# Bump when a change makes the generator write other bytes: cached corpora are then rewritten.
CORPUS_VERSION = 3
DUPLICATE_SHARE = 1 / 3
TITLE_VARIANT_SHARE = 0.25  # repeats whose title is spelled differently (folded by normalization)
ABSTRACT_VERSION_SHARE = 0.15  # repeats carrying another version of the abstract
TRUTH_FILE = ".truth.json"  # hidden: the pipeline and the baseline skip it as a page
DAILY_HEADER = [
    "new",
    "Get trending papers in your email inbox!",
    "Subscribe",
    "Daily Papers",
    "byAK and the research community",
]
COMPACT_HEADER = [
    "Get trending papers in your email inbox once a day!",
    "Get trending papers in your email inbox!",
]
FIRST_LISTING_DATE = dt.date(2023, 1, 2)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")
# A whole integer, not part of a decimal or a percentage: shifting a reported score would make it implausible.
_NUMBER = re.compile(r"(?<![\d.,])\d+(?![\d.,%])")
_OPEN_END = re.compile(r"[^.!?]$")  # an abstract ending in a link or a word


@dataclass(frozen=True)
class Base:
    """One distinct seed paper, pre-split so that making a variant is a few list operations."""

    title: str
    sentences: tuple[str, ...]
    open_end: bool  # the seed abstract does not end a sentence (often a trailing link)


@dataclass(frozen=True)
class FilePlan:
    index: int
    name: str
    layout: str  # daily or compact
    n_records: int
    home_start: int  # this file's own papers are [home_start, home_start + n_home)
    n_home: int


def title_key(title: str) -> str:
    """The plain normalization the baseline uses: NFKC, lower case, runs of non-alphanumerics to one space."""
    folded = unicodedata.normalize("NFKC", title).lower()
    return " ".join("".join(ch if ch.isalnum() else " " for ch in folded).split())


@cache
def load_bases(seeds_dir: Path = DEFAULT_SEEDS_DIR) -> tuple[Base, ...]:
    """The seeds' distinct papers (first spelling of each normalized title), in file order."""
    seen: set[str] = set()
    bases = []
    for path in sorted(seeds_dir.glob("*.txt")):
        records = parse_page(path.read_text(encoding="utf-8")).records
        for title, abstract in records.select("title", "abstract").iter_rows():
            key = title_key(title)
            if key in seen:
                continue
            seen.add(key)
            bases.append(Base(title, tuple(_SENTENCE_END.split(abstract)), bool(_OPEN_END.search(abstract))))
    return tuple(bases)


def variant_title(base: Base, variant: int) -> str:
    return base.title if variant == 0 else f"{base.title} (Extended Study {variant})"


def variant_abstract(base: Base, variant: int) -> str:
    """Variant 0 is the seed text; others rotate the sentences and shift the first number by `variant`."""
    if variant == 0:
        return " ".join(base.sentences)
    sentences = list(base.sentences)
    n = len(sentences)
    if n > 1:
        # An open last sentence (a trailing link) must not end the text: rotate by 1..n-1 then.
        shift = 1 + variant % (n - 1) if base.open_end else variant % n
        sentences = sentences[shift:] + sentences[:shift]
    for i, sentence in enumerate(sentences):
        match = _NUMBER.search(sentence)
        if match:
            changed = int(match.group()) + variant
            # A number already in the text would make a list like "23, 23": not what a paper reports.
            while str(changed) in sentence:
                changed += 1
            sentences[i] = f"{sentence[: match.start()]}{changed}{sentence[match.end() :]}"
            break
    else:
        sentences.append(f"We study {variant + 2} settings.")
    return " ".join(sentences)


def folded_title(title: str) -> str:
    """Another spelling of the same title that normalized-title dedup must fold."""
    if title.isascii():
        return title.upper()
    return title.replace(": ", " - ") if ": " in title else title.replace(" ", "  ")


def _other_paper(rng: random.Random, plan: FilePlan, n_papers: int) -> int:
    """A paper whose home is another file (any paper when there is no other file)."""
    if n_papers <= plan.n_home:
        return plan.home_start + rng.randrange(plan.n_home)
    while True:
        paper = rng.randrange(n_papers)
        if not plan.home_start <= paper < plan.home_start + plan.n_home:
            return paper


def file_records(
    plan: FilePlan, n_papers: int, seed: int, bases: tuple[Base, ...]
) -> tuple[list[tuple[str, str]], int]:
    """(title, abstract) of each record of one file, in page order, and how many are repeats.

    `n_papers` bounds the papers repeats are drawn from; papers past this file's home range must
    already exist in the corpus (an appended page repeats only papers of earlier files).
    """
    rng = random.Random(f"{seed}:{plan.index}")
    n_bases = len(bases)
    papers = [(plan.home_start + i, False) for i in range(plan.n_home)]
    papers += [(_other_paper(rng, plan, n_papers), True) for _ in range(plan.n_records - plan.n_home)]
    rng.shuffle(papers)
    records = []
    for paper, repeated in papers:
        base, variant = bases[paper % n_bases], paper // n_bases
        title, abstract_variant = variant_title(base, variant), variant
        if repeated and rng.random() < TITLE_VARIANT_SHARE:
            title = folded_title(title)
        if repeated and rng.random() < ABSTRACT_VERSION_SHARE:
            abstract_variant = variant + n_bases  # same paper, another rotation and number
        records.append((title, variant_abstract(base, abstract_variant)))
    _keep_records_apart(records)
    return records, plan.n_records - plan.n_home


def _keep_records_apart(records: list[tuple[str, str]]) -> None:
    """Avoid the two spellings a page parser cannot split without guessing.

    A title starting in lower case right after an abstract that ends without a full stop reads as
    that abstract's continuation; a lower-case first title of a compact page does not come off the
    glued "Subscribe". Both are rare (6 of 751 seed titles start in lower case): move such a
    title away from the front and close the abstract before it.
    """
    if records and records[0][0][:1].islower():
        swap = next((i for i, (title, _) in enumerate(records) if not title[:1].islower()), 0)
        records[0], records[swap] = records[swap], records[0]
    for i in range(1, len(records)):
        title, previous_abstract = records[i][0], records[i - 1][1]
        if title[:1].islower() and _OPEN_END.search(previous_abstract):
            records[i - 1] = (records[i - 1][0], previous_abstract + ".")


def page_text(layout: str, index: int, records: list[tuple[str, str]]) -> str:
    """The page as the site's dump shows it: chrome, then one record after another."""
    if layout == "daily":
        date = FIRST_LISTING_DATE + dt.timedelta(days=index)
        lines = [*DAILY_HEADER, f"{date:%b} {date.day}"]
        lines += [line for record in records for line in record]
        return "\n\n".join(lines)
    lines = list(COMPACT_HEADER)
    body = "\n".join(line for record in records for line in record)
    return "\n".join(lines) + "\nSubscribe" + body


def plan_files(n_files: int, n_records: int, first_index: int = 0, first_paper: int = 0) -> list[FilePlan]:
    """Spread records evenly over files; each file's home papers follow the previous file's."""
    plans, home = [], first_paper
    for offset in range(n_files):
        index = first_index + offset
        count = n_records // n_files + (1 if offset < n_records % n_files else 0)
        n_home = max(count - round(count * DUPLICATE_SHARE), min(count, 1))
        layout = "daily" if index % 2 == 0 else "compact"
        plans.append(FilePlan(index, f"page_{index:05d}.txt", layout, count, home, n_home))
        home += n_home
    return plans


def write_files(out: Path, plans: list[FilePlan], n_papers: int, seed: int) -> list[dict]:
    """Write each planned file; returns its truth row."""
    bases = load_bases()
    out.mkdir(parents=True, exist_ok=True)
    truth = []
    for plan in plans:
        records, n_repeats = file_records(plan, n_papers, seed, bases)
        data = page_text(plan.layout, plan.index, records).encode("utf-8")
        (out / plan.name).write_bytes(data)
        truth.append(
            {
                "name": plan.name,
                "layout": plan.layout,
                "records": plan.n_records,
                "home_papers": plan.n_home,
                "repeats": n_repeats,
                "bytes": len(data),
            }
        )
    return truth


def generate_corpus(out: Path, n_files: int, n_records: int, seed: int = 1) -> dict:
    """Write `n_files` pages holding `n_records` records in all, and `.truth.json`; returns the truth."""
    started = time.perf_counter()
    plans = plan_files(n_files, n_records)
    n_papers = sum(plan.n_home for plan in plans)
    files = write_files(out, plans, n_papers, seed)
    truth = {
        "version": CORPUS_VERSION,
        "seed": seed,
        "n_files": n_files,
        "n_records": n_records,
        "n_papers": n_papers,
        "n_repeats": sum(f["repeats"] for f in files),
        "n_bases": len(load_bases()),
        "bytes": sum(f["bytes"] for f in files),
        "seconds": round(time.perf_counter() - started, 2),
        "files": files,
    }
    (out / TRUTH_FILE).write_text(json.dumps(truth, indent=1), encoding="utf-8")
    return truth


def write_next_page(corpus: Path, dest: Path, n_records: int) -> dict:
    """One more page for an existing corpus: new papers plus a third repeats of the corpus' papers.

    Written into `dest` (an inbox holding the corpus), never into the corpus folder itself.
    """
    truth = json.loads((corpus / TRUTH_FILE).read_text(encoding="utf-8"))
    plan = plan_files(1, n_records, first_index=truth["n_files"], first_paper=truth["n_papers"])[0]
    # Repeats are drawn below n_papers + n_home: only the corpus' papers lie outside the home range.
    return write_files(dest, [plan], truth["n_papers"] + plan.n_home, truth["seed"])[0]


def write_big_page(out: Path, megabytes: float, seed: int = 1, layout: str = "daily") -> dict:
    """One page file of about `megabytes` MB (10**6 bytes); its repeats are of its own papers."""
    bases = load_bases()
    average = sum(len(b.title) + sum(len(s) + 1 for s in b.sentences) + 4 for b in bases) / len(bases)
    n_records = int(megabytes * 1_000_000 / average)
    n_home = n_records - round(n_records * DUPLICATE_SHARE)
    index = 0 if layout == "daily" else 1
    plan = FilePlan(index, f"big_{megabytes:g}mb.txt", layout, n_records, 0, n_home)
    records, n_repeats = file_records(plan, n_home, seed, bases)
    out.mkdir(parents=True, exist_ok=True)
    path = out / plan.name
    path.write_bytes(page_text(layout, index, records).encode("utf-8"))
    return {
        "version": CORPUS_VERSION,
        "name": plan.name,
        "layout": layout,
        "records": n_records,
        "home_papers": n_home,
        "repeats": n_repeats,
        "bytes": path.stat().st_size,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.corpus", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="folder to write the pages into")
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--one-file-mb", type=float, help="instead: one page file of about this many MB")
    parser.add_argument("--layout", choices=["daily", "compact"], default="daily", help="of --one-file-mb")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    if args.one_file_mb:
        info = write_big_page(args.out, args.one_file_mb, args.seed, args.layout)
        summary = f"{info['name']}: {info['records']:,} records, {info['bytes'] / 1e6:,.0f} MB"
    else:
        truth = generate_corpus(args.out, args.files, args.records, args.seed)
        summary = (
            f"{truth['n_files']:,} files, {truth['n_records']:,} records, "
            f"{truth['n_papers']:,} distinct papers, {truth['n_repeats']:,} cross-file repeats, "
            f"{truth['bytes'] / 1e6:,.0f} MB"
        )
    print(f"{summary} in {args.out} ({time.perf_counter() - started:.1f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
