from __future__ import annotations

from typing import Any

from django.db import transaction

from archive import storage
from archive.models import Document, EventOutcome, EventType, ProvenanceEvent
from archive.selectors import provenance_chain_break, provenance_state_problems
from archive.services.checkpoints import CheckpointAudit
from archive.services.provenance import provenance_record
from kaynak.users import Person


@transaction.atomic
def document_fixity_check(
    *,
    document: Document,
    actor: Person | None,
    agent: str,
    audit: CheckpointAudit | None = None,
) -> ProvenanceEvent:
    """Verify the document's event chain, replay it against the document's fields, re-hash
    its stored original and those of its facsimiles; record the result. With `audit` (see
    checkpoints.provenance_audit), its findings on this document count too, and the event
    records the checkpoint verified against."""
    problems: list[str] = []
    notes: list[str] = []
    chain_break = provenance_chain_break(document=document)
    if chain_break:
        problems.append(f"provenance chain broken: {chain_break}")
    else:
        # Replayed only over a sound chain: a forged event could explain a forged field.
        state_problems, notes = provenance_state_problems(document=document)
        problems += state_problems
    if audit is not None:
        problems += audit.by_owner.get(("document", document.pk), [])
    actual = storage.hash_stored_original(document.sha256)
    if actual is None:
        problems.append("the stored original is missing")
    elif actual != document.sha256:
        problems.append(f"the stored original has changed: its SHA-256 is now {actual}")
    facsimiles = []
    for facsimile in document.facsimiles.order_by("position"):
        facsimile_actual = storage.hash_stored_original(facsimile.sha256)
        facsimiles.append(
            {
                "facsimile": facsimile.pk,
                "expected_sha256": facsimile.sha256,
                "actual_sha256": facsimile_actual,
            }
        )
        name = f"facsimile {facsimile.position} ({facsimile.original_filename})"
        if facsimile_actual is None:
            problems.append(f"the stored original of {name} is missing")
        elif facsimile_actual != facsimile.sha256:
            problems.append(
                f"the stored original of {name} has changed: its SHA-256 is now {facsimile_actual}"
            )
    detail: dict[str, Any] = {
        "expected_sha256": document.sha256,
        "actual_sha256": actual,
        "facsimiles": facsimiles,
        "problems": problems,
    }
    if notes:
        detail["notes"] = notes
    if audit is not None and audit.checkpoint is not None:
        detail["checkpoint"] = {
            "number": audit.checkpoint.number,
            "hash": audit.checkpoint.checkpoint_hash,
        }
    return provenance_record(
        document=document,
        event_type=EventType.FIXITY_CHECK,
        actor=actor,
        agent=agent,
        outcome=EventOutcome.FAILURE if problems else EventOutcome.SUCCESS,
        detail=detail,
    )
