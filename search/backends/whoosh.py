"""The Whoosh backend: the index in files under KAYNAK_DATA_DIR/index (`search.index`),
searched by `search.searching`. This class only gives those functions the backend's shape."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from archive.models import Document
from kaynak.users import Requester
from search import index, searching
from search.backends import RebuildReport


class WhooshBackend:
    name = "whoosh"

    def index_documents(self, ids: Iterable[int]) -> None:
        index.index_documents(ids)

    def remove_documents(self, ids: Iterable[int]) -> None:
        index.remove_documents(ids)

    def indexed_ids(self, ids: Iterable[int]) -> set[int]:
        with index.shared_searcher() as searcher:
            return {pk for pk in ids if searcher.document_number(id=str(pk)) is not None}

    def search(
        self,
        query: str,
        *,
        user: Requester,
        filters: searching.SearchFilters | None = None,
        sort: str = "relevance",
        page: int = 1,
        page_size: int = 20,
    ) -> searching.SearchResults:
        return searching.search(
            query, user=user, filters=filters, sort=sort, page=page, page_size=page_size
        )

    def similar_documents(
        self,
        document: Document,
        *,
        user: Requester,
        limit: int = 10,
        min_similarity: float | None = None,
    ) -> list[tuple[int, float]]:
        return searching.similar_documents(
            document, user=user, limit=limit, min_similarity=min_similarity
        )

    def rebuild(
        self, *, batch_size: int = 500, progress: Callable[[int], None] | None = None
    ) -> RebuildReport:
        # A fresh archive has no live index yet, and rebuild_index asks for it while holding
        # the root lock (a second flock on the same file waits for ever): made first.
        index.live_generation()
        done = index.rebuild_index(batch_size=batch_size, progress=progress)
        return RebuildReport(documents=done.documents, location=done.generation.name)

    def check(self, *, repair: bool = False, batch_size: int = 500) -> index.IndexCheck:
        return index.check_index(repair=repair, batch_size=batch_size)

    def repaired_at(self) -> datetime | None:
        return index.repaired_at()

    def health(self) -> dict[str, Any]:
        # Through the searcher this thread keeps open, so a healthy index costs no file reads;
        # a damaged or missing-on-disk index raises.
        with index.shared_searcher() as searcher:
            return {"backend": self.name, "documents": searcher.doc_count()}
