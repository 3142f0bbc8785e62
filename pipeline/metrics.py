"""Extract reported evaluation results (metric, value, kind, dataset) from paper abstracts.

The rules follow ``GUIDELINES.md``: one record per number that a metric name (or speed-up wording)
identifies as an evaluation result; values are kept as written; ``kind`` says whether the number is
the paper's score, a delta, or a baseline's value. Polars splits abstracts into sentences and keeps
only sentences holding both a number and a metric cue, or a reported value right after a sentence that
names its metric; the Python rules below run on those only.
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

# Speed-ups are found from their wording; "FPS" is also a name ("boosts FPS from 533 to 2364").
_ALIAS_TO_METRIC: dict[str, str] = {
    alias.lower(): d.id for d in METRICS if d.id not in {"speedup", "other"} for alias in d.aliases
}

# Small patterns of the rules below, compiled once: they run for every number of every sentence.
_OPEN_PAREN_AT_END = re.compile(r"\(\s*$")
_VERSION_NUMBER = re.compile(r"\d(?:\.\d)?|\d{2,4}")
_NAME_AT_END = re.compile(r"([A-Za-z][\w\-]*)\s*v?$")
_QUALIFIER_AT_END = re.compile(r"([A-Za-z][\w\-]*)\s+$")
_GAP_WORD = re.compile(r"[\w\-]+")
_GAP_PUNCTUATION = re.compile(r"[,;()\[\]]")
_GAP_SETUP_WORD = re.compile(r"\b(?:with|using|uses|use|requir\w*|trained|data)\b", re.IGNORECASE)
_VERSUS = re.compile(r"\bv(?:s|ersus)\b")
_CARRY_BLOCKERS = re.compile(P.CARRY_BLOCKERS)
_CARRY_BLOCKERS_COMPARED = re.compile(P.CARRY_BLOCKERS_COMPARED)
_COMMA_AND = re.compile(r"\s*,\s*and\b")
_CONTRAST = re.compile(r";|\b(?:while|whereas|but)\b")


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
    if before.endswith(("sim", "approx", "times/", "x/", "×/")):  # LaTeX "sim20%" ("~20%"), "7times/2.8times"
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
    # Short windows: every pattern below looks at most a few words away from the number.
    before, after_num, after = (
        sentence[max(0, start - 40) : start],
        sentence[num_end : num_end + 60],
        sentence[end : end + 60],
    )
    if _glued_to_a_name(before) and not P.RANGE_BEFORE.search(before):
        return True
    if P.RESOLUTION_BEFORE.search(before) or P.RESOLUTION_AFTER.match(after_num):
        return True
    whole = "." not in text
    if whole and (P.FRACTION_AFTER.match(after_num) or P.FRACTION_BEFORE.search(before)):  # "1/4 of"
        return True
    if unit:
        return unit == "x" and bool(P.COUNT_AFTER.match(after))
    glued_metric = after_num[:1].isalpha() and P.METRIC_NAME.match(after_num)  # "4AP": glued to its metric
    # "7B", "3D" are sizes and names, but "a 3.7-point gain" is a difference in points
    glued = P.GLUED_AFTER.match(after_num) and not (after_num[0] == "-" and P.POINTS_AFTER.match(after_num))
    if not glued_metric and (glued or P.COUNT_AFTER.match(after)):
        return True
    if whole and 1900 <= float(text.replace(",", "")) <= 2100:
        return True
    if P.ENUMERATION_BEFORE.search(before[-25:]) or _is_benchmark_version(before, text):  # "SQuAD 2.0"
        return True
    if P.VERSION_OR_SIZE.fullmatch(text) and P.AFTER_A_NAMED_BENCHMARK.search(before):
        # "on OntoNotes 5.0", "on the NTU RGB+D 60 benchmark": a version or size of the benchmark named
        return not P.METRIC_NAME.match(after.lstrip())
    return bool(P.CITATION.match(after) and _OPEN_PAREN_AT_END.search(before))


def _is_benchmark_version(before: str, text: str) -> bool:
    """ "SQuAD 2.0", "FFHQ 1024": a version, resolution or size written after a known benchmark name."""
    if not (before.endswith((" ", "v")) and _VERSION_NUMBER.fullmatch(text)):
        return False
    name = _NAME_AT_END.search(before)
    return bool(name and name.group(1).lower() in KNOWN_BENCHMARK_NAMES)


def find_numbers(sentence: str) -> list[Number]:
    """Numbers that could be results, with their units; spans cover number and unit."""
    numbers = []
    matches = list(P.NUMBER.finditer(sentence))
    if "sim" in sentence or "approx" in sentence:  # LaTeX remnants glued in front: "approx13%", "sim2AP"
        matches = sorted([*matches, *P.LATEX_GLUED_NUMBER.finditer(sentence)], key=lambda m: m.start())
    for m in matches:
        unit = _normalise_unit(m.group("unit"))
        if _is_not_a_result(sentence, m.start(), m.end("num"), m.end(), unit, m.group("num")):
            continue
        value = float(m.group("num").replace(",", "").replace(" ", ""))
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
        base = P.NAME_SUFFIX.sub("", name) if "-" in name or "@" in name or name[-1] == "s" else name
        metric = _ALIAS_TO_METRIC.get(name.lower()) or _ALIAS_TO_METRIC.get(base.lower())
        if metric is None:
            continue
        if (
            metric == "top1_accuracy"
            and name.lower() in {"top-1", "top1"}
            and P.SHARED_ERROR_HEAD.match(sentence[m.end() :])
        ):  # "21.2% top-1 and 5.6% top-5 error": both are errors
            metric, name = "error_rate", f"{name} error"
        if metric == "error_rate" and name.lower() in {"error", "errors", "error rate", "error rates"}:
            qualifier = _QUALIFIER_AT_END.search(sentence[: m.start()])
            if qualifier and qualifier.group(1).lower() not in P.ERROR_QUALIFIERS_KEPT:
                metric, name = "other", f"{qualifier.group(1)} {name}"
        mentions.append(Mention(m.start(), m.end(), metric, name))
    return mentions


def _gap_allows_link(gap: str, max_words: int, strict: bool) -> bool:
    # Another number in between belongs elsewhere; digits inside a name ("on CIFAR-10") do not.
    if P.LONE_NUMBER.search(gap) or P.CLAUSE_BREAK.search(gap):
        return False
    words = _GAP_WORD.findall(gap)
    if len(words) > max_words:
        return False
    if strict:
        blocked = any(w.lower() in P.GAP_BLOCKERS for w in words) or P.AFTER_GAP_VERBS.search(gap)
        return not _GAP_PUNCTUATION.search(gap) and not blocked
    return not _GAP_SETUP_WORD.search(gap)


def _mention_after(sentence: str, group: list[Number], mentions: list[Mention]) -> Mention | None:
    last = group[-1]
    following = [m for m in mentions if m.start >= last.end]
    gap = sentence[last.end : following[0].start] if following else ""
    gap = P.LEADING_PAREN.sub("", gap)  # "3.42 (ImageNet 64x64) bits per dimension"
    if following and (_gap_allows_link(gap.lstrip("+"), 3, strict=True) or P.METRIC_AFTER_PHRASE.match(gap)):
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


def _factor_of_before(sentence: str, start: int) -> bool:
    """ "reduced by a factor of 4": the text before ``start`` ends with "factor of"."""
    prefix = sentence[:start]
    # A cheap substring gate: the pattern scans the whole prefix and needs the word "factor" in it.
    return "factor" in prefix.lower() and P.FACTOR_OF_BEFORE.search(prefix) is not None


def _speed_mention(sentence: str, group: list[Number]) -> Mention | None:
    """Speed-ups: "20x faster", "speedups of up to 10x", "47% lower latency", "reduced by a factor of 4"."""
    first, last = group[0], group[-1]
    unit = last.unit or ("x" if _factor_of_before(sentence, first.start) else "")
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
        or (not reaches_a_value and _delta_cue_before(before))
        or P.DELTA_AFTER.match(after)
    )


def _delta_cue_before(before: str) -> bool:
    """ "by 2.1", "an improvement of 3%", "a margin of": the text before a number makes it a difference."""
    lowered = before.lower()
    # A cheap substring gate: the full pattern is long and rarely applies.
    return any(cue in lowered for cue in P.DELTA_GATE) and bool(P.DELTA_BEFORE.search(before))


def _names_a_baseline(before: str) -> bool:
    """ "compared to 48.49", "whereas X gets 0.71", "For comparison, X obtains": the text before a number
    attributes it to prior work or a baseline."""
    lowered = before.lower()
    # A cheap substring gate: the full pattern is long and rarely applies.
    return any(cue in lowered for cue in P.BASELINE_GATE) and bool(P.BASELINE_BEFORE.search(before))


def _names_a_prior_value(before: str) -> bool:
    """ "improves on the previous best of 45.1 AP", "up from 48.3": the value a result is measured against."""
    lowered = before.lower()
    return any(cue in lowered for cue in P.PRIOR_VALUE_GATE) and bool(P.PRIOR_VALUE_BEFORE.search(before))


def _kinds(sentence: str, group: list[Number], mention: Mention) -> list[str]:
    """score / delta / baseline for each number of a group; `from X to Y` wins over other cues."""
    before = sentence[max(0, group[0].start - 90) : group[0].start]
    if len(group) >= 2 and mention.metric != "speedup":
        # "from 37.2 to 23.3" and "37.2 → 23.3": the old value, then the new one(s)
        arrow = P.ARROW_JOINER.match(sentence[group[0].end : group[1].start])
        if arrow or (P.FROM_BEFORE.search(before) and not P.RANGING_BEFORE.search(before)):
            return ["baseline"] + ["score"] * (len(group) - 1)
    if _names_a_prior_value(before):  # stronger than a difference cue before it
        return ["baseline"] * len(group)
    if _group_is_delta(sentence, group, mention):
        return ["delta"] * len(group)
    kinds = ["baseline" if _names_a_baseline(before) else "score"]
    for previous, number in itertools.pairwise(group):
        joiner = sentence[previous.end : number.start]
        kinds.append("baseline" if _VERSUS.search(joiner) else kinds[0])
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
    # The previous metric may sit between the two when both name their benchmarks in parallel
    # ("89.5% accuracy on GSM8K and 55.2% on MATH") or when the second is compared with the first.
    if len(gap) > 90 or any(m != prev_mention for m in between):
        return None, False
    compares = _compares_with_previous(sentence, gap, group)
    if not compares and P.PARALLEL_BENCHMARK_GAP.search(gap):
        compares = "parallel"  # "86.1% top-1 accuracy on Kinetics-600, and on SSv2 with 69.5%"
    after = sentence[group[-1].end :]
    carries = (
        # A difference may be in points or percent of a value written without a unit.
        (prev_group[-1].unit == group[0].unit or (compares == "delta" and group[0].unit in {"", "%"}))
        and (not between or compares or dataset_after(sentence, group[-1].end, len(sentence)) is not None)
        and not (_CARRY_BLOCKERS_COMPARED if compares else _CARRY_BLOCKERS).search(
            gap if compares != "parallel" else ""
        )
        and not P.SHARE_AFTER.match(after)
        and not P.OWN_SCORE_AFTER.match(after)
    )
    return (prev_mention, True) if carries else (None, False)


def _compares_with_previous(sentence: str, gap: str, group: list[Number]) -> str | None:
    """How a number without a metric name of its own relates to the result before it: "baseline" for a
    compared value (", compared with 76.1% for X", "whereas X gets 0.71"), "delta" for a difference
    (", which is 3.7 points higher", ", surpassing X by 8.1%"), None otherwise."""
    before = sentence[max(0, group[0].start - 90) : group[0].start]
    if _names_a_baseline(before):
        return "baseline"
    if P.DELTA_AFTER.match(sentence[group[-1].end :]) and P.RELATIVE_CLAUSE_END.search(gap):
        return "delta"
    if _delta_cue_before(before) and P.COMPARISON_VERB.search(gap):
        return "delta"
    return None


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
    return len(chain) == 2 and bool(_COMMA_AND.match(sentence[chain[0].end : chain[1].group[0].start]))


def _metric_led(sentence: str, chain: list[_Linked]) -> bool:
    """ "an EM of 85.2 and an F1 of 91.8 on SQuAD": each later result of the chain is only its metric
    name and value, so the benchmark after the last is shared as in a bare list."""
    for previous, item in itertools.pairwise(chain):
        if item.mention.start > item.group[0].start or item.mention.start < previous.end:
            return False
        to_name = sentence[previous.end : item.mention.start]
        to_value = sentence[item.mention.end : item.group[0].start]
        if not (P.METRIC_LED_JOINER.match(to_name) and P.NAME_TO_VALUE.match(to_value)):
            return False
    return True


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
            (bare or _metric_led(sentence, chain))
            and last.datasets[-1]
            and not any(d for item in chain[:-1] for d in item.datasets)
            and not _two_clauses(sentence, chain)
        ):
            for item in chain[:-1]:
                item.datasets = [last.datasets[-1]] * len(item.group)
        if not bare:
            continue
        head = _delta_cue_before(sentence[max(0, first.group[0].start - 90) : first.group[0].start])
        tail = P.DELTA_AFTER.match(sentence[last.end :])
        if (head and set(first.kinds) == {"delta"}) or (tail and set(last.kinds) == {"delta"}):
            for item in chain:  # "2.6 AP, 0.8 mAP and 1.0 mIoU better than": every value is a difference
                if set(item.kinds) == {"score"}:
                    item.kinds = ["delta"] * len(item.group)


def _earlier_metric(earlier_sentence: str) -> Mention | None:
    """The one metric an earlier sentence names, which a sentence naming none may go on reporting."""
    named = {m.metric: m for m in find_mentions(earlier_sentence) if m.metric not in P.UNIT_DRIVEN_METRICS}
    return next(iter(named.values())) if len(named) == 1 else None


def _continues_earlier_metric(sentence: str, group: list[Number], metric: str) -> bool:
    """ "... top-1 accuracy on ImageNet. It reaches 84.1% with ...", "... improves from 69.8% to 73.2%":
    a decimal or percentage that a result verb reports, in a sentence naming no metric of its own."""
    definition = METRICS_BY_ID[metric]
    for number in group:
        percent_metric = definition.unit == "%"
        if number.unit not in {"", "%"} or (
            number.unit == "" and percent_metric and float(number.value).is_integer()
        ):
            return False
        if _out_of_range(metric, number.value):
            return False
    before = sentence[max(0, group[0].start - 60) : group[0].start]
    after = sentence[group[-1].end :]
    return bool(
        (P.RESULT_VERB_BEFORE.search(before) or P.RESPECTIVELY.match(after.lstrip(" ,")))
        and P.PLAIN_AFTER_VALUE.match(after)
    )


def _metric_named_at_the_end(sentence: str, group: list[Number], mention: Mention) -> Mention | None:
    """ "91.2% on CIFAR-10, 68.3% on CIFAR-100 and 55.1% on Tiny-ImageNet in terms of accuracy": the only
    metric of the sentence, named last after "in terms of", covers the values listed before it."""
    if not P.IN_TERMS_OF_BEFORE.search(sentence[: mention.start]):
        return None
    between = sentence[group[-1].end : mention.start]
    if len(between) > 200 or _CONTRAST.search(between):
        return None
    return mention if P.PLAIN_AFTER_VALUE.match(sentence[group[-1].end :]) else None


def extract_from_sentence(
    sentence: str, previous_sentence: str = "", earlier_sentence: str = ""
) -> list[Result]:
    """All results reported in one sentence; offsets are relative to the sentence. ``previous_sentence``
    may name the benchmarks a "respectively" list refers to; ``earlier_sentence`` (the last of the two
    before that names a metric) may name the metric of values this sentence reports without one."""
    numbers = find_numbers(sentence)
    if not numbers:
        return []
    mentions = find_mentions(sentence)
    groups = _group_numbers(sentence, numbers)
    earlier = _earlier_metric(earlier_sentence) if earlier_sentence and not mentions else None
    linked: list[_Linked] = []
    previous: tuple[list[Number], Mention] | None = None
    previous_kind = "score"
    for index, group in enumerate(groups):
        previous_group = previous[0] if previous else None
        mention, carried = _link_group(sentence, group, mentions, previous)
        if mention is None and earlier and _continues_earlier_metric(sentence, group, earlier.metric):
            mention = Mention(group[0].start, group[-1].end, earlier.metric, earlier.name)
        named_at_end = False
        if mention is None and len(mentions) == 1 and group[-1].end < mentions[0].start:
            mention = _metric_named_at_the_end(sentence, group, mentions[0])
            named_at_end = mention is not None
        previous = (group, mention) if mention else None
        if mention is None:
            continue
        next_start = groups[index + 1][0].start if index + 1 < len(groups) else len(sentence)
        kinds = _kinds(sentence, group, mention)
        # "by 25.5% (X), 8.8% (Y)": a list of differences goes on, but "improves by 6.1% (94.3%)" gives
        # the score reached in the parenthesis
        reached = previous_group and P.OPENING_PAREN.match(sentence[previous_group[-1].end : group[0].start])
        if carried and previous_kind == "delta" and set(kinds) == {"score"} and not reached:
            kinds = ["delta"] * len(group)
        elif (
            carried
            and previous_kind == "baseline"
            and set(kinds) == {"score"}
            and previous_group
            # "compared to 732 for GraphCast and 740 for FuXi": the list of compared values goes on
            and P.BASELINE_LIST_GAP.match(sentence[previous_group[-1].end : group[0].start])
        ):
            kinds = ["baseline"] * len(group)
        if not (reached and carried):  # the list of differences resumes after the parenthesis
            previous_kind = kinds[-1]
        # "86.1% top-1 accuracy on K600, and on SSv2 with 69.5%", "91.2% on X, 68.3% on Y in terms of
        # accuracy": the name sits beyond the clause that names this value's benchmark, so the benchmark
        # is looked for from the value.
        parallel = (
            carried
            and previous_group
            and P.PARALLEL_BENCHMARK_GAP.search(sentence[previous_group[-1].end : group[0].start])
        )
        at_value = (
            Mention(group[0].start, group[0].start, mention.metric, mention.name)
            if parallel or named_at_end or (carried and mention.start >= group[-1].end)
            else mention
        )
        datasets = datasets_for_group(sentence, group, at_value, mentions, next_start)
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


def _may_report_a_result(text: pl.Series, named: pl.Series | None = None) -> pl.Series:
    """Vectorised test: a number next to a metric name, a multiple next to speed wording, or fps.
    ``named`` may hold the already computed test for a metric name. Short-circuited: each test runs only
    on the texts the tests before it left undecided (an expression would run every test on every text)."""
    # Series.scatter writes in place: the caller's ``named`` must stay as it is.
    keep = text.str.contains(P.PREFILTER_ALIAS) if named is None else named.clone()
    named_rows = keep.arg_true()
    keep = keep.scatter(named_rows, text.gather(named_rows).str.contains(P.PREFILTER_NUMBER))
    undecided = (~keep).arg_true()
    for pattern in (P.PREFILTER_FPS, P.PREFILTER_GLUED):
        hit = text.gather(undecided).str.contains(pattern)
        keep = keep.scatter(undecided.filter(hit), True)
        undecided = undecided.filter(~hit)
    multiple = undecided.filter(text.gather(undecided).str.contains(P.PREFILTER_MULTIPLE))
    return keep.scatter(multiple.filter(text.gather(multiple).str.contains(P.SPEED_WORDS)), True)


def _candidate_sentences(papers: pl.DataFrame) -> pl.DataFrame:
    """Sentences that may report a result, with their character offset in the abstract, the sentence
    before them and the last of the two sentences before them that names a metric ("" if none)."""
    sentence, named = pl.col("sentence"), pl.col("named")
    # Sentences of one abstract are contiguous: a global shift within the same row is the previous one.
    same_row_1, same_row_2 = pl.col("row").shift(1) == pl.col("row"), pl.col("row").shift(2) == pl.col("row")
    named_1, named_2 = same_row_1 & named.shift(1), same_row_2 & named.shift(2)
    abstracts = papers.select(
        pl.col("paper_id").cast(pl.String), pl.col("abstract").cast(pl.String).fill_null("")
    ).with_row_index("row")
    sentences = (
        # most abstracts never need splitting
        abstracts.filter(_may_report_a_result(abstracts.get_column("abstract")))
        .with_columns(sentence=pl.col("abstract").str.extract_all(P.SENTENCE_PIECES))
        .select("row", "paper_id", "sentence")
        .explode("sentence")
        .drop_nulls("sentence")
        .with_columns(length=sentence.str.len_chars(), named=sentence.str.contains(P.PREFILTER_ALIAS))
        .with_columns(
            offset=pl.col("length").cum_sum().over("row") - pl.col("length"),
            previous=pl.when(same_row_1).then(sentence.shift(1)).otherwise(pl.lit("")),
            earlier=pl.when(named_1)
            .then(sentence.shift(1))
            .when(named_2)
            .then(sentence.shift(2))
            .otherwise(pl.lit("")),
        )
    )
    text, is_named = sentences.get_column("sentence"), sentences.get_column("named")
    keep = _may_report_a_result(text, is_named)
    # a value whose metric an earlier sentence names ("... on ImageNet. It reaches 84.1%.")
    carry = (~keep & ~is_named & (sentences.get_column("earlier") != "")).arg_true()
    keep = keep.scatter(carry.filter(text.gather(carry).str.contains(P.PREFILTER_CARRY)), True)
    return sentences.filter(keep).select("row", "paper_id", "sentence", "offset", "previous", "earlier")


def _out_of_range(metric: str, value: float) -> bool:
    definition = METRICS_BY_ID[metric]
    too_low = definition.min_value is not None and value < definition.min_value
    too_high = definition.max_value is not None and value > definition.max_value
    return too_low or too_high


def _result_keys(offset: int, r: Result) -> tuple[tuple, tuple]:
    """Records of one abstract with one of these keys report the same result when their benchmarks
    agree: the same name anywhere in the abstract, or, within one sentence, any name of the metric that
    does not qualify it otherwise ("Frechet Inception Distance" and "FID", not "top-1" and "top-5 error")."""
    name = r.metric_name.lower()
    qualifier = _QUALIFIERS.get(name)
    if qualifier is None:
        qualifier = _QUALIFIERS.setdefault(name, name if P.NAME_QUALIFIER.search(name) else "")
    return (r.metric, name, r.value, r.unit, r.kind), (offset, r.metric, qualifier, r.value, r.unit, r.kind)


_QUALIFIERS: dict[str, str] = {}  # metric names as written are few: their qualifier is looked up once


def _same_benchmark(a: str | None, b: str | None) -> bool:
    """ "MS COCO 2017-5k" and "COCO" name one benchmark: one name's words contain the other's."""
    if a is None or b is None:
        return a is b
    words_a, words_b = set(P.WORD.findall(a.lower())), set(P.WORD.findall(b.lower()))
    return words_a <= words_b or words_b <= words_a


def extract_metrics(papers: pl.DataFrame) -> pl.DataFrame:
    """Input: columns paper_id (str), abstract (str). Output: one row per reported result."""
    if papers.height == 0:
        return pl.DataFrame(schema=OUTPUT_SCHEMA)
    rows: dict[str, list] = {name: [] for name in OUTPUT_SCHEMA}
    candidates = _candidate_sentences(papers)
    abstracts = papers.get_column("abstract")
    # The same value repeated for the same result (e.g. in the conclusion) is one record.
    seen: dict[tuple, list[str | None]] = {}
    seen_row = -1
    columns = [rows[name] for name in list(OUTPUT_SCHEMA)[:7]]
    for row, paper_id, sentence, offset, previous, earlier in candidates.iter_rows():
        if row != seen_row:  # sentences come abstract by abstract
            seen, seen_row = {}, row
        for r in extract_from_sentence(sentence, previous, earlier):
            dataset = r.dataset
            if dataset is None and not r.elsewhere and r.metric not in P.UNIT_DRIVEN_METRICS:
                wide = r.metric not in P.RARELY_ON_A_BENCHMARK
                dataset = context_benchmark(sentence, previous, abstracts[row], abstract_wide=wide)
            same = [seen.setdefault(key, []) for key in _result_keys(offset, r)]
            if any(_same_benchmark(dataset, other) for datasets in same for other in datasets):
                continue
            for datasets in same:
                datasets.append(dataset)
            values = (paper_id, r.metric, r.metric_name, r.value, r.unit, r.kind, dataset)
            for column, value in zip(columns, values, strict=True):
                column.append(value)
            rows["evidence"].append(sentence[r.start : r.end])
            rows["span_start"].append(offset + r.start)
            rows["span_end"].append(offset + r.end)
            rows["out_of_range"].append(_out_of_range(r.metric, r.value))
    return (
        pl.DataFrame(rows, schema=OUTPUT_SCHEMA)
        # A value listed twice in one evidence ("margins of 23, 23 and 38") is one result: the table's
        # key (paper_id, span_start, metric, value) must stay unique whatever the rules above found.
        .unique(subset=["paper_id", "span_start", "metric", "value"], keep="first", maintain_order=True)
        .sort("paper_id", "span_start", "metric")
    )
