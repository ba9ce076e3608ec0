"""System checks for the search configuration."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks
from django.db import connection


def check_search_backend(**kwargs: Any) -> list[checks.CheckMessage]:
    """The postgres backend keeps its index in PostgreSQL tables: it needs PostgreSQL."""
    if settings.KAYNAK_SEARCH_BACKEND == "postgres" and connection.vendor != "postgresql":
        return [
            checks.Error(
                "KAYNAK_SEARCH_BACKEND is 'postgres' but the database is "
                f"{connection.vendor!r}: PostgreSQL full-text search needs a PostgreSQL "
                "DATABASE_URL.",
                hint="Set DATABASE_URL=postgres://… or KAYNAK_SEARCH_BACKEND=whoosh.",
                id="search.E001",
            )
        ]
    return []
