"""Find page files in the inbox, fingerprint each version and give each file a safe partition key.

Nothing here raises on a bad file: each one the inbox holds is either a usable `InboxFile` or a
problem with a reason. Problems come in two kinds: refusals (a symlink leading outside the inbox,
a FIFO, a clashing key), after which the file counts as absent, and waits (still being written,
unreadable for now), during which the file's last ingested version stays current.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import os
import re
import stat
import time
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.storage import write_text_atomic

HASH_CHUNK_BYTES = 1 << 20
MAX_KEY_CHARS = 100
_UNSAFE_KEY_CHARS = re.compile(r"[^A-Za-z0-9_.-]+")
# Names that browsers, downloaders and editors give a file until it is complete.
TEMPORARY_SUFFIXES = (".part", ".partial", ".crdownload", ".download", ".tmp", ".swp", "~")
BEING_WRITTEN = "still being written; waiting until it is stable"
OUTSIDE_INBOX = "symlink leads outside the inbox"
# Kept in the staging folder: remembered content hashes of inbox files, see `discover_pages`.
INBOX_FINGERPRINTS = "inbox_fingerprints.json"
FINGERPRINTS_VERSION = 1
# A file modified this close to the moment it was hashed may change again within the file system's
# timestamp granularity (up to 2 s on some) without its stat changing: such a hash is not remembered.
RACY_WINDOW_NS = 2_000_000_000


class FileNotStableError(OSError):
    """The file changed while it was read, or another process still has it open for writing."""


@dataclass(frozen=True)
class InboxFile:
    """A regular file in the inbox, found but not read yet."""

    key: str
    file_name: str  # path relative to the inbox, printable (undecodable bytes shown as \\xNN)
    path: Path  # resolved: symlinks inside the inbox are read through their target
    size: int
    mtime: float
    mtime_ns: int
    # (device, inode, size, mtime_ns, ctime_ns): any write, rename over, or `touch` changes it.
    stat_key: tuple[int, int, int, int, int]


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
class InboxScan:
    files: dict[str, InboxFile]  # partition key -> file
    problems: list[tuple[str, str]]  # (file name, why it was not read)
    waiting_keys: set[str] = field(default_factory=set)  # present, but not readable or stable yet


@dataclass(frozen=True)
class Discovery:
    pages: list[PageFile]
    problems: list[tuple[str, str]]  # (file name, why it was not read)
    waiting_keys: set[str] = field(default_factory=set)


def printable_name(name: str) -> str:
    """A file name as valid UTF-8: bytes that are not (kept by the OS as surrogates) become \\xNN."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def partition_key(file_name: str) -> str:
    """A Dagster-safe partition key that maps back to exactly one file name.

    Dagster reserves `...` (ranges) and `, [ ] |` (multi-partitions); anything outside a small
    alphabet is replaced, and a hash of the original name keeps two similar names apart.
    """
    safe = _UNSAFE_KEY_CHARS.sub("_", file_name)
    safe = re.sub(r"\.{2,}", "_", safe).strip("._") or "page"
    if safe == file_name and len(safe) <= MAX_KEY_CHARS:
        return safe
    digest = hashlib.sha1(file_name.encode("utf-8", "surrogateescape")).hexdigest()[:8]
    return f"{safe[: MAX_KEY_CHARS - 9]}-{digest}"


def source_id(key: str, sha256: str) -> str:
    """Readable id of one file version: the file's key and the start of its content hash."""
    return f"{key}@{sha256[:12]}"


def _open_for_writing_elsewhere(fd: int) -> bool:
    """True when some process holds the file open for writing.

    Linux grants a read lease only when no one has the file open for writing; where leases are
    unavailable (another OS, a file system without them, a file we may not lease) we cannot tell.
    """
    set_lease = getattr(fcntl, "F_SETLEASE", None)
    if set_lease is None:
        return False
    try:
        fcntl.fcntl(fd, set_lease, fcntl.F_RDLCK)
    except OSError as error:
        return error.errno == errno.EAGAIN
    fcntl.fcntl(fd, set_lease, fcntl.F_UNLCK)
    return False


def _stat_key(info: os.stat_result) -> tuple[int, int, int, int, int]:
    # ctime cannot be set by a user: content changed and mtime put back (`touch -d`) still shows.
    return (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)


def _candidate_files(inbox: Path) -> list[Path]:
    found = []
    for root, dirs, files in os.walk(inbox):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        found.extend(Path(root) / f for f in sorted(files) if not f.startswith("."))
    return found


@dataclass(frozen=True)
class _Verdict:
    """What one inspection of an inbox path found: a usable file, or a reason and its kind."""

    real: Path | None = None
    info: os.stat_result | None = None
    reason: str | None = None
    waiting: bool = False  # True: try again later; False: refused for good


def _inspect(path: Path, inbox: Path, min_age_seconds: float, now: float | None) -> _Verdict:
    if path.name.endswith(TEMPORARY_SUFFIXES):
        return _Verdict(reason=f"{BEING_WRITTEN} (temporary download name)", waiting=True)
    try:
        real = path.resolve(strict=True)
    except (OSError, RuntimeError) as error:  # RuntimeError: a symlink loop
        return _Verdict(reason=f"unreadable: {getattr(error, 'strerror', None) or error}", waiting=True)
    if not real.is_relative_to(inbox):
        return _Verdict(reason=OUTSIDE_INBOX)
    try:
        info = real.stat()
        if not stat.S_ISREG(info.st_mode):
            return _Verdict(reason="not a regular file (a FIFO, socket or device is never read)")
        fd = os.open(real, os.O_RDONLY | os.O_NONBLOCK)
        try:
            busy = _open_for_writing_elsewhere(fd)
        finally:
            os.close(fd)
    except OSError as error:
        return _Verdict(reason=f"unreadable: {error.strerror or error}", waiting=True)
    if busy or (now is not None and now - info.st_mtime < min_age_seconds):
        return _Verdict(reason=BEING_WRITTEN, waiting=True)
    return _Verdict(real, info)


def scan_inbox(inbox: Path, min_age_seconds: float = 0.0, now: float | None = None) -> InboxScan:
    """Every file of the inbox as a usable `InboxFile` or a problem; no file content is read.

    A file modified less than `min_age_seconds` before `now`, or held open for writing by another
    process, may still be being written: it waits for a later pass.
    """
    if not inbox.is_dir():
        raise FileNotFoundError(f"inbox folder {inbox} does not exist")
    inbox = inbox.resolve()
    files: dict[str, InboxFile] = {}
    problems: list[tuple[str, str]] = []
    waiting: set[str] = set()
    for path in _candidate_files(inbox):
        relative = path.relative_to(inbox).as_posix()
        key, name = partition_key(relative), printable_name(relative)
        verdict = _inspect(path, inbox, min_age_seconds, now)
        if verdict.reason is None and key in files:
            verdict = _Verdict(reason=f"its partition key {key} is taken by {files[key].file_name}")
        if verdict.reason is not None:
            problems.append((name, verdict.reason))
            if verdict.waiting:
                waiting.add(key)
            continue
        info = verdict.info
        files[key] = InboxFile(
            key, name, verdict.real, info.st_size, info.st_mtime, info.st_mtime_ns, _stat_key(info)
        )
    return InboxScan(files, problems, waiting)


def read_stable(file: InboxFile) -> bytes:
    """The file's bytes, refused (FileNotStableError) if it changed since it was found or while read."""
    with file.path.open("rb") as handle:
        if _open_for_writing_elsewhere(handle.fileno()):
            raise FileNotStableError(errno.EBUSY, BEING_WRITTEN)
        data = handle.read()
        after = os.fstat(handle.fileno())
    if (after.st_size, after.st_mtime_ns) != (len(data), file.mtime_ns) or len(data) != file.size:
        raise FileNotStableError(errno.EBUSY, "changed while being read; waiting until it is stable")
    return data


def sha256_of(path: Path) -> tuple[str, int]:
    """Stream the file through sha256 so memory stays flat whatever its size."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(HASH_CHUNK_BYTES):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def read_fingerprints(path: Path | None) -> dict[str, dict]:
    """Content hashes remembered by an earlier pass: resolved path -> {"stat": [...], "sha256": ...}.

    A missing, unreadable or foreign file is an empty cache: it only costs hashing again.
    """
    if path is None:
        return {}
    try:
        cached = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(cached, dict) or cached.get("version") != FINGERPRINTS_VERSION:
        return {}
    files = cached.get("files")
    return files if isinstance(files, dict) else {}


def _fingerprint(file: InboxFile, cached: dict[str, dict]) -> tuple[str, dict | None]:
    """The file's sha256, from the cache when its stat is unchanged, and the entry to remember for it.

    Raises FileNotStableError when the file changed while it was hashed.
    """
    entry = cached.get(str(file.path))
    unchanged = isinstance(entry, dict) and entry.get("stat") == list(file.stat_key)
    if unchanged and isinstance(entry.get("sha256"), str):
        return entry["sha256"], entry
    started_ns = time.time_ns()
    digest, size = sha256_of(file.path)
    if _stat_key(os.stat(file.path)) != file.stat_key or size != file.size:
        raise FileNotStableError(errno.EBUSY, BEING_WRITTEN)
    _, _, _, mtime_ns, ctime_ns = file.stat_key
    settled = max(mtime_ns, ctime_ns) < started_ns - RACY_WINDOW_NS
    return digest, {"stat": list(file.stat_key), "sha256": digest} if settled else None


def discover_pages(
    inbox: Path, min_age_seconds: float = 0.0, now: float | None = None, fingerprints: Path | None = None
) -> Discovery:
    """List the inbox's page files with their fingerprints; report (never raise on) the others.

    With `fingerprints` (a JSON file, rewritten atomically when it changes), a file whose device,
    inode, size, mtime and ctime are those it had when it was last hashed is not read again.
    """
    scan = scan_inbox(inbox, min_age_seconds, now)
    cached = read_fingerprints(fingerprints)
    remembered: dict[str, dict] = {}
    pages: list[PageFile] = []
    problems = list(scan.problems)
    waiting = set(scan.waiting_keys)
    for key, file in scan.files.items():
        try:
            digest, entry = _fingerprint(file, cached)
        except FileNotStableError as error:
            problems.append((file.file_name, error.strerror))
            waiting.add(key)
            continue
        except OSError as error:  # vanished or became unreadable since the scan
            problems.append((file.file_name, f"unreadable: {error.strerror or error}"))
            waiting.add(key)
            continue
        if entry is not None:
            remembered[str(file.path)] = entry
        pages.append(PageFile(key, file.file_name, file.path, digest, file.size, file.mtime))
    if fingerprints is not None and remembered != cached:
        _remember(remembered, fingerprints)
    return Discovery(pages, problems, waiting)


def _remember(entries: dict[str, dict], path: Path) -> None:
    document = {"version": FINGERPRINTS_VERSION, "files": entries}
    with contextlib.suppress(OSError):  # a read-only warehouse only means hashing again next time
        write_text_atomic(json.dumps(document, sort_keys=True), path)
