"""One canonical paper per real paper: normalized-title keys, stable ids, chosen title and abstract."""

from __future__ import annotations

import hashlib

import polars as pl

PAPER_ID_HEX = 16


def title_key(title: pl.Expr) -> pl.Expr:
    """Fold what does not make two titles different papers: Unicode forms, case, LaTeX, punctuation."""
    return (
        title.str.normalize("NFKC")
        .str.to_lowercase()
        .str.replace_all("ß", "ss", literal=True)
        # LaTeX remnants: commands keep their word (\mathbf{X} -> X), markup characters go.
        .str.replace_all(r"\\(?:text|math)[a-z]*\{", " ")
        .str.replace_all(r"[\\$^_{}~]", " ")
        .str.replace_all(r"[^\p{L}\p{N}]+", " ")
        .str.strip_chars()
    )


def _stable_id(key: str) -> str:
    # A cryptographic hash, not Polars' hash(): ids must be the same on every machine and version.
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:PAPER_ID_HEX]


def assign_paper_ids(records: pl.DataFrame) -> pl.DataFrame:
    """Add `title_key` and `paper_id` to each record; the id depends on the title key alone."""
    keyed = records.with_columns(title_key=title_key(pl.col("title")))
    keys = keyed.select(pl.col("title_key").unique())
    ids = keys.with_columns(
        paper_id=pl.col("title_key").map_elements(_stable_id, return_dtype=pl.String)
    )
    return keyed.join(ids, on="title_key", how="left")


def _preferred(column: str) -> list[pl.Expr]:
    """Sort keys for choosing a representative text: most frequent, then longest, then alphabetical."""
    return [pl.len().over("paper_id", column).alias("_count"), pl.col(column).str.len_chars().alias("_len")]


def _choose(occurrences: pl.DataFrame, column: str) -> pl.DataFrame:
    return (
        occurrences.select("paper_id", column)
        .with_columns(*_preferred(column))
        .sort(["paper_id", "_count", "_len", column], descending=[False, True, True, False])
        .unique("paper_id", keep="first", maintain_order=True)
        .select("paper_id", column)
    )


def build_papers(occurrences: pl.DataFrame) -> pl.DataFrame:
    """One row per paper. Title and abstract: the most frequent text, then the longest, then the first
    alphabetically, so the choice never depends on the order in which files arrived."""
    stats = occurrences.group_by("paper_id").agg(
        n_occurrences=pl.len().cast(pl.Int32),
        n_sources=pl.col("source_id").n_unique().cast(pl.Int32),
        n_abstract_versions=pl.col("abstract").n_unique().cast(pl.Int32),
        first_source_id=pl.col("source_id").sort_by("source_id", "position").first(),
    )
    return (
        _choose(occurrences, "title")
        .join(_choose(occurrences, "abstract"), on="paper_id")
        .join(stats, on="paper_id")
        .select(
            "paper_id",
            "title",
            "abstract",
            "n_occurrences",
            "n_sources",
            "n_abstract_versions",
            "first_source_id",
        )
        .sort("paper_id")
    )


def build_abstract_versions(occurrences: pl.DataFrame, papers: pl.DataFrame) -> pl.DataFrame:
    """One row per distinct abstract text of a paper, with how often it was seen and whether it is chosen."""
    chosen = papers.select("paper_id", chosen_abstract="abstract")
    return (
        occurrences.group_by("paper_id", "abstract")
        .agg(
            n_occurrences=pl.len().cast(pl.Int32),
            first_source_id=pl.col("source_id").sort_by("source_id", "position").first(),
        )
        .join(chosen, on="paper_id")
        .with_columns(
            is_chosen=pl.col("abstract") == pl.col("chosen_abstract"),
            abstract_sha256=pl.col("abstract").map_elements(
                lambda text: hashlib.sha256(text.encode("utf-8")).hexdigest(), return_dtype=pl.String
            ),
        )
        .select("paper_id", "abstract_sha256", "abstract", "n_occurrences", "first_source_id", "is_chosen")
        .sort("paper_id", "abstract_sha256")
    )
