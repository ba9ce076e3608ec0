"""Curation in the admin: sources with aliases, merges and their undoing; documents edited,
withdrawn, restored and ingested. Every write goes through the services, the same ones the
API calls, so each records its event and re-indexes after commit."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from archive import permissions, services
from archive.document_dates import check_dates
from archive.history import (
    Names,
    document_event_lines,
    lines_html,
    read_back_html,
    source_event_lines,
)
from archive.models import (
    Document,
    DocumentQuerySet,
    Facsimile,
    ProvenanceEvent,
    Source,
    SourceAlias,
    SourceEvent,
    SourceEventType,
)
from archive.selectors import (
    document_read_back,
    merge_of,
    source_events,
    sources_with_counts,
)
from archive.services.documents import EDITABLE_FIELDS
from archive.text import normalize_name
from kaynak.errors import KaynakError
from kaynak.users import signed_in

ADMIN_AGENT = services.kaynak_agent("admin")
# What ModelAdmin.get_fields may answer, as django-stubs types it.
FieldList = list[str | list[str] | tuple[str, ...] | tuple[()]]
CONFIRM_TEMPLATE = "admin/archive/confirm_with_reason.html"


def _refusal(error: KaynakError) -> forms.ValidationError:
    return forms.ValidationError(error.message, code=error.code)


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


def counted(count: int, noun: str) -> str:
    """ "1 document", "2 documents": admin messages in plain English."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def history_names(inline: admin.options.InlineModelAdmin, events: QuerySet) -> Names:
    """The names every event of one history mentions, looked up once per page: the admin
    makes its inlines afresh for each request, so the inline can hold them."""
    # Kept in the inline's own attributes (the stubs know no such attribute on an inline).
    names: Names | None = inline.__dict__.get("_history_names")
    if names is None:
        names = Names.for_details(events.values_list("detail", flat=True))
        inline.__dict__["_history_names"] = names
    return names


def upload_view(
    model_admin: admin.ModelAdmin,
    request: HttpRequest,
    form: forms.Form,
    receive: Callable[[dict[str, Any]], tuple[str, str, int]],
    *,
    title: str,
) -> HttpResponse:
    """An admin add page that takes a file through a service: `receive` hands the cleaned
    form to it and says where to go next; a refusal is shown on the form."""
    if not model_admin.has_add_permission(request):
        raise PermissionDenied
    if request.method == "POST" and form.is_valid():
        try:
            url, message, level = receive(form.cleaned_data)
        except KaynakError as refusal:
            form.add_error("file", _refusal(refusal))
        else:
            model_admin.message_user(request, message, level)
            return HttpResponseRedirect(url)
    return TemplateResponse(
        request,
        "admin/archive/upload.html",
        {
            **model_admin.admin_site.each_context(request),
            "title": title,
            "opts": model_admin.model._meta,
            "form": form,
        },
    )


# --- Sources ------------------------------------------------------------------------------


class SourceAliasForm(forms.ModelForm):
    class Meta:
        model = SourceAlias
        fields = ["name"]

    def clean_name(self) -> str:
        name = self.cleaned_data["name"]
        source = self.instance.source if self.instance.source_id else None
        try:
            services.check_source_names_free([name], source=source)
        except KaynakError as refusal:
            raise _refusal(refusal) from None
        return name


class LabelledInlineFormSet(forms.models.BaseInlineFormSet):
    """A tabular inline's cells have no <label>: each input is named for a screen reader
    (WCAG 1.3.1, 4.1.2) as "Name of source alias 2", "Delete source alias 2"."""

    def add_fields(self, form: forms.ModelForm, index: int | None) -> None:
        super().add_fields(form, index)
        row = "new" if index is None else str(index + 1)
        noun = self.model._meta.verbose_name if self.model is not None else "row"
        for name, field in form.fields.items():
            label = "Delete" if name == "DELETE" else f"{str(field.label).capitalize()} of"
            field.widget.attrs.setdefault("aria-label", f"{label} {noun} {row}")


class SourceAliasInline(admin.TabularInline):
    model = SourceAlias
    form = SourceAliasForm
    formset = LabelledInlineFormSet
    fields = ["name", "normalized_name"]
    readonly_fields = ["normalized_name"]
    extra = 1


class SourceEventInline(ReadOnlyInline):
    model = SourceEvent
    fk_name = "source"
    fields = readonly_fields = ("occurred_at", "event_type", "who", "reason", "details", "undo")
    ordering = ["-occurred_at", "-id"]
    verbose_name_plural = "history"

    def get_queryset(self, request: HttpRequest) -> QuerySet[SourceEvent]:
        return super().get_queryset(request).select_related("actor", "undone_by", "source")

    @admin.display(description="By")
    def who(self, event: SourceEvent) -> str:
        return event.actor.get_username() if event.actor else "Kaynak itself"

    @admin.display(description="Details")
    def details(self, event: SourceEvent) -> str:
        names = history_names(self, SourceEvent.objects.filter(source_id=event.source_id))
        return lines_html(source_event_lines(event, names))

    @admin.display(description="")
    def undo(self, event: SourceEvent) -> str:
        if event.event_type != SourceEventType.MERGE:
            return ""
        undone_by = getattr(event, "undone_by", None)
        if undone_by is not None:
            return f"undone {undone_by.occurred_at:%Y-%m-%d %H:%M}"
        url = reverse("admin:archive_source_unmerge", args=[event.source_id, event.pk])
        return format_html('<a class="button" href="{}">Undo this merge…</a>', url)


def _documents_link(count: int, field: str, source: Source) -> str:
    """A count on the source list, linking to the documents it counts."""
    if not count:
        return "0"
    url = reverse("admin:archive_document_changelist")
    return format_html('<a href="{}?{}__id__exact={}">{}</a>', url, field, source.pk, count)


class SourceForm(forms.ModelForm):
    # Django 6 makes https the default scheme for URLs typed without one; opt in now.
    url = forms.URLField(required=False, max_length=500, assume_scheme="https")

    class Meta:
        model = Source
        fields = ["name", "kind", "description", "url"]

    def clean_name(self) -> str:
        name = self.cleaned_data["name"]
        try:
            services.check_source_names_free([name], source=self.instance.pk and self.instance)
        except KaynakError as refusal:
            raise _refusal(refusal) from None
        return name


class ReasonForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)


class MergeForm(ReasonForm):
    into = forms.ModelChoiceField(
        queryset=Source.objects.none(), label="Merge into", help_text="The source that stays."
    )
    field_order = ["into", "reason"]  # which source stays is the first thing to decide

    def __init__(self, *args: Any, sources: QuerySet[Source], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["into"]).queryset = sources.filter(
            merged_into__isnull=True
        )


class SetOrNotFilter(admin.SimpleListFilter):
    """Filter on whether a nullable field is set: `labels` name the (not set, set) states."""

    title = "status"
    field: str
    labels: tuple[str, str]

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple]:
        return [("no", self.labels[0]), ("yes", self.labels[1])]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() in ("no", "yes"):
            return queryset.filter(**{f"{self.field}__isnull": self.value() == "no"})
        return queryset


class MergedFilter(SetOrNotFilter):
    parameter_name, field, labels = "merged", "merged_into", ("Live", "Merged into another")


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    form = SourceForm
    # No slug column (it is on the change page): the list fits 1280 px beside the admin's
    # navigation.
    list_display = [
        "name",
        "kind",
        "merged_into",
        "documents_as_outlet",
        "documents_as_reprinter",
        "source_tags",
    ]
    list_select_related = ["merged_into"]
    list_filter = ["kind", MergedFilter]
    search_fields = ["name"]  # and every alias, folded: see get_search_results
    readonly_fields = ["slug", "merge_status", "created_at"]
    inlines = [SourceAliasInline, SourceEventInline]
    actions = ["merge_sources"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Source]:
        return sources_with_counts(super().get_queryset(request))

    @admin.display(description="documents as outlet", ordering="documents_as_outlet_count")
    def documents_as_outlet(self, source: Source) -> str:
        return _documents_link(
            source.documents_as_outlet_count,  # type: ignore[attr-defined]  # annotated
            "original_outlet",
            source,
        )

    @admin.display(description="documents as reprinter", ordering="documents_as_reprinter_count")
    def documents_as_reprinter(self, source: Source) -> str:
        return _documents_link(
            source.documents_as_reprinter_count,  # type: ignore[attr-defined]  # annotated
            "reprinter",
            source,
        )

    @admin.display(description="Merged into")
    def merge_status(self, source: Source) -> str:
        """Where a merged-away source went, and the way back."""
        into = source.merged_into
        if into is None:
            return "—"
        into_link = format_html(
            '<a href="{}">{}</a>', reverse("admin:archive_source_change", args=[into.pk]), into
        )
        event = merge_of(source)
        if event is None:
            return format_html("Merged into {}.", into_link)
        by = event.actor.get_username() if event.actor else "Kaynak itself"
        return format_html(
            'Merged into {} on {} by {}: {} <a class="button" id="undo-merge" href="{}">Undo '
            "this merge</a>",
            into_link,
            f"{timezone.localtime(event.occurred_at):%d %b %Y, %H:%M}",
            by,
            event.reason,
            reverse("admin:archive_source_unmerge", args=[event.source_id, event.pk]),
        )

    @admin.display(description="source tags", ordering="source_tag_count")
    def source_tags(self, source: Source) -> int:
        return source.source_tag_count  # type: ignore[attr-defined]  # annotated

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Source], search_term: str
    ) -> tuple[QuerySet[Source], bool]:
        """Any of a source's names matches, ignoring case and Turkish diacritics (`avim`
        finds `AVİM`); the reference autocomplete offers live sources only."""
        if request.path == reverse("admin:autocomplete"):
            queryset = queryset.filter(merged_into__isnull=True)
        key = normalize_name(search_term)
        if not key:
            return queryset, False
        named = SourceAlias.objects.filter(normalized_name__contains=key).values("source_id")
        return queryset.filter(pk__in=named), False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False  # merging replaces deleting: annotations and documents keep their sources

    def has_change_permission(self, request: HttpRequest, obj: Source | None = None) -> bool:
        if obj is not None and not obj.is_live:
            return False  # a tombstone is edited through the source it was merged into
        return super().has_change_permission(request, obj)

    def has_merge_permission(self, request: HttpRequest) -> bool:
        return permissions.can_merge_sources(request.user)

    def save_model(
        self, request: HttpRequest, obj: Source, form: forms.ModelForm, change: bool
    ) -> None:
        fields = {key: form.cleaned_data[key] for key in ("name", "kind", "description", "url")}
        if change:
            services.source_update(source=obj, actor=signed_in(request.user), **fields)
            return
        created = services.source_create(actor=signed_in(request.user), **fields)
        # The admin goes on with `obj` (inlines, redirect, log): make it the created row.
        obj.pk, obj.slug, obj.created_at = created.pk, created.slug, created.created_at
        obj._state.adding, obj._state.db = False, created._state.db

    def save_formset(self, request, form, formset, change):
        """Alias rows go through the alias services (which normalise and check names and
        record events); the formset's bookkeeping lists feed the admin's change message."""
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for alias_form in formset.forms:
            alias = alias_form.instance
            if formset._should_delete_form(alias_form):
                if alias.pk:
                    services.source_alias_remove(alias=alias, actor=signed_in(request.user))
                    formset.deleted_objects.append(alias)
            elif alias_form.has_changed():
                if alias.pk:
                    services.source_alias_remove(
                        alias=SourceAlias.objects.get(pk=alias.pk), actor=signed_in(request.user)
                    )
                added = services.source_alias_add(
                    source=form.instance,
                    name=alias_form.cleaned_data["name"],
                    actor=signed_in(request.user),
                )
                if alias.pk:
                    formset.changed_objects.append((added, alias_form.changed_data))
                else:
                    formset.new_objects.append(added)

    @admin.action(description="Merge selected sources…", permissions=["merge"])
    def merge_sources(
        self, request: HttpRequest, queryset: QuerySet[Source]
    ) -> TemplateResponse | None:
        form = MergeForm(request.POST if "apply" in request.POST else None, sources=queryset)
        if form.is_valid():
            into = form.cleaned_data["into"]
            merged = [source for source in queryset if source.pk != into.pk]
            try:
                services.source_merge(
                    sources=merged,
                    into=into,
                    actor=signed_in(request.user),
                    reason=form.cleaned_data["reason"],
                )
            except KaynakError as refusal:
                form.add_error(None, _refusal(refusal))
            else:
                names = ", ".join(source.name for source in merged)
                self.message_user(request, f"Merged {names} into {into.name}.", messages.SUCCESS)
                return None
        return TemplateResponse(
            request,
            CONFIRM_TEMPLATE,
            {
                **self.admin_site.each_context(request),
                "title": "Merge sources",
                "opts": self.model._meta,
                "form": form,
                "action": "merge_sources",
                "selected": queryset,
                "explanation": "Documents and source tags of the others move to the source "
                "you choose; their names become its aliases; they stay as tombstones that "
                "point to it. The merge can be undone from the source's history.",
                "submit": "Merge",
            },
        )

    def get_urls(self):
        unmerge = self.admin_site.admin_view(self.unmerge_view)
        return [
            path("<int:source_id>/unmerge/<int:event_id>/", unmerge, name="archive_source_unmerge"),
            *super().get_urls(),
        ]

    def unmerge_view(self, request: HttpRequest, source_id: int, event_id: int) -> HttpResponse:
        if not self.has_merge_permission(request):
            raise PermissionDenied
        event = get_object_or_404(
            source_events(source=get_object_or_404(Source, pk=source_id)),
            pk=event_id,
            event_type=SourceEventType.MERGE,
        )
        form = ReasonForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                services.source_unmerge(
                    event=event, actor=signed_in(request.user), reason=form.cleaned_data["reason"]
                )
            except KaynakError as refusal:
                form.add_error(None, _refusal(refusal))
            else:
                self.message_user(request, "The merge was undone.", messages.SUCCESS)
                return HttpResponseRedirect(
                    reverse("admin:archive_source_change", args=[source_id])
                )
        names = ", ".join(source["name"] for source in event.detail["sources"])
        return TemplateResponse(
            request,
            CONFIRM_TEMPLATE,
            {
                **self.admin_site.each_context(request),
                "title": f"Undo the merge of {names} into {event.source.name}",
                "opts": self.model._meta,
                "form": form,
                "explanation": f"Merged {event.occurred_at:%Y-%m-%d %H:%M} by "
                f"{event.actor or 'the system'}: {event.reason}. Undoing puts back exactly the "
                "documents, source tags and aliases that merge moved.",
                "submit": "Undo the merge",
            },
        )


# --- Documents ----------------------------------------------------------------------------


class ProvenanceEventInline(ReadOnlyInline):
    model = ProvenanceEvent
    fields = readonly_fields = (
        "sequence",
        "event_type",
        "occurred_at",
        "who",
        "outcome",
        "details",
    )
    ordering = ["sequence"]
    verbose_name_plural = "history"

    def get_queryset(self, request: HttpRequest) -> QuerySet[ProvenanceEvent]:
        return super().get_queryset(request).select_related("actor")

    @admin.display(description="By")
    def who(self, event: ProvenanceEvent) -> str:
        person = event.actor.get_username() if event.actor else "no one signed in"
        return f"{person}, through {event.agent}"

    @admin.display(description="Details")
    def details(self, event: ProvenanceEvent) -> str:
        names = history_names(self, ProvenanceEvent.objects.filter(document_id=event.document_id))
        return lines_html(document_event_lines(event, names))


class DocumentForm(forms.ModelForm):
    original_url = forms.URLField(required=False, max_length=2000, assume_scheme="https")

    class Meta:
        model = Document
        fields = list(EDITABLE_FIELDS)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("original_outlet", "reprinter"):
            if name in self.fields:
                field = cast(forms.ModelChoiceField, self.fields[name])
                field.queryset = Source.objects.filter(merged_into__isnull=True)

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        try:
            check_dates(
                published=data.get("original_published_on"),
                reprinted=data.get("reprinted_on"),
                today=timezone.now().date(),
            )
        except KaynakError as refusal:
            raise _refusal(refusal) from None
        return data


class IngestForm(forms.Form):
    file = forms.FileField(
        help_text="An AVİM reprint, plain text or a JSON record; the same ingest as the "
        "command, the API and the upload page."
    )


class WithdrawnFilter(SetOrNotFilter):
    parameter_name, field, labels = "withdrawn", "withdrawn_at", ("Current", "Withdrawn")


class NeedsProvenanceFilter(admin.SimpleListFilter):
    """The review queue: documents whose outlet or original date could not be read, or that
    someone flagged for a curator."""

    title = "provenance"
    parameter_name = "provenance"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple]:
        return [("needed", "Needs provenance")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "needed":
            return cast(DocumentQuerySet, queryset).needs_provenance()
        return queryset


class FacsimileInline(admin.TabularInline):
    """A document's facsimiles, read-only; attaching goes through the facsimile admin's add
    form (and so through `facsimile_attach`)."""

    model = Facsimile
    fields = readonly_fields = (
        "position",
        "preview",
        "original_filename",
        "format",
        "size",
        "sha256",
        "state",
    )
    ordering = ["position"]
    extra = 0
    can_delete = False
    template = "admin/archive/facsimile_inline.html"

    @admin.display(description="Preview")
    def preview(self, facsimile: Facsimile) -> str:
        if facsimile.derivative_state != "ready":
            return "—"
        return format_html(
            '<a href="{}"><img src="{}" alt="" style="max-height:80px"></a>',
            reverse("api:facsimile-original", kwargs={"pk": facsimile.pk}),
            reverse("api:facsimile-thumbnail", kwargs={"pk": facsimile.pk}),
        )

    @admin.display(description="Pixels")
    def size(self, facsimile: Facsimile) -> str:
        pages = f", {facsimile.page_count} pages" if facsimile.page_count > 1 else ""
        return f"{facsimile.width} × {facsimile.height}{pages}"

    @admin.display(description="Derivatives")
    def state(self, facsimile: Facsimile) -> str:
        error = f": {facsimile.derivative_error}" if facsimile.derivative_error else ""
        return f"{facsimile.get_derivative_state_display()}{error}"

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class FacsimileAttachForm(forms.Form):
    document = forms.ModelChoiceField(
        queryset=Document.objects.all(), widget=forms.TextInput, help_text="The document's id."
    )
    file = forms.FileField(help_text="JPEG, PNG, TIFF or WebP; kept exactly as sent.")


@admin.register(Facsimile)
class FacsimileAdmin(admin.ModelAdmin):
    """Facsimiles are attached here (through `facsimile_attach`) and otherwise only shown."""

    list_display = ["__str__", "format", "width", "height", "derivative_state", "created_at"]
    list_select_related = ["document"]
    list_filter = ["format", "derivative_state"]
    search_fields = ["sha256", "original_filename", "document__title"]
    raw_id_fields = ["document"]
    readonly_fields = [
        "position",
        "sha256",
        "size_bytes",
        "format",
        "media_type",
        "width",
        "height",
        "page_count",
        "original_filename",
        "created_at",
        "derivative_state",
        "derivative_error",
        "derivatives_made_at",
    ]

    def get_fields(self, request: HttpRequest, obj: object = None) -> FieldList:
        return ["document", *self.readonly_fields]

    def get_readonly_fields(self, request: HttpRequest, obj: object = None) -> list[str]:
        return ["document", *self.readonly_fields]

    def add_view(
        self,
        request: HttpRequest,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        """Adding a facsimile is attaching an image, through the one facsimile service."""
        form = FacsimileAttachForm(
            request.POST or None, request.FILES or None, initial=request.GET.dict()
        )

        def attach(data: dict[str, Any]) -> tuple[str, str, int]:
            upload = data["file"]
            result = services.facsimile_attach(
                document=data["document"],
                data=upload,  # unread: the service checks its size first
                filename=upload.name,
                actor=signed_in(request.user),
                method=services.IngestMethod.ADMIN,
            )
            url = reverse("admin:archive_document_change", args=[data["document"].pk])
            if result.created:
                return url, f"Attached {upload.name} as {result.facsimile}.", messages.SUCCESS
            return (
                url,
                f"{upload.name} was attached before, as {result.facsimile}.",
                messages.WARNING,
            )

        return upload_view(self, request, form, attach, title="Attach a facsimile")

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin):
    form = DocumentForm
    list_display = [
        "title",
        "original_outlet",
        "original_published_on",
        "reprinter",
        "reprinted_on",
        "layout",
        "checksum",
        "withdrawn_at",
    ]
    list_select_related = ["original_outlet", "reprinter"]
    list_filter = [NeedsProvenanceFilter, WithdrawnFilter, "layout", "language"]
    search_fields = ["title", "sha256", "original_outlet__name", "reprinter__name"]
    date_hierarchy = "original_published_on"
    autocomplete_fields = ["original_outlet", "reprinter"]
    inlines = [ProvenanceEventInline, FacsimileInline]
    actions = ["withdraw_documents", "restore_documents", "close_reviews"]
    readonly_fields = [
        "layout",
        "what_was_read",
        "withdrawn_at",
        "withdrawal_reason",
        "sha256",
        "size_bytes",
        "media_type",
        "encoding",
        "original_filename",
        "created_at",
        "text",
    ]
    fieldsets = [
        (None, {"fields": ["title", "language", "layout", "withdrawn_at", "withdrawal_reason"]}),
        ("What the upload read", {"fields": ["what_was_read"]}),
        (
            "Original publication",
            {"fields": ["original_outlet", "original_place", "original_published_on", "byline"]},
        ),
        ("Reprint", {"fields": ["reprinter", "reprinted_on", "source_line", "original_url"]}),
        (
            "Stored original (never changes)",
            {
                "fields": [
                    "sha256",
                    "size_bytes",
                    "media_type",
                    "encoding",
                    "original_filename",
                    "created_at",
                ]
            },
        ),
        ("Text (never changes; annotations are anchored to it)", {"fields": ["text"]}),
    ]

    @admin.display(description="Fields read")
    def what_was_read(self, document: Document) -> str:
        return read_back_html(document_read_back(document))

    @admin.display(description="SHA-256", ordering="sha256")
    def checksum(self, document: Document) -> str:
        return format_html('<code title="{}">{}…</code>', document.sha256, document.sha256[:12])

    def get_actions(self, request: HttpRequest) -> dict:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # withdrawal replaces deletion
        return actions

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_withdraw_permission(self, request: HttpRequest) -> bool:
        return permissions.can_withdraw(request.user)

    def save_model(
        self, request: HttpRequest, obj: Document, form: forms.ModelForm, change: bool
    ) -> None:
        # The service reads the stored row itself (`obj` already carries the form's values).
        changes = {name: form.cleaned_data[name] for name in form.changed_data}
        services.document_update(
            document=obj, actor=signed_in(request.user), agent=ADMIN_AGENT, **changes
        )

    def add_view(
        self,
        request: HttpRequest,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        """Adding a document is ingesting a file, through the one ingest service."""
        form = IngestForm(request.POST or None, request.FILES or None)

        def ingest(data: dict[str, Any]) -> tuple[str, str, int]:
            upload = data["file"]
            result = services.document_ingest(
                data=upload,  # unread: the service checks its name and size first
                filename=upload.name,
                actor=signed_in(request.user),
                method=services.IngestMethod.ADMIN,
            )
            document = result.document
            url = reverse("admin:archive_document_change", args=[document.pk])
            if result.created:
                warning = document_read_back(document).warning
                if warning:
                    return url, f"Ingested “{document.title}”. {warning}", messages.WARNING
                return url, f"Ingested “{document.title}”.", messages.SUCCESS
            return (
                url,
                f"These bytes were ingested before, as “{document.title}”.",
                messages.WARNING,
            )

        return upload_view(self, request, form, ingest, title="Ingest a document")

    def _with_reason(
        self,
        request: HttpRequest,
        queryset: QuerySet[Document],
        *,
        action: str,
        title: str,
        explanation: str,
    ) -> tuple[str, None] | tuple[None, TemplateResponse]:
        form = ReasonForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            return form.cleaned_data["reason"], None
        return None, TemplateResponse(
            request,
            CONFIRM_TEMPLATE,
            {
                **self.admin_site.each_context(request),
                "title": title,
                "opts": self.model._meta,
                "form": form,
                "action": action,
                "selected": queryset,
                "explanation": explanation,
                "submit": title,
            },
        )

    @admin.action(description="Withdraw selected documents…", permissions=["withdraw"])
    def withdraw_documents(
        self, request: HttpRequest, queryset: QuerySet[Document]
    ) -> TemplateResponse | None:
        reason, page = self._with_reason(
            request,
            queryset,
            action="withdraw_documents",
            title="Withdraw documents",
            explanation="Withdrawn documents leave search and are hidden from everyone but "
            "curators; their originals, annotations and history are kept, and they can be "
            "restored.",
        )
        if reason is None:
            return page
        done = self._apply_to_each(
            request,
            queryset.filter(withdrawn_at__isnull=True),
            lambda document: services.document_withdraw(
                document=document, actor=signed_in(request.user), agent=ADMIN_AGENT, reason=reason
            ),
        )
        self.message_user(request, f"Withdrew {counted(done, 'document')}.", messages.SUCCESS)
        return None

    @admin.action(description="Restore selected withdrawn documents", permissions=["withdraw"])
    def restore_documents(self, request: HttpRequest, queryset: QuerySet[Document]) -> None:
        done = self._apply_to_each(
            request,
            queryset.filter(withdrawn_at__isnull=False),
            lambda document: services.document_restore(
                document=document, actor=signed_in(request.user), agent=ADMIN_AGENT
            ),
        )
        self.message_user(request, f"Restored {counted(done, 'document')}.", messages.SUCCESS)

    @admin.action(description="Mark flagged documents as checked", permissions=["change"])
    def close_reviews(self, request: HttpRequest, queryset: QuerySet[Document]) -> None:
        """Take documents someone flagged out of the review queue, once checked."""
        done = self._apply_to_each(
            request,
            queryset.filter(review_requested_at__isnull=False),
            lambda document: services.document_review_close(
                document=document, actor=signed_in(request.user), agent=ADMIN_AGENT
            ),
        )
        self.message_user(
            request, f"Marked {counted(done, 'document')} as checked.", messages.SUCCESS
        )

    def _apply_to_each(
        self,
        request: HttpRequest,
        queryset: QuerySet[Document],
        change: Callable[[Document], object],
    ) -> int:
        done = 0
        for document in queryset:
            try:
                change(document)
            except KaynakError as refusal:
                self.message_user(request, f"{document}: {refusal.message}", messages.ERROR)
            else:
                done += 1
        return done


# The admin index shows how many documents wait in the review queue, linked to the filter.
_site_index = admin.site.index


def _index_with_review_count(
    request: HttpRequest, extra_context: dict[str, Any] | None = None
) -> TemplateResponse:
    count = Document.objects.needs_provenance().count()
    return _site_index(request, {"needs_provenance_count": count, **(extra_context or {})})


admin.site.index = _index_with_review_count  # type: ignore[method-assign]
admin.site.index_template = "admin/archive/index_with_review.html"
