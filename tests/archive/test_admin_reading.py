"""The admin as a curator reads it (issue 14 §6): histories in words with names, counts that
lead to the documents counted, merges that say where a source went and how to undo it, plain
English messages, and the uploader as the creator of the outlets an upload brought."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from archive.models import Document, SourceEvent, SourceEventType
from archive.services import document_update, source_merge, source_update
from tests.factories import DocumentFactory, SourceFactory, UserFactory, reprint_bytes

pytestmark = pytest.mark.django_db

SOURCES = "/admin/archive/source/"
DOCUMENTS = "/admin/archive/document/"
PLAIN = (
    b"Notes from the invented town of Dervent\n\n"
    b"The council met on a rainy evening and talked about the bridge for three hours.\n"
)


@pytest.fixture
def curator_client(curator) -> Client:
    client = Client()
    client.force_login(curator)
    return client


def test_a_document_history_shows_changes_as_labelled_before_and_after_with_names(
    curator_client, curator
) -> None:
    document = DocumentFactory(outlet_line="Harbour Gazette, September 4 2017")
    coastal = SourceFactory(name="Coastal Times")
    document_update(
        document=document, actor=curator, agent="t", original_outlet=coastal, byline="Ayla Demirci"
    )
    page = curator_client.get(f"{DOCUMENTS}{document.pk}/change/").text
    assert "<strong>Outlet</strong>: was “Harbour Gazette”, now “Coastal Times”" in page
    assert "<strong>Byline</strong>: was empty, now “Ayla Demirci”" in page
    # The ingestion reads as what was read, by name, not as the recorded state with ids.
    assert "Outlet: Harbour Gazette" in page
    assert '"original_outlet": ' not in page
    assert "text_sha256" not in page
    assert "curator, through t" in page


def test_a_source_history_names_what_a_merge_moved(curator_client, curator) -> None:
    gazette = SourceFactory(name="Harbour Gazette")
    times = SourceFactory(name="Coastal Times")
    document = DocumentFactory(
        title="BRIDGE TALKS RESUME", outlet_line="Harbour Gazette, September 4 2017"
    )
    source_merge(sources=[gazette], into=times, actor=curator, reason="same paper")
    source_update(source=times, actor=curator, description="A coastal daily.")
    page = curator_client.get(f"{SOURCES}{times.pk}/change/").text
    assert "<strong>Sources</strong>: Harbour Gazette" in page
    assert f"<strong>Documents moved as outlet</strong>: 1: “{document.title}”" in page
    assert "<strong>Description</strong>: was empty, now “A coastal daily.”" in page
    assert '"documents_as_outlet"' not in page
    # Its creation: what it was created as.
    assert "<strong>Kind</strong>: Outlet" in page
    assert "<strong>Aliases</strong>: Coastal Times" in page


def test_document_counts_on_the_source_list_link_to_the_filtered_documents(
    curator_client,
) -> None:
    gazette = SourceFactory(name="Harbour Gazette")
    DocumentFactory(outlet_line="Harbour Gazette, September 4 2017")
    DocumentFactory(outlet_line="Harbour Gazette, September 5 2017")
    other = DocumentFactory(title="ELSEWHERE", outlet_line="Coastal Times, May 1 2016")
    listing = curator_client.get(f"{SOURCES}?q=harbour").text
    link = f'href="{DOCUMENTS}?original_outlet__id__exact={gazette.pk}">2</a>'
    assert link in listing
    documents = curator_client.get(f"{DOCUMENTS}?original_outlet__id__exact={gazette.pk}")
    assert documents.status_code == 200
    assert "2 documents" in documents.text
    assert other.title not in documents.text


def test_the_merge_form_asks_merge_into_first(curator_client) -> None:
    gazette, times = SourceFactory(name="Harbour Gazette"), SourceFactory(name="Coastal Times")
    page = curator_client.post(
        SOURCES,
        {"action": "merge_sources", "_selected_action": [str(gazette.pk), str(times.pk)]},
    ).text
    assert page.index('name="into"') < page.index('name="reason"')


def test_a_merged_away_source_says_where_it_went_and_offers_to_undo(
    curator_client, curator
) -> None:
    gazette, times = SourceFactory(name="Harbour Gazette"), SourceFactory(name="Coastal Times")
    merge = source_merge(sources=[gazette], into=times, actor=curator, reason="same paper")
    page = curator_client.get(f"{SOURCES}{gazette.pk}/change/").text
    assert f'Merged into <a href="{SOURCES}{times.pk}/change/">Coastal Times</a>' in page
    assert "by curator: same paper" in page
    undo = f'href="{SOURCES}{times.pk}/unmerge/{merge.pk}/">Undo this merge</a>'
    assert undo in page
    response = curator_client.post(f"{SOURCES}{times.pk}/unmerge/{merge.pk}/", {"reason": "two"})
    assert response.status_code == 302
    gazette.refresh_from_db()
    assert gazette.is_live
    assert "Undo this merge" not in curator_client.get(f"{SOURCES}{gazette.pk}/change/").text


@pytest.mark.parametrize(
    ("count", "message"), [(1, "Withdrew 1 document."), (2, "Withdrew 2 documents.")]
)
def test_withdrawing_says_how_many_in_plain_english(curator_client, count, message) -> None:
    documents = [DocumentFactory() for _ in range(count)]
    response = curator_client.post(
        DOCUMENTS,
        {
            "action": "withdraw_documents",
            "_selected_action": [str(document.pk) for document in documents],
            "apply": "1",
            "reason": "duplicate scan",
        },
        follow=True,
    )
    assert message in response.text
    assert "document(s)" not in response.text


def test_restoring_says_how_many_in_plain_english(curator_client, curator) -> None:
    from archive.services import document_withdraw

    document = DocumentFactory()
    document_withdraw(document=document, actor=curator, agent="t", reason="x")
    response = curator_client.post(
        DOCUMENTS,
        {"action": "restore_documents", "_selected_action": [str(document.pk)]},
        follow=True,
    )
    assert "Restored 1 document." in response.text


def test_a_source_created_by_an_upload_shows_the_uploader_as_its_creator(curator_client) -> None:
    uploader = UserFactory(username="uploader")
    client = Client()
    client.force_login(uploader)
    client.post(
        "/api/documents/",
        {
            "file": SimpleUploadedFile(
                "r.txt", reprint_bytes(outlet_line="Ferry Courier, May 2 2016")
            )
        },
    )
    outlet = Document.objects.get().original_outlet
    creation = SourceEvent.objects.get(source=outlet, event_type=SourceEventType.CREATION)
    assert creation.actor == uploader
    page = curator_client.get(f"{SOURCES}{outlet.pk}/change/").text
    who = page[page.index('class="field-who"') :]
    assert who[: who.index("</td>")].split("<p>")[1].startswith("uploader</p>")


def test_an_admin_upload_says_what_was_read_and_warns(curator_client) -> None:
    response = curator_client.post(
        f"{DOCUMENTS}add/", {"file": SimpleUploadedFile("notes.txt", PLAIN)}, follow=True
    )
    assert "Read as plain text: no outlet or date found." in response.text
    document = Document.objects.get()
    page = curator_client.get(f"{DOCUMENTS}{document.pk}/change/").text
    assert "What the upload read" in page
    assert "<strong>Outlet</strong>: not found" in page


def test_a_flagged_document_is_in_the_admin_queue(curator_client, curator) -> None:
    from archive.services import document_review_request

    document = DocumentFactory()
    listing = curator_client.get(f"{DOCUMENTS}?provenance=needed").text
    assert document.title not in listing
    document_review_request(document=document, actor=curator, agent="t", note="check the date")
    listing = curator_client.get(f"{DOCUMENTS}?provenance=needed").text
    assert document.title in listing


def test_a_curator_marks_a_flagged_document_as_checked(curator_client, curator) -> None:
    from archive.services import document_review_request

    document = DocumentFactory()
    document_review_request(document=document, actor=curator, agent="t", note="check")
    response = curator_client.post(
        DOCUMENTS,
        {"action": "close_reviews", "_selected_action": [str(document.pk)]},
        follow=True,
    )
    assert "Marked 1 document as checked." in response.text
    assert not Document.objects.needs_provenance().filter(pk=document.pk).exists()
    closing = document.events.order_by("-sequence").first()
    assert closing.detail["changes"]["review_requested_at"]["after"] is None
    assert closing.actor == curator


def test_the_history_looks_names_up_once_however_many_events(curator_client, curator) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    document = DocumentFactory(outlet_line="Harbour Gazette, September 4 2017")
    sources = [SourceFactory(name=f"Coastal Times {number}") for number in range(6)]

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert curator_client.get(f"{DOCUMENTS}{document.pk}/change/").status_code == 200
        return len(captured)

    document_update(document=document, actor=curator, agent="t", original_outlet=sources[0])
    few = queries()
    for source in sources[1:]:
        document_update(document=document, actor=curator, agent="t", original_outlet=source)
    assert queries() == few
