"""Who may curate the archive: each rule once, used by the services' callers (API, admin,
pages) alike. Curators hold these permissions through the `curator` group (`archive/roles.py`
names its permissions; who sees withdrawn documents is decided there too)."""

from __future__ import annotations

from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request
from rest_framework.views import APIView

from kaynak.users import Requester


def can_withdraw(user: Requester) -> bool:
    return bool(user.is_authenticated and user.has_perm("archive.withdraw_document"))


def can_edit_document(user: Requester) -> bool:
    return bool(user.is_authenticated and user.has_perm("archive.change_document"))


def can_correct_upload(user: Requester, *, uploaded_by_id: int | None) -> bool:
    """Who may correct what ingest read, or flag it for a curator: curators, and the person
    who uploaded the document (right after the upload, they know the file best)."""
    if not user.is_authenticated:
        return False
    return can_edit_document(user) or (uploaded_by_id is not None and uploaded_by_id == user.pk)


def can_edit_sources(user: Requester) -> bool:
    return bool(
        user.is_authenticated
        and user.has_perm("archive.change_source")
        and user.has_perm("archive.add_sourcealias")
        and user.has_perm("archive.delete_sourcealias")
    )


def can_create_source(user: Requester) -> bool:
    return bool(user.is_authenticated and user.has_perm("archive.add_source"))


def can_merge_sources(user: Requester) -> bool:
    return bool(user.is_authenticated and user.has_perm("archive.merge_source"))


class SourceCuration(BasePermission):
    """Reads for every signed-in user; writes to sources for curators."""

    message = "Only curators may change sources."

    def has_permission(self, request: Request, view: APIView) -> bool:
        if request.method in SAFE_METHODS:
            return True
        if request.method == "POST" and getattr(view, "creates_source", False):
            return can_create_source(request.user)
        return can_edit_sources(request.user)


class SourceMerging(BasePermission):
    message = "Only curators may merge sources or undo merges."

    def has_permission(self, request: Request, view: APIView) -> bool:
        return can_merge_sources(request.user)


class DocumentCuration(BasePermission):
    """Reads for every signed-in user; metadata edits for curators."""

    message = "Only curators may edit a document's metadata."

    def has_permission(self, request: Request, view: APIView) -> bool:
        return request.method in SAFE_METHODS or can_edit_document(request.user)


class DocumentWithdrawal(BasePermission):
    message = "Only curators may withdraw or restore documents."

    def has_permission(self, request: Request, view: APIView) -> bool:
        return can_withdraw(request.user)
