"""WCAG 2.2 AA in a real Chromium: axe-core on every page at both widths, a keyboard-only
walk, and the accessibility tree of a highlighted passage (issue 18)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from annotations.models import Visibility
from annotations.services import annotation_create
from tests.factories import CuratorFactory, DocumentFactory, SourceFactory
from tests.web.conftest import NARROW, WIDE, axe_violations, focus_ring_contrast

pytestmark = pytest.mark.django_db(transaction=True)

TEXT = (
    "The lighthouse keeper of Gökçeada wrote that the winter storms had moved the sandbar.\n\n"
    "Fishermen from the harbour said the new channel markers were placed too far apart, and "
    "the council promised to survey the channel again before the summer season."
)
PASSAGE = "the new channel markers were placed too far apart"


@pytest.fixture
def document(reader_user):
    document = DocumentFactory(title="STORMS MOVE THE SANDBAR AT GÖKÇEADA", body=TEXT)
    start = document.text.index(PASSAGE)
    annotation_create(
        creator=reader_user,
        document=document,
        start=start,
        end=start + len(PASSAGE),
        comment="Compare with the survey of the previous spring.",
        visibility=Visibility.PRIVATE,
    )
    return document


@pytest.fixture
def curator(transactional_db):
    return CuratorFactory(username="curator")


def assert_clean(page: Page, where: str) -> None:
    violations = axe_violations(page)
    assert not violations, f"{where}: " + "; ".join(violations)


@pytest.mark.parametrize("viewport", [WIDE, NARROW], ids=["1280", "390"])
def test_every_researcher_page_passes_axe(visit, document, viewport) -> None:
    tab = visit(viewport=viewport)
    tab.go("/accounts/login/")
    assert_clean(tab.page, "sign-in")
    tab.sign_in("reader")
    page = tab.page

    tab.go("/?q=lighthouse")
    expect(page.locator(".hit")).to_have_count(1)
    assert_clean(page, "search with results")
    tab.go("/?q=lighthuose")
    expect(page.locator("#did-you-mean")).to_be_visible()
    assert_clean(page, "search with a suggestion")
    tab.go("/?q=%28lighthouse")
    expect(page.locator("#query-error")).to_be_visible()
    assert_clean(page, "search with a malformed query")

    tab.go(f"/documents/{document.pk}/")
    highlight = page.locator("mark.hl").first
    expect(highlight).to_be_visible()
    assert_clean(page, "reader")
    highlight.click()
    expect(page.locator("#annotation-panel")).to_be_visible()
    assert_clean(page, "reader with the panel open")
    page.keyboard.press("Escape")

    page.locator("#document-text").focus()
    page.keyboard.press("Shift+ArrowRight")
    page.keyboard.press("a")
    expect(page.locator("#editor")).to_be_visible()
    assert_clean(page, "annotate dialog")
    page.keyboard.press("Escape")

    tab.go("/upload/")
    assert_clean(page, "upload")
    tab.go("/documents/999999/")
    expect(page.locator("#error-page h1")).to_have_text("Page not found")
    assert_clean(page, "page not found")
    assert not tab.errors


@pytest.mark.parametrize("viewport", [WIDE, NARROW], ids=["1280", "390"])
def test_the_admin_source_pages_pass_axe(visit, curator, viewport) -> None:
    source = SourceFactory(name="Harbour Gazette")
    tab = visit("curator", viewport=viewport)
    tab.go("/admin/archive/source/")
    expect(tab.page.locator("#result_list")).to_be_visible()
    assert_clean(tab.page, "admin source list")
    tab.go(f"/admin/archive/source/{source.pk}/change/")
    expect(tab.page.locator("#source_form")).to_be_visible()
    assert_clean(tab.page, "admin source change page")


# What the page was doing when a Tab left the focus nowhere (seen once in CI at 1280 px,
# before the walk waited for the sign-in page's autofocus): enough to tell a page without
# focus or still loading from a focus that left the document.
FOCUS_STATE = """
() => ({
  hasFocus: document.hasFocus(),
  visibility: document.visibilityState,
  readyState: document.readyState,
  active: document.activeElement ? document.activeElement.outerHTML.slice(0, 80) : null,
})
"""


def assert_focus_visible(page: Page, where: str) -> None:
    ring = focus_ring_contrast(page)
    assert ring is not None, f"{where}: nothing has focus ({page.evaluate(FOCUS_STATE)})"
    contrast, element = ring["contrast"], ring["element"]
    assert contrast >= 3, f"{where}: focus ring {contrast:.1f}:1 on {element}"
    assert not ring["covered"], f"{where}: the focused {ring['element']} is under another element"


def tab_to(page: Page, selector: str, *, where: str, key: str = "Tab", limit: int = 40) -> None:
    """Press Tab until `selector` has focus, checking the focus ring at every stop on the way."""
    focused = "(selector) => document.activeElement.matches(selector)"
    # Chromium moves focus to an [autofocus] field a frame after load; a Tab pressed before
    # that starts from the document and races the autofocus, so wait for it to settle.
    autofocus = page.locator("[autofocus]")
    if autofocus.count():
        expect(autofocus.first).to_be_focused()
    if page.evaluate(focused, selector):  # autofocus
        assert_focus_visible(page, where)
        return
    for _ in range(limit):
        page.keyboard.press(key)
        assert_focus_visible(page, where)
        if page.evaluate(focused, selector):
            return
    raise AssertionError(f"{where}: {selector} not reached in {limit} presses of {key}")


@pytest.mark.parametrize("viewport", [WIDE, NARROW], ids=["1280", "390"])
def test_a_keyboard_only_walk_from_sign_in_to_an_annotation(visit, reader_user, viewport) -> None:
    document = DocumentFactory(title="STORMS MOVE THE SANDBAR AT GÖKÇEADA", body=TEXT)
    tab = visit(viewport=viewport)
    page = tab.page
    tab.go("/accounts/login/")
    tab_to(page, "#id_username", where="sign-in")
    page.keyboard.type("reader")
    tab_to(page, "#id_password", where="sign-in")
    page.keyboard.type("correct horse battery")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{tab.base_url}/")

    tab_to(page, "#q", where="search box")
    page.keyboard.type("lighthouse")
    page.keyboard.press("Enter")
    expect(page.locator(".hit")).to_have_count(1)
    # The skip link is the second stop (after "Skip to content"), not fifteen facets away.
    tab_to(page, "a.skip[href='#results']", where="skip to results", limit=2)
    page.keyboard.press("Enter")
    tab_to(page, ".hit h3 a", where="first result", limit=2)
    page.keyboard.press("Enter")
    expect(page.locator("#document-title")).to_have_text(document.title)
    # The text is drawn again once its annotations have loaded: select only after that, so no
    # redraw runs between the key presses. (On PostgreSQL the quote once lost its last word,
    # " apart"; this redraw is the one asynchronous step in the way, not a proven cause.)
    expect(page.locator("#document-text[data-ready='true']")).to_be_visible()

    tab_to(page, "#document-text", where="reader")
    start = document.text.index(PASSAGE)
    page.evaluate(
        """(start) => {
          const walker = document.createTreeWalker(document.getElementById("document-text"),
            NodeFilter.SHOW_TEXT);
          const node = walker.nextNode();
          getSelection().collapse(node, start);
        }""",
        start,
    )
    for _ in range(len(PASSAGE)):
        page.keyboard.press("Shift+ArrowRight")
    expect(page.locator("#annotate-button")).to_be_enabled()
    page.keyboard.press("a")
    expect(page.locator("#editor")).to_be_visible()
    expect(page.locator("#editor-quote")).to_have_text(PASSAGE)
    assert_focus_visible(page, "annotate dialog")
    page.keyboard.type("Markers too far apart, say the fishermen.")
    tab_to(page, "#editor-save", where="annotate dialog")
    page.keyboard.press("Enter")
    expect(page.locator("#annotation-panel")).to_be_visible()
    expect(page.locator("#annotation-panel")).to_be_focused()
    assert_focus_visible(page, "annotation panel")

    page.keyboard.press("Escape")
    highlight = page.locator("mark.hl[tabindex='0']")
    expect(highlight).to_be_focused()
    assert_focus_visible(page, "highlight")
    page.keyboard.press("Enter")
    expect(page.locator("#annotation-panel")).to_be_focused()
    if viewport is NARROW:
        # The sheet is modal: Shift+Tab stays in it, never on a highlight it covers.
        for _ in range(6):
            page.keyboard.press("Shift+Tab")
            assert_focus_visible(page, "the sheet on a phone")
            assert page.evaluate(
                "() => document.getElementById('annotation-panel').contains(document.activeElement)"
            )
        page.locator("#annotation-panel").focus()
    page.keyboard.press("Escape")
    expect(highlight).to_be_focused()
    assert not tab.errors


def test_focusing_a_split_annotation_marks_all_its_pieces(visit, document, reader_user) -> None:
    inner = document.text.index("channel markers")
    annotation_create(
        creator=reader_user,
        document=document,
        start=inner,
        end=inner + len("channel markers"),
        visibility=Visibility.PRIVATE,
    )
    tab = visit("reader")
    page = tab.page
    tab.go(f"/documents/{document.pk}/")
    expect(page.locator("mark.hl mark.hl")).to_have_count(1)
    outer_id = page.locator("mark.hl").first.get_attribute("data-id")
    pieces = page.locator(f"mark.hl[data-id='{outer_id}']")
    assert pieces.count() == 3  # before, around and after the nested one
    page.locator(f"#annotation-{outer_id}").focus()
    for index in range(3):
        expect(pieces.nth(index)).to_have_class(re.compile(r"\bfocused\b"))
    page.keyboard.press("Tab")
    expect(page.locator("mark.hl.focused")).to_have_count(1)


def test_the_accessibility_tree_keeps_a_highlighted_passage_as_text(visit, document) -> None:
    tab = visit("reader")
    tab.go(f"/documents/{document.pk}/")
    expect(tab.page.locator("mark.hl")).to_have_count(1)
    tree = tab.page.locator("#document-text").aria_snapshot()
    assert PASSAGE in tree
    description = tab.page.locator("mark.hl").first.get_attribute("aria-describedby")
    expect(tab.page.locator(f"#{description}")).to_contain_text("Annotation by reader")


def test_keyboard_selection_stays_inside_the_text_and_leaves_out_spaces(visit, document) -> None:
    tab = visit("reader")
    page = tab.page
    tab.go(f"/documents/{document.pk}/")
    page.locator("#document-text").focus()
    page.keyboard.press("Shift+ArrowUp")  # at the start: nothing above the text is taken
    inside = "() => document.getElementById('document-text').contains(getSelection().focusNode)"
    assert page.evaluate(inside)
    page.keyboard.press("Control+End")
    for _ in range(12):
        page.keyboard.press("ArrowDown")  # at the end: stays at the end, never wraps round
    assert page.evaluate(inside)
    caret = "() => getSelection().toString().length"
    for _ in range(30):
        page.keyboard.press("Shift+ArrowDown")
    assert page.evaluate(inside)
    assert page.evaluate(caret) == 0 or page.locator("#annotate-button").is_enabled()

    page.evaluate(
        """() => {
          const node = document.getElementById("document-text").firstChild;
          getSelection().collapse(node, 0);
        }"""
    )
    page.locator("#document-text").focus()
    for _ in range(3):
        page.keyboard.press("Control+Shift+ArrowRight")
    page.keyboard.press("a")
    quote = page.locator("#editor-quote").text_content()
    assert quote == quote.strip() and quote.startswith("The lighthouse")
