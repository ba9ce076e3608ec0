"""Moving every stored file to the other backend (`manage.py storage_migrate`).

Copies name for name (the layout is the same in the folders and the bucket), verifying each
copy by re-reading it from the target: an original must hash to its name, a derivative to
what the source holds. A file already on the target and verified is skipped, so a migration
killed half-way is resumed by running it again. Nothing is switched: the operator changes
KAYNAK_STORAGE once every file is verified, and the source stays as it was.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from django.conf import settings

from archive import storage
from archive.storage import StoredKind
from archive.storage_s3 import s3_store

BACKENDS = ("local", "s3")


class StorageMigrationRefused(Exception):
    """The migration cannot start (same backend, no bucket configured)."""


@dataclass(frozen=True)
class Place:
    """One backend, named explicitly (not by KAYNAK_STORAGE)."""

    name: str
    names: Callable[[], Iterator[str]]
    open: Callable[[str], BinaryIO]
    put: Callable[[str, bytes], None]


@dataclass
class MigrationReport:
    copied: list[str] = field(default_factory=list)
    present: list[str] = field(default_factory=list)  # already there and verified
    skipped: list[str] = field(default_factory=list)  # neither original nor derivative
    failed: list[tuple[str, str]] = field(default_factory=list)  # (name, why)

    @property
    def verified(self) -> int:
        return len(self.copied) + len(self.present)


def place(backend: str) -> Place:
    if backend == "local":
        return Place("local", storage.local_names, storage.local_open, storage.local_put)
    if backend == "s3":
        if not settings.KAYNAK_S3_BUCKET:
            raise StorageMigrationRefused("set KAYNAK_S3_BUCKET (and its endpoint) first")
        bucket = s3_store()

        def names() -> Iterator[str]:
            for page in bucket.list_pages():
                yield from (name for name, _modified in page)

        def put(name: str, data: bytes) -> None:
            # A derivative found different on the target is replaced; an original never.
            bucket.put(name, data, overwrite=classify(name)[0] is StoredKind.DERIVATIVE)

        return Place("s3", names, bucket.open, put)
    raise StorageMigrationRefused(f"unknown storage {backend!r}: use one of {BACKENDS}")


def classify(name: str) -> tuple[StoredKind, str | None]:
    return storage.classify_name(name)


def storage_plan(*, to: str) -> tuple[Place, Place, list[str]]:
    """Source, target and the names to consider, in order."""
    if to == settings.KAYNAK_STORAGE:
        raise StorageMigrationRefused(f"KAYNAK_STORAGE is {to} already: nothing to move")
    source, target = place(settings.KAYNAK_STORAGE), place(to)
    return source, target, sorted(source.names())


def storage_migrate(
    *,
    source: Place,
    target: Place,
    names: list[str],
    dry_run: bool = False,
    progress: Callable[[str], None] = lambda name: None,
) -> MigrationReport:
    """Copy and verify each of `names` from `source` to `target` (see the module's note)."""
    report = MigrationReport()
    for name in names:
        kind, sha256 = classify(name)
        if kind not in (StoredKind.ORIGINAL, StoredKind.DERIVATIVE):
            report.skipped.append(name)
        elif dry_run:
            report.copied.append(name)
        else:
            _migrate_one(source, target, name, kind, sha256, report)
        progress(name)
    return report


def _migrate_one(
    source: Place,
    target: Place,
    name: str,
    kind: StoredKind,
    sha256: str | None,
    report: MigrationReport,
) -> None:
    try:
        with source.open(name) as handle:
            data = handle.read()
    except FileNotFoundError:
        report.failed.append((name, "gone from the source meanwhile"))
        return
    actual = hashlib.sha256(data).hexdigest()
    if kind is StoredKind.ORIGINAL and actual != sha256:
        # Copying it would spread the damage; `fixity_check` names the documents affected.
        report.failed.append((name, f"damaged on the source: its SHA-256 is {actual}"))
        return
    if _hash_of(target, name) == actual:
        report.present.append(name)
        return
    target.put(name, data)
    copied = _hash_of(target, name)
    if copied != actual:
        report.failed.append((name, f"the copy does not verify (SHA-256 {copied})"))
        return
    report.copied.append(name)


def _hash_of(where: Place, name: str) -> str | None:
    """SHA-256 of `name` as `where` holds it now, read back as a stream; None if missing."""
    digest = hashlib.sha256()
    try:
        with where.open(name) as handle:
            while chunk := handle.read(1024 * 1024):
                digest.update(chunk)
    except FileNotFoundError:
        return None
    return digest.hexdigest()
