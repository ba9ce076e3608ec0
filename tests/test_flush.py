"""Tests that commit are emptied afterwards; the append-only triggers survive that."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction

from archive.models import Document, ProvenanceCheckpoint, ProvenanceEvent
from archive.services.checkpoints import provenance_checkpoint
from tests.factories import DocumentFactory


@pytest.mark.django_db(transaction=True)
def test_a_flush_empties_the_logs_and_keeps_them_append_only() -> None:
    DocumentFactory()
    call_command("flush", interactive=False, verbosity=0)
    assert (Document.objects.count(), ProvenanceEvent.objects.count()) == (0, 0)
    DocumentFactory()
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        ProvenanceEvent.objects.update(agent="rewritten")


@pytest.mark.django_db(transaction=True)
def test_a_flush_empties_the_checkpoints_and_keeps_them_append_only() -> None:
    DocumentFactory()
    provenance_checkpoint()
    call_command("flush", interactive=False, verbosity=0)
    assert ProvenanceCheckpoint.objects.count() == 0
    provenance_checkpoint()
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        ProvenanceCheckpoint.objects.update(document_count=3)
