"""The archive's hash chains as kaynak.chain knows them: documents' provenance events and
sources' curation events (registered in ArchiveConfig.ready())."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from django.db.models import OuterRef, QuerySet, Subquery

from archive.models import Document, ProvenanceEvent, Source, SourceEvent
from kaynak.chain import Chain, Head, Link, breaks_by_owner, register_chain


def _heads(events: QuerySet, owner: str, hash_field: str) -> list[Head]:
    newest = events.model.objects.filter(**{owner: OuterRef(owner)}).order_by("-sequence")
    return list(
        events.filter(sequence=Subquery(newest.values("sequence")[:1]))
        .order_by(owner)
        .values_list(f"{owner}_id", "sequence", hash_field)
    )


def _hashes(events: QuerySet, owner: str, hash_field: str) -> Iterator[Head]:
    return (
        events.order_by(owner, "sequence")
        .values_list(f"{owner}_id", "sequence", hash_field)
        .iterator(chunk_size=2000)
    )


def document_breaks(ids: Sequence[int] | None = None) -> dict[int, str]:
    events = ProvenanceEvent.objects.order_by("document_id", "sequence")
    if ids is not None:
        events = events.filter(document__in=ids)
    return breaks_by_owner(
        (
            (
                event.document_id,
                Link(
                    event.sequence,
                    event.previous_hash,
                    event.event_hash,
                    event.compute_hash(),
                    f"event {event.sequence} ({event.event_type})",
                ),
            )
            for event in events.iterator(chunk_size=2000)
        ),
        entry="event",
    )


def source_breaks(ids: Sequence[int] | None = None) -> dict[int, str]:
    events = SourceEvent.objects.order_by("source_id", "sequence")
    if ids is not None:
        events = events.filter(source__in=ids)
    return breaks_by_owner(
        (
            (
                event.source_id,
                Link(
                    event.sequence,
                    event.previous_hash,
                    event.event_hash,
                    event.compute_hash(),
                    f"event {event.sequence} ({event.event_type})",
                ),
            )
            for event in events.iterator(chunk_size=2000)
        ),
        entry="event",
    )


def register() -> None:
    register_chain(
        Chain(
            name="document",
            entry="event",
            heads=lambda: _heads(ProvenanceEvent.objects.all(), "document", "event_hash"),
            hashes=lambda: _hashes(ProvenanceEvent.objects.all(), "document", "event_hash"),
            breaks=document_breaks,
            count=lambda: (Document.objects.count(), ProvenanceEvent.objects.count()),
        )
    )
    register_chain(
        Chain(
            name="source",
            entry="event",
            heads=lambda: _heads(SourceEvent.objects.all(), "source", "event_hash"),
            hashes=lambda: _hashes(SourceEvent.objects.all(), "source", "event_hash"),
            breaks=source_breaks,
            count=lambda: (Source.objects.count(), SourceEvent.objects.count()),
        )
    )
