"""Each edited resource answers the same way to conditional requests: 304 to the version the
client already has, 428 to a change without If-Match, 412 with the current representation to
a change made to an old version."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from annotations.models import Visibility
from annotations.services import annotation_create
from archive.models import Document
from archive.services.documents import document_etag
from tests.factories import DocumentFactory, SourceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(curator) -> APIClient:
    client = APIClient()
    client.force_authenticate(curator)
    return client


@pytest.fixture
def document(db) -> Document:
    return DocumentFactory(body="The lighthouse keeper logged a second ship at dusk.")


@pytest.fixture
def annotation(document, curator):
    return annotation_create(
        document=document,
        creator=curator,
        start=4,
        end=20,
        comment="a first reading",
        visibility=Visibility.PRIVATE,
    )


@pytest.fixture
def source(db):
    return SourceFactory(name="Harbour Almanac")


def resource_url(kind: str, document, annotation, source=None) -> str:
    if kind == "document":
        return f"/api/documents/{document.pk}/"
    if kind == "source":
        return f"/api/sources/{source.slug}/"
    return f"/api/annotations/{annotation.pk}/"


KINDS = ["document", "annotation", "source"]
CHANGE = {
    "document": {"title": "A CORRECTED TITLE"},
    "annotation": {"comment": "edited"},
    "source": {"description": "A weekly of the port."},
}
SECOND_CHANGE = {
    "document": {"byline": "By a second hand"},
    "annotation": {"comment": "x"},
    "source": {"url": "https://almanac.example/"},
}


@pytest.mark.parametrize("kind", KINDS)
def test_a_read_of_the_version_the_client_has_answers_304(
    client, kind, document, annotation, source
):
    url = resource_url(kind, document, annotation, source)
    etag = client.get(url)["ETag"]
    unchanged = client.get(url, HTTP_IF_NONE_MATCH=f'"0.0", W/{etag}')
    assert unchanged.status_code == 304
    assert unchanged["ETag"] == etag
    assert client.get(url, HTTP_IF_NONE_MATCH='"0.0"').status_code == 200


@pytest.mark.parametrize("kind", KINDS)
def test_a_change_without_if_match_answers_428_and_changes_nothing(
    client, kind, document, annotation, source
):
    url = resource_url(kind, document, annotation, source)
    before = client.get(url)
    response = client.patch(url, CHANGE[kind], format="json")
    assert response.status_code == 428
    assert "If-Match" in response.json()["detail"]
    assert client.get(url).json() == before.json()


@pytest.mark.parametrize("kind", KINDS)
def test_a_change_to_an_old_version_answers_412_with_the_current_one(
    client, kind, document, annotation, source
):
    url = resource_url(kind, document, annotation, source)
    old = client.get(url)["ETag"]
    assert client.patch(url, CHANGE[kind], format="json", HTTP_IF_MATCH=old).status_code == 200
    current = client.get(url)
    stale = client.patch(url, SECOND_CHANGE[kind], format="json", HTTP_IF_MATCH=old)
    assert stale.status_code == 412
    assert stale.json()["code"] == "stale"
    assert stale.json()["current"] == current.json()
    assert stale["ETag"] == current["ETag"] != old


def test_a_document_etag_is_the_one_its_version_makes(client, document) -> None:
    assert client.get(f"/api/documents/{document.pk}/")["ETag"] == f'"{document_etag(document)}"'


def test_an_annotation_delete_to_an_old_version_answers_412_with_the_current_one(
    client, annotation
) -> None:
    url = f"/api/annotations/{annotation.pk}/"
    old = client.get(url)["ETag"]
    client.patch(url, {"comment": "edited"}, format="json", HTTP_IF_MATCH=old)
    stale = client.delete(url, HTTP_IF_MATCH=old)
    assert stale.status_code == 412
    assert stale.json()["current"]["comment"] == "edited"
    assert client.delete(url).status_code == 428
    assert client.get(url).status_code == 200


def test_a_stored_original_answers_304_only_to_its_own_tag(client, document) -> None:
    url = f"/api/documents/{document.pk}/original"
    etag = f'"{document.sha256}"'
    assert client.get(url, HTTP_IF_NONE_MATCH=f"W/{etag}").status_code == 304
    # A tag that only contains the digest is another tag (the old substring test matched it).
    other = client.get(url, HTTP_IF_NONE_MATCH=f'"x{document.sha256}"')
    other.close()
    assert other.status_code == 200
