"""Reads that join what the index found to the documents a user may see."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet

from archive.models import Document
from archive.selectors import documents_in_order
from kaynak.users import Requester
from search.engine import similar_documents
from search.models import SavedSearch, SavedSearchSeen


@dataclass(frozen=True)
class SimilarDocument:
    document: Document
    score: float


def similar_visible_documents(
    document: Document, *, user: Requester, limit: int = 10
) -> list[SimilarDocument]:
    """Documents sharing `document`'s key terms that `user` may see, most similar first, with
    their sources. The index holds no withdrawn documents, but its hits are still joined to
    `visible_documents`: a hit the user may not see (or one deleted since) is left out, so the
    API and the reader show the same list. Raises SearchIndexUnavailable like the engine."""
    scored = similar_documents(document, user=user, limit=limit)
    found = {item.pk: item for item in documents_in_order([pk for pk, _ in scored], user=user)}
    return [SimilarDocument(found[pk], score) for pk, score in scored if pk in found]


def visible_saved_searches(user: Requester) -> QuerySet[SavedSearch]:
    """The saved searches `user` may see and run: their own, and those shared with a group
    they belong to. Nobody else's, curators included: a private search is its owner's."""
    if not user.is_authenticated:
        return SavedSearch.objects.none()
    return (
        SavedSearch.objects.live()
        .filter(Q(owner=user) | Q(shared_with_group__in=user.groups.all()))
        .select_related("owner", "shared_with_group")
    )


def last_seen_markers(user: Requester, saved_ids: list[int]) -> dict[int, SavedSearchSeen]:
    """`user`'s last-seen markers of these saved searches, by saved search id."""
    if not user.is_authenticated:
        return {}
    return {
        seen.saved_search_id: seen
        for seen in SavedSearchSeen.objects.filter(user=user, saved_search_id__in=saved_ids)
    }
