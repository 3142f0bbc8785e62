"""The inbox: safe partition keys for any file name, and every file either read or reported, never fatal."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import pytest

from pipeline import sources as sources_module
from pipeline.sources import (
    BEING_WRITTEN,
    INBOX_FINGERPRINTS,
    OUTSIDE_INBOX,
    FileNotStableError,
    discover_pages,
    partition_key,
    printable_name,
    read_fingerprints,
    read_stable,
    scan_inbox,
)

FIXTURES = Path(__file__).parent / "fixtures"
DAGSTER_RESERVED = (",", "[", "]", "|", "...")


@pytest.mark.parametrize(
    "name",
    [
        "plain.txt",
        "name with spaces.txt",
        "a, b and c.txt",
        "[draft] page.txt",
        "left | right.txt",
        "wait... what.txt",
        "résumé 論文.txt",
        "sub/folder/page.txt",
        "x" * 240 + ".txt",
        "caf\udce9.txt",  # a byte that is not UTF-8, as the OS hands it to Python
    ],
)
def test_any_file_name_gets_a_safe_and_distinct_partition_key(name):
    key = partition_key(name)
    assert not any(reserved in key for reserved in DAGSTER_RESERVED)
    assert key.isascii() and len(key) <= 100 and "/" not in key
    assert partition_key(name) == key  # stable
    assert partition_key(name + "x") != key


def test_names_that_differ_only_in_unsafe_characters_keep_distinct_keys():
    names = ["a b.txt", "a_b.txt", "a,b.txt", "a|b.txt", "a[b].txt"]
    assert len({partition_key(n) for n in names}) == len(names)


def test_a_name_with_undecodable_bytes_is_printable():
    assert printable_name("caf\udce9.txt") == "caf\\xe9.txt"


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    folder = tmp_path / "inbox"
    folder.mkdir()
    shutil.copy(FIXTURES / "daily_small.txt", folder / "daily.txt")
    return folder


def test_every_odd_entry_is_reported_with_a_reason_and_good_files_still_read(inbox, tmp_path):
    outside = tmp_path / "secret.txt"
    outside.write_text("not for the warehouse")
    os.symlink(outside, inbox / "outside link.txt")  # leads outside the inbox: refused
    os.symlink(inbox / "daily.txt", inbox / "inside link.txt")  # stays inside: read as its own file
    os.symlink(inbox / "nowhere.txt", inbox / "broken link.txt")  # dangling: unreadable for now
    os.mkfifo(inbox / "a fifo.txt")  # reading it would block forever
    (inbox / "download.txt.crdownload").write_text("half")  # a browser's name for a partial download
    (inbox / ".hidden.txt").write_text("editor state")  # hidden files are not pages
    scan = scan_inbox(inbox)
    assert sorted(file.file_name for file in scan.files.values()) == ["daily.txt", "inside link.txt"]
    reasons = dict(scan.problems)
    assert reasons["outside link.txt"] == OUTSIDE_INBOX
    assert reasons["a fifo.txt"].startswith("not a regular file")
    assert reasons["broken link.txt"].startswith("unreadable")
    assert reasons["download.txt.crdownload"].startswith(BEING_WRITTEN)
    assert ".hidden.txt" not in reasons
    assert scan.waiting_keys == {partition_key("broken link.txt"), partition_key("download.txt.crdownload")}


def test_a_file_held_open_for_writing_waits(inbox):
    with (inbox / "growing.txt").open("w") as writer:
        writer.write("the first half of a page")
        writer.flush()
        scan = scan_inbox(inbox)
        assert dict(scan.problems)["growing.txt"] == BEING_WRITTEN
        assert partition_key("growing.txt") in scan.waiting_keys
    assert "growing.txt" in {f.file_name for f in scan_inbox(inbox).files.values()}


def test_a_recently_modified_file_waits_when_a_minimum_age_is_asked(inbox):
    mtime = (inbox / "daily.txt").stat().st_mtime
    assert scan_inbox(inbox, min_age_seconds=5, now=mtime + 1).problems == [("daily.txt", BEING_WRITTEN)]
    assert scan_inbox(inbox, min_age_seconds=5, now=mtime + 10).problems == []


def test_a_file_changed_after_it_was_found_is_not_read(inbox):
    file = scan_inbox(inbox).files["daily.txt"]
    (inbox / "daily.txt").write_text("rewritten")
    with pytest.raises(FileNotStableError):
        read_stable(file)


def test_a_file_that_vanished_after_it_was_found_raises_an_os_error_the_caller_reports(inbox):
    file = scan_inbox(inbox).files["daily.txt"]
    (inbox / "daily.txt").unlink()
    with pytest.raises(FileNotFoundError):
        read_stable(file)


def test_discovery_fingerprints_files_and_maps_keys_back_to_names(inbox):
    shutil.copy(FIXTURES / "compact_small.txt", inbox / "a, [b] | c ... d.txt")
    pages = {page.key: page for page in discover_pages(inbox).pages}
    assert {page.file_name for page in pages.values()} == {"daily.txt", "a, [b] | c ... d.txt"}
    for key, page in pages.items():
        assert key == partition_key(page.file_name) and len(page.sha256) == 64


def test_a_missing_inbox_is_an_error_not_an_empty_inbox(tmp_path):
    with pytest.raises(FileNotFoundError):
        scan_inbox(tmp_path / "nowhere")


def test_a_file_opened_for_writing_after_it_was_found_is_not_read(inbox):
    file = scan_inbox(inbox).files["daily.txt"]
    with (inbox / "daily.txt").open("a"), pytest.raises(FileNotStableError, match="still being written"):
        read_stable(file)
    assert read_stable(file) == (inbox / "daily.txt").read_bytes()


# --- remembered fingerprints: an unchanged file is not read again, a changed one always is ---------


@pytest.fixture
def settled_inbox(inbox: Path, monkeypatch) -> tuple[Path, Path]:
    """The inbox after a discovery that remembered its fingerprints, hashed long after its last write."""
    cache = inbox.parent / "staging" / INBOX_FINGERPRINTS
    real_clock = sources_module.time.time_ns
    with monkeypatch.context() as later:
        later.setattr(sources_module.time, "time_ns", lambda: real_clock() + 60 * 10**9)
        discover_pages(inbox, fingerprints=cache)
    assert str((inbox / "daily.txt").resolve()) in read_fingerprints(cache)
    return inbox, cache


def _no_hashing(path: Path) -> tuple[str, int]:
    raise AssertionError(f"{path} was hashed again")


def test_an_unchanged_file_is_not_hashed_again(settled_inbox, monkeypatch):
    inbox, cache = settled_inbox
    monkeypatch.setattr(sources_module, "sha256_of", _no_hashing)
    [page] = discover_pages(inbox, fingerprints=cache).pages
    assert page.sha256 == hashlib.sha256((inbox / "daily.txt").read_bytes()).hexdigest()


def _rewrite_keeping_size_and_mtime(path: Path) -> None:
    before = path.stat()
    data = path.read_bytes()
    changed = data[:-2] + (b"XY" if data[-2:] != b"XY" else b"ZW")
    # Rewrite until the change time moves on: a coarse clock may give the same tick twice in a row.
    while True:
        path.write_bytes(changed)
        os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
        if path.stat().st_ctime_ns != before.st_ctime_ns:
            return


def _replace_with_a_new_file_of_the_same_size_and_mtime(path: Path) -> None:
    before = path.stat()
    data = path.read_bytes()
    fresh = path.with_name("fresh.tmp")
    fresh.write_bytes(data[::-1])
    os.utime(fresh, ns=(before.st_atime_ns, before.st_mtime_ns))
    os.replace(fresh, path)


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(_rewrite_keeping_size_and_mtime, id="same size, mtime put back"),
        pytest.param(_replace_with_a_new_file_of_the_same_size_and_mtime, id="replaced by a new inode"),
        pytest.param(lambda path: path.write_bytes(path.read_bytes() + b"\n"), id="appended"),
        pytest.param(lambda path: os.utime(path), id="touched, same bytes"),
    ],
)
def test_a_file_whose_stat_changed_is_hashed_again(settled_inbox, change):
    inbox, cache = settled_inbox
    path = inbox / "daily.txt"
    change(path)
    [page] = discover_pages(inbox, fingerprints=cache).pages
    assert page.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_file_written_moments_before_it_was_hashed_is_not_remembered(inbox):
    cache = inbox.parent / "staging" / INBOX_FINGERPRINTS
    discover_pages(inbox, fingerprints=cache)
    assert read_fingerprints(cache) == {}  # it may still change within one timestamp tick


@pytest.mark.parametrize(
    "content", ["not json", '{"version": 0, "files": {}}', '{"version": 1, "files": []}']
)
def test_an_unreadable_or_foreign_fingerprint_file_only_costs_hashing_again(settled_inbox, content):
    inbox, cache = settled_inbox
    cache.write_text(content)
    [page] = discover_pages(inbox, fingerprints=cache).pages
    assert page.sha256 == hashlib.sha256((inbox / "daily.txt").read_bytes()).hexdigest()


def test_fingerprints_of_files_that_left_the_inbox_are_forgotten(settled_inbox):
    inbox, cache = settled_inbox
    (inbox / "daily.txt").unlink()
    assert discover_pages(inbox, fingerprints=cache).pages == []
    assert read_fingerprints(cache) == {}
