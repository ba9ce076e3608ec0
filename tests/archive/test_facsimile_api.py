"""The facsimile endpoints: attach, list, detail, the original, the derivatives."""

from __future__ import annotations

import base64
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from archive import storage
from archive.models import EventType, Facsimile
from tests import images
from tests.factories import DocumentFactory, FacsimileFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def document():
    return DocumentFactory()


def url(document) -> str:
    return f"/api/documents/{document.pk}/facsimiles/"


def upload(client, document, data: bytes, name: str = "scan.jpg"):
    return client.post(url(document), {"file": SimpleUploadedFile(name, data)}, format="multipart")


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def test_attaching_answers_201_with_the_facsimile_and_its_location(
    researcher_client, researcher, document
) -> None:
    data = images.jpeg(640, 480)
    response = upload(researcher_client, document, data, "Clipping.JPG")
    assert response.status_code == 201, response.json()
    answer = response.json()
    facsimile = Facsimile.objects.get()
    assert response["Location"] == f"/api/facsimiles/{facsimile.pk}/"
    assert answer["document"] == document.pk
    assert answer["position"] == 1
    assert answer["original"] == {
        "sha256": storage.sha256_hex(data),
        "size_bytes": len(data),
        "format": "JPEG",
        "media_type": "image/jpeg",
        "width": 640,
        "height": 480,
        "page_count": 1,
        "filename": "Clipping.JPG",
        "download_url": f"http://testserver/api/facsimiles/{facsimile.pk}/original",
    }
    assert answer["derivatives"]["state"] == "pending"  # made after the commit
    assert answer["notes"] == []
    event = document.events.get(event_type=EventType.FACSIMILE_ATTACHED)
    assert (event.actor, event.agent) == (researcher, "kaynak 0.1.0 REST API upload")


def test_attaching_the_same_bytes_again_answers_200_with_the_existing_facsimile(
    researcher_client, document
) -> None:
    data = images.jpeg()
    first = upload(researcher_client, document, data).json()
    again = upload(researcher_client, document, data, "copy.jpg")
    assert again.status_code == 200
    assert again.json()["id"] == first["id"]


def test_after_the_commit_the_derivatives_are_served_as_jpeg_inline(
    researcher_client, document, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        created = upload(researcher_client, document, images.jpeg(2400, 1200)).json()
    answer = researcher_client.get(created["url"]).json()
    derivatives = answer["derivatives"]
    assert derivatives["state"] == "ready"
    assert (derivatives["thumbnail"]["width"], derivatives["thumbnail"]["height"]) == (320, 160)
    assert (derivatives["display"]["width"], derivatives["display"]["height"]) == (1600, 800)
    for kind, size in (("thumbnail", (320, 160)), ("display", (1600, 800))):
        response = researcher_client.get(derivatives[kind]["url"])
        assert response.status_code == 200
        assert response["Content-Type"] == "image/jpeg"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert not response["Content-Disposition"].startswith("attachment")
        assert Image.open(io.BytesIO(body(response))).size == size


def test_derivatives_not_made_yet_answer_404_saying_so(researcher_client, document) -> None:
    facsimile = FacsimileFactory(document=document)
    response = researcher_client.get(f"/api/facsimiles/{facsimile.pk}/thumbnail")
    assert response.status_code == 404
    assert (
        response.json()["detail"] == f"the thumbnail image of facsimile {facsimile.pk} is pending"
    )


def test_the_original_is_downloaded_exactly_as_an_attachment(researcher_client, document) -> None:
    data = images.png(300, 200)
    facsimile = FacsimileFactory(document=document, data=data, filename="page 3.png")
    response = researcher_client.get(f"/api/facsimiles/{facsimile.pk}/original")
    assert response.status_code == 200
    assert body(response) == data
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"] == 'attachment; filename="page 3.png"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["ETag"] == f'"{facsimile.sha256}"'
    digest = base64.b64encode(bytes.fromhex(facsimile.sha256)).decode()
    assert response["Repr-Digest"] == f"sha-256=:{digest}:"
    cached = researcher_client.get(
        f"/api/facsimiles/{facsimile.pk}/original", HTTP_IF_NONE_MATCH=response["ETag"]
    )
    assert cached.status_code == 304


def test_list_and_detail_show_the_documents_facsimiles_in_order(
    researcher_client, document
) -> None:
    first = FacsimileFactory(document=document, data=images.jpeg(seed=1))
    second = FacsimileFactory(document=document, data=images.tiff(pages=2))
    FacsimileFactory()  # another document's
    listed = researcher_client.get(url(document)).json()
    assert listed["count"] == 2
    assert [item["id"] for item in listed["results"]] == [first.pk, second.pk]
    assert listed["results"][1]["notes"] == [
        "the file has 2 pages; only the first is shown (the original keeps them all)"
    ]
    detail = researcher_client.get(f"/api/documents/{document.pk}/").json()
    assert [item["id"] for item in detail["facsimiles"]] == [first.pk, second.pk]


def test_a_multi_page_tiff_is_attached_and_the_response_says_only_the_first_page_shows(
    researcher_client, document
) -> None:
    response = upload(researcher_client, document, images.tiff(pages=4), "pages.tiff")
    assert response.status_code == 201
    assert response.json()["original"]["page_count"] == 4
    assert response.json()["notes"] == [
        "the file has 4 pages; only the first is shown (the original keeps them all)"
    ]


REFUSALS = {
    "text with an image name": (images.TEXT, "scan.jpg", "not_an_image"),
    "PDF with an image name": (images.PDF, "scan.png", "unsupported_format"),
    "SVG": (images.SVG, "drawing.svg", "unsupported_format"),
    "truncated": (images.truncated(images.jpeg(500, 400)), "scan.jpg", "truncated"),
    "decompression bomb": (images.decompression_bomb(), "bomb.png", "too_many_pixels"),
}


@pytest.mark.parametrize(("data", "name", "code"), REFUSALS.values(), ids=REFUSALS.keys())
def test_bad_images_are_refused_with_400_and_the_reason(
    researcher_client, document, data, name, code, data_dir
) -> None:
    response = upload(researcher_client, document, data, name)
    assert response.status_code == 400
    answer = response.json()
    assert answer["code"] == code
    assert answer["detail"]
    assert Facsimile.objects.count() == 0
    assert not (data_dir / "derivatives").exists()


def test_an_upload_over_the_size_limit_is_refused_before_it_is_inspected(
    researcher_client, document, settings, monkeypatch
) -> None:
    # The view hands the upload over unread; the service refuses it on its size alone (that
    # it is not even read is shown in tests/archive/test_upload_limits.py).
    def never(data):
        raise AssertionError("the oversized image was inspected")

    monkeypatch.setattr("archive.services.facsimiles.inspect_image", never)
    settings.KAYNAK_MAX_IMAGE_BYTES = 1000
    response = upload(researcher_client, document, images.jpeg(800, 600))
    assert response.status_code == 400
    assert response.json()["code"] == "too_large"
    assert response.json()["limit_bytes"] == 1000


def test_a_request_without_a_file_is_refused(researcher_client, document) -> None:
    response = researcher_client.post(url(document), {}, format="multipart")
    assert response.status_code == 400
    assert "file" in response.json()


def test_an_unknown_document_or_facsimile_is_404(researcher_client) -> None:
    assert researcher_client.get("/api/documents/999/facsimiles/").status_code == 404
    response = researcher_client.post(
        "/api/documents/999/facsimiles/",
        {"file": SimpleUploadedFile("a.jpg", images.jpeg())},
        format="multipart",
    )
    assert response.status_code == 404
    for suffix in ("", "original", "thumbnail", "display"):
        assert researcher_client.get(f"/api/facsimiles/999/{suffix}").status_code == 404


def test_every_facsimile_endpoint_needs_a_signed_in_user(anonymous_client, document) -> None:
    facsimile = FacsimileFactory(document=document)
    paths = [
        url(document),
        f"/api/facsimiles/{facsimile.pk}/",
        f"/api/facsimiles/{facsimile.pk}/original",
        f"/api/facsimiles/{facsimile.pk}/thumbnail",
        f"/api/facsimiles/{facsimile.pk}/display",
    ]
    for path in paths:
        assert anonymous_client.get(path).status_code == 401, path
    response = upload(anonymous_client, document, images.jpeg(seed=9))
    assert response.status_code == 401
    assert Facsimile.objects.count() == 1
