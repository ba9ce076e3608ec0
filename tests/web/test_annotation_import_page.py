"""The page that imports W3C Web Annotations from a file: a dry run by default, the report
item by item, a refusal with its reason."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from annotations.models import Annotation
from tests.factories import DocumentFactory, UserFactory

pytestmark = pytest.mark.django_db

BODY = "The harbour master said the night ferry would stop in winter."


@pytest.fixture
def reader(client: Client):
    user = UserFactory(username="reader")
    client.force_login(user)
    return user


def annotations_file(document, exact: str) -> SimpleUploadedFile:
    item = {
        "@context": "http://www.w3.org/ns/anno.jsonld",
        "type": "Annotation",
        "id": "https://annotations.invalid/a/night-ferry",
        "body": {"type": "TextualBody", "value": "Which winter?"},
        "target": {
            "source": f"http://testserver/documents/{document.pk}/",
            "selector": {"type": "TextQuoteSelector", "exact": exact},
        },
    }
    return SimpleUploadedFile("notes.jsonld", json.dumps(item).encode())


def test_the_import_page_needs_a_signed_in_user(client: Client) -> None:
    response = client.get("/annotations/import/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


def test_the_import_page_offers_a_dry_run_first(client, reader) -> None:
    response = client.get("/annotations/import/")

    assert response.status_code == 200
    assert 'name="dry_run" id="id_dry_run" checked' in response.content.decode()


def test_a_dry_run_shows_what_would_happen_and_writes_nothing(client, reader) -> None:
    document = DocumentFactory(body=BODY)
    response = client.post(
        "/annotations/import/",
        {
            "file": annotations_file(document, "night ferry"),
            "visibility": "private",
            "dry_run": "on",
        },
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "Dry run of notes.jsonld: nothing was written" in page
    assert "0 created, 1 would be created, 0 skipped, 0 failed." in page
    assert not Annotation.objects.exists()


def test_an_import_creates_the_annotations_and_links_to_them(client, reader) -> None:
    document = DocumentFactory(body=BODY)
    response = client.post(
        "/annotations/import/",
        {"file": annotations_file(document, "night ferry"), "visibility": "private"},
    )

    annotation = Annotation.objects.get()
    assert (annotation.creator, annotation.comment) == (reader, "Which winter?")
    assert f'href="/documents/{document.pk}/#annotation-{annotation.pk}"' in (
        response.content.decode()
    )


def test_an_item_that_cannot_be_anchored_is_listed_with_the_reason(client, reader) -> None:
    document = DocumentFactory(body=BODY)
    response = client.post(
        "/annotations/import/",
        {"file": annotations_file(document, "morning ferry"), "visibility": "private"},
    )

    assert 'data-status="failed"' in response.content.decode()
    assert "does not occur in the text" in response.content.decode()
    assert not Annotation.objects.exists()


def test_a_file_that_is_not_json_is_refused_with_the_reason(client, reader) -> None:
    response = client.post(
        "/annotations/import/",
        {"file": SimpleUploadedFile("notes.jsonld", b"{oops"), "visibility": "private"},
    )

    assert response.status_code == 400
    assert "notes.jsonld was not imported: the payload is not valid JSON" in (
        response.content.decode()
    )
