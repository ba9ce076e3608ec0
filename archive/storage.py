"""Content-addressed storage of received bytes: under KAYNAK_DATA_DIR, or in an S3-compatible
bucket shared by every app server (KAYNAK_STORAGE=s3, see `archive.storage_s3`).

A file is named by its SHA-256 and never rewritten, so the same bytes are stored once and a
stored file can only be wrong through outside damage, which `fixity_check` detects. Nothing
else in Kaynak opens a stored file: callers name it by its checksum and this module decides
where it lives. Both backends share one layout of names ("originals/ab/<sha256>",
"derivatives/ab/<sha256>.<kind>.jpg"), so `storage_migrate` copies name for name.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path, PurePath
from typing import BinaryIO, TypeVar

from django.conf import settings

from archive.storage_s3 import S3Store, StoredBytesDiffer, s3_store

_CHUNK = 1024 * 1024
# Files being written carry this prefix until they are linked or renamed into place.
INCOMING_PREFIX = ".incoming-"
# An orphan is moved aside under this prefix while its removal is decided.
REMOVING_PREFIX = ".removing-"
_SHA256 = re.compile(r"[0-9a-f]{64}")
_DERIVATIVE = re.compile(r"(?P<sha256>[0-9a-f]{64})\.[a-z]+\.jpg")
# Folders of the content-addressed tree already made by this process (they are never removed).
_known_folders: set[Path] = set()
T = TypeVar("T")
# Puts in flight at once in a bulk ingest (the client's connection pool holds more, see
# `archive.storage_s3.POOL_CONNECTIONS`).
_S3_CONCURRENCY = 8


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def relative_to_data_dir(path: PurePath) -> PurePath:
    """`path` as an operator finds it under KAYNAK_DATA_DIR; an object's name (S3) as it is."""
    if not path.is_absolute():
        return path
    return path.relative_to(Path(settings.KAYNAK_DATA_DIR))


def _s3() -> S3Store | None:
    """The bucket when KAYNAK_STORAGE is s3; None for the local folders."""
    return s3_store() if settings.KAYNAK_STORAGE == "s3" else None


def original_name(sha256: str) -> str:
    return f"originals/{sha256[:2]}/{sha256}"


def derivative_name(sha256: str, kind: str) -> str:
    return f"derivatives/{sha256[:2]}/{sha256}.{kind}.jpg"


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
    path: PurePath  # a local file, or (S3) the object's name
    created: bool


def store_original(data: bytes, sha256: str) -> StoredFile:
    """Write `data` at its content address; `created` is False if it was there already.
    A file found there of another size raises StoredBytesDiffer (damage, never overwritten).
    On S3 see `S3Store.put_original`; locally:

    Call `make_durable` before committing the transaction that refers to the file. Nothing
    in a request ever removes the file again, even if that transaction fails: another
    request may have found it here and be about to commit a row that refers to it. A file
    no row refers to is an orphan, collected by `manage.py storage_check --delete-orphans`.
    """
    if (bucket := _s3()) is not None:
        return StoredFile(PurePath(original_name(sha256)), bucket.put_original(data, sha256))
    path = original_path(sha256)
    if path.parent not in _known_folders:
        path.parent.mkdir(parents=True, exist_ok=True)
        _known_folders.add(path.parent)
    # Written under a temporary name and linked into place, so the content address never
    # names a half-written file.
    temporary = path.with_name(f"{INCOMING_PREFIX}{os.getpid()}-{threading.get_ident()}-{sha256}")
    temporary.unlink(missing_ok=True)  # left by a crashed process that had our pid
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o444)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
        while True:
            try:
                # link() rather than replace(): it fails if the file is there, and a stored
                # original is never rewritten.
                os.link(temporary, path)
                return StoredFile(path, created=True)
            except FileExistsError:
                pass
            try:
                # Found: other bytes under the name are damage, never to be referred to.
                if path.stat().st_size != len(data):
                    raise StoredBytesDiffer(original_name(sha256))
                # About to be referred to by our row: a fresh mtime keeps it clear of orphan
                # collection's grace period until that row commits.
                os.utime(path)
                return StoredFile(path, created=False)
            except FileNotFoundError:
                continue  # collected as an orphan just now: link ours in its place
    finally:
        temporary.unlink(missing_ok=True)


def store_originals(items: list[tuple[bytes, str]]) -> list[StoredFile]:
    """`store_original` for each (data, sha256), in order (on S3 a few at a time, see
    `OriginalPuts`)."""
    with OriginalPuts() as puts:
        return puts.stored(items)


class OriginalPuts:
    """Originals stored ahead of the rows that will refer to them, for a bulk ingest: `start`
    each as soon as it is known to be wanted, then `stored` waits for them, before the rows
    are written. On S3 each put is a network round trip, so they go out from a pool of
    threads (`_S3_CONCURRENCY` in flight) while the caller goes on with its own work
    (parsing the next submissions); locally a link is cheap, and `stored` makes them one by
    one. `ahead=False` (a single upload) stores in the caller's thread, with no pool.

    Leaving the block waits for every put still in flight (those not begun are cancelled if
    the block failed): no put outlives the ingest that asked for it. A put whose rows never
    commit (the database refused them, the process was killed) leaves an orphan, which
    `storage_check` reconciles; a row never commits before its object is stored.
    """

    def __init__(self, *, ahead: bool = True) -> None:
        self._bucket = _s3() if ahead else None
        self._pool: ThreadPoolExecutor | None = None
        self._puts: dict[str, Future[bool]] = {}

    def __enter__(self) -> OriginalPuts:
        return self

    def __exit__(self, kind: object, error: object, traceback: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=error is not None)

    def start(self, data: bytes, sha256: str) -> None:
        """Begin storing `data` (on S3; locally nothing happens until `stored`)."""
        if self._bucket is None or sha256 in self._puts:
            return
        if self._pool is None:
            self._pool = ThreadPoolExecutor(
                max_workers=_S3_CONCURRENCY, thread_name_prefix="kaynak-put"
            )
        self._puts[sha256] = self._pool.submit(self._bucket.put_original, data, sha256)

    def stored(self, items: list[tuple[bytes, str]]) -> list[StoredFile]:
        """Each (data, sha256) stored, in order: waits for the puts started, starts the rest.
        A failed put raises here, before any row refers to its object."""
        if self._bucket is None:  # local, or not ahead: `store_original` picks the backend
            return [store_original(data, sha256) for data, sha256 in items]
        if len(items) == 1 and items[0][1] not in self._puts:
            return [store_original(*items[0])]  # nothing to overlap it with
        for data, sha256 in items:
            self.start(data, sha256)
        return [
            StoredFile(PurePath(original_name(sha256)), self._puts[sha256].result())
            for _data, sha256 in items
        ]


def make_durable(stored: list[StoredFile]) -> None:
    """Flush stored files to disk before the rows that refer to them commit. A file found
    already there is synced too: the request that linked it may not have synced it yet. A
    few files are synced one by one (with their folders); a batch is flushed with a single
    sync(), far cheaper than one fsync per file. An S3 object is durable once its put returns."""
    if _s3() is not None:
        return
    if len(stored) > 4:
        os.sync()
        return
    for item in stored:
        for target in (item.path, item.path.parent):
            descriptor = os.open(target, os.O_RDONLY)
            try:
                os.fsync(descriptor)
            finally:
                os.close(descriptor)


def open_original(sha256: str) -> BinaryIO:
    """The stored bytes, for streaming; FileNotFoundError if they are missing."""
    if (bucket := _s3()) is not None:
        return bucket.open(original_name(sha256))
    return original_path(sha256).open("rb")


def open_derivative(sha256: str, kind: str) -> BinaryIO:
    if (bucket := _s3()) is not None:
        return bucket.open(derivative_name(sha256, kind))
    return derivative_path(sha256, kind).open("rb")


def original_exists(sha256: str) -> bool:
    if (bucket := _s3()) is not None:
        return bucket.size(original_name(sha256)) is not None
    return original_path(sha256).is_file()


def original_size(sha256: str) -> int | None:
    """Size in bytes of the stored original; None if it is missing."""
    if (bucket := _s3()) is not None:
        return bucket.size(original_name(sha256))
    try:
        return original_path(sha256).stat().st_size
    except FileNotFoundError:
        return None


def original_download_url(sha256: str, *, filename: str, content_type: str) -> str | None:
    """A short-lived presigned URL of the original, when the bucket is configured to serve
    downloads itself (KAYNAK_S3_PRESIGNED_SECONDS); None: stream it through the app. The
    caller checks permission first: anyone holding the URL can fetch it until it expires."""
    bucket = _s3()
    if bucket is None or not settings.KAYNAK_S3_PRESIGNED_SECONDS:
        return None
    return bucket.presigned_url(
        original_name(sha256),
        filename=filename,
        content_type=content_type,
        expires=settings.KAYNAK_S3_PRESIGNED_SECONDS,
    )


def make_derivatives(
    sha256: str,
    sizes: dict[str, int],
    render: Callable[[Path, dict[Path, int]], dict[Path, T]],
) -> dict[str, T]:
    """Render the stored original `sha256` with `render(original, {target: size})` into the
    derivative of each kind in `sizes`; returns what `render` said of each, by kind. Locally
    `render` reads and writes in place; on S3 it works on a temporary copy whose results are
    then put into the bucket (a derivative may be replaced: it is remade at will)."""
    if (bucket := _s3()) is None:
        targets = {derivative_path(sha256, kind): size for kind, size in sizes.items()}
        made = render(original_path(sha256), targets)
        return {kind: made[derivative_path(sha256, kind)] for kind in sizes}
    with tempfile.TemporaryDirectory(prefix="kaynak-derivatives-") as folder:
        original = Path(folder) / sha256
        with bucket.open(original_name(sha256)) as source, original.open("wb") as copy:
            shutil.copyfileobj(source, copy, _CHUNK)
        targets = {Path(folder) / f"{sha256}.{kind}.jpg": size for kind, size in sizes.items()}
        made = render(original, targets)
        results = {}
        for kind in sizes:
            target = Path(folder) / f"{sha256}.{kind}.jpg"
            bucket.put(derivative_name(sha256, kind), target.read_bytes(), overwrite=True)
            results[kind] = made[target]
        return results


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


def local_names() -> Iterator[str]:
    """Names of the files under originals/ and derivatives/ (not those being written or
    removed), for `storage_migrate`; the local counterpart of a bucket's listing."""
    root = Path(settings.KAYNAK_DATA_DIR)
    for top in ("originals", "derivatives"):
        for path in sorted((root / top).glob("*/*")):
            if path.is_file() and not path.name.startswith((INCOMING_PREFIX, REMOVING_PREFIX)):
                yield str(path.relative_to(root))


def local_open(name: str) -> BinaryIO:
    return (Path(settings.KAYNAK_DATA_DIR) / name).open("rb")


def local_put(name: str, data: bytes) -> None:
    """Write `data` as the local file `name`, synced, under a temporary name first. An
    original already there is kept (it is never rewritten); a derivative is replaced."""
    path = Path(settings.KAYNAK_DATA_DIR) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f"{INCOMING_PREFIX}{os.getpid()}-{threading.get_ident()}-x")
    try:
        with temporary.open("wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if name.startswith("originals/"):
            with contextlib.suppress(FileExistsError):
                os.link(temporary, path)
        else:
            os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


class StoredKind(StrEnum):
    ORIGINAL = "original"  # originals/ab/<sha256>: a document's or a facsimile's bytes
    DERIVATIVE = "derivative"  # derivatives/ab/<sha256>.<kind>.jpg
    TEMPORARY = "temporary"  # .incoming-*: being written now, or left by a crash
    FOREIGN = "foreign"  # a name Kaynak never writes: reported, never removed


@dataclass(frozen=True)
class StoredEntry:
    """One file of the data folder's stored trees (or one object of the bucket), as
    `stored_entries` finds it."""

    path: PurePath  # a local file, or (S3) the object's name
    kind: StoredKind
    sha256: str | None  # the original it holds or was rendered from; None for the rest
    modified: float  # st_mtime


def stored_entries() -> Iterator[list[StoredEntry]]:
    """Every file under originals/ and derivatives/, a fan-out folder at a time (so a caller
    can look each batch up in the database at once). A removal that a crash interrupted is
    undone first, so a file moved aside is back at its content address. On S3, a page of
    the bucket's listing at a time."""
    if (bucket := _s3()) is not None:
        for page in bucket.list_pages():
            yield [
                StoredEntry(PurePath(name), *classify_name(name), modified)
                for name, modified in page
            ]
        return
    for root, kind in ((originals_dir(), StoredKind.ORIGINAL), (derivatives_dir(), None)):
        if not root.is_dir():
            continue
        for folder in sorted(path for path in root.iterdir() if path.is_dir()):
            paths = {
                _restore(path) if path.name.startswith(REMOVING_PREFIX) else path
                for path in folder.iterdir()
            }
            entries = []
            for path in sorted(paths):
                try:
                    modified = path.stat().st_mtime
                except FileNotFoundError:
                    continue  # removed or renamed meanwhile
                entries.append(StoredEntry(path, *_classify(path.name, kind), modified))
            yield entries


def classify_name(name: str) -> tuple[StoredKind, str | None]:
    """What the stored name "originals/ab/<sha256>" (or a derivative's) holds."""
    parts = name.split("/")
    if len(parts) != 3 or parts[0] not in ("originals", "derivatives"):
        return StoredKind.FOREIGN, None
    return _classify(parts[2], StoredKind.ORIGINAL if parts[0] == "originals" else None)


def _classify(name: str, kind: StoredKind | None) -> tuple[StoredKind, str | None]:
    if name.startswith(INCOMING_PREFIX):
        return StoredKind.TEMPORARY, None
    if kind is StoredKind.ORIGINAL and _SHA256.fullmatch(name):
        return StoredKind.ORIGINAL, name
    if kind is None and (match := _DERIVATIVE.fullmatch(name)):
        return StoredKind.DERIVATIVE, match["sha256"]
    return StoredKind.FOREIGN, None


def _restore(moved: Path) -> Path:
    """Put a file moved aside for removal back at its own name (the part after the pid and
    thread id); if the name is taken meanwhile, the copy moved aside is redundant."""
    name = moved.name.split("-", 3)[-1]
    path = moved.with_name(name)
    try:
        os.link(moved, path)
    except FileExistsError:
        pass
    except FileNotFoundError:
        return path  # restored or removed by the removal itself meanwhile
    moved.unlink(missing_ok=True)
    return path


def remove_orphan(entry: StoredEntry, *, older_than: float, referenced: Callable[[], bool]) -> bool:
    """Remove `entry` if it was last modified before `older_than` (a timestamp) and
    `referenced()`, asked after it has left its content address, says no row refers to it.

    The file is first renamed aside, so from then on a request storing the same bytes finds
    the address empty and links a fresh copy (see `store_original`); a request that found
    the file just before refreshed its mtime, which the check below sees. Only then are the
    database and the mtime checked again: the decision cannot be overtaken by a request
    that saw the file. Returns True if the file was removed. On S3, see
    `S3Store.remove_orphan`.
    """
    if entry.kind is StoredKind.FOREIGN or entry.modified >= older_than:
        return False
    if (bucket := _s3()) is not None:
        return bucket.remove_orphan(str(entry.path), older_than=older_than, referenced=referenced)
    path = Path(entry.path)  # local storage: a file in the data folder
    if entry.kind is StoredKind.TEMPORARY:
        # No row ever names a temporary, and one this old was left by a crashed writer.
        try:
            if path.stat().st_mtime >= older_than:
                return False
            path.unlink()
        except FileNotFoundError:
            return False
        return True
    aside = path.with_name(f"{REMOVING_PREFIX}{os.getpid()}-{threading.get_ident()}-{path.name}")
    try:
        os.rename(path, aside)
        if aside.stat().st_mtime < older_than and not referenced():
            aside.unlink()
            return True
    except FileNotFoundError:
        return False  # gone already, or put back by another collector's scan
    _restore(aside)
    return False
