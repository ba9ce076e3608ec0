"""Several articles in one file: one document per article, the file stored once."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import DatabaseError, transaction
from django.test import Client
from rest_framework.test import APIClient

from archive import storage
from archive.models import Document, EventType
from tests.archive.layouts import samples
from tests.conftest import stored_files

pytestmark = pytest.mark.django_db


def upload(client: APIClient, data: bytes, name: str = "digest.txt"):
    return client.post(
        "/api/documents/", {"file": SimpleUploadedFile(name, data)}, format="multipart"
    )


def test_a_digest_becomes_one_document_per_article(researcher_client, data_dir) -> None:
    data = samples.DIGEST.encode()
    response = upload(researcher_client, data)
    assert response.status_code == 201, response.json()
    documents = list(Document.objects.order_by("part"))
    assert [d.part for d in documents] == [1, 2, 3]
    assert {d.part_count for d in documents} == {3}
    assert [d.original_outlet.name for d in documents] == ["Trend", "Morning Ledger", "Daily Sabah"]
    assert [d.layout for d in documents] == ["outlet_then_date", "inline_pairs", "published_line"]
    assert response.json()["id"] == documents[0].pk
    # The file is stored once; each article knows where it lies in the file's text.
    assert len(stored_files(data_dir)) == 1
    assert {d.sha256 for d in documents} == {storage.sha256_hex(data)}
    for document in documents:
        article = samples.DIGEST[document.file_start : document.file_end]
        assert document.text in article
        assert article.startswith(document.title)
    event = documents[1].events.get(event_type=EventType.INGESTION)
    assert event.detail["split"] == {
        "parser": "digest",
        "part": 2,
        "of": 3,
        "file_range": [documents[1].file_start, documents[1].file_end],
    }


def test_the_same_digest_again_returns_the_same_documents(researcher_client) -> None:
    first = upload(researcher_client, samples.DIGEST.encode()).json()["id"]
    again = upload(researcher_client, samples.DIGEST.encode())
    assert again.status_code == 200
    assert again.json()["id"] == first
    assert Document.objects.count() == 3


def test_each_article_downloads_the_whole_original(researcher_client) -> None:
    upload(researcher_client, samples.DIGEST.encode())
    third = Document.objects.get(part=3)
    response = researcher_client.get(f"/api/documents/{third.pk}/original")
    assert b"".join(response.streaming_content) == samples.DIGEST.encode()


def test_a_digest_with_an_unreadable_item_is_refused_naming_it(researcher_client, data_dir):
    response = upload(researcher_client, samples.DIGEST_WITH_UNREADABLE_ITEM.encode())
    assert response.status_code == 400
    assert "item 3 of the digest ('Bridges of Paper')" in response.json()["detail"]
    assert Document.objects.count() == 0
    assert stored_files(data_dir) == []


def test_the_reader_shows_the_article_among_its_siblings(researcher) -> None:
    client = APIClient()
    client.force_authenticate(researcher)
    upload(client, samples.DIGEST.encode())
    first, second, third = Document.objects.order_by("part")
    browser = Client()
    browser.force_login(researcher)
    page = browser.get(f"/documents/{second.pk}/").content.decode()
    assert "Article 2 of 3 in this file" in page
    assert f'href="/documents/{first.pk}/"' in page
    assert f'href="/documents/{third.pk}/"' in page
    single = upload(client, samples.INLINE_PAIRS.encode(), "one.txt").json()["id"]
    assert "in this file" not in browser.get(f"/documents/{single}/").content.decode()


def test_fixity_passes_for_a_digest(researcher_client) -> None:
    upload(researcher_client, samples.DIGEST.encode())
    out = StringIO()
    call_command("fixity_check", "--no-progress", stdout=out, stderr=StringIO())
    assert "passed: 3, failed: 0" in out.getvalue()


@pytest.mark.parametrize("column", ["part", "part_count", "file_start", "file_end"])
def test_the_database_refuses_to_move_an_article_within_its_file(researcher_client, column):
    upload(researcher_client, samples.DIGEST.encode())
    second = Document.objects.get(part=2)
    with pytest.raises(DatabaseError, match="place of"), transaction.atomic():
        Document.objects.filter(pk=second.pk).update(**{column: 1 if column != "file_end" else 5})


def test_a_blog_listing_becomes_one_document_per_post(researcher_client) -> None:
    response = upload(researcher_client, samples.BLOG_LISTING.encode(), "listing.txt")
    assert response.status_code == 201, response.json()
    first, second = Document.objects.order_by("part")
    assert (first.title, first.original_outlet.name, first.byline) == (
        "Lanterns Return to the Old Quay",
        "Trend",
        "Mira Coldwell",
    )
    assert (first.original_published_on.isoformat(), first.reprinted_on.isoformat()) == (
        "2010-04-08",
        "2010-04-12",
    )
    assert (second.original_outlet.name, second.part, second.part_count) == ("Morning Ledger", 2, 2)
    assert samples.BLOG_LISTING[second.file_start : second.file_end].endswith(second.text)
    event = second.events.get(event_type=EventType.INGESTION)
    assert event.detail["split"]["parser"] == "blog_listing"


def test_a_listing_with_a_post_without_its_outlet_is_refused_naming_it(researcher_client):
    response = upload(researcher_client, samples.BLOG_LISTING_WITH_UNREADABLE_ITEM.encode())
    assert response.status_code == 400
    assert "item 2 of the listing ('Bridges of Paper')" in response.json()["detail"]
    assert Document.objects.count() == 0


def test_the_api_says_which_article_of_its_file_a_document_is(researcher_client) -> None:
    upload(researcher_client, samples.DIGEST.encode())
    second = Document.objects.get(part=2)
    body = researcher_client.get(f"/api/documents/{second.pk}/").json()
    assert (body["part"], body["part_count"]) == (2, 3)
    assert (body["file_start"], body["file_end"]) == (second.file_start, second.file_end)
    assert samples.DIGEST[body["file_start"] : body["file_end"]].startswith(body["title"])
