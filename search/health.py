"""The search index's part of `GET /healthz` (registered in SearchConfig.ready())."""

from __future__ import annotations

from typing import Any

from search.index import shared_searcher


def check_search_index() -> dict[str, Any]:
    """Open the live index (through the searcher this thread keeps open, so a healthy index
    costs no file reads) and count its documents; a damaged or missing-on-disk index raises."""
    with shared_searcher() as searcher:
        return {"documents": searcher.doc_count()}
