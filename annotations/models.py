from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Length
from django.db.models.lookups import Exact, LessThanOrEqual
from django.utils import timezone

from archive.models import SHA256_HEX_LENGTH, Document, Source
from kaynak.chain import canonical_json, instant, sha256_hex
from kaynak.preconditions import entity_tag

COMMENT_MAX_LENGTH = 10_000
CONTEXT_LENGTH = 32
IRI_MAX_LENGTH = 2048
IMPORTED_CREATOR_MAX_LENGTH = 300


class Visibility(models.TextChoices):
    PRIVATE = "private", "Private (only me)"
    GROUP = "group", "Group (members of one group)"
    PUBLIC = "public", "Public (every signed-in user)"


class SourceRole(models.TextChoices):
    CLAIMED_BY = "claimed_by", "Claimed by"
    REPORTED_BY = "reported_by", "Reported by"
    DENIED_BY = "denied_by", "Denied by"
    QUOTED = "quoted", "Quoted"
    MENTIONED = "mentioned", "Mentioned"


class Tag(models.Model):
    """A label for annotations: free (anyone may create one) or curated (a controlled
    vocabulary that curators maintain)."""

    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=120, help_text="Stable identifier used in URLs.")
    normalized_name = models.CharField(
        max_length=100, editable=False, help_text="Case- and diacritic-insensitive key."
    )
    curated = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["slug"], name="%(app_label)s_%(class)s_unique_slug"),
            models.UniqueConstraint(
                fields=["normalized_name"], name="%(app_label)s_%(class)s_unique_normalized_name"
            ),
            models.CheckConstraint(
                condition=~Q(normalized_name=""), name="%(app_label)s_%(class)s_has_name"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class AnnotationQuerySet(models.QuerySet["Annotation"]):
    def live(self) -> AnnotationQuerySet:
        return self.filter(deleted_at__isnull=True)


class Annotation(models.Model):
    """A span of a document's text, in Unicode code points, with what a researcher says of it,
    or a page note on the whole document (no span). Database triggers keep the span, its
    context, its document and its creator unchanged."""

    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="annotations")
    start = models.PositiveIntegerField(
        null=True, blank=True, help_text="First code point of the span; empty for a page note."
    )
    end = models.PositiveIntegerField(
        null=True, blank=True, help_text="Code point after the span; empty for a page note."
    )
    quote = models.TextField(
        blank=True,
        help_text="The exact text of the span when it was annotated; empty for a page note.",
    )
    prefix = models.CharField(
        max_length=CONTEXT_LENGTH, blank=True, help_text="Up to 32 code points before the span."
    )
    suffix = models.CharField(
        max_length=CONTEXT_LENGTH, blank=True, help_text="Up to 32 code points after the span."
    )
    comment = models.TextField(blank=True, help_text="Plain text, at most 10,000 characters.")
    visibility = models.CharField(
        max_length=10, choices=Visibility.choices, default=Visibility.PRIVATE
    )
    group = models.ForeignKey(
        Group,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="With group visibility: the group whose members may read it.",
    )
    creator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="annotations"
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="annotations")
    created_at = models.DateTimeField(auto_now_add=True)
    modified_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1, help_text="Raised by every change.")
    hidden_at = models.DateTimeField(null=True, blank=True)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    hidden_reason = models.TextField(blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    deletion_reason = models.TextField(blank=True)
    # The W3C Web Annotation protocol: an annotation copied from elsewhere keeps the IRI its
    # first publisher gave it (`canonical`) and the IRIs it was copied from (`via`). Both are
    # what the annotation was posted with, so a database trigger keeps them unchanged.
    canonical = models.CharField(
        max_length=IRI_MAX_LENGTH,
        blank=True,
        default="",
        help_text="The IRI the annotation was first published with (W3C `canonical`).",
    )
    via = models.JSONField(
        default=list,
        blank=True,
        help_text="IRIs of the copies the annotation was taken from (W3C `via`).",
    )

    # An annotation imported from a Web Annotation export (annotations.imports): the `id` it
    # had there (which may be relative, so not a `via`) and its creator's name as given.
    # Both describe the annotation's origin, so they never change either.
    imported_from = models.CharField(
        max_length=IRI_MAX_LENGTH,
        blank=True,
        default="",
        help_text="The id the annotation had where it was imported from; empty if not imported.",
    )
    imported_creator = models.CharField(
        max_length=IMPORTED_CREATOR_MAX_LENGTH,
        blank=True,
        default="",
        help_text="The name of the imported annotation's creator there, if given.",
    )

    objects = AnnotationQuerySet.as_manager()

    # Filled by the selectors' prefetches (`to_attr`) and by the services after a write, so a
    # representation reads labels without a query per annotation.
    tag_list: list[Tag]
    source_tag_list: list[SourceTag]
    # Filled by selectors.annotation_export (the exports' replies, oldest first).
    reply_list: list[Reply]

    class Meta:
        ordering = ["document_id", "start", "end", "id"]
        permissions = [("moderate_annotation", "Can read, hide and delete any annotation")]
        indexes = [models.Index(fields=["document", "start", "end"], name="annotations_span_idx")]
        constraints = [
            # A span with its quote, or a page note (on the whole document): no span, no
            # quote, no context.
            models.CheckConstraint(
                condition=(Q(start__gte=0) & Q(start__lt=F("end")) & ~Q(quote=""))
                | Q(start__isnull=True, end__isnull=True, quote="", prefix="", suffix=""),
                name="%(app_label)s_%(class)s_span_or_page_note",
            ),
            models.CheckConstraint(
                condition=(Q(visibility=Visibility.GROUP) & Q(group__isnull=False))
                | (~Q(visibility=Visibility.GROUP) & Q(group__isnull=True)),
                name="%(app_label)s_%(class)s_group_iff_group_visibility",
            ),
            models.CheckConstraint(
                condition=Q(visibility__in=Visibility.values),
                name="%(app_label)s_%(class)s_visibility_valid",
            ),
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("comment"), COMMENT_MAX_LENGTH),
                name="%(app_label)s_%(class)s_comment_length",
            ),
            models.CheckConstraint(
                condition=Q(version__gte=1), name="%(app_label)s_%(class)s_version_positive"
            ),
            # Who hid or deleted it is part of the record: both set, or neither.
            models.CheckConstraint(
                condition=Q(hidden_at__isnull=True, hidden_by__isnull=True)
                | Q(hidden_at__isnull=False, hidden_by__isnull=False),
                name="%(app_label)s_%(class)s_hidden_by_iff_hidden_at",
            ),
            models.CheckConstraint(
                condition=Q(deleted_at__isnull=True, deleted_by__isnull=True)
                | Q(deleted_at__isnull=False, deleted_by__isnull=False),
                name="%(app_label)s_%(class)s_deleted_by_iff_deleted_at",
            ),
        ]

    def __str__(self) -> str:
        if self.is_page_note:
            return f"page note on document {self.document_id}"
        return f"{self.quote[:40]!r} in document {self.document_id}"

    @property
    def is_page_note(self) -> bool:
        """On the whole document rather than a passage of it."""
        return self.start is None

    @property
    def tag_version(self) -> str:
        """The version kaynak.preconditions makes this annotation's ETag of."""
        return f"{self.pk}.{self.version}"

    @property
    def etag(self) -> str:
        return entity_tag(self.tag_version)


class SourceTag(models.Model):
    """An attribution of an annotation's passage to a curated source, with the source's role.
    A database trigger refuses a source that was merged into another."""

    annotation = models.ForeignKey(Annotation, on_delete=models.PROTECT, related_name="source_tags")
    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="source_tags")
    role = models.CharField(max_length=20, choices=SourceRole.choices)

    class Meta:
        ordering = ["annotation_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["annotation", "source", "role"], name="%(app_label)s_%(class)s_unique"
            ),
            models.CheckConstraint(
                condition=Q(role__in=SourceRole.values), name="%(app_label)s_%(class)s_role_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()} {self.source}"


class ReplyQuerySet(models.QuerySet["Reply"]):
    def live(self) -> ReplyQuerySet:
        return self.filter(deleted_at__isnull=True)


class Reply(models.Model):
    """A reply in an annotation's thread. Its author edits and deletes it (deleted replies
    stay, out of the thread, for their history); a curator may hide it, saying why."""

    annotation = models.ForeignKey(Annotation, on_delete=models.PROTECT, related_name="replies")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    modified_at = models.DateTimeField(
        null=True, blank=True, help_text="When its author last edited it; empty if never."
    )
    version = models.PositiveIntegerField(default=1, help_text="Raised by every change.")
    hidden_at = models.DateTimeField(null=True, blank=True)
    hidden_reason = models.TextField(blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    objects = ReplyQuerySet.as_manager()

    class Meta:
        ordering = ["annotation_id", "created_at", "id"]
        verbose_name_plural = "replies"
        constraints = [
            models.CheckConstraint(condition=~Q(body=""), name="%(app_label)s_%(class)s_has_body"),
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("body"), COMMENT_MAX_LENGTH),
                name="%(app_label)s_%(class)s_body_length",
            ),
            models.CheckConstraint(
                condition=Q(version__gte=1), name="%(app_label)s_%(class)s_version_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"Reply by {self.author_id} to annotation {self.annotation_id}"

    @property
    def tag_version(self) -> str:
        """The version kaynak.preconditions makes this reply's ETag of."""
        return f"reply-{self.pk}.{self.version}"

    @property
    def etag(self) -> str:
        return entity_tag(self.tag_version)


class RevisionAction(models.TextChoices):
    CREATED = "created", "Created"
    UPDATED = "updated", "Updated"
    HIDDEN = "hidden", "Hidden"
    UNHIDDEN = "unhidden", "Unhidden"
    DELETED = "deleted", "Deleted"


class AnnotationRevision(models.Model):
    """One change of an annotation: append-only, enforced by database triggers, and
    hash-chained per annotation (the version is the chain's sequence)."""

    annotation = models.ForeignKey(Annotation, on_delete=models.PROTECT, related_name="revisions")
    version = models.PositiveIntegerField(help_text="The annotation's version after the change.")
    action = models.CharField(max_length=10, choices=RevisionAction.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The person responsible; empty for the system itself.",
    )
    # Set before saving, not by auto_now_add, so the hash can cover it.
    occurred_at = models.DateTimeField(default=timezone.now)
    changes = models.JSONField(default=dict, help_text="Field: {before, after}.")
    reason = models.TextField(blank=True)
    previous_hash = models.CharField(max_length=SHA256_HEX_LENGTH, blank=True, editable=False)
    revision_hash = models.CharField(max_length=SHA256_HEX_LENGTH, editable=False)

    class Meta:
        ordering = ["annotation_id", "version", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["annotation", "version"], name="%(app_label)s_%(class)s_unique_version"
            ),
            models.CheckConstraint(
                condition=(Q(version=1) & Q(previous_hash=""))  # type: ignore[arg-type]  # Q & expression is a Q; the stubs say Combinable
                | (Q(version__gt=1) & Exact(Length("previous_hash"), SHA256_HEX_LENGTH)),
                name="%(app_label)s_%(class)s_chain_link",
            ),
            models.CheckConstraint(
                condition=Q(action__in=RevisionAction.values),
                name="%(app_label)s_%(class)s_action_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.action} v{self.version} of annotation {self.annotation_id}"

    def canonical_content(self) -> bytes:
        """The bytes that `revision_hash` covers: every field but the hash itself."""
        return canonical_json(
            {
                "annotation": self.annotation_id,
                "version": self.version,
                "action": self.action,
                "actor": self.actor_id,
                "occurred_at": instant(self.occurred_at),
                "changes": self.changes,
                "reason": self.reason,
                "previous_hash": self.previous_hash,
            }
        )

    def compute_hash(self) -> str:
        return sha256_hex(self.canonical_content())


class ReplyRevision(models.Model):
    """One change of a reply (created, edited, hidden, unhidden, deleted): append-only, with
    the body before and after."""

    reply = models.ForeignKey(Reply, on_delete=models.PROTECT, related_name="revisions")
    version = models.PositiveIntegerField(help_text="The reply's version after the change.")
    action = models.CharField(max_length=10, choices=RevisionAction.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    occurred_at = models.DateTimeField(default=timezone.now)
    changes = models.JSONField(default=dict, help_text="Field: {before, after}.")
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["reply_id", "version", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["reply", "version"], name="%(app_label)s_%(class)s_unique_version"
            ),
            models.CheckConstraint(
                condition=Q(action__in=RevisionAction.values),
                name="%(app_label)s_%(class)s_action_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.action} v{self.version} of reply {self.reply_id}"
