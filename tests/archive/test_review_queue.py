"""The "Needs provenance" review queue: listed and counted in the admin, filled in through
the admin or the API, each change a metadata_change event with the reason "review"."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client
from rest_framework.test import APIClient

from archive.models import Document, EventType
from archive.services.documents import document_etag
from tests.factories import DocumentFactory, SourceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def curator_client(curator) -> Client:
    client = Client()
    client.force_login(curator)
    return client


def queue() -> tuple[Document, Document, Document]:
    known = DocumentFactory(title="KNOWN ORIGIN")
    # An AVİM reprint without its outlet line: neither outlet nor original date is known.
    no_outlet = DocumentFactory(title="OUTLET UNKNOWN", outlet_line=None)
    no_date = DocumentFactory(title="DATE UNKNOWN", outlet_line=None)
    return known, no_outlet, no_date


def test_documents_without_outlet_or_date_need_provenance() -> None:
    _, no_outlet, no_date = queue()
    assert set(Document.objects.needs_provenance()) == {no_outlet, no_date}


def test_the_admin_filter_lists_the_queue(curator_client) -> None:
    queue()
    page = curator_client.get("/admin/archive/document/?provenance=needed").content.decode()
    assert "OUTLET UNKNOWN" in page and "DATE UNKNOWN" in page
    assert "KNOWN ORIGIN" not in page


def test_the_admin_index_counts_the_queue(curator_client) -> None:
    queue()
    page = curator_client.get("/admin/").content.decode()
    assert "Needs provenance: 2 documents" in page
    assert "/admin/archive/document/?provenance=needed" in page


def test_filling_a_field_through_the_api_is_a_review_event(curator) -> None:
    _, no_outlet, _ = queue()
    outlet = SourceFactory(name="Harbour Ledger")
    client = APIClient()
    client.force_authenticate(curator)
    response = client.patch(
        f"/api/documents/{no_outlet.pk}/",
        {"original_outlet": outlet.slug, "original_published_on": "2017-09-01"},
        format="json",
        HTTP_IF_MATCH=f'"{document_etag(no_outlet)}"',
    )
    assert response.status_code == 200, response.data
    event = no_outlet.events.filter(event_type=EventType.METADATA_CHANGE).get()
    assert event.detail["reason"] == "review"
    assert event.detail["changes"]["original_outlet"]["after"]["id"] == outlet.pk
    assert event.actor == curator
    assert not Document.objects.needs_provenance().filter(pk=no_outlet.pk).exists()


def test_filling_a_field_in_the_admin_is_a_review_event(curator_client, curator) -> None:
    _, _, no_date = queue()
    page = curator_client.get(f"/admin/archive/document/{no_date.pk}/change/")
    form = page.context["adminform"].form
    data = {
        name: ("" if value is None else getattr(value, "pk", value))
        for name, value in form.initial.items()
        if name in form.fields
    }
    data["original_published_on"] = "2016-03-03"
    for prefix in ("events", "facsimiles"):
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})
    response = curator_client.post(f"/admin/archive/document/{no_date.pk}/change/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    no_date.refresh_from_db()
    assert no_date.original_published_on == date(2016, 3, 3)
    event = no_date.events.filter(event_type=EventType.METADATA_CHANGE).get()
    assert event.detail["reason"] == "review"


def test_an_edit_outside_the_queue_records_no_review_reason(curator) -> None:
    from archive.services import document_update

    known, _, _ = queue()
    document_update(document=known, actor=curator, agent="test", title="A NEW TITLE")
    event = known.events.filter(event_type=EventType.METADATA_CHANGE).get()
    assert "reason" not in event.detail
