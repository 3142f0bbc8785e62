"""Regular expressions used by ``pipeline.metrics`` to find reported results in abstracts.

Two families live here: Rust-compatible prefilter patterns (no look-around) that Polars runs over
every sentence, and Python patterns used on the few candidate sentences that pass the prefilter.
"""

from __future__ import annotations

import re

from pipeline.metric_vocabulary import METRICS

# Metrics recognised from the number's own unit or from speed wording, not from a name next to it.
UNIT_DRIVEN_METRICS = frozenset({"speedup", "fps", "other"})
# Correlations more often describe a trend ("scaling follows a power law, correlation -0.99") than a
# benchmark score: the abstract's only benchmark is not assumed for them.
RARELY_ON_A_BENCHMARK = frozenset({"correlation"})

# ---------------------------------------------------------------------------------------------
# Polars prefilter (Rust regex syntax: no look-around, inline flags allowed).
# ---------------------------------------------------------------------------------------------

# A sentence is a run of text ending at '.', '!' or '?' followed by white space; decimal points and
# abbreviations ("vs.", "e.g.", "et al.", "Fig.", "avg.") do not end sentences. The pieces partition
# the abstract, so summing their lengths gives each sentence's character offset.
_ABBREVIATIONS = r"(?:vs|avg|approx|resp|cf|incl|Fig|Figs|Eq|Eqs|Sec|Tab|Ref|No|al|i\.e|e\.g|w\.r\.t)"
# A percentage whose decimal point lost its digit to a stray space ("77. 7%", a PDF artifact) does not end
# the sentence either.
_BROKEN_DECIMAL = r"[0-9]\.\s[0-9]{1,2}\s?%"
SENTENCE_PIECES = (
    r"(?:[\s(\[]"
    + _ABBREVIATIONS
    + r"\.|^"
    + _ABBREVIATIONS
    + r"\.|e\.g\.|i\.e\.|"
    + _BROKEN_DECIMAL
    + r"|[^.!?]|[.!?]\S)+"
    r"(?:[.!?]+\s*)?|[.!?]+\s*"
)

NUMBER_WORDS = ("two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "twenty", "hundred")
WORD_VALUES: dict[str, float] = {
    "two": 2,
    "twice": 2,
    "three": 3,
    "thrice": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "twenty": 20,
    "hundred": 100,
}

_NUMBER_WORD_MULTIPLE = r"(?i:\b(?:" + "|".join(NUMBER_WORDS) + r")[\s-](?:times|fold)\b|\btwice\b)"
# A number standing on its own (not "ResNet50", "7B", "1/4"), optionally with a unit; LaTeX remnants
# "sim"/"approx" ("approx13%", "sim2AP") may be glued in front.
PREFILTER_NUMBER = (
    r"(?:^|[^\w.\-/@]|sim|approx)[+\-−]?\d+(?:[.,]\d+)*(?:\s?(?:\\?%|[xX×]\b|×|-?times|dB|fps|FPS|percent|-fold)"
    r"|[^\w/]|$)|" + _NUMBER_WORD_MULTIPLE
)
PREFILTER_MULTIPLE = (
    r"\d\s?(?:\\?%|[xX×]\b|×|-?times|-fold|percent)|(?i:factor\s+of)|" + _NUMBER_WORD_MULTIPLE
)
# A decimal or percentage reported by a result verb: it may carry the metric of an earlier sentence.
PREFILTER_CARRY = (
    r"(?i:achiev|reach|obtain|attain|scor|yield|improv|boost|from|\bgets?\b|\bhits?\b)[^;]{0,40}?"
    r"\d+(?:\.\d+|\s?%)"
)
PREFILTER_FPS = r"\d\s?(?:fps|FPS|frames per second)"
SPEED_WORDS = (
    r"(?i:faster|slower|speed|accelerat|throughput|latency|flops|memory|compute|computation|costly|cheaper"
    r"|fewer|less|lower|smaller|reduc|sav|compress|efficien|times|fold|factor)"
)


def _trie_regex(words: list[str]) -> str:
    """One regex alternation factored by common prefixes: much faster than a flat list in Python's re."""
    trie: dict = {}
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}

    def build(node: dict) -> str:
        branches = [re.escape(char) + build(child) for char, child in sorted(node.items()) if char]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if "" in node else body

    return build(trie)


def names_regex(names: list[str], rust: bool = False) -> str:
    """Names as one alternation; names holding an upper-case letter are matched case-sensitively."""
    exact = sorted(n for n in names if n != n.lower())
    folded = sorted(n for n in names if n == n.lower())
    if rust:  # Rust regex has no trouble with flat alternations and rejects some Python escapes
        escape = lambda n: re.sub(r"([.^$*+?()\[\]{}|\\])", r"\\\1", n)  # noqa: E731
        # Short lower-case names ("acc", "ppl") also occur inside words ("access", "applied"): the
        # Python patterns require them to stand alone, and so does the prefilter, which keeps it cheap.
        alone = lambda n: f"(?:^|[^A-Za-z])(?i:{escape(n)})(?:$|[^A-Za-z0-9])"  # noqa: E731
        short = [alone(n) for n in folded if len(n) <= 6]
        return "|".join([*map(escape, exact), *(f"(?i:{escape(n)})" for n in folded if len(n) > 6), *short])
    return "(?:(?i:" + _trie_regex(folded) + ")|" + _trie_regex(exact) + ")"


def first_letters_lookahead(names: list[str]) -> str:
    """A look-ahead for the letters the names can start with: it lets most positions fail at once."""
    letters = {c for n in names for c in ({n[0]} if n != n.lower() else {n[0], n[0].upper()})}
    return "(?=[" + re.escape("".join(sorted(letters))) + "])"


ALIASES = [a for d in METRICS for a in d.aliases]
PREFILTER_ALIAS = names_regex(ALIASES, rust=True)
# "4AP": a value glued to a metric name written with capitals.
PREFILTER_GLUED = r"\d(?:" + names_regex([a for a in ALIASES if a != a.lower()], rust=True) + r")\b"

# ---------------------------------------------------------------------------------------------
# Python patterns for candidate sentences.
# ---------------------------------------------------------------------------------------------

_UNIT = (
    r"(?P<unit>\s?\\?%|\s?percent(?:age points?)?\b|\s?(?:x|×|X)(?![A-Za-z0-9])|\s?-?times\b|\s?\{\\?times\}"
    r"|-fold\b|\s?dB\b|\s?(?:fps|FPS)\b|\s?frames per second\b)?"
)
_NUMBER_BODY = (
    r"(?P<sign>[+\-−])?(?P<num>(?<!\d)\d{1,2}\.\s\d{1,2}(?=\s?%)|\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
    + _UNIT
)
NUMBER = re.compile(r"(?=[+\-−\d])(?<![\w.,±^@])" + _NUMBER_BODY)  # the look-ahead rejects most positions
# LaTeX "\sim" and "\approx" stripped of their backslash and glued to the number ("approx13%").
LATEX_GLUED_NUMBER = re.compile(r"(?:(?<=\bsim)|(?<=\bapprox))" + _NUMBER_BODY)
WORD_NUMBER = re.compile(
    r"(?i)\b(?P<num>two|three|four|five|six|seven|eight|nine|ten|twenty|hundred)(?P<unit>[\s-](?:times|fold))\b"
    r"|\b(?P<twice>twice|thrice)(?=\s+(?:as\s+)?(?:fast|faster|quick|efficient|high|large))"
)

# A metric name: vocabulary aliases plus an optional suffix such as "-D" (CIDEr-D) or "-30k" (FID-30k).
# A digit may precede the name: "4AP" and "sim3.5AP" glue the value to its metric.
METRIC_NAME = re.compile(
    first_letters_lookahead(ALIASES)  # first: it rejects most positions before the look-behinds run
    + r"(?<![A-Za-z])(?:(?<=sim\d)|(?<![A-Za-z][0-9]))"
    + names_regex(ALIASES)
    # A plural acronym ("WERs of 1.9% and 3.9%", "FIDs") is the same metric.
    + r"(?:-(?:\d+[kK]?|[A-Z])(?![A-Za-z0-9])|(?<=[A-Z]{2})s)?"
    # An IoU threshold or cut-off ("mAP@0.5", "AP@[.5:.95]", "Recall@100") is part of the name.
    + r"(?:@(?:\d+(?:\.\d+)?|\[[\d.:]+\])(?::\d*\.?\d+)?)?(?![A-Za-z0-9])"
)

# --- numbers that are not results -------------------------------------------------------------
RANGE_BEFORE = re.compile(r"\d(?:\s?(?:[x×%]|times))?\s?[-–~]\s?$")
RESOLUTION_AFTER = re.compile(r"^\s?(?:[x×*]|times)\s?\d")
RESOLUTION_BEFORE = re.compile(r"\d\s?(?:[x×*]|times)\s?$")
GLUED_AFTER = re.compile(r"^(?:[A-Za-z]|-[A-Za-z]|\^)")
FRACTION_AFTER = re.compile(r"^/\d+(?![.\d])")
FRACTION_BEFORE = re.compile(r"(?<![\d.])\d+/$")
COUNT_AFTER = re.compile(
    r"(?i)^\s?(?:[KMBT]\b(?![\^/])|billion|million|thousand|trillion|parameters?|params|layers?|blocks?|hours?|"
    r"minutes?|seconds?|ms\b|GPUs?|TPUs?|nodes?|images?|videos?|samples?|examples?|tokens?|words?|epochs?|"
    r"steps?|iterations?|frames|days?|weeks?|months?|years?|languages?|datasets?|tasks?|benchmarks?|"
    r"classes|categories|subjects?|participants?|users?|people|patients?|hours|bits?(?!s|[\s-]*(?:/|per)[\s-]*dim)|-bit|heads?|"
    r"experts?|queries|questions|pairs|sentences|documents|papers|times\s+(?:more|larger|bigger|as\s+many))"
)
# "3.7 points", "a 3.7-point gain", "2 percentage points": a difference counted in points.
POINTS_AFTER = re.compile(r"(?i)^[\s-]?(?:percentage[\s-])?points?\b|^\s?pp\b|^\s?p\.p\.")
OWN_SCORE_AFTER = re.compile(r"(?i)^\s*(?:[a-z][\w\-]*\s+){0,2}scores?\b")
SHARE_AFTER = re.compile(
    r"(?i)^\s?(?:of\s+(?:the\s+)?(?:\w+\s+)?(?:data|training|labeled|labelled|labels|parameters|params|"
    r"samples|examples|images|tokens|dataset|cases|users|time|pixels|weights|layers|queries)"
    # "under 10% ImageNet training data", "with 1% labeled images": a share of the data, not a result
    r"|(?:[\w\-]+\s+)?(?:training|labeled|labelled|unlabeled|unlabelled)\s+(?:data|samples|examples|images|set))"
)
ENUMERATION_BEFORE = re.compile(
    r"(?i)(?:\b(?:section|sec\.|table|tab\.|fig\.|figure|eq\.|equation|appendix|chapter|stage|phase|step"
    r"|version|level|track|task|top|rank|ranked|ranks|ranking|round|no\.|number|of\s+size)"
    r"|(?<![\w²])[a-zα-ωλ]\s?[=<>≤≥])\s*$"  # hyper-parameters such as "k = 5", "λ=0.1"
)
AFTER_A_NAMED_BENCHMARK = re.compile(r"\b(?:on|in|for)\s+(?:the\s+)?(?:[A-Z][\w\-+]*\s+){1,3}$")
VERSION_OR_SIZE = re.compile(r"\d(?:\.\d)?|\d{2,4}")
CITATION = re.compile(r"^\s?\)")

# --- grouping numbers that share one metric ("2% and 5%", "2x-3x", "from 18.65 to 1.80") -------
# A short parenthesis after a value names its benchmark ("2.78 (CIFAR-10) and 3.42 (ImageNet) bpd").
PAREN_AFTER_VALUE = r"(?:\s*~?\s*\([^()0-9]{2,40}(?:\s?\d+\s?(?:[x×]|times)\s?\d+|[\w\-]*\d[\w\-]*)?\))"
# "37.2 → 23.3", "37.2 rightarrow 23.3" (a LaTeX remnant): an old value, then the new one.
_ARROW = r"(?:→|->|⟶|=>|\\?rightarrow|\\to\b)"
ARROW_JOINER = re.compile(r"^\s*\{?" + _ARROW + r"\}?\s*$")
_LIST_HEDGE = r"(?:about|around|nearly|almost|roughly|approximately|over|up\s+to|more\s+than|at\s+least)"
LIST_JOINER = re.compile(
    r"^"
    + PAREN_AFTER_VALUE
    + r"?\s*(?:,\s*(?:and|or)?|and|or|/|[-–~]|to|vs\.?|versus|\{?"
    + _ARROW
    + r"\}?)\s*(?:"
    + _LIST_HEDGE
    + r"\s+)?(?:approx|sim|\{sim\}\s*)?$"
)
LEADING_PAREN = re.compile("^" + PAREN_AFTER_VALUE)
RANGE_JOINER = re.compile(r"^\s*(?:[-–~]|to)\s*$")

# --- speed-ups (metric `speedup`) --------------------------------------------------------------
_RESOURCE = (
    r"(?:times?|latency|latencies|costs?|memory|flops|gflops|macs|compute|computation|computational"
    r"|parameters|params|sizes?|footprints?|usage|overhead|energy|storage|inference|training|steps?"
    r"|iterations?|gpus?|kv|cache|vram|bandwidth|runtime|run-time|wall-clock)"
)
SPEED_AFTER_MULTIPLE = re.compile(
    r"(?i)^\+?\s*(?:[\w\-]+\s+){0,2}?(?:faster|slower|quicker|speed-?ups?|speed\s+up|accelerations?|as\s+fast"
    r"|cheaper|more\s+(?:efficient|costly|expensive)|(?:higher|greater|more|larger|better|improved|increased)"
    r"\s+(?:[\w\-]+\s+)?throughputs?|(?:fewer|less|lower|smaller|reduced|reductions?\s+(?:in|of)|savings?\s+in"
    r"|decrease\s+in)\s+(?:[\w\-]+\s+){0,4}?"
    + _RESOURCE
    + r"|(?:[\w\-]+\s+)?speed|"
    + _RESOURCE
    + r"\s+(?:savings?|reductions?))\b"
)
SPEED_AFTER_PERCENT = re.compile(
    r"(?i)^\+?\s*(?:[\w\-]+\s+){0,1}?(?:faster|speed-?ups?|(?:fewer|less|lower|reduced|reductions?\s+(?:in|of)|"
    r"decrease\s+in|savings?\s+in|improvements?\s+in|increase\s+in)\s+(?:[\w\-]+\s+){0,2}?"
    r"(?:latency|time|memory|flops|compute|computation|parameters|params|cost|energy|speed|throughput"
    r"|runtime|gpu\s+hours)|(?:[\w\-]+\s+){0,2}?(?:time|memory|compute|cost|flops|macs|energy)\s+savings?)\b"
)
SPEED_BEFORE = re.compile(
    r"(?i)(?:speed-?ups?|speeds?\s+up|speed|accelerat\w*|faster|(?:reduc\w*|cut\w*|lower\w*|sav\w*|decreas\w*"
    r"|shrink\w*|compress\w*)\s+(?:the\s+)?(?:[\w\-]+\s+){0,3}?"
    + _RESOURCE
    + r"|"
    + _RESOURCE
    + r"\s+(?:[\w\-]+\s+){0,2}?(?:reduc\w*|decreas\w*|sav\w*|cut))\b[^,;]{0,30}?\b(?:by|of|to)\s+"
    r"(?:(?:up\s+to|about|around|approximately|approx\.?|over|more\s+than|nearly|roughly|almost|a\s+factor\s+of"
    r"|an?\s+(?:average|factor)\s+of|as\s+much\s+as|at\s+least|only)\s+)*(?:\{sim\}\s*|[~∼≈]\s*)?$"
)
SPEED_BEFORE_GATE = (
    "speed",
    "accelerat",
    "faster",
    "reduc",
    "cut",
    "lower",
    "sav",
    "decreas",
    "shrink",
    "compress",
)
FACTOR_OF_BEFORE = re.compile(r"(?i)\bfactor\s+of\s+$")

# --- linking a number to a metric name ----------------------------------------------------------
# Verbs and pronouns between a number and a following name mean the number belongs elsewhere
# ("a depth of just 12 can achieve top-1 accuracy").
AFTER_GAP_VERBS = re.compile(
    r"(?i)\b(?:can|could|may|might|will|would|should|is|are|was|were|be|been|being|has|have|had|achiev\w*"
    r"|obtain\w*|reach\w*|attain\w*|gets?|yield\w*|show\w*|demonstrat\w*|report\w*|deliver\w*|gives?"
    r"|outperform\w*|surpass\w*|requir\w*|us(?:e|es|ed|ing)|train\w*|which|that|we|our|it|its|they)\b"
)
GAP_BLOCKERS = frozenset(
    {
        "on",
        "than",
        "with",
        "for",
        "and",
        "at",
        "while",
        "using",
        "compared",
        "to",
        "over",
        "vs",
        "across",
        "or",
    }
)
# A number carries the metric of the result before it unless a new clause starts in between; a
# comparison ("compared with", "whereas X gets", "which is 2% higher") continues the same result.
CARRY_BLOCKERS = r";|\b(?:while|whereas|but|which|with)\b"
CARRY_BLOCKERS_COMPARED = r";|\bbut\b|(?<!compared\s)\bwith\b"
RELATIVE_CLAUSE_END = re.compile(
    r"(?i)\b(?:which|that)\s+(?:is|are|was|were)\s+(?:about\s+|only\s+|also\s+)?$"
)
COMPARISON_VERB = re.compile(
    r"(?i)\b(?:outperform\w*|surpass\w*|beat\w*|exceed\w*|improv\w*|ahead|better|higher)\b"
)
# "..., and on Something-Something v2 with 69.5%": the same result on the next benchmark.
PARALLEL_BENCHMARK_GAP = re.compile(
    r",?\s+(?:and|while)\s+(?:on|for|in)\s+(?:the\s+)?(?:"
    + r"[A-Z][\w\-./]*(?:\s+[A-Z0-9][\w\-./]*)*"
    + r")(?:\s+(?:benchmark|dataset|test\s+set))?\s*(?:,|\s+with|\s+it\s+\w+|\s+we\s+\w+)?\s*$"
)
OPENING_PAREN = re.compile(r"^\s*[(\[]\s*$")
LONE_NUMBER = re.compile(r"(?<![\w\-'’])\d")
# Between a number and the metric name after it: "3.7-point gain in BLEU", "3.7 points higher than the
# baseline in accuracy", "from 37.36 to 37.70 (in terms of PSNR)".
METRIC_AFTER_PHRASE = re.compile(
    r"(?i)^(?:[\s-]?(?:percentage[\s-])?points?\s+(?:(?:absolute|relative|of)\s+)?(?:[\w\-]+\s+)?"
    r"(?:improvements?|gains?|increases?|boosts?|drops?|reductions?|decreases?|higher|lower|better|worse)"
    r"\s+(?:than\s+[^,;.()0-9]{1,50}?\s+)?(?:in|on|of|for)|\s*\(?\s*in\s+terms\s+of)\s+(?:the\s+)?$"
)
CLAUSE_BREAK = re.compile(r"(?i);|\bwhile\b|\bwhereas\b|\bbut\b|\bwhich\b|\bwhen\b|:")
# "21.2% top-1 and 5.6% top-5 error", "top-1/top-5 error rates": the coordinated head noun is "error".
SHARED_ERROR_HEAD = re.compile(r"(?i)^\s*(?:and|/|,)\s*(?:[\d.]+\s*%?\s*)?top-?5\s+error")
ERROR_QUALIFIERS_KEPT = frozenset(
    {
        "test", "top-1", "top-5", "top1", "top5", "classification", "relative", "absolute", "overall",
        "average", "mean", "validation", "val", "generalization", "the", "a", "an", "in", "of", "our",
        "and", "lower", "low", "its", "their", "by", "with", "total", "final", "error", "image",
    }
)  # fmt: skip

# --- kind -------------------------------------------------------------------------------------
_HEDGE = (
    r"(?:(?:up\s+to|about|around|approximately|approx\.?|over|more\s+than|nearly|roughly|almost|only|at\s+least"
    r"|an?\s+average\s+of|on\s+average|average|a\s+margin\s+of|as\s+much\s+as|upward\s+of|upwards\s+of"
    r"|a\s+remarkable|a|an|significant|substantial|notable|large)\s+)*(?:\{sim\}\s*|[~∼≈]\s*|sim|approx)?"
)
DELTA_GATE = ("by", "within", "improv", "gain", "increase", "boost", "reduction", "decrease", "drop", "loss")
DELTA_GATE += ("degradation", "margin", "gap")
DELTA_BEFORE = re.compile(
    r"(?i)(?:\bby\s+" + _HEDGE + r"|\bwithin\s+" + _HEDGE + r"|(?:improv\w*|gains?|increases?|boosts?|"
    r"reductions?|decreases?|drops?|loss(?:es)?|degradation|margins?|gaps?)\s+(?:(?:in|of|on)\s+)?(?:[\w\-(),]+\s+){0,4}?"
    r"(?:of|is|was|reaching|reaches|ranging\s+from|from)?\s*" + _HEDGE + r")$"
)
DELTA_AFTER = re.compile(
    r"(?i)^\+?\s*(?:(?:absolute|relative|points?|pp|percentage\s+points?|p\.p\.)\s+)*(?:[\w\-]+\s+){0,2}?"
    r"(?:improvements?|gains?|increases?|boosts?|reductions?|decreases?|drops?|degradation|higher|lower|better"
    r"|worse|less|more|fewer|margin|advantage|loss|losses|relative|absolute|points?\s+(?:higher|lower|better"
    r"|improvement|gain))\b"
)
TO_VALUE_BEFORE = re.compile(
    r"(?i)(?<!up\s)\bto\s+(?:about\s+|around\s+|approximately\s+|roughly\s+|only\s+)?$"
)
FROM_BEFORE = re.compile(r"(?i)\bfrom\s+(?:about\s+|around\s+|approximately\s+|roughly\s+)?$")
RANGING_BEFORE = re.compile(r"(?i)\b(?:rang\w*|vary\w*|varies|between|within)\s+(?:from\s+)?[^,;]{0,10}$")
_PRIOR_VALUE = (
    r"\b(?:previous|prior|former)\s+(?:best|state[- ]of[- ]the[- ]art|sota|record)\s+"
    r"(?:results?\s+|scores?\s+)?(?:of|at|is|was)\s+(?:only\s+|about\s+)?"
    r"|\b(?:up|down)\s+from\s+(?:only\s+|about\s+)?"
)
# Stronger than a difference cue before it: "improves on the previous best of 45.1 AP".
PRIOR_VALUE_BEFORE = re.compile(r"(?i)(?:" + _PRIOR_VALUE + r")$")
PRIOR_VALUE_GATE = ("prior", "previous", "former", "from")
BASELINE_GATE = (
    *(
        "compar",
        "relative",
        "vs",
        "versus",
        "against",
        "than",
        "while",
        "whereas",
        "previous",
        "prior",
        "from",
    ),
    *("former", "existing", "best", "baseline", "outperform", "surpass", "beat", "exceed", "over"),
    *("human", "ground", "oracle"),
)
# "compared to 732 m^2/s^2 for GraphCast and 740": the value of one competitor, then the next one's.
BASELINE_LIST_GAP = re.compile(
    r"(?i)^[^;()]{0,30}?\b(?:for|of|by|from)\s+[^;()]{1,40}?(?:,\s*and|,|\band)\s*$"
)
BASELINE_BEFORE = re.compile(
    r"(?i)(?:(?:compared\s+(?:to|with)|relative\s+to|vs\.?|versus|against|than)\s+(?:[^,;()0-9]{0,40}?\()?"
    r"(?:only\s+|about\s+|the\s+)?|\b(?:while|whereas)\s+(?!our\b|we\b|it\b|ours\b)[^,;]{0,60}?\b(?:attain\w*"
    r"|achiev\w*|obtain\w*|reach\w*|gets?|got|scor\w*|yields?|has|have|had)\s+(?:an?\s+|only\s+)?"
    r"|\b(?:previous|prior|former|existing|best)\s+(?:best\s+|state-of-the-art\s+|sota\s+|published\s+"
    r"|reported\s+)*(?:results?|methods?|approach(?:es)?|models?|works?|record|score)\s+(?:of|at|is|was)\s+"
    r"|\bbaselines?\b[^,;0-9]{0,30}?\b(?:of|at|achiev\w*|obtain\w*|reach\w*)\s+"
    # "outperforming MoCo v3 (73.2%)", "the previous best (89.0%)": a competitor's value in parentheses
    r"|\b(?:outperform\w*|surpass\w*|beat(?:s|ing)?|exceed\w*|over)\s+[^,;()]{1,40}?\(\s*"
    r"|\b(?:previous|prior)\s+(?:best|state[- ]of[- ]the[- ]art|sota)\b[^,;()]{0,30}?\(\s*"
    # "the previous best of 45.1", "up from 48.3": the value the new result is measured against
    r"|" + _PRIOR_VALUE +
    # "human performance of 87.1%", "the ground truth scores 4.49": reference values are baselines
    r"|\b(?:human|humans|ground[- ]truth|oracle)\s+(?:[\w\-]+\s+){0,2}?(?:of|at|is|was|achiev\w*|obtain\w*"
    r"|scor\w*|reach\w*|gets?)\s+(?:an?\s+|only\s+|about\s+|around\s+)?"
    # "For comparison, BERT obtains 88.5 F1": a clause set apart as the comparison
    r"|\b(?:for|in|by)\s+comparison\s*,\s*(?!our\b|we\b|ours\b|the\s+proposed\b)[^;:()]{0,70}?\b(?:attain\w*"
    r"|achiev\w*|obtain\w*|reach\w*|gets?|got|scor\w*|yields?|has|have|had|is|was|are|were)\s+"
    r"(?:an?\s+|only\s+|about\s+|around\s+)?)$"
)

# --- datasets -----------------------------------------------------------------------------------
_DS_WORD = r"(?:[A-Z][\w]*|[a-z]+[A-Z][\w]*|\d+[A-Za-z][\w]*)(?:[-/.][\w]+|['’]\d{2}\b)*"  # "WMT'14"
DATASET_NAME = _DS_WORD + r"(?:\s+(?:[A-Z0-9][\w]*(?:[-/.][\w]+)*|\d+\s?[x×]\s?\d+))*"
_DS_ADJECTIVES = (
    r"(?:(?:challenging|popular|standard|widely[- ]used|large-scale|public|publicly\s+available|official"
    r"|(?:test|testing|validation|val|dev|held-out)\s+(?:sets?|splits?|subsets?)\s+of(?:\s+the)?"
    r"|test|validation|val|full|whole|entire|benchmark|dataset"
    r"|[a-z]+(?:-[a-z]+)+)\s+)*"  # hyphenated settings: "class-conditional", "out-of-distribution"
)
DATASET_AFTER = re.compile(
    r"^(?:\s*~?\s*\((?=[^)]{2,40}\))|[^;0-9]{0,40}?\b(?:on|in|for|at|over)\s+(?:the\s+)?"
    r"(?:(?:[a-z][\w\-]*\s+){1,3}\((?=[^)]{2,40}\)))?)"  # "on medical imaging (MIMIC-CXR)"
    + _DS_ADJECTIVES
    + r"(?P<ds>"
    + DATASET_NAME
    + r")"
)
DATASET_LEADING_DATASET_LIST = re.compile(
    r"^(?:On|For|In|Across)\s+(?:both\s+|all\s+)?(?:the\s+)?(?P<names>(?:"
    + DATASET_NAME
    + r")(?:(?:,\s*(?:and\s+)?|\s+and\s+)"
    r"(?:" + DATASET_NAME + r"))+)(?:\s+(?:datasets?|benchmarks?))?\s*,"
)
RESPECTIVELY = re.compile(
    r"^[^;0-9]{0,30}?\b(?:on|in|for)\s+(?:the\s+)?(?P<names>(?:"
    + DATASET_NAME
    + r")(?:,?\s+(?:and\s+)?(?:"
    + DATASET_NAME
    + r"))+)[^0-9]{0,40}?\brespectively"
)
DATASET_BEFORE_METRIC = re.compile(r"(?P<ds>" + _DS_WORD + r")\s+(?:[a-z]+\s+)?$")
DATASET_SENTENCE = re.compile(
    r"(?:\b[Oo]n\s+|^)(?:the\s+)?(?P<ds>" + DATASET_NAME + r")\s+(?:benchmarks?|datasets?|test\s+sets?|"
    r"val(?:idation)?\s+sets?|splits?|corpus|challenge)\b|^On\s+(?:the\s+)?(?P<lead>" + DATASET_NAME + r"),"
)
# A benchmark introduced by a preposition anywhere in the sentence ("for TaxiBJ", "on the PTB test set").
INTRODUCED_DATASET = re.compile(
    r"\b(?:[Oo]n|[Ff]or|[Ii]n)\s+(?:the\s+)?" + _DS_ADJECTIVES + r"(?P<ds>" + DATASET_NAME + r")"
)
# "on the DocBank dataset", "of the FooQA benchmark": a name the text itself calls a benchmark.
# Found from the noun backwards: the noun is a cheap literal to look for, the name before it is not.
BENCHMARK_NOUN = re.compile(r" (?:dataset|benchmark|corpus|test set)\b")
NAMED_BEFORE_BENCHMARK_NOUN = re.compile(
    r"(?:\b(?:[Tt]he|[Oo]n|[Ii]n|[Ff]or|[Oo]f|[Uu]sing|and)|,)\s+(?:the\s+)?(?:[a-z][\w\-]*\s+){0,2}?(?P<ds>"
    + DATASET_NAME
    + r")$"
)
# Benchmark-like names: digits (WMT14, LRS3), acronyms (PTB), inner capitals (TextCaps), "-C" suffixes.
BENCHMARK_LIKE = re.compile(r"\d|[A-Z]{2}|[a-z][A-Z]|-[A-Z]")
# Model, architecture and hardware names that look like benchmarks but are not.
MODEL_LIKE = re.compile(
    r"^(?:\w*Net(?:-?\w*\d\w*)?|ViTs?|DeiT|Swin|BERT|RoBERTa|GPT|ChatGPT|LLaMA|Llama|Mistral|Qwen|Gemma|Vicuna"
    r"|PaLM|CLIP|DiT|SiT|T5|OPT|U-?Net|Stable\s+Diffusion|SDXL|CNNs?|RNNs?|LSTMs?|MLPs?|GNNs?|GANs?|VAEs?"
    r"|LLMs?|VLMs?|MLLMs?|SOTA|SoTA|AI|API|[A-Z]+s"
    # widely used model families
    r"|LLaVA|InternVL|InternLM|BLIP|Flamingo|DINO\w*|MAE|ConvNeXt\w*|YOLO\w*|DETR|Mask\s+R-CNN|Faster\s+R-CNN"
    r"|BEiT|Whisper|wav2vec\w*|HuBERT|Conformer|Mamba|RWKV|Falcon|Pythia|OLMo|Alpaca|Mixtral|Phi|Gemini|Claude"
    r"|DeepSeek\w*|Baichuan|ChatGLM|XLNet|ELECTRA|DeBERTa\w*|ALBERT|DistilBERT|BART|Longformer|SimCLR|MoCo"
    r"|BYOL|SigLIP|SegFormer|Mask2Former|UperNet|DeepLab\w*|FCOS|SAM|EVA\w*)(?:$|[-\s/]\S*$)"
    r"|.*-\d+(?:\.\d+)?[BM]$"  # a parameter count: "LLaMA-7B", "Pythia-1.4B"
)
HARDWARE = re.compile(
    r"\b(?:[GCTN]PUs?|TensorFlow\w*|PyTorch|JAX|Keras|CUDA|Triton|NVIDIA|Nvidia|RTX|GTX|Jetson|iPhone|Snapdragon|[AHV]100)\b"
)
LOWER_CASE_SUFFIX = re.compile(r"-[a-z]{4,}$")  # "ImageNet 256x256-without"
TRAILING_RESOLUTION = re.compile(r"\s+\d+\s?(?:[x×]|times)\s?\d+$")
DATASET_SENTENCE_GATE = ("benchmark", "dataset", "test set", "val", "split", "corpus", "challenge")
NOT_A_DATASET = re.compile(
    r"^(?:The|This|These|That|Those|We|Our|It|Its|In|On|A|An|And|Or|To|For|With|By|As|At|Table|Section|Figure"
    r"|Appendix|Eq|Fig|[AVHTLP]\d{2,3}\w*|GPUs?|CPUs?|TPUs?|NVIDIA.*|RTX.*|Jetson.*|iPhone.*|Android|Intel.*"
    r"|ARM|FPGA.*|Ascend.*|English|Chinese|Transformers?|Experiments?|Results?|Compared|Specifically"
    r"|Moreover|Furthermore|However|Notably|Code|Models?|Our\s.*)$"
)

# --- where a benchmark phrase stops belonging to a number ---------------------------------------
# "reaches 50.1 AP, and on LVIS it obtains ...": a coordinated clause names the next result's benchmark.
CLAUSE_BEFORE_DATASET = re.compile(
    r"(?i),\s*(?:and|but|while|whereas|which|whose)\b|;|\b(?:while|whereas|but)\b"
)
# "with a model pre-trained on JFT-300M": pre-training data is not the benchmark of the number.
_PRETRAINED_ON = r"(?i)\bpre-?train\w*\s+(?:only\s+)?(?:on|with)"
TRAINING_DATA_BEFORE = re.compile(_PRETRAINED_ON + r"\s+(?:the\s+)?$")
TRAINING_DATA_GAP = re.compile(_PRETRAINED_ON + r"\b")
# "by 2.1 mIoU over DeepLabV3+": "over" names a competitor far more often than a benchmark.
COMPETITOR_BEFORE = re.compile(r"\bover\s+(?:the\s+)?(?:[\w\-]+\s+){0,2}$")
# "over state-of-the-art TSC models": a name followed by such a noun names a model family, not a benchmark.
MODEL_NOUN_AFTER = re.compile(
    r"^\s+(?:models?|methods?|baselines?|approaches|networks?|architectures?|variants?|backbones?|detectors?)\b"
)
# "transfers well to COCO", "on the ADE20K": a benchmark governed by a preposition, not a training set.
CLAIMABLE_BEFORE = re.compile(
    r"(?i)(?<!train)(?<!trained)(?<!training)(?<!pretrained)(?<!pre-trained)\s+(?:on|in|to|for|of)\s+"
    r"(?:the\s+)?(?:[a-z][\w\-]*\s+){0,2}$"
)
# "85% success rate in real-world experiments", "7 points on 100x shorter data", "on 17 medical datasets":
# the number is placed on something the text does not name, so no benchmark named elsewhere applies.
SETTING_AFTER = re.compile(
    r"(?i)^[^;0-9]{0,30}?\b(?:in|on|under|with|across)\s+(?:the\s+|a\s+)?"
    r"(?:(?:real[- ]world|real\s+robots?|physical\s+robots?|simulat\w*|in-house|private|proprietary"
    r"|clinical)\b"
    r"|(?!(?:the\s+)?(?:test|testing|validation|val|dev|held-out)\b)(?:[a-z0-9][\w\-]*\s+){0,4}?"
    r"(?:data|datasets|samples|sequences|inputs|images|videos|scans|domains?|settings|scenarios|environments"
    r"|experiments|tasks|benchmarks)\b)"
)
# A clause that only names a benchmark ("; and on LVIS, ..."): what follows the comma is on it.
BENCHMARK_PREAMBLE = re.compile(
    r"\s*(?:(?:and|while|whereas|but)\s+)?(?:[Oo]n|[Ff]or|[Ii]n)\s+(?:the\s+)?"
    + _DS_ADJECTIVES
    + r"(?P<ds>"
    + DATASET_NAME
    + r"(?:[\s-]v\d[\w.]*)?)(?:\s+(?:benchmarks?|datasets?|test\s+set|validation\s+set|splits?))?\s*"
)
# Clause boundaries for "closest benchmark before the number in the same clause".
CLAUSE_START = re.compile(r"[,;:()]|\b(?:while|whereas|but)\b")

# --- one benchmark per result in a list ("60.2 AP, 41.4 mAP and 77.2 mIoU on VOC, COCO and ADE20K") ----
# Between two linked results of a chain: a comma or "and", perhaps "an ADE20K mIoU of".
CHAIN_JOINER = re.compile(
    r"^\s*(?:,\s*(?:and\s+)?|and\s+|/\s*)(?:an?\s+|the\s+)?(?:[\w\-]+\s+){0,3}?(?:of\s+)?$"
)
METRIC_LED_JOINER = re.compile(r"^\s*(?:,\s*(?:and\s+)?|and\s+)(?:an?\s+|the\s+)?$")
NAME_TO_VALUE = re.compile(r"^\s*(?:of|=|:|is)?\s*$")
BARE_JOINER = re.compile(r"^\s*(?:,\s*(?:and\s+)?|and\s+|/\s*)$")
# A list of benchmarks introduced by a preposition, up to where the list plainly ends.
_LIST_PREPOSITION = r"\b(?:on|in|for|to|at|across|over)\s+(?:the\s+)?" + _DS_ADJECTIVES
DATASET_LIST_AFTER = re.compile(
    r"^[^;0-9]{0,40}?" + _LIST_PREPOSITION + r"(?P<names>[^;:]{3,200}?)"
    r"(?=,?\s+(?:using|with|respectively|which|while|where|whereas|when|by|under|than|without|as|in|at)\b"
    r"|\s*\((?:resp\.?|respectively)\)|[;:]|\.(?:\s|$)|$)"
)
DATASET_LIST_BEFORE = re.compile(
    _LIST_PREPOSITION + r"(?P<names>(?:" + DATASET_NAME + r")(?:,\s*(?:and\s+)?|\s+and\s+)"
    r"(?:(?:" + DATASET_NAME + r")(?:,\s*(?:and\s+)?|\s+and\s+))*(?:" + DATASET_NAME + r"))"
)
LEADING_DATASET_LIST = re.compile(
    r"^(?:On|For|In|Across)\s+(?:both\s+|all\s+)?(?:the\s+)?(?P<names>(?:"
    + DATASET_NAME
    + r")(?:(?:,\s*(?:and\s+)?|\s+and\s+)"
    r"(?:" + DATASET_NAME + r"))+)(?:\s+(?:datasets?|benchmarks?))?\s*,"
)
RESPECTIVELY = re.compile(r"(?i)\brespectively\b|\bresp\.")
LIST_SEPARATOR = re.compile(r",\s*(?:and\s+|or\s+)?|\s+(?:and|or)\s+|\s*&\s*")
PARENTHESIS = re.compile(r"\([^()]*\)")

# "CIDEr-D", "FID-30k", "mAP@0.5", "WERs": suffixes that leave the metric as it is.
NAME_SUFFIX = re.compile(r"@.*$|-(?:\d+[kK]?|[A-Z])$|(?<=[A-Z]{2})s$")

# --- repeated results -------------------------------------------------------------------------
# A metric name that qualifies its metric ("top-5 error", "box AP", "ROUGE-L", "R@10", "macro F1").
NAME_QUALIFIER = re.compile(r"\d|\b(?:box|mask|macro|micro)\b|@")
WORD = re.compile(r"[a-z0-9]+")

# --- a metric named in an earlier sentence ("... on ImageNet. It reaches 84.1% ...") -----------------
RESULT_VERB_BEFORE = re.compile(
    r"(?i)\b(?:achiev\w*|reach\w*|obtain\w*|attain\w*|scor\w*|yield\w*|improv\w*|boost\w*|gets?|got|hits?"
    r"|records?|recorded|delivers?|delivered|from)\b(?:\s+(?:[\w\-]+\s+){0,3}?(?:of|to|from))?\s+"
    r"(?:(?:an?|only|about|around|approximately|roughly|nearly|over|up\s+to|more\s+than)\s+)*$"
)
IN_TERMS_OF_BEFORE = re.compile(r"(?i)\bin\s+terms\s+of\s+(?:the\s+)?(?:average\s+|mean\s+|top-1\s+)?$")
# What may follow such a value: punctuation, a preposition or a conjunction, not a noun ("50% sparsity").
PLAIN_AFTER_VALUE = re.compile(
    r"(?i)^\s*(?:[,.;:)(]|$|(?:and|or|on|in|for|at|with|while|when|respectively|compared|to|vs\.?|versus"
    r"|than|under|across|over|using|without|which|after|before)\b)"
)
