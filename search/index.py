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

import fcntl
import logging
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from whoosh import index as whoosh_index
from whoosh.filedb.filestore import FileStorage, RamStorage
from whoosh.index import Index, LockError
from whoosh.reading import MultiReader
from whoosh.searching import Searcher
from whoosh.writing import IndexWriter

from annotations.models import Annotation
from kaynak.errors import KaynakError
from kaynak.tasks import DBTaskResult, TaskResultStatus, retried_task
from search.backends import backend
from search.documents import documents_for_index, indexable_document_ids
from search.schema import build_schema, document_fields

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


# How many documents with a queued index update a search reads afresh from the database.
FRESH_LIMIT = 200


@dataclass(frozen=True)
class InStepSearcher:
    """A searcher whose hits agree with the database: `mask` (docnums of entries that may be
    stale) goes to every `search(..., mask=...)`."""

    searcher: Searcher
    mask: frozenset[int]


@contextmanager
def searcher_in_step() -> Iterator[InStepSearcher]:
    """The live index, with the documents whose index update is still queued (or failed)
    taken from the database as it is now.

    Why: a change commits before the worker applies it, and in between the index may still
    hold what the database has taken back: tags of an annotation just made private, a title
    corrected for a reason. Those documents' entries are masked out of every search, and the
    documents are indexed afresh into a small index in memory that is searched together with
    the live one, so hits, scores, sorting and facets come out of one searcher as usual.
    Filtering only annotation terms by what the database says is public would cover privacy
    and nothing else; this covers every field and costs one query when the queue is empty.
    Past FRESH_LIMIT such documents (a bulk load) the rest are masked but not read afresh:
    they are missing from results until the worker reaches them, never shown stale.
    """
    pending = pending_document_ids()
    with shared_searcher() as searcher:
        if not pending:
            yield InStepSearcher(searcher, frozenset())
            return
        stale = {pk: searcher.document_number(id=str(pk)) for pk in pending}
        mask = frozenset(docnum for docnum in stale.values() if docnum is not None)
        # Those already in the index first: unread, they would vanish from results.
        fresh_ids = sorted(pending, key=lambda pk: (stale[pk] is None, pk))[:FRESH_LIMIT]
        storage = FreshIndexStorage()
        try:
            fresh = storage.create_index(build_schema())
            with index_writer(fresh) as writer:
                for document, terms in documents_for_index(fresh_ids):
                    writer.add_document(**document_fields(document, terms))
        finally:
            storage.remove_temporary_files()
        fresh_reader = fresh.reader()
        # The live index's segments first, so their document numbers (the mask) stay valid;
        # an empty index's reader has no columns to sort or count by, and no documents.
        leaves = [
            reader for reader, _ in searcher.reader().leaf_readers() if reader.doc_count_all()
        ]
        combined = Searcher(
            MultiReader([*leaves, fresh_reader]) if leaves else fresh_reader, closereader=False
        )
        try:
            yield InStepSearcher(combined, mask)
        finally:
            fresh_reader.close()


class FreshIndexStorage(RamStorage):
    """An index in memory whose sort columns are staged in a temporary folder of its own.

    Whoosh's RamStorage stages them in a folder named after the index, `/tmp/MAIN.tmp`, shared
    by every thread and process on the machine, and empties that folder each time a writer
    starts: two searches reading pending documents afresh at once (gunicorn's threads, or two
    workers) deleted each other's files, and one of them answered 500."""

    def __init__(self) -> None:
        super().__init__()
        self._temporary: str | None = None

    def temp_storage(self, name: str | None = None) -> FileStorage:
        if self._temporary is None:
            self._temporary = tempfile.mkdtemp(prefix="kaynak-fresh-index-")
        # Not FileStorage.create(), which would empty the folder.
        return FileStorage(self._temporary)

    def remove_temporary_files(self) -> None:
        if self._temporary is not None:
            shutil.rmtree(self._temporary, ignore_errors=True)
            self._temporary = None


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


def _ids_in_index(writer: IndexWriter, ids: list[int]) -> set[int]:
    """Those of `ids` with an entry in the index (or one deleted but not yet merged away, which
    errs the safe way). One walk per segment over the `id` terms between the smallest and
    the largest of them, as text: a batch of new documents' ids takes milliseconds there,
    where asking each id of each segment, as `update_document` does, took about a millisecond
    a document at 44,500 documents in 11 segments."""
    wanted = {str(pk) for pk in ids}
    if not wanted:
        return set()
    low, high = min(wanted), max(wanted)
    found: set[int] = set()
    reader = writer.reader()
    try:
        for segment, _offset in reader.leaf_readers():
            for fieldname, term in segment.terms_from("id", low):
                text = term.decode() if isinstance(term, bytes) else term
                if fieldname != "id" or text > high:
                    break
                if text in wanted:
                    found.add(int(text))
    finally:
        reader.close()
    return found


def _write(path: Path, ids: list[int]) -> None:
    with index_writer(_open(path)) as writer:
        # Read under the lock: see the module docstring.
        in_index = _ids_in_index(writer, ids)
        indexed = set()
        for document, terms in documents_for_index(ids):
            fields = document_fields(document, terms)
            if document.pk in in_index:
                writer.update_document(**fields)  # deletes the entry it replaces
            else:
                writer.add_document(**fields)
            indexed.add(document.pk)
        for missing in (set(ids) - indexed) & in_index:
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


@retried_task
def update_search_index(ids: list[int]) -> None:
    """The index task: bring these documents' entries in step with the database as it is when
    the task runs (so running it twice, or late, is harmless). The one way writes reach the
    chosen backend's index, whichever it is."""
    backend().index_documents(ids)


def schedule_index_update(ids: Iterable[int]) -> None:
    """Queue an update of these documents' index entries (which removes those no longer
    indexable). The task row is written in the current transaction: it commits with the
    change, so a crash right after the commit cannot lose it, and it vanishes with a rollback.
    The one way writes reach the index; `manage.py db_worker` applies them."""
    ids = sorted(set(ids))
    if ids:
        update_search_index.enqueue(ids)


def schedule_reindex_if_missing(ids: list[int]) -> None:
    """Documents sent again (duplicates) should be searchable already; if an entry is missing
    (an index restored from an old backup, or updates lost before they were queued durably),
    sending the file again is the natural way to ask for it, so it is indexed again."""
    schedule_index_update(unindexed_documents(ids))


def schedule_annotation_update(ids: list[int]) -> None:
    """Annotations add their tags and source tags to their document's entry."""
    schedule_index_update(
        Annotation.objects.filter(pk__in=ids).values_list("document_id", flat=True)
    )


def repaired_at() -> datetime | None:
    """When the last repair or rebuild of the Whoosh index started: index tasks that failed
    for good before then were made good by it."""
    try:
        return datetime.fromisoformat((index_root() / "repaired").read_text().strip())
    except (FileNotFoundError, ValueError):
        return None


def _mark_repaired(started: datetime) -> None:
    path = index_root() / "repaired"
    temporary = path.with_name(f".repaired-{os.getpid()}")
    temporary.write_text(started.isoformat())
    os.replace(temporary, path)


@dataclass(frozen=True)
class IndexTasks:
    """Index tasks that have not (yet) brought the index in step with the database."""

    waiting: list[DBTaskResult]
    failed: list[DBTaskResult]

    def document_ids(self) -> set[int]:
        return {pk for result in self.waiting + self.failed for pk in result.args_kwargs["args"][0]}


def index_tasks() -> IndexTasks:
    """Index tasks waiting or running (a dead worker's included), and those that failed for
    the last time (retries exhausted) since the index was last repaired or rebuilt. An earlier
    attempt that failed is not counted: its retry is one of the others, or succeeded."""
    repaired = backend().repaired_at()
    failures = Q(status=TaskResultStatus.FAILED)
    if repaired is not None:
        failures &= Q(finished_at__gt=repaired)
    rows = DBTaskResult.objects.filter(
        Q(status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING]) | failures,
        task_path=update_search_index.module_path,
    ).order_by("enqueued_at")
    waiting, failed = [], []
    for result in rows:
        if result.status != TaskResultStatus.FAILED:
            waiting.append(result)
        elif result.args_kwargs["kwargs"].get("attempt", 1) >= settings.KAYNAK_TASK_ATTEMPTS:
            failed.append(result)
    return IndexTasks(waiting=waiting, failed=failed)


def unindexed_documents(ids: Iterable[int]) -> list[int]:
    """Those of these documents that have no entry in the live index."""
    ids = sorted(set(ids))
    if not ids:
        return []
    try:
        indexed = backend().indexed_ids(ids)
        return [pk for pk in ids if pk not in indexed]
    except SearchIndexUnavailable:
        return ids  # their update will wait (and retry) until the index is rebuilt


def pending_document_ids() -> set[int]:
    """Documents whose index entry may be behind the database. Searches read these from the
    database instead of trusting the index (`search.searching`)."""
    return index_tasks().document_ids()


# --- Rebuild and check -----------------------------------------------------------------------


def chunks(items: list[int], size: int) -> Iterator[list[int]]:
    """`items` in lists of at most `size`, in order (index writes and checks go by batches)."""
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
    started = timezone.now()
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
        for batch in chunks(ids, batch_size):
            _write(generation, batch)
            if progress:
                progress(len(batch))
        with _root_lock():
            # Not live_generation(): it takes this lock itself to make a missing index, and
            # a second flock of the same file from this process would wait for ever.
            link = index_root() / "current"
            previous = link.resolve() if link.exists() else generation
            _point_current_at(generation)
            marker.unlink()
            _mark_repaired(started)
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


def drift_from_database(entries: Mapping[int, str | None], *, batch_size: int) -> IndexCheck:
    """How an index's entries (document id → the fingerprint it holds) differ from what the
    database says now: documents missing, entries stale, entries of documents gone. Either
    backend's check reads its entries and asks this."""
    result = IndexCheck()
    ids = list(indexable_document_ids())
    for batch in chunks(ids, batch_size):
        for document, terms in documents_for_index(batch):
            expected = document_fields(document, terms)["fingerprint"]
            if document.pk not in entries:
                result.missing.append(document.pk)
            elif entries[document.pk] != expected:
                result.stale.append(document.pk)
    result.orphaned = sorted(set(entries) - set(ids))
    return result


def check_index(*, repair: bool = False, batch_size: int = 500) -> IndexCheck:
    """Compare the index with the database: documents missing from it, entries that differ
    from what the database says now, and entries for documents that are gone. A repair also
    settles index tasks that had failed for good (`index_tasks`)."""
    started = timezone.now()
    with open_index().searcher() as searcher:
        entries = {
            int(stored["id"]): stored.get("fingerprint") for stored in searcher.all_stored_fields()
        }
    result = drift_from_database(entries, batch_size=batch_size)
    if repair:
        if result.drifted:
            index_documents(result.missing + result.stale)
            remove_documents(result.orphaned)
        _mark_repaired(started)
    return result
