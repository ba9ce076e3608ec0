from __future__ import annotations

import hashlib
import json
from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from archive.document_dates import check_dates
from archive.ingest.records import SourceName
from archive.models import Document, EventType, Source, SourceKind
from archive.services.provenance import provenance_record
from archive.services.sources import sources_resolve
from archive.state import state_value
from kaynak import hooks
from kaynak.changes import UNCHANGED, Unchanged, clean_reason, field_changes, given, require_reason
from kaynak.errors import KaynakError
from kaynak.preconditions import Stale
from kaynak.users import Person

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


class StaleDocument(Stale):
    """The client edited metadata that someone else has changed since it read them."""


def document_etag(document: Document) -> str:
    """A tag of the document's editable state (metadata and withdrawal), to send back in
    If-Match: it changes exactly when an edit could be lost, not with fixity checks."""
    state = {
        name: _recorded(getattr(document, f"{name}_id" if name in _SOURCE_FIELDS else name))
        for name in EDITABLE_FIELDS
    }
    state["withdrawn_at"] = document.withdrawn_at and document.withdrawn_at.isoformat()
    digest = hashlib.sha256(json.dumps(state, sort_keys=True).encode()).hexdigest()[:20]
    return f"{document.pk}.{digest}"


_SOURCE_FIELDS = {"original_outlet", "reprinter"}


def _recorded(value: Any) -> Any:
    """A field value as the event records it: sources by id and name, dates as ISO text."""
    if hasattr(value, "pk"):
        return {"id": value.pk, "name": str(value)}
    if isinstance(value, date):
        return value.isoformat()
    return value


@transaction.atomic
def document_update(
    *,
    document: Document,
    actor: Person | None,
    agent: str,
    expected_etag: str | None = None,
    reason: str = "",
    title: str | Unchanged = UNCHANGED,
    language: str | Unchanged = UNCHANGED,
    original_outlet: Source | Unchanged | None = UNCHANGED,
    original_place: str | Unchanged = UNCHANGED,
    original_published_on: date | Unchanged | None = UNCHANGED,
    byline: str | Unchanged = UNCHANGED,
    original_url: str | Unchanged = UNCHANGED,
    reprinter: Source | Unchanged | None = UNCHANGED,
    reprinted_on: date | Unchanged | None = UNCHANGED,
    source_line: str | Unchanged = UNCHANGED,
) -> Document:
    """Correct a document's metadata, recording each change (before and after) in a
    metadata_change event and re-indexing the document after commit. With `expected_etag`
    (the `document_etag` the editor read), refused as stale if someone changed it since.
    A change to a document in the review queue (outlet or original date unknown) records the
    reason "review" unless another is given. A field left UNCHANGED is not touched."""
    changes = given(
        title=title,
        language=language,
        original_outlet=original_outlet,
        original_place=original_place,
        original_published_on=original_published_on,
        byline=byline,
        original_url=original_url,
        reprinter=reprinter,
        reprinted_on=reprinted_on,
        source_line=source_line,
    )
    document = Document.objects.select_for_update().get(pk=document.pk)
    in_review = Document.objects.needs_provenance().filter(pk=document.pk).exists()
    if expected_etag is not None and expected_etag != document_etag(document):
        raise StaleDocument(
            f"document {document.pk} was changed by someone else since you read it; "
            "read it again and redo your edit",
            current_etag=document_etag(document),
        )
    changed = field_changes(document, changes, editable=EDITABLE_FIELDS)
    if not changed:
        return document
    reason = clean_reason(reason) or ("review" if in_review else "")
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
            },
            **({"reason": reason} if reason else {}),
        },
    )
    hooks.documents_changed([document.pk])
    return document


@transaction.atomic
def document_withdraw(
    *, document: Document, actor: Person | None, agent: str, reason: str
) -> Document:
    """Take a document out of search and out of everyone's sight but curators', keeping its
    original, annotations and history; `document_restore` brings it back."""
    reason = require_reason(reason, "withdraw the document")
    document = Document.objects.select_for_update().get(pk=document.pk)
    if document.is_withdrawn:
        raise KaynakError(
            f"document {document.pk} is already withdrawn (since "
            f"{document.withdrawn_at:%Y-%m-%d %H:%M} UTC)",
            code="already_withdrawn",
        )
    return _set_withdrawal(
        document,
        withdrawn_at=timezone.now(),
        reason=reason,
        event_type=EventType.WITHDRAWAL,
        actor=actor,
        agent=agent,
        detail={"reason": reason},
    )


@transaction.atomic
def document_restore(
    *, document: Document, actor: Person | None, agent: str, reason: str = ""
) -> Document:
    document = Document.objects.select_for_update().get(pk=document.pk)
    if not document.is_withdrawn:
        raise KaynakError(f"document {document.pk} is not withdrawn", code="not_withdrawn")
    detail = {
        "withdrawn_at": document.withdrawn_at,
        "withdrawal_reason": document.withdrawal_reason,
    }
    if clean_reason(reason):
        detail["reason"] = clean_reason(reason)
    return _set_withdrawal(
        document,
        withdrawn_at=None,
        reason="",
        event_type=EventType.RESTORATION,
        actor=actor,
        agent=agent,
        detail=detail,
    )


def _set_withdrawal(
    document: Document,
    *,
    withdrawn_at: datetime | None,
    reason: str,
    event_type: EventType,
    actor: Person | None,
    agent: str,
    detail: dict[str, Any],
) -> Document:
    """Write the withdrawal state, its provenance event (the state's before and after among
    its changes), and the index update after commit."""
    changes = {
        "withdrawn_at": {
            "before": state_value(document.withdrawn_at),
            "after": state_value(withdrawn_at),
        },
        "withdrawal_reason": {"before": document.withdrawal_reason, "after": reason},
    }
    document.withdrawn_at, document.withdrawal_reason = withdrawn_at, reason
    document.save(update_fields=["withdrawn_at", "withdrawal_reason"])
    provenance_record(
        document=document,
        event_type=event_type,
        actor=actor,
        agent=agent,
        detail={**detail, "changes": changes},
    )
    hooks.documents_changed([document.pk])
    return document


@transaction.atomic
def document_review_request(
    *, document: Document, actor: Person | None, agent: str, note: str = ""
) -> Document:
    """Ask a curator to check the document's provenance: it joins the review queue ("Needs
    provenance") until `document_review_close`. Asking again changes nothing."""
    document = Document.objects.select_for_update().get(pk=document.pk)
    if document.review_requested_at is not None:
        return document
    return _set_review_request(document, timezone.now(), actor, agent, note)


@transaction.atomic
def document_review_close(
    *, document: Document, actor: Person | None, agent: str, note: str = ""
) -> Document:
    """A curator has checked the provenance the document was flagged for."""
    document = Document.objects.select_for_update().get(pk=document.pk)
    if document.review_requested_at is None:
        raise KaynakError(f"document {document.pk} is not flagged for review", code="not_flagged")
    return _set_review_request(document, None, actor, agent, note)


def _set_review_request(
    document: Document,
    requested_at: datetime | None,
    actor: Person | None,
    agent: str,
    note: str,
) -> Document:
    # A metadata_change like any other, so the state replay (`fixity_check`) accounts for it.
    changes = {
        "review_requested_at": {
            "before": state_value(document.review_requested_at),
            "after": state_value(requested_at),
        }
    }
    document.review_requested_at = requested_at
    document.save(update_fields=["review_requested_at"])
    reason = clean_reason(note)
    provenance_record(
        document=document,
        event_type=EventType.METADATA_CHANGE,
        actor=actor,
        agent=agent,
        detail={
            "changes": changes,
            "reason": reason or ("flagged for review" if requested_at else "review"),
        },
    )
    return document


@transaction.atomic
def document_provenance_correct(
    *,
    document: Document,
    actor: Person | None,
    agent: str,
    expected_etag: str | None,
    outlet_name: str | None = None,
    reprinter_name: str | None = None,
    **changes: Any,
) -> Document:
    """`document_update` with the outlet and reprinter given by name, as an uploader types
    them: found through the source aliases as ingest finds them, or created (recording who
    created them). An empty name clears the field; None leaves it alone."""
    names = {"original_outlet": outlet_name, "reprinter": reprinter_name}
    typed = {field: " ".join(name.split()) for field, name in names.items() if name is not None}
    references = {
        field: SourceName(name=name, kind=_NAMED_KINDS[field])
        for field, name in typed.items()
        if name
    }
    sources = sources_resolve(references.values(), actor=actor)
    for field in typed:
        changes[field] = sources[references[field]] if field in references else None
    return document_update(
        document=document, actor=actor, agent=agent, expected_etag=expected_etag, **changes
    )


_NAMED_KINDS = {"original_outlet": SourceKind.OUTLET, "reprinter": SourceKind.OTHER}
