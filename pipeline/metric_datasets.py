"""Benchmark attribution for extracted results: which named dataset each reported number is on.

``pipeline.metrics`` finds numbers and their metric names; this module answers the ``dataset`` column
(GUIDELINES.md: the benchmark as named in the text, or null). Rules work outward from the number: a
benchmark after it in the same clause ("80.1% on ImageNet"), lists paired in order, a parenthesis, the
closest benchmark before it in its clause, the benchmark a sentence is about, and finally the only
benchmark the abstract evaluates on. The functions take the extractor's spans through small protocols
so that this module does not import ``pipeline.metrics``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from typing import Protocol

from pipeline import metric_patterns as P
from pipeline.metric_vocabulary import KNOWN_BENCHMARKS


class Span(Protocol):
    """A number (with its unit) as found in a sentence."""

    @property
    def start(self) -> int: ...
    @property
    def end(self) -> int: ...


class MetricSpan(Span, Protocol):
    """A metric name (or speed wording) found in a sentence."""

    @property
    def metric(self) -> str: ...


class LinkedResult(Protocol):
    """A group of numbers linked to a metric, whose per-number datasets the rules may fill."""

    datasets: list[str | None]

    @property
    def group(self) -> Sequence[Span]: ...
    @property
    def mention(self) -> MetricSpan: ...


# Long benchmark names are matched in any case ("Imagenet"); short ones ("VOC", "CUB") exactly.
_KNOWN_NAMES = [b if len(b) < 5 else b.lower() for b in KNOWN_BENCHMARKS]
_KNOWN_BENCHMARK = re.compile(
    P.first_letters_lookahead(_KNOWN_NAMES)  # first: it rejects most positions before the look-behind runs
    + r"(?<![\w-])"
    + P.names_regex(_KNOWN_NAMES)
    + r"(?:[- ]?(?:v?\d\.\d(?!\d|\s?%)|v\d+|\d+[kK]?\b(?![.,]\d)))?(?![\w-])"
)
KNOWN_BENCHMARK_NAMES = {b.lower() for b in KNOWN_BENCHMARKS}
# "91% accuracy on sequential CIFAR-10": a known benchmark after the number, behind a plain modifier.
_KNOWN_AFTER = re.compile(
    r"^[^;0-9]{0,40}?\b(?:on|in|for|at|over)\s+(?:the\s+)?(?:[a-z][\w\-]*\s+){0,2}(?P<ds>"
    + _KNOWN_BENCHMARK.pattern
    + ")"
)

# Small patterns of the rules below, compiled once: they run for most groups of numbers.
_MULTIPLE_NAME = re.compile(r"\d+\s?(?:times|[x×])(?:\s?\d|$)")
_LEADING_WORD = re.compile(r"^(?:On|In|The)\s+")
_LIST_ITEM_NAME = re.compile(r"(?:the\s+)?(" + P.DATASET_NAME + ")")
_PARENTHESIS_AFTER = re.compile(r"\s*\(([^()]{2,80})\)")
_ITEM_SEPARATOR = re.compile(r"[,;]")
_DATASET_NAME = re.compile(P.DATASET_NAME)
_NAME_AT_END = re.compile("(" + P.DATASET_NAME + r")\s*$")


def says_respectively(text: str) -> bool:
    """ "respectively", "resp.": values pair in order with the names listed."""
    return "esp" in text and P.RESPECTIVELY.search(text) is not None  # a substring gate first: it is rare


def _valid_dataset(name: str) -> str | None:
    name = name.strip(" -/.")
    if "-" in name:  # cheap gates: most names need neither substitution
        name = P.LOWER_CASE_SUFFIX.sub("", name)
    if " " in name:
        name = P.TRAILING_RESOLUTION.sub("", name).strip(" -/.")
    if len(name) < 2 or P.NOT_A_DATASET.match(name) or name.lower() in {"average", "all"}:
        return None
    if _MULTIPLE_NAME.match(name):  # "500times 500", "100x (shorter)"
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


def dataset_after(sentence: str, start: int, stop: int) -> str | None:
    """ "80.1% on ImageNet": the benchmark after the number, unless a new clause or pre-training data
    intervenes."""
    m = P.DATASET_AFTER.match(sentence[start:stop])
    if (
        m
        and P.COMPETITOR_BEFORE.search(m.string[: m.start("ds")])
        and not _KNOWN_BENCHMARK.match(m.group("ds"))
    ):
        # "+2.1 mIoU over DeepLabV3+ on Cityscapes": past the competitor to the benchmark
        later = dataset_after(sentence, start + m.end("ds"), stop)
        if later:
            return later
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
    # "; on Something-Something v2, 72.4% top-1": a preamble that is only the benchmark, then a comma.
    if len(cuts) >= 2 and window[cuts[-1] - 1] == ",":
        preamble = P.BENCHMARK_PREAMBLE.fullmatch(window[cuts[-2] : cuts[-1] - 1])
        name = _valid_dataset(preamble.group("ds")) if preamble else None
        if name and _is_benchmark_like(name):
            return name
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


def dataset_before_metric(sentence: str, mention: MetricSpan) -> str | None:
    """ "ImageNet accuracy of 88.0%", "COCO box AP of 56.4%": a benchmark right before the name."""
    m = P.DATASET_BEFORE_METRIC.search(sentence[max(0, mention.start - 40) : mention.start])
    name = _valid_dataset(m.group("ds")) if m else None
    return name if name and _is_benchmark_like(name) else None


@functools.lru_cache(maxsize=8)  # memo for the groups of one sentence only
def sentence_benchmarks(sentence: str) -> tuple[str, ...]:
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
        name = _valid_dataset(_LEADING_WORD.sub("", m.group("ds") or m.group("lead")))
        if name and (not P.MODEL_LIKE.match(name) or _KNOWN_BENCHMARK.match(name)):  # "On ResNet-18, ..."
            return name
    if explicit_only:
        return None
    known = _evaluated_benchmarks(sentence)
    if known:  # a known benchmark outweighs unfamiliar names, which are more often models or tasks
        return known.popitem()[1] if len(known) == 1 else None
    named = sentence_benchmarks(sentence)
    return named[0] if len(named) == 1 else None


@functools.lru_cache(maxsize=4)  # memo for the results of one abstract only
def abstract_benchmark(abstract: str) -> str | None:
    """The only benchmark an abstract names: results stated without one are on it. Without a known
    benchmark, the only one it introduces as such ("on the DocBank dataset") counts."""
    known = _evaluated_benchmarks(abstract)
    if known:
        return known.popitem()[1] if len(known) == 1 else None
    introduced = {}
    for noun in P.BENCHMARK_NOUN.finditer(abstract):
        window = abstract[max(0, noun.start() - 80) : noun.start()]
        m = P.NAMED_BEFORE_BENCHMARK_NOUN.search(window)
        name = _valid_dataset(m.group("ds")) if m else None
        pretraining = m and P.TRAINING_DATA_BEFORE.search(window[max(0, m.start("ds") - 40) : m.start("ds")])
        if name and not pretraining and not P.MODEL_LIKE.match(name) and not P.HARDWARE.search(name):
            introduced.setdefault(name.lower(), name)
    return introduced.popitem()[1] if len(introduced) == 1 else None


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
        m = _LIST_ITEM_NAME.match(item.strip())
        name = _valid_dataset(m.group(1)) if m else None
        if not name or not (respectively or _is_benchmark_like(name)):
            return None
        names.append(name)
    return names


def aligned_datasets(sentence: str, start: int, stop: int, count: int) -> list[str] | None:
    """One benchmark per result: "2.3 and 4.1 on CIFAR-10 and CelebA", "on A and B: x and y, respectively"."""
    if count < 2:
        return None
    after = sentence[start:stop]
    respectively = says_respectively(after[:160])
    m = P.DATASET_LIST_AFTER.match(after)
    if m and not P.CLAUSE_BEFORE_DATASET.search(after[: m.start("names")]):
        names = _list_names(m.group("names"), respectively)
        if names and len(names) == count:
            return names
    if respectively and not says_respectively(sentence[:start]):
        listed = [m.group("names") for m in P.DATASET_LIST_BEFORE.finditer(sentence[:start])]
        names = _list_names(listed[-1], True) if listed else None
        if names and len(names) == count:
            return names
    # "On CIFAR-10 and CIFAR-100, it improves accuracy by 1.2% and 2.3%": a sentence that opens with
    # as many benchmarks as there are values pairs them in order even without "respectively".
    lead = P.LEADING_DATASET_LIST.match(sentence) if sentence[:3] in {"On ", "For", "In ", "Acr"} else None
    if lead and lead.end() <= start:
        names = _list_names(lead.group("names"), False)
        if names and len(names) == count:
            return names
    return None


def _paren_dataset(sentence: str, number: Span) -> str | None:
    """ "6.1% (94.3%, 12K budget, CIFAR-10)": a benchmark listed in the parenthesis at or around a number."""
    m = _PARENTHESIS_AFTER.match(sentence[number.end :])
    content = m.group(1) if m else None
    opened = sentence.rfind("(", max(0, number.start - 80), number.start)
    if content is None and opened > sentence.rfind(")", 0, number.start):
        closed = sentence.find(")", number.end)
        content = sentence[opened + 1 : closed] if 0 < closed - number.end < 80 else None
    for item in _ITEM_SEPARATOR.split(content or ""):
        item = item.strip()
        if _DATASET_NAME.fullmatch(item) and _valid_dataset(item) and _is_benchmark_like(item):
            return item
    if (
        m is None and content is not None
    ):  # "segmentation of PASCAL VOC (67.2% mean IU)": the name it explains
        named = _NAME_AT_END.search(sentence[max(0, opened - 60) : opened])
        name = _valid_dataset(named.group(1)) if named else None
        return name if name and _is_benchmark_like(name) else None
    return None


def datasets_for_group(
    sentence: str, group: Sequence[Span], mention: MetricSpan, mentions: Sequence[Span], next_start: int
) -> list[str | None]:
    """The benchmark of each number of a group linked to ``mention`` (None: none named for it, "": the
    text places it outside any named benchmark); ``mentions`` are all metric names of the sentence."""
    if mention.metric == "speedup":  # speed-ups name hardware and models far more often than benchmarks
        return [_sentence_dataset(sentence, explicit_only=True)] * len(group)
    tail_start = max(group[-1].end, mention.end if mention.start >= group[-1].end else 0)
    listed = aligned_datasets(sentence, tail_start, next_start, len(group))
    if listed:
        return list(listed)
    datasets = []
    for i, number in enumerate(group):
        stop = group[i + 1].start if i + 1 < len(group) else next_start
        own = (
            dataset_after(sentence, number.end, stop)
            if P.LEADING_PAREN.match(sentence[number.end :])
            else None
        )
        own = (
            own
            or dataset_after(
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
    # Only now the sentence-wide rules: most groups name their benchmark after the number.
    before = dataset_before_metric(sentence, mention) or _dataset_before_in_clause(
        sentence, min(group[0].start, mention.start)
    )
    fallback = _sentence_dataset(sentence)
    if (
        not before
        and fallback
        and _named_for_a_later_result(sentence, fallback, tail_start, next_start, mentions)
    ):
        fallback = ""
    return [d or before or fallback for d in datasets]


def _named_for_a_later_result(
    sentence: str, name: str, tail_start: int, next_start: int, mentions: Sequence[Span]
) -> bool:
    """ "improves X by 1.0 FID and reduces FID by 25% on MIMIC": the benchmark is first named after the
    next number, behind a metric name of its own, so it belongs to that later result."""
    first = sentence.find(name)
    if first < next_start:
        return False
    return any(tail_start <= m.start < first for m in mentions)


def copy_parallel_datasets(linked: Sequence[LinkedResult]) -> None:
    """ "62% on ALFWorld and 45% on WebShop, outperforming ReAct by 12% and 8%": trailing results
    without a benchmark take, in order, those of the same metric's results just before them."""
    trailing: Sequence[LinkedResult] = []
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


def claim_nearest_benchmarks(sentence: str, linked: Sequence[LinkedResult]) -> None:
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


def context_benchmark(sentence: str, previous: str, abstract: str, abstract_wide: bool = True) -> str | None:
    """The benchmark of a result its own sentence names none for: the one the previous sentence is
    about ("We evaluate on COCO. It reaches 52.3 AP."), else (if ``abstract_wide``) the only benchmark
    the abstract evaluates on. A sentence naming other benchmarks, none for this number, is about neither."""
    carried = _previous_sentence_benchmark(previous)
    if carried and sentence_benchmarks(sentence):  # memoised: the scan runs once per sentence
        carried = None
    dataset = carried or (abstract_benchmark(abstract) if abstract_wide else None)
    if dataset and any(d.lower() != dataset.lower() for d in sentence_benchmarks(sentence)):
        return None
    return dataset


def _previous_sentence_benchmark(previous: str) -> str | None:
    """ "On the X benchmark, ..." or the only known benchmark evaluated on: unfamiliar names in another
    sentence are more often models, formats or tasks than benchmarks."""
    if not previous:
        return None
    known = _evaluated_benchmarks(previous)
    if len(known) > 1:
        return None
    return _sentence_dataset(previous, explicit_only=True) or (known.popitem()[1] if known else None)


def pair_with_previous_list(sentence: str, previous: str, linked: Sequence[LinkedResult]) -> None:
    """ "We test on CIFAR-100 and Tiny-ImageNet. It improves accuracy by 2.1% and 3.4%, respectively.":
    a "respectively" list with no benchmark in its own sentence pairs with the list the previous
    sentence names."""
    if not says_respectively(sentence) or sentence_benchmarks(sentence):
        return
    for item in linked:
        if len(item.group) < 2 or any(d is not None for d in item.datasets):
            continue
        if not says_respectively(sentence[item.group[-1].end : item.group[-1].end + 80]):
            continue
        listed = [m.group("names") for m in P.DATASET_LIST_BEFORE.finditer(previous)]
        names = _list_names(listed[-1], True) if listed else None
        if names and len(names) == len(item.group):
            item.datasets = list(names)
