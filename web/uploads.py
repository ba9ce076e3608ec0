"""What an upload read, shown to the uploader right after it: each provenance field with the
rule that set it, a warning when outlet or date is missing, a form to correct them (through
the document update service, with its version check) and a button that asks a curator."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from archive.models import Document
from archive.permissions import can_correct_upload
from archive.selectors import document_detail_queryset, document_read_back, document_uploader_id
from archive.services import document_review_request, kaynak_agent
from archive.services.documents import (
    StaleDocument,
    document_etag,
    document_provenance_correct,
)
from kaynak.errors import KaynakError
from kaynak.users import signed_in

AGENT = kaynak_agent("upload result page")


class CorrectionForm(forms.Form):
    """The provenance fields as an uploader types them; sources by name."""

    version = forms.CharField(widget=forms.HiddenInput)
    title = forms.CharField(max_length=1000)
    outlet = forms.CharField(
        label="Outlet",
        max_length=300,
        required=False,
        help_text="Who first published it. A known source is found by any of its names "
        "(ignoring case and accents); a new name becomes a new source.",
    )
    original_place = forms.CharField(label="Place", max_length=200, required=False)
    original_published_on = forms.DateField(
        label="Original date",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    reprinter = forms.CharField(label="Reprinted by", max_length=300, required=False)
    reprinted_on = forms.DateField(
        label="Reprint date", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    byline = forms.CharField(max_length=300, required=False)

    @classmethod
    def for_document(cls, document: Document) -> CorrectionForm:
        return cls(
            initial={
                "version": document_etag(document),
                "title": document.title,
                "outlet": document.original_outlet.name if document.original_outlet else "",
                "original_place": document.original_place,
                "original_published_on": document.original_published_on,
                "reprinter": document.reprinter.name if document.reprinter else "",
                "reprinted_on": document.reprinted_on,
                "byline": document.byline,
            }
        )


class FlagForm(forms.Form):
    note = forms.CharField(
        label="What should a curator check?",
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


def _result(request: HttpRequest, pk: int) -> tuple[Document, bool]:
    document = get_object_or_404(document_detail_queryset(request.user), pk=pk)
    allowed = can_correct_upload(request.user, uploaded_by_id=document_uploader_id(document))
    return document, allowed


def _render(
    request: HttpRequest,
    document: Document,
    allowed: bool,
    *,
    form: CorrectionForm | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    context: dict[str, Any] = {
        "document": document,
        "read": document_read_back(document),
        "can_correct": allowed,
        "form": form or CorrectionForm.for_document(document),
        "flag_form": FlagForm(),
        "error": error,
    }
    return render(request, "upload_result.html", context, status=status)


@login_required
def upload_result_page(request: HttpRequest, pk: int) -> HttpResponse:
    document, allowed = _result(request, pk)
    return _render(request, document, allowed)


@login_required
@require_POST
def upload_correct(request: HttpRequest, pk: int) -> HttpResponse:
    document, allowed = _result(request, pk)
    if not allowed:
        raise PermissionDenied("Only the uploader or a curator may correct this document.")
    form = CorrectionForm(request.POST)
    if not form.is_valid():
        return _render(request, document, allowed, form=form, status=400)
    data = dict(form.cleaned_data)
    version = data.pop("version")
    try:
        document_provenance_correct(
            document=document,
            actor=signed_in(request.user),
            agent=AGENT,
            expected_etag=version,
            outlet_name=data.pop("outlet"),
            reprinter_name=data.pop("reprinter"),
            **data,
        )
    except StaleDocument as stale:
        fresh = document_detail_queryset(request.user).get(pk=pk)
        return _render(request, fresh, allowed, error=stale.message, status=412)
    except KaynakError as refusal:
        return _render(request, document, allowed, form=form, error=refusal.message, status=400)
    messages.success(request, "Saved your corrections; the document's history records them.")
    return redirect("pages:upload-result", pk=pk)


@login_required
@require_POST
def upload_flag(request: HttpRequest, pk: int) -> HttpResponse:
    document, allowed = _result(request, pk)
    if not allowed:
        raise PermissionDenied("Only the uploader or a curator may flag this document.")
    form = FlagForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    document_review_request(
        document=document, actor=signed_in(request.user), agent=AGENT, note=note
    )
    messages.success(
        request, "Flagged for a curator: the document is in the “Needs provenance” queue."
    )
    return redirect("pages:upload-result", pk=pk)
