"""The page that imports W3C Web Annotations from a file (annotations.imports does the work,
as for the API and the command): a dry run first by default, then the report, item by item."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.defaultfilters import filesizeformat

from annotations.imports import annotations_import, payload_from
from annotations.models import Visibility
from kaynak.errors import KaynakError
from kaynak.users import signed_in

# The page offers the visibilities that need no group; the API and the command take a group.
VISIBILITIES = [
    (Visibility.PRIVATE.value, "Private (only me)"),
    (Visibility.PUBLIC.value, "Public (every signed-in user)"),
]


class AnnotationImportForm(forms.Form):
    file = forms.FileField(label="Web Annotations (JSON-LD)", allow_empty_file=True)
    visibility = forms.ChoiceField(
        label="Visibility of the imported annotations",
        choices=VISIBILITIES,
        initial=Visibility.PRIVATE,
    )
    dry_run = forms.BooleanField(
        label="Dry run: only show what would happen", required=False, initial=True
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit = filesizeformat(settings.KAYNAK_MAX_UPLOAD_BYTES)
        self.fields["file"].help_text = (
            "One annotation, a collection or a page, as exported by Kaynak, Hypothesis or "
            f"Recogito, up to {limit}."
        )


@login_required
def annotation_import_page(request: HttpRequest) -> HttpResponse:
    form = AnnotationImportForm(request.POST or None, request.FILES or None)
    context: dict[str, Any] = {"form": form}
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                report = annotations_import(
                    payload_from(upload, size=upload.size),
                    person=signed_in(request.user),
                    hosts={request.get_host()},
                    dry_run=form.cleaned_data["dry_run"],
                    visibility=form.cleaned_data["visibility"],
                )
            except KaynakError as refusal:
                context["refusal"] = f"{upload.name} was not imported: {refusal.message}."
                status = refusal.status_code
            else:
                context.update(report=report, filename=upload.name)
                status = 200
    return render(request, "annotation_import.html", context, status=status)
