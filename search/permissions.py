"""Who may do what with a saved search: the one rule, used by the services (which enforce it
whatever calls them) and by the API's permission class (which answers 403 early).

Seeing one is the queryset `selectors.visible_saved_searches`: what a user may not see does
not exist for them (404)."""

from __future__ import annotations

from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request
from rest_framework.views import APIView

from kaynak.users import Requester
from search.models import SavedSearch


def can_change_saved_search(user: Requester, saved_search: SavedSearch) -> bool:
    """Only its owner edits or deletes a saved search; the members of the group it is shared
    with may see and run it, curators included."""
    return user.is_authenticated and saved_search.owner_id == user.pk


class SavedSearchWriteRules(BasePermission):
    message = "Only the saved search's owner may change or delete it."

    def has_object_permission(self, request: Request, view: APIView, obj: SavedSearch) -> bool:
        return request.method in SAFE_METHODS or can_change_saved_search(request.user, obj)
