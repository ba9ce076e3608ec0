"""Reconciling the stored files with the rows that refer to them.

Requests never remove a content-addressed file: a request that stored bytes and then failed
cannot know whether another request found the same file a moment ago and is about to commit
a row that refers to it. So a failed or refused ingest (or a crash) may leave an orphan, a
stored file no row refers to; this check reports them, and collects those older than a
grace period. It also reports the opposite, worse, case: rows whose file is missing.
"""

from __future__ import annotations

import functools
import logging
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import PurePath

from archive import storage
from archive.selectors import (
    facsimile_originals_referenced,
    originals_referenced,
    stored_original_owners,
)
from archive.storage import StoredEntry, StoredKind

logger = logging.getLogger(__name__)

# Longer than any transaction between storing a file and committing its row: a request that
# finds its bytes already stored refreshes the file's mtime, so it is never this old.
DEFAULT_GRACE = timedelta(hours=1)


@dataclass(frozen=True)
class StoredOrphan:
    path: PurePath
    kind: StoredKind
    age: timedelta
    removed: bool


@dataclass(frozen=True)
class MissingOriginal:
    """A row whose stored original is not on disk."""

    kind: str  # "document" or "facsimile"
    id: int
    label: str
    sha256: str


@dataclass(frozen=True)
class StorageReport:
    orphans: list[StoredOrphan] = field(default_factory=list)
    missing: list[MissingOriginal] = field(default_factory=list)
    files: int = 0  # stored files seen

    @property
    def removed(self) -> list[StoredOrphan]:
        return [orphan for orphan in self.orphans if orphan.removed]


def storage_check(
    *, delete_orphans: bool = False, grace: timedelta = DEFAULT_GRACE
) -> StorageReport:
    """Report stored files no row refers to (orphans: originals, derivatives of no facsimile,
    temporaries and names Kaynak never writes) and rows whose original is missing.

    With `delete_orphans`, remove the orphans last modified more than `grace` ago (never a
    foreign file), each after asking the database again once it is out of the way (see
    `storage.remove_orphan`). Deliberately not one transaction: each question must see the
    rows committed up to that moment, and SQLite would hold its write lock throughout.
    """
    now = time.time()
    older_than = now - grace.total_seconds()
    orphans: list[StoredOrphan] = []
    files = 0
    for batch in storage.stored_entries():
        files += len(batch)
        for entry in _unreferenced(batch):
            removed = delete_orphans and storage.remove_orphan(
                entry, older_than=older_than, referenced=functools.partial(_referenced, entry)
            )
            if removed:
                logger.warning("removed orphan %s (%s)", entry.path, entry.kind)
            age = timedelta(seconds=max(0.0, now - entry.modified))
            orphans.append(StoredOrphan(entry.path, entry.kind, age, removed))

    missing = [
        MissingOriginal(kind, pk, label, sha256)
        for kind, pk, label, sha256 in stored_original_owners()
        if not storage.original_exists(sha256)
    ]
    return StorageReport(orphans=orphans, missing=missing, files=files)


def _unreferenced(batch: list[StoredEntry]) -> list[StoredEntry]:
    originals = {
        entry.sha256
        for entry in batch
        if entry.kind is StoredKind.ORIGINAL and entry.sha256 is not None
    }
    rendered = {
        entry.sha256
        for entry in batch
        if entry.kind is StoredKind.DERIVATIVE and entry.sha256 is not None
    }
    referenced = originals_referenced(originals) if originals else set()
    rendered_for = facsimile_originals_referenced(rendered) if rendered else set()
    return [
        entry
        for entry in batch
        if not (
            (entry.kind is StoredKind.ORIGINAL and entry.sha256 in referenced)
            or (entry.kind is StoredKind.DERIVATIVE and entry.sha256 in rendered_for)
        )
    ]


def _referenced(entry: StoredEntry) -> bool:
    if entry.sha256 is None:  # not a stored original or derivative: nothing names it
        return False
    if entry.kind is StoredKind.DERIVATIVE:
        return bool(facsimile_originals_referenced({entry.sha256}))
    return bool(originals_referenced({entry.sha256}))


def describe_orphan(orphan: StoredOrphan) -> str:
    """One line for a command's output, the path relative to the data folder."""
    minutes = int(orphan.age.total_seconds() // 60)
    age = f"{minutes // 60} h {minutes % 60} min" if minutes >= 60 else f"{minutes} min"
    removed = ", removed" if orphan.removed else ""
    return f"{storage.relative_to_data_dir(orphan.path)} ({orphan.kind}, {age} old{removed})"


def describe_missing(missing: MissingOriginal) -> str:
    path = storage.original_name(missing.sha256)
    return f"{missing.kind} {missing.id} ({missing.label[:60]}): {path} is missing"
