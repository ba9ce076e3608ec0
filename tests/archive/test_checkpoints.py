"""Checkpoints: what they record, when the worker's call makes one, and that nobody changes
them afterwards."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction

from annotations.services import annotation_create
from archive.models import ProvenanceCheckpoint, ProvenanceEvent, SourceEvent
from archive.services.checkpoints import (
    CheckpointRefused,
    provenance_checkpoint,
    provenance_checkpoint_if_due,
)
from kaynak.chain import merkle_root
from tests.factories import DocumentFactory

pytestmark = pytest.mark.django_db

TABLE = ProvenanceCheckpoint._meta.db_table


def test_a_checkpoint_records_every_chain_head_and_links_to_the_last(researcher) -> None:
    document = DocumentFactory()
    annotation = annotation_create(document=document, creator=researcher, quote="bridge")
    first = provenance_checkpoint()
    head = document.events.get()
    source_head = SourceEvent.objects.get(source=document.original_outlet)
    revision = annotation.revisions.get()
    assert first.heads["annotation"] == [[annotation.pk, 1, revision.revision_hash]]
    assert first.heads["document"] == [[document.pk, 1, head.event_hash]]
    assert [document.original_outlet_id, 1, source_head.event_hash] in first.heads["source"]
    assert (first.number, first.previous_hash) == (1, "")
    assert (first.document_count, first.event_count) == (1, 1)
    assert (first.annotation_count, first.revision_count) == (1, 1)
    assert first.source_event_count == SourceEvent.objects.count()
    assert first.merkle_root == merkle_root(first.heads)
    assert first.checkpoint_hash == first.compute_hash()

    second = provenance_checkpoint()
    assert (second.number, second.previous_hash) == (2, first.checkpoint_hash)


def test_the_worker_call_makes_one_only_after_changes_and_the_interval() -> None:
    DocumentFactory()
    first = provenance_checkpoint_if_due()
    assert first is not None
    assert provenance_checkpoint_if_due() is None  # within the minute
    assert provenance_checkpoint_if_due(min_interval=timedelta(0)) is None  # nothing changed
    DocumentFactory()
    assert provenance_checkpoint_if_due() is None  # changed, but within the minute
    second = provenance_checkpoint_if_due(min_interval=timedelta(0))
    assert second is not None
    assert second.number == 2
    assert second.document_count == 2


def test_the_first_checkpoint_of_an_empty_archive_is_made() -> None:
    checkpoint = provenance_checkpoint_if_due()
    assert checkpoint is not None
    assert checkpoint.heads == {"annotation": [], "document": [], "source": []}


@pytest.mark.parametrize(
    "statement",
    [f"UPDATE {TABLE} SET document_count = 7", f"DELETE FROM {TABLE}"],
    ids=["update", "delete"],
)
def test_checkpoints_are_append_only(statement: str) -> None:
    provenance_checkpoint()
    with (
        pytest.raises(IntegrityError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement)
    assert ProvenanceCheckpoint.objects.count() == 1


def test_events_stay_append_only_after_the_migrations(researcher) -> None:
    """SQLite rebuilds a table to add columns, and its triggers go with the old one: the
    migrations put them back on every chained table."""
    from annotations.models import AnnotationRevision

    document = DocumentFactory()
    annotation_create(document=document, creator=researcher, quote="bridge")
    for model in (ProvenanceEvent, SourceEvent, AnnotationRevision):
        table = model._meta.db_table
        for statement in (f"UPDATE {table} SET id = id", f"DELETE FROM {table}"):
            with (
                pytest.raises(IntegrityError, match="append-only"),
                transaction.atomic(),
                connection.cursor() as cursor,
            ):
                cursor.execute(statement)


def test_the_worker_call_fails_loudly_after_tampering(triggers_dropped) -> None:
    document = DocumentFactory()
    provenance_checkpoint()
    document.events.all().delete()
    with pytest.raises(CheckpointRefused, match=f"document {document.pk} had 1 event"):
        provenance_checkpoint_if_due(min_interval=timedelta(0))
