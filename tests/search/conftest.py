from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pytest
from django.conf import settings
from whoosh import index
from whoosh.fields import Schema

from kaynak.tasks import DBTaskResult, TaskResultStatus
from search.engine import open_index
from search.index import live_generation, update_search_index
from search.models import SearchEntry, SearchTerm
from tests.conftest import search_backends

# PostgreSQL's own ranking is compared only where PostgreSQL runs: on a SQLite run it is not a
# case at all (as the postgres search cases are not), rather than a skipped one.
collect_ignore = [] if "postgres" in search_backends() else ["test_postgres_backend.py"]


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run a block's after-commit callbacks and queued tasks (index updates) as a real commit
    and the worker would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def queued_index_updates() -> list[list[int]]:
    """The documents of each index task waiting in the queue (retries included)."""
    return [
        result.args_kwargs["args"][0]
        for result in DBTaskResult.objects.filter(
            task_path=update_search_index.module_path, status=TaskResultStatus.READY
        ).order_by("enqueued_at")
    ]


def index_entries() -> dict[int, dict]:
    """What the live index of the backend in use holds: stored fields (the fingerprint at
    least) by document id."""
    if settings.KAYNAK_SEARCH_BACKEND == "postgres":
        return {
            pk: {"id": str(pk), "fingerprint": fingerprint}
            for pk, fingerprint in SearchEntry.objects.values_list("document_id", "fingerprint")
        }
    with open_index().searcher() as searcher:
        return {int(fields["id"]): fields for fields in searcher.all_stored_fields()}


def index_entry_count() -> int:
    """How many entries the live index of the backend in use holds (duplicates counted)."""
    if settings.KAYNAK_SEARCH_BACKEND == "postgres":
        return SearchEntry.objects.count()
    with open_index().searcher() as searcher:
        return int(searcher.doc_count())


def add_orphan_entry(pk: int) -> None:
    """An entry for a document the database does not have (as a damaged restore leaves)."""
    if settings.KAYNAK_SEARCH_BACKEND == "postgres":
        SearchEntry.objects.create(document_id=pk, fingerprint="orphan", vector="")
        return
    with open_index().writer() as writer:
        writer.add_document(id=str(pk), title="orphan")


def index_holds_term(field: str, word: str) -> bool:
    """Whether the backend in use's index has `word` in `field` (whatever searches say)."""
    if settings.KAYNAK_SEARCH_BACKEND == "postgres":
        return SearchTerm.objects.filter(field=field, term=word, documents__gt=0).exists()
    with open_index().searcher() as searcher:
        return word in {term.decode() for term in searcher.lexicon(field)}


def body(*sentences: str) -> str:
    return "\n\n".join(sentences)


def damage_index() -> Path:
    """Overwrite the live index's table of contents with garbage."""
    generation = live_generation()
    for path in generation.iterdir():
        if path.name.endswith(".toc"):
            path.write_bytes(b"not an index table of contents")
    return generation


def index_of_segments(
    folder: Path, schema: Schema, segments: list[list[dict]], deleted: Iterable[str] = ()
) -> index.Index:
    """A bare Whoosh index in `folder` with a segment for each list of documents (none merged),
    then the documents with the `deleted` ids deleted, the segments kept."""
    ix = index.create_in(str(folder), schema)
    for documents in segments:
        writer = ix.writer()
        for fields in documents:
            writer.add_document(**fields)
        writer.commit(merge=False)
    writer = ix.writer()
    for document_id in deleted:
        writer.delete_by_term("id", document_id)
    writer.commit(merge=False)
    return ix
