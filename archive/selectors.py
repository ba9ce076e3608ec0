"""Reads from the archive: querysets with their joins decided here, not in views."""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass
from datetime import date

from django.db.models import Count, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from archive.models import (
    Document,
    DocumentQuerySet,
    EventType,
    Facsimile,
    ProvenanceEvent,
    Source,
    SourceAlias,
    SourceEvent,
    SourceEventType,
)
from archive.roles import can_see_withdrawn
from archive.state import PredatesState, replay_problems
from archive.text import normalize_name
from kaynak.chain import Link, chain_break
from kaynak.users import Requester


@dataclass(frozen=True)
class DocumentFilters:
    outlet: str | None = None  # a source slug
    reprinter: str | None = None
    language: str | None = None
    published_from: date | None = None
    published_to: date | None = None
    reprinted_from: date | None = None
    reprinted_to: date | None = None


# Each filter field and the lookup it applies.
_DOCUMENT_FILTERS = {
    "outlet": "original_outlet__slug",
    "reprinter": "reprinter__slug",
    "language": "language",
    "published_from": "original_published_on__gte",
    "published_to": "original_published_on__lte",
    "reprinted_from": "reprinted_on__gte",
    "reprinted_to": "reprinted_on__lte",
}


def visible_documents(user: Requester) -> DocumentQuerySet:
    """What `user` may see: withdrawn documents exist only for curators."""
    if can_see_withdrawn(user):
        return Document.objects.all()
    return Document.objects.current()


def document_list(*, user: Requester, filters: DocumentFilters | None = None) -> QuerySet[Document]:
    filters = filters or DocumentFilters()
    conditions = {
        lookup: getattr(filters, name)
        for name, lookup in _DOCUMENT_FILTERS.items()
        if getattr(filters, name) is not None
    }
    return visible_documents(user).with_sources().filter(**conditions)


def document_siblings(document: Document, *, user: Requester) -> list[Document]:
    """The other articles of a digest file `document` came from, that `user` may see, in
    their order in the file; empty for a file that is one document."""
    if not document.part:
        return []
    return list(
        visible_documents(user)
        .filter(sha256=document.sha256, part__gte=1)
        .order_by("part")
        .only("id", "title", "part", "part_count", "sha256")
    )


def document_detail_queryset(user: Requester) -> QuerySet[Document]:
    events = ProvenanceEvent.objects.select_related("actor").order_by("sequence")
    return (
        visible_documents(user)
        .with_sources()
        .prefetch_related(
            Prefetch("events", queryset=events),
            Prefetch("facsimiles", queryset=Facsimile.objects.order_by("position")),
        )
    )


def facsimile_list(*, document: Document) -> QuerySet[Facsimile]:
    """A document's facsimiles in their order."""
    return Facsimile.objects.filter(document=document).order_by("position")


def facsimile_detail_queryset(user: Requester) -> QuerySet[Facsimile]:
    """Facsimiles of the documents `user` may see."""
    return Facsimile.objects.select_related("document").filter(document__in=visible_documents(user))


def _correlated_count(queryset: QuerySet, field: str) -> Coalesce:
    """A correlated count: several of them on one row do not multiply each other as joined
    COUNTs would."""
    counted = queryset.filter(**{field: OuterRef("pk")}).order_by().values(field)
    return Coalesce(
        Subquery(counted.annotate(total=Count("pk")).values("total"), output_field=IntegerField()),
        0,
    )


def sources_with_counts(sources: QuerySet[Source]) -> QuerySet[Source]:
    """Sources with how many documents name them as outlet and as reprinter and how many
    source tags attribute passages to them, each in the same query. Source tags are counted
    through the reverse relation the annotations app adds (`source_tags`): the archive names
    no model of a layer above it."""
    tagged = (
        Source.objects.filter(pk=OuterRef("pk"))
        .annotate(total=Count("source_tags"))
        .values("total")
    )
    return sources.annotate(
        documents_as_outlet_count=_correlated_count(Document.objects.all(), "original_outlet"),
        documents_as_reprinter_count=_correlated_count(Document.objects.all(), "reprinter"),
        source_tag_count=Coalesce(Subquery(tagged, output_field=IntegerField()), 0),
    )


def source_lookup(slug: str) -> tuple[Source, Source | None]:
    """The source a slug names, following a merge: (the live source, the tombstone asked for
    or None). Raises Source.DoesNotExist."""
    source = Source.objects.select_related("merged_into").get(slug=slug)
    if (merged_into := source.merged_into) is None:
        return source, None
    return merged_into, source


def source_events(*, source: Source) -> QuerySet[SourceEvent]:
    return SourceEvent.objects.filter(source=source).select_related("actor", "undone_by")


def merges_not_undone(*, source: Source) -> QuerySet[SourceEvent]:
    return source_events(source=source).filter(
        event_type=SourceEventType.MERGE, undone_by__isnull=True
    )


def source_list(
    *, kind: str | None = None, query: str | None = None, include_merged: bool = False
) -> QuerySet[Source]:
    """Sources, optionally of one kind and matching `query` in any of their names."""
    sources = Source.objects.prefetch_related("aliases")
    if not include_merged:
        sources = sources.filter(merged_into__isnull=True)
    if kind:
        sources = sources.filter(kind=kind)
    if query and normalize_name(query):
        matching = SourceAlias.objects.filter(normalized_name__contains=normalize_name(query))
        sources = sources.filter(Q(pk__in=matching.values("source_id")))
    return sources


def provenance_chain_break(*, document: Document) -> str | None:
    """Describe the first broken link of `document`'s event chain, or None if it holds.

    The chain must start at sequence 1 with the ingestion, run without gaps, link each event
    to the previous one's hash, and each stored hash must match the event's content.
    """
    events = list(ProvenanceEvent.objects.filter(document=document).order_by("sequence"))
    if not events:
        return "the document has no events, not even its ingestion"
    if events[0].sequence == 1 and events[0].event_type != EventType.INGESTION:
        return f"the first event is {events[0].event_type}, not the ingestion"
    return chain_break(
        (
            Link(
                event.sequence,
                event.previous_hash,
                event.event_hash,
                event.compute_hash(),
                f"event {event.sequence} ({event.event_type})",
            )
            for event in events
        ),
        entry="event",
    )


def provenance_state_problems(*, document: Document) -> tuple[list[str], list[str]]:
    """(problems, notes): each field of `document` its chain does not explain, replayed
    from the state its ingestion recorded; a note when the chain predates state records."""
    events = ProvenanceEvent.objects.filter(document=document).order_by("sequence")
    try:
        return replay_problems(document, events), []
    except PredatesState:
        return [], ["chain predates state records: its fields were not checked against it"]


def documents_in_order(ids: list[int], *, user: Requester) -> list[Document]:
    """The documents with these ids that `user` may see, with their sources, in the order
    given."""
    found = visible_documents(user).with_sources().in_bulk(ids)
    return [found[pk] for pk in ids if pk in found]


def source_ids_by_slug(slugs: list[str]) -> dict[str, int]:
    return dict(Source.objects.filter(slug__in=slugs).values_list("slug", "pk"))


def sources_by_id(ids: list[int]) -> dict[int, Source]:
    return Source.objects.in_bulk(ids)


def originals_referenced(sha256s: Collection[str]) -> set[str]:
    """Which of `sha256s` name the stored original of a document (withdrawn ones included)
    or of a facsimile."""
    documents = Document.objects.filter(sha256__in=sha256s).values_list("sha256", flat=True)
    facsimiles = Facsimile.objects.filter(sha256__in=sha256s).values_list("sha256", flat=True)
    return set(documents) | set(facsimiles)


def facsimile_originals_referenced(sha256s: Collection[str]) -> set[str]:
    """Which of `sha256s` name a facsimile's original (and so may have derivatives)."""
    return set(Facsimile.objects.filter(sha256__in=sha256s).values_list("sha256", flat=True))


def stored_original_owners() -> Iterator[tuple[str, int, str, str]]:
    """Every row that refers to a stored original, as (kind, id, label, sha256): documents,
    then facsimiles, in id order; read in chunks, so memory stays flat on a large archive."""
    documents = Document.objects.order_by("pk").values_list("pk", "title", "sha256")
    for pk, title, sha256 in documents.iterator(chunk_size=2000):
        yield "document", pk, title, sha256
    facsimiles = Facsimile.objects.order_by("pk").values_list(
        "pk", "document_id", "position", "original_filename", "sha256"
    )
    for pk, document_id, position, filename, sha256 in facsimiles.iterator(chunk_size=2000):
        label = f"facsimile {position} ({filename}) of document {document_id}"
        yield "facsimile", pk, label, sha256


# --- What an upload read --------------------------------------------------------------------

# The fields an uploader checks after an upload, in the order they read them.
READ_FIELDS = (
    ("title", "Title"),
    ("original_outlet", "Outlet"),
    ("original_place", "Place"),
    ("original_published_on", "Original date"),
    ("reprinter", "Reprinted by"),
    ("reprinted_on", "Reprint date"),
    ("byline", "Byline"),
)
_LAYOUT_LABELS = {
    "avim_reprint": "an AVİM reprint",
    "avim_publication": "an AVİM publication",
    "json_record": "a JSON record",
    "web_page": "a saved web page",
    "plain_text": "plain text",
}


@dataclass(frozen=True)
class FieldRead:
    name: str
    label: str
    value: str  # as shown; "" when nothing was read
    rule: str  # the parser's rule that set it, if the ingestion event names one
    corrected: bool  # changed by someone since the upload


@dataclass(frozen=True)
class ReadBack:
    """What ingest read from a document's file, as its uploader should check it."""

    layout: str
    layout_label: str
    fields: list[FieldRead]
    warning: str  # "" when outlet and original date were both found
    notes: list[str]  # the parser's own warnings, from the ingestion event
    needs_provenance: bool


def _shown_value(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return f"{value.day} {value:%b %Y}"
    return str(value)


def document_read_back(document: Document) -> ReadBack:
    """The document's provenance fields as they stand, each with the rule that read it (from
    its ingestion event) and whether someone has corrected it since; a warning when outlet or
    original date is missing. Uses `document.events` (prefetched by the detail queryset)."""
    events = list(document.events.all())
    ingestion = next((e for e in events if e.event_type == EventType.INGESTION), None)
    detail = ingestion.detail if ingestion else {}
    rules = detail.get("field_rules") or {}
    corrected = {
        name
        for event in events
        if event.event_type == EventType.METADATA_CHANGE
        for name in (event.detail.get("changes") or {})
    }
    fields = [
        FieldRead(
            name=name,
            label=label,
            value=_shown_value(getattr(document, name)),
            rule=rules.get(name, ""),
            corrected=name in corrected,
        )
        for name, label in READ_FIELDS
    ]
    missing = [
        what
        for what, value in (
            ("outlet", document.original_outlet_id),
            ("date", document.original_published_on),
        )
        if value is None
    ]
    layout_label = _LAYOUT_LABELS.get(document.layout, document.layout.replace("_", " "))
    warning = ""
    if missing:
        warning = f"Read as {layout_label}: no {' or '.join(missing)} found."
    return ReadBack(
        layout=document.layout,
        layout_label=layout_label,
        fields=fields,
        warning=warning,
        notes=list(detail.get("warnings") or []),
        needs_provenance=bool(missing),
    )


def document_uploader_id(document: Document) -> int | None:
    """Who uploaded the document: the actor of its ingestion event (none for the command)."""
    return (
        ProvenanceEvent.objects.filter(document=document, event_type=EventType.INGESTION)
        .values_list("actor_id", flat=True)
        .first()
    )


def merge_of(source: Source) -> SourceEvent | None:
    """The merge, not undone, that made `source` a tombstone: recorded on the source it was
    merged into, naming it among the merged sources."""
    if (merged_into := source.merged_into) is None:
        return None
    for event in merges_not_undone(source=merged_into).order_by("-occurred_at", "-id"):
        if any(item.get("id") == source.pk for item in event.detail.get("sources", [])):
            return event
    return None
