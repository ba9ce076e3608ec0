"""The search index's part of `GET /healthz` (registered in SearchConfig.ready())."""

from __future__ import annotations

from typing import Any

from search.backends import backend


def check_search_index() -> dict[str, Any]:
    """The backend in use and its document count; an index that cannot be read raises."""
    return backend().health()
