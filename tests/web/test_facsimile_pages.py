"""Facsimiles on the server-rendered pages (no browser): the reader, attaching, refusals."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from archive.models import EventType, Facsimile
from tests import images
from tests.factories import DocumentFactory, FacsimileFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def reader(client: Client):
    user = UserFactory(username="reader")
    client.force_login(user)
    return user


@pytest.fixture
def document():
    return DocumentFactory()


def test_the_reader_shows_thumbnails_that_open_the_display_image_and_offers_the_original(
    client, reader, document, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        facsimile = FacsimileFactory(document=document, filename="<b>clip</b>.jpg")
    page = client.get(f"/documents/{document.pk}/").content.decode()
    assert f'src="/api/facsimiles/{facsimile.pk}/thumbnail"' in page
    assert f'data-display-url="/api/facsimiles/{facsimile.pk}/display"' in page
    assert f'href="/api/facsimiles/{facsimile.pk}/original" download' in page
    assert 'alt="Facsimile 1 of the printed reprint (&lt;b&gt;clip&lt;/b&gt;.jpg)' in page
    assert "<b>clip</b>" not in page
    assert 'id="facsimile-viewer"' in page


def test_the_reader_says_when_a_preview_is_pending_or_failed(client, reader, document) -> None:
    pending = FacsimileFactory(document=document, data=images.jpeg(seed=1))
    failed = FacsimileFactory(document=document, data=images.jpeg(seed=2))
    Facsimile.objects.filter(pk=failed.pk).update(
        derivative_state="failed", derivative_error="OSError: disk"
    )
    page = client.get(f"/documents/{document.pk}/").content.decode()
    assert "The preview is being made." in page
    assert "No preview: it could not be made (OSError: disk)." in page
    assert f"/api/facsimiles/{pending.pk}/thumbnail" not in page


def test_attaching_from_the_reader_returns_to_it_with_a_confirmation(
    client, reader, document
) -> None:
    response = client.post(
        f"/documents/{document.pk}/facsimiles/",
        {"file": SimpleUploadedFile("pages.tif", images.tiff(pages=2))},
        follow=True,
    )
    assert response.redirect_chain == [(f"/documents/{document.pk}/#facsimiles", 302)]
    page = response.content.decode()
    assert "Attached pages.tif as facsimile 1." in page
    assert "only the first is shown" in page
    event = document.events.get(event_type=EventType.FACSIMILE_ATTACHED)
    assert (event.actor, event.detail["method"]) == (reader, "web")


def test_a_refused_file_is_explained_on_the_attach_page(client, reader, document) -> None:
    response = client.post(
        f"/documents/{document.pk}/facsimiles/",
        {"file": SimpleUploadedFile("drawing.svg", images.SVG)},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "drawing.svg was not attached: the file is an SVG drawing" in page
    assert 'id="facsimile-error"' in page
    assert Facsimile.objects.count() == 0


def test_attaching_needs_a_signed_in_user(client, document) -> None:
    response = client.post(
        f"/documents/{document.pk}/facsimiles/",
        {"file": SimpleUploadedFile("scan.jpg", images.jpeg())},
    )
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert Facsimile.objects.count() == 0
