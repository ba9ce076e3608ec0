"""`manage.py reextract`: today's extractors on stored originals; nothing changes silently
and a field a curator set by hand is never overwritten."""

from __future__ import annotations

from datetime import date
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from archive.models import Document, EventType
from archive.services import IngestMethod, document_ingest, document_update
from tests.archive.layouts import samples

pytestmark = pytest.mark.django_db


def old_document() -> Document:
    """A document read before the header shapes existed: plain text, no provenance."""
    return document_ingest(
        data=samples.INLINE_PAIRS.encode(),
        filename="pairs.txt",
        actor=None,
        method=IngestMethod.COMMAND,
        layouts=("plain_text",),
    ).document


def reextract(*args: str) -> str:
    out = StringIO()
    call_command("reextract", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_a_dry_run_prints_what_would_change_and_changes_nothing() -> None:
    document = old_document()
    out = reextract("--document", str(document.pk))
    assert f"document {document.pk}: original_outlet: — → Washington Post" in out
    assert f"document {document.pk}: original_published_on: — → 2019-06-21" in out
    assert "1 document(s) would change" in out
    document.refresh_from_db()
    assert document.original_outlet is None
    assert not document.events.filter(event_type=EventType.METADATA_CHANGE).exists()


def test_apply_records_each_change_as_an_event_and_keeps_the_text() -> None:
    document = old_document()
    text = document.text
    out = reextract("--document", str(document.pk), "--apply")
    assert "1 document(s) changed" in out
    assert "reads a different text; the text is kept" in out
    document.refresh_from_db()
    assert document.original_outlet.name == "Washington Post"
    assert document.original_published_on == date(2019, 6, 21)
    assert document.text == text and document.layout == "plain_text"
    event = document.events.get(event_type=EventType.METADATA_CHANGE)
    assert event.detail["reason"] == "reextract"
    assert event.actor is None
    assert set(event.detail["changes"]) >= {"original_outlet", "original_published_on"}
    # The chain explains the row: fixity replays the events and finds nothing wrong.
    fixity = StringIO()
    call_command("fixity_check", "--no-progress", stdout=fixity, stderr=StringIO())
    assert "failed: 0" in fixity.getvalue()


def test_a_field_a_curator_set_by_hand_is_never_overwritten(curator) -> None:
    document = old_document()
    document_update(
        document=document, actor=curator, agent="test", original_published_on=date(2019, 6, 20)
    )
    out = reextract("--document", str(document.pk), "--apply")
    assert f"document {document.pk}: original_published_on: kept (set by hand)" in out
    document.refresh_from_db()
    assert document.original_published_on == date(2019, 6, 20)
    assert document.original_outlet.name == "Washington Post"


def test_a_second_run_finds_nothing_to_change() -> None:
    document = old_document()
    reextract("--document", str(document.pk), "--apply")
    assert "0 document(s) would change" in reextract("--document", str(document.pk))


def test_an_unknown_document_is_an_error() -> None:
    with pytest.raises(CommandError, match="No document with id 999"):
        reextract("--document", "999")


def test_each_article_of_a_digest_is_compared_with_its_own_article(curator) -> None:
    document_ingest(
        data=samples.DIGEST.encode(), filename="digest.txt", actor=None, method=IngestMethod.API
    )
    second = Document.objects.get(part=2)
    document_update(document=second, actor=curator, agent="test", byline="Ada Quill")
    out = reextract("--document", str(second.pk))
    assert "0 document(s) would change" in out
    assert "Washington" not in out and "Trend" not in out
