"""Uploading in Chromium: several files at once with progress and a summary, then what was
read, its warning, a correction and a flag for a curator (issue 14 §1), at both widths."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from archive.models import Document
from tests.factories import reprint_bytes
from tests.web.conftest import NARROW, WIDE, axe_violations

pytestmark = pytest.mark.django_db(transaction=True)

PLAIN = (
    b"Notes from the invented town of Dervent\n\n"
    b"The council met on a rainy evening and talked about the bridge for three hours.\n"
)
SVG = b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"><path d="M0 0"/></svg>'


def assert_fits(page: Page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width


@pytest.mark.parametrize("viewport", [WIDE, NARROW], ids=["1280", "390"])
def test_several_files_upload_with_progress_and_a_summary(
    visit, reader_user, tmp_path: Path, viewport
) -> None:
    files = {
        "bridge.txt": reprint_bytes(),
        "again.txt": reprint_bytes(),
        "notes.txt": PLAIN,
        "drawing.svg": SVG,
    }
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    tab = visit("reader", viewport=viewport)
    page = tab.go("/upload/")
    page.set_input_files("#id_file", [str(tmp_path / name) for name in files])
    page.click("#upload-submit")
    summary = page.locator("#upload-summary")
    expect(summary).to_have_text("Done: 4 files · 2 stored, 1 duplicate, 1 refused.")
    rows = page.locator("#upload-list li")
    expect(rows).to_have_count(4)
    expect(rows.nth(0).locator(".state")).to_have_text("stored")
    expect(rows.nth(1).locator(".state")).to_have_text("duplicate")
    expect(rows.nth(2)).to_contain_text("Read as plain text: no outlet or date found.")
    expect(rows.nth(3).locator(".reason")).to_contain_text(
        "drawing.svg is an SVG image, not text meant for reading"
    )
    for index in range(4):
        expect(rows.nth(index).locator("progress")).to_have_attribute("value", "100")
    assert Document.objects.count() == 2
    assert_fits(page, viewport["width"])
    assert not axe_violations(page)
    page.screenshot(path=f"var/upload-summary-{viewport['width']}.png", full_page=True)
    assert not tab.errors


def test_dropped_files_are_uploaded(visit, reader_user) -> None:
    tab = visit("reader")
    page = tab.go("/upload/")
    transfer = page.evaluate_handle(
        """(text) => {
            const transfer = new DataTransfer();
            transfer.items.add(new File([text], "dropped.txt", { type: "text/plain" }));
            return transfer;
        }""",
        PLAIN.decode(),
    )
    page.dispatch_event("#upload-form", "drop", {"dataTransfer": transfer})
    expect(page.locator("#upload-summary")).to_have_text(
        "Done: 1 file · 1 stored, 0 duplicates, 0 refused."
    )
    assert Document.objects.get().original_filename == "dropped.txt"


@pytest.mark.parametrize("viewport", [WIDE, NARROW], ids=["1280", "390"])
def test_the_result_warns_then_takes_a_correction_and_a_flag(
    visit, reader_user, tmp_path: Path, viewport
) -> None:
    (tmp_path / "notes.txt").write_bytes(PLAIN)
    tab = visit("reader", viewport=viewport)
    page = tab.go("/upload/")
    page.set_input_files("#id_file", str(tmp_path / "notes.txt"))
    page.click("#upload-submit")
    page.locator("#upload-list li a").click()

    expect(page.locator("#read-warning")).to_contain_text(
        "Read as plain text: no outlet or date found."
    )
    expect(page.locator("#read-back tr[data-field=original_outlet] td").first).to_have_text(
        "not found"
    )
    assert_fits(page, viewport["width"])
    assert not axe_violations(page)
    page.screenshot(path=f"var/upload-result-{viewport['width']}.png", full_page=True)

    page.fill("#id_outlet", "Dervent Evening Post")
    page.fill("#id_original_published_on", "2016-03-03")
    page.click("#correct-submit")
    expect(page.locator("#read-warning")).to_have_count(0)
    outlet = page.locator("#read-back tr[data-field=original_outlet]")
    expect(outlet).to_contain_text("Dervent Evening Post")
    expect(outlet).to_contain_text("corrected since")

    page.fill("#id_note", "The date may be the reprint's.")
    page.click("#flag-submit")
    expect(page.locator("#read-flagged")).to_be_visible()
    document = Document.objects.get()
    assert document.original_outlet.name == "Dervent Evening Post"
    assert Document.objects.needs_provenance().filter(pk=document.pk).exists()
    assert_fits(page, viewport["width"])
    assert not tab.errors
