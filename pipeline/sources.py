"""Find page files in the inbox, fingerprint each version and give each file a safe partition key."""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

HASH_CHUNK_BYTES = 1 << 20
_UNSAFE_KEY_CHARS = re.compile(r"[^A-Za-z0-9_.-]+")


@dataclass(frozen=True)
class PageFile:
    """One version of one page file, as found in the inbox."""

    key: str
    file_name: str
    path: Path
    sha256: str
    size: int
    mtime: float

    @property
    def source_id(self) -> str:
        return source_id(self.key, self.sha256)


@dataclass(frozen=True)
class Discovery:
    pages: list[PageFile]
    problems: list[tuple[str, str]]  # (file name, why it was not read)


def partition_key(file_name: str) -> str:
    """A Dagster-safe partition key that maps back to exactly one file name.

    Dagster reserves `...` (ranges) and `, [ ] |` (multi-partitions); anything outside a small
    alphabet is replaced, and a hash of the original name keeps two similar names apart.
    """
    safe = _UNSAFE_KEY_CHARS.sub("_", file_name)
    safe = re.sub(r"\.{2,}", "_", safe).strip("._") or "page"
    if safe == file_name:
        return safe
    digest = hashlib.sha1(file_name.encode("utf-8", "surrogateescape")).hexdigest()[:8]
    return f"{safe[:80]}-{digest}"


def source_id(key: str, sha256: str) -> str:
    """Readable id of one file version: the file's key and the start of its content hash."""
    return f"{key}@{sha256[:12]}"


def sha256_of(path: Path) -> tuple[str, int]:
    """Stream the file through sha256 so memory stays flat whatever its size."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(HASH_CHUNK_BYTES):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _candidate_files(inbox: Path) -> list[Path]:
    found = []
    for root, dirs, files in os.walk(inbox):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        found.extend(Path(root) / f for f in sorted(files) if not f.startswith("."))
    return found


def discover_pages(inbox: Path, min_age_seconds: float = 0.0, now: float | None = None) -> Discovery:
    """List the inbox's page files with their fingerprints; report (never raise on) unreadable ones.

    A file modified less than `min_age_seconds` ago may still be being written: it waits for a
    later pass. Symlinks that lead outside the inbox are refused.
    """
    if not inbox.is_dir():
        raise FileNotFoundError(f"inbox folder {inbox} does not exist")
    inbox = inbox.resolve()
    pages: list[PageFile] = []
    problems: list[tuple[str, str]] = []
    for path in _candidate_files(inbox):
        name = path.relative_to(inbox).as_posix()
        try:
            real = path.resolve(strict=True)
            if not real.is_relative_to(inbox):
                problems.append((name, "symlink leads outside the inbox"))
                continue
            stat = real.stat()
            if now is not None and now - stat.st_mtime < min_age_seconds:
                problems.append((name, "still being written; waiting until it is stable"))
                continue
            digest, size = sha256_of(real)
        except OSError as error:
            problems.append((name, f"unreadable: {error.strerror or error}"))
            continue
        pages.append(PageFile(partition_key(name), name, real, digest, size, stat.st_mtime))
    return Discovery(pages, problems)


def list_page_files(inbox: Path) -> tuple[dict[str, tuple[str, Path]], list[tuple[str, str]]]:
    """Partition key -> (file name, path) for every candidate file, without reading any of them."""
    if not inbox.is_dir():
        raise FileNotFoundError(f"inbox folder {inbox} does not exist")
    inbox = inbox.resolve()
    found: dict[str, tuple[str, Path]] = {}
    problems: list[tuple[str, str]] = []
    for path in _candidate_files(inbox):
        name = path.relative_to(inbox).as_posix()
        try:
            real = path.resolve(strict=True)
        except OSError as error:
            problems.append((name, f"unreadable: {error.strerror or error}"))
            continue
        if not real.is_relative_to(inbox):
            problems.append((name, "symlink leads outside the inbox"))
            continue
        found[partition_key(name)] = (name, real)
    return found, problems
