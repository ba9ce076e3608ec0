"""Facsimiles in a real Chromium: thumbnails, the viewer with zoom, attaching from the reader.
No fixed sleeps: every wait is on a condition."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests import images
from tests.factories import DocumentFactory, FacsimileFactory
from tests.web.conftest import NARROW

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def document(reader_user):
    return DocumentFactory(title="HARBOUR CLIPPING WITH A SCAN")


def open_reader(tab, document):
    page = tab.go(f"/documents/{document.pk}/")
    expect(page.locator("#document-text[data-ready='true']")).to_be_visible()
    return page


def test_a_thumbnail_opens_the_display_image_with_zoom_and_escape_closes_it(
    visit, document
) -> None:
    # Committed (the live server's database is real), so the derivatives are made at once.
    facsimile = FacsimileFactory(
        document=document, data=images.jpeg(1200, 1800), filename="clipping 1987.jpg"
    )
    tab = visit("reader")
    page = open_reader(tab, document)
    thumbnail = page.locator(".facsimile-thumb img")
    expect(thumbnail).to_have_attribute(
        "alt", "Facsimile 1 of the printed reprint (clipping 1987.jpg); open it larger"
    )
    # A function, not an expression: Playwright polls an expression through eval(), which
    # the page's Content-Security-Policy refuses once the image is not loaded at once.
    page.wait_for_function("() => document.querySelector('.facsimile-thumb img').naturalWidth > 0")
    assert thumbnail.evaluate("image => [image.naturalWidth, image.naturalHeight]") == [213, 320]

    page.click(".facsimile-thumb")
    viewer = page.locator("#facsimile-viewer")
    expect(viewer).to_be_visible()
    expect(viewer).to_have_attribute("data-ready", "true")
    image = page.locator("#viewer-image")
    assert image.evaluate("image => image.naturalWidth") == 1067  # the display image
    expect(page.locator("#viewer-title")).to_have_text("Facsimile 1: clipping 1987.jpg")
    expect(page.locator("#viewer-zoom")).to_have_text("100 %")
    fitted = image.bounding_box()["width"]

    page.click("#viewer-zoom-in")
    expect(page.locator("#viewer-zoom")).to_have_text("150 %")
    assert image.bounding_box()["width"] == pytest.approx(fitted * 1.5, abs=2)
    page.keyboard.press("+")
    expect(page.locator("#viewer-zoom")).to_have_text("200 %")
    expect(page.locator("#viewer-frame")).to_have_class("viewer-frame zoomed")
    page.keyboard.press("0")
    expect(page.locator("#viewer-zoom")).to_have_text("100 %")
    expect(page.locator("#viewer-zoom-out")).to_be_disabled()

    download = page.locator("#viewer-download")
    expect(download).to_have_attribute("href", f"/api/facsimiles/{facsimile.pk}/original")
    with page.expect_download() as started:
        download.click()
    assert started.value.suggested_filename == "clipping 1987.jpg"

    page.keyboard.press("Escape")
    expect(viewer).to_be_hidden()
    expect(page.locator(".facsimile-thumb")).to_be_focused()
    assert tab.errors == []


def test_attaching_from_the_reader_shows_the_refusal_then_the_thumbnail(
    visit, document, tmp_path
) -> None:
    tab = visit("reader")
    page = open_reader(tab, document)
    expect(page.locator("#no-facsimiles")).to_be_visible()
    fake = tmp_path / "scan.jpg"
    fake.write_bytes(images.PDF)
    page.click(".facsimile-attach summary")  # collapsed: provenance comes first
    page.set_input_files("#facsimile-file", str(fake))
    page.click("#facsimile-submit")
    expect(page.locator("#facsimile-error")).to_contain_text(
        "scan.jpg was not attached: the file is a PDF document"
    )

    real = tmp_path / "page.png"
    real.write_bytes(images.png(640, 480))
    page.set_input_files("#facsimile-file", str(real))
    page.click("#facsimile-submit")
    expect(page.locator(".messages")).to_contain_text("Attached page.png as facsimile 1.")
    expect(page.locator(".facsimile-thumb img")).to_be_visible()
    # A function, not an expression: Playwright polls an expression through eval(), which
    # the page's Content-Security-Policy refuses once the image is not loaded at once.
    page.wait_for_function("() => document.querySelector('.facsimile-thumb img').naturalWidth > 0")
    assert tab.errors == []


def test_the_facsimiles_fit_a_phone_screen(visit, document) -> None:
    FacsimileFactory(document=document, data=images.jpeg(3000, 1000), filename="x" * 120 + ".jpg")
    tab = visit("reader", viewport=NARROW)
    page = open_reader(tab, document)
    expect(page.locator(".facsimile-thumb img")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.click(".facsimile-thumb")
    expect(page.locator("#facsimile-viewer")).to_have_attribute("data-ready", "true")
    assert page.locator("#viewer-image").bounding_box()["width"] <= 390
