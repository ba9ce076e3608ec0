"""Full-text search: the one facade the rest of Kaynak calls. Each function here runs on the
backend `settings.KAYNAK_SEARCH_BACKEND` chooses (`search.backends`); only `search/` knows
Whoosh or PostgreSQL full-text search."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from archive.models import Document
from kaynak.users import Requester
from search.backends import RebuildReport, SearchBackend, backend
from search.index import (
    IndexCheck,
    IndexTasks,
    SearchIndexUnavailable,
    index_tasks,
    open_index,
    pending_document_ids,
    schedule_index_update,
    shared_searcher,
    unindexed_documents,
)
from search.query import SearchQueryError
from search.schema import AnnotationTerms, SourceTerm, TagTerm, document_fields
from search.searching import (
    MAX_PAGE_SIZE,
    SORTS,
    SearchFilters,
    SearchHit,
    SearchResults,
)


def index_documents(ids: Iterable[int]) -> None:
    """Bring these documents' entries up to date now. Writers outside `search/` call
    `schedule_index_update` instead, which queues the durable index task that calls this."""
    backend().index_documents(ids)


def remove_documents(ids: Iterable[int]) -> None:
    backend().remove_documents(ids)


def search(
    query: str,
    *,
    user: Requester,
    filters: SearchFilters | None = None,
    sort: str = "relevance",
    page: int = 1,
    page_size: int = 20,
) -> SearchResults:
    """Search the archive for `user` (see `search.searching.search` for what is refused)."""
    return backend().search(
        query, user=user, filters=filters, sort=sort, page=page, page_size=page_size
    )


def similar_documents(
    document: Document,
    *,
    user: Requester,
    limit: int = 10,
    min_similarity: float | None = None,
) -> list[tuple[int, float]]:
    """Other documents sharing `document`'s key terms, most similar first, with their
    similarity between 0 and 1 (see `search.searching.similar_documents`)."""
    return backend().similar_documents(
        document, user=user, limit=limit, min_similarity=min_similarity
    )


def rebuild_index(
    *, batch_size: int = 500, progress: Callable[[int], None] | None = None
) -> RebuildReport:
    return backend().rebuild(batch_size=batch_size, progress=progress)


def check_index(*, repair: bool = False, batch_size: int = 500) -> IndexCheck:
    return backend().check(repair=repair, batch_size=batch_size)


def index_health() -> dict[str, Any]:
    return backend().health()


__all__ = [
    "MAX_PAGE_SIZE",
    "SORTS",
    "AnnotationTerms",
    "IndexCheck",
    "IndexTasks",
    "RebuildReport",
    "SearchBackend",
    "SearchFilters",
    "SearchHit",
    "SearchIndexUnavailable",
    "SearchQueryError",
    "SearchResults",
    "SourceTerm",
    "TagTerm",
    "backend",
    "check_index",
    "document_fields",
    "index_documents",
    "index_health",
    "index_tasks",
    "open_index",
    "pending_document_ids",
    "rebuild_index",
    "remove_documents",
    "schedule_index_update",
    "search",
    "shared_searcher",
    "similar_documents",
    "unindexed_documents",
]
