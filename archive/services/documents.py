from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from archive.models import Document, EventType
from archive.rules import check_dates
from archive.search import schedule_index_update
from archive.services.provenance import provenance_record
from kaynak.errors import KaynakError

# What a curator may correct; the text and the stored original never change.
EDITABLE_FIELDS = (
    "title",
    "language",
    "original_outlet",
    "original_place",
    "original_published_on",
    "byline",
    "original_url",
    "reprinter",
    "reprinted_on",
    "source_line",
)


def _recorded(value: Any) -> Any:
    """A field value as the event records it: sources by id and name, dates as ISO text."""
    if hasattr(value, "pk"):
        return {"id": value.pk, "name": str(value)}
    if isinstance(value, date):
        return value.isoformat()
    return value


@transaction.atomic
def document_update(
    *, document: Document, actor: AbstractBaseUser | None, agent: str, **changes: Any
) -> Document:
    """Correct a document's metadata, recording each change (before and after) in a
    metadata_change event and re-indexing the document after commit."""
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise KaynakError(
            f"{', '.join(sorted(unknown))} cannot be edited; "
            f"editable: {', '.join(EDITABLE_FIELDS)}",
            code="not_editable",
        )
    changed = {
        name: (getattr(document, name), value)
        for name, value in changes.items()
        if getattr(document, name) != value
    }
    if not changed:
        return document
    if not (changes.get("title", document.title) or "").strip():
        raise KaynakError("a document needs a title", code="no_title")
    check_dates(
        published=changes.get("original_published_on", document.original_published_on),
        reprinted=changes.get("reprinted_on", document.reprinted_on),
        today=timezone.now().date(),
    )
    for name, (_, value) in changed.items():
        setattr(document, name, value)
    document.full_clean(exclude=["sha256", "size_bytes", "media_type", "encoding", "text"])
    document.save(update_fields=list(changed))
    provenance_record(
        document=document,
        event_type=EventType.METADATA_CHANGE,
        actor=actor,
        agent=agent,
        detail={
            "changes": {
                name: {"before": _recorded(before), "after": _recorded(after)}
                for name, (before, after) in changed.items()
            }
        },
    )
    schedule_index_update([document.pk])
    return document
