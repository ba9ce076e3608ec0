"""Flagging a document for a curator: the review queue, the event, and the state replay."""

from __future__ import annotations

import pytest

from archive.models import Document, EventType
from archive.selectors import provenance_state_problems
from archive.services import document_review_close, document_review_request
from kaynak.errors import KaynakError
from tests.factories import DocumentFactory

pytestmark = pytest.mark.django_db


def test_a_flag_and_its_closing_are_events_the_state_replay_accounts_for(
    researcher, curator
) -> None:
    document = DocumentFactory()
    document_review_request(document=document, actor=researcher, agent="t", note="odd date")
    assert Document.objects.needs_provenance().filter(pk=document.pk).exists()
    # Asking again changes nothing and records nothing.
    document_review_request(document=document, actor=researcher, agent="t")
    document_review_close(document=document, actor=curator, agent="t")
    assert not Document.objects.needs_provenance().filter(pk=document.pk).exists()
    changes = [
        (event.actor, event.detail["reason"])
        for event in document.events.filter(event_type=EventType.METADATA_CHANGE)
    ]
    assert changes == [(researcher, "odd date"), (curator, "review")]
    problems, _ = provenance_state_problems(document=Document.objects.get(pk=document.pk))
    assert problems == []


def test_a_flag_set_around_the_services_shows_in_the_state_replay() -> None:
    document = DocumentFactory()
    Document.objects.filter(pk=document.pk).update(review_requested_at="2026-01-01T00:00:00Z")
    problems, _ = provenance_state_problems(document=Document.objects.get(pk=document.pk))
    assert any("review_requested_at" in problem for problem in problems)


def test_closing_a_document_that_is_not_flagged_is_refused(curator) -> None:
    with pytest.raises(KaynakError, match="not flagged"):
        document_review_close(document=DocumentFactory(), actor=curator, agent="t")
