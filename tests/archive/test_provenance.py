from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction

from archive.models import ProvenanceEvent
from archive.selectors import provenance_chain_break
from archive.services import IngestMethod, document_ingest
from archive.storage import original_path
from tests.factories import DocumentFactory

pytestmark = pytest.mark.django_db

TABLE = ProvenanceEvent._meta.db_table


@pytest.fixture
def document():
    document = DocumentFactory()
    # The same bytes again add a duplicate_submission event: a chain with a link to check.
    data = original_path(document.sha256).read_bytes()
    document_ingest(data=data, filename="again.txt", actor=None, method=IngestMethod.API)
    return document


def test_orm_update_of_an_event_is_refused_by_the_database(document) -> None:
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        ProvenanceEvent.objects.filter(document=document).update(outcome="failure")


def test_orm_save_of_a_changed_event_is_refused_by_the_database(document) -> None:
    event = document.events.first()
    event.agent = "someone else"
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        event.save()


def test_orm_delete_of_an_event_is_refused_by_the_database(document) -> None:
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        ProvenanceEvent.objects.filter(document=document).delete()


@pytest.mark.parametrize(
    "statement",
    [f"UPDATE {TABLE} SET outcome = 'failure'", f"DELETE FROM {TABLE}"],
    ids=["update", "delete"],
)
def test_raw_sql_changes_to_events_are_refused(document, statement: str) -> None:
    with (
        pytest.raises(IntegrityError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement)
    assert ProvenanceEvent.objects.filter(document=document, outcome="success").count() == 2


def test_events_form_a_hash_chain(document) -> None:
    first, second = document.events.order_by("sequence")
    assert (first.sequence, second.sequence) == (1, 2)
    assert first.previous_hash == ""
    assert second.previous_hash == first.event_hash
    assert first.event_hash == first.compute_hash()
    assert provenance_chain_break(document=document) is None


def test_edit_made_around_the_triggers_breaks_the_chain(document, triggers_dropped) -> None:
    first = document.events.get(sequence=1)
    ProvenanceEvent.objects.filter(pk=first.pk).update(detail={"filename": "forged.txt"})
    assert provenance_chain_break(document=document) == (
        "event 1 (ingestion) was altered after it was recorded"
    )


def test_deleted_event_breaks_the_chain(document, triggers_dropped) -> None:
    document.events.filter(sequence=1).delete()
    assert provenance_chain_break(document=document) == "event 1 is missing (found 2 next)"


def test_rehashed_forgery_is_caught_by_the_next_link(document, triggers_dropped) -> None:
    first = document.events.get(sequence=1)
    first.detail = {"filename": "forged.txt"}
    first.event_hash = first.compute_hash()
    ProvenanceEvent.objects.filter(pk=first.pk).update(
        detail=first.detail, event_hash=first.event_hash
    )
    assert provenance_chain_break(document=document) == (
        "event 2 does not link to the hash of event 1"
    )
