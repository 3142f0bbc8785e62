"""Re-key only the titles a run touched, and rebuild only the papers those titles hold.

`assign_paper_ids` decides each title key from that key's records alone (versions, abstract groups
and ids are all per key), and `build_papers` / `build_abstract_versions` decide each paper from its
own occurrences. So recomputing the touched keys, then the papers whose ids they held before or hold
now, and keeping every other row, gives exactly the tables a full recompute gives. A title key is
touched when a new source version holds it or a source version that left holds it. At a million
records a new page of 1,000 re-keys about a thousand records instead of a million (assign_paper_ids
alone was 16 s at a million).

The occurrences update keeps the previous table's rows where they are rather than filtering and sorting
a million rows again: slices of the sorted previous table, the new sources' blocks put in their sorted
places, only the re-keyed rows' ids changed (0.15 s of CPU instead of 0.65 s at a million). The result is
the frame a concat and sort give. The papers are concatenated and sorted: there a sort moves 16-byte
string views, not the texts, and is cheaper than `merge_sorted`.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from pipeline.dedup import assign_paper_ids, build_paper_tables, title_keys

KEY_COLUMNS = ("title_key", "paper_id")
OCCURRENCE_ORDER = ("source_id", "position")
# Columns `update_papers` and `build_paper_tables` read from the occurrences.
PAPER_INPUT_COLUMNS = ("paper_id", "source_id", "title", "abstract")


@dataclass(frozen=True)
class OccurrencesUpdate:
    table: pl.DataFrame  # the occurrences of the current versions, sorted by (source_id, position)
    touched_paper_ids: pl.Series  # every paper id the touched titles held before or hold now


def update_occurrences(
    previous: pl.DataFrame, current_source_ids: list[str], new_records: pl.DataFrame
) -> OccurrencesUpdate:
    """previous: the last occurrences table (records plus title_key and paper_id). new_records: the
    records of current versions that `previous` does not hold, with the records' columns."""
    if not previous.get_column("source_id").is_sorted():  # not this module's table: put it in order
        previous = previous.sort(*OCCURRENCE_ORDER)
    current = pl.Series("source_id", current_source_ids, dtype=pl.String).implode()
    kept = _rows_where(previous, previous.get_column("source_id").is_in(current))
    departed_keys = previous.select("source_id", "title_key").filter(~pl.col("source_id").is_in(current))
    new_keys = title_keys(new_records["title"]).get_column("title_key")
    touched = pl.concat([new_keys, departed_keys.get_column("title_key")]).unique().implode()
    is_touched = kept.get_column("title_key").is_in(touched)
    record_columns = previous.drop(*KEY_COLUMNS).columns
    rekeyed = assign_paper_ids(
        pl.concat([kept.filter(is_touched).drop(*KEY_COLUMNS), new_records.select(record_columns)])
    ).select(previous.columns)
    n_kept = int(is_touched.sum())
    # assign_paper_ids keeps the order of its records: the kept ones come first, in table order.
    rekeyed_kept, arrived = rekeyed.head(n_kept), rekeyed.slice(n_kept)
    rows = is_touched.arg_true()
    kept = kept.with_columns(
        kept.get_column(column).scatter(rows, rekeyed_kept.get_column(column)) for column in KEY_COLUMNS
    )
    old_ids = previous.select(KEY_COLUMNS).filter(pl.col("title_key").is_in(touched)).get_column("paper_id")
    touched_ids = pl.concat([old_ids, rekeyed.get_column("paper_id")]).unique().sort()
    return OccurrencesUpdate(_insert_sources(kept, arrived), touched_ids)


def _rows_where(frame: pl.DataFrame, mask: pl.Series) -> pl.DataFrame:
    """`frame.filter(mask)` as slices of `frame`: no text is copied when the rows kept form a few runs
    (whole sources of a table sorted by source)."""
    runs = mask.rle().struct.unnest().with_columns(start=pl.col("len").cum_sum() - pl.col("len"))
    pieces = [frame.slice(start, length) for length, _, start in runs.filter(pl.col("value")).iter_rows()]
    return pl.concat(pieces, rechunk=False) if pieces else frame.head(0)


def _insert_sources(kept: pl.DataFrame, arrived: pl.DataFrame) -> pl.DataFrame:
    """kept (sorted by source_id and position) with the rows of sources it does not hold put in their
    sorted places: the frame `pl.concat([kept, arrived]).sort(...)` gives, without copying `kept`."""
    arrived = arrived.sort(*OCCURRENCE_ORDER)
    kept_sources = kept.get_column("source_id")
    at = kept_sources.search_sorted(arrived.get_column("source_id"), side="left")
    if arrived.height and kept_sources.is_in(arrived.get_column("source_id").implode()).any():
        return pl.concat([kept, arrived]).sort(*OCCURRENCE_ORDER)  # a source in both: merge it row by row
    pieces, done = [], 0
    for (place,), block in (
        arrived.with_columns(_at=at).partition_by("_at", as_dict=True, maintain_order=True).items()
    ):
        pieces += [kept.slice(done, place - done), block.drop("_at")]
        done = place
    pieces.append(kept.slice(done))
    return pl.concat(pieces, rechunk=False)


def update_papers(
    previous_papers: pl.DataFrame,
    previous_versions: pl.DataFrame,
    occurrences: pl.DataFrame,
    touched_paper_ids: pl.Series,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """`papers` and `paper_abstract_versions` of the occurrences, given the tables of the occurrences
    before the update that touched `touched_paper_ids`: only those papers are built again, so
    `occurrences` needs to hold only their rows (`PAPER_INPUT_COLUMNS`), though it may hold all."""
    touched = pl.col("paper_id").is_in(touched_paper_ids.implode())
    papers, versions = build_paper_tables(occurrences.filter(touched))
    # A sort moves 16-byte string views, not the texts: 0.04 s here, cheaper than merge_sorted (0.5 s).
    return (
        pl.concat([previous_papers.filter(~touched), papers]).sort("paper_id"),
        pl.concat([previous_versions.filter(~touched), versions]).sort("paper_id", "abstract_sha256"),
    )
