"""Saved web pages through every entry point: the article only, the page's metadata, the
exact bytes kept as the original."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from rest_framework.test import APIClient

from archive import storage
from archive.ingest import IngestRefused, parse
from archive.models import Document, EventType, Source
from tests.archive.layouts.samples import article_html
from tests.archive.test_commands import run, write

pytestmark = pytest.mark.django_db


def upload(client: APIClient, data: bytes, name: str = "page.html"):
    return client.post(
        "/api/documents/", {"file": SimpleUploadedFile(name, data)}, format="multipart"
    )


def test_a_saved_page_becomes_its_article_text_with_the_page_metadata() -> None:
    parsed = parse(article_html().encode())
    assert parsed.layout == "web_page"
    assert parsed.media_type == "text/html"
    assert parsed.title == "Night market reopens"
    assert parsed.original_outlet.name == "The Riverside Courier"
    assert parsed.original_published_on == date(2019, 5, 4)
    assert parsed.byline == "Lena Farrow"
    assert parsed.original_url == "https://courier.example.org/2019/05/04/night-market"
    assert "Paragraph 1: the night market" in parsed.text
    assert "Paragraph 5:" in parsed.text
    for boilerplate in ("Home", "cookies", "Share this", "Subscribe", "Lovely news", "Copyright"):
        assert boilerplate not in parsed.text
    assert "<p>" not in parsed.text


def test_the_charset_comes_from_the_meta_tag() -> None:
    html = article_html(charset="windows-1254", site="Kıyı Gazetesi Şubesi")
    parsed = parse(html.encode("windows-1254"))
    assert parsed.encoding == "windows-1254"
    assert parsed.original_outlet.name == "Kıyı Gazetesi Şubesi"


def test_the_charset_comes_from_a_byte_order_mark() -> None:
    parsed = parse(b"\xef\xbb\xbf" + article_html(site="Kıyı Gazetesi").encode())
    assert parsed.layout == "web_page"
    assert parsed.original_outlet.name == "Kıyı Gazetesi"


def test_the_date_can_come_from_json_ld() -> None:
    ld = (
        '<script type="application/ld+json">'
        '{"@type": "NewsArticle", "datePublished": "2018-03-09"}</script>'
    )
    html = article_html(published="", extra_head=ld, url="https://courier.example.org/market")
    assert parse(html.encode()).original_published_on == date(2018, 3, 9)


def test_the_date_can_come_from_the_url() -> None:
    html = article_html(published="", url="https://courier.example.org/2017/11/23/market")
    assert parse(html.encode()).original_published_on == date(2017, 11, 23)


@pytest.mark.parametrize(
    "shell",
    [
        b"<!doctype html><html><head><script src='app.js'></script></head>"
        b"<body><div id='root'></div></body></html>",
        b"<html><head><title>404</title></head><body><h1>Not found</h1></body></html>",
    ],
)
def test_a_page_without_article_text_is_refused(shell: bytes) -> None:
    with pytest.raises(IngestRefused, match="no article text") as refusal:
        parse(shell)
    assert refusal.value.code == "no_article_text"


def test_the_api_stores_the_exact_bytes_and_the_article_as_text(researcher_client) -> None:
    data = article_html().encode()
    response = upload(researcher_client, data)
    assert response.status_code == 201, response.json()
    document = Document.objects.get()
    assert document.layout == "web_page"
    assert storage.original_path(document.sha256).read_bytes() == data
    assert "<article>" not in document.text
    event = document.events.get(event_type=EventType.INGESTION)
    assert event.detail["field_rules"]["original_outlet"] == "site_name"
    original = researcher_client.get(f"/api/documents/{document.pk}/original")
    original.close()
    assert original["Content-Disposition"].startswith("attachment")


def test_sites_named_with_and_without_a_capital_the_are_one_source(researcher_client) -> None:
    upload(researcher_client, article_html(site="The Guardian").encode())
    upload(researcher_client, article_html(site="the Guardian", paragraphs=6).encode())
    assert Document.objects.count() == 2
    assert Source.objects.filter(name__iexact="the guardian").count() == 1


def test_the_upload_page_and_the_admin_read_web_pages(researcher, curator) -> None:
    client = Client()
    client.force_login(researcher)
    client.post("/upload/", {"file": SimpleUploadedFile("a.html", article_html().encode())})
    admin = Client()
    admin.force_login(curator)
    admin.post(
        "/admin/archive/document/add/",
        {"file": SimpleUploadedFile("b.htm", article_html(paragraphs=7).encode())},
    )
    assert sorted(Document.objects.values_list("layout", flat=True)) == ["web_page", "web_page"]


def test_the_ingest_command_reads_web_pages_and_refuses_shells(tmp_path: Path) -> None:
    write(tmp_path / "good.html", article_html().encode())
    write(tmp_path / "shell.html", b"<!doctype html><html><body><script></script></body></html>")
    with pytest.raises(Exception, match="refused"):
        run("ingest", str(tmp_path))
    assert Document.objects.get().layout == "web_page"
