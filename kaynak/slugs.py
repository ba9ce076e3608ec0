from __future__ import annotations

from django.db.models import QuerySet
from django.utils.text import slugify

from archive.text import fold


def unique_slug(name: str, existing: QuerySet, *, fallback: str, max_length: int = 100) -> str:
    """A slug of `name` (Turkish letters folded: `Günlük Ayna` → `gunluk-ayna`) that no row of
    `existing` has, numbered `-2`, `-3`… when taken. The unique constraint still decides."""
    base = slugify(fold(name))[:max_length].strip("-") or fallback
    slug, number = base, 2
    while existing.filter(slug=slug).exists():
        slug, number = f"{base}-{number}", number + 1
    return slug
