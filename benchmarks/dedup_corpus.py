"""Inboxes of daily-paper page files where every record's true paper is known, for dedup and scale tests.

Papers come from the seed pages (real titles and abstracts) and, once those are used up, from
synthetic papers assembled from seed title words and seed abstract sentences. Each page file holds
`records_per_file` records in the daily (blank-separated, dated) or compact (one line each) layout.
About `repeat_share` of the records repeat a paper already listed in an earlier file; some repeats
carry a title variant (case, punctuation, whitespace, Unicode form, LaTeX or HTML remnants, a trailing
period) or an abstract variant (truncation, typo, a sentence added, whitespace or encoding noise, the
real revision of a seed). Hard negatives are new papers that borrow a short generic title ("Visual
Dialog") or an earlier paper's exact title while keeping their own abstract: they are different papers.

Output: `OUT/pages/*.txt` and `OUT/truth.parquet` (file, position, line_start, line_end, true_id,
kind, title_variant, abstract_variant, ...). Run `python -m benchmarks.dedup_corpus --out DIR --files N
--records-per-file M --seed S`. To reuse the pieces: `generate_records(spec)` gives the records in
memory, `write_page(path, titles, abstracts, layout, listing_date)` writes one page file.
"""

from __future__ import annotations

import argparse
import random
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from pipeline.decode import decode_page
from pipeline.parse import parse_page

SEEDS = Path(__file__).resolve().parent.parent / "data" / "seeds"
DAILY_HEADER = (
    "new",
    "Get trending papers in your email inbox!",
    "Subscribe",
    "Daily Papers",
    "byAK and the research community",
)
COMPACT_HEADER = (
    "Get trending papers in your email inbox once a day!",
    "Get trending papers in your email inbox!",
)
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
GENERIC_TITLES = (
    "Visual Dialog", "Scaling Laws", "Deep Learning", "Language Models", "Object Detection",
    "Image Segmentation", "Domain Adaptation", "Federated Learning", "Knowledge Distillation",
    "Meta-Learning", "Contrastive Learning", "Few-Shot Learning", "Speech Recognition",
    "Machine Translation", "Video Prediction", "Diffusion Models", "Continual Learning",
    "Image Captioning", "Style Transfer", "Pose Estimation", "Depth Estimation", "Optical Flow",
    "Graph Neural Networks", "Neural Architecture Search", "Visual Question Answering",
)  # fmt: skip
_CONNECTORS = ("for", "with", "via", "of", "and", "in", "from", "under", "beyond", "towards")
_ADDED_SENTENCES = (
    "Code is available at https://github.com/{a}/{b}.",
    "Our code and models are publicly available at https://{a}.github.io/{b}.",
    "This paper has been accepted to {A} {year}.",
    "Project page: https://{a}.github.io/{b}.",
)
_VENUES = ("CVPR", "ICCV", "ECCV", "NeurIPS", "ICML", "ICLR", "ACL", "EMNLP", "AAAI", "Interspeech")


RECORD_SCHEMA = {
    "file": pl.String,
    "layout": pl.String,  # daily or compact
    "listing_date": pl.String,  # "Aug 29" on daily pages, null on compact ones
    "position": pl.Int32,  # 1-based, in the file
    "true_id": pl.String,
    "kind": pl.String,  # seed, synthetic or namesake
    "title": pl.String,
    "abstract": pl.String,
    "title_variant": pl.String,  # null: the paper's own title
    "abstract_variant": pl.String,  # null: the paper's own abstract
}


@dataclass(frozen=True)
class CorpusSpec:
    """How big the corpus is and how often each kind of record appears (shares are probabilities)."""

    files: int = 50
    records_per_file: int = 200
    seed: int = 0
    repeat_share: float = 1 / 3  # of records: a paper already listed in an earlier file
    title_variant_share: float = 0.35  # of repeats
    abstract_variant_share: float = 0.2  # of repeats
    hard_negative_share: float = 0.02  # of new papers: a namesake of another paper
    daily_share: float = 0.5  # of files
    title_variants: tuple[str, ...] = ()  # empty: all of TITLE_VARIANTS
    abstract_variants: tuple[str, ...] = ()  # empty: all of ABSTRACT_VARIANTS


@dataclass
class Paper:
    true_id: str
    title: str
    abstracts: list[str]  # the first is the paper's own; more are real revisions
    kind: str  # seed, synthetic, namesake


@dataclass
class SeedPool:
    papers: list[tuple[str, list[str]]]  # (title, abstracts)
    vocabulary: list[str]
    heads: list[str]  # "Name" of "Name: rest" titles
    sentences: list[str]


def load_seed_pool(seeds_dir: Path = SEEDS) -> SeedPool:
    """Seed papers (title -> its distinct abstracts, by first appearance) and the text to build more."""
    frames = []
    for path in sorted(seeds_dir.glob("*.txt")):
        text = decode_page(path.read_bytes()).text or ""
        frames.append(parse_page(text).records.select("title", "abstract"))
    records = pl.concat(frames)
    grouped = records.group_by("title", maintain_order=True).agg(
        pl.col("abstract").unique(maintain_order=True)
    )
    papers = [(row[0], list(row[1])) for row in grouped.iter_rows()]
    words = {w for title, _ in papers for w in re.findall(r"[A-Za-z][A-Za-z-]{2,}", title)}
    vocabulary = sorted(w for w in words if w.lower() not in _CONNECTORS)
    heads = sorted({t.split(":")[0] for t, _ in papers if ":" in t and len(t.split(":")[0].split()) == 1})
    sentences = sorted(
        {
            s
            for _, abstracts in papers
            for s in _sentences(abstracts[0])
            if 40 <= len(s) <= 400 and s.endswith(".")
        }
    )
    return SeedPool(papers, vocabulary, heads, sentences)


# Title variants: each returns a title that is the same paper to a reader.
def _upper(rng: random.Random, title: str) -> str:
    return title.upper()


def _lower(rng: random.Random, title: str) -> str:
    return title.lower()


def _title_case(rng: random.Random, title: str) -> str:
    return " ".join(word[:1].upper() + word[1:] for word in title.split(" "))


def _punctuation(rng: random.Random, title: str) -> str:
    if ": " in title:
        return title.replace(": ", rng.choice((" - ", " — ", " – ", ", ")), 1)
    if "-" in title:
        return title.replace("-", rng.choice(("", " ", "‐")))
    return title + rng.choice(("!", "?", ":"))


def _whitespace(rng: random.Random, title: str) -> str:
    spaces = [m.start() for m in re.finditer(" ", title)]
    if not spaces:
        return title + " "
    at = rng.choice(spaces)
    return title[:at] + rng.choice(("  ", "\u00a0", "\u2009", " \t ")) + title[at + 1 :]


def _unicode(rng: random.Random, title: str) -> str:
    choice = rng.choice(("nfd", "ligature", "fullwidth", "quotes"))
    if choice == "nfd" and not title.isascii():
        return unicodedata.normalize("NFD", title)
    if choice == "ligature" and "fi" in title:
        return title.replace("fi", "ﬁ")
    if choice == "quotes" and "'" in title:
        return title.replace("'", "’")
    at = rng.randrange(len(title))
    char = title[at]
    return title[:at] + (chr(ord(char) + 0xFEE0) if "!" <= char <= "~" else char) + title[at + 1 :]


def _latex(rng: random.Random, title: str) -> str:
    words = title.split(" ")
    at = rng.randrange(len(words))
    word = words[at]
    choice = rng.choice(("textbf", "emph", "brace", "tilde"))
    if choice == "tilde" and len(words) > 1:
        at = min(at, len(words) - 2)
        return " ".join([*words[:at], words[at] + "~" + words[at + 1], *words[at + 2 :]])
    words[at] = "{" + word[:1] + "}" + word[1:] if choice == "brace" else f"\\{choice}{{{word}}}"
    return " ".join(words)


def _html(rng: random.Random, title: str) -> str:
    if "&" in title:
        return title.replace("&", "&amp;")
    if "'" in title:
        return title.replace("'", "&#39;")
    words = title.split(" ")
    at = rng.randrange(len(words))
    words[at] = f"<i>{words[at]}</i>"
    return " ".join(words)


def _trailing_period(rng: random.Random, title: str) -> str:
    return title + "."


TITLE_VARIANTS: dict[str, Callable[[random.Random, str], str]] = {
    "upper": _upper,
    "lower": _lower,
    "title_case": _title_case,
    "punctuation": _punctuation,
    "whitespace": _whitespace,
    "unicode": _unicode,
    "latex": _latex,
    "html": _html,
    "trailing_period": _trailing_period,
}


# Abstract variants: each returns an abstract a reader takes for the same paper's.
def _truncate(rng: random.Random, abstract: str) -> str:
    if len(abstract) < 450:
        return _typo(rng, abstract)
    cut = abstract.rfind(" ", 0, int(len(abstract) * rng.uniform(0.5, 0.9)))
    return abstract[: max(cut, 300)].rstrip(" .,;:")


def _typo(rng: random.Random, abstract: str) -> str:
    words = abstract.split(" ")
    candidates = [i for i, w in enumerate(words) if len(w) >= 5 and w.isalpha()] or [0]
    for at in rng.sample(candidates, min(2, len(candidates))):
        word = words[at]
        if len(word) >= 5:
            i = rng.randrange(1, len(word) - 2)
            words[at] = word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    return " ".join(words)


def _sentence_added(rng: random.Random, abstract: str) -> str:
    template = rng.choice(_ADDED_SENTENCES)
    name = f"lab{rng.randrange(1000)}"
    sentence = template.format(a=name, b=f"proj{rng.randrange(1000)}", A=rng.choice(_VENUES), year=2024)
    return abstract.rstrip() + " " + sentence


def _abstract_whitespace(rng: random.Random, abstract: str) -> str:
    return abstract.replace(". ", ".  ").replace(", ", ",\u00a0", 2)


def _encoding(rng: random.Random, abstract: str) -> str:
    return (
        abstract.replace('"', "“", 1)
        .replace('"', "”", 1)
        .replace("'", "’")
        .replace(" - ", " — ")
        .replace("fi", "ﬁ", 2)
    )


ABSTRACT_VARIANTS: dict[str, Callable[[random.Random, str], str]] = {
    "truncate": _truncate,
    "typo": _typo,
    "sentence_added": _sentence_added,
    "whitespace": _abstract_whitespace,
    "encoding": _encoding,
}


@dataclass
class _Generator:
    spec: CorpusSpec
    pool: SeedPool
    rng: random.Random
    papers: list[Paper] = field(default_factory=list)
    occurrences: list[int] = field(default_factory=list)  # paper index per record so far
    seed_order: list[int] = field(default_factory=list)
    used_title_keys: set[str] = field(default_factory=set)
    sentences_by_title: dict[str, set[str]] = field(default_factory=dict)  # titles with namesakes

    def new_paper(self) -> int:
        index = len(self.papers)
        true_id = f"p{index:07d}"
        if self.papers and self.rng.random() < self.spec.hard_negative_share:
            paper = self._namesake(true_id)
        elif self.seed_order:
            title, abstracts = self.pool.papers[self.seed_order.pop()]
            paper = Paper(true_id, title, list(abstracts), "seed")
        else:
            paper = Paper(true_id, self._synthetic_title(), [self._synthetic_abstract()], "synthetic")
        self.used_title_keys.add(_rough_key(paper.title))
        self.papers.append(paper)
        return index

    def _namesake(self, true_id: str) -> Paper:
        """A different paper under a title already taken. Its abstract shares no sentence with the other
        papers of that title: a namesake's abstract is clearly unrelated, not a partial copy."""
        if self.rng.random() < 2 / 3:
            title = self.rng.choice(GENERIC_TITLES)
            taken = self.sentences_by_title.setdefault(title, set())
        else:
            original = self.papers[self.rng.randrange(len(self.papers))]
            title = original.title
            taken = self.sentences_by_title.setdefault(title, set(_sentences(original.abstracts[0])))
        abstract = self._synthetic_abstract(taken)
        taken.update(_sentences(abstract))
        return Paper(true_id, title, [abstract], "namesake")

    def _synthetic_title(self) -> str:
        while True:
            words = self.rng.sample(self.pool.vocabulary, self.rng.randint(3, 7))
            words.insert(self.rng.randint(1, len(words) - 1), self.rng.choice(_CONNECTORS))
            phrase = " ".join(w[:1].upper() + w[1:] if w not in _CONNECTORS else w for w in words)
            title = f"{self.rng.choice(self.pool.heads)}: {phrase}" if self.rng.random() < 0.4 else phrase
            if _rough_key(title) not in self.used_title_keys and _rough_key(title) not in _GENERIC_KEYS:
                return title

    def _synthetic_abstract(self, avoid: set[str] | None = None) -> str:
        """4 to 9 seed sentences, none of them in `avoid`."""
        count = self.rng.randint(4, 9)
        if avoid and len(avoid) > len(self.pool.sentences) // 2:  # the pool is running out: allow repeats
            avoid = None
        chosen: list[str] = []
        while len(chosen) < count:
            sentence = self.rng.choice(self.pool.sentences)
            if sentence not in chosen and not (avoid and sentence in avoid):
                chosen.append(sentence)
        return " ".join(chosen)

    def repeat(self, listed: set[int]) -> int | None:
        """An earlier paper not on this page: half by popularity (a random earlier record), half uniform."""
        for _ in range(8):
            if self.rng.random() < 0.5:
                candidate = self.occurrences[self.rng.randrange(len(self.occurrences))]
            else:
                candidate = self.rng.randrange(len(self.papers))
            if candidate not in listed:
                return candidate
        return None

    def record(self, index: int, is_repeat: bool) -> tuple[str, str, str | None, str | None]:
        paper = self.papers[index]
        title, abstract = paper.title, paper.abstracts[0]
        title_variant = abstract_variant = None
        if is_repeat and len(paper.abstracts) > 1 and self.rng.random() < 0.5:
            abstract, abstract_variant = self.rng.choice(paper.abstracts[1:]), "revision"
        if is_repeat and self.rng.random() < self.spec.title_variant_share:
            title_variant = self.rng.choice(self.spec.title_variants or tuple(TITLE_VARIANTS))
            title = TITLE_VARIANTS[title_variant](self.rng, title).strip()
        if is_repeat and abstract_variant is None and self.rng.random() < self.spec.abstract_variant_share:
            abstract_variant = self.rng.choice(self.spec.abstract_variants or tuple(ABSTRACT_VARIANTS))
            abstract = ABSTRACT_VARIANTS[abstract_variant](self.rng, abstract)
        return title, abstract, title_variant, abstract_variant


_GENERIC_KEYS = frozenset(re.sub(r"[^a-z0-9]", "", t.lower()) for t in GENERIC_TITLES)


def _sentences(abstract: str) -> list[str]:
    return re.split(r"(?<=[.!?])\s+(?=[A-Z])", abstract)


def _rough_key(title: str) -> str:
    return re.sub(r"[^a-z0-9]", "", title.lower())


def generate_records(spec: CorpusSpec, pool: SeedPool | None = None) -> pl.DataFrame:
    """One row per record to write (RECORD_SCHEMA), file after file. Deterministic for a given spec
    and seed pool."""
    rng = random.Random(spec.seed)
    generator = _Generator(spec, pool or load_seed_pool(), rng)
    generator.seed_order = list(range(len(generator.pool.papers)))
    rng.shuffle(generator.seed_order)
    rows: list[tuple[str | int | None, ...]] = []
    for file_index in range(spec.files):
        layout = "daily" if rng.random() < spec.daily_share else "compact"
        file_name = f"{file_index:05d}_{rng.getrandbits(64):016x}.txt"
        listing_date = f"{rng.choice(MONTHS)} {rng.randint(1, 28)}" if layout == "daily" else None
        listed: set[int] = set()
        for position in range(1, spec.records_per_file + 1):
            index = None
            if file_index > 0 and rng.random() < spec.repeat_share:
                index = generator.repeat(listed)
            is_repeat = index is not None
            index = generator.new_paper() if index is None else index
            listed.add(index)
            generator.occurrences.append(index)
            title, abstract, title_variant, abstract_variant = generator.record(index, is_repeat)
            paper = generator.papers[index]
            place = (file_name, layout, listing_date, position)
            rows.append((*place, paper.true_id, paper.kind, title, abstract, title_variant, abstract_variant))
    return pl.DataFrame(rows, schema=RECORD_SCHEMA, orient="row")


def page_lines(
    titles: list[str], abstracts: list[str], layout: str, listing_date: str | None
) -> tuple[list[str], list[int]]:
    """The lines of one page and the line number (1-based) where each record's title sits."""
    lines: list[str] = []
    starts: list[int] = []
    if layout == "daily":
        for line in (*DAILY_HEADER, listing_date or "Jan 1"):
            lines += [line, ""]
        for title, abstract in zip(titles, abstracts, strict=True):
            starts.append(len(lines) + 1)
            lines += [title, "", abstract, ""]
        return lines, starts
    lines += COMPACT_HEADER
    for i, (title, abstract) in enumerate(zip(titles, abstracts, strict=True)):
        starts.append(len(lines) + 1)
        # The compact page glues its Subscribe button to the first title.
        lines += ["Subscribe" + title if i == 0 else title, abstract]
    return lines, starts


def write_page(
    path: Path, titles: list[str], abstracts: list[str], layout: str, listing_date: str | None
) -> list[int]:
    """Write one page file; return the line number of each record's title."""
    lines, starts = page_lines(titles, abstracts, layout, listing_date)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return starts


def write_corpus(out: Path, spec: CorpusSpec, pool: SeedPool | None = None) -> pl.DataFrame:
    """Write `out/pages/*.txt` and `out/truth.parquet`; return the truth frame: RECORD_SCHEMA, line_start
    (the title's line) and line_end (the abstract's line). Records are matched by (file, line_start),
    which stays right for every other record when a reader loses one, where the position would shift."""
    records = generate_records(spec, pool)
    pages = out / "pages"
    pages.mkdir(parents=True, exist_ok=True)
    placed = []
    for (file_name, layout, listing_date), page in records.group_by("file", "layout", "listing_date"):
        path = pages / str(file_name)
        starts = write_page(path, page["title"].to_list(), page["abstract"].to_list(), layout, listing_date)
        abstract_offset = 2 if layout == "daily" else 1  # daily pages put a blank line between the two
        line_start = pl.Series(starts, dtype=pl.Int32)
        placed.append(
            page.select("file", "position", line_start=line_start, line_end=line_start + abstract_offset)
        )
    truth = records.join(pl.concat(placed), on=["file", "position"], maintain_order="left")
    truth.write_parquet(out / "truth.parquet")
    return truth


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--files", type=int, default=CorpusSpec.files)
    parser.add_argument("--records-per-file", type=int, default=CorpusSpec.records_per_file)
    parser.add_argument("--seed", type=int, default=CorpusSpec.seed)
    parser.add_argument("--repeat-share", type=float, default=CorpusSpec.repeat_share)
    parser.add_argument(
        "--title-variants", default="", help="comma-separated subset of: " + ",".join(TITLE_VARIANTS)
    )
    args = parser.parse_args(argv)
    spec = CorpusSpec(
        files=args.files,
        records_per_file=args.records_per_file,
        seed=args.seed,
        repeat_share=args.repeat_share,
        title_variants=tuple(v for v in args.title_variants.split(",") if v),
    )
    truth = write_corpus(args.out, spec)
    summary = truth.group_by("kind").agg(records=pl.len(), papers=pl.col("true_id").n_unique()).sort("kind")
    n_papers = truth["true_id"].n_unique()
    print(f"{truth.height} records, {n_papers} papers, {spec.files} files in {args.out / 'pages'}")
    print(summary)


if __name__ == "__main__":
    main()
