"""What a search backend does, and the one chosen by `settings.KAYNAK_SEARCH_BACKEND`.

Two backends implement `SearchBackend`: Whoosh (`search.backends.whoosh`: files on one machine,
the default) and PostgreSQL full-text search (`search.backends.postgres`: tables in the
database every app server shares). Everything outside `search/` goes through `search.engine`,
which asks `backend()` for the chosen one; index writes reach it only through the durable
index task (`search.index.update_search_index`), whichever it is.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from django.conf import settings
from django.utils.module_loading import import_string

if TYPE_CHECKING:
    from archive.models import Document
    from kaynak.users import Requester
    from search.index import IndexCheck
    from search.searching import SearchFilters, SearchResults

# Imported by dotted path when first chosen: a backend's module may import the index module
# that uses this registry.
BACKENDS = {
    "whoosh": "search.backends.whoosh.WhooshBackend",
    "postgres": "search.backends.postgres.PostgresBackend",
}


@dataclass(frozen=True)
class RebuildReport:
    documents: int
    # Where the new index is, for the operator: a Whoosh generation's folder, a table.
    location: str


class SearchBackend(Protocol):
    """A search index kept in step with the database by the index task."""

    name: str

    def index_documents(self, ids: Iterable[int]) -> None:
        """Bring these documents' entries up to date with the database as it is now (removing
        those no longer indexable)."""

    def remove_documents(self, ids: Iterable[int]) -> None: ...

    def indexed_ids(self, ids: Iterable[int]) -> set[int]:
        """Those of these documents that have an entry."""
        ...

    def search(
        self,
        query: str,
        *,
        user: Requester,
        filters: SearchFilters | None = None,
        sort: str = "relevance",
        page: int = 1,
        page_size: int = 20,
    ) -> SearchResults: ...

    def similar_documents(
        self,
        document: Document,
        *,
        user: Requester,
        limit: int = 10,
        min_similarity: float | None = None,
    ) -> list[tuple[int, float]]: ...

    def rebuild(
        self, *, batch_size: int = 500, progress: Callable[[int], None] | None = None
    ) -> RebuildReport: ...

    def check(self, *, repair: bool = False, batch_size: int = 500) -> IndexCheck: ...

    def repaired_at(self) -> datetime | None:
        """When the last repair or rebuild started (index tasks that failed for good before
        then were made good by it)."""
        ...

    def health(self) -> dict[str, Any]:
        """For `GET /healthz`: raises if the index cannot be read."""
        ...


_instances: dict[str, SearchBackend] = {}


def backend(name: str | None = None) -> SearchBackend:
    """The backend `settings.KAYNAK_SEARCH_BACKEND` names (or `name`), one instance each."""
    name = name or settings.KAYNAK_SEARCH_BACKEND
    if name not in _instances:
        if name not in BACKENDS:
            raise ValueError(f"unknown search backend {name!r}; use one of {', '.join(BACKENDS)}")
        _instances[name] = import_string(BACKENDS[name])()
    return _instances[name]
