"""Content-addressed storage of received bytes under KAYNAK_DATA_DIR.

A file is named by its SHA-256 and never rewritten, so the same bytes are stored once and a
stored file can only be wrong through outside damage, which `fixity_check` detects.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from django.conf import settings

_CHUNK = 1024 * 1024


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def originals_dir() -> Path:
    return Path(settings.KAYNAK_DATA_DIR) / "originals"


def original_path(sha256: str) -> Path:
    return originals_dir() / sha256[:2] / sha256[2:4] / sha256


@dataclass(frozen=True)
class StoredFile:
    path: Path
    created: bool


def store_original(data: bytes, sha256: str) -> StoredFile:
    """Write `data` durably at its content address; `created` is False if it was there."""
    path = original_path(sha256)
    if path.exists():
        return StoredFile(path, created=False)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".incoming-")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, 0o444)
        # link() rather than replace(): it fails if another writer got there first, which
        # tells us whether this call created the file (and may remove it on rollback).
        os.link(temporary, path)
        created = True
    except FileExistsError:
        created = False
    finally:
        Path(temporary).unlink(missing_ok=True)
    return StoredFile(path, created=created)


def discard_original(stored: StoredFile) -> None:
    """Undo `store_original` after a failed ingest, if that call created the file."""
    if stored.created:
        stored.path.unlink(missing_ok=True)


def open_original(sha256: str) -> BinaryIO:
    return original_path(sha256).open("rb")


def hash_stored_original(sha256: str) -> str | None:
    """SHA-256 of the file stored under `sha256` as it is on disk now; None if it is missing."""
    digest = hashlib.sha256()
    try:
        with open_original(sha256) as handle:
            while chunk := handle.read(_CHUNK):
                digest.update(chunk)
    except FileNotFoundError:
        return None
    return digest.hexdigest()
