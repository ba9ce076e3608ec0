"""An upload's answer says what was read from the file, and warns when provenance is missing;
markup that is not text meant for reading is refused by the one ingest service."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from archive.ingest import IngestRefused
from archive.models import Document
from archive.services import IngestMethod, document_ingest
from tests.factories import reprint_bytes

pytestmark = pytest.mark.django_db

SVG = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b"<title>An invented drawing of a bridge</title><path d='M0 0L10 10'/></svg>"
)
BARE_SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><text>Dervent</text></svg>'
FEED = (
    b'<?xml version="1.0"?>\n<rss version="2.0"><channel><title>Invented feed</title>'
    b"<item><title>Bridge to open</title></item></channel></rss>"
)
PLAIN = (
    b"Notes from the invented town of Dervent\n\n"
    b"The council met on a rainy evening and talked about the bridge for three hours.\n"
)


def upload(client: APIClient, data: bytes, name: str, content_type: str = "text/plain"):
    return client.post(
        "/api/documents/",
        {"file": SimpleUploadedFile(name, data, content_type=content_type)},
        format="multipart",
    )


def test_an_upload_answer_says_what_was_read_and_by_which_rule(researcher_client) -> None:
    response = upload(
        researcher_client, reprint_bytes(byline="Author: Ayla Demirci"), "reprint.txt"
    )
    assert response.status_code == 201
    read = response.json()["read"]
    assert read["layout"] == "avim_reprint"
    fields = {field["name"]: field for field in read["fields"]}
    assert fields["original_outlet"]["value"] == "Northern Ledger"
    assert fields["original_published_on"]["value"] == "4 Sep 2017"
    assert fields["reprinted_on"]["value"] == "6 Sep 2017"
    assert fields["byline"]["value"] == "Ayla Demirci"
    assert fields["reprinter"]["value"].startswith("Center for Eurasian Studies")
    assert read["warning"] == ""
    assert read["needs_provenance"] is False


def test_an_upload_with_a_header_shape_names_the_rule_that_set_each_field(
    researcher_client,
) -> None:
    text = (
        "Bridge talks resume in Dervent\n\nSource: Northern Ledger | Date: 3 March 2016\n\n"
        "The council of the invented town met again to talk about the bridge and its roads.\n"
    )
    read = upload(researcher_client, text.encode(), "pairs.txt").json()["read"]
    fields = {field["name"]: field for field in read["fields"]}
    assert fields["original_outlet"]["value"] == "Northern Ledger"
    assert fields["original_outlet"]["rule"]
    assert fields["original_published_on"]["rule"]


def test_an_upload_without_outlet_or_date_is_read_as_plain_text_with_a_warning(
    researcher_client,
) -> None:
    response = upload(researcher_client, PLAIN, "notes.txt")
    assert response.status_code == 201
    read = response.json()["read"]
    assert read["layout"] == "plain_text"
    assert read["warning"] == "Read as plain text: no outlet or date found."
    assert read["needs_provenance"] is True


def test_a_duplicate_upload_answers_with_what_was_read_too(researcher_client) -> None:
    upload(researcher_client, PLAIN, "notes.txt")
    response = upload(researcher_client, PLAIN, "again.txt")
    assert response.status_code == 200
    assert response.json()["read"]["warning"].startswith("Read as plain text")


@pytest.mark.parametrize(
    ("data", "name", "content_type", "kind"),
    [
        (SVG, "bridge.svg", "image/svg+xml", "an SVG image"),
        (BARE_SVG, "bridge.txt", "text/plain", "an SVG image"),
        (PLAIN, "drawing.svg", "image/svg+xml", "an SVG image"),
        (
            FEED,
            "feed.xml",
            "application/xml",
            "an XML document (root element <rss>) with no HTML article body",
        ),
    ],
)
def test_markup_that_is_not_an_article_is_refused_naming_the_file(
    researcher_client, data: bytes, name: str, content_type: str, kind: str
) -> None:
    response = upload(researcher_client, data, name, content_type)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "not_readable_text"
    assert body["detail"].startswith(f"{name} is {kind}, not text meant for reading")
    assert not Document.objects.exists()


def test_an_xhtml_article_page_is_not_refused_as_markup(researcher_client) -> None:
    paragraph = "The invented council of Dervent met again to talk about the new bridge. " * 4
    page = (
        '<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE html>\n'
        '<html xmlns="http://www.w3.org/1999/xhtml"><head><title>Bridge talks</title>'
        '<meta property="og:site_name" content="Northern Ledger"/></head>'
        f"<body><article><h1>Bridge talks</h1><p>{paragraph}</p><p>{paragraph}</p>"
        "</article></body></html>"
    ).encode()
    response = upload(researcher_client, page, "talks.xhtml", "application/xhtml+xml")
    assert response.status_code == 201, response.json()
    assert "<" not in Document.objects.get().text


def test_the_ingest_service_refuses_svg_for_every_entry_point() -> None:
    with pytest.raises(IngestRefused, match=r"bridge\.svg is an SVG image"):
        document_ingest(data=SVG, filename="bridge.svg", actor=None, method=IngestMethod.ADMIN)
    assert not Document.objects.exists()


def test_the_ingest_command_reports_an_svg_as_refused(tmp_path: Path, capsys) -> None:
    (tmp_path / "bridge.svg").write_bytes(SVG)
    with pytest.raises(CommandError, match="1 submission"):
        call_command("ingest", str(tmp_path / "bridge.svg"), no_progress=True)
    assert "bridge.svg is an SVG image, not text meant for reading" in capsys.readouterr().err
    assert not Document.objects.exists()


def test_the_upload_page_refuses_an_svg_naming_it(client, researcher) -> None:
    client.force_login(researcher)
    response = client.post("/upload/", {"file": SimpleUploadedFile("bridge.svg", SVG)})
    assert response.status_code == 400
    assert "bridge.svg is an SVG image, not text meant for reading" in response.text
    assert not Document.objects.exists()


def test_the_admin_refuses_an_svg_naming_it(client, curator) -> None:
    client.force_login(curator)
    response = client.post(
        "/admin/archive/document/add/", {"file": SimpleUploadedFile("bridge.svg", SVG)}
    )
    assert response.status_code == 200
    assert "bridge.svg is an SVG image, not text meant for reading" in response.text
    assert not Document.objects.exists()
