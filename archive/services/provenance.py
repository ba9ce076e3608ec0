from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db.models import OuterRef, Subquery
from django.utils import timezone

import kaynak
from archive.models import Document, EventOutcome, EventType, ProvenanceEvent
from kaynak.chain import recorded_json
from kaynak.users import Person


def kaynak_agent(activity: str) -> str:
    """The PREMIS agent for software acting: `kaynak 0.1.0 ingest command`."""
    return f"kaynak {kaynak.__version__} {activity}"


def chained_event(
    *,
    document: Document,
    previous: ProvenanceEvent | None,
    event_type: EventType,
    actor: Person | None,
    agent: str,
    outcome: EventOutcome = EventOutcome.SUCCESS,
    detail: Mapping[str, Any] | None = None,
) -> ProvenanceEvent:
    """An unsaved event that follows `previous` in `document`'s chain, its hash computed."""
    return _chained(
        document_id=document.pk,
        previous=previous,
        event_type=event_type,
        actor=actor,
        agent=agent,
        outcome=outcome,
        detail=detail,
    )


def _chained(
    *,
    document_id: int,
    previous: ProvenanceEvent | None,
    event_type: EventType,
    actor: Person | None,
    agent: str,
    outcome: EventOutcome,
    detail: Mapping[str, Any] | None,
) -> ProvenanceEvent:
    event = ProvenanceEvent(
        document_id=document_id,
        sequence=previous.sequence + 1 if previous else 1,
        event_type=event_type,
        occurred_at=timezone.now(),
        actor=actor if actor is not None and actor.is_authenticated else None,
        agent=agent,
        outcome=outcome,
        # Round-trip through JSON so the hash covers exactly what the database will return.
        detail=recorded_json(dict(detail or {})),
        previous_hash=previous.event_hash if previous else "",
    )
    event.event_hash = event.compute_hash()
    return event


def provenance_record(
    *,
    document: Document,
    event_type: EventType,
    actor: Person | None,
    agent: str,
    outcome: EventOutcome = EventOutcome.SUCCESS,
    detail: Mapping[str, Any] | None = None,
) -> ProvenanceEvent:
    """Append an event to `document`'s hash-chained history, in the caller's transaction."""
    # Lock the document row so concurrent appends to one history queue instead of forking it.
    Document.objects.select_for_update().filter(pk=document.pk).values_list("pk").first()
    previous = (
        ProvenanceEvent.objects.filter(document=document)
        .only("sequence", "event_hash")
        .order_by("-sequence")
        .first()
    )
    event = chained_event(
        document=document,
        previous=previous,
        event_type=event_type,
        actor=actor,
        agent=agent,
        outcome=outcome,
        detail=detail,
    )
    event.save(force_insert=True)
    return event


def provenance_record_many(
    *,
    details: Mapping[int, Mapping[str, Any]],
    event_type: EventType,
    actor: Person | None,
    agent: str,
    batch_size: int = 500,
) -> list[ProvenanceEvent]:
    """Append one event to each document in `details` ({document id: its event's detail}),
    in the caller's transaction: per batch, one query locks the documents, one finds their
    chains' heads and one inserts the events."""
    created: list[ProvenanceEvent] = []
    ids = sorted(details)
    for batch in (ids[start : start + batch_size] for start in range(0, len(ids), batch_size)):
        # Locked in id order, so two bulk appends wait for each other instead of deadlocking.
        list(
            Document.objects.select_for_update()
            .filter(pk__in=batch)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        newest = ProvenanceEvent.objects.filter(document=OuterRef("document")).order_by("-sequence")
        heads = {
            event.document_id: event
            for event in ProvenanceEvent.objects.filter(
                document__in=batch, sequence=Subquery(newest.values("sequence")[:1])
            ).only("document_id", "sequence", "event_hash")
        }
        created += ProvenanceEvent.objects.bulk_create(
            _chained(
                document_id=pk,
                previous=heads.get(pk),
                event_type=event_type,
                actor=actor,
                agent=agent,
                outcome=EventOutcome.SUCCESS,
                detail=details[pk],
            )
            for pk in batch
        )
    return created
