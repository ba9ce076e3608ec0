from __future__ import annotations

import os
import stat
import threading
import time
from pathlib import Path

from archive import storage

HOUR = 3600
DAY = 24 * HOUR


def test_stores_bytes_at_their_content_address_read_only() -> None:
    data = "Gövde 🚢".encode()
    stored = storage.store_original(data, storage.sha256_hex(data))
    assert stored.created
    assert stored.path == storage.original_path(storage.sha256_hex(data))
    assert stored.path.read_bytes() == data
    assert not stored.path.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
    assert [path.name for path in stored.path.parent.iterdir()] == [stored.path.name]


def test_storing_the_same_bytes_again_creates_nothing_and_refreshes_the_files_mtime() -> None:
    data = b"same bytes"
    first = storage.store_original(data, storage.sha256_hex(data))
    os.utime(first.path, (time.time() - DAY, time.time() - DAY))
    again = storage.store_original(data, storage.sha256_hex(data))
    assert not again.created
    assert again.path == first.path
    # Found and about to be referred to: clear of orphan collection's grace period again.
    assert again.path.stat().st_mtime > time.time() - 60
    assert [path.name for path in again.path.parent.iterdir()] == [again.path.name]


def test_a_file_collected_just_as_it_is_found_is_stored_again(monkeypatch) -> None:
    data = b"found, then collected"
    sha256 = storage.sha256_hex(data)
    storage.store_original(data, sha256)
    utime = os.utime

    def collected_first(path, *args, **kwargs):
        Path(path).unlink(missing_ok=True)  # a collector removed it between link and utime
        return utime(path, *args, **kwargs)

    monkeypatch.setattr(storage.os, "utime", collected_first)
    stored = storage.store_original(data, sha256)
    assert stored.created
    assert stored.path.read_bytes() == data


def _orphan(data: bytes, *, age: float = DAY) -> storage.StoredEntry:
    stored = storage.store_original(data, storage.sha256_hex(data))
    os.utime(stored.path, (time.time() - age, time.time() - age))
    [entry] = [entry for batch in storage.stored_entries() for entry in batch]
    return entry


def test_an_old_unreferenced_original_is_removed() -> None:
    entry = _orphan(b"nobody refers to me")
    assert entry.kind is storage.StoredKind.ORIGINAL
    assert storage.remove_orphan(entry, older_than=time.time() - HOUR, referenced=lambda: False)
    assert not entry.path.exists()
    assert list(entry.path.parent.iterdir()) == []


def test_an_orphan_within_the_grace_period_is_kept() -> None:
    entry = _orphan(b"young", age=60)
    assert not storage.remove_orphan(entry, older_than=time.time() - HOUR, referenced=lambda: False)
    assert entry.path.exists()


def test_a_file_a_row_refers_to_by_the_time_of_removal_is_put_back() -> None:
    entry = _orphan(b"referred to meanwhile")
    seen_at_address = []

    def committed_meanwhile() -> bool:
        seen_at_address.append(entry.path.exists())
        return True

    assert not storage.remove_orphan(
        entry, older_than=time.time() - HOUR, referenced=committed_meanwhile
    )
    assert seen_at_address == [False]  # asked once the file was out of the way
    assert entry.path.read_bytes() == b"referred to meanwhile"
    assert [path.name for path in entry.path.parent.iterdir()] == [entry.path.name]


def test_a_file_found_by_a_request_after_listing_is_kept() -> None:
    entry = _orphan(b"found after the listing")
    # A request stores the same bytes: it finds the file and refreshes its mtime, and its
    # row is not committed yet when the collector asks.
    storage.store_original(b"found after the listing", entry.sha256)
    assert not storage.remove_orphan(entry, older_than=time.time() - HOUR, referenced=lambda: False)
    assert entry.path.read_bytes() == b"found after the listing"


def test_bytes_stored_while_their_orphan_is_being_removed_survive() -> None:
    entry = _orphan(b"stored again mid-removal")

    def stored_meanwhile() -> bool:
        # The address is empty now: the request links a fresh copy; its row is not committed.
        assert storage.store_original(b"stored again mid-removal", entry.sha256).created
        return False

    assert storage.remove_orphan(entry, older_than=time.time() - HOUR, referenced=stored_meanwhile)
    assert entry.path.read_bytes() == b"stored again mid-removal"


def test_a_removal_interrupted_by_a_crash_is_undone_when_next_listed() -> None:
    data = b"moved aside, then the collector died"
    stored = storage.store_original(data, storage.sha256_hex(data))
    aside = stored.path.with_name(f"{storage.REMOVING_PREFIX}999-1-{stored.path.name}")
    stored.path.rename(aside)
    entries = [entry for batch in storage.stored_entries() for entry in batch]
    assert [entry.path for entry in entries] == [stored.path]
    assert stored.path.read_bytes() == data
    assert not aside.exists()


def test_old_temporaries_are_removed_and_foreign_files_never(data_dir) -> None:
    folder = storage.originals_dir() / "ab"
    folder.mkdir(parents=True)
    temporary = folder / f"{storage.INCOMING_PREFIX}123-456-{'ab' * 32}"
    foreign = folder / "notes.txt"
    for path in (temporary, foreign):
        path.write_bytes(b"x")
        os.utime(path, (time.time() - DAY, time.time() - DAY))
    entries = {entry.path: entry for batch in storage.stored_entries() for entry in batch}
    assert entries[temporary].kind is storage.StoredKind.TEMPORARY
    assert entries[foreign].kind is storage.StoredKind.FOREIGN
    older_than = time.time() - HOUR
    assert storage.remove_orphan(
        entries[temporary], older_than=older_than, referenced=lambda: False
    )
    assert not storage.remove_orphan(
        entries[foreign], older_than=older_than, referenced=lambda: False
    )
    assert [path.name for path in folder.iterdir()] == ["notes.txt"]


def test_a_stale_temporary_file_does_not_block_storing() -> None:
    data = b"bytes after a crash"
    sha256 = storage.sha256_hex(data)
    path = storage.original_path(sha256)
    path.parent.mkdir(parents=True)
    stale = path.with_name(f".incoming-{os.getpid()}-{threading.get_ident()}-{sha256}")
    stale.write_bytes(b"half")
    assert storage.store_original(data, sha256).path.read_bytes() == data
    assert not stale.exists()


def test_hash_of_stored_original_reports_damage_and_absence() -> None:
    data = b"fixity"
    sha256 = storage.sha256_hex(data)
    stored = storage.store_original(data, sha256)
    assert storage.hash_stored_original(sha256) == sha256
    stored.path.chmod(0o644)
    stored.path.write_bytes(b"fixitY")
    assert storage.hash_stored_original(sha256) == storage.sha256_hex(b"fixitY")
    stored.path.unlink()
    assert storage.hash_stored_original(sha256) is None
