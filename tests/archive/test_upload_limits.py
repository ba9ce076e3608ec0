"""Upload size is checked in one place, the ingest and facsimile services: a too-large file
is refused with the same message whichever way it came (API, upload page, admin, command),
and an upload is refused on its size before it is read."""

from __future__ import annotations

import re
from io import StringIO
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client
from rest_framework.test import APIClient

from archive.ingest import ImageRefused, IngestRefused
from archive.models import Document, Facsimile
from archive.services import IngestMethod, document_ingest, facsimile_attach
from tests import images
from tests.factories import DocumentFactory, reprint_bytes

pytestmark = pytest.mark.django_db

LIMIT = 100
DOCUMENT_REFUSAL = "over the limit of 100 bytes (KAYNAK_MAX_UPLOAD_BYTES)"
IMAGE_REFUSAL = "over the limit of 100 bytes (KAYNAK_MAX_IMAGE_BYTES)"


@pytest.fixture
def small_limits(settings):
    settings.KAYNAK_MAX_UPLOAD_BYTES = LIMIT


@pytest.fixture
def small_image_limit(settings):
    settings.KAYNAK_MAX_IMAGE_BYTES = LIMIT


@pytest.fixture
def data() -> bytes:
    data = reprint_bytes()
    assert len(data) > LIMIT
    return data


def refusal_message(size: int) -> str:
    return f"the file is {size:,} bytes, {DOCUMENT_REFUSAL}"


def upload(data: bytes, name: str = "reprint.txt") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="text/plain")


class SizeOnlyUpload(SimpleUploadedFile):
    """An upload that says how big it is and fails if anyone reads it."""

    def read(self, *args, **kwargs) -> bytes:
        raise AssertionError("the upload was read before its size was checked")


def test_a_too_large_upload_is_refused_with_one_message_through_the_api(
    small_limits, data, researcher
) -> None:
    client = APIClient()
    client.force_authenticate(researcher)
    response = client.post("/api/documents/", {"file": upload(data)}, format="multipart")
    assert response.status_code == 400
    assert response.json()["detail"] == refusal_message(len(data))
    assert response.json()["code"] == "too_large"
    assert not Document.objects.exists()


def test_a_too_large_upload_is_refused_with_one_message_on_the_upload_page(
    small_limits, data, researcher
) -> None:
    client = Client()
    client.force_login(researcher)
    response = client.post("/upload/", {"file": upload(data)})
    assert response.status_code == 400
    assert f"reprint.txt was not ingested: {refusal_message(len(data))}." in response.text
    assert not Document.objects.exists()


def test_a_too_large_upload_is_refused_with_one_message_in_the_admin(
    small_limits, data, curator
) -> None:
    client = Client()
    client.force_login(curator)
    response = client.post("/admin/archive/document/add/", {"file": upload(data)})
    assert response.status_code == 200  # the form again, the refusal on it
    assert refusal_message(len(data)) in response.text
    assert not Document.objects.exists()


def test_a_too_large_file_is_refused_with_one_message_by_the_ingest_command(
    small_limits, data, tmp_path: Path
) -> None:
    path = tmp_path / "reprint.txt"
    path.write_bytes(data)
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("ingest", str(path), "--no-progress", stdout=StringIO(), stderr=err)
    assert f"refused {path}: {refusal_message(len(data))}" in err.getvalue()
    assert not Document.objects.exists()


def test_the_ingest_service_refuses_an_upload_on_its_size_without_reading_it(
    small_limits, data
) -> None:
    with pytest.raises(IngestRefused, match=re.escape(refusal_message(len(data)))):
        document_ingest(
            data=SizeOnlyUpload("reprint.txt", data),
            filename="reprint.txt",
            actor=None,
            method=IngestMethod.API,
        )


def test_the_ingest_service_reads_an_upload_within_the_limit(data) -> None:
    result = document_ingest(
        data=SimpleUploadedFile("reprint.txt", data),
        filename="reprint.txt",
        actor=None,
        method=IngestMethod.API,
    )
    assert result.created
    assert result.document.size_bytes == len(data)


def test_the_ingest_service_refuses_a_bulk_file_meant_as_one_document(data) -> None:
    with pytest.raises(IngestRefused) as refusal:
        document_ingest(
            data=SimpleUploadedFile("many.jsonl", data),
            filename="many.jsonl",
            actor=None,
            method=IngestMethod.API,
        )
    assert refusal.value.code == "bulk_file"


# --- facsimiles ---------------------------------------------------------------------------


def image_refusal(size: int) -> str:
    return f"the image is {size:,} bytes, {IMAGE_REFUSAL}"


@pytest.fixture
def scan() -> bytes:
    return images.jpeg()


def test_a_too_large_image_is_refused_with_one_message_through_the_api(
    small_image_limit, scan, researcher
) -> None:
    document = DocumentFactory()
    client = APIClient()
    client.force_authenticate(researcher)
    response = client.post(
        f"/api/documents/{document.pk}/facsimiles/",
        {"file": SimpleUploadedFile("scan.jpg", scan, content_type="image/jpeg")},
        format="multipart",
    )
    assert response.status_code == 400
    assert response.json()["detail"] == image_refusal(len(scan))
    assert not Facsimile.objects.exists()


def test_a_too_large_image_is_refused_with_one_message_on_the_attach_page(
    small_image_limit, scan, researcher
) -> None:
    document = DocumentFactory()
    client = Client()
    client.force_login(researcher)
    response = client.post(
        f"/documents/{document.pk}/facsimiles/",
        {"file": SimpleUploadedFile("scan.jpg", scan, content_type="image/jpeg")},
    )
    assert response.status_code == 400
    assert f"scan.jpg was not attached: {image_refusal(len(scan))}." in response.text
    assert not Facsimile.objects.exists()


def test_a_too_large_image_is_refused_with_one_message_in_the_admin(
    small_image_limit, scan, curator
) -> None:
    document = DocumentFactory()
    client = Client()
    client.force_login(curator)
    response = client.post(
        "/admin/archive/facsimile/add/",
        {
            "document": document.pk,
            "file": SimpleUploadedFile("scan.jpg", scan, content_type="image/jpeg"),
        },
    )
    assert response.status_code == 200
    assert image_refusal(len(scan)) in response.text
    assert not Facsimile.objects.exists()


def test_the_facsimile_service_refuses_an_image_on_its_size_without_reading_it(
    small_image_limit, scan
) -> None:
    with pytest.raises(ImageRefused, match=re.escape(image_refusal(len(scan)))):
        facsimile_attach(
            document=DocumentFactory(),
            data=SizeOnlyUpload("scan.jpg", scan),
            filename="scan.jpg",
            actor=None,
            method=IngestMethod.API,
        )
