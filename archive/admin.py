"""Basic admin: sources with their aliases, documents read-only with their provenance.

Writes go through the services so aliases stay normalised; curation (merges, document edits,
withdrawal) arrives with its own issue.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from archive import services
from archive.models import Document, ProvenanceEvent, Source, SourceAlias
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
    inlines = [ProvenanceEventInline]
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
