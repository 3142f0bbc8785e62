"""Extract reported evaluation results (metric, value, kind, dataset) from paper abstracts.

The rules follow ``GUIDELINES.md``: one record per number that a metric name (or speed-up wording)
identifies as an evaluation result; values are kept as written; ``kind`` says whether the number is
the paper's score, a delta, or a baseline's value. Polars splits abstracts into sentences and keeps
only sentences holding both a number and a metric cue; the Python rules below run on those only.
Which benchmark each number is on (the ``dataset`` column) is decided in ``pipeline.metric_datasets``.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

import polars as pl

from pipeline import metric_patterns as P
from pipeline.metric_datasets import (
    KNOWN_BENCHMARK_NAMES,
    aligned_datasets,
    claim_nearest_benchmarks,
    context_benchmark,
    copy_parallel_datasets,
    dataset_after,
    dataset_before_metric,
    datasets_for_group,
    pair_with_previous_list,
)
from pipeline.metric_vocabulary import METRICS, METRICS_BY_ID

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
    # The text places the number outside any named benchmark ("in real-world experiments").
    elsewhere: bool = False


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
    if before[-1] in "'’":  # "WMT'14": a year written after a name
        return len(before) >= 2 and before[-2].isalpha()
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
    if not unit and _is_benchmark_version(before, text):  # "SQuAD 2.0", "VQA v2"
        return True
    return bool(not unit and P.CITATION.match(after) and re.search(r"\(\s*$", before))


def _is_benchmark_version(before: str, text: str) -> bool:
    """ "SQuAD 2.0", "FFHQ 1024": a version, resolution or size written after a known benchmark name."""
    if not (before.endswith((" ", "v")) and re.fullmatch(r"\d(?:\.\d)?|\d{2,4}", text)):
        return False
    name = re.search(r"([A-Za-z][\w\-]*)\s*v?$", before)
    return bool(name and name.group(1).lower() in KNOWN_BENCHMARK_NAMES)


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
        base = re.sub(r"-(?:\d+[kK]?|[A-Z])$|(?<=[A-Z]{2})s$", "", name)
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
# Kind (benchmarks: pipeline.metric_datasets)
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


# ---------------------------------------------------------------------------------------------
# Sentences
# ---------------------------------------------------------------------------------------------


def _link_group(
    sentence: str, group: list[Number], mentions: list[Mention], previous: tuple[list[Number], Mention] | None
) -> tuple[Mention | None, bool]:
    """Which metric a group of numbers reports (None: not a result), and whether it was carried over."""
    if P.SHARE_AFTER.match(sentence[group[-1].end :]):  # "under 10% ImageNet training data"
        return None, False
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
    between = [m for m in mentions if prev_group[-1].end <= m.start < group[0].start]
    carries = (
        prev_group[-1].unit == group[0].unit
        and len(gap) <= 90
        # The previous metric may sit between the two when both name their benchmarks in parallel
        # ("89.5% accuracy on GSM8K and 55.2% on MATH").
        and all(m == prev_mention for m in between)
        and (not between or dataset_after(sentence, group[-1].end, len(sentence)) is not None)
        and not re.search(r";|\b(?:while|whereas|but|which|with)\b", gap)
        and not P.SHARE_AFTER.match(sentence[group[-1].end :])
        and not P.OWN_SCORE_AFTER.match(sentence[group[-1].end :])
    )
    return (prev_mention, True) if carries else (None, False)


@dataclass(slots=True)
class _Linked:
    """A group of numbers with its metric, kinds and datasets, before it becomes results."""

    group: list[Number]
    mention: Mention
    kinds: list[str]
    datasets: list[str | None]
    index: int

    @property
    def end(self) -> int:
        return max(self.group[-1].end, self.mention.end)


def _chains(sentence: str, linked: list[_Linked]) -> list[tuple[list[_Linked], bool]]:
    """Runs of adjacent results with their own metric names, joined by commas or "and"
    ("60.2 AP, 41.4 mAP and 77.2 mIoU"), and whether the joiners are bare (no words between)."""
    chains: list[tuple[list[_Linked], bool]] = []
    for item in linked:
        previous = chains[-1][0][-1] if chains else None
        joiner = sentence[previous.end : item.group[0].start] if previous else ""
        if (
            previous is not None
            and item.index == previous.index + 1
            and item.mention is not previous.mention
            and P.CHAIN_JOINER.match(joiner)
        ):
            chains[-1][0].append(item)
            chains[-1] = (chains[-1][0], chains[-1][1] and bool(P.BARE_JOINER.match(joiner)))
        else:
            chains.append(([item], True))
    return [
        (chain, bare)
        for chain, bare in chains
        if len(chain) >= 2 and all(item.mention.metric != "speedup" for item in chain)
    ]


def _two_clauses(sentence: str, chain: list[_Linked]) -> bool:
    """ "87.8% top-1 accuracy, and 55.7 mIoU on ADE20K": a comma before "and" in a pair of results
    separates two clauses, so the benchmark after the second is not shared with the first."""
    return len(chain) == 2 and bool(
        re.match(r"\s*,\s*and\b", sentence[chain[0].end : chain[1].group[0].start])
    )


def _align_chains(sentence: str, linked: list[_Linked], groups: list[list[Number]]) -> None:
    """One benchmark per result of a chain ("... on VOC, COCO and Cityscapes"), or one for all
    ("91.2 F1 and 88.4 EM on SQuAD"); a difference cue at either end of a bare chain covers all of it."""
    for chain, bare in _chains(sentence, linked):
        first, last = chain[0], chain[-1]
        stop = groups[last.index + 1][0].start if last.index + 1 < len(groups) else len(sentence)
        names = aligned_datasets(sentence, last.end, stop, len(chain))
        if names and not any(dataset_before_metric(sentence, item.mention) for item in chain):
            for item, name in zip(chain, names, strict=True):
                item.datasets = [name] * len(item.group)
        elif (
            bare
            and last.datasets[-1]
            and not any(d for item in chain[:-1] for d in item.datasets)
            and not _two_clauses(sentence, chain)
        ):
            for item in chain[:-1]:
                item.datasets = [last.datasets[-1]] * len(item.group)
        if not bare:
            continue
        head = P.DELTA_BEFORE.search(sentence[max(0, first.group[0].start - 90) : first.group[0].start])
        tail = P.DELTA_AFTER.match(sentence[last.end :])
        if (head and set(first.kinds) == {"delta"}) or (tail and set(last.kinds) == {"delta"}):
            for item in chain:  # "2.6 AP, 0.8 mAP and 1.0 mIoU better than": every value is a difference
                if set(item.kinds) == {"score"}:
                    item.kinds = ["delta"] * len(item.group)


def extract_from_sentence(sentence: str, previous_sentence: str = "") -> list[Result]:
    """All results reported in one sentence; offsets are relative to the sentence. ``previous_sentence``
    may name the benchmarks a "respectively" list refers to."""
    numbers = find_numbers(sentence)
    if not numbers:
        return []
    mentions = find_mentions(sentence)
    groups = _group_numbers(sentence, numbers)
    linked: list[_Linked] = []
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
        datasets = datasets_for_group(sentence, group, mention, mentions, next_start)
        linked.append(_Linked(group, mention, kinds, datasets, index))
    if len(linked) >= 2:
        _align_chains(sentence, linked, groups)
        copy_parallel_datasets(linked)
        claim_nearest_benchmarks(sentence, linked)
    if previous_sentence:
        pair_with_previous_list(sentence, previous_sentence, linked)
    results: list[Result] = []
    for item in linked:
        mention = item.mention
        unit_fallback = "x" if mention.metric == "speedup" else ""
        for number, kind, dataset in zip(item.group, item.kinds, item.datasets, strict=True):
            start, end = min(number.start, mention.start), max(number.end, mention.end)
            unit = number.unit or unit_fallback
            elsewhere = dataset == ""
            results.append(
                Result(
                    mention.metric,
                    mention.name,
                    number.value,
                    unit,
                    kind,
                    dataset or None,
                    start,
                    end,
                    elsewhere,
                )
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
        .with_columns(
            offset=pl.col("length").cum_sum().over("row") - pl.col("length"),
            previous=pl.col("sentence").shift(1).over("row").fill_null(""),
        )
        .filter(_may_report_a_result(pl.col("sentence")))
        .select("row", "paper_id", "sentence", "offset", "previous")
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
    for row, paper_id, sentence, offset, previous in candidates.iter_rows():
        for r in extract_from_sentence(sentence, previous):
            dataset = r.dataset
            if dataset is None and not r.elsewhere and r.metric not in P.UNIT_DRIVEN_METRICS:
                dataset = context_benchmark(sentence, previous, abstracts[row])
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
