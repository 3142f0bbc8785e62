"""Run a per-abstract extractor only on abstracts it has not seen, reusing its earlier rows for the rest.

An extractor (`extract_links`, `extract_metrics`) maps each paper's abstract to rows on its own:
a paper's rows depend on nothing but its paper_id and abstract text. So the rows of a paper whose
(paper_id, abstract) pair was extracted before, by the same code, can be copied instead of computed.

The cache is a frame of one row per extracted paper: `paper_id`, `abstract_key` (a digest of the
extractor's code version and the abstract text) and `rows` (the extractor's rows for that paper, as a
list of structs; empty when it found nothing). A new code version changes every key, so a cache
written by other code is never reused: nothing needs to remember to clear it.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import importlib.util
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import polars as pl

ABSTRACT_KEY = "abstract_key"
ROWS = "rows"
PAPER_ID = "paper_id"
DIGEST_BYTES = 16  # 128 bits: a collision among millions of abstracts is out of reach

Extractor = Callable[[pl.DataFrame], pl.DataFrame]


@dataclass(frozen=True)
class IncrementalResult:
    table: pl.DataFrame  # the rows `extract(papers)` returns, sorted by `order_by`
    cache: pl.DataFrame  # the cache to keep for the next run: exactly the papers of this run
    n_reused: int  # papers whose rows were copied from the previous cache
    n_extracted: int  # papers the extractor ran on


def _local_imports(tree: ast.Module, parent: str) -> set[str]:
    """Dotted names a module imports (`from pkg import mod` counts `pkg.mod`, which may be a mere name).

    `parent` is the package the module sits in, against which relative imports resolve.
    """
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = (
                importlib.util.resolve_name("." * node.level + (node.module or ""), parent)
                if node.level
                else node.module
            )
            found |= {base, *(f"{base}.{alias.name}" for alias in node.names)}
    return found


@functools.cache
def source_fingerprint(module: str) -> str:
    """A digest of the source text of `module` and of every module of its package it imports, transitively.

    Computed from the files, once per process: any edit to the extractor or to the rules, patterns and
    vocabularies it reads gives a new fingerprint, without anyone bumping a version by hand.
    """
    package = module.split(".")[0]
    pending: list[str] = [module]
    sources: dict[str, bytes] = {}
    while pending:
        name = pending.pop()
        if name in sources:
            continue
        try:
            spec = importlib.util.find_spec(name)
        except ModuleNotFoundError:  # `from pipeline.metrics import X`: X is a name, not a submodule
            continue
        if spec is None or spec.origin is None or not spec.origin.endswith(".py"):
            continue  # a name imported from a package, not a module of its own
        text = Path(spec.origin).read_bytes()
        sources[name] = text
        parent = name if spec.submodule_search_locations is not None else name.rpartition(".")[0]
        imported = _local_imports(ast.parse(text), parent)
        pending += sorted(n for n in imported - sources.keys() if n.split(".")[0] == package)
    digest = hashlib.sha256()
    for name in sorted(sources):
        digest.update(f"{name}\0{len(sources[name])}\0".encode())
        digest.update(sources[name])
    return digest.hexdigest()[:16]


def abstract_keys(abstracts: pl.Series, code_version: str) -> pl.Series:
    """One stable digest per abstract, salted with the code version.

    sha256 (hardware-accelerated on most CPUs), cut to 128 bits: Polars' own `hash` is not stable
    across versions, so it cannot key a cache kept on disk.
    """
    salted = hashlib.sha256(code_version.encode() + b"\0")

    def key(text: bytes | None) -> bytes:
        digest = salted.copy()
        digest.update(b"\0" if text is None else b"\1" + text)  # a missing abstract is not the empty one
        return digest.digest()[:DIGEST_BYTES]

    texts = abstracts.cast(pl.String).cast(pl.Binary).to_list()  # UTF-8 bytes without a Python encode
    return pl.Series(ABSTRACT_KEY, [key(text) for text in texts], dtype=pl.Binary)


def cache_schema(schema: pl.Schema) -> pl.Schema:
    """The cache's columns for an extractor whose output has `schema`."""
    return pl.Schema({PAPER_ID: pl.String, ABSTRACT_KEY: pl.Binary, ROWS: pl.List(pl.Struct(schema))})


def _pack(keys: pl.DataFrame, table: pl.DataFrame) -> pl.DataFrame:
    """Cache rows for `keys` (paper_id, abstract_key): each paper's extracted rows as one list."""
    packed = table.group_by(PAPER_ID, maintain_order=True).agg(pl.struct(table.columns).alias(ROWS))
    empty = pl.lit([], dtype=pl.List(pl.Struct(table.schema)))
    return keys.join(packed, on=PAPER_ID, how="left").with_columns(pl.col(ROWS).fill_null(empty))


def _unpack(cache: pl.DataFrame) -> pl.DataFrame:
    """The extractor's rows held in cache rows, in cache order."""
    return cache.select(ROWS).filter(pl.col(ROWS).list.len() > 0).explode(ROWS).unnest(ROWS)


def extract_incrementally(
    papers: pl.DataFrame,
    extract: Extractor,
    code_version: str,
    previous: pl.DataFrame | None,
    order_by: Sequence[str],
) -> IncrementalResult:
    """`extract(papers)`, running `extract` only on papers whose (paper_id, abstract) is not in `previous`.

    `papers` has unique paper_ids and an `abstract` column. `previous` is the cache of an earlier run;
    None, or a cache of another schema, starts from nothing. Rows are sorted by `order_by` as the
    extractor sorts them; rows that tie on it keep the extractor's order within their paper.
    """
    papers = papers.select(pl.col(PAPER_ID).cast(pl.String), pl.col("abstract").cast(pl.String))
    schema = extract(papers.head(0)).schema
    if previous is None or previous.schema != cache_schema(schema):
        previous = pl.DataFrame(schema=cache_schema(schema))
    previous = previous.rechunk()  # joins that gather nested rows from many chunks are 20x slower
    keyed = papers.with_columns(abstract_keys(papers["abstract"], code_version))
    reused = previous.join(keyed.select(PAPER_ID, ABSTRACT_KEY), on=[PAPER_ID, ABSTRACT_KEY], how="semi")
    todo = keyed.join(reused, on=[PAPER_ID, ABSTRACT_KEY], how="anti")
    fresh = extract(todo.select(PAPER_ID, "abstract"))
    if fresh.schema != schema:  # rows of both shapes could not share one table or one cache
        raise ValueError(f"{extract.__name__} returned {fresh.schema} for some papers and {schema} for none")
    cache = pl.concat([reused, _pack(todo.select(PAPER_ID, ABSTRACT_KEY), fresh)]).sort(PAPER_ID)
    table = pl.concat([_unpack(reused), fresh]).sort(list(order_by), maintain_order=True)
    return IncrementalResult(table, cache, n_reused=reused.height, n_extracted=todo.height)
