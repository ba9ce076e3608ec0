from __future__ import annotations

import zoneinfo
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.urls import reverse
from rest_framework import serializers

from annotations.anchoring import OffsetUnit
from annotations.models import (
    COMMENT_MAX_LENGTH,
    IRI_MAX_LENGTH,
    Annotation,
    Reply,
    RevisionAction,
    SourceRole,
    Tag,
    Visibility,
)
from annotations.selectors import can_read_hide_reason
from annotations.services import SourceTagInput
from archive.serializers import SourceRefSerializer
from kaynak.api import MAX_ID


class TagSerializer(serializers.ModelSerializer):
    class Meta:
        model = Tag
        fields = ["id", "slug", "name", "curated"]


class TagInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    curated = serializers.BooleanField(default=False, help_text="Curators only.")


class TagFilterSerializer(serializers.Serializer):
    q = serializers.CharField(required=False, max_length=100)
    curated = serializers.BooleanField(required=False, allow_null=True, default=None)


class SourceTagSerializer(serializers.Serializer):
    source = SourceRefSerializer()  # type: ignore[assignment]  # a field named like Field.source (the stubs type fields as that attribute)
    role = serializers.ChoiceField(choices=SourceRole.choices)


class SourceTagInputSerializer(serializers.Serializer):
    source = serializers.SlugField(help_text="The source's slug (GET /api/sources/).")  # type: ignore[assignment]  # a field named like Field.source (the stubs type fields as that attribute)
    role = serializers.ChoiceField(choices=SourceRole.choices, default=SourceRole.MENTIONED)


class GroupSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


SERVER_TIMEZONE = zoneinfo.ZoneInfo(settings.TIME_ZONE)
# A pk no annotation has, standing in the URL until each annotation's own replaces it.
URL_PLACEHOLDER = 987654321987


class AnnotationSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    document = serializers.IntegerField(source="document_id")
    group = GroupSerializer(allow_null=True)
    creator = serializers.CharField(source="creator.username")
    # The zone given once, not looked up per value (a twentieth of a page of 100).
    created_at = serializers.DateTimeField(read_only=True, default_timezone=SERVER_TIMEZONE)
    modified_at = serializers.DateTimeField(read_only=True, default_timezone=SERVER_TIMEZONE)
    tags = TagSerializer(many=True, source="tag_list")
    source_tags = SourceTagSerializer(many=True, source="source_tag_list")
    hidden = serializers.SerializerMethodField()
    hidden_reason = serializers.SerializerMethodField()
    reply_count = serializers.IntegerField(read_only=True, default=0)
    page_note = serializers.BooleanField(
        source="is_page_note",
        read_only=True,
        help_text="On the whole document: start and end are null, quote is empty.",
    )
    via = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = Annotation
        fields = [
            "id",
            "url",
            "document",
            "start",
            "end",
            "quote",
            "prefix",
            "suffix",
            "comment",
            "visibility",
            "group",
            "creator",
            "tags",
            "source_tags",
            "created_at",
            "modified_at",
            "version",
            "hidden",
            "hidden_reason",
            "reply_count",
            "page_note",
            "canonical",
            "via",
            "imported_from",
            "imported_creator",
        ]

    def get_url(self, annotation: Annotation) -> str:
        # Resolved once per response, not once per annotation (a tenth of a page of 100).
        template = self.context.get("annotation_url_template")
        if template is None:
            path = reverse("api:annotation-detail", kwargs={"pk": URL_PLACEHOLDER})
            request = self.context.get("request")
            template = request.build_absolute_uri(path) if request else path
            # DRF hands every serializer of a response the same dict; the stubs say Mapping.
            self.context["annotation_url_template"] = template  # type: ignore[index]
        return template.replace(str(URL_PLACEHOLDER), str(annotation.pk), 1)

    def get_hidden(self, annotation: Annotation) -> bool:
        return annotation.hidden_at is not None

    def get_hidden_reason(self, annotation: Annotation) -> str | None:
        """For the creator and curators only."""
        request = self.context.get("request")
        if annotation.hidden_at is None or request is None:
            return None
        return annotation.hidden_reason if can_read_hide_reason(request.user, annotation) else None


class AnnotationCreateSerializer(serializers.Serializer):
    start = serializers.IntegerField(required=False, help_text="First character of the span.")
    end = serializers.IntegerField(required=False, help_text="Character after the span.")
    offset_unit = serializers.ChoiceField(
        choices=[unit.value for unit in OffsetUnit],
        default=OffsetUnit.CODEPOINT.value,
        help_text="`codepoint` (as W3C counts; the default) or `utf16` (as browsers count).",
    )
    quote = serializers.CharField(
        required=False,
        trim_whitespace=False,
        help_text="With offsets: must equal the text there. Without: anchored by itself, "
        "with `prefix` and `suffix`, and must occur once.",
    )
    prefix = serializers.CharField(
        required=False, default="", allow_blank=True, trim_whitespace=False
    )
    suffix = serializers.CharField(
        required=False, default="", allow_blank=True, trim_whitespace=False
    )
    comment = serializers.CharField(
        required=False,
        default="",
        allow_blank=True,
        trim_whitespace=False,
        max_length=COMMENT_MAX_LENGTH,
    )
    visibility = serializers.ChoiceField(choices=Visibility.choices, default=Visibility.PRIVATE)
    group = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        min_value=1,
        max_value=MAX_ID,
        help_text="Group id, with visibility group.",
    )
    tags = serializers.ListField(
        child=serializers.CharField(max_length=100), required=False, default=list
    )
    source_tags = SourceTagInputSerializer(many=True, required=False, default=list)
    page_note = serializers.BooleanField(
        default=False,
        help_text="A note on the whole document: give no offsets, quote or context.",
    )
    canonical = serializers.CharField(
        required=False,
        default="",
        allow_blank=True,
        max_length=IRI_MAX_LENGTH,
        help_text="The IRI the annotation was first published with (W3C `canonical`); "
        "kept as given, never changed.",
    )
    via = serializers.ListField(
        child=serializers.CharField(max_length=IRI_MAX_LENGTH),
        required=False,
        default=list,
        help_text="IRIs of the copies the annotation was taken from (W3C `via`).",
    )


class AnnotationUpdateSerializer(serializers.Serializer):
    """What the creator may change. Anything else sent is refused by name, not ignored: a
    client that sends `start` believes it moved the span."""

    comment = serializers.CharField(
        allow_blank=True, trim_whitespace=False, max_length=COMMENT_MAX_LENGTH
    )
    visibility = serializers.ChoiceField(
        choices=Visibility.choices,
        help_text="Leaving `group` leaves the group too; entering it needs `group`.",
    )
    group = serializers.IntegerField(allow_null=True, required=False, min_value=1, max_value=MAX_ID)
    tags = serializers.ListField(child=serializers.CharField(max_length=100))
    source_tags = SourceTagInputSerializer(many=True)

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        # Checked before the fields, so a PUT missing fields still hears about these.
        if isinstance(data, Mapping):
            others = sorted(set(data) - set(self.fields))
            if others:
                raise serializers.ValidationError(
                    {name: [self._not_editable(name)] for name in others}
                )
        return super().to_internal_value(data)

    def _not_editable(self, name: str) -> str:
        editable = f"only {', '.join(self.fields)} can be changed"
        if name in SPAN_FIELDS:
            return f"{name} is read-only (annotate the new span instead); {editable}"
        if name in READ_ONLY_FIELDS:
            return f"{name} is read-only; {editable}"
        return f"unknown field {name!r}; {editable}"


SPAN_FIELDS = {"start", "end", "quote", "prefix", "suffix", "offset_unit", "document"}
# What an annotation shows or was created with that no update may change.
READ_ONLY_FIELDS = (
    set(AnnotationSerializer.Meta.fields) | set(AnnotationCreateSerializer().fields)
) - set(AnnotationUpdateSerializer().fields)


class ImportParametersSerializer(serializers.Serializer):
    dry_run = serializers.BooleanField(
        default=False, help_text="Report what would happen; write nothing."
    )
    visibility = serializers.ChoiceField(
        choices=Visibility.choices,
        default=Visibility.PRIVATE,
        help_text="The visibility of every imported annotation.",
    )
    group = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_ID,
        help_text="With visibility=group: the group (one of yours) that may read them.",
    )


class ImportItemSerializer(serializers.Serializer):
    index = serializers.IntegerField(help_text="The item's place among the payload's, from 0.")
    id = serializers.CharField(help_text="The id it had in the payload; empty if none.")
    # Text, not an enum: the schema has a `kind` enum of sources already.
    kind = serializers.CharField(help_text="`annotation` or `reply`.")
    status = serializers.ChoiceField(choices=["created", "would_create", "skipped", "failed"])
    reason = serializers.CharField(help_text="Why it was skipped or failed.")
    document = serializers.IntegerField(allow_null=True)
    annotation = serializers.IntegerField(
        allow_null=True, help_text="The annotation made (or found, or replied to)."
    )
    reply = serializers.IntegerField(allow_null=True)
    notes = serializers.ListField(
        child=serializers.CharField(), help_text="What was left out or made on the way."
    )


class ImportCountsSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    would_create = serializers.IntegerField()
    skipped = serializers.IntegerField()
    failed = serializers.IntegerField()


class ImportReportSerializer(serializers.Serializer):
    dry_run = serializers.BooleanField()
    counts = ImportCountsSerializer()
    problems = serializers.ListField(
        child=serializers.CharField(), help_text="About the payload as a whole."
    )
    items = ImportItemSerializer(many=True)


class OptionalBooleanField(serializers.BooleanField):
    # DRF reads a boolean missing from a query string as false (an unticked HTML checkbox);
    # a filter left out must filter nothing.
    default_empty_html = serializers.empty


class AnnotationFilterSerializer(serializers.Serializer):
    tag = serializers.SlugField(required=False)
    source = serializers.SlugField(required=False)  # type: ignore[assignment]  # a field named like Field.source (the stubs type fields as that attribute)
    role = serializers.ChoiceField(choices=SourceRole.choices, required=False)
    creator = serializers.CharField(required=False, help_text="Username.")
    visibility = serializers.ChoiceField(choices=Visibility.choices, required=False)
    overlaps = serializers.RegexField(
        r"^\d+,\d+$",
        required=False,
        help_text="`start,end`: annotations overlapping this range of code points.",
    )
    document = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    group = serializers.CharField(required=False, max_length=150, help_text="Group name.")
    created_from = serializers.DateTimeField(
        required=False, help_text="Created at or after this time (ISO 8601)."
    )
    created_to = serializers.DateTimeField(
        required=False, help_text="Created at or before this time (ISO 8601)."
    )
    has_replies = OptionalBooleanField(
        required=False,
        help_text="true: annotations with replies everyone sees; false: those without.",
    )

    def validate_overlaps(self, value: str) -> tuple[int, int]:
        start, end = (int(part) for part in value.split(","))
        if start >= end:
            raise serializers.ValidationError("start must be before end")
        return start, end


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, default="", allow_blank=True)


class ReplySerializer(serializers.ModelSerializer):
    author = serializers.CharField(source="author.username")
    hidden = serializers.SerializerMethodField()

    class Meta:
        model = Reply
        fields = [
            "id",
            "author",
            "body",
            "created_at",
            "modified_at",
            "version",
            "hidden",
            "hidden_reason",
        ]

    def get_hidden(self, reply: Reply) -> bool:
        """Hidden by a curator: only its author and curators still read it."""
        return reply.hidden_at is not None


class ReplyInputSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=COMMENT_MAX_LENGTH, trim_whitespace=False)


class RevisionChangeSerializer(serializers.Serializer):
    before = serializers.JSONField(required=False, help_text="Left out when withheld.")
    after = serializers.JSONField(required=False, help_text="Left out when withheld.")


# Over selectors.RevisionEntry: what revision_history lets the reader see.
class RevisionSerializer(serializers.Serializer):
    """One change of an annotation, as you may see it."""

    version = serializers.IntegerField()
    action = serializers.ChoiceField(choices=RevisionAction.choices)
    actor = serializers.CharField(
        allow_null=True,
        help_text="Username of who made the change; null for the system itself (a source "
        "merge run without a person).",
    )
    occurred_at = serializers.DateTimeField()
    changes = serializers.DictField(
        child=RevisionChangeSerializer(),
        help_text="Each changed field, before and after; a side you could not read at the "
        "time (see `withheld`) is left out, so only the field's name shows.",
    )
    withheld = serializers.ListField(
        child=serializers.ChoiceField(choices=["before", "after"]),
        help_text="`before`, `after`: the states of the annotation you could not read then.",
    )
    reason = serializers.CharField(
        allow_null=True,
        help_text="A curator's reason for hiding or deleting; null unless you are the "
        "creator or a curator.",
    )


def update_changes(data: dict[str, Any]) -> dict[str, Any]:
    """Validated update data as service arguments."""
    changes = dict(data)
    if "source_tags" in changes:
        changes["source_tags"] = [SourceTagInput(**item) for item in changes["source_tags"]]
    return changes


class CitationSerializer(serializers.Serializer):
    text = serializers.CharField(help_text="The citation as one line of plain text.")
    csl = serializers.DictField(
        help_text="The same citation as one CSL-JSON item (for Zotero, pandoc, citeproc)."
    )
