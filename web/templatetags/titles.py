"""Titles as lists show them: a headline received in capitals in title case."""

from __future__ import annotations

from typing import Any

from django import template

from archive.text import title_for_lists

register = template.Library()


@register.filter
def listed_title(document: Any) -> str:
    """`document.title` for a list of documents (the stored title is unchanged)."""
    return title_for_lists(document.title, getattr(document, "language", "und") or "und")
