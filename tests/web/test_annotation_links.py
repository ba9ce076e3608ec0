"""A link to one annotation and a citation of its passage (issue 15 §2): the reader opens on
`#annotation-<id>` with the panel open, at both widths; Copy link and Cite copy (or, refused
the clipboard, offer the text selected); a link one may not read says so and no more."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import Page, expect

from annotations.models import Visibility
from annotations.services import annotation_create
from tests.factories import DocumentFactory
from tests.web.conftest import NARROW, WIDE, axe_violations

pytestmark = pytest.mark.django_db(transaction=True)

TEXT = (
    "The ferry company said the winter timetable would start in November.\n\n"
    + "Passengers waited on the pier while the crew loaded crates of oranges. " * 30
    + "\n\nThe harbour master said the last ferry of the day would leave at nine."
)
QUOTE = "the last ferry of the day would leave at nine"
CLIPBOARD = ["clipboard-read", "clipboard-write"]
NOT_VISIBLE = "This annotation is not visible to you, or no longer exists."
WIDTHS = pytest.mark.parametrize("viewport", [WIDE, NARROW], ids=["wide", "phone"])


@pytest.fixture
def document(reader_user):
    return DocumentFactory(title="THE WINTER TIMETABLE", body=TEXT)


@pytest.fixture
def annotation(document, reader_user):
    # Far down the text, so opening it has to scroll.
    return annotation_create(
        document=document,
        creator=reader_user,
        quote=QUOTE,
        start=TEXT.index(QUOTE),
        end=TEXT.index(QUOTE) + len(QUOTE),
        comment="Nine in winter, ten in summer.",
        visibility=Visibility.PUBLIC,
    )


def address(tab, document, annotation_id: int) -> str:
    return f"{tab.base_url}/documents/{document.pk}/#annotation-{annotation_id}"


def open_link(tab, document, annotation_id: int) -> Page:
    page = tab.go(f"/documents/{document.pk}/#annotation-{annotation_id}")
    expect(page.locator("#document-text[data-ready='true']")).to_be_attached()
    return page


def in_view(page: Page, selector: str) -> bool:
    return page.evaluate(
        """(selector) => {
          const box = document.querySelector(selector).getBoundingClientRect();
          const panel = document.getElementById("annotation-panel").getBoundingClientRect();
          // On a phone the panel is a sheet at the bottom: the passage must be above it.
          const bottom = innerWidth <= 900 ? panel.top : innerHeight;
          return box.top >= 0 && box.bottom <= bottom;
        }""",
        selector,
    )


@WIDTHS
def test_a_link_to_an_annotation_opens_the_reader_on_it_with_its_panel_open(
    visit, document, annotation, viewport
) -> None:
    tab = visit("reader", viewport=viewport)
    page = open_link(tab, document, annotation.pk)
    expect(page.locator("#annotation-panel")).to_be_visible()
    expect(page.locator("#panel-comment")).to_have_text("Nine in winter, ten in summer.")
    expect(page.locator(f"mark#annotation-{annotation.pk}")).to_have_class("hl active")
    assert in_view(page, f"#annotation-{annotation.pk}")
    expect(page.locator("#annotation-notice")).to_be_hidden()
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    page.screenshot(path=f"var/annotation-link-{viewport['width']}.png")
    assert tab.errors == []


@WIDTHS
def test_a_link_to_a_page_note_opens_its_panel(visit, document, reader_user, viewport) -> None:
    note = annotation_create(
        document=document, creator=reader_user, page_note=True, comment="Timetables vary."
    )
    tab = visit("reader", viewport=viewport)
    page = open_link(tab, document, note.pk)
    expect(page.locator("#annotation-panel")).to_be_visible()
    expect(page.locator("#panel-body .page-note")).to_be_visible()
    expect(page.locator("#panel-comment")).to_have_text("Timetables vary.")
    assert tab.errors == []


def test_opening_an_annotation_puts_its_address_in_the_address_bar(
    visit, document, annotation
) -> None:
    tab = visit("reader")
    page = tab.go(f"/documents/{document.pk}/")
    expect(page.locator("#document-text[data-ready='true']")).to_be_attached()
    page.click(f"#annotation-{annotation.pk}")
    expect(page).to_have_url(address(tab, document, annotation.pk))
    page.click("#panel-close")
    expect(page).to_have_url(f"{tab.base_url}/documents/{document.pk}/")


@WIDTHS
def test_copy_link_copies_the_permanent_address_and_says_so(
    visit, document, annotation, viewport
) -> None:
    tab = visit("reader", viewport=viewport)
    tab.page.context.grant_permissions(CLIPBOARD, origin=tab.base_url)
    page = open_link(tab, document, annotation.pk)
    page.click("#panel-copy-link")
    expect(page.locator("#panel-share-status")).to_have_text("Link copied.")
    assert page.evaluate("navigator.clipboard.readText()") == address(tab, document, annotation.pk)
    expect(page.locator("#panel-link-field")).to_be_hidden()
    assert tab.errors == []


def test_a_refused_clipboard_offers_the_link_selected_in_a_field(
    visit, document, annotation
) -> None:
    tab = visit("reader")
    tab.page.add_init_script(
        "navigator.clipboard.writeText = () => Promise.reject(new Error('refused'));"
    )
    page = open_link(tab, document, annotation.pk)
    page.click("#panel-copy-link")
    expect(page.locator("#panel-share-status")).to_contain_text("did not let Kaynak copy")
    field = page.locator("#panel-link-field")
    expect(field).to_be_visible()
    expect(field).to_have_value(address(tab, document, annotation.pk))
    expect(field).to_be_focused()
    selected = page.evaluate(
        "() => { const f = document.activeElement;"
        " return f.value.slice(f.selectionStart, f.selectionEnd); }"
    )
    assert selected == address(tab, document, annotation.pk)


@WIDTHS
def test_a_link_to_an_annotation_one_may_not_read_says_so_without_its_content(
    visit, document, reader_user, second_user, viewport
) -> None:
    private = annotation_create(
        document=document,
        creator=reader_user,
        quote=QUOTE,
        start=TEXT.index(QUOTE),
        end=TEXT.index(QUOTE) + len(QUOTE),
        comment="A private doubt about the ninth hour.",
        visibility=Visibility.PRIVATE,
    )
    tab = visit("second", viewport=viewport)
    shown = {}
    for name, target in [("private", private.pk), ("missing", private.pk + 1000)]:
        page = open_link(tab, document, target)
        notice = page.locator("#annotation-notice")
        expect(notice).to_be_visible()
        expect(notice).to_have_text(NOT_VISIBLE)
        expect(page.locator("#annotation-panel")).to_be_hidden()
        content = page.content()
        assert "private doubt" not in content
        assert f'id="annotation-{private.pk}"' not in content
        shown[name] = page.locator("main").inner_text()
    # A private annotation and a missing one look the same.
    assert shown["private"] == shown["missing"]
    assert axe_violations(page) == []
    assert tab.errors == []


def test_the_owner_of_a_private_annotation_opens_it_from_its_link(
    visit, document, reader_user
) -> None:
    private = annotation_create(
        document=document, creator=reader_user, page_note=True, comment="Mine alone."
    )
    tab = visit("reader")
    page = open_link(tab, document, private.pk)
    expect(page.locator("#panel-comment")).to_have_text("Mine alone.")
    expect(page.locator("#annotation-notice")).to_be_hidden()


@WIDTHS
def test_cite_copies_the_citation_and_shows_it_in_plain_text_and_csl_json(
    visit, document, annotation, viewport
) -> None:
    tab = visit("reader", viewport=viewport)
    tab.page.context.grant_permissions(CLIPBOARD, origin=tab.base_url)
    page = open_link(tab, document, annotation.pk)
    page.click("#panel-cite")
    expect(page.locator("#panel-share-status")).to_have_text("Citation copied.")
    plain = page.locator("#citation-text").input_value()
    assert page.evaluate("navigator.clipboard.readText()") == plain
    link = address(tab, document, annotation.pk)
    for part in (
        f"“{QUOTE}”",
        "“THE WINTER TIMETABLE”",
        "Northern Ledger, 4 September 2017",
        f"Reprinted by {document.reprinter.name}, 6 September 2017",
        link,
        f"SHA-256 of the original: {document.sha256}",
    ):
        assert part in plain
    [item] = json.loads(page.locator("#citation-csl").input_value())
    assert item["title"] == "THE WINTER TIMETABLE"
    assert item["container-title"] == "Northern Ledger"
    assert item["original-date"] == {"date-parts": [[2017, 9, 4]]}
    assert item["publisher"] == document.reprinter.name
    assert item["issued"] == {"date-parts": [[2017, 9, 6]]}
    assert item["URL"] == link
    assert item["custom"] == {"quote": QUOTE, "sha256": document.sha256}

    page.click("#citation-copy-csl")
    expect(page.locator("#panel-share-status")).to_have_text("CSL-JSON copied.")
    assert json.loads(page.evaluate("navigator.clipboard.readText()")) == [item]
    # Both forms stay on show after copying, to select either by hand.
    expect(page.locator("#citation-text")).to_be_visible()
    page.locator("#citation-csl").scroll_into_view_if_needed()
    page.screenshot(path=f"var/annotation-cite-{viewport['width']}.png")
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    assert axe_violations(page) == []
    assert tab.errors == []
