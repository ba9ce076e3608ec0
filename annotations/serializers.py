from __future__ import annotations

import zoneinfo
from typing import Any

from django.conf import settings
from django.urls import reverse
from rest_framework import serializers

from annotations.anchoring import OffsetUnit
from annotations.models import (
    COMMENT_MAX_LENGTH,
    Annotation,
    AnnotationRevision,
    Reply,
    SourceRole,
    Tag,
    Visibility,
)
from annotations.selectors import is_curator
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
    source = SourceRefSerializer()
    role = serializers.ChoiceField(choices=SourceRole.choices)


class SourceTagInputSerializer(serializers.Serializer):
    source = serializers.SlugField(help_text="The source's slug (GET /api/sources/).")
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
        ]

    def get_url(self, annotation: Annotation) -> str:
        # Resolved once per response, not once per annotation (a tenth of a page of 100).
        template = self.context.get("annotation_url_template")
        if template is None:
            path = reverse("api:annotation-detail", kwargs={"pk": URL_PLACEHOLDER})
            request = self.context.get("request")
            template = request.build_absolute_uri(path) if request else path
            self.context["annotation_url_template"] = template
        return template.replace(str(URL_PLACEHOLDER), str(annotation.pk), 1)

    def get_hidden(self, annotation: Annotation) -> bool:
        return annotation.hidden_at is not None

    def get_hidden_reason(self, annotation: Annotation) -> str | None:
        """For the creator and curators only."""
        request = self.context.get("request")
        if annotation.hidden_at is None or request is None:
            return None
        user = request.user
        return (
            annotation.hidden_reason
            if user.pk == annotation.creator_id or is_curator(user)
            else None
        )


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


class AnnotationUpdateSerializer(serializers.Serializer):
    comment = serializers.CharField(
        allow_blank=True, trim_whitespace=False, max_length=COMMENT_MAX_LENGTH
    )
    visibility = serializers.ChoiceField(choices=Visibility.choices)
    group = serializers.IntegerField(allow_null=True, required=False, min_value=1, max_value=MAX_ID)
    tags = serializers.ListField(child=serializers.CharField(max_length=100))
    source_tags = SourceTagInputSerializer(many=True)


class AnnotationFilterSerializer(serializers.Serializer):
    tag = serializers.SlugField(required=False)
    source = serializers.SlugField(required=False)
    role = serializers.ChoiceField(choices=SourceRole.choices, required=False)
    creator = serializers.CharField(required=False, help_text="Username.")
    visibility = serializers.ChoiceField(choices=Visibility.choices, required=False)
    overlaps = serializers.RegexField(
        r"^\d+,\d+$",
        required=False,
        help_text="`start,end`: annotations overlapping this range of code points.",
    )
    document = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)

    def validate_overlaps(self, value: str) -> tuple[int, int]:
        start, end = (int(part) for part in value.split(","))
        if start >= end:
            raise serializers.ValidationError("start must be before end")
        return start, end


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, default="", allow_blank=True)


class ReplySerializer(serializers.ModelSerializer):
    author = serializers.CharField(source="author.username")

    class Meta:
        model = Reply
        fields = ["id", "author", "body", "created_at"]


class ReplyInputSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=COMMENT_MAX_LENGTH, trim_whitespace=False)


class RevisionSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor.username")

    class Meta:
        model = AnnotationRevision
        fields = ["version", "action", "actor", "occurred_at", "changes", "reason"]


def update_changes(data: dict[str, Any]) -> dict[str, Any]:
    """Validated update data as service arguments."""
    changes = dict(data)
    if "source_tags" in changes:
        changes["source_tags"] = [SourceTagInput(**item) for item in changes["source_tags"]]
    return changes
