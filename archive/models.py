from __future__ import annotations

from datetime import UTC

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Length
from django.db.models.lookups import Exact
from django.utils import timezone

from kaynak.chain import canonical_json, instant, sha256_hex

SHA256_HEX_LENGTH = 64


class SourceKind(models.TextChoices):
    OUTLET = "outlet", "Outlet"
    THINK_TANK = "think_tank", "Think tank"
    GOVERNMENT = "government", "Government"
    ARMED_GROUP = "armed_group", "Armed group"
    AGENCY = "agency", "Agency"
    PERSON = "person", "Person"
    OTHER = "other", "Other"


class Source(models.Model):
    """A curated publisher, institution or actor that documents and passages are attributed to."""

    name = models.CharField(max_length=300, help_text="The name curators display.")
    slug = models.SlugField(max_length=120, help_text="Stable identifier used in URLs.")
    kind = models.CharField(max_length=20, choices=SourceKind.choices, default=SourceKind.OTHER)
    description = models.TextField(blank=True)
    url = models.URLField(max_length=500, blank=True, help_text="The source's own web site.")
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="merged_sources",
        help_text="Set when this source was merged into another; it is then a tombstone.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        permissions = [("merge_source", "Can merge sources and undo merges")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(merged_into=F("pk")),
                name="%(app_label)s_%(class)s_not_merged_into_self",
            ),
            models.UniqueConstraint(fields=["slug"], name="%(app_label)s_%(class)s_unique_slug"),
            models.CheckConstraint(condition=~Q(name=""), name="%(app_label)s_%(class)s_has_name"),
            models.CheckConstraint(
                condition=Q(kind__in=SourceKind.values), name="%(app_label)s_%(class)s_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_live(self) -> bool:
        return self.merged_into_id is None


class SourceAlias(models.Model):
    """One spelling of a source's name. Every source has its own name among its aliases, so
    the unique normalised form stops the same outlet being created twice."""

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="aliases")
    name = models.CharField(max_length=300)
    normalized_name = models.CharField(
        max_length=300,
        editable=False,
        help_text="Case-, diacritic- and punctuation-insensitive key (see normalize_name).",
    )

    class Meta:
        ordering = ["name", "id"]
        verbose_name_plural = "source aliases"
        constraints = [
            models.UniqueConstraint(
                fields=["normalized_name"], name="%(app_label)s_%(class)s_unique_normalized_name"
            ),
            models.CheckConstraint(
                condition=~Q(normalized_name=""), name="%(app_label)s_%(class)s_has_normalized_name"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class DocumentQuerySet(models.QuerySet["Document"]):
    def with_sources(self) -> DocumentQuerySet:
        return self.select_related("original_outlet", "reprinter")

    def current(self) -> DocumentQuerySet:
        """Documents not withdrawn."""
        return self.filter(withdrawn_at__isnull=True)

    def first_of_each_file(self) -> DocumentQuerySet:
        """One document per stored file: a digest's first article stands for its file."""
        return self.filter(part__lte=1)

    def needs_provenance(self) -> DocumentQuerySet:
        """The review queue: current documents whose outlet or original date is not known, or
        that someone flagged for a curator."""
        return self.current().filter(
            Q(original_outlet__isnull=True)
            | Q(original_published_on__isnull=True)
            | Q(review_requested_at__isnull=False)
        )


class Document(models.Model):
    """A received document: its parsed metadata, its text, and the exact bytes it came as."""

    title = models.CharField(max_length=1000)
    text = models.TextField(
        help_text=(
            "The decoded text (\\n line endings, Unicode NFC) on which annotation offsets are "
            "defined. For a reprint, the article body as printed."
        )
    )
    language = models.CharField(
        max_length=16, default="und", help_text="BCP 47 language code; 'und' when unknown."
    )
    original_outlet = models.ForeignKey(
        Source,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="documents_as_outlet",
        help_text="Who first published the article.",
    )
    original_place = models.CharField(
        max_length=200, blank=True, help_text="Place named on the outlet line (e.g. a country)."
    )
    original_published_on = models.DateField(
        null=True, blank=True, help_text="Calendar date of the original publication."
    )
    byline = models.CharField(max_length=300, blank=True)
    original_url = models.URLField(max_length=2000, blank=True)
    reprinter = models.ForeignKey(
        Source,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="documents_as_reprinter",
        help_text="The institution that republished the article.",
    )
    reprinted_on = models.DateField(
        null=True, blank=True, help_text="Calendar date of the republication."
    )
    source_line = models.CharField(
        max_length=1000, blank=True, help_text="What the closing Kaynak/Source line says."
    )
    layout = models.CharField(max_length=40, help_text="Name of the parser that read the file.")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    withdrawn_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="Set while the document is withdrawn: hidden from search and from "
        "everyone but curators, its original, annotations and history kept.",
    )
    withdrawal_reason = models.TextField(blank=True, editable=False)
    review_requested_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="Set while someone has asked a curator to check the provenance (the "
        "document is then in the review queue); cleared when a curator has.",
    )

    # The stored original: immutable once written (a database trigger refuses changes).
    sha256 = models.CharField(
        "SHA-256", max_length=SHA256_HEX_LENGTH, editable=False, help_text="Fixity value."
    )
    size_bytes = models.PositiveBigIntegerField(editable=False)
    media_type = models.CharField(max_length=100, editable=False)
    encoding = models.CharField(
        max_length=40, editable=False, help_text="Character encoding detected at ingest."
    )
    original_filename = models.CharField(
        max_length=500, editable=False, help_text="File name as received."
    )
    # A file holding several articles (a digest) is stored once and becomes one document per
    # article: siblings share the SHA-256 and are told apart by `part` (1…part_count), each
    # with its character range in the file's decoded text. A file that is one document has
    # part 0 and no range.
    part = models.PositiveSmallIntegerField(
        default=0, editable=False, help_text="n for the nth article of a digest file; else 0."
    )
    part_count = models.PositiveSmallIntegerField(
        default=0, editable=False, help_text="Articles in the digest file; 0 if not a digest."
    )
    file_start = models.PositiveIntegerField(
        null=True, editable=False, help_text="Where the article starts in the file's text."
    )
    file_end = models.PositiveIntegerField(
        null=True, editable=False, help_text="Where the article ends in the file's text."
    )

    objects = DocumentQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [("withdraw_document", "Can withdraw and restore documents")]
        indexes = [
            models.Index(fields=["original_published_on"], name="archive_doc_published_idx"),
            models.Index(fields=["reprinted_on"], name="archive_doc_reprinted_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["sha256", "part"], name="%(app_label)s_%(class)s_unique_sha256_part"
            ),
            models.CheckConstraint(
                condition=Q(part=0, part_count=0, file_start__isnull=True, file_end__isnull=True)
                | Q(
                    part__gte=1,
                    part__lte=F("part_count"),
                    file_start__isnull=False,
                    file_end__gt=F("file_start"),
                ),
                name="%(app_label)s_%(class)s_part_in_file",
            ),
            models.CheckConstraint(
                condition=Exact(Length("sha256"), SHA256_HEX_LENGTH),
                name="%(app_label)s_%(class)s_sha256_length",
            ),
            models.CheckConstraint(
                condition=~Q(title=""), name="%(app_label)s_%(class)s_has_title"
            ),
            models.CheckConstraint(
                condition=~Q(layout=""), name="%(app_label)s_%(class)s_has_layout"
            ),
            models.CheckConstraint(
                condition=Q(size_bytes__gt=0), name="%(app_label)s_%(class)s_original_not_empty"
            ),
            models.CheckConstraint(
                condition=Q(reprinted_on__isnull=True)
                | Q(original_published_on__isnull=True)
                | Q(reprinted_on__gte=F("original_published_on")),
                name="%(app_label)s_%(class)s_reprint_not_before_original",
            ),
            models.CheckConstraint(
                condition=Q(withdrawn_at__isnull=True) | ~Q(withdrawal_reason=""),
                name="%(app_label)s_%(class)s_withdrawal_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_withdrawn(self) -> bool:
        return self.withdrawn_at is not None


class EventType(models.TextChoices):
    INGESTION = "ingestion", "Ingestion"
    DUPLICATE_SUBMISSION = "duplicate_submission", "Duplicate submission"
    METADATA_CHANGE = "metadata_change", "Metadata change"
    FIXITY_CHECK = "fixity_check", "Fixity check"
    WITHDRAWAL = "withdrawal", "Withdrawal"
    RESTORATION = "restoration", "Restoration"
    FACSIMILE_ATTACHED = "facsimile_attached", "Facsimile attached"
    DERIVATIVES_MADE = "derivatives_made", "Facsimile derivatives made"
    DERIVATIVE_FAILURE = "derivative_failure", "Facsimile derivative failure"
    # Appended once per document by `import_bag`, after the chain the bag carried.
    RESTORED_FROM_BAG = "restored_from_bag", "Restored from a bag"


class EventOutcome(models.TextChoices):
    SUCCESS = "success", "Success"
    WARNING = "warning", "Warning"
    FAILURE = "failure", "Failure"


class ProvenanceEvent(models.Model):
    """One entry of a document's append-only history (after PREMIS events).

    Database triggers refuse UPDATE and DELETE. Each event also hashes its canonical content
    together with the previous event's hash, so an edit made around the triggers breaks the
    chain and `fixity_check` reports it.
    """

    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="events")
    sequence = models.PositiveIntegerField(help_text="1 for the document's first event.")
    event_type = models.CharField(max_length=40, choices=EventType.choices)
    occurred_at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The person responsible; empty for the system itself.",
    )
    agent = models.CharField(max_length=200, help_text="Software and version that acted.")
    outcome = models.CharField(max_length=10, choices=EventOutcome.choices)
    detail = models.JSONField(default=dict, blank=True)
    previous_hash = models.CharField(max_length=SHA256_HEX_LENGTH, blank=True, editable=False)
    event_hash = models.CharField(max_length=SHA256_HEX_LENGTH, editable=False)

    class Meta:
        ordering = ["document_id", "sequence"]
        constraints = [
            models.UniqueConstraint(
                fields=["document", "sequence"], name="%(app_label)s_%(class)s_unique_sequence"
            ),
            models.UniqueConstraint(
                fields=["event_hash"], name="%(app_label)s_%(class)s_unique_event_hash"
            ),
            models.CheckConstraint(
                condition=Q(sequence__gte=1), name="%(app_label)s_%(class)s_sequence_positive"
            ),
            models.CheckConstraint(
                condition=(Q(sequence=1) & Q(previous_hash=""))  # type: ignore[arg-type]  # Q & expression is a Q; the stubs say Combinable
                | (Q(sequence__gt=1) & Exact(Length("previous_hash"), SHA256_HEX_LENGTH)),
                name="%(app_label)s_%(class)s_chain_link",
            ),
            models.CheckConstraint(
                condition=Q(event_type__in=EventType.values),
                name="%(app_label)s_%(class)s_event_type_valid",
            ),
            models.CheckConstraint(
                condition=Q(outcome__in=EventOutcome.values),
                name="%(app_label)s_%(class)s_outcome_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_event_type_display()} #{self.sequence} of document {self.document_id}"

    def canonical_content(self) -> bytes:
        """The bytes that `event_hash` covers: every field but the hash itself."""
        content = {
            "document": self.document_id,
            "sequence": self.sequence,
            "event_type": self.event_type,
            "occurred_at": self.occurred_at.astimezone(UTC).isoformat(timespec="microseconds"),
            "actor": self.actor_id,
            "agent": self.agent,
            "outcome": self.outcome,
            "detail": self.detail,
            "previous_hash": self.previous_hash,
        }
        return canonical_json(content)

    def compute_hash(self) -> str:
        return sha256_hex(self.canonical_content())


class SourceEventType(models.TextChoices):
    CREATION = "creation", "Creation"
    CHANGE = "change", "Change"
    ALIAS_ADDED = "alias_added", "Alias added"
    ALIAS_REMOVED = "alias_removed", "Alias removed"
    MERGE = "merge", "Merge"
    UNMERGE = "unmerge", "Unmerge"


class SourceEvent(models.Model):
    """One entry of a source's append-only curation history (database triggers refuse UPDATE
    and DELETE), hash-chained per source like a document's events. A merge's detail records
    every pointer and alias it moved, so that `source_unmerge` can put back exactly those."""

    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="events")
    sequence = models.PositiveIntegerField(help_text="1 for the source's first event.")
    event_type = models.CharField(max_length=20, choices=SourceEventType.choices)
    occurred_at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The person responsible; empty for the system itself.",
    )
    reason = models.TextField(blank=True)
    detail = models.JSONField(default=dict, blank=True)
    undoes = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="undone_by",
        help_text="For an unmerge: the merge it undid (a merge can be undone once).",
    )
    previous_hash = models.CharField(max_length=SHA256_HEX_LENGTH, blank=True, editable=False)
    event_hash = models.CharField(max_length=SHA256_HEX_LENGTH, editable=False)

    class Meta:
        ordering = ["occurred_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "sequence"], name="%(app_label)s_%(class)s_unique_sequence"
            ),
            models.CheckConstraint(
                condition=(Q(sequence=1) & Q(previous_hash=""))  # type: ignore[arg-type]  # Q & expression is a Q; the stubs say Combinable
                | (Q(sequence__gt=1) & Exact(Length("previous_hash"), SHA256_HEX_LENGTH)),
                name="%(app_label)s_%(class)s_chain_link",
            ),
            models.CheckConstraint(
                condition=Q(event_type__in=SourceEventType.values),
                name="%(app_label)s_%(class)s_event_type_valid",
            ),
            models.CheckConstraint(
                condition=Q(undoes__isnull=True) | Q(event_type=SourceEventType.UNMERGE),
                name="%(app_label)s_%(class)s_only_unmerge_undoes",
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.get_event_type_display()} of {self.source} at {self.occurred_at:%Y-%m-%d %H:%M}"
        )

    def canonical_content(self) -> bytes:
        """The bytes that `event_hash` covers: every field but the hash itself."""
        return canonical_json(
            {
                "source": self.source_id,
                "sequence": self.sequence,
                "event_type": self.event_type,
                "occurred_at": instant(self.occurred_at),
                "actor": self.actor_id,
                "reason": self.reason,
                "detail": self.detail,
                "undoes": self.undoes_id,
                "previous_hash": self.previous_hash,
            }
        )

    def compute_hash(self) -> str:
        return sha256_hex(self.canonical_content())


class ProvenanceCheckpoint(models.Model):
    """A witness of every history at one moment: the head (owner id, sequence, hash) of each
    document's, annotation's and source's chain, a Merkle root over them, and the previous
    checkpoint's hash. Append-only (database triggers refuse UPDATE and DELETE).

    Later chains must extend these heads, so a chain cut short or rewritten around the
    triggers is caught even when every hash in it was recomputed; an export of the newest
    checkpoint kept elsewhere catches a rewrite of every table, this one included.
    """

    number = models.PositiveIntegerField(help_text="1 for the first checkpoint.")
    created_at = models.DateTimeField(default=timezone.now)
    document_count = models.PositiveIntegerField()
    event_count = models.PositiveIntegerField()
    annotation_count = models.PositiveIntegerField()
    revision_count = models.PositiveIntegerField()
    source_count = models.PositiveIntegerField()
    source_event_count = models.PositiveIntegerField()
    heads = models.JSONField(
        help_text="{kind: [[owner id, sequence, hash], ...]} for every chain's newest entry."
    )
    merkle_root = models.CharField(max_length=SHA256_HEX_LENGTH, editable=False)
    previous_hash = models.CharField(max_length=SHA256_HEX_LENGTH, blank=True, editable=False)
    checkpoint_hash = models.CharField(max_length=SHA256_HEX_LENGTH, editable=False)

    class Meta:
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(
                fields=["number"], name="%(app_label)s_%(class)s_unique_number"
            ),
            models.CheckConstraint(
                condition=(Q(number=1) & Q(previous_hash=""))  # type: ignore[arg-type]  # Q & expression is a Q; the stubs say Combinable
                | (Q(number__gt=1) & Exact(Length("previous_hash"), SHA256_HEX_LENGTH)),
                name="%(app_label)s_%(class)s_chain_link",
            ),
        ]

    def __str__(self) -> str:
        return f"Checkpoint {self.number} at {self.created_at:%Y-%m-%d %H:%M}"

    def summary(self) -> dict[str, object]:
        """Everything but the heads themselves (the Merkle root stands for them) and the
        hash: what `checkpoint_hash` covers, and what an export carries."""
        return {
            "number": self.number,
            "created_at": instant(self.created_at),
            "document_count": self.document_count,
            "event_count": self.event_count,
            "annotation_count": self.annotation_count,
            "revision_count": self.revision_count,
            "source_count": self.source_count,
            "source_event_count": self.source_event_count,
            "merkle_root": self.merkle_root,
            "previous_hash": self.previous_hash,
        }

    def compute_hash(self) -> str:
        return sha256_hex(canonical_json(self.summary()))


class ImageFormat(models.TextChoices):
    """Formats a facsimile may come in, by Pillow's names for them."""

    JPEG = "JPEG", "JPEG"
    PNG = "PNG", "PNG"
    TIFF = "TIFF", "TIFF"
    WEBP = "WEBP", "WebP"


class DerivativeState(models.TextChoices):
    PENDING = "pending", "Pending"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"


class FacsimileQuerySet(models.QuerySet["Facsimile"]):
    def needing_derivatives(self) -> FacsimileQuerySet:
        return self.exclude(derivative_state=DerivativeState.READY)


class Facsimile(models.Model):
    """A scan or photograph of the printed reprint, kept bit for bit beside its document.

    The original's fields never change (a database trigger refuses it); the thumbnail and
    display image are derived from it after the attachment commits, and may be remade.
    """

    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="facsimiles")
    position = models.PositiveIntegerField(help_text="1 for the document's first facsimile.")
    created_at = models.DateTimeField(auto_now_add=True)

    # The stored original: immutable once written.
    sha256 = models.CharField(
        "SHA-256", max_length=SHA256_HEX_LENGTH, editable=False, help_text="Fixity value."
    )
    size_bytes = models.PositiveBigIntegerField(editable=False)
    format = models.CharField(max_length=10, choices=ImageFormat.choices, editable=False)
    media_type = models.CharField(max_length=100, editable=False)
    width = models.PositiveIntegerField(editable=False, help_text="Pixels, as stored.")
    height = models.PositiveIntegerField(editable=False, help_text="Pixels, as stored.")
    page_count = models.PositiveIntegerField(
        default=1, editable=False, help_text="Pages (TIFF) or frames; only the first is shown."
    )
    original_filename = models.CharField(
        max_length=500, editable=False, help_text="File name as received."
    )

    # The derivatives (thumbnail and display image), named by the original's SHA-256.
    derivative_state = models.CharField(
        max_length=10, choices=DerivativeState.choices, default=DerivativeState.PENDING
    )
    derivative_error = models.TextField(blank=True, help_text="Why the last attempt failed.")
    derivatives_made_at = models.DateTimeField(null=True, blank=True)
    thumbnail_width = models.PositiveIntegerField(null=True, blank=True)
    thumbnail_height = models.PositiveIntegerField(null=True, blank=True)
    display_width = models.PositiveIntegerField(null=True, blank=True)
    display_height = models.PositiveIntegerField(null=True, blank=True)

    objects = FacsimileQuerySet.as_manager()

    class Meta:
        ordering = ["document_id", "position"]
        constraints = [
            # Per document, not global: one printed page can carry two reprinted articles,
            # so the same scan may belong to two documents (its bytes are stored once).
            models.UniqueConstraint(
                fields=["document", "sha256"], name="%(app_label)s_%(class)s_unique_sha256"
            ),
            models.UniqueConstraint(
                fields=["document", "position"], name="%(app_label)s_%(class)s_unique_position"
            ),
            models.CheckConstraint(
                condition=Exact(Length("sha256"), SHA256_HEX_LENGTH),
                name="%(app_label)s_%(class)s_sha256_length",
            ),
            models.CheckConstraint(
                condition=Q(size_bytes__gt=0), name="%(app_label)s_%(class)s_original_not_empty"
            ),
            models.CheckConstraint(
                condition=Q(width__gt=0) & Q(height__gt=0) & Q(page_count__gt=0),
                name="%(app_label)s_%(class)s_dimensions_positive",
            ),
            models.CheckConstraint(
                condition=Q(position__gte=1), name="%(app_label)s_%(class)s_position_positive"
            ),
            models.CheckConstraint(
                condition=Q(format__in=ImageFormat.values),
                name="%(app_label)s_%(class)s_format_valid",
            ),
            models.CheckConstraint(
                condition=Q(derivative_state__in=DerivativeState.values),
                name="%(app_label)s_%(class)s_derivative_state_valid",
            ),
            models.CheckConstraint(
                condition=~Q(derivative_state=DerivativeState.READY)
                | (
                    Q(derivatives_made_at__isnull=False)
                    & Q(thumbnail_width__isnull=False)
                    & Q(thumbnail_height__isnull=False)
                    & Q(display_width__isnull=False)
                    & Q(display_height__isnull=False)
                ),
                name="%(app_label)s_%(class)s_ready_has_derivatives",
            ),
        ]

    def __str__(self) -> str:
        return f"Facsimile {self.position} of document {self.document_id}: {self.original_filename}"

    @property
    def notes(self) -> list[str]:
        """What a viewer should know about how the facsimile is shown."""
        if self.page_count > 1:
            return [
                f"the file has {self.page_count} pages; only the first is shown "
                "(the original keeps them all)"
            ]
        return []
