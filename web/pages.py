"""The researcher's pages: search, the document reader, upload. Server-rendered; the reader's
annotation tools are a small script that talks to the API."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.views.decorators.csrf import ensure_csrf_cookie

from annotations.models import SourceRole, Visibility
from archive.ingest import IngestRefused
from archive.roles import CURATOR_GROUP, is_curator
from archive.selectors import (
    document_detail_queryset,
    document_siblings,
    visible_documents,
)
from archive.services import IngestMethod, document_ingest, facsimile_attach
from kaynak.api import MAX_ID
from kaynak.errors import KaynakError
from kaynak.users import signed_in
from search.engine import SearchIndexUnavailable
from search.models import SearchKind
from search.search_requests import FACET_PARAMETERS, LANGUAGE_NAMES, run_search
from search.selectors import similar_visible_documents, visible_saved_searches
from search.serializers import SearchParamsSerializer
from search.services import new_results, saved_search_mark_seen
from web.saved_searches import current_search, share_groups
from web.search_annotations import annotation_tab

PAGE_SIZE = 20
SORTS = [
    ("relevance", "Most relevant"),
    ("-published", "Newest original first"),
    ("published", "Oldest original first"),
    ("-reprinted", "Newest reprint first"),
    ("reprinted", "Oldest reprint first"),
]
# Filters that are fields of the search form rather than facet links.
DATE_FILTERS = (
    ("published", "Original date"),
    ("reprinted", "Reprint date"),
)
FORM_FILTERS = (
    "language",
    *(f"{name}_{end}" for name, _ in DATE_FILTERS for end in ("from", "to")),
)
FACET_LABELS = {
    "outlet": "Outlet",
    "reprinter": "Reprinted by",
    "year": "Year published",
    "tag": "Tag",
    "source": "Source",
}


def _first_error(errors: dict[str, Any]) -> str:
    field, messages_ = next(iter(errors.items()))
    message = messages_[0] if isinstance(messages_, list) else messages_
    return f"{field}: {message}"


def _search_url(params: list[tuple[str, str]]) -> str:
    return f"{reverse('pages:search')}?{urlencode(params)}" if params else reverse("pages:search")


@login_required
def search_page(request: HttpRequest) -> HttpResponse:
    """The home page. Everything is in the URL, so a search can be bookmarked and shared and
    the browser's back and forward buttons work."""
    if request.GET.get("kind") == SearchKind.ANNOTATIONS:
        return _annotation_search_page(request)
    # `saved`: the saved search this page was opened from (see _opened_saved_search).
    current = [
        (key, value)
        for key, values in request.GET.lists()
        for value in values
        if value and key not in ("saved", "kind")
    ]
    without_page = [(key, value) for key, value in current if key not in ("page", "page_size")]
    # The form sends its empty date and language fields too: an empty field is no filter.
    params = SearchParamsSerializer(
        data={key: value for key, value in request.GET.dict().items() if value or key == "q"}
        | {"page_size": PAGE_SIZE}
        | {name: request.GET.getlist(name) for name in FACET_PARAMETERS if name in request.GET}
    )
    chosen = dict(without_page)
    context: dict[str, Any] = {
        "query": request.GET.get("q", ""),
        "sort": request.GET.get("sort", "relevance"),
        "sorts": SORTS,
        "hidden_filters": [(k, v) for k, v in without_page if k in FACET_PARAMETERS],
        "date_filters": [
            {
                "name": name,
                "label": label,
                "start": chosen.get(f"{name}_from", ""),
                "end": chosen.get(f"{name}_to", ""),
            }
            for name, label in DATE_FILTERS
        ],
        "language": chosen.get("language", ""),
        # Replaced by the languages of the results with their counts, when there are results.
        "languages": [
            {"value": code, "label": LANGUAGE_NAMES.get(code, code)}
            for code in [chosen.get("language")]
            if code
        ],
        "active_filters": sum(
            1 for key, _ in without_page if key in FACET_PARAMETERS or key in FORM_FILTERS
        ),
    }
    status = 200
    if not params.is_valid():
        context["error"] = _first_error(params.errors)
        status = 400
    else:
        try:
            page = run_search(params.validated_data, user=request.user)
        except SearchIndexUnavailable as error:
            context["error"], status = error.message, 503
        except KaynakError as error:
            context["error"], status = error.message, 400
        else:
            context.update(_results_context(page, without_page))
            context.update(_opened_saved_search(request, page.results.total))
    context.update(_search_tabs(request, SearchKind.DOCUMENTS))
    return render(request, "search.html", context, status=status)


def _annotation_search_page(request: HttpRequest) -> HttpResponse:
    context, status = annotation_tab(request, user=request.user)
    if status == 200:
        context.update(_opened_saved_search(request, context["results"].total))
    context.update(_search_tabs(request, SearchKind.ANNOTATIONS))
    return render(request, "search_annotations.html", context, status=status)


def _search_tabs(request: HttpRequest, kind: str) -> dict[str, Any]:
    """The two tabs (the query goes along, the filters of one kind stay behind) and the
    save-this-search form."""
    query = request.GET.get("q", "")
    user = signed_in(request.user)
    return {
        "kind": kind,
        "documents_url": _search_url([("q", query)] if query else []),
        "annotations_url": _search_url(
            [("kind", SearchKind.ANNOTATIONS), *([("q", query)] if query else [])]
        ),
        "current_search": current_search(request),
        "share_groups": share_groups(user),
        "saved_count": visible_saved_searches(user).count(),
    }


def _opened_saved_search(request: HttpRequest, total: int) -> dict[str, Any]:
    """Opened from the saved searches (`saved=<id>`): name it, say how many results are new
    since this user last opened it, and mark it seen now."""
    try:
        pk = int(request.GET.get("saved", ""))
    except ValueError:
        return {}
    if not 0 < pk <= MAX_ID:
        return {}
    user = signed_in(request.user)
    saved_search = visible_saved_searches(user).filter(pk=pk).first()
    if saved_search is None:
        return {}
    previous = saved_search_mark_seen(saved_search=saved_search, user=user, total=total)
    return {
        "opened": saved_search,
        "opened_new": new_results(previous, total),
        "opened_last_seen": previous.seen_at if previous else None,
    }


def _results_context(page: Any, without_page: list[tuple[str, str]]) -> dict[str, Any]:
    results = page.results
    facets = []
    for name in FACET_PARAMETERS:
        values = []
        for item in page.facets[name]:
            pair = (name, str(item["value"]))
            selected = pair in without_page
            toggled = [p for p in without_page if p != pair] if selected else [*without_page, pair]
            values.append({**item, "selected": selected, "url": _search_url(toggled)})
        facets.append({"name": name, "label": FACET_LABELS[name], "values": values})

    def page_url(number: int) -> str:
        return _search_url([*without_page, ("page", str(number))] if number > 1 else without_page)

    suggestion_params = [(k, v) for k, v in without_page if k != "q"]
    language = dict(without_page).get("language", "")
    languages = [
        {"value": item["value"], "label": f"{item['label']} ({item['count']})"}
        for item in page.facets["language"]
    ]
    if language and language not in [item["value"] for item in languages]:
        languages.append({"value": language, "label": LANGUAGE_NAMES.get(language, language)})
    filters = (*FACET_PARAMETERS, *FORM_FILTERS)
    return {
        "page": page,
        "facets": facets,
        "languages": languages,
        "first_number": (results.page - 1) * results.page_size + 1,
        "previous_url": page_url(results.page - 1) if results.page > 1 else None,
        "next_url": page_url(results.page + 1) if results.page < results.pages else None,
        "suggestion_url": _search_url([("q", results.suggestion or ""), *suggestion_params]),
        "any_filter": any(k in filters for k, _ in without_page),
        "clear_url": _search_url([(k, v) for k, v in without_page if k not in filters]),
    }


@login_required
@ensure_csrf_cookie
def document_page(request: HttpRequest, pk: int) -> HttpResponse:
    document = get_object_or_404(document_detail_queryset(request.user), pk=pk)
    try:
        found = similar_visible_documents(document, user=request.user, limit=6)
        similar, similar_error = [item.document for item in found], None
    except SearchIndexUnavailable as error:
        similar, similar_error = [], error.message
    user = request.user
    config = {
        "documentId": document.pk,
        "annotationsUrl": reverse("api:document-annotations", kwargs={"pk": document.pk}),
        "annotationUrl": reverse("api:annotation-detail", kwargs={"pk": 0}),
        "citationUrl": reverse("api:annotation-citation", kwargs={"pk": 0}),
        # The permanent address of an annotation is this, with "#annotation-<id>".
        "documentUrl": request.build_absolute_uri(
            reverse("pages:document", kwargs={"pk": document.pk})
        ),
        "tagsUrl": reverse("api:tag-list"),
        "sourcesUrl": reverse("api:source-list"),
        "user": {
            "username": user.get_username(),
            "isCurator": is_curator(user),
            "groups": [
                {"id": group.pk, "name": group.name}
                for group in user.groups.exclude(name=CURATOR_GROUP)
            ],
        },
        "roles": [{"value": value, "label": label} for value, label in SourceRole.choices],
        "visibilities": [{"value": value, "label": label} for value, label in Visibility.choices],
    }
    return render(
        request,
        "document.html",
        {
            "document": document,
            "siblings": document_siblings(document, user=user),
            "facsimiles": list(document.facsimiles.all()),
            "facsimile_form": FacsimileForm(),
            "events": list(document.events.all()),
            "similar": similar,
            "similar_error": similar_error,
            "reader_config": config,
        },
    )


class UploadForm(forms.Form):
    file = forms.FileField(
        label="File",
        help_text="An AVİM reprint, a plain-text document or a JSON record, up to 20 MB.",
        allow_empty_file=True,
    )


@login_required
def upload_page(request: HttpRequest) -> HttpResponse:
    """Ingest one file through the one ingest service; a refusal says why."""
    form = UploadForm(request.POST or None, request.FILES or None)
    context: dict[str, Any] = {"form": form}
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            result = document_ingest(
                data=upload,  # unread: the service checks its name and size first
                filename=upload.name,
                actor=signed_in(request.user),
                method=IngestMethod.WEB,
            )
        except IngestRefused as refusal:
            context["refusal"] = f"{upload.name} was not ingested: {refusal.message}."
            return render(request, "upload.html", context, status=refusal.status_code)
        if result.created:
            messages.success(request, f"Ingested {upload.name} as “{result.document.title}”.")
            return redirect("pages:upload-result", pk=result.document.pk)
        context["duplicate"] = result.document
    return render(request, "upload.html", context)


class FacsimileForm(forms.Form):
    file = forms.FileField(label="Scan or photo of the printed reprint", allow_empty_file=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit = filesizeformat(settings.KAYNAK_MAX_IMAGE_BYTES)
        self.fields[
            "file"
        ].help_text = f"JPEG, PNG, TIFF or WebP, up to {limit}; kept exactly as sent."


@login_required
def facsimile_attach_page(request: HttpRequest, pk: int) -> HttpResponse:
    """Attach a facsimile through the one facsimile service; a refusal says why."""
    document = get_object_or_404(visible_documents(request.user), pk=pk)
    form = FacsimileForm(request.POST or None, request.FILES or None)
    context: dict[str, Any] = {"form": form, "document": document}
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            result = facsimile_attach(
                document=document,
                data=upload,  # unread: the service checks its size first
                filename=upload.name,
                actor=signed_in(request.user),
                method=IngestMethod.WEB,
            )
        except IngestRefused as refusal:
            context["refusal"] = f"{upload.name} was not attached: {refusal.message}."
            return render(request, "facsimile_upload.html", context, status=400)
        facsimile = result.facsimile
        if result.created:
            notes = "".join(f" Note: {note}." for note in facsimile.notes)
            messages.success(
                request, f"Attached {upload.name} as facsimile {facsimile.position}.{notes}"
            )
        else:
            messages.info(
                request,
                f"{upload.name} is already facsimile {facsimile.position} of this document; "
                "your submission was recorded in its history.",
            )
        return redirect(reverse("pages:document", kwargs={"pk": document.pk}) + "#facsimiles")
    return render(request, "facsimile_upload.html", context, status=400 if form.errors else 200)
