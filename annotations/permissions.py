"""Who may do what with an annotation: each rule once, used by the services (which enforce
them whatever calls them) and by the API's permission classes (which answer 403 early).

Reading is the queryset `selectors.visible_annotations`: what a user may not read does not
exist for them (404).
"""

from __future__ import annotations

from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request
from rest_framework.views import APIView

from annotations.models import Annotation
from archive.roles import can_moderate_annotations
from kaynak.users import Requester


def can_edit(user: Requester, annotation: Annotation) -> bool:
    """Nobody edits another person's annotation, curators included."""
    return user.is_authenticated and annotation.creator_id == user.pk


def can_delete(user: Requester, annotation: Annotation) -> bool:
    return can_edit(user, annotation) or can_moderate_annotations(user)


def can_hide(user: Requester) -> bool:
    return can_moderate_annotations(user)


def can_create_curated_tag(user: Requester) -> bool:
    return can_moderate_annotations(user)


class AnnotationWriteRules(BasePermission):
    """Reads pass (visibility decided what was found); PUT/PATCH need the creator, DELETE the
    creator or a curator."""

    message = "Only the annotation's creator may change it (a curator may also delete it)."

    def has_object_permission(self, request: Request, view: APIView, obj: Annotation) -> bool:
        if request.method in SAFE_METHODS:
            return True
        if request.method == "DELETE":
            return can_delete(request.user, obj)
        return can_edit(request.user, obj)


class CuratorsOnly(BasePermission):
    message = "Only curators may do this."

    def has_permission(self, request: Request, view: APIView) -> bool:
        return can_hide(request.user)
