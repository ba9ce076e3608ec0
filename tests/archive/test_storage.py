from __future__ import annotations

import os
import stat
import threading

from archive import storage


def test_stores_bytes_at_their_content_address_read_only() -> None:
    data = "Gövde 🚢".encode()
    stored = storage.store_original(data, storage.sha256_hex(data))
    assert stored.created
    assert stored.path == storage.original_path(storage.sha256_hex(data))
    assert stored.path.read_bytes() == data
    assert not stored.path.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
    assert [path.name for path in stored.path.parent.iterdir()] == [stored.path.name]


def test_storing_the_same_bytes_again_creates_nothing() -> None:
    data = b"same bytes"
    storage.store_original(data, storage.sha256_hex(data))
    again = storage.store_original(data, storage.sha256_hex(data))
    assert not again.created
    storage.discard_original(again)
    assert again.path.exists()


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
