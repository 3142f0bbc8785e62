"""Run a per-abstract extractor only on abstracts it has not seen, reusing its earlier rows for the rest.

An extractor (`extract_links`, `extract_metrics`) maps each paper's abstract to rows on its own:
a paper's rows depend on nothing but its paper_id and abstract text. So the rows of a paper whose
(paper_id, abstract) pair was extracted before, by the same code, can be copied instead of computed.

The cache of a run is two frames: `keys`, one row per paper of the run (`paper_id` and a 128-bit
digest of the extractor's code version and the abstract text, in two UInt64 columns), and the run's
output table itself, which already holds every paper's rows. A new code version changes every key,
so a cache written by other code is never reused: nothing needs to remember to clear it. The keys
file records a fingerprint of the table it describes, so a table from another run is never mistaken
for this one's rows (see `read_cache`).
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

from pipeline.storage import write_parquet_atomic

PAPER_ID = "paper_id"
# Two 64-bit digests of the text under independent seeds: 128 bits, so a collision among millions of
# abstracts is out of reach.
KEY_COLUMNS = ("abstract_key_1", "abstract_key_2")
KEYS_SCHEMA = pl.Schema({PAPER_ID: pl.String, KEY_COLUMNS[0]: pl.UInt64, KEY_COLUMNS[1]: pl.UInt64})
FINGERPRINT = "table_fingerprint"  # the Parquet key-value entry of the keys file naming its table

Extractor = Callable[[pl.DataFrame], pl.DataFrame]


@dataclass(frozen=True)
class Cache:
    """What a run leaves for the next: its keys and its output table (the rows of those papers)."""

    keys: pl.DataFrame  # KEYS_SCHEMA: one row per paper of the run
    table: pl.DataFrame  # the run's output, sorted by its `order_by`


@dataclass(frozen=True)
class IncrementalResult:
    table: pl.DataFrame  # the rows `extract(papers)` returns, sorted by `order_by`
    keys: pl.DataFrame  # the keys to keep for the next run: exactly the papers of this run
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


def _seeds(code_version: str) -> tuple[int, int]:
    digest = hashlib.sha256(code_version.encode()).digest()
    return int.from_bytes(digest[:8], "little"), int.from_bytes(digest[8:16], "little")


def abstract_keys(abstracts: pl.Series, code_version: str) -> pl.DataFrame:
    """The KEY_COLUMNS of each abstract: two 64-bit digests of its text, seeded by the code version.

    Polars' vectorized `hash` takes 0.3 s for 667k abstracts where a Python sha256 loop took 1.3 s. It is
    stable within one Polars version only: the code version names that version (`pl.__version__`), so
    a key written by another Polars never matches. A missing abstract hashes apart from the empty one.
    """
    first, second = _seeds(code_version)
    text = abstracts.cast(pl.String)
    return pl.DataFrame([text.hash(first).alias(KEY_COLUMNS[0]), text.hash(second).alias(KEY_COLUMNS[1])])


def table_fingerprint(table: pl.DataFrame) -> str:
    """Row count and an order-free digest of the rows: tells the table a keys file was written with."""
    return f"{table.height}-{table.hash_rows(seed=0).sum():x}"


def read_cache(keys_path: Path, table_path: Path, schema: pl.Schema) -> Cache | None:
    """The cache of the last run, or None when there is none this run can trust.

    The table is the one the last run published; its fingerprint must be the one recorded in the keys
    file, or the two files are of different runs (a crash between their writes, an older code that
    wrote the table only) and the table's rows may not be the keys' papers'.
    """
    if not (keys_path.exists() and table_path.exists()):
        return None
    recorded = pl.read_parquet_metadata(keys_path).get(FINGERPRINT)
    table = pl.read_parquet(table_path)
    if table.schema != schema or recorded != table_fingerprint(table):
        return None
    keys = pl.read_parquet(keys_path)
    return Cache(keys, table) if keys.schema == KEYS_SCHEMA else None


def write_keys(keys: pl.DataFrame, table: pl.DataFrame, path: Path) -> Path:
    """Write the keys of a run beside the fingerprint of its table, atomically (temp file, rename)."""
    return write_parquet_atomic(keys, path, metadata={FINGERPRINT: table_fingerprint(table)})


def extract_incrementally(
    papers: pl.DataFrame,
    extract: Extractor,
    code_version: str,
    previous: Cache | None,
    order_by: Sequence[str],
) -> IncrementalResult:
    """`extract(papers)`, running `extract` only on papers whose (paper_id, abstract) is not in `previous`.

    `papers` has unique paper_ids and an `abstract` column. `previous` is the cache of an earlier run
    (None, or a table of another schema, starts from nothing). Rows are sorted by `order_by` as the
    extractor sorts them; rows that tie on it keep the extractor's order within their paper.
    """
    papers = papers.select(pl.col(PAPER_ID).cast(pl.String), pl.col("abstract").cast(pl.String))
    schema = extract(papers.head(0)).schema
    keys = pl.concat(
        [papers.select(PAPER_ID), abstract_keys(papers["abstract"], code_version)], how="horizontal"
    )
    if previous is None or previous.table.schema != schema or previous.keys.schema != KEYS_SCHEMA:
        previous = Cache(pl.DataFrame(schema=KEYS_SCHEMA), pl.DataFrame(schema=schema))
    reused = previous.keys.join(keys, on=list(KEYS_SCHEMA), how="semi").select(PAPER_ID)
    todo = papers.join(reused, on=PAPER_ID, how="anti", maintain_order="left")
    fresh = extract(todo)
    if fresh.schema != schema:  # rows of both shapes could not share one table
        name = getattr(extract, "__name__", repr(extract))  # a functools.partial has no name
        raise ValueError(f"{name} returned {fresh.schema} for some papers and {schema} for none")
    # Each paper's rows come whole from one side, and both sides are sorted by `order_by` (the previous
    # table was written so): merging them on paper_id is the full sort, at the cost of one pass.
    fresh = fresh.sort(list(order_by), maintain_order=True)
    kept = previous.table.join(reused, on=PAPER_ID, how="semi", maintain_order="left")
    table = (
        kept.merge_sorted(fresh, key=PAPER_ID) if kept.height and fresh.height else pl.concat([kept, fresh])
    )
    return IncrementalResult(table, keys, n_reused=reused.height, n_extracted=todo.height)
