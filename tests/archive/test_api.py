from __future__ import annotations

import base64
import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from archive import storage
from archive.models import Document, EventType
from tests.factories import DocumentFactory, SourceFactory, reprint_bytes

pytestmark = pytest.mark.django_db


def document_bytes(document: Document) -> bytes:
    return storage.original_path(document.sha256).read_bytes()


def upload(client: APIClient, data: bytes, name: str = "reprint.txt"):
    return client.post(
        "/api/documents/", {"file": SimpleUploadedFile(name, data)}, format="multipart"
    )


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/api/documents/"),
        ("post", "/api/documents/"),
        ("get", "/api/documents/1/"),
        ("get", "/api/documents/1/original"),
        ("get", "/api/sources/"),
    ],
)
def test_anonymous_requests_get_401(anonymous_client: APIClient, method: str, url: str) -> None:
    DocumentFactory()
    response = getattr(anonymous_client, method)(url)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_a_token_signs_in_to_the_api(researcher) -> None:
    token = Token.objects.create(user=researcher)
    client = APIClient(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert client.get("/api/documents/").status_code == 200


def test_obtain_token_with_username_and_password(researcher) -> None:
    response = APIClient().post(
        "/api/auth/token/", {"username": "researcher", "password": "correct horse battery"}
    )
    assert response.status_code == 200
    assert response.json()["token"] == Token.objects.get(user=researcher).key


def test_a_session_signs_in_to_the_api(researcher) -> None:
    client = APIClient()
    client.force_login(researcher)
    assert client.get("/api/documents/").status_code == 200


def test_list_is_paginated(researcher_client: APIClient) -> None:
    for _ in range(3):
        DocumentFactory()
    body = researcher_client.get("/api/documents/?page_size=2").json()
    assert body["count"] == 3
    assert len(body["results"]) == 2
    assert body["next"].endswith("page=2&page_size=2")


def test_list_page_size_is_capped_at_100(researcher_client: APIClient) -> None:
    DocumentFactory()
    body = researcher_client.get("/api/documents/?page_size=5000").json()
    assert body["count"] == 1


def test_list_filters_by_outlet_reprinter_and_dates(researcher_client: APIClient) -> None:
    ledger = DocumentFactory(outlet_line="Northern Ledger, March 1 2016", reprint_date="03.03.2016")
    courier = DocumentFactory(outlet_line="Anatolian Courier, 8 February 2017")

    def ids(query: str) -> list[int]:
        response = researcher_client.get(f"/api/documents/?{query}")
        assert response.status_code == 200, response.json()
        return [item["id"] for item in response.json()["results"]]

    assert ids("outlet=anatolian-courier") == [courier.pk]
    assert ids("outlet=northern-ledger") == [ledger.pk]
    assert set(ids(f"reprinter={courier.reprinter.slug}")) == {ledger.pk, courier.pk}
    assert ids("published_from=2017-01-01") == [courier.pk]
    assert ids("published_to=2016-12-31") == [ledger.pk]
    assert ids("reprinted_from=2016-03-03&reprinted_to=2016-03-03") == [ledger.pk]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("published_from=2017-02-31", "published_from"),
        ("reprinted_to=yesterday", "reprinted_to"),
        ("published_from=2018-01-01&published_to=2017-01-01", "published_to"),
    ],
)
def test_list_refuses_bad_filters_with_field_messages(researcher_client, query, field) -> None:
    response = researcher_client.get(f"/api/documents/?{query}")
    assert response.status_code == 400
    assert field in response.json()


def test_detail_has_metadata_text_original_and_events(researcher_client: APIClient) -> None:
    document = DocumentFactory()
    body = researcher_client.get(f"/api/documents/{document.pk}/").json()
    assert body["title"] == document.title
    assert body["text"] == document.text
    assert body["original_outlet"]["name"] == "Northern Ledger"
    assert body["original_published_on"] == "2017-09-04"
    assert body["reprinter"]["kind"] == "think_tank"
    assert body["original"]["sha256"] == document.sha256
    assert body["original"]["download_url"].endswith(f"/api/documents/{document.pk}/original")
    [event] = body["events"]
    assert event["event_type"] == "ingestion"
    assert event["event_hash"]


def test_detail_of_a_missing_document_is_404(researcher_client: APIClient) -> None:
    assert researcher_client.get("/api/documents/999999/").status_code == 404


def test_original_is_the_exact_bytes_as_an_attachment(researcher_client: APIClient) -> None:
    data = reprint_bytes(body="Gövde metni İstanbul 🚢.").replace(b"\n", b"\r\n")
    document = upload(researcher_client, data, "özel haber.txt").json()

    response = researcher_client.get(f"/api/documents/{document['id']}/original")

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == data
    digest = hashlib.sha256(data)
    assert response["ETag"] == f'"{digest.hexdigest()}"'
    assert response["Repr-Digest"] == f"sha-256=:{base64.b64encode(digest.digest()).decode()}:"
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "filename*=utf-8''%C3%B6zel%20haber.txt" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    response.close()


def test_original_answers_304_to_a_matching_etag(researcher_client: APIClient) -> None:
    document = DocumentFactory()
    response = researcher_client.get(
        f"/api/documents/{document.pk}/original", HTTP_IF_NONE_MATCH=f'"{document.sha256}"'
    )
    assert response.status_code == 304


def test_original_ignores_the_accept_header(researcher_client: APIClient) -> None:
    document = DocumentFactory()
    response = researcher_client.get(
        f"/api/documents/{document.pk}/original", HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == document_bytes(document)
    response.close()


def test_upload_ingests_through_the_service(researcher_client: APIClient, researcher) -> None:
    response = upload(researcher_client, reprint_bytes(), "bridge.txt")

    assert response.status_code == 201
    body = response.json()
    assert response["Location"] == f"/api/documents/{body['id']}/"
    document = Document.objects.get(pk=body["id"])
    event = document.events.get()
    assert (event.actor, event.detail["method"]) == (researcher, "api")
    assert event.agent == "kaynak 0.1.0 REST API upload"


def test_upload_of_the_same_bytes_answers_200_with_the_existing_document(researcher_client):
    first = upload(researcher_client, reprint_bytes()).json()
    again = upload(researcher_client, reprint_bytes(), "copy.txt")
    assert again.status_code == 200
    assert again.json()["id"] == first["id"]
    assert [event["event_type"] for event in again.json()["events"]] == [
        EventType.INGESTION,
        EventType.DUPLICATE_SUBMISSION,
    ]


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"", "empty.txt", "the file is empty"),
        (b"%PDF-1.4\n", "paper.txt", "the file is a PDF document, not text"),
        (reprint_bytes(reprint_date="31.02.2017"), "r.txt", "is not a calendar date"),
        (b'{"title": "a", "body": "b"}\n', "bulk.jsonl", "JSON Lines bulk file"),
    ],
)
def test_upload_refuses_bad_input_with_the_reason(researcher_client, data, name, message):
    response = upload(researcher_client, data, name)
    assert response.status_code == 400
    assert message in response.json()["detail"]
    assert response.json()["code"]
    assert Document.objects.count() == 0


def test_upload_over_the_limit_is_refused_before_reading(researcher_client, settings) -> None:
    settings.KAYNAK_MAX_UPLOAD_BYTES = 10
    response = upload(researcher_client, reprint_bytes())
    assert response.status_code == 400
    assert response.json()["code"] == "too_large"


def test_upload_without_a_file_is_refused(researcher_client: APIClient) -> None:
    response = researcher_client.post("/api/documents/", {}, format="multipart")
    assert response.status_code == 400
    assert "file" in response.json()


def test_sources_list_with_aliases_and_filters(researcher_client: APIClient) -> None:
    SourceFactory(name="Hürriyet Daily News", kind="outlet")
    SourceFactory(name="Ministry of Invented Affairs", kind="government")

    body = researcher_client.get("/api/sources/?q=hurriyet").json()
    assert [source["name"] for source in body["results"]] == ["Hürriyet Daily News"]
    assert body["results"][0]["aliases"] == ["Hürriyet Daily News"]

    body = researcher_client.get("/api/sources/?kind=government").json()
    assert [source["kind"] for source in body["results"]] == ["government"]
    assert researcher_client.get("/api/sources/?kind=planet").status_code == 400
