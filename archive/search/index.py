"""The index on disk: generations, opening, writing, rebuilding and checking.

Layout under KAYNAK_DATA_DIR/index/:
    gen-<stamp>/   one complete Whoosh index per generation
    current        symlink to the live generation (swapped atomically by a rebuild)
    rebuilding     while a rebuild runs: the name of the generation being built, so that
                   writes made meanwhile reach it too

Writers read the documents from the database after taking the index's lock, so whichever
writer commits last wrote the newest committed state: concurrent processes cannot leave an
older version behind.
"""

from __future__ import annotations

import atexit
import fcntl
import logging
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import close_old_connections, connections, transaction
from whoosh import index as whoosh_index
from whoosh.index import Index, LockError
from whoosh.searching import Searcher
from whoosh.writing import IndexWriter

from archive.search.documents import documents_for_index, indexable_document_ids
from archive.search.schema import build_schema, document_fields
from kaynak.errors import KaynakError

logger = logging.getLogger(__name__)

REBUILD_COMMAND = "manage.py search_index rebuild"
# How long a writer waits for another process's writer to finish.
LOCK_TIMEOUT_SECONDS = 120.0


class SearchIndexUnavailable(KaynakError):
    """The index cannot be opened or written; the message says how to recover."""

    code = "search_unavailable"
    status_code = 503


def index_root() -> Path:
    return Path(settings.KAYNAK_DATA_DIR) / "index"


@contextmanager
def _root_lock() -> Iterator[None]:
    """Serialise creating and swapping generations between processes."""
    root = index_root()
    root.mkdir(parents=True, exist_ok=True)
    with (root / ".lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _new_generation() -> Path:
    path = index_root() / f"gen-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}-{time.time_ns()}"
    path.mkdir(parents=True)
    whoosh_index.create_in(str(path), build_schema())
    return path


def _point_current_at(generation: Path) -> None:
    link = index_root() / "current"
    temporary = index_root() / f".current-{os.getpid()}"
    temporary.unlink(missing_ok=True)
    temporary.symlink_to(generation.name)
    os.replace(temporary, link)  # atomic: readers see the old or the new generation


def live_generation() -> Path:
    """The live generation's folder; an empty index is created if there is none."""
    link = index_root() / "current"
    if not link.exists():
        with _root_lock():
            if not link.exists():
                _point_current_at(_new_generation())
    return link.resolve()


def _open(path: Path) -> Index:
    try:
        return whoosh_index.open_dir(str(path))
    except Exception as error:
        raise SearchIndexUnavailable(
            f"the search index at {path} cannot be opened ({type(error).__name__}: {error}); "
            f"rebuild it with `{REBUILD_COMMAND}`"
        ) from error


def open_index() -> Index:
    """The live index, created empty if missing; SearchIndexUnavailable if it is damaged."""
    return _open(live_generation())


_searchers = threading.local()


@contextmanager
def shared_searcher() -> Iterator[Searcher]:
    """A searcher on the live index, kept open between requests of this thread (opening one
    costs tens of milliseconds) and refreshed when the index has changed or been rebuilt."""
    generation = live_generation()
    cached = getattr(_searchers, "entry", None)
    if cached is not None and cached[0] == generation and cached[1].up_to_date():
        yield cached[1]
        return
    if cached is not None:
        _searchers.entry = None
        cached[1].close()
    searcher = _open(generation).searcher()
    _searchers.entry = (generation, searcher)
    yield searcher


def _rebuilding_generation() -> Path | None:
    marker = index_root() / "rebuilding"
    try:
        name = marker.read_text().strip()
    except FileNotFoundError:
        return None
    return index_root() / name


def _write_targets() -> list[Path]:
    targets = [live_generation()]
    rebuilding = _rebuilding_generation()
    if rebuilding and rebuilding.exists() and rebuilding != targets[0]:
        targets.append(rebuilding)
    return targets


@contextmanager
def index_writer(index: Index) -> Iterator[IndexWriter]:
    """A writer that commits on success and cancels on any error, releasing the lock.

    One process, one writer per batch: Whoosh's multi-process writer merges its
    sub-segments in the parent at every commit, which measured slower here.
    """
    try:
        writer = index.writer(timeout=LOCK_TIMEOUT_SECONDS)
    except LockError as error:
        raise SearchIndexUnavailable(
            f"the search index stayed locked by another writer for {LOCK_TIMEOUT_SECONDS:.0f} s"
        ) from error
    try:
        yield writer
    except BaseException:
        writer.cancel()
        raise
    writer.commit()


def _write(path: Path, ids: list[int]) -> None:
    with index_writer(_open(path)) as writer:
        # Read under the lock: see the module docstring.
        indexed = set()
        for document, terms in documents_for_index(ids):
            writer.update_document(**document_fields(document, terms))
            indexed.add(document.pk)
        for missing in set(ids) - indexed:
            writer.delete_by_term("id", str(missing))


def index_documents(ids: Iterable[int]) -> None:
    """Bring the entries of these documents up to date (removing those no longer indexable)."""
    ids = sorted(set(ids))
    if ids:
        for path in _write_targets():
            _write(path, ids)


def remove_documents(ids: Iterable[int]) -> None:
    ids = sorted(set(ids))
    if not ids:
        return
    for path in _write_targets():
        with index_writer(_open(path)) as writer:
            for document_id in ids:
                writer.delete_by_term("id", str(document_id))


def _update_logged(ids: list[int]) -> None:
    try:
        index_documents(ids)
    except Exception:
        # The database change stands; the index now lags behind it until repaired.
        logger.exception(
            "search index update failed for documents %s; run `manage.py search_index check "
            "--repair`",
            ids[:20],
        )


class _BackgroundIndexer:
    """One thread per process that applies committed changes to the index, so a request or a
    bulk batch does not wait for Whoosh (re-indexing one long document takes a fifth of a
    second or more). Pending ids are merged: ten changes to a document while the thread is
    busy cost one update."""

    def __init__(self) -> None:
        self._pending: set[int] = set()
        self._busy = False
        self._changed = threading.Condition()
        self._thread: threading.Thread | None = None

    def submit(self, ids: list[int]) -> None:
        with self._changed:
            self._pending.update(ids)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="kaynak-search-indexer", daemon=True
                )
                self._thread.start()
            self._changed.notify_all()

    def _run(self) -> None:
        while True:
            with self._changed:
                while not self._pending:
                    self._changed.wait()
                ids, self._pending, self._busy = sorted(self._pending), set(), True
            try:
                close_old_connections()
                _update_logged(ids)
            finally:
                connections.close_all()  # this thread's own connections
                with self._changed:
                    self._busy = False
                    self._changed.notify_all()

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every submitted change is in the index; False if `timeout` ran out."""
        with self._changed:
            return self._changed.wait_for(lambda: not self._pending and not self._busy, timeout)


_indexer = _BackgroundIndexer()
atexit.register(_indexer.flush, timeout=300)


def flush_index_updates(timeout: float | None = None) -> bool:
    """Wait for the background indexer (commands call this before reporting)."""
    return _indexer.flush(timeout)


def _apply(ids: list[int]) -> None:
    if settings.KAYNAK_INDEX_IN_BACKGROUND:
        _indexer.submit(ids)
    else:
        _update_logged(ids)


def schedule_index_update(ids: Iterable[int]) -> None:
    """After the current transaction commits, update these documents' index entries (which
    removes those no longer indexable). Nothing happens if it rolls back. The one way writes
    reach the index."""
    ids = sorted(set(ids))
    if ids:
        transaction.on_commit(lambda: _apply(ids))


# --- Rebuild and check -----------------------------------------------------------------------


def _chunks(items: list[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


@dataclass(frozen=True)
class Rebuild:
    generation: Path
    documents: int


def rebuild_index(
    *, batch_size: int = 500, progress: Callable[[int], None] | None = None
) -> Rebuild:
    """Build a new generation beside the live one, then swap it in. Searches keep using the
    live index meanwhile, and writes made during the rebuild reach both."""
    marker = index_root() / "rebuilding"
    with _root_lock():
        if _rebuilding_generation():
            raise KaynakError(
                f"a rebuild is already running (or died): remove {marker} if none is",
                code="rebuild_running",
            )
        generation = _new_generation()
        marker.write_text(generation.name)
    try:
        # Listed after the marker exists: later documents reach the new generation by
        # their own index updates.
        ids = list(indexable_document_ids())
        for batch in _chunks(ids, batch_size):
            _write(generation, batch)
            if progress:
                progress(len(batch))
        with _root_lock():
            previous = live_generation()
            _point_current_at(generation)
            marker.unlink()
        _remove_old_generations(keep={generation, previous})
    except BaseException:
        with _root_lock():
            marker.unlink(missing_ok=True)
        raise
    return Rebuild(generation=generation, documents=len(ids))


def _remove_old_generations(*, keep: set[Path]) -> None:
    """Keep the live and the previous generation (a searcher may still be reading it)."""
    for path in index_root().glob("gen-*"):
        if path not in keep and path.is_dir():
            shutil.rmtree(path, ignore_errors=True)


@dataclass
class IndexCheck:
    missing: list[int] = field(default_factory=list)
    stale: list[int] = field(default_factory=list)
    orphaned: list[int] = field(default_factory=list)

    @property
    def drifted(self) -> bool:
        return bool(self.missing or self.stale or self.orphaned)


def check_index(*, repair: bool = False, batch_size: int = 500) -> IndexCheck:
    """Compare the index with the database: documents missing from it, entries that differ
    from what the database says now, and entries for documents that are gone."""
    with open_index().searcher() as searcher:
        entries = {
            int(stored["id"]): stored.get("fingerprint") for stored in searcher.all_stored_fields()
        }
    result = IndexCheck()
    ids = list(indexable_document_ids())
    for batch in _chunks(ids, batch_size):
        for document, terms in documents_for_index(batch):
            expected = document_fields(document, terms)["fingerprint"]
            if document.pk not in entries:
                result.missing.append(document.pk)
            elif entries[document.pk] != expected:
                result.stale.append(document.pk)
    result.orphaned = sorted(set(entries) - set(ids))
    if repair and result.drifted:
        index_documents(result.missing + result.stale)
        remove_documents(result.orphaned)
    return result
