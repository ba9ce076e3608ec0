"""A document's state as its provenance chain records it, and its replay.

The ingestion event records the state as ingested; every later event that changes a field
records {field: {before, after}} under detail["changes"]. Replaying those from the ingestion
gives what the row must hold today, so a change made around the services (an UPDATE by
someone with database access) shows as a field whose row value the chain does not explain.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from archive.models import Document, ProvenanceEvent
from kaynak.chain import instant, sha256_hex

# What a document's chain protects. Sources are recorded by id (a source's rename is not a
# change of the document), dates as ISO text, moments in UTC to the microsecond, and the
# text by its SHA-256 (the chain holds no copy of it).
STATE_FIELDS = (
    "sha256",
    "title",
    "text_sha256",
    "language",
    "original_outlet",
    "original_place",
    "original_published_on",
    "byline",
    "original_url",
    "reprinter",
    "reprinted_on",
    "source_line",
    "layout",
    "media_type",
    "encoding",
    "size_bytes",
    "original_filename",
    "withdrawn_at",
    "withdrawal_reason",
    "review_requested_at",
)
_SOURCES = {"original_outlet", "reprinter"}


def state_value(value: Any) -> Any:
    """A field value as the state records it (see STATE_FIELDS)."""
    if isinstance(value, datetime):
        return instant(value)
    if isinstance(value, date):
        return value.isoformat()
    if hasattr(value, "pk"):
        return value.pk
    return value


def recorded_value(value: Any) -> Any:
    """A before or after value from an event, as the state records it: metadata changes
    record a source as {"id", "name"}."""
    if isinstance(value, dict) and "id" in value:
        return value["id"]
    return value


def document_state(document: Document) -> dict[str, Any]:
    """The row's state today, in the chain's terms."""
    state = {}
    for name in STATE_FIELDS:
        if name == "text_sha256":
            state[name] = sha256_hex(document.text.encode())
        elif name in _SOURCES:
            state[name] = getattr(document, f"{name}_id")
        else:
            state[name] = state_value(getattr(document, name))
    return state


class PredatesState(Exception):
    """The ingestion event was recorded before ingestion events recorded the state."""


def replay_problems(document: Document, events: Iterable[ProvenanceEvent]) -> list[str]:
    """Each field of `document` that differs from what its events (in sequence order, the
    chain already verified) say, named. Raises PredatesState when the ingestion event has no
    state to start from."""
    problems = []
    state: dict[str, Any] | None = None
    for event in events:
        if state is None:
            if "state" not in event.detail:
                raise PredatesState
            state = dict(event.detail["state"])
            continue
        for name, change in (event.detail.get("changes") or {}).items():
            if name not in state:
                continue
            before, after = recorded_value(change["before"]), recorded_value(change["after"])
            if before != state[name]:
                problems.append(
                    f"{name} changed without an event before event {event.sequence} "
                    f"({event.event_type}): the chain says {_shown(state[name])}, that event "
                    f"found {_shown(before)}"
                )
            state[name] = after
    if state is None:
        return problems
    current = document_state(document)
    problems += [
        f"{name} changed without an event: the chain says {_shown(state.get(name))}, "
        f"the document has {_shown(current[name])}"
        for name in STATE_FIELDS
        if state.get(name) != current[name]
    ]
    return problems


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
