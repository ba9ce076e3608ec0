"""Content-addressed storage of received bytes under KAYNAK_DATA_DIR.

A file is named by its SHA-256 and never rewritten, so the same bytes are stored once and a
stored file can only be wrong through outside damage, which `fixity_check` detects.
"""

from __future__ import annotations

import hashlib
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from django.conf import settings

_CHUNK = 1024 * 1024
# Folders of the content-addressed tree already made by this process (they are never removed).
_known_folders: set[Path] = set()


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def originals_dir() -> Path:
    return Path(settings.KAYNAK_DATA_DIR) / "originals"


def original_path(sha256: str) -> Path:
    # One level of fan-out, as git does: 256 folders, and no folder to make per file.
    return originals_dir() / sha256[:2] / sha256


def derivatives_dir() -> Path:
    return Path(settings.KAYNAK_DATA_DIR) / "derivatives"


def derivative_path(sha256: str, kind: str) -> Path:
    """Where the `kind` ("thumbnail", "display") rendering of the stored image `sha256` lives.

    Named by the original's checksum, so facsimiles sharing the bytes share the renderings;
    unlike originals they are not evidence, and may be remade at will.
    """
    return derivatives_dir() / sha256[:2] / f"{sha256}.{kind}.jpg"


@dataclass(frozen=True)
class StoredFile:
    path: Path
    created: bool


def store_original(data: bytes, sha256: str) -> StoredFile:
    """Write `data` at its content address; `created` is False if it was there already.

    Call `make_durable` before committing the transaction that refers to the file.
    """
    path = original_path(sha256)
    if path.parent not in _known_folders:
        path.parent.mkdir(parents=True, exist_ok=True)
        _known_folders.add(path.parent)
    # Written under a temporary name and linked into place, so the content address never
    # names a half-written file.
    temporary = path.with_name(f".incoming-{os.getpid()}-{threading.get_ident()}-{sha256}")
    temporary.unlink(missing_ok=True)  # left by a crashed process that had our pid
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o444)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
        # link() rather than replace(): it fails if the file is there, which tells us whether
        # this call created it (and so may remove it if the transaction fails).
        os.link(temporary, path)
        created = True
    except FileExistsError:
        created = False
    finally:
        temporary.unlink(missing_ok=True)
    return StoredFile(path, created=created)


def make_durable(stored: list[StoredFile]) -> None:
    """Flush newly written files to disk. A few files are synced one by one (with their
    folders); a batch is flushed with a single sync(), far cheaper than one fsync per file."""
    created = [item.path for item in stored if item.created]
    if len(created) > 4:
        os.sync()
        return
    for path in created:
        for target in (path, path.parent):
            descriptor = os.open(target, os.O_RDONLY)
            try:
                os.fsync(descriptor)
            finally:
                os.close(descriptor)


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
