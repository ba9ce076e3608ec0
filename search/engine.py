"""Full-text search. The only code in Kaynak that imports Whoosh: everything else calls the
functions exported here."""

from search.index import (
    IndexCheck,
    IndexTasks,
    SearchIndexUnavailable,
    check_index,
    index_documents,
    index_tasks,
    open_index,
    pending_document_ids,
    rebuild_index,
    remove_documents,
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
    search,
    similar_documents,
)

__all__ = [
    "MAX_PAGE_SIZE",
    "SORTS",
    "AnnotationTerms",
    "IndexCheck",
    "IndexTasks",
    "SearchFilters",
    "SearchHit",
    "SearchIndexUnavailable",
    "SearchQueryError",
    "SearchResults",
    "SourceTerm",
    "TagTerm",
    "check_index",
    "document_fields",
    "index_documents",
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
