"""Extract reported evaluation results (metric, value, kind, dataset) from paper abstracts.

The rules follow ``GUIDELINES.md``: one record per number that a metric name (or speed-up wording)
identifies as an evaluation result; values are kept as written; ``kind`` says whether the number is
the paper's score, a delta, or a baseline's value. Polars splits abstracts into sentences and keeps
only sentences holding both a number and a metric cue; the Python rules below run on those only.
"""

from __future__ import annotations

import functools
import itertools
import re
from dataclasses import dataclass

import polars as pl

from pipeline import metric_patterns as P
from pipeline.metric_vocabulary import KNOWN_BENCHMARKS, METRICS, METRICS_BY_ID

OUTPUT_SCHEMA: dict[str, pl.DataType] = {
    "paper_id": pl.String(),
    "metric": pl.String(),
    "metric_name": pl.String(),
    "value": pl.Float64(),
    "unit": pl.String(),
    "kind": pl.String(),
    "dataset": pl.String(),
    "evidence": pl.String(),
    "span_start": pl.Int32(),
    "span_end": pl.Int32(),
    "out_of_range": pl.Boolean(),
}

_ALIAS_TO_METRIC: dict[str, str] = {
    alias.lower(): d.id for d in METRICS if d.id not in P.UNIT_DRIVEN_METRICS for alias in d.aliases
}
# Long benchmark names are matched in any case ("Imagenet"); short ones ("VOC", "CUB") exactly.
_KNOWN_BENCHMARK = re.compile(
    r"(?<![\w-])"
    + P.names_regex([b if len(b) < 5 else b.lower() for b in KNOWN_BENCHMARKS])
    + r"(?:[- ]?\d+[kK]?\b)?(?![\w-])"
)
_KNOWN_BENCHMARK_NAMES = {b.lower() for b in KNOWN_BENCHMARKS}


@dataclass(frozen=True, slots=True)
class Number:
    """A number with its unit, as written; ``start``/``end`` span both."""

    start: int
    end: int
    value: float
    unit: str
    plus_sign: bool


@dataclass(frozen=True, slots=True)
class Mention:
    """A metric name (or speed wording) found in the sentence."""

    start: int
    end: int
    metric: str
    name: str


@dataclass(frozen=True, slots=True)
class Result:
    """One extracted record, with character offsets relative to its sentence."""

    metric: str
    metric_name: str
    value: float
    unit: str
    kind: str
    dataset: str | None
    start: int
    end: int


# ---------------------------------------------------------------------------------------------
# Numbers
# ---------------------------------------------------------------------------------------------


def _normalise_unit(raw: str | None) -> str:
    unit = (raw or "").strip().lower().strip("-{}\\")
    if unit in {"%", "\\%"} or unit.startswith("percent"):
        return "%"
    if unit in {"x", "×", "times", "fold"} or unit.endswith(("times", "fold")):
        return "x"
    if unit == "db":
        return "dB"
    if unit in {"fps", "frames per second"}:
        return "fps"
    return ""


def _glued_to_a_name(before: str) -> bool:
    """ "ResNet-50", "v4", "x_1": the number is part of a name."""
    if not before:
        return False
    if before.endswith(("sim", "times/", "x/", "×/")):  # LaTeX "sim20%" ("~20%"), "7times/2.8times"
        return False
    if before[-1] == "/":  # "ViT-B/16"
        return len(before) >= 2 and before[-2].isalpha()
    if before[-1] == "-":
        return len(before) >= 2 and before[-2].isalpha() and before[-2].isascii()
    return before[-1] == "_" or (before[-1].isalpha() and before[-1].isascii())


def _is_not_a_result(sentence: str, start: int, num_end: int, end: int, unit: str, text: str) -> bool:
    """Names (ResNet-50), sizes (7B), resolutions (256x256), years, section numbers, citations."""
    before, after_num, after = sentence[max(0, start - 40) : start], sentence[num_end:], sentence[end:]
    if _glued_to_a_name(before) and not P.RANGE_BEFORE.search(before):
        return True
    if P.RESOLUTION_BEFORE.search(before) or P.RESOLUTION_AFTER.match(after_num):
        return True
    whole = "." not in text
    if whole and (P.FRACTION_AFTER.match(after_num) or P.FRACTION_BEFORE.search(before)):  # "1/4 of"
        return True
    glued_metric = after_num[:1].isalpha() and P.METRIC_NAME.match(after_num)  # "4AP": glued to its metric
    if not unit and not glued_metric and (P.GLUED_AFTER.match(after_num) or P.COUNT_AFTER.match(after)):
        return True
    if unit == "x" and P.COUNT_AFTER.match(after):
        return True
    if not unit and "." not in text and 1900 <= float(text.replace(",", "")) <= 2100:
        return True
    if not unit and P.ENUMERATION_BEFORE.search(before[-25:]):
        return True
    return bool(not unit and P.CITATION.match(after) and re.search(r"\(\s*$", before))


def find_numbers(sentence: str) -> list[Number]:
    """Numbers that could be results, with their units; spans cover number and unit."""
    numbers = []
    for m in P.NUMBER.finditer(sentence):
        unit = _normalise_unit(m.group("unit"))
        if _is_not_a_result(sentence, m.start(), m.end("num"), m.end(), unit, m.group("num")):
            continue
        value = float(m.group("num").replace(",", ""))
        if m.group("sign") in {"-", "−"}:
            value = -value
        start = m.start() if m.group("sign") else m.start("num")
        numbers.append(Number(start, m.end(), value, unit, m.group("sign") == "+"))
    lowered = sentence.lower()
    has_word_multiple = any(w in lowered for w in ("times", "fold", "twice", "thrice"))
    for m in P.WORD_NUMBER.finditer(sentence) if has_word_multiple else ():
        word = (m.group("num") or m.group("twice")).lower()
        numbers.append(Number(m.start(), m.end(), float(P.WORD_VALUES[word]), "x", False))
    return sorted(numbers, key=lambda n: n.start)


def _group_numbers(sentence: str, numbers: list[Number]) -> list[list[Number]]:
    """Lists and ranges ("2% and 5%", "2x-3x", "from 1 to 2") share one metric."""
    groups: list[list[Number]] = []
    for number in numbers:
        if groups and P.LIST_JOINER.match(sentence[groups[-1][-1].end : number.start]):
            groups[-1].append(number)
        else:
            groups.append([number])
    return [_share_range_units(sentence, group) for group in groups]


def _share_range_units(sentence: str, group: list[Number]) -> list[Number]:
    """In "5-10x" or "0.07 ~ 0.65%" the first number takes the unit of the second."""
    shared = list(group)
    for i in range(len(shared) - 2, -1, -1):
        here, after = shared[i], shared[i + 1]
        if not here.unit and after.unit and P.RANGE_JOINER.match(sentence[here.end : after.start]):
            shared[i] = Number(here.start, here.end, here.value, after.unit, here.plus_sign)
    return shared


# ---------------------------------------------------------------------------------------------
# Metric names
# ---------------------------------------------------------------------------------------------


def find_mentions(sentence: str) -> list[Mention]:
    """Metric names in the sentence, mapped to vocabulary ids."""
    mentions = []
    for m in P.METRIC_NAME.finditer(sentence):
        name = m.group(0)
        base = re.sub(r"-(?:\d+[kK]?|[A-Z])$", "", name)
        metric = _ALIAS_TO_METRIC.get(name.lower()) or _ALIAS_TO_METRIC.get(base.lower())
        if metric is None:
            continue
        if metric == "error_rate" and name.lower() in {"error", "errors", "error rate", "error rates"}:
            qualifier = re.search(r"([A-Za-z][\w\-]*)\s+$", sentence[: m.start()])
            if qualifier and qualifier.group(1).lower() not in P.ERROR_QUALIFIERS_KEPT:
                metric, name = "other", f"{qualifier.group(1)} {name}"
        mentions.append(Mention(m.start(), m.end(), metric, name))
    return mentions


def _gap_allows_link(gap: str, max_words: int, strict: bool) -> bool:
    if any(ch.isdigit() for ch in gap) or P.CLAUSE_BREAK.search(gap):
        return False
    words = re.findall(r"[\w\-]+", gap)
    if len(words) > max_words:
        return False
    if strict:
        blocked = any(w.lower() in P.GAP_BLOCKERS for w in words) or P.AFTER_GAP_VERBS.search(gap)
        return not re.search(r"[,;()\[\]]", gap) and not blocked
    return not re.search(r"\b(?:with|using|uses|use|requir\w*|trained|data)\b", gap, re.IGNORECASE)


def _mention_after(sentence: str, group: list[Number], mentions: list[Mention]) -> Mention | None:
    last = group[-1]
    following = [m for m in mentions if m.start >= last.end]
    gap = sentence[last.end : following[0].start] if following else ""
    gap = P.LEADING_PAREN.sub("", gap)  # "3.42 (ImageNet 64x64) bits per dimension"
    if following and _gap_allows_link(gap.lstrip("+"), 3, strict=True):
        return following[0]
    return None


def _mention_before(sentence: str, group: list[Number], mentions: list[Mention]) -> Mention | None:
    first = group[0]
    preceding = [m for m in mentions if m.end <= first.start]
    if preceding and _gap_allows_link(sentence[preceding[-1].end : first.start], 8, strict=False):
        # A multiple ("on 100x shorter inputs") is a speed-up or a size, not a value of a named metric.
        return None if group[-1].unit == "x" else preceding[-1]
    return None


def _fps_mention(group: list[Number]) -> Mention | None:
    """ "runs at 178 fps": the unit names the metric."""
    last = group[-1]
    return Mention(last.start, last.end, "fps", "fps") if last.unit == "fps" else None


def _speed_mention(sentence: str, group: list[Number]) -> Mention | None:
    """Speed-ups: "20x faster", "speedups of up to 10x", "47% lower latency", "reduced by a factor of 4"."""
    first, last = group[0], group[-1]
    unit = last.unit or ("x" if P.FACTOR_OF_BEFORE.search(sentence[: first.start]) else "")
    after = sentence[last.end :]
    cue = None
    if unit == "x":
        cue = P.SPEED_AFTER_MULTIPLE.match(after)
    elif unit == "%":
        cue = P.SPEED_AFTER_PERCENT.match(after)
    if cue:
        return Mention(last.end, last.end + cue.end(), "speedup", after[: cue.end()].strip(" +"))
    if unit in {"x", "%"}:
        window_start = max(0, first.start - 120)
        window = sentence[window_start : first.start]
        lowered = window.lower()
        # A cheap substring gate: the full pattern is the slowest one and rarely applies.
        if not any(cue in lowered for cue in P.SPEED_BEFORE_GATE):
            return None
        before = P.SPEED_BEFORE.search(window)
        if before:
            start = window_start + before.start()
            return Mention(start, first.start, "speedup", sentence[start : first.start].strip())
    return None


# ---------------------------------------------------------------------------------------------
# Kind and dataset
# ---------------------------------------------------------------------------------------------


def _group_is_delta(sentence: str, group: list[Number], mention: Mention) -> bool:
    before = sentence[max(0, group[0].start - 90) : group[0].start]
    after = sentence[group[-1].end :]
    reaches_a_value = P.TO_VALUE_BEFORE.search(before)  # "improves the FID to 22.4" reports the new score
    return bool(
        mention.metric == "speedup"
        or any(n.plus_sign for n in group)
        or (not reaches_a_value and P.DELTA_BEFORE.search(before))
        or P.DELTA_AFTER.match(after)
    )


def _kinds(sentence: str, group: list[Number], mention: Mention) -> list[str]:
    """score / delta / baseline for each number of a group; `from X to Y` wins over other cues."""
    before = sentence[max(0, group[0].start - 90) : group[0].start]
    if (
        len(group) >= 2
        and mention.metric != "speedup"
        and P.FROM_BEFORE.search(before)
        and not P.RANGING_BEFORE.search(before)
    ):
        return ["baseline"] + ["score"] * (len(group) - 1)
    if _group_is_delta(sentence, group, mention):
        return ["delta"] * len(group)
    kinds = ["baseline" if P.BASELINE_BEFORE.search(before) else "score"]
    for previous, number in itertools.pairwise(group):
        joiner = sentence[previous.end : number.start]
        kinds.append("baseline" if re.search(r"\bv(?:s|ersus)\b", joiner) else kinds[0])
    return kinds


def _valid_dataset(name: str) -> str | None:
    name = name.strip(" -/.")
    if "-" in name:  # cheap gates: most names need neither substitution
        name = P.LOWER_CASE_SUFFIX.sub("", name)
    if " " in name:
        name = P.TRAILING_RESOLUTION.sub("", name).strip(" -/.")
    if len(name) < 2 or P.NOT_A_DATASET.match(name) or name.lower() in {"average", "all"}:
        return None
    if re.match(r"\d+\s?(?:times|[x×])(?:\s?\d|$)", name):  # "500times 500", "100x (shorter)"
        return None
    return name


def _is_benchmark_like(name: str) -> bool:
    """Known benchmarks, and names shaped like one (WMT14, PTB, TextCaps) that are not models or metrics."""
    if _KNOWN_BENCHMARK.search(name):
        return True
    return bool(
        P.BENCHMARK_LIKE.search(name)
        and not P.MODEL_LIKE.match(name)
        and not P.HARDWARE.search(name)
        and not P.METRIC_NAME.match(name)
    )


def _dataset_after(sentence: str, start: int, stop: int) -> str | None:
    m = P.DATASET_AFTER.match(sentence[start:stop])
    return _valid_dataset(m.group("ds")) if m else None


def _dataset_before_metric(sentence: str, mention: Mention) -> str | None:
    """ "ImageNet accuracy of 88.0%", "COCO box AP of 56.4%": a benchmark right before the name."""
    m = P.DATASET_BEFORE_METRIC.search(sentence[max(0, mention.start - 40) : mention.start])
    name = _valid_dataset(m.group("ds")) if m else None
    return name if name and _is_benchmark_like(name) else None


@functools.lru_cache(maxsize=8)  # memo for the groups of one sentence only
def _sentence_benchmarks(sentence: str) -> tuple[str, ...]:
    """Distinct benchmarks the sentence names: known ones, and benchmark-like names after a preposition."""
    names: dict[str, str] = {}
    for m in P.INTRODUCED_DATASET.finditer(sentence):
        name = _valid_dataset(m.group("ds"))
        if name and _is_benchmark_like(name):
            names.setdefault(name.lower(), name)
    for m in _KNOWN_BENCHMARK.finditer(sentence):
        if not any(m.group(0).lower() in known for known in names):
            names.setdefault(m.group(0).lower(), m.group(0))
    return tuple(names.values())


@functools.lru_cache(maxsize=8)  # memo for the groups of one sentence only
def _sentence_dataset(sentence: str, explicit_only: bool = False) -> str | None:
    """The benchmark a sentence is about: "On ImageNet 256x256 benchmark, ...", or the only one named."""
    lowered = sentence.lower()
    explicit = lowered.startswith("on ") or any(word in lowered for word in P.DATASET_SENTENCE_GATE)
    for m in P.DATASET_SENTENCE.finditer(sentence) if explicit else ():
        name = _valid_dataset(re.sub(r"^(?:On|In|The)\s+", "", m.group("ds") or m.group("lead")))
        if name:
            return name
    if explicit_only:
        return None
    known = {m.group(0).lower(): m.group(0) for m in _KNOWN_BENCHMARK.finditer(sentence)}
    if known:  # a known benchmark outweighs unfamiliar names, which are more often models or tasks
        return known.popitem()[1] if len(known) == 1 else None
    named = _sentence_benchmarks(sentence)
    return named[0] if len(named) == 1 else None


@functools.lru_cache(maxsize=4)  # memo for the results of one abstract only
def _abstract_benchmark(abstract: str) -> str | None:
    """The only benchmark an abstract names: results stated without one are on it."""
    known = {m.group(0).lower(): m.group(0) for m in _KNOWN_BENCHMARK.finditer(abstract)}
    return known.popitem()[1] if len(known) == 1 else None


def _respectively(sentence: str, group: list[Number], stop: int) -> list[str] | None:
    """ "F1 of a, b and c on X, Y and Z respectively": one dataset per number."""
    m = P.DATASET_RESPECTIVELY.match(sentence[group[-1].end : stop])
    if not m or len(group) < 2:
        return None
    names = [n for n in re.split(r",?\s+and\s+|,\s*", m.group("names")) if n]
    return names if len(names) == len(group) else None


def _datasets(sentence: str, group: list[Number], mention: Mention, next_start: int) -> list[str | None]:
    if mention.metric == "speedup":  # speed-ups name hardware and models far more often than benchmarks
        return [_sentence_dataset(sentence, explicit_only=True)] * len(group)
    fallback = _sentence_dataset(sentence)
    tail_start = max(group[-1].end, mention.end if mention.start >= group[-1].end else 0)
    listed = _respectively(sentence, group, next_start)
    if listed:
        return list(listed)
    before_metric = _dataset_before_metric(sentence, mention)
    datasets = []
    for i, number in enumerate(group):
        stop = group[i + 1].start if i + 1 < len(group) else next_start
        own = (
            _dataset_after(sentence, number.end, stop)
            if P.LEADING_PAREN.match(sentence[number.end :])
            else None
        )
        own = own or _dataset_after(
            sentence, max(number.end, tail_start) if i == len(group) - 1 else number.end, stop
        )
        datasets.append(own)
    if len({d for d in datasets if d}) == 1:  # a list "80% and 81% on ImageNet" shares its benchmark
        shared = next(d for d in datasets if d)
        datasets = [d or shared for d in datasets]
    return [d or before_metric or fallback for d in datasets]


# ---------------------------------------------------------------------------------------------
# Sentences
# ---------------------------------------------------------------------------------------------


def _link_group(
    sentence: str, group: list[Number], mentions: list[Mention], previous: tuple[list[Number], Mention] | None
) -> tuple[Mention | None, bool]:
    """Which metric a group of numbers reports (None: not a result), and whether it was carried over."""
    linked = (
        _fps_mention(group)
        or _speed_mention(sentence, group)
        or _mention_after(sentence, group, mentions)
        or _mention_before(sentence, group, mentions)
    )
    if linked or previous is None:
        return linked, False
    prev_group, prev_mention = previous
    gap = sentence[prev_group[-1].end : group[0].start]
    carries = (
        prev_group[-1].unit == group[0].unit
        and len(gap) <= 90
        and not any(prev_group[-1].end <= m.start < group[0].start for m in mentions)
        and not re.search(r";|\b(?:while|whereas|but|which|with)\b", gap)
        and not P.SHARE_AFTER.match(sentence[group[-1].end :])
        and not P.OWN_SCORE_AFTER.match(sentence[group[-1].end :])
    )
    return (prev_mention, True) if carries else (None, False)


def extract_from_sentence(sentence: str) -> list[Result]:
    """All results reported in one sentence; offsets are relative to the sentence."""
    numbers = find_numbers(sentence)
    if not numbers:
        return []
    mentions = find_mentions(sentence)
    groups = _group_numbers(sentence, numbers)
    results: list[Result] = []
    previous: tuple[list[Number], Mention] | None = None
    previous_kind = "score"
    for index, group in enumerate(groups):
        mention, carried = _link_group(sentence, group, mentions, previous)
        previous = (group, mention) if mention else None
        if mention is None:
            continue
        next_start = groups[index + 1][0].start if index + 1 < len(groups) else len(sentence)
        kinds = _kinds(sentence, group, mention)
        if carried and previous_kind == "delta" and set(kinds) == {"score"}:  # "by 25.5% (X), 8.8% (Y)"
            kinds = ["delta"] * len(group)
        previous_kind = kinds[-1]
        datasets = _datasets(sentence, group, mention, next_start)
        unit_fallback = "x" if mention.metric == "speedup" else ""
        for number, kind, dataset in zip(group, kinds, datasets, strict=True):
            start, end = min(number.start, mention.start), max(number.end, mention.end)
            unit = number.unit or unit_fallback
            results.append(
                Result(mention.metric, mention.name, number.value, unit, kind, dataset, start, end)
            )
    return results


# ---------------------------------------------------------------------------------------------
# Frames
# ---------------------------------------------------------------------------------------------


def _may_report_a_result(text: pl.Expr) -> pl.Expr:
    """Vectorised test: a number next to a metric name, a multiple next to speed wording, or fps."""
    return (
        (text.str.contains(P.PREFILTER_NUMBER) & text.str.contains(P.PREFILTER_ALIAS))
        | text.str.contains(P.PREFILTER_GLUED)
        | (text.str.contains(P.PREFILTER_MULTIPLE) & text.str.contains(P.SPEED_WORDS))
        | text.str.contains(P.PREFILTER_FPS)
    )


def _candidate_sentences(papers: pl.DataFrame) -> pl.DataFrame:
    """Sentences that may report a result, with their character offset in the abstract."""
    return (
        papers.select(pl.col("paper_id").cast(pl.String), pl.col("abstract").cast(pl.String).fill_null(""))
        .with_row_index("row")
        .filter(_may_report_a_result(pl.col("abstract")))  # most abstracts never need splitting
        .with_columns(sentence=pl.col("abstract").str.extract_all(P.SENTENCE_PIECES))
        .select("row", "paper_id", "sentence")
        .explode("sentence")
        .drop_nulls("sentence")
        .with_columns(length=pl.col("sentence").str.len_chars())
        .with_columns(offset=pl.col("length").cum_sum().over("row") - pl.col("length"))
        .filter(_may_report_a_result(pl.col("sentence")))
        .select("row", "paper_id", "sentence", "offset")
    )


def _out_of_range(metric: str, value: float) -> bool:
    definition = METRICS_BY_ID[metric]
    too_low = definition.min_value is not None and value < definition.min_value
    too_high = definition.max_value is not None and value > definition.max_value
    return too_low or too_high


def extract_metrics(papers: pl.DataFrame) -> pl.DataFrame:
    """Input: columns paper_id (str), abstract (str). Output: one row per reported result."""
    if papers.height == 0:
        return pl.DataFrame(schema=OUTPUT_SCHEMA)
    rows: dict[str, list] = {name: [] for name in [*OUTPUT_SCHEMA, "row"]}
    candidates = _candidate_sentences(papers)
    abstracts = papers.get_column("abstract")
    for row, paper_id, sentence, offset in candidates.iter_rows():
        for r in extract_from_sentence(sentence):
            dataset = r.dataset
            if dataset is None and r.metric not in P.UNIT_DRIVEN_METRICS:
                dataset = _abstract_benchmark(abstracts[row])
            values = (paper_id, r.metric, r.metric_name, r.value, r.unit, r.kind, dataset)
            for name, value in zip(list(OUTPUT_SCHEMA)[:7], values, strict=True):
                rows[name].append(value)
            rows["evidence"].append(sentence[r.start : r.end])
            rows["span_start"].append(offset + r.start)
            rows["span_end"].append(offset + r.end)
            rows["out_of_range"].append(_out_of_range(r.metric, r.value))
            rows["row"].append(row)
    frame = pl.DataFrame(rows, schema={**OUTPUT_SCHEMA, "row": pl.UInt32()})
    # The same value repeated for the same result (e.g. in the conclusion) is one record.
    return (
        frame.with_columns(name_key=pl.col("metric_name").str.to_lowercase())
        .unique(
            subset=["row", "metric", "name_key", "value", "unit", "kind", "dataset"],
            keep="first",
            maintain_order=True,
        )
        .drop("name_key")
        # A value listed twice in one evidence ("margins of 23, 23 and 38") is one result: the table's
        # key (paper_id, span_start, metric, value) must stay unique whatever the rules above found.
        .unique(subset=["paper_id", "span_start", "metric", "value"], keep="first", maintain_order=True)
        .sort("paper_id", "span_start", "metric")
        .drop("row")
    )
