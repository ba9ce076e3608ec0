"""Basic admin: sources with their aliases, documents read-only with their provenance.

Writes go through the services so aliases stay normalised; curation (merges, document edits,
withdrawal) arrives with its own issue.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from archive import services
from archive.ingest import IngestRefused
from archive.ingest.images import check_image_size, inspect_image
from archive.models import Document, Facsimile, ProvenanceEvent, Source, SourceAlias
from kaynak.errors import KaynakError


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
            raise forms.ValidationError(refusal.message) from None
        return name


class SourceAliasInline(admin.TabularInline):
    model = SourceAlias
    form = SourceAliasForm
    fields = ["name", "normalized_name"]
    readonly_fields = ["normalized_name"]
    extra = 1


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
            raise forms.ValidationError(refusal.message) from None
        return name


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    form = SourceForm
    list_display = ["name", "kind", "slug"]
    list_filter = ["kind"]
    search_fields = ["name", "aliases__name"]
    readonly_fields = ["slug", "created_at"]
    inlines = [SourceAliasInline]

    def save_model(self, request: HttpRequest, obj: Source, form: forms.ModelForm, change: bool):
        fields = {key: form.cleaned_data[key] for key in ("name", "kind", "description", "url")}
        if change:
            services.source_update(source=obj, **fields)
            return
        created = services.source_create(**fields)
        # The admin goes on with `obj` (inlines, redirect, log): make it the created row.
        obj.pk, obj.slug, obj.created_at = created.pk, created.slug, created.created_at
        obj._state.adding, obj._state.db = False, created._state.db

    def save_formset(self, request, form, formset, change):
        """Alias rows go through the alias services (which normalise and check names); the
        formset's bookkeeping lists feed the admin's change message."""
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for alias_form in formset.forms:
            alias = alias_form.instance
            if formset._should_delete_form(alias_form):
                if alias.pk:
                    services.source_alias_remove(alias=alias)
                    formset.deleted_objects.append(alias)
            elif alias_form.has_changed():
                if alias.pk:
                    services.source_alias_remove(alias=SourceAlias.objects.get(pk=alias.pk))
                added = services.source_alias_add(
                    source=form.instance, name=alias_form.cleaned_data["name"]
                )
                if alias.pk:
                    formset.changed_objects.append((added, alias_form.changed_data))
                else:
                    formset.new_objects.append(added)


class ProvenanceEventInline(admin.TabularInline):
    model = ProvenanceEvent
    fields = ["sequence", "event_type", "occurred_at", "actor", "agent", "outcome", "detail"]
    readonly_fields = fields
    ordering = ["sequence"]
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class FacsimileInline(admin.TabularInline):
    """A document's facsimiles, read-only; attaching goes through the facsimile admin's add
    form (and so through `facsimile_attach`)."""

    model = Facsimile
    fields = ["position", "preview", "original_filename", "format", "size", "sha256", "state"]
    readonly_fields = fields
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


class FacsimileAttachForm(forms.ModelForm):
    file = forms.FileField(help_text="JPEG, PNG, TIFF or WebP; kept exactly as sent.")

    class Meta:
        model = Facsimile
        fields = ["document"]

    def clean_file(self):
        upload = self.cleaned_data["file"]
        # The same checks the service makes, run here so a refusal is shown on the form.
        try:
            check_image_size(upload.size)
            inspect_image(upload.read())
        except IngestRefused as refusal:
            raise forms.ValidationError(refusal.message) from None
        upload.seek(0)
        return upload


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

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = FacsimileAttachForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request: HttpRequest, obj: object = None) -> list[str]:
        return ["document", "file"] if obj is None else ["document", *self.readonly_fields]

    def get_readonly_fields(self, request: HttpRequest, obj: object = None) -> list[str]:
        return [] if obj is None else ["document", *self.readonly_fields]

    def save_model(self, request, obj: Facsimile, form: forms.ModelForm, change: bool) -> None:
        upload = form.cleaned_data["file"]
        result = services.facsimile_attach(
            document=form.cleaned_data["document"],
            data=upload.read(),
            filename=upload.name,
            actor=request.user,
            method=services.IngestMethod.ADMIN,
        )
        # The admin goes on with `obj` (log entry, redirect): make it the attached row.
        attached = result.facsimile
        obj.pk, obj.position, obj.created_at = attached.pk, attached.position, attached.created_at
        obj._state.adding, obj._state.db = False, attached._state.db

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin):
    list_display = [
        "title",
        "original_outlet",
        "original_published_on",
        "reprinter",
        "reprinted_on",
        "layout",
        "language",
        "created_at",
    ]
    list_select_related = ["original_outlet", "reprinter"]
    list_filter = ["layout", "language"]
    search_fields = ["title", "sha256"]
    date_hierarchy = "original_published_on"
    inlines = [ProvenanceEventInline, FacsimileInline]
    fieldsets = [
        (None, {"fields": ["title", "language", "layout"]}),
        (
            "Original publication",
            {"fields": ["original_outlet", "original_place", "original_published_on", "byline"]},
        ),
        ("Reprint", {"fields": ["reprinter", "reprinted_on", "source_line", "original_url"]}),
        (
            "Stored original",
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
        ("Text", {"fields": ["text"]}),
    ]

    def get_readonly_fields(self, request: HttpRequest, obj: object = None) -> list[str]:
        return [field for fieldset in self.fieldsets for field in fieldset[1]["fields"]]

    # Documents change only through services (metadata edits and withdrawal come with the
    # curation issue); the admin shows them and their history.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
