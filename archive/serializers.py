from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from archive.models import (
    DerivativeState,
    Document,
    Facsimile,
    ProvenanceEvent,
    Source,
    SourceEvent,
    SourceKind,
)
from archive.services.documents import EDITABLE_FIELDS
from kaynak.api import MAX_ID


class SourceRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Source
        fields = ["id", "slug", "name", "kind"]


class SourceSerializer(serializers.ModelSerializer):
    aliases = serializers.SerializerMethodField()

    class Meta:
        model = Source
        fields = ["id", "slug", "name", "kind", "description", "url", "aliases"]

    def get_aliases(self, source: Source) -> list[str]:
        return [alias.name for alias in source.aliases.all()]


class SourceCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=300)
    kind = serializers.ChoiceField(choices=SourceKind.choices, default=SourceKind.OTHER)
    aliases = serializers.ListField(
        child=serializers.CharField(max_length=300), required=False, default=list
    )
    description = serializers.CharField(required=False, allow_blank=True, default="")
    url = serializers.URLField(required=False, allow_blank=True, max_length=500, default="")


class SourceUpdateSerializer(serializers.Serializer):
    """Any of the fields; a new name keeps the old one as an alias."""

    name = serializers.CharField(max_length=300, required=False)
    kind = serializers.ChoiceField(choices=SourceKind.choices, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    url = serializers.URLField(required=False, allow_blank=True, max_length=500)
    reason = serializers.CharField(required=False, allow_blank=True, default="", write_only=True)


class SourceAliasSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=300)


class SourceMergeSerializer(serializers.Serializer):
    sources = serializers.ListField(
        child=serializers.SlugField(),
        min_length=1,
        max_length=100,
        help_text="Slugs of the sources to merge into this one.",
    )
    reason = serializers.CharField(help_text="Why; recorded with the merge.")


class SourceUnmergeSerializer(serializers.Serializer):
    event = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_ID,
        help_text="The merge event to undo; by default the latest merge into this source "
        "that is not undone.",
    )
    reason = serializers.CharField(help_text="Why; recorded with the unmerge.")


class SourceEventSerializer(serializers.ModelSerializer):
    actor: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    undone_by = serializers.SerializerMethodField()

    class Meta:
        model = SourceEvent
        fields = [
            "id",
            "event_type",
            "occurred_at",
            "actor",
            "reason",
            "detail",
            "undoes",
            "undone_by",
        ]

    def get_undone_by(self, event: SourceEvent) -> int | None:
        undone_by = getattr(event, "undone_by", None)
        return undone_by.pk if undone_by else None


class SourceFilterSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=SourceKind.choices, required=False)
    q = serializers.CharField(
        required=False, max_length=300, help_text="Part of any of the source's names."
    )


class ProvenanceEventSerializer(serializers.ModelSerializer):
    actor: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )

    class Meta:
        model = ProvenanceEvent
        fields = [
            "sequence",
            "event_type",
            "occurred_at",
            "actor",
            "agent",
            "outcome",
            "detail",
            "previous_hash",
            "event_hash",
        ]


class StoredOriginalSerializer(serializers.Serializer):
    sha256 = serializers.CharField()
    size_bytes = serializers.IntegerField()
    media_type = serializers.CharField()
    encoding = serializers.CharField()
    filename = serializers.CharField(source="original_filename")
    download_url = serializers.SerializerMethodField()

    def get_download_url(self, document: Document) -> str:
        path = reverse("api:document-original", kwargs={"pk": document.pk})
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


def _absolute(serializer: serializers.Field, name: str, pk: int) -> str:
    path = reverse(name, kwargs={"pk": pk})
    request = serializer.context.get("request")
    return request.build_absolute_uri(path) if request else path


class FacsimileOriginalSerializer(serializers.Serializer):
    sha256 = serializers.CharField()
    size_bytes = serializers.IntegerField()
    format = serializers.CharField(help_text="JPEG, PNG, TIFF or WEBP.")
    media_type = serializers.CharField()
    width = serializers.IntegerField(help_text="Pixels, as stored (before EXIF orientation).")
    height = serializers.IntegerField()
    page_count = serializers.IntegerField(help_text="Pages (TIFF) or frames; the first is shown.")
    filename = serializers.CharField(source="original_filename")
    download_url = serializers.SerializerMethodField(
        help_text="The exact bytes received, as an attachment."
    )

    def get_download_url(self, facsimile: Facsimile) -> str:
        return _absolute(self, "api:facsimile-original", facsimile.pk)


class DerivativeSerializer(serializers.Serializer):
    url = serializers.CharField(help_text="A JPEG, upright, without metadata.")
    width = serializers.IntegerField()
    height = serializers.IntegerField()


class FacsimileDerivativesSerializer(serializers.Serializer):
    state = serializers.ChoiceField(
        choices=DerivativeState.choices,
        source="derivative_state",
        help_text=(
            "`pending` until made after the attachment commits; `failed` keeps the reason in "
            "`error` until `manage.py facsimile_derivatives` succeeds."
        ),
    )
    error = serializers.CharField(source="derivative_error")
    thumbnail = serializers.SerializerMethodField()
    display = serializers.SerializerMethodField()

    def _rendition(self, facsimile: Facsimile, kind: str) -> dict | None:
        if facsimile.derivative_state != DerivativeState.READY:
            return None
        return {
            "url": _absolute(self, f"api:facsimile-{kind}", facsimile.pk),
            "width": getattr(facsimile, f"{kind}_width"),
            "height": getattr(facsimile, f"{kind}_height"),
        }

    @extend_schema_field(DerivativeSerializer(allow_null=True))
    def get_thumbnail(self, facsimile: Facsimile) -> dict | None:
        return self._rendition(facsimile, "thumbnail")

    @extend_schema_field(DerivativeSerializer(allow_null=True))
    def get_display(self, facsimile: Facsimile) -> dict | None:
        return self._rendition(facsimile, "display")


class FacsimileSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:facsimile-detail")
    original = FacsimileOriginalSerializer(source="*")
    derivatives = FacsimileDerivativesSerializer(source="*")
    notes = serializers.ListField(
        child=serializers.CharField(),
        read_only=True,
        help_text="How the facsimile is shown, e.g. that only the first of a TIFF's pages is.",
    )

    class Meta:
        model = Facsimile
        fields = [
            "id",
            "url",
            "document",
            "position",
            "created_at",
            "original",
            "derivatives",
            "notes",
        ]


class FacsimileUploadSerializer(serializers.Serializer):
    file = serializers.FileField(
        allow_empty_file=True,
        help_text=(
            "A scan or photograph of the printed reprint: JPEG, PNG, TIFF or WebP, within "
            "KAYNAK_MAX_IMAGE_BYTES and KAYNAK_MAX_IMAGE_PIXELS. Kept exactly as sent."
        ),
    )


class DocumentSummarySerializer(serializers.ModelSerializer):
    original_outlet = SourceRefSerializer(allow_null=True)
    reprinter = SourceRefSerializer(allow_null=True)
    url = serializers.HyperlinkedIdentityField(view_name="api:document-detail")

    class Meta:
        model = Document
        fields = [
            "id",
            "url",
            "title",
            "language",
            "original_outlet",
            "original_published_on",
            "reprinter",
            "reprinted_on",
            "layout",
            "sha256",
            "created_at",
            "withdrawn_at",
            "withdrawal_reason",
        ]


class DocumentDetailSerializer(DocumentSummarySerializer):
    original = StoredOriginalSerializer(source="*")
    facsimiles = FacsimileSerializer(many=True)
    events = ProvenanceEventSerializer(many=True)

    class Meta(DocumentSummarySerializer.Meta):
        fields = [
            *DocumentSummarySerializer.Meta.fields,
            "original_place",
            "byline",
            "original_url",
            "source_line",
            # A digest's article: which of the file's articles it is, and where in the file's
            # text it lies (0 and null for a file that holds one document).
            "part",
            "part_count",
            "file_start",
            "file_end",
            "text",
            "original",
            "facsimiles",
            "events",
        ]


class FieldReadSerializer(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # a field named like Field.label
    value = serializers.CharField(help_text="As shown; empty when nothing was read.")
    rule = serializers.CharField(
        help_text="The parser's rule that set the field, when the ingestion event names one."
    )
    corrected = serializers.BooleanField(help_text="Changed by someone since the upload.")


class ReadBackSerializer(serializers.Serializer):
    """What ingest read from the file, for the uploader to check."""

    layout = serializers.CharField()
    layout_label = serializers.CharField()
    # DRF's metaclass takes declared fields out of the class, so this does not hide
    # Serializer.fields; the stubs cannot know that.
    fields = FieldReadSerializer(many=True)  # type: ignore[assignment]
    warning = serializers.CharField(
        help_text="Set when outlet or original date is missing (the document then waits in "
        "the review queue)."
    )
    notes = serializers.ListField(child=serializers.CharField())
    needs_provenance = serializers.BooleanField()


class DocumentUploadedSerializer(DocumentDetailSerializer):
    """The answer to an upload: the document and what was read from its file (`read`, set on
    the instance by the view from `document_read_back`)."""

    read = ReadBackSerializer(source="read_back")

    class Meta(DocumentDetailSerializer.Meta):
        fields = [*DocumentDetailSerializer.Meta.fields, "read"]


class DocumentUpdateSerializer(serializers.Serializer):
    """The metadata a curator may correct; sources by slug. The text and the stored original
    never change."""

    title = serializers.CharField(max_length=1000, required=False)
    language = serializers.CharField(max_length=16, required=False)
    original_outlet = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=Source.objects.filter(merged_into__isnull=True),
        allow_null=True,
        required=False,
    )
    original_place = serializers.CharField(max_length=200, required=False, allow_blank=True)
    original_published_on = serializers.DateField(required=False, allow_null=True)
    byline = serializers.CharField(max_length=300, required=False, allow_blank=True)
    original_url = serializers.URLField(max_length=2000, required=False, allow_blank=True)
    reprinter = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=Source.objects.filter(merged_into__isnull=True),
        allow_null=True,
        required=False,
    )
    reprinted_on = serializers.DateField(required=False, allow_null=True)
    source_line = serializers.CharField(max_length=1000, required=False, allow_blank=True)

    def validate(self, attrs: dict) -> dict:
        unknown = set(self.initial_data) - set(EDITABLE_FIELDS)
        if unknown:
            raise serializers.ValidationError(
                f"{', '.join(sorted(unknown))} cannot be edited; "
                f"editable: {', '.join(EDITABLE_FIELDS)}"
            )
        return attrs


class CurationReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="Why; recorded in the history."
    )


class DocumentFilterSerializer(serializers.Serializer):
    outlet = serializers.SlugField(required=False, help_text="Slug of the original outlet.")
    reprinter = serializers.SlugField(required=False, help_text="Slug of the reprinter.")
    language = serializers.CharField(required=False, max_length=16)
    published_from = serializers.DateField(required=False)
    published_to = serializers.DateField(required=False)
    reprinted_from = serializers.DateField(required=False)
    reprinted_to = serializers.DateField(required=False)

    def validate(self, attrs: dict) -> dict:
        for start, end in (("published_from", "published_to"), ("reprinted_from", "reprinted_to")):
            if attrs.get(start) and attrs.get(end) and attrs[start] > attrs[end]:
                raise serializers.ValidationError({end: f"{end} is before {start}."})
        return attrs


class DocumentUploadSerializer(serializers.Serializer):
    file = serializers.FileField(
        allow_empty_file=True,
        help_text=(
            "One document: an AVİM reprint, plain text, or a JSON record. JSON Lines bulk "
            "files are loaded with `manage.py ingest`."
        ),
    )


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
    code = serializers.CharField(required=False)
