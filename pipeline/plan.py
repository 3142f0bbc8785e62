"""What a batch run has to do: which page files are new, changed, unchanged or gone."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from pipeline.sources import PageFile


@dataclass(frozen=True)
class RunPlan:
    new: list[PageFile] = field(default_factory=list)
    changed: list[PageFile] = field(default_factory=list)
    unchanged: list[PageFile] = field(default_factory=list)
    deleted_keys: list[str] = field(default_factory=list)
    needs_publish: bool = False  # global stages must rerun even if no file needs parsing

    @property
    def stale(self) -> list[PageFile]:
        return sorted(self.new + self.changed, key=lambda page: page.key)

    @property
    def has_work(self) -> bool:
        return bool(self.stale) or self.needs_publish

    def partition_range(self, partition_order: list[str]) -> tuple[str, str] | None:
        """The smallest contiguous range of registered partitions that covers every stale file.

        Files are registered in arrival order, so a backlog of new files is one contiguous range
        run as a single batch; unchanged partitions inside the range are skipped by the asset.
        """
        if not self.stale:
            return None
        index = {key: i for i, key in enumerate(partition_order)}
        positions = sorted(index[page.key] for page in self.stale)
        return partition_order[positions[0]], partition_order[positions[-1]]

    def fingerprint(self) -> str:
        """Identifies the work; used as a sensor run key so the same work is requested once."""
        parts = [f"{p.key}={p.sha256}" for p in self.stale] + [f"-{k}" for k in self.deleted_keys]
        parts.append(f"publish={self.needs_publish}")
        return hashlib.sha256("\n".join(sorted(parts)).encode()).hexdigest()[:20]

    def summary(self) -> str:
        return (
            f"{len(self.new)} new, {len(self.changed)} changed, {len(self.unchanged)} unchanged, "
            f"{len(self.deleted_keys)} removed"
        )


def make_plan(
    pages: list[PageFile],
    processed: dict[str, set[str]],
    published_sources: set[str] | None,
    published_code_version: str | None,
    code_version: str,
) -> RunPlan:
    """Compare the inbox with what was parsed (`processed`: key -> sha256s) and what was published.

    `published_sources` is the set of live source ids in the last published warehouse (None when
    nothing was published yet). The global stages rerun when the live set differs from it.
    """
    new, changed, unchanged = [], [], []
    for page in pages:
        seen = processed.get(page.key)
        if not seen:
            new.append(page)
        elif page.sha256 not in seen:
            changed.append(page)
        else:
            unchanged.append(page)
    present = {page.key for page in pages}
    published_keys = {sid.rsplit("@", 1)[0] for sid in published_sources or ()}
    deleted = sorted(published_keys - present)
    live = {page.source_id for page in pages}
    needs_publish = (
        published_sources is None or published_code_version != code_version or live != published_sources
    )
    return RunPlan(new, changed, unchanged, deleted, needs_publish)
