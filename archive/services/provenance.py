from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

import kaynak
from archive.models import Document, EventOutcome, EventType, ProvenanceEvent


def kaynak_agent(activity: str) -> str:
    """The PREMIS agent for software acting: `kaynak 0.1.0 ingest command`."""
    return f"kaynak {kaynak.__version__} {activity}"


def chained_event(
    *,
    document: Document,
    previous: ProvenanceEvent | None,
    event_type: EventType,
    actor: AbstractBaseUser | None,
    agent: str,
    outcome: EventOutcome = EventOutcome.SUCCESS,
    detail: Mapping[str, Any] | None = None,
) -> ProvenanceEvent:
    """An unsaved event that follows `previous` in `document`'s chain, its hash computed."""
    event = ProvenanceEvent(
        document=document,
        sequence=previous.sequence + 1 if previous else 1,
        event_type=event_type,
        occurred_at=timezone.now(),
        actor=actor if actor is not None and actor.is_authenticated else None,
        agent=agent,
        outcome=outcome,
        # Round-trip through JSON so the hash covers exactly what the database will return.
        detail=json.loads(json.dumps(dict(detail or {}), cls=DjangoJSONEncoder)),
        previous_hash=previous.event_hash if previous else "",
    )
    event.event_hash = event.compute_hash()
    return event


def provenance_record(
    *,
    document: Document,
    event_type: EventType,
    actor: AbstractBaseUser | None,
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
