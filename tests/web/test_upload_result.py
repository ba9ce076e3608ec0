"""The upload result as the server renders it: what was read, the warning, corrections
through the document update service (with its version check) and the flag for a curator."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from archive.models import Document, EventType, SourceEvent
from archive.services.documents import document_etag
from tests.factories import DocumentFactory, UserFactory, reprint_bytes

pytestmark = pytest.mark.django_db

PLAIN = (
    b"Notes from the invented town of Dervent\n\n"
    b"The council met on a rainy evening and talked about the bridge for three hours.\n"
)


@pytest.fixture
def uploader(client: Client):
    user = UserFactory(username="uploader")
    client.force_login(user)
    return user


def upload(client: Client, data: bytes, name: str):
    return client.post("/upload/", {"file": SimpleUploadedFile(name, data)})


def test_an_upload_goes_to_what_was_read_with_each_field_and_its_rule(client, uploader) -> None:
    response = upload(client, reprint_bytes(byline="Author: Ayla Demirci"), "bridge.txt")
    document = Document.objects.get()
    assert response["Location"] == f"/upload/{document.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert "What was read from bridge.txt" in page
    assert "Northern Ledger" in page
    assert "4 Sep 2017" in page
    assert "Ayla Demirci" in page
    assert 'id="read-warning"' not in page


def test_a_plain_text_upload_warns_that_no_outlet_or_date_was_found(client, uploader) -> None:
    response = upload(client, PLAIN, "notes.txt")
    page = client.get(response["Location"]).content.decode()
    assert "Read as plain text: no outlet or date found." in page
    assert 'id="correct-form"' in page
    assert 'id="flag-form"' in page


def test_the_uploader_corrects_outlet_and_date_and_the_change_is_an_event(client, uploader) -> None:
    upload(client, PLAIN, "notes.txt")
    document = Document.objects.get()
    response = client.post(
        f"/upload/{document.pk}/correct/",
        {
            "version": document_etag(document),
            "title": document.title,
            "outlet": "Dervent Evening Post",
            "original_published_on": "2016-03-03",
        },
    )
    assert response.status_code == 302
    document.refresh_from_db()
    assert document.original_outlet.name == "Dervent Evening Post"
    assert str(document.original_published_on) == "2016-03-03"
    change = document.events.get(event_type=EventType.METADATA_CHANGE)
    assert change.actor == uploader
    assert set(change.detail["changes"]) == {"original_outlet", "original_published_on"}
    # The outlet the uploader named is a new source, created by them.
    creation = SourceEvent.objects.get(source=document.original_outlet)
    assert creation.actor == uploader
    page = client.get(f"/upload/{document.pk}/").content.decode()
    assert 'id="read-warning"' not in page
    assert "corrected since" in page


def test_a_correction_to_a_version_someone_changed_since_is_refused(client, uploader) -> None:
    upload(client, PLAIN, "notes.txt")
    document = Document.objects.get()
    stale = document_etag(document)
    client.post(
        f"/upload/{document.pk}/correct/",
        {"version": stale, "title": "Notes, corrected", "byline": "A. Writer"},
    )
    response = client.post(
        f"/upload/{document.pk}/correct/", {"version": stale, "title": "Notes, again"}
    )
    assert response.status_code == 412
    assert "changed by someone else" in response.content.decode()
    document.refresh_from_db()
    assert document.title == "Notes, corrected"


def test_flagging_puts_the_document_in_the_review_queue_with_an_event(client, uploader) -> None:
    document = DocumentFactory(actor=uploader)
    assert not Document.objects.needs_provenance().filter(pk=document.pk).exists()
    response = client.post(f"/upload/{document.pk}/flag/", {"note": "The date looks wrong."})
    assert response.status_code == 302
    assert Document.objects.needs_provenance().filter(pk=document.pk).exists()
    event = document.events.get(event_type=EventType.METADATA_CHANGE)
    assert event.detail["reason"] == "The date looks wrong."
    assert event.actor == uploader
    page = client.get(f"/upload/{document.pk}/").content.decode()
    assert 'id="read-flagged"' in page


def test_someone_else_may_read_the_result_but_not_correct_or_flag(client, uploader) -> None:
    document = DocumentFactory(actor=UserFactory(username="someone"))
    page = client.get(f"/upload/{document.pk}/").content.decode()
    assert 'id="correct-form"' not in page
    assert client.post(f"/upload/{document.pk}/flag/", {}).status_code == 403
    response = client.post(
        f"/upload/{document.pk}/correct/",
        {"version": document_etag(document), "title": "Taken over"},
    )
    assert response.status_code == 403
    document.refresh_from_db()
    assert document.title != "Taken over"
