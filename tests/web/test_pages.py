"""The pages as the server renders them (no browser): access, escaping, CSRF, uploads."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from annotations.models import Visibility
from annotations.services import annotation_create
from archive.models import Document
from tests.factories import DocumentFactory, UserFactory, reprint_bytes

pytestmark = pytest.mark.django_db

XSS = "<img src=x onerror=alert(1)>"


@pytest.fixture
def reader(client: Client):
    user = UserFactory(username="reader")
    client.force_login(user)
    return user


@pytest.mark.parametrize("path", ["/", "/documents/1/", "/upload/"])
def test_every_page_needs_a_signed_in_user(client: Client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


def test_search_page_lists_results_facets_and_keeps_state_in_the_url(client, reader, indexed):
    indexed(
        title="FERRY NEWS", outlet_line="Northern Ledger, May 12 2021", reprint_date="14.05.2021"
    )
    indexed(
        title="OTHER FERRY NEWS",
        outlet_line="Caspian Review, March 2 2020",
        reprint_date="03.03.2020",
    )
    page = client.get("/", {"q": "ferry"}).content.decode()
    assert "2 documents" in page
    assert 'href="/?q=ferry&amp;outlet=northern-ledger"' in page
    filtered = client.get("/", {"q": "ferry", "outlet": "northern-ledger"}).content.decode()
    assert "1 document" in filtered
    assert 'aria-current="true"' in filtered
    assert '<input type="hidden" name="outlet" value="northern-ledger">' in filtered


def test_a_title_in_capitals_is_listed_in_title_case_and_kept_as_stored_in_the_reader(
    client, reader, indexed
) -> None:
    document = indexed(title="STORMS MOVE THE SANDBAR AT GÖKÇEADA")
    listed = client.get("/", {"q": "sandbar"}).content.decode()
    assert ">Storms Move the Sandbar at Gökçeada</a>" in listed
    assert "STORMS MOVE THE SANDBAR" not in listed
    opened = client.get(f"/documents/{document.pk}/").content.decode()
    assert '<h1 id="document-title">STORMS MOVE THE SANDBAR AT GÖKÇEADA</h1>' in opened
    document.refresh_from_db()
    assert document.title == "STORMS MOVE THE SANDBAR AT GÖKÇEADA"


@pytest.mark.parametrize(
    ("query", "message"),
    [("(ferry", "unclosed"), ("title:", "followed by nothing"), ("*", "every word")],
)
def test_a_malformed_query_is_explained(client, reader, query, message) -> None:
    response = client.get("/", {"q": query})
    assert response.status_code == 400
    assert message in response.content.decode()


def test_the_query_is_escaped_back_into_the_page(client, reader) -> None:
    page = client.get("/", {"q": XSS}).content.decode()
    assert XSS not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


def test_the_reader_escapes_the_text_and_offers_the_original_as_an_attachment(client, reader):
    document = DocumentFactory(body=f"A paragraph with {XSS} inside.")
    page = client.get(f"/documents/{document.pk}/").content.decode()
    assert XSS not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert f'href="/api/documents/{document.pk}/original" download' in page
    download = client.get(f"/api/documents/{document.pk}/original")
    assert download["Content-Disposition"].startswith("attachment;")
    assert download["Content-Type"].startswith("text/plain")
    download.close()


def test_the_reader_sets_the_csrf_cookie_its_script_sends(client, reader) -> None:
    document = DocumentFactory()
    assert "csrftoken" in client.get(f"/documents/{document.pk}/").cookies


def test_session_writes_need_the_csrf_token() -> None:
    user = UserFactory(username="writer")
    document = DocumentFactory()
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    url = f"/api/documents/{document.pk}/annotations/"
    refused = client.post(url, {"start": 0, "end": 3}, content_type="application/json")
    assert refused.status_code == 403
    client.get(f"/documents/{document.pk}/")
    token = client.cookies["csrftoken"].value
    accepted = client.post(
        url, {"start": 0, "end": 3}, content_type="application/json", HTTP_X_CSRFTOKEN=token
    )
    assert accepted.status_code == 201


def test_a_private_annotation_never_reaches_another_users_page(client, reader) -> None:
    document = DocumentFactory()
    owner = UserFactory(username="owner")
    annotation_create(
        document=document,
        creator=owner,
        start=0,
        end=5,
        comment="Secret lead.",
        visibility=Visibility.PRIVATE,
    )
    page = client.get(f"/documents/{document.pk}/").content.decode()
    assert "Secret lead." not in page
    listing = client.get(
        f"/api/documents/{document.pk}/annotations/", HTTP_ACCEPT="application/json"
    ).json()
    assert listing["count"] == 0


def upload(client: Client, data: bytes, name: str):
    return client.post("/upload/", {"file": SimpleUploadedFile(name, data)})


def test_upload_ingests_and_goes_to_what_was_read(client, reader) -> None:
    response = upload(client, reprint_bytes(), "bridge.txt")
    document = Document.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/upload/{document.pk}/"
    event = document.events.get()
    assert (event.actor, event.detail["method"]) == (reader, "web")


@pytest.mark.parametrize(
    ("data", "name", "reason"),
    [
        (b"", "empty.txt", "the file is empty"),
        (b"%PDF-1.4\n", "paper.txt", "the file is a PDF document, not text"),
        (b'{"title": "a", "body": "b"}\n', "bulk.jsonl", "JSON Lines bulk file"),
    ],
)
def test_a_refused_upload_shows_the_reason(client, reader, data, name, reason) -> None:
    response = upload(client, data, name)
    assert response.status_code == 400
    assert reason in response.content.decode()
    assert Document.objects.count() == 0


def test_a_duplicate_upload_links_to_the_existing_document(client, reader) -> None:
    upload(client, reprint_bytes(), "first.txt")
    response = upload(client, reprint_bytes(), "second.txt")
    document = Document.objects.get()
    assert f'href="/documents/{document.pk}/"' in response.content.decode()
    assert document.events.count() == 2


def test_upload_needs_the_csrf_token() -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(UserFactory(username="uploader"))
    assert upload(client, reprint_bytes(), "x.txt").status_code == 403


def test_a_withdrawn_document_is_gone_for_researchers_and_marked_for_curators(
    client, reader, curator
) -> None:
    from archive.services import document_withdraw

    document = DocumentFactory()
    document_withdraw(document=document, actor=curator, agent="t", reason="scanned twice")
    assert client.get(f"/documents/{document.pk}/").status_code == 404
    client.force_login(curator)
    page = client.get(f"/documents/{document.pk}/")
    assert page.status_code == 200
    assert "scanned twice" in page.text and 'id="withdrawn-notice"' in page.text


def test_the_reader_puts_provenance_first_with_the_reprint_in_the_header(client, reader) -> None:
    document = DocumentFactory(title="LANTERN FESTIVAL MOVED TO THE HARBOUR")
    page = client.get(f"/documents/{document.pk}/").content.decode()
    header = page[
        page.index('<header class="doc-head">') : page.index("</header>", page.index("doc-head"))
    ]
    assert "Northern Ledger" in header and "4 September 2017" in header
    assert "reprinted by" in header and "6 September 2017" in header
    assert page.index('id="provenance"') < page.index('id="facsimiles"')
    assert '<details class="facsimile-attach">' in page  # collapsed behind its summary
    assert '<a href="#provenance">' in header  # on a phone, without scrolling past the text
