"""Full-text search. The only code in Kaynak that imports Whoosh: everything else calls the
functions exported here."""

from archive.search.index import (
    IndexCheck,
    SearchIndexUnavailable,
    check_index,
    flush_index_updates,
    index_documents,
    open_index,
    rebuild_index,
    remove_documents,
    schedule_index_update,
    shared_searcher,
)
from archive.search.query import SearchQueryError
from archive.search.schema import AnnotationTerms, SourceTerm, TagTerm, document_fields
from archive.search.searching import (
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
    "SearchFilters",
    "SearchHit",
    "SearchIndexUnavailable",
    "SearchQueryError",
    "SearchResults",
    "SourceTerm",
    "TagTerm",
    "check_index",
    "document_fields",
    "flush_index_updates",
    "index_documents",
    "open_index",
    "rebuild_index",
    "remove_documents",
    "schedule_index_update",
    "search",
    "shared_searcher",
    "similar_documents",
]
