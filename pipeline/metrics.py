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
    + r"(?:[- ]?(?:v?\d\.\d(?!\d|\s?%)|v\d+|\d+[kK]?\b(?![.,]\d)))?(?![\w-])"
)
_KNOWN_BENCHMARK_NAMES = {b.lower() for b in KNOWN_BENCHMARKS}
# "91% accuracy on sequential CIFAR-10": a known benchmark after the number, behind a plain modifier.
_KNOWN_AFTER = re.compile(
    r"^[^;0-9]{0,40}?\b(?:on|in|for|at|over)\s+(?:the\s+)?(?:[a-z][\w\-]*\s+){0,2}(?P<ds>"
    + _KNOWN_BENCHMARK.pattern
    + ")"
)


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
    return bool(name and name.group(1).lower() in _KNOWN_BENCHMARK_NAMES)


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
    """ "80.1% on ImageNet": the benchmark after the number, unless a new clause or pre-training data
    intervenes."""
    m = P.DATASET_AFTER.match(sentence[start:stop])
    if not m:
        return None
    gap = m.string[: m.start("ds")]
    if P.CLAUSE_BEFORE_DATASET.search(gap) or P.TRAINING_DATA_GAP.search(gap):
        return None
    in_parenthesis = gap.lstrip(" ~").startswith(
        "("
    )  # "8.8% (DeepEyeNet)" names its benchmark whatever its shape
    if not in_parenthesis and (
        P.MODEL_NOUN_AFTER.match(m.string[m.end("ds") :]) or P.MODEL_LIKE.match(m.group("ds"))
    ):
        return None  # "over ResNet-50", "than TSC models": a competitor, not a benchmark
    return _valid_dataset(m.group("ds"))


def _known_dataset_after(sentence: str, start: int, stop: int) -> str | None:
    m = _KNOWN_AFTER.match(sentence[start:stop])
    gap = m.string[: m.start("ds")] if m else ""
    if not m or P.CLAUSE_BEFORE_DATASET.search(gap) or P.TRAINING_DATA_GAP.search(gap):
        return None
    return m.group("ds")


def _dataset_before_in_clause(sentence: str, start: int) -> str | None:
    """ "and on LVIS it obtains 40.2 AP": the closest benchmark before the number in the same clause."""
    window = sentence[max(0, start - 100) : start]
    cuts = [m.end() for m in P.CLAUSE_START.finditer(window)]
    clause = window[cuts[-1] :] if cuts else window
    found = None
    for m in P.INTRODUCED_DATASET.finditer(clause):
        name = _valid_dataset(m.group("ds"))
        if (
            name
            and _is_benchmark_like(name)
            and not P.TRAINING_DATA_BEFORE.search(clause[: m.start("ds")])
            and not P.MODEL_NOUN_AFTER.match(clause[m.end("ds") :])
        ):
            found = name
    return found


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
        pretraining = P.TRAINING_DATA_BEFORE.search(sentence[max(0, m.start("ds") - 40) : m.start("ds")])
        if name and _is_benchmark_like(name) and not pretraining:
            names.setdefault(name.lower(), name)
    for name in _evaluated_benchmarks(sentence).values():
        if not any(name.lower() in known for known in names):
            names.setdefault(name.lower(), name)
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
    known = _evaluated_benchmarks(sentence)
    if known:  # a known benchmark outweighs unfamiliar names, which are more often models or tasks
        return known.popitem()[1] if len(known) == 1 else None
    named = _sentence_benchmarks(sentence)
    return named[0] if len(named) == 1 else None


@functools.lru_cache(maxsize=4)  # memo for the results of one abstract only
def _abstract_benchmark(abstract: str) -> str | None:
    """The only benchmark an abstract names: results stated without one are on it."""
    known = _evaluated_benchmarks(abstract)
    return known.popitem()[1] if len(known) == 1 else None


def _evaluated_benchmarks(text: str) -> dict[str, str]:
    """Known benchmarks the text names, except those only used for pre-training ("pre-trained on X")."""
    known = {}
    for start, name in _known_benchmarks_in(text):
        if not P.TRAINING_DATA_BEFORE.search(text[max(0, start - 40) : start]):
            known.setdefault(name.lower(), name)
    return known


@functools.lru_cache(maxsize=8)  # one scan per sentence or abstract: the pattern is long
def _known_benchmarks_in(text: str) -> tuple[tuple[int, str], ...]:
    return tuple((m.start(), m.group(0)) for m in _KNOWN_BENCHMARK.finditer(text))


def _list_names(text: str, respectively: bool) -> list[str] | None:
    """ "Pascal VOC detection (C4), COCO and Cityscapes": the benchmark each list item starts with."""
    names = []
    for item in P.LIST_SEPARATOR.split(P.PARENTHESIS.sub(" ", text).strip()):
        m = re.match(r"(?:the\s+)?(" + P.DATASET_NAME + ")", item.strip())
        name = _valid_dataset(m.group(1)) if m else None
        if not name or not (respectively or _is_benchmark_like(name)):
            return None
        names.append(name)
    return names


def _aligned_datasets(sentence: str, start: int, stop: int, count: int) -> list[str] | None:
    """One benchmark per result: "2.3 and 4.1 on CIFAR-10 and CelebA", "on A and B: x and y, respectively"."""
    if count < 2:
        return None
    after = sentence[start:stop]
    respectively = bool(P.RESPECTIVELY.search(after[:160]))
    m = P.DATASET_LIST_AFTER.match(after)
    if m and not P.CLAUSE_BEFORE_DATASET.search(after[: m.start("names")]):
        names = _list_names(m.group("names"), respectively)
        if names and len(names) == count:
            return names
    if respectively and not P.RESPECTIVELY.search(sentence[:start]):
        listed = [m.group("names") for m in P.DATASET_LIST_BEFORE.finditer(sentence[:start])]
        names = _list_names(listed[-1], True) if listed else None
        if names and len(names) == count:
            return names
    return None


def _paren_dataset(sentence: str, number: Number) -> str | None:
    """ "6.1% (94.3%, 12K budget, CIFAR-10)": a benchmark listed in the parenthesis at or around a number."""
    m = re.match(r"\s*\(([^()]{2,80})\)", sentence[number.end :])
    content = m.group(1) if m else None
    opened = sentence.rfind("(", max(0, number.start - 80), number.start)
    if content is None and opened > sentence.rfind(")", 0, number.start):
        closed = sentence.find(")", number.end)
        content = sentence[opened + 1 : closed] if 0 < closed - number.end < 80 else None
    for item in re.split(r"[,;]", content or ""):
        item = item.strip()
        if re.fullmatch(P.DATASET_NAME, item) and _valid_dataset(item) and _is_benchmark_like(item):
            return item
    if (
        m is None and content is not None
    ):  # "segmentation of PASCAL VOC (67.2% mean IU)": the name it explains
        named = re.search("(" + P.DATASET_NAME + r")\s*$", sentence[max(0, opened - 60) : opened])
        name = _valid_dataset(named.group(1)) if named else None
        return name if name and _is_benchmark_like(name) else None
    return None


def _datasets(sentence: str, group: list[Number], mention: Mention, next_start: int) -> list[str | None]:
    if mention.metric == "speedup":  # speed-ups name hardware and models far more often than benchmarks
        return [_sentence_dataset(sentence, explicit_only=True)] * len(group)
    fallback = _sentence_dataset(sentence)
    tail_start = max(group[-1].end, mention.end if mention.start >= group[-1].end else 0)
    listed = _aligned_datasets(sentence, tail_start, next_start, len(group))
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
        own = (
            own
            or _dataset_after(
                sentence, max(number.end, tail_start) if i == len(group) - 1 else number.end, stop
            )
            or _paren_dataset(sentence, number)
            or _known_dataset_after(sentence, number.end if i < len(group) - 1 else tail_start, stop)
        )
        datasets.append(own)
    if len({d for d in datasets if d}) == 1:  # a list "80% and 81% on ImageNet" shares its benchmark
        shared = next(d for d in datasets if d)
        datasets = [d or shared for d in datasets]
    if all(datasets):
        return datasets
    if P.SETTING_AFTER.match(sentence[tail_start:]):
        return [d or "" for d in datasets]  # "" keeps the abstract's benchmark away too
    before = before_metric or _dataset_before_in_clause(sentence, min(group[0].start, mention.start))
    if not before and fallback and _named_for_a_later_result(sentence, fallback, tail_start, next_start):
        fallback = ""
    return [d or before or fallback for d in datasets]


def _named_for_a_later_result(sentence: str, name: str, tail_start: int, next_start: int) -> bool:
    """ "improves X by 1.0 FID and reduces FID by 25% on MIMIC": the benchmark is first named after the
    next number, behind a metric name of its own, so it belongs to that later result."""
    first = sentence.find(name)
    if first < next_start:
        return False
    return any(tail_start <= m.start < first for m in find_mentions(sentence))


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
        and (not between or _dataset_after(sentence, group[-1].end, len(sentence)) is not None)
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


def _align_chains(sentence: str, linked: list[_Linked], groups: list[list[Number]]) -> None:
    """One benchmark per result of a chain ("... on VOC, COCO and Cityscapes"), or one for all
    ("91.2 F1 and 88.4 EM on SQuAD"); a difference cue at either end of a bare chain covers all of it."""
    for chain, bare in _chains(sentence, linked):
        first, last = chain[0], chain[-1]
        stop = groups[last.index + 1][0].start if last.index + 1 < len(groups) else len(sentence)
        names = _aligned_datasets(sentence, last.end, stop, len(chain))
        if names and not any(_dataset_before_metric(sentence, item.mention) for item in chain):
            for item, name in zip(chain, names, strict=True):
                item.datasets = [name] * len(item.group)
        elif bare and last.datasets[-1] and not any(d for item in chain[:-1] for d in item.datasets):
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


def _copy_parallel_datasets(linked: list[_Linked]) -> None:
    """ "62% on ALFWorld and 45% on WebShop, outperforming ReAct by 12% and 8%": trailing results
    without a benchmark take, in order, those of the same metric's results just before them."""
    trailing: list[_Linked] = []
    for item in reversed(linked):
        if item.mention.metric == "speedup" or any(d is not None for d in item.datasets):
            break
        trailing.insert(0, item)
    if len(trailing) == 1:  # one group of numbers: one slot per number; several groups: one per group
        slots = [(trailing[0], i) for i in range(len(trailing[0].group))]
    else:
        slots = [(item, i) for item in trailing for i in range(len(item.group)) if i == 0]
    if len(slots) < 2:
        return
    earlier = linked[: len(linked) - len(trailing)][-len(slots) :]
    names = [item.datasets[0] for item in earlier]
    if (
        len(earlier) != len(slots)
        or any(len(set(item.datasets)) != 1 or item.datasets[0] is None for item in earlier)
        or len(set(names)) != len(names)
        or any(e.mention.metric != t.mention.metric for e, (t, _) in zip(earlier, slots, strict=True))
    ):
        return
    for name, (item, i) in zip(names, slots, strict=True):
        if len(trailing) == 1:
            item.datasets[i] = name
        else:
            item.datasets = [name] * len(item.group)


def _claim_nearest_benchmarks(sentence: str, linked: list[_Linked]) -> None:
    """ "85.1% on ImageNet and transfers to COCO, reaching 52.0 AP": a result the rules left without a
    benchmark takes the nearest one named before it that no other result of the sentence claims."""
    claimed = {d.lower() for item in linked for d in item.datasets if d}
    if not claimed:
        return
    named = _known_benchmarks_in(sentence)
    for item in linked:
        if item.mention.metric == "speedup" or any(d is not None for d in item.datasets):
            continue
        start = min(item.group[0].start, item.mention.start)
        before = [(p, name) for p, name in named if p < start and name.lower() not in claimed]
        if before and P.CLAIMABLE_BEFORE.search(sentence[max(0, before[-1][0] - 40) : before[-1][0]]):
            item.datasets = [before[-1][1]] * len(item.group)


def extract_from_sentence(sentence: str) -> list[Result]:
    """All results reported in one sentence; offsets are relative to the sentence."""
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
        linked.append(_Linked(group, mention, kinds, _datasets(sentence, group, mention, next_start), index))
    if len(linked) >= 2:
        _align_chains(sentence, linked, groups)
        _copy_parallel_datasets(linked)
        _claim_nearest_benchmarks(sentence, linked)
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
            if dataset is None and not r.elsewhere and r.metric not in P.UNIT_DRIVEN_METRICS:
                dataset = _abstract_benchmark(abstracts[row])
                # A sentence naming other benchmarks, none of them for this number, is not about it.
                if dataset and any(d.lower() != dataset.lower() for d in _sentence_benchmarks(sentence)):
                    dataset = None
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
