"""Uploading the bytes of a withdrawn document: whoever may not see it is refused without
learning anything of it, and the attempt goes on the document's record; a curator (who sees
withdrawn documents) gets the usual duplicate answer. On the API, the upload page and the
admin, and for the ingest command (the operator, who sees everything)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from rest_framework.test import APIClient

from archive.models import Document, EventOutcome, EventType
from archive.selectors import provenance_chain_break
from archive.services import IngestMethod, document_ingest, document_restore, document_withdraw
from archive.services.ingest import UnavailableDuplicate
from tests.factories import UserFactory, reprint_bytes

pytestmark = pytest.mark.django_db

TITLE = "HARBOUR DREDGING CONTRACT AWARDED TWICE"
SECRET_REASON = "a court order names a private person"
NOT_AVAILABLE = "these bytes match a document that is not available"


@pytest.fixture
def data() -> bytes:
    return reprint_bytes(title=TITLE)


@pytest.fixture
def withdrawn(data, curator) -> Document:
    document = document_ingest(
        data=data, filename="first.txt", actor=curator, method=IngestMethod.API
    ).document
    return document_withdraw(document=document, actor=curator, agent="t", reason=SECRET_REASON)


def last_event(document: Document):
    return document.events.order_by("sequence").last()


def assert_refusal_recorded(document: Document, actor, method: str) -> None:
    event = last_event(document)
    assert event.event_type == EventType.DUPLICATE_SUBMISSION
    assert (event.actor, event.outcome) == (actor, EventOutcome.FAILURE)
    assert event.detail["method"] == method
    assert event.detail["refused"] == "the document is withdrawn"
    assert provenance_chain_break(document=document) is None
    assert Document.objects.count() == 1


def assert_reveals_nothing(text: str, document: Document) -> None:
    for secret in (TITLE, SECRET_REASON, f"/documents/{document.pk}/", "withdrawn"):
        assert secret not in text, f"{secret!r} leaked"


def upload_api(client: APIClient, data: bytes):
    return client.post(
        "/api/documents/", {"file": SimpleUploadedFile("again.txt", data)}, format="multipart"
    )


def test_the_api_refuses_a_researcher_with_409_and_records_the_attempt(
    researcher_client, researcher, withdrawn, data
) -> None:
    response = upload_api(researcher_client, data)
    assert response.status_code == 409
    body = response.json()
    assert body == {"detail": NOT_AVAILABLE, "code": "unavailable_duplicate"}
    assert_reveals_nothing(response.content.decode(), withdrawn)
    assert_refusal_recorded(withdrawn, researcher, "api")


def test_the_api_answers_a_curator_with_the_withdrawn_document(curator, withdrawn, data) -> None:
    client = APIClient()
    client.force_authenticate(curator)
    response = upload_api(client, data)
    assert response.status_code == 200
    assert (response.json()["id"], response.json()["title"]) == (withdrawn.pk, TITLE)
    event = last_event(withdrawn)
    assert (event.event_type, event.actor, event.outcome) == (
        EventType.DUPLICATE_SUBMISSION,
        curator,
        EventOutcome.SUCCESS,
    )
    assert "refused" not in event.detail


def test_after_a_restore_a_researcher_gets_the_usual_duplicate_answer(
    researcher_client, curator, withdrawn, data
) -> None:
    document_restore(document=withdrawn, actor=curator, agent="t")
    response = upload_api(researcher_client, data)
    assert response.status_code == 200
    assert response.json()["id"] == withdrawn.pk


def upload_page(client: Client, data: bytes):
    return client.post("/upload/", {"file": SimpleUploadedFile("again.txt", data)})


def test_the_upload_page_refuses_a_researcher_without_naming_the_document(
    researcher, withdrawn, data
) -> None:
    client = Client()
    client.force_login(researcher)
    response = upload_page(client, data)
    assert response.status_code == 409
    page = response.content.decode()
    assert f"again.txt was not ingested: {NOT_AVAILABLE}." in page
    assert 'id="upload-duplicate"' not in page
    assert_reveals_nothing(page, withdrawn)
    assert_refusal_recorded(withdrawn, researcher, "web")


def test_the_upload_page_shows_a_curator_the_withdrawn_document(curator, withdrawn, data) -> None:
    client = Client()
    client.force_login(curator)
    response = upload_page(client, data)
    assert response.status_code == 200
    page = response.content.decode()
    assert f'href="/documents/{withdrawn.pk}/"' in page
    assert TITLE in page


def admin_upload(client: Client, data: bytes):
    return client.post(
        "/admin/archive/document/add/", {"file": SimpleUploadedFile("again.txt", data)}
    )


def test_the_admin_gives_a_curator_the_usual_duplicate_answer(curator, withdrawn, data) -> None:
    client = Client()
    client.force_login(curator)
    response = admin_upload(client, data)
    assert response.status_code == 302
    assert response["Location"] == f"/admin/archive/document/{withdrawn.pk}/change/"
    followed = client.get(response["Location"])
    assert f"These bytes were ingested before, as “{TITLE}”." in followed.content.decode()


def test_the_admin_refuses_staff_who_may_add_but_not_see_withdrawn_documents(
    withdrawn, data
) -> None:
    clerk = UserFactory(username="clerk", is_staff=True)
    clerk.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="archive", codename__in=["add_document", "view_document"]
        )
    )
    client = Client()
    client.force_login(clerk)
    response = admin_upload(client, data)
    assert response.status_code == 200  # the form again, with the refusal on it
    page = response.content.decode()
    assert NOT_AVAILABLE in page
    assert_reveals_nothing(page, withdrawn)
    assert_refusal_recorded(withdrawn, clerk, "admin")


def test_the_service_raises_a_refusal_that_says_nothing_of_the_document(
    researcher, withdrawn, data
) -> None:
    with pytest.raises(UnavailableDuplicate) as refusal:
        document_ingest(data=data, filename="x.txt", actor=researcher, method=IngestMethod.API)
    assert (refusal.value.status_code, refusal.value.as_dict()) == (
        409,
        {"detail": NOT_AVAILABLE, "code": "unavailable_duplicate"},
    )
    assert_refusal_recorded(withdrawn, researcher, "api")


def test_the_ingest_command_without_an_actor_reports_the_duplicate(withdrawn, data) -> None:
    # The operator at the command line sees every document, withdrawn ones too.
    result = document_ingest(data=data, filename="x.txt", actor=None, method=IngestMethod.COMMAND)
    assert (result.document.pk, result.created) == (withdrawn.pk, False)
    assert last_event(withdrawn).outcome == EventOutcome.SUCCESS
